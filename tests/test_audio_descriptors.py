"""Descriptors on signals whose answers are known: click tracks, an A-major scale, silence, a
BS.1770 calibration tone, espeak-ng speech and FluidSynth-rendered Bach chorales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.audio_fixtures import A_MAJOR_SCALE, RATE, SENTENCE, click_track, render_chorale, speak, tones
from tools.audio.descriptors import describe, estimate_key, integrated_loudness
from tools.audio.load import Audio, load_audio


@pytest.mark.parametrize("bpm", [90, 120, 150])
def test_click_track_tempo_and_onset_density(bpm: int) -> None:
    descriptors = describe(Audio(click_track(bpm, seconds=20.0), RATE))
    assert descriptors.tempo_bpm == pytest.approx(bpm, rel=0.02)
    assert descriptors.tempo_confidence > 0.5
    assert descriptors.onset_density_per_s == pytest.approx(bpm / 60, rel=0.06)
    assert descriptors.kind == "music"


def test_a_major_scale_is_in_a_major() -> None:
    descriptors = describe(Audio(np.tile(tones(A_MAJOR_SCALE), 3), RATE))
    assert descriptors.key == "A major" and descriptors.key_confidence > 0.8
    assert np.argmax(descriptors.chroma) in {1, 4, 9}  # C#, E or A: the triad dominates
    assert sum(descriptors.chroma) == pytest.approx(1.0, abs=1e-3)


def test_a_minor_triad_is_in_a_minor() -> None:
    chord = sum(tones([note] * 8, note_s=0.5) for note in (57, 60, 64))
    assert estimate_key(np.asarray(describe(Audio(chord, RATE)).chroma))[0] in {"A minor", "C major"}


def test_silence() -> None:
    descriptors = describe(Audio(np.zeros(RATE * 5, dtype=np.float32), RATE))
    assert descriptors.kind == "silence"
    assert descriptors.tempo_bpm is None and descriptors.key is None and descriptors.loudness_lufs is None
    assert descriptors.rms_dbfs == -120.0 and descriptors.onset_density_per_s == 0


@pytest.mark.parametrize("rate", [48_000, 16_000])
def test_full_scale_997_hz_sine_reads_minus_3_lufs(rate: int) -> None:
    """BS.1770-4's calibration: a 0 dBFS 997 Hz sine in one channel measures -3.01 LKFS."""
    t = np.arange(rate * 5) / rate
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), rate) == pytest.approx(-3.01, abs=0.1)
    assert integrated_loudness(0.1 * np.sin(2 * np.pi * 997 * t), rate) == pytest.approx(-23.01, abs=0.1)


def test_speech_has_no_key_or_tempo_and_bright_spectrum(tmp_path: Path) -> None:
    text = SENTENCE + " Ludwig van Beethoven was born in Bonn and died in Vienna."
    descriptors = describe(load_audio(speak(text, tmp_path / "speech.wav")))
    assert descriptors.tempo_bpm is None and descriptors.key is None
    assert descriptors.kind == "speech"
    assert descriptors.zero_crossing_rate > 0.05 and descriptors.spectral_centroid_hz > 700


@pytest.mark.parametrize("name", ["bwv269", "bwv253"])
def test_rendered_chorale_key_matches_music21_analysis(tmp_path: Path, name: str) -> None:
    from music21 import corpus

    expected = corpus.parse(f"bach/{name}").analyze("key")
    descriptors = describe(load_audio(render_chorale(name, tmp_path)))
    assert descriptors.key == f"{expected.tonic.name.replace('-', 'b')} {expected.mode}"
    assert descriptors.kind == "music"
    assert descriptors.tempo_bpm is not None and 40 <= descriptors.tempo_bpm <= 240
    assert -40 < (descriptors.loudness_lufs or -99) < -10
    assert descriptors.spectral_rolloff_hz > descriptors.spectral_centroid_hz > 100
