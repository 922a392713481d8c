"""Facts about a draft that critics judge and validators cannot see: voice leading, tendency
tones, variety. Computed from the ontology instance, so they are the same for every texture.

`label_chords` names the harmony that actually sounds (pitch classes per beat matched against
the harmoniser's chord templates), so chord symbols in a two-hand piano texture describe the notes, not a wish.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from ontology.music import Bar, ChordEvent, Piece
from ontology.music_theory import parse_key, parse_meter
from tools.music.harmony.chords import label_pitch_classes, ontology_symbol


def sounding_notes(bars: list[Bar], bar_length: Fraction) -> list[tuple[Fraction, Fraction, int]]:
    """(start, end, pitch) of every sounding pitch of every voice, in quarter notes from the start."""
    found = []
    for number, bar in enumerate(bars):
        for voice in bar.voices:
            start = bar_length * number
            for event in voice:
                length = Fraction(event.duration).limit_denominator(96)
                found += [(start, start + length, pitch) for pitch in event.pitches]
                start += length
    return found


def label_chords(parts: list[list[Bar]], bar_length: Fraction) -> list[ChordEvent]:
    """One chord symbol per beat (a new event only where it changes), from the duration-weighted
    pitch classes sounding in it, matched against the harmoniser's chord templates (the lowest note
    breaks ties). Beats where nothing sounds keep the previous chord."""
    sounding = [note for bars in parts for note in sounding_notes(bars, bar_length)]
    total_bars = max((len(bars) for bars in parts), default=0)
    labels: list[ChordEvent] = []
    for beat_index in range(int(bar_length * total_bars)):
        lo, hi = Fraction(beat_index), Fraction(beat_index + 1)
        weights: Counter[int] = Counter()
        bass: int | None = None
        for start, end, pitch in sounding:
            overlap = min(end, hi) - max(start, lo)
            if overlap > 0:
                weights[pitch % 12] += float(overlap)
                bass = pitch if bass is None or pitch < bass else bass
        symbol = ontology_symbol(label_pitch_classes(weights, bass)) if weights else None
        if symbol is None or (labels and labels[-1].symbol == symbol):
            continue
        bar = int(lo // bar_length)
        labels.append(ChordEvent(bar=bar + 1, beat=float(lo - bar * bar_length) + 1, symbol=symbol))
    return labels


@dataclass
class SectionFacts:
    section_id: str
    label: str
    bars: str
    key: str
    cadence: str
    chords: list[str] = field(default_factory=list)
    melody_range: tuple[int, int] | None = None
    distinct_pitches: int = 0
    rhythm_patterns: int = 0
    parallel_perfects: list[str] = field(default_factory=list)
    unresolved_leading_tones: int = 0

    def describe(self) -> str:
        low, high = self.melody_range or (0, 0)
        lines = [
            f"section {self.section_id} ({self.label}, bars {self.bars}, {self.key}, planned {self.cadence} cadence)",
            f"  chords: {' '.join(self.chords) or 'none'}",
            f"  melody: range {high - low} semitones, {self.distinct_pitches} distinct pitches, "
            f"{self.rhythm_patterns} different bar rhythms",
            f"  outer voices: {len(self.parallel_perfects)} parallel fifths/octaves"
            + (f" ({', '.join(self.parallel_perfects[:4])})" if self.parallel_perfects else ""),
            f"  leading tones that do not rise to the tonic: {self.unresolved_leading_tones}",
        ]
        return "\n".join(lines)


def _line(bars: list[Bar], bar_length: Fraction, highest: bool) -> list[tuple[Fraction, int]]:
    """The top (or bottom) voice as (onset, pitch), one pitch per onset."""
    chosen: dict[Fraction, int] = {}
    for start, _, pitch in sounding_notes(bars, bar_length):
        current = chosen.get(start)
        chosen[start] = pitch if current is None else (max if highest else min)(current, pitch)
    return sorted(chosen.items())


def _sounding_at(line: list[tuple[Fraction, int]], time: Fraction) -> int | None:
    current = None
    for onset, pitch in line:
        if onset > time:
            break
        current = pitch
    return current


def parallel_perfects(top: list[tuple[Fraction, int]], bottom: list[tuple[Fraction, int]],
                      bar_length: Fraction, first_bar: int = 1) -> list[str]:
    """Consecutive fifths or octaves between two voices moving in the same direction."""
    times = sorted({t for t, _ in top} | {t for t, _ in bottom})
    found, previous = [], None
    for time in times:
        upper, lower = _sounding_at(top, time), _sounding_at(bottom, time)
        if upper is None or lower is None:
            continue
        now = (upper, lower, (upper - lower) % 12)
        if previous and now[2] in (0, 7) and now[2] == previous[2]:
            up_motion, low_motion = upper - previous[0], lower - previous[1]
            if up_motion and low_motion and (up_motion > 0) == (low_motion > 0):
                kind = "octaves" if now[2] == 0 else "fifths"
                found.append(f"{kind} into bar {int(time // bar_length) + first_bar}")
        previous = now
    return found


def section_facts(piece: Piece) -> list[SectionFacts]:
    """Per-section facts of a realised piece (parts[0] carries the melody, parts[-1] the bass)."""
    bar_length = parse_meter(piece.meter).bar_quarters
    facts = []
    for section, first, last in piece.section_spans():
        key = parse_key(section.key or piece.key)
        item = SectionFacts(section.id, section.label, f"{first}-{last}", key.name, str(section.cadence or "no"))
        item.chords = [c.symbol for c in piece.harmony if first <= c.bar <= last]
        if piece.parts:
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
                item.parallel_perfects = parallel_perfects(top, bottom, bar_length, first)
            leading = (key.tonic - 1) % 12
            item.unresolved_leading_tones = sum(
                1 for a, b in zip(pitches, pitches[1:], strict=False) if a % 12 == leading and b % 12 != key.tonic)
        facts.append(item)
    return facts


def describe_piece(piece: Piece) -> str:
    """The analysis text the critics and the Composer read."""
    head = f"{piece.title}: {piece.key}, {piece.meter}, {piece.tempo_bpm} bpm, {piece.total_bars} bars"
    return "\n".join([head, *(facts.describe() for facts in section_facts(piece))])
