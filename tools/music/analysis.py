"""Facts about a draft that critics judge and validators cannot see: the key the notes suggest,
Roman numerals, voice leading, tendency tones, variety. Computed from the ontology instance, so
they are the same for every texture.

`label_chords` names the harmony that actually sounds (pitch classes per beat matched against
the harmoniser's chord templates), so chord symbols in a two-hand piano texture describe the notes, not a wish.
music21 does the textbook analysis: key estimation (`analyze('key')`), Roman numerals
(`roman.romanNumeralFromChord`) and parallel fifths and octaves (`voiceLeading.VoiceLeadingQuartet`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import ceil
from typing import TYPE_CHECKING

from ontology.music import Bar, Cadence, ChordEvent, Part, Piece
from ontology.music_theory import CHORD_QUALITIES, Key, Mode, exact_quarters, parse_chord, parse_key, parse_meter
from tools.music.harmony.chords import label_pitch_classes, ontology_symbol
from tools.music.harmony.data import MelodyNote
from tools.music.scoreio import music21_chord_symbol, spelled_pitch

if TYPE_CHECKING:
    from music21 import key as m21key


def sounding_notes(bars: list[Bar], bar_length: Fraction) -> list[tuple[Fraction, Fraction, int]]:
    """(start, end, pitch) of every sounding pitch of every voice, in quarter notes from the start."""
    found = []
    for number, bar in enumerate(bars):
        for voice in bar.voices:
            start = bar_length * number
            for event in voice:
                length = exact_quarters(event.duration)
                found += [(start, start + length, pitch) for pitch in event.pitches]
                start += length
    return found


def part_notes(piece: Piece, part: Part) -> list[tuple[Fraction, Fraction, int]]:
    """(start, end, pitch) of every sounding pitch of `part` in quarter notes from the piece's first
    note: its pickup bar's from 0, its bars from the first downbeat."""
    bar_length = parse_meter(piece.meter).bar_quarters
    pickup = sounding_notes([part.pickup_bar], bar_length) if part.pickup_bar is not None else []
    downbeat = piece.bar_start(0)
    return pickup + [(start + downbeat, end + downbeat, pitch) for start, end, pitch in sounding_notes(part.bars,
                                                                                                      bar_length)]


def top_line(bars: list[Bar], bar_length: Fraction) -> list[MelodyNote]:
    """The highest note at each onset, held until the next onset (or its own end), in quarters."""
    highest: dict[Fraction, tuple[Fraction, int]] = {}
    for start, end, pitch in sounding_notes(bars, bar_length):
        if start not in highest or pitch > highest[start][1]:
            highest[start] = (end, pitch)
    onsets = sorted(highest)
    line = []
    for index, start in enumerate(onsets):
        end, pitch = highest[start]
        if index + 1 < len(onsets):
            end = min(end, onsets[index + 1])
        line.append(MelodyNote(float(start), float(end - start), pitch))
    return line


def label_chords(parts: list[list[Bar]], bar_length: Fraction, slot: Fraction = Fraction(1)) -> list[ChordEvent]:
    """One chord symbol per slot of `slot` quarters (a beat unless the style changes chords more
    slowly; a new event only where it changes), from the duration-weighted pitch classes sounding
    in it, matched against the harmoniser's chord templates (the lowest note breaks ties). Slots
    where nothing sounds keep the previous chord."""
    total_bars = max((len(bars) for bars in parts), default=0)
    slots = int(bar_length * total_bars / slot)
    weights: list[defaultdict[int, float]] = [defaultdict(float) for _ in range(slots)]
    basses: list[int | None] = [None] * slots
    # each note visits only the slots it overlaps (every slot against every note grew with the square
    # of a section's notes), in the notes' order, so each slot's sums are added as before
    for start, end, pitch in (note for bars in parts for note in sounding_notes(bars, bar_length)):
        for slot_index in range(max(int(start // slot), 0), min(slots, ceil(end / slot))):
            overlap = min(end, (slot_index + 1) * slot) - max(start, slot_index * slot)
            if overlap > 0:
                weights[slot_index][pitch % 12] += float(overlap)
                bass = basses[slot_index]
                basses[slot_index] = pitch if bass is None or pitch < bass else bass
    labels: list[ChordEvent] = []
    for slot_index in range(slots):
        lo = slot_index * slot
        symbol = (ontology_symbol(label_pitch_classes(weights[slot_index], basses[slot_index]))
                  if weights[slot_index] else None)
        if symbol is None or (labels and labels[-1].symbol == symbol):
            continue
        bar = int(lo // bar_length)
        labels.append(ChordEvent(bar=bar + 1, beat=float(lo - bar * bar_length) + 1, symbol=symbol))
    return labels


def labels_in_key(harmony: list[ChordEvent], key: Key, *, chromatic_harmony: bool) -> list[ChordEvent]:
    """Chord labels read from notes (`label_chords`) as `key` hears them. Where chromatic tones are
    harmony (`chromatic_harmony`: a harmonised style, whose applied and borrowed chords the
    harmoniser chose, and which a variation's kept bars carry over), a label with a tone outside the
    key is marked borrowed, as the harmoniser's own are (`tools.music.neural_sections.chord_symbols`);
    unmarked, the validators called each one a chord outside the key, 18 times in the final versions
    of 100 language-model pieces (session 54), all of them in a variation's kept bars. Where they
    are not (a piano texture, which the grammar keeps in the key's scale but for passing and
    neighbour notes, which are not harmony), a label with a tone outside it (C major for an open
    fifth C-G in C minor) names a tone that is not the chord's: the same root's triad in the key
    replaces it, and a label with no such triad is marked borrowed."""
    scale = key.scale()
    placed = []
    for event in harmony:
        chord = parse_chord(event.symbol)
        root = event.symbol[: len(event.symbol) - len(chord.quality)]
        if chord.pitch_classes() <= scale:
            placed.append(event)
        elif not chromatic_harmony and (diatonic := next(
                (q for q in ("", "m", "dim") if parse_chord(root + q).pitch_classes() <= scale), None)) is not None:
            placed.append(event.model_copy(update={"symbol": root + diatonic}))
        else:
            placed.append(event.model_copy(update={"borrowed": True}))
    return placed


@dataclass(frozen=True)
class KeyEstimate:
    """The key music21 hears in some notes, and how well they fit its key profile (Pearson r, -1..1)."""

    name: str
    tonic: int
    mode: str
    correlation: float

    def matches(self, key: Key) -> bool:
        return (self.tonic, self.mode) == (key.tonic, key.mode.value)


def estimate_key(parts: list[list[Bar]], bar_length: Fraction) -> KeyEstimate | None:
    """music21's key estimate from the duration-weighted pitch classes of all parts (None without notes)."""
    return key_of_weights(_pitch_class_weights(parts, bar_length))


def heard_keys(key: Key, cadence: Cadence | None) -> set[Key]:
    """The keys a section in `key` closing on `cadence` may be heard in: its own, and where it closes
    on the dominant, the dominant's. A half close often sounds in the dominant's key, as Beethoven's
    do; held to its own key, a free piano's opening was written again in 17 of 30 pieces and lost its
    chromatic colour (out-of-key overlap 0.73 -> 0.62)."""
    if cadence is not Cadence.HALF:
        return {key}
    dominant = key.degree_root(5)
    return {key, Key(dominant, Mode.MAJOR), Key(dominant, key.mode)}


def key_margin(parts: list[list[Bar]], bar_length: Fraction, keys: Collection[Key]) -> float:
    """How much better the best of `keys` fits the parts' duration-weighted pitch classes than the
    best other key does, in music21's key analysis (the profiles' correlations, one less the other):
    above 0 where the notes are heard in one of `keys`; -2 without notes."""
    weights = _pitch_class_weights(parts, bar_length)
    if not weights:
        return -2.0
    best = _analysed(weights)
    fits = {(found.tonic.pitchClass, found.mode): _correlation(found)
            for found in (best, *best.alternateInterpretations)}
    asked = max((fits.pop((key.tonic, key.mode.value), -1.0) for key in set(keys)), default=-1.0)
    return asked - max(fits.values(), default=-1.0)


def _pitch_class_weights(parts: list[list[Bar]], bar_length: Fraction) -> dict[int, Fraction]:
    weights: defaultdict[int, Fraction] = defaultdict(Fraction)
    for bars in parts:
        for start, end, pitch in sounding_notes(bars, bar_length):
            weights[pitch % 12] += end - start
    return weights


def _analysed(weights: Mapping[int, Fraction]) -> m21key.Key:
    """music21's key analysis (`analyze('key')`, Krumhansl-Schmuckler profiles) of pitch classes weighted
    by how long they sound. One note per pitch class, as long as that class sounds in all, gives
    music21 the same profile as the whole texture, cheaply."""
    from music21 import note, stream

    found: stream.Stream[note.Note] = stream.Stream(
        [note.Note(60 + pc, quarterLength=length) for pc, length in sorted(weights.items())])
    return found.analyze("key")


def key_of_weights(weights: Mapping[int, Fraction]) -> KeyEstimate | None:
    """music21's key estimate of pitch classes weighted by how long they sound (None without any)."""
    if not weights:
        return None
    key = _analysed(weights)
    return KeyEstimate(f"{key.tonic.name.replace('-', 'b')} {key.mode}", key.tonic.pitchClass, key.mode,
                       round(_correlation(key), 2))


def _correlation(found: m21key.Key) -> float:
    """How well the notes fit the key's profile (music21 declares it None until an analysis sets it)."""
    return float(found.correlationCoefficient or 0.0)


NUMERAL_MARKS = {"dim": "o", "aug": "+", "7": "7", "maj7": "7", "m7": "7", "m7b5": "ø7", "dim7": "o7",
                 "sus2": "sus2", "sus4": "sus4"}
"""What follows a Roman numeral for each chord quality (major and minor triads need none)."""


@lru_cache(maxsize=512)
def roman_numeral(symbol: str, key: Key) -> str:
    """An ontology chord symbol as a Roman numeral in `key` ('A7' in D minor -> 'V7'): music21
    places the root as a degree of the key (`roman.romanNumeralFromChord`, which marks roots
    outside the key 'b' or '#', and the minor key's natural sixth and seventh 'b', as in 'bVI');
    upper case means a major third, lower case a minor one. The root is spelled as the key writes it
    ('G#m', iii in E major, whoever wrote 'Abm'; `Chord.in_key`)."""
    from music21 import roman

    chord = parse_chord(symbol).in_key(key)
    numeral = roman.romanNumeralFromChord(music21_chord_symbol(chord.symbol), key.to_music21())
    degree = numeral.romanNumeralAlone.lower() if 3 in CHORD_QUALITIES[chord.quality] else \
        numeral.romanNumeralAlone.upper()
    return f"{numeral.frontAlterationString}{degree}{NUMERAL_MARKS.get(chord.quality, '')}"


@dataclass
class SectionFacts:
    section_id: str
    label: str
    bars: str
    key: str
    cadence: str
    chords: list[str] = field(default_factory=list)
    numerals: list[str] = field(default_factory=list)
    heard_key: KeyEstimate | None = None
    key_matches: bool = True
    melody_range: tuple[int, int] | None = None
    distinct_pitches: int = 0
    rhythm_patterns: int = 0
    parallel_perfects: list[str] = field(default_factory=list)
    unresolved_leading_tones: int = 0

    def describe(self, listened: bool = False) -> str:
        """The section in one line, as the critics act on it: the numerals in the key the line
        names (they carry each chord's root and quality, and the close is the last two), the
        melody's variety (pitches and bar rhythms, what the Listener Critic judges), and only the
        problems found: a key heard other than planned, parallel fifths or octaves between the outer
        voices with their bars, leading tones that do not rise. Each token here is prompt the
        embedded model evaluates (about 33 a second on two cores), so a measure with nothing wrong
        is not spelled out: session 29's four lines a section, every number in prose, were two
        thirds of the Theory Critic's prompt. `listened`: the parallels are left to the listening
        report read beside it (`listening_report`), which finds them between any two voices and
        judges them against the style's allowance, so they are said once."""
        problems = []
        if self.heard_key is not None and not self.key_matches:
            problems.append(f"sounds in {self.heard_key.name}, not the planned {self.key}")
        if self.parallel_perfects and not listened:
            problems.append(f"outer voices in parallel {', '.join(self.parallel_perfects[:4])}")
        if self.unresolved_leading_tones:
            problems.append(f"leading tones not rising to the tonic: {self.unresolved_leading_tones}")
        melody = (f"{self.distinct_pitches} pitches, {self.rhythm_patterns} bar rhythms" if self.melody_range
                  else "no notes")
        return (f"section {self.section_id} ({self.label}, bars {self.bars}, {self.key}, planned {self.cadence} "
                f"cadence): {' '.join(self.numerals) or 'no chord plan'}; {melody}"
                + "".join(f"; {p}" for p in problems))


def _line(bars: list[Bar], bar_length: Fraction, highest: bool) -> list[tuple[Fraction, int]]:
    """The top (or bottom) voice as (onset, pitch), one pitch per onset."""
    chosen: dict[Fraction, int] = {}
    for start, _, pitch in sounding_notes(bars, bar_length):
        current = chosen.get(start)
        chosen[start] = pitch if current is None else (max if highest else min)(current, pitch)
    return sorted(chosen.items())


def _sounding(line: list[tuple[Fraction, int]], times: list[Fraction]) -> list[int | None]:
    """The pitch of `line` (sorted by onset, as `_line` makes it) sounding at each of `times`: its
    latest onset at or before the time (None before its first)."""
    onsets = [onset for onset, _ in line]
    return [line[index - 1][1] if (index := bisect_right(onsets, time)) else None for time in times]


def parallel_motions(top: list[tuple[Fraction, int]], bottom: list[tuple[Fraction, int]],
                     key: Key) -> list[tuple[str, Fraction]]:
    """('fifths' or 'octaves', the time they are reached) for each pair of consecutive fifths or
    octaves (compound ones too) between two voices (each sorted by onset) moving in the same
    direction, as music21's voice-leading quartets find them on the pitches spelled in `key`
    (`parallel_kind`); perfect intervals reached by contrary motion are not counted."""
    times = sorted({t for t, _ in top} | {t for t, _ in bottom})
    found: list[tuple[str, Fraction]] = []
    previous: tuple[int, int] | None = None
    for time, upper, lower in zip(times, _sounding(top, times), _sounding(bottom, times), strict=True):
        if upper is None or lower is None:
            continue
        now = (upper, lower)
        if previous and (upper - lower) % 12 in (0, 7):  # other intervals cannot end parallel perfects
            kind = parallel_kind(previous, now, key)
            if kind is not None:
                found.append((kind, time))
        previous = now
    return found


@lru_cache(maxsize=8192)
def parallel_kind(previous: tuple[int, int], now: tuple[int, int], key: Key) -> str | None:
    """'fifths' or 'octaves' where two voices moving from (upper, lower) pitches `previous` to `now`
    in similar motion make parallel fifths or octaves, as music21's voice-leading quartet reads the
    pitches spelled in `key`; else None. Building the quartet takes milliseconds, and a session's
    listening asks about the same four pitches again for every draft and candidate, so each answer
    is kept."""
    from music21 import note, voiceLeading

    top_from, top_to, bottom_from, bottom_to = (
        note.Note(spelled_name(pitch, key)) for pitch in (previous[0], now[0], previous[1], now[1]))
    quartet = voiceLeading.VoiceLeadingQuartet(top_from, top_to, bottom_from, bottom_to)
    fifths = quartet.parallelFifth()
    if quartet.similarMotion() and (fifths or quartet.parallelUnisonOrOctave()):
        return "fifths" if fifths else "octaves"
    return None


@lru_cache(maxsize=1024)
def spelled_name(pitch: int, key: Key) -> str:
    """`pitch` (MIDI) spelled in `key` (`scoreio.spelled_pitch`) as music21 names it with its octave
    ('E-4'). Listening judges motions between the same few dozen pitches of one key all session, and
    music21 took milliseconds to build the key and spell each pitch again for every motion (most of
    a nocturne session's listening)."""
    return spelled_pitch(pitch, _music21_key(key)).nameWithOctave


@lru_cache(maxsize=64)
def _music21_key(key: Key):  # -> music21.key.Key, read only: one object serves every caller
    return key.to_music21()


def describe_parallels(motions: list[tuple[str, Fraction]], bar_length: Fraction, first_bar: int = 1) -> list[str]:
    """Parallel motions (kind, time) as people read them: 'fifths into bar 3'."""
    return [f"{kind} into bar {int(time // bar_length) + first_bar}" for kind, time in motions]


def parallel_perfects(top: list[tuple[Fraction, int]], bottom: list[tuple[Fraction, int]],
                      bar_length: Fraction, key: Key, first_bar: int = 1) -> list[str]:
    """`parallel_motions` as people read them (`describe_parallels`)."""
    return describe_parallels(parallel_motions(top, bottom, key), bar_length, first_bar)


def _bar_of(time: Fraction, bar_length: Fraction, downbeat: Fraction) -> int:
    return max(0, int((time - downbeat) // bar_length))


def doubled_bars(top: list[tuple[Fraction, int]], bottom: list[tuple[Fraction, int]], bar_length: Fraction,
                 downbeat: Fraction = Fraction(0)) -> set[int]:
    """The 0-based bars (counted from `downbeat`) where `bottom` doubles `top` an octave or more below,
    note for note (the same onsets, two or more, every pitch whole octaves lower): one line in both
    hands, a passage in octaves. A bar of one note in each is no line: a bass following the tune
    note by note from bar to bar moves with it in parallel octaves."""
    by_bar: defaultdict[int, tuple[dict[Fraction, int], dict[Fraction, int]]] = defaultdict(lambda: ({}, {}))
    for line, index in ((top, 0), (bottom, 1)):
        for onset, pitch in line:
            by_bar[_bar_of(onset, bar_length, downbeat)][index][onset] = pitch
    return {bar for bar, (upper, lower) in by_bar.items()
            if len(upper) > 1 and upper.keys() == lower.keys()
            and all(upper[onset] > lower[onset] and (upper[onset] - lower[onset]) % 12 == 0 for onset in upper)}


def voice_parallels(top: list[tuple[Fraction, int]], bottom: list[tuple[Fraction, int]], key: Key,
                    bar_length: Fraction, downbeat: Fraction = Fraction(0)) -> list[tuple[str, Fraction]]:
    """`parallel_motions` a voice-leading check reports: none into, within or out of bars where the
    lower voice doubles the upper in octaves (`doubled_bars`). A planned passage in octaves
    (`tools.music.styles.octaves`) is one line played by both hands, whose parallels are the
    doubling, not two voices moving together; the listening checks and the critics' facts read
    these, while the quality measure counts every parallel, as it does in Beethoven's octaves."""
    doubled = doubled_bars(top, bottom, bar_length, downbeat)
    onsets = [onset for onset, _ in top]
    found = []
    for kind, time in parallel_motions(top, bottom, key):
        left = bisect_left(onsets, time)  # the upper voice's note the motion leaves
        leaves = onsets[left - 1] if left else time
        if not {_bar_of(time, bar_length, downbeat), _bar_of(leaves, bar_length, downbeat)} & doubled:
            found.append((kind, time))
    return found


def section_facts(piece: Piece) -> list[SectionFacts]:
    """Per-section facts of a realised piece (parts[0] carries the melody, parts[-1] the bass)."""
    bar_length = parse_meter(piece.meter).bar_quarters
    facts = []
    for section, first, last in piece.section_spans():
        key = parse_key(section.key or piece.key)
        item = SectionFacts(section.id, section.label, f"{first}-{last}", key.name, str(section.cadence or "no"))
        item.chords = [c.symbol for c in piece.harmony if first <= c.bar <= last]
        item.numerals = [roman_numeral(symbol, key) for symbol in item.chords]
        if piece.parts:
            item.heard_key = estimate_key([part.bars[first - 1:last] for part in piece.parts], bar_length)
            item.key_matches = item.heard_key is None or item.heard_key.matches(key)
            melody_bars = piece.parts[0].bars[first - 1:last]
            bass_bars = piece.parts[-1].bars[first - 1:last]
            top = _line(melody_bars, bar_length, highest=True)
            pitches = [pitch for _, pitch in top]
            if pitches:
                item.melody_range = (min(pitches), max(pitches))
                item.distinct_pitches = len(set(pitches))
            item.rhythm_patterns = len({tuple(e.duration for e in bar.voices[0]) for bar in melody_bars})
            if len(piece.parts) > 1:
                bottom = _line(bass_bars, bar_length, highest=False)
                item.parallel_perfects = describe_parallels(voice_parallels(top, bottom, key, bar_length),
                                                            bar_length, first)
            leading = (key.tonic - 1) % 12
            item.unresolved_leading_tones = sum(
                1 for a, b in zip(pitches, pitches[1:], strict=False) if a % 12 == leading and b % 12 != key.tonic)
        facts.append(item)
    return facts


def describe_piece(piece: Piece, listened: bool = False) -> str:
    """The analysis text the critics and the Composer read (`listened`: beside the listening report,
    `SectionFacts.describe`)."""
    head = f"{piece.title}: {piece.key}, {piece.meter}, {piece.tempo_bpm} bpm, {piece.total_bars} bars"
    return "\n".join([head, *(facts.describe(listened) for facts in section_facts(piece))])
