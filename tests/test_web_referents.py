"""A cited sentence's "It" is its page's subject only where nothing else can be: session 29 dropped "The Taj
Mahal was commissioned ... by Shah Jahan" cited by the Taj Mahal page's "It was commissioned ... by ... Shah
Jahan", and a lookalike or another name before the "it" must never lend its page's subject to a claim."""

from __future__ import annotations

import pytest

from tools.web.entailment import SpanRules
from tools.web.grounding import ground_answer
from tools.web.referents import page_subject, subject_nouns, with_subject

TAJ = "Taj Mahal | Encyclopedia Lumina"
TAJ_TEXT = ("The Taj Mahal is an ivory-white marble mausoleum on the right bank of the river Yamuna in Agra, India. "
            "It was commissioned in 1632 by the Mughal emperor Shah Jahan to house the tomb of his favourite wife.\n\n"
            "The mausoleum was completed around 1643. Shah Jahan was deposed by his son. It was his last work.")
COMMISSIONED = "It was commissioned in 1632 by the Mughal emperor Shah Jahan to house the tomb of his favourite wife."
LIBERTY = "Statue of Liberty | Encyclopedia Lumina"
LIBERTY_TEXT = ("The Statue of Liberty is a colossal copper statue on Liberty Island in New York Harbor.\n\n"
                "The statue was dedicated on 28 October 1886 in a ceremony led by President Grover Cleveland.")
EVEREST = "Mount Everest | Encyclopedia Lumina"
EVEREST_TEXT = ("Mount Everest is Earth's highest mountain above sea level. The border between Nepal and China runs "
                "across its summit point.\n\nIts elevation of 8,848.86 metres was established in 2020.")


@pytest.mark.parametrize(("title", "subject"), [
    (TAJ, "Taj Mahal"),
    ("Moby-Dick; or, The Whale - the novel | Encyclopedia Lumina", "Moby-Dick"),
    ("Big Ben and the Elizabeth Tower | Encyclopedia Lumina", "Big Ben"),
    ("the history of bells", ""),
    ("Symphony No. 9 (Beethoven) | Encyclopedia Lumina", "Symphony No. 9"),
])
def test_a_page_s_subject_is_the_first_name_of_its_title(title: str, subject: str) -> None:
    assert page_subject(title) == subject


def test_the_nouns_of_a_subject_are_its_name_s_words_and_the_head_of_its_defining_sentence() -> None:
    assert subject_nouns("Taj Mahal", TAJ_TEXT) == {"taj", "mahal", "mausoleum"}
    assert subject_nouns("Mount Everest", EVEREST_TEXT) == {"mount", "everest", "mountain"}


@pytest.mark.parametrize(("quote", "title", "page", "read"), [
    (COMMISSIONED, TAJ, TAJ_TEXT, f"It (Taj Mahal){COMMISSIONED[2:]}"),
    ("The mausoleum was completed around 1643.", TAJ, TAJ_TEXT, "The mausoleum (Taj Mahal) was completed around 1643."),
    ("Its elevation of 8,848.86 metres was established in 2020.", EVEREST, EVEREST_TEXT,
     "Its (Mount Everest's) elevation of 8,848.86 metres was established in 2020."),
    ("The statue was dedicated on 28 October 1886 in a ceremony led by President Grover Cleveland.", LIBERTY,
     LIBERTY_TEXT, "The statue (Statue of Liberty) was dedicated on 28 October 1886 in a ceremony led by President "
                   "Grover Cleveland."),
    # the sentence's subject is something else: a border, the river, a sentence after another name's
    ("The border between Nepal and China runs across its summit point.", EVEREST, EVEREST_TEXT, None),
    ("It was his last work.", TAJ, TAJ_TEXT, None),
    ("It was cut in 1852.", TAJ, "The Taj Mahal is a mausoleum. In 1850 the Koh-i-Noor was taken to London. It "
     "was cut in 1852.", None),  # another name after a fronted date
    ("It was cut in 1852.", TAJ, "The Taj Mahal is a mausoleum. On 3 July 1850, Koh-i-Noor was taken. It was cut in "
     "1852.", None),
    ("The river floods in July.", TAJ, f"{TAJ_TEXT}\n\nThe river floods in July.", None),
    # not on the page, or a page without a name in its title
    ("It was commissioned in 1999.", TAJ, TAJ_TEXT, None),
    (COMMISSIONED, "the history of India", TAJ_TEXT, None),
])
def test_a_sentence_s_it_is_read_as_its_page_s_subject_only_where_it_can_mean_nothing_else(
        quote: str, title: str, page: str, read: str | None) -> None:
    assert with_subject(quote, title, page) == (read or quote)


def test_a_claim_naming_the_page_s_subject_is_grounded_by_its_it_sentence_and_a_lookalike_lends_only_its_own() -> None:
    """The grounding's name check holds of the resolved sentence; a lookalike page's "It" is the lookalike."""
    question = "Which emperor commissioned the building named in the clip?"
    claim = "The Taj Mahal was commissioned in 1632 by the Mughal emperor Shah Jahan."
    assert not ground_answer(claim, [COMMISSIONED], question, SpanRules(), question).text
    assert ground_answer(claim, [with_subject(COMMISSIONED, TAJ, TAJ_TEXT)], question, SpanRules(), question).text
    casino = ("The Tag Mahal is a casino hotel in Atlantic City. "
              "It was commissioned in 1632 by the Mughal emperor Shah Jahan.")
    lookalike = with_subject(COMMISSIONED.split(" to house")[0] + ".", "Tag Mahal | Casino & Resort", casino)
    assert lookalike.startswith("It (Tag Mahal)")
    assert not ground_answer(claim, [lookalike], question, SpanRules(), question).text


def test_a_work_s_catalogue_number_stays_in_its_subject_and_never_reads_as_a_negation() -> None:
    """Session 30's ode item: the Ninth Symphony's page read its "It was first performed ..." as "It (Symphony
    No) ...", and the claim naming the symphony, cited by both sentences, was dropped as differing from its spans
    in negation."""
    title = "Symphony No. 9 (Beethoven) | Encyclopedia Lumina"
    opening = ("The Symphony No. 9 in D minor, Op. 125, is the final complete symphony of Ludwig van Beethoven, "
               "composed between 1822 and 1824.")
    performed = "It was first performed in Vienna on 7 May 1824."
    resolved = with_subject(performed, title, f"{opening} {performed}")
    assert resolved == "It (Symphony No. 9) was first performed in Vienna on 7 May 1824."
    question = "Which symphony contains the melody the choir sings in this clip?"
    assert ground_answer(opening, [opening, resolved], question, SpanRules(), question).text


def test_a_sentence_opening_with_the_subject_s_last_name_is_read_as_the_whole_name() -> None:
    """Session 30's moonlight in text mode: "Ludwig van Beethoven died in Vienna on 26 March 1827." cited the
    Beethoven page's "Beethoven died in Vienna on 26 March 1827, aged 56." and was dropped for want of the full
    name; a longer name opening with the same word, or another name before it, lends nothing."""
    title = "Ludwig van Beethoven - biography | Encyclopedia Lumina"
    died = "Beethoven died in Vienna on 26 March 1827, aged 56."
    page = f"Ludwig van Beethoven was a German composer and pianist.\n\n{died}"
    resolved = with_subject(died, title, page)
    assert resolved == "Beethoven (Ludwig van Beethoven) died in Vienna on 26 March 1827, aged 56."
    question = "In which year did the composer of the Moonlight Sonata die?"
    claim = "Ludwig van Beethoven died in Vienna on 26 March 1827."
    assert not ground_answer(claim, [died], question, SpanRules(), question).text
    assert ground_answer(claim, [resolved], question, SpanRules(), question).text
    island = "Liberty Island is in New York Harbor."
    assert with_subject(island, LIBERTY, f"{LIBERTY_TEXT}\n\n{island}") == island
    father = "Johann van Beethoven taught him. Beethoven died in Vienna in 1827."
    assert with_subject("Beethoven died in Vienna in 1827.", title, father) == "Beethoven died in Vienna in 1827."
