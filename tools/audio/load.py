"""Decoding audio files into float32 mono at one sample rate, whole or in overlapping windows.

Every listening tool works on the same representation: a float32 mono signal in [-1, 1] at a
known rate (16 kHz by default, what Whisper and the VAD expect). libsndfile (through
`soundfile`, which bundles libsndfile >= 1.1) decodes WAV, FLAC, OGG (Vorbis and Opus), MP3
and AIFF at any rate and channel count; other containers (AAC/M4A, video) are refused with a
message that says how to convert them. Failures are told apart — missing, empty, corrupt,
unsupported, absurdly long — because the user fixes each one differently.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from tools.audio.errors import (
    AudioFileMissingError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    UnsupportedAudioFormatError,
)

TARGET_RATE = 16_000
MAX_DURATION_S = 2 * 3600.0
_DECODE_BLOCK_S = 60.0
_RESAMPLE_CONTEXT_FRAMES = 512  # far more than resample_poly's filter reaches on either side
SILENCE_RMS_DBFS = -60.0
SILENCE_PEAK_DBFS = -45.0

ProgressCallback = Callable[[str, float], None]
"""Called with a stage name ("decode", "transcribe", ...) and the fraction done, 0.0 to 1.0."""

_CONVERT_HINT = "Convert it to WAV, FLAC, OGG or MP3 first (for example `ffmpeg -i input output.wav`)."

# Leading bytes of the formats libsndfile reads; a file that starts like one of these but does
# not decode is corrupt, anything else is an unsupported format.
_MAGIC = {
    b"RIFF": "WAV",
    b"RF64": "WAV",
    b"fLaC": "FLAC",
    b"OggS": "OGG",
    b"ID3": "MP3",
    b"FORM": "AIFF",
}
_SUPPORTED_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}


@dataclass(frozen=True)
class AudioInfo:
    """What the file header says, read without decoding the samples."""

    path: Path
    format: str
    subtype: str
    channels: int
    sample_rate: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class Audio:
    """A decoded float32 mono signal at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int
    source: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class AudioWindow:
    """One window of a long file, at the target rate; `start_s` is its offset in the file."""

    index: int
    start_s: float
    samples: np.ndarray
    sample_rate: int

    @property
    def end_s(self) -> float:
        return self.start_s + len(self.samples) / self.sample_rate


def _claimed_format(path: Path) -> str | None:
    """The supported format the file claims by its leading bytes or, failing that, its suffix."""
    with path.open("rb") as handle:
        head = handle.read(4)
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # MPEG audio frame sync
        return "MP3"
    return path.suffix.lower().lstrip(".").upper() if path.suffix.lower() in _SUPPORTED_SUFFIXES else None


def _undecodable(path: Path, exc: Exception) -> Exception:
    claimed = _claimed_format(path)
    if claimed is None:
        return UnsupportedAudioFormatError(
            f"{path} is not in an audio format this tool reads ({path.suffix or 'no suffix'}). {_CONVERT_HINT}"
        )
    return CorruptAudioError(
        f"{path} looks like {claimed} but cannot be decoded ({exc}). The file is damaged or truncated; "
        f"re-export or re-download it. {_CONVERT_HINT}"
    )


def _spoken(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def probe(path: Path | str, *, max_duration_s: float = MAX_DURATION_S) -> AudioInfo:
    """Check that `path` is a readable audio file of sane length, reading only its header."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileMissingError(f"No audio file at {path}. Check the path.")
    if path.stat().st_size == 0:
        raise EmptyAudioError(f"{path} is empty (0 bytes). Record or export the audio again.")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise _undecodable(path, exc) from exc
    result = AudioInfo(path, info.format, info.subtype, info.channels, info.samplerate, info.frames)
    if result.frames <= 0 or result.sample_rate <= 0:
        raise EmptyAudioError(f"{path} is a {info.format} file with no audio samples.")
    if result.duration_s > max_duration_s:
        raise AudioTooLongError(
            f"{path} lasts {_spoken(result.duration_s)}, over the {_spoken(max_duration_s)} limit. "
            "Cut the part you want to ask about (for example `sox in.wav out.wav trim 0 10:00`)."
        )
    return result


def to_mono(block: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) block; non-finite samples become 0."""
    mono = block.mean(axis=1) if block.ndim == 2 else block
    return np.nan_to_num(mono.astype(np.float32, copy=False), nan=0.0, posinf=1.0, neginf=-1.0)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling by the reduced rational factor target/source (exact for common rates)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    ratio = Fraction(target_rate, source_rate).limit_denominator(1000)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def _decoded_blocks(
    info: AudioInfo, target_rate: int, progress: ProgressCallback | None
) -> Iterator[np.ndarray]:
    """Consecutive, seamless pieces of the file as float32 mono at `target_rate`, about a minute each.

    The file is read front to back (no seeking: MP3 decoders are not sample-exact after a seek).
    Each block is resampled together with a little of its neighbours, which is then cut away;
    blocks are multiples of the resampling factor's denominator, so the pieces join exactly as if
    the whole file had been resampled at once, without holding it all in memory.
    """
    ratio = Fraction(target_rate, info.sample_rate).limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator
    context = down * math.ceil(_RESAMPLE_CONTEXT_FRAMES / down)
    step = down * max(1, round(_DECODE_BLOCK_S * info.sample_rate / down))
    done = 0
    try:
        with sf.SoundFile(str(info.path)) as handle:

            def read() -> np.ndarray:
                return to_mono(handle.read(step, dtype="float32", always_2d=True))

            before, current = np.zeros(0, dtype=np.float32), read()
            while len(current):
                after = read()
                converted = resample(np.concatenate([before, current, after[:context]]), info.sample_rate, target_rate)
                lead = len(before) * up // down
                yield converted[lead : lead + math.ceil(len(current) * up / down)]
                done += len(current)
                if progress is not None:
                    progress("decode", min(1.0, done / info.frames))
                before, current = current[-context:], after
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise _undecodable(info.path, exc) from exc


def load_audio(
    path: Path | str,
    *,
    target_rate: int = TARGET_RATE,
    max_duration_s: float = MAX_DURATION_S,
    progress: ProgressCallback | None = None,
) -> Audio:
    """Decode the whole file to float32 mono at `target_rate` (a 2-hour file is 460 MB at 16 kHz).

    The source is decoded a minute at a time, so a long 48 kHz stereo file never sits in memory whole.
    """
    info = probe(path, max_duration_s=max_duration_s)
    pieces = list(_decoded_blocks(info, target_rate, progress))
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    if len(samples) == 0:
        raise EmptyAudioError(f"{info.path} decoded to no samples; the file is truncated after its header.")
    return Audio(samples, target_rate, str(info.path))


def _windowed(pieces: Iterable[np.ndarray], rate: int, window_s: float, overlap_s: float) -> Iterator[AudioWindow]:
    if not 0 <= overlap_s < window_s:
        raise ValueError(f"overlap_s must be in [0, window_s); got {overlap_s} and {window_s}")
    size = max(1, round(window_s * rate))
    hop = size - round(overlap_s * rate)
    buffer = np.zeros(0, dtype=np.float32)
    index, start, exhausted = 0, 0, False
    pieces = iter(pieces)
    while True:
        while not exhausted and len(buffer) < size:
            piece = next(pieces, None)
            exhausted = piece is None
            if piece is not None:
                buffer = np.concatenate([buffer, piece])
        if not len(buffer) or (index and exhausted and len(buffer) <= size - hop):
            return  # nothing left, or only the tail the previous window already held
        yield AudioWindow(index, start / rate, buffer[:size], rate)
        if exhausted and len(buffer) <= size:
            return
        buffer, index, start = buffer[hop:], index + 1, start + hop


def iter_windows(
    path: Path | str,
    *,
    window_s: float = 30.0,
    overlap_s: float = 5.0,
    target_rate: int = TARGET_RATE,
    max_duration_s: float = MAX_DURATION_S,
    progress: ProgressCallback | None = None,
) -> Iterator[AudioWindow]:
    """Stream fixed-length, overlapping windows of a file without decoding it whole.

    Each window is `window_s` long (the last may be shorter) and starts `window_s - overlap_s`
    after the previous one, so an event cut by one boundary is whole in the next window.
    `progress("decode", fraction)` follows the decoding.
    """
    info = probe(path, max_duration_s=max_duration_s)
    yield from _windowed(_decoded_blocks(info, target_rate, progress), target_rate, window_s, overlap_s)


def audio_windows(audio: Audio, *, window_s: float = 30.0, overlap_s: float = 5.0) -> Iterator[AudioWindow]:
    """The same windows over audio already decoded."""
    yield from _windowed([audio.samples], audio.sample_rate, window_s, overlap_s)


def dbfs(value: float) -> float:
    """Decibels relative to full scale; -inf-safe (floored at -120 dBFS)."""
    return 20.0 * math.log10(max(value, 1e-6))


def rms_dbfs(samples: np.ndarray) -> float:
    return dbfs(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))) if len(samples) else -120.0


def peak_dbfs(samples: np.ndarray) -> float:
    return dbfs(float(np.max(np.abs(samples)))) if len(samples) else -120.0


def is_silent(
    samples: np.ndarray, *, rms_threshold_dbfs: float = SILENCE_RMS_DBFS, peak_threshold_dbfs: float = SILENCE_PEAK_DBFS
) -> bool:
    """True when nothing is audible: RMS below -60 dBFS, or no sample louder than -45 dBFS.

    The peak test catches near-silent recordings with a little hiss; the RMS test catches files
    that are quiet overall but have a single click.
    """
    return rms_dbfs(samples) < rms_threshold_dbfs or peak_dbfs(samples) < peak_threshold_dbfs
