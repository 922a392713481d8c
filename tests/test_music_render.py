"""Rendering a Piece: MIDI and MusicXML that music21 reads back, a FluidSynth WAV, score and piano-roll images."""

from __future__ import annotations

import re
from pathlib import Path

import music21
import numpy as np
import pytest
import soundfile

from ontology.music import INSTRUMENTS, Bar, ChordEvent, Event, Part, Piece, Section
from ontology.music_theory import CHORD_QUALITIES
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
    ("Bb major", None, "Bb", 66, "F#4"),  # no chord holds it, a semitone under the next note (G): raised, rising
    ("Bb major", None, "Bb", 73, "D-5"),  # no chord holds it and it leaps on: flats in a flat key
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


@pytest.mark.parametrize(("home", "middle", "signatures"), [
    ("D minor", "D major", [-1, -1, 2, 2]),  # the tonic major (three fifths away): its own signature
    ("F major", "D minor", [-1, -1, -1, -1]),  # the relative key: the same one
    ("D minor", "A minor", [-1, -1, -1, -1]),  # the dominant: accidentals, as Beethoven writes a passage there
])
def test_a_section_three_fifths_from_home_is_written_in_its_own_key_signature(
        minuet: Piece, home: str, middle: str, signatures: list[int]) -> None:
    piece = minuet
    piece.key, piece.sections[1].key = home, middle
    changes = [signature if index == 0 or signature != signatures[index - 1] else None
               for index, signature in enumerate(signatures)]
    for part in piece_to_score(piece).parts:
        assert [measure.keySignature.sharps if measure.keySignature else None
                for measure in part.getElementsByClass("Measure")] == changes


def test_every_chord_kind_is_drawn_as_text_and_no_root_carries_a_natural(tmp_path: Path) -> None:
    """waltz-2's "C" after an "A" was written <root-alter>0</root-alter> (a natural Verovio draws
    as an empty box): a part whose notes have no accidental had its symbols' C# counted as sounding."""
    symbols = ["A", "C", *(root + quality for root in ("C", "F#", "Bb") for quality in CHORD_QUALITIES)]
    bars = (len(symbols) + 1) // 2
    piece = Piece(title="kinds", key="F major", meter="4/4", tempo_bpm=90,
                  instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                  sections=[Section(id="a", label="A", bars=bars)],
                  parts=[Part(id="rh", instrument="piano_right", bars=[Bar.line((72, 4))] * bars),
                         Part(id="lh", instrument="piano_left", bars=[Bar.line((48, 4))] * bars)],
                  harmony=[ChordEvent(bar=1 + i // 2, beat=1 + 2 * (i % 2), symbol=s) for i, s in enumerate(symbols)])
    files = render_all(piece, tmp_path, audio=False)
    xml = files.musicxml.read_text()
    assert len(re.findall(r"<harmony", xml)) == len(symbols)
    assert "<root-alter>0</root-alter>" not in xml
    written = [cs.figure for cs in music21.converter.parse(files.musicxml).parts[0].recurse()
               .getElementsByClass("ChordSymbol")]
    assert written[:2] == ["A", "C"]
    harm_texts = re.findall(r'class="harm">(.*?)</g>', plain_text_accidentals(files.score_svg.read_text()), re.S)
    assert len(harm_texts) == len(symbols)
    assert not [text for text in harm_texts if re.search("[\ue000-\uf8ff]", text)]  # no glyph a PNG cannot draw


def test_a_high_melody_is_written_under_8va_and_a_low_one_in_bass_clef_sounding_the_same(
    minuet: Piece, tmp_path: Path
) -> None:
    piece = minuet
    high = [(89, 1), (91, 1), (88, 1), (86, 1), (89, 1), (93, 1)]  # F6 G6 E6 D6 F6 A6: 2-4 ledger lines over treble
    piece.parts[0].bars[:2] = [Bar.line(*high[:3]), Bar.line(*high[3:])]
    piece.parts[0].bars[2:] = [Bar.line((55, 1), (57, 1), (58, 1)), Bar.line((50, 3))]  # G3 A3 Bb3 D3: under it
    score = piece_to_score(piece)
    right = score.parts[0]
    (ottava,) = right.recurse().getElementsByClass("Ottava")
    assert ottava.type == "8va" and [n.pitch.midi for n in ottava.getSpannedElements()] == [p for p, _ in high]
    clefs = [(m.number, c.sign) for m in right.getElementsByClass("Measure") for c in m.getElementsByClass("Clef")]
    assert clefs == [(1, "G"), (3, "F")]
    files = render_all(piece, tmp_path, audio=False)
    assert '<octave-shift' in files.musicxml.read_text()
    midi = music21.converter.parse(files.midi)
    assert [n.pitch.midi for n in midi.parts[0].flatten().notes] == [p for p, _ in high] + [55, 57, 58, 50]


def test_a_score_is_engraved_in_a_worker_thread_after_the_main_thread_engraved_one(minuet: Piece,
                                                                                  tmp_path: Path) -> None:
    """Verovio's default resource path is per thread: the studio's and the MCP server's workers found no
    fonts ("Verovio could not read piece.musicxml") once a test had engraved in the main thread."""
    import threading

    first = render_all(minuet, tmp_path / "main", audio=False)
    assert first.score_png is not None and first.score_png.is_file()
    outcome: list[object] = []

    def engrave() -> None:
        try:
            outcome.append(render_all(minuet, tmp_path / "worker", audio=False))
        except Exception as exc:  # handed to the test's thread
            outcome.append(exc)

    worker = threading.Thread(target=engrave)
    worker.start()
    worker.join()
    rendered = outcome[0]
    assert not isinstance(rendered, Exception), rendered
    assert rendered.score_svg.read_text().count("<svg") >= 1  # type: ignore[attr-defined]
