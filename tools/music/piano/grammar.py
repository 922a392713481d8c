"""The grammar of notes: which notes a style lets the piano model write, enforced while it samples.

The piano model learned Beethoven's keyboard writing: leaps over octaves, tuplets, rests, both
hands anywhere. A chorale melody, a jig or a waltz tune wants far less, and asking a small model
nicely does not get it. So a style states its notes as data (`NoteGrammar`: the hands it uses, their
registers and largest leaps, the onset grid, the note lengths, the scale and the chromatic notes
allowed outside it, one unbroken line or not, the note each phrase ends on, the larger leap allowed
between phrases, a leap budget (the share of its intervals that may leap further, anywhere), how
often the melody may repeat a note or rock between two) and `NoteGrammarState` masks the model's
choices token by token, on top of `SequenceGrammar` (which keeps bars well
formed). A forbidden note is never sampled, so nothing has to be repaired afterwards, and what the
model would have chosen among the allowed notes is kept. Preferences are added to the model's
log-probabilities instead (`NoteGrammarState.step_bias`): steps, the tonic on the beat, note
lengths, chromatic colour, a rising leap through a chord on the downbeat (a waltz tune's outline),
a leap of more than an octave into a phrase that the register plan moves, a leap the open budget
allows (a sonata's line leaps past the octave now and then; the model seldom offers it), and the
register window each bar's melody is drawn toward (a phrase's place in the piece's register plan,
gliding toward the next bar's window inside a phrase): a pull, not a wall, so the line keeps the
notes that state its key where a window would cut them off; a budgeted leap is not pulled back, it
takes the line out of its window on purpose.

Decoding never dead-ends, whatever the logits: every position offered can still take a note
length, every note length of a legato line leaves a rest of the bar that the allowed lengths can
fill on the grid within the bar's token budget, a bar that owes a phrase ending opens with it, and
when the leap, the scale and the register leave no pitch the leap is relaxed to the nearest
allowed pitch (never the register). A line that would stagnate (a note repeated, or two notes
rocked between, more often than the style allows) gives way to the other rules: of the notes they
allow, those that keep it moving are offered where any remain; so does a minor line's melodic minor
(`MinorSteps`): the steps that keep the sixth's and seventh's forms in their directions, where any
do. A chromatic note is offered only where a scale tone a step from it lies in the register, and
never where the line's next note could owe a phrase ending, so it can always resolve. A hand that
must sound in every bar keeps the bar open until it has struck, and strikes first at the bar's last
onset where it still owes its note.
A grammar that no bar of the meter can satisfy is refused up front with a `GrammarError`.

Pitches are in the model's reference key (C major / A minor, see `tokens.REFERENCE_TONIC`); times
are in ticks (`tokens.TICKS_PER_QUARTER` to the quarter).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ontology.music_styles import BassRules, LineRules, Motion
from ontology.music_theory import STEP_SEMITONES, Key, Mode, circles, neighbour_return
from tools.music.piano.tokens import (
    DURATIONS,
    HIGHEST_PITCH,
    LOWEST_PITCH,
    MAX_NOTES_PER_ONSET,
    MAX_TOKENS_PER_BAR,
    NUM_PITCHES,
    REFERENCE_TONIC,
    TICKS_PER_QUARTER,
    VOCAB,
    Hand,
    SequenceGrammar,
    bar_ticks,
)

PITCHES = np.arange(LOWEST_PITCH, HIGHEST_PITCH + 1)
"""The pitch of each hand's note tokens, in vocabulary order."""
DURATION_TICKS = np.array(DURATIONS)
DURATION_IDS = np.array([VOCAB.duration(ticks) for ticks in DURATIONS])
FIRST_POSITION_ID = VOCAB.position(0)
ONSET_TOKENS = 3
"""POS, NOTE and DUR: the fewest tokens that add a note at a new onset."""
RESOLUTION_SEMITONES = 1
"""A chromatic note leads by a semitone into the scale tone it resolves to (G# to A or G, never to F#)."""
OUTLINE_LEAPS = (3, 4, 5, 7, 8, 9, 12)
"""Rising leaps through a chord: thirds, fourths, fifths and sixths (an arpeggio) and the octave."""


class GrammarError(ValueError):
    """A note grammar that contradicts itself or cannot fill a bar of the meter; the message names the fault."""


@dataclass(frozen=True)
class HandGrammar:
    """What one hand may play. Its notes at one onset all lie within `max_leap` of the top note of
    the hand's previous onset, so the top notes of successive onsets never leap further.

    A `chromatic` hand may also strike a note outside the grammar's scale, as a passing or
    neighbour note: off the beat, alone at its onset, a step (1-2 semitones) from the hand's previous
    top note, not straight after a resolution (one chromatic note at a time, not a chromatic trill),
    and followed by the hand's next onset as the scale tone a semitone from it (its resolution: G#
    rises to A or falls back to G, never steps on to F#). The top hand takes none where its next
    note could be a phrase's last note or its approach (which set their own pitches): in the bar
    before a phrase ending. A top line with rests does not fall silent between a chromatic note and
    its resolution (it is tied to it as a legato line is), so its next note is never further off
    than a legato line's.

    A hand that sounds `every_bar` strikes at least one note in every new bar, by the bar's middle
    (or, where no onset may open by then, at the first after it): a bar cannot close while it is
    silent (a free piano's left hand dropping out for a whole bar reads as a hole in the texture, not
    as a rest), and a bar whose hands both rest until its last sixteenth is a hole with a grace note
    in it (the free piano example's bar 5 in sessions 40, 43, 44 and 45; 4 to 9 of 960 fixed-plan free
    piano bars had a right hand first striking after the bar's middle)."""

    lowest: int  # MIDI pitches in the model's reference key (C major / A minor)
    highest: int
    max_leap: int  # semitones between this hand's successive top notes
    notes_per_onset: int = 1
    chromatic: bool = False
    every_bar: bool = False

    def __post_init__(self) -> None:
        if not LOWEST_PITCH <= self.lowest <= self.highest <= HIGHEST_PITCH:
            raise GrammarError(
                f"A hand's register {self.lowest}-{self.highest} must be a non-empty range of piano pitches "
                f"({LOWEST_PITCH}-{HIGHEST_PITCH})."
            )
        if self.max_leap < 0:
            raise GrammarError(f"A hand's largest leap must be 0 or more semitones, not {self.max_leap}.")
        if not 1 <= self.notes_per_onset <= MAX_NOTES_PER_ONSET:
            raise GrammarError(f"A hand plays 1 to {MAX_NOTES_PER_ONSET} notes per onset, not {self.notes_per_onset}.")


@dataclass(frozen=True)
class PhraseEnd:
    """The note a phrase ends on: the top hand's only note on the downbeat of one new bar. Its length
    need not be one of the grammar's note lengths (a final whole note in a line of quarters), but it
    must leave a rest of the bar the grammar can fill."""

    bar: int  # 0-based index among the newly sampled bars
    pitch_classes: frozenset[int]  # the top hand's downbeat note must take one of these (reference key)
    duration: int  # ticks of that note
    approach: frozenset[int] = frozenset()  # pitch classes of the top hand's notes just before (the cadence's
    # chord before the final one, so a line implies it); empty: any
    approach_ticks: int = 0  # how long before the phrase end's downbeat the approach starts (ticks)

    def __post_init__(self) -> None:
        if self.bar < 0:
            raise GrammarError(f"A phrase end's bar counts from 0, not {self.bar}.")
        if not self.approach <= set(range(12)) or self.approach_ticks < 0:
            raise GrammarError("A phrase end's approach is pitch classes 0-11 over a non-negative number of ticks.")
        if not self.pitch_classes or not self.pitch_classes <= set(range(12)):
            raise GrammarError(f"A phrase end needs pitch classes from 0 to 11, not {sorted(self.pitch_classes)}.")
        if self.duration not in DURATIONS:
            raise GrammarError(f"A phrase end's note of {self.duration} ticks is not one of {DURATIONS}.")


@dataclass(frozen=True)
class MinorSteps:
    """A minor key's sixth and seventh degrees in their two forms, which a line steps through by its
    direction, as melodic minor does: the raised forms lead up (to each other and the tonic), the
    natural ones fall (to each other and the fifth), and the natural sixth and the leading tone are
    never an augmented second apart. Sixty fixed-plan chorales' sopranos sang both forms within three
    notes (C B C#, C D C#, G F# G# in D minor) 16 times in 100 minor bars, Bach's never; with this, 1 to
    3 (session 52, `bench/chorale_voice_leading.py`)."""

    tonic: int  # pitch classes in the model's reference key
    dominant: int
    natural: frozenset[int]  # the natural sixth and seventh
    raised: frozenset[int]  # the raised sixth and the leading tone

    @classmethod
    def of(cls, tonic: int) -> MinorSteps:
        return cls(tonic, (tonic + 7) % 12, frozenset({(tonic + 8) % 12, (tonic + 10) % 12}),
                   frozenset({(tonic + 9) % 12, (tonic + 11) % 12}))

    def misdirected(self, reference: int) -> np.ndarray:
        """Which pitches, as the line's next note after `reference`, would step against the forms'
        directions: off a raised form by anything but a step up to a raised form or the tonic, off a
        natural form by anything but a step down to a natural form or the fifth, or across the
        augmented second between the natural sixth and the leading tone. Leaps are the line's own."""
        move, classes = PITCHES - reference, PITCHES % 12
        stepping = np.isin(np.abs(move), STEP_SEMITONES)
        if reference % 12 in self.raised:
            onward = (move > 0) & np.isin(classes, [*self.raised, self.tonic])
        elif reference % 12 in self.natural:
            onward = (move < 0) & np.isin(classes, [*self.natural, self.dominant])
        else:
            return np.zeros(NUM_PITCHES, dtype=bool)
        sixth, leading = (self.tonic + 8) % 12, (self.tonic - 1) % 12
        augmented = (np.abs(move) == 3) & np.isin(classes, [sixth, leading]) & (
            (reference % 12 == sixth) | (reference % 12 == leading))
        return (stepping & ~onward) | augmented


@dataclass(frozen=True)
class NoteGrammar:
    """The notes a style lets the piano model sample (see the module docstring for how it is enforced)."""

    hands: Mapping[Hand, HandGrammar]  # a hand left out is never sampled (melody-only: {Hand.RIGHT: ...})
    grid: int  # onsets on multiples of this many ticks (TICKS_PER_QUARTER = 12)
    durations: frozenset[int]  # allowed note lengths in ticks (each in tokens.DURATIONS)
    scale: frozenset[int] | None = None  # pitch classes allowed (None: all)
    step_bias: float = 0.0  # added to the log-probability of a note 1-2 semitones from the hand's last
    legato: bool = False  # the top hand is one line: each onset is where the previous note ends
    # (no rests, no overlaps), and the bar ends exactly when its last note does
    phrase_ends: tuple[PhraseEnd, ...] = ()
    tonic_bias: float = 0.0  # added to the log-probability of a tonic-triad note struck on a beat by the top hand
    tonic_triad: frozenset[int] = frozenset()  # its pitch classes (reference key)
    beat: int = 0  # ticks per beat: where the tonic bias applies (0: downbeats only), and a top-hand note
    # struck off the beat ends by the next one (the meter's grid: a 6/8 bar's two halves stay audible)
    length_bias: Mapping[int, float] = field(default_factory=dict)  # added to the log-probability of the top
    # hand's note lengths (ticks -> bias): a jig's long-short lilt, where the model's habit is running eighths
    motion_bias: Mapping[int, float] = field(default_factory=dict)  # added to the log-probability of every hand's
    # note lengths (ticks -> bias), on top of length_bias: the section's motion (a stormy one's short notes), held
    # to its last bar where the model, after a phrase's held ending, would settle into long notes, and the piece's
    # density (a dense piece's short notes in both hands, a light one's long ones)
    breath: bool = False  # a legato line may fall silent after a phrase's downbeat note: the bar may end
    # there, or the line resume later in it (a pickup to the next phrase), legato again from there
    chromatic_bias: float = 0.0  # added to the log-probability of the top hand's chromatic notes (where its
    # rules allow one): how often a line the model keeps to the scale takes a chromatic passing or neighbour note
    phrase_leap: int | None = None  # the top hand's largest leap into a phrase's first note (the first
    # new note, and the first after each phrase's last): a register change between phrases (None: max_leap)
    opens_phrase: bool = True  # the first new note begins a phrase; False where it goes on with a phrase the
    # prompt began (a variation's new bars after its source's first two): it leaps as inside a phrase
    bar_scales: tuple[frozenset[int] | None, ...] = ()  # the scale of each new bar where it is not `scale` (None,
    # or past the end: `scale`): a bar that tonicises a related key (a free piano's phrase borrowing its dominant's
    # scale for a bar, F# for F in C major), its chromatic notes counted from that scale
    windows: tuple[tuple[int, int], ...] = ()  # the top hand's register window (lowest, highest) in each new
    # bar, reference key: the phrases' plan of where the tune sits (empty: the hand's register throughout); inside
    # a phrase a bar's window moves toward the next bar's across the bar, so the line climbs through it
    window_pull: float = 0.0  # subtracted from the log-probability of a top-hand note per semitone outside it
    max_repeats: int | None = None  # most top-hand notes in a row on one pitch (None: any)
    max_alternation: int | None = None  # most top-hand notes in a row rocking between two pitches (None: any)
    hover: tuple[int, int] | None = None  # (notes, semitones): the most top-hand notes in a row that may keep within
    # so many semitones (None: any): a chorale soprano circled C# and D for bars on end (C# C# D | C# C# D), eight
    # notes in a minor third in 10% of its windows, Bach's in 4%, and its harmony rocked V i V i under it
    rock_spacing: int | None = None  # fewest top-hand notes from a return off a neighbour note (A G A) to the next
    # return on the same two pitches (None: any): sixty fixed-plan chorales' sopranos returned off a neighbour in 35%
    # of their turns, half of them on a pair rocked a few notes before (A G A A G A G); Bach's in 18%
    return_bias: float = 0.0  # subtracted from the log-probability of a top-hand note that returns off a
    # neighbour note (A G A) on any two pitches: sixty fixed-plan free pianos' right hands returned in 12% of their
    # turns, twice Beethoven's 6%, most of it on eighths and longer (11% against his 4%), where the spacing of
    # returns on one pair (`rock_spacing`) does not reach: each figure circled a new pair
    max_even_span: int | None = None  # the longest run (ticks) of top-hand notes of one length, after which that
    # length is barred for its next note where another fits (None: any): the model, once in eighths, runs on in
    # them, and three in ten free pianos' right hands were 85% one length (Beethoven's first movements: 2 in 32)
    max_divided_beats: int | None = None  # most beats of a bar whose top-hand note struck on the beat is shorter
    # than it, after which the bar's beats take a beat or longer where that fits (None, or no beat: any): a chorale's
    # soprano, once in eighths, ran on in them (eight in sixty fixed-plan chorales were 65-95% eighths; Bach's
    # sopranos 0-43%, a passing pair a bar at most)
    outline_bias: float = 0.0  # added to the log-probability of a top-hand note on a bar's downbeat that rises
    # from the line's last note by a leap through a chord (`OUTLINE_LEAPS`): a waltz tune outlining its harmony
    shift_bias: float = 0.0  # added to the log-probability of a phrase's first top-hand note that leaps more than
    # an octave toward its bar's register window: the new phrase starts where the register plan moves. Not into the
    # first new note: a section's windows set out from the line's last note (`register_plan.joined_windows`), and
    # leaning that note past the octave undid them (sixty fixed-plan free pianos leapt past an octave into their
    # middle section 22 times, Beethoven's first movements into bar 5 three times in 32; now 5)
    leap_rate: float = 0.0  # the top hand's leap budget: the share of its intervals (in the new bars) that may
    # exceed its max_leap, up to `wide_leap`, wherever they fall (a sonata's line leaps past the octave now and then)
    wide_leap: int | None = None  # the largest leap the budget allows (None: no budget)
    leap_bias: float = 0.0  # added to the log-probability of a top-hand note the open budget lets leap past
    # max_leap (which its bar's window does not pull back): the model seldom offers such a leap on its own
    leading_tone: int | None = None  # the pitch class (reference key) the top hand leaves only by step inside a
    # phrase (None: any): a chorale's soprano resolves its leading tone or steps down from it, as Bach's do
    minor_steps: MinorSteps | None = None  # a minor line's sixth and seventh, stepped through by their direction
    # (None: either form either way)
    barred_leaps: frozenset[int] = frozenset()  # intervals (semitones, either way) the top hand never leaps where
    # another note is allowed: a chorale soprano's tritone (8 in 3586 intervals of sixty fixed-plan chorales, Bach's 0)
    entry_bias: float = 0.0  # added to the log-probability of a note of a hand that must sound in every bar
    # and has not yet in this one, where it may join an onset: the model would leave it to the bar's last onset

    def __post_init__(self) -> None:
        if not self.hands:
            raise GrammarError("A note grammar needs at least one hand.")
        if self.grid < 1:
            raise GrammarError(f"The onset grid is a whole number of ticks, at least 1, not {self.grid}.")
        if not self.durations or not self.durations <= set(DURATIONS):
            raise GrammarError(f"Note lengths must be some of {DURATIONS} ticks, not {sorted(self.durations)}.")
        for scale in {self.scale, *self.bar_scales}:
            if scale is not None and (not scale or not scale <= set(range(12))):
                raise GrammarError(f"A scale is a non-empty set of pitch classes 0-11, not {sorted(scale)}.")
            for hand in self.hands:
                if not self.pitches(hand, scale=scale).any():
                    raise GrammarError(f"The {hand.name.lower()} hand's register holds no pitch of the scale "
                                       f"{sorted(scale or self.scale or ())}.")
        if self.phrase_leap is not None and self.phrase_leap < self.hands[self.top_hand].max_leap:
            raise GrammarError(f"The leap between phrases ({self.phrase_leap}) must be at least the top hand's "
                               f"largest leap ({self.hands[self.top_hand].max_leap}).")
        if not 0 <= self.leap_rate <= 1 or (self.leap_rate and self.wide_leap is None):
            raise GrammarError(f"A leap budget is a share from 0 to 1 of the line's intervals, with the largest leap "
                               f"it allows, not {self.leap_rate} up to {self.wide_leap}.")
        if self.wide_leap is not None and self.wide_leap < self.hands[self.top_hand].max_leap:
            raise GrammarError(f"The leap budget's largest leap ({self.wide_leap}) must be at least the top hand's "
                               f"largest leap ({self.hands[self.top_hand].max_leap}).")
        if self.leap_bias < 0:
            raise GrammarError(f"The leap bias is 0 or more, not {self.leap_bias}.")
        if self.return_bias < 0:
            raise GrammarError(f"The return bias is 0 or more (it is subtracted), not {self.return_bias}.")
        if self.entry_bias < 0:
            raise GrammarError(f"The entry bias is 0 or more, not {self.entry_bias}.")
        if self.outline_bias < 0 or self.shift_bias < 0:
            raise GrammarError(f"The outline and register-shift biases are 0 or more, not {self.outline_bias} "
                               f"and {self.shift_bias}.")
        if self.window_pull < 0:
            raise GrammarError(f"A register window pulls with a strength of 0 or more, not {self.window_pull}.")
        if any(lowest > highest for lowest, highest in self.windows):
            raise GrammarError(f"A register window's lowest pitch must not lie above its highest: {self.windows}.")
        if self.max_repeats is not None and self.max_repeats < 1:
            raise GrammarError(f"A line may strike a pitch at least once in a row, not {self.max_repeats} times.")
        if self.max_even_span is not None and self.max_even_span < 1:
            raise GrammarError(f"A run of notes of one length spans at least a tick, not {self.max_even_span}.")
        if self.max_alternation is not None and self.max_alternation < 3:
            raise GrammarError(f"Rocking between two pitches is at least 3 notes (a neighbour note), "
                               f"not {self.max_alternation}.")
        if self.hover is not None and (self.hover[0] < 3 or self.hover[1] < 0):
            raise GrammarError(f"A line hovers over at least 3 notes within 0 or more semitones, not {self.hover}.")
        if self.rock_spacing is not None and self.rock_spacing < 1:
            raise GrammarError(f"Returns off a neighbour note lie at least 1 note apart, not {self.rock_spacing}.")
        if self.legato and self.hands[self.top_hand].notes_per_onset != 1:
            raise GrammarError("A legato line is one note at a time: give the top hand notes_per_onset=1.")
        bars = [end.bar for end in self.phrase_ends]
        if len(set(bars)) != len(bars):
            raise GrammarError(f"Each bar ends at most one phrase; bars {sorted(bars)} repeat.")
        for end in self.phrase_ends:
            if end.approach and not self.pitches(self.top_hand, end.approach).any():
                raise GrammarError(f"The approach to the phrase ending in bar {end.bar} asks for pitch classes "
                                   f"{sorted(end.approach)}, which the top hand's register and the scale do not offer.")
            if not self.pitches(self.top_hand, end.pitch_classes).any():
                raise GrammarError(
                    f"The phrase ending in bar {end.bar} asks for pitch classes {sorted(end.pitch_classes)}, "
                    "which the top hand's register and the scale do not offer."
                )

    @property
    def top_hand(self) -> Hand:
        """The hand that carries the melody: the right hand when it plays, else the left."""
        return min(self.hands)

    def pitches(self, hand: Hand, pitch_classes: frozenset[int] | None = None,
                scale: frozenset[int] | None = None) -> np.ndarray:
        """Which of the hand's note tokens (in vocabulary order) its register and the scale (`scale`,
        a bar's own, else the grammar's) allow, and, if given, the pitch classes."""
        rules = self.hands[hand]
        allowed = np.zeros(NUM_PITCHES, dtype=bool)
        allowed[rules.lowest - LOWEST_PITCH : rules.highest - LOWEST_PITCH + 1] = True
        for classes in (scale or self.scale, pitch_classes):
            if classes is not None:
                allowed &= np.isin(PITCHES % 12, sorted(classes))
        return allowed

    def chromatic_pitches(self, hand: Hand, scale: frozenset[int] | None = None) -> np.ndarray:
        """Which of the hand's note tokens it may strike as chromatic notes: in its register, outside
        the scale (`scale`, a bar's own, else the grammar's), with a scale tone a step away in the
        register to resolve to (none: the hand is not chromatic, or the grammar has no scale)."""
        if not self.hands[hand].chromatic or self.scale is None:
            return np.zeros(NUM_PITCHES, dtype=bool)
        rules, diatonic = self.hands[hand], self.pitches(hand, scale=scale)
        register = np.zeros(NUM_PITCHES, dtype=bool)
        register[rules.lowest - LOWEST_PITCH : rules.highest - LOWEST_PITCH + 1] = True
        resolvable = np.zeros(NUM_PITCHES, dtype=bool)
        resolvable[:-RESOLUTION_SEMITONES] |= diatonic[RESOLUTION_SEMITONES:]
        resolvable[RESOLUTION_SEMITONES:] |= diatonic[:-RESOLUTION_SEMITONES]
        return register & ~diatonic & resolvable


def ticks(quarters: float) -> int:
    """A length or grid in quarter notes as ticks; one the tick grid cannot write is a `GrammarError`."""
    value = quarters * TICKS_PER_QUARTER
    if value < 1 or abs(value - round(value)) > 1e-9:
        raise GrammarError(f"{quarters} quarter notes is not a whole number of ticks ({TICKS_PER_QUARTER} a quarter).")
    return round(value)


def _scaled(lengths: Mapping[float, float], scale: float = 1.0) -> dict[int, float]:
    """Note-length biases in quarters as ticks, times `scale`."""
    return {ticks(float(length)): scale * value for length, value in lengths.items() if scale * value}


def _every_hand_bias(line: LineRules, motion: Motion | None, density: float) -> dict[int, float]:
    """Every hand's length bias: the motion's, plus the density length bias scaled from -1 (density 0)
    to +1 (density 1)."""
    bias = _scaled(line.motion_length_bias.get(motion, {})) if motion else {}
    for length, value in _scaled(line.density_length_bias, 2 * density - 1).items():
        bias[length] = bias.get(length, 0.0) + value
    return bias


def rules_for_line(
    line: LineRules,
    mode: Mode | str,
    *,
    shift: int = 0,
    bass: BassRules | None = None,
    phrase_ends: tuple[PhraseEnd, ...] = (),
    beat: int = 0,
    windows: tuple[tuple[int, int], ...] = (),
    bar_scales: tuple[frozenset[int] | None, ...] = (),
    window_pull: float = 0.0,
    shift_bias: float = 0.0,
    leap_rate: float = 0.0,
    step_bias: float | None = None,
    return_bias: float | None = None,
    motion: Motion | None = None,
    density: float = 0.5,
    opens_phrase: bool = True,
) -> NoteGrammar:
    """A style's melody rules (and, for free piano, its bass rules) as a note grammar in the reference key.

    The style's registers are real pitches; `shift` is the semitones the piece's key moves by to
    reach C major / A minor (`tokens.transposition_to_reference`), so the register lands where the
    style wants it once the bars are moved back. The scale is the reference key's (a minor key's
    with its raised 6th and 7th), or in a bar of `bar_scales` that bar's own (already in the reference
    key: `tools.music.styles.tonicisation`). A line without rests is sampled legato. `beat` (ticks) is where
    the line's tonic bias applies (0: downbeats only). `windows` are the melody's register window
    in each new bar, in real pitches like the registers (`tools.music.styles.register_plan`), drawn
    toward with `window_pull`; `shift_bias` draws a phrase's first note an octave or more toward its
    window (the section's draw from the plan's range); `leap_rate` is the line's leap budget, the
    share of its intervals that may leap past its max_leap up to its wide_leap (the piece's draw from
    the style's range); `step_bias` and `return_bias` are the piece's draws from the line's ranges (None:
    their middles);
    `motion` is the section's (`ontology.music_styles.motion_named_in`), whose length bias the style's
    data gives every hand, as it gives the density length bias at the piece's `density` (0 the
    lightest, 1 the densest: `tools.music.styles.density`; 0.5 adds nothing). `opens_phrase` is
    False where the new bars go on with a phrase the prompt began.
    """
    mode = Mode(mode)
    tonic = REFERENCE_TONIC[mode.value]
    third = 3 if mode is Mode.MINOR else 4

    def register(lowest: int, highest: int) -> tuple[int, int]:
        return max(lowest + shift, LOWEST_PITCH), min(highest + shift, HIGHEST_PITCH)

    hands = {Hand.RIGHT: HandGrammar(*register(line.lowest, line.highest), max_leap=line.max_leap,
                                     notes_per_onset=line.notes_per_onset, chromatic=line.chromatic,
                                     every_bar=line.every_bar)}
    if bass is not None:
        hands[Hand.LEFT] = HandGrammar(*register(bass.lowest, bass.highest), max_leap=bass.max_leap,
                                       notes_per_onset=bass.notes_per_onset, chromatic=bass.chromatic,
                                       every_bar=bass.every_bar)
    return NoteGrammar(
        hands=hands,
        grid=ticks(line.grid),
        durations=frozenset(ticks(length) for length in line.durations),
        scale=frozenset(Key(REFERENCE_TONIC[mode.value], mode).scale()),
        step_bias=sum(line.step_bias) / 2 if step_bias is None else step_bias,
        legato=not line.rests,
        breath=line.breath,
        phrase_ends=phrase_ends,
        tonic_bias=line.tonic_bias,
        tonic_triad=frozenset({tonic, (tonic + third) % 12, (tonic + 7) % 12}),
        beat=beat,
        length_bias=_scaled(line.length_bias),
        motion_bias=_every_hand_bias(line, motion, density),
        chromatic_bias=line.chromatic_bias,
        phrase_leap=line.phrase_leap,
        opens_phrase=opens_phrase,
        windows=tuple((lowest + shift, highest + shift) for lowest, highest in windows),
        bar_scales=bar_scales,
        window_pull=window_pull,
        max_repeats=line.max_repeats,
        max_alternation=line.max_alternation,
        hover=line.hover,
        rock_spacing=line.rock_spacing,
        return_bias=sum(line.return_bias) / 2 if return_bias is None else return_bias,
        max_even_span=None if line.max_even_span is None else ticks(line.max_even_span),
        max_divided_beats=line.max_divided_beats,
        outline_bias=line.outline_bias,
        shift_bias=shift_bias,
        leap_rate=leap_rate if line.wide_leap is not None else 0.0,
        wide_leap=line.wide_leap,
        leap_bias=line.leap_bias,
        leading_tone=(tonic - 1) % 12 if line.leading_tone_steps else None,
        minor_steps=MinorSteps.of(tonic) if line.melodic_minor and mode is Mode.MINOR else None,
        barred_leaps=frozenset(line.barred_leaps),
        entry_bias=bass.entry_bias if bass is not None else 0.0,
    )


def line_fill_counts(length: int, grid: int, durations: frozenset[int]) -> np.ndarray:
    """For every tick 0..length: the fewest notes of the allowed lengths, each starting on the grid,
    that fill the bar from there without a gap; `MAX_TOKENS_PER_BAR` (more than a bar can hold)
    where none can."""
    counts = np.full(length + 1, MAX_TOKENS_PER_BAR)
    counts[length] = 0
    for start in range(length - 1, -1, -1):
        if start % grid == 0:
            ends = [start + ticks for ticks in durations if start + ticks <= length]
            counts[start] = min([1 + counts[end] for end in ends], default=MAX_TOKENS_PER_BAR)
    return np.minimum(counts, MAX_TOKENS_PER_BAR)


def near(allowed: np.ndarray, reference: int | None, max_leap: int) -> np.ndarray:
    """The allowed pitches within `max_leap` of the reference, or, if there are none, the allowed
    pitches nearest to it (the leap is relaxed, the register and the scale are not)."""
    if reference is None:
        return allowed
    distance = np.abs(PITCHES - reference)
    within = allowed & (distance <= max_leap)
    return within if within.any() else allowed & (distance == distance[allowed].min())


def stagnant(line: list[int], max_repeats: int | None, max_alternation: int | None,
             rock_spacing: int | None, hover: tuple[int, int] | None = None) -> np.ndarray:
    """Which pitches, struck next, would make `line` stagnate: one note more than `max_repeats` times
    in a row, two notes rocked between (G A G A G) for more than `max_alternation` notes, a return
    off a neighbour note on two pitches the line returned between within the last `rock_spacing`
    notes (A G A A G A: the line circles two notes instead of going anywhere), or the `hover[0]`-th
    note in a row within `hover[1]` semitones (C# C# D C# C# D: the line hovers in a corner)."""
    stuck = np.zeros(NUM_PITCHES, dtype=bool)
    if max_repeats is not None and len(line) >= max_repeats and len(set(line[-max_repeats:])) == 1:
        stuck |= np.equal(PITCHES, line[-1])
    if max_alternation is not None and len(line) >= max_alternation:
        rocking = line[-max_alternation:]
        if line[-1] != line[-2] and all(pitch == rocking[index % 2] for index, pitch in enumerate(rocking)):
            stuck |= np.equal(PITCHES, line[-2])
    if rock_spacing is not None and len(line) >= 2 and circles([*line, line[-2]], len(line), rock_spacing):
        stuck |= np.equal(PITCHES, line[-2])
    if hover is not None and len(line) >= hover[0] - 1:
        recent = line[len(line) - hover[0] + 1:]
        stuck |= np.maximum(max(recent), PITCHES) - np.minimum(min(recent), PITCHES) <= hover[1]
    return stuck


def hand_slice(hand: Hand) -> slice:
    """The hand's note tokens in the vocabulary."""
    first = VOCAB.note(LOWEST_PITCH, hand)
    return slice(first, first + NUM_PITCHES)


class NoteGrammarState:
    """Tracks a token sequence and says which tokens may follow, under `SequenceGrammar` and, from
    the first new bar on, a `NoteGrammar` (none: the sequence grammar alone).

    The prompt's bars are followed, not judged: the model's own or a user's music may break the
    style, but its last notes still set where each hand's next leap is measured from.
    """

    def __init__(self, grammar: NoteGrammar | None, meter: str, *, prompt_bars: int, new_bars: int) -> None:
        self.grammar = grammar
        self.sequence = SequenceGrammar(meter)
        self.length = bar_ticks(meter)
        self.bar = -prompt_bars - 1
        """Index among the new bars of the bar being written; negative before the first new bar opens."""
        self.reference: dict[Hand, int] = {}
        """Each hand's top pitch at its latest finished onset: where its next leap is measured from."""
        self.line_end = 0
        """Where the legato line's latest note ends (ticks from the bar start)."""
        self.line: list[int] = []
        """The top hand's top pitch at each of its finished onsets, the prompt's included: what its
        next note may not repeat or rock back to too often."""
        self._even: tuple[int, int] | None = None
        """The length (ticks) of the top hand's first note at its latest onset in the new bars, and the
        ticks its run of onsets in that length spans: what its next note may not run on in for too long
        (`NoteGrammar.max_even_span`)."""
        self._divided = 0
        """The beats of the bar being written whose top-hand note struck on the beat is shorter than it
        (`NoteGrammar.max_divided_beats`)."""
        self._onset_top: dict[Hand, int] = {}
        self._struck: Counter[Hand] = Counter()
        self._sounded: set[Hand] = set()  # hands that have struck in the bar being written
        self._note: tuple[int, Hand] | None = None
        self._phrase_end: PhraseEnd | None = None
        self._owed = False  # the bar is a phrase end whose downbeat note is still to come
        self._breathing = False  # the legato line may rest: its phrase's last note is its latest note
        self._phrase_start = False  # the top hand's next note begins a phrase (it may leap by phrase_leap)
        self._sung = False  # the top hand has struck in the new bars (the shift bias leans its later phrases only)
        self._chromatic: dict[Hand, int] = {}  # each hand's chromatic note still to resolve
        self._onset_chromatic: dict[Hand, int] = {}  # a chromatic note struck at the current onset
        self._resolved: set[Hand] = set()  # hands whose latest onset resolved a chromatic note
        self._tonicised = False  # the bar has a scale of its own (`NoteGrammar.bar_scales`)
        self._intervals = 0  # the top hand's intervals in the new bars, and how many of them leapt past its max_leap
        self._wide = 0
        self._mask: np.ndarray | None = None
        if grammar is not None:
            self._check_fits(grammar, meter, new_bars)
            self._fill = line_fill_counts(self.length, grammar.grid, grammar.durations)
            positions = np.arange(self.length)
            self._positions = (positions % grammar.grid == 0) & (positions + min(grammar.durations) <= self.length)
            self._durations = np.isin(DURATION_TICKS, sorted(grammar.durations))
            self._scaled: dict[frozenset[int] | None, tuple[dict[Hand, np.ndarray], dict[Hand, np.ndarray]]] = {}
            self._pitches, self._chromatic_pitches = self._in_scale(None)
            self._phrase_ends = {end.bar: end for end in grammar.phrase_ends}
            self._beat = grammar.beat or self.length

    def _in_scale(self, scale: frozenset[int] | None) -> tuple[dict[Hand, np.ndarray], dict[Hand, np.ndarray]]:
        """Each hand's allowed and chromatic pitches in `scale` (None: the grammar's), computed once a scale."""
        assert self.grammar is not None
        if scale not in self._scaled:
            hands = self.grammar.hands
            self._scaled[scale] = ({hand: self.grammar.pitches(hand, scale=scale) for hand in hands},
                                   {hand: self.grammar.chromatic_pitches(hand, scale=scale) for hand in hands})
        return self._scaled[scale]

    def _check_fits(self, grammar: NoteGrammar, meter: str, new_bars: int) -> None:
        """Refuse a grammar that some bar of this meter could not satisfy."""
        if min(grammar.durations) > self.length:
            raise GrammarError(f"No allowed note length fits a bar of {meter} ({self.length} ticks).")
        fill = line_fill_counts(self.length, grammar.grid, grammar.durations)
        onsets = len(range(0, self.length - min(grammar.durations) + 1, grammar.grid))
        chord = min(MAX_NOTES_PER_ONSET, sum(rules.notes_per_onset for rules in grammar.hands.values()))
        if any(rules.every_bar for rules in grammar.hands.values()) and (
                1 + onsets * (1 + 2 * chord) + 2 >= MAX_TOKENS_PER_BAR):
            raise GrammarError(f"A bar of {meter} on a {grammar.grid}-tick grid could run out of tokens before a hand "
                               "that must sound in every bar strikes: use a coarser grid or fewer notes per onset.")
        if grammar.legato and 1 + ONSET_TOKENS * fill[0] > MAX_TOKENS_PER_BAR:
            raise GrammarError(
                f"A legato line cannot fill a bar of {meter} ({self.length} ticks) with notes of "
                f"{sorted(grammar.durations)} ticks starting on a {grammar.grid}-tick grid."
            )
        for end in grammar.phrase_ends:
            if end.bar >= new_bars:
                raise GrammarError(f"A phrase ends in bar {end.bar}, but only bars 0-{new_bars - 1} are sampled.")
            if end.duration > self.length or (
                grammar.legato and 1 + ONSET_TOKENS + ONSET_TOKENS * fill[end.duration] > MAX_TOKENS_PER_BAR
            ):
                fault = "more than" if end.duration > self.length else "after which the line cannot fill the rest of"
                raise GrammarError(
                    f"The phrase ending in bar {end.bar} holds its note {end.duration} ticks, {fault} a bar of "
                    f"{meter} ({self.length} ticks)."
                )

    @property
    def judging(self) -> bool:
        """Whether the note grammar applies: there is one and a new bar is being written."""
        return self.grammar is not None and self.bar >= 0

    def allowed(self) -> np.ndarray:
        """A boolean mask over the vocabulary: True where the next token may be that token."""
        if self._mask is None:
            self._mask = self._allowed()
        return self._mask.copy()

    def step_bias(self) -> np.ndarray | None:
        """What to add to the log-probabilities of the next token while the top hand's next note is
        to be chosen: the grammar's step bias on notes a step (1-2 semitones) from its last, less its
        return bias on the note before that where the last was a step from it (A G A) within the scale,
        its chromatic bias on notes outside the scale (offered only where they may sound), and on a beat
        its tonic bias on the tonic triad's notes (a line that leans on 1, 3 and 5 where the ear
        counts states its key), and the window's pull against notes outside the bar's register window
        (by the semitones they lie outside it); on a downbeat the outline bias on rising leaps
        through a chord, and on a phrase's first note the shift bias on leaps of more than an
        octave toward its window; while a note's length is chosen, the length bias (the top hand's)
        and the motion bias (every hand's). After a note, the
        entry bias on the notes of a hand that must still sound in the bar (`HandGrammar.every_bar`),
        so it joins the other hand's onset rather than waiting for the bar's last one. None when
        nothing is added."""
        if not self.judging or self.sequence.state not in ("POS", "DUR", "NOTE"):
            return None
        assert self.grammar is not None
        grammar = self.grammar
        top = grammar.top_hand
        if self.sequence.state == "NOTE":
            if self._note is None or not (grammar.motion_bias or (grammar.length_bias and self._note[1] == top)):
                return None
            lengths = np.zeros(VOCAB.size, dtype=np.float32)
            for biases in ((grammar.length_bias, grammar.motion_bias) if self._note[1] == top else
                           (grammar.motion_bias,)):
                for length, value in biases.items():
                    lengths[VOCAB.duration(length)] += value
            return lengths
        bias = np.zeros(VOCAB.size, dtype=np.float32)
        if top not in self._onset_top:
            bias[hand_slice(top)] = self._line_bias()
        if grammar.entry_bias and self.sequence.state == "DUR":
            for hand in self._silent():
                if not self._struck[hand]:
                    bias[hand_slice(hand)] += grammar.entry_bias
        return bias if bias.any() else None

    def _line_bias(self) -> np.ndarray:
        """`step_bias`'s preferences for the top hand's next note, over its note tokens."""
        assert self.grammar is not None
        grammar = self.grammar
        top = grammar.top_hand
        values = np.zeros(NUM_PITCHES, dtype=np.float32)
        reference = self.reference.get(top)
        if grammar.step_bias and reference is not None:
            values += np.where(np.isin(np.abs(PITCHES - reference), STEP_SEMITONES), grammar.step_bias, 0.0)
        position = self.sequence.last_position
        on_beat = self.sequence.state == "POS" and position % (grammar.beat or self.length) == 0
        if grammar.tonic_bias and on_beat:
            values += np.where(np.isin(PITCHES % 12, list(grammar.tonic_triad)), grammar.tonic_bias, 0.0)
        values += np.where(self._chromatic_pitches[top], grammar.chromatic_bias, 0.0)
        window = self._window(position)
        if grammar.outline_bias and reference is not None and self.sequence.state == "POS" and position == 0:
            values += np.where(np.isin(PITCHES - reference, OUTLINE_LEAPS), grammar.outline_bias, 0.0)
        if grammar.shift_bias and reference is not None and self._phrase_start and self._sung:
            values += np.where(self._shifts(reference, window), grammar.shift_bias, 0.0)
        if (grammar.return_bias and len(self.line) >= 2
                and neighbour_return([*self.line[-2:], self.line[-2]], 2) is not None
                and top not in self._chromatic):  # a chromatic neighbour note's way back is its resolution
            values[self.line[-2] - LOWEST_PITCH] -= grammar.return_bias
        wide = self._wide_leaps(reference)
        values += np.where(wide, grammar.leap_bias, 0.0)
        if grammar.window_pull and window is not None:
            lowest, highest = window
            outside = np.maximum(lowest - PITCHES, 0) + np.maximum(PITCHES - highest, 0)
            values -= np.where(wide, 0.0, grammar.window_pull * outside)
        return values

    def _wide_leaps(self, reference: int | None) -> np.ndarray:
        """Which top-hand pitches leap past its max_leap within the open leap budget (none when the
        budget is closed, or there is no note to leap from)."""
        assert self.grammar is not None
        grammar = self.grammar
        if reference is None or grammar.wide_leap is None or not self._budget_open():
            return np.zeros(NUM_PITCHES, dtype=bool)
        distance = np.abs(PITCHES - reference)
        return (distance > grammar.hands[grammar.top_hand].max_leap) & (distance <= grammar.wide_leap)

    def _window(self, position: int) -> tuple[float, float] | None:
        """The top hand's register window at `position` in the bar being written: its bar's window
        moving toward the next bar's across the bar, inside a phrase (a line climbing to its climax
        climbs through the bar, not at the bar line); its own in a bar that ends a phrase."""
        assert self.grammar is not None
        windows = self.grammar.windows
        if self.bar >= len(windows):
            return None
        here = windows[self.bar]
        if self.bar + 1 >= len(windows) or self.bar in self._phrase_ends:
            return here
        there, share = windows[self.bar + 1], position / self.length
        return here[0] + (there[0] - here[0]) * share, here[1] + (there[1] - here[1]) * share

    @staticmethod
    def _shifts(reference: int, window: tuple[float, float] | None) -> np.ndarray:
        """Which pitches lie more than an octave from `reference` toward the middle of `window` (either
        way where there is no window, or it is centred on the reference)."""
        moves = PITCHES - reference
        toward = 0 if window is None else np.sign(sum(window) / 2 - reference)
        return (np.abs(moves) > 12) & (np.sign(moves) == toward) if toward else np.abs(moves) > 12

    def advance(self, token: int) -> None:
        """Consume one token; one the grammars do not allow here is a `ValueError` (a `GrammarError`
        when only the note grammar forbids it)."""
        if self.judging and self.sequence.allowed()[token] and not self.allowed()[token]:
            raise GrammarError(f"The note grammar does not allow token {token} ({VOCAB.kind(token)}) here.")
        position = self.sequence.last_position
        self.sequence.advance(token)
        self._mask = None
        kind = VOCAB.kind(token)
        if kind in ("BAR", "POS"):
            self._count_leap()
            self.reference.update(self._onset_top)
            if self.grammar is not None and self.grammar.top_hand in self._onset_top:
                self.line.append(self._onset_top[self.grammar.top_hand])
            for hand in self._onset_top:  # a hand that struck resolved its chromatic note, or struck one
                if self._chromatic.pop(hand, None) is None:
                    self._resolved.discard(hand)
                else:
                    self._resolved.add(hand)
            self._chromatic.update(self._onset_chromatic)
            self._onset_top.clear()
            self._onset_chromatic.clear()
            self._struck.clear()
        if kind == "BAR":
            self.bar += 1
            self._divided = 0
            self._sounded.clear()
            self._phrase_start = self._phrase_start or (
                self.bar == 0 and (self.grammar is None or self.grammar.opens_phrase))
            self.line_end = 0
            self._phrase_end = self._phrase_ends.get(self.bar) if self.judging else None
            if self.judging:
                assert self.grammar is not None
                scales = self.grammar.bar_scales
                own = scales[self.bar] if self.bar < len(scales) else None
                self._pitches, self._chromatic_pitches = self._in_scale(own)
                self._tonicised = own is not None
            self._owed = self._phrase_end is not None
            self._breathing = False
        elif kind == "NOTE":
            pitch, hand = VOCAB.pitch_and_hand(token)
            self._note = (pitch, hand)
            self._onset_top[hand] = max(pitch, self._onset_top.get(hand, pitch))
            self._struck[hand] += 1
            self._sounded.add(hand)
            if self.judging:
                assert self.grammar is not None
                if self._chromatic_pitches[hand][pitch - LOWEST_PITCH]:
                    self._onset_chromatic[hand] = pitch
                self._phrase_start = self._phrase_start and hand != self.grammar.top_hand
                self._sung = self._sung or hand == self.grammar.top_hand
        elif kind == "DUR" and self.judging and self._note is not None:
            assert self.grammar is not None
            if self._note[1] == self.grammar.top_hand:
                if self._struck[self._note[1]] == 1:
                    length = int(VOCAB.value(token))
                    run = self._even[1] if self._even is not None and self._even[0] == length else 0
                    self._even = (length, run + length)
                    beat = self.grammar.beat
                    self._divided += bool(beat) and position % beat == 0 and length < beat
                self.line_end = position + int(VOCAB.value(token))
                self._breathing = self.grammar.breath and self._owed and position == 0
                self._phrase_start = self._owed and position == 0  # the next note begins a phrase
                self._owed = self._owed and position != 0

    def _count_leap(self) -> None:
        """Tally the interval into the top hand's onset just finished, in a new bar: what its leap budget
        has spent."""
        if not self.judging:
            return
        assert self.grammar is not None
        top = self.grammar.top_hand
        if top in self._onset_top and top in self.reference:
            self._intervals += 1
            self._wide += abs(self._onset_top[top] - self.reference[top]) > self.grammar.hands[top].max_leap

    def _budget_open(self) -> bool:
        """Whether the top hand's next interval may leap past its max_leap within its leap budget: one
        more such leap keeps their count within the budget's share of its intervals so far, rounded
        to the nearest (a short section's share of a small budget may still be one leap: rounded
        down, a budget of 2% would never open in the four bars a section often has)."""
        assert self.grammar is not None
        return self._wide + 0.5 <= self.grammar.leap_rate * (self._intervals + 1)

    def _allowed(self) -> np.ndarray:
        mask = self.sequence.allowed()
        if not self.judging:
            return mask
        state = self.sequence.state
        if state == "POS":
            return mask & self._notes(first=True)
        if state == "NOTE":
            return mask & self._note_lengths()
        events = np.zeros(VOCAB.size, dtype=bool)  # after BAR or DUR: close the bar, open an onset, add a note
        assert self.grammar is not None
        events[VOCAB.bar] = not self._owed and not self._silent() and (
            not self._tied() or self.line_end == self.length or self._breathing)
        events[FIRST_POSITION_ID : FIRST_POSITION_ID + self.length] = self._onsets()
        if state == "DUR":
            notes = self._notes(first=False)
            joining = self._joining(notes)
            if joining is not None:
                return mask & joining
            events |= notes
        return mask & events

    def _joining(self, notes: np.ndarray) -> np.ndarray | None:
        """At its last chance (`_last_onset`), the notes by which a hand that must still sound in the bar
        joins the current onset, which it then must (None where it need not, or cannot)."""
        silent = self._silent()
        if not silent or not self._last_onset():
            return None
        joining = np.zeros(VOCAB.size, dtype=bool)
        for hand in silent:
            joining[hand_slice(hand)] = notes[hand_slice(hand)]
        return joining if joining.any() else None

    def _silent(self) -> list[Hand]:
        """The hands that must sound in every bar (`HandGrammar.every_bar`) and have not struck in this one."""
        assert self.grammar is not None
        return [hand for hand, rules in self.grammar.hands.items() if rules.every_bar and hand not in self._sounded]

    def _last_onset(self) -> bool:
        """Whether no later position up to the bar's middle can open an onset: the current one is the last
        chance for a hand that must sound in the bar (`HandGrammar.every_bar`)."""
        return not self._positions[self.sequence.last_position + 1:self.length // 2 + 1].any()

    def _entries(self) -> np.ndarray:
        """The grid positions the next onset may open at: up to the bar's middle while a hand that must
        sound in the bar has not (or, where it could not join the last onset by then, the next position
        only), else any."""
        if not self._silent():
            return self._positions
        later = np.flatnonzero(self._positions[self.sequence.last_position + 1:])
        latest = max(self.length // 2, self.sequence.last_position + 1 + int(later[0]) if later.size else 0)
        return self._positions & (np.arange(self.length) <= latest)

    def _onsets(self) -> np.ndarray:
        """Which positions may open the next onset: the downbeat of a bar owing its phrase ending,
        the end of a legato line's note or, where the line breathes after its phrase's last note,
        any later grid position from which it can still fill the bar; else any grid position that
        still fits a note (by the bar's middle while a hand that must sound in it has not: `_entries`)."""
        assert self.grammar is not None
        if not self._owed and not self._tied():
            return self._entries()
        onsets = np.zeros(self.length, dtype=bool)
        if self._breathing:
            starts = np.arange(self.length)
            budget = self.sequence.tokens_in_bar + 1 + ONSET_TOKENS * self._fill[:-1] <= MAX_TOKENS_PER_BAR
            return self._positions & (starts >= self.line_end) & budget
        if self.line_end < self.length:
            onsets[self.line_end] = True  # 0 while the phrase ending is owed
        return onsets

    def _notes(self, *, first: bool) -> np.ndarray:
        """Which notes may sound next at the current onset (`first`: as its first note)."""
        assert self.grammar is not None
        grammar, position = self.grammar, self.sequence.last_position
        notes = np.zeros(VOCAB.size, dtype=bool)
        if grammar.legato and not first and (
            self.sequence.tokens_in_bar + 2 + ONSET_TOKENS * self._fill[self.line_end] > MAX_TOKENS_PER_BAR
        ):
            return notes  # the line's remaining notes need the bar's remaining tokens
        if not grammar.legato and not first and self._tied() and (
            self.sequence.tokens_in_bar + 2 + ONSET_TOKENS * (self.line_end < self.length) > MAX_TOKENS_PER_BAR
        ):
            return notes  # a chromatic note's resolution needs the bar's remaining tokens
        downbeat_end = self._phrase_end if position == 0 else None
        silent = self._silent() if self._last_onset() else []
        for hand, rules in grammar.hands.items():
            is_top = hand == grammar.top_hand
            if first and (self._tied() or self._owed) and not is_top:
                continue  # the line (or the phrase's last note) comes first at its onset
            if any(waiting < hand and not self._struck[waiting] for waiting in silent):
                continue  # a hand that must still sound in this bar strikes first at its last onset (notes of a
                # lower hand number come first at an onset, so it could not follow this hand's note)
            resolving = self._chromatic.get(hand)
            alone = (is_top and downbeat_end) or hand in self._onset_chromatic or resolving is not None
            if self._struck[hand] >= (1 if alone else rules.notes_per_onset):
                continue  # a phrase's last note, a chromatic note and its resolution sound alone in their hand
            pitches = self._pitches[hand]
            reference = self.reference.get(hand)
            if is_top and downbeat_end is not None:
                pitches = grammar.pitches(hand, downbeat_end.pitch_classes)
            elif is_top and (approach := self._approach(position)) is not None:
                pitches = grammar.pitches(hand, approach)
            elif is_top and reference is None and position == 0 and grammar.windows and grammar.tonic_triad:
                # a planned line's opening note, often held a bar over the tonic, is one of its tones: a
                # waltz's first window (tonic or dominant to a fourth above) let it open on a held C over E minor
                pitches = grammar.pitches(hand, grammar.tonic_triad)
            elif resolving is not None:
                pitches = pitches & (np.abs(PITCHES - resolving) == RESOLUTION_SEMITONES)
            elif reference is not None and not self._struck[hand] and position % self._beat and (
                    hand not in self._resolved) and not (is_top and self._chromatic_barred()):
                pitches = pitches | (self._chromatic_pitches[hand]
                                     & np.isin(np.abs(PITCHES - reference), STEP_SEMITONES))
            leap = grammar.phrase_leap if is_top and self._phrase_start and grammar.phrase_leap else rules.max_leap
            if is_top and grammar.wide_leap is not None and self._budget_open():
                leap = max(leap, grammar.wide_leap)
            if is_top and reference is not None and reference % 12 == grammar.leading_tone and not self._phrase_start:
                leap = min(leap, max(STEP_SEMITONES))
            pitches = near(pitches, reference, leap)
            if is_top and reference is not None and grammar.barred_leaps:
                plain = pitches & ~np.isin(np.abs(PITCHES - reference), sorted(grammar.barred_leaps))
                pitches = plain if plain.any() else pitches
            if is_top and not self._struck[hand]:  # the line's next note keeps it moving where it can
                moving = pitches & ~stagnant(self.line, grammar.max_repeats, grammar.max_alternation,
                                             grammar.rock_spacing, grammar.hover)
                pitches = moving if moving.any() else pitches
                if grammar.minor_steps is not None and reference is not None and not self._tonicised:
                    directed = pitches & ~grammar.minor_steps.misdirected(reference)
                    pitches = directed if directed.any() else pitches
            notes[hand_slice(hand)] = pitches
        return notes

    def _even_run(self) -> int | None:
        """The length (ticks) the top hand's notes have run in for `max_even_span` ticks or more, so its
        next note takes another; None where they have not (or the grammar sets no span)."""
        assert self.grammar is not None
        span = self.grammar.max_even_span
        if span is None or self._even is None:
            return None
        length, run = self._even
        return length if run >= span else None

    def _cadence_ahead(self) -> bool:
        """Whether the top hand's next note may be held to a phrase's ending or its approach, so a
        chromatic note now might not resolve by step: its next note is at most the next bar's
        downbeat (a legato line's always, a line with rests' after a chromatic note, `_tied`)."""
        return any(end.bar == self.bar + 1 or (end.bar == self.bar + 2 and end.approach_ticks >= self.length)
                   for end in self._phrase_ends.values())

    def _tied(self) -> bool:
        """Whether the top hand's next note must start where its latest one ends, struck first at its
        onset: always in a legato line; in a line with rests, while its chromatic note (struck, or
        sounding from the onset just finished) waits for its resolution, so the line cannot fall
        silent, perhaps into a phrase ending, before resolving it."""
        assert self.grammar is not None
        top = self.grammar.top_hand
        return self.grammar.legato or top in self._onset_chromatic or (
            top in self._chromatic and top not in self._onset_top)

    def _chromatic_barred(self) -> bool:
        """Whether the top hand may not strike a chromatic note now: a phrase ending may be its next
        note (`_cadence_ahead`), or, in a line with rests, the bar's tokens leave no room for the note
        (its pitch and length) and its resolution's onset after it (a legato line's fill keeps that room)."""
        assert self.grammar is not None
        return self._cadence_ahead() or (not self.grammar.legato and (
            self.sequence.tokens_in_bar + 2 + ONSET_TOKENS > MAX_TOKENS_PER_BAR))

    def _approach(self, position: int) -> frozenset[int] | None:
        """The pitch classes the top hand's note at `position` must take when it leads into the next
        bar's phrase ending (None: no such rule here)."""
        coming = self._phrase_ends.get(self.bar + 1)
        if coming is None or not coming.approach or position < self.length - coming.approach_ticks:
            return None
        return coming.approach

    def _note_lengths(self) -> np.ndarray:
        """Which lengths the note just chosen may take: allowed ones inside the bar; the phrase's
        length for its last note; for the legato line, ones after which the line can still fill the
        bar within its tokens; for a top-hand note outside the approach to the next bar's phrase
        ending, ones that end before the approach starts where any do (the note sounding on the
        cadence's last beat fits its chord, whenever it was struck); for the top hand's first note at
        an onset after a run of one length as long as `max_even_span`, another length where one fits, and
        on a beat of a bar that has divided `max_divided_beats` beats, a beat or longer where one fits."""
        assert self.grammar is not None and self._note is not None
        position, is_top = self.sequence.last_position, self._note[1] == self.grammar.top_hand
        ends = position + DURATION_TICKS
        if is_top and position == 0 and self._phrase_end is not None:
            lengths = np.isin(DURATION_TICKS, [self._phrase_end.duration])
        else:
            lengths = self._durations & (ends <= self.length)
            beat = self.grammar.beat
            if is_top and beat and position % beat:  # off the beat: no tie over the next beat
                within = lengths & (ends <= (position // beat + 1) * beat)
                lengths = within if within.any() else lengths
            first = is_top and self._struck[self._note[1]] == 1  # the top hand's first note at its onset
            if first and (running := self._even_run()) is not None:
                varied = lengths & ~np.isin(DURATION_TICKS, [running])
                lengths = varied if varied.any() else lengths
            divided = self.grammar.max_divided_beats
            if first and beat and position % beat == 0 and divided is not None and self._divided >= divided:
                whole = lengths & (beat <= DURATION_TICKS)
                lengths = whole if whole.any() else lengths
        if is_top and self.grammar.legato:
            remaining = self._fill[np.minimum(ends, self.length)]
            lengths &= self.sequence.tokens_in_bar + 1 + ONSET_TOKENS * remaining <= MAX_TOKENS_PER_BAR
        coming = self._phrase_ends.get(self.bar + 1) if is_top else None
        if coming is not None and coming.approach and self._note[0] % 12 not in coming.approach:
            before = lengths & (ends <= self.length - coming.approach_ticks)  # it must not sound into the approach
            lengths = before if before.any() else lengths
        mask = np.zeros(VOCAB.size, dtype=bool)
        mask[DURATION_IDS] = lengths
        return mask
