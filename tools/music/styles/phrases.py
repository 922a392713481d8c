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

from collections.abc import Iterable, Sequence
from dataclasses import replace
from fractions import Fraction

from ontology.music import Cadence
from ontology.music_styles import PHRASE_BARS
from ontology.music_theory import Key, Mode, exact_quarters
from tools.music.harmony.chords import QUALITIES, chord_index, chord_pitch_classes, chord_root_quality
from tools.music.harmony.data import MelodyNote
from tools.music.piano.tokens import fit_into
from tools.music.styles.pickup import LEAD_BACK_REACH, led_back

MELODY_DEGREES: dict[Cadence, tuple[int, ...]] = {
    Cadence.AUTHENTIC: (1, 3),
    Cadence.PLAGAL: (1, 3),
    Cadence.HALF: (2, 5, 7),
    Cadence.DECEPTIVE: (1, 3),
}
"""Scale degrees the melody may land on at a phrase end: tones of the cadence's final chord."""
FINAL_DEGREES = (1,)
"""The last note of a section closing on a full cadence: the tonic itself (a perfect cadence)."""
CADENCE_BARS = 2
"""A phrase's last bars that close on its cadence: the chord before the final one and the final one
(`given_chords` fixes the first in the bar before the phrase's last; `close_on_cadence` writes a free
piano section's two chords there; a variation's new ending rewrites them)."""


def cadence_bars(ends: Iterable[int]) -> set[int]:
    """The bars (0-based) that close the phrases ending at `ends` on their cadences."""
    return {bar for last in ends for bar in range(last - CADENCE_BARS + 1, last + 1)}


def phrase_cadences(bars: int, cadence: Cadence | None) -> dict[int, Cadence]:
    """0-based bar index -> the cadence that ends a phrase there. The section's last bar takes the
    planned cadence (none when the plan gives none); the phrases before it answer each other,
    counted back from the end: the phrase before a full close asks (a half cadence), the phrase
    before a half close settles (authentic), and so on alternately, so a section never piles up
    dominants or tonics. A bar or two past the last whole phrase extends it."""
    ends: dict[int, Cadence] = {}
    inner = [end for end in range(PHRASE_BARS - 1, bars - 1, PHRASE_BARS) if bars - 1 - end > PHRASE_BARS // 2]
    closing_is_half = cadence is not None and Cadence(cadence) is Cadence.HALF
    for number, end in enumerate(reversed(inner)):
        ends[end] = Cadence.AUTHENTIC if (number % 2 == 0) == closing_is_half else Cadence.HALF
    if cadence is not None:
        ends[bars - 1] = Cadence(cadence)
    return dict(sorted(ends.items()))


def melody_pitch_classes(key: Key, cadence: Cadence, final: bool) -> frozenset[int]:
    """Pitch classes the melody's note may take where a phrase ends on `cadence` (`final`: the
    section's last bar, where a full cadence lands on the tonic)."""
    full = cadence in (Cadence.AUTHENTIC, Cadence.PLAGAL)
    degrees = FINAL_DEGREES if final and full else MELODY_DEGREES[cadence]
    if cadence is Cadence.HALF:
        dominant = (key.tonic + 7) % 12  # V is major in minor too: its third is the leading tone
        return frozenset({dominant, (dominant + 4) % 12, (dominant + 7) % 12})
    return frozenset(key.degree_root(degree) for degree in degrees)


def approach_pitch_classes(key: Key, cadence: Cadence, targets: frozenset[int], *, outline: bool) -> frozenset[int]:
    """Pitch classes for the melody's last beat before a phrase ends on `cadence`, from the chord
    before the final one (V7 before I or vi, IV before I), so the melody belongs to the cadence's
    harmony. A line with chords under it takes the chord's tones a step from a `targets` tone (7 or
    2 to 1): the chords already state the harmony, and the line keeps its stepwise close. A single
    line (`outline`) takes the chord's root and third, which name it unambiguously (a fifth and
    seventh alone, G and Bb, read as G minor, not C7). Empty for a half cadence, which may be
    approached from anything."""
    before, _ = cadence_chords(key, cadence)
    if before is None:
        return frozenset()
    if outline:
        root, quality = chord_root_quality(before) or (key.tonic, "maj")
        return frozenset({root, (root + QUALITIES[quality][1]) % 12})
    tones = chord_pitch_classes(before)
    near = frozenset(tone for tone in tones if any(min((tone - t) % 12, (t - tone) % 12) <= 2 for t in targets))
    return near or tones


def stepping_into(pitch: int, landing: int, approach: frozenset[int], register: tuple[int, int]) -> int | None:
    """Of the `approach` tones in `register` a step or less from `landing`, the one nearest `pitch` (the
    note the line had there), or None. The nearest to the landing alone (F#4 before G4) could be a
    leap from where the line was: D5 F#4 G4, a minor sixth in a chorale whose limit is a fifth, where
    D5 A4 G4 also lands by step."""
    stepping = [p for p in range(register[0], register[1] + 1) if p % 12 in approach and abs(p - landing) <= 2]
    return min(stepping, key=lambda p: (abs(p - pitch), p)) if stepping else None


def raised_sixth(pitch: int, following: int, key: Key) -> int:
    """`pitch` raised a semitone where it is a minor key's natural sixth rising an augmented second to
    the leading tone (D E# in F# minor), as melodic minor rises (D# E# F#); else `pitch`. A close's
    approach tone is chosen a step from the cadence tone (`stepping_into`), whatever note comes before
    it: an F# minor chorale's soprano sang D5 E#5 F#5 into its half close (session 52)."""
    if key.mode is Mode.MINOR and pitch % 12 == (key.tonic + 8) % 12 and following - pitch == 3:
        return pitch + 1
    return pitch


def held_to_the_bar_end(cadence: Cadence, *, breath: bool, pickup: bool) -> bool:
    """Whether a section's last note is held to the end of its bar: always after a full close; after
    a half cadence (a question, which never ends a piece) only in a line with a `pickup`, up to it
    (a strain's "c3-c2 c"). A breathing line (`LineRules.breath`) rests after its half close
    (`close_phrases` drops what the model wrote after it, a lead-in to a next section it could not
    know; the piece's assembly sings the breath's last beat into that section once it is written,
    `pickup.lead_into`); a line that neither breathes nor has a pickup, a chorale's soprano, holds it
    as long as any phrase's last note and sings on into the next phrase's upbeat over the same chord, as Bach's
    sopranos do after a fermata on V: a half cadence held a whole bar stalls the chorale and, three
    times in sixteen bars, makes the dominant's the key the ear hears."""
    return Cadence(cadence) is not Cadence.HALF or (pickup and not breath)


def close_phrases(line: list[MelodyNote], key: Key, ends: dict[int, Cadence], bar_length: Fraction,
                  beat: Fraction, register: tuple[int, int], *, outline: bool,
                  breath: bool = False, pickup: Fraction = Fraction(0),
                  goals: Sequence[int] = ()) -> list[MelodyNote]:
    """`line` inside `register` (notes outside moved by octaves) with each phrase's close made good:
    the note on a phrase end's downbeat moved to the nearest cadence tone, the notes of the beat
    before it to the nearest approach tones (the last of them one a step or less from that cadence
    tone, the one nearest the line's note there, so the line lands by step without leaping into its
    approach: `stepping_into`; in a single line the one before it takes the approach tone the beat
    lacks, so root and third name the chord: E-E-F is no V-I in F, C-E-F is; a minor key's natural
    sixth rising to that leading tone is raised, `raised_sixth`), and the section's
    last note held to the bar's end (`held_to_the_bar_end`; where the style has a `pickup` and the
    line strikes a note that long before the bar's end, it is held up to that pickup into the next
    section, which leads back into the line's first note, or into the nearest of `goals`, the notes a
    return after the section may begin on: `pickup.led_back`), or, where a breathing
    line closes the section on a half cadence, followed by a rest to the bar's end: notes after it
    would lead into a next section this one cannot hear, so the line breathes there (a line that
    neither breathes nor has a pickup keeps its notes after a half close: its upbeat, led into the
    nearest of `goals` where a return follows, else held off by holding the close: two language-model
    chorales' sopranos sang on from a half close on D5 or F#5 up toward G5, then leapt down 11 and 14
    semitones into the restated opening, session 54). A
    freshly sampled line already obeys this (its grammar enforces it); a line carried over from
    another section (a variation, a restatement in a new place of the form, perhaps in a new key)
    is fitted to this section's register and cadences here."""
    lowest, highest = register

    def nearest(pitch: int, classes: frozenset[int]) -> int:
        inside = [p for p in range(lowest, highest + 1) if p % 12 in classes]
        return min(inside, key=lambda p: (abs(p - pitch), p)) if inside else pitch

    notes = [replace(n, pitch=fit_into(n.pitch, lowest, highest)) for n in line]
    last_bar = max(ends, default=-1)
    for bar, cadence in ends.items():
        start = bar_length * bar
        targets = melody_pitch_classes(key, cadence, final=bar == last_bar)
        approach = approach_pitch_classes(key, cadence, targets, outline=outline) if bar else frozenset()
        onsets = [exact_quarters(note.onset) for note in notes]
        if start not in onsets:
            continue
        landing = onsets.index(start)
        notes[landing] = replace(notes[landing], pitch=nearest(notes[landing].pitch, targets))
        leading = [i for i, onset in enumerate(onsets) if approach and start - beat <= onset < start]
        for index in leading:  # the last one steps to the landing note; earlier ones stay near their own pitch
            if index < leading[-1]:
                pitch = nearest(notes[index].pitch, approach)
            else:
                stepped = stepping_into(notes[index].pitch, notes[landing].pitch, approach, register)
                pitch = nearest(notes[landing].pitch, approach) if stepped is None else stepped
            notes[index] = replace(notes[index], pitch=pitch)
        if leading and leading[-1] > 0:
            prior, approaching = notes[leading[-1] - 1], notes[leading[-1]]
            notes[leading[-1] - 1] = replace(prior, pitch=raised_sixth(prior.pitch, approaching.pitch, key))
        missing = approach - {notes[index].pitch % 12 for index in leading}
        if outline and missing and len(leading) > 1:  # a lone leading tone is no dominant: sound its root too
            notes[leading[-2]] = replace(notes[leading[-2]], pitch=nearest(notes[leading[-2]].pitch, missing))
    if notes and last_bar >= 0:
        end = bar_length * (last_bar + 1)
        downbeat = bar_length * last_bar
        closing = [n for n in notes if exact_quarters(n.onset) >= downbeat]
        if closing and exact_quarters(closing[0].onset) == downbeat:
            before = [n for n in notes if exact_quarters(n.onset) < downbeat]
            goal = None if not goals else replace(notes[0], pitch=min(goals, key=lambda g: abs(g - closing[0].pitch)))
            if not held_to_the_bar_end(ends[last_bar], breath=breath, pickup=bool(pickup)):
                upbeat = closing[1:]
                if breath:
                    notes = [*before, closing[0]]
                elif goal is not None and upbeat:
                    led = led_back(upbeat, closing[0], goal, key, register)
                    notes = [*before, closing[0], *led] if abs(led[-1].pitch - goal.pitch) <= LEAD_BACK_REACH \
                        else [*before, replace(closing[0], duration=float(end - downbeat))]
            else:
                lead = [n for n in closing[1:] if exact_quarters(n.onset) >= end - pickup]
                if not (pickup and lead and exact_quarters(lead[0].onset) == end - pickup):
                    lead, pickup = [], Fraction(0)
                close = replace(closing[0], duration=float(end - pickup - downbeat))
                notes = [*before, close, *led_back(lead, close, goal or notes[0], key, register)]
    return notes


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


def given_chords(key: Key, ends: dict[int, Cadence], slots_per_bar: int, bars: int,
                 opening_bar: bool = False) -> dict[int, int]:
    """Chords fixed by slot so the section opens on its tonic (its first slot, or with
    `opening_bar` its whole first bar) and each phrase closes on its cadence: the final chord
    fills the phrase's last bar, the chord before it the last slot of the bar before (the
    harmoniser fills the rest). A nocturne whose sections left the tonic at the first half bar was
    heard in its dominant's key in 2 of 10 fixed plans; with a bar of tonic (and the opening's
    authentic close, `ontology.music_forms`) in none of them."""
    tonic = cadence_chords(key, Cadence.AUTHENTIC)[1]
    fixed: dict[int, int] = {slot: tonic for slot in range(slots_per_bar if opening_bar else 1)} if bars else {}
    for bar, cadence in sorted(ends.items()):
        if bar >= bars:
            continue
        before, final = cadence_chords(key, cadence)
        first = bar * slots_per_bar
        fixed.update({slot: final for slot in range(first, first + slots_per_bar)})
        if before is not None and bar > 0:
            fixed[first - 1] = before
    return fixed


def barred_before_half_closes(key: Key, ends: dict[int, Cadence], slots_per_bar: int,
                              bars: int) -> dict[int, frozenset[int]]:
    """Chords barred by slot so that each half close arrives on its dominant: the slot before the
    close's bar takes no chord on the dominant's root (the harmoniser is given none there,
    `cadence_chords`, and fills the rest). Left free, it held the dominant through the bar before
    18 of sixty fixed-plan waltzes' half closes, ten of them on it three bars of their four (a
    middle of "Dm | A | A | A"), and 20 of sixty nocturnes' and of 120 chorales' half closes; a half
    cadence moves into V from another chord."""
    dominant = key.degree_root(5)
    on_the_dominant = frozenset(chord_index(dominant, quality) for quality in QUALITIES)
    return {bar * slots_per_bar - 1: on_the_dominant for bar, cadence in ends.items()
            if cadence is Cadence.HALF and 0 < bar < bars}


def with_picardy_third(fixed: dict[int, int], key: Key, final_bar: int, slots_per_bar: int,
                       closing_pitch: int | None) -> dict[int, int]:
    """`fixed` (chords by slot, `given_chords`) with a minor key's tonic in the `final_bar` made major,
    the tierce de Picardie Bach's minor chorales close on, where the tune's `closing_pitch` is the
    tonic or the fifth (under its minor third the major chord would clash); otherwise as given."""
    if key.mode is not Mode.MINOR or closing_pitch is None or (closing_pitch - key.tonic) % 12 not in (0, 7):
        return fixed
    minor, major = chord_index(key.tonic, "min"), chord_index(key.tonic, "maj")
    final = range(final_bar * slots_per_bar, (final_bar + 1) * slots_per_bar)
    return {slot: major if slot in final and chord == minor else chord for slot, chord in fixed.items()}
