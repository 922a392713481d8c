"""Variations of earlier material: the feature vector, moving material between keys and lengths,
the candidate pool from the source to fresh material, and the choice on the SOM walk; plus the
ontology's rules for variations in a plan."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from ontology.music import INSTRUMENTS, Bar, Event, Part, Piece, Section, Variation
from ontology.music_styles import style_spec
from ontology.music_theory import parse_key
from ontology.music_validators import validate_piece
from tests.music_fakes import ScaleWriter
from tools.music.features import FEATURE_SIZE, FEATURE_SLICES, material_features
from tools.music.section_tools import SectionMaterial, SectionRequest, VariationSource
from tools.music.styles.phrases import phrase_cadences
from tools.music.styles.register_plan import last_top_note, section_windows
from tools.music.variations import (
    Candidate,
    candidate_pool,
    choose,
    fit_bars,
    kept_chords,
    moved_windows,
    new_bars_windows,
    octave_to_the_join,
    opening_notes,
    restate_in_another_octave,
    split_points,
    transpose_bars,
)

FOUR = Fraction(4)
D_MINOR = parse_key("D minor")


def phrase(shift: int = 0) -> tuple[list[Bar], list[Bar]]:
    """Two bars of a D minor tune over a bass, moved by `shift` semitones."""
    right = [Bar.line((62 + shift, 1), (65 + shift, 1), (69 + shift, 2)),
             Bar.line((67 + shift, 0.5), (65 + shift, 0.5), (64 + shift, 1), (None, 1), (61 + shift, 1))]
    left = [Bar.line((38 + shift, 4)), Bar.line((45 + shift, 2), (45 + shift, 2))]
    return right, left


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def test_the_feature_vector_hears_degrees_rhythm_and_register_and_ignores_transposition() -> None:
    right, left = phrase()
    vector = material_features(right, left, D_MINOR, FOUR)
    assert vector.shape == (FEATURE_SIZE,) and np.isfinite(vector).all()
    assert np.array_equal(vector, material_features(right, left, D_MINOR, FOUR))
    melody = vector[FEATURE_SLICES["melody_degrees"]]
    assert melody.sum() == pytest.approx(1) and melody.argmax() == 7  # A, the fifth of D, sounds longest
    # the same tune a tone higher, in E minor: only the register group moves
    moved = material_features(*phrase(2), parse_key("E minor"), FOUR)
    register = FEATURE_SLICES["register"]
    others = np.ones(FEATURE_SIZE, dtype=bool)
    others[register] = False
    assert np.allclose(vector[others], moved[others]) and not np.allclose(vector[register], moved[register])
    # new rhythm: same pitches, every note on the beat
    even = [Bar.line((62, 1), (65, 1), (69, 1), (69, 1)), Bar.line((67, 1), (65, 1), (64, 1), (61, 1))]
    rhythm = material_features(even, left, D_MINOR, FOUR)
    assert not np.allclose(vector[FEATURE_SLICES["onsets"]], rhythm[FEATURE_SLICES["onsets"]])
    silent = material_features([Bar.line((None, 4))], [Bar.line((None, 4))], D_MINOR, FOUR)
    assert np.isfinite(silent).all() and not silent.any()


def test_material_moves_between_keys_by_scale_degree_and_fits_any_length() -> None:
    right, _ = phrase()
    major = transpose_bars(right, D_MINOR, parse_key("F major"))
    # D F A | G F E - C# in D minor -> F A C | Bb A G - E in F major (the third becomes major, the
    # leading tone stays a leading tone)
    assert [bar.pitches() for bar in major] == [[65, 69, 72], [70, 69, 67, 64]]
    assert [bar.pitches() for bar in transpose_bars(right, D_MINOR, parse_key("A minor"))] == [
        [57, 60, 64], [62, 60, 59, 56]]
    assert transpose_bars(right, D_MINOR, D_MINOR) == right
    assert [bar.pitches() for bar in fit_bars(right, 3)] == [right[0].pitches(), right[1].pitches(),
                                                             right[0].pitches()]
    assert len(fit_bars(right, 1)) == 1
    assert split_points(8, closes=True) == [6, 4, 2] and split_points(4, closes=True) == [2, 1]
    assert split_points(2, closes=True) == [] and split_points(2, closes=False) == [1]


def varied_request(distance_: str, bars: int = 4, seed: int = 1202) -> SectionRequest:
    source = ScaleWriter().write(SectionRequest(bars=4, key="D minor", meter="4/4", style="free piano", seed=5))
    return SectionRequest(bars=bars, key="D minor", meter="4/4", style="free piano", cadence="authentic", seed=seed,
                          variation=VariationSource(section="s1", key="D minor", distance=distance_,
                                                    right=source.right, left=source.left))


def test_the_pool_spans_from_the_source_to_fresh_material() -> None:
    source, pool = candidate_pool(ScaleWriter(), varied_request("near", bars=4))
    assert [c.id for c in pool] == ["restate", "keep2_1", "keep2_2", "keep1_3", "keep1_4", "fresh0", "fresh1",
                                    "fresh2"]
    assert all(len(c.material.right) == len(c.material.left) == 4 for c in pool)
    keep = next(c for c in pool if c.id == "keep2_1")
    assert keep.material.right[:2] == source.right[:2] and keep.material.right[2:] != source.right[2:]
    assert keep.material.harmony[-1].bar == 4
    restate = pool[0].material
    assert restate.right == source.right and [c.tool for c in restate.calls] == ["scale_arranger"]


def statements(right: list[Bar], pair: list[Bar]) -> int:
    """How often the two bars `pair` are played in `right`, at any transposition, in the same rhythm."""
    def shape(bars: list[Bar]) -> tuple[list[list[float]], list[int]]:
        pitches = [pitch for bar in bars for pitch in bar.pitches()]
        return [[event.duration for event in bar.voices[0]] for bar in bars], [b - a for a, b in zip(
            pitches, pitches[1:], strict=False)]

    return sum(shape(right[first:first + 2]) == shape(pair) for first in range(len(right) - 1))


def test_a_free_pianos_return_states_its_opening_once_more_in_another_octave_never_twice() -> None:
    """Session 28's free piano 2 played its opening bars three times in 16: A' (8 bars) kept six
    bars of its 4-bar A looped, bars 1-2 again at 9-10 and an octave up at 13-14. A free piano's
    candidates keep at most the source's bars, the restatement in another octave, then new ones."""
    request = varied_request("near", bars=8)
    written = request.variation.right  # type: ignore[union-attr]
    source, pool = candidate_pool(ScaleWriter(), request)
    assert "restate" not in [c.id for c in pool]  # restating four bars in eight would loop them
    assert {c.id for c in pool if c.material.right[:1] != source.right[:1]} == {"fresh0", "fresh1", "fresh2"}
    for candidate in pool:
        assert statements(candidate.material.right, written[:2]) <= 1, candidate.id
    moved = {b - a for bar, before in zip(source.right[:4], written, strict=True)
             for a, b in zip(before.pitches(), bar.pitches(), strict=True)}
    assert moved in ({12}, {-12})  # the kept bars are the opening an octave away: A', not A
    wide = [Bar.line((57, 2), (89, 2))] * 4  # 57-89: neither octave fits the right hand's 55-96
    variation = request.variation.model_copy(update={"right": wide})  # type: ignore[union-attr]
    _, pool = candidate_pool(ScaleWriter(), request.model_copy(update={"variation": variation}))
    assert {c.id.split("_")[0] for c in pool if not c.fresh} == {"keep2"}  # in place, so half of it at most


@pytest.mark.parametrize("seed", [1202, 7, 40])
def test_nearer_distances_choose_material_nearer_the_source(seed: int) -> None:
    writer = ScaleWriter()
    chosen = {d: writer.realise(varied_request(d, seed=seed)) for d in ("restate", "near", "far")}
    source, pool = candidate_pool(ScaleWriter(), varied_request("near", seed=seed))

    def apart(material: SectionMaterial) -> float:
        return distance(material_features(material.right, material.left, D_MINOR, FOUR),
                        material_features(source.right, source.left, D_MINOR, FOUR))

    fresh = [apart(c.material) for c in pool if c.fresh]
    assert apart(chosen["restate"]) <= apart(chosen["near"]) <= apart(chosen["far"])
    assert apart(chosen["near"]) < np.mean(fresh)
    call = chosen["near"].calls[-1]
    assert call.tool == "som_variations" and call.arguments["source"] == "s1" and call.arguments["candidates"] == 8
    assert sum(c.tool == "scale_writer" for c in chosen["near"].calls) == 7  # 4 partial rewrites and 3 fresh


def test_a_variation_arranges_and_continues_the_tune_not_the_figures_sung_on_it() -> None:
    """A chorale's soprano sings figures on its tune (here a passing eighth, E, and a suspension, G
    held over F's beat); read back as tune, they were harmonised and decorated again in the A'. The
    writer is handed the tune to arrange and to continue from, under the lower voices as sung, and
    the bars a candidate keeps stay as they were sung."""
    class Recording(ScaleWriter):
        def __init__(self) -> None:
            super().__init__()
            self.arranged: list[list[Bar]] = []

        def arrange(self, request: SectionRequest, right: list[Bar], left: list[Bar]) -> SectionMaterial:
            self.arranged.append(right)
            return super().arrange(request, right, left)

    def sung(soprano: list[tuple[int, float]], alto: list[tuple[int, float]]) -> Bar:
        return Bar(voices=[[Event(pitches=[p], duration=d) for p, d in line] for line in (soprano, alto)])

    tune = [Bar.line((62, 1), (65, 1), (69, 2)), Bar.line((67, 1), (65, 1), (64, 2))]
    right = [sung([(62, 1), (65, 0.5), (67, 0.5), (69, 2)], [(57, 2), (60, 2)]),
             sung([(67, 1.5), (65, 0.5), (64, 2)], [(62, 2), (61, 2)])]
    left = [Bar(voices=[[Event(pitches=[50], duration=4)], [Event(pitches=[38], duration=4)]])] * 2
    writer = Recording()
    source, pool = candidate_pool(writer, SectionRequest(
        bars=4, key="D minor", meter="4/4", style="chorale", cadence="authentic", seed=3,
        variation=VariationSource(section="s1", key="D minor", distance="near", right=right, left=left, tune=tune)))
    (arranged,) = writer.arranged
    assert [bar.voices[0] for bar in arranged] == [bar.voices[0] for bar in tune + tune]
    assert [bar.voices[1] for bar in arranged] == [bar.voices[1] for bar in right + right], "the lower voices as sung"
    prompts = [bar.voices[0] for request in writer.requests for bar in request.previous_right]
    assert prompts and all(voice in (tune[0].voices[0], tune[1].voices[0]) for voice in prompts)
    assert source.right == right + right and source.tune == tune + tune
    kept = next(c for c in pool if c.id.startswith("keep2")).material
    assert kept.right[:2] == right


def test_new_bars_after_kept_ones_lead_back_to_the_sections_first_note_before_its_repeat() -> None:
    """A jig's B strain varied, then played again: the new bars close the section, so they lead back to
    its first note (the kept bars'), not to their own first note (the session 55 jig leapt 14 into its
    repeat); fresh candidates lead back to their own, as any section before its repeat."""
    writer = ScaleWriter()
    request = varied_request("near", bars=4).model_copy(update={"leads_back": True})
    source, pool = candidate_pool(writer, request)
    opening = next(max(e.pitches) for e in source.right[0].voices[0] if e.pitches)
    tails = [r for r in writer.requests if r.bars < 4]
    assert tails and all(r.leads_to == [opening] and not r.leads_back for r in tails)
    assert all(r.leads_back and r.leads_to == [] for r in writer.requests if r.bars == 4)
    plain = ScaleWriter()
    candidate_pool(plain, varied_request("near", bars=4))
    assert all(r.leads_to == [] and not r.leads_back for r in plain.requests)


def test_kept_bars_chords_are_named_in_the_sections_key() -> None:
    """A harmonised style's chromatic chord in kept bars is the harmoniser's, marked borrowed as it was
    (unmarked, the validators flagged 18 final versions of 100); a piano texture's G# is a passing tone."""
    right, left = [Bar.line((68, 4))], [Bar(voices=[[Event(pitches=[52, 59], duration=4)]])]  # G# over E-B
    chorale = kept_chords(right, left, FOUR, Fraction(1), D_MINOR, style_spec("chorale"))
    assert [(c.symbol, c.borrowed) for c in chorale] == [("E", True)]  # V of V
    assert [(c.symbol, c.borrowed) for c in kept_chords(right, left, FOUR, Fraction(1), D_MINOR,
                                                        style_spec("free piano"))] == [("Em", False)]


def test_candidates_too_alike_for_a_map_are_chosen_on_a_straight_line() -> None:
    class Monotone(ScaleWriter):
        def write(self, request: SectionRequest) -> SectionMaterial:
            bars = [Bar.line((74, 4))] * request.bars
            return SectionMaterial(right=bars, left=[Bar.line((38, 4))] * request.bars, harmony=[])

        def arrange(self, request, right, left):
            return None

    source = [Bar.line((62, 4))] * 4  # a free piano's restatement moves it to 74, where the writer writes
    material = Monotone().realise(SectionRequest(
        bars=4, key="D minor", meter="4/4", style="free piano", cadence="authentic",
        variation=VariationSource(section="s1", key="D minor", distance="far", right=source, left=source)))
    assert material.calls[-1].tool == "feature_line" and "span" in material.calls[-1].summary


def test_a_variation_must_vary_an_earlier_section_and_the_plan_names_it_by_position(
    compose_plan: dict[str, Any],
) -> None:
    from ontology.music_drafts import facts_from_request, plan_schema, sections_of
    from tests.music_plans import piece_of

    bars = [Bar.line((62, 4))] * 2
    piece = Piece(title="t", key="D minor", meter="4/4", tempo_bpm=60, length_bars=2,
                  instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                  sections=[Section(id="a", label="A", bars=1, variation=Variation(of="b")),
                            Section(id="b", label="B", bars=1, variation=Variation(of="a", distance="far"))],
                  parts=[Part(id="rh", instrument="piano_right", bars=bars),
                         Part(id="lh", instrument="piano_left", bars=bars)])
    found = [f for f in validate_piece(piece) if f.code == "variation_of_later_section"]
    assert [(f.path, f.owner) for f in found] == [("sections[0].variation.of", "Composer")]

    facts = facts_from_request("a piece in D minor, 12 bars")
    plan = {**compose_plan,
            "middle": [{**compose_plan["middle"][0], "variation": {"of": "previous", "distance": "far"}}],
            "closing": {**compose_plan["closing"], "variation": {"of": "opening", "distance": "restate"}}}
    plan_schema(facts).model_validate(plan)
    sections = piece_of({**plan, "sections": sections_of(plan)}, facts).sections
    assert [s.variation and (s.variation.of, s.variation.distance) for s in sections] == [
        None, ("s1", "far"), ("s1", "restate")]


def test_a_repeated_label_brings_its_section_back_when_the_plan_leaves_the_variation_open(
    compose_plan: dict[str, Any],
) -> None:
    from ontology.music_drafts import facts_from_request, sections_of
    from tests.music_plans import piece_of

    facts = facts_from_request("a piece in D minor, 12 bars")
    plan = {**compose_plan, "opening": {**compose_plan["opening"], "label": "A"},
            "middle": [{**compose_plan["middle"][0], "label": "B", "variation": None}],
            "closing": {**compose_plan["closing"], "label": "A'", "variation": None}}
    sections = piece_of({**plan, "sections": sections_of(plan)}, facts).sections
    assert [s.variation and (s.variation.of, s.variation.distance) for s in sections] == [
        None, None, ("s1", "near")]
    plan["closing"]["label"] = "a"
    assert piece_of({**plan, "sections": sections_of(plan)}, facts).sections[2].variation.distance == "restate"


@pytest.mark.parametrize("style", ["waltz", "nocturne"])
def test_a_tunes_return_states_a_shorter_source_once_then_goes_on(style: str) -> None:
    """Session 46: a nocturne's 4-bar A, looped through its 8-bar return, was heard three times in
    16 bars (the first 16 bars of 31 Beethoven slow movements: its opening never three times). A
    tune over an accompaniment returns in place, once, before a new consequent: no candidate loops
    it, and a near return keeps some of it."""
    request = varied_request("near", bars=8).model_copy(update={"style": style, "meter": "3/4"})
    written = ScaleWriter().write(SectionRequest(bars=4, key="D minor", meter="3/4", style=style, seed=5))
    variation = request.variation.model_copy(update={"right": written.right, "left": written.left})  # type: ignore[union-attr]
    source, pool = candidate_pool(ScaleWriter(), request.model_copy(update={"variation": variation}))
    assert source.right[:4] == written.right and "restate" not in [c.id for c in pool]
    assert {c.id.split("_")[0] for c in pool if not c.fresh} == {"keep4", "keep2"}
    for candidate in pool:
        assert statements(candidate.material.right, written.right[:2]) <= 1, candidate.id
    unlooped = candidate_pool(ScaleWriter(), request.model_copy(update={"variation": variation, "bars": 4}))[1]
    assert "restate" in [c.id for c in unlooped]  # a source as long as its return is still restated whole


def test_only_a_free_pianos_restatement_moves_an_octave_and_its_tune_moves_with_it() -> None:
    """A free piano's material carries its tune apart from its sung notes (`SectionMaterial.tune`),
    and a variation arranges the tune: left where it was, it would undo the octave the restatement
    moved to (session 36). A tune over an accompaniment, or a chorale, is restated where it was."""
    from ontology.music_styles import Style

    tune = [Bar.line((67, 1), (69, 1), (71, 1)), Bar.line((72, 3)), Bar.line((74, 1), (72, 1), (71, 1)),
            Bar.line((69, 2), (None, 1))]
    sung = [Bar(voices=[[Event(pitches=[64, 67], duration=1.0), *bar.voices[0][1:]]]) if number == 0 else bar
            for number, bar in enumerate(tune)]  # a second voice under its first note
    piano = style_spec(Style.FREE_PIANO)  # right hand 55-96: 64-74 fits an octave up, not down
    for seed in range(10):
        moved, moved_tune = restate_in_another_octave(sung, piano, seed, tune=tune)
        assert [bar.pitches() for bar in moved] == [[p + 12 for p in bar.pitches()] for bar in sung]
        assert [bar.pitches() for bar in moved_tune] == [[p + 12 for p in bar.pitches()] for bar in tune]
    assert restate_in_another_octave(sung, piano, 0)[1] == [], "no tune, none returned"
    for style in (Style.WALTZ, Style.NOCTURNE, Style.CHORALE):
        assert restate_in_another_octave(sung, style_spec(style), 0, tune=tune) == (sung, tune)


def test_a_free_pianos_moved_repeat_never_crosses_the_left_hand_it_keeps() -> None:
    from ontology.music_styles import Style, style_spec

    piano = style_spec(Style.FREE_PIANO)  # right hand 55-96: 67-74 fits an octave up and down
    tune = [Bar.line((67, 1), (69, 1), (71, 1), (72, 1)), Bar.line((74, 4)), Bar.line((72, 2), (71, 2)),
            Bar.line((69, 4))]
    restated = fit_bars(tune, 8)
    high_left = fit_bars([Bar.line((60, 4))] * 4, 8)  # a left hand up to middle C: 55-62 would cross it
    moved = [restate_in_another_octave(restated, piano, seed, high_left)[0] for seed in range(20)]
    assert all(bar.pitches() == [pitch + 12 for pitch in source.pitches()]
               for right in moved for bar, source in zip(right[4:], tune, strict=True))
    low_left = fit_bars([Bar.line((43, 4))] * 4, 8)  # far below: both octaves fit, and both are drawn
    shifts = {restate_in_another_octave(restated, piano, seed, low_left)[0][4].pitches()[0] - 67
              for seed in range(20)}
    assert shifts == {12, -12}
    for last, shift in ((84, 12), (50, -12)):  # after the middle's close: the octave nearer it, whatever the seed
        assert {restate_in_another_octave(restated, piano, seed, low_left, last=last)[0][4].pitches()[0] - 67
                for seed in range(20)} == {shift}


def test_a_reprises_new_bars_are_written_under_its_sections_plan() -> None:
    writer = ScaleWriter()
    request = varied_request("near", bars=8).model_copy(update={"place": (0.5, 1.0)})
    candidate_pool(writer, request)
    tails = [r for r in writer.requests if r.previous_right]
    assert tails and all(len(r.register_windows) == r.bars for r in tails)
    for tail in tails:
        kept = 8 - tail.bars
        planned = section_windows(style_spec(request.style).melody, request.model_copy(update={"variation": None}),
                                  D_MINOR.tonic, restated=kept)
        assert tail.register_windows == new_bars_windows(planned, kept, last_top_note(tail.previous_right),
                                                         phrase_cadences(8, request.cadence))
    assert all(not r.register_windows for r in writer.requests if not r.previous_right)


def test_a_free_pianos_near_return_keeps_some_of_its_source() -> None:
    """Without the looped candidates, the point a third of the way to fresh material lay nearest a
    fresh candidate in 4 of 10 bench free pianos: A' was all new bars, no return at all."""
    empty = SectionMaterial(right=[], left=[], harmony=[])
    pool = [Candidate("keep2_1", "A's first bars", empty), Candidate("fresh0", "new", empty, fresh=True),
            Candidate("fresh1", "newer", empty, fresh=True)]
    vectors = {"keep2_1": np.array([0.0, 3.0]), "fresh0": np.array([1.0, 0.0]), "fresh1": np.array([3.0, 0.0])}
    assert choose(np.zeros(2), vectors, pool, 0.35, 0)[0].id == "fresh0"
    assert choose(np.zeros(2), vectors, pool, 0.35, 0, returning=True)[0].id == "keep2_1"
    assert choose(np.zeros(2), vectors, pool[1:], 0.35, 0, returning=True)[0].fresh  # none keeps any: fresh it is


def test_a_near_or_far_variation_is_never_the_restatement() -> None:
    """The example jig of session 51 took its source restated for a near variation of its A strain (the
    point a third of the way along the walk lay nearest it) and played A four times; a restatement is the
    `restate` distance's, so near and far take the nearest other candidate, and restate still takes it."""
    empty = SectionMaterial(right=[], left=[], harmony=[])
    pool = [Candidate("restate", "A restated", empty), Candidate("keep2_1", "A's first bars", empty),
            Candidate("fresh0", "new", empty, fresh=True), Candidate("fresh1", "newer", empty, fresh=True)]
    vectors = {"restate": np.array([0.9, 0.0]), "keep2_1": np.array([2.0, 0.0]), "fresh0": np.array([2.5, 0.0]),
               "fresh1": np.array([3.0, 0.0])}
    assert choose(np.zeros(2), vectors, pool, 0.0, 0)[0].id == "restate"
    assert choose(np.zeros(2), vectors, pool, 0.35, 0)[0].id == "keep2_1"
    assert choose(np.zeros(2), vectors, pool, 0.35, 0, returning=True)[0].id == "keep2_1"
    assert choose(np.zeros(2), vectors, pool[:1] + pool[2:], 0.35, 0, returning=True)[0].id == "restate"


def test_a_variation_is_chosen_among_the_candidates_heard_in_its_key() -> None:
    """Session 43's chorale example: the feedback turn's near return kept its source's first bars and
    two new ones heard in F major, and the whole piece, in D minor, was heard in F major."""
    empty = SectionMaterial(right=[], left=[], harmony=[])
    pool = [Candidate("keep2_1", "A's first bars", empty), Candidate("keep1_2", "A's first bar", empty),
            Candidate("fresh0", "new", empty, fresh=True), Candidate("fresh1", "newer", empty, fresh=True)]
    vectors = {"keep2_1": np.array([1.0, 0.0]), "keep1_2": np.array([2.0, 0.0]), "fresh0": np.array([2.5, 0.0]),
               "fresh1": np.array([3.0, 0.0])}
    assert choose(np.zeros(2), vectors, pool, 0.35, 0)[0].id == "keep2_1"
    assert choose(np.zeros(2), vectors, pool, 0.35, 0, in_key={"keep1_2", "fresh1"})[0].id == "keep1_2"
    assert choose(np.zeros(2), vectors, pool, 0.35, 0, in_key=set())[0].id == "keep2_1"  # none in key: as before


def test_a_return_is_chosen_even_where_the_maps_neighbours_hold_none_that_keeps_its_source() -> None:
    """Review of session 29: the SOM lists a point's 20 nearest items; with more fresh candidates
    than that around the point, none that keeps the source was among them and `next` raised
    StopIteration. The choice falls back to the nearest on the straight line."""
    empty = SectionMaterial(right=[], left=[], harmony=[])
    fresh = [Candidate(f"fresh{index}", "new", empty, fresh=True) for index in range(24)]
    pool = [Candidate("keep2_1", "A's first bars", empty), *fresh]
    draw = np.random.default_rng(0)
    vectors = {"keep2_1": np.array([-40.0, 40.0])} | {c.id: draw.normal([5.0, 0.0], 1.0) for c in fresh}
    chosen, tool, _ = choose(np.zeros(2), vectors, pool, 0.6, 0, returning=True)
    assert (chosen.id, tool) == ("keep2_1", "feature_line")


def test_a_waltzs_return_starts_within_an_octave_of_the_section_before() -> None:
    """Merged bench waltz 3: the middle ended on D6 and the return restated its opening's C4, two
    octaves down (waltz 5: B5 to E4); 27 of sixty fixed-plan waltzes fell a tenth or more into their
    return. The restated tune moves an octave where its first note lies further than the line's
    largest leap in a phrase; one already within it stays in place."""
    from ontology.music_styles import Style

    spec = style_spec(Style.WALTZ)

    def bars(*pitches: int) -> list[Bar]:
        return [Bar(voices=[[Event(pitches=[pitch], duration=3.0)]]) for pitch in pitches]

    opening = bars(60, 64, 67, 76)  # C4 E4 G4 E5
    assert spec.melody.max_leap == 12
    assert octave_to_the_join(opening, bars(74, 86), spec) == 12  # after the climax's D6: from C5, a ninth under it
    assert octave_to_the_join(opening, bars(72, 74), spec) == 12  # after D5, a ninth over C4: C5
    assert octave_to_the_join(opening, bars(72, 71), spec) == 0  # B4 to C4: within reach
    assert octave_to_the_join(opening, bars(72, 72), spec) == 0  # C5 to C4: an octave, within reach
    assert octave_to_the_join(opening, bars(74, 86), style_spec(Style.FREE_PIANO)) == 0  # a free piano's own way


def test_the_notes_a_return_may_begin_on_are_its_sources_first_in_the_octaves_the_join_may_take() -> None:
    """What the section before a return is led toward (`SectionRequest.leads_to`): a waltz's tune in
    any octave that keeps it in its register (the return is met an octave nearer the join), a free
    piano's in the octaves its restatement may move to, else where it is, a chorale's where it is."""
    from ontology.music_styles import Style

    tune = [Bar.line((60, 1), (64, 1), (67, 1)), Bar.line((76, 3))]  # C4 E4 G4 | E5
    source = VariationSource(section="s1", key="C major", distance="near", right=tune, left=[], tune=tune)
    assert opening_notes(source, parse_key("C major"), 4, style_spec(Style.WALTZ)) == [60, 72]  # 48 is under it
    assert opening_notes(source, parse_key("G major"), 4, style_spec(Style.WALTZ)) == [67, 79]  # moved up to G
    assert opening_notes(source, parse_key("C major"), 4, style_spec(Style.CHORALE)) == [60]
    wide = [Bar.line((60, 4)), Bar.line((91, 4))]  # no octave fits a free piano's 55-96
    piano = VariationSource(section="s1", key="C major", distance="near", right=wide, left=[Bar.line((40, 4))] * 2)
    assert opening_notes(piano, parse_key("C major"), 4, style_spec(Style.FREE_PIANO)) == [60]


def test_a_variations_new_bars_set_out_from_its_kept_bars_last_note() -> None:
    from ontology.music import Cadence

    home = [(65, 78), (67, 80), (65, 78), (65, 78)]
    windows = [(71, 83), (75, 87), (79, 91), (71, 83), *home]  # an antecedent kept, a consequent planned at home
    ends = {3: Cadence.HALF, 7: Cadence.AUTHENTIC}
    assert new_bars_windows(windows, 4, 88, ends) == [(77, 90), (73, 86), (69, 82), (65, 78)]  # falls from E6
    assert new_bars_windows(windows, 4, 72, ends) == home  # a close in the first window: as planned
    assert new_bars_windows(windows, 4, None, ends) == home  # no note to set out from
    assert new_bars_windows(windows, 2, 60, ends) == windows[2:]  # its phrase peaks in its first new bar: kept
    assert new_bars_windows(windows, 4, 88, {}) == [(77, 90), (73, 86), (69, 82), (65, 78)]  # to the section's end


def test_new_bars_after_a_restatement_go_on_in_its_register_and_its_phrase() -> None:
    """The nocturne example of session 47 at first: its return, moved an octave up to meet the
    middle's high close, fell 17 semitones into new bars written under the plan's home windows; and
    new bars after the source's first two leapt into their first note as into a new phrase."""
    from ontology.music_styles import Style

    spec = style_spec(Style.WALTZ)  # melody 57-100
    assert moved_windows([(60, 72), (64, 76)], 12, spec) == [(72, 84), (76, 88)]
    assert moved_windows([(60, 72), (90, 98)], 12, spec) == [(72, 84), (92, 100)]  # kept whole in the register
    source = [Bar(voices=[[Event(pitches=[pitch], duration=3.0)]]) for pitch in (60, 64, 67, 64)]
    request = SectionRequest(bars=8, key="C major", meter="3/4", style="waltz", cadence="authentic", seed=3,
                             place=(0.5, 1.0), previous_right=[Bar(voices=[[Event(pitches=[86], duration=3.0)]])],
                             variation=VariationSource(section="s1", key="C major", distance="near", right=source,
                                                       left=[Bar.line((36, 3))] * 4))
    writer = ScaleWriter()
    candidate_pool(writer, request)
    tails = [r for r in writer.requests if r.bars < request.bars]
    assert tails and all(set(bar.pitches()) <= {72, 76, 79} for r in tails for bar in r.previous_right)  # 8va
    assert {r.bars: r.continues_phrase for r in tails} == {4: False, 6: True}  # after a phrase's end, inside one
    for tail in tails:
        planned = section_windows(spec.melody, request.model_copy(update={"variation": None}), 0,
                                  restated=8 - tail.bars)[8 - tail.bars:]
        assert tail.register_windows == moved_windows(planned, 12, spec)
