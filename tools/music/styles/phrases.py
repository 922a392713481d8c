"""Where a section's phrases end and how: the cadences inside a section, the melody note each one
lands on and the chords the harmoniser is given there.

A section is cut into four-bar phrases (`ontology.music_styles.PHRASE_BARS`); its last bar closes on
the section's planned cadence, and a phrase ending inside the section alternates a half cadence
(a question: the antecedent ends on V) with an authentic one (the answer). The cadence formula is
written where a phrase ends and nowhere else, so a 16-bar piece carries four cadences, not one per
two bars. The melody's grammar puts a long note on a cadence chord's tone on the phrase's last
downbeat; the harmoniser is given the cadence's two chords and fills the rest.
"""

from __future__ import annotations

from ontology.music import Cadence
from ontology.music_styles import PHRASE_BARS
from ontology.music_theory import Key, Mode
from tools.music.harmony.chords import chord_index

MELODY_DEGREES: dict[Cadence, tuple[int, ...]] = {
    Cadence.AUTHENTIC: (1, 3),
    Cadence.PLAGAL: (1, 3),
    Cadence.HALF: (2, 5, 7),
    Cadence.DECEPTIVE: (1, 3),
}
"""Scale degrees the melody may land on at a phrase end: tones of the cadence's final chord."""
FINAL_DEGREES = (1,)
"""The last note of a section closing on a full cadence: the tonic itself (a perfect cadence)."""


def phrase_cadences(bars: int, cadence: Cadence | None) -> dict[int, Cadence]:
    """0-based bar index -> the cadence that ends a phrase there. Phrases inside the section end on a
    half cadence, then an authentic one, alternately; the section's last bar takes the planned
    cadence (none when the plan gives none). A bar or two past the last whole phrase extends it."""
    ends: dict[int, Cadence] = {}
    inner = [end for end in range(PHRASE_BARS - 1, bars - 1, PHRASE_BARS) if bars - 1 - end > PHRASE_BARS // 2]
    for number, end in enumerate(inner):
        ends[end] = Cadence.HALF if number % 2 == 0 else Cadence.AUTHENTIC
    if cadence is not None:
        ends[bars - 1] = Cadence(cadence)
    return ends


def melody_pitch_classes(key: Key, cadence: Cadence, final: bool) -> frozenset[int]:
    """Pitch classes the melody's note may take where a phrase ends on `cadence` (`final`: the
    section's last bar, where a full cadence lands on the tonic)."""
    full = cadence in (Cadence.AUTHENTIC, Cadence.PLAGAL)
    degrees = FINAL_DEGREES if final and full else MELODY_DEGREES[cadence]
    if cadence is Cadence.HALF:
        dominant = (key.tonic + 7) % 12  # V is major in minor too: its third is the leading tone
        return frozenset({dominant, (dominant + 4) % 12, (dominant + 7) % 12})
    return frozenset(key.degree_root(degree) for degree in degrees)


def cadence_chords(key: Key, cadence: Cadence) -> tuple[int | None, int]:
    """The chord before the final one (None: any) and the final chord of a cadence in `key`."""
    minor = key.mode is Mode.MINOR

    def chord(degree: int, quality_in_major: str, quality_in_minor: str) -> int:
        return chord_index(key.degree_root(degree), quality_in_minor if minor else quality_in_major)

    tonic, dominant = chord(1, "maj", "min"), chord(5, "dom7", "dom7")
    return {
        Cadence.AUTHENTIC: (dominant, tonic),
        Cadence.PLAGAL: (chord(4, "maj", "min"), tonic),
        Cadence.DECEPTIVE: (dominant, chord(6, "min", "maj")),
        Cadence.HALF: (None, chord(5, "maj", "maj")),
    }[cadence]


def given_chords(key: Key, ends: dict[int, Cadence], slots_per_bar: int, bars: int) -> dict[int, int]:
    """Chords fixed by slot so each phrase closes on its cadence: the final chord fills the phrase's
    last bar, the chord before it the last slot of the bar before (the harmoniser fills the rest).
    A half cadence inside a section holds V for the bar only from its downbeat."""
    fixed: dict[int, int] = {}
    for bar, cadence in sorted(ends.items()):
        if bar >= bars:
            continue
        before, final = cadence_chords(key, cadence)
        first = bar * slots_per_bar
        fixed.update({slot: final for slot in range(first, first + slots_per_bar)})
        if before is not None and bar > 0:
            fixed[first - 1] = before
    return fixed
