"""`NeuralSectionTools`: a composition session's sections written by the neural music models.

The piano model (factorised pitch/hand embeddings, trained on the Beethoven sonatas) writes both
hands of every section, continuing the bars just before it. For the "melody_and_chords" texture
the FF harmoniser (trained on the Bach chorales) then harmonises the right hand's top line around
the section's planned cadence (fixed in the last beats; the masked model fills the rest), and the
left hand becomes block chords of those harmonies; for "piano" the chord symbols name what the two
hands actually sound. Either way the labels describe the notes.
"""

from __future__ import annotations

import time
from fractions import Fraction

import torch

from ontology.music import Bar, Cadence, ChordEvent, Event
from ontology.music_theory import Key, Mode, parse_key, parse_meter
from tools.base import ToolInputError
from tools.music.analysis import label_chords, sounding_notes, top_line
from tools.music.harmony.chords import block_chord, chord_index, ontology_symbol, transpose_chord
from tools.music.harmony.data import MelodyNote
from tools.music.harmony.data import Piece as Melody
from tools.music.harmony.model import HarmonyTransformer, load_harmoniser
from tools.music.harmony.train import checkpoint_path
from tools.music.harmony.unmasking import harmonise_pieces
from tools.music.piano.model import sample_bars, seed_everything
from tools.music.piano.notation import segment_to_bars
from tools.music.piano.tokens import (
    METERS,
    TICKS_PER_QUARTER,
    Hand,
    Note,
    Segment,
    bar_ticks,
    decode_tokens,
    encode_segment,
    fit_to_piano,
    quantise_duration,
    transposition_to_reference,
)
from tools.music.piano.tool import PianoGenerationTool
from tools.music.section_tools import SectionMaterial, SectionRequest, SectionWriter, ToolCall
from tools.settings import Settings


def bars_to_segment(right: list[Bar], left: list[Bar], meter: str, mode: str, shift: int) -> Segment:
    """Ontology bars moved into the reference key, as a prompt the piano model can continue."""
    segment = Segment(meter=meter, mode=mode, bars=[])
    length = Fraction(bar_ticks(meter), TICKS_PER_QUARTER)
    for right_bar, left_bar in zip(right, left, strict=True):
        notes = []
        for hand, bar in ((Hand.RIGHT, right_bar), (Hand.LEFT, left_bar)):
            for start, end, pitch in sounding_notes([bar], length):
                notes.append(Note(int(start * TICKS_PER_QUARTER), hand, fit_to_piano(pitch + shift),
                                  quantise_duration(float((end - start) * TICKS_PER_QUARTER))))
        segment.bars.append(sorted(set(notes)))
    return segment


def melody_bars(line: list[MelodyNote], bars: int, bar_length: Fraction) -> list[Bar]:
    """A single line as one-voice bars, notes cut at bar lines, rests between them."""
    result = []
    for number in range(bars):
        lo, hi = number * bar_length, (number + 1) * bar_length
        events, time_ = [], lo
        for note in line:
            start, end = max(Fraction(note.onset).limit_denominator(96), lo), min(
                Fraction(note.onset + note.duration).limit_denominator(96), hi)
            if end <= start:
                continue
            if start > time_:
                events.append(Event(duration=float(start - time_)))
            events.append(Event(pitches=[note.pitch], duration=float(end - start)))
            time_ = end
        if time_ < hi:
            events.append(Event(duration=float(hi - time_)))
        result.append(Bar(voices=[events]))
    return result


def cadence_chords(key: Key, cadence: Cadence | None, bars: int, beats_per_bar: int) -> dict[int, int]:
    """Chords fixed by beat so the section closes on its planned cadence: the final chord fills the
    last bar, the chord before it the last beat of the bar before (the harmoniser fills the rest)."""
    if cadence is None:
        return {}
    minor = key.mode is Mode.MINOR

    def chord(degree: int, quality_in_major: str, quality_in_minor: str) -> int:
        return chord_index(key.degree_root(degree), quality_in_minor if minor else quality_in_major)

    tonic, dominant = chord(1, "maj", "min"), chord(5, "dom7", "dom7")
    before, final = {
        Cadence.AUTHENTIC: (dominant, tonic),
        Cadence.PLAGAL: (chord(4, "maj", "min"), tonic),
        Cadence.DECEPTIVE: (dominant, chord(6, "min", "maj")),
        Cadence.HALF: (None, chord(5, "maj", "maj")),
    }[Cadence(cadence)]
    last = (bars - 1) * beats_per_bar
    fixed = {beat: final for beat in range(last, last + beats_per_bar)}
    if before is not None and bars > 1:
        fixed[last - 1] = before
    return fixed


def _block(chord: int, duration: float) -> Event:
    return Event(pitches=block_chord(chord), duration=duration)


def close_on_cadence(right: list[Bar], left: list[Bar], key: Key, cadence: Cadence,
                     bar_length: Fraction) -> tuple[list[Bar], list[Bar]]:
    """The piano texture's cadential close: the left hand holds the cadence's chords in the last two
    bars, and the right hand ends on the final chord's tone nearest its last note. The piano model
    knows nothing of form, so the arranger writes the cadence the plan asks for."""
    beats = int(bar_length) if bar_length.denominator == 1 else 1
    fixed = cadence_chords(key, cadence, len(right), beats)
    last = (len(right) - 1) * beats
    final, before = fixed[last], fixed.get(last - 1)
    length = float(bar_length)
    closing = [Bar(voices=[[_block(final, length)]])]
    if before is not None and len(left) > 1:
        closing.insert(0, Bar(voices=[[_block(before, length)]]))
    left = left[: len(left) - len(closing)] + closing
    previous = [pitch for bar in right[-2:-1] or right[-1:] for pitch in bar.pitches()] or [72]
    tones = {pitch % 12 for pitch in _block(final, length).pitches}
    ending = min((p for p in range(60, 85) if p % 12 in tones), key=lambda p: abs(p - previous[-1]))
    return [*right[:-1], Bar(voices=[[Event(pitches=[ending], duration=length)]])], left


class NeuralSectionTools(SectionWriter):
    """Writes sections with the shipped piano model and FF harmoniser (loaded once, on first use);
    variations of earlier sections come from `SectionWriter.realise`, built on `write` and `arrange`."""

    def __init__(self, settings: Settings | None = None, *, curriculum: str = "ff") -> None:
        self.settings = settings or Settings.from_env()
        self._piano = PianoGenerationTool()
        self._harmony_checkpoint = checkpoint_path(curriculum)  # type: ignore[arg-type]
        self._harmoniser: HarmonyTransformer | None = None

    def write(self, request: SectionRequest) -> SectionMaterial:
        if request.meter not in METERS:
            raise ToolInputError(f"The piano model does not write {request.meter}; use one of {', '.join(METERS)}.")
        started = time.perf_counter()
        right, left = self._generate(request, parse_key(request.key))
        call = ToolCall(tool="generate_piano", seconds=round(time.perf_counter() - started, 2),
                        arguments={"bars": request.bars, "key": request.key, "meter": request.meter,
                                   "seed": request.seed, "temperature": request.temperature,
                                   "prompt_bars": len(request.previous_right)},
                        summary=f"{sum(len(b.pitches()) for b in right)} right-hand and "
                                f"{sum(len(b.pitches()) for b in left)} left-hand notes")
        material = self.arrange(request, right, left)
        return material.model_copy(update={"calls": [call, *material.calls]})

    def arrange(self, request: SectionRequest, right: list[Bar], left: list[Bar]) -> SectionMaterial:
        """Both hands' bars finished in the request's texture: for "piano" the cadence written into
        the last bars and chords named from the notes; for "melody_and_chords" the top line
        harmonised around the cadence over block chords (so arranging an earlier section's notes
        keeps its melody and re-harmonises it)."""
        key = parse_key(request.key)
        bar_length = parse_meter(request.meter).bar_quarters
        if request.texture == "piano":
            if request.cadence is not None:
                right, left = close_on_cadence(right, left, key, request.cadence, bar_length)
            return SectionMaterial(right=right, left=left, harmony=label_chords([right, left], bar_length))
        started = time.perf_counter()
        line = top_line(right, bar_length)
        beat = parse_meter(request.meter).beat_quarters
        chords = self._harmonise(line, request, key, bar_length, beat)
        harmony, accompaniment = self._chord_bars(chords, request.bars, bar_length, beat)
        call = ToolCall(tool="harmonise_melody", seconds=round(time.perf_counter() - started, 2),
                        arguments={"beats": len(chords), "key": request.key},
                        summary=" ".join(event.symbol for event in harmony)[:300])
        return SectionMaterial(right=melody_bars(line, request.bars, bar_length), left=accompaniment,
                               harmony=harmony, calls=[call])

    def _generate(self, request: SectionRequest, key) -> tuple[list[Bar], list[Bar]]:
        mode = key.mode.value
        shift = transposition_to_reference(key.tonic, mode)
        prompt = bars_to_segment(request.previous_right, request.previous_left, request.meter, mode, shift)
        start = encode_segment(prompt)
        generator = seed_everything(request.seed)
        with torch.inference_mode():
            tokens = sample_bars(self._piano.model, start, request.bars, temperature=request.temperature,
                                 generator=generator)
        segment = decode_tokens(tokens)
        segment.bars = segment.bars[len(prompt.bars):]
        return segment_to_bars(segment, shift)

    def _harmonise(self, line: list[MelodyNote], request: SectionRequest, key, bar_length: Fraction,
                   beat: Fraction) -> list[int]:
        """One chord per beat of the meter (a dotted quarter in 6/8), on the harmoniser's beat grid."""
        per_bar = bar_length / beat
        if per_bar.denominator != 1:
            raise ToolInputError(f"A {request.meter} bar is not a whole number of {beat}-quarter beats.")
        if self._harmoniser is None:
            self._harmoniser = load_harmoniser(self._harmony_checkpoint)[0]
        shift = transposition_to_reference(key.tonic, key.mode.value)
        slots = int(per_bar) * request.bars
        notes = [MelodyNote(float(Fraction(n.onset).limit_denominator(96) / beat),
                            float(Fraction(n.duration).limit_denominator(96) / beat), n.pitch + shift) for n in line]
        melody = Melody(name="section", notes=notes, n_beats=slots, bar_starts=list(range(0, slots, int(per_bar))),
                        transposition=shift, key=key.name, slot_quarters=[float(i * beat) for i in range(slots + 1)])
        given = {slot: transpose_chord(chord, shift)
                 for slot, chord in cadence_chords(key, request.cadence, request.bars, int(per_bar)).items()}
        (chords,) = harmonise_pieces(self._harmoniser, [melody], "confidence", temperature=0.0, seed=request.seed,
                                     given=[given])
        return [transpose_chord(chord, -shift) for chord in chords]

    @staticmethod
    def _chord_bars(chords: list[int], bars: int, bar_length: Fraction,
                    beat: Fraction) -> tuple[list[ChordEvent], list[Bar]]:
        """Chord symbols (a new one where the chord changes) and block-chord bars, one chord per run of
        beats (`beat` quarter notes each)."""
        per_bar = int(bar_length / beat)
        harmony: list[ChordEvent] = []
        accompaniment = []
        for number in range(bars):
            events: list[Event] = []
            for slot in range(per_bar):
                chord = chords[number * per_bar + slot]
                pitches = block_chord(chord)
                if events and events[-1].pitches == pitches and slot:
                    events[-1].duration += float(beat)
                else:
                    events.append(Event(pitches=pitches, duration=float(beat)))
                symbol = ontology_symbol(chord)
                if symbol and (not harmony or harmony[-1].symbol != symbol):
                    harmony.append(ChordEvent(bar=number + 1, beat=1 + float(slot * beat), symbol=symbol))
            accompaniment.append(Bar(voices=[events]))
        return harmony, accompaniment

