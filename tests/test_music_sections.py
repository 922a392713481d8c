"""The neural section writer: conversions between the piano model's bars and the ontology, and
real sections from the shipped piano model and FF harmoniser that satisfy the ontology."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ontology.music import INSTRUMENTS, Bar, Cadence, Event, Part, Piece, Section
from ontology.music_styles import Motion, Style, style_spec
from ontology.music_theory import exact_quarters, parse_chord, parse_key, parse_meter
from ontology.music_validators import validate_piece
from tools.base import ToolInputError
from tools.music.analysis import heard_keys, sounding_notes, top_line
from tools.music.harmony.chords import chord_index
from tools.music.neural_sections import (
    KEY_TRIES,
    NeuralSectionTools,
    approach_close,
    bars_to_segment,
    chord_symbols,
    close_on_cadence,
    held,
    melody_bars,
    melody_line,
    segment_to_bars,
    strain_lead,
    tried_seed,
)
from tools.music.piano.tokens import Hand, Note, Segment
from tools.music.section_tools import SectionMaterial, SectionRequest, ToolCall, sung_as_tune
from tools.music.styles.fiddle import COMPOUND_BEAT, SIXTEENTH
from tools.music.styles.octaves import SPACINGS


def test_piano_model_bars_become_ontology_voices_and_back() -> None:
    # 3/4 in ticks (12 a quarter): a right-hand chord held while a melody moves, and a left-hand bass
    segment = Segment(meter="3/4", mode="minor", bars=[[
        Note(0, Hand.RIGHT, 69, 36), Note(0, Hand.RIGHT, 76, 12), Note(12, Hand.RIGHT, 77, 12),
        Note(24, Hand.RIGHT, 76, 12), Note(0, Hand.LEFT, 45, 24)]])
    right, left = segment_to_bars(segment, shift=0)
    assert [[(e.pitches, e.duration) for e in voice] for voice in right[0].voices] == [
        [([69], 3.0)], [([76], 1.0), ([77], 1.0), ([76], 1.0)]]
    assert [(e.pitches, e.duration) for e in left[0].voices[0]] == [([45], 2.0), ([], 1.0)]
    again = bars_to_segment(right, left, "3/4", "minor", shift=0)
    assert sorted(again.bars[0]) == sorted(segment.bars[0])


def test_the_top_line_and_its_bars_fill_every_bar() -> None:
    bars = [Bar.line((72, 1), (None, 1), (74, 1)), Bar.line((76, 3))]
    line = top_line(bars, Fraction(3))
    assert [(n.onset, n.duration, n.pitch) for n in line] == [(0.0, 1.0, 72), (2.0, 1.0, 74), (3.0, 3.0, 76)]
    rebuilt = melody_bars(line, 2, Fraction(3))
    assert [[(e.pitches, e.duration) for e in b.voices[0]] for b in rebuilt] == [
        [([72], 1.0), ([], 1.0), ([74], 1.0)], [([76], 3.0)]]


def test_chord_symbols_change_only_with_the_harmony_and_six_eight_changes_on_the_dotted_beat() -> None:
    d_minor, a_major = chord_index(2, "min"), chord_index(9, "maj")
    harmony = chord_symbols([d_minor, d_minor, a_major, a_major, a_major, d_minor], Fraction(1), Fraction(3),
                            parse_key("D minor"))
    assert [(c.bar, c.beat, c.symbol, c.borrowed) for c in harmony] == [(1, 1, "Dm", False), (1, 3, "A", False),
                                                                        (2, 3, "Dm", False)]
    secondary = chord_symbols([chord_index(2, "maj")], Fraction(3), Fraction(3), parse_key("C major"))  # V/V
    assert [(c.symbol, c.borrowed) for c in secondary] == [("D", True)]
    compound = chord_symbols([d_minor, a_major, a_major, d_minor], Fraction(3, 2), Fraction(3), parse_key("D minor"))
    assert [(c.bar, c.beat, c.symbol) for c in compound] == [(1, 1, "Dm"), (1, 2.5, "A"), (2, 2.5, "Dm")]
    assert style_spec("waltz").chord_slot(parse_meter("3/4")) == 3
    assert style_spec("nocturne").chord_slot(parse_meter("3/4")) == 1  # half-bar chords do not divide 3/4
    assert style_spec("jig").chord_slot(parse_meter("6/8")) == Fraction(3, 2)
    assert held([0, d_minor, 0, a_major, 0]) == [d_minor, d_minor, d_minor, a_major, a_major]


def test_phrases_end_on_their_cadences_and_only_there() -> None:
    from tools.music.styles.phrases import (
        approach_pitch_classes,
        barred_before_half_closes,
        given_chords,
        melody_pitch_classes,
        phrase_cadences,
    )

    assert phrase_cadences(8, Cadence.AUTHENTIC) == {3: Cadence.HALF, 7: Cadence.AUTHENTIC}
    assert phrase_cadences(4, None) == {}
    assert phrase_cadences(6, Cadence.PLAGAL) == {5: Cadence.PLAGAL}  # a two-bar tail extends the phrase
    assert phrase_cadences(8, Cadence.HALF) == {3: Cadence.AUTHENTIC, 7: Cadence.HALF}  # question, answer
    d_minor, d_min, a_7 = parse_key("D minor"), chord_index(2, "min"), chord_index(9, "dom7")
    assert given_chords(d_minor, {2: Cadence.AUTHENTIC}, 3, 3) == {0: d_min, 5: a_7, 6: d_min, 7: d_min, 8: d_min}
    # A nocturne's section opens with a whole bar of its tonic (`StyleSpec.tonic_opening_bar`).
    assert given_chords(d_minor, {2: Cadence.AUTHENTIC}, 3, 3, opening_bar=True) == {
        0: d_min, 1: d_min, 2: d_min, 5: a_7, 6: d_min, 7: d_min, 8: d_min}
    assert style_spec(Style.NOCTURNE).tonic_opening_bar and not style_spec(Style.CHORALE).tonic_opening_bar
    assert melody_pitch_classes(d_minor, Cadence.AUTHENTIC, final=True) == {2}
    assert melody_pitch_classes(d_minor, Cadence.HALF, final=False) == {9, 1, 4}  # A major: the leading tone
    assert approach_pitch_classes(d_minor, Cadence.AUTHENTIC, frozenset({2}), outline=False) == {1, 4}  # C#, E
    assert approach_pitch_classes(d_minor, Cadence.AUTHENTIC, frozenset({2}), outline=True) == {9, 1}  # A, C#
    assert approach_pitch_classes(d_minor, Cadence.HALF, frozenset({9}), outline=True) == frozenset()
    on_a = {chord_index(9, quality) for quality in ("maj", "min", "dom7")}
    barred = barred_before_half_closes(d_minor, {3: Cadence.HALF, 7: Cadence.AUTHENTIC, 11: Cadence.HALF}, 3, 12)
    assert set(barred) == {8, 32} and all(on_a <= chords for chords in barred.values())  # the slot before each
    assert barred_before_half_closes(d_minor, {0: Cadence.HALF}, 3, 1) == {}  # a one-bar section: nothing before


def test_a_minor_chorale_closes_on_the_major_tonic_where_its_tune_allows() -> None:
    from tools.music.styles.phrases import given_chords, with_picardy_third

    d_minor, d_min, d_maj = parse_key("D minor"), chord_index(2, "min"), chord_index(2, "maj")
    fixed = given_chords(d_minor, {2: Cadence.AUTHENTIC}, 3, 3)
    assert with_picardy_third(fixed, d_minor, 2, 3, closing_pitch=62) == {
        0: d_min, 5: chord_index(9, "dom7"), 6: d_maj, 7: d_maj, 8: d_maj}
    assert with_picardy_third(fixed, d_minor, 2, 3, closing_pitch=69)[8] == d_maj, "over the fifth too"
    assert with_picardy_third(fixed, d_minor, 2, 3, closing_pitch=65) == fixed, "the tune's minor third would clash"
    c_major = parse_key("C major")
    assert with_picardy_third(given_chords(c_major, {2: Cadence.AUTHENTIC}, 3, 3), c_major, 2, 3, 60) == given_chords(
        c_major, {2: Cadence.AUTHENTIC}, 3, 3)
    assert style_spec(Style.CHORALE).picardy_third and not style_spec(Style.NOCTURNE).picardy_third


def test_a_carried_over_line_is_fitted_to_the_register_and_closes_on_the_cadence() -> None:
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases

    # a tune ending on E (a half close in D minor), restated as a closing section, one note below the register
    line = [MelodyNote(0.0, 1.0, 57), MelodyNote(1.0, 1.0, 65), MelodyNote(2.0, 1.0, 67), MelodyNote(3.0, 1.0, 69),
            MelodyNote(4.0, 1.0, 64), MelodyNote(5.0, 1.0, 62), MelodyNote(6.0, 1.0, 64), MelodyNote(7.0, 1.0, 65)]
    fitted = close_phrases(line, parse_key("D minor"), {1: Cadence.AUTHENTIC}, Fraction(4), Fraction(1), (60, 79),
                           outline=False)
    assert [(n.onset, n.duration, n.pitch) for n in fitted] == [
        (0.0, 1.0, 69), (1.0, 1.0, 65), (2.0, 1.0, 67), (3.0, 1.0, 64),  # the approach: E, a step to D (2-1)
        (4.0, 4.0, 62)]  # the tonic, held to the end


def test_the_approach_into_a_close_lands_by_step_from_the_tone_nearest_the_line() -> None:
    """A chorale soprano at D5 before a close on G4 (session 50, the larger piano model): the approach
    tone nearest the landing, F#4, was a minor sixth from D5, past the chorale's fifth; A4 also steps
    into G4, a fourth from D5. The approach tone is the one a step or less from the landing that lies
    nearest the note the line had there."""
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases

    line = [MelodyNote(0.0, 2.0, 71), MelodyNote(2.0, 1.0, 74), MelodyNote(3.0, 1.0, 72), MelodyNote(4.0, 4.0, 67)]
    fitted = close_phrases(line, parse_key("G major"), {1: Cadence.AUTHENTIC}, Fraction(4), Fraction(1), (60, 79),
                           outline=False)
    assert [n.pitch for n in fitted] == [71, 74, 69, 67]
    low = [MelodyNote(0.0, 2.0, 64), MelodyNote(2.0, 1.0, 62), MelodyNote(3.0, 1.0, 64), MelodyNote(4.0, 4.0, 67)]
    assert [n.pitch for n in close_phrases(low, parse_key("G major"), {1: Cadence.AUTHENTIC}, Fraction(4), Fraction(1),
                                           (60, 79), outline=False)] == [64, 62, 66, 67]  # from below: F#, 7-1



def test_a_minor_close_rises_to_its_leading_tone_by_melodic_minor_not_an_augmented_second() -> None:
    """An F# minor chorale's soprano sang C#5 B4 D5 E#5 | F#5 into its close (session 52): the approach
    tone a step below the cadence tone came after the natural sixth. The sixth is raised (D#5), as
    melodic minor rises; a line that comes down to the leading tone keeps its natural sixth."""
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases

    line = [MelodyNote(0.0, 1.0, 73), MelodyNote(1.0, 1.0, 71), MelodyNote(2.0, 1.0, 74), MelodyNote(3.0, 1.0, 73),
            MelodyNote(4.0, 4.0, 78)]
    fitted = close_phrases(line, parse_key("F# minor"), {1: Cadence.AUTHENTIC}, Fraction(4), Fraction(1), (60, 81),
                           outline=False)
    assert [n.pitch for n in fitted] == [73, 71, 75, 77, 78]  # C#5 B4 D#5 E#5 F#5
    falling = [*line[:2], MelodyNote(2.0, 1.0, 74), MelodyNote(3.0, 1.0, 76), MelodyNote(4.0, 4.0, 66)]
    assert [n.pitch for n in close_phrases(falling, parse_key("F# minor"), {1: Cadence.AUTHENTIC}, Fraction(4),
                                           Fraction(1), (60, 81), outline=False)][2] == 74


def test_a_breathing_line_keeps_its_half_close_and_holds_its_full_close() -> None:
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases, held_to_the_bar_end

    # a waltz tune's second bar: a half note on A (V in D minor), then a quarter rest
    line = [MelodyNote(0.0, 1.0, 69), MelodyNote(1.0, 1.0, 65), MelodyNote(2.0, 1.0, 64), MelodyNote(3.0, 2.0, 69)]
    key = parse_key("D minor")
    for cadence, breath, held_close in ((Cadence.HALF, True, False), (Cadence.HALF, False, False),
                                        (Cadence.AUTHENTIC, True, True), (Cadence.AUTHENTIC, False, True)):
        assert held_to_the_bar_end(cadence, breath=breath, pickup=False) is held_close
        fitted = close_phrases(line, key, {1: cadence}, Fraction(3), Fraction(1), (60, 84), outline=False,
                               breath=breath)
        assert fitted[-1].onset == 3.0 and fitted[-1].duration == (3.0 if held_close else 2.0)

def test_a_single_lines_approach_sounds_the_dominants_root_and_third() -> None:
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases

    # a reel's last beat in F major, E and E: a lone leading tone is no C7; one of them becomes the root C
    line = [MelodyNote(0.0, 3.0, 69), MelodyNote(3.0, 0.5, 64), MelodyNote(3.5, 0.5, 64), MelodyNote(4.0, 4.0, 65)]
    key, ends = parse_key("F major"), {1: Cadence.AUTHENTIC}
    fitted = close_phrases(line, key, ends, Fraction(4), Fraction(1), (60, 84), outline=True)
    assert [n.pitch for n in fitted] == [69, 60, 64, 65]
    under_chords = close_phrases(line, key, ends, Fraction(4), Fraction(1), (60, 84), outline=False)
    assert [n.pitch for n in under_chords] == [69, 64, 64, 65]  # the chords state V; the line keeps its E


def test_a_strain_holds_its_close_up_to_the_pickup_into_the_next() -> None:
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases

    # a G major jig's strain end: D's eighths, then G held five eighths and an eighth leading back in
    line = [MelodyNote(0.5 * n, 0.5, pitch) for n, pitch in enumerate((74, 72, 71, 69, 71, 66))]
    closing = [MelodyNote(3.0, 2.5, 67), MelodyNote(5.5, 0.5, 74)]
    key, ends, bar, beat = parse_key("G major"), {1: Cadence.AUTHENTIC}, Fraction(3), Fraction(3, 2)
    fitted = close_phrases(line + closing, key, ends, bar, beat, (62, 86), outline=True, pickup=Fraction(1, 2))
    # the sampled D becomes C, a step into the strain's first note, D, as its repeat begins
    assert [(n.onset, n.duration, n.pitch) for n in fitted[-2:]] == [(3.0, 2.5, 67), (5.5, 0.5, 72)]
    running = [MelodyNote(3.0, 1.5, 67), MelodyNote(4.5, 1.5, 71)]  # a carried-over close with no note there
    fitted = close_phrases(line + running, key, ends, bar, beat, (62, 86), outline=True, pickup=Fraction(1, 2))
    assert [(n.onset, n.duration, n.pitch) for n in fitted[-1:]] == [(3.0, 3.0, 67)]
    fitted = close_phrases(line + closing, key, ends, bar, beat, (62, 86), outline=True)  # no pickup: held
    assert [(n.onset, n.duration, n.pitch) for n in fitted[-1:]] == [(3.0, 3.0, 67)]


def test_a_breathing_half_close_at_the_section_end_rests_instead_of_leading_into_the_unknown() -> None:
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases

    # the model led on after the half close (E, F on beat 3): into a next section this one cannot hear
    line = [MelodyNote(0.0, 1.0, 69), MelodyNote(1.0, 1.0, 65), MelodyNote(2.0, 1.0, 64), MelodyNote(3.0, 2.0, 69),
            MelodyNote(5.0, 0.5, 64), MelodyNote(5.5, 0.5, 65)]
    key = parse_key("D minor")
    breathing = close_phrases(line, key, {1: Cadence.HALF}, Fraction(3), Fraction(1), (60, 84), outline=False,
                              breath=True)
    assert [(n.onset, n.duration, n.pitch) for n in breathing[-2:]] == [(2.0, 1.0, 64), (3.0, 2.0, 69)]
    singing = close_phrases(line, key, {1: Cadence.HALF}, Fraction(3), Fraction(1), (60, 84), outline=False)
    assert [(n.onset, n.duration, n.pitch) for n in singing[-3:]] == [(3.0, 2.0, 69), (5.0, 0.5, 64), (5.5, 0.5, 65)]


def test_a_chorale_soprano_sings_on_from_its_half_close_into_the_next_phrases_upbeat() -> None:
    from tools.music.harmony.data import MelodyNote
    from tools.music.styles.phrases import close_phrases, held_to_the_bar_end

    # a chorale's soprano in D minor: a half note on A (V), then two quarters into the next section
    line = [MelodyNote(float(beat), 1.0, pitch) for beat, pitch in enumerate((69, 65, 64, 64))]
    line += [MelodyNote(4.0, 2.0, 69), MelodyNote(6.0, 1.0, 67), MelodyNote(7.0, 1.0, 65)]
    key = parse_key("D minor")
    assert not held_to_the_bar_end(Cadence.HALF, breath=False, pickup=False)
    assert held_to_the_bar_end(Cadence.HALF, breath=False, pickup=True), "a strain holds up to its pickup"
    sung = close_phrases(line, key, {1: Cadence.HALF}, Fraction(4), Fraction(1), (60, 79), outline=False)
    assert [(n.onset, n.duration, n.pitch) for n in sung[-3:]] == [(4.0, 2.0, 69), (6.0, 1.0, 67), (7.0, 1.0, 65)]
    closed = close_phrases(line, key, {1: Cadence.AUTHENTIC}, Fraction(4), Fraction(1), (60, 79), outline=False)
    assert [(n.onset, n.duration, n.pitch) for n in closed[-1:]] == [(4.0, 4.0, 74)], "a full close is held"
    # a return follows: an upbeat that ends a step from its first note (E4) sings on; one that would
    # leap into it (D5, a sixth from F4) is held off, the close held through the bar
    near = close_phrases(line, key, {1: Cadence.HALF}, Fraction(4), Fraction(1), (60, 79), outline=False, goals=[64])
    assert near[-3:] == sung[-3:]
    far = close_phrases(line, key, {1: Cadence.HALF}, Fraction(4), Fraction(1), (60, 79), outline=False,
                        goals=[74, 86])
    assert [(n.onset, n.duration, n.pitch) for n in far[-1:]] == [(4.0, 4.0, 69)]


@pytest.fixture(scope="module")
def writer() -> NeuralSectionTools:
    return NeuralSectionTools()


STYLE_METERS = {Style.CHORALE: "4/4", Style.WALTZ: "3/4", Style.NOCTURNE: "4/4", Style.JIG: "6/8",
                Style.FREE_PIANO: "3/4"}


def piece_of(style: Style, meter: str, key: str, sections: list[Section], right: list[Bar], left: list[Bar]) -> Piece:
    spec = style_spec(style)
    instruments = [INSTRUMENTS[name] for name in spec.instruments]
    staves = [right, left]
    return Piece(title="t", key=key, meter=meter, tempo_bpm=90, style=style, instruments=instruments,
                 sections=sections, parts=[Part(id=f"p{i}", instrument=instrument.id, bars=staves[i])
                                           for i, instrument in enumerate(instruments)])


@pytest.mark.parametrize("style", list(Style))
def test_real_sections_in_every_style_keep_its_grammar_fill_their_bars_and_continue(writer, style) -> None:
    meter = STYLE_METERS[style]
    first = writer.realise(SectionRequest(bars=4, key="G major", meter=meter, style=style, seed=2, cadence="half"))
    second = writer.realise(SectionRequest(bars=4, key="G major", meter=meter, style=style, seed=5,
                                           cadence="authentic", previous_right=first.right,
                                           previous_left=first.left))
    sections = [Section(id="a", label="A", bars=4, cadence="half"), Section(id="b", label="B", bars=4,
                                                                            cadence="authentic")]
    piece = piece_of(style, meter, "G major", sections, first.right + second.right, first.left + second.left)
    structural = {"bar_does_not_fill_meter", "note_out_of_range", "part_length_mismatch"}
    assert not [f for f in validate_piece(piece) if f.code in structural]
    spec, bar_length = style_spec(style), parse_meter(meter).bar_quarters
    # the tune sampled under the grammar, before the figures sung on it (a nocturne's turns, detached notes)
    line = melody_line(sung_as_tune(first.right, first.tune) + sung_as_tune(second.right, second.tune), bar_length)
    pitches = [note.pitch for note in line]
    if spec.texture != "piano":  # one line under the style's grammar
        assert all(spec.melody.lowest <= p <= spec.melody.highest for p in pitches)
        largest = spec.melody.wide_leap or spec.melody.max_leap  # a leap budget allows a few wider leaps
        assert max(abs(b - a) for a, b in zip(pitches, pitches[1:], strict=False)) <= largest
        grid = Fraction(spec.melody.grid)
        if spec.texture == "melody" and parse_meter(meter).beat_quarters == COMPOUND_BEAT:
            grid = SIXTEENTH  # a jig's figures divide its beats' eighths (tools.music.styles.fiddle)
        assert all(exact_quarters(n.onset) % grid == 0 for n in line)
        gaps = [(end, after.onset) for note, after in zip(line, line[1:], strict=False)
                if (end := note.onset + note.duration) != after.onset]
        # no rests: the line is continuous, but for a breath after a breathing line's half close,
        # to the end of its section (what follows is the next section's, which it cannot hear)
        assert gaps == ([(gaps[0][0], 4 * bar_length)] if spec.melody.breath and gaps else [])
        assert all(3 * bar_length < start for start, _ in gaps)
        assert line[0].onset == 0 and line[-1].onset + line[-1].duration == 8 * bar_length
        closing = [n for n in line if n.onset >= 7 * bar_length]
        assert closing[0].onset == 7 * bar_length and closing[0].pitch % 12 == 7  # the authentic close: the tonic
        assert sum(n.duration for n in closing[1:]) == spec.pickup  # held, up to a jig's pickup into the next strain
        assert [c.tool for c in first.calls] == ["generate_piano", "harmonise_melody", f"realise_{style.value}"
                                                 .replace(" ", "_")]
        approach = [c.symbol for c in first.harmony if (c.bar, c.beat) < (4, 1)][-1]
        assert first.harmony[-1].symbol == "D" and not approach.startswith("D"), "the half close arrives on V"
    assert [c.symbol for c in second.harmony[-2:]] == ["D7", "G"] and second.harmony[-1].bar == 4
    assert bool(first.left) is (spec.texture != "melody")


def test_a_jigs_inner_strain_leads_back_in_a_beat_of_eighths_and_its_last_in_the_pickup(writer) -> None:
    """O'Neill's tunes run on through most strain ends; the fixed-plan jigs held every strain's close five
    eighths and led on in one, and struck 4.1-5.3 notes a bar against O'Neill's 4.4-6.3 (session 39). A
    strain another follows holds its close a dotted quarter and leads on for a beat; the tune's last
    holds it up to the pickup. Styles without a pickup lead in nothing."""
    bar = parse_meter("6/8").bar_quarters
    for place, lead in (((0.0, 0.5), 1.5), ((0.5, 1.0), 0.5)):
        request = SectionRequest(bars=4, key="D major", meter="6/8", style=Style.JIG, seed=3, piece_seed=3,
                                 cadence="authentic", place=place)
        assert strain_lead(style_spec(Style.JIG), request) == lead
        closing = [n for n in melody_line(writer.realise(request).right, bar) if n.onset >= 3 * bar]
        assert closing[0].onset == 3 * bar and closing[0].duration == float(bar) - lead
        assert sum(n.duration for n in closing[1:]) == lead and len(closing) > 1
    inner = SectionRequest(bars=4, key="D major", meter="3/4", style=Style.WALTZ, seed=3, place=(0.0, 0.5))
    assert strain_lead(style_spec(Style.WALTZ), inner) == 0.0


def test_meters_the_models_cannot_write_are_refused(writer) -> None:
    with pytest.raises(ToolInputError, match="5/4"):
        writer.realise(SectionRequest(bars=2, key="C major", meter="5/4"))


@pytest.mark.parametrize("style", [Style.FREE_PIANO, Style.WALTZ])
def test_a_variation_of_real_material_stays_near_it_and_closes_on_its_own_cadence(writer, style) -> None:
    import numpy as np

    from ontology.music_theory import parse_key
    from tools.music.features import material_features
    from tools.music.section_tools import VariationSource
    from tools.music.variations import transpose_bars

    source = writer.realise(SectionRequest(bars=4, key="D minor", meter="3/4", style=style, seed=3,
                                           cadence="half"))
    plain = SectionRequest(bars=4, key="F major", meter="3/4", style=style, seed=11, cadence="authentic")
    varied = writer.realise(plain.model_copy(update={"variation": VariationSource(
        section="a", key="D minor", distance="near", right=source.right, left=source.left)}))
    fresh = writer.realise(plain)
    assert [c.symbol for c in varied.harmony[-2:]] == ["C7", "F"] and len(varied.right) == len(varied.left) == 4
    assert varied.calls[-1].tool == "som_variations" and "generate_piano" in {c.tool for c in varied.calls}
    major, bar = parse_key("F major"), Fraction(3)
    home = [transpose_bars(bars, parse_key("D minor"), major) for bars in (source.right, source.left)]
    target = material_features(*home, major, bar)
    assert np.linalg.norm(material_features(varied.right, varied.left, major, bar) - target) < np.linalg.norm(
        material_features(fresh.right, fresh.left, major, bar) - target)


def test_an_arranged_waltz_mostly_keeps_the_left_hand_figure_it_restates_or_follows(writer) -> None:
    def rhythm(bars: list[Bar]) -> list[list[tuple[int, float]]]:  # a bar's voices without their pitches
        return [[(len(event.pitches), event.duration) for event in voice] for voice in bars[0].voices]

    first = writer.realise(SectionRequest(bars=4, key="G major", meter="3/4", style=Style.WALTZ, seed=2,
                                          cadence="half"))
    kept = []
    for seed in range(8):
        request = SectionRequest(bars=4, key="G major", meter="3/4", style=Style.WALTZ, seed=seed,
                                 cadence="authentic", previous_left=first.left)
        following = writer.arrange(request, first.right, [])  # a new section after the first
        restated = writer.arrange(request.model_copy(update={"previous_left": []}), first.right, first.left)
        kept += [rhythm(following.left) == rhythm(first.left), rhythm(restated.left) == rhythm(first.left)]
    assert sum(kept) >= len(kept) / 2


def test_labels_read_from_notes_take_the_keys_quality_or_are_marked_borrowed_where_chromatic_is_harmony() -> None:
    from ontology.music import ChordEvent
    from tools.music.analysis import labels_in_key

    c_minor = parse_key("C minor")
    labels = [ChordEvent(bar=1, beat=1, symbol="C"), ChordEvent(bar=1, beat=3, symbol="G7"),
              ChordEvent(bar=2, beat=1, symbol="F#")]
    assert [(c.symbol, c.borrowed) for c in labels_in_key(labels, c_minor, chromatic_harmony=False)] == [
        ("Cm", False), ("G7", False), ("F#", True)]  # G7's B is the raised seventh; F# has no triad in C minor
    # a harmonised style's chromatic chord is harmony (C major: V of iv), kept as it sounds and marked
    assert [(c.symbol, c.borrowed) for c in labels_in_key(labels, c_minor, chromatic_harmony=True)] == [
        ("C", True), ("G7", False), ("F#", True)]


def test_a_reel_runs_in_eighths_where_a_jig_lilts() -> None:
    rules = style_spec(Style.JIG).melody
    assert rules.in_meter("6/8") == rules and rules.in_meter("4/4").length_bias[0.5] > 0


@pytest.mark.parametrize("seed", [2, 6])
def test_a_reel_section_runs_in_eighths(writer, seed) -> None:
    reel = writer.realise(SectionRequest(bars=4, key="G major", meter="4/4", style=Style.JIG, seed=seed,
                                         cadence="authentic"))
    assert sum(len(bar.pitches()) for bar in reel.right) / len(reel.right) >= 6



def test_a_chorale_section_carries_its_tune_apart_from_the_figures_its_soprano_sings(writer) -> None:
    """The soprano a chorale realises sings figures on the tune (passing eighths, suspensions); the
    section's material keeps the tune as it was arranged, one voice a bar, for a variation to arrange
    again (`tools.music.variations.sung_as_tune`), while the soprano keeps its figures."""
    given = [Bar.line((69, 1), (65, 1), (67, 1), (64, 1)), Bar.line((62, 1), (65, 1), (69, 2)),
             Bar.line((70, 1), (69, 1), (67, 1), (65, 1)), Bar.line((64, 2), (61, 2))]
    figured = 0
    for piece_seed in range(6):
        request = SectionRequest(bars=4, key="D minor", meter="4/4", style=Style.CHORALE, cadence=Cadence.AUTHENTIC,
                                 seed=11, piece_seed=piece_seed)
        material = writer.arrange(request, given, [])
        assert len(material.tune) == 4 and all(len(bar.voices) == 1 for bar in material.tune)
        assert material.tune[:2] == given[:2], "the tune as it was given, but for its planned close"
        figured += any(sung.voices[0] != tune.voices[0] for sung, tune in zip(material.right, material.tune,
                                                                               strict=True))
    assert figured >= 2, "the sopranos sing figures the tune does not have"


def test_a_chorales_harmony_does_not_rock_between_two_chords_where_the_tune_lets_it_move(writer, monkeypatch) -> None:
    """A tune turning about the tonic and the dominant's tones (C# D E F | E D E F in D minor) drew
    the harmoniser into D minor and A major by turns, Dm A Dm A for three bars; the chorale chooses a
    rocking chord again (`StyleSpec.vary_rocking`, `tools.music.harmony.rocking`), so no two roots
    alternate over four changes."""
    import tools.music.neural_sections as sections

    tune = [Bar.line((73, 1), (74, 1), (76, 1), (77, 1)), Bar.line((76, 1), (74, 1), (76, 1), (77, 1)),
            Bar.line((73, 1), (74, 1), (76, 1), (74, 1)), Bar.line((73, 2), (74, 2))]

    def swings(vary: bool) -> int:
        spec = style_spec(Style.CHORALE).model_copy(update={"vary_rocking": vary})
        monkeypatch.setattr(sections, "style_spec", lambda style: spec)
        found = 0
        for seed in range(2):
            request = SectionRequest(bars=4, key="D minor", meter="4/4", style=Style.CHORALE,
                                     cadence=Cadence.AUTHENTIC, seed=seed, piece_seed=seed)
            roots = [parse_chord(event.symbol).root for event in writer.arrange(request, tune, []).harmony]
            found += sum(a == c != b == d for a, b, c, d in zip(roots, roots[1:], roots[2:], roots[3:], strict=False))
        return found

    assert swings(False) > 0, "the harmoniser rocks under this tune"
    assert swings(True) == 0


def test_a_nocturnes_left_hand_stays_under_the_second_voice_its_right_hand_sings(writer) -> None:
    """A bar sung in two voices (`tools.music.styles.thirds`) is written before the left hand, which
    stays under both voices as it stays under the tune: the hands never cross."""
    two_voiced = 0
    for piece_seed in range(4):
        material = writer.realise(SectionRequest(bars=4, key="Eb major", meter="4/4", style=Style.NOCTURNE,
                                                 seed=piece_seed + 20, piece_seed=piece_seed, cadence="authentic"))
        left, right = (sounding_notes(staff, Fraction(4)) for staff in (material.left, material.right))
        for start, end, pitch in right:
            if not any((on, off) == (start, end) and above > pitch for on, off, above in right):
                continue  # the tune, or a note sung alone
            two_voiced += 1
            assert all(low < pitch for on, off, low in left if on < end and off > start)
    assert two_voiced >= 4


def test_a_free_pianos_ornamented_right_hand_keeps_its_notes_before_the_ornaments_as_its_tune(writer) -> None:
    """A variation arranges a section's tune (`SectionMaterial.tune`) again, and the next section's
    prompt is the tune: a free piano's right hand, ornamented afresh each time it was arranged,
    gathered turns on turns in its restatements."""
    sections = [writer.realise(SectionRequest(bars=8, key="C minor", meter="4/4", style=Style.FREE_PIANO,
                                              seed=seed, piece_seed=seed, cadence="authentic"))
                for seed in range(8)]
    ornamented = [section for section in sections if section.tune]
    assert ornamented, "some pieces draw ornaments"
    for section in ornamented:
        sung = [event.duration for bar in section.right for event in bar.voices[0]]
        tune = [event.duration for bar in section.tune for event in bar.voices[0]]
        assert 0.125 in sung or len(sung) != len(tune)
        assert 0.125 not in tune and section.tune[-1] == section.right[-1]  # the close is the same
    assert all(section.right for section in sections if not section.tune)


def test_what_a_pieces_sections_share_is_drawn_from_the_pieces_seed_or_a_lone_sections_own() -> None:
    alone = SectionRequest(bars=4, key="D minor", meter="4/4", style=Style.NOCTURNE, seed=11)
    assert alone.shared_seed == 11
    assert alone.model_copy(update={"piece_seed": 3}).shared_seed == 3
    assert alone.model_copy(update={"piece_seed": 0}).shared_seed == 0  # a piece's seed of 0 is a seed


def bench_module():
    """bench/compose_tools_quality.py (a script, not a package), for its fixed plans."""
    import importlib.util

    from tools.settings import REPO_ROOT

    spec = importlib.util.spec_from_file_location("compose_tools_quality", REPO_ROOT / "bench" /
                                                  "compose_tools_quality.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.parametrize(("style", "key", "seed"), [("chorale", "A major", 0), ("chorale", "G major", 9),
                                                    ("nocturne", "A major", 0), ("nocturne", "F major", 2)])
def test_the_fixed_plans_pieces_that_were_heard_in_their_dominant_are_heard_in_their_key(
        writer, style: str, key: str, seed: int) -> None:
    """The tools bench's A B A' plan (half, half, authentic closes) at these seeds was heard in the
    dominant (E major, D major, E major, C major): the chorales' half-cadence phrases reached V
    through V/V again and again; the nocturnes' A left the tonic at its first half bar and closed
    on V before four bars in the dominant's key."""
    from tools.music.quality.features import measure
    from tools.music.quality.timeline import timeline_from_piece

    bench = bench_module()
    plan, facts = bench.fixed_plan(style, key, seed, 16)
    features = measure(timeline_from_piece(bench.compose(writer, plan, facts, seed)))
    assert features.key_established, f"{key} heard as {features.heard_key}"


@pytest.mark.parametrize(("key", "seed"), [("A major", 5), ("G major", 29), ("A major", 45)])
def test_the_fixed_plans_jigs_that_were_heard_in_their_relative_minor_are_heard_in_their_key(
        writer, key: str, seed: int) -> None:
    """Written once, these jigs were heard in their relative minor (F# minor, E minor): an A strain that
    dwelt on G# and F# below its tonic, a B strain sung high on the relative's notes; each strain now
    takes the first of its tries heard in its key."""
    from tools.music.quality.features import measure
    from tools.music.quality.timeline import timeline_from_piece

    bench = bench_module()
    plan, facts = bench.fixed_plan("jig", key, seed, 16)
    features = measure(timeline_from_piece(bench.compose(writer, plan, facts, seed)))
    assert features.key_established, f"{key} heard as {features.heard_key}"


def test_a_section_is_tried_until_it_is_heard_in_its_key_or_after_a_half_close_its_dominants(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each try from a seed of its own, and every try's tool calls reported; where no try is heard in the
    key, the one nearest to it is kept. A section closing on the dominant may be heard in the dominant's key."""
    def heard(key: str, cadence: Cadence) -> set[str]:
        return {found.name for found in heard_keys(parse_key(key), cadence)}

    assert heard("C major", Cadence.AUTHENTIC) == {"C major"}
    assert heard("C major", Cadence.HALF) == {"C major", "G major"}
    assert heard("A minor", Cadence.HALF) == {"A minor", "E major", "E minor"}
    def material(name: str, *pitches: int) -> SectionMaterial:
        return SectionMaterial(right=[Bar.line(*((pitch, 1) for pitch in pitches))], left=[], harmony=[],
                               calls=[ToolCall(tool="generate_piano", arguments={}, seconds=0.1, summary=name)])

    in_c, in_g = material("C", 60, 64, 67, 72), material("G", 67, 71, 74, 66)
    in_a_minor, in_e_minor = material("Am", 69, 72, 76, 68), material("Em", 64, 67, 71, 66)
    for written, cadence, kept, tries in (([in_a_minor, in_c, in_e_minor], Cadence.AUTHENTIC, in_c, 2),
                                          ([in_g, in_c], Cadence.AUTHENTIC, in_c, 2),
                                          ([in_g, in_c], Cadence.HALF, in_g, 1),
                                          ([in_e_minor, in_a_minor, *[in_e_minor] * (KEY_TRIES - 2)],
                                           Cadence.AUTHENTIC, in_a_minor, KEY_TRIES)):
        asked: list[int] = []
        answers = iter(written)

        def fake(self: NeuralSectionTools, tried: SectionRequest, answers=answers, asked=asked) -> SectionMaterial:
            asked.append(tried.seed)
            return next(answers)

        monkeypatch.setattr(NeuralSectionTools, "_written", fake)
        request = SectionRequest(bars=1, key="C major", meter="4/4", style=Style.JIG, cadence=cadence, seed=7)
        written_section = NeuralSectionTools().write(request)
        assert written_section.right == kept.right
        assert asked == [7, *(tried_seed(7, attempt) for attempt in range(1, tries))]
        assert [call.summary for call in written_section.calls] == [one.calls[0].summary for one in written[:tries]]
    assert len({tried_seed(7, attempt) for attempt in range(1, KEY_TRIES)} | {7, 8, 9}) == KEY_TRIES + 2


def test_a_stormy_section_keeps_moving_after_its_phrase_ending_and_a_gentle_one_moves_slowly(writer) -> None:
    """Session 30's stormy piece fell into quarters and halves after a held phrase ending. An 8-bar
    free piano section in C minor, notes struck a bar in both hands: without a motion 15.3 in bars
    1-3 and 6.7 in bars 5-7, after the phrase's held ending in bar 4; agitated 16.0 and 13.7; gentle
    7.0 and 6.7. Since the line may not run in one length for more than a bar (`max_even_span`,
    session 39), no section settles into long notes. One seed is one draw (the windows gliding across
    the bar, session 49, took its plain section from 20.3 to 12.3 in bars 5-7), so six are averaged:
    without a motion 12.7 and 11.4, agitated 21.9 and 20.3, gentle 7.8 and 8.5."""
    sections = {motion: [writer.write(SectionRequest(bars=8, key="C minor", meter="4/4", style=Style.FREE_PIANO,
                                                     cadence=Cadence.AUTHENTIC, seed=seed, piece_seed=seed,
                                                     place=(0.5, 1.0), motion=motion)) for seed in range(6)]
                for motion in (None, Motion.AGITATED, Motion.GENTLE)}

    def struck(motion: Motion | None, bars: range) -> float:
        return float(np.mean([sum(1 for staff in (section.right, section.left) for number in bars
                                  for event in staff[number].voices[0] if event.pitches) / len(bars)
                              for section in sections[motion]]))

    first, later = range(0, 3), range(4, 7)
    for motion in (None, Motion.AGITATED):  # no falling into long notes after the held ending (session 30: 0.44)
        assert struck(motion, later) >= 0.8 * struck(motion, first), motion
    assert struck(Motion.AGITATED, first) > 1.5 * struck(None, first)
    assert struck(Motion.GENTLE, first) < 0.7 * struck(None, first)
    assert struck(Motion.GENTLE, later) < struck(None, later)


def test_a_gentle_free_piano_sections_right_hand_sings_legato_inside_its_phrases(
        writer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The piano model's gentle right hand stops for a beat inside a phrase (three times in these five
    sections), and the left hand's bass under the silence was heard as the tune (session 39: twelve
    "lyrical" pieces' heard top voice spanned 45 semitones, the right hand's own 31). Held through,
    only the bars closing a phrase on its cadence (3-4 and 7-8) breathe."""
    import tools.music.neural_sections as neural_sections

    requests = [SectionRequest(bars=8, key="C minor", meter="4/4", style=Style.FREE_PIANO, cadence=Cadence.AUTHENTIC,
                               seed=seed, piece_seed=seed, place=(0.5, 1.0), motion=Motion.GENTLE)
                for seed in range(5)]

    def silences() -> int:
        return sum(1 for request in requests for number, bar in enumerate(writer.write(request).right)
                   if number not in (2, 3, 6, 7)
                   for before, after in zip(bar.voices[0], bar.voices[0][1:], strict=False)
                   if before.pitches and not after.pitches)

    assert silences() == 0
    monkeypatch.setattr(neural_sections, "legato", lambda bars, breathing: list(bars))
    assert silences() > 0


def test_both_hands_of_a_free_piano_sound_in_every_bar(writer) -> None:
    """The tools bench's free piano 2 (F major) opened with a left hand silent for its bars 2 and 3 (and
    again in bars 10, 11 and 14): the grammar now closes no bar of the style while a hand is silent."""
    section = writer.realise(SectionRequest(bars=4, key="F major", meter="4/4", style=Style.FREE_PIANO, seed=2000,
                                            piece_seed=2, cadence="half", place=(0.0, 0.25)))
    assert all(bar.pitches() for bar in section.left), [bar.pitches() for bar in section.left]
    assert all(bar.pitches() for bar in section.right), [bar.pitches() for bar in section.right]


def test_the_fixed_plans_free_piano_6_returns_without_looping_and_opens_its_middle_in_octaves(writer) -> None:
    """The tools bench's free piano 6 (D minor) looped A's bars 1-4 through its A' (bars 9-12 and again
    13-15, note for note: the near variation kept six bars of A restated to eight) and had two parallel
    octaves in sixteen bars. Its A' no longer loops A, and its piece draws a passage in bare octaves
    over the middle section's first two bars: the left hand doubles the right hand in the first (since
    the middle no longer leaps into its first note, c2ff56b, the second climbs to B-flat 6, which no left
    hand doubles, and keeps the model's)."""
    bench = bench_module()
    plan, facts = bench.fixed_plan("free piano", "D minor", 6, 16)
    piece = bench.compose(writer, plan, facts, 6)
    right, left = piece.parts[0].bars, piece.parts[-1].bars
    assert right[12:14] != right[8:10] and right[12:14] != right[0:2]
    tune = [max(event.pitches) for event in right[4].voices[0] if event.pitches]  # bar 5
    bass = [pitch for event in left[4].voices[0] for pitch in event.pitches]
    assert tune and {a - b for a, b in zip(tune, bass, strict=True)} <= {12, 24}, (tune, bass)
    assert all(bar.pitches() for bar in left)


def test_the_music_models_run_on_the_settings_threads_and_leave_torchs_count_as_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Torch's default (a thread per core) made the piano model's tiny steps wait on each other: a
    section's CPU seconds grew 5-16 times on a loaded 2-core machine. A section is written on
    `Settings.music_threads` threads, a variation's candidates and the harmoniser included, and the
    count the process had comes back after."""
    import torch

    import tools.music.neural_sections as sections
    from tools.settings import Settings

    seen: list[int] = []
    sample, harmonise = sections.sample_bars, sections.harmonise_pieces
    monkeypatch.setattr(sections, "sample_bars",
                        lambda *a, **k: seen.append(torch.get_num_threads()) or sample(*a, **k))
    monkeypatch.setattr(sections, "harmonise_pieces",
                        lambda *a, **k: seen.append(torch.get_num_threads()) or harmonise(*a, **k))
    writer = NeuralSectionTools(Settings(music_threads=1))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        first = writer.realise(SectionRequest(bars=2, key="C major", meter="3/4", style=Style.WALTZ, seed=1))
        assert seen and set(seen) == {1} and torch.get_num_threads() == 2
        seen.clear()
        writer.realise(SectionRequest(bars=2, key="C major", meter="3/4", style=Style.WALTZ, seed=2,
                                      variation={"section": "a", "key": "C major", "distance": "near",
                                                 "right": first.right, "left": first.left}))
        assert len(seen) > 2 and set(seen) == {1} and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_fixed_plans_waltz_38_opens_its_middle_in_octaves_and_dances_again_before_its_cadence(writer) -> None:
    """The tools bench's waltz 38 (D minor; waltz 6 until its tune's note lengths drew from the piece's
    density, session 53) draws a passage in octaves (a third of the waltzes do, as 8
    of the 24 reference movements have parallels) over the middle section's first two bars: its left
    hand leaves the oom-pah-pah to double the tune an octave or two down where the tune moves (bar 6), keeps
    it under a note struck once (bar 5, where the doubled note and its rest left both hands silent for
    two beats, session 49), and dances again in the two bars of the half close. Without the passage the
    bench's waltzes had one stray parallel each in five pieces (overlap 0.46 with the references' zeros
    and tail)."""
    bench = bench_module()
    plan, facts = bench.fixed_plan("waltz", "D minor", 38, 16)
    piece = bench.compose(writer, plan, facts, 38)
    right, left = piece.parts[0].bars, piece.parts[-1].bars
    tune = [max(event.pitches) for event in right[5].voices[0] if event.pitches]  # bar 6
    bass = [pitch for voice in left[5].voices for event in voice for pitch in event.pitches]
    gaps = {a - b for a, b in zip(tune, bass, strict=True)}
    assert len(tune) >= 2 and len(gaps) == 1 and gaps <= set(SPACINGS), (tune, bass)  # an octave or two down
    for number in (4, 6, 7):  # chords under the struck note, and again before the close
        assert any(len(event.pitches) >= 2 for voice in left[number].voices for event in voice)


def test_a_piano_close_arpeggiates_its_dominant_over_a_held_bass_and_holds_the_tonic() -> None:
    """The bar before a free piano section's close keeps moving (it was a whole-bar block chord, and
    with a close per section six of sixteen bars stood still); the final chord is held."""
    key, length = parse_key("G major"), Fraction(4)
    right = [Bar(voices=[[Event(pitches=[pitch], duration=1.0) for pitch in (74, 72, 71, 69)]]) for _ in range(4)]
    left = [Bar(voices=[[Event(pitches=[43], duration=2.0), Event(pitches=[47], duration=2.0)]]) for _ in range(4)]
    closed_right, closed_left = close_on_cadence(right, left, key, Cadence.AUTHENTIC, length)
    assert closed_right[:3] == right[:3] and closed_left[:2] == left[:2]
    assert [e.duration for e in closed_right[3].voices[0]] == [4.0] and closed_right[3].pitches()[0] % 12 in {7, 11, 2}
    dominant = closed_left[2]
    bass = [voice for voice in dominant.voices if len(voice) == 1]
    moving = [voice for voice in dominant.voices if len(voice) > 1]
    assert bass and bass[0][0].pitches[0] % 12 == 2 and bass[0][0].duration == 4.0  # D held under the bar
    assert moving and len([e for e in moving[0] if e.pitches]) >= 6
    assert {p % 12 for p in dominant.pitches()} <= {2, 6, 9, 0}  # D7's tones only
    final = closed_left[3]
    assert len(final.voices) == 1 and len(final.voices[0]) == 1 and final.voices[0][0].duration == 4.0
    assert {p % 12 for p in final.pitches()} == {7, 11, 2} and min(final.pitches()) % 12 == 7


def test_a_piano_close_moves_into_its_last_note_where_the_bar_before_falls_silent() -> None:
    """The language model's lyrical pieces sang a half note and rested through the dominant's bar,
    and the left hand's arpeggio under the silence was heard as the tune, from G2 (session 39). A
    silence of a beat or more there is sung on the dominant's tone nearest the closing note; a
    shorter one (a breath) stays, as does the bar before a half close (no chord is fixed there)."""
    key, length = parse_key("G major"), Fraction(4)
    left = [Bar(voices=[[Event(pitches=[43], duration=2.0), Event(pitches=[47], duration=2.0)]]) for _ in range(4)]
    silent = Bar.line((74, 1.0), (72, 1.0), (None, 2.0))
    right = [Bar.line((74, 4.0)), Bar.line((72, 4.0)), silent, Bar.line((67, 4.0))]
    approached = approach_close(right, key, Cadence.AUTHENTIC, length)
    assert approached[:2] == right[:2] and approached[3] == right[3]
    *kept, approach = approached[2].voices[0]
    assert kept == silent.voices[0][:2] and approach.duration == 2.0
    (ending,) = close_on_cadence(approached, left, key, Cadence.AUTHENTIC, length)[0][3].pitches()
    (note,) = approach.pitches
    assert note % 12 in {2, 6, 9, 0} and note % 12 != ending % 12 and abs(note - ending) <= 2  # D7's, a step away
    breathing = [*right[:2], Bar.line((74, 1.0), (72, 2.5), (None, 0.5)), right[3]]
    assert approach_close(breathing, key, Cadence.AUTHENTIC, length) == breathing
    assert approach_close(right, key, Cadence.HALF, length) == right


def test_replayed_plans_give_every_piece_a_seed_of_its_own() -> None:
    """bench/compose_tools_quality.py --plans: ten plans replayed twice are twenty pieces with twenty
    seeds (with the same two seeds for every plan, the pieces shared their textures and compasses)."""
    bench = bench_module()
    plans = [bench.fixed_plan("waltz", "G major", number, 16) for number in range(10)]
    runs = bench.replay_runs(plans, 2)
    assert len(runs) == 20 and len({seed for _, _, seed in runs}) == 20
    assert [plan for plan, _, _ in runs[:4]] == [plans[0][0], plans[0][0], plans[1][0], plans[1][0]]
