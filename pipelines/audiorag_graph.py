"""The AudioRAG LangGraph: listen -> plan queries -> search -> read -> answer (with checked
citations), with one more search round when the sources did not support an answer.

Everything the web returns is untrusted: it reaches the Answerer only as quoted, delimited
passages cut into numbered sentences (`tools.web.evidence`), and the Answerer cites sentence ids, so
a citation is the source's own sentence. A claim of the answer survives only if its names, numbers
and dates are in the cited sentences, they entail it (`tools.web.grounding`, with the configured
`EntailmentChecker`) and it states the kind of fact the question asks for (`tools.web.answer_kind`);
a sentence is citable only from a page tied to the question or the words heard (`tools.web.subject`), so a
misheard clip is not answered from a page about something else. A claim dropped only because the sentences it
cites lack its names, numbers or dates is checked again citing the shown sentences that state them
(`repair_citations`), through the same checks.
When the question is about the clip itself (its instruments, genre, vocals, tempo, key, language),
the listener's confident findings are numbered sentences too, cited as "heard".
No supported answer after the allowed rounds ends in a clear "cannot answer" that says what was
searched and why it failed, never a guess. A round that read a sentence stating the kind of fact asked
about the question's words failed in the answering, not the searching: another round would double the
question's time (docs/benchmarks.md) to show the Answerer other sentences, so it ends there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agents.audiorag_agents import DraftAnswer, ResearchDesk
from agents.audiorag_queries import heard_words, listeners_lines
from agents.entailment import entailment_checker
from agents.lm.adapter import Turn
from agents.lm.errors import ModelError
from pipelines.pipeline import Progress, Update, bind, log_progress
from tools.audio.findings import Finding, relevant_findings
from tools.base import ToolError
from tools.costs import StageCost, StageMeter
from tools.settings import DEFAULT_ENTAILMENT_CHECKER
from tools.web.answer_kind import asked_kinds, states_kind
from tools.web.conflicts import find_conflicts
from tools.web.entailment import FUNCTION_WORDS, EntailmentChecker, anchor_word, topic_words
from tools.web.evidence import (
    SENTENCES_PER_PASSAGE,
    EvidenceSentence,
    number_sentences,
    quote_sentences,
    shares_words,
)
from tools.web.facts import Fact, extract_facts, fact_in
from tools.web.grounding import GroundedAnswer, ground_answer, row_header, spans_stating
from tools.web.injection import FlaggedSource, InjectionScreen
from tools.web.name_conflicts import CitedPage, find_name_conflicts
from tools.web.passages import Passage, UntrustedDocument, select_passages
from tools.web.referents import with_subject
from tools.web.relations import says
from tools.web.search import SearchBackend, SearchResult
from tools.web.stems import split_words, stem, stems
from tools.web.subject import SubjectTie, bridge_names, bridged, off_subject, run_pattern, spelled_as_page, tie


class AudioRAGConfig(BaseModel):
    max_rounds: int = Field(2, ge=1, le=4, description="search rounds before giving up")
    results_per_query: int = Field(5, ge=1, le=10)
    pages_per_round: int = Field(3, ge=0, le=8, description="result pages fetched and read per round")
    passages: int = Field(4, ge=1, le=12, description="passages shown to the Answerer, each as its sentences "
                          "most about the question (its prompt is most of a question's time)")
    sentences_per_passage: int = Field(SENTENCES_PER_PASSAGE, ge=1, le=20,
                                       description="sentences of each passage shown, those most about the question "
                                       "(the Answerer's prompt is most of a question's time: docs/benchmarks.md)")
    screen_injections: bool = Field(True, description="leave out sources whose text addresses the reader; off "
                                    "only to study such pages (quoting as data is then the one defence)")


HEARD_SOURCE = "heard"
"""The `source` of a citation of what the listener heard in the clip (not a web page)."""


class Citation(BaseModel):
    source: str = Field(description="URL or local document id; 'heard' for the listener's findings on the clip")
    title: str = ""
    quote: str = Field(description="the cited sentence, as the source states it")


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
    refusal: str | None = Field(None, description="why there is no answer: what was searched and what failed")
    flagged: list[FlaggedSource] = Field(default_factory=list,
                                         description="sources left unread: their text addresses the reader")
    read_urls: list[str] = Field(default_factory=list, description="the pages fetched and read, in order (a "
                                 "benchmark tells a search failure from a reading failure by them)")
    model_error: str | None = Field(
        None, description="why the language model failed, when it did: the question went unanswered because of "
                          "the model (unreachable, timed out, out of budget), not for want of sources")
    stages: dict[str, StageCost] = Field(default_factory=dict, description="wall and CPU seconds and model tokens "
                                         "of each stage (loading, listening, research, answer, checks)")


class AudioRAGState(BaseModel):
    """One question's research so far: plain data, what a checkpointer would store."""

    question: str
    heard: str = Field(description="what the listeners heard in the clip, as short lines")
    findings: list[Finding] = Field(default_factory=list,
                                    description="the listener's confident findings, citable when asked about")
    transcript: list[Turn] = Field(default_factory=list, description="the desk's conversation so far")
    queries: list[str] = Field(default_factory=list, description="this round's web queries")
    searched: list[str] = Field(default_factory=list, description="every query sent so far, in order")
    results: list[SearchResult] = Field(default_factory=list, description="every search hit so far, no URL twice")
    read_urls: list[str] = Field(default_factory=list, description="pages already fetched and read")
    passages: list[Passage] = Field(default_factory=list, description="the passages shown to the Answerer")
    pages: dict[str, UntrustedDocument] = Field(
        default_factory=dict, description="each page read and not flagged, whole, by source, in the order read: "
        "every round ranks all their passages again beside its new pages, and what ties a cited page and what its "
        "sentences' \"it\" means are read on the whole page, not only on the passages shown")
    flagged: list[FlaggedSource] = Field(default_factory=list,
                                         description="sources whose text addresses the reader; none of it is shown")
    draft: DraftAnswer | None = Field(None, description="the Answerer's last reply; None when nothing was read")
    citations: list[Citation] = Field(default_factory=list, description="the draft's citations that survived the check")
    answer: str | None = Field(None, description="the draft cut down to its grounded claims; None when none held")
    dropped: list[str] = Field(default_factory=list, description="this round's claims dropped, and why")
    off_question: list[str] = Field(default_factory=list, description="why this round's grounded claims do "
                                    "not answer what was asked")
    off_subject: list[str] = Field(default_factory=list, description="why this round's cited sentences of pages "
                                   "about nothing heard or asked were set aside")
    conflicts: list[str] = Field(default_factory=list,
                                 description="another source states a different value for what the answer cites")
    repaired: list[str] = Field(default_factory=list, description="this round's claims kept by citing the shown "
                                "sentence that states them in place of the Answerer's (`repair_citations`)")
    in_sight: str = Field("", description="a sentence this round read that states the kind of fact asked, about "
                          "the question's words (`answer_in_sight`): no other search follows")
    rounds: int = 0
    notes: list[str] = Field(default_factory=list, description="what failed along the way (search, fetches)")


@dataclass(frozen=True)
class AudioRAGDeps:
    """What the nodes use besides the state; the language model comes from `dspy.context`."""

    search: SearchBackend
    read_page: Callable[[str], UntrustedDocument]
    config: AudioRAGConfig = field(default_factory=AudioRAGConfig)
    progress: Progress = log_progress
    entailment: EntailmentChecker = field(default_factory=lambda: entailment_checker(DEFAULT_ENTAILMENT_CHECKER))
    meter: StageMeter = field(default_factory=StageMeter)


def citation_of(sentence: EvidenceSentence) -> Citation:
    """A sentence shown to the Answerer as a citation of its passage."""
    return Citation(source=sentence.passage.source, title=sentence.passage.title, quote=sentence.text)


def cited_sentences(draft: DraftAnswer, sentences: list[EvidenceSentence]) -> list[Citation]:
    """The sentences the draft cites by id (its schema allows only the ids shown), as citations of their passages."""
    by_id = {sentence.id: sentence for sentence in sentences}
    return _once([citation_of(by_id[key]) for key in draft.citations])


def _once(citations: list[Citation]) -> list[Citation]:
    """`citations` without repeats, in order: one sentence read in two passages is cited once."""
    kept: dict[tuple[str, str, str], Citation] = {}
    for citation in citations:
        kept.setdefault((citation.source, citation.title, citation.quote), citation)
    return list(kept.values())


def _page_text(citation: Citation, state: AudioRAGState) -> str:
    """The text read of the cited page: the whole page when it was fetched (session 29's Moby-Dick page repeats
    the words heard in a paragraph that was not among the passages shown), else its passages shown (a search
    result's snippet)."""
    page = state.pages.get(citation.source)
    return page.text if page else "\n\n".join(
        passage.text for passage in state.passages if passage.source == citation.source)


def _page_of(citation: Citation, state: AudioRAGState) -> str:
    """The text read of the cited page, its quote included."""
    return f"{_page_text(citation, state)}\n\n{citation.quote}"


def subject_tie(citation: Citation, state: AudioRAGState) -> SubjectTie:
    """What ties the cited page to the question or the words heard (not a model's guess), every page read
    telling a name heard right from a misheard one (`tools.web.subject.tie`)."""
    read = "\n".join([*(passage.text for passage in state.passages), *(page.text for page in state.pages.values())])
    return tie(citation.title, _page_of(citation, state), state.question, heard_words(state.heard), read)


def on_subject(citations: list[Citation], state: AudioRAGState) -> tuple[list[Citation], list[str]]:
    """The citations of pages tied to the question or the words heard (`tools.web.subject`), and why each
    other page was set aside: a misheard clip is searched and read, and its answer must not come from a
    page about something else. The listener's findings are about the clip itself.

    A chain of sources is followed once: "who composed the piece in the clip, and when did the composer
    die?" cites a page about the piece ("... composed by Ludwig van Beethoven") and a page about the
    composer that never names the piece. A name that a tied citation's own sentence states
    (`bridge_names`) ties a page that states the whole name too (`bridged`); names of pages that are
    themselves untied tie nothing, so a misheard clip still has no way in."""
    ties = [citation.source == HEARD_SOURCE or bool(subject_tie(citation, state))
            for citation in citations]  # by place: one sentence may be quoted by a tied and an untied page
    bridges = [name for citation, tied in zip(citations, ties, strict=True) if tied
               for name in bridge_names(citation.quote)]
    kept, reasons = [], []
    for citation, tied in zip(citations, ties, strict=True):
        if tied or (bridges and bridged(citation.title, _page_of(citation, state), bridges)):
            kept.append(citation)
        elif off_subject(citation.title) not in reasons:
            reasons.append(off_subject(citation.title))
    return kept, reasons


def listener_passage(state: AudioRAGState) -> list[Passage]:
    """The listener's findings on what the question asks about the clip, as one citable passage (none
    when it asks about none of them)."""
    findings = relevant_findings(state.findings, state.question)
    text = "\n\n".join(finding.text for finding in findings)
    return [Passage(source=HEARD_SOURCE, title="what the listener heard in the clip", text=text)] if findings else []


def given_facts(state: AudioRAGState, misheard: Sequence[str] = ()) -> str:
    """What the user supplied (the question, what the listeners heard), whose facts an answer may restate
    without a source; an audio-language model's description is a guess and is left out, and so is each run
    heard that a cited page's title was tied by as `misheard` (`SubjectTie.misheard`): the page's spelling is
    what it states, and "The Taj Mahal was completed in 1999" must not pass on a "Tag Mahal" page."""
    heard = "\n".join(listeners_lines(state.heard))
    for run in misheard:
        heard = run_pattern(run).sub(" ", heard)
    return "\n".join([state.question, heard])


def _header_of(citation: Citation, state: AudioRAGState) -> str | None:
    """The header row of the table whose row `citation` quotes, from its page as read (None for a
    sentence): the Answerer cites the row, and the row states its cells only under their column names."""
    if "|" not in citation.quote:
        return None
    return row_header(citation.quote, _page_text(citation, state))


def read_quote(citation: Citation, state: AudioRAGState) -> str:
    """A cited sentence as the checks read it: with its page's subject named where it says "it" of it
    (`tools.web.referents`); the listener's findings as they are."""
    if citation.source == HEARD_SOURCE:
        return citation.quote
    return with_subject(citation.quote, citation.title, _page_text(citation, state))


def grounded(draft: DraftAnswer, citations: list[Citation], state: AudioRAGState,
             checker: EntailmentChecker) -> tuple[GroundedAnswer, list[Citation]]:
    """The draft cut down to the claims its verified quotes state and entail (`checker`), and the
    citations that state what was kept (all of them when the kept claims name nothing a quote could state).
    A quote is read with its page's subject named where it says "it" of it (`tools.web.referents`), a cited
    table row with its table's header row, and the draft with a name misheard in the clip in the tied page's
    spelling (`spelled_as_page`)."""
    quotes = [read_quote(citation, state) for citation in citations]
    ties = [subject_tie(citation, state) for citation in citations]
    misheard = [found.misheard for found in ties if found.misheard]
    headers = [header for citation in citations if (header := _header_of(citation, state)) and header not in quotes]
    result = ground_answer(spelled_as_page(draft.answer, ties, heard_words(state.heard)),
                           quotes + list(dict.fromkeys(headers)), given_facts(state, misheard),
                           checker if quotes else None, state.question)
    stating = spans_stating(result.kept_facts, quotes) if result.text else []
    return result, [citations[i] for i in stating] or citations


def supported(state: AudioRAGState) -> bool:
    """Whether the Answerer found the answer, a citation survived the quote check and a claim the grounding."""
    return bool(state.draft and state.draft.answerable and state.citations and state.answer and not state.conflicts)


def answer_in_sight(sentences: list[EvidenceSentence], state: AudioRAGState) -> str:
    """The first sentence read from the web that is about the subject itself (its page's title or the sentence
    names what was heard or asked: `tools.web.subject.tie` of the title and that one sentence), shares a word
    with the question or what was said in the clip and states a fact of the kind the question asks for, other
    than those two give ("" when none does, or the question asks for no kind): with such a sentence shown, a
    failed round failed in the answering, and a new search only shows the Answerer other sentences (in the
    bench's twelve items of session 27 no second round found an answer). A page about something else (a
    misheard clip's) proves nothing of the kind, and must not end the search; nor does a sentence that only
    its page ties: "Beethoven died in 1827" on a page that lists the Moonlight Sonata elsewhere is about the
    composer, and a draft that failed beside it may need the page that says who composed the piece (session
    28's moonlight item was refused with it in sight)."""
    kinds, heard = asked_kinds(state.question), heard_words(state.heard)
    if not kinds:
        return ""
    read = "\n".join(passage.text for passage in state.passages)
    return next((sentence.text for sentence in sentences if sentence.passage.source != HEARD_SOURCE
                 and shares_words(sentence.text, f"{state.question} {heard}")
                 and any(states_kind(sentence.text, kind, state.question, heard)
                         and (kind != "date" or dated_as_asked(sentence.text, state.question)) for kind in kinds)
                 and tie(sentence.passage.title, sentence.text, state.question, heard, read)), "")


def dated_as_asked(sentence: str, question: str) -> bool:
    """Whether a date or number of `sentence` is tied to what `question` asks of its subject (`anchor_word`:
    "the bridge *opened* on 24 May 1883" for "when did it open"): "who in 1832, after Beethoven's death,
    likened ..." states a year and names the death, but the year is of no word asked, and session 28's
    moonlight stopped searching on it. A word naming the question's subject ("composer", a topic word)
    ties a date only in its own form or as its verb ("the Brooklyn Bridge *open*" -> "opened"), never as
    a word of the same stem ("Beethoven *composed* the sonata in 1801" is no year of the composer's death).
    A word of the asked relation's family ties a date too ("the Games were *held* in 2000" for "when did Sydney
    *host*": `tools.web.relations`). A table's numbers are tied to their column, not a word before them. A date
    that opens the sentence is tied to the predicate of the clause it introduces ("In 1883, the bridge *opened*":
    session 29's brooklyn notes), never to its subject alone ("In 1883, the bridge was painted")."""
    facts = extract_facts(sentence)
    topics = topic_words(question)
    asked = split_words(question)

    def asks(anchor: str) -> bool:
        return any(says(stems(word), anchor) and (stem(word) not in topics or _inflects(anchor, word))
                   for word in asked)

    def fronted_asks(fact: Fact) -> bool:
        return any(asks(word) and not (stem(word) in topics and word in asked)  # the subject itself ties nothing
                   for word in _introduced(sentence, fact.text))

    return any(fact.kind != "name" and ((anchor := anchor_word(sentence, fact, facts)) and asks(anchor)
                                        or fronted_asks(fact)) for fact in facts)


_INTRODUCING = r"(?:(?:in|on|by|from|since|during|until|after|before|at|around)\s+)?"


def _introduced(sentence: str, value: str) -> list[str]:
    """The content words of the clause that `value` introduces when it opens `sentence` ("In 1883, the bridge
    opened to traffic, ..." -> bridge, opened, traffic); none when the sentence does not open with it."""
    found = re.match(rf"\W*{_INTRODUCING}{re.escape(value)}\s*,\s*([^,;:]*)", sentence, flags=re.IGNORECASE)
    return [word for word in split_words(found.group(1)) if word not in FUNCTION_WORDS] if found else []


def _inflects(form: str, word: str) -> bool:
    """Whether `form` is `word` or a plain inflection of it ("open" -> "opened", "opens", "opening")."""
    return form == word or form in {f"{word}{ending}" for ending in ("s", "es", "d", "ed", "ing")}


def _desk(state: AudioRAGState) -> ResearchDesk:
    """The agents of this question, resuming the conversation the state holds."""
    return ResearchDesk(state.question, state.heard, transcript=state.transcript)


def plan(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """The Researcher's checked queries; after a round without a supported answer, told to search differently
    (and then a query may also name what the last round's passages said)."""
    deps.progress("Researcher: planning web searches")
    agents = _desk(state)
    feedback = None
    if state.rounds:
        feedback = (f"The sources found with {state.queries} did not support an answer. "
                    "Search differently: other names, the original title, a more specific phrase.")
    with deps.meter.stage("research"):
        queries = agents.plan_queries(feedback, read=" ".join(passage.text for passage in state.passages),
                                      searched=state.searched)
    notes = state.notes if queries else [*state.notes, "not searched again: every query the Researcher or the "
                                         "question could give was searched in an earlier round"]
    return {"queries": queries, "notes": notes, "transcript": agents.conversation.transcript}


def route_after_plan(state: AudioRAGState) -> str:
    """Search the plan's queries; with none new to send (`ResearchDesk.plan_queries`), another round would
    read and answer from what the last one did, so the run ends with that round's outcome."""
    return "search" if state.queries else END


def search(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """Run this round's queries; new URLs join the results, a failed query becomes a note."""
    notes, seen = list(state.notes), {result.url for result in state.results}
    fresh: list[SearchResult] = []
    for query in state.queries:
        deps.progress(f"Searching: {query}")
        try:
            with deps.meter.stage("search"):
                found = deps.search.search(query, max_results=deps.config.results_per_query)
        except ToolError as exc:
            notes.append(f"search '{query}': {exc}")
            continue
        for result in found:
            if result.url not in seen:
                seen.add(result.url)
                fresh.append(result)
    return {"results": state.results + fresh, "notes": notes, "searched": state.searched + state.queries}


def read(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """Rank the passages of every page read so far (this round's fetched now) and the snippets of the results
    not read, leaving out every source with text aimed at the reader (`InjectionScreen`) before the Answerer
    can see it; the passages shown are those of pages about the subject first (`subject_first`). A page read
    in an earlier round stays a candidate: a second round often finds the page the first one's names lead
    to (the composer named on the piece's page), and the answer needs both. The whole text of each page read
    and not flagged is kept (`pages`): what ties a page, and what its "it" means, are read there."""
    notes, already, documents = list(state.notes), list(state.read_urls), dict(state.pages)
    for result in [r for r in state.results if r.url not in already][:deps.config.pages_per_round]:
        already.append(result.url)
        deps.progress(f"Reading {result.url}")
        try:
            with deps.meter.stage("fetch"):
                document = deps.read_page(result.url)
            if document.text.strip():  # an empty page states nothing: its search snippet stands for it
                documents[document.source] = document
        except ToolError as exc:
            notes.append(f"read {result.url}: {exc}")
    with deps.meter.stage("read"):
        screen = InjectionScreen({flagged.source: flagged for flagged in state.flagged})
        snippets = [result.as_passage() for result in state.results]
        pages = [passage for document in documents.values() for passage in document.passages()]
        if deps.config.screen_injections:  # one pass over both: a source flagged by its page or its snippet
            screen.screen([*snippets, *pages])  # loses both (a plain snippet of an injected page is its text too)
            snippets, pages = ([passage for passage in group if passage.source not in screen.flagged]
                               for group in (snippets, pages))
        whole = {passage.source for passage in pages}  # a snippet repeats its page's opening: the page is read
        candidates = [snippet for snippet in snippets if snippet.source not in whole] + pages
        question = f"{state.question} {state.heard[:300]}"
        ranked = select_passages(question, candidates, k=len(candidates)) if candidates else []
    unflagged = {source: document for source, document in documents.items() if source not in screen.flagged}
    chosen = subject_first(ranked, state.model_copy(update={"pages": unflagged}))[:deps.config.passages]
    return {"read_urls": already, "passages": chosen, "notes": notes, "flagged": list(screen.flagged.values()),
            "pages": unflagged}


def subject_first(ranked: list[Passage], state: AudioRAGState) -> list[Passage]:
    """`ranked` (best first) with the passages of pages tied to the question or the words heard first
    (`tools.web.subject.tie`, on all of the page that was read), then of pages that state a name of more
    than one word that a tied page states (`bridged`: the composer the piece's page names, whose page need
    name neither the piece nor the question's words), then the rest, each group in its ranked order.

    A cited sentence of an untied page is set aside (`on_subject`) unless a tied citation bridges it, so a
    passage of such a page shown in place of a tied page's is a slot lost: session 29's moonlight item read
    the Beethoven page, but its "Death" passage ranked below the sonata's search snippet and a list of
    works, the Answerer was shown the Carnival of the Animals and Mozart pages in the second round, cited
    them, and was refused."""
    heard = heard_words(state.heard)
    texts: dict[str, list[Passage]] = {}
    for passage in ranked:
        texts.setdefault(passage.source, []).append(passage)
    titles = {source: passages[0].title for source, passages in texts.items()}
    pages = {source: page.text if (page := state.pages.get(source)) else
             "\n\n".join(p.text for p in sorted(passages, key=lambda p: p.index)) for source, passages in texts.items()}
    read = "\n".join(pages.values())
    tied = {source for source, page in pages.items() if tie(titles[source], page, state.question, heard, read)}
    names = [name for source in tied for name in bridge_names(pages[source])]
    hop = {source for source, page in pages.items() if source not in tied and names
           and bridged(titles[source], page, names)}
    return sorted(ranked, key=lambda passage: 0 if passage.source in tied else 1 if passage.source in hop else 2)


def answer(state: AudioRAGState, deps: AudioRAGDeps) -> Update:
    """The Answerer's draft from the numbered sentences of the passages (and of the listener's findings
    when the question is about the clip), which of its claims hold; ends a round."""
    rounds = state.rounds + 1
    sentences = number_sentences(state.passages, f"{state.question} {state.heard[:300]}",
                                 per_passage=deps.config.sentences_per_passage, whole=listener_passage(state))
    if not sentences:  # nothing read (or only blank passages) and nothing heard that the question asks about
        return {"draft": None, "citations": [], "answer": None, "dropped": [], "off_question": [], "off_subject": [],
                "conflicts": [], "repaired": [], "in_sight": "", "rounds": rounds}
    deps.progress("Answerer: writing the answer from the sources")
    agents = _desk(state)
    with deps.meter.stage("answer"):
        draft = agents.answer(quote_sentences(sentences), [sentence.id for sentence in sentences])
    with deps.meter.stage("check"):
        first = check_draft(draft, cited_sentences(draft, sentences), state, deps.entailment)
        final, repaired = repair_citations(draft, first, sentences, state, deps.entailment)
    return {"draft": draft, "citations": final.citations, "answer": final.grounded.text,
            "dropped": final.grounded.reasons(), "off_question": final.grounded.off_question,
            "off_subject": final.off_subject, "conflicts": final.conflicts, "repaired": repaired,
            "in_sight": answer_in_sight(sentences, state), "rounds": rounds,
            "transcript": agents.conversation.transcript}


@dataclass(frozen=True)
class DraftCheck:
    """What the checks made of a draft with a set of citations: its grounded claims (`grounded`), the citations
    that state them, why citations of pages about something else were set aside, and the sources that disagree."""

    cited: list[Citation]
    grounded: GroundedAnswer
    citations: list[Citation]
    off_subject: list[str]
    conflicts: list[str]

    @property
    def kept(self) -> set[str]:
        return {check.claim for check in self.grounded.checks if check.grounded}


def check_draft(draft: DraftAnswer, cited: list[Citation], state: AudioRAGState,
                checker: EntailmentChecker) -> DraftCheck:
    """Every check of a draft citing `cited`: its citations of pages about the subject (`on_subject`), the claims
    they state and entail (`grounded`), and any other source giving another value or name for what the kept claims
    cite (`find_conflicts`, `find_name_conflicts`)."""
    tied, off = on_subject(cited, state)
    checked, citations = grounded(draft, tied, state, checker)
    quoted = [(citation.source, citation.quote) for citation in citations]
    conflicts = [*find_conflicts(checked.kept_facts, quoted, state.passages),
                 *find_name_conflicts(checked.text, given_facts(state), cited_pages(citations, state),
                                      texts_read(state))] if checked.text else []
    return DraftCheck(cited, checked, citations, off, [conflict.describe() for conflict in conflicts])


def repair_citations(draft: DraftAnswer, first: DraftCheck, sentences: list[EvidenceSentence],
                     state: AudioRAGState, checker: EntailmentChecker) -> tuple[DraftCheck, list[str]]:
    """The draft checked again with better citations when a claim was dropped only because the sentences it cited
    lack its names, numbers or dates, and sentences the Answerer was shown state them all: session 32's wall
    claimed "The Great Wall of China is located in China." citing a sentence that does not name the wall, while
    the page's first sentence, shown beside it, states it. Each such sentence (of a page read, not the listener's;
    tied to the subject as `on_subject` ties citations, so no page is set aside for a sentence the Answerer did
    not cite; of no flagged source) is added to the draft's citations and the draft goes through exactly the same
    checks (`check_draft`), nothing loosened: a repaired claim is kept only when
    the sentence now cited states and entails it. A draft that cites nothing has no citation to repair. The
    repair is taken when it keeps every claim the first check kept and more, and finds no conflict the first did
    not (a supported answer never turns into a refusal by it); then the notes say which claim now cites which
    sentence. No language-model call but the entailment checker's."""
    lacking = [check for check in first.grounded.checks if check.missing and not check.off_question]
    if not draft.answerable or not first.cited or not lacking:
        return first, []
    flagged = {source.source for source in state.flagged}
    shown = [citation for citation in _once([citation_of(sentence) for sentence in sentences])
             if citation.source not in (HEARD_SOURCE, *flagged) and citation not in first.cited]
    tied = on_subject([*first.cited, *shown], state)[0]
    stating = {check.claim: [citation for citation in shown if citation in tied and all(
        fact_in(fact, read_quote(citation, state)) for fact in check.missing)] for check in lacking}
    added = _once([citation for found in stating.values() for citation in found])
    if not added:
        return first, []
    second = check_draft(draft, [*first.cited, *added], state, checker)
    if not (first.kept < second.kept and set(second.conflicts) <= set(first.conflicts)):
        return first, []
    return second, [f"repaired a citation: the claim '{claim}' cited no sentence stating "
                    f"{', '.join(repr(fact.text) for fact in check.missing)}; it now cites "
                    + "; ".join(f'"{citation.quote}"' for citation in stating[claim])
                    for check in lacking if (claim := check.claim) in second.kept]


def cited_pages(citations: list[Citation], state: AudioRAGState) -> list[CitedPage]:
    """The cited web sentences with the text read of their pages, as `find_name_conflicts` compares them."""
    return [CitedPage(citation.source, citation.title, citation.quote, _page_text(citation, state))
            for citation in citations if citation.source != HEARD_SOURCE]


def texts_read(state: AudioRAGState) -> list[Passage]:
    """Every text read for the question, as one passage each: the whole of each page read and not flagged, and the
    passages shown of sources not read whole (search snippets). A page that disagrees about a name says so
    anywhere on it, not only in the passages ranked for the Answerer."""
    whole = [Passage(source=page.source, title=page.title, text=page.text) for page in state.pages.values()]
    return whole + [passage for passage in state.passages if passage.source not in state.pages]


def route_after_answer(state: AudioRAGState, deps: AudioRAGDeps) -> str:
    """Done when the answer is supported, the sources disagree (more searching would only pick a side), what
    was read already states the kind of fact asked (`answer_in_sight`) or the rounds are spent; otherwise
    plan another search."""
    if supported(state) or state.conflicts or state.in_sight or state.rounds >= deps.config.max_rounds:
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
    graph.add_conditional_edges("plan", route_after_plan, ["search", END])
    graph.add_edge("search", "read")
    graph.add_edge("read", "answer")
    graph.add_conditional_edges("answer", bind(route_after_answer, deps), ["plan", END])
    return graph.compile()


def why_unanswered(state: AudioRAGState) -> str:
    """The stage at which the last round failed, in words."""
    if state.draft is None:
        return "no sources could be searched or read"
    if not state.draft.answerable:
        heard = " and what the listener heard" if listener_passage(state) else ""
        return f"the Answerer found no answer in the {len(state.passages)} passages{heard} it was shown"
    if not state.citations and state.off_subject:
        return f"it cited only pages about something else: {'; '.join(state.off_subject)}"
    if not state.citations:
        return "the answer cited none of the sentences it was shown, so it was withheld"
    if state.conflicts:
        return "; ".join(state.conflicts)
    if state.off_question:
        return (f"the claims its cited sentences state do not answer the question ({state.off_question[0]}), "
                "so it was withheld")
    return "no claim of the answer was stated and entailed by the sentences it cited, so it was withheld"


def refusal(state: AudioRAGState, why: str) -> str:
    """A "cannot answer" that says what was searched and read, and why that did not suffice."""
    searched = ", ".join(f"'{query}'" for query in state.searched) or "nothing"
    pages = len(state.read_urls)
    return (f"Cannot answer: searched for {searched} and read {pages} page{'s' * (pages != 1)} "
            f"in {state.rounds} round{'s' * (state.rounds != 1)}; {why}.")


def final_answer(state: AudioRAGState, stages: dict[str, StageCost] | None = None) -> AudioRAGAnswer:
    """The report of a finished run: the grounded answer only when supported, else a refusal saying why."""
    ok = supported(state)
    why = "" if ok else why_unanswered(state)
    notes = [*state.notes, *([why] if why else []), *state.repaired, *state.dropped,
             *(reason for reason in state.off_subject if reason not in why)]  # each page set aside, said once
    if state.in_sight and not ok:
        notes.append(f"not searched again: a sentence read states the kind of fact asked (\"{state.in_sight}\"), "
                     "so the round failed in the answering, not the searching")
    if state.flagged:
        notes.append(f"left out {len(state.flagged)} source(s) whose text gives instructions to the reader: "
                     + "; ".join(f"{f.source} ({', '.join(f.signals)})" for f in state.flagged))
    return AudioRAGAnswer(
        question=state.question, answerable=ok, answer=state.answer if ok else None,
        confidence=state.draft.confidence if ok and state.draft else "low",
        citations=state.citations if ok else [], heard=state.heard, queries=state.searched or state.queries,
        notes=notes, rounds=state.rounds, refusal=None if ok else refusal(state, why_unanswered(state)),
        flagged=state.flagged, read_urls=state.read_urls, stages=stages or {})


def answer_question(question: str, heard: str, deps: AudioRAGDeps,
                    findings: list[Finding] | None = None) -> AudioRAGAnswer:
    """Run the graph (`findings`: the listener's, citable when the question asks about the clip); a model
    failure mid-way ends in an unanswered question whose `model_error` says why, so that nobody reads it
    as the sources' failure."""
    try:
        start = AudioRAGState(question=question, heard=heard, findings=findings or [])
        final = build_graph(deps).invoke(start, {"recursion_limit": 50})
    except ModelError as exc:
        return AudioRAGAnswer(question=question, answerable=False, answer=None, confidence="low", citations=[],
                              heard=heard, queries=[], notes=[], rounds=0, model_error=str(exc),
                              stages=deps.meter.snapshot())
    # invoke returns the state's fields as a dict
    return final_answer(AudioRAGState.model_validate(final), deps.meter.snapshot())
