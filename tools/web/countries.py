"""The world's countries by name, so that "which two countries share Mount Everest?" is answered only by a
claim naming two of them: a claim naming "the Himalayas" names a place, not a country.

The sovereign states (UN members and observers), with the short and older names a page is likely to use
("Czechia" and "Czech Republic", "Burma"), and the United Kingdom's four nations, which pages and questions
call countries.
"""

from __future__ import annotations

import re
import unicodedata

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
USA|UK|US|U.S.|U.S.A.|America|Democratic Republic of the Congo|DR Congo|Republic of the Congo|
Uruguay|Uzbekistan|Vanuatu|Vatican City|Holy See|Venezuela|Vietnam|Viet Nam|Yemen|Zambia|Zimbabwe
"""
COUNTRIES = frozenset(name.strip().lower() for name in _NAMES.replace("\n", "").split("|") if name.strip())
"""Lower-cased and without accents (`fold`); `is_country` compares a name as a claim writes it."""

_IN_TEXT = re.compile("|".join(rf"(?<![\w.])(?<!South )(?<!North )(?<!Central )(?<!Latin ){re.escape(name.strip())}"
                               r"(?![\w-])"
                               for name in sorted(_NAMES.replace("\n", "").split("|"), key=len, reverse=True)
                               if name.strip()))
"""The countries' names as a text capitalises them, longest first ("Democratic Republic of the Congo" before
"Congo"; "America" but not "South America"), so that "turkey" the bird and "china" the porcelain are not read
as countries."""


def fold(text: str) -> str:
    """`text` without accents and with a plain apostrophe ("Côte d’Ivoire" -> "Cote d'Ivoire")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def is_country(name: str) -> bool:
    """Whether `name` ("Nepal", "the United States", "Nepal's", "Türkiye") is a country's name."""
    words = fold(name).split()
    if words and words[0].lower() == "the":
        words = words[1:]
    if words and words[-1].lower().endswith("'s"):
        words[-1] = words[-1][:-2]
    return " ".join(words).lower() in COUNTRIES


def countries_in(text: str) -> set[str]:
    """The countries `text` names, lower-cased, each once: a possessive ("Nepal's border") is its country, and
    a name the extraction of names splits ("Côte d'Ivoire") is still one."""
    return {match.group(0).lower() for match in _IN_TEXT.finditer(fold(text))}
