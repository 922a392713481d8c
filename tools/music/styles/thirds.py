"""A tune sung over a second voice a third or a sixth below it, in the right hand.

Beethoven's slow movements (the nocturne's reference) thicken as they sing: a right hand carries
its tune over a third or a sixth for a bar or a phrase, then sings alone again; a waltz's tune
runs in thirds and sixths as often. The movements strike from 10.6 to 26.9 notes a bar (10th to
90th percentile), while the fixed-plan nocturnes, one line over an arpeggio, struck 11.3 to 19.3
(session 35's sixty; the percentiles from a scratch script over `bench/compose_tools_quality.py
--styles nocturne -n 60 --scores DIR`).

How often a piece sings in two voices is set once by its density (`LineRules.second_voice`,
`tools.music.styles.density`), so some pieces stay a single line and some thicken, as real ones do,
the thick ones over the densest left hands; which bars, the section's seed draws, and a chosen bar
gives a second voice to each of its notes that can take one:

- a note of an eighth or longer (a turn's thirty-seconds and a dotted figure's tail pass alone);
- the third below (or, failing that, the sixth) that is a tone of the chord sounding at its onset,
  so the second voice is consonant with the harmony by construction;
- at `FLOOR` or above. The left hand is written after the second voice and under it, as under
  the tune (its arpeggio's ceiling, its chromatic neighbours' semitone check), so the hands never
  cross and the left hand's neighbours rub against neither voice.

The tune itself (the top voice every measure and check reads) does not change. Measured on sixty
fixed-plan pieces each (session 36): the nocturnes' notes per bar 15.6 -> 16.5 on average
(Beethoven's 18.7), the waltzes' 8.5 -> 9.2 (9.4; overlap 0.64 -> 0.67). Two voices under the tune
(the third and the sixth) in 20-100% of a nocturne's bars moved the overlap no further: the dense
tail needs both hands thick at once, which the piece's density now gives (session 38); from the
style's `LineRules.chordal_from` density up, each second voice takes a third voice under it, the
chord tone within the octave below the tune (no lower than `CHORD_FLOOR`).
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction

from ontology.music import Bar, Event
from ontology.music_styles import LineRules
from ontology.music_theory import OCTAVE, exact_quarters
from tools.music.harmony.chords import NO_CHORD, chord_pitch_classes
from tools.music.harmony.data import MelodyNote
from tools.music.styles.accompaniment import chord_spans
from tools.music.styles.density import share_at

SHORTEST = Fraction(1, 2)
"""The shortest note (quarters) a second voice sings under: an eighth."""
BELOW = ((3, 4), (8, 9))
"""The intervals (semitones) a second voice may lie below the tune, in order of preference: a
minor or major third, else a minor or major sixth."""
FLOOR = 57
"""A3: the lowest note of the right hand's second voice, which leaves the left hand's widest arpeggio
(two octaves over its bass, `tools.music.styles.accompaniment.NOCTURNE_FIGURES`) room beneath it: at
G3 a language-model nocturne's second voice on Ab3 over the wide figure left its bass no octave
above the piano's lowest key (`AccompanimentError`, session 38)."""
CHORD_FLOOR = 60
"""C4: the lowest note of a chord's third voice (the chord's within the octave under the tune)."""


def second_voice_rate(rules: LineRules, density: float) -> float:
    """The share of a piece's bars sung in two voices, from the style's range at the piece's density
    (`tools.music.styles.density`): a piece whose left hand runs dense sings in double notes more."""
    return share_at(rules.second_voice, density)


def in_chords(rules: LineRules, density: float) -> bool:
    """Whether a piece's bars in two voices sound a third voice too: from the style's `chordal_from`
    density up (`tools.music.styles.density`)."""
    return rules.chordal_from is not None and density >= rules.chordal_from


def with_second_voice(right: Sequence[Bar], chords: Sequence[int], *, slot: Fraction, bar_length: Fraction,
                      rate: float, seed: int, chordal: bool = False) -> list[Bar]:
    """`right` (a one-voice tune, bar by bar) with a second voice under its notes in a share `rate`
    of its bars (module docstring), against the harmoniser's `chords` (one per `slot` quarters);
    `chordal`, a third voice under the second as well (`_third`): the densest pieces' chords.
    The left hand is written afterwards, under every voice (`second_voice_notes`)."""
    if rate <= 0:
        return list(right)
    sounding = [(span.bar * bar_length + span.start, span.duration, span.chord)
                for span in chord_spans(chords, slot, len(right), bar_length) if span.chord != NO_CHORD]
    draw = random.Random(f"second voice {seed}")
    result = []
    for number, bar in enumerate(right):
        if draw.random() >= rate or len(bar.voices) != 1:
            result.append(bar)
            continue
        onset, events = bar_length * number, []
        for event in bar.voices[0]:
            length = exact_quarters(event.duration)
            chord = next((chord for start, length, chord in sounding if start <= onset < start + length), None)
            under: list[int] = []
            if len(event.pitches) == 1 and length >= SHORTEST and chord is not None:
                under = _voices_under(event.pitches[0], chord_pitch_classes(chord), chordal)
            events.append(Event(pitches=[*under, *event.pitches], duration=event.duration) if under else event)
            onset += length
        result.append(Bar(voices=[events]))
    return result


def second_voice_notes(right: Sequence[Bar], bar_length: Fraction) -> list[MelodyNote]:
    """The notes `with_second_voice` wrote under the tune (every pitch of a right-hand event below
    its top), which the left hand must stay under as it stays under the tune."""
    notes = []
    for number, bar in enumerate(right):
        onset = bar_length * number
        for event in bar.voices[0]:
            notes += [MelodyNote(float(onset), event.duration, pitch) for pitch in sorted(event.pitches)[:-1]]
            onset += exact_quarters(event.duration)
    return notes


def _voices_under(tune: int, tones: frozenset[int], chordal: bool) -> list[int]:
    """The voices under `tune`, lowest first: its second (`_second`), and where `chordal` a third under
    that (`_third`); none where no second fits."""
    second = _second(tune, tones)
    if second is None:
        return []
    third = _third(tune, second, tones) if chordal else None
    return [second] if third is None else [third, second]


def _third(tune: int, second: int, tones: frozenset[int]) -> int | None:
    """The highest of `tones` below `second`, within the octave under `tune` and at `CHORD_FLOOR` or
    above: the tune, its second voice and this a chord in close position (None where none fits)."""
    return next((pitch for pitch in range(second - 1, max(tune - OCTAVE, CHORD_FLOOR) - 1, -1)
                 if pitch % 12 in tones), None)


def _second(tune: int, tones: frozenset[int]) -> int | None:
    """The third below `tune`, else the sixth (`BELOW`), that is one of `tones` and lies at `FLOOR`
    or above (None where neither does)."""
    return next((tune - interval for intervals in BELOW for interval in intervals
                 if (tune - interval) % 12 in tones and tune - interval >= FLOOR), None)
