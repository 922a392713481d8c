"""`ListenTool` end to end: speech, music, silence and bad input, with the real local models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_fixtures import SENTENCE, render_chorale, speak
from tests.openai_server import OpenAIStub, Reply
from tools.audio.errors import AudioFileMissingError, CorruptAudioError
from tools.audio.identify import RecordingIndex, RecordingMetadata
from tools.audio.tool import AudioObservation, ListenTool
from tools.base import ToolInputError
from tools.settings import Settings


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    speech_wav = speak(SENTENCE, folder / "speech.wav", words_per_minute=140)
    samples, rate = sf.read(speech_wav, dtype="float32")
    sf.write(folder / "speech.mp3", np.stack([samples, samples], axis=1), rate)  # stereo MP3
    sf.write(folder / "silence.flac", np.zeros(48_000 * 3, dtype=np.float32), 48_000)
    chorale = render_chorale("bwv269", folder)
    return {"speech": folder / "speech.mp3", "silence": folder / "silence.flac", "music": chorale}


@pytest.fixture(scope="module")
def tool(clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> ListenTool:
    cache = tmp_path_factory.mktemp("cache")
    index = RecordingIndex(cache / "recordings.sqlite")
    index.add_file(clips["music"], RecordingMetadata(title="Nun lob, mein Seel, den Herren (BWV 269)",
                                                     composer="J. S. Bach"))
    return ListenTool(Settings(whisper_model="tiny", cache_dir=cache), index=index)


def test_speech_is_transcribed(tool: ListenTool, clips: dict[str, Path]) -> None:
    observation = tool({"path": str(clips["speech"])})
    assert isinstance(observation, AudioObservation)
    assert observation.format.startswith("MP3") and observation.channels == 2
    assert observation.kind == "speech" and observation.speech.speech_fraction > 0.5
    assert observation.transcript is not None and "fox" in observation.transcript.text.lower()
    assert observation.identification is not None and observation.identification.match is None
    assert "transcribe" in observation.stages and observation.audio_llm is None


def test_music_is_described_and_identified_without_a_transcript(tool: ListenTool, clips: dict[str, Path]) -> None:
    stages: list[str] = []
    tool.progress = lambda stage, fraction: stages.append(stage)
    try:
        observation = tool({"path": str(clips["music"])})
    finally:
        tool.progress = None
    assert observation.kind == "music" and observation.transcript is None
    assert observation.descriptors.key == "G major"
    assert observation.identification is not None and observation.identification.match is not None
    assert observation.identification.match.metadata.composer == "J. S. Bach"
    assert any(warning.startswith("no speech detected") for warning in observation.warnings)
    assert {"decode", "identify"} <= set(stages)


def test_silence_warns_and_skips_the_models(tool: ListenTool, clips: dict[str, Path]) -> None:
    observation = tool({"path": str(clips["silence"])})
    assert observation.kind == "silence" and observation.sample_rate == 48_000
    assert observation.transcript is None and observation.identification is None
    assert observation.warnings[0].startswith("silence")


def test_bad_requests_and_bad_files(tool: ListenTool, tmp_path: Path) -> None:
    with pytest.raises(ToolInputError, match="invalid arguments"):
        tool({"path": "x.wav", "transcribe": "sometimes"})
    with pytest.raises(AudioFileMissingError):
        tool({"path": str(tmp_path / "absent.wav")})
    (tmp_path / "broken.flac").write_bytes(b"fLaC" + bytes(100))
    with pytest.raises(CorruptAudioError):
        tool({"path": str(tmp_path / "broken.flac")})
    assert issubclass(CorruptAudioError, ToolInputError)


def test_audio_llm_description_and_its_failure(clips: dict[str, Path], tmp_path: Path) -> None:
    with OpenAIStub() as stub:
        stub.script.append(Reply("A four-part chorale on a church organ."))
        settings = Settings(whisper_model="tiny", cache_dir=tmp_path, audio_llm_base=stub.base_url,
                            audio_llm_model="qwen2-audio", max_retries=0)
        tool = ListenTool(settings, index=RecordingIndex(tmp_path / "index.sqlite"))
        heard = tool({"path": str(clips["music"]), "identify": False})
        assert heard.audio_llm is not None and heard.audio_llm.text.startswith("A four-part chorale")
        stub.script.append(Reply(status=503))
        degraded = tool({"path": str(clips["music"]), "identify": False})
    assert degraded.audio_llm is None
    assert any(warning.startswith("audio-language model unavailable") for warning in degraded.warnings)
    assert degraded.descriptors == heard.descriptors
