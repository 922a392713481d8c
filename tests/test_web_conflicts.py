"""Disagreeing sources: a different number or date for the same statement from another origin is
reported as a conflict, and the answer is withheld rather than one side picked."""

from __future__ import annotations

import dspy

from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines.audiorag_graph import AudioRAGConfig, AudioRAGDeps, AudioRAGState, final_answer, route_after_answer
from pipelines.audiorag_graph import answer as answer_node
from tests.studio_script import reply
from tools.web.conflicts import find_conflicts, origin
from tools.web.facts import extract_facts
from tools.web.passages import Passage, UntrustedDocument

QUOTE = "Beethoven died in Vienna on 26 March 1827"
CITED = [("https://a.example/beethoven", QUOTE)]
FACTS = extract_facts("Beethoven died in 1827.")


def passage(source: str, text: str) -> Passage:
    return Passage(source=source, title=source, text=text)


def test_the_same_statement_with_another_year_from_another_site_conflicts() -> None:
    other = passage("https://www.b.example/bio", "He was a pianist. Beethoven died in Vienna in 1828.")
    [conflict] = find_conflicts(FACTS, CITED, [passage(CITED[0][0], QUOTE + "."), other])
    assert (conflict.value, conflict.other_value, conflict.source) == ("1827", "1828", "https://www.b.example/bio")
    assert conflict.describe() == ("the sources disagree: 'Beethoven died in Vienna on 26 March 1827' gives 1827, "
                                   "but https://www.b.example/bio says 'Beethoven died in Vienna in 1828.' (1828)")


def test_agreeing_unrelated_or_same_site_sentences_do_not_conflict() -> None:
    passages = [passage("https://b.example/x", "Beethoven died in Vienna in 1827, aged 56."),  # agrees
                passage("https://b.example/y", "Beethoven was born in Bonn in 1770."),  # another statement
                passage("https://b.example/z", "Beethoven died three years after the premiere in 1824."),
                passage("https://a.example/other", "Beethoven died in Vienna in 1828.")]  # the cited site itself
    assert find_conflicts(FACTS, CITED, passages) == []
    assert origin("doc:notes/a.md") == "doc:notes/a.md" and origin("https://www.b.example/p") == "b.example"


def test_a_conflict_withholds_the_answer_and_ends_the_search() -> None:
    passages = [passage("https://a.example/beethoven", QUOTE + "."),
                passage("https://b.example/bio", "Beethoven died in Vienna on 27 March 1828.")]
    draft = reply("answer", {"answer": "Beethoven died in 1827.", "confidence": "high", "answerable": True,
                             "citations": ["S1"]})
    deps = AudioRAGDeps(None, lambda url: UntrustedDocument(source=url, text=""),  # type: ignore[arg-type]
                        AudioRAGConfig(max_rounds=3), progress=lambda message: None)
    state = AudioRAGState(question="When did Beethoven die?", heard="(none)", passages=passages, searched=["x"])
    with dspy.context(lm=scripted_lm(ScriptedEngine(draft))):
        state = state.model_copy(update=answer_node(state, deps))
    assert state.answer == "Beethoven died in 1827." and len(state.conflicts) == 1
    assert route_after_answer(state, deps) == "__end__"
    report = final_answer(state)
    assert not report.answerable and report.answer is None
    assert "the sources disagree" in report.refusal and "27 March 1828" in report.refusal


def test_an_inflection_does_not_hide_a_conflict() -> None:
    """Sentences compare by stems, as every web tool does: "finishes" is "finished", "sketch" "sketches"."""
    cited = [("https://a.example/mozart", "Mozart finished the Requiem sketches in Vienna in 1791")]
    other = passage("https://b.example/bio", "Mozart finishes the Requiem sketch in Vienna in 1792.")
    [conflict] = find_conflicts(extract_facts("Mozart finished them in 1791."), cited, [other])
    assert (conflict.value, conflict.other_value) == ("1791", "1792")
