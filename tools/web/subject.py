"""Whether a cited page is about what was heard or asked, so that a misheard clip cannot be answered about
the wrong subject.

A clip of "the top of the Eiffel Tower" heard as "the top of the life of tower" was searched, the Big Ben
page came back, and "The tower was completed in 1859" was grounded, cited and about the wrong tower: every
check of the answer against its source passes when the source itself is off the subject. So a page's
sentence may be cited only when something ties the page to the question or the clip:

- its title names what was heard or asked: a name of the title ("Big Ben") whose every word is among the
  words heard or asked ("Elizabeth Tower" needs "Elizabeth", not just "tower");
- it states a name heard or asked ("Big Ben"), a name being a capitalised run that does not only start a
  sentence, or a capitalised word of it before its last ("Moonlight" of "Moonlight Sonata" on the Beethoven
  page, for "the composer of the Moonlight Sonata");
- its title names what was heard, misheard by a letter or two: a name of the title of two or more words that a
  run of as many words heard spells within `MISHEARD_EDITS` (a quarter of its letters), each word from the same
  first letter, one of them a content word heard exactly ("Thad Mahal" for "Taj Mahal", "statue of Luberby"
  for "Statue of Liberty"; "Big Man" is too far from "Big Ben", "rifle tower" from "Eiffel Tower"); only what
  was heard, as the question is typed, and only a run that no page read for the question states: a name
  heard right and stated ("Taj Mahal") was not misheard, and must not tie its lookalikes ("Tag Mahal |
  Casino"). Nor does the run heard become the page's fact: `SubjectTie.misheard` names it, so that an answer
  restating the page under the heard spelling ("The Taj Mahal was completed in 1999" from the casino's page)
  has no given name to pass on;
- it repeats a run of `ECHO_WORDS` words heard, `ECHO_CONTENT_WORDS` of them content words ("never mind
  how long" from the opening of Moby-Dick, heard with its name lost as "Call me your mail"); not a run of
  the question's own wording ("was the tower completed"), which any page on its topic repeats.

Common words alone ("tower", "landmark", "completed") tie nothing: every page on a building has them.

The tie stops honest pages about something else, not hostile ones: a page stuffed with the words and names
of the question ties itself. Those are the injection screen's and the grounding's to catch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.web.entailment import FUNCTION_WORDS
from tools.web.facts import extract_facts, fact_in, starts_sentence

ECHO_WORDS = 3
ECHO_CONTENT_WORDS = 2
"""A run of three words heard or asked, two of them content words ("discovery of penicillin", "ode to joy"),
repeated by the page ties it; a shorter or emptier run ("the top of") is on any page."""

MISHEARD_EDITS = 0.25
"""The letters of a title's name (spaces counted) that a run heard may get wrong, as a share: two in "taj mahal"
(nine), one in "big ben" (seven), so "big man" does not tie it."""

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"]\s*)$")


def _words(text: str) -> list[str]:
    return [word.lower().replace("\u2019", "'") for word in _WORD.findall(text)]


def _content(word: str) -> bool:
    """A word that says what a run is about: not a function word ("was", "has"), nor a number (a run of
    "chapter 1 of" is on too many pages)."""
    return len(word) >= 3 and not word.isdigit() and word not in FUNCTION_WORDS


def heard_names(text: str) -> list[str]:
    """The names in `text`, leaving out a single capitalised word that only ever starts a sentence there
    ("Welcome aboard."): Whisper capitalises every sentence, so such a word is no evidence of a name."""
    names = []
    for fact in extract_facts(text):
        if fact.kind != "name":
            continue
        if " " not in fact.text and all(_SENTENCE_START.search(text[:m.start()])
                                        for m in re.finditer(rf"\b{re.escape(fact.text)}\b", text)):
            continue
        names.append(fact.text)
    return list(dict.fromkeys(names))


def _modifiers(name: str) -> list[str]:
    """The words of a name before its last that could tell it apart ("Moonlight" of "Moonlight Sonata", which
    the Beethoven page lists as Piano Sonata No. 14 "Moonlight"); the last word is often its kind ("Sonata",
    "Tower"), which the wrong page shares."""
    words = name.split()
    return [word for word in words[:-1] if _content(word.lower()) and word[0].isupper()]


def _states_name(name: str, text: str) -> bool:
    """Whether `text` states the name `name` (`fact_in`)."""
    return any(fact_in(fact, text) for fact in extract_facts(name) if fact.kind == "name")


def _states_mid_sentence(word: str, text: str) -> bool:
    """Whether `text` has the capitalised `word` inside a sentence: at a sentence's start every word is
    capitalised, so "New rules apply." names nothing of the "New World Symphony" (and a line, a title or a
    paragraph, starts one)."""
    return any(not starts_sentence(line, match.start()) for line in text.splitlines()
               for match in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", line))


def _edits(first: str, second: str) -> int:
    """The Levenshtein distance of two short strings: the letters to insert, delete or replace."""
    previous = list(range(len(second) + 1))
    for i, left in enumerate(first, start=1):
        current = [i]
        for j, right in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def _misheard_as(name: str, heard: str) -> str | None:
    """The run of words `heard` that spells the name `name` (of two or more words) but for a few letters
    (`MISHEARD_EDITS`), word by word from the same first letter, one content word of it heard exactly."""
    name_words, heard_words = _words(name), _words(heard)
    if len(name_words) < 2:
        return None
    allowed = int(len(" ".join(name_words)) * MISHEARD_EDITS)
    for start in range(len(heard_words) - len(name_words) + 1):
        run = heard_words[start:start + len(name_words)]
        if (all(said[0] == word[0] for said, word in zip(run, name_words, strict=True))
                and any(said == word and _content(word) for said, word in zip(run, name_words, strict=True))
                and 0 < _edits(" ".join(run), " ".join(name_words)) <= allowed):
            return " ".join(run)
    return None


def _echoes(said: str, page: str) -> str | None:
    """The first run of `ECHO_WORDS` words of `said` with enough content words that `page` repeats, its content
    words exactly and in order, any word standing for each of its function words: Whisper gets the small
    words wrong first (session 30 heard "the accidental discovery on penicillin" beside "The discovery of
    penicillin", where session 29 had heard "of")."""
    said_words, page_text = _words(said), " ".join(_words(page))
    for start in range(len(said_words) - ECHO_WORDS + 1):
        run = said_words[start:start + ECHO_WORDS]
        if sum(_content(word) for word in run) < ECHO_CONTENT_WORDS:
            continue
        pattern = " ".join(re.escape(word) if _content(word) else r"\S+" for word in run)
        if re.search(rf"(?<!\S){pattern}(?!\S)", page_text):
            return " ".join(run)
    return None


@dataclass(frozen=True)
class SubjectTie:
    """Why a page counts as about what was heard or asked (empty `evidence`: nothing ties it)."""

    title: str
    evidence: str
    misheard: str = ""
    """The run heard that the title's name was taken to mishear ("thad mahal"), when that is the tie."""
    name: str = ""
    """The title's name that ties the page, when its title does ("Taj Mahal"): the page's spelling of it."""

    def __bool__(self) -> bool:
        return bool(self.evidence)


def stated(run: str, text: str) -> bool:
    """Whether `text` states the run of words `run` as whole words, in any case."""
    return bool(run.strip()) and f" {run} " in f" {' '.join(_words(text))} "


def tie(title: str, page: str, question: str, heard: str, read: str = "") -> SubjectTie:
    """What ties the page (`title`, and `page`: the text of it that was read) to the `question` or the words
    `heard` in the clip, one text a line (a name or a run never spans two of them); a run is echoed only
    from what was heard. `read` is every page read for the question: a run heard that it states was heard
    right, and misheard ties nothing."""
    said_words = set(_words(f"{question}\n{heard}"))
    for fact in extract_facts(title):
        if fact.kind == "name" and all(word in said_words for word in _words(fact.text)):
            return SubjectTie(title, f"its title names '{fact.text}'", name=fact.text)
    heard_lines = [line for line in heard.splitlines() if line.strip()]
    for fact in extract_facts(title):
        misheard = next((run for line in heard_lines if fact.kind == "name" and (run := _misheard_as(fact.text, line))
                         and not stated(run, f"{read}\n{page}")), None)
        if misheard:
            return SubjectTie(title, f"its title names '{fact.text}', heard as '{misheard}'", misheard, fact.text)
    text = f"{title}\n{page}"
    for line in [question, *heard_lines]:
        for name in heard_names(line):
            if _states_name(name, text):
                return SubjectTie(title, f"it names '{name}'")
            for word in _modifiers(name):
                if _states_mid_sentence(word, text):
                    return SubjectTie(title, f"it names '{word}' of '{name}'")
    for line in heard_lines:
        run = _echoes(line, text)
        if run:
            return SubjectTie(title, f"it repeats '{run}'")
    return SubjectTie(title, "")


def run_pattern(run: str) -> re.Pattern[str]:
    """The words of `run` as whole words in any case, with any spacing or punctuation between them ("statue
    of Luberby" in "the Statue of  Luberby.")."""
    return re.compile(r"(?<![\w'])" + r"\W+".join(map(re.escape, run.split())) + r"(?![\w'])", re.IGNORECASE)


def written_as_name(run: str, heard: str) -> bool:
    """Whether Whisper wrote the run `run` of `heard` as one name, every word of it in a capitalised name
    ("Taj Mahal", "Statue of Luberby"; not "statue of Luberby"): its language model took the run for a name it
    knows. The transcript keeps no word probabilities (`tools.audio.transcribe`), so this is the one sign
    of how sure it was of the run."""
    return any(any(fact.kind == "name" and fact.text == found.group(0) for fact in extract_facts(found.group(0)))
               for found in run_pattern(run).finditer(heard))


def spelled_as_page(answer: str, ties: list[SubjectTie], heard: str) -> str:
    """`answer` with each run `heard` that a tied page's title was taken to mishear (`SubjectTie.misheard`) in
    the title's own spelling: session 29 answered "The statue of Luberby was dedicated in 1886." from the
    Statue of Liberty page. The run then needs the page to state the name, as any name of an answer does.

    A run Whisper wrote as a name (`written_as_name`) is left as heard: "Taj Mahal" heard right ties the
    lookalike "Tag Mahal | Casino" page as misheard while nothing read states "Taj Mahal", and respelling
    the answer would ground "The Tag Mahal was completed in 1999." on the casino. Left as heard, the
    answer names what no cited page states and is refused; a misheard name written as one ("Thad Mahal")
    is refused the same way unless the answer spells it as the page does, so this rule errs only to
    refusal."""
    for found in ties:
        if found.misheard and found.name and not written_as_name(found.misheard, heard):
            answer = run_pattern(found.misheard).sub(found.name.replace("\\", r"\\"), answer)
    return answer


def bridge_names(sentence: str) -> list[str]:
    """The names of more than one word that `sentence` states ("Ludwig van Beethoven"): a cited sentence of a
    tied page may tie a second page through them (`bridged`). A single word ("Vienna", "London") is on too
    many pages to tie one."""
    return [name for name in heard_names(sentence) if " " in name]


def bridged(title: str, page: str, names: list[str]) -> SubjectTie:
    """What ties the page to a tied page's `names` (`bridge_names`): only a whole name, as a word of
    "Ludwig van Beethoven" would tie a page on "Ludwig II"."""
    text = f"{title}\n{page}"
    name = next((name for name in names if _states_name(name, text)), "")
    return SubjectTie(title, f"it names '{name}', which a page about the subject states" if name else "")


def off_subject(title: str) -> str:
    """Why a page titled `title` was not cited: what it is about, and that nothing heard or asked names it."""
    return (f"the page '{title}' is about nothing that was heard or asked (it neither names nor repeats it), "
            "so the clip may have been misheard")
