"""Spelling: chord roots named from the key and the chord's function, notes named as their chord names them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ontology.music import INSTRUMENTS, Bar, ChordEvent, Event, Part, Piece, Section
from ontology.music_theory import (
    NOTE_NAMES,
    OCTAVE,
    Key,
    Mode,
    exact_quarters,
    parse_chord,
    parse_key,
)
from tools.music.render import piece_to_score

ALL_KEYS = [Key(tonic, mode) for mode in Mode for tonic in range(12)]
MAJOR_TRIADS = ("", "m", "m", "", "", "m", "dim")
HARMONIC_MINOR_TRIADS = ("m", "dim", "aug", "m", "", "", "dim")  # the harmonic minor's: V and vii° on the raised 7th


def diatonic_triads(key: Key) -> list[tuple[int, int, str]]:
    """(degree, root pitch class, quality) of the key's seven triads (harmonic minor in minor)."""
    qualities = MAJOR_TRIADS if key.mode is Mode.MAJOR else HARMONIC_MINOR_TRIADS
    return [(degree, key.degree_root(degree) if (key.mode, degree) != (Mode.MINOR, 7) else (key.tonic + 11) % OCTAVE,
             quality) for degree, quality in enumerate(qualities, start=1)]


def piece_of_chords(key: Key, symbols: list[str]) -> Piece:
    """One bar per chord: the chord's tones as a melody over its root, the symbols as the harmoniser names
    them (`NOTE_NAMES`, one name per pitch class)."""
    right, left = [], []
    for symbol in symbols:
        chord = parse_chord(symbol)
        tones = sorted(chord.pitch_classes(), key=lambda tone: (tone - chord.root) % OCTAVE)
        rest = [Event(pitches=[], duration=4.0 - len(tones))] if len(tones) < 4 else []
        right.append(Bar(voices=[[Event(pitches=[60 + tone], duration=1.0) for tone in tones] + rest]))
        left.append(Bar.line((48 + chord.root, 4)))
    return Piece(title="spelling", key=key.name, meter="4/4", tempo_bpm=90,
                 instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                 sections=[Section(id="a", label="A", bars=len(symbols))],
                 parts=[Part(id="rh", instrument="piano_right", bars=right),
                        Part(id="lh", instrument="piano_left", bars=left)],
                 harmony=[ChordEvent(bar=bar, beat=1, symbol=symbol) for bar, symbol in enumerate(symbols, start=1)])


@pytest.mark.parametrize("key", ALL_KEYS, ids=lambda key: key.name)
def test_every_diatonic_chord_is_named_with_the_keys_own_letters(key: Key) -> None:
    triads = diatonic_triads(key)
    piece = piece_of_chords(key, [NOTE_NAMES[root] + quality for _, root, quality in triads])
    for event, (degree, root, quality) in zip(piece.harmony, triads, strict=True):
        chord = parse_chord(event.symbol)
        assert (chord.root, chord.quality, chord.root_name[0]) == (root, quality, key.letter(degree)), event.symbol
        assert all(name == key.diatonic_name(tone) for tone, name in chord.tone_names().items()), event.symbol


@pytest.mark.parametrize("key", ALL_KEYS, ids=lambda key: key.name)
def test_every_note_is_spelled_as_its_chord_symbol_spells_it(key: Key) -> None:
    """The seven triads, the dominant's secondary dominant and leading-tone seventh, and (in major)
    the borrowed bVI: each note in a bar carries the name its chord gives that tone."""
    triads = [NOTE_NAMES[root] + quality for _, root, quality in diatonic_triads(key)]
    dominant = key.degree_root(5)
    chromatic = [NOTE_NAMES[(dominant + 7) % OCTAVE] + "7", NOTE_NAMES[(dominant - 1) % OCTAVE] + "dim7",
                 NOTE_NAMES[dominant] + ""]
    if key.mode is Mode.MAJOR:
        chromatic.append(NOTE_NAMES[(key.tonic + 8) % OCTAVE])
    piece = piece_of_chords(key, triads + chromatic)
    score = piece_to_score(piece)
    for part in score.parts:
        for measure, event in zip(part.getElementsByClass("Measure"), piece.harmony, strict=True):
            names = parse_chord(event.symbol).tone_names()
            for note in measure.recurse().notes:
                for pitch in note.pitches:
                    assert pitch.name.replace("-", "b") == names[pitch.pitchClass], (event.symbol, pitch.nameWithOctave)


@pytest.mark.parametrize(("key", "written", "spelled"), [
    ("E minor", "Ebdim", "D#dim"),  # vii° of E minor (free-piano-3's "Ebdim")
    ("E minor", "Baug", "Gaug"),  # III+ of the harmonic minor: G, B, D#, not B, D#, F##
    ("C major", "G#", "Ab"),  # bVI borrowed from C minor
    ("C major", "A#", "Bb"),  # bVII
    ("C major", "C#", "Db"),  # the Neapolitan bII
    ("C major", "Ebdim7", "F#dim7"),  # vii°7/V, the diminished seventh a musician means with no chord after it
    ("C major", "Dbdim7", "C#dim7"),  # vii°7/ii
    ("C major", "Gb7", "F#7"),  # V7/vii: a fifth above B
    ("A minor", "Db", "C#"),  # III of the parallel major (A major's C#)
    ("A minor", "Fdim7", "G#dim7"),  # the minor key's own vii°7
    ("A minor", "Bbdim7", "A#dim7"),  # vii°7/ii
    ("F major", "Bb", "Bb"),
    ("C# major", "Gdim7", "F##dim7"),  # vii°7/V in seven sharps: a double sharp, not G
    ("Cb major", "G", "Abb"),  # bVI in seven flats
    ("Ab minor", "E", "Fb"),  # VI of seven flats' minor
])
def test_chromatic_chords_are_named_by_their_function(key: str, written: str, spelled: str) -> None:
    assert parse_chord(written).in_key(parse_key(key)).symbol == spelled


def test_a_diminished_seventh_is_named_on_the_leading_tone_of_the_chord_after_it() -> None:
    piece = piece_of_chords(parse_key("C major"), ["C", "Ebdim7", "Em", "Ebdim7", "G"])
    assert [event.symbol for event in piece.harmony] == ["C", "D#dim7", "Em", "F#dim7", "G"]


def test_a_piece_copied_without_validation_is_still_written_in_its_key() -> None:
    piece = piece_of_chords(parse_key("E minor"), ["Em", "B7", "Em"])
    copied = piece.model_copy(update={"harmony": [ChordEvent(bar=1, beat=1, symbol="Em"),
                                                  ChordEvent(bar=2, beat=1, symbol="Ebdim"),
                                                  ChordEvent(bar=3, beat=1, symbol="Em")]})
    assert copied.harmony[1].symbol == "Ebdim"  # model_copy does not validate
    assert [event.symbol for event in copied.spelled_harmony()] == ["Em", "D#dim", "Em"]
    symbols = [cs.figure for cs in piece_to_score(copied).parts[0].recurse().getElementsByClass("ChordSymbol")]
    assert symbols == ["Em", "D#dim", "Em"]


def test_chord_symbols_keep_the_root_as_written() -> None:
    assert [parse_chord(symbol).symbol for symbol in ("D#dim", "Ebdim", "F##dim7", "Bbbm", "Bbm7b5")] == [
        "D#dim", "Ebdim", "F##dim7", "Bbbm", "Bbm7b5"]
    assert parse_chord("Bbbm").pitch_classes() == {9, 0, 4}  # B double flat minor sounds as A minor
    assert ChordEvent(bar=1, beat=1, symbol="D#dim").symbol == "D#dim"  # no longer respelled to one name per pitch


def test_chord_tones_are_spelled_up_from_the_root_by_letter() -> None:
    assert parse_chord("C#dim7").tone_names() == {1: "C#", 4: "E", 7: "G", 10: "Bb"}
    assert parse_chord("D#dim").tone_names() == {3: "D#", 6: "F#", 9: "A"}
    assert parse_chord("Gsus4").tone_names() == {7: "G", 0: "C", 2: "D"}
    assert parse_chord("Abm7b5").tone_names() == {8: "Ab", 11: "Cb", 2: "Ebb", 6: "Gb"}


def test_float_quarters_are_read_back_as_exact_fractions() -> None:
    assert exact_quarters(1 / 3) == Fraction(1, 3)
    assert exact_quarters(0.1 + 0.2) == Fraction(3, 10)
    assert sum(exact_quarters(1 / 3) for _ in range(3)) == 1
    assert exact_quarters(2 / 3) is exact_quarters(2 / 3)  # read once: a session asks for each value thousands of times


def test_a_chromatic_note_is_spelled_the_way_it_leads() -> None:
    """Outside the chord and the key's scale, a note a semitone from the next one in its voice is spelled
    raised on its way up and lowered on its way down: F-F#-G and G-Gb-F in D minor, across a bar line
    too; elsewhere as the key's signature leans (flats in D minor)."""
    lines = [(65, 66, 67, 65), (69, 67, 66, 65), (69, 69, 69, 66)]  # F F# G F | A G Gb F | A A A F# (to G)
    right = [Bar(voices=[[Event(pitches=[pitch], duration=1.0) for pitch in line]]) for line in lines]
    right.append(Bar(voices=[[Event(pitches=[67], duration=2.0), Event(pitches=[66], duration=2.0)]]))
    piece = Piece(title="spelling", key="D minor", meter="4/4", tempo_bpm=90,
                  instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                  sections=[Section(id="a", label="A", bars=4)],
                  parts=[Part(id="rh", instrument="piano_right", bars=right),
                         Part(id="lh", instrument="piano_left", bars=[Bar.line((50, 4)) for _ in right])],
                  harmony=[ChordEvent(bar=bar, beat=1, symbol="Dm") for bar in range(1, 5)])
    names = [note.pitch.name for note in piece_to_score(piece).parts[0].recurse().getElementsByClass("Note")]
    assert names[:8] == ["F", "F#", "G", "F", "A", "G", "G-", "F"]
    assert names[8:12] == ["A", "A", "A", "F#"], "across the bar line: F# rising to the next bar's G"
    assert names[12:] == ["G", "G-"], "the last note leads nowhere: the key's flats"
