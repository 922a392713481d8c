"""Reading scores users hand to the tools, and writing the tools' results as MIDI and MusicXML.

Every reader failure (missing file, unknown format, a file music21 cannot parse, a score without
notes) becomes a `ScoreInputError` that names the file and what to do, never a music21 traceback.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from ontology.music_theory import parse_chord
from tools.base import ToolInputError
from tools.files import write_atomically

SUPPORTED_SUFFIXES = {".mid", ".midi", ".musicxml", ".xml", ".mxl", ".abc", ".krn"}
MAX_INPUT_BYTES = 20 * 1024 * 1024


class ScoreInputError(ToolInputError):
    """A score file cannot be used: missing, unsupported, unparseable, too large or empty."""


class ScoreFiles(BaseModel):
    """Where a written score lives."""

    midi: Path
    musicxml: Path


def read_score(path: Path | str):  # -> music21.stream.Score (music21 is imported lazily)
    """Parse a MIDI, MusicXML, ABC or Humdrum file into a music21 score that has notes."""
    import music21

    path = Path(path)
    if not path.is_file():
        raise ScoreInputError(f"No score file at {path}.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ScoreInputError(f"{path.name}: unsupported score format {path.suffix!r}; use one of {supported}.")
    size = path.stat().st_size
    if size == 0:
        raise ScoreInputError(f"{path.name} is empty.")
    if size > MAX_INPUT_BYTES:
        limit = MAX_INPUT_BYTES // 2**20
        raise ScoreInputError(f"{path.name} is {size / 1e6:.1f} MB; scores over {limit} MiB are refused.")
    try:
        parsed = music21.converter.parse(str(path))
    except Exception as exc:  # music21 raises many unrelated types for broken files
        raise ScoreInputError(f"{path.name} could not be read as a score: {exc}") from exc
    if isinstance(parsed, music21.stream.Opus):
        if not parsed.scores:
            raise ScoreInputError(f"{path.name} holds no score.")
        parsed = parsed.scores[0]  # an ABC book: the first tune
    if not any(True for _ in parsed.recurse().notes):
        raise ScoreInputError(f"{path.name} has no notes.")
    return parsed


@lru_cache(maxsize=64)
def _scale_names(tonic: str, mode: str) -> dict[int, str]:
    """Pitch class -> note name of the key's scale (harmonic minor in minor); music21 takes
    milliseconds to build a scale, so each key's is built once."""
    import music21

    scale = music21.scale.MajorScale if mode == "major" else music21.scale.HarmonicMinorScale
    return {pitch.pitchClass: pitch.name for pitch in scale(tonic).getPitches()}


def music21_name(name: str) -> str:
    """An ontology note name as music21 writes it: flats are 'b' ('Bb', 'Ebb'), music21's '-'."""
    return name[0] + name[1:].replace("b", "-")


def spelled_pitch(midi: int, key, chord_names: Mapping[int, str] | None = None,
                  moving: int = 0):  # key: music21.key.Key
    """The pitch spelled as its harmony writes it: a tone of the chord sounding with it as the chord
    spells it (`chord_names`, pitch class -> ontology name: the F# of a D7 stays F# in B-flat major,
    the C# of an A7 is not D-flat in F major, and a chord's tone has one name wherever it sounds);
    other notes by the key's scale (harmonic minor in minor); the rest as they lead on (`moving`:
    +1 where the next note in the voice is a semitone above, -1 a semitone below: a chromatic passing
    note rising F-F#-G in D minor is raised, not G-flat, one falling is lowered), else with flats in
    flat keys and sharps otherwise. Returns a music21 Pitch."""
    import music21

    pitch = music21.pitch.Pitch(midi=midi)
    chord_name = (chord_names or {}).get(midi % 12)
    wanted = music21_name(chord_name) if chord_name else _scale_names(key.tonic.name, key.mode).get(midi % 12)
    if wanted is None:
        alter = pitch.accidental.alter if pitch.accidental else 0
        sharp = moving > 0 if moving else key.sharps >= 0
        return pitch.getEnharmonic() if (alter > 0 and not sharp) or (alter < 0 and sharp) else pitch
    for candidate in (pitch, pitch.getEnharmonic(), pitch.getLowerEnharmonic(inPlace=False),
                      pitch.getHigherEnharmonic(inPlace=False)):
        if candidate is not None and candidate.name == wanted:
            pitch = candidate
            break
    if pitch.accidental is not None and pitch.accidental.name == "natural":
        pitch.accidental = None  # an explicit natural object makes writers print needless natural signs
    return pitch


CHORD_KINDS = {"": "major", "m": "minor", "dim": "diminished", "aug": "augmented", "7": "dominant",
               "maj7": "major-seventh", "m7": "minor-seventh", "m7b5": "half-diminished",
               "dim7": "diminished-seventh", "sus2": "suspended-second", "sus4": "suspended-fourth"}
"""MusicXML's chord kind of each ontology quality (music21 would read 'm7b5' as a minor seventh
with an altered fifth, and 'aug' after a flat root not at all)."""


def music21_chord_symbol(symbol: str):  # -> music21.harmony.ChordSymbol
    """An ontology chord symbol as a music21 chord symbol: the root as spelled, the kind by name
    and the ontology's own suffix as the text a score prints ('Bbm7b5', not a music21 figure).

    Its accidentals are marked as settled (not shown): they are part of the symbol's text. A part
    whose notes have no accidental at all would otherwise look unsettled to the MusicXML writer,
    which then counts the symbols' pitches as sounding notes (the C# of an "A" symbol would put a
    natural on the next bar's "C" symbol, drawn as an empty box)."""
    from music21 import harmony, pitch

    chord = parse_chord(symbol)
    made = harmony.ChordSymbol(root=pitch.Pitch(music21_name(chord.root_name)), kind=CHORD_KINDS[chord.quality],
                               kindStr=chord.quality)
    for tone in made.pitches:
        if tone.accidental is not None:
            tone.accidental.displayStatus = False
    return made


def write_score(score, folder: Path, stem: str) -> ScoreFiles:
    """Write `score` as `<stem>.mid` and `<stem>.musicxml` in `folder`, each whole or not at all.

    Chord symbols are labels: they stay in the MusicXML but are not sounded in the MIDI (music21
    would otherwise realise each one as a chord on top of the music).
    """
    from music21 import harmony

    sounding = score
    if any(True for _ in score.recurse().getElementsByClass(harmony.ChordSymbol)):
        sounding = copy.deepcopy(score)
        for symbol in list(sounding.recurse().getElementsByClass(harmony.ChordSymbol)):
            symbol.activeSite.remove(symbol)
    with tempfile.TemporaryDirectory() as scratch:
        midi = Path(sounding.write("midi", fp=Path(scratch) / "score.mid"))
        musicxml = Path(score.write("musicxml", fp=Path(scratch) / "score.musicxml"))
        write_atomically(folder, {f"{stem}.mid": midi.read_bytes(), f"{stem}.musicxml": musicxml.read_bytes()})
    return ScoreFiles(midi=folder / f"{stem}.mid", musicxml=folder / f"{stem}.musicxml")
