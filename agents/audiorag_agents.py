"""The AudioRAG agents: a Researcher who turns what was heard and asked into web queries, and an
Answerer who may only state what a quoted source supports.

Both speak in one conversation (so the embedded model's KV cache is reused across the turns of
one question), under a system message that says once that sources are data (so it is reused across
questions). Retrieved text reaches them only inside `quote_for_prompt`'s delimiters, marked as data,
their sentences numbered; the Answerer's schema lets a citation name only a sentence that was shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field, create_model

from agents.audiorag_queries import fallback_query, review_queries, was_searched, with_subject
from agents.conversation import Conversation, Role
from agents.lm.adapter import Turn
from tools.web.passages import UNTRUSTED_NOTE

PREAMBLE = (
    "This is a research desk that answers questions about audio clips. A listener has described the "
    "clip; a researcher searches the web; an answerer writes the answer from quoted sources only. "
    f"{UNTRUSTED_NOTE} Every answer is one JSON object."
)
"""The same for every call of every question, and first in every prompt: the note on untrusted sources lives
here, so that the embedded model's KV cache keeps it from one question to the next. The roles' rules stay in
their turns: in a bench run with them only in the system message the 1.5B Answerer restated a misheard title
as a fact (the moby item, docs/benchmarks.md); one item proves little, but they stay where they were measured."""

RESEARCHER = Role(
    "Researcher",
    "Your anxiety is searching for the wrong thing: a query must name what was actually heard (names, "
    "titles, quoted words, the piece) and what the question asks, not generic words.",
)
ANSWERER = Role(
    "Answerer",
    "Your anxiety is an unsupported claim: your answer is one short sentence that the sentences you cite "
    "state, in their words, and every name, number and date you write must appear in them. If no sentence "
    "says it, you answer that it cannot be answered.",
)
JUDGE = Role(
    "Judge",
    "Your anxiety is a wrong grade either way: a prediction that states the reference answer's fact is "
    "correct, even paraphrased or with extra correct detail; one that states a different or vaguer fact, "
    "or no answer, is wrong.",
)


class Brief(BaseModel):
    question: str
    heard: str


MAX_QUERIES = 3
"""Queries a round sends at most."""


class QueryPlan(BaseModel):
    queries: list[str] = Field(min_length=1, max_length=MAX_QUERIES, description="web search queries, best first")


class Verdict(BaseModel):
    correct: bool


Confidence = Literal["high", "medium", "low"]
"""How sure the Answerer is that the sources answer the question."""


ANSWER_CHARS = 200
"""The longest claim an Answerer writes; one that fills it was cut there while decoding."""


class DraftAnswer(BaseModel):
    """The Answerer's reply: a short claim and the ids of the numbered sentences that state it ([S1], ...)."""

    answer: str
    citations: list[str]
    confidence: Confidence
    answerable: bool


def whole_words(claim: str) -> str:
    """A claim that filled `ANSWER_CHARS` without its last word, which the limit cut: the model copying
    a long sentence wrote "... nomadic groups from the Eurasian Step", and grounding then dropped the
    whole claim, since "Eurasian Step" is a name no source states (the Great Wall's "Eurasian Steppe")."""
    if len(claim) < ANSWER_CHARS or " " not in claim.strip():
        return claim
    return claim.rstrip().rsplit(" ", 1)[0].rstrip(" ,;:-")


def answer_schema(sentence_ids: Sequence[str]) -> type[BaseModel]:
    """Answers whose citations can only be ids of the sentences shown: the cited text is then the
    source's own sentence, never the model's copy of it."""
    ids = tuple(sentence_ids) or ("S1",)
    return create_model(  # the verdict comes last: a small model decides better after writing the answer
        "Answer",
        answer=(str, Field(max_length=ANSWER_CHARS, description="the answer in one short sentence, worded as the cited "
                                                       "sentences say it")),
        # A Literal of run-time values: a valid type for pydantic, but no static type a checker can read.
        citations=(list[Literal[ids]], Field(max_length=3, description="ids of the sentences that state "  # type: ignore[valid-type]
                                                                      "the answer")),
        confidence=(Confidence, ...),
        answerable=(bool, Field(description="false when the sentences do not contain the answer")),
    )


class ResearchDesk:
    """The agents of one question, sharing a conversation."""

    def __init__(self, question: str, heard: str, *, transcript: list[Turn] | None = None) -> None:
        self.question, self.heard = question, heard
        self.conversation = Conversation(PREAMBLE, Brief(question=question, heard=heard), transcript=transcript)

    def plan_queries(self, feedback: str | None = None, read: str = "", searched: Sequence[str] = ()) -> list[str]:
        """Up to three checked queries (`review_queries`, against what was heard, asked and `read`, none
        of them `searched` in an earlier round): the Researcher is asked once more when none is usable,
        then the question itself is the query, unless an earlier round searched it (then there is nothing
        new to search: none, where the bench's moby item sent the same query in both rounds). A plan that
        names nothing said in the clip or named in the question gets the subject's own query first
        (`with_subject`)."""
        context = f"{self.question}\n{self.heard}\n{read}"
        review = review_queries(self._ask_queries(feedback).queries, context, searched)
        if not review.queries:
            retry = (f"None of those queries can be sent: {'; '.join(review.problems)}. Write real search "
                     "queries with the names, titles and words of what was heard and what is asked.")
            review = review_queries(self._ask_queries(retry).queries, context, searched)
        fallback = fallback_query(self.question, self.heard)
        queries = review.queries or ([] if was_searched(fallback, searched) else [fallback])
        return with_subject(queries, self.question, self.heard, limit=MAX_QUERIES, searched=searched)

    def _ask_queries(self, feedback: str | None) -> QueryPlan:
        task = "Write up to three web search queries that would find the answer."
        plan: QueryPlan = self.conversation.ask(RESEARCHER, task, "plan", QueryPlan, 120, feedback)
        return plan

    def answer(self, quoted_sentences: str, sentence_ids: Sequence[str]) -> DraftAnswer:
        """The draft from the numbered sentences (`evidence.quote_sentences`), citing their ids."""
        value = self.conversation.ask(
            ANSWERER, f"Answer the question from these numbered sentences only; cite the ids ([S1], ...) of "
                      f"the sentences that state the answer.\n{quoted_sentences}", "answer",
            answer_schema(sentence_ids), 250, temperature=0.0)
        draft = DraftAnswer.model_validate(value.model_dump(mode="json"))
        return draft.model_copy(update={"answer": whole_words(draft.answer)})


def judge(question: str, reference: str, prediction: str) -> bool:
    """An LLM judge's verdict on one prediction (a fresh conversation per item, so grades are independent)."""
    conversation = Conversation(PREAMBLE, Brief(question=question, heard="(grading)"))
    verdict = conversation.ask(JUDGE, f"Reference answer: {reference}\nPredicted answer: {prediction}\n"
                               "Is the prediction correct?", "verdict", Verdict, 20, temperature=0.0)
    return verdict.correct
