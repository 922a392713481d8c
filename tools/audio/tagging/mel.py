"""musicnn's input: the log-compressed mel spectrogram that `musicnn.extractor.batch_data` computes with librosa.

Reproduced in numpy (librosa is not a dependency) with the parameters of musicnn's configuration and the
librosa defaults of its time (0.6/0.7):
- power spectrogram: 512-point FFT, hop 256, periodic Hann window, frames centred (the signal padded by
  256 samples on each side by reflection), |X|^2;
- 96 mel bands from 0 Hz to 8 kHz on the Slaney scale (linear below 1 kHz, logarithmic above), triangles
  normalised to unit area ("slaney" norm);
- the mel energies rounded to float16, as musicnn stores them, then log10(10000 x + 1).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SAMPLE_RATE = 16_000
FFT_SIZE = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # librosa.time_to_frames(3 s) + 1: the 3-second patches musicnn was trained on


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa with htk=False)."""
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (math.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((math.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@cache
def mel_filterbank() -> np.ndarray:
    """(96, 257) triangular filters, as `librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)`."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, 1 + FFT_SIZE // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(SAMPLE_RATE / 2.0)), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@cache
def _window() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FFT_SIZE) / FFT_SIZE)).astype(np.float32)  # periodic Hann


def frame_count(samples: int) -> int:
    """Frames of a centred STFT of `samples` samples."""
    return 1 + samples // HOP


def log_mel(samples: np.ndarray, first_frame: int = 0, frames: int | None = None) -> np.ndarray:
    """(frames, 96) log-mel frames `first_frame`... of the centred STFT of `samples` (16 kHz mono), computing
    only the frames asked for, so patches of a long recording never need its whole spectrogram."""
    total = frame_count(len(samples))
    frames = total - first_frame if frames is None else frames
    if not 0 <= first_frame <= first_frame + frames <= total:
        raise ValueError(f"frames {first_frame}..{first_frame + frames} outside 0..{total}")
    start = first_frame * HOP - FFT_SIZE // 2  # in the unpadded signal
    stop = (first_frame + frames - 1) * HOP + FFT_SIZE // 2
    piece = samples[max(0, start) : min(len(samples), stop)].astype(np.float32)
    piece = np.pad(piece, (max(0, -start), max(0, stop - len(samples))), mode="reflect")
    windows = sliding_window_view(piece, FFT_SIZE)[::HOP][:frames] * _window()
    power = np.abs(np.fft.rfft(windows, axis=1)) ** 2
    mel = (power @ mel_filterbank().T).astype(np.float16)
    return np.log10(10000.0 * mel.astype(np.float32) + 1.0)
