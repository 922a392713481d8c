"""Decoding: every common format at any rate to 16 kHz mono, the typed failures, silence, windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_fixtures import SENTENCE, speak
from tools.audio import load
from tools.audio.errors import (
    AudioFileMissingError,
    AudioInputError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    UnsupportedAudioFormatError,
)
from tools.audio.load import iter_windows, load_audio, probe

TONE_HZ = 440.0


def stereo_tone(rate: int, seconds: float = 3.0) -> np.ndarray:
    """440 Hz in the left channel, silence in the right: the mono mix must be a 440 Hz tone at half level."""
    t = np.arange(int(rate * seconds)) / rate
    left = 0.8 * np.sin(2 * np.pi * TONE_HZ * t)
    return np.stack([left, np.zeros_like(left)], axis=1).astype(np.float32)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize(
    ("suffix", "rate"), [(".wav", 44100), (".flac", 48000), (".ogg", 22050), (".mp3", 44100), (".wav", 8000)]
)
def test_every_format_and_rate_decodes_to_16k_mono(tmp_path: Path, suffix: str, rate: int) -> None:
    path = tmp_path / f"tone{suffix}"
    sf.write(path, stereo_tone(rate), rate)
    audio = load_audio(path)
    assert audio.sample_rate == 16_000 and audio.samples.ndim == 1 and audio.samples.dtype == np.float32
    assert audio.duration_s == pytest.approx(3.0, abs=0.06)  # MP3 adds encoder padding
    assert dominant_hz(audio.samples, 16_000) == pytest.approx(TONE_HZ, abs=3)
    middle = audio.samples[8000:-8000]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.4 / np.sqrt(2), rel=0.05)


def test_espeak_speech_round_trips_through_mp3(tmp_path: Path) -> None:
    wav = speak(SENTENCE, tmp_path / "speech.wav")
    signal, rate = sf.read(wav, dtype="float32")
    sf.write(tmp_path / "speech.mp3", signal, rate)
    from_wav, from_mp3 = load_audio(wav), load_audio(tmp_path / "speech.mp3")
    assert probe(tmp_path / "speech.mp3").format == "MP3"
    n = min(len(from_wav.samples), len(from_mp3.samples))
    assert np.corrcoef(from_wav.samples[:n], from_mp3.samples[:n])[0, 1] > 0.9


def test_block_decoding_equals_decoding_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tone.ogg"
    signal = stereo_tone(44100, seconds=5.0) * np.linspace(0.2, 1, 5 * 44100, dtype=np.float32)[:, None]
    sf.write(path, signal, 44100)
    whole = load_audio(path).samples
    monkeypatch.setattr(load, "_DECODE_BLOCK_S", 0.7)  # several blocks, with resampling seams between them
    fractions: list[float] = []
    blocked = load_audio(path, progress=lambda stage, fraction: fractions.append(fraction)).samples
    assert len(blocked) == len(whole)
    assert np.max(np.abs(blocked - whole)) < 1e-5
    assert len(fractions) >= 7 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_windows_overlap_and_cover_the_file(tmp_path: Path) -> None:
    path = tmp_path / "long.flac"
    sf.write(path, np.random.default_rng(1).uniform(-0.5, 0.5, 16_000 * 11).astype(np.float32), 16_000)
    whole = load_audio(path).samples
    seen: list[tuple[str, float]] = []
    windows = list(iter_windows(path, window_s=4.0, overlap_s=1.0, progress=lambda s, f: seen.append((s, f))))
    assert [w.start_s for w in windows] == [0.0, 3.0, 6.0, 9.0]
    assert [len(w.samples) for w in windows[:3]] == [64_000] * 3 and windows[-1].end_s == pytest.approx(11.0)
    for window in windows:
        start = round(window.start_s * 16_000)
        assert np.array_equal(window.samples, whole[start : start + len(window.samples)])
    assert seen[-1] == ("decode", 1.0)
    with pytest.raises(ValueError):
        list(iter_windows(path, window_s=2.0, overlap_s=2.0))


def test_missing_empty_corrupt_unsupported_and_too_long(tmp_path: Path) -> None:
    with pytest.raises(AudioFileMissingError, match="No audio file"):
        load_audio(tmp_path / "nowhere.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="0 bytes"):
        load_audio(tmp_path / "empty.wav")
    good = tmp_path / "good.wav"
    sf.write(good, stereo_tone(16_000), 16_000)
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[:30])  # RIFF header cut short
    with pytest.raises(CorruptAudioError, match="looks like WAV"):
        load_audio(tmp_path / "cut.wav")
    (tmp_path / "noise.mp3").write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(CorruptAudioError, match="MP3"):
        load_audio(tmp_path / "noise.mp3")
    (tmp_path / "song.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(2000))
    with pytest.raises(UnsupportedAudioFormatError, match="Convert it"):
        load_audio(tmp_path / "song.m4a")
    (tmp_path / "notes.txt").write_text("not audio at all\n" * 50)
    with pytest.raises(UnsupportedAudioFormatError):
        load_audio(tmp_path / "notes.txt")
    with pytest.raises(AudioTooLongError, match="lasts 3 s, over the 1 s limit"):
        load_audio(good, max_duration_s=1.0)
    header_only = tmp_path / "header.wav"
    sf.write(header_only, np.zeros((0, 1), dtype=np.float32), 16_000)
    with pytest.raises(EmptyAudioError):
        load_audio(header_only)
    assert issubclass(CorruptAudioError, AudioInputError)


def test_silence_detection() -> None:
    rng = np.random.default_rng(0)
    assert load.is_silent(np.zeros(16_000, dtype=np.float32))
    assert load.is_silent(rng.normal(0, 1e-4, 16_000).astype(np.float32))  # -80 dB hiss
    quiet_click = np.zeros(16_000, dtype=np.float32)
    quiet_click[100] = 0.05
    assert load.is_silent(quiet_click)  # one faint click (-26 dBFS peak, -68 dBFS RMS)
    assert not load.is_silent(0.01 * np.sin(np.arange(16_000) / 5).astype(np.float32))  # -40 dBFS tone
