"""The music tools alone against real music: fixed plans per style, no language model.

    python bench/compose_tools_quality.py                       # 5 pieces per style, 16 bars
    python bench/compose_tools_quality.py --styles jig waltz -n 10 --json out/tools-quality.json
    python bench/compose_tools_quality.py --styles chorale -n 2 --scores out/tools-scores   # and look at them
    python bench/compose_tools_quality.py --styles jig --meter 4/4 -n 5   # reels (against the 6/8 jigs)
    python bench/compose_tools_quality.py --plans examples/compose -n 3   # the Composer's own plans, replayed

A session's quality has two authors: the Composer's plan (a small model's choices of form, keys and
cadences) and the tools that write the notes. This bench holds the plan fixed (A, B, A' with half,
half and authentic closes; A' a near variation of A; the keys cycle through five), edits it into
the style's form as a session's plan step does (`ontology.music_forms.edit_plan`), and runs the same
`NeuralSectionTools` a session uses, so a change to the grammar, the realisers or the style data
is measured without the model's variance, in seconds per piece. With `--plans DIR` it replays
instead the plans of earlier sessions (every `report.json` under DIR, each distinct plan -n times,
every piece with a seed of its own), so the editing of real plans is measured with the same tools. The tables are
`bench/compose_quality.py`'s, against the same reference sets.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from rich.console import Console

from ontology.music import Piece
from ontology.music_drafts import (
    Plan,
    RequestFacts,
    facts_from_request,
    plan_to_piece,
    section_motions,
    sections_of,
)
from ontology.music_forms import edit_plan
from ontology.music_styles import reach_named_in, style_spec
from pipelines.compose_graph import (
    Material,
    SectionParams,
    assemble,
    bars_before,
    leads_back,
    return_openings,
    variation_source,
)
from tools.music.neural_sections import NeuralSectionTools
from tools.music.quality.compare import compare
from tools.music.quality.features import measure
from tools.music.quality.references import REFERENCE_SETS, STYLES, reference_features
from tools.music.quality.timeline import timeline_from_piece
from tools.music.render import render_all
from tools.music.section_tools import SectionRequest
from tools.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from compose_quality import print_comparison, write_comparisons  # noqa: E402  (a sibling script, not a package)

KEYS = ("A major", "D minor", "F major", "E minor", "G major")
METER = {"chorale": "4/4", "waltz": "3/4", "nocturne": "4/4", "jig": "6/8", "free piano": "4/4"}
FORM = {"opening": {"label": "A", "share": 1, "cadence": "half", "character": "plain"},
        "middle": [{"label": "B", "share": 1, "key_relation": "home", "cadence": "half", "character": "contrast"}],
        "closing": {"label": "A", "share": 2, "cadence": "authentic", "character": "return",
                    "variation": {"of": "opening", "distance": "near"}}}


def fixed_plan(style: str, key: str, seed: int, bars: int, meter: str | None = None) -> tuple[Plan, RequestFacts]:
    """The fixed plan in `style` and `key` (and `meter`, else the one a session with `seed` is given,
    `StyleSpec.drawn_meter`, else the style's usual one), and the facts of a request for it."""
    usual = style_spec(style).drawn_meter(seed) or METER[style]
    facts = facts_from_request(f"a {style} in {key}, {bars} bars").model_copy(update={"style": style, "meter": meter})
    plan = Plan.model_validate({"title": f"{style} {seed}", "style": style, "key": key,
                                "meter": meter or usual, "tempo_bpm": 90, "sections": sections_of(FORM)})
    return plan, facts


def replayed_plans(folder: Path) -> dict[str, list[tuple[Plan, RequestFacts]]]:
    """The distinct plans in the session reports under `folder`, by style, each with its request's
    facts as the request's words give them today. A report from before plans named their style
    takes the style its request names."""
    found: dict[str, list[tuple[Plan, RequestFacts]]] = {}
    seen: set[str] = set()
    for path in sorted(folder.rglob("report.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        if not report.get("plan"):
            continue
        facts = facts_from_request(report["request"])
        raw = {**report["plan"], "edits": []}
        raw["style"] = raw.get("style") or facts.style or "free piano"
        signature = json.dumps([raw, report["request"]], sort_keys=True)
        if signature not in seen:
            seen.add(signature)
            found.setdefault(raw["style"], []).append((Plan.model_validate(raw), facts))
    return found


def replay_runs(plans: list[tuple[Plan, RequestFacts]], repeats: int) -> list[tuple[Plan, RequestFacts, int]]:
    """Each plan `repeats` times, every piece with a seed of its own: plans replayed with the same seeds
    would share every draw a piece's seed makes (its texture, compass, leap budget, a jig's lilt), and
    the pieces would be more alike than the sessions were (session 33's replays used seeds 0 to n-1 for
    every plan)."""
    return [(plan, facts, index * repeats + repeat) for index, (plan, facts) in enumerate(plans)
            for repeat in range(repeats)]


def compose(tools: NeuralSectionTools, plan: Plan, facts: RequestFacts, seed: int) -> Piece:
    """One piece of `plan`, edited into its style's form and written section by section as a session does
    (each section in the motion its character's words, or the request's, ask for, and the piece as far
    as the request's words ask it to range)."""
    edited = edit_plan(plan, facts)
    piece, motions, reach = plan_to_piece(edited), section_motions(edited, facts.text), reach_named_in(facts.text)
    sections = {section.id: SectionParams(seed=0) for section in piece.sections}
    spans = piece.section_spans()
    for index, (section, first, last) in enumerate(spans):
        previous = bars_before(piece, sections, first)
        written = tools.realise(SectionRequest(
            bars=section.bars, key=section.key or piece.key, meter=piece.meter, style=piece.style,
            cadence=section.cadence, seed=seed * 1000 + index * 101, piece_seed=seed, motion=motions[section.id],
            reach=reach,
            previous_right=previous[0], previous_left=previous[1], variation=variation_source(piece, section, sections),
            leads_to=return_openings(piece, section, sections), leads_back=leads_back(piece, section),
            place=((first - 1) / spans[-1][2], last / spans[-1][2])))
        sections[section.id] = SectionParams(seed=0, material=Material(right=written.right, left=written.left,
                                                                      harmony=written.harmony, tune=written.tune))
    return assemble(piece, sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", nargs="+", choices=STYLES, default=list(STYLES))
    parser.add_argument("-n", type=int, default=5, help="pieces per style (keys cycle through five)")
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--meter", help="write every style in this meter (a reel: --styles jig --meter 4/4); "
                                        "the reference sets stay the style's")
    parser.add_argument("--json", type=Path, help="also write the comparisons here")
    parser.add_argument("--scores", type=Path,
                        help="also engrave each piece here (MIDI, MusicXML, score.png, piece.json)")
    parser.add_argument("--plans", type=Path, help="replay the plans in the session reports (report.json) under "
                                                   "this folder instead of the fixed plan, -n seeds each")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    console, settings, tools = Console(), Settings.from_env(), NeuralSectionTools()
    replayed = replayed_plans(args.plans) if args.plans else {}
    results = []
    for style in args.styles:
        if args.plans:
            runs = replay_runs(replayed.get(style, []), args.n)
        else:
            runs = [(*fixed_plan(style, KEYS[seed % len(KEYS)], seed, args.bars, args.meter), seed)
                    for seed in range(args.n)]
        if not runs:
            console.print(f"{style}: no plans in {args.plans}")
            continue
        features, seconds = [], []
        for number, (plan, facts, seed) in enumerate(runs):
            started = time.perf_counter()
            piece = compose(tools, plan, facts, seed)
            seconds.append(time.perf_counter() - started)
            if args.scores:
                folder = args.scores / f"{style.replace(' ', '-')}-{number}"
                render_all(piece, folder, audio=False)
                (folder / "piece.json").write_text(piece.model_dump_json(indent=1), encoding="utf-8")
            features.append(measure(timeline_from_piece(piece, name=f"{style} {number}")))
        result = compare(style, features, reference_features(style, settings))
        print_comparison(console, result, REFERENCE_SETS[style].description)
        console.print(f"{style}: {sum(seconds) / len(seconds):.1f} s per piece (tools only)")
        results.append(result)
    if args.json:
        write_comparisons(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
