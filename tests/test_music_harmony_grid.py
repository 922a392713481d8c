"""The harmoniser's beat grid: pickups and compound meters keep their bar lines and their beats."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import music21
import pytest

from tools.music.harmony.data import beat_grid_of, beat_quarters_of, piece_from_score
from tools.music.harmony.tool import HarmoniseTool

JIG = """X:1
T:Test jig
M:6/8
L:1/8
K:G
D|GAB c2A|BGG G2D|GAB cBA|BGE D2D|GAB c2A|BGG G2B|AGE FGA|G3 G2:|
"""
"""Eight bars of 6/8 after an eighth-note pickup; the last bar is short by that eighth."""

DOTTED_QUARTER = Fraction(3, 2)


def _measure_offsets(score) -> list[float]:
    part = score.parts[0] if score.parts else score
    return [float(measure.getOffsetInHierarchy(score)) for measure in part.getElementsByClass(music21.stream.Measure)]


@pytest.fixture(scope="module")
def jig_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("jig") / "jig.abc"
    path.write_text(JIG)
    return path


@pytest.mark.parametrize(
    ("meter", "beat"),
    [("4/4", 1), ("3/4", 1), ("2/2", 1), ("6/8", 1.5), ("9/8", 1.5), ("12/8", 1.5), ("3/8", 0.5), ("7/8", 0.5)],
)
def test_the_grid_beats_in_the_meters_beat(meter, beat):
    assert beat_quarters_of(music21.meter.TimeSignature(meter)) == Fraction(beat)


def test_a_jig_with_a_pickup_keeps_its_bar_lines_and_beats_in_dotted_quarters(jig_path):
    score = music21.converter.parse(str(jig_path))
    piece = piece_from_score(score, "jig")
    assert [piece.quarters(start) for start in piece.bar_starts] == _measure_offsets(score)
    assert piece.slot_quarters[:4] == [0.0, 0.5, 2.0, 3.5]  # the pickup is one (short) beat, then dotted quarters
    assert piece.slot_quarters[-3:] == [21.5, 23.0, 24.0]  # the last bar is cut short by the pickup's eighth
    assert [end - start for start, end in piece.bars()] == [1] + [2] * 8
    first_bar = [note for note in piece.notes if 1 <= note.onset < 3]  # G A B c2 A on beats 1 and 2
    assert [round(note.onset, 6) for note in first_bar] == [1.0, 1.333333, 1.666667, 2.0, 2.666667]


def test_a_bar_split_by_a_repeat_and_a_shifted_section_keep_their_bar_lines():
    """Bars of 0.5 | 3 | 2.5 | 0.5 | 3, then a short bar that moves every later bar line by an eighth."""
    part = music21.stream.Part()
    for number, length in enumerate([0.5, 3, 2.5, 0.5, 3, 2.5, 3, 3]):
        measure = music21.stream.Measure(number=number)
        if number == 0:
            measure.insert(0, music21.meter.TimeSignature("6/8"))
        measure.append(music21.note.Note("C5", quarterLength=length))
        part.append(measure)
    score = music21.stream.Score([part])
    grid = beat_grid_of(score, 0.0, 18.0)
    assert [float(grid.boundaries[start]) for start in grid.bar_starts] == _measure_offsets(score)
    assert [float(time) for time in grid.boundaries] == [
        0, 0.5, 2, 3.5, 5, 6, 6.5, 8, 9.5, 11, 12, 13.5, 15, 16.5, 18
    ]


def test_the_tool_keeps_a_jigs_bars_and_changes_chords_only_on_dotted_quarter_beats(jig_path, tmp_path):
    result = HarmoniseTool()({"melody": jig_path, "out_dir": tmp_path, "stem": "jig"})
    assert max(chord.bar for chord in result.chords) == 9 and {chord.beat for chord in result.chords} == {1, 2}
    source = music21.converter.parse(str(jig_path))
    written = music21.converter.parse(str(result.files.musicxml))
    for part in written.parts:
        assert [float(measure.offset) for measure in part.getElementsByClass("Measure")] == _measure_offsets(source)
    melody = [(float(n.getOffsetInHierarchy(written)), n.pitch.midi) for n in written.parts[0].recurse().notes]
    assert melody == [(float(n.getOffsetInHierarchy(source)), n.pitch.midi) for n in source.recurse().notes]
    for measure in written.parts[1].getElementsByClass("Measure"):
        struck = [chord for chord in measure.recurse().notes if chord.tie is None or chord.tie.type == "start"]
        assert all(Fraction(chord.offset) in (0, DOTTED_QUARTER) for chord in struck)  # a bar line or the second beat


def _oneills_jigs(count: int) -> list:
    """The first `count` tunes in 6/8 of O'Neill's 1850 collection in music21's corpus."""
    jigs = []
    for path in sorted(p for p in music21.corpus.getCorePaths() if "oneills1850" in str(p)):
        for score in music21.corpus.parse(path).scores:
            signatures = list(score.recurse().getElementsByClass(music21.meter.TimeSignature))
            if signatures and signatures[0].ratioString == "6/8":
                jigs.append(score)
            if len(jigs) == count:
                return jigs
    return jigs


def test_twenty_oneill_jigs_keep_every_bar_line():
    """Before the bar-line grid, all 20 came back re-barred (pickups rounded half-to-even)."""
    jigs = _oneills_jigs(20)
    assert len(jigs) == 20
    for score in jigs:
        piece = piece_from_score(score, score.metadata.title)
        end = piece.quarters(piece.n_beats)
        source = [offset for offset in _measure_offsets(score) if offset < end]
        assert [round(piece.quarters(start), 6) for start in piece.bar_starts] == source, score.metadata.title
