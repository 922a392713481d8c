"""The world's countries by name, so that "which two countries share Mount Everest?" is answered only by a
claim naming two of them: a claim naming "the Himalayas" names a place, not a country.

The sovereign states (UN members and observers), with the short and older names a page is likely to use
("Czechia" and "Czech Republic", "Burma"), and the United Kingdom's four nations, which pages and questions
call countries.
"""

from __future__ import annotations

_NAMES = """
Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|Australia|Austria|Azerbaijan|
Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|
Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cabo Verde|Cape Verde|Cambodia|Cameroon|Canada|
Central African Republic|Chad|Chile|China|Colombia|Comoros|Congo|Costa Rica|Cote d'Ivoire|Ivory Coast|Croatia|
Cuba|Cyprus|Czechia|Czech Republic|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|Egypt|El Salvador|
Equatorial Guinea|Eritrea|Estonia|Eswatini|Swaziland|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|
Ghana|Greece|Grenada|Guatemala|Guinea|Guinea-Bissau|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|
Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|
Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|
Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|
Myanmar|Burma|Namibia|Nauru|Nepal|Netherlands|Holland|New Zealand|Nicaragua|Niger|Nigeria|North Korea|
North Macedonia|Macedonia|Norway|Oman|Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|
Poland|Portugal|Qatar|Romania|Russia|Russian Federation|Rwanda|Saint Kitts and Nevis|Saint Lucia|
Saint Vincent and the Grenadines|Samoa|San Marino|Sao Tome and Principe|Saudi Arabia|Senegal|Serbia|Seychelles|
Sierra Leone|Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|South Korea|Korea|South Sudan|Spain|
Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Timor-Leste|East Timor|Togo|
Tonga|Trinidad and Tobago|Tunisia|Turkey|Turkiye|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates|
United Kingdom|Great Britain|Britain|England|Scotland|Wales|Northern Ireland|United States|United States of America|
USA|UK|Uruguay|Uzbekistan|Vanuatu|Vatican City|Holy See|Venezuela|Vietnam|Viet Nam|Yemen|Zambia|Zimbabwe
"""
COUNTRIES = frozenset(name.strip().lower() for name in _NAMES.replace("\n", "").split("|") if name.strip())
"""Lower-cased; `is_country` compares a name as a claim writes it."""


def is_country(name: str) -> bool:
    """Whether `name` ("Nepal", "the United States") is a country's name."""
    words = name.replace("\u2019", "'").split()
    if words and words[0].lower() == "the":
        words = words[1:]
    return " ".join(words).lower() in COUNTRIES
