"""How well the ported musicnn taggers name the instrument of clips rendered from General MIDI programs.

    python bench/music_tags.py                 # 13 instruments x 3 clips, FluidSynth + fluid-soundfont-gm
    python bench/music_tags.py --json tags.json

Each instrument plays three phrases (a melody, block chords, an arpeggio; the drum kit a rock beat at three
tempos), rendered with the repository's render helper (`tools.music.render.render_wav`) and tagged by
`tools.audio.tagging.tag_music`. The instrument tags (those of category "instrument", plus "choir") are
ranked by score: a clip is a hit@1 when the expected tag ranks first, a hit@3 within the first three. It
also counts how often the vocals verdict is right (only the choir should have vocals).

The real recording a package ships, music21's `audioSearch/test_audio.wav` (a monophonic melody; its
instrument is not documented), is tagged and printed without a score.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.audio_fixtures import PHRASES, render_program  # noqa: E402 - the helper the tests use
from tools.audio.load import load_audio  # noqa: E402
from tools.audio.tagging.tagger import score_tags, tag_music  # noqa: E402
from tools.audio.tagging.tags import MODELS, TagScores, category_of  # noqa: E402

INSTRUMENTS: dict[str, tuple[int | None, str]] = {
    # name: (General MIDI program, counted from 0; None for the drum kit), the tag that names it
    "acoustic grand piano": (0, "piano"),
    "harpsichord": (6, "harpsichord"),
    "nylon guitar": (24, "guitar"),
    "steel guitar": (25, "guitar"),
    "violin": (40, "violin"),
    "cello": (42, "cello"),
    "harp": (46, "harp"),
    "string ensemble": (48, "strings"),
    "choir aahs": (52, "choir"),
    "flute": (73, "flute"),
    "sawtooth lead": (81, "synth"),
    "sitar": (104, "sitar"),
    "drum kit": (None, "drums"),
}
DRUM_TEMPI = (90.0, 110.0, 130.0)
INSTRUMENT_TAGS = sorted({label for spec in MODELS.values() for label in spec.labels
                          if category_of(label) == "instrument"} | {"choir"})
REAL_RECORDING = ("music21", "audioSearch/test_audio.wav")


def instrument_ranking(scores: TagScores) -> list[tuple[str, float]]:
    """Instrument tags (and 'choir') by score, best first; a tag both taggers give counts at its best."""
    best: dict[str, float] = {}
    for tag in scores.tags:
        if tag.tag in INSTRUMENT_TAGS:
            best[tag.tag] = max(best.get(tag.tag, 0.0), tag.score)
    return sorted(best.items(), key=lambda item: -item[1])


def _real_recording() -> Path | None:
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(REAL_RECORDING[0]).locate_file(f"music21/{REAL_RECORDING[1]}")))
    except metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write every clip's ranking and summary here")
    args = parser.parse_args(argv)
    rows, clips = [], []
    started = time.perf_counter()
    tagging_s = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for name, (program, expected) in INSTRUMENTS.items():
            hits1 = hits3 = vocals_right = 0
            tops: Counter[str] = Counter()
            renders = ([render_program(0, Path(scratch), drums=True, bpm=bpm) for bpm in DRUM_TEMPI] if program is None
                       else [render_program(program, Path(scratch), phrase) for phrase in PHRASES])
            for wav in renders:
                clock = time.perf_counter()
                scores = score_tags(load_audio(wav))
                tagging_s += time.perf_counter() - clock
                tags = scores.summary()
                ranking = instrument_ranking(scores)
                rank = [tag for tag, _ in ranking].index(expected) + 1
                hits1 += rank == 1
                hits3 += rank <= 3
                tops[ranking[0][0]] += 1
                vocals_right += (tags.vocals == "vocals") == (expected == "choir")
                clips.append({"instrument": name, "clip": wav.name, "expected": expected, "rank": rank,
                              "ranking": ranking[:5],
                              "summary": tags.summary()})
            rows.append((name, expected, len(renders), hits1, hits3, vocals_right, tops.most_common(1)[0][0]))
    print(f"{'instrument':<22} {'tag':<12} {'hit@1':>6} {'hit@3':>6} {'vocals ok':>9}  most often first")
    for name, expected, n, hits1, hits3, vocals_right, top in rows:
        print(f"{name:<22} {expected:<12} {hits1:>3}/{n:<2} {hits3:>3}/{n:<2} {vocals_right:>6}/{n:<2}  {top}")
    total = sum(row[2] for row in rows)
    print(f"{'all':<22} {'':<12} {sum(r[3] for r in rows):>3}/{total:<2} {sum(r[4] for r in rows):>3}/{total:<2} "
          f"{sum(r[5] for r in rows):>6}/{total:<2}")
    print(f"{len(clips)} clips; tagging {tagging_s:.1f} s in all, {time.perf_counter() - started:.0f} s with rendering")
    real = _real_recording()
    if real is not None:
        tags = tag_music(load_audio(real))
        print(f"real recording {REAL_RECORDING[0]}/{REAL_RECORDING[1]}: {tags.summary()}")
    if args.json:
        args.json.write_text(json.dumps({"clips": clips}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
