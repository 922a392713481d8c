"""A four-part chorale under a given soprano: alto, tenor and bass found by a voice-leading search.

Block chords under a tune do not make a chorale; the voices do: each moves as little as it can,
keeps the common tone, never moves in fifths or octaves with another, and the tendency tones go
where the ear expects them. So the lower voices are not sampled but searched for. Every slot (a
beat, one chord) gets every voicing of its chord within the singers' ranges, in order, without
crossing; each voicing has a cost (incomplete chord, doubled leading tone, wide spacing,
inversion) and each pair of successive voicings one more (parallels, hidden perfects into a
soprano leap, overlaps, unresolved leading tones and sevenths, how far the voices move). A
Viterbi search finds the cheapest sequence exactly; the rules a chorale must keep cost so much
(`HARD`, `RULE`) that they are broken only where nothing else is possible. Costs are computed
for all pairs of voicings at once with numpy, so sixteen bars take a few hundredths of a second.

Then, for life, the lower voices move in eighths as Bach's do: a voice that moves by a third
between two slots may pass through the step between, one that moves by a whole tone may pass
chromatically through the semitone between (G-G#-A, A-Ab-G), one that keeps a common tone into a
new chord may touch its neighbour, one that moves by a step may overshoot it by a tone of its chord
and come back (C-E-D, as the soprano does), and an inner voice falling by step into the chord
before a close may hold its note over as a 4-3 or 7-6 suspension, each only where it makes no
parallels, no crossing and no semitone clash; how many of these chances a piece takes is drawn
from its seed. The
soprano, less often and by its own drawn share, sings Bach's soprano figures: a passing eighth in a
third (from a half note too, as a dotted quarter and an eighth), an overshoot past a step and back
(C-E-D), a neighbour on a repeated note, a chord tone stepping on after a leap, and a suspension
into a close; pieces differ in how often they overshoot, and so in how stepwise their tunes are.
Where the soprano holds over a held chord (a phrase's end) every voice holds, as one note.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ontology.music import Bar, Event
from ontology.music_theory import MAJOR_STEPS, Key, Mode, circles, exact_quarters
from tools.music.harmony.chords import NO_CHORD, QUALITIES, chord_root_quality
from tools.music.harmony.data import MelodyNote

logger = logging.getLogger(__name__)

SOPRANO, ALTO, TENOR, BASS = range(4)
"""Columns of a voicing, top down."""
RANGES: tuple[tuple[int, int], ...] = ((60, 81), (55, 74), (48, 67), (40, 62))
"""Lowest and highest MIDI pitch each voice sings, in voicing order."""
REST = -1
"""The soprano column of a slot where the melody is silent."""

MAX_UPPER_SPACING = 12
"""Soprano-alto and alto-tenor stay within an octave; tenor and bass may be further apart."""
WIDE_BASS_SPACING = 19
"""Tenor more than a twelfth above the bass sounds hollow."""
MAX_BASS_LEAP = 12

HARD = 1e6
"""What breaking a rule a chorale never breaks costs: parallel fifths or octaves, crossing the
octave spacing, an incomplete chord, a doubled leading tone or seventh. Any number of soft costs
stays below one of these, so the search breaks one only where no voicing avoids it."""
RULE = 1e4
"""What breaking a strong convention costs: hidden perfects into a soprano leap, overlapping
voices, a leading tone that does not rise to the tonic, a seventh that does not fall, a cadential
six-four whose bass does not stay."""

FIRST_INVERSION_COST = 1.5
SIX_FOUR_COST = 1.0
DIMINISHED_ROOT_POSITION_COST = 3.0
"""A diminished triad sounds best in first inversion."""
DOUBLING_COST = {"root": 0.0, "fifth": 1.0, "third": 2.5}
"""What one extra copy of a chord tone costs: the root is the tone to double."""
OMITTED_FIFTH_COST = 1.0
WIDE_BASS_SPACING_COST = 2.0
REGISTER_COST = 0.1
"""Per semitone an inner voice or the bass sits from the middle of its range."""
MOTION_WEIGHTS = np.array([0.0, 1.0, 1.0, 0.5])
"""Cost per semitone of motion, per voice: the soprano is given; the bass may move more."""
INNER_LEAP = 4
INNER_LEAP_COST = 3.0
"""Per semitone an alto or tenor moves beyond a major third."""
BASS_LEAP = 7
BASS_LEAP_COST = 1.0
"""Per semitone the bass leaps beyond a fifth."""
THIRD_CREDIT = 4.0
"""Taken off a lower voice's move by a third: a passing note may fill it, making two steps of it.
Set so the lower voices sing eighths in about Bach's share of their notes (alto, tenor and bass
0.35, 0.38 and 0.40 in Riemenschneider 1-30, measured with music21) at the usual liveliness; a
piece's credit grows and shrinks with its own (`Ornaments.third_credit`)."""
COMMON_TONE_COST = 1.0
"""An inner voice leaving a pitch class the next chord also holds."""
CONTRARY_PERFECTS_COST = 20.0
"""Fifths or octaves in succession by contrary motion: allowed, but avoided."""
AWKWARD_LEAP_COST = 30.0
"""A tritone or (in minor) an augmented second or diminished seventh in one voice."""
OPEN_END_PERFECT_COST = 5.0
"""A section that does not close the piece ending with its soprano and bass a fifth or an octave
apart: the next section, voiced without hearing this one (a restated head, say), may move them on
in parallel; an imperfect interval there cannot."""

DIMINISHED = {"dim", "dim7", "hdim7"}
PERFECT_CLASSES = (0, 7)
"""Unisons and octaves (0) and fifths (7), compound ones included, as intervals modulo 12."""
PASSING_ORDER = (BASS, TENOR, ALTO)
"""The order voices are offered an ornament: a later one must not clash with an earlier one's."""
LIVELINESS = (0.05, 1.0)
"""The range a piece's share of taken ornament chances is drawn from: some of Bach's chorales move
in quarters almost throughout, others in running eighths (a lower voice's eighth share ranges from
0 to 0.87 over Riemenschneider 1-30, standard deviation 0.15-0.2 per voice). Its ends, with the
soprano's, give 14.5 and 19.5 notes a bar in the tools bench's 16-bar chorales (Bach's 4/4 ones: 14
to 23)."""
USUAL_LIVELINESS = 0.7
"""The share taken when no seed is given: a middling chorale, its lower voices in quarters more than in eighths."""
SOPRANO_LIVELINESS = (0.0, 1.0)
"""The range a piece's share of the soprano's chances for a figure (a passing, neighbour or
overshooting eighth, a suspension) is drawn from: Bach's sopranos move in eighths less than the
lower voices (about one note in five of theirs is an eighth in Riemenschneider 1-30, against two in
five of the lower voices'), some chorales hardly at all, others in most bars."""
USUAL_SOPRANO_LIVELINESS = 0.25
"""The soprano's share when no seed is given."""
OVERSHOOT = (0.0, 0.8)
"""The range a piece's share of the soprano's steps sung as an overshoot (C-E-D: a leap of a third to a
tone of the chord, back by step onto the tune's next note) is drawn from; the rest of its chances are
passing, neighbour and skipping eighths. Pieces that overshoot often sing fewer steps, as some of
Bach's sopranos do (their step share ranges from 0.4 to 0.85)."""
SUSPENSIONS = {5: (3, 4), 10: (8, 9), 11: (8, 9)}
"""A suspension's dissonance above the bass (a fourth; a minor or major seventh) and the intervals its
resolution a step below may make (a third; a sixth): the 4-3 and the 7-6."""
NEIGHBOUR_SHARE = 0.7
"""A neighbour note's chance is taken this much less often than a passing note's: Bach fills
thirds far more often than he decorates a held tone."""
SKIPS = (5, 7, 8, 9)
"""A voice moving by a fourth, fifth or sixth may leap to a chord tone and step on from it (a
tritone, 6, is not a voice's move to decorate)."""
CHROMATIC = (0.0, 0.6)
"""The range a piece's chance of a chromatic passing note (against a diatonic one's) is drawn from:
some of Bach's chorales slide through a semitone now and then, most hardly ever. At 1.0 for every
piece (session 35, to bring the out-of-key share up to Bach's), sixty fixed-plan chorales slid 27
times in 100 bars in eighths, Bach's chorales once (Riemenschneider 1-30; 6 times at any length),
and every inner voice wriggled (E Eb D under D D# E); their colour comes from the harmony instead:
phrases leaning into related keys (`LineRules.tonicise`) and secondary dominants. A rising whole
tone in a chord free to slide then takes the chromatic note rather than an overshoot (G-G#-A, not
G-B-A)."""
UPPER_NEIGHBOUR_SHARE = 0.3
"""Of the neighbour notes, the share above the held tone (the lower neighbour is the commoner)."""
HARSH_DISTANCE = 1
"""A passing note a semitone from another voice's note is rejected (a seventh or ninth from it is
a passing dissonance Bach writes all the time; a rubbing minor second is not)."""


class ChoraleError(ValueError):
    """The melody, chords or grid cannot be set as a chorale; the message says what to change."""


@dataclass(frozen=True)
class Harmony:
    """A slot's chord as the voicing rules read it: pitch classes of its root, third, fifth and seventh."""

    index: int
    root: int
    quality: str
    third: int
    fifth: int | None
    seventh: int | None

    @classmethod
    def of(cls, index: int) -> Harmony:
        parts = chord_root_quality(index)
        if parts is None:
            raise ChoraleError("a chorale slot needs a chord; 'N.C.' slots are given the neighbouring chord")
        root, quality = parts
        intervals = QUALITIES[quality]
        return cls(index, root, quality, (root + intervals[1]) % 12, (root + intervals[2]) % 12,
                   (root + intervals[3]) % 12 if len(intervals) > 3 else None)

    @property
    def tones(self) -> frozenset[int]:
        return frozenset(tone for tone in (self.root, self.third, self.fifth, self.seventh) if tone is not None)

    def dominant_of(self, key: Key) -> bool:
        """V, V7 or a diminished chord on the leading tone: the chords whose leading tone must rise."""
        if self.root == key.degree_root(5):
            return self.quality in ("maj", "dom7")
        return self.root == leading_tone(key) and self.quality in DIMINISHED


def chromatic_tones(harmony: Harmony, key: Key) -> dict[int, int]:
    """The chord's pitch classes outside the key's scale, each with the direction it resolves in: +1
    for a raised tone (the third of a major chord or the root of a diminished one: a secondary
    dominant's leading tone, which rises), -1 for a lowered one (a borrowed third, a Neapolitan
    root, the seventh of V7/IV, which fall). A minor key's raised sixth and seventh are in its scale."""
    scale = key.scale()
    raised = {harmony.third} if harmony.quality in ("maj", "dom7") else set()
    if harmony.quality in DIMINISHED:
        raised.add(harmony.root)
    return {tone: 1 if tone in raised else -1 for tone in harmony.tones if tone not in scale}


def leading_tone(key: Key) -> int:
    """The pitch class a semitone below the tonic: the major key's seventh, the minor key's raised one."""
    return (key.tonic - 1) % 12


def realise_chorale(melody: list[MelodyNote], chords: list[int], slot: Fraction, bars: int,
                    bar_length: Fraction, key: Key, *, final: bool = True,
                    before: tuple[tuple[int, int, int, int], int] | None = None,
                    seed: int | None = None, piece_seed: int | None = None,
                    divided_beats: int | None = None, rock_spacing: int | None = None) -> tuple[list[Bar], list[Bar]]:
    """Upper staff bars with voices [soprano, alto] and lower staff bars with voices [tenor, bass].

    `melody` is the soprano, in quarters from the section start, kept as given but for the figures
    `_soprano_ornaments` sings here and there (a note across a bar line is written as two); `chords`
    holds one harmoniser chord index per `slot` quarters; the voices under it sound each slot's chord
    even where the soprano note is not in it. With `final` the last chord stands in root position,
    as a section's closing chord does. `before` is the
    chord sounding just before the section (soprano, alto, tenor, bass, and its chord index), so the
    voices move into the section by the same rules as inside it (no parallels across the join).
    `seed` draws where the voices move in eighths and, without a `piece_seed`, how lively they are
    (`Ornaments.drawn`); a piece's sections share its `piece_seed`, and so their liveliness. Without
    either, the usual liveliness. The soprano's figures divide no more than `divided_beats` slots of a
    bar, the tune's own eighths counted (None: any; the style's `LineRules.max_divided_beats`), and
    return off a neighbour between two pitches no sooner than `rock_spacing` notes after the line last
    did (None: any; `LineRules.rock_spacing`).
    """
    harmonies = _harmonies(chords, slot, bars, bar_length)
    notes = _exact_melody(melody, bars * bar_length)
    soprano = [_soprano_at(notes, slot * k, slot) for k in range(len(harmonies))]
    leaving = [_soprano_leaving(notes, slot * (k + 1)) for k in range(len(harmonies))]
    struck = {note.onset for note in notes}
    sustained = [slot * k not in struck for k in range(len(harmonies))]
    held = [k > 0 and sustained[k] and harmonies[k - 1].index == harmonies[k].index for k in range(len(harmonies))]
    ornaments = Ornaments.drawn(seed, piece_seed)
    voicings = _search(harmonies, soprano, leaving, key, final, before, held, ornaments.third_credit)
    notes = _soprano_ornaments(notes, voicings, harmonies, slot, bar_length, key, ornaments, held, divided_beats,
                               rock_spacing)
    lower = _ornaments(voicings, harmonies, notes, slot, bar_length, key, ornaments, held)
    voices = [_melody_line(notes, bars * bar_length)]
    voices += [_lower_line(lower, voice, harmonies, slot, bar_length, sustained) for voice in (ALTO, TENOR, BASS)]
    by_bar = [_split_at_bars(voice, bars, bar_length) for voice in voices]
    upper_bars = [Bar(voices=[by_bar[SOPRANO][n], by_bar[ALTO][n]]) for n in range(bars)]
    lower_bars = [Bar(voices=[by_bar[TENOR][n], by_bar[BASS][n]]) for n in range(bars)]
    return upper_bars, lower_bars


def _harmonies(chords: list[int], slot: Fraction, bars: int, bar_length: Fraction) -> list[Harmony]:
    """One `Harmony` per slot; an "N.C." slot takes the chord before it (the first chord, at the start)."""
    if slot <= 0 or bar_length % slot:
        raise ChoraleError(f"a slot of {slot} quarters does not divide a bar of {bar_length}; use the meter's beat")
    expected = int(bars * bar_length / slot)
    if len(chords) != expected:
        raise ChoraleError(f"{bars} bars of {bar_length} quarters in slots of {slot} need {expected} chords, "
                           f"not {len(chords)}")
    named = [index for index in chords if index != NO_CHORD]
    if not named:
        raise ChoraleError("every slot is 'N.C.'; a chorale needs at least one chord")
    filled, current = [], named[0]
    for index in chords:
        current = index if index != NO_CHORD else current
        filled.append(Harmony.of(current))
    return filled


@dataclass(frozen=True)
class _Note:
    onset: Fraction
    duration: Fraction
    pitch: int | None

    @property
    def end(self) -> Fraction:
        return self.onset + self.duration


def _exact_melody(melody: list[MelodyNote], length: Fraction) -> list[_Note]:
    """The melody in exact fractions, checked against the soprano's range and the section's length."""
    lowest, highest = RANGES[SOPRANO]
    notes: list[_Note] = []
    for note in sorted(melody, key=lambda n: n.onset):
        onset = exact_quarters(note.onset)
        duration = exact_quarters(note.duration)
        if not lowest <= note.pitch <= highest:
            raise ChoraleError(f"the soprano note {note.pitch} at quarter {float(onset)} is outside the soprano's "
                               f"range {lowest}-{highest}; transpose the melody or choose another key")
        if onset < 0 or onset + duration > length:
            raise ChoraleError(f"the soprano note at quarter {float(onset)} lies outside the section's "
                               f"{float(length)} quarters")
        if notes and onset < notes[-1].end:
            raise ChoraleError(f"the soprano notes at quarters {float(notes[-1].onset)} and {float(onset)} overlap; "
                               "a chorale soprano is one line")
        notes.append(_Note(onset, duration, note.pitch))
    return notes


def _sounding(notes: list[_Note], time: Fraction) -> int | None:
    return next((note.pitch for note in notes if note.onset <= time < note.end), None)


def _soprano_at(notes: list[_Note], start: Fraction, slot: Fraction) -> int:
    """The soprano pitch a slot is voiced under: the note sounding at its start, else the first struck
    in it, else `REST`."""
    pitch = _sounding(notes, start)
    if pitch is None:
        pitch = next((note.pitch for note in notes if start <= note.onset < start + slot), None)
    return REST if pitch is None else pitch


def _soprano_leaving(notes: list[_Note], end: Fraction) -> int:
    """The soprano pitch sounding just before `end` (a slot's end), else `REST`."""
    pitch = next((note.pitch for note in notes if note.onset < end <= note.end), None)
    return REST if pitch is None else pitch


def _search(harmonies: list[Harmony], soprano: list[int], leaving: list[int], key: Key, final: bool,
            before: tuple[tuple[int, int, int, int], int] | None, held: list[bool],
            third_credit: float) -> list[tuple[int, ...]]:
    """The cheapest sequence of voicings (soprano, alto, tenor, bass), one per slot (Viterbi),
    moving on from `before` when given. Each slot is voiced under the soprano's note at its start
    (`soprano`) and left from the note it sounds last (`leaving`: an eighth after the beat), so the
    voices move against the note the soprano really leaves from (no parallels from a soprano's
    passing eighth into the next beat). With `final`, every slot of the closing chord stands in
    root position. Where a slot is `held` (the soprano holds its note over the same chord, as at a
    phrase's end) the lower voices hold too: a chorale's phrase ends on a chord held still. A lower
    voice's move by a third costs `third_credit` less (`Ornaments.third_credit`)."""
    closing = len(harmonies) - 1
    while closing > 0 and harmonies[closing - 1].index == harmonies[-1].index:
        closing -= 1
    layers = []
    for k, harmony in enumerate(harmonies):
        following = harmonies[k + 1] if k + 1 < len(harmonies) else None
        cadential = (following is not None and harmony.root == key.tonic and harmony.seventh is None
                     and following.root == key.degree_root(5))
        layers.append(_candidates(harmony, soprano[k], key, six_four=cadential, root_position=final and k >= closing))
    if not final:
        last, static = layers[-1]
        ending = (leaving[-1] - last[:, BASS]) % 12
        layers[-1] = (last, static + OPEN_END_PERFECT_COST * ((leaving[-1] != REST) & np.isin(ending, PERFECT_CLASSES)))
    voicings, cost = layers[0]
    total = cost
    if before is not None:
        pitches, index = before
        total = total + _transition_costs(np.array([pitches]), voicings, Harmony.of(index), harmonies[0], key,
                                          third_credit)[0]
    back = []
    for k in range(1, len(layers)):
        reached, static = layers[k]
        departing = voicings.copy()
        departing[:, SOPRANO] = leaving[k - 1]
        step = total[:, None] + _transition_costs(departing, reached, harmonies[k - 1], harmonies[k], key,
                                                            third_credit)
        if held[k]:
            step += RULE * (reached[None, :, ALTO:] != voicings[:, None, ALTO:]).any(axis=2)
        best = step.argmin(axis=0)
        total = step[best, np.arange(len(reached))] + static
        back.append(best)
        voicings = reached
    choice = int(total.argmin())
    path = [choice]
    for best in reversed(back):
        choice = int(best[choice])
        path.append(choice)
    path.reverse()
    logger.debug("chorale voicing cost %.1f over %d slots", float(total.min()), len(harmonies))
    return [tuple(int(p) for p in layers[k][0][index]) for k, index in enumerate(path)]


def _candidates(harmony: Harmony, soprano: int, key: Key, *, six_four: bool,
                root_position: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every voicing of the chord under the soprano (rows of soprano, alto, tenor, bass) in range and
    order, with its own cost; only the voicings that break the fewest hard rules are kept."""
    bass_tones = {harmony.root} if root_position else {harmony.root, harmony.third}
    if six_four and not root_position and harmony.fifth is not None:
        bass_tones.add(harmony.fifth)
    ceiling = RANGES[ALTO][1] if soprano == REST else min(RANGES[ALTO][1], soprano - 1)
    rows = [(soprano, alto, tenor, bass)
            for bass in _pitches(BASS, bass_tones)
            for tenor in _pitches(TENOR, harmony.tones) if tenor > bass
            for alto in _pitches(ALTO, harmony.tones) if tenor < alto <= ceiling]
    if not rows:
        raise ChoraleError(f"no voicing of chord {harmony.index} fits under the soprano {soprano}")
    voicings = np.array(rows, dtype=np.int64)
    cost = _voicing_costs(voicings, harmony, key)
    tier = np.floor(cost.min() / HARD)
    keep = cost < (tier + 1) * HARD
    return voicings[keep], cost[keep]


def _pitches(voice: int, tones: set[int] | frozenset[int]) -> list[int]:
    lowest, highest = RANGES[voice]
    return [pitch for pitch in range(lowest, highest + 1) if pitch % 12 in tones]


def _voicing_costs(voicings: np.ndarray, harmony: Harmony, key: Key) -> np.ndarray:
    """What each voicing costs by itself: spacing, completeness, doubling, inversion and register."""
    soprano, alto, tenor, bass = voicings.T
    classes = voicings % 12
    sounding = np.isin(classes, list(harmony.tones)) & (voicings >= 0)  # a non-chord soprano does not count
    counts = {tone: ((classes == tone) & sounding).sum(axis=1) for tone in harmony.tones}
    cost = np.zeros(len(voicings))
    cost += HARD * ((soprano >= 0) & (soprano - alto > MAX_UPPER_SPACING))
    cost += HARD * (alto - tenor > MAX_UPPER_SPACING)
    cost += WIDE_BASS_SPACING_COST * (tenor - bass > WIDE_BASS_SPACING)
    for required in (harmony.root, harmony.third, harmony.seventh):
        if required is not None:
            cost += HARD * (counts[required] == 0)
    for single in (leading_tone(key), harmony.seventh, *chromatic_tones(harmony, key)):
        if single in counts:
            cost += HARD * (counts[single] > 1)
    roles = {harmony.root: "root", harmony.third: "third"}
    if harmony.fifth is not None:
        roles.setdefault(harmony.fifth, "fifth")
        cost += OMITTED_FIFTH_COST * (counts[harmony.fifth] == 0)
    for tone, role in roles.items():
        cost += DOUBLING_COST[role] * np.clip(counts[tone] - 1, 0, None)
    bass_class = bass % 12
    if harmony.quality in DIMINISHED:
        cost += DIMINISHED_ROOT_POSITION_COST * (bass_class == harmony.root)
    else:
        cost += FIRST_INVERSION_COST * (bass_class == harmony.third)
    cost += SIX_FOUR_COST * (bass_class == harmony.fifth)
    for voice in (ALTO, TENOR, BASS):
        lowest, highest = RANGES[voice]
        cost += REGISTER_COST * np.abs(voicings[:, voice] - (lowest + highest) / 2)
    return cost


def _transition_costs(before: np.ndarray, after: np.ndarray, from_harmony: Harmony, to_harmony: Harmony,
                      key: Key, third_credit: float) -> np.ndarray:
    """The cost of moving from each voicing in `before` (n rows) to each in `after` (m rows): (n, m)."""
    motion = after[None, :, :] - before[:, None, :]
    distance = np.abs(motion)
    cost = (distance * MOTION_WEIGHTS).sum(axis=2)
    for voice in (ALTO, TENOR):
        cost += INNER_LEAP_COST * np.clip(distance[..., voice] - INNER_LEAP, 0, None)
    cost += BASS_LEAP_COST * np.clip(distance[..., BASS] - BASS_LEAP, 0, None)
    cost -= third_credit * np.isin(distance[..., ALTO:], (3, 4)).sum(axis=2)
    cost += HARD * (distance[..., BASS] > MAX_BASS_LEAP)
    sung = (before[:, SOPRANO] >= 0)[:, None] & (after[:, SOPRANO] >= 0)[None, :]
    for upper in range(4):
        for lower in range(upper + 1, 4):
            pair = sung if upper == SOPRANO else True
            earlier = (before[:, upper] - before[:, lower])[:, None] % 12
            later = (after[:, upper] - after[:, lower])[None, :] % 12
            perfect = (earlier == later) & np.isin(later, PERFECT_CLASSES)
            together = motion[..., upper] * motion[..., lower]
            cost += HARD * (perfect & (together > 0) & pair)
            cost += CONTRARY_PERFECTS_COST * (perfect & (together < 0) & pair)
            if upper == SOPRANO and lower == BASS:
                hidden = np.isin(later, PERFECT_CLASSES) & ~perfect & (together > 0) & (distance[..., SOPRANO] > 2)
                cost += RULE * (hidden & sung)
    for upper, lower in ((SOPRANO, ALTO), (ALTO, TENOR), (TENOR, BASS)):
        overlap = (after[None, :, lower] > before[:, None, upper]) | (after[None, :, upper] < before[:, None, lower])
        cost += RULE * (overlap & (sung if upper == SOPRANO else True))
    changes = from_harmony.index != to_harmony.index
    chromatic = {tone: direction for tone, direction in chromatic_tones(from_harmony, key).items()
                 if changes and tone not in to_harmony.tones}
    for voice in (ALTO, TENOR, BASS):
        start = (before[:, voice] % 12)[:, None]
        if changes and from_harmony.dominant_of(key) and key.tonic in to_harmony.tones:
            cost += RULE * ((start == leading_tone(key)) & (motion[..., voice] != 1))
        if changes and from_harmony.seventh is not None:
            cost += RULE * ((start == from_harmony.seventh) & ~np.isin(motion[..., voice], (-1, -2)))
        for tone, direction in chromatic.items():  # a chromatic tone the next chord drops goes on by step
            cost += RULE * ((start == tone) & ~np.isin(motion[..., voice], (direction, 2 * direction)))
        cost += AWKWARD_LEAP_COST * (distance[..., voice] == 6)
        if key.mode is Mode.MINOR:
            end = (after[:, voice] % 12)[None, :]
            sixth, seventh = (key.tonic + 8) % 12, leading_tone(key)
            moved = motion[..., voice] != 0  # between the natural sixth and the leading tone, either way
            cost += AWKWARD_LEAP_COST * (moved & (((start == sixth) & (end == seventh)) | ((start == seventh)
                                                                                          & (end == sixth))))
        if voice != BASS:
            cost += COMMON_TONE_COST * (np.isin(start, list(to_harmony.tones)) & (motion[..., voice] != 0))
    if from_harmony.fifth is not None:
        six_four = (before[:, BASS] % 12 == from_harmony.fifth)[:, None]
        cost += RULE * (six_four & (motion[..., BASS] != 0))
    return cost


@dataclass(frozen=True)
class Ornaments:
    """How much the voices move between the chords: `liveliness` is the share of the lower voices'
    chances for a passing note or a suspension that are taken (of a neighbour note's, `NEIGHBOUR_SHARE`
    of that), `soprano` and `overshoot` the soprano's (`_soprano_ornaments`), drawn per piece from its
    seed, since Bach's chorales range from nearly all quarters to busy eighths; `seed` also draws
    which chances are taken."""

    liveliness: float
    seed: int
    soprano: float = USUAL_SOPRANO_LIVELINESS
    """The share of the soprano's chances for a figure that are taken."""
    overshoot: float = 0.0
    """The share of the soprano's steps, among the chances taken, sung as an overshoot."""
    chromatic: float = sum(CHROMATIC) / 2
    """A chromatic passing note's chance against a diatonic one's (`CHROMATIC`)."""

    @property
    def third_credit(self) -> float:
        """`THIRD_CREDIT` in the measure of the piece's liveliness: a lively piece's voices are searched
        toward thirds a passing note can fill, a quiet one's toward steps and common tones, so pieces
        differ in their eighths as much as Bach's do, not only in how many chances they take."""
        return THIRD_CREDIT * self.liveliness / USUAL_LIVELINESS

    @classmethod
    def drawn(cls, seed: int | None, piece_seed: int | None = None) -> Ornaments:
        """The piece's ornaments, by its seed (a piece keeps its character from section to section,
        and a quiet chorale and a busy one differ as a whole), else by the section's; the usual
        ones, and no overshoot, without either. `seed` draws which chances are taken.

        One draw, the piece's density, places both the lower voices' liveliness in `LIVELINESS` and
        the soprano's share in `SOPRANO_LIVELINESS` (how far along each range): a plain chorale is
        plain in every voice and a busy one busy, so pieces spread in notes per bar as Bach's do
        (14 to 23 in the 4/4 chorales of Riemenschneider 1-30). Drawn apart, a quiet soprano over
        busy lower voices and the reverse averaged out to 15.5-18 in ten pieces. The overshoots'
        share (`OVERSHOOT`) and the chance of a chromatic passing note (`CHROMATIC`) are drawn on
        their own: they colour the figures, not how many."""
        if seed is None and piece_seed is None:
            return cls(USUAL_LIVELINESS, 0)
        rng = np.random.default_rng(piece_seed if piece_seed is not None else seed)
        density = float(rng.uniform())
        return cls(along(LIVELINESS, density), seed or 0, along(SOPRANO_LIVELINESS, density),
                   float(rng.uniform(*OVERSHOOT)), float(rng.uniform(*CHROMATIC)))


def along(bounds: tuple[float, float], share: float) -> float:
    """The value `share` (0 to 1) of the way from the lower of `bounds` to the upper."""
    low, high = bounds
    return low + share * (high - low)


@dataclass
class _Lines:
    """Per slot and voice, the pitches of its first and second half (equal where the voice sings the
    slot as one note), and whether the first half is tied from the note before (a suspension)."""

    halves: list[list[list[int]]]
    tied: list[list[bool]]


def _soprano_ornaments(notes: list[_Note], voicings: list[tuple[int, ...]], harmonies: list[Harmony],
                       slot: Fraction, bar_length: Fraction, key: Key, ornaments: Ornaments,
                       held: list[bool], divided_beats: int | None = None,
                       rock_spacing: int | None = None) -> list[_Note]:
    """The melody with Bach's soprano figures, at the piece's `ornaments.soprano` share of its chances
    and none into or out of a `held` slot: where the next slot's chord leads into a close and the
    tune falls by step onto it, a suspension (the note held over the beat, a fourth or seventh above
    the bass, falling to the tune's note half a slot later: `_soprano_suspension`); else an eighth in
    the second half of the slot (`_soprano_eighth`: passing, overshooting, neighbour or skipping).
    Each is kept only where it makes no parallels, crossing, hidden perfect or semitone clash with
    the voices below (`_clean`), where its bar then divides no more than `divided_beats` slots
    (`_divided_slots`; None: any), and where it does not set the line circling two notes (`circles`
    within `rock_spacing` notes: A G A A G A; None: any). Every note of the tune is sung, at its place
    or, suspended, half a slot later; a note that must go straight on (`_tendency_tone`) is left as it is."""
    halves = [[[pitch, pitch] for pitch in voicing] for voicing in voicings]
    rng = np.random.default_rng([ornaments.seed, 2])  # apart from the lower voices' stream
    melody = list(notes)

    def crowded(filled: list[_Note], k: int) -> bool:
        """Whether the figure leaves a bar it touches (slots `k`, `k + 1`) divided too often, or the line circling."""
        bar_starts = {slot * j - slot * j % bar_length for j in (k, k + 1)}
        return (divided_beats is not None and any(
            _divided_slots(filled, start, bar_length, slot) > divided_beats for start in bar_starts)) or (
            rock_spacing is not None and _circling(filled, rock_spacing) > _circling(melody, rock_spacing))

    for k in range(len(voicings) - 1):
        draw, overshoot = rng.random(), bool(rng.random() < ornaments.overshoot)
        if draw >= ornaments.soprano or held[k] or held[k + 1]:
            continue
        index = next((i for i, note in enumerate(melody) if note.onset <= slot * k and note.end == slot * (k + 1)
                      and i + 1 < len(melody) and melody[i + 1].onset == note.end), None)
        start, end = (None, None) if index is None else (melody[index].pitch, melody[index + 1].pitch)
        if index is None or start is None or end is None:
            continue
        if _cadential(k + 1, harmonies, held, key) and (slot * (k + 1)) % bar_length:
            filled = _soprano_suspension(melody, index, voicings[k + 1], slot)
            last = min(k + 2, len(voicings) - 1)
            if filled is not None and not crowded(filled, k) and _clean(
                    halves, k, last, (k + 1, 0, SOPRANO), filled, slot):
                melody = filled
                continue
        if _tendency_tone(start, harmonies[k], key):
            continue
        around = [note.pitch for note in melody[max(index - 1, 0):index + 3] if note.pitch is not None]
        scale = _scale_between(key, harmonies[k], harmonies[k + 1], around,
                               rising=end > start or (end == start and not overshoot))
        filled = _soprano_eighth(melody, index, harmonies[k], scale, slot, overshoot=overshoot)
        if filled is not None and not crowded(filled, k) and _clean(halves, k, k + 1, (k, 1, SOPRANO), filled, slot):
            melody = filled
    return melody


def _circling(melody: list[_Note], spacing: int) -> int:
    """How many of the melody's notes return off a neighbour between two pitches it returned between
    within `spacing` notes before (`circles`)."""
    pitches = [note.pitch for note in melody if note.pitch is not None]
    return sum(circles(pitches, end, spacing) for end in range(len(pitches)))


def _divided_slots(melody: list[_Note], start: Fraction, bar_length: Fraction, slot: Fraction) -> int:
    """How many slots of the bar from `start` the melody divides: a note struck on the slot and
    shorter than it (a passing pair of eighths, a suspension's resolution half a slot late is not
    struck on one, its held note is longer)."""
    return sum(start <= note.onset < start + bar_length and note.onset % slot == 0 and note.duration < slot
               and note.pitch is not None for note in melody)


def _cadential(k: int, harmonies: list[Harmony], held: list[bool], key: Key) -> bool:
    """Whether slot k's chord leads into a close, where Bach suspends: a dominant going to the tonic,
    or the chord before a phrase's held last chord or the section's last."""
    last = len(harmonies) - 1
    if k >= last:
        return False
    if harmonies[k].dominant_of(key) and harmonies[k + 1].root == key.tonic:
        return True
    return not held[k] and (k + 1 == last or (k + 2 <= last and held[k + 2]))


def _soprano_suspension(melody: list[_Note], index: int, voicing: tuple[int, ...],
                        slot: Fraction) -> list[_Note] | None:
    """The melody with note `index` held half a slot into the next (a suspension), whose note falls a
    step from it, when the held note is a fourth or seventh above the next slot's bass and resolves to
    a third or sixth, no lower voice singing the resolution's pitch class against it; else None."""
    note, following = melody[index], melody[index + 1]
    assert note.pitch is not None and following.pitch is not None
    bass = voicing[BASS]
    resolutions = SUSPENSIONS.get((note.pitch - bass) % 12, ())
    if (note.pitch - following.pitch not in (1, 2) or following.duration <= slot / 2
            or (following.pitch - bass) % 12 not in resolutions
            or any(pitch % 12 == following.pitch % 12 for pitch in voicing[ALTO:BASS])):
        return None
    return [*melody[:index], _Note(note.onset, note.duration + slot / 2, note.pitch),
            _Note(following.onset + slot / 2, following.duration - slot / 2, following.pitch), *melody[index + 2:]]


def _soprano_eighth(melody: list[_Note], index: int, harmony: Harmony, scale: set[int], slot: Fraction, *,
                    overshoot: bool) -> list[_Note] | None:
    """The melody with the last half slot of note `index` (which ends where the next note starts) sung
    as an eighth leading to the next note: a passing note where they are a third apart; an overshoot
    where they are a step apart and `overshoot` (a tone of the sounding chord a step beyond the next
    note, a third from this one: C-E-D); a lower or upper neighbour where they are the same; a chord
    tone a step from the next note where they are a fourth to a sixth apart. None where no figure fits."""
    note, following = melody[index], melody[index + 1]
    assert note.pitch is not None and following.pitch is not None
    start, end = note.pitch, following.pitch
    if abs(end - start) in (3, 4):
        eighth = passing_pitch(start, end, scale)
    elif abs(end - start) in (1, 2):
        eighth = overshoot_pitch(start, end, harmony) if overshoot else None
    elif start == end:
        eighth = _neighbour_pitch(start, scale, upper=overshoot)
    elif abs(end - start) in SKIPS:
        eighth = _skip_pitch(start, end, harmony)
    else:
        eighth = None
    if eighth is None or not RANGES[SOPRANO][0] <= eighth <= RANGES[SOPRANO][1]:
        return None
    turn = note.end - slot / 2
    return [*melody[:index], _Note(note.onset, turn - note.onset, start), _Note(turn, slot / 2, eighth),
            *melody[index + 1:]]


def overshoot_pitch(start: int, end: int, harmony: Harmony) -> int | None:
    """A tone of the sounding chord a step beyond `end`, a third from `start` (C-E-D): the eighth a
    voice moving by a step sings past its goal, to come back onto it (None where no tone fits)."""
    direction = 1 if end > start else -1
    return next((pitch for pitch in (end + direction, end + 2 * direction)
                 if pitch % 12 in harmony.tones and abs(pitch - start) in (3, 4)), None)


def _tendency_tone(pitch: int, harmony: Harmony, key: Key) -> bool:
    """Whether a note must go straight on to its resolution: the leading tone of a dominant, a
    chord's seventh, a chromatic tone."""
    tone = pitch % 12
    return ((tone == leading_tone(key) and harmony.dominant_of(key)) or tone == harmony.seventh
            or tone in chromatic_tones(harmony, key))


def _ornaments(voicings: list[tuple[int, ...]], harmonies: list[Harmony], melody: list[_Note],
               slot: Fraction, bar_length: Fraction, key: Key, ornaments: Ornaments, held: list[bool]) -> _Lines:
    """The lower voices' eighths: a passing note where a voice moves by a third (a chromatic one,
    more rarely, where it moves by a whole tone), a neighbour note where it keeps a common tone into
    a new chord, an overshoot where it moves by a step (`overshoot_pitch`; its chance grows with the
    square of the liveliness, so a middling piece keeps about Bach's share of eighths and the
    busiest move in eighths on most beats, steps and all, as Bach's busiest do: with passing and
    neighbour notes alone the fixed-plan chorales' busiest struck 18.3 notes a bar, Bach's up to
    22.7) from any note but a tendency tone (`_tendency_tone`, which goes straight on: with
    overshoots from every note, one busy A major chorale of the bench's ten was heard in E major),
    and a 4-3 suspension
    where a voice falls from the tonic to the leading tone of a cadence's dominant, each where it
    breaks no rule (`_clean`) and none into or out of a `held` slot: a phrase's closing chord stays
    still to its end."""
    lines = _Lines([[[pitch, pitch] for pitch in voicing] for voicing in voicings],
                   [[False] * 4 for _ in voicings])
    rng = np.random.default_rng([ornaments.seed, 1])  # not the stream the liveliness was drawn from
    for k in range(len(voicings) - 1):
        for voice in PASSING_ORDER:
            draw = rng.random()
            if draw >= ornaments.liveliness or held[k] or held[k + 1]:
                continue
            if _suspend(lines, k, voice, harmonies, melody, slot, bar_length, key, held):
                continue
            start, end = voicings[k][voice], voicings[k + 1][voice]
            if lines.halves[k][voice][0] != lines.halves[k][voice][1]:
                continue
            upper = bool(rng.random() < UPPER_NEIGHBOUR_SHARE) if start == end else False
            around = [lines.halves[j][voice][half] for j, half in ((k - 1, 1), (k, 0), (k + 1, 0), (k + 2, 0))
                      if 0 <= j < len(voicings)]
            scale = _scale_between(key, harmonies[k], harmonies[k + 1], around,
                                   rising=end > start or (end == start and not upper))
            if abs(end - start) in (3, 4):
                ornament = passing_pitch(start, end, scale)
            elif abs(end - start) in SKIPS:
                ornament = _skip_pitch(start, end, harmonies[k])
            elif abs(end - start) == 2 and draw < ornaments.liveliness * ornaments.chromatic and _free_to_slide(
                    harmonies[k], key) and not _sliding_near(lines, k, voice):
                ornament = _chromatic_passing_pitch(start, end, scale, _others(lines, k, 1, voice, melody, slot),
                                                    _others(lines, k + 1, 0, voice, melody, slot))
            elif start == end and draw < ornaments.liveliness * NEIGHBOUR_SHARE:
                ornament = _neighbour_pitch(start, scale, upper=upper)
            elif (abs(end - start) in (1, 2) and draw < ornaments.liveliness ** 2
                  and not _tendency_tone(start, harmonies[k], key)):
                ornament = overshoot_pitch(start, end, harmonies[k])
            else:
                continue
            if ornament is None or not RANGES[voice][0] <= ornament <= RANGES[voice][1]:
                continue
            lines.halves[k][voice][1] = ornament
            if not _clean(lines.halves, k, k + 1, (k, 1, voice), melody, slot) or _chromatic_rub(
                    _moment(lines.halves, k, 1, melody, slot), key):
                lines.halves[k][voice][1] = start
    return lines


def _suspend(lines: _Lines, k: int, voice: int, harmonies: list[Harmony], melody: list[_Note], slot: Fraction,
             bar_length: Fraction, key: Key, held: list[bool]) -> bool:
    """Write a suspension in slot k when its chord leads into a close (`_cadential`), off the bar line,
    and an inner voice falls a step into it from the slot before onto a third or sixth above the bass:
    the note before is held over, a fourth or seventh above the bass (`SUSPENSIONS`: the 4-3 and the
    7-6), and falls on the half slot, where no other upper voice sings the resolution's pitch class
    against it. Whether it was written."""
    if voice == BASS or k == 0 or (slot * k) % bar_length == 0 or harmonies[k - 1].index == harmonies[k].index:
        return False
    if not _cadential(k, harmonies, held, key):
        return False
    before, sung = lines.halves[k - 1][voice], lines.halves[k][voice]
    if before[0] != before[1] or sung[0] != sung[1] or before[1] - sung[0] not in (1, 2):
        return False
    bass = lines.halves[k][BASS][0]
    if (sung[0] - bass) % 12 not in SUSPENSIONS.get((before[1] - bass) % 12, ()):
        return False
    others = [pitch for other, pitch in enumerate(_moment(lines.halves, k, 0, melody, slot))
              if other not in (voice, BASS) and pitch != REST]
    if any(pitch % 12 == sung[0] % 12 for pitch in others):
        return False
    sung[0], lines.tied[k][voice] = before[1], True
    if _clean(lines.halves, k - 1, k + 1, (k, 0, voice), melody, slot):
        return True
    sung[0], lines.tied[k][voice] = sung[1], False
    return False


def _scale_between(key: Key, here: Harmony, there: Harmony, pitches: Sequence[int], *, rising: bool) -> set[int]:
    """The scale a voice's eighth between two chords is taken from: the voice sings `pitches` around
    it (the note before, the two it moves between, the note after) and the eighth leads on up
    (`rising`: a passing note rising, a lower neighbour) or down. A minor key's sixth and seventh
    each take the form the two chords or those notes hold, so a voice does not sing both forms within
    a few notes (C D C# D in D minor); where they hold both or neither, the seventh takes the form the
    direction asks, as melodic minor does (raised leading up, natural leading down), and the sixth
    the seventh's, so no augmented second opens and a raised sixth never rises into a natural
    seventh (E F# G). By the chords alone, sixty fixed-plan chorales' sopranos decorated the tonic
    with the natural seventh before the dominant's leading tone (D C D C#)."""
    if key.mode is Mode.MAJOR:
        return {(key.tonic + step) % 12 for step in MAJOR_STEPS}
    held = here.tones | there.tones | {pitch % 12 for pitch in pitches}

    def form(natural: int, raised: int, lean_raised: bool) -> int:
        natural_held, raised_held = (key.tonic + natural) % 12 in held, (key.tonic + raised) % 12 in held
        if natural_held != raised_held:
            return natural if natural_held else raised
        return raised if lean_raised else natural

    seventh = form(10, 11, rising)
    sixth = form(8, 9, seventh == 11)
    return {(key.tonic + step) % 12 for step in (0, 2, 3, 5, 7, sixth, seventh)}


def passing_pitch(start: int, end: int, scale: set[int]) -> int | None:
    """The scale step between two pitches a third apart (None where either is off the scale)."""
    if start % 12 not in scale or end % 12 not in scale:
        return None
    low, high = sorted((start, end))
    between = [pitch for pitch in range(low + 1, high)
               if pitch % 12 in scale and pitch - low in (1, 2) and high - pitch in (1, 2)]
    return between[0] if len(between) == 1 else None


def _free_to_slide(harmony: Harmony, key: Key) -> bool:
    """Whether a voice may leave this chord by a chromatic passing note: not a dominant (its leading
    tone and seventh have their own way to go, and B7's A sliding through G# to G would sound a G#
    minor chord before the close) nor any seventh chord (its seventh falls straight to its resolution)."""
    return not harmony.dominant_of(key) and harmony.seventh is None


def _slides(lines: _Lines, k: int, voice: int) -> bool:
    """Whether `voice` passes chromatically through slot k: its two halves a semitone apart, going on
    by a semitone the same way into the next slot (a whole tone split in two, G-G#-A)."""
    if not 0 <= k < len(lines.halves) - 1:
        return False
    first, second = lines.halves[k][voice]
    return abs(second - first) == 1 and lines.halves[k + 1][voice][0] - second == second - first


def _sliding_near(lines: _Lines, k: int, voice: int) -> bool:
    """Whether a chromatic passing note in `voice` at slot k would follow its own in the slot before
    (A-Ab-G-G#-A: a voice wriggling, not sliding) or sound beside another voice's in the same slot (a
    tenor's G# under an alto's C#, both passing): the example chorale of session 51 slid in three
    voices in one bar; Bach's slides are single lines."""
    return _slides(lines, k - 1, voice) or any(_slides(lines, k, other) for other in range(4) if other != voice)


def _moment(halves: list[list[list[int]]], k: int, half: int, melody: list[_Note], slot: Fraction) -> list[int]:
    """What the four voices sing in slot k's `half`: the soprano as the melody has it then (`REST`
    where it is silent), the lower voices as their lines have them."""
    pitches = [halves[k][voice][half] for voice in range(4)]
    soprano = _sounding(melody, slot * k + slot * half / 2)
    pitches[SOPRANO] = REST if soprano is None else soprano
    return pitches


def _others(lines: _Lines, k: int, half: int, voice: int, melody: list[_Note], slot: Fraction) -> list[int]:
    """The pitches every voice but `voice` sounds in slot k's `half` (`_moment`, less the silent soprano)."""
    return [pitch for other, pitch in enumerate(_moment(lines.halves, k, half, melody, slot))
            if other != voice and pitch != REST]


def _chromatic_passing_pitch(start: int, end: int, scale: set[int], others: list[int],
                             following: list[int]) -> int | None:
    """The semitone between two pitches a whole tone apart, where it lies outside the scale (a
    chromatic passing note), and none of the `others` (the pitches the other voices sound with it)
    lies a semitone, a major seventh or a minor ninth from it, nor do the other voices sing its
    natural next (`following`: G# rising to A while another voice takes G is a false relation, not a
    passing colour)."""
    pitch = (start + end) // 2
    if pitch % 12 in scale:
        return None
    natural = (2 * pitch - end) % 12  # the tone the chromatic one was altered from: G for G# on its way to A
    if any((pitch - other) % 12 in (1, 11) for other in others) or any(p % 12 == natural for p in following):
        return None
    return pitch


def _chromatic_rub(pitches: list[int], key: Key) -> bool:
    """Whether a note outside the key sounds a semitone, a major seventh or a minor ninth against
    another voice (`pitches`, `REST` for a silent soprano): a chromatic passing note placed beside
    another voice's eighth placed after it (the bass's C# on its way to D, then the tenor's passing C)
    rubs as much as one placed beside a held note, which `_chromatic_passing_pitch` already refuses."""
    scale, sung = key.scale(), [pitch for pitch in pitches if pitch != REST]
    return any((high - low) % 12 in (1, 11) and not {high % 12, low % 12} <= scale
               for index, high in enumerate(sung) for low in sung[index + 1:])


def _skip_pitch(start: int, end: int, harmony: Harmony) -> int | None:
    """A tone of the sounding chord between two pitches a fourth to a sixth apart, a step from the
    second: the voice leaps within its chord and steps on (C-E-F under C major into F)."""
    low, high = sorted((start, end))
    return next((pitch for pitch in range(low + 1, high)
                 if pitch % 12 in harmony.tones and abs(end - pitch) in (1, 2)), None)


def _neighbour_pitch(pitch: int, scale: set[int], *, upper: bool) -> int | None:
    """The scale step above (`upper`) or below a pitch of the scale (None where it is off the scale)."""
    if pitch % 12 not in scale:
        return None
    steps = (1, 2) if upper else (-1, -2)
    return next((pitch + step for step in steps if (pitch + step) % 12 in scale), None)


def _clean(halves: list[list[list[int]]], first: int, last: int, ornamented: tuple[int, int, int],
           melody: list[_Note], slot: Fraction) -> bool:
    """Whether the voices from slot `first` to slot `last`'s first half keep their order and upper
    spacing, neither cross nor overlap, make no parallel fifths or octaves between any two voices from one half-slot
    to the next nor a hidden one between soprano and bass into a soprano's leap, and the `ornamented`
    note (slot, half, voice) rubs a semitone against no other voice."""
    times = [(index, half) for index in range(first, last + 1) for half in (0, 1) if (index, half) != (last, 1)]
    moments = [_moment(halves, index, half, melody, slot) for index, half in times]
    for pitches in moments:
        sung = [p for p in pitches if p != REST]
        if any(higher <= lower for higher, lower in zip(sung, sung[1:], strict=False)):
            return False
        if any(pitches[upper] - pitches[upper + 1] > MAX_UPPER_SPACING
               for upper in (SOPRANO, ALTO) if pitches[upper] != REST):
            return False
    index, half, voice = ornamented
    heard = moments[times.index((index, half))]
    if any(abs(heard[voice] - other) == HARSH_DISTANCE
           for other_voice, other in enumerate(heard) if other_voice != voice and other != REST):
        return False
    for earlier, later in zip(moments, moments[1:], strict=False):
        for upper in range(3):
            if REST in (earlier[upper], later[upper]):
                continue
            if later[upper + 1] > earlier[upper] or later[upper] < earlier[upper + 1]:
                return False
        soprano_leap = REST not in (earlier[SOPRANO], later[SOPRANO]) and abs(later[SOPRANO] - earlier[SOPRANO]) > 2
        if (soprano_leap and (later[SOPRANO] - earlier[SOPRANO]) * (later[BASS] - earlier[BASS]) > 0
                and (later[SOPRANO] - later[BASS]) % 12 in PERFECT_CLASSES):
            return False  # a hidden fifth or octave into a soprano's leap
        for upper in range(4):
            if REST in (earlier[upper], later[upper]):
                continue  # only the soprano falls silent: a lower voice always sings
            for lower in range(upper + 1, 4):
                first_interval, second_interval = earlier[upper] - earlier[lower], later[upper] - later[lower]
                together = (later[upper] - earlier[upper]) * (later[lower] - earlier[lower])
                if (together > 0 and first_interval % 12 == second_interval % 12
                        and second_interval % 12 in PERFECT_CLASSES):
                    return False
    return True


def _melody_line(notes: list[_Note], length: Fraction) -> list[_Note]:
    """The soprano as given, with rests where it is silent."""
    line, time = [], Fraction(0)
    for note in notes:
        if note.onset > time:
            line.append(_Note(time, note.onset - time, None))
        line.append(note)
        time = note.end
    if time < length:
        line.append(_Note(time, length - time, None))
    return line


def _lower_line(lines: _Lines, voice: int, harmonies: list[Harmony], slot: Fraction, bar_length: Fraction,
                sustained: list[bool]) -> list[_Note]:
    """One lower voice's notes: a slot per chord, halved where it is ornamented, one longer note where
    it keeps its pitch over a held chord within the bar while the soprano holds too (`sustained`: no
    soprano note starts in that slot), or where a suspension ties it over. Under a moving soprano the
    voices strike with it, as a homorhythmic chorale's do."""
    line: list[_Note] = []
    halves = lines.halves
    for k, (first, second) in enumerate(half[voice] for half in halves):
        onset, length = slot * k, slot if first == second else slot / 2
        previous = line[-1] if line else None
        holds = lines.tied[k][voice] or (
            previous is not None and previous.pitch == first and onset % bar_length != 0 and sustained[k]
            and harmonies[k - 1].index == harmonies[k].index and halves[k - 1][voice][1] == first)
        if holds and previous is not None:
            line[-1] = _Note(previous.onset, previous.duration + length, first)
        else:
            line.append(_Note(onset, length, first))
        if first != second:
            line.append(_Note(onset + length, length, second))
    return line


def _split_at_bars(line: list[_Note], bars: int, bar_length: Fraction) -> list[list[Event]]:
    """A voice's notes as each bar's events; a note across a bar line becomes two (a Bar has no ties)."""
    events: list[list[Event]] = [[] for _ in range(bars)]
    for note in line:
        onset = note.onset
        while onset < note.end:
            number = int(onset // bar_length)
            end = min(note.end, bar_length * (number + 1))
            pitches = [] if note.pitch is None else [note.pitch]
            events[number].append(Event(pitches=pitches, duration=float(end - onset)))
            onset = end
    return events
