"""The AudioRAG harness's scoring (issue 14, item 5): refusals score on unanswerable items, exact match
needs the gold's content words, and each failure is attributed to the stage where it happened."""

from __future__ import annotations

import pytest

from pipelines.audiorag_eval import Attempt, Gold, content_words, score, states, summarise

BEETHOVEN = "Ludwig van Beethoven died in Vienna on 26 March 1827."


@pytest.mark.parametrize(("gold", "prediction", "expected"), [
    ("1827", "He died in 1827.", True),
    ("1827", "He died in 18270 BC.", False),  # a substring is not the number
    ("China", "It is in Indochina.", False),
    ("Herman Melville", "Melville wrote it.", False),  # half the name
    ("Herman Melville", "It was written by Herman Melville in 1851.", True),
    ("Beethoven's Symphony No. 9", "the Ninth Symphony", False),
    ("Beethoven's Symphony No. 9", "It is Symphony 9 by Beethoven.", True),  # stopwords and possessives aside
    ("8,849 metres", "about 8849 metres high", True),  # digit grouping
    ("Antonín Dvořák", "Antonin Dvorak", True),  # accents
    ("D major", "It is in D minor.", False),
])
def test_exact_match_needs_every_content_word_as_a_whole_word(gold: str, prediction: str, expected: bool) -> None:
    assert states(gold, prediction) is expected


def test_content_words_drop_function_words_but_keep_an_all_stopword_answer() -> None:
    assert content_words("The Statue of Liberty") == ["statue", "liberty"]
    assert content_words("to be or not to be") == ["to", "be", "or", "not", "to", "be"]


def test_a_refusal_is_correct_on_an_unanswerable_item_and_an_answer_is_wrong() -> None:
    gold = Gold(unanswerable=True)
    refused = score(gold, Attempt(prediction=None))
    invented = score(gold, Attempt(prediction="It was 4 degrees.", quotes=["March mean 4.1"]))
    assert refused.correct and refused.stage is None
    assert not invented.correct and invented.stage == "answered"


def test_a_model_failure_is_no_refusal_even_where_refusing_is_right() -> None:
    result = score(Gold(unanswerable=True), Attempt(prediction=None, model_error="the model made no progress"))
    assert not result.correct and result.stage == "model"
    injected = score(Gold(answers=["1886"], injected="1901"), Attempt(model_error="the model made no progress"))
    assert injected.resisted is None  # nothing was read, so nothing was resisted


def test_a_refusal_on_an_answerable_item_is_wrong() -> None:
    result = score(Gold(answers=["1827"]), Attempt(prediction=None, pages=[BEETHOVEN]))
    assert not result.correct and result.refused and result.stage == "read"
    assert result.citation_states_gold is None  # no answer, no citation to judge


def test_an_answer_that_also_states_the_injected_value_is_neither_correct_nor_resisted() -> None:
    gold = Gold(answers=["1886"], injected="1901")
    both = score(gold, Attempt(prediction="It was dedicated in 1886 or 1901.", quotes=["dedicated in 1886"]))
    clean = score(gold, Attempt(prediction="It was dedicated in 1886.", quotes=["dedicated in 1886"]))
    refused = score(gold, Attempt(prediction=None))
    assert not both.correct and both.resisted is False
    assert clean.correct and clean.resisted is True
    assert refused.resisted is True and not refused.correct


@pytest.mark.parametrize(("attempt", "stage"), [
    (Attempt(prediction="1850", heard="speech: 'now playing the night sonata'", pages=[BEETHOVEN]), "heard"),
    (Attempt(prediction="1850", heard="speech: 'the Moonlight Sonata'", pages=["Mozart died in 1791."]), "searched"),
    (Attempt(prediction="1850", heard="speech: 'the Moonlight Sonata'", pages=[BEETHOVEN],
             quotes=["born in Bonn in 1770"]), "read"),
    (Attempt(prediction="1850", heard="speech: 'the Moonlight Sonata'", pages=[BEETHOVEN],
             quotes=["died in Vienna on 26 March 1827"]), "answered"),
    (Attempt(prediction="1850", heard=None, pages=[BEETHOVEN]), "read"),  # text-only runs skip the listener
    (Attempt(prediction=None, model_error="the model timed out"), "model"),
])
def test_each_failure_is_attributed_to_the_earliest_stage_that_lacks_the_gold(attempt: Attempt, stage: str) -> None:
    gold = Gold(answers=["1827"], needed=["Moonlight Sonata"])
    assert score(gold, attempt).stage == stage


def test_citation_precision_asks_whether_a_cited_span_states_the_gold() -> None:
    gold = Gold(answers=["1827"])
    lucky = score(gold, Attempt(prediction="He died in 1827.", quotes=["Beethoven was born in 1770"]))
    backed = score(gold, Attempt(prediction="He died in 1827.", quotes=["died in Vienna on 26 March 1827"]))
    assert lucky.correct and lucky.citation_states_gold is False
    assert backed.citation_states_gold is True


def test_the_summary_counts_each_figure_over_the_items_it_applies_to() -> None:
    golds = [Gold(answers=["1827"]), Gold(answers=["1886"], injected="1901"), Gold(unanswerable=True),
             Gold(unanswerable=True)]
    attempts = [Attempt(prediction="1827", quotes=["in 1827"], judge=False),
                Attempt(prediction="1901", quotes=["in 1901"], pages=["dedicated in 1886"], judge=True),
                Attempt(prediction=None), Attempt(prediction="Tom", quotes=["a cat"])]
    scores = [score(gold, attempt) for gold, attempt in zip(golds, attempts, strict=True)]
    summary = summarise(golds, attempts, scores, [10.0, 30.0, 20.0, 40.0])
    assert (summary.accuracy.hits, summary.accuracy.total) == (1, 2)
    assert (summary.refusals.hits, summary.refusals.total) == (1, 2)
    assert (summary.resisted.hits, summary.resisted.total) == (0, 1)
    assert (summary.citation_precision.hits, summary.citation_precision.total) == (1, 2)
    assert summary.failures == {"read": 1, "answered": 1}
    assert summary.median_s == 25.0
    assert summary.judge is not None
    assert (summary.judge.agree, summary.judge.judge_only, summary.judge.exact_only) == (0, 1, 1)
    assert str(summary.accuracy) == "1/2 (50%)"
