"""A cited page must be about what was heard or asked: the bench's eiffel clip, heard as "the top of the
life of tower", was answered from the Big Ben page ("completed in 1859"), grounded and about the wrong tower."""

from __future__ import annotations

import pytest

from tools.web.subject import bridge_names, bridged, heard_names, spelled_as_page, tie

BIG_BEN = "Big Ben and the Elizabeth Tower | Encyclopedia Lumina"
BIG_BEN_TEXT = ("Big Ben is the nickname of the Great Bell of the clock at the north end of the Palace of Westminster. "
                "The clock tower was completed in 1859, and the clock started on 31 May 1859.")
EIFFEL = "Eiffel Tower - history and facts | Encyclopedia Lumina"
EIFFEL_TEXT = "The tower was completed in March 1889 and opened on 31 March 1889."
BEETHOVEN = "Ludwig van Beethoven - biography | Encyclopedia Lumina"
BEETHOVEN_TEXT = 'Beethoven died in Vienna on 26 March 1827. Selected works: Piano Sonata No. 14 "Moonlight" (1801).'
MOBY = "Moby-Dick; or, The Whale - the novel | Encyclopedia Lumina"
MOBY_TEXT = "The novel by Herman Melville opens: Some years ago - never mind how long precisely - having little money."
MISHEARD = "In which year was the landmark mentioned in the clip completed?\n" \
           "Welcome aboard, in a few minutes we will reach the top of the life of tower."


@pytest.mark.parametrize(("title", "text", "said", "evidence"), [
    (BIG_BEN, BIG_BEN_TEXT, MISHEARD, ""),  # "tower", "completed": common words tie nothing
    (EIFFEL, EIFFEL_TEXT, MISHEARD, ""),  # the right page, but nothing heard names it either
    (BIG_BEN, BIG_BEN_TEXT, "In which year was the Eiffel Tower completed?", ""),
    (EIFFEL, EIFFEL_TEXT, "In which year was the Eiffel Tower completed?", "its title names 'Eiffel Tower'"),
    (BIG_BEN, BIG_BEN_TEXT, "In which year was the clock tower named in the clip completed?\n"
                            "Listen to the bells of Big Ben, ringing over Westminster.", "its title names 'Big Ben'"),
    (BEETHOVEN, BEETHOVEN_TEXT, "In which year did the composer of the piece announced in this clip die?\n"
                                "Now playing on our evening program, the Moonlight Sonata.",
     "it names 'Moonlight' of 'Moonlight Sonata'"),
    (MOBY, MOBY_TEXT, "Who wrote the novel this clip reads from?\n"
                      "Chapter 1. Call me your mail. Some years ago, never mind how long precisely.",
     "it repeats 'some years ago'"),
    ("The discovery of penicillin | History of Medicine", "# The discovery of penicillin\n\nPenicillin was "
     "discovered in 1928 by Alexander Fleming.", "Who discovered the substance named in the clip?\n"
     "Today's science story, the accidental discovery on penicillin.", "it repeats 'discovery on penicillin'"),
])
def test_a_page_is_tied_by_a_name_heard_or_asked_or_an_echo_of_the_words_heard(
        title: str, text: str, said: str, evidence: str) -> None:
    question, _, heard = said.partition("\n")
    assert tie(title, text, question, heard).evidence == evidence


def test_a_word_that_only_starts_a_sentence_is_not_a_name_heard() -> None:
    assert heard_names("Welcome aboard. Listen to the bells of Big Ben.") == ["Big Ben"]
    assert heard_names("Tonight: the Titanic. The Titanic sank.") == ["Titanic"]  # mid-sentence once is enough
    assert not tie("Welcome to London | Travel", "Welcome! The tower opened in 1859.", "Where?", "Welcome aboard.")


def test_a_word_of_a_name_ties_only_inside_a_sentence() -> None:
    """Every word starting a sentence is capitalised: "New rules apply." names nothing of the "New World Symphony"."""
    question = "In which year was the symphony announced in the clip first performed?"
    heard = "And now, the New World Symphony."
    assert not tie("Club rules", "New rules apply. The hall opened in 1893.", question, heard)
    assert tie("Dvorak", "His Symphony No. 9, From the New World, premiered in 1893.", question, heard).evidence == (
        "it names 'New' of 'New World Symphony'")


def test_a_bridge_ties_a_page_only_by_the_whole_name() -> None:
    names = bridge_names("The Moonlight Sonata was composed by Ludwig van Beethoven in 1801.")
    assert names == ["Moonlight Sonata", "Ludwig van Beethoven"]
    assert not bridged("Ludwig II of Bavaria", "Ludwig II was king of Bavaria from 1864.", names)
    assert bridged("Beethoven", "Ludwig van Beethoven died in Vienna on 26 March 1827.", names)


@pytest.mark.parametrize(("question", "heard", "page"), [
    ("Who composed the piece played in the clip?", "Now playing, an evening of quiet piano music.",
     "Mozart composed the piece in 1785."),  # the question's own wording is on any page on its topic
    ("Which landmark is named in the clip?", "Look, this was the tower of our ancestors.",
     "This was the tower of London until 1843."),  # "was" and "the" are no content words
])
def test_an_echo_is_of_what_was_heard_in_content_words(question: str, heard: str, page: str) -> None:
    assert not tie("A page", page, question, heard)


@pytest.mark.parametrize(("title", "heard", "evidence"), [
    ("Taj Mahal | Encyclopedia Lumina", "The sunrise we move at the white marble of the Thad Mahal.",
     "its title names 'Taj Mahal', heard as 'thad mahal'"),
    ("Statue of Liberty | Encyclopedia Lumina", "We are taking the ferry out to the statue of Luberby.",
     "its title names 'Statue of Liberty', heard as 'statue of luberby'"),
    # too far, another first letter, or no word of the name heard exactly: the wrong page stays untied
    (BIG_BEN, "Listen to the metal of Big Man, ringing over West Minster.", ""),
    (EIFFEL, "Welcome aboard, we will reach the top of the rifle tower.", ""),
    ("Taj Mahal | Encyclopedia Lumina", "The sunrise over the white marble of the Thad Mabel.", ""),
    ("Statue of Liberty | Encyclopedia Lumina", "We are taking the ferry out to the statue of Lubbock.", ""),
])
def test_a_title_s_name_misheard_by_a_letter_or_two_ties_its_page(title: str, heard: str, evidence: str) -> None:
    question = "In which year was the place named in the clip built?"
    assert tie(title, "It stands by the river.", question, heard).evidence == evidence


def test_only_what_was_heard_may_be_misheard() -> None:
    """The question is typed: a near spelling there is another name ("Thad Mahal" asked is not the Taj Mahal)."""
    assert not tie("Taj Mahal | Encyclopedia Lumina", "It stands by the river.",
                   "Which emperor commissioned the Thad Mahal?", "")


@pytest.mark.parametrize(("title", "heard", "read"), [
    ("Tag Mahal | Casino", "We stand before the Taj Mahal at dawn.", "The Taj Mahal is a mausoleum in Agra."),
    ("Big Bend | National Park Service", "Listen to the bells of Big Ben.", "Big Ben is the bell of the clock."),
    ("Henry Fonda - Wikipedia", "Henry Ford built the first car here.", "Henry Ford founded the company."),
])
def test_a_name_heard_right_does_not_tie_its_lookalikes(title: str, heard: str, read: str) -> None:
    """A run heard that a page read for the question states was heard right: the near-miss title is another
    thing ("Tag Mahal | Casino"), while a misheard run ("Thad Mahal") is stated nowhere and still ties."""
    question = "In which year was the place named in the clip built?"
    assert tie(title, "It stands by the river.", question, heard).misheard  # nothing read states the name
    assert not tie(title, "It stands by the river.", question, heard, read)
    assert tie("Taj Mahal | Encyclopedia Lumina", "It stands by the river.", question,
               "The sunrise we move at the white marble of the Thad Mahal.", read).misheard == "thad mahal"


@pytest.mark.parametrize(("title", "heard", "answer", "spelled"), [
    ("Statue of Liberty | Encyclopedia Lumina", "We are taking the ferry out to the statue of Luberby.",
     "The statue of Luberby was dedicated in 1886.", "The Statue of Liberty was dedicated in 1886."),
    # written as a name, every word capitalised: what Whisper took for a name it knows stays as heard
    ("Tag Mahal | Casino", "We stand before the Taj Mahal at dawn.", "The Taj Mahal was completed in 1999.",
     "The Taj Mahal was completed in 1999."),
    ("Statue of Liberty | Encyclopedia Lumina", "We are taking the ferry out to the Statue of Luberby.",
     "The Statue of Luberby was dedicated in 1886.", "The Statue of Luberby was dedicated in 1886."),
])
def test_only_a_run_not_written_as_a_name_takes_the_tied_page_s_spelling(title: str, heard: str, answer: str,
                                                                         spelled: str) -> None:
    """The respelling must not lend a lookalike page its name: "Taj Mahal" heard right, the casino page alone
    tied as misheard, "The Taj Mahal was completed in 1999." stays unstated (and refused), never "The Tag Mahal"."""
    found = tie(title, "It stands by the river.", "In which year was the place named in the clip built?", heard)
    assert found.misheard and spelled_as_page(answer, [found], heard) == spelled
