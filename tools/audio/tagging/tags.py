"""The tags musicnn's two taggers give, how they are grouped for a listener, and the summary the agents read.

Kept apart from the torch code (`tagger`) so that the listening tool's observation types import without
torch; only tagging a clip loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from tools.audio.tagging.mel import HOP, PATCH_FRAMES, SAMPLE_RATE

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
