"""A composition session end to end on the embedded default model and the shipped music models:
a request in, a piece whose files parse out; then a feedback turn."""

from __future__ import annotations

import json
from pathlib import Path

import music21
import pytest
import soundfile

from ontology.music import Piece
from ontology.music_validators import validate_piece
from pipelines.compose import main

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_a_request_becomes_a_rendered_piece_and_a_feedback_turn_a_second_version(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    assert main(["a quiet waltz in G major, 8 bars", "--root", str(root), "--session", "waltz", "--seed", "1"]) == 0
    version = root / "waltz" / "v1"
    piece = Piece.model_validate_json((version / "piece.json").read_text())
    assert piece.key == "G major" and piece.total_bars == 8
    structural = {"bar_does_not_fill_meter", "note_out_of_range", "length_mismatch", "part_length_mismatch"}
    assert not [f for f in validate_piece(piece) if f.code in structural]
    score = music21.converter.parse(version / "piece.musicxml")
    assert [len(part.getElementsByClass("Measure")) for part in score.parts] == [8, 8]
    assert music21.converter.parse(version / "piece.mid").highestTime > 0
    assert soundfile.info(str(version / "piece.wav")).duration > 2
    assert (version / "score.png").read_bytes()[:4] == b"\x89PNG" and (version / "piano-roll.png").is_file()
    report = json.loads((version / "report.json").read_text())
    assert report["plan"]["key"] == "G major" and report["tool_calls"]

    assert main(["continue", "waltz", "more motion in the middle", "--root", str(root), "--no-audio"]) == 0
    second = json.loads((root / "waltz" / "v2" / "report.json").read_text())
    assert second["feedback"] == ["more motion in the middle"] and len(second["runs"]) == 2
