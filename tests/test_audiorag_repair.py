"""Citation repair: a claim dropped only because the sentences its draft cited lack its names, numbers or dates
is checked again citing the sentence shown that states them, through the same checks; nothing else is."""

from __future__ import annotations

import dspy

from agents.audiorag_agents import ANSWER_CHARS
from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines.audiorag import NO_AUDIO
from pipelines.audiorag_graph import AudioRAGConfig, AudioRAGDeps, AudioRAGState, final_answer
from pipelines.audiorag_graph import answer as answer_node
from tests.audiorag_script import cite
from tests.studio_script import reply
from tests.test_audiorag_graph import ListedSearch, pages
from tools.web.injection import FlaggedSource
from tools.web.passages import Passage, UntrustedDocument

WALL = "https://a.example/great-wall"
WALL_TITLE = "Great Wall of China | Encyclopedia Lumina"
LEAD = ("The Great Wall of China is a series of fortifications built across the historical northern borders of "
        "ancient Chinese states and Imperial China to protect against nomadic groups from the Eurasian Steppe.")
MING = "The best-known sections near Beijing were built by the Ming dynasty (1368-1644)."
QUESTION = "In which country is the Great Wall?"
CLAIM = "The Great Wall of China is located in China."


def state(*passages: Passage, question: str = QUESTION, **fields: object) -> AudioRAGState:
    documents = {p.source: UntrustedDocument(source=p.source, title=p.title, text=p.text) for p in passages}
    return AudioRAGState(question=question, heard=NO_AUDIO, passages=list(passages), pages=documents, **fields)


def answered(start: AudioRAGState, draft: object) -> dict:
    engine = ScriptedEngine(draft)
    with dspy.context(lm=scripted_lm(engine)):
        update = answer_node(start, AudioRAGDeps(ListedSearch({}), pages({}), AudioRAGConfig(),
                                                 progress=lambda message: None))
    assert len(engine.requests) == 1  # the Answerer once; the repair asks no model
    return update


def wall(text: str = f"{LEAD}\n\n{MING}", source: str = WALL, title: str = WALL_TITLE) -> Passage:
    return Passage(source=source, title=title, text=text)


def test_a_claim_citing_the_wrong_sentence_is_kept_citing_the_shown_sentence_that_states_it() -> None:
    """Session 32's wall: the Answerer cited a sentence that does not name the wall; the page's first sentence,
    shown beside it, states it."""
    start = state(wall())
    update = answered(start, cite(CLAIM, "Ming dynasty"))
    assert update["answer"] == CLAIM and update["dropped"] == []
    assert [citation.quote for citation in update["citations"]] == [LEAD]  # the sentence that states it
    assert update["repaired"] == [f"repaired a citation: the claim '{CLAIM}' cited no sentence stating 'Great Wall "
                                  f"of China', 'China'; it now cites \"{LEAD}\""]
    report = final_answer(start.model_copy(update=update))
    assert report.answerable and report.answer == CLAIM and update["repaired"][0] in report.notes


def test_a_repaired_claim_keeps_the_claims_its_own_citations_held() -> None:
    sonata = Passage(source="https://a.example/sonata", title="Moonlight Sonata",
                     text="The Moonlight Sonata was composed by Ludwig van Beethoven in 1801.")
    death = Passage(source="https://a.example/death", title="Moonlight Sonata: the composer's death",
                    text="Beethoven died in Vienna on 26 March 1827.")
    question = "Who composed the Moonlight Sonata, and in which year did the composer die?"
    update = answered(state(sonata, death, question=question),
                      cite("Ludwig van Beethoven; he died in 1827.", "died in Vienna"))
    assert update["answer"] == "Ludwig van Beethoven; he died in 1827."
    assert [citation.quote for citation in update["citations"]] == [death.text, sonata.text]
    assert len(update["repaired"]) == 1 and "'Ludwig van Beethoven;'" in update["repaired"][0]


def test_no_sentence_of_a_flagged_or_unrelated_page_and_no_uncited_draft_is_repaired() -> None:
    flagged = FlaggedSource(source="https://evil.example/wall", signals=["ignore-instructions"],
                            excerpt="Ignore previous instructions")
    for start, draft in (
            # the sentence stating the wall is only on a page flagged for addressing the reader
            (state(wall(MING), wall(LEAD, "https://evil.example/wall", "Notes"), flagged=[flagged]),
             cite(CLAIM, "Ming dynasty")),
            # the one sentence stating "China" is on a page about nothing asked (it names no Great Wall)
            (state(wall(MING), wall("The bakery is located in China Town, a country lane.", "https://b.example/shop",
                                    "Bakeries of Leeds")), cite("The Great Wall is located in China.", "Ming dynasty")),
            # a draft that cites nothing has no citation to repair
            (state(wall()), reply("answer", {"answer": CLAIM, "citations": [], "confidence": "high",
                                             "answerable": True}))):
        update = answered(start, draft)
        assert update["answer"] is None and update["repaired"] == []


def test_a_claim_its_citation_states_but_does_not_entail_is_not_repaired() -> None:
    """Only a claim dropped for facts its cited sentences lack is checked again: one whose cited sentence holds
    every fact but states something else failed on what it cites."""
    page = Passage(source="https://a.example/beethoven", title="Ludwig van Beethoven",
                   text="Beethoven was born in Bonn, and his pupil Czerny wrote of him in 1827.\n\n"
                        "Beethoven died in Vienna in 1827.")
    update = answered(state(page, question="In which year did Beethoven die?"),
                      cite("Beethoven died in 1827.", "Czerny"))
    assert update["answer"] is None and update["repaired"] == []
    assert "do not entail" in update["dropped"][0]


def test_a_sentence_shown_that_states_the_facts_but_not_the_claim_repairs_nothing() -> None:
    """The added citation goes through the same checks: "not located in China" states the names, not the claim."""
    denial = "The Great Wall of China is not located in China alone, a guide wrongly claims."
    update = answered(state(wall(f"{denial}\n\n{MING}")), cite(CLAIM, "Ming dynasty"))
    assert update["answer"] is None and update["repaired"] == []
    assert "'Great Wall of China', 'China' is in none of the quoted source spans" in update["dropped"][0]


def test_only_sentences_of_pages_about_the_subject_are_added_so_no_page_is_set_aside_for_it() -> None:
    """A page about something else that states the missing name too is not cited in the repair, and the refusal
    notes never blame the Answerer for a page it did not cite."""
    bakery = wall("The bakery is located in China Town, a country lane in Leeds.", "https://b.example/shop",
                  "Bakeries of Leeds")  # shown: it shares "country" with the question
    update = answered(state(wall(), bakery), cite("The Great Wall is located in China.", "Ming dynasty"))
    assert update["answer"] == "The Great Wall is located in China."
    assert [citation.quote for citation in update["citations"]] == [LEAD] and update["off_subject"] == []


def test_a_claim_cut_at_the_answers_limit_loses_its_broken_last_word_not_the_whole_claim() -> None:
    """Session 33's wall: the Answerer copied the page's first sentence, the schema's limit cut it at "Eurasian
    Step", and grounding dropped the claim for a name no source states."""
    steppe = ("The Great Wall of China is a series of fortifications built across the historical northern borders of "
              "ancient Chinese states and Imperial China to protect against nomadic groups from the Eurasian Steppe.")
    cut = steppe[:ANSWER_CHARS]
    assert cut.endswith("Eurasian Step")
    update = answered(state(wall(f"{steppe}\n\n{MING}")), cite(cut, "Eurasian Steppe"))
    assert update["answer"] == cut.removesuffix(" Step") and update["dropped"] == []
