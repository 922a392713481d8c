"""`HarmoniseTool`: a melody file in, a chord per beat and a written accompaniment out.

The melody is the top voice of the score (the highest note at each onset), transposed to the
common key the model was trained in (C major / A minor); the predicted chords are transposed back
and rendered as root-position block chords in a lower part under the melody, one measure for each
of the melody's bars (its pickup and short bars included), written as MIDI and MusicXML. A beat
is the meter's: a quarter note in simple meters, a dotted quarter in compound ones such as 6/8.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from itertools import accumulate
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field, field_validator

from tools.base import ToolInputError, TypedTool
from tools.music.harmony.chords import block_chord, chord_symbols, transpose_chord
from tools.music.harmony.curricula import Curriculum
from tools.music.harmony.data import Piece, piece_from_score
from tools.music.harmony.metrics import chord_runs, harmonisation_metrics
from tools.music.harmony.model import HarmonyTransformer, load_harmoniser
from tools.music.harmony.train import checkpoint_path
from tools.music.harmony.unmasking import Strategy, harmonise_pieces
from tools.music.scoreio import ScoreFiles, read_score, write_score

MAX_BARS = 512


class EmptyMelodyError(ToolInputError):
    """The score has no melody notes with a duration (only grace notes, or nothing)."""


class MelodyTooLongError(ToolInputError):
    """The melody has more bars than the tool harmonises in one call."""


class HarmoniseRequest(BaseModel):
    melody: Path = Field(description="Melody file: MIDI, MusicXML or ABC (the top voice is used if it is polyphonic).")
    out_dir: Path = Field(description="Folder for the harmonised score (<stem>.mid and <stem>.musicxml).")
    stem: str = Field("harmonisation", description="File name stem of the written score.")
    curriculum: Curriculum = Field("ff", description="Which trained model: ff (recommended), random or midpoint.")
    strategy: Strategy = Field("confidence", description="Unmasking order at inference.")
    seed: int = Field(0, ge=0, description="Seed for sampling when temperature > 0.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 picks the most probable chord; higher samples.")
    checkpoint: Path | None = Field(None, description="A checkpoint to use instead of the shipped one.")

    @field_validator("stem")
    @classmethod
    def _plain_stem(cls, stem: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", stem):
            raise ValueError("stem must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return stem


class BeatChord(BaseModel):
    bar: int = Field(description="Bar number, 1-based (a pickup is bar 1).")
    beat: int = Field(
        description="Beat within the bar, 1-based: a quarter note, or a dotted quarter in compound meters (6/8)."
    )
    symbol: str = Field(description="Chord as root:quality (e.g. 'F#:min', 'G:dom7') or 'N.C.'.")


class HarmonisationResult(BaseModel):
    key: str = Field(description="Key the melody was read in (it was transposed to C major / A minor and back).")
    chords: list[BeatChord]
    files: ScoreFiles
    checkpoint: Path
    metrics: dict[str, float] = Field(description="Reference-free metrics of this harmonisation (see metrics.py).")


class HarmoniseTool(TypedTool[HarmoniseRequest, HarmonisationResult]):
    name: ClassVar[str] = "harmonise_melody"
    description: ClassVar[str] = (
        "Harmonise a melody with a chord per beat (a quarter note; a dotted quarter in 6/8 and other compound "
        "meters) using a masked transformer trained on Bach chorales with the full-to-full curriculum, and write "
        "it with a block-chord accompaniment as MIDI and MusicXML."
    )
    input_model = HarmoniseRequest
    output_model = HarmonisationResult

    def __init__(self) -> None:
        self._models: dict[Path, HarmonyTransformer] = {}

    def run(self, request: HarmoniseRequest) -> HarmonisationResult:
        score = read_score(request.melody)
        _check_bar_count(len(_first_part(score).getElementsByClass("Measure")), request.melody)
        piece = piece_from_score(score, request.melody.name)
        if not piece.notes:
            raise EmptyMelodyError(f"{request.melody.name} has no melody notes with a duration to harmonise.")
        _check_bar_count(len(piece.bar_starts), request.melody)
        path = request.checkpoint or checkpoint_path(request.curriculum)
        model = self._model(path)
        (chords,) = harmonise_pieces(
            model, [piece], request.strategy, temperature=request.temperature, seed=request.seed
        )
        symbols = chord_symbols()
        sounding = [transpose_chord(chord, -piece.transposition) for chord in chords]
        beats = [
            BeatChord(bar=bar + 1, beat=beat - start + 1, symbol=symbols[sounding[beat]])
            for bar, (start, end) in enumerate(piece.bars())
            for beat in range(start, end)
        ]
        files = write_score(accompanied_score(piece, sounding, score), request.out_dir, request.stem)
        return HarmonisationResult(
            key=piece.key,
            chords=beats,
            files=files,
            checkpoint=path,
            metrics={name: round(value, 4) for name, value in harmonisation_metrics(piece, chords).items()},
        )

    def _model(self, path: Path) -> HarmonyTransformer:
        if path not in self._models:
            self._models[path] = load_harmoniser(path)[0]
        return self._models[path]


def _first_part(score):
    return score.parts[0] if getattr(score, "parts", None) else score


def _check_bar_count(bars: int, path: Path) -> None:
    if bars > MAX_BARS:
        raise MelodyTooLongError(f"{path.name} has {bars} bars; the harmoniser takes at most {MAX_BARS}. Split it.")


def accompanied_score(piece: Piece, chords: list[int], source=None):
    """A two-part music21 score: the melody at its source pitch, and block chords (one per run) beneath.

    `chords` are sounding (already transposed back); bar lines follow the piece's bars, and every
    time is written in the source's quarter notes (`Piece.quarters`).
    """
    import music21

    melody_events = [
        _event(piece, n.onset, n.onset + n.duration, _note_maker(n.pitch - piece.transposition)) for n in piece.notes
    ]
    runs = chord_runs(chords)
    starts = accumulate((length for _, length in runs), initial=0)
    chord_events = [
        _event(piece, start, start + length, _chord_maker(chord))
        for start, (chord, length) in zip(starts, runs, strict=False)
    ]
    signature = _time_signature(piece, source)
    melody_part = _measured_part(melody_events, piece, signature, music21.clef.TrebleClef(), "Melody")
    accompaniment = _measured_part(chord_events, piece, signature, music21.clef.BassClef(), "Accompaniment")
    return music21.stream.Score([melody_part, accompaniment])


def _event(piece: Piece, first: float, last: float, make: Callable) -> tuple[float, float, Callable]:
    """(onset, duration, maker) in source quarter notes for a span of the piece's beat grid."""
    onset = piece.quarters(first)
    return onset, piece.quarters(last) - onset, make


def _quarter_bars(piece: Piece) -> list[tuple[float, float]]:
    """(start, end) of each bar in source quarter notes."""
    return [(piece.quarters(start), piece.quarters(end)) for start, end in piece.bars()]


def _signature_of_length(quarters: float) -> str:
    """A time signature whose bar lasts `quarters` (3 -> 3/4, 2.5 -> 5/8, 0.5 -> 1/8)."""
    whole = Fraction(quarters).limit_denominator(64) / 4
    numerator, denominator = whole.numerator, whole.denominator
    while denominator < 4:
        numerator, denominator = numerator * 2, denominator * 2
    return f"{numerator}/{denominator}"


def _note_maker(pitch: int) -> Callable:
    import music21

    return lambda length: music21.note.Note(pitch, quarterLength=length)


def _chord_maker(chord: int) -> Callable:
    import music21

    pitches = block_chord(chord)
    symbol = chord_symbols()[chord]

    def make(length: float):
        if not pitches:
            return music21.note.Rest(quarterLength=length)
        block = music21.chord.Chord(pitches, quarterLength=length)
        block.addLyric(symbol)
        return block

    return make


def _time_signature(piece: Piece, source) -> str:
    """The source's time signature if its bars match the piece's usual bar length, else one of that length."""
    lengths = Counter(round(end - start, 6) for start, end in _quarter_bars(piece))
    usual = lengths.most_common(1)[0][0]
    if source is not None:
        import music21

        for signature in source.recurse().getElementsByClass(music21.meter.TimeSignature):
            if abs(float(signature.barDuration.quarterLength) - usual) < 1e-6:
                return signature.ratioString
    return _signature_of_length(usual)


def _measured_part(events, piece: Piece, signature: str, clef, name: str):
    """A part with one measure per bar; events crossing a bar line are split and tied.

    A short first bar is a pickup; any other bar whose length differs from the time signature gets
    its own signature of that length, so no writer re-bars the part.
    """
    import music21

    part = music21.stream.Part()
    part.partName = name
    part.insert(0, music21.instrument.Piano())
    usual = float(music21.meter.TimeSignature(signature).barDuration.quarterLength)
    current = usual
    for number, (start, end) in enumerate(_quarter_bars(piece), start=1):
        measure = music21.stream.Measure(number=number)
        length = end - start
        if number == 1:
            measure.insert(0, clef)
            measure.insert(0, music21.meter.TimeSignature(signature))
            if usual - length > 1e-6:
                measure.paddingLeft = usual - length
        elif abs(length - current) > 1e-6:
            current = length
            same = abs(length - usual) < 1e-6
            measure.insert(0, music21.meter.TimeSignature(signature if same else _signature_of_length(length)))
        for onset, duration, make in events:
            low, high = max(onset, start), min(onset + duration, end)
            if high - low <= 1e-6:
                continue
            element = make(high - low)
            if isinstance(element, music21.note.NotRest) and (low > onset or high < onset + duration):
                kind = "continue" if low > onset and high < onset + duration else ("stop" if low > onset else "start")
                element.tie = music21.tie.Tie(kind)
            measure.insert(low - start, element)
        _fill_with_rests(measure, length)
        part.append(measure)
    return part


def _fill_with_rests(measure, length: float) -> None:
    """Rests in every gap of a measure's notes, up to `length` quarters."""
    import music21

    cursor, gaps = 0.0, []
    for element in sorted(measure.notesAndRests, key=lambda e: float(e.offset)):
        if element.offset - cursor > 1e-6:
            gaps.append((cursor, float(element.offset) - cursor))
        cursor = max(cursor, float(element.offset + element.duration.quarterLength))
    if length - cursor > 1e-6:
        gaps.append((cursor, length - cursor))
    for offset, duration in gaps:
        measure.insert(offset, music21.note.Rest(quarterLength=duration))
