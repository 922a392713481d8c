"""Variations of an earlier section, chosen on a SOM: how a session's form returns to its material.

A variation is not one rewrite but a choice along a line. The pool spans from the source itself
(transposed into the new key, fitted to the new length, a free piano's perhaps in another octave,
finished by the writer's own `arrange`, which writes the planned cadence by construction; a source
shorter than its return is looped to fill it only where its texture repeats whole passages, not
`RESTATED_ONCE`), through partial rewrites (the source's first bars, then new bars that the writer
continues from them, several seeds), to fresh material from the writer. Every candidate is embedded
(`tools.music.features`); the SOM `VariationsTool` walks from the source's vector into the fresh
cluster, heading for the map cell of its candidate farthest from the source, and the candidate
nearest the point the requested distance names is the variation: restate at the start, near a third
of the way, far two thirds. (Heading for all the fresh candidates' cells instead stops at whichever
lies nearest, sometimes next to the source, and "far" would then mean little.) Every writer call
and the walk are logged.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ontology.music import Bar, Cadence, ChordEvent, Event, VariationDistance
from ontology.music_styles import StyleSpec, style_spec
from ontology.music_theory import OCTAVE, Key, Mode, parse_key, parse_meter
from tools.music.analysis import heard_keys, key_margin, label_chords, labels_in_key
from tools.music.features import material_features
from tools.music.piano.tokens import fit_to_piano
from tools.music.section_tools import (
    SectionMaterial,
    SectionRequest,
    SectionWriter,
    ToolCall,
    VariationSource,
    sung_as_tune,
)
from tools.music.som.som import SomInputError
from tools.music.som.tool import Item, VariationsRequest, VariationsTool
from tools.music.styles.phrases import CADENCE_BARS, phrase_cadences
from tools.music.styles.register_plan import (
    first_top_note,
    joined_windows,
    last_top_note,
    phrase_spans,
    section_windows,
)

logger = logging.getLogger(__name__)

RESTATED = "restate"
"""The id of the candidate that is the source itself, fitted and finished: a restatement. A near or far
variation takes it only where no partial rewrite is there to take (the example jig of session 51 took it
twice for a near variation, 35% of the way along the walk, and played its A strain four times)."""
SHARE_OF_PATH: dict[VariationDistance, float] = {
    VariationDistance.RESTATE: 0.0,
    VariationDistance.NEAR: 0.35,
    VariationDistance.FAR: 0.7,
}
"""Where on the walk from the source to fresh material each distance picks its candidate."""
FRESH_CANDIDATES = 3
SEEDS_PER_SPLIT = 2
PROMPT_BARS = 2
"""Bars of kept material a new ending continues from, as many as the session gives a section."""
RESTATED_ONCE = ("piano", "melody_and_accompaniment")
"""Textures whose returns state their source once at most and then go on: a free piano's elsewhere or
in part, a tune over an accompaniment where it was, before a new consequent (a nocturne's 4-bar A,
looped through its 8-bar return, was heard three times in 16 bars). A chorale may sing its source
twice, as a Bar form's Stollen is sung, and a fiddle tune play a strain twice."""
PATH_POINTS = 21
SEED_STRIDE = 7919
"""A prime step between the pool's seeds, so they do not coincide with the session's own seed steps."""

_MUTATION: dict[tuple[Mode, Mode], dict[int, int]] = {
    (Mode.MINOR, Mode.MAJOR): {3: 4, 8: 9, 10: 11},
    (Mode.MAJOR, Mode.MINOR): {4: 3, 9: 8},
}
"""Scale degrees (semitones above the tonic) that change when material moves between modes; the
leading tone stays, since a minor key's dominant needs it."""


@dataclass(frozen=True)
class Candidate:
    id: str
    description: str
    material: SectionMaterial
    fresh: bool = False


def transpose_bars(bars: list[Bar], source: Key, target: Key) -> list[Bar]:
    """`bars` moved from `source` into `target` by the nearest shift of tonic (at most a tritone),
    with the third, sixth and seventh adjusted when the mode changes (D minor -> F major keeps the
    tune's scale degrees, not its intervals)."""
    shift = (target.tonic - source.tonic + 6) % 12 - 6
    mutation = _MUTATION.get((source.mode, target.mode), {})
    if shift == 0 and not mutation:
        return [bar.model_copy(deep=True) for bar in bars]

    def move(pitch: int) -> int:
        moved = pitch + shift
        degree = (moved - target.tonic) % 12
        return fit_to_piano(moved + mutation.get(degree, degree) - degree)

    def event(item: Event) -> Event:
        return item.model_copy(update={"pitches": sorted({move(p) for p in item.pitches})})

    return [bar.model_copy(update={"voices": [[event(e) for e in voice] for voice in bar.voices]}) for bar in bars]


def into_register(right: list[Bar], left: list[Bar], tune: list[Bar],
                  spec: StyleSpec) -> tuple[list[Bar], list[Bar], list[Bar]]:
    """Transposed material moved by the octave that keeps most of its melody (the upper staff's first
    voice) inside the style's melody register: a tune moved from D major to B minor drops a third
    and would sit under a waltz's register. Four voices move together; a melody moves alone over its
    accompaniment; free piano keeps its place. The `tune` (`SectionMaterial.tune`) moves with its melody."""
    if spec.texture == "piano":
        return right, left, tune
    pitches = [p for bar in right for event in bar.voices[0] for p in event.pitches]
    if not pitches:
        return right, left, tune

    def inside(shift: int) -> int:
        return sum(spec.melody.lowest <= p + shift <= spec.melody.highest for p in pitches)

    shift = max((0, 12, -12), key=inside)  # ties keep the material where it is
    if shift == 0 or inside(shift) == inside(0):
        return right, left, tune
    moved = [transpose_by(bar, shift) for bar in right]
    return (moved, ([transpose_by(bar, shift) for bar in left] if spec.texture == "four_voices" else left),
            [transpose_by(bar, shift) for bar in tune])


def octave_to_the_join(right: list[Bar], previous: Sequence[Bar], spec: StyleSpec) -> int:
    """The octave (0, up or down) that moves a melody over an accompaniment nearer the `previous`
    bars' last note, where its first note lies more than the line's `max_leap` from it and the moved
    melody stays in the register: a waltz's return restated its opening's C4 straight after its
    middle's D6 (bench waltz 3, bars 8-9, and waltz 5, B5 to E4), two octaves no phrase of the line
    may leap; and a return a tenth or more under its middle's half close (27 of sixty fixed-plan
    waltzes fell 14-19 semitones into it, where Beethoven's triple-time movements move 3 semitones
    on average into bar 9, 2 of 24 more than a fifth) is met there, where the breath before it can
    lead into it (`pickup.lead_into`)."""
    first, last = first_top_note(right), last_top_note(previous)
    if spec.texture != "melody_and_accompaniment" or first is None or last is None:
        return 0
    if abs(first - last) <= spec.melody.max_leap:
        return 0
    return min(octave_shifts(right, [], spec), key=lambda shift: abs(first + shift - last), default=0)


def octave_shifts(right: Sequence[Bar], left: Sequence[Bar], spec: StyleSpec) -> list[int]:
    """The octaves a restatement's upper staff may be moved by where it meets the line before it: a
    melody over an accompaniment where it stays in the melody's register (`octave_to_the_join`,
    unmoved among them where it fits); a free piano's up or down where it fits and stays above its
    own `left` hand, which is kept as it was (`restate_in_another_octave`); none where neither fits,
    and none for the other textures, which restate their source where it was."""
    pitches = [pitch for bar in right for event in bar.voices[0] for pitch in event.pitches]
    if spec.texture not in ("melody_and_accompaniment", "piano") or not pitches:
        return []

    def above_left(shift: int) -> bool:  # the kept left hand must stay under the moved right hand, bar by bar
        return all(min(bar.pitches(), default=128) + shift > max(under.pitches(), default=-1)
                   for bar, under in zip(right, left, strict=False))

    tried = (0, OCTAVE, -OCTAVE) if spec.texture == "melody_and_accompaniment" else (OCTAVE, -OCTAVE)
    return [shift for shift in tried
            if spec.melody.lowest <= min(pitches) + shift and max(pitches) + shift <= spec.melody.highest
            and (spec.texture != "piano" or above_left(shift))]


def opening_notes(variation: VariationSource, key: Key, bars: int, spec: StyleSpec) -> list[int]:
    """The top notes a section of `bars` bars in `key` varying `variation` may begin on: its source's
    first note as restated there, in each octave the join may move the restatement to (`octave_shifts`;
    where none fits, the note as it is), so the section before it can lead its line there
    (`register_plan.leading_windows`)."""
    right, left, _ = fitted_source(variation, key, bars, spec)
    first = first_top_note(right)
    if first is None:
        return []
    return [first + shift for shift in octave_shifts(right, left, spec) or [0]]


def fitted_source(variation: VariationSource, key: Key, bars: int,
                  spec: StyleSpec) -> tuple[list[Bar], list[Bar], list[Bar]]:
    """The source's upper staff, lower staff and tune transposed into `key`, fitted to `bars` bars
    (looped where shorter) and moved into its style's melody register (`into_register`)."""
    source_key = parse_key(variation.key)
    right = fit_bars(transpose_bars(variation.right, source_key, key), bars)
    left = fit_bars(transpose_bars(variation.left, source_key, key), bars)
    given = variation.tune if len(variation.tune) == len(variation.right) else []
    tune = fit_bars(transpose_bars(given, source_key, key), bars)
    return into_register(right, left, tune, spec)


def moved_windows(windows: Sequence[tuple[int, int]], shift: int, spec: StyleSpec) -> list[tuple[int, int]]:
    """Register windows moved by `shift`, each kept whole inside the style's melody register: the
    new bars after a restatement moved toward the join go on in the register it was moved to (the
    nocturne example's return, moved an octave up, fell 17 semitones into new bars planned at home)."""
    moved = []
    for low, high in windows:
        width = high - low
        start = max(spec.melody.lowest, min(low + shift, spec.melody.highest - width))
        moved.append((start, start + width))
    return moved


def new_bars_windows(windows: Sequence[tuple[int, int]], kept: int, last: int | None,
                     phrase_ends: Mapping[int, Cadence]) -> list[tuple[int, int]]:
    """The windows of the bars a variation writes after its first `kept` ones (`windows` the whole
    section's), setting out from the kept bars' `last` note (`register_plan.joined_windows`) over
    the phrase they begin or go on with: a nocturne's reprise whose kept antecedent closed high (E6,
    its approach leaping up to it) began its new consequent at home under it (bench nocturne 3: E6 to
    B4; sixty fixed-plan nocturnes moved more than a fifth into bar 13 twelve times, Beethoven's slow
    movements three in 31)."""
    new = windows[kept:]
    if last is None or not new:
        return list(new)
    first_phrase = phrase_spans(len(new), [end - kept for end in phrase_ends if end >= kept])[0]
    return list(joined_windows(new, last, first_phrase[1] + 1))


def transpose_by(bar: Bar, semitones: int) -> Bar:
    def moved(event: Event) -> Event:
        return event.model_copy(update={"pitches": [pitch + semitones for pitch in event.pitches]})

    return bar.model_copy(update={"voices": [[moved(event) for event in voice] for voice in bar.voices]})


def fit_bars(bars: list[Bar], count: int) -> list[Bar]:
    """The first `count` bars, the source repeated from its start where it is shorter (none of none:
    a style written on one staff has no lower staff to fit)."""
    return [bars[i % len(bars)].model_copy(deep=True) for i in range(count)] if bars else []


def kept_chords(right: list[Bar], left: list[Bar], bar_length: Fraction, slot: Fraction, key: Key,
                spec: StyleSpec) -> list[ChordEvent]:
    """The chords of bars kept from an earlier section, named from their notes one per `slot`
    quarters at most, in the section's `key` (`labels_in_key`: a harmonised style's chromatic chords
    are the harmoniser's, marked borrowed; a piano texture's chromatic tones are passing ones)."""
    return labels_in_key(label_chords([right, left], bar_length, slot), key,
                         chromatic_harmony=spec.texture != "piano")


def splice(right: list[Bar], left: list[Bar], tune: list[Bar], tail: SectionMaterial, kept_harmony: list[ChordEvent]
           ) -> SectionMaterial:
    """Kept bars, with their chords (`kept_chords`), followed by a writer's new ones; the kept bars'
    `tune` followed by the new ones' (none where either has none)."""
    kept = len(right)
    harmony = list(kept_harmony)
    for chord in tail.harmony:
        if harmony and chord.bar == 1 and chord.beat == 1 and harmony[-1].symbol == chord.symbol:
            continue  # the chord goes on over the join
        harmony.append(chord.model_copy(update={"bar": chord.bar + kept}))
    return SectionMaterial(right=right + tail.right, left=left + tail.left, harmony=harmony, calls=tail.calls,
                           tune=tune + tail.tune if tune and tail.tune else [])


def restate_in_another_octave(right: list[Bar], spec: StyleSpec, seed: int, left: Sequence[Bar] = (),
                              tune: list[Bar] | None = None, last: int | None = None) -> tuple[list[Bar], list[Bar]]:
    """A free piano's restatement (`fit_bars`' right hand) moved an octave up or down from its first
    bar, whenever an octave fits its register and stays above its own `left` hand, which is kept as
    it was: its candidates keep no more than the source's bars (`split_points`), so a return is the
    opening in another register before new bars, not the opening again and then its first bars a
    third time (session 28: bars 1-2 at bars 9-10 and 13-14). Where no octave fits, it stays (and its
    candidates keep at most half the source). Where both octaves fit, the one whose first note lies
    nearer the `last` note before it (the join: the section before leads its line toward the return,
    `opening_notes`); by the seed where that is unknown or a tie. The section's `tune`
    (`SectionMaterial.tune`, the melody before the figures sung on it) moves with it, or a variation
    would arrange the tune where it was: returned with the right hand. Other textures restate their
    source where it was."""
    tune = tune or []
    fitting = octave_shifts(right, left, spec) if spec.texture == "piano" else []
    if not fitting:
        return right, tune
    shift = random.Random(seed).choice(fitting)
    first = first_top_note(right)
    if last is not None and first is not None:
        shift = min(fitting, key=lambda octave: (abs(first + octave - last), octave != shift))
    return [transpose_by(bar, shift) for bar in right], [transpose_by(bar, shift) for bar in tune]


def split_points(bars: int, closes: bool, longest: int | None = None) -> list[int]:
    """How many of the source's bars partial rewrites keep: three quarters, half and a quarter of
    the section, leaving the writer the bars its cadence needs, and keeping at most `longest` (the
    source's length where its texture restates it once, `RESTATED_ONCE`: its partial rewrites never
    loop the source)."""
    most = min(bars - (CADENCE_BARS if closes else 1), bars if longest is None else longest)
    wanted = {round(bars * 3 / 4), round(bars / 2), round(bars / 4)}
    return sorted({min(k, most) for k in wanted if k >= 1 and most >= 1}, reverse=True)


def candidate_pool(writer: SectionWriter, request: SectionRequest) -> tuple[SectionMaterial, list[Candidate]]:
    """The source fitted to the request (the walk's start) and the candidates from it to fresh material."""
    variation = request.variation
    if variation is None:
        raise ValueError("candidate_pool needs a request with a variation")
    plain = request.model_copy(update={"variation": None})
    key, meter = parse_key(request.key), parse_meter(request.meter)
    spec = style_spec(request.style)
    bar_length, chord_slot = meter.bar_quarters, spec.chord_slot(meter)
    right, left, tune = fitted_source(variation, key, request.bars, spec)
    joined = octave_to_the_join(right, request.previous_right, spec)
    right, tune = [transpose_by(bar, joined) for bar in right], [transpose_by(bar, joined) for bar in tune]
    last = last_top_note(request.previous_right)
    moved, tune = restate_in_another_octave(right, spec, request.seed, left, tune, last)
    longest = None
    if spec.texture in RESTATED_ONCE:
        longest = len(variation.right)
        if spec.texture == "piano" and moved == right:
            longest = max(1, longest // 2)
    looped = longest is not None and len(variation.right) < request.bars
    right = moved
    sung = sung_as_tune(right, tune)
    source = SectionMaterial(right=right, left=left, tune=tune,
                             harmony=kept_chords(right, left, bar_length, chord_slot, key, spec))
    pool: list[Candidate] = []
    arranged = None if looped else writer.arrange(plain, sung, left)
    if arranged is not None:
        pool.append(Candidate(RESTATED, f"{variation.section} restated, finished by the writer", arranged))
    elif request.cadence is None and not looped:
        pool.append(Candidate(RESTATED, f"{variation.section} restated", source))
    slot = 0
    start, end = request.place
    phrase_ends = phrase_cadences(request.bars, request.cadence)
    opening = first_top_note(sung)
    # new bars after kept ones close the section: before its own repeat (a jig's varied strain played
    # again), they lead back to the section's first note, which is the kept bars', not their own
    leading = {"leads_to": [opening], "leads_back": False} if request.leads_back and opening is not None else {}
    for kept in split_points(request.bars, request.cadence is not None, longest):
        windows = new_bars_windows(moved_windows(section_windows(spec.melody, plain, key.tonic, restated=kept),
                                                 joined, spec), kept, last_top_note(sung[:kept]), phrase_ends)
        for _ in range(SEEDS_PER_SPLIT):
            slot += 1
            seed = request.seed + SEED_STRIDE * (FRESH_CANDIDATES + slot)
            tail = writer.write(plain.model_copy(update={  # the new bars keep the section's plan, climax and all
                "bars": request.bars - kept, "seed": seed,
                "place": (start + (end - start) * kept / request.bars, end), "register_windows": windows,
                "previous_right": sung[:kept][-PROMPT_BARS:], "previous_left": left[:kept][-PROMPT_BARS:],
                "continues_phrase": kept - 1 not in phrase_ends, **leading}))
            pool.append(Candidate(f"keep{kept}_{slot}", f"first {kept} bars of {variation.section}, then new ones "
                                  f"(seed {seed})", splice(right[:kept], left[:kept], tune[:kept], tail, kept_chords(
                                      right[:kept], left[:kept], bar_length, chord_slot, key, spec))))
    for index in range(FRESH_CANDIDATES):
        seed = request.seed + SEED_STRIDE * index
        pool.append(Candidate(f"fresh{index}", f"new material (seed {seed})",
                              writer.write(plain.model_copy(update={"seed": seed})), fresh=True))
    return source, pool


def choose(source: np.ndarray, vectors: dict[str, np.ndarray], pool: list[Candidate], share: float,
           seed: int, returning: bool = False, in_key: Collection[str] | None = None) -> tuple[Candidate, str, str]:
    """The candidate nearest the point `share` of the way along the SOM walk from `source` to the
    freshest candidate (`returning`: the nearest that keeps some of the source, where one does, so
    a return is heard as one; `in_key`: the ids of the candidates heard in the section's key, the
    only ones chosen where there are any); with the tool's name and how the point was found."""
    heard = [candidate for candidate in pool if in_key is None or candidate.id in in_key] or pool
    if share > 0 and any(not c.fresh and c.id != RESTATED for c in heard):  # near or far: not the source as it was
        heard = [candidate for candidate in heard if candidate.id != RESTATED]
    by_id = ({candidate.id: candidate for candidate in heard if not (returning and candidate.fresh)}
             or {candidate.id: candidate for candidate in heard})
    target = max((c for c in pool if c.fresh), key=lambda c: float(np.linalg.norm(vectors[c.id] - source)))
    items = [Item(id="source", name="the source, fitted", vector=source.tolist())] + [
        Item(id=c.id, name=c.description[:200], vector=vectors[c.id].tolist()) for c in pool]
    try:
        result = VariationsTool()(VariationsRequest(
            items=items, start="source", target_items=[target.id], points=PATH_POINTS,
            neighbours=min(20, len(items)), seed=seed % 2**31))
    except SomInputError as exc:  # candidates too alike to lay out on a map: the same walk, as a straight line
        logger.info("variation candidates do not span a map (%s); choosing on the straight line", exc)
        return (on_line(source, vectors[target.id], vectors, by_id.values(), share), "feature_line",
                f"on the straight line in feature space to {target.id} ({exc})")
    point = result.points[round(share * (len(result.points) - 1))]
    chosen = next((by_id[n.id] for n in point.neighbours if n.id in by_id), None)
    if chosen is None:  # the point's neighbours the tool lists hold none that may be chosen (a pool past 20)
        logger.info("no choosable candidate among MUSIC step %d's neighbours; choosing on the straight line",
                    point.step)
        return (on_line(source, vectors[target.id], vectors, by_id.values(), share), "feature_line",
                f"on the straight line in feature space to {target.id} (none of MUSIC step {point.step}'s "
                "neighbours could be chosen)")
    return chosen, "som_variations", (f"at MUSIC step {point.step} of {result.total_steps} toward {target.id} "
                                      f"(cell {point.cell} of a {result.map.rows}x{result.map.cols} map)")


def on_line(source: np.ndarray, target: np.ndarray, vectors: dict[str, np.ndarray],
            candidates: Iterable[Candidate], share: float) -> Candidate:
    """The candidate nearest the point `share` of the way from `source` to `target` in feature
    space: the walk where the map cannot be used."""
    point = source + share * (target - source)
    return min(candidates, key=lambda c: float(np.linalg.norm(vectors[c.id] - point)))


def realise_variation(writer: SectionWriter, request: SectionRequest) -> SectionMaterial:
    """A variation of `request.variation` at its distance, written by `writer` and chosen on a SOM."""
    variation = request.variation
    if variation is None:
        raise ValueError("realise_variation needs a request with a variation")
    key, bar_length = parse_key(request.key), parse_meter(request.meter).bar_quarters
    source, pool = candidate_pool(writer, request)
    started = time.perf_counter()
    vectors = {c.id: material_features(c.material.right, c.material.left, key, bar_length) for c in pool}
    start = material_features(source.right, source.left, key, bar_length)
    share = SHARE_OF_PATH[variation.distance]
    # without looped candidates, 4 of 10 bench free pianos took all-new bars for their near return
    returning = style_spec(request.style).texture in RESTATED_ONCE and variation.distance != VariationDistance.FAR
    # a variation is heard in its key as any section is: a chorale's near return, its first bars kept and two
    # new ones after them, was heard in F major, not D minor, and pulled the whole piece there
    keys = heard_keys(key, request.cadence)
    in_key = {c.id for c in pool if key_margin([c.material.right, c.material.left], bar_length, keys) > 0}
    chosen, tool, how = choose(start, vectors, pool, share, request.seed, returning, in_key)
    apart = float(np.linalg.norm(vectors[chosen.id] - start))
    fresh = float(np.mean([np.linalg.norm(vectors[c.id] - start) for c in pool if c.fresh]))
    summary = (f"{chosen.id}: {chosen.description}; picked {share:.0%} of the way from {variation.section} to new "
               f"material, {how}; feature distance to the source {apart:.2f} (new material {fresh:.2f})")
    logger.info("variation of %s (%s): %s", variation.section, variation.distance, summary)
    call = ToolCall(tool=tool, seconds=round(time.perf_counter() - started, 2), summary=summary[:500],
                    arguments={"source": variation.section, "distance": variation.distance.value, "share": share,
                               "candidates": len(pool), "fresh": FRESH_CANDIDATES, "points": PATH_POINTS,
                               "seed": request.seed})
    calls = [c for candidate in pool for c in candidate.material.calls]
    return chosen.material.model_copy(update={"calls": [*calls, call]})
