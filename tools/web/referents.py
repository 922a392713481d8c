"""A cited sentence that names its page's subject only as "It", "Its" or "The statue", read with the subject
named, so that the grounding's "names in the answer must be in the cited spans" holds of what it says.

An encyclopedia page names its subject once and then says "it": session 29's Taj Mahal page was cited for "The
Taj Mahal was commissioned in 1632 by ... Shah Jahan" by its "It was commissioned in 1632 by the Mughal emperor
Shah Jahan ...", and the claim was dropped because "Taj Mahal" is in no cited span. `with_subject` reads such a
span as "It (Taj Mahal) was commissioned ...", only where the "it" can be nothing but the page's subject:

- the page's subject is the first name of its title (`page_subject`: "Taj Mahal" of "Taj Mahal | Encyclopedia
  Lumina"), in the page's own spelling, so a lookalike page ("Tag Mahal | Casino") lends only its own name;
- the sentence's grammatical subject refers to it: it starts with "It" or "Its", or with "The" or "This" and a
  noun the subject is (`subject_nouns`): a word of its name ("The statue" of the Statue of Liberty) or the head
  noun of the page's defining sentence ("The Taj Mahal is an ivory-white marble *mausoleum*"); "The border ..."
  is about a border, and "He"/"She" on a building's page is a person the page mentions;
- the sentence is in a paragraph of the page, and no sentence before it there starts with another name ("Shah
  Jahan ordered a tomb. It was ...", after a fronted date too: "In 1850 the Koh-i-Noor was ..."): that "it"
  may be the other name's.

Which pages count as about the question is `tools.web.subject`'s to decide; this only says what a sentence of a
page means by "it".
"""

from __future__ import annotations

import re

from tools.web.entailment import FUNCTION_WORDS
from tools.web.facts import extract_facts
from tools.web.grounding import normalise_span, text_blocks
from tools.web.sentences import split_sentences

_TITLE_PARTS = re.compile(r"\s+[|\u2013\u2014-]\s+")
"""What separates a title's name from the site or a description ("Taj Mahal | Encyclopedia Lumina")."""
_REFERENT = re.compile(r"^(?:(?P<it>It|Its)\b|(?:The|This)\s+(?P<noun>[a-z][\w-]*)\b)")
_WORD = re.compile(r"[\w'\u2019-]+")


_CATALOGUE_SIGN = re.compile(r"\s+(?:No|Nr|Op|BWV|K)$")
_CATALOGUE = re.compile(r"\s+(?:No|Nr|Op|BWV|K)\.?\s*\d+[a-z]?\b")
"""A catalogue number that continues a work's name in its title ("Symphony No. 9", "Sonata Op. 27"): a name ends
at its full stop, and a subject cut there ("Symphony No") would read as the word "no", a negation."""


def page_subject(title: str) -> str:
    """The name a page titled `title` is about: the first name of its first part, with the catalogue number that
    continues it (`_CATALOGUE`); "" when it has none."""
    first = _TITLE_PARTS.split(title.strip(), maxsplit=1)[0]
    name = next((fact.text for fact in extract_facts(first) if fact.kind == "name"), "")
    start = first.find(name)
    sign = _CATALOGUE_SIGN.search(name)  # the name read up to the sign's full stop: "Symphony No"
    number = _CATALOGUE.match(first, start + (sign.start() if sign else len(name))) if name else None
    return first[start:number.end()] if number else name


def subject_nouns(subject: str, page: str) -> set[str]:
    """The nouns "The <noun>" may call `subject` by on `page`: the words of its name, and the head noun of the
    page's first sentence defining it ("<subject> is an 1851 *novel* by ..."), the last word before a function
    word of what follows "is a", "was the" ..."""
    nouns = {word.lower() for word in _WORD.findall(subject)}
    defining = re.search(rf"(?<![\w-]){re.escape(subject)}(?![\w-])[^.!?\n]*?\s(?:is|was)\s+(?:(?:a|an|the)\s+)?"
                         r"([^.!?,;:()\n]+)", page)
    if defining:
        phrase = []
        for word in _WORD.findall(defining.group(1)):
            if word.lower() in FUNCTION_WORDS:
                break
            phrase.append(word.lower())
        nouns |= set(phrase[-1:])
    return nouns


_DATE_WORD = (r"(?:\d[\d,.]*(?:st|nd|rd|th|s)?|January|February|March|April|May|June|July|August|September|"
              r"October|November|December|AD|BC|BCE|CE)")
_FRONTED = re.compile(rf"^(?:In|On|By|From|Since|During|Until|After|Before|Around|About)\s+{_DATE_WORD}"
                      rf"(?:[\s,]+{_DATE_WORD})*,?\s+")
"""A date or time fronted before a sentence's subject ("In 1631 Mumtaz Mahal died", "On 7 June 1631, ...")."""


def _starts_with_other_name(sentence: str, subject: str) -> bool:
    """Whether `sentence` starts, after a fronted date (`_FRONTED`), with a name other than `subject` ("Shah
    Jahan ordered ...", "In 1631 Mumtaz Mahal died ...")."""
    opening = re.sub(r"^[Tt]he\s+", "", _FRONTED.sub("", sentence))
    return any(fact.kind == "name" and opening.startswith(fact.text) and fact.text not in subject
               for fact in extract_facts(sentence))


def _refers_to_page_subject(quote: str, subject: str, page: str) -> bool:
    """Whether the sentence `quote` stands in a paragraph of `page` with no sentence before it starting with
    another name than `subject`."""
    wanted = normalise_span(quote)
    for block in text_blocks(page):
        if wanted not in normalise_span(block):
            continue
        before = normalise_span(block).split(wanted, 1)[0]
        if not any(_starts_with_other_name(sentence, subject) for sentence in split_sentences(block)
                   if normalise_span(sentence) in before):
            return True
    return False


def _surname(quote: str, subject: str) -> str:
    """The last word of a name of several words that `quote` opens with instead of the whole name, followed by
    a lowercase word ("Beethoven died in Vienna ..." on the page of "Ludwig van Beethoven"; not "Liberty
    Island is ..." on the Statue of Liberty's); "" otherwise."""
    words = subject.split()
    if len(words) < 2 or subject in quote:
        return ""
    return words[-1] if re.match(rf"{re.escape(words[-1])}(?:'s)?\s+[a-z]", quote) else ""


def with_subject(quote: str, title: str, page: str) -> str:
    """`quote`, a sentence of the page titled `title` whose text is `page`, with the page's subject named after
    the words that refer to it ("It (Taj Mahal) was ...", "Its (Mount Everest's) elevation ...", "The statue
    (Statue of Liberty) was ...", "Beethoven (Ludwig van Beethoven) died ..."); `quote` unchanged unless those
    words can only mean the page's subject."""
    subject = page_subject(title)
    surname = _surname(quote.strip(), subject)
    if surname and _refers_to_page_subject(quote.strip(), subject, page):
        return f"{surname} ({subject}){quote.strip()[len(surname):]}"
    found = _REFERENT.match(quote.strip())
    if not subject or not found or not _refers_to_page_subject(quote.strip(), subject, page):
        return quote
    if found.group("noun") and found.group("noun") not in subject_nouns(subject, page):
        return quote
    named = f"{subject}'s" if found.group("it") == "Its" else subject
    return f"{found.group(0)} ({named}){quote.strip()[found.end():]}"
