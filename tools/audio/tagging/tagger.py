"""Music tags from musicnn's trained taggers, ported to torch: instruments, genre, vocals and mood, with scores.

Two taggers by Pons & Serra (2019), shipped in `weights/` under their ISC licence (converted from the
`musicnn` PyPI package by `convert_musicnn`; nothing is downloaded at run time):
- MTT_musicnn, trained on MagnaTagATune: instruments (piano, guitar, violin, strings, drums, flute, ...),
  vocals and their absence, a few genres (classical, techno, rock, ...) and character (slow, fast, soft, ...);
- MSD_musicnn, trained on the Million Song Dataset's last.fm tags: genres (jazz, blues, hip-hop, ...),
  mood (mellow, happy, sad, ...), singer and decade.

As in musicnn's `top_tags`, the clip is cut into non-overlapping 3-second patches, each is tagged, and a
tag's score is its sigmoid likelihood averaged over the patches. A long recording is tagged on at most
`MAX_PATCHES` patches spread evenly over it. A clip shorter than 3 s is repeated to fill one patch (musicnn's
training repeated short clips the same way), and the result says so.

Scores are likelihoods of the tag a human listener would have given, not calibrated probabilities; the
taggers learnt from real recordings, and synthesised timbres can mislead them (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from tools.audio.errors import MusicTaggerError
from tools.audio.load import Audio, resample
from tools.audio.tagging.mel import HOP, PATCH_FRAMES, SAMPLE_RATE, frame_count, log_mel
from tools.audio.tagging.musicnn import Musicnn
from tools.audio.tagging.tags import MODELS, MusicnnModel, MusicTag, MusicTags, TagScores, category_of
from tools.music.checkpoints import CheckpointError, load_checkpoint

CHECKPOINT_KIND = "musicnn"
WEIGHTS_DIR = Path(__file__).parent / "weights"
MAX_PATCHES = 20  # 60 s of audio per tagger: enough for a clip's character, bounded for a 2-hour file
_models: dict[str, Musicnn] = {}
_models_lock = threading.Lock()


def load_tagger(spec: MusicnnModel, weights_dir: Path = WEIGHTS_DIR) -> Musicnn:
    """The torch tagger of `spec` from its shipped checkpoint (loaded once per process)."""
    key = f"{weights_dir}/{spec.name}"
    with _models_lock:
        if key not in _models:
            try:
                payload = load_checkpoint(weights_dir / spec.checkpoint_name, kind=CHECKPOINT_KIND)
            except CheckpointError as exc:
                raise MusicTaggerError(
                    f"The {spec.name} music tagger cannot be loaded: {exc} Restore it with "
                    "`python -m tools.audio.tagging.convert_musicnn` or reinstall the project."
                ) from exc
            if tuple(payload["config"].get("labels", ())) != spec.labels:
                raise MusicTaggerError(f"{weights_dir / spec.checkpoint_name} was converted with other labels; "
                                       "run `python -m tools.audio.tagging.convert_musicnn` again.")
            model = Musicnn(num_classes=len(spec.labels))
            model.load_state_dict(payload["state_dict"])
            _models[key] = model.eval()
        return _models[key]


def load_taggers(weights_dir: Path = WEIGHTS_DIR) -> None:
    """Load every tagger now (once per process), so that a caller can account the load apart from the tagging."""
    for spec in MODELS.values():
        load_tagger(spec, weights_dir)


def patches(samples: np.ndarray, limit: int = MAX_PATCHES) -> tuple[np.ndarray, bool]:
    """(n, 187, 96) log-mel patches of 16 kHz `samples`: musicnn's non-overlapping 3-second patches, at most
    `limit` of them evenly spread; and whether the clip had to be repeated to fill one."""
    padded = frame_count(len(samples)) < PATCH_FRAMES
    if padded:
        repeats = -(-(PATCH_FRAMES * HOP) // max(1, len(samples))) + 1
        samples = np.tile(samples, repeats)
    starts = np.arange(0, frame_count(len(samples)) - PATCH_FRAMES + 1, PATCH_FRAMES)
    if len(starts) > limit:
        starts = starts[np.round(np.linspace(0, len(starts) - 1, limit)).astype(int)]
    return np.stack([log_mel(samples, int(start), PATCH_FRAMES) for start in starts]), padded


def tag_likelihoods(batch: np.ndarray, spec: MusicnnModel, weights_dir: Path = WEIGHTS_DIR) -> np.ndarray:
    """Mean sigmoid likelihood of each of `spec`'s tags over the patches."""
    model = load_tagger(spec, weights_dir)
    with torch.inference_mode():
        return torch.sigmoid(model(torch.from_numpy(batch))).mean(dim=0).numpy()


def score_tags(audio: Audio, *, weights_dir: Path = WEIGHTS_DIR, limit: int = MAX_PATCHES) -> TagScores:
    """Every tag of both taggers with its likelihood on `audio` (any rate; analysed at 16 kHz as musicnn was
    trained)."""
    samples = resample(audio.samples, audio.sample_rate, SAMPLE_RATE)
    if not len(samples):
        raise MusicTaggerError("There is no audio to tag; the clip decoded to no samples.")
    batch, padded = patches(samples, limit)
    tags = [
        MusicTag(tag=label, score=round(float(score), 4), category=category_of(label), model=spec.name)
        for spec in MODELS.values()
        for label, score in zip(spec.labels, tag_likelihoods(batch, spec, weights_dir), strict=True)
    ]
    return TagScores(tags=tags, patches=len(batch), padded=padded)


def tag_music(audio: Audio, *, weights_dir: Path = WEIGHTS_DIR, limit: int = MAX_PATCHES) -> MusicTags:
    """The taggers' verdict on `audio`: the strongest tags of each category and vocals or not."""
    return score_tags(audio, weights_dir=weights_dir, limit=limit).summary()
