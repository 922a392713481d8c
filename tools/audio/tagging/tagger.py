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
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, Field

from tools.audio.errors import MusicTaggerError
from tools.audio.load import Audio, resample
from tools.audio.tagging.mel import HOP, PATCH_FRAMES, SAMPLE_RATE, frame_count, log_mel
from tools.audio.tagging.musicnn import Musicnn
from tools.music.checkpoints import CheckpointError, load_checkpoint

CHECKPOINT_KIND = "musicnn"
WEIGHTS_DIR = Path(__file__).parent / "weights"
MAX_PATCHES = 20  # 60 s of audio per tagger: enough for a clip's character, bounded for a 2-hour file
TOP_PER_CATEGORY = 3

Category = Literal["instrument", "genre", "vocals", "no vocals", "mood", "era"]

_MTT_LABELS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano", "ambient",
    "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals", "no vocals",
    "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo",
    "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello",
    "no voice", "weird", "country", "metal", "female voice", "choral",
)
_MSD_LABELS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
    "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
    "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient",
    "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening",
    "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop", "sad",
    "House", "happy",
)
_CATEGORIES: dict[Category, frozenset[str]] = {
    "instrument": frozenset({"guitar", "strings", "drums", "piano", "violin", "synth", "harpsichord", "flute",
                             "sitar", "harp", "cello"}),
    "vocals": frozenset({"vocal", "female", "male", "singing", "vocals", "woman", "male vocal", "man", "choir",
                         "voice", "male voice", "female vocal", "female voice", "choral", "opera",
                         "female vocalists", "male vocalists", "female vocalist"}),
    "no vocals": frozenset({"no vocals", "no vocal", "no voice", "instrumental"}),
    "mood": frozenset({"slow", "fast", "loud", "quiet", "soft", "weird", "beautiful", "chillout", "Mellow",
                       "chill", "sexy", "catchy", "party", "sad", "happy", "easy listening", "ambient", "beat",
                       "beats"}),
    "era": frozenset({"00s", "80s", "90s", "70s", "60s", "oldies"}),
}


VOCALS_VERDICT = (frozenset({"vocal", "vocals", "voice", "singing"}), frozenset({"no vocal", "no vocals", "no voice",
                                                                                  "instrumental"}))
"""The tags that decide vocals against no vocals: the taggers' direct pairs. 'male', 'female' and the like
name who sings but fire weakly on any timbre, so they are listed, not counted."""


def category_of(tag: str) -> Category:
    """The category a tag reports under ('mood' includes character: slow, soft, beat); every tag not listed
    above is a genre or style ('solo', 'acoustic')."""
    return next((category for category, tags in _CATEGORIES.items() if tag in tags), "genre")


@dataclass(frozen=True)
class MusicnnModel:
    """One of musicnn's taggers: where its weights came from and the tags it outputs, in output order."""

    name: str
    source_folder: str  # folder of its TF checkpoint inside the musicnn wheel
    labels: tuple[str, ...]
    trained_on: str

    @property
    def checkpoint_name(self) -> str:
        return f"{self.name}.pt"


MODELS: dict[str, MusicnnModel] = {
    model.name: model
    for model in (
        MusicnnModel("MTT_musicnn", "MTT_musicnn", _MTT_LABELS, "MagnaTagATune"),
        MusicnnModel("MSD_musicnn", "MSD_musicnn", _MSD_LABELS, "Million Song Dataset"),
    )
}


class MusicTag(BaseModel):
    tag: str
    score: float = Field(ge=0, le=1, description="Mean sigmoid likelihood over the tagged patches.")
    category: Category
    model: str = Field(description="The tagger that gave it (MTT_musicnn or MSD_musicnn).")


class MusicTags(BaseModel):
    """What the taggers hear; the strongest tags of each category first."""

    instruments: list[MusicTag]
    genres: list[MusicTag]
    moods: list[MusicTag]
    vocals: Literal["vocals", "no vocals"] = Field(description="Whichever side scores higher.")
    vocals_score: float = Field(ge=0, le=1, description="The best of 'vocal', 'vocals', 'voice', 'singing'.")
    singers: list[MusicTag] = Field(description="Who sings, if anyone: the strongest of male, female, choir, ...")
    no_vocals_score: float = Field(ge=0, le=1, description="The best 'no vocals' tag (no vocals, instrumental, ...).")
    seconds_tagged: float = Field(ge=0, description="Audio the taggers saw (3 s per patch).")
    patches: int = Field(ge=1)
    padded: bool = Field(description="The clip was shorter than 3 s and repeated to fill one patch.")
    models: list[str]

    def summary(self) -> str:
        """One line for the agents: the top tags per category with their scores."""

        def listed(tags: list[MusicTag]) -> str:
            return ", ".join(f"{tag.tag} {tag.score:.2f}" for tag in tags) or "none"

        if self.vocals == "vocals":
            vocals = (f"vocals {self.vocals_score:.2f} (no vocals {self.no_vocals_score:.2f}; "
                      f"singers: {listed(self.singers)})")
        else:
            vocals = f"no vocals {self.no_vocals_score:.2f} (vocals {self.vocals_score:.2f})"
        return (f"instruments: {listed(self.instruments)}; genre: {listed(self.genres)}; mood: {listed(self.moods)}; "
                f"{vocals}")


@dataclass(frozen=True)
class TagScores:
    """Every tag's score on one clip, before the summary keeps the strongest."""

    tags: list[MusicTag]
    patches: int
    padded: bool

    def best(self, category: Category, count: int = TOP_PER_CATEGORY) -> list[MusicTag]:
        """The `count` strongest tags of `category`, a tag both taggers know ('electronic') once."""
        seen: set[str] = set()
        top = []
        for tag in sorted(self.tags, key=lambda tag: -tag.score):
            if tag.category == category and tag.tag.lower() not in seen:
                seen.add(tag.tag.lower())
                top.append(tag)
        return top[:count]

    def summary(self) -> MusicTags:
        vocals = max(tag.score for tag in self.tags if tag.tag in VOCALS_VERDICT[0])
        no_vocals = max(tag.score for tag in self.tags if tag.tag in VOCALS_VERDICT[1])
        return MusicTags(
            instruments=self.best("instrument"), genres=self.best("genre"), moods=self.best("mood"),
            singers=self.best("vocals"), vocals="vocals" if vocals > no_vocals else "no vocals",
            vocals_score=vocals, no_vocals_score=no_vocals,
            seconds_tagged=round(self.patches * PATCH_FRAMES * HOP / SAMPLE_RATE, 1), patches=self.patches,
            padded=self.padded, models=list(MODELS),
        )


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
