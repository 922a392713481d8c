"""Turning a `Piece` into what musicians open: MIDI, MusicXML, a WAV, a score image and a piano roll.

Notation goes through music21 (MIDI and MusicXML that music21 and MuseScore read), audio through
FluidSynth with a General MIDI soundfont (Debian's `fluidsynth` and `fluid-soundfont-gm`; the
Makefile installs them), the engraved score through Verovio (SVG, and PNG with CairoSVG), and the
piano roll through matplotlib. Every file is written whole or not at all.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from pydantic import BaseModel

from ontology.music import Bar, Event, Piece
from ontology.music_styles import Style
from ontology.music_theory import exact_quarters, parse_chord, parse_key, parse_meter
from tools.base import ToolError
from tools.files import write_atomically
from tools.music.analysis import part_notes
from tools.music.scoreio import ScoreFiles, music21_chord_symbol, spelled_pitch, write_score
from tools.music.staff_writing import Writing, staff_writings

logger = logging.getLogger(__name__)

DEFAULT_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
)
RENDER_TIMEOUT_S = 300
KEYBOARD_PROGRAMS = range(8)
"""General MIDI's pianos: their staves change clef and take 8va lines where the notes go (`staff_writing`);
other instruments (a choir's voices) keep their clef."""


TEXT_ACCIDENTALS = {"\uea63": "bb", "\uea64": "b", "\uea66": "#", "\uea67": "x"}
"""SMuFL accidentals (figured-bass flat, sharp, double flat and sharp) that Verovio sets inside chord
symbols, and the plain letters the PNG shows instead."""
_SMUFL_ACCIDENTAL = re.compile(  # the text before the glyph (its size), then the glyph in the music font
    r'(<tspan font-size="([0-9.]+px)">[^<]*</tspan>\s*)'
    rf'<tspan font-family="[^"]*"[^>]*>([{"".join(TEXT_ACCIDENTALS)}])</tspan>'
)


class RenderError(ToolError):
    """A rendering step cannot run (missing program or soundfont) or failed; the message says how to fix it."""


class RenderedFiles(BaseModel):
    midi: Path
    musicxml: Path
    wav: Path | None = None
    score_svg: Path | None = None
    score_png: Path | None = None
    piano_roll: Path | None = None


def written_lengths(offset: Fraction, length: Fraction, beat: Fraction) -> list[Fraction]:
    """The tied notes a length no single note writes (2.5 quarters: no plain or dotted value) is
    engraved as, starting `offset` quarters into the bar: each as long as it can be while it is one
    note and ends on a `beat` of the meter, so the bar's beats stay visible (in 6/8 a jig's last
    five eighths are a dotted quarter tied to a quarter, as O'Neill writes "G3-G2", not a half tied
    to an eighth). One length, the whole, where it is one note or no split of it is."""
    from music21 import duration

    def single(part: Fraction) -> bool:
        written = duration.Duration(part)
        return written.type != "complex" and written.dots <= 1

    if single(length):
        return [length]
    parts, start, end = [], offset, offset + length
    while start < end:
        boundaries = [beat * n for n in range(int(start // beat) + 1, int(end // beat) + 1)] + [end]
        fitting = [stop for stop in boundaries if stop <= end and single(stop - start)]
        if not fitting:
            return [length]
        parts.append(max(fitting) - start)
        start = max(fitting)
    return parts


def _music21_event(event: Event, key, chord_names: Mapping[int, str], offset: float = 0.0,
                   beat: Fraction = Fraction(1), following: Event | None = None):  # -> music21 Note, Chord or Rest
    """The event as music21 writes it; a single note is spelled toward the `following` event in its
    voice where that is one note a semitone away (`spelled_pitch`'s `moving`)."""
    from music21 import chord, duration, note

    made: note.GeneralNote
    if not event.pitches:
        made = note.Rest()
    elif len(event.pitches) == 1:
        step = following.pitches[0] - event.pitches[0] if following is not None and len(following.pitches) == 1 else 0
        made = note.Note(spelled_pitch(event.pitches[0], key, chord_names, moving=step if abs(step) == 1 else 0))
    else:
        made = chord.Chord([spelled_pitch(pitch, key, chord_names) for pitch in sorted(event.pitches)])
    lengths = written_lengths(exact_quarters(offset), exact_quarters(event.duration), beat)
    if len(lengths) > 1:
        made.duration = duration.Duration(components=[duration.durationTupleFromQuarterLength(float(part))
                                                      for part in lengths])
    else:
        made.quarterLength = event.duration
    return made


SIGNATURE_CHANGE_FIFTHS = 3
"""How far (in fifths) a section's key lies from home before its bars take their own key signature."""


class _Spelling:
    """What spells a note: the key of its bar's section (a middle section in D minor writes C#, not
    the home F major's D-flat) and the chord symbol sounding at its onset (pitch class -> name; the
    piece spells its chords' roots from their keys, so the chord's tones read in the key too)."""

    def __init__(self, piece: Piece) -> None:
        self.keys = [parse_key(section.key or piece.key).to_music21()
                     for section, first, last in piece.section_spans() for _ in range(first, last + 1)]
        self.home = parse_key(piece.key).to_music21()
        self.chords = sorted(((chord.bar, chord.beat), parse_chord(chord.symbol).tone_names())
                             for chord in piece.spelled_harmony())

    def signature(self, bar: int) -> int:
        """The key signature bar `bar` is written in: its section's key's where that key lies three or
        more fifths from home (a minore in the tonic minor, as Beethoven writes one: E-flat minor's six
        flats in an E-flat major piece), else the home key's (a passage in the dominant or the relative
        key reads in accidentals)."""
        key = self.at(bar, 0.0)[0]
        return key.sharps if abs(key.sharps - self.home.sharps) >= SIGNATURE_CHANGE_FIFTHS else self.home.sharps

    def at(self, bar: int, offset: float):  # -> (music21 key, chord names); bar 1-based (0: a pickup)
        key = self.keys[bar - 1] if 1 <= bar <= len(self.keys) else self.home
        sounding = [names for start, names in self.chords if start <= (bar, 1 + offset)]
        return key, sounding[-1] if sounding else {}


def piece_to_score(piece: Piece):  # -> music21.stream.Score
    """A music21 score with one part per `Part`, key, meter and tempo in the first bar, and the
    chord symbols above the first part (shown in notation, silent in MIDI; not over a chorale,
    whose four voices are the harmony). A pickup is measure 0, padded on the left so it reads as
    the end of a bar, and the last measure is short by as much; the MIDI's notes start at 0. A
    piano staff changes clef, or takes an 8va line, where its notes go (`staff_writing`)."""
    from music21 import clef, instrument, key, metadata, meter, spanner, stream, tempo
    from music21.stream import makeNotation

    spelling = _Spelling(piece)
    bar_length = float(parse_meter(piece.meter).bar_quarters)
    beat = parse_meter(piece.meter).beat_quarters
    instruments = {i.id: i for i in piece.instruments}
    score = stream.Score()
    score.metadata = metadata.Metadata(title=piece.title)
    for index, part in enumerate(piece.parts):
        spec = instruments[part.instrument]
        target = stream.Part(id=part.id)
        sound = instrument.instrumentFromMidiProgram(spec.midi_program)
        sound.partName = spec.name
        target.insert(0, sound)

        numbered = list(enumerate(part.bars, start=1))
        if part.pickup_bar is not None:
            numbered.insert(0, (0, part.pickup_bar))
        writings = (staff_writings([bar.pitches() for _, bar in numbered], spec.clef)
                    if spec.midi_program in KEYBOARD_PROGRAMS else [Writing(spec.clef)] * len(numbered))
        for position, (number, bar) in enumerate(numbered):
            measure = stream.Measure(number=number)
            if position == 0 or writings[position].clef != writings[position - 1].clef:
                measure.insert(0, clef.BassClef() if writings[position].clef == "bass" else clef.TrebleClef())
            signature = spelling.signature(number)
            if position == 0 or signature != spelling.signature(numbered[position - 1][0]):
                measure.insert(0, key.KeySignature(signature))
            if position == 0:
                measure.insert(0, meter.TimeSignature(piece.meter))
                if index == 0:  # sounding tempo only: engravers lack the note glyph of a printed mark
                    measure.insert(0, tempo.MetronomeMark(numberSounding=piece.tempo_bpm))
            if number == 0:
                measure.paddingLeft = bar_length - piece.pickup
            elif piece.pickup and number == piece.total_bars:
                measure.paddingRight = piece.pickup
            for number_of_voice, events in enumerate(bar.voices, start=1):
                voice = stream.Voice(id=str(number_of_voice)) if len(bar.voices) > 1 else measure
                offset = 0.0
                after = _first_in_voice(numbered[position + 1][1] if position + 1 < len(numbered) else None,
                                        number_of_voice - 1)
                for event, following in zip(events, [*events[1:], after], strict=True):
                    key_there, chord_names = spelling.at(number, offset)
                    voice.append(_music21_event(event, key_there, chord_names, offset, beat, following))
                    offset += event.duration
                if voice is not measure:
                    measure.insert(0, voice)
            target.append(measure)
        for run in _runs(writings, Writing.TREBLE_8VA):  # sounding pitches stay; the line writes them an octave down
            notes = [note for measure in target.getElementsByClass(stream.Measure)[run.start:run.stop]
                     for note in measure.recurse().notes]
            if notes:
                target.insert(0, spanner.Ottava(notes, type="8va", transposing=False))
        # Accidentals come from the notes alone: music21 counts a chord symbol's pitches as if they
        # sounded (an "A" symbol's C# would put a natural on the melody's C), so they are settled first.
        makeNotation.makeAccidentalsInMeasureStream(target)
        target.streamStatus.accidentals = True
        if index == 0 and piece.style is not Style.CHORALE:  # four voices show their harmony; symbols would clutter
            measures = {measure.number: measure for measure in target.getElementsByClass(stream.Measure)}
            for chord in piece.spelled_harmony():
                if chord.bar in measures and chord.beat - 1 < bar_length:
                    measures[chord.bar].insert(chord.beat - 1, music21_chord_symbol(chord.symbol))
        score.insert(0, target)
    return score


def _first_in_voice(bar: Bar | None, voice: int) -> Event | None:
    """The first event of a bar's voice (None where there is no such bar or voice)."""
    return bar.voices[voice][0] if bar is not None and voice < len(bar.voices) and bar.voices[voice] else None


def _runs(writings: list[Writing], wanted: Writing) -> list[range]:
    """The runs of consecutive bar positions written in `wanted`."""
    runs: list[range] = []
    for position, writing in enumerate(writings):
        if writing is not wanted:
            continue
        if runs and runs[-1].stop == position:
            runs[-1] = range(runs[-1].start, position + 1)
        else:
            runs.append(range(position, position + 1))
    return runs


def write_notation(piece: Piece, folder: Path, stem: str = "piece") -> ScoreFiles:
    return write_score(piece_to_score(piece), folder, stem)


def find_soundfont(configured: Path | None = None) -> Path:
    candidates = [configured] if configured else list(DEFAULT_SOUNDFONTS)
    for candidate in candidates:
        if candidate and candidate.is_file():
            return candidate
    raise RenderError(
        "No General MIDI soundfont found. Install Debian's `fluid-soundfont-gm` (the Makefile does) or set "
        "GO_SOUNDFONT to an .sf2 file."
    )


def _frames(wav: Path) -> int:
    import soundfile

    try:
        return soundfile.info(str(wav)).frames
    except (RuntimeError, OSError):  # soundfile raises LibsndfileError (a RuntimeError) for a bad header
        return 0


def render_wav(midi: Path, wav: Path, soundfont: Path | None = None, sample_rate: int = 44100) -> Path:
    """Synthesise `midi` to a 16-bit WAV with FluidSynth, offline and faster than real time."""
    program = shutil.which("fluidsynth")
    if program is None:
        raise RenderError("FluidSynth is not installed: `apt-get install fluidsynth fluid-soundfont-gm`.")
    font = find_soundfont(soundfont)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out.wav"
        command = [program, "-ni", "-q", "-g", "0.8", "-r", str(sample_rate), "-F", str(out), str(font), str(midi)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RenderError(f"FluidSynth took more than {RENDER_TIMEOUT_S} s on {midi.name}.") from exc
        # FluidSynth exits 0 even for a file that is not MIDI; its complaint and an empty WAV tell.
        if result.returncode != 0 or "error" in result.stderr.lower() or _frames(out) == 0:
            raise RenderError(f"FluidSynth could not render {midi.name}: {result.stderr.strip()[-400:]}")
        write_atomically(wav.parent, {wav.name: out.read_bytes()})
    return wav


def render_score_image(musicxml: Path, svg: Path, png: Path | None = None) -> tuple[Path, Path | None]:
    """Engrave the first page of `musicxml` with Verovio (SVG) and, where CairoSVG works, as PNG."""
    from importlib.resources import files

    import verovio

    # Verovio keeps its default resource path per thread, set in the thread that first imported it: a
    # toolkit made in another thread (the studio's and the MCP server's workers) finds no fonts and reads
    # nothing. Each toolkit is pointed at the package's fonts itself.
    toolkit = verovio.toolkit(False)
    toolkit.setResourcePath(str(files("verovio") / "data"))
    toolkit.setOptions({"pageWidth": 2100, "pageHeight": 2970, "scale": 45, "adjustPageHeight": True,
                        "footer": "none"})
    if not toolkit.loadData(musicxml.read_text(encoding="utf-8")):
        raise RenderError(f"Verovio could not read {musicxml.name}.")
    image = toolkit.renderToSVG(1)
    outputs: dict[str, str | bytes] = {svg.name: image}
    if png is not None:
        try:
            import cairosvg

            outputs[png.name] = cairosvg.svg2png(bytestring=plain_text_accidentals(image).encode("utf-8"),
                                                 output_width=1400, background_color="white")
        except (ImportError, OSError) as exc:  # no Cairo library on this machine: the SVG is still there
            logger.warning("score PNG skipped (%s); the SVG has the same score", exc)
            png = None
    write_atomically(svg.parent, outputs)
    return svg, png


def plain_text_accidentals(svg: str) -> str:
    """Verovio's SVG with the accidentals in chord symbols as plain letters ('Bb', 'F#'), sized like
    the text before them. Verovio sets them in its music font, embedded as a web font that browsers
    load and CairoSVG cannot, so the PNG would show empty boxes."""
    return _SMUFL_ACCIDENTAL.sub(lambda m: f'{m[1]}<tspan font-size="{m[2]}">{TEXT_ACCIDENTALS[m[3]]}</tspan>', svg)


def render_piano_roll(piece: Piece, png: Path) -> Path:
    """A piano roll (time across, pitch up, one colour per part, bar lines, chord symbols on top)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bar_length = float(parse_meter(piece.meter).bar_quarters)
    downbeat = float(piece.bar_start(0))
    figure, axes = plt.subplots(figsize=(max(8.0, piece.total_bars * 0.9), 4.5), dpi=110)
    colours = plt.get_cmap("tab10")
    for index, part in enumerate(piece.parts):
        for start, end, pitch in part_notes(piece, part):
            axes.broken_barh([(float(start), float(end - start) * 0.95)], (pitch - 0.4, 0.8),
                             facecolors=colours(index % 10))
        axes.plot([], [], color=colours(index % 10), linewidth=6, label=part.id)
    bar_lines = [downbeat + number * bar_length for number in range(piece.total_bars)]
    for line in [*bar_lines, piece.total_bars * bar_length]:  # the last bar ends short by any pickup
        axes.axvline(line, color="0.85", linewidth=0.8, zorder=0)
    pickups = [part.pickup_bar for part in piece.parts if part.pickup_bar is not None]
    top = max((pitch for part in piece.parts for bar in part.bars + pickups for pitch in bar.pitches()), default=72)
    for chord in piece.spelled_harmony():
        axes.text(downbeat + (chord.bar - 1) * bar_length + chord.beat - 1, top + 2, chord.symbol, fontsize=8)
    axes.set_xlabel(f"quarter notes ({piece.meter}, {piece.total_bars} bars)")
    axes.set_ylabel("MIDI pitch")
    axes.set_title(f"{piece.title} — {piece.key}")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    write_atomically(png.parent, {png.name: buffer.getvalue()})
    return png


def render_all(piece: Piece, folder: Path, soundfont: Path | None = None, *, audio: bool = True) -> RenderedFiles:
    """Every rendering of `piece` into `folder`: notation always; audio, images where their tools exist."""
    notation = write_notation(piece, folder)
    files = RenderedFiles(midi=notation.midi, musicxml=notation.musicxml)
    if audio:
        files.wav = render_wav(notation.midi, folder / "piece.wav", soundfont)
    files.score_svg, files.score_png = render_score_image(notation.musicxml, folder / "score.svg",
                                                          folder / "score.png")
    files.piano_roll = render_piano_roll(piece, folder / "piano-roll.png")
    return files
