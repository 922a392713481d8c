"""The song-aesthetics scorer as an agent tool.

No checkpoint ships with this project: SongEval's ratings cannot be downloaded here, and a model
trained on anything else would be a number generator. The tool therefore refuses, with a typed error
that says how to get a model, until it is given a checkpoint trained on real ratings: by argument, or
through the environment variable `GO_SONG_AESTHETICS_CHECKPOINT`, or at
`tools/music/checkpoints/song_aesthetics.pt`. Checkpoints record what they were trained on; ones
trained on synthetic songs are refused unless the caller passes `allow_synthetic=True` (tests do).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from tools.base import ToolError, TypedTool
from tools.music.aesthetics.evaluate import TrainedModel, load_trained
from tools.music.aesthetics.features import song_features
from tools.music.aesthetics.model import DIMENSIONS, score_songs
from tools.music.checkpoints import CHECKPOINT_DIR, CheckpointError
from tools.settings import Settings

CHECKPOINT_ENV = "GO_SONG_AESTHETICS_CHECKPOINT"
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "song_aesthetics.pt"
TRAIN_HELP = (
    "Train one on rated songs (SongEval's metadata.jsonl and mixtures plus vocal/accompaniment stems you separate, "
    "see tools/music/aesthetics/data.py): python -m tools.music.aesthetics.train --data <folder> "
    f"--trained-on '<what the ratings are>' --out {DEFAULT_CHECKPOINT}; then pass its path as "
    f"SongAestheticsTool(checkpoint=...) or in the environment variable {CHECKPOINT_ENV}."
)


class AestheticsModelUnavailableError(ToolError):
    """No checkpoint trained on real ratings is available, so the tool cannot score."""


class SyntheticCheckpointError(AestheticsModelUnavailableError):
    """The checkpoint was trained on synthetic songs; its scores say nothing about music."""


class SongAestheticsRequest(BaseModel):
    mixture: Path = Field(description="The full song (WAV, FLAC, OGG, or MP3 where supported), at most 10 minutes.")
    vocals: Path = Field(description="The song's separated vocal stem, the same length as the mixture.")
    accompaniment: Path = Field(description="The song's separated accompaniment (everything but vocals).")


class DimensionScore(BaseModel):
    score: float = Field(description="Predicted mean rating on the 1-5 scale.")
    lower: float = Field(description="Lower end of the model's interval for the rating.")
    upper: float = Field(description="Upper end; a wide interval means the model is unsure.")


class SongAestheticsResult(BaseModel):
    coherence: DimensionScore = Field(description="Overall coherence.")
    memorability: DimensionScore
    naturalness: DimensionScore = Field(description="Naturalness of vocal breathing and phrasing.")
    clarity: DimensionScore = Field(description="Clarity of song structure.")
    musicality: DimensionScore = Field(description="Overall musicality.")
    duration_s: float
    trained_on: str = Field(description="What the model's ratings came from, as recorded in its checkpoint.")
    synthetic: bool = Field(description="True when the model was trained on synthetic songs (a smoke test).")


class SongAestheticsTool(TypedTool[SongAestheticsRequest, SongAestheticsResult]):
    """Predict SongEval's five aesthetic ratings of a song from its mixture and stems."""

    name = "score_song_aesthetics"
    description = (
        "Rate a song on SongEval's five aesthetic dimensions (coherence, memorability, naturalness of vocal "
        "phrasing, clarity of structure, musicality; 1-5) from its mixture and its vocal and accompaniment stems. "
        "Each rating comes with an interval that shows the model's uncertainty."
    )
    input_model = SongAestheticsRequest
    output_model = SongAestheticsResult

    def __init__(self, checkpoint: Path | str | None = None, *, allow_synthetic: bool = False) -> None:
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.allow_synthetic = allow_synthetic
        self._trained: TrainedModel | None = None

    def _model(self) -> TrainedModel:
        if self._trained is not None:
            return self._trained
        path = self.checkpoint or Settings.from_env().song_aesthetics_checkpoint or DEFAULT_CHECKPOINT
        if not path.is_file():
            raise AestheticsModelUnavailableError(
                f"No song-aesthetics checkpoint at {path}; none ships with this project. {TRAIN_HELP}"
            )
        try:
            trained = load_trained(path)
        except CheckpointError as exc:
            raise AestheticsModelUnavailableError(f"{exc} {TRAIN_HELP}") from exc
        if trained.model.config.dimensions != DIMENSIONS:
            raise AestheticsModelUnavailableError(
                f"{path} rates {trained.model.config.dimensions}, not SongEval's {DIMENSIONS}."
            )
        if trained.synthetic and not self.allow_synthetic:
            raise SyntheticCheckpointError(
                f"{path} was trained on synthetic songs ({trained.trained_on}); its scores mean nothing for music. "
                f"Pass allow_synthetic=True only to test the plumbing. {TRAIN_HELP}"
            )
        self._trained = trained
        return trained

    def run(self, request: SongAestheticsRequest) -> SongAestheticsResult:
        trained = self._model()
        features = song_features(request.mixture, request.vocals, request.accompaniment, trained.features)
        predicted = score_songs(trained.model, [features])
        scores = {
            name: DimensionScore(
                score=round(float(predicted["score"][0, i]), 3),
                lower=round(float(predicted["lower"][0, i]), 3),
                upper=round(float(predicted["upper"][0, i]), 3),
            )
            for i, name in enumerate(DIMENSIONS)
        }
        return SongAestheticsResult(
            **scores,
            duration_s=round(features.shape[1] / trained.features.frames_per_second, 2),
            trained_on=trained.trained_on,
            synthetic=trained.synthetic,
        )
