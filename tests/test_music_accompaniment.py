"""Voice-led accompaniments: the waltz's and nocturne's left hands and block chords keep the meter,
sound only their chord's tones with the bass lowest, stay under the melody, and move less than
root-position blocks."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest

from ontology.music import Bar
from ontology.music_theory import parse_key
from tools.music.harmony.chords import NO_CHORD, block_chord, chord_index, chord_pitch_classes
from tools.music.harmony.data import MelodyNote
from tools.music.styles import accompaniment
from tools.music.styles.accompaniment import (
    LEFT_HAND_PARALLEL_COST,
    NEIGHBOUR_RATE,
    NOCTURNE_BASS,
    NOCTURNE_FIGURES,
    PARALLEL_COST,
    WALTZ_BASS,
    WALTZ_FIGURES,
    AccompanimentError,
    Join,
    Register,
    _bass_line,
    _parallel_cost,
    arpeggio_pattern,
    block_chords,
    join_before,
    nocturne_left_hand,
    piece_neighbour_rate,
    voice_lead,
    waltz_left_hand,
)
from tools.music.styles.density import piece_density

C_MAJOR = parse_key("C major")
C, D_MIN, F, G, G7, A_MIN = (chord_index(0, "maj"), chord_index(2, "min"), chord_index(5, "maj"),
                             chord_index(7, "maj"), chord_index(7, "dom7"), chord_index(9, "min"))
Texture = Callable[..., list[Bar]]
TEXTURES: list[Texture] = [waltz_left_hand, nocturne_left_hand, block_chords]


def timed_events(bars: list[Bar], bar_length: Fraction) -> list[tuple[Fraction, Fraction, list[int]]]:
    """(onset, duration, pitches) of every event of every voice, in quarters from the section's start."""
    found = []
    for number, bar in enumerate(bars):
        for voice in bar.voices:
            onset = number * bar_length
            for event in voice:
                duration = Fraction(event.duration)
                found.append((onset, duration, event.pitches))
                onset += duration
    return found


def is_chromatic_lower_neighbour(events: list[tuple[Fraction, Fraction, list[int]]], index: int, chord: int) -> bool:
    """The event at `index` is one note outside C major and the chord, resolving up a semitone to
    the next event of its voice, a tone of the same chord."""
    onset, duration, pitches = events[index]
    if len(pitches) != 1 or index + 1 == len(events) or pitches[0] % 12 in {0, 2, 4, 5, 7, 9, 11}:
        return False
    next_onset, _, next_pitches = events[index + 1]
    tones = chord_pitch_classes(chord)
    return (next_onset == onset + duration and next_pitches == [pitches[0] + 1]
            and next_pitches[0] % 12 in tones and pitches[0] % 12 not in tones)


def staccato_note(events: list[tuple[Fraction, Fraction, list[int]]], index: int) -> bool:
    """The event at `index` is a note followed at once by a rest as long (a staccato arpeggio's pulse)."""
    onset, duration, pitches = events[index]
    after = events[index + 1] if index + 1 < len(events) else None
    return bool(pitches) and after is not None and not after[2] and after[:2] == (onset + duration, duration)


def motion(voicings: list[list[int]]) -> int:
    """Total semitones the voices move, voice by voice from the bottom, between successive chords."""
    return sum(sum(abs(a - b) for a, b in zip(sorted(x), sorted(y), strict=True))
               for x, y in zip(voicings, voicings[1:], strict=False))


@pytest.mark.parametrize("seed", [None, *range(6)])
@pytest.mark.parametrize("texture", TEXTURES)
def test_every_voice_fills_its_bar_and_sounds_only_its_slots_chord(texture: Texture, seed: int | None) -> None:
    # 4/4, a chord per beat: a rest before the first chord, holds (NO_CHORD), changes mid-bar
    chords = [NO_CHORD, C, NO_CHORD, A_MIN, F, F, G7, NO_CHORD, C, D_MIN, G, G, C, C, C, C]
    bars = texture(chords, Fraction(1), 4, Fraction(4), C_MAJOR, seed=seed)
    assert len(bars) == 4
    for bar in bars:
        for voice in bar.voices:
            assert sum(Fraction(event.duration) for event in voice) == 4
    sounding = [NO_CHORD]
    for chord in chords:
        sounding.append(chord if chord != NO_CHORD else sounding[-1])
    events = timed_events(bars, Fraction(4))
    pulses = [(onset, 2 * duration if staccato_note(events, index) else duration, pitches)
              for index, (onset, duration, pitches) in enumerate(events)]
    for index, (onset, duration, pitches) in enumerate(events):
        slots = {sounding[1 + int(onset + Fraction(k, 4))] for k in range(int(duration * 4))}
        assert len(slots) == 1, "an event does not outlast its chord"
        (chord,) = slots
        if not {pitch % 12 for pitch in pitches} <= chord_pitch_classes(chord):
            assert is_chromatic_lower_neighbour(events, index, chord)
        # silent only before the first chord, or where another voice sounds throughout meanwhile (a
        # held bass under a rest, an arpeggio over a second voice's rest beside a held-bass chord),
        # or after a staccato arpeggio's note, for as long as the note sounded (its pulse heard whole)
        held = all(any(p and start <= onset + Fraction(k, 4) < start + length for start, length, p in pulses)
                   for k in range(int(duration * 4)))
        before = events[index - 1] if index else None
        staccato = before is not None and bool(before[2]) and before[0] + before[1] == onset and before[1] == duration
        assert bool(pitches) == (chord != NO_CHORD) or (not pitches and (held or staccato))


def test_the_waltz_is_bass_chord_chord_with_the_bass_lowest() -> None:
    chords = [C, F, G7, C, A_MIN, D_MIN, G7, C]
    bars = waltz_left_hand(chords, Fraction(3), 8, Fraction(3), C_MAJOR)
    for bar in bars[:-1]:
        (voice,) = bar.voices
        bass, first, second = voice
        assert [event.duration for event in voice] == [1.0, 1.0, 1.0]
        assert len(bass.pitches) == 1 and first.pitches == second.pitches and len(first.pitches) >= 2
        assert bass.pitches[0] < min(first.pitches)
        assert min(first.pitches) >= 52 and max(first.pitches) <= 69
    (closing,) = bars[-1].voices[0]
    assert closing.duration == 3.0 and closing.pitches[0] == min(closing.pitches) and closing.pitches[0] % 12 == 0


def test_a_chord_change_inside_a_waltz_bar_follows_the_slots() -> None:
    bars = waltz_left_hand([C, C, G7, C, C, C], Fraction(1), 2, Fraction(3), C_MAJOR)
    (voice,) = bars[0].voices
    assert [event.duration for event in voice] == [1.0, 1.0, 1.0]
    assert len(voice[0].pitches) == 1 and {p % 12 for p in voice[1].pitches} <= {0, 4, 7}
    # a one-beat chord is struck whole, its bass lowest
    assert {p % 12 for p in voice[2].pitches} <= {2, 5, 7, 11} and len(voice[2].pitches) == 4
    assert voice[2].pitches[0] == min(voice[2].pitches) and voice[2].pitches[0] % 12 in (7, 11)


def test_the_bass_takes_an_inversion_to_move_by_step_and_closes_in_root_position() -> None:
    # I V I IV V I: C-B-C in the bass (V6), never a doubled leading tone; the cadence V-I on roots
    bars = waltz_left_hand([C, G, C, F, G, C], Fraction(3), 6, Fraction(3), C_MAJOR)
    basses = [bar.voices[0][0].pitches[0] for bar in bars]
    assert basses[1] % 12 == 11 and abs(basses[1] - basses[0]) in (1, 2) and abs(basses[2] - basses[1]) in (1, 2)
    assert all(pitch % 12 != 11 for pitch in bars[1].voices[0][1].pitches)
    assert [basses[0] % 12, basses[-2] % 12, basses[-1] % 12] == [0, 7, 0]


def test_the_nocturne_arpeggiates_each_chord_in_eighths_from_a_low_bass() -> None:
    chords = [C, A_MIN, F, G7, C, F, G7, C]
    bars = nocturne_left_hand(chords, Fraction(3), 8, Fraction(3), C_MAJOR)
    for bar in bars[:-2]:
        (voice,) = bar.voices
        assert [event.duration for event in voice] == [0.5] * 6
        line = [event.pitches[0] for event in voice if len(event.pitches) == 1]
        assert len(line) == 6
        bass = line[0]
        assert 28 <= bass <= 52 and bass == min(line) and max(line) <= bass + 16
        assert line[1] < line[2] < line[3] and (line[4], line[5]) == (line[2], line[1])  # up and back
    assert arpeggio_pattern(4) == [0, 1, 3, 1] and arpeggio_pattern(10) == [0, 1, 2, 3, 2, 1, 2, 1, 0, 1]
    first = [event.pitches[0] for event in bars[0].voices[0]]
    assert [pitch - first[0] for pitch in first] == [0, 7, 12, 16, 12, 7]  # 1-5-8-10-8-5 on C
    (closing,) = bars[-1].voices[0]
    assert closing.duration == 3.0 and closing.pitches[0] == min(closing.pitches)
    # the full close's dominant holds its bass (G) under its arpeggio, the seventh (F) heard in it
    upper, (bass,) = bars[-2].voices
    assert not upper[0].pitches and [event.duration for event in upper] == [0.5] * 6
    assert bass.duration == 3.0 and bass.pitches[0] % 12 == 7
    assert bass.pitches[0] < min(p for e in upper for p in e.pitches)
    assert {p % 12 for e in upper for p in e.pitches} | {7} == chord_pitch_classes(G7)


@pytest.mark.parametrize("seed", [None, *range(6)])
@pytest.mark.parametrize("texture", TEXTURES)
def test_the_accompaniment_stays_below_the_melody(texture: Texture, seed: int | None) -> None:
    # the melody dips to C4 and B3 in bar 2, under the waltz's and the block chords' usual register
    melody = [MelodyNote(0, 2, 72), MelodyNote(2, 1, 67), MelodyNote(3, 1.5, 60), MelodyNote(4.5, 1.5, 59),
              MelodyNote(6, 3, 64), MelodyNote(9, 3, 72)]
    bars = texture([C, G7, A_MIN, C], Fraction(3), 4, Fraction(3), C_MAJOR, melody=melody, seed=seed)
    events = timed_events(bars, Fraction(3))
    for index, (onset, duration, pitches) in enumerate(events):
        above = [n.pitch for n in melody if n.onset < onset + duration and n.onset + n.duration > onset]
        if pitches:
            assert max(pitches) < min(above)
        else:  # a rest over a held bass, a waltz's bass-chord-rest after its chord, a staccato note's rest
            before = events[index - 1]
            chord_then_rest = before[0] + before[1] == onset and len(before[2]) > 1
            assert len(bars[int(onset // 3)].voices) == 2 or chord_then_rest or staccato_note(events, index - 1)


def test_nearest_voicing_moves_less_than_root_position_blocks_and_keeps_common_tones() -> None:
    progression = [C, A_MIN, F, G, C, F, D_MIN, G, C]
    bars = block_chords(progression, Fraction(4), len(progression), Fraction(4), C_MAJOR)
    voiced = [bar.voices[0][0].pitches for bar in bars]
    blocks = [block_chord(chord) for chord in progression]
    assert motion(voiced) * 2 < motion(blocks)
    assert len(set(voiced[0]) & set(voiced[1])) == 2  # C to A minor keeps C and E
    assert voiced[0][0] % 12 == 0 and voiced[-1][0] % 12 == 0
    assert all(min(v) >= 48 and max(v) <= 67 and max(v) - min(v) <= 12 for v in voiced)
    assert voice_lead(progression, 48, 67, 3) == voiced


def test_voice_lead_holds_through_no_chord_and_keeps_the_range_and_notes() -> None:
    voicings = voice_lead([NO_CHORD, D_MIN, NO_CHORD, G7, C], 48, 67, 4)
    assert voicings[0] == [] and voicings[2] == voicings[1]
    for voicing, chord in zip(voicings[1:], [D_MIN, D_MIN, G7, C], strict=True):
        assert len(voicing) == 4 and min(voicing) >= 48 and max(voicing) <= 67
        assert {pitch % 12 for pitch in voicing} == chord_pitch_classes(chord)
    assert voicings[-1][0] % 12 == 0


def test_a_minor_key_never_doubles_its_raised_leading_tone() -> None:
    e_major, e7 = chord_index(4, "maj"), chord_index(4, "dom7")
    bars = waltz_left_hand([A_MIN, e_major, A_MIN, D_MIN, e7, A_MIN], Fraction(3), 6, Fraction(3),
                           parse_key("A minor"))
    basses = [bar.voices[0][0].pitches[0] for bar in bars]
    assert basses[1] % 12 == 8  # A-G#-A: V6 lets the bass move by step
    for bar in bars[:-1]:
        bass, chord, _ = bar.voices[0]
        assert [pitch % 12 for pitch in bass.pitches + chord.pitches].count(8) <= 1

@pytest.mark.parametrize(("chords", "slot", "message"), [
    ([C, G, C], Fraction(3), "need 4 chords"),
    ([C, G, C, C], Fraction(2), "not a whole number"),
    ([C, G, 999, C], Fraction(3), "vocabulary"),
])
def test_chords_that_do_not_fit_the_bars_are_refused(chords: list[int], slot: Fraction, message: str) -> None:
    with pytest.raises(AccompanimentError, match=message):
        waltz_left_hand(chords, slot, 4, Fraction(3), C_MAJOR)


def test_a_melody_too_low_to_accompany_is_refused() -> None:
    with pytest.raises(AccompanimentError, match="no room below"):
        block_chords([C], Fraction(3), 1, Fraction(3), C_MAJOR, melody=[MelodyNote(0, 3, 30)])


def test_a_waltz_bass_doubles_a_step_of_its_tune_at_the_octave_rather_than_leap_a_seventh_away() -> None:
    """C5 to D5 over C to D minor: the nearest bass (C2 to D2) doubles the melody in octaves, and
    avoiding it costs a leap of a seventh (C3 down to D2). The strict cost takes the leap; a
    waltz's left hand steps with the tune, as Beethoven's triple-time movements do now and then (at
    the strict cost the fixed-plan waltzes had 0.006 parallels a bar against their 0.077)."""
    melody = [MelodyNote(0, 3, 72), MelodyNote(3, 3, 74), MelodyNote(6, 3, 71), MelodyNote(9, 3, 72)]
    chords = [C, D_MIN, G7, C]
    tops = [(None, 72), (72, 74), (74, 71), (71, 72)]
    strict = _bass_line(chords, [(WALTZ_BASS.lowest, WALTZ_BASS.highest)] * 4, tops)
    assert strict[0] - strict[1] == 10 and PARALLEL_COST > LEFT_HAND_PARALLEL_COST
    left = waltz_left_hand(chords, Fraction(3), 4, Fraction(3), C_MAJOR, melody=melody)
    basses = [bar.voices[0][0].pitches[0] for bar in left]
    assert basses[1] - basses[0] == 2


def waltz_shape(bar: Bar, plain: Bar) -> str:
    """Which of the waltz figures a bar plays, read against the plain bar of the same chord (the bass
    and two-note chords; a failed assertion where it plays none of them). The figures striking one
    chord, and the heavier ones, sound three or four of the chord's tones."""
    bass, chord, _ = plain.voices[0]
    tones = {pitch % 12 for pitch in chord.pitches}
    if bar == plain:
        return "plain"
    if len(bar.voices) == 2:  # Chopin's notation: the bass a dotted half below a rest and two chords
        (rest, first, second), (held,) = bar.voices
        assert not rest.pitches and rest.duration == 1.0 and first == second == chord
        assert held.duration == 3.0 and held.pitches == bass.pitches
        return "held bass"
    voice = bar.voices[0]
    if len(voice) == 2:  # the bass, and a chord held through the last two beats
        assert voice[0] == bass and len(voice[1].pitches) == 3 and voice[1].duration == 2.0
        assert {p % 12 for p in voice[1].pitches} >= tones
        return "held chord"
    if len(voice) == 5:  # the bass and two detached chords, an eighth and an eighth rest each
        low, first, first_rest, second, second_rest = voice
        assert first == second and first.duration == 0.5
        assert not first_rest.pitches and not second_rest.pitches and first_rest.duration == 0.5
        if low.pitches == [bass.pitches[0] - 12, bass.pitches[0]]:  # a ballroom waltz's: octaves, three notes
            assert len(first.pitches) == 3 and {p % 12 for p in first.pitches} >= tones
            return "detached octave bass"
        assert low == bass and first.pitches == chord.pitches
        return "detached chords"
    low, first, second = voice
    if not second.pitches:  # bass-chord-rest
        assert low == bass and len(first.pitches) == 3 and {p % 12 for p in first.pitches} >= tones
        assert second.duration == 1.0
        return "chord then rest"
    assert low.pitches == [bass.pitches[0] - 12, bass.pitches[0]] and first == second
    assert {p % 12 for p in first.pitches} >= tones and max(first.pitches) - min(first.pitches) <= 12
    if len(first.pitches) == 4:  # a grand waltz's full chords
        return "full chords"
    assert len(first.pitches) == 3
    return "octave bass"


def test_a_waltz_seed_draws_its_figure_among_eight_and_drives_every_one_into_its_closing_cadence() -> None:
    chords = [C, F, G7, C, A_MIN, D_MIN, G7, C]
    plain = waltz_left_hand(chords, Fraction(3), 8, Fraction(3), C_MAJOR)
    shapes = set()
    for seed in range(24):
        bars = waltz_left_hand(chords, Fraction(3), 8, Fraction(3), C_MAJOR, seed=seed)
        assert bars == waltz_left_hand(chords, Fraction(3), 8, Fraction(3), C_MAJOR, seed=seed)
        shape = {waltz_shape(bar, plain_bar) for bar, plain_bar in zip(bars[:-2], plain[:-2], strict=True)}
        assert len(shape) == 1  # one figure through the section
        shapes |= shape
        # the dominant before the close strikes every beat: the lighter figures play it in full, the
        # detached ballroom figure over its octave bass
        driving = ({"octave bass"} if shape == {"detached octave bass"}
                   else shape if shape & {"plain", "held bass", "octave bass", "full chords"} else {"plain"})
        assert waltz_shape(bars[-2], plain[-2]) in driving
        (closing,) = bars[-1].voices[0]  # the closing chord struck once, whatever the figure
        bass, *upper = plain[-1].voices[0][0].pitches
        assert closing.duration == 3.0 and closing.pitches[-3:] == upper and bass in closing.pitches
    assert shapes == {"plain", "held bass", "octave bass", "chord then rest", "held chord", "full chords",
                      "detached chords", "detached octave bass"}
    assert len(WALTZ_FIGURES) == 8


def test_a_nocturne_seed_draws_its_figure_among_eighths_sixteenths_wide_held_bass_and_staccato_arpeggios() -> None:
    chords = [C, A_MIN, F, G7, C, F, G7, C]
    found = set()
    for seed in range(60):
        bars = nocturne_left_hand(chords, Fraction(4), 8, Fraction(4), C_MAJOR, seed=seed)
        first = bars[0].voices
        held = len(first) == 2
        staccato = not first[0][-1].pitches  # each note struck short, a rest after it
        pulse = first[0][-1].duration * (2 if staccato else 1)
        for bar in bars[:-1]:
            upper = bar.voices[0]
            struck = [event.pitches for event in upper if event.pitches]
            line = [pitch for pitches in struck for pitch in pitches]
            assert all(len(pitches) == 1 for pitches in struck)  # broken chords, never repeated ones
            if staccato:  # a sixteenth and a sixteenth rest to each eighth (the closing dominant's first a rest)
                pairs = upper[1:] if bar is bars[-2] else upper
                assert [bool(event.pitches) for event in pairs] == [True, False] * (len(pairs) // 2)
                assert all(event.duration == pulse / 2 for event in pairs) and not held
            else:
                assert all(event.duration == pulse for event in upper)
            if held or bar is bars[-2]:  # the closing dominant holds its bass whatever the figure
                (bass,) = bar.voices[1]
                assert not upper[0].pitches and bass.duration == 4.0 and bass.pitches[0] < min(line)
                assert bass.pitches[0] not in line  # the held bass is not struck again above it
                span = max(line) - bass.pitches[0]
            else:
                assert upper[0].pitches[0] == min(line)
                span = max(line) - line[0]
            assert 12 < span <= 24  # an arpeggio past an octave: a tenth or wider
        found.add((pulse, held, span > 16, staccato))
    assert found == {(0.5, False, False, False), (0.5, True, False, False), (0.5, True, True, False),
                     (0.25, False, False, False), (0.25, True, False, False), (0.25, True, True, False),
                     (0.5, False, False, True)}
    assert len(NOCTURNE_FIGURES) == 7


@pytest.mark.parametrize(("progression", "melody_pitches"), [
    ([C, D_MIN, C], (76, 77, 76)), ([C, D_MIN, C], (83, 84, 83)), ([C, F, C], (76, 77, 76))])
def test_the_chords_top_note_moves_against_the_melody_rather_than_in_fifths_or_octaves(
        progression: list[int], melody_pitches: tuple[int, int, int]) -> None:
    # E-F-E over C-Dm-C: the nearest chords' tops (E4-F4-E4) would double the melody in octaves
    melody = [MelodyNote(3 * i, 3, pitch) for i, pitch in enumerate(melody_pitches)]
    bars = waltz_left_hand(progression, Fraction(3), 3, Fraction(3), C_MAJOR, melody=melody)
    tops = [max(bar.voices[0][-1].pitches) for bar in bars]
    for step in range(2):
        (m1, m2), (t1, t2) = melody_pitches[step: step + 2], tops[step: step + 2]
        similar = (m2 - m1) * (t2 - t1) > 0
        assert not (similar and (m1 - t1) % 12 in (0, 7) and (m2 - t2) % 12 == (m1 - t1) % 12)


def test_a_waltz_keeps_its_figure_going_under_a_half_close_and_holds_only_a_tonic_close() -> None:
    # I IV ii V: a section ending on a question, the melody breathing over it
    half = [C, F, D_MIN, G]
    waltz = waltz_left_hand(half, Fraction(3), 4, Fraction(3), C_MAJOR)
    bass, first, second = waltz[-1].voices[0]
    assert [e.duration for e in (bass, first, second)] == [1.0, 1.0, 1.0] and bass.pitches[0] % 12 == 7
    assert first.pitches == second.pitches and {p % 12 for p in first.pitches} <= {7, 11, 2}
    (pause,) = nocturne_left_hand(half, Fraction(3), 4, Fraction(3), C_MAJOR)[-1].voices[0]  # a nocturne holds V
    assert pause.duration == 3.0 and pause.pitches[0] % 12 == 7
    (held,) = waltz_left_hand([C, F, G, C], Fraction(3), 4, Fraction(3), C_MAJOR)[-1].voices[0]
    assert held.duration == 3.0 and held.pitches[0] % 12 == 0
    (held,) = waltz_left_hand([A_MIN, D_MIN, chord_index(4, "maj"), A_MIN], Fraction(3), 4, Fraction(3),
                              parse_key("A minor"))[-1].voices[0]
    assert held.duration == 3.0 and held.pitches[0] % 12 == 9  # a minor key's tonic closes as well


def test_a_short_arpeggio_sounds_every_tone_of_a_seventh_chord() -> None:
    # G7 over two beats: four eighths, 1-5-10-5 would skip the middle of its three tones above G
    bars = nocturne_left_hand([C, G7, C, F, D_MIN, G, C, C], Fraction(2), 4, Fraction(4), C_MAJOR)
    (voice,) = bars[0].voices
    seventh = [event.pitches[0] for event in voice[4:]]
    assert {pitch % 12 for pitch in seventh} == chord_pitch_classes(G7) and seventh[0] == min(seventh)
    tonic = [event.pitches[0] for event in voice[:4]]
    assert [pitch - tonic[0] for pitch in tonic] == [0, 7, 16, 7]  # a triad keeps 1-5-10-5


def test_a_seeded_nocturne_leans_on_chromatic_lower_neighbours_but_never_against_the_melody() -> None:
    chords = [C, A_MIN, F, G7, C, D_MIN, G7, C]
    scale = {0, 2, 4, 5, 7, 9, 11}
    found = 0
    for seed in range(30):
        events = timed_events(nocturne_left_hand(chords, Fraction(2), 4, Fraction(4), C_MAJOR, seed=seed),
                              Fraction(4))
        leaning = []
        for index, (onset, duration, pitches) in enumerate(events):
            if any(pitch % 12 not in scale for pitch in pitches):
                chord = chords[int(onset // 2)]
                assert is_chromatic_lower_neighbour(events, index, chord)
                assert onset < 12  # never in the closing cadence's two chords
                # approached from a chord tone after the bass's pulse, not struck first over the bass
                before_onset, before_duration, before = events[index - 1]
                assert before_onset + before_duration == onset and before_onset > int(onset // 2) * 2
                assert len(before) == 1 and before[0] % 12 in chord_pitch_classes(chord)
                assert all(onset - other >= 3 * duration for other in leaning if other // 2 == onset // 2)  # no trill
                leaning.append(onset)
        found += len(leaning)
        for start, chord in enumerate(chords[:-1]):  # a neighbour takes the place of no chord tone
            heard = {pitch % 12 for onset, _, pitches in events if 2 * start <= onset < 2 * start + 2
                     for pitch in pitches}
            assert chord_pitch_classes(chord) <= heard
        # under a held D5 a D# would rub a semitone against it and a C# make a false relation with C
        melody = [MelodyNote(0, 16, 74)]
        bars = nocturne_left_hand(chords, Fraction(2), 4, Fraction(4), C_MAJOR, melody=melody, seed=seed)
        assert not {pitch % 12 for _, _, pitches in timed_events(bars, Fraction(4)) for pitch in pitches} & {1, 3}
    assert found >= 10
    plain = timed_events(nocturne_left_hand(chords, Fraction(2), 4, Fraction(4), C_MAJOR), Fraction(4))
    assert all(pitch % 12 in scale for _, _, pitches in plain for pitch in pitches)  # none without a seed


def test_a_piece_draws_its_neighbour_rate_once_so_a_plain_piece_stays_plain() -> None:
    """Drawn for each section, a piece's sections averaged each other's chromaticism out; the piece's
    rate is one draw, and a rate of 0 leaves every section of it diatonic, a rate of 1 leans often."""
    chords = [C, A_MIN, F, G7, C, D_MIN, G7, C]
    scale = {0, 2, 4, 5, 7, 9, 11}

    def leaning(rate: float) -> int:
        return sum(pitch % 12 not in scale for seed in range(20)
                   for _, _, pitches in timed_events(nocturne_left_hand(chords, Fraction(2), 4, Fraction(4), C_MAJOR,
                                                                        seed=seed, neighbour_rate=rate), Fraction(4))
                   for pitch in pitches)

    assert leaning(0.0) == 0 and leaning(1.0) > leaning(0.3) > 0
    rates = [piece_neighbour_rate(seed) for seed in range(40)]
    assert piece_neighbour_rate(7) == piece_neighbour_rate(7)
    assert all(NEIGHBOUR_RATE[0] <= rate <= NEIGHBOUR_RATE[1] for rate in rates) and max(rates) - min(rates) > 0.6


def nocturne_shape(bars: list[Bar]) -> tuple[float, bool, bool, bool, bool]:
    """(shortest event, held bass, repeated chords, wider than a tenth, staccato) of a nocturne
    section's first bar."""
    upper = bars[0].voices[0]
    held = len(bars[0].voices) == 2
    notes = [pitch for event in upper for pitch in event.pitches]
    bass = bars[0].voices[1][0].pitches[0] if held else notes[0]
    return (min(event.duration for event in upper), held, any(len(event.pitches) > 1 for event in upper),
            max(notes) - bass > 16, not upper[-1].pitches)


def waltz_figure(bars: list[Bar], chords: list[int]) -> str:
    """The waltz figure a section of a chord a bar plays (`waltz_shape` of its first bar)."""
    return waltz_shape(bars[0], waltz_left_hand(chords, Fraction(3), len(chords), Fraction(3), C_MAJOR)[0])


@pytest.mark.parametrize("texture", [waltz_left_hand, nocturne_left_hand])
def test_a_section_mostly_keeps_the_left_hand_figure_heard_in_the_bars_before_it(texture: Texture) -> None:
    before_chords, chords = [C, A_MIN, F, G7], [C, F, D_MIN, G7, C, A_MIN, G7, C]
    nocturne = texture is nocturne_left_hand
    meter = Fraction(4) if nocturne else Fraction(3)
    figures = NOCTURNE_FIGURES if nocturne else WALTZ_FIGURES

    def figure(bars: list[Bar], played: list[int]) -> object:
        return nocturne_shape(bars) if nocturne else waltz_figure(bars, played)

    heard: dict[object, list[Bar]] = {}
    for seed in range(60):
        before = texture(before_chords, meter, 4, meter, C_MAJOR, seed=seed)
        heard.setdefault(figure(before, before_chords), before)
    assert len(heard) == len(figures)  # every figure is read back from its bars
    for shape, before in heard.items():
        assert figure(texture(chords, meter, 8, meter, C_MAJOR, before=before), chords) == shape  # no seed: kept
        kept = [figure(texture(chords, meter, 8, meter, C_MAJOR, seed=seed, before=before), chords) == shape
                for seed in range(40)]
        assert 0.6 <= sum(kept) / len(kept) < 1  # mostly kept; now and then a new section brings a new one


@pytest.mark.parametrize("texture", [waltz_left_hand, nocturne_left_hand])
def test_a_piece_keeps_its_own_texture_so_pieces_are_dense_or_light_as_a_whole(texture: Texture) -> None:
    """Kept section by section, the fixed-plan waltzes' densities averaged out (6.8-9.8 notes a bar
    against the references' 5-24): a piece's seed draws its texture, which its sections mostly keep
    whatever the bars before them play."""
    nocturne = texture is nocturne_left_hand
    meter = Fraction(4) if nocturne else Fraction(3)
    chords = [C, F, D_MIN, G7, C, A_MIN, G7, C]

    def shape(bars: list[Bar]) -> object:
        return nocturne_shape(bars) if nocturne else waltz_figure(bars, chords)

    other = texture(chords, meter, 8, meter, C_MAJOR, seed=1)
    textures = set()
    for piece in range(12):
        sections = [shape(texture(chords, meter, 8, meter, C_MAJOR, seed=piece * 1000 + index * 101,
                                  before=other, density=piece_density(piece))) for index in range(6)]
        own = max(set(sections), key=sections.count)
        assert sections.count(own) >= 3  # the piece's own figure in most sections, not the one before them
        textures.add(own)
    assert len(textures) >= 3  # and pieces differ


def test_a_pieces_left_hand_is_as_dense_as_the_piece() -> None:
    """The piece's density (`tools.music.styles.density`) picks its figure: the densest three sevenths
    of nocturnes arpeggiate in sixteenths, the rest in eighths (legato or struck short)."""
    chords = [C, F, D_MIN, G7, C, A_MIN, G7, C]
    for piece in range(16):
        struck = [sum(bool(event.pitches) for event in bars[1].voices[0])
                  for bars in (nocturne_left_hand(chords, Fraction(4), 8, Fraction(4), C_MAJOR,
                                                  seed=piece * 1000 + index * 101, density=piece_density(piece))
                               for index in range(5))]
        sixteenths = max(set(struck), key=struck.count) > 8
        assert sixteenths == (piece_density(piece) >= 4 / 7), (piece, struck)


@pytest.mark.parametrize("texture", [waltz_left_hand, nocturne_left_hand])
def test_a_section_of_a_seeded_piece_does_not_read_the_figure_of_the_bars_before_it(
        texture: Texture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The piece's own figure is kept, so the one heard before the section is never used: reading
    it would be dead work in every composed piece."""
    meter = Fraction(4) if texture is nocturne_left_hand else Fraction(3)
    before = texture([C, G7, C], meter, 3, meter, C_MAJOR, seed=1)

    def unread(_bars: object) -> None:
        raise AssertionError("the figure heard before the section was read")

    for name in ("_waltz_figure_heard", "_nocturne_figure_heard"):
        monkeypatch.setattr(accompaniment, name, unread)
    assert texture([C, F, G7, C], meter, 4, meter, C_MAJOR, seed=3, before=before, density=piece_density(5))
    with pytest.raises(AssertionError, match="was read"):
        texture([C, F, G7, C], meter, 4, meter, C_MAJOR, seed=3, before=before)


def test_the_full_waltz_figure_strikes_three_notes_where_a_low_melody_leaves_no_room_for_four() -> None:
    chords = [C, F, G7, C]
    full = next(bars for seed in range(60)
                if waltz_figure(bars := waltz_left_hand(chords, Fraction(3), 4, Fraction(3), C_MAJOR, seed=seed),
                                chords) == "full chords")
    high = waltz_left_hand(chords, Fraction(3), 4, Fraction(3), C_MAJOR, before=full)  # no seed: the figure heard
    assert waltz_figure(high, chords) == "full chords"
    # a tune on E4 leaves the chords E3-D#4 below it: E G C, no fourth tone within an octave
    low = waltz_left_hand(chords, Fraction(3), 4, Fraction(3), C_MAJOR, before=full,
                          melody=[MelodyNote(3 * i, 3, 64) for i in range(4)])
    (bass, first, second), *_ = (bar.voices[0] for bar in low)
    assert bass.pitches[1] - bass.pitches[0] == 12 and len(first.pitches) == 3 and first == second
    assert all(pitch < 64 for bar in low for pitch in bar.pitches())


def test_a_parallel_costs_little_where_the_tune_steps_and_the_strict_price_where_it_leaps() -> None:
    """A dance bass may double its tune's step at the octave (C5-D5 over C2-D2); leaping into the
    octave together (D5-A4 over D3-A2) is the parallel a teacher marks first."""
    assert _parallel_cost((72, 74), 36, 38, LEFT_HAND_PARALLEL_COST) == LEFT_HAND_PARALLEL_COST
    assert _parallel_cost((74, 69), 50, 45, LEFT_HAND_PARALLEL_COST) == PARALLEL_COST
    assert _parallel_cost((74, 71), 50, 45, LEFT_HAND_PARALLEL_COST) == 0.0  # a sixth, not a parallel


@pytest.mark.parametrize(("texture", "figures", "register", "figure"), [
    *((waltz_left_hand, "WALTZ_FIGURES", WALTZ_BASS, figure) for figure in WALTZ_FIGURES),
    *((nocturne_left_hand, "NOCTURNE_FIGURES", NOCTURNE_BASS, figure) for figure in NOCTURNE_FIGURES)])
def test_the_bass_before_a_section_is_the_bass_struck_under_the_last_chord(
        texture: Texture, figures: str, register: Register, figure: object,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A section ending on V, in every figure, its last bar one chord (I-IV-V) or two (IV then V):
    the bass before the next section is the G struck under V, not the lowest note of the chord
    that ends the bar (G3 over a G2 waltz bass), nor the IV's bass struck earlier in the bar."""
    monkeypatch.setattr(accompaniment, figures, (figure,))
    melody = [MelodyNote(0, 3, 72), MelodyNote(3, 3, 72), MelodyNote(6, 3, 74)]
    for chords, slot in (([C, F, G], Fraction(3)), ([C, C, C, C, F, G], Fraction(3, 2))):
        bars = texture(chords, slot, 3, Fraction(3), C_MAJOR, melody=melody, seed=0)
        join = join_before([Bar.line((74, 3.0))], bars)
        assert join is not None
        assert join.bass % 12 == 7 and register.lowest <= join.bass <= register.highest, (figure, chords, join)
        if slot == 3:
            assert join.bass == min(p for p in bars[-1].pitches() if p >= register.lowest), (figure, join)


def test_a_section_leads_its_first_bass_from_the_bass_before_it_not_into_octaves_with_the_tune() -> None:
    """The bench's waltz 0 at B: A5-E5 over A2-E2 across the join, each section's bass chosen as if
    nothing came before. Here the bars before end on D5 over D3, the section opens on A minor under
    A4: alone its bass is the root, A2, in octaves with the tune; after D3 it takes C3, a step."""
    melody = [MelodyNote(0, 3, 69), MelodyNote(3, 3, 71), MelodyNote(6, 3, 72)]
    join = join_before([Bar.line((74, 3.0))], [Bar.line((50, 1.0), (None, 2.0))])
    assert join == Join(top=74, bass=50)
    chords = [A_MIN, G, C]
    alone = waltz_left_hand(chords, Fraction(3), 3, Fraction(3), C_MAJOR, melody=melody)
    joined = waltz_left_hand(chords, Fraction(3), 3, Fraction(3), C_MAJOR, melody=melody, join=join)
    assert alone[0].voices[0][0].pitches == [45]
    assert joined[0].voices[0][0].pitches == [48]
