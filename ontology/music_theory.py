"""Pitch-class arithmetic the music ontology needs: keys, meters and chord symbols.

Kept free of music21 so that validating a piece is instant and has no heavy imports; the tools
that render or analyse audio and notation use music21 themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # music21 is imported only where a music21 object is made
    import music21

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
"""One name per pitch class: the spelling of a note or chord root where no key says otherwise."""
LETTERS = "CDEFGAB"
OCTAVE = 12
"""Semitones in an octave."""
STEP_SEMITONES = (1, 2)
"""A step is a minor or major second; a repeated note is neither a step nor a leap."""
QUARTER_RESOLUTION = 96
"""The finest division of a quarter note that notes are placed on (covers 32nd-note tuplets): float
onsets and durations are read back as exact fractions of it."""
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ALTER_SIGNS = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}
_ACCIDENTAL = {"": 0, "#": 1, "b": -1, "-": -1, "##": 2, "bb": -2, "♯": 1, "♭": -1}
_NOTE = re.compile(r"^([A-Ga-g])(##|bb|#|b|-|♯|♭)?")


@lru_cache(maxsize=4096)
def exact_quarters(value: float) -> Fraction:
    """A float length or position in quarter notes as the exact fraction it stands for (0.333.. ->
    1/3): sums and comparisons of floats drift, fractions on the `QUARTER_RESOLUTION` grid do not.
    Kept per value: a session asks for the same few dozen lengths and onsets tens of thousands of times,
    and `limit_denominator` takes microseconds each (a Fraction never changes, so one serves all)."""
    return Fraction(value).limit_denominator(QUARTER_RESOLUTION)


def neighbour_return(pitches: Sequence[int], end: int) -> frozenset[int] | None:
    """The two pitches `pitches[end]` returns between off a neighbour note a step away (A G A: {A, G}),
    or None where it makes no such return."""
    if end < 2:
        return None
    first, neighbour, back = pitches[end - 2], pitches[end - 1], pitches[end]
    return frozenset((first, neighbour)) if first == back and abs(first - neighbour) in STEP_SEMITONES else None


def circles(pitches: Sequence[int], end: int, spacing: int) -> bool:
    """Whether `pitches[end]` returns off a neighbour note between two pitches the line returned between
    within the `spacing` notes before it (A G A A G A): a line circling two notes instead of going on."""
    pair = neighbour_return(pitches, end)
    return pair is not None and any(neighbour_return(pitches, earlier) == pair
                                    for earlier in range(max(2, end - spacing), end))


class MusicTheoryError(ValueError):
    """A key, meter or chord symbol that cannot be understood; the message shows the accepted forms."""


class Mode(StrEnum):
    MAJOR = "major"
    MINOR = "minor"


def note_name(letter: str, pitch_class: int) -> str | None:
    """`pitch_class` written with `letter` ('F', 6 -> 'F#'; 'G', 6 -> 'Gb'), None where it would
    need more than a double sharp or flat."""
    alter = (pitch_class - _LETTER_PC[letter] + 6) % OCTAVE - 6
    return letter + _ALTER_SIGNS[alter] if abs(alter) <= 2 else None


def pitch_class(name: str) -> int:
    """0-11 for a note name such as 'C', 'F#', 'Bb' or 'E-' (music21's flat)."""
    match = _NOTE.match(name.strip())
    if not match or match.end() != len(name.strip()):
        raise MusicTheoryError(f"{name!r} is not a note name; use a letter A-G with an optional # or b.")
    letter, accidental = match.group(1).upper(), match.group(2) or ""
    return (_LETTER_PC[letter] + _ACCIDENTAL[accidental]) % 12


MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)


_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}


@dataclass(frozen=True)
class Key:
    tonic: int
    mode: Mode
    spelling: str = ""
    """The tonic as written ('Eb', 'D#'); empty means the default spelling of `NOTE_NAMES`."""

    @property
    def tonic_name(self) -> str:
        return self.spelling or NOTE_NAMES[self.tonic]

    @property
    def name(self) -> str:
        return f"{self.tonic_name} {self.mode.value}"

    @property
    def sharps(self) -> int:
        """The key signature: sharps (positive) or flats (negative)."""
        fifths = _FIFTHS[self.tonic_name[0]] + 7 * _ACCIDENTAL[self.tonic_name[1:]]
        return fifths - 3 if self.mode is Mode.MINOR else fifths

    def scale(self) -> set[int]:
        """The key's pitch classes; a minor key includes the raised 6th and 7th (melodic/harmonic minor)."""
        steps = MAJOR_STEPS if self.mode is Mode.MAJOR else NATURAL_MINOR_STEPS + (9, 11)
        return {(self.tonic + step) % 12 for step in steps}

    def letter(self, degree: int) -> str:
        """The letter scale degree 1-7 is written with: the tonic's letter counted up (E minor's 7th is D)."""
        return LETTERS[(LETTERS.index(self.tonic_name[0]) + degree - 1) % 7]

    def diatonic_name(self, pitch_class: int) -> str | None:
        """A pitch class of `scale()` as the key writes it (D# in E minor, Bb in F major), None outside it."""
        steps = MAJOR_STEPS if self.mode is Mode.MAJOR else NATURAL_MINOR_STEPS
        raised = {} if self.mode is Mode.MAJOR else {9: 6, 11: 7}  # minor's raised 6th and 7th
        degrees = {step: degree for degree, step in enumerate(steps, start=1)} | raised
        degree = degrees.get((pitch_class - self.tonic) % OCTAVE)
        return None if degree is None else note_name(self.letter(degree), pitch_class)

    def parallel(self) -> Key:
        """The key on the same tonic in the other mode (C minor for C major), where borrowed chords come from."""
        return Key(self.tonic, Mode.MINOR if self.mode is Mode.MAJOR else Mode.MAJOR, self.spelling)

    def degree_root(self, degree: int) -> int:
        """The pitch class of scale degree 1-7 (the dominant of a minor key is major: V uses degree 5)."""
        steps = MAJOR_STEPS if self.mode is Mode.MAJOR else NATURAL_MINOR_STEPS
        return (self.tonic + steps[degree - 1]) % 12

    def to_music21(self) -> music21.key.Key:
        import music21

        return music21.key.Key(self.tonic_name[0] + self.tonic_name[1:].replace("b", "-"), self.mode.value)


_KEY = re.compile(
    r"^\s*(?P<letter>[A-Ga-g])(?P<accidental>\s*-?\s*(?:sharp|flat)|##|bb|#|b|-|♯|♭)?"
    r"\s*(?P<mode>major|minor|maj|min|m)?\s*$",
    re.IGNORECASE,
)
_ACCIDENTAL_WORDS = {"sharp": "#", "flat": "b", "♯": "#", "♭": "b", "-": "b"}


def parse_key(text: str) -> Key:
    """'D minor', 'F# major', 'E-flat major', 'C sharp minor', 'Bb', 'c#m' -> Key. A bare tonic is
    major, as in common usage; a key of more than seven sharps or flats is refused in favour of its
    enharmonic twin (D# major -> Eb major)."""
    match = _KEY.match(text or "")
    if not match:
        raise MusicTheoryError(f"Unknown key {text!r}; write a tonic and a mode, e.g. 'D minor' or 'Eb major'.")
    raw = (match["accidental"] or "").lower().replace(" ", "")
    raw = raw.lstrip("-") if raw.endswith(("sharp", "flat")) else raw
    spelling = match["letter"].upper() + _ACCIDENTAL_WORDS.get(raw, raw)
    mode = Mode.MINOR if (match["mode"] or "major").lower() in ("minor", "min", "m") else Mode.MAJOR
    key = Key(pitch_class(spelling), mode, spelling)
    if abs(key.sharps) > 7:
        raise MusicTheoryError(f"{key.name} needs {abs(key.sharps)} sharps or flats; use its enharmonic key.")
    return key


def plainest_key(tonic: int, mode: Mode, *, flats: bool = False) -> Key:
    """The key on pitch class `tonic` in `mode`, spelled with the fewest sharps or flats (Db major,
    not C# major; G# minor, not Ab minor); where two tie (F# or Gb major), in flats if `flats` (the
    side of the key it is related to). A related key is found as a pitch class, and one name per
    pitch class (`NOTE_NAMES`) would write the relative major of B-flat minor in seven sharps."""
    names = {letter + sign for letter, natural in _LETTER_PC.items() for sign, alter in (("", 0), ("#", 1), ("b", -1))
             if (natural + alter) % 12 == tonic}
    best = min(names, key=lambda name: (abs(sharps := Key(tonic, mode, name).sharps), (sharps > 0) == flats))
    return Key(tonic, mode, "" if best == NOTE_NAMES[tonic] else best)


@dataclass(frozen=True)
class Meter:
    numerator: int
    denominator: int

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def bar_quarters(self) -> Fraction:
        """The length of one bar in quarter notes (3/4 -> 3, 6/8 -> 3, 2/2 -> 4)."""
        return Fraction(4 * self.numerator, self.denominator)

    @property
    def beat_quarters(self) -> Fraction:
        """The beat a harmony changes on, in quarter notes: compound meters (6/8, 9/8, 12/8, 6/4) beat in
        dotted notes, so a chord lasts a whole dotted beat; other meters beat in quarters, or in the
        signature's own note value when a bar is not whole quarters (3/8, 5/8, 7/8 beat in eighths)."""
        if self.numerator > 3 and self.numerator % 3 == 0 and self.denominator >= 4:
            return Fraction(3 * 4, self.denominator)
        if self.bar_quarters.denominator == 1:
            return Fraction(1)
        return Fraction(4, self.denominator)


def parse_meter(text: str) -> Meter:
    """'3/4', '6/8', 'C' (4/4) or '¢' (2/2) -> Meter, within what notation uses (1-16 over 1-32)."""
    text = (text or "").strip()
    if text in ("C", "c"):
        return Meter(4, 4)
    if text in ("¢", "C|"):
        return Meter(2, 2)
    match = re.fullmatch(r"(\d{1,2})\s*/\s*(\d{1,2})", text)
    if not match:
        raise MusicTheoryError(f"Unknown meter {text!r}; write it as a time signature, e.g. '3/4' or '6/8'.")
    numerator, denominator = int(match.group(1)), int(match.group(2))
    if not 1 <= numerator <= 16 or denominator not in (1, 2, 4, 8, 16, 32):
        raise MusicTheoryError(
            f"Meter {text!r} is not playable; the top is 1-16 and the bottom a power of two up to 32."
        )
    return Meter(numerator, denominator)


CHORD_QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
}
"""Chord-symbol suffixes and their intervals above the root, in semitones."""
_INTERVAL_LETTERS = {0: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4, 8: 4, 9: 6, 10: 6, 11: 6}
"""Letters above the root each chord interval is written with: a third is two letters up whether
major or minor, a diminished seventh (9 semitones) is a seventh, not a sixth."""

_QUALITY_PATTERN = "|".join(sorted(map(re.escape, CHORD_QUALITIES), key=len, reverse=True))
_CHORD = re.compile(rf"^([A-G](?:##|bb|#|b)?)({_QUALITY_PATTERN})$")
DOMINANT_QUALITIES = ("", "7")
"""Qualities that can be a secondary dominant: the root is a fifth above the chord it leads to."""
LEADING_TONE_QUALITIES = ("dim", "dim7", "m7b5")
"""Qualities that can be a leading-tone chord: the root is a half step below the chord it leads to."""
SYMMETRIC_QUALITIES = {"aug": 4, "dim7": 3}
"""Qualities built of one repeated interval: any of their tones can be named the root (B+ = G+ = D#+)."""


@dataclass(frozen=True)
class Chord:
    root: int
    quality: str
    spelling: str = ""
    """The root as written ('D#', 'Eb'); empty means the default spelling of `NOTE_NAMES`."""

    @property
    def root_name(self) -> str:
        return self.spelling or NOTE_NAMES[self.root]

    @property
    def symbol(self) -> str:
        return self.root_name + self.quality

    def pitch_classes(self) -> set[int]:
        return {(self.root + interval) % 12 for interval in CHORD_QUALITIES[self.quality]}

    def tone_names(self) -> dict[int, str]:
        """Pitch class -> name of each chord tone, spelled up from the root by letter (D#dim: D#, F#, A;
        C#dim7: C#, E, G, Bb). A tone beyond a double accidental keeps its default name."""
        root_letter = LETTERS.index(self.root_name[0])
        names = {}
        for interval in CHORD_QUALITIES[self.quality]:
            tone = (self.root + interval) % OCTAVE
            letter = LETTERS[(root_letter + _INTERVAL_LETTERS[interval]) % 7]
            names[tone] = note_name(letter, tone) or NOTE_NAMES[tone]
        return names

    def in_key(self, key: Key, next_root: int | None = None) -> Chord:
        """The same chord with its root spelled as `key` writes it (`chord_root_name`). A symmetric
        chord is named on the tone that spells the most of its tones as the key does (E minor's
        augmented III is G+: G, B, D#, not B+ with an F## for the G); a diminished seventh first on
        the leading tone of the chord after it (`next_root`), then of the tonic or the dominant
        (F#dim7 before G); a tie keeps the root given."""
        step = SYMMETRIC_QUALITIES.get(self.quality, OCTAVE)
        named = [Chord(root, self.quality, chord_root_name(root, self.quality, key))
                 for root in ((self.root + step * k) % OCTAVE for k in range(OCTAVE // step))]

        def fit(chord: Chord) -> tuple[bool, int, bool]:
            leads_to = (chord.root + 1) % OCTAVE if chord.quality in LEADING_TONE_QUALITIES else None
            in_key = sum(name == key.diatonic_name(tone) for tone, name in chord.tone_names().items())
            return leads_to == next_root, in_key, leads_to in (key.tonic, key.degree_root(5))

        return max(named, key=fit)


def chord_root_name(root: int, quality: str, key: Key) -> str:
    """How a musician spells a chord's root in `key`, by the chord's function:

    - a root in the key's scale with the key's letter (D#dim in E minor is vii°, never Ebdim);
    - a secondary dominant a fifth above the scale degree it leads to (F#7 = V7/vii in C major), a
      leading-tone chord a half step below it (C#dim7 = vii°7/ii in C major, never Dbdim7);
    - a chord borrowed from the parallel key as that key writes it (Ab = bVI, Bb = bVII in C major);
    - anything else a lowered degree (Db = the Neapolitan bII in C major).
    """
    root %= OCTAVE
    candidates = [key.diatonic_name(root)]
    if quality in DOMINANT_QUALITIES and (target := key.diatonic_name(root + 5)) is not None:
        candidates.append(note_name(LETTERS[(LETTERS.index(target[0]) + 4) % 7], root))
    if quality in LEADING_TONE_QUALITIES and (target := key.diatonic_name(root + 1)) is not None:
        candidates.append(note_name(LETTERS[(LETTERS.index(target[0]) - 1) % 7], root))
    candidates.append(key.parallel().diatonic_name(root))
    if (upper := key.diatonic_name(root + 1)) is not None:
        candidates.append(note_name(upper[0], root))
    return next((name for name in candidates if name is not None), NOTE_NAMES[root])


def parse_chord(symbol: str) -> Chord:
    """'Dm', 'A7', 'F#dim', 'Bbmaj7', 'F##dim7' -> Chord, keeping the root as written."""
    match = _CHORD.match((symbol or "").strip())
    if not match:
        qualities = ", ".join(repr(q) for q in CHORD_QUALITIES)
        raise MusicTheoryError(f"Unknown chord symbol {symbol!r}; write a root (C, F#, Bb) and one of {qualities}.")
    return Chord(pitch_class(match.group(1)), match.group(2), match.group(1))
