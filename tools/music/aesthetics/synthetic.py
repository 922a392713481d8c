"""Synthetic "songs" whose ratings are a known function of simple audio properties.

They exist to check that the pipeline can learn at all (a smoke test), never to judge music: the
"vocal" is a vibrato tone gated into phrases, the "accompaniment" low-passed noise over a pulsing bass.
Each song draws five properties uniformly from [0, 1], and each rating dimension is a fixed function of
them, rated by four simulated raters who round to whole points (so the mean rating is noisy):

    memorability = pitch of the vocal tone        naturalness = slowness of the phrase gating
    clarity      = brightness of the noise        musicality  = vocal level over the accompaniment
    coherence    = mean of naturalness and musicality

A model that hears the stems can recover these; a constant predictor cannot. The folder is written in
the layout `data.read_song_folder` reads, with `"synthetic": true` in every metadata line, so any model
trained on it is marked synthetic:

    python -m tools.music.aesthetics.synthetic <folder> --songs 200 --seed 0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

from tools.music.aesthetics.model import DIMENSIONS

RATERS = 4


def _song(
    rng: np.random.Generator, sample_rate: int, seconds: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, float]]]:
    properties = rng.uniform(0, 1, size=5)
    pitch, phrase_speed, brightness, vocal_level, pulse = properties
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0 = 180 + 420 * pitch
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / sample_rate
    tone = sum(np.sin(k * phase) / k for k in (1, 2, 3))
    phrase_rate = 0.3 + 3.0 * phrase_speed
    gate = 0.5 * (1 + np.tanh(8 * np.sin(2 * np.pi * phrase_rate * t + rng.uniform(0, 2 * np.pi))))
    vocals = tone * gate * 10 ** ((-14 + 20 * vocal_level) / 20)
    cutoff = min(300 + 3300 * brightness, 0.45 * sample_rate)
    noise = sosfilt(butter(4, cutoff, fs=sample_rate, output="sos"), rng.standard_normal(len(t)))
    beat = 0.5 * (1 + np.cos(2 * np.pi * (1 + 2 * pulse) * t)) ** 4
    accompaniment = 0.25 * noise / (np.std(noise) + 1e-9) + 0.2 * beat * np.sin(2 * np.pi * 90 * t)
    truth = {
        "memorability": pitch,
        "naturalness": 1 - phrase_speed,
        "clarity": brightness,
        "musicality": vocal_level,
        "coherence": (1 - phrase_speed + vocal_level) / 2,
    }
    raters = [
        {
            name.capitalize(): float(np.clip(np.round(1 + 4 * truth[name] + rng.normal(0, 0.4)), 1, 5))
            for name in DIMENSIONS
        }
        for _ in range(RATERS)
    ]
    peak = max(np.abs(vocals + accompaniment).max(), 1e-9) / 0.9
    return (vocals + accompaniment) / peak, vocals / peak, accompaniment / peak, raters


def write_synthetic_songs(
    root: Path, count: int, *, seed: int, sample_rate: int = 16_000, seconds: tuple[float, float] = (6.0, 12.0)
) -> Path:
    """Write `count` synthetic songs (mixture, stems, SongEval-style metadata) under `root`; return `root`."""
    import soundfile

    rng = np.random.default_rng(seed)
    for folder in ("mixture", "vocals", "accompaniment"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    lines = []
    for index in range(count):
        song_id = f"synth{index:04d}"
        mixture, vocals, accompaniment, raters = _song(rng, sample_rate, rng.uniform(*seconds))
        for folder, signal in (("mixture", mixture), ("vocals", vocals), ("accompaniment", accompaniment)):
            soundfile.write(root / folder / f"{song_id}.wav", signal.astype(np.float32), sample_rate, subtype="PCM_16")
        lines.append(json.dumps({"file_name": f"mixture/{song_id}.wav", "annotation": raters, "synthetic": True}))
    (root / "metadata.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--songs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    write_synthetic_songs(args.folder, args.songs, seed=args.seed)


if __name__ == "__main__":
    main()
