"""Real music to measure generated music against, one reference set per style, from this machine only.

- chorale: Bach's four-part chorales in music21's corpus (Riemenschneider numbering), whole.
- jig: 6/8 tunes of O'Neill's 1850 collection in music21's corpus, whole (the collection rarely
  names a tune a jig, so 6/8 airs are among them).
- waltz: music21's corpus holds two waltzes (Aird's airs, single lines), too few; the proxy is the
  Beethoven sonata movements in 3/4 or 3/8 that are not slow (minuets, scherzos, triple-time
  allegros), piano music in triple time.
- nocturne: the corpus has no nocturne; the proxy is the Beethoven sonata movements marked
  Adagio, Largo, Andante or Lento (a cantabile line over an accompaniment, often).
- free piano: the first movements of the 32 Beethoven sonatas.

Beethoven movements are measured on their first `OPENING_BARS` bars, as long as a generated piece,
because range, key and rest figures grow with length. Features are computed once per set and
cached under the cache folder (`GO_CACHE_DIR`), keyed by `FEATURES_VERSION`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter

from tools.base import ToolInputError
from tools.files import write_atomically
from tools.music.quality.features import PieceFeatures, measure
from tools.music.quality.timeline import Timeline, timeline_from_score
from tools.music.scoreio import read_score
from tools.settings import Settings

log = logging.getLogger(__name__)

FEATURES_VERSION = 4
"""Raise when a feature's definition changes, so cached reference features are recomputed."""
PIECES_PER_SET = 30
"""Reference pieces per corpus set (Beethoven sets take every movement that fits)."""
OPENING_BARS = 16
"""Bars of a Beethoven movement that are measured (a generated piece asks for about 16)."""
SLOW_TEMPO_WORDS = re.compile(r"adagio|largo|andante|lento", re.IGNORECASE)
TRIPLE_METERS = {"3/4", "3/8"}
STYLES = ("chorale", "waltz", "nocturne", "jig", "free piano")

_FEATURE_LIST = TypeAdapter(list[PieceFeatures])


class ReferenceDataError(ToolInputError):
    """A reference set cannot be built: its data is missing on this machine or holds too few pieces."""


@dataclass(frozen=True)
class ReferenceSet:
    style: str
    description: str
    timelines: Callable[[Settings], Iterator[Timeline]]


def _bach_chorales(settings: Settings) -> Iterator[Timeline]:
    from music21 import corpus

    names = corpus.chorales.Iterator(1, PIECES_PER_SET, numberingSystem="riemenschneider", returnType="filename")
    for name in names:
        yield timeline_from_score(corpus.parse(name), name)


def _oneill_jigs(settings: Settings) -> Iterator[Timeline]:
    from music21 import corpus, meter

    found = 0
    for path in sorted(corpus.getComposer("oneills1850")):
        for score in corpus.parse(path).scores:
            signature = next(iter(score.recurse().getElementsByClass(meter.TimeSignature)), None)
            if signature is None or signature.ratioString != "6/8":
                continue
            yield timeline_from_score(score, f"{Path(path).name} {score.metadata.number} {score.metadata.title}")
            found += 1
            if found == PIECES_PER_SET:
                return


@dataclass(frozen=True)
class Movement:
    """A Beethoven movement as its **kern header describes it (read without parsing the notes)."""

    path: Path
    meter: str
    tempo: str


def beethoven_movements(folder: Path) -> list[Movement]:
    """Every `*.krn` movement in `folder`, with its first meter and its tempo marking (!!!OMD)."""
    if not folder.is_dir():
        raise ReferenceDataError(f"No Beethoven sonatas at {folder}; set GO_BEETHOVEN_DIR to the folder of "
                                 "their **kern files.")
    movements = []
    for path in sorted(folder.glob("*.krn")):
        text = path.read_text(errors="replace")
        meter = re.search(r"^\*M(\d+/\d+)", text, re.MULTILINE)
        tempo = re.search(r"^!!!OMD:\s*(.*)$", text, re.MULTILINE)
        movements.append(Movement(path, meter[1] if meter else "", tempo[1] if tempo else ""))
    return movements


def _beethoven(chosen: Callable[[Movement], bool]) -> Callable[[Settings], Iterator[Timeline]]:
    def timelines(settings: Settings) -> Iterator[Timeline]:
        for movement in beethoven_movements(settings.beethoven_dir):
            if chosen(movement):
                yield timeline_from_score(read_score(movement.path), movement.path.stem, max_bars=OPENING_BARS)

    return timelines


def is_slow(movement: Movement) -> bool:
    return bool(SLOW_TEMPO_WORDS.search(movement.tempo))


REFERENCE_SETS: dict[str, ReferenceSet] = {
    reference.style: reference
    for reference in (
        ReferenceSet("chorale", f"Bach chorales, music21 corpus (Riemenschneider 1-{PIECES_PER_SET}), whole",
                     _bach_chorales),
        ReferenceSet("waltz", f"proxy: Beethoven sonata movements in 3/4 or 3/8, not slow, first {OPENING_BARS} bars",
                     _beethoven(lambda m: m.meter in TRIPLE_METERS and not is_slow(m))),
        ReferenceSet("nocturne", f"proxy: Beethoven slow movements (Adagio, Largo, Andante, Lento), "
                                 f"first {OPENING_BARS} bars", _beethoven(is_slow)),
        ReferenceSet("jig", f"O'Neill's 1850 collection, music21 corpus: the first {PIECES_PER_SET} tunes in 6/8, "
                            "whole", _oneill_jigs),
        ReferenceSet("free piano", f"Beethoven sonatas, first movements, first {OPENING_BARS} bars",
                     _beethoven(lambda m: m.path.stem.endswith("-1"))),
    )
}


def reference_features(style: str, settings: Settings, *, refresh: bool = False) -> list[PieceFeatures]:
    """The features of every piece of the style's reference set, from the cache when it has them."""
    if style not in REFERENCE_SETS:
        raise ReferenceDataError(f"No reference set for style {style!r}; choose one of {', '.join(STYLES)}.")
    folder = settings.cache_dir / "quality"
    cached = folder / f"{style.replace(' ', '-')}-v{FEATURES_VERSION}.json"
    if cached.is_file() and not refresh:
        return _FEATURE_LIST.validate_json(cached.read_bytes())
    log.info("measuring the %s reference set (cached afterwards in %s)", style, cached)
    features = [measure(timeline) for timeline in REFERENCE_SETS[style].timelines(settings)]
    if not features:
        raise ReferenceDataError(f"The {style} reference set is empty on this machine.")
    write_atomically(folder, {cached.name: json.dumps(_FEATURE_LIST.dump_python(features, mode="json"), indent=1)})
    return features
