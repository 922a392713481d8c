"""A pickup (anacrusis): the piece's field, its validators, its notation (MusicXML measure 0, a short
last measure, MIDI from 0), the timeline and listening counting bars from the first full bar, and
the jig's lead-in written by the pipeline's assembly, and a breathing line's lead-in into the section
after its half close."""

from __future__ import annotations

from pathlib import Path

import music21
import pytest
from pydantic import ValidationError

from ontology.core import at
from ontology.music import INSTRUMENTS, Bar, ChordEvent, Event, Part, Piece, Section
from ontology.music_drafts import facts_from_request
from ontology.music_styles import Style, style_spec
from ontology.music_theory import parse_key
from ontology.music_validators import validate_piece
from pipelines.compose_graph import Material, SectionParams, assemble
from tests.music_plans import piece_of
from tools.music.listening import hear, listen
from tools.music.quality.timeline import timeline_from_piece, timeline_from_score
from tools.music.render import piece_to_score, write_notation
from tools.music.scoreio import read_score
from tools.music.styles.pickup import bridge, cut_short, lead_in, lead_into, led_back

TUNE = [[(74, .5), (76, .5), (78, .5), (79, 1.5)], [(78, .5), (76, .5), (74, .5), (73, 1.5)],
        [(71, .5), (73, .5), (74, .5), (76, 1.5)], [(74, 2.5)]]
"""Four bars of a D major jig after an eighth's pickup (A), the last bar short by that eighth."""


def jig(bars: list[list[tuple[int | None, float]]] = TUNE, *, pickup: float = 0.5,
        pickup_notes: tuple[tuple[int | None, float], ...] = ((69, .5),)) -> Piece:
    return Piece(title="Pickup jig", key="D major", meter="6/8", style=Style.JIG, tempo_bpm=120, pickup=pickup,
                 instruments=[INSTRUMENTS["violin"]],
                 sections=[Section(id="a", label="A", bars=len(bars), cadence="authentic")],
                 parts=[Part(id="tune", instrument="violin", bars=[Bar.line(*bar) for bar in bars],
                             pickup_bar=Bar.line(*pickup_notes) if pickup_notes else None)],
                 harmony=[ChordEvent(bar=1, beat=1, symbol="D"), ChordEvent(bar=2, beat=1, symbol="A"),
                          ChordEvent(bar=4, beat=1, symbol="D")])


def test_a_pickup_is_shorter_than_a_bar_and_on_the_meters_grid(minuet: Piece) -> None:
    assert jig().pickup == 0.5 and Piece.model_validate(minuet.model_dump()).pickup == 0
    saved = minuet.model_dump()
    del saved["pickup"]
    for part in saved["parts"]:
        del part["pickup_bar"]
    assert Piece.model_validate(saved).pickup == 0  # a piece saved before pickups loads without one
    data = minuet.model_dump()  # 3/4: eighths
    assert Piece.model_validate({**data, "pickup": 1.5}).pickup == 1.5
    with pytest.raises(ValidationError, match="not shorter than a 3/4 bar"):
        Piece.model_validate({**data, "pickup": 3})
    with pytest.raises(ValidationError, match="off the 3/4 grid; use a multiple of 0.5"):
        Piece.model_validate({**data, "pickup": 0.25})
    with pytest.raises(ValidationError, match="off the 6/8 grid"):
        jig(pickup=0.3)


def test_the_pickup_bar_fills_the_pickup_and_the_last_bar_is_short_by_as_much() -> None:
    assert validate_piece(jig()) == []
    missing = validate_piece(jig(pickup_notes=()))
    assert [(f.code, f.path) for f in missing] == [("pickup_missing", "parts[0]")]
    wrong = validate_piece(jig(pickup_notes=((69, .5), (71, .5))))
    assert [(f.code, f.path) for f in wrong] == [("pickup_does_not_fit", "parts[0].pickup_bar")]
    full_last = validate_piece(jig([*TUNE[:3], [(74, 3)]]))
    assert [(f.code, f.path) for f in full_last] == [("bar_does_not_fill_meter", "parts[0].bars[3]")]
    assert "overfull: 3 quarters where 6/8 needs 2.5 after the pickup" in full_last[0].message
    unasked = validate_piece(jig([*TUNE[:3], [(74, 3)]], pickup=0))
    assert [f.code for f in unasked] == ["pickup_does_not_fit"]  # a pickup bar in a piece without a pickup
    high = jig(pickup_notes=((110, .5),))
    assert [(f.code, f.path) for f in validate_piece(high)] == [("note_out_of_range", "parts[0].pickup_bar")]


def test_musicxml_has_a_short_measure_0_and_a_short_last_measure_and_reads_back(tmp_path: Path) -> None:
    piece = jig()
    files = write_notation(piece, tmp_path)
    score = read_score(files.musicxml)
    measures = list(score.parts[0].getElementsByClass("Measure"))
    assert [(m.number, m.duration.quarterLength) for m in measures] == [(0, 0.5), (1, 3), (2, 3), (3, 3), (4, 2.5)]
    assert measures[0].paddingLeft == 2.5 and measures[-1].paddingRight == 0.5
    assert [(c.offset, c.figure) for c in score.parts[0].flatten().getElementsByClass("ChordSymbol")] == [
        (0.5, "D"), (3.5, "A"), (9.5, "D")]  # chord symbols stay on their bars' downbeats
    read_back = timeline_from_score(score.stripTies(), "read back")  # the last bar's 2.5 quarters are tied notes
    assert read_back.downbeat == timeline_from_piece(piece).downbeat == 0.5
    assert read_back.sounding() == timeline_from_piece(piece).sounding()
    midi = music21.converter.parse(files.midi).stripTies()
    assert [(n.offset, n.pitch.midi) for n in midi.flatten().notes][:3] == [(0, 69), (0.5, 74), (1, 76)]
    last = [(n.quarterLength, n.tie.type if n.tie else None) for n in measures[-1].getElementsByClass("Note")]
    assert last == [(1.5, "start"), (1.0, "stop")]  # O'Neill's "G3-G2": a dotted quarter tied to a quarter


def test_a_length_no_single_note_writes_is_tied_on_the_beat() -> None:
    from fractions import Fraction

    from tools.music.render import written_lengths

    dotted = Fraction(3, 2)
    assert written_lengths(Fraction(0), Fraction(5, 2), dotted) == [1.5, 1]  # 6/8: not a half tied to an eighth
    assert written_lengths(Fraction(0), Fraction(5, 2), Fraction(1)) == [2, 0.5]  # 4/4: the half bar stays clear
    assert written_lengths(Fraction(1, 2), Fraction(1, 2), dotted) == [0.5]
    assert written_lengths(Fraction(0), Fraction(3), dotted) == [3]  # a dotted half is one note


def test_a_piece_without_a_pickup_is_notated_as_before(minuet: Piece) -> None:
    measures = list(piece_to_score(minuet).parts[0].getElementsByClass("Measure"))
    assert [m.number for m in measures] == [1, 2, 3, 4] and measures[0].paddingLeft == 0


def test_the_timeline_and_the_listening_count_bars_from_the_first_full_bar() -> None:
    timeline = timeline_from_piece(jig())
    assert (timeline.downbeat, timeline.length_bars) == (0.5, 4.0)
    assert [float(e.onset) for e in timeline.events[:3]] == [0, 0.5, 1]
    leaping = jig([TUNE[0], [(78, .5), (76, .5), (74, .5), (76, .5), (78, .5), (64, .5)], *TUNE[2:]])
    heard = hear(leaping)  # the leap on bar 2's last eighth, 6 quarters from the first note: bar 2, not 3
    assert [(leap.bar, leap.semitones) for leap in heard.leaps] == [(1, 14)]
    assert heard.rest_share == 0  # the pickup bar is notes, not a bar with rests
    leap = next(f for f in listen(leaping) if f.code == "top_voice_leap")
    assert leap.location == at("parts", 0, "bars", 1) and leap.message.startswith("bar 2:")


def test_a_lead_in_comes_from_the_dominant_or_by_step_and_a_last_bar_is_cut_short() -> None:
    d_major, a_minor = parse_key("D major"), parse_key("A minor")
    register = (62, 86)
    assert lead_in(Bar.line((74, 1.5), (76, 1.5)), 0.5, d_major, register) == Bar.line((69, .5))  # A into D
    assert lead_in(Bar.line((62, 3)), 0.5, d_major, register) == Bar.line((69, .5))  # no room: the fifth above
    assert lead_in(Bar.line((78, 3)), 0.5, d_major, register) == Bar.line((76, .5))  # E into F#
    assert lead_in(Bar.line((69, 3)), 1.5, a_minor, register) == Bar.line((64, .5), (66, .5), (68, .5))
    assert lead_in(Bar.line((None, 3)), 0.5, d_major, register) == Bar.line((None, .5))
    assert cut_short(Bar.line((74, 1.5), (74, 1.5)), 0.5) == Bar.line((74, 1.5), (74, 1.0))
    assert cut_short(Bar.line((74, 2.5), (76, .5)), 1.5) == Bar.line((74, 1.5))


def test_a_jig_is_planned_with_an_eighths_pickup_and_assembled_with_its_lead_in() -> None:
    plan = {"title": "Pickup", "style": "jig", "key": "G major", "meter": "6/8", "tempo_bpm": 170,
            "sections": [{"label": "A", "share": 1, "key_relation": "home", "cadence": "authentic",
                          "character": "plain"}]}
    piece = piece_of(plan, facts_from_request("a jig in G major, 8 bars"))
    assert piece.pickup == style_spec(Style.JIG).pickup == 0.5 and piece.total_bars == 8
    reel = piece_of({**plan, "meter": "4/4"}, facts_from_request("a reel in G major, 8 bars"))
    assert reel.pickup == 0.5
    waltz = piece_of({**plan, "style": "waltz", "meter": "3/4"}, facts_from_request("a waltz, 8 bars"))
    assert waltz.pickup == 0
    strain = [Bar.line((67, 1.5), (71, 1.5))] + [Bar.line((74, .5), (72, .5), (71, .5), (69, 1.5))] * 2 + [
        Bar.line((67, 3))]
    sections = {section.id: SectionParams(seed=0, material=Material(right=strain, left=[], harmony=[]))
                for section in piece.sections}
    first_only = assemble(piece, {**sections, piece.sections[1].id: SectionParams(seed=0)})
    assert first_only.parts[0].pickup_bar == Bar.line((62, .5)) and first_only.parts[0].bars[-1] == strain[-1]
    whole = assemble(piece, sections)
    assert whole.parts[0].pickup_bar == Bar.line((62, .5))  # D, the dominant, into G
    assert whole.parts[0].bars[-1] == Bar(voices=[[Event(pitches=[67], duration=2.5)]])
    assert validate_piece(whole) == []


def test_a_strains_lead_in_leads_back_into_its_start() -> None:
    from tools.music.harmony.data import MelodyNote

    d_major, register = parse_key("D major"), (62, 86)
    close, lead = MelodyNote(9.0, 2.5, 74), [MelodyNote(11.5, 0.5, 73)]
    led = led_back(lead, close, MelodyNote(0.0, 0.5, 78), d_major, register)  # into F#: E, a step below
    assert [(n.onset, n.duration, n.pitch) for n in led] == [(11.5, 0.5, 76)]
    assert led_back(lead, close, MelodyNote(0.0, 0.5, 74), d_major, register)[0].pitch == 69  # into D: from A
    assert led_back(lead, close, MelodyNote(0.0, 0.5, 85), d_major, register) == lead  # B: too far from the close
    held, repeated = MelodyNote(9.0, 1.5, 74), [MelodyNote(10.5, 1.5, 74)]  # an inner strain's "d3 d3"
    run = led_back(repeated, held, MelodyNote(0.0, 0.5, 78), d_major, register)
    assert [(n.onset, n.duration, n.pitch) for n in run] == [(10.5, 0.5, 73), (11.0, 0.5, 74), (11.5, 0.5, 76)]
    moving = [MelodyNote(10.5, 1.0, 73), MelodyNote(11.5, 0.5, 76)]  # "d3 c2 e": it moves on, and stays
    assert led_back(moving, held, MelodyNote(0.0, 0.5, 78), d_major, register) == moving


def test_a_strain_that_closed_an_octave_above_its_start_falls_back_through_the_tonic_chord() -> None:
    """Twenty of sixty fixed-plan jigs closed a strain on the high tonic and leapt an octave into its
    repeat: no run of three eighths reaches from G5 to G4, the chord's tones do ("g3 dBA | G")."""
    from tools.music.harmony.data import MelodyNote

    g_major, register = parse_key("G major"), (62, 86)
    assert bridge(79, 67, 3, g_major, register) == [74, 71, 69]  # D5 B4 A4, each within a fourth
    assert bridge(67, 79, 3, g_major, register) == [71, 74, 78]  # climbing: B4 D5 F#5 into G5
    assert bridge(77, 69, 3, parse_key("F major"), register) == [74, 72, 70]  # one chord tone between: a scale
    assert bridge(79, 67, 1, g_major, register) is None  # one note cannot bridge an octave
    assert bridge(79, 67, 3, g_major, (70, 86)) is None  # A4 is under the register
    close, lead = MelodyNote(9.0, 1.5, 79), [MelodyNote(10.5, 1.0, 79), MelodyNote(11.5, 0.5, 78)]
    led = led_back(lead, close, MelodyNote(0.0, 0.5, 67), g_major, register)
    assert [(n.onset, n.duration, n.pitch) for n in led] == [(10.5, 0.5, 74), (11.0, 0.5, 71), (11.5, 0.5, 69)]



def test_a_breath_after_a_half_close_leads_into_the_next_section() -> None:
    g_major, register, beat = parse_key("G major"), (62, 93), 1.0
    close = Bar.line((74, 1.0), (69, 1.0), (None, 1.0))  # D, A (the half close), a beat's breath
    assert lead_into(close, Bar.line((67, 3.0)), beat, g_major, register) == Bar.line(
        (74, 1.0), (69, 1.0), (71, .5), (69, .5))  # from above into G: B A
    high = Bar.line((79, 1.0), (74, 1.0), (None, 1.0))
    assert lead_into(high, Bar.line((79, 3.0)), beat, g_major, register) == Bar.line(
        (79, 1.0), (74, 1.0), (76, .5), (78, .5))  # from below into G: E F#
    breath = Bar.line((74, 2.0), (None, 2.0))  # a nocturne's two beats: the first stays a breath
    assert lead_into(breath, Bar.line((79, 4.0)), beat, g_major, register) == Bar.line(
        (74, 2.0), (None, 1.0), (76, .5), (78, .5))
    far = Bar.line((93, 2.0), (None, 1.0))  # a sixth and more over the lead-in: it breathes on
    assert lead_into(far, Bar.line((67, 3.0)), beat, g_major, register) == far
    under = Bar(voices=[close.voices[0], [Event(pitches=[62], duration=3.0)]])  # a voice sounds in the breath
    assert lead_into(under, Bar.line((67, 3.0)), beat, g_major, register) == under
    assert lead_into(close, Bar.line((None, 1.0), (67, 2.0)), beat, g_major, register) == close
    assert lead_into(close, Bar.line((67, 3.0)), beat, g_major, (70, 93)) == close  # its A under the register
    over_a, over_g = Bar.line((45, 3.0)), Bar.line((43, 3.0))  # a V/V's bass A2 moving to the tonic's G2
    assert lead_into(close, Bar.line((67, 3.0)), beat, g_major, register, (over_a, over_g)) == Bar.line(
        (74, 1.0), (69, 1.0), (64, .5), (66, .5))  # not B A over A2 into G over G2 (octaves): E F# from below
    assert lead_into(close, Bar.line((67, 3.0)), beat, g_major, (65, 93), (over_a, over_g)) == close  # E4 won't fit
    assert lead_into(close, Bar.line((67, 3.0)), beat, g_major, register, (Bar.line((None, 3.0)), over_g)) == (
        Bar.line((74, 1.0), (69, 1.0), (71, .5), (69, .5)))  # nothing sounds under the lead-in: from above


def chord(*pitches: int) -> Bar:
    return Bar(voices=[[Event(pitches=list(pitches), duration=3.0)]])


def test_a_lead_in_sings_the_chord_still_held_under_it_not_its_semitone_neighbour() -> None:
    """A G major waltz's D major middle closes on A major (A C# E) and leads back into D: its rising lead-in
    takes C#, not the home key's C; where the chord's note breaks the step the lead-in is not sung."""
    g_major, d_major, beat = parse_key("G major"), parse_key("D major"), 1.0
    close = Bar.line((76, 2.0), (None, 1.0))  # E5, a beat's breath
    a_major, g_chord = chord(57, 61, 64), chord(55, 59, 62)
    assert lead_into(close, Bar.line((74, 3.0)), beat, g_major, (62, 76), (a_major, g_chord), d_major) == Bar.line(
        (76, 2.0), (71, .5), (73, .5))  # B C# into D (F# E from above is out of the register)
    assert lead_into(close, Bar.line((74, 3.0)), beat, g_major, (62, 76), (a_major, g_chord)) == Bar.line(
        (76, 2.0), (71, .5), (72, .5))  # told no other key for the close, its C is in G major
    a_minor, c_major = parse_key("A minor"), parse_key("C major")
    g_major_chord, a_minor_chord = chord(55, 59, 62), chord(57, 60, 64)
    low = Bar.line((67, 2.0), (None, 1.0))  # G4 before the return's A4, over G major: F# G# would rub on G
    assert lead_into(low, Bar.line((69, 3.0)), beat, a_minor, (62, 70), (g_major_chord, a_minor_chord),
                     c_major) == low
    assert lead_into(low, Bar.line((69, 3.0)), beat, a_minor, (62, 70), None, c_major) == Bar.line(
        (67, 2.0), (66, .5), (68, .5))  # nothing known under it: the melodic minor's steps


def test_a_waltz_is_assembled_with_the_lead_in_to_its_return_once_the_return_is_written() -> None:
    plan = {"title": "Lead", "style": "waltz", "key": "G major", "meter": "3/4", "tempo_bpm": 140,
            "sections": [{"label": "A", "share": 1, "key_relation": "home", "cadence": "half",
                          "character": "plain"},
                         {"label": "A", "share": 1, "key_relation": "home", "cadence": "authentic",
                          "character": "plain"}]}
    piece = piece_of(plan, facts_from_request("a waltz in G major, 8 bars"))
    first, second = piece.sections[0], piece.sections[-1]
    questions = [Bar.line((67, 3.0))] * (first.bars - 1) + [Bar.line((74, 1.0), (69, 1.0), (None, 1.0))]
    answer = [Bar.line((67, 3.0))] * second.bars
    written = {first.id: SectionParams(seed=0, material=Material(right=questions, left=[], harmony=[])),
               second.id: SectionParams(seed=0)}
    assert assemble(piece, written).parts[0].bars[first.bars - 1] == questions[-1]
    written[second.id] = SectionParams(seed=0, material=Material(right=answer, left=[], harmony=[]))
    assert assemble(piece, written).parts[0].bars[first.bars - 1] == Bar.line(
        (74, 1.0), (69, 1.0), (71, .5), (69, .5))
    assert written[first.id].material is not None and written[first.id].material.right == questions  # kept as written
