"""The quality measure of issue 13: each feature on tiny pieces whose answer is known, the generated
and the music21 path agreeing, the overlapping area, and the cached reference sets."""

from __future__ import annotations

import math
import random
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from ontology.music import INSTRUMENTS, Bar, Part, Piece, Section
from tools.music.quality import references
from tools.music.quality.compare import compare
from tools.music.quality.features import NUMERIC_FEATURES, Cadence, PieceFeatures, is_tuplet, measure, outer_voice
from tools.music.quality.overlap import overlapping_area
from tools.music.quality.references import ReferenceDataError, ReferenceSet, beethoven_movements
from tools.music.quality.timeline import Timeline, timeline_from_piece, timeline_from_score
from tools.settings import Settings

Notes = tuple[int | None, float]


def piece(*parts: list[list[Notes]], key: str = "C major", meter: str = "4/4") -> Piece:
    """A piece of one-voice parts, each given as bars of (pitch or None, quarters)."""
    bars = max(len(part) for part in parts)
    instruments = [INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]]
    return Piece(title="test", key=key, meter=meter, tempo_bpm=80, instruments=instruments,
                 sections=[Section(id="s1", label="A", bars=bars)],
                 parts=[Part(id=f"p{n}", instrument=instruments[min(n, 1)].id,
                             bars=[Bar.line(*notes) for notes in part]) for n, part in enumerate(parts)])


def features(*parts: list[list[Notes]], **plan: str) -> PieceFeatures:
    return measure(timeline_from_piece(piece(*parts, **plan)))


C_SCALE = [[(60, 1), (62, 1), (64, 1), (65, 1)], [(67, 1), (69, 1), (71, 1), (72, 1)]]


def test_a_scale_is_all_steps_with_no_leaps_tuplets_or_rests() -> None:
    found = features(C_SCALE)
    assert found.step_share == 1.0
    assert found.leap_share == 0.0
    assert found.top_range == 12
    assert found.tuplet_share == 0.0
    assert found.rest_share == 0.0
    assert found.duration_entropy == 0.0  # every event a quarter
    assert found.notes_per_bar == 4.0
    assert found.out_of_key_share == 0.0
    assert found.neighbour_returns == 0.0


def test_a_line_circling_two_notes_returns_off_its_neighbours() -> None:
    # A G A A G A C: of five turns (A A G has no turn), A G A twice and G A G once return by a step;
    # G A A and A A G are not turns, A G A C's last turn (G A C) does not return
    circling = features([[(69, 1), (67, 1), (69, 1), (69, 1)], [(67, 1), (69, 1), (67, 1), (72, 1)]])
    assert circling.neighbour_returns == pytest.approx(3 / 5)
    assert features([[(60, 1), (64, 1), (60, 1), (64, 1)]]).neighbour_returns == 0.0  # thirds are no neighbours
    assert features([[(60, 1), (62, 1)]]).neighbour_returns == 0.0


def test_a_triplet_bar_has_tuplets_and_dotted_notes_do_not() -> None:
    found = features([[(60, 1 / 3), (62, 1 / 3), (64, 1 / 3), (65, 1), (67, 2)]])
    assert found.tuplet_share == pytest.approx(3 / 5)
    assert is_tuplet(Fraction(2, 3)) and is_tuplet(Fraction(1, 5))
    assert not is_tuplet(Fraction(3, 2)) and not is_tuplet(Fraction(3, 4)) and not is_tuplet(Fraction(4))


def test_leaps_over_an_octave_rests_and_duration_entropy() -> None:
    found = features([[(60, 1), (74, 1), (None, 1), (60, 1)]])
    assert found.leap_share == 1.0  # 60 -> 74 -> 60, the rest does not break the line
    assert found.step_share == 0.0
    assert found.rest_share == 0.25
    mixed = features([[(60, 1), (62, 1), (64, 2)]])
    assert mixed.duration_entropy == pytest.approx(-(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3))


def test_out_of_key_share_counts_notes_outside_the_scale() -> None:
    assert features([[(60, 1), (66, 1), (67, 1), (72, 1)]]).out_of_key_share == 0.25
    # the raised seventh belongs to a minor key
    assert features([[(57, 1), (68, 1), (69, 2)]], key="A minor").out_of_key_share == 0.0


def test_the_top_voice_skips_notes_under_a_held_melody_note() -> None:
    melody = [[(76, 4)]]
    accompaniment = [[(60, 1), (64, 1), (67, 1), (64, 1)]]
    timeline = timeline_from_piece(piece(melody, accompaniment))
    assert outer_voice(timeline, highest=True) == [(Fraction(0), 76)]
    assert [pitch for _, pitch in outer_voice(timeline, highest=False)] == [60, 64, 67, 64]


def test_parallel_fifths_between_the_outer_voices_are_counted_per_bar() -> None:
    fifths = features([[(72, 2), (74, 2)]], [[(65, 2), (67, 2)]])
    assert fifths.parallels_per_bar == 1.0
    falling = features([[(72, 2), (71, 2)]], [[(65, 2), (64, 2)]])
    assert falling.parallels_per_bar == 1.0
    contrary = features([[(72, 2), (74, 2)]], [[(65, 2), (55, 2)]])  # a fifth, then a twelfth by contrary motion
    assert contrary.parallels_per_bar == 0.0
    sixths = features([[(72, 2), (74, 2)]], [[(64, 2), (65, 2)]])
    assert sixths.parallels_per_bar == 0.0
    assert features(C_SCALE).parallels_per_bar == 0.0  # one line is one voice, not two in unison


def test_final_cadences_are_named_in_the_stated_key() -> None:
    melody = [[(64, 2), (67, 2)], [(71, 2), (72, 2)]]
    assert features(melody, [[(48, 4)], [(43, 2), (48, 2)]]).cadence is Cadence.AUTHENTIC  # G -> C
    assert features([[(64, 2), (67, 2)], [(69, 2), (67, 2)]],
                    [[(48, 4)], [(53, 2), (48, 2)]]).cadence is Cadence.PLAGAL  # F -> C
    assert features([[(64, 2), (67, 2)], [(72, 2), (71, 2)]],
                    [[(48, 4)], [(48, 2), (43, 2)]]).cadence is Cadence.HALF  # ends on G
    assert features(melody, [[(48, 4)], [(43, 2), (48, 2)]], key="A major").cadence is Cadence.OTHER


def test_the_heard_key_is_compared_with_the_stated_one() -> None:
    triad = [[(60, 1), (64, 1), (67, 1), (72, 1)], [(65, 1), (71, 1), (74, 1), (72, 1)]]
    assert features(triad, [[(48, 4)], [(43, 2), (48, 2)]]).key_established is True
    found = features(triad, [[(48, 4)], [(43, 2), (48, 2)]], key="F# minor")
    assert found.key_established is False
    assert found.heard_key == "C major"


def test_a_music21_score_and_the_same_piece_measure_alike() -> None:
    from music21 import chord, duration, key, meter, note, stream

    part = stream.Part()
    first = stream.Measure(number=1)
    first.append([meter.TimeSignature("4/4"), key.Key("C")])
    for pitch in (60, 62, 64):
        triplet = note.Note(pitch)
        triplet.duration = duration.Duration(Fraction(1, 3))
        first.append(triplet)
    first.append([note.Note(65, quarterLength=1), note.Rest(quarterLength=1), note.Note(67, quarterLength=1)])
    second = stream.Measure(number=2)
    second.append([chord.Chord([55, 59, 62, 65], quarterLength=2), chord.Chord([48, 52, 55, 60], quarterLength=2)])
    part.append([first, second])
    score = stream.Score([part])
    from_score = measure(timeline_from_score(score, "score"))
    generated = piece([[(60, 1 / 3), (62, 1 / 3), (64, 1 / 3), (65, 1), (None, 1), (67, 1)],
                       [(65, 2), (60, 2)]])
    generated.parts[0].bars[1].voices[0][0].pitches = [55, 59, 62, 65]
    generated.parts[0].bars[1].voices[0][1].pitches = [48, 52, 55, 60]
    from_piece = measure(timeline_from_piece(generated))
    assert from_score.model_dump(exclude={"name"}) == from_piece.model_dump(exclude={"name"})
    assert from_score.tuplet_share == pytest.approx(3 / 8)
    assert from_score.cadence is Cadence.AUTHENTIC


def test_a_pickup_sets_the_downbeat_and_an_opening_is_cut_after_whole_bars() -> None:
    from music21 import meter, note, stream

    part = stream.Part()
    pickup = stream.Measure(number=0)
    pickup.append([meter.TimeSignature("3/4"), note.Note(67, quarterLength=1)])
    part.append(pickup)
    for number in range(1, 4):
        bar = stream.Measure(number=number)
        bar.append(note.Note(60 + number, quarterLength=3))
        part.append(bar)
    timeline = timeline_from_score(stream.Score([part]), "tune", max_bars=2)
    assert timeline.downbeat == 1
    assert timeline.beat_length == 1
    assert [event.pitches for event in timeline.events] == [(67,), (61,), (62,)]
    assert timeline.key is None  # no Key written, so no key is stated


def test_the_overlap_of_a_distribution_with_itself_is_one_and_with_a_far_one_zero() -> None:
    values = [0.1, 0.15, 0.2, 0.22, 0.3, 0.31, 0.4]
    assert overlapping_area(values, values) == pytest.approx(1.0, abs=1e-3)
    assert overlapping_area(values, [v + 10 for v in values]) < 1e-3
    assert 0.2 < overlapping_area(values, [v + 0.1 for v in values]) < 0.95
    assert overlapping_area([0.0] * 5, [0.0] * 9) == 1.0  # no tuplets in either set
    assert overlapping_area([0.0] * 5, [0.4, 0.5, 0.45]) < 1e-3
    with pytest.raises(ValueError):
        overlapping_area([], values)


def test_comparison_reports_means_overlap_and_rates() -> None:
    chorale_like = features([[(64, 2), (67, 2)], [(71, 2), (72, 2)]], [[(48, 4)], [(43, 2), (48, 2)]])
    leaping = features([[(60, 1), (84, 1), (None, 1), (60, 1)]], key="A major")
    result = compare("chorale", [leaping, leaping], [chorale_like, chorale_like])
    leaps = next(row for row in result.features if row.feature == "leap_share")
    assert (leaps.generated_mean, leaps.reference_mean) == (1.0, 0.0)
    assert leaps.overlapping_area < 0.01
    assert result.reference_rates.cadences[Cadence.AUTHENTIC] == 1.0
    assert result.generated_rates.cadences[Cadence.AUTHENTIC] == 0.0
    assert result.reference_rates.key_established == 1.0


def test_beethoven_movements_are_chosen_from_their_kern_headers(tmp_path: Path) -> None:
    (tmp_path / "sonata01-2.krn").write_text("!!!OMD: Adagio\n**kern\t**kern\n*M3/4\t*M3/4\n")
    (tmp_path / "sonata01-3.krn").write_text("!!!OMD: MINUETTO\\nAllegretto\n**kern\n*M3/4\n")
    movements = beethoven_movements(tmp_path)
    assert [(m.path.stem, m.meter, references.is_slow(m)) for m in movements] == [
        ("sonata01-2", "3/4", True), ("sonata01-3", "3/4", False)]
    with pytest.raises(ReferenceDataError, match="GO_BEETHOVEN_DIR"):
        beethoven_movements(tmp_path / "missing")


def test_reference_features_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []

    def timelines(settings: Settings):
        built.append(1)
        yield timeline_from_piece(piece(C_SCALE))

    monkeypatch.setitem(references.REFERENCE_SETS, "chorale", ReferenceSet("chorale", "test", timelines))
    settings = Settings(cache_dir=tmp_path)
    first = references.reference_features("chorale", settings)
    again = references.reference_features("chorale", settings)
    assert first == again and len(built) == 1
    with pytest.raises(ReferenceDataError, match="choose one of"):
        references.reference_features("polka", settings)


def test_a_bach_chorale_is_stepwise_in_its_key_and_ends_authentically() -> None:
    from music21 import corpus

    found = measure(timeline_from_score(corpus.parse("bach/bwv269"), "bwv269"))
    assert isinstance(found, PieceFeatures)
    assert (found.key_established, found.cadence) == (True, Cadence.AUTHENTIC)
    assert found.tuplet_share == 0.0 and found.leap_share == 0.0 and found.step_share > 0.5


def test_timelines_know_their_length_in_bars() -> None:
    timeline: Timeline = timeline_from_piece(piece(C_SCALE, meter="4/4"))
    assert timeline.length_bars == 2.0
    assert timeline_from_piece(piece([[(60, 3)]], meter="6/8")).beat_length == Fraction(3, 2)


def test_a_constant_sample_borrows_the_other_samples_bandwidth() -> None:
    mostly_zero = [0.0] * 28 + [0.03, 0.035]
    assert overlapping_area([0.0, 0.0], mostly_zero) > 0.5
    spread = [0.0] * 16 + [0.06, 0.06, 0.12, 0.3]
    assert overlapping_area([0.031] * 10, spread) > 0.5  # constant, though its floating-point sigma is not 0
    assert overlapping_area([1 / 3] * 4, [1 / 3] * 3) == 1.0


def test_a_change_of_colour_on_the_final_root_does_not_hide_the_dominant_before_it() -> None:
    top, middle, bass = [[(74, 1), (72, 1), (72, 2)]], [[(71, 1), (67, 1), (67, 2)]], [[(55, 1), (51, 1), (52, 2)]]
    assert features(top, middle, bass).cadence is Cadence.AUTHENTIC  # G, C minor, C major


def test_the_bench_measures_session_folders_by_the_style_their_request_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    import json

    from tools.settings import REPO_ROOT

    spec = importlib.util.spec_from_file_location("compose_quality", REPO_ROOT / "bench" / "compose_quality.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    written = tmp_path / "written" / "piece.json"  # a piece that carries its style
    written.parent.mkdir()
    written.write_text(Piece(title="t", key="G major", meter="6/8", tempo_bpm=170, style="jig",
                             instruments=[INSTRUMENTS["violin"]], sections=[Section(id="a", label="A", bars=1)]
                             ).model_dump_json())
    assert bench.piece_style(written, Piece.model_validate_json(written.read_text())) == "jig"
    monkeypatch.setenv("GO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(references, "PIECES_PER_SET", 3)  # three chorales keep the test fast
    out = tmp_path / "quality.json"
    assert bench.main([str(REPO_ROOT / "examples" / "compose" / "chorale"), "--json", str(out)]) == 0
    [chorale] = json.loads(out.read_text())
    assert (chorale["style"], chorale["generated"], chorale["references"]) == ("chorale", 2, 3)
    assert {row["feature"] for row in chorale["features"]} == set(NUMERIC_FEATURES)


GROVES_OF_BLACKPOOL = """X: 21
T: The Groves of Blackpool
M: 6/8
L: 1/8
K:Cm
c/2-d/2 | e>de fdc | B G3zG | c>de fde | f3-f2 f |
(efg) fed | e c3zc | BAG FG=B | c3-c2 ||
"""
"""The second strain of O'Neill's 21 (music21's corpus, oneills1850), as the collection writes it."""


def test_a_jig_that_ends_on_a_dominant_outlined_by_root_and_third_ends_authentically() -> None:
    from music21 import converter

    real = measure(timeline_from_score(converter.parse(GROVES_OF_BLACKPOOL, format="abc"), "O'Neill 21"))
    assert real.cadence is Cadence.AUTHENTIC  # F G B | C: G7 without its fifth
    # a tune's V -> I in G major: D then F#, the dominant's root and its third (lowest), into G
    tune = piece([[(67, 1.5), (74, 1.0), (66, 0.5)], [(67, 3.0)]], key="G major", meter="6/8")
    assert measure(timeline_from_piece(tune)).cadence is Cadence.AUTHENTIC
    # an augmented triad is still heard where all three of its tones sound (D, B-flat, F#)
    augmented = piece([[(67, 1.5), (74, 0.5), (70, 0.5), (66, 0.5)], [(67, 3.0)]], key="G major", meter="6/8")
    assert measure(timeline_from_piece(augmented)).cadence is Cadence.OTHER


class _Always(random.Random):
    """A draw that always picks the same pieces."""

    def __init__(self, chosen: list[PieceFeatures]) -> None:
        super().__init__(0)
        self.chosen = chosen

    def sample(self, population, k, *, counts=None):  # type: ignore[override]
        return self.chosen[:k]


def test_the_ceiling_bench_counts_the_cells_a_draw_of_real_pieces_passes() -> None:
    """bench/compose_quality_ceiling.py: a draw of the whole set passes every cell, one of two pieces whose
    notes per bar lie far apart from the rest fails that cell, and a pool of generated pieces is drawn
    from and compared with the reference set, not with itself."""
    import importlib.util

    from tools.settings import REPO_ROOT

    spec = importlib.util.spec_from_file_location("ceiling", REPO_ROOT / "bench" / "compose_quality_ceiling.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    def piece(number: int, notes: float) -> PieceFeatures:
        return PieceFeatures(name=f"p{number}", tuplet_share=0.0, duration_entropy=1 + number / 10,
                             leap_share=0.01 * number, step_share=0.5, neighbour_returns=0.2, top_range=20 + number,
                             out_of_key_share=0.02, notes_per_bar=notes, rest_share=0.1, parallels_per_bar=0.0,
                             heard_key=None, key_established=None, cadence=Cadence.AUTHENTIC)

    pieces = [piece(number, 10 + number) for number in range(10)]
    passed = bench.cells_passed(10, {"chorale": pieces}, {"chorale": pieces}, random.Random(0))
    assert len(passed) == len(NUMERIC_FEATURES)
    outliers = [piece(4, 10.0 + number if number < 8 else 500.0 + number) for number in range(10)]
    passed = bench.cells_passed(2, {"chorale": outliers}, {"chorale": outliers}, _Always(outliers[8:]))
    assert len(passed) == len(NUMERIC_FEATURES) - 1 and ("chorale", "notes_per_bar") not in passed
    dense = [piece(number, 500.0 + number) for number in range(10)]
    passed = bench.cells_passed(10, {"chorale": dense}, {"chorale": pieces}, random.Random(0))
    assert len(passed) == len(NUMERIC_FEATURES) - 1 and ("chorale", "notes_per_bar") not in passed


def test_the_joins_bench_takes_the_top_voices_move_into_each_bar() -> None:
    """bench/compose_joins.py: the move into a bar runs from the top voice's last note before it (a
    held note, or the accompaniment where the tune rests) to its first note in it; a bar the piece
    does not reach is left out."""
    import importlib.util

    from tools.settings import REPO_ROOT

    spec = importlib.util.spec_from_file_location("joins", REPO_ROOT / "bench" / "compose_joins.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    tune = [[(72, 4)], [(67, 2), (None, 2)], [(79, 4)], [(74, 4)]]  # C5 | G4, rest | G5 | D5
    bass = [[(48, 4)], [(48, 2), (43, 2)], [(43, 4)], [(43, 4)]]
    moves = bench.moves_into(timeline_from_piece(piece(tune, bass)), [2, 3, 4, 9])
    assert moves == {2: -5, 3: 36, 4: -5}  # into bar 3 from the bass's G2 under the tune's rest


def test_the_chorale_bench_counts_slides_rocks_both_forms_and_hovering() -> None:
    """bench/chorale_voice_leading.py: a chromatic passing eighth is an out-of-key note reached and left
    by semitones one way (D D# E, E D# D); two chords alternating over four changes is a rock, and each
    further change that keeps alternating another; a voice singing C then C# within three notes in D minor
    sings both forms; a soprano of eight notes within a minor third hovers."""
    import importlib.util

    from ontology.music_theory import parse_key
    from tools.settings import REPO_ROOT

    spec = importlib.util.spec_from_file_location("voice_leading", REPO_ROOT / "bench" / "chorale_voice_leading.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    d_minor = parse_key("D minor")
    soprano = ((62, 1.0), (63, 0.5), (64, 0.5), (63, 0.5), (62, 1.0), (72, 1.0), (74, 1.0), (73, 1.0))
    chords = ((2, False), (9, False), (2, False), (9, False), (2, False), (1, True), (7, False))
    chorale = bench.Chorale(d_minor, 4.0, (soprano, ((60, 1.0),) * 3, ((55, 1.0),) * 3, ((50, 1.0),) * 3), chords)
    assert bench.chromatic_slides(chorale) == 2  # D D# E and E D# D: each D# an eighth between semitones
    assert bench.rocking(chorale) == 2  # D A D A, A D A D
    assert bench.both_forms(chorale) == 1  # C5 D5 C#5
    assert bench.hovering([73, 73, 74, 73, 73, 74, 73, 74, 77]) == (1, 2)  # the second window reaches F5
    counts = bench.counts([chorale])
    assert counts.diminished_sevenths == 25.0 and counts.soprano_below_e4 == 0.5
    assert counts.outside_the_key == 2 / 17  # the two D#s of seventeen notes
