"""The question's language competes with Whisper's detection: an accented English voice that Whisper base
hears as Latin is transcribed in English when the question is English, and native French stays French."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipelines import audiorag
from pipelines.audiorag import QuestionError, checked_language
from pipelines.audiorag_graph import AudioRAGAnswer
from tools.audio.language import candidate_languages, fluency, question_language
from tools.audio.load import load_audio
from tools.audio.transcribe import transcribe
from tools.settings import Settings

ACCENTED = "My name is Johannes Keplerus and I was born in the town of Weil der Stadt in the year fifteen seventy one."
FRENCH = "Je m'appelle Jean et je suis né dans une petite ville au bord de la mer, il y a bien longtemps."


@pytest.mark.parametrize(("question", "language"), [
    ("Who composed this and when did they die?", "en"),
    ("What is the name of the speaker in this clip?", "en"),
    ("Wer hat dieses Lied geschrieben und wann ist er gestorben?", "de"),
    ("Qui a composé cette chanson et quand est-il mort ?", "fr"),
    ("¿Quién compuso esta canción y cuándo murió?", "es"),
    ("Chi ha scritto questa canzone e quando è morto?", "it"),
    ("この曲は誰が作曲しましたか？", "ja"),
    ("Кто написал эту песню?", "ru"),
    ("Bach Leipzig 1723", None),
    ("", None),
])
def test_the_questions_language(question: str, language: str | None) -> None:
    assert question_language(question) == language


def test_candidates_the_hint_only_where_whisper_is_unsure_and_allows_it() -> None:
    latin = {"la": 0.63, "es": 0.1, "en": 0.043}
    assert candidate_languages(latin, "en") == ["la", "en"]
    assert candidate_languages(latin, None) == ["la"]
    assert candidate_languages({"de": 0.93, "en": 0.03}, "en") == ["de"]  # sure: no second decoding
    assert candidate_languages({"fr": 0.6, "en": 0.004}, "en") == ["fr"]  # the hint is all but excluded
    assert candidate_languages({"en": 0.45, "la": 0.15}, "en") == ["en"]
    assert fluency([(2.0, -0.5), (1.0, -2.0)]) == pytest.approx(-1.0)
    assert fluency([]) == float("-inf")


def test_language_flag_is_checked_and_reaches_the_listener(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert checked_language(" EN ") == "en" and checked_language(None) is None
    with pytest.raises(QuestionError, match="ISO 639-1"):
        checked_language("english")
    monkeypatch.setenv("GO_CACHE_DIR", str(tmp_path / "cache"))
    asked: dict[str, Any] = {}

    def ask(question: str, audio: Path | None, settings: Settings, **options: Any) -> AudioRAGAnswer:
        asked.update(options)
        return AudioRAGAnswer(question=question, answerable=False, answer=None, confidence="low", citations=[],
                              heard="", queries=[], rounds=1, refusal="Cannot answer: test.")

    monkeypatch.setattr(audiorag, "ask", ask)
    assert audiorag.main(["clip.wav", "Who speaks?", "--language", "english"]) == 2
    assert "ISO 639-1" in capsys.readouterr().err and not asked
    assert audiorag.main(["clip.wav", "Who speaks?", "--language", "EN"]) == 1
    assert asked["language"] == "en"


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    import subprocess

    folder = tmp_path_factory.mktemp("voices")
    clips = {"accented": ("it", ACCENTED), "french": ("fr", FRENCH)}
    for name, (voice, text) in clips.items():
        subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(folder / f"{name}.wav"), text], check=True,
                       timeout=60)
    return {name: folder / f"{name}.wav" for name in clips}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Whisper base in a cache of this module's own, so that its model is loaded here: an unsure
    detection is settled between decodings that may sample (`tools.audio.transcribe.SAMPLING_SEED`),
    and a model shared with another module would have drawn samples already, as many as the tests
    that ran before these in the same worker."""
    return Settings(whisper_model="base", cache_dir=tmp_path_factory.getbasetemp() / "cache-base-language")


def test_an_english_question_recovers_an_accented_english_voice(voices: dict[str, Path], settings: Settings) -> None:
    audio = load_audio(voices["accented"])
    detected = transcribe(audio, settings)
    assert detected.language == "la"  # Whisper base alone: Latin, the words lost
    weighed = transcribe(audio, settings, language_hint="en")
    assert weighed.language == "en" and weighed.language_detected
    assert {"name", "born"} <= set(re.findall(r"[a-z]+", weighed.text.lower()))
    assert weighed.language_probability < 0.1  # what Whisper itself gave English, reported as it was


def test_an_english_question_leaves_french_speech_french(voices: dict[str, Path], settings: Settings) -> None:
    transcript = transcribe(load_audio(voices["french"]), settings, language_hint="en")
    assert transcript.language == "fr" and "appelle" in transcript.text.lower()


class _Stop(Exception):
    pass


def test_the_listener_is_given_the_questions_language_unless_the_user_fixed_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.audio.tool as tool

    requests: list[tool.ListenRequest] = []

    class Listener:
        def __init__(self, settings: Settings) -> None:
            pass

        def __call__(self, request: tool.ListenRequest) -> None:
            requests.append(request)
            raise _Stop

    monkeypatch.setattr(tool, "ListenTool", Listener)
    settings = Settings(cache_dir=tmp_path)
    for language in (None, "de"):
        with pytest.raises(_Stop):
            audiorag.ask("Who is speaking in this clip?", tmp_path / "clip.wav", settings, language=language)
    assert (requests[0].language, requests[0].language_hint) == (None, "en")
    assert requests[0].prompt == "Who is speaking in this clip?"  # Whisper's initial prompt
    assert (requests[1].language, requests[1].language_hint) == ("de", None)
