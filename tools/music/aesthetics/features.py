"""Reading song audio and turning it into log-mel frames, with every bad-input case named.

Audio is read with `soundfile` (WAV, FLAC, OGG, and MP3 where the installed libsndfile decodes it),
mixed to mono and resampled with `scipy.signal.resample_poly` to one fixed rate, so files from
different sources give comparable frames. The spectrogram is `torch.stft` through our own mel
filterbank: nothing is downloaded and no torchaudio is needed.

A song is three time-aligned signals (mixture, vocal stem, accompaniment stem); its features are one
array of shape (3, frames, n_mels) in that order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from tools.base import ToolInputError

STREAMS = ("mixture", "vocals", "accompaniment")
MAX_DURATION_S = 600.0
"""Longest song accepted (10 minutes; SongEval songs average 3.5 minutes). Longer input is refused
before it is decoded, so a mislabelled hour-long recording cannot exhaust memory."""
MIN_DURATION_S = 1.0
MAX_INPUT_BYTES = 200 * 1024 * 1024
SILENCE_RMS = 1e-3
"""A mixture quieter than this overall (-60 dBFS RMS) carries nothing to judge."""
STEM_LENGTH_TOLERANCE_S = 0.25
"""Stems from a separation model match the mixture to the sample; codecs may add a few ms of padding.
Larger differences mean the files do not belong together."""


class AudioInputError(ToolInputError):
    """An audio file cannot be used as a song or a stem of one."""


class UnsupportedAudioFormatError(AudioInputError):
    """The file's format is not one soundfile can decode here."""


class UnreadableAudioError(AudioInputError):
    """The file is missing, empty, truncated or not audio at all."""


class AudioLengthError(AudioInputError):
    """The audio is too short to judge or longer than the cap."""


class SilentAudioError(AudioInputError):
    """The mixture is (near) digital silence."""


class StemMismatchError(AudioInputError):
    """The stems do not line up with the mixture."""


@dataclass(frozen=True)
class FeatureConfig:
    """How audio becomes frames; stored in every checkpoint so inference computes the same features."""

    sample_rate: int = 16_000
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 64
    f_min: float = 30.0
    f_max: float | None = None

    @property
    def frames_per_second(self) -> float:
        return self.sample_rate / self.hop_length

    def to_dict(self) -> dict:
        return asdict(self)


def supported_suffixes() -> frozenset[str]:
    """File endings the installed libsndfile can decode (MP3 needs libsndfile 1.1 or newer)."""
    import soundfile

    suffixes = {".wav", ".flac", ".ogg"}
    if "MP3" in soundfile.available_formats():
        suffixes.add(".mp3")
    return frozenset(suffixes)


def read_audio(path: Path | str, sample_rate: int, *, max_duration_s: float = MAX_DURATION_S) -> np.ndarray:
    """Decode `path` to mono float32 at `sample_rate`, or raise an `AudioInputError` that says why not."""
    import soundfile
    from scipy.signal import resample_poly

    path = Path(path)
    if not path.is_file():
        raise UnreadableAudioError(f"No audio file at {path}.")
    suffixes = supported_suffixes()
    if path.suffix.lower() not in suffixes:
        raise UnsupportedAudioFormatError(
            f"{path.name}: unsupported audio format {path.suffix!r}; "
            f"convert it to one of {', '.join(sorted(suffixes))}."
        )
    size = path.stat().st_size
    if size == 0:
        raise UnreadableAudioError(f"{path.name} is empty.")
    if size > MAX_INPUT_BYTES:
        raise AudioLengthError(
            f"{path.name} is {size / 2**20:.0f} MiB; files over {MAX_INPUT_BYTES // 2**20} MiB are refused."
        )
    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # libsndfile reports every malformed file as a generic error
        raise UnreadableAudioError(f"{path.name} could not be decoded as audio: {exc}") from exc
    duration = info.frames / info.samplerate if info.samplerate else 0.0
    if duration > max_duration_s:
        raise AudioLengthError(
            f"{path.name} lasts {duration / 60:.1f} minutes; songs over {max_duration_s / 60:.0f} minutes are refused "
            "(trim it or score its parts separately)."
        )
    try:
        data, native_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:
        raise UnreadableAudioError(f"{path.name} could not be decoded as audio: {exc}") from exc
    if data.shape[0] / native_rate < MIN_DURATION_S:
        raise AudioLengthError(
            f"{path.name} holds {data.shape[0] / native_rate:.2f} s of audio; at least {MIN_DURATION_S} s is needed."
        )
    if not np.isfinite(data).all():
        raise UnreadableAudioError(f"{path.name} contains NaN or infinite samples.")
    mono = data.mean(axis=1)
    if native_rate != sample_rate:
        common = math.gcd(native_rate, sample_rate)
        mono = resample_poly(mono, sample_rate // common, native_rate // common).astype(np.float32)
    return mono


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None
) -> np.ndarray:
    """Triangular filters evenly spaced on the HTK mel scale, each with unit area; shape (n_mels, n_fft // 2 + 1)."""
    f_max = f_max or sample_rate / 2

    def to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    edges = to_hz(np.linspace(to_mel(np.array(f_min)), to_mel(np.array(f_max)), n_mels + 2))
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    filters *= 2.0 / (upper - lower)  # equal area, so wide high filters do not dominate
    return filters.astype(np.float32)


def log_mel(signal: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Log-mel frames of a mono signal, shape (1 + len // hop_length, n_mels), float32."""
    waveform = torch.from_numpy(np.ascontiguousarray(signal, dtype=np.float32))
    spectrum = torch.stft(
        waveform,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        window=torch.hann_window(config.n_fft),
        center=True,
        return_complex=True,
    )
    power = spectrum.abs().pow(2)
    filters = torch.from_numpy(
        mel_filterbank(config.sample_rate, config.n_fft, config.n_mels, config.f_min, config.f_max)
    )
    mel = filters @ power
    return torch.log(mel + 1e-6).T.contiguous().numpy()


def align_stems(
    mixture: np.ndarray, stems: dict[str, np.ndarray], sample_rate: int, names: dict[str, str]
) -> list[np.ndarray]:
    """Trim or zero-pad each stem to the mixture's length, refusing differences beyond the tolerance."""
    aligned = []
    tolerance = int(STEM_LENGTH_TOLERANCE_S * sample_rate)
    for stream, stem in stems.items():
        difference = len(stem) - len(mixture)
        if abs(difference) > tolerance:
            raise StemMismatchError(
                f"{names[stream]} lasts {len(stem) / sample_rate:.2f} s but the mixture {names['mixture']} lasts "
                f"{len(mixture) / sample_rate:.2f} s; stems must come from separating this mixture."
            )
        aligned.append(stem[: len(mixture)] if difference >= 0 else np.pad(stem, (0, -difference)))
    return aligned


def song_features(
    mixture: Path | str, vocals: Path | str, accompaniment: Path | str, config: FeatureConfig
) -> np.ndarray:
    """The (3, frames, n_mels) features of one song from its mixture and stem files.

    A silent mixture is refused; a silent stem is not (an instrumental track has a silent vocal stem).
    """
    paths = {"mixture": Path(mixture), "vocals": Path(vocals), "accompaniment": Path(accompaniment)}
    signals = {stream: read_audio(path, config.sample_rate) for stream, path in paths.items()}
    rms = float(np.sqrt(np.mean(signals["mixture"].astype(np.float64) ** 2)))
    if rms < SILENCE_RMS:
        level = 20 * math.log10(max(rms, 1e-12))
        raise SilentAudioError(f"{paths['mixture'].name} is silent ({level:.0f} dBFS RMS); there is nothing to score.")
    names = {stream: path.name for stream, path in paths.items()}
    stems = align_stems(signals["mixture"], {s: signals[s] for s in STREAMS[1:]}, config.sample_rate, names)
    return np.stack([log_mel(signal, config) for signal in (signals["mixture"], *stems)])
