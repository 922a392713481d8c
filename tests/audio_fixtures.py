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


DRUM_CHANNEL = 9  # General MIDI's percussion channel (10, counted from 1)
_TICKS = 480  # per quarter note
PHRASES: dict[str, list[list[int]]] = {
    # Each phrase is a list of chords (one note is a melody step), one per beat at the clip's tempo.
    "melody": [[60], [62], [64], [65], [67], [65], [64], [62], [64], [67], [72], [71], [69], [67], [65], [64]],
    "chords": [[48, 55, 64], [48, 55, 64], [53, 57, 65], [53, 57, 65], [55, 59, 67], [55, 59, 65], [48, 55, 64],
               [48, 52, 60]] * 2,
    "arpeggio": [[48], [55], [64], [67], [45], [52], [60], [64], [41], [48], [57], [60], [43], [50], [59], [62]],
}
DRUM_PATTERN = [[36, 42], [42], [38, 42], [42], [36, 42], [36, 42], [38, 42], [42]] * 2
"""Kick (36), snare (38) and closed hi-hat (42): a rock beat in eighths."""


def _variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.insert(0, (value & 0x7F) | 0x80)
    return bytes(out)


def midi_clip(program: int, steps: list[list[int]], *, bpm: float = 100, step_beats: float = 1.0,
              repeats: int = 2, channel: int = 0) -> bytes:
    """A format-0 Standard MIDI File: General MIDI `program` on `channel` playing `steps` (each a chord held
    for `step_beats`), `repeats` times."""
    events = bytearray(b"\x00\xff\x51\x03" + round(60_000_000 / bpm).to_bytes(3, "big"))
    events += bytes([0, 0xC0 | channel, program])
    length = round(step_beats * _TICKS)
    for chord in steps * repeats:
        for index, note in enumerate(chord):
            events += bytes([0, 0x90 | channel, note, 96 if index == 0 else 80])
        for index, note in enumerate(chord):
            events += _variable_length(length if index == 0 else 0) + bytes([0x80 | channel, note, 0])
    events += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + \
        _TICKS.to_bytes(2, "big")
    return header + b"MTrk" + len(events).to_bytes(4, "big") + bytes(events)


def render_program(program: int, folder: Path, phrase: str = "melody", *, drums: bool = False,
                   bpm: float = 100) -> Path:
    """A General MIDI program (or the drum kit) playing one of `PHRASES` (or `DRUM_PATTERN`), rendered to a
    22.05 kHz WAV with FluidSynth and the General MIDI soundfont, about 10-20 s long."""
    from tools.music.render import render_wav

    name = f"drums-{bpm:g}" if drums else f"program{program}-{phrase}-{bpm:g}"
    midi = folder / f"{name}.mid"
    if drums:
        midi.write_bytes(midi_clip(0, DRUM_PATTERN, bpm=bpm, step_beats=0.5, repeats=4, channel=DRUM_CHANNEL))
    else:
        midi.write_bytes(midi_clip(program, PHRASES[phrase], bpm=bpm))
    return render_wav(midi, midi.with_suffix(".wav"), sample_rate=22050)
