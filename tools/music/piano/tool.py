"""The agent-facing piano tool: two-hand piano music in a key and meter, from scratch or continuing a prompt.

The model (`tools/music/checkpoints/piano_factorised_d192.pt`, trained on a GPU by `python -m
tools.music.piano.train`; `GO_PIANO_CHECKPOINT` picks another) writes in C major or A minor under
a meter token; the tool transposes a prompt into that reference key, samples the new bars, and
moves the result into the requested key. The bars become a music-ontology piece (`piano.notation`,
as in composition sessions) that `tools.music.render` writes: `<stem>.mid` and `<stem>.musicxml`, a
right-hand treble part and a left-hand bass part with key, meter and tempo.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from pydantic import BaseModel, Field, field_validator

from ontology import music_theory
from ontology.music import Piece
from tools.base import ToolInputError, TypedTool
from tools.music.checkpoints import load_checkpoint
from tools.music.piano.data import KeyLabel, segments_from_parts
from tools.music.piano.model import (
    CHECKPOINT_KIND,
    DEFAULT_CHECKPOINT,
    ModelConfig,
    PianoTransformer,
    sample_bars,
    seed_everything,
)
from tools.music.piano.notation import piano_piece
from tools.music.piano.tokens import (
    METERS,
    VOCAB,
    Hand,
    Segment,
    decode_tokens,
    encode_segment,
    transposition_to_reference,
)
from tools.music.render import write_notation
from tools.music.scoreio import ScoreFiles, read_score, spelled_pitch
from tools.music.threads import torch_threads
from tools.settings import DEFAULT_MUSIC_THREADS, Settings

if TYPE_CHECKING:
    from music21.key import Key

MAX_BARS = 64
MAX_PROMPT_BARS = 64


def parse_key(text: str):  # -> music21.key.Key
    """A key as the music ontology reads it ('D minor', 'E-flat major', 'Bb', 'f# min'), for music21."""
    try:
        return music_theory.parse_key(text).to_music21()
    except music_theory.MusicTheoryError as exc:
        raise ValueError(str(exc)) from exc


class PianoGenerationRequest(BaseModel):
    """What to generate: how many bars, in which key and meter, optionally after a prompt score."""

    out_dir: Path = Field(description="Folder to write <stem>.mid and <stem>.musicxml into.")
    bars: int = Field(8, ge=1, le=MAX_BARS, description=f"New bars to generate (1 to {MAX_BARS}).")
    key: str | None = Field(
        None,
        description="Key of the music (and of the prompt), such as 'D minor' or 'E-flat major'; "
        "default: the prompt's key as analysed, else C major.",
    )
    meter: str | None = Field(
        None, description=f"Time signature, one of {', '.join(METERS)}; default: the prompt's, else 4/4."
    )
    prompt: Path | None = Field(None, description="MIDI, MusicXML, ABC or kern file to continue (at most 64 bars).")
    tempo_bpm: int = Field(120, ge=20, le=300, description="Tempo in quarter notes per minute (for the MIDI).")
    seed: int = Field(0, description="Sampling seed; the same request and seed give the same music.")
    temperature: float = Field(1.0, gt=0.0, le=2.0, description="Sampling temperature (lower is more conservative).")
    stem: str = Field("piano", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="File name stem of the outputs.")

    @field_validator("key")
    @classmethod
    def _known_key(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_key(value))

    @field_validator("meter")
    @classmethod
    def _known_meter(cls, value: str | None) -> str | None:
        if value is not None and value.strip() not in METERS:
            raise ValueError(f"unsupported meter {value!r}; use one of {', '.join(METERS)}")
        return None if value is None else value.strip()


class PianoGenerationResult(BaseModel):
    files: ScoreFiles
    key: str
    meter: str
    prompt_bars: int
    generated_bars: int
    total_bars: int
    notes_right_hand: int
    notes_left_hand: int
    lowest_pitch: str | None
    highest_pitch: str | None
    summary: str


class PianoGenerationTool(TypedTool[PianoGenerationRequest, PianoGenerationResult]):
    name = "generate_piano"
    description = (
        "Compose two-hand piano music (right hand treble staff, left hand bass staff) in a given key and meter, "
        "from scratch or continuing a prompt score; writes MIDI and MusicXML."
    )
    input_model = PianoGenerationRequest
    output_model = PianoGenerationResult

    def __init__(self, checkpoint: Path | None = None, *, settings: Settings | None = None,
                 threads: int = DEFAULT_MUSIC_THREADS) -> None:
        """The model is `checkpoint`, else the settings' (`GO_PIANO_CHECKPOINT` where none are given), else
        the shipped one; given settings are not overridden by the environment."""
        self.checkpoint = checkpoint or (settings or Settings.from_env()).piano_checkpoint or DEFAULT_CHECKPOINT
        self.threads = threads
        self._model: PianoTransformer | None = None

    @property
    def model(self) -> PianoTransformer:
        """The trained model, loaded on first use."""
        if self._model is None:
            payload = load_checkpoint(self.checkpoint, kind=CHECKPOINT_KIND)
            model = PianoTransformer(ModelConfig(**payload["config"]))
            model.load_state_dict(payload["state_dict"])
            self._model = model.eval()
        return self._model

    def run(self, request: PianoGenerationRequest) -> PianoGenerationResult:
        if request.prompt:
            prompt, key = read_prompt(request)
            start, prompt_bars = encode_segment(prompt), len(prompt.bars)
        else:
            key = parse_key(request.key or "C major")
            start, prompt_bars = [VOCAB.meter(request.meter or "4/4"), VOCAB.mode(key.mode)], 0
        generator = seed_everything(request.seed)
        with torch.inference_mode(), torch_threads(self.threads):
            tokens = sample_bars(self.model, start, request.bars, temperature=request.temperature, generator=generator)
        shift = transposition_to_reference(key.tonic.pitchClass, key.mode)
        piece = piano_piece(decode_tokens(tokens), shift, key_name(key), f"Piano piece in {key_name(key)}",
                            request.tempo_bpm)
        files = write_notation(piece, request.out_dir, request.stem)
        return summarise(piece, key, files, prompt_bars)


def summarise(piece: Piece, key, files: ScoreFiles, prompt_bars: int) -> PianoGenerationResult:
    """Bars, notes per hand and pitch range of the written piece."""
    right, left = (sum(len(bar.pitches()) for bar in part.bars) for part in piece.parts)
    pitches = sorted(pitch for part in piece.parts for bar in part.bars for pitch in bar.pitches())
    low, high = (readable(spelled_pitch(pitches[i], key).nameWithOctave) if pitches else None for i in (0, -1))
    generated = piece.total_bars - prompt_bars
    return PianoGenerationResult(
        files=files,
        key=key_name(key),
        meter=piece.meter,
        prompt_bars=prompt_bars,
        generated_bars=generated,
        total_bars=piece.total_bars,
        notes_right_hand=right,
        notes_left_hand=left,
        lowest_pitch=low,
        highest_pitch=high,
        summary=(
            f"{generated} new bars of {piece.meter} in {key_name(key)}"
            + (f" after {prompt_bars} prompt bars" if prompt_bars else "")
            + f": {right} right-hand and {left} left-hand notes, range {low} to {high}."
        ),
    )


def readable(name: str) -> str:
    """A music21 pitch name with "b" for flat: "E-4" -> "Eb4"."""
    return name.replace("-", "b")


def key_name(key) -> str:
    return f"{readable(key.tonic.name)} {key.mode}"


def read_prompt(request: PianoGenerationRequest) -> tuple[Segment, Key]:
    """The prompt's bars as one segment in the request's (or the prompt's own) meter, and its key:
    the requested one, else the key the prompt states (with its mode), else music21's analysis."""
    import music21

    prompt = request.prompt
    if prompt is None:
        raise ToolInputError("No prompt file was given; set prompt to a MIDI, MusicXML, ABC or **kern file.")
    score = read_score(prompt)
    signatures = list(score.recurse().getElementsByClass(music21.meter.TimeSignature))
    own_meter = signatures[0].ratioString if signatures else None
    if request.meter and own_meter and own_meter != request.meter:
        raise ToolInputError(
            f"The prompt is in {own_meter} but meter {request.meter} was requested; leave meter out or match it."
        )
    meter = request.meter or own_meter or "4/4"
    if meter not in METERS:
        raise ToolInputError(f"The prompt's meter {meter} is not one the model knows ({', '.join(METERS)}).")
    stated = score.recurse().getElementsByClass(music21.key.Key).first()
    key = parse_key(request.key) if request.key else stated or score.analyze("key")
    if abs(key.sharps) > 7:  # music21 may hear G# major; the ontology writes keys of at most seven accidentals
        key = music21.key.Key(key.tonic.getEnharmonic().name, key.mode)
    parts = list(score.parts) or [score]
    hand_parts = [(parts[0], None)] if len(parts) == 1 else [(parts[0], Hand.RIGHT), (parts[1], Hand.LEFT)]
    label = KeyLabel(key.sharps, key.tonic.pitchClass, key.mode)
    segments = segments_from_parts(hand_parts, name=prompt.stem, keys=[(0.0, label)], meter=meter)
    if not segments or not any(True for _ in segments[0].notes()):
        raise ToolInputError(f"{prompt.name} has no bars with notes to continue.")
    if len(segments[0].bars) > MAX_PROMPT_BARS:
        raise ToolInputError(
            f"{prompt.name} has {len(segments[0].bars)} bars; a prompt may have at most {MAX_PROMPT_BARS}."
        )
    return segments[0], key
