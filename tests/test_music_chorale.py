"""The four-part chorale realiser: hymn tunes in major and minor harmonised by simple rules, and the
voices under them checked as a teacher checks a chorale (ranges, order, parallels between every pair
of voices, the leading tone, complete chords, the final root position), then measured as issue 13
measures Bach."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import product

import pytest

from ontology.music import INSTRUMENTS, Bar, Part, Piece, Section
from ontology.music_theory import Key, Mode, circles
from tools.music.harmony.chords import chord_index, chord_pitch_classes, chord_root_quality
from tools.music.harmony.data import MelodyNote
from tools.music.quality.features import Cadence, measure
from tools.music.quality.timeline import timeline_from_piece
from tools.music.styles.chorale import (
    ALTO,
    BASS,
    CHROMATIC,
    LIVELINESS,
    RANGES,
    SOPRANO_LIVELINESS,
    TENOR,
    ChoraleError,
    Harmony,
    Ornaments,
    _Lines,
    _scale_between,
    _sliding_near,
    chromatic_tones,
    overshoot_pitch,
    realise_chorale,
)

C_MAJOR = Key(0, Mode.MAJOR)
A_MINOR = Key(9, Mode.MINOR)
G_MAJOR = Key(7, Mode.MAJOR)

ODE = [64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, (64, 2), (62, 2),
       64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, (62, 2), (60, 2)]
MINOR_HYMN = [69, 72, 71, 69, 68, 69, (71, 2), 72, 74, 72, 71, (69, 2), (68, 2),
              69, 71, 72, 74, 76, 74, 72, 71, 72, 71, 69, 68, (71, 2), (69, 2)]
WALTZ_TIME_HYMN = [67, 71, 74, (72, 2), 71, 69, 71, 72, (74, 3), 76, 74, 72, 71, 69, 67, (66, 2), 69,
                   (67, 3)]
"""A G major tune in 3/4, eight bars."""

TUNES = {
    "C major": (ODE, C_MAJOR, Fraction(4)),
    "A minor": (MINOR_HYMN, A_MINOR, Fraction(4)),
    "G major in 3/4": (WALTZ_TIME_HYMN, G_MAJOR, Fraction(3)),
}


def melody_of(tune: list) -> list[MelodyNote]:
    """Notes given as a pitch (a quarter) or (pitch, quarters)."""
    notes, onset = [], 0.0
    for item in tune:
        pitch, duration = item if isinstance(item, tuple) else (item, 1)
        notes.append(MelodyNote(onset, float(duration), pitch))
        onset += duration
    return notes


def triad(key: Key, degree: int) -> int:
    """The diatonic triad on a degree; a minor key's V is major (the raised leading tone)."""
    root = key.degree_root(degree)
    third, fifth = key.degree_root((degree + 1) % 7 + 1), key.degree_root((degree + 3) % 7 + 1)
    if key.mode is Mode.MINOR and degree == 5:
        third = (root + 4) % 12
    quality = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim"}[((third - root) % 12, (fifth - root) % 12)]
    return chord_index(root, quality)


def simple_chords(melody: list[MelodyNote], key: Key, beats: int) -> list[int]:
    """One chord per beat by the hymnal's simplest rule: the first of I, IV, V, vi that holds the soprano
    note and differs from the chord before (a held note keeps its chord); the last two notes V I."""
    order = [triad(key, degree) for degree in (1, 4, 5, 6)]
    chords: list[int] = []
    for note in melody:
        fits = [chord for chord in order if note.pitch % 12 in chord_pitch_classes(chord)]
        fresh = [chord for chord in fits if not chords or chord != chords[-1]]
        chords += [(fresh or fits)[0]] * int(note.duration)
    last, before = melody[-1], melody[-2]
    chords[-int(last.duration) - int(before.duration):] = (
        [triad(key, 5)] * int(before.duration) + [triad(key, 1)] * int(last.duration))
    assert len(chords) == beats
    return chords


def realise(name: str, seed: int | None = None, divided_beats: int | None = None,
            rock_spacing: int | None = None) -> tuple[list[Bar], list[Bar], list[int], Key, Fraction]:
    tune, key, bar_length = TUNES[name]
    melody = melody_of(tune)
    chords = simple_chords(melody, key, 8 * int(bar_length))
    upper, lower = realise_chorale(melody, chords, Fraction(1), 8, bar_length, key, seed=seed,
                                   divided_beats=divided_beats, rock_spacing=rock_spacing)
    return upper, lower, chords, key, bar_length


def voices_of(upper: list[Bar], lower: list[Bar], bar_length: Fraction) -> list[list[tuple[Fraction, Fraction, int]]]:
    """Soprano, alto, tenor and bass as (onset, end, pitch) notes over the whole piece."""
    voices: list[list[tuple[Fraction, Fraction, int]]] = [[], [], [], []]
    for number, (high, low) in enumerate(zip(upper, lower, strict=True)):
        assert len(high.voices) == 2 and len(low.voices) == 2
        for index, events in enumerate([*high.voices, *low.voices]):
            onset = bar_length * number
            for event in events:
                duration = Fraction(event.duration)
                assert len(event.pitches) == 1, "a chorale voice sings one note at a time, without rests"
                voices[index].append((onset, onset + duration, event.pitches[0]))
                onset += duration
            assert onset == bar_length * (number + 1), "every voice fills its bar"
    return voices


def pitch_at(voice: list[tuple[Fraction, Fraction, int]], time: Fraction) -> int:
    return next(pitch for onset, end, pitch in voice if onset <= time < end)


def suspended(voice: list[tuple[Fraction, Fraction, int]], time: Fraction) -> bool:
    """Whether the voice's note at `time` is a suspension: tied over from before it, falling a step
    half a beat later."""
    onset, _, pitch = next(note for note in voice if note[0] <= time < note[1])
    return onset < time and pitch - pitch_at(voice, time + Fraction(1, 2)) in (1, 2)


def resolved_at(voice: list[tuple[Fraction, Fraction, int]], time: Fraction) -> int:
    """The voice's pitch at `time`, or where a suspension delays it, the note it resolves to."""
    return pitch_at(voice, time + Fraction(1, 2)) if suspended(voice, time) else pitch_at(voice, time)


def moments_at(voices: list[list[tuple[Fraction, Fraction, int]]], time: Fraction) -> list[int]:
    """The pitches every voice sings on the beat before `time` (the beat's chord)."""
    beat = Fraction(int(time))
    return [pitch_at(voice, beat) for voice in voices]


def moments(voices: list[list[tuple[Fraction, Fraction, int]]]) -> list[list[int]]:
    """The four pitches at every time any voice strikes a note."""
    times = sorted({onset for voice in voices for onset, _, _ in voice})
    return [[pitch_at(voice, time) for voice in voices] for time in times]


SEEDS = (None, 1, 2, 3)
"""No seed (the usual liveliness) and seeds drawing livelier and quieter lower voices."""


def soprano_figures(melody: list[MelodyNote], soprano: list[tuple[Fraction, Fraction, int]]) -> list[str]:
    """The figures the soprano sings on the tune, checked as it goes: every tune note is sung at its
    place or, suspended, half a beat later (the note before held over it, a step above); every other
    note is an eighth ending where the next tune note starts, named by what it does between the tune
    note before it and the next: passing (a third filled), overshoot (a third from the one, a step
    beyond the other), neighbour (a step from a repeated note) or skip (a leap to a tone a step from
    the next)."""
    sung = {onset: (end - onset, pitch) for onset, end, pitch in soprano}
    heard = dict(sung)
    figures = []
    for index, note in enumerate(melody):
        onset, end = Fraction(note.onset), Fraction(note.onset + note.duration)
        if onset not in sung:
            previous = melody[index - 1]
            held_length, held = heard.get(Fraction(previous.onset), (Fraction(0), None))
            assert held == previous.pitch and previous.onset + held_length == onset + Fraction(1, 2), (
                f"the tune's note at {onset} is neither sung nor suspended")
            assert previous.pitch - note.pitch in (1, 2), "a suspension falls by step"
            figures.append("suspension")
            onset += Fraction(1, 2)
        length, pitch = sung.pop(onset)
        assert pitch == note.pitch, f"the tune's note at {onset} is sung as it is"
        if onset + length >= end:
            continue
        following = melody[index + 1]
        eighth_length, eighth = sung.pop(onset + length)
        assert eighth_length == Fraction(1, 2) and onset + length + eighth_length == end, "one eighth before the next"
        start, target = note.pitch, following.pitch
        between = min(start, target) < eighth < max(start, target)
        if abs(target - start) in (3, 4) and between:
            figures.append("passing")
        elif abs(target - start) in (1, 2) and abs(eighth - start) in (3, 4) and (
                (eighth - target) * (target - start) > 0):
            figures.append("overshoot")
        elif target == start and abs(eighth - start) in (1, 2):
            figures.append("neighbour")
        else:
            assert abs(target - start) >= 5 and between and abs(target - eighth) in (1, 2), (
                f"the eighth {eighth} at {onset + length} between {start} and {target} is no figure")
            figures.append("skip")
    assert sung == {}, "the soprano sings nothing else"
    return figures


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUNES))
def test_the_soprano_is_the_melody_with_figures_on_it(name: str, seed: int | None) -> None:
    upper, lower, _, _, bar_length = realise(name, seed)
    soprano_figures(melody_of(TUNES[name][0]), voices_of(upper, lower, bar_length)[0])


def test_sopranos_sing_bachs_figures_some_pieces_more_than_others() -> None:
    """Over the hymns and eight seeds the soprano passes, overshoots and suspends, and the pieces
    differ in how many figures they sing."""
    kinds, counts = set(), set()
    for name in TUNES:
        for seed in range(8):
            upper, lower, _, _, bar_length = realise(name, seed)
            figures = soprano_figures(melody_of(TUNES[name][0]), voices_of(upper, lower, bar_length)[0])
            kinds.update(figures)
            counts.add(len(figures))
    assert {"passing", "overshoot", "suspension"} <= kinds
    assert max(counts) - min(counts) >= 4, counts


def test_some_sopranos_fill_a_third_and_others_sing_the_tune_as_it_is() -> None:
    counts = set()
    for seed in range(8):
        upper, lower, _, _, bar_length = realise("A minor", seed)
        counts.add(len(voices_of(upper, lower, bar_length)[0]))
    assert len(counts) >= 2 and min(counts) >= len(melody_of(MINOR_HYMN))


def test_the_soprano_moves_in_eighths_in_a_share_of_bars_as_bachs_do() -> None:
    """Bach's sopranos sing an eighth in about one bar in four (a fifth of their notes are eighths in
    Riemenschneider 1-30); a realiser that only fills the tune's thirds leaves these hymns in quarters
    (3% of their bars over eight seeds, before the soprano's figures)."""
    shares = []
    for name in TUNES:
        for seed in range(8):
            upper, lower, _, _, bar_length = realise(name, seed)
            soprano = voices_of(upper, lower, bar_length)[0]
            shares.append(len({onset // bar_length for onset, end, _ in soprano if end - onset == Fraction(1, 2)}) / 8)
    assert sum(shares) / len(shares) >= 0.15, shares


def test_the_sopranos_figures_divide_no_more_beats_of_a_bar_than_the_style_allows() -> None:
    """Bach's sopranos divide no beat in four bars of five and two or more in one of twenty-three
    (Riemenschneider 1-30). With one divided beat a bar allowed, the figures leave every bar of the
    hymns over eight seeds at one at most, and still sing some; without the limit, some bars divide two."""
    def most_divided(divided_beats: int | None) -> tuple[int, int]:
        most, eighths = 0, 0
        for name in TUNES:
            for seed in range(8):
                upper, lower, _, _, bar_length = realise(name, seed, divided_beats)
                soprano = voices_of(upper, lower, bar_length)[0]
                divided = Counter(onset // bar_length for onset, end, _ in soprano
                                  if onset == int(onset) and end - onset < 1)
                most = max(most, *divided.values(), 0)
                eighths += sum(divided.values())
        return most, eighths

    limited, unlimited = most_divided(1), most_divided(None)
    assert limited[0] == 1 and limited[1] > 0
    assert unlimited[0] >= 2


def test_the_sopranos_figures_do_not_set_it_circling_two_notes() -> None:
    """A neighbour eighth sung on a repeated note (A A -> A G A) right after the tune rocked between
    A and G left sixty fixed-plan chorales circling (A G A G A). With a spacing of six notes the
    figures add no such return over the hymns and eight seeds, and still sing some; without it they do."""
    def circling_added(rock_spacing: int | None) -> tuple[int, int]:
        added, figures = 0, 0
        for name in TUNES:
            tune = [note.pitch for note in melody_of(TUNES[name][0])]
            for seed in range(8):
                upper, lower, _, _, bar_length = realise(name, seed, rock_spacing=rock_spacing)
                soprano = [pitch for _, _, pitch in voices_of(upper, lower, bar_length)[0]]
                added += circling(soprano) - circling(tune)
                figures += len(soprano) - len(tune)
        return added, figures

    spaced, free = circling_added(6), circling_added(None)
    assert spaced[0] <= 0 < spaced[1]
    assert free[0] > 0


def circling(pitches: list[int]) -> int:
    return sum(circles(pitches, end, 6) for end in range(len(pitches)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUNES))
def test_voices_keep_their_ranges_order_and_spacing_without_overlap(name: str, seed: int | None) -> None:
    upper, lower, _, _, bar_length = realise(name, seed)
    voices = voices_of(upper, lower, bar_length)
    for voice, (lowest, highest) in zip(voices, RANGES, strict=True):
        assert all(lowest <= pitch <= highest for _, _, pitch in voice)
    sounding = moments(voices)
    for soprano, alto, tenor, bass in sounding:
        assert soprano > alto > tenor > bass, "no crossing, no unison between neighbours"
        assert soprano - alto <= 12 and alto - tenor <= 12
    for before, after in zip(sounding, sounding[1:], strict=False):
        for high in range(3):
            assert after[high + 1] <= before[high] and after[high] >= before[high + 1], "no overlap"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUNES))
def test_no_parallels_between_any_two_voices_nor_hidden_ones_into_a_soprano_leap(name: str,
                                                                                  seed: int | None) -> None:
    upper, lower, _, _, bar_length = realise(name, seed)
    found: list[tuple[object, ...]] = []
    sounding = moments(voices_of(upper, lower, bar_length))
    for before, after in zip(sounding, sounding[1:], strict=False):
        for high in range(4):
            for low in range(high + 1, 4):
                first, second = (before[high] - before[low]) % 12, (after[high] - after[low]) % 12
                similar = (after[high] - before[high]) * (after[low] - before[low]) > 0
                if similar and first == second and second in (0, 7):
                    found.append((before, after, high, low))
        leap, similar = abs(after[0] - before[0]) > 2, (after[0] - before[0]) * (after[3] - before[3]) > 0
        if leap and similar and (after[0] - after[3]) % 12 in (0, 7):
            found.append((before, after, "hidden"))
    assert found == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUNES))
def test_chords_are_complete_with_no_doubled_leading_tone(name: str, seed: int | None) -> None:
    upper, lower, chords, key, bar_length = realise(name, seed)
    voices = voices_of(upper, lower, bar_length)
    leading_tone = (key.tonic - 1) % 12
    for beat, chord in enumerate(chords):
        pitches = [resolved_at(voice, Fraction(beat)) for voice in voices]
        root, quality = chord_root_quality(chord)  # type: ignore[misc]
        tones = chord_pitch_classes(chord)
        sung = [pitch % 12 for pitch in pitches if pitch % 12 in tones]
        third = next(tone for tone in tones if (tone - root) % 12 in (3, 4))
        assert root in sung and third in sung, f"beat {beat}: {pitches} lacks the root or third of {quality}"
        assert sung.count(leading_tone) <= 1
        if pitches[3] % 12 not in (root, third):  # only a cadential six-four: I over the dominant, into V
            assert chord == triad(key, 1) and chords[beat + 1] == triad(key, 5)
            assert pitches[3] % 12 == key.degree_root(5) == pitch_at(voices[3], Fraction(beat + 1)) % 12


@pytest.mark.parametrize("name", list(TUNES))
def test_the_leading_tone_rises_to_the_tonic_from_the_dominant(name: str) -> None:
    upper, lower, chords, key, bar_length = realise(name)
    voices = voices_of(upper, lower, bar_length)
    dominant, tonic = triad(key, 5), triad(key, 1)
    resolutions = 0
    for beat in range(len(chords) - 1):
        if chords[beat] != dominant or chords[beat + 1] != tonic:
            continue
        for voice in voices[1:]:
            before = pitch_at(voice, Fraction(beat + 1) - Fraction(1, 2))
            if before % 12 == (key.tonic - 1) % 12:
                assert pitch_at(voice, Fraction(beat + 1)) == before + 1
                resolutions += 1
    assert resolutions >= 1


def test_the_leading_tone_rises_even_into_a_deceptive_cadence() -> None:
    """V -> vi: falling to the root of vi would avoid doubling its third, but the leading tone rises."""
    melody = melody_of([76, 74, (72, 2)])
    chords = [triad(C_MAJOR, 1), triad(C_MAJOR, 5), triad(C_MAJOR, 6), triad(C_MAJOR, 6)]
    upper, lower = realise_chorale(melody, chords, Fraction(1), 1, Fraction(4), C_MAJOR, final=False)
    voices = voices_of(upper, lower, Fraction(4))
    leading = [voice for voice in voices[1:] if resolved_at(voice, Fraction(1)) % 12 == 11]
    assert len(leading) == 1
    assert pitch_at(leading[0], Fraction(2)) == resolved_at(leading[0], Fraction(1)) + 1


def test_the_seventh_of_a_dominant_seventh_falls_by_step() -> None:
    melody = melody_of([(67, 2), (64, 2)])  # rising from F to G would avoid doubling the soprano's E
    chords = [chord_index(7, "dom7")] * 2 + [triad(C_MAJOR, 1)] * 2
    upper, lower = realise_chorale(melody, chords, Fraction(1), 1, Fraction(4), C_MAJOR)
    voices = voices_of(upper, lower, Fraction(4))
    sevenths = [voice for voice in voices[1:] if pitch_at(voice, Fraction(1)) % 12 == 5]
    assert len(sevenths) == 1
    assert pitch_at(sevenths[0], Fraction(1)) - pitch_at(sevenths[0], Fraction(2)) in (1, 2)


@pytest.mark.parametrize("name", list(TUNES))
def test_the_last_chord_stands_in_root_position(name: str) -> None:
    upper, lower, chords, key, bar_length = realise(name)
    bass = voices_of(upper, lower, bar_length)[3]
    assert bass[-1][2] % 12 == key.tonic


def test_the_same_input_gives_the_same_chorale() -> None:
    tune, key, bar_length = TUNES["C major"]
    melody = melody_of(tune)
    chords = simple_chords(melody, key, 32)
    chords[-2:] = [triad(key, 6)] * 2  # a deceptive ending, not a section's final chord
    first = realise_chorale(melody, chords, Fraction(1), 8, bar_length, key, final=False)
    assert first == realise_chorale(melody, chords, Fraction(1), 8, bar_length, key, final=False)


def test_a_non_chord_soprano_note_gets_the_whole_chord_below_it() -> None:
    melody = melody_of([(67, 2), 65, 64])  # F over the tonic: a suspension
    chords = [chord_index(7, "maj"), chord_index(7, "maj"), chord_index(0, "maj"), chord_index(0, "maj")]
    upper, lower = realise_chorale(melody, chords, Fraction(1), 1, Fraction(4), C_MAJOR)
    voices = voices_of(upper, lower, Fraction(4))
    below = {pitch_at(voice, Fraction(2)) % 12 for voice in voices[1:]}
    assert {0, 4} <= below


def test_passing_notes_give_some_voices_eighths() -> None:
    upper, lower, _, _, bar_length = realise("A minor")
    lower_voices = voices_of(upper, lower, bar_length)[1:]
    eighths = [end - onset for voice in lower_voices for onset, end, _ in voice if end - onset == Fraction(1, 2)]
    quarters = [end - onset for voice in lower_voices for onset, end, _ in voice if end - onset == 1]
    assert 0 < len(eighths) // 2 < len(quarters)  # fewer beats sung in two eighths than in one quarter


def test_sixteen_bars_are_voiced_whole() -> None:
    """(Speed is the benchmark's to report, bench/compose_tools_quality.py; here only that it works.)"""
    tune, key, bar_length = TUNES["C major"]
    melody = melody_of(tune)
    twice = melody + [MelodyNote(note.onset + 32, note.duration, note.pitch) for note in melody]
    chords = simple_chords(melody, key, 32) * 2
    upper, lower = realise_chorale(twice, chords, Fraction(1), 16, bar_length, key)
    assert len(upper) == len(lower) == 16


def test_wrong_input_is_refused_with_a_reason() -> None:
    tune, key, bar_length = TUNES["C major"]
    melody = melody_of(tune)
    chords = simple_chords(melody, key, 32)
    with pytest.raises(ChoraleError, match="need 32 chords"):
        realise_chorale(melody, chords[:-1], Fraction(1), 8, bar_length, key)
    with pytest.raises(ChoraleError, match="outside the soprano's range"):
        realise_chorale([MelodyNote(0, 4, 84)], [chords[0]] * 4, Fraction(1), 1, bar_length, key)
    with pytest.raises(ChoraleError, match="does not divide"):
        realise_chorale(melody, chords, Fraction(3, 2), 8, bar_length, key)


@pytest.mark.parametrize("name", list(TUNES))
def test_the_chorale_measures_like_one(name: str) -> None:
    """Issue 13's quality measure: no outer-voice parallels, the key heard, the cadence authentic."""
    upper, lower, _, key, bar_length = realise(name)
    instruments = [INSTRUMENTS["choir_upper"], INSTRUMENTS["choir_lower"]]
    piece = Piece(title=name, key=key.name, meter=f"{bar_length}/4", style="chorale", tempo_bpm=66,
                  instruments=instruments, sections=[Section(id="a", label="A", bars=8)],
                  parts=[Part(id="upper", instrument="choir_upper", bars=upper),
                         Part(id="lower", instrument="choir_lower", bars=lower)])
    found = measure(timeline_from_piece(piece))
    assert found.parallels_per_bar <= 0.1
    assert found.key_established
    assert found.cadence is Cadence.AUTHENTIC
    assert found.tuplet_share == 0.0 and found.rest_share == 0.0


@pytest.mark.parametrize(("secondary", "target", "tone"), [
    (chord_index(2, "dom7"), triad(C_MAJOR, 5), 6),  # V7/V: F sharp rises to G
    (chord_index(4, "maj"), triad(C_MAJOR, 6), 8),  # V/vi: G sharp rises to A
])
def test_a_secondary_dominants_raised_tone_rises_by_step_and_is_not_doubled(secondary: int, target: int,
                                                                          tone: int) -> None:
    melody = melody_of([(72, 2), 74, 72, 76, 72, (72, 2)]) if tone == 8 else melody_of(
        [(72, 2), 72, 71, 72, 74, (72, 2)])
    chords = [triad(C_MAJOR, 1), triad(C_MAJOR, 4), secondary, target, secondary, target,
              triad(C_MAJOR, 1), triad(C_MAJOR, 1)]
    upper, lower = realise_chorale(melody, chords, Fraction(1), 2, Fraction(4), C_MAJOR, final=False)
    voices = voices_of(upper, lower, Fraction(4))
    for beat in (2, 4):
        sung = [pitch_at(voice, Fraction(beat)) for voice in voices]
        assert [pitch % 12 for pitch in sung].count(tone) == 1, f"beat {beat}: {sung} must hold {tone} once"
        for voice in voices[1:]:
            before = pitch_at(voice, Fraction(beat + 1) - Fraction(1, 2))
            if before % 12 == tone:
                assert pitch_at(voice, Fraction(beat + 1)) - before in (1, 2)


def test_a_lowered_tone_falls_by_step() -> None:
    """V7/IV in C: its seventh, B flat, falls to A in IV."""
    melody = melody_of([(72, 2), 72, 72, 72, 72, (72, 2)])
    chords = [triad(C_MAJOR, 1), triad(C_MAJOR, 1), chord_index(0, "dom7"), triad(C_MAJOR, 4),
              triad(C_MAJOR, 4), triad(C_MAJOR, 5), triad(C_MAJOR, 1), triad(C_MAJOR, 1)]
    upper, lower = realise_chorale(melody, chords, Fraction(1), 2, Fraction(4), C_MAJOR)
    voices = voices_of(upper, lower, Fraction(4))
    flats = [voice for voice in voices[1:] if pitch_at(voice, Fraction(2)) % 12 == 10]
    assert len(flats) == 1
    assert pitch_at(flats[0], Fraction(5, 2)) - pitch_at(flats[0], Fraction(3)) in (1, 2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUNES))
def test_every_eighth_in_a_lower_voice_is_a_passing_or_neighbour_note_or_a_resolution(name: str,
                                                                                     seed: int | None) -> None:
    """A lower voice's half-beat note steps from the beat's note and on to the next beat's: between
    them when they are a third apart (passing) or, outside the key, a whole tone apart (chromatic
    passing), back to it when they are equal (neighbour); or it is
    a tone of the beat's chord between notes a fourth or more apart that steps on to the next
    (a skip), or a tone of the beat's chord a third from the beat's note and a step beyond the next,
    where the two are a step apart (an overshoot, C-E-D); or it is the resolution a suspension
    falls to by step."""
    upper, lower, _, key, bar_length = realise(name, seed)
    for voice in voices_of(upper, lower, bar_length)[1:]:
        for onset, end, pitch in voice:
            if onset.denominator != 2:
                continue
            before, after = pitch_at(voice, onset - Fraction(1, 2)), pitch_at(voice, end)
            if suspended(voice, onset - Fraction(1, 2)):
                assert before - pitch in (1, 2), "a suspension falls by step"
                continue
            between = min(before, after) < pitch < max(before, after)
            chord = {note % 12 for note in moments_at(voices_of(upper, lower, bar_length), onset)}
            skip = abs(after - before) > 4 and between and abs(after - pitch) in (1, 2) and pitch % 12 in chord
            overshoot = (abs(after - before) in (1, 2) and abs(pitch - before) in (3, 4) and pitch % 12 in chord
                         and (pitch - after) * (after - before) > 0)
            assert skip or overshoot or abs(pitch - before) in (1, 2), (
                f"{name}: the eighth at {onset} does not step from {before}")
            passing = abs(after - before) in (3, 4) and between
            chromatic = abs(after - before) == 2 and between and pitch % 12 not in key.scale()
            neighbour = after == before
            assert passing or chromatic or neighbour or skip or overshoot, (
                f"{name}: the eighth {pitch} at {onset} between {before} and {after}")


def test_suspensions_are_prepared_dissonant_and_resolve_down_into_a_close() -> None:
    """Every suspension, in any voice, off the bar line: its note sounds on the half beat before
    (prepared), lies a fourth or a seventh above the bass (the 4-3, the 7-6), falls a step to a
    third or sixth above it, with no other upper voice singing that resolution against it, in a chord
    that leads into a close (V to I, or the chord before a phrase's held last chord); and where it
    resolves to the leading tone over V, that rises to the tonic. (The hymns' simple chords, mostly in
    root position, offer 4-3s; a 7-6 needs a first inversion before a close.)"""
    intervals = set()
    for name in TUNES:
        for seed in (None, *range(8)):
            upper, lower, chords, key, bar_length = realise(name, seed)
            voices = voices_of(upper, lower, bar_length)
            for voice in range(3):
                for beat in range(1, len(chords)):
                    time = Fraction(beat)
                    if not suspended(voices[voice], time):
                        continue
                    assert time % bar_length, "no suspension across a bar line (a bar cannot tie)"
                    held, bass = pitch_at(voices[voice], time), pitch_at(voices[3], time)
                    resolution = pitch_at(voices[voice], time + Fraction(1, 2))
                    assert pitch_at(voices[voice], time - Fraction(1, 2)) == held, "prepared on the beat before"
                    interval = (held - bass) % 12
                    assert (interval, (resolution - bass) % 12) in {(5, 3), (5, 4), (10, 8), (10, 9), (11, 8), (11, 9)}
                    intervals.add(interval)
                    others = [pitch_at(other, time) % 12 for index, other in enumerate(voices[:3]) if index != voice]
                    assert resolution % 12 not in others, "the resolution is not sung against the suspension"
                    held_close = beat + 2 < len(chords) and chords[beat + 2] == chords[beat + 1] and not any(
                        onset == beat + 2 for onset, _, _ in voices[0])
                    cadence = chords[beat] == triad(key, 5) and chords[beat + 1] == triad(key, 1)
                    assert cadence or held_close or beat + 1 == len(chords) - 1, f"{name} {seed}: beat {beat}"
                    if resolution % 12 == (key.tonic - 1) % 12 and cadence:
                        assert pitch_at(voices[voice], time + 1) == resolution + 1, "the leading tone rises"
    assert 5 in intervals, "the hymns' dominants going to the tonic offer 4-3 suspensions"


def test_the_seed_draws_how_lively_the_lower_voices_are() -> None:
    livelinesses = {Ornaments.drawn(seed).liveliness for seed in range(20)}
    quietest, busiest = LIVELINESS
    quarter = (busiest - quietest) / 4
    assert min(livelinesses) < quietest + quarter and max(livelinesses) > busiest - quarter, (
        "quiet and busy chorales both occur")
    assert Ornaments.drawn(7) == Ornaments.drawn(7)
    slides = [Ornaments.drawn(seed).chromatic for seed in range(20)]
    assert all(CHROMATIC[0] <= share <= CHROMATIC[1] for share in slides) and len(set(slides)) == 20, (
        "each piece draws how often its voices slide chromatically")
    eighths = set()
    for seed in range(6):
        upper, lower, _, _, bar_length = realise("C major", seed)
        assert realise("C major", seed)[:2] == (upper, lower), "the same seed gives the same chorale"
        eighths.add(sum(end - onset == Fraction(1, 2) for voice in voices_of(upper, lower, bar_length)[1:]
                        for onset, end, _ in voice))
    assert len(eighths) >= 3, f"the number of eighths varies from piece to piece: {eighths}"


def test_one_density_draw_makes_a_chorale_plain_or_busy_in_every_voice() -> None:
    """The piece's seed draws one density that places the lower voices' liveliness and the soprano's
    share equally far along their ranges: a plain chorale is plain throughout, a busy one busy, so
    chorales spread in notes per bar as Bach's do (drawn apart, the two averaged out: 15.5 to 18
    notes a bar in ten pieces of the tools bench, against Bach's 14 to 23)."""
    def along(value: float, bounds: tuple[float, float]) -> float:
        return (value - bounds[0]) / (bounds[1] - bounds[0])

    seeds = ((5, 0), (1, None), *((2, piece_seed) for piece_seed in range(12)))
    for ornaments in (Ornaments.drawn(seed, piece_seed) for seed, piece_seed in seeds):
        assert along(ornaments.liveliness, LIVELINESS) == pytest.approx(along(ornaments.soprano, SOPRANO_LIVELINESS))
    def notes_per_bar(piece_seed: int) -> float:
        tune, key, bar_length = TUNES["C major"]
        melody = melody_of(tune)
        upper, lower = realise_chorale(melody, simple_chords(melody, key, 8 * int(bar_length)), Fraction(1), 8,
                                       bar_length, key, seed=3, piece_seed=piece_seed)
        return sum(len(bar.pitches()) for bar in upper + lower) / 8

    density = {piece_seed: along(Ornaments.drawn(3, piece_seed).liveliness, LIVELINESS) for piece_seed in range(12)}
    plainest, busiest = min(density, key=density.__getitem__), max(density, key=density.__getitem__)
    assert density[plainest] < 0.1 and density[busiest] > 0.9
    assert notes_per_bar(busiest) - notes_per_bar(plainest) >= 2.0


def test_chromatic_tones_resolve_raised_up_and_lowered_down() -> None:
    assert chromatic_tones(Harmony.of(chord_index(2, "dom7")), C_MAJOR) == {6: 1}  # V7/V: F sharp
    assert chromatic_tones(Harmony.of(chord_index(1, "dim7")), C_MAJOR) == {1: 1, 10: -1}  # vii°7/ii
    assert chromatic_tones(Harmony.of(chord_index(0, "dom7")), C_MAJOR) == {10: -1}  # V7/IV: B flat
    assert chromatic_tones(Harmony.of(chord_index(5, "min")), C_MAJOR) == {8: -1}  # borrowed iv: A flat
    assert chromatic_tones(Harmony.of(triad(A_MINOR, 5)), A_MINOR) == {}  # the raised seventh is in the key


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUNES))
def test_a_held_soprano_over_a_held_chord_holds_every_voice(name: str, seed: int | None) -> None:
    """A phrase ends on a chord held still (Bach's fermata): where the soprano holds a note and the
    chord stays, no lower voice moves, inside the bar or across its line."""
    upper, lower, chords, _, bar_length = realise(name, seed)
    voices = voices_of(upper, lower, bar_length)
    soprano_onsets = {onset for onset, _, _ in voices[0]}
    held = [beat for beat in range(1, len(chords)) if Fraction(beat) not in soprano_onsets
            and chords[beat] == chords[beat - 1]]
    assert held, f"{name} holds a note over its chord somewhere"
    for beat in held:
        for voice in voices[1:]:
            assert pitch_at(voice, Fraction(beat)) == pitch_at(voice, Fraction(beat) - Fraction(1, 2))
            assert pitch_at(voice, Fraction(beat)) == pitch_at(voice, Fraction(beat) + Fraction(1, 2))
            if Fraction(beat) % bar_length:
                assert all(onset != beat for onset, _, _ in voice), f"{name}: a voice strikes under the hold at {beat}"


def test_a_chromatic_passing_note_slides_a_whole_tone_without_a_false_relation() -> None:
    """Somewhere in the hymns a lower voice slides through the semitone between two notes a whole
    tone apart (G-G#-A); the note is outside the key, no other voice sounds a semitone, a major
    seventh or a minor ninth against it, and none takes its natural on the next beat (G# to A while
    the alto sings G)."""
    found = 0
    for name in TUNES:
        for seed in range(8):
            upper, lower, _, key, bar_length = realise(name, seed)
            voices = voices_of(upper, lower, bar_length)
            for voice in voices[1:]:
                for onset, end, pitch in voice:
                    if onset.denominator != 2 or pitch % 12 in key.scale():
                        continue
                    before, after = pitch_at(voice, onset - Fraction(1, 2)), pitch_at(voice, end)
                    if abs(after - before) != 2 or not min(before, after) < pitch < max(before, after):
                        continue
                    found += 1
                    others = [pitch_at(other, onset) for other in voices if other is not voice]
                    assert all((pitch - other) % 12 not in (1, 11) for other in others), (
                        f"{name} seed {seed}: the chromatic {pitch} at {onset} rubs against {others}")
                    natural = (2 * pitch - after) % 12
                    following = [pitch_at(other, end) for other in voices if other is not voice]
                    assert all(other % 12 != natural for other in following), (
                        f"{name} seed {seed}: a false relation from the chromatic {pitch} at {onset}")
    assert found, "no chromatic passing note in any hymn"


def test_a_minor_keys_eighths_take_its_sixth_and_seventh_by_direction() -> None:
    """Between two A minor chords that hold neither form of the sixth or seventh (i to i), an eighth
    leading up takes the raised forms (A G# A, E F# G#) and one leading down the natural ones (A G F E,
    E F E); a chord holding one form decides it (the leading tone of E major, and beside it the raised
    sixth, so no augmented second opens; the F of D minor, even under an eighth leading up), as does
    the voice's own notes (a passing note rising to G is F, not F#; a neighbour after a G is a G)."""
    tonic, dominant, subdominant = (Harmony.of(triad(A_MINOR, degree)) for degree in (1, 5, 4))
    a, e, c = 69, 64, 72
    assert {8, 6} <= _scale_between(A_MINOR, tonic, tonic, (a, a), rising=True)  # A G# A
    assert not {5, 7} & _scale_between(A_MINOR, tonic, tonic, (a, a), rising=True)
    assert {5, 7} <= _scale_between(A_MINOR, tonic, tonic, (c, a), rising=False)  # C B A, E F E
    assert not {6, 8} & _scale_between(A_MINOR, tonic, tonic, (e, e), rising=False)
    assert {8, 6} <= _scale_between(A_MINOR, tonic, dominant, (c, e), rising=False)  # the dominant's G#
    assert {5, 7} <= _scale_between(A_MINOR, subdominant, tonic, (a, a), rising=False)  # D minor's F, G F
    assert 5 in _scale_between(A_MINOR, subdominant, tonic, (e, e), rising=True)  # E F E under D minor
    rising_to_g = _scale_between(A_MINOR, tonic, tonic, (e, 67), rising=True)  # E F G, not E F# G
    assert 5 in rising_to_g and 6 not in rising_to_g
    after_g = _scale_between(A_MINOR, tonic, tonic, (67, a, a), rising=True)  # G A G A, not G A G# A
    assert 7 in after_g and 8 not in after_g
    assert _scale_between(C_MAJOR, Harmony.of(triad(C_MAJOR, 1)), Harmony.of(triad(C_MAJOR, 5)), (60, 60),
                          rising=True) == C_MAJOR.scale()


def test_a_slide_is_a_single_line_not_a_voice_wriggling_or_two_voices_at_once() -> None:
    """A tenor sliding A-Ab-G may not slide straight back (G-G#-A: the example chorale's tenor in session
    51), and no other voice slides beside it in the same beat; the beat after is free for the others."""
    voicings = [(74, 65, 57, 50), (72, 64, 55, 48), (74, 65, 57, 50)]
    lines = _Lines([[[pitch, pitch] for pitch in voicing] for voicing in voicings], [[False] * 4 for _ in voicings])
    assert not _sliding_near(lines, 1, TENOR)
    lines.halves[0][TENOR][1] = 56  # A3-Ab3, on to G3
    assert _sliding_near(lines, 1, TENOR), "the tenor slid in the beat before"
    assert _sliding_near(lines, 0, ALTO) and _sliding_near(lines, 0, BASS), "the tenor slides in this beat"
    assert not _sliding_near(lines, 1, ALTO) and not _sliding_near(lines, 1, BASS)
    lines.halves[0][TENOR][1] = 59  # A3-B3 back to G3 is an overshoot, not a slide
    assert not _sliding_near(lines, 1, TENOR) and not _sliding_near(lines, 0, ALTO)


def test_the_voices_move_against_the_sopranos_passing_eighth_not_its_beat() -> None:
    """A soprano's eighth after the beat (F, D-E, D over ii, ii, V) is the note it leaves the beat
    from: voiced against the beat's note alone, the lower voices moved in fifths with it."""
    melody = [MelodyNote(float(beat), 1.0, pitch) for beat, pitch in enumerate((74, 71, 72, 74, 77))]
    melody += [MelodyNote(5.0, 0.5, 74), MelodyNote(5.5, 0.5, 76), MelodyNote(6.0, 1.0, 74),
               MelodyNote(7.0, 1.0, 71)]
    five, six, two = triad(C_MAJOR, 5), triad(C_MAJOR, 6), triad(C_MAJOR, 2)
    chords = [five, five, six, five, two, two, five, five]
    upper, lower = realise_chorale(melody, chords, Fraction(1), 2, Fraction(4), C_MAJOR, final=False, seed=0)
    sounding = moments(voices_of(upper, lower, Fraction(4)))
    for before, after in zip(sounding, sounding[1:], strict=False):
        for high in range(4):
            for low in range(high + 1, 4):
                first, second = (before[high] - before[low]) % 12, (after[high] - after[low]) % 12
                similar = (after[high] - before[high]) * (after[low] - before[low]) > 0
                assert not (similar and first == second and second in (0, 7)), (before, after, high, low)


def test_a_section_left_open_ends_its_outer_voices_on_an_imperfect_interval() -> None:
    """A half close's last chord (the soprano's upbeat G over V) with the bass a third or sixth from
    the soprano, so a next section voiced apart from it cannot move them on in fifths or octaves."""
    melody = melody_of([64, 62, 60, 62, (62, 2), 67, 67])
    chords = [triad(C_MAJOR, 1), triad(C_MAJOR, 5), triad(C_MAJOR, 1), triad(C_MAJOR, 5)] + [triad(C_MAJOR, 5)] * 4
    upper, lower = realise_chorale(melody, chords, Fraction(1), 2, Fraction(4), C_MAJOR, final=False)
    soprano, *_, bass = voices_of(upper, lower, Fraction(4))
    assert (soprano[-1][2] - bass[-1][2]) % 12 not in (0, 7)
    closed = realise_chorale(melody_of([64, 62, 60, 62, (62, 2), 67, 72]), [*chords[:7], triad(C_MAJOR, 1)],
                             Fraction(1), 2, Fraction(4), C_MAJOR)
    soprano, *_, bass = voices_of(*closed, Fraction(4))
    assert (soprano[-1][2] - bass[-1][2]) % 12 == 0, "a closing section ends on its tonic over the tonic"


def lower_overshoots(voices: list[list[tuple[Fraction, Fraction, int]]]) -> list[tuple[int, int, int]]:
    """(beat's note, eighth, next beat's note) of every overshoot in the lower voices: an eighth a
    third from the beat's note, a step beyond the next beat's note, which is a step away."""
    found = []
    for voice in voices[1:]:
        for onset, end, pitch in voice:
            if onset.denominator == 2 and end.denominator == 1:
                before, after = pitch_at(voice, onset - Fraction(1, 2)), pitch_at(voice, end)
                if (abs(after - before) in (1, 2) and abs(pitch - before) in (3, 4)
                        and (pitch - after) * (after - before) > 0):
                    found.append((before, pitch, after))
    return found


def test_a_busy_chorales_lower_voices_overshoot_a_step_and_come_back() -> None:
    """Bach's busiest chorales move in eighths on most beats, steps and all; with passing and
    neighbour notes alone the tools bench's busiest chorale struck 18.3 notes a bar (Bach's 4/4
    chorales: up to 22.7). A lower voice moving by a step may now overshoot it by a tone of its
    chord (E-G-F over C going to F), never from a tendency tone (a leading tone goes to its tonic)."""
    assert overshoot_pitch(64, 65, Harmony.of(chord_index(0, "maj"))) == 67
    assert overshoot_pitch(62, 60, Harmony.of(chord_index(7, "maj"))) == 59
    assert overshoot_pitch(64, 65, Harmony.of(chord_index(5, "maj"))) is None  # F-A-C holds neither F# nor G
    busiest = max(range(12), key=lambda piece_seed: Ornaments.drawn(3, piece_seed).liveliness)
    found = []
    for name, seed in product(TUNES, (3, 4)):  # a rising whole tone free to slide takes G# (G-G#-A), not B
        tune, key, bar_length = TUNES[name]
        melody = melody_of(tune)
        upper, lower = realise_chorale(melody, simple_chords(melody, key, 8 * int(bar_length)), Fraction(1), 8,
                                       bar_length, key, seed=seed, piece_seed=busiest)
        overshoots = lower_overshoots(voices_of(upper, lower, bar_length))
        assert all(before % 12 != (key.tonic - 1) % 12 for before, _, _ in overshoots), "no leading tone overshoots"
        found += overshoots
    assert len(found) >= 3, found
