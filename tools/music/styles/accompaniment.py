"""Voice-led left hands for the piano styles: a waltz's bass-chord-chord, a nocturne's arpeggio,
and block chords under any other melody.

Root-position block chords (`tools.music.harmony.chords.block_chord`) jump every voice by up to a
sixth at each change of harmony; a pianist keeps the common tones, moves the other voices to the
nearest chord tone, and puts a chord in inversion where that lets the bass move by step. Both are
one search here (`_cheapest_path`, a Viterbi pass over every chord's candidate voicings): the
sequence of voicings with the least total motion in semitones plus the costs below, which name what
good accompaniment avoids (a chord tone left out, a doubled leading tone, a six-four chord, parallel
fifths or octaves with the melody, a drift out of the hand's register).

Input is one harmoniser chord index per slot of `slot` quarters; `NO_CHORD` holds the chord before
it (a rest before the first chord). A chord repeated over slots of one bar is one chord there, so
the texture's bar pattern spans it; a change of chord inside a bar starts the pattern again. The
accompaniment never rises to the melody: every note stays below the lowest melody note sounding
while its chord lasts. A section closing on its key's tonic (a full close) strikes that chord
once, bass and chord together, and holds it to the end of the bar: the music stops there. A waltz
closing on another chord (a half close on V, a question) keeps its oom-pah-pah going under it while
the melody breathes, as a dance does not stop for a question; a nocturne holds its half close's
chord too, the pause on V of a slow movement (its arpeggio, heard alone under the breath, would
turn the top voice into a run of leaps). The bass of the closing cadence, its last two chords, is
in root position.

Real left hands do not keep one figure through every piece: a waltz holds its bass through the bar
in a second voice or strikes it as a quarter (or in octaves), and follows it with two chords, one
chord and a rest, or one held chord (or grand four-note chords over an octave bass); a nocturne
arpeggiates in eighths or sixteenths, within a tenth or wider, over a held bass or not, or
strikes its eighths short, a rest after each (never repeated chords: a nocturne's left hand
breaks its chords, and the fixed-plan nocturnes that throbbed in repeated eighth chords sounded
like a hymn). Each texture's figures are data
(`WALTZ_FIGURES`, `NOCTURNE_FIGURES`); a section draws one from its seed (without a seed it plays
the first, plain one), but mostly keeps the piece's own figure (the one at the piece's density,
`tools.music.styles.density`: the densest pieces' figures strike the most notes) or,
without one, the figure heard in the left hand's bars before it, as a piece keeps its texture. A
seeded nocturne's arpeggio also leans into chord tones from chromatic lower neighbours (D# to E
over C), away from the melody's semitones and false relations: a slow movement's left hand is
seldom purely diatonic.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Literal, TypeVar

from ontology.music import Bar, Event
from ontology.music_styles import Accompaniment
from ontology.music_theory import OCTAVE, Key, exact_quarters
from tools.base import ToolInputError
from tools.music.harmony.chords import (
    NO_CHORD,
    QUALITIES,
    VOCABULARY_SIZE,
    chord_pitch_classes,
    chord_root_quality,
)
from tools.music.harmony.data import MelodyNote
from tools.music.styles.density import F, figure_at

LOWEST_PIANO_KEY = 21
LEADING_TONE = 11
"""Semitones from the tonic to the leading tone (a minor key raises its seventh too)."""
STEP = (1, 2)

CLOSE_POSITION = OCTAVE
"""A close-position voicing spans at most an octave."""
GAP_COST = 2.0
"""Per chord tone a voicing skips between its lowest and highest note: close position is consecutive
chord tones, left only to keep a chord tone from doubling or to sound one the voicing would lack."""
MISSING_TONE_COST = 12.0
"""Per chord tone that should sound and does not (the fifth is the first to go, then the root)."""
DOUBLED_LEADING_TONE_COST = 8.0
SIX_FOUR_COST = 4.0
"""A chord whose lowest note is its fifth: unstable outside the cadential formula."""
OUTER_INVERSION_COST = 12.0
"""The first chord and the closing one want their root in the bass."""
INVERSION_COST = 3.0
"""A bass on the chord's third instead of its root: worth it only to move by step."""
PARALLEL_COST = 12.0
"""Fifths or octaves between melody and bass moving in the same direction: block chords avoid them
at almost any price."""
LEFT_HAND_PARALLEL_COST = 3.0
"""The same in a waltz's or a nocturne's left hand, which takes one rather than move more than three
semitones further to avoid it, as a pianist's dance bass now and then doubles the tune's step at the
octave: at the strict cost the fixed-plan waltzes had one parallel in ten pieces (0.006 a bar),
Beethoven's triple-time openings 0.077 a bar, in 7 of 24 movements."""
CENTRE_PULL = 0.3
"""Per semitone a voicing's mean lies from the middle of its register: keeps the hand from drifting."""


@dataclass(frozen=True)
class Register:
    """Where a part of the accompaniment lies, in MIDI pitches."""

    lowest: int
    highest: int


WALTZ_BASS = Register(36, 51)  # C2-Eb3
WALTZ_CHORD = Register(52, 69)  # E3-A4: close chords around C4-G4
WALTZ_CHORD_NOTES = 3
FULL_WALTZ_CHORD_NOTES = 4
AFTERBEAT_NOTES = 2
"""A chord struck on both beats after its bass sounds two of its tones (the third and the fifth, or
the third and the seventh over the root), the lighter left hand of many minuets and German dances:
with three-note afterbeats sixty fixed-plan waltzes struck 7.4 to 11.9 notes a bar (10th to 90th
percentile, median 9.1) against Beethoven's triple-time movements' 6.3 to 13.9 (median 7.9); with
two, 6.9 to 11.7 (median 8.2), and the overlap rose from 0.67 to 0.73. The heavier figures (the bass
in octaves, full chords) and those striking one chord keep three or four, and a two-note figure's full
close is in three-note chords (`waltz_left_hand`)."""
NOCTURNE_BASS = Register(28, 52)  # E1-E3
ARPEGGIO_LOWEST = 5
ARPEGGIO_HIGHEST = 16
"""The arpeggio's chord tones lie from a fourth to a major tenth above its bass (1-5-8-10)."""
ARPEGGIO_NOTES = 3
ARPEGGIO_PATTERNS: dict[int, tuple[int, ...]] = {
    1: (0,), 2: (0, 1), 3: (0, 1, 2), 4: (0, 1, 3, 1), 5: (0, 1, 2, 3, 1), 6: (0, 1, 2, 3, 2, 1),
    7: (0, 1, 2, 3, 2, 1, 2), 8: (0, 1, 2, 3, 2, 1, 2, 1)}
"""The tone each pulse (an eighth, or a sixteenth) of a chord's arpeggio plays, by the chord's length
in pulses: 0 is the bass, 1-3 the chord tones above it (1-5-8-10 over a root): 1-5-10-5 in four
pulses, 1-5-8-10-8-5 in six. A longer chord repeats the eight-pulse pattern."""
WIDE_ARPEGGIO_PATTERNS: dict[int, tuple[int, ...]] = {
    1: (0,), 2: (0, 2), 3: (0, 2, 4), 4: (0, 2, 4, 2), 5: (0, 1, 2, 4, 2), 6: (0, 1, 2, 3, 4, 2),
    7: (0, 1, 2, 3, 4, 3, 2), 8: (0, 1, 2, 3, 4, 3, 2, 1)}
"""A wide arpeggio's tones by its length in pulses: 0 the bass, 1-4 four chord tones from a fifth to
two octaves above it (1-5-8-10-12 over a root): 1-8-12-8 in four, up to the twelfth and back in eight."""


WaltzAfterBass = Literal["chords", "detached_chords", "chord_then_rest", "held_chord"]
"""What a waltz bar sounds after its bass: a chord on every beat (oom-pah-pah), a chord on every beat
struck short, an eighth and an eighth rest (the detached afterbeats of Beethoven's minuets and
scherzos), one chord and a rest (oom-pah, the lighter dances), or one chord held to the bar's end
(the bass and a sustained chord)."""
DETACHED_CHORD = Fraction(1, 2)
"""How long a detached afterbeat chord sounds, in quarters; a rest fills the rest of its beat."""


@dataclass(frozen=True)
class WaltzFigure:
    """How a waltz's left hand sounds a chord's bar: `held_bass` keeps the bass through the bar in a
    voice of its own under the chords (a dotted half under a quarter rest and two chords);
    `octave_bass` doubles the bass an octave below (the heavier downbeat of a ballroom waltz);
    `after` is what sounds on the beats after the bass, in chords of `chord_notes` notes."""

    held_bass: bool
    after: WaltzAfterBass = "chords"
    octave_bass: bool = False
    chord_notes: int = WALTZ_CHORD_NOTES

    @property
    def notes_per_beat(self) -> float:
        """Notes a bar of three beats strikes, a third of them a beat: the bass (two in octaves), then
        two chords, or one."""
        chords = 2 if self.after in ("chords", "detached_chords") else 1
        return ((2 if self.octave_bass else 1) + chords * self.chord_notes) / 3


WALTZ_FIGURES = (WaltzFigure(held_bass=False, chord_notes=AFTERBEAT_NOTES),
                 WaltzFigure(held_bass=True, chord_notes=AFTERBEAT_NOTES),
                 WaltzFigure(held_bass=False, octave_bass=True),
                 WaltzFigure(held_bass=False, after="chord_then_rest"),
                 WaltzFigure(held_bass=False, after="held_chord"),
                 WaltzFigure(held_bass=False, octave_bass=True, chord_notes=FULL_WALTZ_CHORD_NOTES),
                 WaltzFigure(held_bass=False, after="detached_chords", chord_notes=AFTERBEAT_NOTES),
                 WaltzFigure(held_bass=False, after="detached_chords", octave_bass=True))
"""The plain bass-chord-chord first (the figure without a seed); the bass held under the chords (Chopin's
notation); the bass in octaves under three-note chords; bass-chord-rest; the bass and a chord held
through the last two beats; the bass in octaves under full four-note chords (a grand waltz's left hand);
the bass and two detached chords; the bass in octaves under two detached three-note chords (a ballroom
waltz's short afterbeats: without it the dense half of the figures never rested: the six of the language
model's twenty waltzes drawn densest rested in 0-6% of their events, Beethoven's triple-time openings in
18% at the median). The plain, held-bass and two-note detached figures strike two-note afterbeats
(`AFTERBEAT_NOTES`). A piece's density varies with its figure, as real waltzes and minuets do: the
reference movements strike 5 to 24 notes a bar; with the first five figures alone the fixed-plan waltzes
struck 6.8 to 9.8 (a narrow bell, overlap 0.54). Its rests vary with it too: Beethoven's triple-time
movements rest in 6% to 28% of their events (10th to 90th percentile), many of them the eighth rests
after detached afterbeats; with only bass-chord-rest and the tune's breaths to rest in, sixty fixed-plan
waltzes rested in 2% to 18%."""


@dataclass(frozen=True)
class NocturneFigure:
    """How a nocturne's left hand arpeggiates a chord: on which pulse (quarters), `tones` chord tones
    from `lowest` to `highest` semitones above the bass in the order of `patterns` (by the chord's
    length in pulses), whether the bass is held through the chord in a voice of its own, and how
    long each note sounds (`struck` quarters, a rest filling the rest of its pulse; None: legato).
    """

    pulse: Fraction
    lowest: int
    highest: int
    tones: int
    patterns: Mapping[int, tuple[int, ...]]
    held_bass: bool
    struck: Fraction | None = None

    @property
    def notes_per_beat(self) -> float:
        """One note a pulse, whether the bass is held under the arpeggio (it rests on its first pulse)
        or struck on it."""
        return float(1 / self.pulse)


EIGHTH, SIXTEENTH = Fraction(1, 2), Fraction(1, 4)
WIDE_LOWEST, WIDE_HIGHEST, WIDE_NOTES = 7, 2 * OCTAVE, 4
NOCTURNE_FIGURES = (
    NocturneFigure(EIGHTH, ARPEGGIO_LOWEST, ARPEGGIO_HIGHEST, ARPEGGIO_NOTES, ARPEGGIO_PATTERNS, False),
    NocturneFigure(EIGHTH, ARPEGGIO_LOWEST, ARPEGGIO_HIGHEST, ARPEGGIO_NOTES, ARPEGGIO_PATTERNS, True),
    NocturneFigure(EIGHTH, WIDE_LOWEST, WIDE_HIGHEST, WIDE_NOTES, WIDE_ARPEGGIO_PATTERNS, True),
    NocturneFigure(SIXTEENTH, ARPEGGIO_LOWEST, ARPEGGIO_HIGHEST, ARPEGGIO_NOTES, ARPEGGIO_PATTERNS, False),
    NocturneFigure(SIXTEENTH, ARPEGGIO_LOWEST, ARPEGGIO_HIGHEST, ARPEGGIO_NOTES, ARPEGGIO_PATTERNS, True),
    NocturneFigure(SIXTEENTH, WIDE_LOWEST, WIDE_HIGHEST, WIDE_NOTES, WIDE_ARPEGGIO_PATTERNS, True),
    NocturneFigure(EIGHTH, ARPEGGIO_LOWEST, ARPEGGIO_HIGHEST, ARPEGGIO_NOTES, ARPEGGIO_PATTERNS, False, SIXTEENTH),
)
"""Eighths within a tenth (the figure without a seed); the same over a held bass; a wide arpeggio,
a twelfth to two octaves above its held bass; sixteenths within a tenth, for a slow tempo, alone
or over a held bass; wide sixteenths over a held bass (Field's and Chopin's sweeping left hands);
eighths struck short, each a sixteenth and a rest (the staccato bass under Beethoven's Largo
appassionato, op. 2 no. 2). Their densities differ twofold, as real slow movements' do; half run
in sixteenths (with two of six the fixed-plan nocturnes struck 15.3 notes a bar against the
reference nocturnes' 18.7). A quarter of Beethoven's slow movements rest in 17-37% of their events,
where sixty fixed-plan nocturnes' most was 13% before the staccato figure (session 36, measured
piece by piece with `tools.music.quality.features.measure`); with it, the rest share's overlap
went from 0.60 to 0.87 (`bench/compose_tools_quality.py --styles nocturne -n 60`)."""
NEIGHBOUR_RATE = (0.2, 1.0)
"""The range of how often a seeded nocturne's arpeggio takes a chromatic lower neighbour, per
`NEIGHBOUR_PULSES` pulses of a chord, drawn once for a piece (`piece_neighbour_rate`): some pieces
plain, some chromatic, as real ones are. Drawn for each section from 0.25, 0.6 and 1.0, a piece's
sections averaged each other out: the left hands of sixty fixed-plan nocturnes sounded 0-12% of their
notes outside the key, and the language model's ten nocturnes, both hands, 3-8% (Beethoven's slow
movements: 2-18%, 10th to 90th percentile)."""
NEIGHBOUR_PULSES = 4
"""At most one chromatic neighbour in so many pulses: one in a half bar of eighths, two in sixteenths."""
KEEP_FIGURE = 0.9
"""How often a seeded section keeps its piece's figure (the one at the piece's density), or, written
without a piece's density, the figure heard in the left hand's bars before it: a piece's texture carries
on, and now and then a new section (a B, a varied return) brings a new one. (At 0.75, a piece of three
sections mixed figures more often than not, and sixty fixed-plan waltzes' densities averaged out:
notes per bar overlapped the reference's by 0.59 and rests by 0.60; at 0.9, 0.62 and 0.62; session 34.)"""
BLOCK_CHORDS = Register(48, 67)  # C3-G4
BLOCK_CHORD_NOTES = 3
WALTZ_BEAT = Fraction(1)
LEFT_HANDS: dict[Accompaniment, Register] = {
    "waltz": Register(WALTZ_BASS.lowest, WALTZ_CHORD.highest),
    "nocturne": Register(NOCTURNE_BASS.lowest, NOCTURNE_BASS.highest + WIDE_HIGHEST),
    "block_chords": BLOCK_CHORDS}
"""Where each accompaniment's left hand lies, from its bass's floor to its chords' or arpeggio's
ceiling: where the hand may double the tune in a passage in octaves (`tools.music.styles.octaves`)."""


Tops = tuple[int | None, int | None]
"""Two successive top notes of the melody (None: none sounds) while the accompaniment's lowest note
moves, as a chord starts or from its bass to the chord above: a parallel fifth or octave is heard
against them."""


Voices = list[list[Event]]
"""A chord's events in one or more voices, each as long as the chord."""


class AccompanimentError(ToolInputError):
    """The chords, meter or melody cannot be accompanied as given; the message says what to change."""


@dataclass(frozen=True)
class ChordSpan:
    """One chord sounding in one bar: its start in the bar and its length in quarters, and the chord
    (`NO_CHORD`: nothing has been played yet, a rest)."""

    bar: int
    start: Fraction
    duration: Fraction
    chord: int


def chord_spans(chords: Sequence[int], slot: Fraction, bars: int, bar_length: Fraction) -> list[ChordSpan]:
    """The chords bar by bar, `NO_CHORD` holding the previous chord and repeats merged within a bar."""
    slot, bar_length = Fraction(slot), Fraction(bar_length)
    if slot <= 0 or bars < 1 or (bar_length / slot).denominator != 1:
        raise AccompanimentError(f"A bar of {bar_length} quarters is not a whole number of {slot}-quarter chord "
                                 f"slots over {bars} bars; give a slot that divides the bar.")
    per_bar = int(bar_length / slot)
    if len(chords) != bars * per_bar:
        raise AccompanimentError(f"{bars} bars of {per_bar} slots need {bars * per_bar} chords, not {len(chords)}.")
    unknown = sorted({c for c in chords if not 0 <= c < VOCABULARY_SIZE})
    if unknown:
        raise AccompanimentError(f"Chord indexes {unknown} are not in the harmoniser's vocabulary "
                                 f"(0-{VOCABULARY_SIZE - 1}).")
    spans: list[ChordSpan] = []
    sounding = NO_CHORD
    for index, chord in enumerate(chords):
        sounding = chord if chord != NO_CHORD else sounding
        bar, position = divmod(index, per_bar)
        last = spans[-1] if spans else None
        if last is not None and last.bar == bar and last.chord == sounding:
            spans[-1] = ChordSpan(bar, last.start, last.duration + slot, sounding)
        else:
            spans.append(ChordSpan(bar, position * slot, slot, sounding))
    return spans


V = TypeVar("V")


def _cheapest_path(candidates: list[list[V]], node_cost: Callable[[int, V], float],
                   move_cost: Callable[[int, V, V], float]) -> list[V]:
    """The candidate per step (one list per step, none empty) minimising the sum of every chosen
    candidate's cost and of the cost of moving from each to the next (a Viterbi pass)."""
    costs = [node_cost(0, v) for v in candidates[0]]
    back: list[list[int]] = []
    for step in range(1, len(candidates)):
        new_costs, pointers = [], []
        for v in candidates[step]:
            best = min(range(len(costs)), key=lambda i: costs[i] + move_cost(step, candidates[step - 1][i], v))
            new_costs.append(costs[best] + move_cost(step, candidates[step - 1][best], v) + node_cost(step, v))
            pointers.append(best)
        costs = new_costs
        back.append(pointers)
    choice = min(range(len(costs)), key=costs.__getitem__)
    chosen = [choice]
    for pointers in reversed(back):
        choice = pointers[choice]
        chosen.append(choice)
    return [candidates[step][index] for step, index in enumerate(reversed(chosen))]


def _priority(chord: int) -> list[int]:
    """The chord's pitch classes in the order they are kept when fewer notes than tones sound: root,
    third, seventh, fifth (so the fifth, the last, is the tone a thinner voicing leaves out)."""
    root, quality = chord_root_quality(chord)  # type: ignore[misc]
    intervals = QUALITIES[quality]
    return [(root + interval) % 12 for interval in (intervals[0], intervals[1], *intervals[3:], intervals[2])]


def _leading_tone(key: Key) -> int:
    return (key.tonic + LEADING_TONE) % 12


def _window(register: Register, ceiling: int | None) -> tuple[int, int]:
    """The register cut below `ceiling` (the melody's lowest note less one), lowered where needed so
    an octave remains: every pitch class then has a place in it."""
    high = register.highest if ceiling is None else min(register.highest, ceiling)
    low = min(register.lowest, high - (OCTAVE - 1))
    if low < LOWEST_PIANO_KEY:
        raise AccompanimentError(f"The melody leaves no room below it for the accompaniment (nothing may sound "
                                 f"above MIDI {high}); keep the melody above MIDI {LOWEST_PIANO_KEY + 3 * OCTAVE}.")
    return low, high


def _voicing_cost(chord: int, voicing: tuple[int, ...], bass: int | None, leading_tone: int | None,
                  outer: bool) -> float:
    """What a voicing of `chord` over `bass` (None: the voicing's lowest note is the bass) costs
    besides its motion: chord tones left out, a doubled leading tone, and where it is its own bass a
    six-four chord or an `outer` (first or closing) chord not in root position."""
    sounding = [pitch % 12 for pitch in voicing] + ([bass % 12] if bass is not None else [])
    tones = _priority(chord)
    cost = MISSING_TONE_COST * sum(tone not in sounding for tone in tones[: len(sounding)])
    if leading_tone is not None and sounding.count(leading_tone) > 1:
        cost += DOUBLED_LEADING_TONE_COST
    if bass is None:
        lowest = voicing[0] % 12
        cost += SIX_FOUR_COST * (lowest == tones[-1]) + OUTER_INVERSION_COST * (outer and lowest != tones[0])
    return cost


def _voicings(chords: list[int], windows: list[tuple[int, int]], notes: int, basses: Sequence[int | None],
              leading_tone: int | None, tops: Sequence[Tops] | None = None,
              entries: Sequence[Tops] | None = None, parallel_cost: float = PARALLEL_COST) -> list[tuple[int, ...]]:
    """The nearest close-position voicing of every chord (`notes` chord tones within an octave), each
    within its window (lowest, highest), above its bass if one is given: least total motion of the
    voices (voice by voice from the bottom), the costs of `_voicing_cost`, a cost per chord tone
    skipped inside the voicing, a pull towards the window's middle, and no parallel fifths or octaves
    with the melody (`Tops`): from a voicing's lowest note, which the texture ends its chord on, to the
    next chord's bass, from a voicing's top note to the next one's (heard as a voice of its own where
    the chords are one above a held bass), and (`entries`, where a bass is given) from the bass to
    the voicing's lowest note, which the texture sounds next."""
    silent: list[Tops] = [(None, None)] * len(chords)
    tops, entries = tops or silent, entries or silent
    candidates = []
    for chord, (low, high) in zip(chords, windows, strict=True):
        tones = set(_priority(chord))
        pitches = [pitch for pitch in range(low, high + 1) if pitch % 12 in tones]
        found = [(v, pitches.index(v[-1]) - pitches.index(v[0]) + 1 - notes)
                 for v in combinations(pitches, notes) if v[-1] - v[0] <= CLOSE_POSITION]
        if not found:
            raise AccompanimentError(f"No {notes}-note close-position chord fits between MIDI {low} and {high}; "
                                     f"widen the range or ask for fewer notes.")
        candidates.append(found)
    last = len(chords) - 1

    def node(step: int, candidate: tuple[tuple[int, ...], int]) -> float:
        (voicing, gaps), (low, high) = candidate, windows[step]
        centre = abs(sum(voicing) / len(voicing) - (low + high) / 2)
        bass = basses[step]
        parallel = 0.0 if bass is None else _parallel_cost(entries[step], bass, voicing[0], parallel_cost)
        return (_voicing_cost(chords[step], voicing, bass, leading_tone, step in (0, last))
                + GAP_COST * gaps + CENTRE_PULL * centre + parallel)

    def move(step: int, before: tuple[tuple[int, ...], int], after: tuple[tuple[int, ...], int]) -> float:
        bass = basses[step]
        parallel = _parallel_cost(tops[step], before[0][0], after[0][0] if bass is None else bass, parallel_cost)
        parallel_top = _parallel_cost(tops[step], before[0][-1], after[0][-1], parallel_cost)
        return sum(abs(a - b) for a, b in zip(before[0], after[0], strict=True)) + parallel + parallel_top

    return [voicing for voicing, _ in _cheapest_path(candidates, node, move)]


def _parallel(tops: Tops, bass_before: int, bass_now: int) -> bool:
    """Melody and bass move the same way into the fifth or octave they already made as a chord changes."""
    melody_before, melody_now = tops
    if melody_before is None or melody_now is None:
        return False
    interval = (melody_now - bass_now) % OCTAVE
    same_way = (melody_now - melody_before) * (bass_now - bass_before) > 0
    return interval in (0, 7) and interval == (melody_before - bass_before) % OCTAVE and same_way


def _parallel_cost(tops: Tops, bass_before: int, bass_now: int, lenient: float) -> float:
    """What a parallel (`_parallel`) costs: `lenient` where the melody moves by step (a dance bass
    doubling the tune's step at the octave, as Beethoven's do now and then), `PARALLEL_COST` at
    least where it leaps: both voices leaping into the same fifth or octave is the parallel a
    teacher marks first, and 5 of the 7 left in the bench's ten waltzes at the lenient cost leapt
    (A5-E5 over A2-E2 across a join, D6-D5 over D3-D2)."""
    if not _parallel(tops, bass_before, bass_now):
        return 0.0
    melody_before, melody_now = tops
    stepwise = melody_before is not None and melody_now is not None and abs(melody_now - melody_before) in STEP
    return lenient if stepwise else max(lenient, PARALLEL_COST)


def _bass_line(chords: list[int], windows: list[tuple[int, int]], tops: list[Tops],
               parallel_cost: float = PARALLEL_COST, previous: int | None = None) -> list[int]:
    """One bass note per chord within its window: the root, or the third where the bass reaches it
    by step (or holds it through a repeated chord); the piece's first chord and the closing
    cadence's two chords in root position; least motion, no parallel fifths or octaves with the
    melody notes (`Tops`), near the middle of the window. A section after another starts from the
    `previous` section's last bass: its first chord is led from there (the third only by step, no
    parallels with `tops[0]`, the melody across the join), where a section written alone
    had met the one before in parallel octaves at 5 of the 7 outer-voice parallels of the bench's
    ten waltzes (A5-E5 over A2-E2 into a B section). Unlike a move within the section, the join
    adds no distance: each section's bass starts near its window's middle (`CENTRE_PULL`) rather
    than drifting section by section; and an inverted first bass is never reached by holding the
    bass before, since a held bass is a repeated chord's and the chord before the join is not
    known here, only its bass."""
    last = len(chords) - 1
    before = max((step for step, chord in enumerate(chords) if chord != chords[last]), default=0)
    roots_only = {before, last} | ({0} if previous is None else set())
    candidates = []
    for step, (chord, (low, high)) in enumerate(zip(chords, windows, strict=True)):
        root, third = _priority(chord)[:2]
        allowed = {root} if step in roots_only else {root, third}
        candidates.append([pitch for pitch in range(low, high + 1) if pitch % 12 in allowed])

    def inverted(step: int, pitch: int) -> bool:
        return pitch % 12 != _priority(chords[step])[0]

    def led(step: int, before: int, after: int) -> float:
        """Infinite for an inverted bass not reached by step (nor held), else a parallel's cost."""
        interval = abs(after - before)
        held = interval == 0 and step > 0 and chords[step] == chords[step - 1]
        if inverted(step, after) and interval not in STEP and not held:
            return float("inf")
        return _parallel_cost(tops[step], before, after, parallel_cost)

    def node(step: int, pitch: int) -> float:
        low, high = windows[step]
        joined = led(0, previous, pitch) if step == 0 and previous is not None else 0.0
        return INVERSION_COST * inverted(step, pitch) + CENTRE_PULL * abs(pitch - (low + high) / 2) + joined

    def move(step: int, before: int, after: int) -> float:
        return abs(after - before) + led(step, before, after)

    return _cheapest_path(candidates, node, move)


def _pulses(duration: Fraction, unit: Fraction) -> list[Fraction]:
    """`duration` cut into `unit`s, the remainder last."""
    whole, rest = divmod(duration, unit)
    return [unit] * int(whole) + ([rest] if rest else [])


@dataclass(frozen=True)
class Join:
    """The outer voices' last pitches before a section: the melody's top note and the bass under it."""

    top: int
    bass: int


def _last_sounding(bars: Sequence[Bar]) -> list[int]:
    """The pitches of the last bar with notes that sound until its latest note ends (a held bass
    and the chord struck over it both), [] where no bar has notes."""
    for bar in reversed(bars):
        spans = []
        for voice in bar.voices:
            time = Fraction(0)
            for event in voice:
                time += exact_quarters(event.duration)
                if event.pitches:
                    spans.append((time, event.pitches))
        if spans:
            latest = max(end for end, _ in spans)
            return [pitch for end, pitches in spans if end == latest for pitch in pitches]
    return []


BASS_REACH = ARPEGGIO_LOWEST - 1
"""How far above a bar's lowest note a later bass may lie (a major third): every texture's chord
tones sit above its bass (a nocturne's a fourth at least, a waltz's chords above its bass window),
while the bass of a bar's second chord moves from its first by a step or a third, or lies lower."""


def _undoubled(pitches: Sequence[int]) -> list[int]:
    """An event's pitches less a bass doubled an octave below the waltz's bass window (the
    ballroom figure's C1-C2 under a C2 bass line): the line `_bass_line` chose is the upper note."""
    low = sorted(pitches)
    doubled = len(low) > 1 and low[1] - low[0] == OCTAVE and low[0] < WALTZ_BASS.lowest
    return low[1:] if doubled else low


def _last_bass(bars: Sequence[Bar]) -> int | None:
    """The bass of the last chord in the last bar with notes: the last note struck within
    `BASS_REACH` of that bar's lowest note (`_undoubled`). Not the lowest note sounding at the end: a waltz bar's
    bass is a quarter on its first beat under chords that end the bar, and the chord's lowest
    note (G3 over a G2 bass) is no bass to lead a section's first bass from."""
    for bar in reversed(bars):
        struck: list[tuple[Fraction, int]] = []
        for voice in bar.voices:
            time = Fraction(0)
            for event in voice:
                struck.extend((time, pitch) for pitch in _undoubled(event.pitches))
                time += exact_quarters(event.duration)
        if struck:
            lowest = min(pitch for _, pitch in struck)
            return max((note for note in struck if note[1] <= lowest + BASS_REACH), key=lambda n: (n[0], -n[1]))[1]
    return None


def join_before(right: Sequence[Bar], left: Sequence[Bar]) -> Join | None:
    """The `Join` the bars before a section end on (None where either hand has no notes)."""
    top, bass = _last_sounding(right), _last_bass(left)
    return Join(max(top), bass) if top and bass is not None else None


class _Plan:
    """A section's chord spans read against its melody: what every texture needs before choosing notes.
    Where the section follows another (`join`) and its first chord starts it, that chord's bass is led
    from the bass before it, against the melody across the join (`previous_bass`, `tops[0]`)."""

    def __init__(self, chords: Sequence[int], slot: Fraction, bars: int, bar_length: Fraction, key: Key,
                 melody: list[MelodyNote] | None, join: Join | None = None) -> None:
        self.bars_count, self.bar_length = bars, Fraction(bar_length)
        self.spans = chord_spans(chords, slot, bars, self.bar_length)
        self.sounding = [span for span in self.spans if span.chord != NO_CHORD]
        self.chords = [span.chord for span in self.sounding]
        self.full_close = bool(self.chords) and _priority(self.chords[-1])[0] == key.tonic
        """Whether the section closes on its tonic, where every texture holds the last chord (`bars`)."""
        self.notes = [(exact_quarters(n.onset), exact_quarters(n.onset) + exact_quarters(n.duration), n.pitch)
                      for n in melody or []]
        self.ceilings: list[int | None] = []
        """Per chord, the highest pitch the accompaniment may use: under the melody's lowest note meanwhile."""
        self.tops: list[Tops] = []
        for span in self.sounding:
            start = self.start(span)
            over = [pitch for onset, end, pitch in self.notes if onset < start + span.duration and end > start]
            before = [pitch for onset, end, pitch in self.notes if onset < start <= end]
            self.ceilings.append(min(over) - 1 if over else None)
            self.tops.append((max(before, default=None), self.melody_at(start)))
        joined = join is not None and bool(self.sounding) and self.start(self.sounding[0]) == 0
        self.previous_bass = join.bass if join is not None and joined else None
        if join is not None and joined and self.tops[0][0] is None:
            self.tops[0] = (join.top, self.tops[0][1])

    def start(self, span: ChordSpan) -> Fraction:
        return span.bar * self.bar_length + span.start

    def melody_at(self, time: Fraction) -> int | None:
        """The melody's top note sounding at `time` (None: none)."""
        return max((pitch for onset, end, pitch in self.notes if onset <= time < end), default=None)

    def entries(self, pulse: Fraction) -> list[Tops]:
        """The melody as each chord starts and `pulse` later, where its texture sounds the chord above the bass."""
        return [(self.melody_at(self.start(span)), self.melody_at(self.start(span) + pulse))
                if pulse < span.duration else (None, None) for span in self.sounding]

    def bars(self, events: Callable[[int, ChordSpan, bool], Voices], *, hold_any_close: bool = False) -> list[Bar]:
        """The section's bars: `events(step, span, final)` gives the voices (one or two, each as long
        as the span) of the step-th sounding chord (final for the section's last when it closes on
        the tonic, `full_close`, or on any chord where the texture holds every close), a rest where
        nothing has sounded yet. A bar's voices are as many as its most-voiced chord needs; a chord
        with fewer rests in the others."""
        spans: list[list[Voices]] = [[] for _ in range(self.bars_count)]
        step = 0
        for span in self.spans:
            if span.chord == NO_CHORD:
                spans[span.bar].append([[_rest(span.duration)]])
                continue
            final = step == len(self.sounding) - 1 and (self.full_close or hold_any_close)
            spans[span.bar].append(events(step, span, final))
            step += 1
        bars = []
        for voiced in spans:
            count = max(len(voices) for voices in voiced)
            bars.append(Bar(voices=[
                [event for voices in voiced
                 for event in (voices[v] if v < len(voices) else [_rest(_length(voices[0]))])]
                for v in range(count)]))
        return bars


def _rest(duration: Fraction) -> Event:
    return Event(pitches=[], duration=float(duration))


def _length(voice: list[Event]) -> Fraction:
    return sum((exact_quarters(event.duration) for event in voice), Fraction(0))


def _figure(figures: Sequence[F], draw: random.Random | None, heard: Callable[[], F | None],
            density: float | None = None) -> F:
    """The figure a section's left hand plays: the piece's own (the one at the piece's `density`,
    `tools.music.styles.density`), or without one the one `heard` in the bars before it (read only
    where it is used: never with both a seed and a piece's density), kept at `KEEP_FIGURE` (always
    without a seed), else one drawn (`draw`, from the section's seed; the first, plain one without),
    so pieces differ as real ones do, a piece keeps its texture from section to section as real ones
    mostly do, and a section written again is the same. Kept by the piece rather than by each
    section's predecessor, a piece is dense or light as a whole: section by section the fixed-plan
    waltzes' densities averaged out to 6.8-9.8 notes a bar against the references' 5-24."""
    if draw is None:
        return heard() or figures[0]
    drawn = draw.choice(list(figures))
    kept = heard() if density is None else figure_at(figures, density)
    return kept if kept is not None and draw.random() < KEEP_FIGURE else drawn


def _waltz_figure_heard(bars: Sequence[Bar]) -> WaltzFigure | None:
    """The waltz figure the latest of `bars` to show one plays (a close struck once shows none):
    read from its voices (a held bass), its bass (in octaves) and what follows the bass (and in how
    many notes)."""
    for bar in reversed(bars):
        upper = bar.voices[0]
        held = len(bar.voices) == 2
        after = upper[1:]
        if not after or not after[0].pitches:
            continue
        low = (bar.voices[1] if held else upper)[0].pitches
        octave = len(low) == 2 and low[1] - low[0] == OCTAVE
        shape: WaltzAfterBass = ("held_chord" if len(after) == 1
                                 else "detached_chords" if exact_quarters(after[0].duration) < WALTZ_BEAT
                                 else "chord_then_rest" if not after[-1].pitches else "chords")
        figure = WaltzFigure(held_bass=held, after=shape, octave_bass=octave, chord_notes=len(after[0].pitches))
        if figure in WALTZ_FIGURES:
            return figure
    return None


def _nocturne_figure_heard(bars: Sequence[Bar]) -> NocturneFigure | None:
    """The nocturne figure the latest of `bars` to show one plays (a held chord shows none): read
    from its pulse, its voices (a held bass), how far its notes rise above the bass held under
    them (a wide arpeggio's pass a tenth) and whether a rest follows each note (a staccato
    figure's, where a held bass's arpeggio rests only as each chord starts); a bar that strikes
    chords (an arpeggio the earlier repeated-chord figure wrote) shows none."""
    for bar in reversed(bars):
        upper = bar.voices[0]
        struck = [event for event in upper if event.pitches]
        if len(struck) < 3:
            continue
        held = len(bar.voices) == 2
        if any(len(event.pitches) > 1 for event in struck):
            continue
        rests = [exact_quarters(event.duration) for event in upper[1:] if not event.pitches]
        short = min(exact_quarters(event.duration) for event in struck) if len(rests) >= len(struck) - 1 else None
        pulse = min(exact_quarters(event.duration) for event in upper) if short is None else short + min(rests)
        wide = held and _rises_past(upper, bar.voices[1], ARPEGGIO_HIGHEST)
        found = [figure for figure in NOCTURNE_FIGURES
                 if (figure.pulse, figure.held_bass, figure.highest > ARPEGGIO_HIGHEST, figure.struck)
                 == (pulse, held, wide, short)]
        if found:
            return found[0]
    return None


def _rises_past(upper: list[Event], bass: list[Event], interval: int) -> bool:
    """Whether a note of `upper` lies more than `interval` semitones above the `bass` note under it."""
    under: list[tuple[Fraction, Fraction, int]] = []
    time = Fraction(0)
    for event in bass:
        if event.pitches:
            under.append((time, time + exact_quarters(event.duration), min(event.pitches)))
        time += exact_quarters(event.duration)
    time = Fraction(0)
    for event in upper:
        low = [pitch for start, end, pitch in under if start <= time < end]
        if event.pitches and low and max(event.pitches) - low[0] > interval:
            return True
        time += exact_quarters(event.duration)
    return False


def waltz_left_hand(chords: list[int], slot: Fraction, bars: int, bar_length: Fraction, key: Key,
                    melody: list[MelodyNote] | None = None, seed: int | None = None,
                    before: Sequence[Bar] = (), density: float | None = None, join: Join | None = None) -> list[Bar]:
    """Oom-pah-pah: the bass on the chord's first beat (`_bass_line`), the chord's other tones (as many
    as the figure's `chord_notes`; three where the melody leaves too little room for a full figure's
    four) in close position around C4-G4 voiced nearest the chord before, on the beats after it.
    The figure (`WALTZ_FIGURES`, drawn from `seed`) strikes the bass as a quarter in the chords'
    voice (in octaves or not), or holds it through the chord in a voice of its own under the chords,
    which then rest on its beat (Chopin's notation); after the bass it strikes a chord on every
    beat (whole or detached), or one chord and a rest, or one chord held to the end of the chord's
    span. The piece's own figure (the one at its `density`) or, without one, the figure heard in
    `before` (the left hand's bars before the section, or those it re-arranges) is mostly kept
    (`_figure`). The chord
    before a full close strikes every beat whatever the figure: the dance drives into its cadence,
    and the dominant sounds to the end of its bar. The last two chords of a full close sound three
    notes or more whatever the figure: a two-note V7 (C#-G after an A struck on the downbeat) sounds as no
    dominant on its afterbeats, and 4 of 60 fixed-plan waltzes' closes were heard as plagal."""
    figure = _figure(WALTZ_FIGURES, None if seed is None else random.Random(seed),
                     lambda: _waltz_figure_heard(before), density)
    plan = _Plan(chords, slot, bars, bar_length, key, melody, join)
    if not plan.sounding:
        return plan.bars(lambda *_: [[]])
    chord_windows = [_window(WALTZ_CHORD, ceiling) for ceiling in plan.ceilings]
    basses = _bass_line(plan.chords, [_window(WALTZ_BASS, low - 1) for low, _ in chord_windows], plan.tops,
                        LEFT_HAND_PARALLEL_COST, plan.previous_bass)
    try:
        chords_above = _voicings(plan.chords, chord_windows, figure.chord_notes, basses, _leading_tone(key),
                                 plan.tops, plan.entries(WALTZ_BEAT), LEFT_HAND_PARALLEL_COST)
    except AccompanimentError:  # a melody sung low leaves an octave, too little for four notes in close position
        if figure.chord_notes != FULL_WALTZ_CHORD_NOTES:
            raise
        chords_above = _voicings(plan.chords, chord_windows, WALTZ_CHORD_NOTES, basses, _leading_tone(key),
                                 plan.tops, plan.entries(WALTZ_BEAT), LEFT_HAND_PARALLEL_COST)
    closing = len(plan.sounding) - 2
    if plan.full_close and figure.chord_notes < WALTZ_CHORD_NOTES:  # a two-note V7 is heard as no dominant
        full = _voicings(plan.chords, chord_windows, WALTZ_CHORD_NOTES, basses, _leading_tone(key), plan.tops,
                         plan.entries(WALTZ_BEAT), LEFT_HAND_PARALLEL_COST)
        chords_above = chords_above[:closing] + full[closing:]

    def events(step: int, span: ChordSpan, final: bool) -> Voices:
        bass, upper = basses[step], list(chords_above[step])
        low = [bass - OCTAVE, bass] if figure.octave_bass and bass - OCTAVE >= LOWEST_PIANO_KEY else [bass]
        beats = [span.duration] if final else _pulses(span.duration, WALTZ_BEAT)
        if final or (len(beats) == 1 and not figure.held_bass):
            return [[Event(pitches=[*low, *upper], duration=float(span.duration))]]
        if len(beats) == 1:
            return [[Event(pitches=upper, duration=float(span.duration))],
                    [Event(pitches=low, duration=float(span.duration))]]
        driving = step == closing and plan.full_close
        after = _after_bass("chords" if driving else figure.after, upper, beats[1:])
        if figure.held_bass:
            return [[_rest(beats[0]), *after], [Event(pitches=low, duration=float(span.duration))]]
        return [[Event(pitches=low, duration=float(beats[0])), *after]]

    return plan.bars(events)


def _after_bass(after: WaltzAfterBass, upper: list[int], beats: list[Fraction]) -> list[Event]:
    """A waltz chord's beats after its bass, as its figure's `after` sounds them."""
    if after == "chords":
        return [Event(pitches=upper, duration=float(beat)) for beat in beats]
    if after == "detached_chords":
        return [event for beat in beats for event in _sounded(upper, beat, DETACHED_CHORD)]
    first, rest = beats[0], sum(beats[1:], Fraction(0))
    if after == "held_chord":
        return [Event(pitches=upper, duration=float(first + rest))]
    return [Event(pitches=upper, duration=float(first)), *([_rest(rest)] if rest else [])]


def arpeggio_pattern(pulses: int, patterns: Mapping[int, tuple[int, ...]] = ARPEGGIO_PATTERNS) -> list[int]:
    """The tones (`ARPEGGIO_PATTERNS`, or a figure's `patterns`) of an arpeggio `pulses` long: a
    longer chord repeats the longest pattern."""
    longest = patterns[max(patterns)]
    return list(patterns.get(pulses) or [longest[i % len(longest)] for i in range(pulses)])


def piece_neighbour_rate(piece_seed: int) -> float:
    """A piece's rate of chromatic lower neighbours in its nocturne arpeggios (`NEIGHBOUR_RATE`)."""
    return random.Random(f"neighbours {piece_seed}").uniform(*NEIGHBOUR_RATE)


def nocturne_left_hand(chords: list[int], slot: Fraction, bars: int, bar_length: Fraction, key: Key,
                       melody: list[MelodyNote] | None = None, seed: int | None = None,
                       before: Sequence[Bar] = (), density: float | None = None,
                       join: Join | None = None, neighbour_rate: float | None = None) -> list[Bar]:
    """Each chord arpeggiated from a low bass (E1-E3, `_bass_line`) up through its tones above and
    back, the tones voiced nearest the chord before, every one of them heard (`_every_tone`). The
    figure (`NOCTURNE_FIGURES`, drawn from `seed`) sets the pulse (eighths or sixteenths), how far
    the arpeggio spans (a tenth, or a twelfth and more as Chopin's do), whether the bass is held
    through the chord in a voice of its own under the arpeggio, which then rests on its first
    pulse; the piece's own figure (or, without a `density`, the one heard in `before`) is mostly
    kept, as the waltz's is. A seeded
    arpeggio may also lean into a chord tone from a chromatic lower neighbour (`_chromatic_neighbours`,
    at the piece's `neighbour_rate`, or without one a rate drawn from `NEIGHBOUR_RATE` by the seed),
    but not in the closing cadence's two chords. Before a
    full close the dominant's bass is held under its arpeggio whatever the figure, so the cadence's
    root sounds to the end, under the melody's last approach."""
    draw = random.Random(seed)
    figure = _figure(NOCTURNE_FIGURES, None if seed is None else draw, lambda: _nocturne_figure_heard(before),
                     density)
    if seed is None:
        neighbour_rate = 0.0
    elif neighbour_rate is None:
        neighbour_rate = draw.uniform(*NEIGHBOUR_RATE)
    plan = _Plan(chords, slot, bars, bar_length, key, melody, join)
    if not plan.sounding:
        return plan.bars(lambda *_: [[]])
    bass_windows = [_window(NOCTURNE_BASS, None if ceiling is None else ceiling - figure.highest)
                    for ceiling in plan.ceilings]
    basses = _bass_line(plan.chords, bass_windows, plan.tops, LEFT_HAND_PARALLEL_COST, plan.previous_bass)
    windows = [(bass + figure.lowest, bass + figure.highest) for bass in basses]
    uppers = _voicings(plan.chords, windows, figure.tones, basses, _leading_tone(key), plan.tops,
                       plan.entries(figure.pulse), LEFT_HAND_PARALLEL_COST)
    cadence = len(plan.sounding) - 2

    def events(step: int, span: ChordSpan, final: bool) -> Voices:
        tones = [basses[step], *uppers[step]]
        if final:
            return [[Event(pitches=tones, duration=float(span.duration))]]
        pulses = _pulses(span.duration, figure.pulse)
        held = (figure.held_bass or (step == cadence and plan.full_close)) and len(pulses) > 1
        bass_voice = [[Event(pitches=[tones[0]], duration=float(span.duration))]] if held else []
        pattern = _every_tone(arpeggio_pattern(len(pulses), figure.patterns), tones)
        line: list[int | None] = [tones[tone] for tone in pattern]
        if held:
            line = [None, *(tones[max(tone, 1)] for tone in pattern[1:])]
        if step < cadence:
            line = _chromatic_neighbours(line, plan.start(span), pulses, plan.chords[step], key, plan,
                                         neighbour_rate, draw)
        upper = [event for pitch, pulse in zip(line, pulses, strict=True) for event in _struck(pitch, pulse, figure)]
        return [upper, *bass_voice]

    return plan.bars(events, hold_any_close=True)


def _struck(pitch: int | None, pulse: Fraction, figure: NocturneFigure) -> list[Event]:
    """One pulse of an arpeggio: its note (None: a rest) as the figure sounds it (`_sounded`)."""
    return [_rest(pulse)] if pitch is None else _sounded([pitch], pulse, figure.struck)


def _sounded(pitches: list[int], pulse: Fraction, struck: Fraction | None) -> list[Event]:
    """`pitches` through a `pulse`: held through it, or, where `struck` is shorter than the pulse,
    struck for that long and followed by a rest (a staccato arpeggio's note, a detached afterbeat)."""
    if struck is None or struck >= pulse:
        return [Event(pitches=pitches, duration=float(pulse))]
    return [Event(pitches=pitches, duration=float(struck)), _rest(pulse - struck)]


def _every_tone(pattern: list[int], tones: list[int]) -> list[int]:
    """`pattern` (tone indexes into `tones`, 0 the bass, first) with a tone heard twice (in the
    pattern or as the bass), the latest first, swapped for each tone whose pitch class it would
    leave unheard, while such a spare pulse remains: 1-5-10-5 skips the middle of its three tones,
    an octave over a triad but a seventh chord's third or seventh, and a wide arpeggio in four
    pulses sounds three of its four tones."""
    pattern = list(pattern)
    for missing in range(1, len(tones)):
        classes = [tones[tone] % 12 for tone in pattern]
        if tones[missing] % 12 in classes:
            continue
        spare = next((i for i in range(len(pattern) - 1, 0, -1)
                      if pattern[i] != 0 and classes[i] in classes[:i] + classes[i + 1:]), None)
        if spare is not None:
            pattern[spare] = missing
    return pattern


def _chromatic_neighbours(line: list[int | None], start: Fraction, pulses: list[Fraction], chord: int, key: Key,
                          plan: _Plan, rate: float, draw: random.Random) -> list[int | None]:
    """`line` (a chord's arpeggio, a pitch per pulse from `start`, None a rest) with, at `rate` per
    `NEIGHBOUR_PULSES` pulses, a pulse drawn among those that allow it (two at least three pulses
    apart, not a trill, each in place of a note the chord sounds elsewhere, never the arpeggio's
    peak) turned into the chromatic lower neighbour of the next pulse's note:
    a semitone below it, outside the key's scale and the chord, above the line's lowest note,
    approached from a chord tone after the bass (not the first note over it, which would sound as
    a wrong third) and resolving up by step within the chord (D# to E over C major). Only
    where the melody sounds no semitone against it while it sounds, nor its natural form (D against
    the D#, a false relation) from the pulse before it to the one after."""
    scale, tones = key.scale(), chord_pitch_classes(chord)
    onsets = [start + sum(pulses[:i], Fraction(0)) for i in range(len(pulses))]
    lowest = min(pitch for pitch in line if pitch is not None)
    peak = max(pitch for pitch in line if pitch is not None)

    def melody_classes(lo: Fraction, hi: Fraction) -> set[int]:
        return {pitch % 12 for onset, end, pitch in plan.notes if onset < hi and end > lo}

    allowed = []
    for i in range(2, len(line) - 1):
        target = line[i + 1]
        if line[i - 1] is None or line[i] in (None, peak) or target is None or target == lowest:
            continue
        neighbour = target - 1
        if neighbour % 12 in scale or neighbour % 12 in tones or neighbour <= lowest:
            continue
        natural = (neighbour - 1) % 12
        around = melody_classes(onsets[i] - pulses[i - 1], onsets[i + 1] + pulses[i + 1])
        if natural in around or {natural, target % 12} & melody_classes(onsets[i], onsets[i + 1]):
            continue
        allowed.append((i, neighbour))
    line = list(line)
    for _ in range(max(1, len(line) // NEIGHBOUR_PULSES)):
        # the note a neighbour replaces must sound elsewhere in the chord: no chord tone is lost
        classes = [None if pitch is None else pitch % 12 for pitch in line]
        spare = [(i, pitch) for i, pitch in allowed if classes[i] in classes[:i] + classes[i + 1:]]
        if spare and draw.random() < rate:
            chosen, neighbour = draw.choice(spare)
            line[chosen] = neighbour
            allowed = [(i, pitch) for i, pitch in allowed if abs(i - chosen) > 2]
    return line


def block_chords(chords: list[int], slot: Fraction, bars: int, bar_length: Fraction, key: Key,
                 melody: list[MelodyNote] | None = None, seed: int | None = None,
                 before: Sequence[Bar] = (), density: float | None = None, join: Join | None = None) -> list[Bar]:
    """One three-note chord per chord change (held through repeats), in close position between C3
    and G4, inverted and voiced nearest the chord before; the first and the last in root position.
    (`seed`, `before`, `density` and `join` are taken, as every texture takes them, and unused:
    block chords have one figure, and no bass of their own to lead across a join.)"""
    plan = _Plan(chords, slot, bars, bar_length, key, melody)
    if not plan.sounding:
        return plan.bars(lambda *_: [[]])
    windows = [_window(BLOCK_CHORDS, ceiling) for ceiling in plan.ceilings]
    voicings = _voicings(plan.chords, windows, BLOCK_CHORD_NOTES, [None] * len(windows), _leading_tone(key),
                         plan.tops)
    return plan.bars(lambda step, span, _: [[Event(pitches=list(voicings[step]), duration=float(span.duration))]])


def voice_lead(chords: list[int], lowest: int, highest: int, notes: int) -> list[list[int]]:
    """The nearest voicing of every chord: `notes` pitches in close position between `lowest` and
    `highest`, any inversion (a six-four costs more, the first and last chord want the root lowest),
    least total motion. `NO_CHORD` keeps the voicing before it ([] before the first chord)."""
    if notes < 1 or lowest > highest:
        raise AccompanimentError(f"Ask for at least one note in a range from low to high, not {notes} notes "
                                 f"between MIDI {lowest} and {highest}.")
    named = [chord for chord in chords if chord != NO_CHORD]
    found = iter(_voicings(named, [(lowest, highest)] * len(named), notes, [None] * len(named), None) if named else [])
    result: list[list[int]] = []
    for chord in chords:
        result.append(list(next(found)) if chord != NO_CHORD else (result[-1] if result else []))
    return result
