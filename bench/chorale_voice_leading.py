"""How generated chorales move against Bach's: chromatic slides, diminished sevenths, rocking harmony,
a minor key's two sixths and sevenths in one voice, and the soprano's register and hovering.

    python bench/chorale_voice_leading.py out/chorales-60          # the pieces under a folder against Bach
    python bench/chorale_voice_leading.py out/a out/b --json x.json  # two pools side by side

The overlap bench (`bench/compose_tools_quality.py`) compares ten features' distributions; it cannot
tell a chorale whose colour comes from harmony from one whose inner voices slide through semitones in
every bar, nor one whose chords swing i V i V from one that moves on. These counts can, per 100 bars,
against the same reference set (Bach's chorales, Riemenschneider 1-30, read with music21): the
voices from each part (a generated piece's `piece.json`, soprano and alto on the upper staff, tenor
and bass on the lower), the chords from music21's chordify of the score on every beat (a generated
piece's `piece.musicxml`), so both sides are read the same way. A Bach chorale's key is the one
music21 hears; a generated one's the key it was asked in (nearly every one is heard in it). Read so,
Bach's notes outside the key are 3.4%, where the overlap bench, reading six of his chorales in keys
their files state but music21 does not hear (stated D minor, heard G minor), has 5.1%.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ontology.music import Piece
from ontology.music_theory import Key, Mode, parse_key
from tools.music.quality.references import PIECES_PER_SET

WINDOW_NOTES, WINDOW_SPAN = 8, 3
"""A soprano hovers where this many notes in a row keep within this many semitones."""
LOW_SOPRANO = 64
"""E4: Bach's sopranos sing below it in 1.5% of their notes."""


@dataclass(frozen=True)
class Chorale:
    """What the counts read of one chorale: its key, bars, voices (soprano to bass, as (MIDI pitch,
    quarters) notes) and its beat chords (root pitch class, diminished seventh or not)."""

    key: Key
    bars: float
    voices: tuple[tuple[tuple[int, float], ...], ...]
    chords: tuple[tuple[int, bool], ...]


@dataclass(frozen=True)
class Counts:
    """Per 100 bars (the minor-key count per 100 bars in minor), and the soprano's register."""

    pieces: int
    outside_the_key: float
    chromatic_slides: float
    diminished_sevenths: float
    rocking: float
    both_forms_in_minor: float
    soprano_median: float
    soprano_below_e4: float
    hovering_windows: float


LABELS = {
    "outside_the_key": "notes outside the key (share; Bach's key the one heard)",
    "chromatic_slides": "chromatic passing eighths / 100 bars",
    "diminished_sevenths": "diminished sevenths / 100 bars",
    "rocking": "two chords alternating over four (X Y X Y) / 100 bars",
    "both_forms_in_minor": "a voice singing both forms of 6 or 7 within 3 notes / 100 minor bars",
    "soprano_median": "soprano median (MIDI)",
    "soprano_below_e4": "soprano notes below E4 (share)",
    "hovering_windows": f"soprano {WINDOW_NOTES}-note windows within {WINDOW_SPAN} semitones (share)",
}


def beat_chords(score) -> tuple[tuple[int, bool], ...]:  # score: music21 Score
    """Each beat's sonority that is a triad or a seventh chord, as (root, diminished seventh), repeats merged."""
    chords: list[tuple[int, bool]] = []
    for chord in score.chordify().recurse().getElementsByClass("Chord"):
        if chord.offset % 1 or not (chord.isTriad() or chord.isSeventh()):
            continue
        named = (chord.root().pitchClass, bool(chord.isDiminishedSeventh()))
        if not chords or chords[-1] != named:
            chords.append(named)
    return tuple(chords)


def bach_chorales() -> Iterator[Chorale]:
    from music21 import corpus

    names = corpus.chorales.Iterator(1, PIECES_PER_SET, numberingSystem="riemenschneider", returnType="filename")
    for name in names:
        score = corpus.parse(name)
        heard = score.analyze("key")
        key = Key(heard.tonic.pitchClass, Mode.MINOR if heard.mode == "minor" else Mode.MAJOR)
        bar = score.recurse().getElementsByClass("TimeSignature")[0].barDuration.quarterLength
        voices = tuple(tuple((note.pitch.midi, float(note.quarterLength)) for note in part.recurse().notes
                             if note.isNote) for part in score.parts[:4])
        yield Chorale(key, float(score.highestTime / bar), voices, beat_chords(score))


def generated_chorales(folder: Path) -> Iterator[Chorale]:
    from music21 import converter

    for path in sorted(folder.glob("*/piece.json")):
        piece = Piece.model_validate_json(path.read_text())
        if len(piece.parts) != 2:
            continue  # not a chorale's two staves of two voices
        voices = tuple(tuple((max(event.pitches), event.duration) for bar in part.bars if len(bar.voices) > voice
                             for event in bar.voices[voice] if event.pitches)
                       for part in piece.parts for voice in (0, 1))
        score = converter.parse(str(path.with_name("piece.musicxml")))
        yield Chorale(parse_key(piece.key), float(piece.length_bars), voices, beat_chords(score))


def outside_the_key(chorale: Chorale) -> int:
    """Notes outside the key's scale (a minor key's raised sixth and seventh are in it), in every voice."""
    scale = chorale.key.scale()
    return sum(pitch % 12 not in scale for line in chorale.voices for pitch, _ in line)


def chromatic_slides(chorale: Chorale) -> int:
    """Notes outside the key (a minor key's raised sixth and seventh are in it), an eighth or shorter,
    reached and left by a semitone in one direction."""
    scale = chorale.key.scale()
    found = 0
    for line in chorale.voices:
        for (before, _), (pitch, length), (after, _) in zip(line, line[1:], line[2:], strict=False):
            found += pitch % 12 not in scale and length <= 0.5 and abs(pitch - before) == 1 and (
                pitch - before == after - pitch)
    return found


def rocking(chorale: Chorale) -> int:
    roots = [root for root, _ in chorale.chords]
    roots = [root for index, root in enumerate(roots) if not index or root != roots[index - 1]]
    return sum(a == c != b == d for a, b, c, d in zip(roots, roots[1:], roots[2:], roots[3:], strict=False))


def both_forms(chorale: Chorale) -> int:
    """In a minor key, notes on the sixth or seventh degree with the degree's other form within the
    voice's next two notes (C D C# in D minor)."""
    tonic = chorale.key.tonic
    pairs = {(tonic + 8) % 12: (tonic + 9) % 12, (tonic + 9) % 12: (tonic + 8) % 12,
             (tonic + 10) % 12: (tonic + 11) % 12, (tonic + 11) % 12: (tonic + 10) % 12}
    found = 0
    for line in chorale.voices:
        pitches = [pitch % 12 for pitch, _ in line]
        found += sum(pitch in pairs and pairs[pitch] in pitches[index + 1:index + 3]
                     for index, pitch in enumerate(pitches))
    return found


def hovering(soprano: Sequence[int]) -> tuple[int, int]:
    """The soprano's windows of `WINDOW_NOTES` notes within `WINDOW_SPAN` semitones, and all its windows."""
    windows = [soprano[start:start + WINDOW_NOTES] for start in range(len(soprano) - WINDOW_NOTES + 1)]
    return sum(max(window) - min(window) <= WINDOW_SPAN for window in windows), len(windows)


def counts(chorales: list[Chorale]) -> Counts:
    bars = sum(chorale.bars for chorale in chorales)
    minor = [chorale for chorale in chorales if chorale.key.mode is Mode.MINOR]
    soprano = [pitch for chorale in chorales for pitch, _ in chorale.voices[0]]
    hovered = [hovering([pitch for pitch, _ in chorale.voices[0]]) for chorale in chorales]
    per_bar = 100 / bars
    notes = sum(len(line) for chorale in chorales for line in chorale.voices)
    return Counts(
        pieces=len(chorales),
        outside_the_key=sum(map(outside_the_key, chorales)) / notes,
        chromatic_slides=per_bar * sum(map(chromatic_slides, chorales)),
        diminished_sevenths=per_bar * sum(dim for chorale in chorales for _, dim in chorale.chords),
        rocking=per_bar * sum(map(rocking, chorales)),
        both_forms_in_minor=100 * sum(map(both_forms, minor)) / max(sum(chorale.bars for chorale in minor), 1),
        soprano_median=float(statistics.median(soprano)),
        soprano_below_e4=sum(pitch < LOW_SOPRANO for pitch in soprano) / len(soprano),
        hovering_windows=sum(found for found, _ in hovered) / max(sum(total for _, total in hovered), 1),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pools", type=Path, nargs="+", help="folders of generated chorales (*/piece.json)")
    parser.add_argument("--json", type=Path, help="write the counts here as well")
    args = parser.parse_args(argv)
    columns = {"Bach": counts(list(bach_chorales()))}
    for folder in args.pools:
        chorales = list(generated_chorales(folder))
        if not chorales:
            print(f"No chorale piece.json under {folder}", file=sys.stderr)
            return 2
        columns[folder.name] = counts(chorales)
    table = Table(title="Chorales against Bach's (Riemenschneider 1-30)")
    table.add_column("count")
    for name, column in columns.items():
        table.add_column(f"{name} ({column.pieces})", justify="right")
    for field, label in LABELS.items():
        table.add_row(label, *(f"{getattr(column, field):.3g}" for column in columns.values()))
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps({name: asdict(column) for name, column in columns.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
