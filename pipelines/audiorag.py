"""AudioRAG: answer a question about an audio clip that needs outside knowledge, citing sources.

    python -m pipelines.audiorag clip.wav "Who composed this and when did they die?"
    python -m pipelines.audiorag clip.mp3 "What is this song about?" --search-backend local --docs-dir notes/
    python -m pipelines.audiorag --text "Who composed the Moonlight Sonata?"   # no audio: the question alone
    python -m pipelines.audiorag talk.wav "What is the speaker's name?" --language en   # the clip's language

The clip is heard locally (Whisper, descriptors, musicnn's music tags, the recording index, an
audio-language model if configured); the agents search the web (SearXNG by default, `GO_SEARXNG_URL`),
read the best pages and answer from quoted passages only. Without supporting sources the answer is "cannot answer".
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import dspy
from rich.console import Console
from rich.markup import escape

from agents.audiorag_queries import AUDIO_LLM_SAYS
from agents.entailment import entailment_checker
from agents.lm.accounted import AccountedLM
from agents.lm.errors import ModelError
from agents.lm.factory import build_lm
from agents.lm.usage import UsageLedger
from pipelines.audiorag_graph import AudioRAGAnswer, AudioRAGConfig, AudioRAGDeps, answer_question
from pipelines.pipeline import Progress, log_progress
from tools.audio.findings import Finding, listener_findings
from tools.base import ToolError
from tools.cli import print_error
from tools.costs import StageMeter
from tools.files import OutputLocationError, checked_output_file, naming, write_atomically
from tools.interrupts import INTERRUPTED, exit_promptly, interruptible
from tools.settings import Settings
from tools.web.fetch import PageFetcher, document_from_page
from tools.web.passages import UntrustedDocument
from tools.web.search import SearchBackend, build_search

if TYPE_CHECKING:
    from tools.audio.tool import AudioObservation

MAX_QUESTION_CHARS = 2_000
MUSIC_TAGS_SAY = "music tags (musicnn taggers; likelihoods 0-1, not certainties):"
NO_AUDIO = "(no audio was given; only the question)"


class QuestionError(ValueError):
    """The question is empty, too long or not text."""


def clean_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise QuestionError("The question is empty; ask something about the clip, e.g. 'Who composed this?'.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(question):,} characters; keep it under {MAX_QUESTION_CHARS:,}.")
    return question


def checked_language(code: str | None) -> str | None:
    """`--language` as Whisper takes it: a two- or three-letter ISO 639 code, lower case."""
    if code is None:
        return None
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise QuestionError(f"--language {code!r} is not an ISO 639-1 code; give two letters such as en, de or fr.")
    return code


def describe_observation(observation: AudioObservation) -> str:
    """What the listeners heard, as short lines for the agents (model outputs marked as such)."""
    d = observation.descriptors
    lines = [f"a {observation.duration_s:.0f} s clip; it sounds like: {observation.kind}"]
    if observation.transcript and observation.transcript.text:
        language = observation.transcript.language or "unknown language"
        lines.append(f"speech ({language}, transcribed by Whisper): \"{observation.transcript.text[:1200]}\"")
    if observation.identification and observation.identification.match:
        match = observation.identification.match
        described = ", ".join(f"{k}: {v}" for k, v in match.metadata.model_dump().items() if v)
        lines.append(f"matches a known recording ({described}; score {match.score:.2f})")
    musical = [f"key {d.key}" if d.key else "", f"tempo about {d.tempo_bpm:.0f} bpm" if d.tempo_bpm else ""]
    if any(musical) and observation.kind in ("music", "speech over music"):
        lines.append("music: " + ", ".join(part for part in musical if part))
    if observation.music_tags:
        lines.append(f"{MUSIC_TAGS_SAY} {observation.music_tags.summary()}")
    if observation.audio_llm:
        lines.append(f"{AUDIO_LLM_SAYS} \"{observation.audio_llm.text[:800]}\"")
    lines += [f"note: {warning}" for warning in observation.warnings]
    return "\n".join(lines)


def page_reader(settings: Settings, backend: SearchBackend) -> Callable[[str], UntrustedDocument]:
    """Local document ids (`doc:...`) are read from the collection, everything else fetched safely."""
    fetcher = PageFetcher.from_settings(settings)

    def read(url: str) -> UntrustedDocument:
        if url.startswith("doc:") and hasattr(backend, "read"):
            return backend.read(url)
        return document_from_page(fetcher.fetch(url))

    return read


def ask(question: str, audio: Path | None, settings: Settings, *, config: AudioRAGConfig | None = None,
        progress: Progress | None = None, ledger: UsageLedger | None = None,
        lm: dspy.LM | None = None, language: str | None = None) -> AudioRAGAnswer:
    """Listen (unless `audio` is None), then research and answer (with `lm`, or the configured model).

    `language` (ISO 639-1) is the language spoken in the clip when the user knows it; otherwise Whisper
    detects it, weighing the language the question is written in. The question is Whisper's initial prompt.
    The answer's `stages` say what each stage cost (a model loads only on a process's first question)."""
    question = clean_question(question)
    say = progress or (lambda message: None)
    findings: list[Finding] = []
    ledger = lm.ledger if isinstance(lm, AccountedLM) else ledger or UsageLedger()
    meter = StageMeter(ledger.totals)
    if lm is None:
        say("Loading the language model")
        with meter.stage("load_lm"):  # once per process
            lm = build_lm(settings, ledger=ledger)
    if audio is None:
        heard = NO_AUDIO
    else:
        from tools.audio.language import question_language
        from tools.audio.tool import ListenRequest, ListenTool  # loads the audio stack only when listening

        say("Listening")
        request = ListenRequest(path=str(audio), language=language, prompt=question,
                                language_hint=None if language else question_language(question))
        observation = interruptible(lambda: ListenTool(settings)(request), "listen")  # Whisper, taggers: long C calls
        meter.merge(observation.stages, prefix="listen.")
        heard, findings = describe_observation(observation), listener_findings(observation)
    backend = build_search(settings)
    deps = AudioRAGDeps(backend, page_reader(settings, backend), config or AudioRAGConfig(), progress or log_progress,
                        entailment_checker(settings.entailment_checker), meter)
    with dspy.context(lm=lm):
        return answer_question(question, heard, deps, findings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.audiorag", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio", nargs="?", type=Path, help="WAV, FLAC, OGG or MP3 clip")
    parser.add_argument("question", nargs="?", help="the question about the clip")
    parser.add_argument("--text", help="ask without audio (the question alone)")
    parser.add_argument("--language", help="ISO 639-1 code of the speech in the clip (e.g. en); default: Whisper "
                        "detects it, weighing the question's language")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    parser.add_argument("--search-backend", choices=["searxng", "brave", "local"])
    parser.add_argument("--searxng-url")
    parser.add_argument("--docs-dir", type=Path, help="local documents (with --search-backend local)")
    parser.add_argument("--allow-private-fetch", action="store_true", default=None,
                        help="let the fetcher reach private and loopback addresses (e.g. an intranet)")
    parser.add_argument("--entailment", choices=["rules", "lm"],
                        help="how the answer's claims are checked against their quotes (GO_ENTAILMENT_CHECKER)")
    parser.add_argument("--json", type=Path, help="also write the answer as JSON to this file")
    parser.add_argument("--verify-weights", action="store_true", default=None,
                        help="hash the embedded weights even if checked within the day (GO_VERIFY_WEIGHTS=1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    console = Console(stderr=True)
    try:
        if args.text is not None:
            question, audio = args.text, None
        elif args.audio is not None and args.question is not None:
            question, audio = args.question, args.audio
        else:
            raise QuestionError("Give a clip and a question, or --text \"question\".")
        language = checked_language(args.language)
        if args.json is not None:
            with naming("--json"):
                checked_output_file(args.json)
        settings = Settings.from_env(model=args.model, search_backend=args.search_backend,
                                     searxng_url=args.searxng_url, docs_dir=args.docs_dir,
                                     allow_private_fetch=args.allow_private_fetch, entailment_checker=args.entailment,
                                     verify_weights=args.verify_weights).with_checked_cache()
        with console.status("Starting...") as status:
            result = ask(question, audio, settings, progress=lambda message: status.update(message),
                         language=language)
    except (QuestionError, OutputLocationError, ModelError, ToolError, ValueError) as exc:
        print_error(console, str(exc))
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        return INTERRUPTED
    _print_answer(console, result)
    if args.json is not None:  # after printing: a write that still fails cannot lose the answer
        try:
            write_atomically(args.json.parent, {args.json.name: result.model_dump_json(indent=2)})
        except OSError as exc:
            print_error(console, f"the answer above was not saved to {args.json}: {exc.strerror or exc}")
            return 2
    if result.model_error:
        return 2
    return 0 if result.answerable else 1


def _print_answer(console: Console, result: AudioRAGAnswer) -> None:
    """The answer and its citations on stdout; what was heard, the confidence and notes on stderr."""
    console.print(f"[bold]Heard:[/bold] {escape(result.heard)}")
    for flagged in result.flagged:
        console.print(f"[yellow]left out[/yellow] {escape(flagged.source)}: it gives the reader instructions "
                      f"({escape(', '.join(flagged.signals))})")
    if result.model_error:
        print_error(console, f"the model failed, not the sources: {result.model_error}")
    elif result.answerable:
        print(result.answer)
        for number, citation in enumerate(result.citations, start=1):
            print(f"  [{number}] {citation.source}: \"{citation.quote}\"")
        console.print(f"confidence: {result.confidence}; queries: {escape(json.dumps(result.queries))}")
    else:
        print(result.refusal)
    for note in [] if result.answerable else result.notes:
        console.print(f"  - {escape(note)}")


if __name__ == "__main__":
    exit_promptly(main())
