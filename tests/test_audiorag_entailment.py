"""The AudioRAG graph drops the claims their cited sentences do not entail: with the default span rules
and with the language-model checker (scripted), and a draft with nothing entailed ends in a refusal that
says what was searched and why it failed."""

from __future__ import annotations

import dspy

from agents.entailment import LMEntailment
from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines.audiorag_graph import AudioRAGConfig, AudioRAGDeps, AudioRAGState, answer_question
from pipelines.audiorag_graph import answer as answer_node
from tests.studio_script import reply
from tests.test_audiorag_graph import DEATH, HEARD, PLAN, QUESTION, ListedSearch, hit, pages, passage
from tools.web.entailment import SpanRules

NEGATED = reply("answer", {"answer": "Beethoven did not die in Vienna.", "confidence": "high", "answerable": True,
                           "citations": ["S1"]})
SUBJECT = "Beethoven, composer of the Moonlight Sonata"
"""The title of the pages here: the clip named the sonata, so they are about what was heard."""
TWO_CLAIMS = reply("answer", {"answer": "Beethoven died in Vienna. He died in 1827.", "confidence": "high",
                              "answerable": True,
                              "citations": ["S1"]})


def verdict(said: str) -> str:
    return reply("verdict", {"stated": said})


def deps(**fields: object) -> AudioRAGDeps:
    return AudioRAGDeps(ListedSearch({}), pages({}), progress=lambda message: None, **fields)  # type: ignore[arg-type]


def answer_with(*replies: str, **fields: object) -> tuple[ScriptedEngine, dict]:
    engine = ScriptedEngine(*replies)
    with dspy.context(lm=scripted_lm(engine)):
        update = answer_node(AudioRAGState(question=QUESTION, heard=HEARD, passages=[
            passage("https://a.example/d", DEATH, SUBJECT)]), deps(**fields))
    return engine, update


def test_the_default_rules_drop_a_negated_claim_whose_quote_and_facts_are_genuine() -> None:
    assert isinstance(deps().entailment, SpanRules)
    engine, update = answer_with(NEGATED)
    assert len(update["citations"]) == 1  # the quote is verbatim and names Beethoven and Vienna
    assert update["answer"] is None and len(engine.requests) == 1  # the rules ask the model nothing
    assert update["dropped"] == ["dropped the claim 'Beethoven did not die in Vienna.': the quoted source spans do "
                                 "not entail it (the spans and the claim differ in negation)"]


def test_the_language_model_checker_is_asked_once_per_claim_and_its_no_drops_the_claim() -> None:
    engine, update = answer_with(TWO_CLAIMS, verdict("yes"), verdict("no"), entailment=LMEntailment())
    assert update["answer"] == "Beethoven died in Vienna."
    assert update["dropped"] == ["dropped the claim 'He died in 1827.': the quoted source spans do not entail it "
                                 "(the language model found that the quoted spans do not state it)"]
    checks = [request.messages[-1].text for request in engine.requests[1:]]
    assert len(checks) == 2 and all('"Beethoven died in Vienna on 26 March 1827."' in text for text in checks)
    assert "Beethoven died in Vienna." in checks[0] and "He died in 1827." in checks[1]
    shown = [message.text or "" for request in engine.requests[1:] for message in request.messages]
    assert not any("SOURCE" in text for text in shown)  # a fresh conversation: not the Answerer's transcript


def test_nothing_entailed_ends_in_a_refusal_that_says_what_was_searched_and_why() -> None:
    backend = ListedSearch({"Moonlight Sonata composer death year": [hit("https://a.example/death", snippet=DEATH)]})
    engine = ScriptedEngine(PLAN, NEGATED)
    with dspy.context(lm=scripted_lm(engine)):
        result = answer_question(QUESTION, HEARD, AudioRAGDeps(backend, pages({"https://a.example/death": DEATH},
                                                                              SUBJECT),
                                                               AudioRAGConfig(max_rounds=1),
                                                               progress=lambda message: None))
    assert not result.answerable and result.answer is None and result.citations == []
    why = "no claim of the answer was stated and entailed by the sentences it cited, so it was withheld"
    assert result.refusal == ("Cannot answer: searched for 'Moonlight Sonata composer death year' and read 1 page "
                              f"in 1 round; {why}.")
    assert any("differ in negation" in note for note in result.notes)
