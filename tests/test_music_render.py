"""Rendering a Piece: MIDI and MusicXML that music21 reads back, a FluidSynth WAV, score and piano-roll images."""

from __future__ import annotations

import re
from pathlib import Path

import music21
import numpy as np
import pytest
import soundfile

from ontology.music import Bar, ChordEvent, Event, Piece
from tools.music.render import (
    RenderError,
    find_soundfont,
    piece_to_score,
    plain_text_accidentals,
    render_all,
    render_wav,
)


def test_notation_round_trips_through_midi_and_musicxml(minuet: Piece, tmp_path: Path) -> None:
    piece = minuet
    piece.key, piece.harmony[1] = "Eb major", ChordEvent(bar=2, beat=1, symbol="Ab")
    piece.parts[0].bars[1].voices[0][0].pitches = [68]  # spelled A-flat in E-flat major, not G-sharp
    files = render_all(piece, tmp_path, audio=False)
    xml = music21.converter.parse(files.musicxml)
    assert [len(part.getElementsByClass("Measure")) for part in xml.parts] == [4, 4]
    assert [cs.figure for cs in xml.parts[0].flatten().getElementsByClass("ChordSymbol")] == ["Dm", "A-", "A7", "Dm"]
    assert xml.parts[0].flatten().getElementsByClass("Note")[2].nameWithOctave == "A-4"
    midi = music21.converter.parse(files.midi)
    right = [(n.offset, n.quarterLength, n.pitch.midi) for n in midi.parts[0].flatten().notes]
    expected, onset = [], 0.0
    for bar in piece.parts[0].bars:
        for event in bar.voices[0]:
            expected.append((onset, event.duration, event.pitches[0]))
            onset += event.duration
    assert right == expected  # chord symbols are labels, not sounded
    assert files.score_svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    for image in (files.score_png, files.piano_roll):
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fluidsynth_renders_the_piece_to_audio(minuet: Piece, tmp_path: Path) -> None:
    files = render_all(minuet, tmp_path)
    audio, rate = soundfile.read(files.wav)
    seconds = 12 * 60 / 96  # four bars of 3/4 at 96 quarter notes a minute
    assert seconds <= len(audio) / rate <= seconds + 3  # plus the release of the last notes
    assert np.sqrt(np.mean(np.square(audio))) > 0.01


def test_missing_soundfont_and_unrenderable_midi_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="GO_SOUNDFONT"):
        find_soundfont(tmp_path / "none.sf2")
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd not really")
    with pytest.raises(RenderError, match="could not render"):
        render_wav(broken, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_chords_and_simultaneous_voices_reach_the_notation(minuet: Piece, tmp_path: Path) -> None:
    piece = minuet
    piece.parts[1].bars[0] = Bar(voices=[[Event(pitches=[50, 57], duration=3)],
                                         [Event(pitches=[38], duration=2), Event(pitches=[], duration=1)]])
    files = render_all(piece, tmp_path, audio=False)
    measure = music21.converter.parse(files.musicxml).parts[1].getElementsByClass("Measure")[0]
    assert len(measure.voices) == 2
    assert [p.midi for p in measure.voices[0].notes[0].pitches] == [50, 57]
    assert measure.voices[1].notes[0].pitch.midi == 38


def test_the_score_has_one_part_per_piece_part_with_key_and_meter(minuet: Piece) -> None:
    score = piece_to_score(minuet)
    first = score.parts[1].getElementsByClass("Measure")[0]
    assert first.keySignature.sharps == -1 and first.timeSignature.ratioString == "3/4"
    assert first.clef.sign == "F"


def test_chord_symbols_neither_lose_their_flats_in_the_png_nor_add_accidentals_to_notes(
    minuet: Piece, tmp_path: Path
) -> None:
    piece = minuet  # D minor; the melody's first bar has a C, which an F# chord spells C#
    piece.harmony[0], piece.harmony[1] = ChordEvent(bar=1, beat=1, symbol="F#"), ChordEvent(bar=2, beat=1, symbol="Bb")
    files = render_all(piece, tmp_path, audio=False)
    first = music21.converter.parse(files.musicxml).parts[0].getElementsByClass("Measure")[0]
    notes = first.getElementsByClass("Note")
    assert [n.pitch.accidental for n in notes] == [None, None]  # no natural on the C for the symbol's C#
    svg = files.score_svg.read_text()
    assert "\uea64" in svg  # browsers draw the flat from Verovio's embedded music font; CairoSVG cannot
    plain = plain_text_accidentals(svg)
    assert "\uea64" not in plain and "\uea66" not in plain
    assert re.search(r'>B</tspan>\s*<tspan font-size="[0-9.]+px">b</tspan>', plain)
    assert re.search(r'>F</tspan>\s*<tspan font-size="[0-9.]+px">#</tspan>', plain)


@pytest.mark.parametrize(("key", "middle", "symbol", "pitch", "name"), [
    ("F major", "D minor", "A7", 73, "C#5"),  # the middle section's key: its leading tone, not D-flat
    ("Bb major", None, "D7", 66, "F#4"),  # a secondary dominant's third, spelled as the chord spells it
    ("Bb major", None, "Bb", 66, "G-4"),  # no chord holds it: flats in a flat key, as before
])
def test_notes_outside_the_key_are_spelled_by_their_section_and_chord(
    minuet: Piece, key: str, middle: str | None, symbol: str, pitch: int, name: str
) -> None:
    piece = minuet
    piece.key, piece.sections[1].key = key, middle
    piece.harmony[2] = ChordEvent(bar=3, beat=1, symbol=symbol)
    piece.parts[0].bars[2].voices[0][1].pitches = [pitch]
    notes = piece_to_score(piece).parts[0].getElementsByClass("Measure")[2].getElementsByClass("Note")
    assert notes[1].nameWithOctave == name
