"""The AudioRAG LangGraph: listen -> plan queries -> search -> read -> answer (with checked
citations), with one more search round when the sources did not support an answer.

Everything the web returns is untrusted: it reaches the Answerer only as quoted, delimited
passages, and a citation survives only if its quote really occurs in the passage it names. No
supported answer after the allowed rounds ends in a clear "cannot answer", never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agents.audiorag_agents import DraftAnswer, ResearchDesk
from agents.lm.adapter import Turn
from agents.lm.errors import ModelError
from pipelines.pipeline import Progress, Update, bind, log_progress
from tools.base import ToolError
from tools.web.passages import Passage, UntrustedDocument, neutralise, quote_for_prompt, select_passages
from tools.web.search import SearchBackend, SearchResult


class AudioRAGConfig(BaseModel):
    max_rounds: int = Field(2, ge=1, le=4, description="search rounds before giving up")
    results_per_query: int = Field(5, ge=1, le=10)
    pages_per_round: int = Field(3, ge=0, le=8, description="result pages fetched and read per round")
    passages: int = Field(6, ge=1, le=12, description="passages shown to the Answerer")


class Citation(BaseModel):
    source: str = Field(description="URL or local document id")
    title: str = ""
    quote: str


class AudioRAGAnswer(BaseModel):
    question: str
    answerable: bool
    answer: str | None
    confidence: str
    citations: list[Citation]
    heard: str
    queries: list[str]
    notes: list[str] = Field(default_factory=list, description="what failed along the way (search, fetches)")
    rounds: int
    model_error: str | None = Field(
        None, description="why the language model failed, when it did: the question went unanswered because of "
                          "the model (unreachable, timed out, out of budget), not for want of sources")


class AudioRAGState(BaseModel):
    """One question's research so far: plain data, what a checkpointer would store."""

    question: str
    heard: str = Field(description="what the listeners heard in the clip, as short lines")
    transcript: list[Turn] = Field(default_factory=list, description="the desk's conversation so far")
    queries: list[str] = Field(default_factory=list, description="this round's web queries")
    results: list[SearchResult] = Field(default_factory=list, description="every search hit so far, no URL twice")
    read_urls: list[str] = Field(default_factory=list, description="pages already fetched and read")
    passages: list[Passage] = Field(default_factory=list, description="the passages shown to the Answerer")
    draft: DraftAnswer | None = Field(None, description="the Answerer's last reply; None when nothing was read")
    citations: list[Citation] = Field(default_factory=list, description="the draft's citations that survived the check")
    rounds: int = 0
    notes: list[str] = Field(default_factory=list, description="what failed along the way (search, fetches)")


@dataclass(frozen=True)
class AudioRAGDeps:
    """What the nodes use besides the state; the language model comes from `dspy.context`."""

    search: SearchBackend
    read_page: Callable[[str], UntrustedDocument]
    config: AudioRAGConfig = field(default_factory=AudioRAGConfig)
    progress: Progress = log_progress


def _normalised(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split()).strip(" \"'.,;:")


QUOTE_WORD_RECALL = 0.85
"""Share of a quote's words its passage must contain when the quote is not verbatim."""


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def supports(quote: str, passage: str) -> bool:
    """Whether `passage` backs `quote`: verbatim (case, spacing and quote marks aside), or nearly so
    for small models that trim a word: 85% of the quote's words and every number in it occur."""
    if _normalised(quote) in _normalised(passage):
        return True
    words, available = _words(quote), set(_words(passage))
    if len(words) < 3 or any(word.isdigit() and word not in available for word in words):
        return False
    return sum(word in available for word in words) >= QUOTE_WORD_RECALL * len(words)


def checked_citations(draft: DraftAnswer, passages: list[Passage]) -> list[Citation]:
    """The draft's citations whose quote its named passage supports (`supports`); the rest are dropped."""
    kept = []
    for citation in draft.citations:
        number, quote = citation.source, citation.quote
        if not 1 <= number <= len(passages) or len(_normalised(quote)) < 3:
            continue
        passage = passages[number - 1]
        if supports(quote, passage.text) or supports(quote, neutralise(passage.text)):
            kept.append(Citation(source=passage.source, title=passage.title, quote=quote))
    return kept


def supported(state: AudioRAGState) -> bool:
    """Whether the Answerer found the answer and at least one citation survived the check."""
    return bool(state.draft and state.draft.answerable and state.citations)


def _desk(state: AudioRAGState) -> ResearchDesk:
    """The agents of this question, resuming the conversation the state holds."""
    return ResearchDesk(state.question, state.heard, transcript=state.transcript)


def plan(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """The Researcher's queries; after a round without a supported answer, told to search differently."""
    deps.progress("Researcher: planning web searches")
    agents = _desk(state)
    feedback = None
    if state.rounds:
        feedback = (f"The sources found with {state.queries} did not support an answer. "
                    "Search differently: other names, the original title, a more specific phrase.")
    queries = agents.plan_queries(feedback)
    return {"queries": queries, "transcript": agents.conversation.transcript}


def search(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """Run this round's queries; new URLs join the results, a failed query becomes a note."""
    notes, seen = list(state.notes), {result.url for result in state.results}
    fresh: list[SearchResult] = []
    for query in state.queries:
        deps.progress(f"Searching: {query}")
        try:
            found = deps.search.search(query, max_results=deps.config.results_per_query)
        except ToolError as exc:
            notes.append(f"search '{query}': {exc}")
            continue
        for result in found:
            if result.url not in seen:
                seen.add(result.url)
                fresh.append(result)
    return {"results": state.results + fresh, "notes": notes}


def read(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """Rank the snippets of every result so far plus the passages of this round's pages."""
    notes, already = list(state.notes), list(state.read_urls)
    candidates = [result.as_passage() for result in state.results]
    for result in [r for r in state.results if r.url not in already][:deps.config.pages_per_round]:
        already.append(result.url)
        deps.progress(f"Reading {result.url}")
        try:
            candidates += deps.read_page(result.url).passages()
        except ToolError as exc:
            notes.append(f"read {result.url}: {exc}")
    question = f"{state.question} {state.heard[:300]}"
    chosen = select_passages(question, candidates, k=deps.config.passages) if candidates else []
    return {"read_urls": already, "passages": chosen, "notes": notes}


def answer(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """The Answerer's draft from the quoted passages, and which of its citations hold; ends a round."""
    rounds = state.rounds + 1
    if not state.passages:
        return {"draft": None, "citations": [], "rounds": rounds}
    deps.progress("Answerer: writing the answer from the sources")
    agents = _desk(state)
    draft = agents.answer(quote_for_prompt(state.passages), len(state.passages))
    return {"draft": draft, "citations": checked_citations(draft, state.passages), "rounds": rounds,
            "transcript": agents.conversation.transcript}


def route_after_answer(state: AudioRAGState, deps: AudioRAGDeps) -> str:
    """Done when the answer is supported or the rounds are spent; otherwise plan another search."""
    if supported(state) or state.rounds >= deps.config.max_rounds:
        return END
    return "plan"


def build_graph(deps: AudioRAGDeps) -> CompiledStateGraph:
    """Compile the graph for one question; listening happens before, its summary is `heard`."""
    graph = StateGraph(AudioRAGState)
    graph.add_node("plan", bind(plan, deps))
    graph.add_node("search", bind(search, deps))
    graph.add_node("read", bind(read, deps))
    graph.add_node("answer", bind(answer, deps))
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "search")
    graph.add_edge("search", "read")
    graph.add_edge("read", "answer")
    graph.add_conditional_edges("answer", bind(route_after_answer, deps), ["plan", END])
    return graph.compile()


def final_answer(state: AudioRAGState) -> AudioRAGAnswer:
    """The report of a finished run: the answer only when supported, and notes saying why not."""
    ok = supported(state)
    notes = list(state.notes)
    if state.draft and state.draft.answerable and not state.citations:
        notes.append("the answer's quotes were not found in the sources it cited, so it was withheld")
    if not state.passages:
        notes.append("no sources could be searched or read")
    return AudioRAGAnswer(
        question=state.question, answerable=ok, answer=state.draft.answer if ok and state.draft else None,
        confidence=state.draft.confidence if ok and state.draft else "low",
        citations=state.citations if ok else [], heard=state.heard, queries=state.queries, notes=notes,
        rounds=state.rounds)


def answer_question(question: str, heard: str, deps: AudioRAGDeps) -> AudioRAGAnswer:
    """Run the graph; a model failure mid-way ends in an unanswered question whose `model_error`
    says why, so that nobody reads it as the sources' failure."""
    try:
        final = build_graph(deps).invoke(AudioRAGState(question=question, heard=heard), {"recursion_limit": 50})
    except ModelError as exc:
        return AudioRAGAnswer(question=question, answerable=False, answer=None, confidence="low", citations=[],
                              heard=heard, queries=[], notes=[], rounds=0, model_error=str(exc))
    return final_answer(AudioRAGState.model_validate(final))  # invoke returns the state's fields as a dict
