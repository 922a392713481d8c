"""The Researcher's queries are checked: template words, empty, repeated and off-topic queries are
refused, the Researcher is asked once more, and then the question itself becomes the query."""

from __future__ import annotations

import dspy
import pytest
from langgraph.graph import END

from agents.audiorag_queries import as_query, content_words, fallback_query, review_queries, subject_terms, with_subject
from agents.lm.testing import ScriptedEngine, scripted_lm
from pipelines.audiorag_graph import AudioRAGConfig, AudioRAGDeps, AudioRAGState, plan, route_after_plan
from tests.studio_script import reply
from tools.web.passages import UntrustedDocument

HEARD = 'a 6 s clip; it sounds like: speech\nspeech (en, transcribed by Whisper): "Now playing: the Moonlight Sonata."'
QUESTION = "In which year did the composer of the piece announced in this clip die?"
CONTEXT = f"{QUESTION}\n{HEARD}"


class NoSearch:
    name = "none"

    def search(self, query: str, *, max_results: int = 5) -> list:
        raise AssertionError("planning searches nothing")

    def close(self) -> None:
        pass


def no_page(url: str) -> UntrustedDocument:
    raise AssertionError("planning reads nothing")


def planned(*replies: str, question: str = QUESTION, heard: str = HEARD) -> tuple[list[str], ScriptedEngine]:
    engine = ScriptedEngine(*replies)
    deps = AudioRAGDeps(NoSearch(), no_page, AudioRAGConfig(), progress=lambda message: None)
    with dspy.context(lm=scripted_lm(engine)):
        update = plan(AudioRAGState(question=question, heard=heard), deps)
    return update["queries"], engine


def queries(*texts: str) -> str:
    return reply("plan", {"queries": list(texts)})


def test_a_plan_keeps_only_queries_that_are_queries() -> None:
    review = review_queries(["best first query", "  ", "Moonlight Sonata composer", "moonlight  SONATA composer",
                             "weather forecast tomorrow", "<composer name> death year", "composed Moonlight"], CONTEXT)
    assert review.queries == ["Moonlight Sonata composer", "composed Moonlight"]  # "composed" ~ "composer"
    assert review.problems == [
        "'best first query' contains template or placeholder words", "an empty query",
        "'moonlight SONATA composer' repeats another query",
        "'weather forecast tomorrow' names nothing that was heard or asked",
        "'<composer name> death year' contains template or placeholder words"]


def test_the_listeners_report_copied_into_a_query_is_refused() -> None:
    """Seen on the bench: the Researcher searched its own report's header and a description of the clip."""
    copied = ["speech (en, transcribed by Whisper): 'Chapter 1. Call me this mail.'",
              "audio clip 'speech over music' at weddings", "author of the novel read in this clip eat"]
    review = review_queries([*copied, "Moby-Dick author"], "Call me Ishmael. Who wrote the novel (Moby-Dick)?")
    assert review.queries == ["Moby-Dick author"]
    assert review.problems == [f"'{query}' contains template or placeholder words" for query in copied]


def test_words_about_searching_or_the_clip_share_nothing() -> None:
    assert review_queries(["web search results", "audio clip announced"], CONTEXT).queries == []
    assert content_words("Did the composer of THE piece die?") == ["composer", "piece", "die"]


def test_a_usable_plan_is_sent_without_asking_again() -> None:
    sent, engine = planned(queries("best first query", "Moonlight Sonata composer death"))
    assert sent == ["Moonlight Sonata composer death"] and len(engine.requests) == 1


def test_an_unusable_plan_is_asked_once_more_with_its_problems() -> None:
    sent, engine = planned(queries("best first query", "best first query"), queries("Moonlight Sonata composer"))
    assert sent == ["Moonlight Sonata composer"]
    retry = engine.requests[1].messages[-1].text
    assert "'best first query' contains template or placeholder words" in retry and "repeats" in retry


def test_two_unusable_plans_fall_back_to_the_question_and_the_names_heard() -> None:
    sent, engine = planned(queries("query 1", ""), queries("weather forecast"))
    assert len(engine.requests) == 2  # one re-ask, no more
    assert sent == ["Moonlight Sonata playing year composer piece die"]
    assert fallback_query(QUESTION, HEARD) == sent[0]
    assert fallback_query("Who wrote this?", "a 3 s clip; it sounds like: silence") == "wrote"
    assert fallback_query("Who?", "silence") == "Who?"


def test_a_possessive_is_its_owner_s_name_in_a_fallback_query() -> None:
    heard = 'the speech said "Beethoven"'
    assert subject_terms("Who was Beethoven's teacher?", heard) == ["Beethoven"]
    assert fallback_query("Who was Beethoven's teacher?", heard) == "Beethoven teacher"


def test_a_query_searched_in_an_earlier_round_is_not_sent_again() -> None:
    """The bench's swan item searched "instrument plays melody piece" in both rounds."""
    review = review_queries(["Moonlight Sonata composer", "Beethoven death year"], CONTEXT,
                            searched=["moonlight sonata  COMPOSER"])
    assert review.queries == ["Beethoven death year"]
    assert review.problems == ["'Moonlight Sonata composer' was already searched and did not find the answer"]
    engine = ScriptedEngine(queries("Moonlight Sonata composer"), queries("Moonlight Sonata composer death"))
    deps = AudioRAGDeps(NoSearch(), no_page, AudioRAGConfig(), progress=lambda message: None)
    state = AudioRAGState(question=QUESTION, heard=HEARD, queries=["Moonlight Sonata composer"],
                          searched=["Moonlight Sonata composer"], rounds=1)
    with dspy.context(lm=scripted_lm(engine)):
        update = plan(state, deps)
    assert update["queries"] == ["Moonlight Sonata composer death"] and len(engine.requests) == 2
    assert "already searched" in engine.requests[1].messages[-1].text


def test_a_fallback_query_searched_in_an_earlier_round_ends_the_search() -> None:
    """The bench's moby item sent its fallback query in both rounds, then read and answered what it had."""
    fallback = fallback_query(QUESTION, HEARD)
    engine = ScriptedEngine(queries("query 1"), queries("weather forecast"))
    deps = AudioRAGDeps(NoSearch(), no_page, AudioRAGConfig(), progress=lambda message: None)
    state = AudioRAGState(question=QUESTION, heard=HEARD, queries=[fallback], searched=[fallback.upper()], rounds=1)
    with dspy.context(lm=scripted_lm(engine)):
        update = plan(state, deps)
    assert update["queries"] == [] and len(engine.requests) == 2
    assert any("not searched again" in note for note in update["notes"])
    assert route_after_plan(state.model_copy(update={"queries": []})) == END
    assert route_after_plan(state) == "search"


SWAN_HEARD = ('a 23 s clip; it sounds like: speech over music\n'
              'speech (en, transcribed by Whisper): "from the carnival of the animals, here is the swan."')
SWAN_QUESTION = "Which instrument plays the melody of the piece in this clip?"


def test_a_plan_that_names_nothing_said_in_the_clip_gets_the_subjects_query_first() -> None:
    """The bench's swan item: Whisper wrote the titles in lower case and the Researcher searched
    "instrument plays melody piece" (the question's words only), which found nothing about the piece."""
    assert subject_terms(SWAN_QUESTION, SWAN_HEARD) == ["carnival", "animals", "swan"]
    sent, engine = planned(queries("instrument plays melody piece", "melody instrument"),
                           question=SWAN_QUESTION, heard=SWAN_HEARD)
    assert sent == ["carnival animals swan instrument plays melody piece", "instrument plays melody piece",
                    "melody instrument"]
    assert len(engine.requests) == 1  # amended without asking again
    kept, _ = planned(queries("Swan Carnival of the Animals melody"), question=SWAN_QUESTION, heard=SWAN_HEARD)
    assert kept == ["Swan Carnival of the Animals melody"]


def test_a_title_named_in_the_question_must_be_in_a_query() -> None:
    question = "Which instrument plays the melody of The Swan from The Carnival of the Animals?"
    heard = "(no audio was given; only the question)"
    assert subject_terms(question, heard) == ["The Swan", "The Carnival of the Animals"]
    assert with_subject(["solo instrument melody", "melody instrument", "plays melody"], question, heard,
                        limit=3) == ["The Swan The Carnival of the Animals instrument plays melody",
                                     "solo instrument melody", "melody instrument"]
    assert with_subject(["swan melody"], question, heard, limit=3) == ["swan melody"]


def test_a_round_after_one_that_named_the_subject_may_follow_what_was_read() -> None:
    assert with_subject(["Saint-Saens cello"], SWAN_QUESTION, SWAN_HEARD, limit=3,
                        searched=["carnival of the animals"]) == ["Saint-Saens cello"]
    music = "a 20 s clip; it sounds like: music\nmusic: key G major"
    assert with_subject(["melody instrument"], SWAN_QUESTION, music, limit=3) == ["melody instrument"]


def test_an_audio_language_models_guess_is_not_the_subject_a_plan_must_name() -> None:
    """A guessed "Mozart" would become the forced first query of every plan."""
    heard = f'{SWAN_HEARD}\nan audio-language model says: "a cello piece by Mozart"'
    assert subject_terms(SWAN_QUESTION, heard) == ["carnival", "animals", "swan"]
    assert with_subject(["carnival swan melody"], SWAN_QUESTION, heard, limit=3) == ["carnival swan melody"]


@pytest.mark.parametrize(("written", "sent"), [
    ("search for 'chapter 1 call me a schmail' in english literature",
     "chapter 1 call me a schmail english literature"),
    ("Search for: Moonlight Sonata composer", "Moonlight Sonata composer"),
    ("look up \u201cGreat Wall\u201d location", "Great Wall location"),
    ("find out when the Brooklyn Bridge opened", "when the Brooklyn Bridge opened"),
    ("  Moonlight   Sonata composer ", "Moonlight Sonata composer"),
    ("Search engines of the 1990s", "Search engines of the 1990s"),  # a subject, not an instruction
    ("Finding Nemo director", "Finding Nemo director"),
    ("Google founders", "Google founders"),
])
def test_a_query_written_as_an_instruction_to_search_is_sent_as_what_it_asks_for(written: str, sent: str) -> None:
    assert as_query(written) == sent


def test_an_unwrapped_query_is_reviewed_as_the_engine_gets_it() -> None:
    review = review_queries(["search for 'call me Ishmael' in novels", "look up Moby-Dick author"],
                            "Call me Ishmael. Who wrote the novel (Moby-Dick)?")
    assert review.queries == ["call me Ishmael novels", "Moby-Dick author"]
