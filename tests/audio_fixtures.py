"""Audio made offline for the listening tests: espeak-ng speech, FluidSynth-rendered Bach chorales
from the music21 corpus, and synthesised signals with known answers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

RATE = 16_000

SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank on a sunny afternoon."


def speak(text: str, wav: Path, *, words_per_minute: int = 150) -> Path:
    """espeak-ng's voice reading `text` into a 22.05 kHz mono WAV."""
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-w", str(wav), text], check=True, timeout=60)
    return wav


def render_chorale(name: str, folder: Path) -> Path:
    """A Bach chorale from music21's corpus (for example 'bwv269') as a 22.05 kHz WAV via FluidSynth."""
    from music21 import corpus

    from tools.music.render import render_wav

    midi = folder / f"{name}.mid"
    corpus.parse(f"bach/{name}").write("midi", fp=str(midi))
    return render_wav(midi, midi.with_suffix(".wav"), sample_rate=22050)


def click_track(bpm: float, seconds: float = 20.0, rate: int = RATE) -> np.ndarray:
    """Decaying 1 kHz clicks on every beat."""
    signal = np.zeros(int(seconds * rate), dtype=np.float32)
    n = np.arange(400)
    click = 0.8 * np.exp(-n / 60) * np.sin(2 * np.pi * 1000 * n / rate)
    for start in (np.arange(0, seconds, 60 / bpm) * rate).astype(int):
        end = min(len(signal), start + len(click))
        signal[start:end] += click[: end - start]
    return signal


def tones(midi_notes: list[int], note_s: float = 0.5, rate: int = RATE) -> np.ndarray:
    """Harmonic tones (four partials, soft attack and release), one after another."""
    t = np.arange(int(note_s * rate)) / rate
    envelope = np.minimum(1, 10 * (note_s - t)) * np.minimum(1, 50 * t)
    notes = []
    for note in midi_notes:
        frequency = 440 * 2 ** ((note - 69) / 12)
        notes.append(envelope * sum(0.3 / h * np.sin(2 * np.pi * frequency * h * t) for h in range(1, 5)))
    return np.concatenate(notes).astype(np.float32)


A_MAJOR_SCALE = [57, 59, 61, 62, 64, 66, 68, 69, 69, 68, 66, 64, 62, 61, 59, 57]


def add_noise(signal: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """White noise at `snr_db` below the signal's power."""
    noise = np.random.default_rng(seed).normal(0, 1, len(signal))
    noise *= np.sqrt(np.mean(signal.astype(np.float64) ** 2) / 10 ** (snr_db / 10) / np.mean(noise**2))
    return (signal + noise).astype(np.float32)
