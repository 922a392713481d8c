"""One sentence splitter and one stem for every web tool: each case one of the former copies handled."""

from __future__ import annotations

import pytest

from agents.audiorag_queries import content_words, review_queries
from tools.web.conflicts import find_conflicts
from tools.web.entailment import table_statements
from tools.web.evidence import number_sentences
from tools.web.facts import extract_facts
from tools.web.passages import Passage, split_passages
from tools.web.sentences import split_sentences
from tools.web.stems import split_words, stem, stems


@pytest.mark.parametrize(("text", "sentences"), [
    ("Beethoven died in 1827. He was 56! Was he deaf?  Yes.", ["Beethoven died in 1827.", "He was 56!",
                                                               "Was he deaf?", "Yes."]),
    ("It measures 3.5 m (i.e.about ten feet)", ["It measures 3.5 m (i.e.about ten feet)"]),  # no space, no end
    ("Symphony No. 9 in D minor. It premiered in 1824!", ["Symphony No. 9 in D minor.", "It premiered in 1824!"]),
    ("St. Paul's Cathedral was designed by Sir Christopher Wren.", ["St. Paul's Cathedral was designed by Sir "
                                                                   "Christopher Wren."]),
    ("J. S. Bach wrote it. Mr. Smith did not.", ["J. S. Bach wrote it.", "Mr. Smith did not."]),
    ("Early life\n\nBeethoven was born in Bonn", ["Early life", "Beethoven was born in Bonn"]),  # a heading
    ("Opus numbers, see No.\n\nThe next section", ["Opus numbers, see No.", "The next section"]),
    ("Beethoven; he died in 1827.", ["Beethoven; he died in 1827."]),  # `;` ends only clauses
    ("  Beethoven   died\n in\tVienna.  ", ["Beethoven died in Vienna."]),
    ("", []),
    (" \n\n ", []),
])
def test_sentences_end_at_stops_and_blank_lines_but_not_after_abbreviations(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(("text", "sentences"), [
    ("Ravel wrote it in World War I. Bolero came in 1928.", ["Ravel wrote it in World War I.", "Bolero came in 1928."]),
    ("The prelude is in C. Bach wrote it.", ["The prelude is in C.", "Bach wrote it."]),
    ("Oranges hold Vitamin C. Lemons do too.", ["Oranges hold Vitamin C.", "Lemons do too."]),
    ("They chose Plan B. Nobody objected.", ["They chose Plan B.", "Nobody objected."]),
    ("John F. Kennedy was elected. He won.", ["John F. Kennedy was elected.", "He won."]),
    ("Works by (J. S. Bach) survive. Few do.", ["Works by (J. S. Bach) survive.", "Few do."]),
    ("Mt. Fuji is high, cf. the Alps. It is.", ["Mt. Fuji is high, cf. the Alps.", "It is."]),
])
def test_a_lone_capital_is_an_initial_only_between_names(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_a_paragraph_of_initials_splits_in_linear_time() -> None:
    """Each full stop once searched the whole sentence so far: 18 KB of "A. " took 8 s, 50 KB minutes."""
    hostile = "A. " * 17_000
    assert split_sentences(hostile) == [hostile.strip()]
    assert len(split_passages(hostile, source="doc:a")) > 1


def test_clauses_also_end_at_semicolons() -> None:
    assert split_sentences("Beethoven; he died in 1827. St. Paul's; No. 9", clauses=True) == [
        "Beethoven;", "he died in 1827.", "St. Paul's;", "No. 9"]
    assert split_sentences("Moby-Dick; or, The Whale was written by Herman Melville; he was American.",
                           clauses=True) == ["Moby-Dick; or, The Whale was written by Herman Melville;",
                                             "he was American."]


def test_as_written_keeps_a_sentence_s_lines() -> None:
    table = "Composer | Born\nMozart | 1756\nBeethoven | 1770. Both were born in the\n18th century."
    assert split_sentences(table, as_written=True) == ["Composer | Born\nMozart | 1756\nBeethoven | 1770.",
                                                       "Both were born in the\n18th century."]
    assert split_sentences(table)[0] == "Composer | Born Mozart | 1756 Beethoven | 1770."


def test_a_long_table_cut_into_passages_keeps_its_rows_apart() -> None:
    rows = [f"Composer {n} | {1700 + n} | {1750 + n}" for n in range(40)]
    passages = split_passages("\n".join(rows), source="doc:table", max_chars=200)
    assert len(passages) > 1
    lines = [line for passage in passages for line in passage.text.splitlines()]
    assert all(line.count("|") <= 2 for line in lines)  # no two rows run into one line


def test_every_tool_cuts_sentences_alike() -> None:
    text = "Symphony No. 9 premiered in Vienna in 1824. Beethoven conducted it"
    expected = ["Symphony No. 9 premiered in Vienna in 1824.", "Beethoven conducted it"]
    assert table_statements([text]) == expected
    evidence = number_sentences([Passage(source="doc:a", text=text)], "Who conducted the Ninth?")
    assert [sentence.text for sentence in evidence] == expected
    cited = [("doc:b", "Symphony No. 9 premiered in Vienna in 1824")]
    other = Passage(source="doc:c", text="Early history\n\nSymphony No. 9 premiered in Vienna in 1825")
    conflicts = find_conflicts(extract_facts(cited[0][1]), cited, [other])
    assert [conflict.other for conflict in conflicts] == ["Symphony No. 9 premiered in Vienna in 1825"]


@pytest.mark.parametrize(("text", "words"), [
    ("Beethoven's well-known Symphony", ["beethoven's", "well-known", "symphony"]),
    ("the MP3 of 1827", ["the", "mp3", "of"]),
])
def test_words_start_with_a_letter_and_keep_apostrophes_and_hyphens(text: str, words: list[str]) -> None:
    assert split_words(text) == words


def test_quotes_around_a_word_are_not_part_of_it() -> None:
    assert split_words("'Gymnopédies' and \u2018Moonlight\u2019 by Beethoven's pupils'") == [
        "gymnopédies", "and", "moonlight", "by", "beethoven's", "pupils"]


def test_a_hyphenated_word_also_stands_for_its_parts() -> None:
    assert stems("Saint Saëns") < stems("Saint-Saëns")
    assert review_queries(["Saint-Saëns swan"], 'the clip said "Saint Saëns"').queries == ["Saint-Saëns swan"]
    assert review_queries(["Saint Saëns swan"], 'the clip said "Saint-Saëns"').queries == ["Saint Saëns swan"]


def test_quoted_and_hyphenated_words_match_everywhere() -> None:
    assert review_queries(["Gymnopédies composer"], "The clip mentioned 'Gymnopédies' twice.").queries == [
        "Gymnopédies composer"]
    passage = Passage(source="doc:a", text="The weather was fine. Saint Saëns wrote the swan. Paris is big.")
    evidence = number_sentences([passage], "Who is Saint-Saëns?", per_passage=1)
    assert [sentence.text for sentence in evidence] == ["Saint Saëns wrote the swan."]


def test_numbers_are_words_where_asked() -> None:
    assert split_words("Symphony No. 9 of 1824, the 4th", numbers=True) == [
        "symphony", "no", "9", "of", "1824", "the", "4th"]
    assert content_words("Symphony No. 9 of 1824") == ["symphony", "9", "1824"]


def test_stems_compare_inflections_alike_everywhere() -> None:
    assert stem("Beethoven's") == stem("beethoven") == "beethoven"
    assert stems("The composers composed", {"the"}) == {"compos"}
    context = "Who composed the Moonlight Sonata?"
    assert review_queries(["famous composers"], context).queries == ["famous composers"]
    assert review_queries(["composting tips"], context).queries == []  # a five-letter prefix passed it
