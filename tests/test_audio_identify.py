"""Identifying known recordings: FluidSynth-rendered Bach chorales indexed, noisy quieter excerpts
found with their offsets, a chorale that was never indexed left unmatched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.audio_fixtures import add_noise, render_chorale
from tools.audio.errors import AudioIndexError
from tools.audio.identify import RecordingIndex, RecordingMetadata, identify, index_recording
from tools.audio.load import Audio, load_audio

INDEXED = ("bwv66.6", "bwv269", "bwv253")
NOT_INDEXED = "bwv347"  # same key (A major) and instrument as bwv253: the hard negative


@pytest.fixture(scope="module")
def chorales(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("chorales")
    return {name: render_chorale(name, folder) for name in (*INDEXED, NOT_INDEXED)}


@pytest.fixture(scope="module")
def index(chorales: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> RecordingIndex:
    index = RecordingIndex(tmp_path_factory.mktemp("index") / "recordings.sqlite")
    for name in INDEXED:
        index.add_file(chorales[name], RecordingMetadata(title=f"Chorale {name}", composer="J. S. Bach"))
    return index


def excerpt(path: Path, start_s: float, seconds: float = 10.0, gain: float = 0.5, snr_db: float = 10.0) -> Audio:
    audio = load_audio(path)
    piece = audio.samples[round(start_s * audio.sample_rate) : round((start_s + seconds) * audio.sample_rate)]
    return Audio(add_noise(piece * gain, snr_db), audio.sample_rate)


@pytest.mark.parametrize(("name", "start_s"), [("bwv66.6", 7.3), ("bwv269", 20.1), ("bwv253", 3.0)])
def test_noisy_quieter_excerpt_is_identified(chorales: dict[str, Path], index: RecordingIndex, name: str,
                                             start_s: float) -> None:
    result = index.identify(excerpt(chorales[name], start_s, gain=0.5, snr_db=10.0))
    assert result.match is not None, result.candidates
    assert result.match.metadata.title == f"Chorale {name}"
    assert result.match.offset_s == pytest.approx(start_s, abs=0.1)
    runner_up = result.candidates[1]
    assert result.match.score > 3 * runner_up.score


@pytest.mark.parametrize("start_s", [5.0, 20.0])
def test_a_chorale_never_indexed_has_no_match(chorales: dict[str, Path], index: RecordingIndex, start_s: float) -> None:
    result = index.identify(excerpt(chorales[NOT_INDEXED], start_s, snr_db=30.0))
    assert result.match is None
    assert result.candidates and result.candidates[0].score < 0.05


def test_a_recording_inside_a_long_file_is_found_in_file_time(chorales: dict[str, Path], index: RecordingIndex) -> None:
    other = load_audio(chorales[NOT_INDEXED]).samples
    known = load_audio(chorales["bwv269"]).samples
    rng = np.random.default_rng(3)
    long = np.concatenate([other, other, 0.01 * rng.normal(size=16_000 * 30).astype(np.float32), known])
    fractions: list[float] = []
    result = index.identify(Audio(add_noise(long, 20.0), 16_000), progress=lambda s, f: fractions.append(f))
    assert result.match is not None and result.match.metadata.title == "Chorale bwv269"
    assert result.match.offset_s == pytest.approx(-(2 * len(other) / 16_000 + 30.0), abs=0.1)
    assert len(fractions) > 2 and fractions[-1] == 1.0


def test_the_index_persists_and_can_be_edited(chorales: dict[str, Path], tmp_path: Path) -> None:
    recording = index_recording(chorales["bwv253"], {"title": "Chorale 253", "year": 1730}, tmp_path)
    assert identify(chorales["bwv253"], tmp_path).match.recording_id == recording  # type: ignore[union-attr]
    index = RecordingIndex(tmp_path / "audio" / "recordings.sqlite")
    assert index.recordings()[recording].year == 1730
    index.remove(recording)
    assert index.recordings() == {}
    assert identify(chorales["bwv253"], tmp_path).match is None
    with pytest.raises(AudioIndexError, match="no spectral landmarks"):
        index.add(Audio(np.zeros(16_000, dtype=np.float32), 16_000), RecordingMetadata(title="silence"))
