"""The music tools alone against real music: fixed plans per style, no language model.

    python bench/compose_tools_quality.py                       # 5 pieces per style, 16 bars
    python bench/compose_tools_quality.py --styles jig waltz -n 10 --json out/tools-quality.json
    python bench/compose_tools_quality.py --styles chorale -n 2 --scores out/tools-scores   # and look at them
    python bench/compose_tools_quality.py --styles jig --meter 4/4 -n 5   # reels (against the 6/8 jigs)

A session's quality has two authors: the Composer's plan (a small model's choices of form, keys and
cadences) and the tools that write the notes. This bench holds the plan fixed (A, B, A' with half,
half and authentic closes; A' a near variation of A; the keys cycle through five) and runs the same
`NeuralSectionTools` a session uses, so a change to the grammar, the realisers or the style data
is measured without the model's variance, in seconds per piece. The tables are
`bench/compose_quality.py`'s, against the same reference sets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from rich.console import Console

from ontology.music import Piece
from ontology.music_drafts import facts_from_request, plan_to_piece, sections_of
from pipelines.compose_graph import Material, SectionParams, assemble, bars_before, variation_source
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


def compose(tools: NeuralSectionTools, style: str, key: str, seed: int, bars: int, meter: str | None = None) -> Piece:
    """One piece of the fixed plan in `style` and `key` (and `meter`, else the style's usual one),
    written section by section as a session does."""
    facts = facts_from_request(f"a {style} in {key}, {bars} bars")
    plan = {"title": f"{style} {seed}", "style": style, "key": key, "meter": meter or METER[style], "tempo_bpm": 90,
            **FORM}
    facts = facts.model_copy(update={"style": style, "meter": meter})
    piece = plan_to_piece({**plan, "sections": sections_of(FORM)}, facts)
    sections = {section.id: SectionParams(seed=0) for section in piece.sections}
    spans = piece.section_spans()
    for index, (section, first, last) in enumerate(spans):
        previous = bars_before(piece, sections, first)
        written = tools.realise(SectionRequest(
            bars=section.bars, key=section.key or piece.key, meter=piece.meter, style=piece.style,
            cadence=section.cadence, seed=seed * 1000 + index * 101, piece_seed=seed, previous_right=previous[0],
            previous_left=previous[1], variation=variation_source(piece, section, sections),
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
    parser.add_argument("--scores", type=Path, help="also engrave each piece here (MIDI, MusicXML, score.png)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    console, settings, tools = Console(), Settings.from_env(), NeuralSectionTools()
    results = []
    for style in args.styles:
        features, seconds = [], []
        for seed in range(args.n):
            started = time.perf_counter()
            piece = compose(tools, style, KEYS[seed % len(KEYS)], seed, args.bars, args.meter)
            seconds.append(time.perf_counter() - started)
            if args.scores:
                render_all(piece, args.scores / f"{style.replace(' ', '-')}-{seed}", audio=False)
            features.append(measure(timeline_from_piece(piece, name=f"{style} {seed}")))
        result = compare(style, features, reference_features(style, settings))
        print_comparison(console, result, REFERENCE_SETS[style].description)
        console.print(f"{style}: {sum(seconds) / len(seconds):.1f} s per piece (tools only)")
        results.append(result)
    if args.json:
        write_comparisons(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
