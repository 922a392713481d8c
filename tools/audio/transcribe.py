"""Speech to text with faster-whisper on the CPU, from packaged weights only.

Whisper decodes only what the voice detector (Silero VAD, `tools.audio.vad`) marks as speech:
each region, padded and joined across short pauses, is transcribed on its own and its segment
times shifted back to file time. Music and silence then cost nothing and cannot be turned into
invented words, timestamps stay exact, and a long recording is processed span by span with
progress. A span longer than `chunk_s` (a lecture without pauses) is cut at its quietest moment
near each limit, so a word is rarely split. The language is detected on the first span that
yields words and kept for the rest.

(faster-whisper's own `vad_filter` glues all speech into one stream instead; on a 6-minute file
of music with eight short announcements it kept only two of them.)
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from tools.audio.errors import TranscriptionError
from tools.audio.language import candidate_languages, fluency
from tools.audio.load import TARGET_RATE, Audio, ProgressCallback, resample
from tools.audio.vad import SpeechActivity, detect_speech
from tools.audio.whisper_weights import WHISPER_MODELS, whisper_model_dir
from tools.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_S = 300.0
_BOUNDARY_SEARCH_S = 10.0
_FRAME_S = 0.05
_PAD_S = 0.3  # around each speech region: VAD edges clip word onsets
_JOIN_GAP_S = 1.0  # pauses shorter than this stay inside one span


class TranscriptSegment(BaseModel):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str
    avg_logprob: float = Field(description="Mean token log-probability; below about -1 the text is unreliable.")
    no_speech_prob: float = Field(ge=0, le=1)


class Transcript(BaseModel):
    """What was said, when, and in which language."""

    model: str = Field(description="Packaged Whisper model that produced it (tiny, base).")
    language: str | None = Field(description="ISO 639-1 code; None when nothing was said and none was given.")
    language_detected: bool = Field(description="False when the language was given, or fixed by an English-only model.")
    language_probability: float = Field(ge=0, le=1, description="The detector's confidence (1.0 when not detected).")
    duration_s: float = Field(ge=0)
    segments: list[TranscriptSegment]

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments).strip()


_models: dict[tuple[str, Path, int], Any] = {}
_models_lock = threading.Lock()

SAMPLING_SEED = 0
"""The seed of Whisper's sampled decodings. Where a beam search decodes badly (a low log-probability
or a repeating loop), faster-whisper decodes again by sampling at rising temperatures, and
CTranslate2 draws those samples from a generator each of its threads seeds on first use. Unseeded,
the same clip came back differently on each run ("metal of Big Man" and "bells of big man"), and
which language won an unsure detection (`_decode_weighing_hint`) changed with it. Seeded as each
model loads, a run of the same clips in the same order transcribes them the same way."""


def whisper_model(settings: Settings) -> Any:
    """The loaded `faster_whisper.WhisperModel` for `settings.whisper_model` (one per process)."""
    threads = settings.threads or 0  # 0: CTranslate2 picks
    key = (settings.whisper_model, settings.cache_dir, threads)
    with _models_lock:
        if key not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder never needs the hub; make sure
            import ctranslate2
            from faster_whisper import WhisperModel

            ctranslate2.set_random_seed(SAMPLING_SEED)  # before the model's threads first sample
            folder = whisper_model_dir(settings.whisper_model, settings.cache_dir, verify=settings.verify_weights)
            logger.info("Loading Whisper %s from %s", settings.whisper_model, folder)
            _models[key] = WhisperModel(
                str(folder), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
            )
        return _models[key]


def chunk_bounds(samples: np.ndarray, rate: int, chunk_s: float) -> list[tuple[int, int]]:
    """Cut points no more than `chunk_s` apart, each at the quietest 50 ms in the last 10 s before the limit."""
    limit = round(chunk_s * rate)
    frame = max(1, round(_FRAME_S * rate))
    bounds, start = [], 0
    while len(samples) - start > limit:
        search_from = start + max(frame, limit - round(_BOUNDARY_SEARCH_S * rate))
        region = samples[search_from : start + limit]
        usable = len(region) // frame * frame
        energy = np.square(region[:usable], dtype=np.float64).reshape(-1, frame).sum(axis=1)
        cut = search_from + int(np.argmin(energy)) * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(samples)))
    return bounds


def speech_spans(speech: SpeechActivity, samples: np.ndarray, rate: int, chunk_s: float) -> list[tuple[int, int]]:
    """Sample ranges to transcribe: the voice detector's regions, padded, joined across short
    pauses, and cut at quiet moments where one would exceed `chunk_s`."""
    pad, join = round(_PAD_S * rate), round(_JOIN_GAP_S * rate)
    merged: list[list[int]] = []
    for region in speech.regions:
        start, end = max(0, round(region.start_s * rate) - pad), min(len(samples), round(region.end_s * rate) + pad)
        if merged and start - merged[-1][1] <= join:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [
        (start + a, start + b)
        for start, end in merged
        for a, b in chunk_bounds(samples[start:end], rate, chunk_s)
    ]


def _decode_weighing_hint(model: Any, span: np.ndarray, hint: str, beam_size: int,
                          prompt: str | None) -> tuple[Any, Any]:
    """Decode `span` in Whisper's most likely language, and also in `hint` when Whisper is unsure; the more
    fluent decoding wins (`tools.audio.language`). Its info reports the chosen language with the probability
    Whisper gave it."""
    _, _, probabilities = model.detect_language(audio=span)
    detected = dict(probabilities)
    decodings = []
    for candidate in candidate_languages(detected, hint):
        pieces, _ = model.transcribe(span, language=candidate, beam_size=beam_size, condition_on_previous_text=False,
                                     initial_prompt=prompt)
        pieces = list(pieces)
        score = fluency([(piece.end - piece.start, piece.avg_logprob) for piece in pieces])
        decodings.append((score, candidate, pieces))
        logger.info("Whisper decoding in %s (detected %.3f): fluency %.3f", candidate, detected[candidate], score)
    _, chosen, pieces = max(decodings, key=lambda decoding: decoding[0])
    return pieces, ChosenLanguage(chosen, detected[chosen])


@dataclass(frozen=True)
class ChosenLanguage:
    """The two fields `transcribe` reads of faster-whisper's info, for a language chosen among decodings."""

    language: str
    language_probability: float


def transcribe(
    audio: Audio,
    settings: Settings,
    *,
    speech: SpeechActivity | None = None,
    language: str | None = None,
    language_hint: str | None = None,
    prompt: str | None = None,
    beam_size: int = 5,
    chunk_s: float = DEFAULT_CHUNK_S,
    progress: ProgressCallback | None = None,
) -> Transcript:
    """Transcribe the spoken parts of `audio` with the packaged Whisper model `settings.whisper_model`.

    Only the regions the voice detector marks as speech are decoded (pass `speech` if it was
    already computed), so music and silence cost nothing and cannot be turned into invented
    words; segment times are in file time. `language` (ISO 639-1) skips detection; tiny.en is
    English only (another language is an error). `language_hint`, the language the user asked in, competes
    with Whisper's own detection where Whisper is unsure (`tools.audio.language`). `prompt`, the user's question,
    is Whisper's initial prompt for every span: written prose in the words the user typed, it steers the decoding
    toward their spelling and toward sentences (on the AudioRAG bench's clips it kept the names of 3 of 10 clips
    instead of 2 and cut the word error rate from 0.47 to 0.40: docs/benchmarks.md).
    `progress("transcribe", fraction)` follows the speech decoded so far.
    """
    if not WHISPER_MODELS[settings.whisper_model].multilingual:
        if language not in (None, "en"):
            raise TranscriptionError(
                f"Whisper {settings.whisper_model!r} understands only English, not {language!r}: "
                "set GO_WHISPER_MODEL=base for other languages."
            )
        language = "en"
    detect = language is None
    samples = resample(audio.samples, audio.sample_rate, TARGET_RATE)
    speech = speech or detect_speech(Audio(samples, TARGET_RATE))
    spans = speech_spans(speech, samples, TARGET_RATE, chunk_s)
    total = sum(end - start for start, end in spans)
    segments: list[TranscriptSegment] = []
    language_probability, done = 1.0, 0
    for start, end in spans:
        offset = start / TARGET_RATE
        model = whisper_model(settings)  # loaded on the first span only (cached), never for a file without speech
        span = samples[start:end]
        try:
            if language is None and language_hint is not None:
                pieces, info = _decode_weighing_hint(model, span, language_hint, beam_size, prompt)
            else:
                pieces, info = model.transcribe(
                    span, language=language, beam_size=beam_size, condition_on_previous_text=False,
                    initial_prompt=prompt,
                )
            for piece in pieces:
                segments.append(
                    TranscriptSegment(
                        start_s=round(offset + piece.start, 3),
                        end_s=round(min(end / TARGET_RATE, offset + piece.end), 3),
                        text=piece.text.strip(),
                        avg_logprob=piece.avg_logprob,
                        no_speech_prob=piece.no_speech_prob,
                    )
                )
                if progress is not None:
                    progress("transcribe", min(1.0, (done + piece.end * TARGET_RATE) / total))
        except (RuntimeError, ValueError) as exc:
            raise TranscriptionError(f"Whisper {settings.whisper_model} failed at {offset:.0f} s: {exc}") from exc
        done += end - start
        if language is None and segments:  # detection on a span that yielded no words is noise
            language, language_probability = info.language, float(info.language_probability)
    if progress is not None:
        progress("transcribe", 1.0)
    return Transcript(
        model=settings.whisper_model,
        language=language,
        language_detected=detect and language is not None,
        language_probability=language_probability,
        duration_s=round(len(samples) / TARGET_RATE, 3),
        segments=segments,
    )
