"""The AudioRAG LangGraph: listen -> plan queries -> search -> read -> answer (with checked
citations), with one more search round when the sources did not support an answer.

Everything the web returns is untrusted: it reaches the Answerer only as quoted, delimited
passages, and a citation survives only if its quote really occurs in the passage it names. No
supported answer after the allowed rounds ends in a clear "cannot answer", never a guess.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.audiorag_agents import ResearchDesk
from agents.lm.adapter import Turn
from agents.lm.errors import ModelError
from tools.base import ToolError
from tools.web.passages import Passage, UntrustedDocument, neutralise, quote_for_prompt, select_passages
from tools.web.search import SearchBackend, SearchResult

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


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


class AudioRAGState(TypedDict, total=False):
    question: str
    heard: str
    transcript: list[dict[str, str]]
    queries: list[str]
    results: list[dict[str, Any]]
    read_urls: list[str]
    passages: list[dict[str, Any]]
    draft: dict[str, Any] | None
    citations: list[dict[str, Any]]
    rounds: int
    notes: list[str]
    done: bool


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


def checked_citations(draft: dict[str, Any], passages: list[Passage]) -> list[Citation]:
    """The draft's citations whose quote its named passage supports (`supports`); the rest are dropped."""
    kept = []
    for citation in draft.get("citations", []):
        number, quote = citation["source"], citation["quote"]
        if not 1 <= number <= len(passages) or len(_normalised(quote)) < 3:
            continue
        passage = passages[number - 1]
        if supports(quote, passage.text) or supports(quote, neutralise(passage.text)):
            kept.append(Citation(source=passage.source, title=passage.title, quote=quote))
    return kept


def supported(state: AudioRAGState) -> bool:
    """Whether the Answerer found the answer and at least one citation survived the check."""
    draft = state.get("draft")
    return bool(draft and draft["answerable"] and state.get("citations"))


def build_graph(search: SearchBackend, read_page: Callable[[str], UntrustedDocument],
                config: AudioRAGConfig | None = None, progress: Progress | None = None):
    """Compile the graph for one question; listening happens before, its summary is `heard`."""
    config = config or AudioRAGConfig()
    say = progress or (lambda message: logger.info(message))

    def desk(state: AudioRAGState) -> ResearchDesk:
        return ResearchDesk(state["question"], state["heard"],
                            transcript=[Turn.model_validate(t) for t in state.get("transcript", [])])

    def plan(state: AudioRAGState) -> dict[str, Any]:
        say("Researcher: planning web searches")
        agents = desk(state)
        feedback = None
        if state.get("rounds", 0):
            feedback = (f"The sources found with {state['queries']} did not support an answer. "
                        "Search differently: other names, the original title, a more specific phrase.")
        queries = agents.plan_queries(feedback)
        return {"queries": queries, "transcript": [t.model_dump() for t in agents.conversation.transcript]}

    def search_node(state: AudioRAGState) -> dict[str, Any]:
        notes, seen = list(state.get("notes", [])), {r["url"] for r in state.get("results", [])}
        fresh: list[SearchResult] = []
        for query in state["queries"]:
            say(f"Searching: {query}")
            try:
                found = search.search(query, max_results=config.results_per_query)
            except ToolError as exc:
                notes.append(f"search '{query}': {exc}")
                continue
            for result in found:
                if result.url not in seen:
                    seen.add(result.url)
                    fresh.append(result)
        return {"results": state.get("results", []) + [r.model_dump(mode="json") for r in fresh], "notes": notes}

    def read(state: AudioRAGState) -> dict[str, Any]:
        """Rank the snippets of every result so far plus the passages of this round's pages."""
        notes, already = list(state.get("notes", [])), list(state.get("read_urls", []))
        results = [SearchResult.model_validate(r) for r in state.get("results", [])]
        candidates = [result.as_passage() for result in results]
        for result in [r for r in results if r.url not in already][:config.pages_per_round]:
            already.append(result.url)
            say(f"Reading {result.url}")
            try:
                candidates += read_page(result.url).passages()
            except ToolError as exc:
                notes.append(f"read {result.url}: {exc}")
        question = f"{state['question']} {state['heard'][:300]}"
        chosen = select_passages(question, candidates, k=config.passages) if candidates else []
        return {"read_urls": already, "passages": [p.model_dump(mode="json") for p in chosen], "notes": notes}

    def answer(state: AudioRAGState) -> dict[str, Any]:
        passages = [Passage.model_validate(p) for p in state.get("passages", [])]
        rounds = state.get("rounds", 0) + 1
        if not passages:
            return {"draft": None, "citations": [], "rounds": rounds}
        say("Answerer: writing the answer from the sources")
        agents = desk(state)
        draft = agents.answer(quote_for_prompt(passages), len(passages))
        citations = checked_citations(draft, passages)
        return {"draft": draft, "citations": [c.model_dump() for c in citations], "rounds": rounds,
                "transcript": [t.model_dump() for t in agents.conversation.transcript]}

    def route_after_answer(state: AudioRAGState) -> str:
        if supported(state) or state.get("rounds", 0) >= config.max_rounds:
            return END
        return "plan"

    graph = StateGraph(AudioRAGState)
    graph.add_node("plan", plan)
    graph.add_node("search", search_node)
    graph.add_node("read", read)
    graph.add_node("answer", answer)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "search")
    graph.add_edge("search", "read")
    graph.add_edge("read", "answer")
    graph.add_conditional_edges("answer", route_after_answer, ["plan", END])
    return graph.compile()


def answer_question(question: str, heard: str, search: SearchBackend, read_page: Callable[[str], UntrustedDocument],
                    config: AudioRAGConfig | None = None, progress: Progress | None = None) -> AudioRAGAnswer:
    """Run the graph; a model failure mid-way ends in a "cannot answer" that says why."""
    graph = build_graph(search, read_page, config, progress)
    try:
        final = graph.invoke({"question": question, "heard": heard, "rounds": 0, "notes": []},
                             {"recursion_limit": 50})
    except ModelError as exc:
        return AudioRAGAnswer(question=question, answerable=False, answer=None, confidence="low", citations=[],
                              heard=heard, queries=[], notes=[f"model: {exc}"], rounds=0)
    draft = final.get("draft") or {}
    ok = supported(final)
    notes = list(final.get("notes", []))
    if draft.get("answerable") and not final.get("citations"):
        notes.append("the answer's quotes were not found in the sources it cited, so it was withheld")
    if not final.get("passages"):
        notes.append("no sources could be searched or read")
    return AudioRAGAnswer(
        question=question, answerable=ok, answer=draft.get("answer") if ok else None,
        confidence=draft.get("confidence", "low") if ok else "low",
        citations=[Citation.model_validate(c) for c in final.get("citations", [])] if ok else [],
        heard=heard, queries=final.get("queries", []), notes=notes, rounds=final.get("rounds", 0))
