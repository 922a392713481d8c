"""The neural section writer: conversions between the piano model's bars and the ontology, and
real sections from the shipped piano model and FF harmoniser that satisfy the ontology."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ontology.music import INSTRUMENTS, Bar, Cadence, Part, Piece, Section
from ontology.music_theory import parse_key, parse_meter
from ontology.music_validators import validate_piece
from tools.base import ToolInputError
from tools.music.analysis import top_line
from tools.music.harmony.chords import chord_index
from tools.music.neural_sections import (
    NeuralSectionTools,
    bars_to_segment,
    cadence_chords,
    melody_bars,
    segment_to_bars,
)
from tools.music.piano.tokens import Hand, Note, Segment
from tools.music.section_tools import SectionRequest


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


def test_block_chords_follow_the_harmony_and_symbols_change_only_with_it() -> None:
    d_minor, a_major = chord_index(2, "min"), chord_index(9, "maj")
    harmony, bars = NeuralSectionTools._chord_bars([d_minor, d_minor, a_major, a_major, a_major, d_minor], 2,
                                                   Fraction(3), Fraction(1))
    assert [(c.bar, c.beat, c.symbol) for c in harmony] == [(1, 1, "Dm"), (1, 3, "A"), (2, 3, "Dm")]
    assert [(e.pitches, e.duration) for e in bars[0].voices[0]] == [([50, 53, 57], 2.0), ([57, 61, 64], 1.0)]


def test_in_six_eight_chords_change_on_the_dotted_quarter_beat() -> None:
    d_minor, a_major = chord_index(2, "min"), chord_index(9, "maj")
    beat = parse_meter("6/8").beat_quarters
    harmony, bars = NeuralSectionTools._chord_bars([d_minor, a_major, a_major, d_minor], 2, Fraction(3), beat)
    assert beat == Fraction(3, 2) and [(c.bar, c.beat, c.symbol) for c in harmony] == [
        (1, 1, "Dm"), (1, 2.5, "A"), (2, 2.5, "Dm")]
    assert [e.duration for e in bars[0].voices[0]] == [1.5, 1.5] == [e.duration for e in bars[1].voices[0]]
    assert cadence_chords(parse_key("D minor"), Cadence.AUTHENTIC, 2, 2) == {1: chord_index(9, "dom7"),
                                                                            2: d_minor, 3: d_minor}


@pytest.fixture(scope="module")
def writer() -> NeuralSectionTools:
    return NeuralSectionTools()


@pytest.mark.parametrize("texture", ["piano", "melody_and_chords"])
def test_real_sections_fill_their_bars_stay_in_range_and_continue_the_last_ones(writer, texture) -> None:
    first = writer.realise(SectionRequest(bars=3, key="G major", meter="3/4", texture=texture, seed=2))
    second = writer.realise(SectionRequest(bars=2, key="G major", meter="3/4", texture=texture, seed=5,
                                           previous_right=first.right, previous_left=first.left))
    piece = Piece(title="t", key="G major", meter="3/4", tempo_bpm=90,
                  instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                  sections=[Section(id="a", label="A", bars=3), Section(id="b", label="B", bars=2, cadence="half")],
                  parts=[Part(id="rh", instrument="piano_right", bars=first.right + second.right),
                         Part(id="lh", instrument="piano_left", bars=first.left + second.left)])
    structural = {"bar_does_not_fill_meter", "note_out_of_range", "part_length_mismatch"}
    assert not [f for f in validate_piece(piece) if f.code in structural]
    assert first.harmony and first.harmony[0].bar == 1
    assert [call.tool for call in first.calls] == (
        ["generate_piano"] if texture == "piano" else ["generate_piano", "harmonise_melody"])


def test_meters_the_models_cannot_write_are_refused(writer) -> None:
    with pytest.raises(ToolInputError, match="5/4"):
        writer.realise(SectionRequest(bars=2, key="C major", meter="5/4", texture="piano"))


def test_cadence_chords_fix_the_close_of_the_section() -> None:
    from ontology.music_theory import parse_key
    from tools.music.neural_sections import cadence_chords

    fixed = cadence_chords(parse_key("D minor"), "authentic", bars=3, beats_per_bar=3)
    assert fixed == {5: chord_index(9, "dom7"), 6: chord_index(2, "min"), 7: chord_index(2, "min"),
                     8: chord_index(2, "min")}
    assert cadence_chords(parse_key("C major"), "half", bars=2, beats_per_bar=4) == {
        beat: chord_index(7, "maj") for beat in range(4, 8)}
    assert cadence_chords(parse_key("C major"), None, bars=2, beats_per_bar=4) == {}


def test_a_melody_and_chords_section_closes_on_its_cadence(writer) -> None:
    material = writer.realise(SectionRequest(bars=4, key="F major", meter="4/4", texture="melody_and_chords",
                                             cadence="authentic", seed=11))
    assert [c.symbol for c in material.harmony[-2:]] == ["C7", "F"] and material.harmony[-1].bar == 4


def test_a_piano_section_closes_on_its_cadence(writer) -> None:
    material = writer.realise(SectionRequest(bars=4, key="D minor", meter="3/4", texture="piano",
                                             cadence="authentic", seed=4))
    assert [c.symbol for c in material.harmony[-2:]] == ["A7", "Dm"] and material.harmony[-1].bar == 4
    assert len(material.right) == len(material.left) == 4


@pytest.mark.parametrize("texture", ["piano", "melody_and_chords"])
def test_a_variation_of_real_material_stays_near_it_and_closes_on_its_own_cadence(writer, texture) -> None:
    import numpy as np

    from ontology.music_theory import parse_key
    from tools.music.features import material_features
    from tools.music.section_tools import VariationSource
    from tools.music.variations import transpose_bars

    source = writer.realise(SectionRequest(bars=4, key="D minor", meter="3/4", texture=texture, seed=3,
                                           cadence="half"))
    plain = SectionRequest(bars=4, key="F major", meter="3/4", texture=texture, seed=11, cadence="authentic")
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
