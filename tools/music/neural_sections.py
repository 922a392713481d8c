"""`NeuralSectionTools`: a composition session's sections written by the neural music models in a style.

The piano model (factorised pitch/hand embeddings, trained on the Beethoven sonatas) writes under
the grammar of notes (`tools.music.piano.grammar`) the section's style sets (`ontology.music_styles`):
for every style but free piano it writes one line, the melody, in the style's register, grid and
note lengths, with no leap past the style's limit and a cadence tone on each phrase's last
downbeat (`tools.music.styles.phrases`). The FF harmoniser (trained on the Bach chorales) then
chooses a chord per slot of the style's harmonic rhythm around the phrases' cadences, a rule-written
step colours those chords in the style's measure (secondary dominants, cadences prepared by V/V or
ii7, the minor key's major V, a borrowed iv: `tools.music.harmony.enrichment`), and the
style's realiser writes the rest: four voices by a voice-leading search (chorale), a waltz's or a
nocturne's left hand, or nothing (a jig is one line under chord symbols). For free piano the model
writes both hands under the grammar, and the section's cadence is written into its last bars; the
chord symbols then name what the two hands sound.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from fractions import Fraction
from functools import partial

import torch

from ontology.music import Bar, Cadence, ChordEvent, Event
from ontology.music_styles import Motion, StyleSpec, style_spec
from ontology.music_theory import Key, Meter, exact_quarters, parse_key, parse_meter
from tools.base import ToolInputError
from tools.music.analysis import heard_keys, key_margin, label_chords, labels_in_key, sounding_notes
from tools.music.harmony.chords import (
    NO_CHORD,
    block_chord,
    chord_pitch_classes,
    label_pitch_classes,
    ontology_symbol,
    transpose_chord,
)
from tools.music.harmony.data import MelodyNote
from tools.music.harmony.data import Piece as Melody
from tools.music.harmony.enrichment import ENRICHMENT, enrich_harmony
from tools.music.harmony.model import HarmonyTransformer, load_harmoniser
from tools.music.harmony.rocking import barred_around, holds_the_melody, rocking_run
from tools.music.harmony.train import checkpoint_path
from tools.music.harmony.unmasking import harmonise_pieces
from tools.music.piano.grammar import NoteGrammar, PhraseEnd, rules_for_line, ticks
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
from tools.music.styles.accompaniment import (
    LEFT_HANDS,
    block_chords,
    join_before,
    nocturne_left_hand,
    piece_neighbour_rate,
    waltz_left_hand,
)
from tools.music.styles.articulation import detach, detach_struck, detached_share
from tools.music.styles.cantabile import sing
from tools.music.styles.chorale import realise_chorale
from tools.music.styles.fiddle import figured
from tools.music.styles.figures import vary_figures
from tools.music.styles.fioritura import ornament, ornament_rate
from tools.music.styles.harmonic_rhythm import held_through_bars
from tools.music.styles.octaves import in_octaves, octave_bars
from tools.music.styles.phrases import (
    approach_pitch_classes,
    barred_before_half_closes,
    cadence_bars,
    close_phrases,
    given_chords,
    held_to_the_bar_end,
    melody_pitch_classes,
    phrase_cadences,
    with_picardy_third,
)
from tools.music.styles.register_plan import (
    leap_rate,
    piece_return_bias,
    piece_step_bias,
    section_windows,
    shift_bias,
)
from tools.music.styles.thirds import in_chords, second_voice_notes, second_voice_rate, with_second_voice
from tools.music.styles.tonicisation import tonicised_scales
from tools.music.styles.top_voice import legato, sing_top_voice
from tools.music.threads import torch_threads
from tools.settings import Settings


def bars_to_segment(right: list[Bar], left: list[Bar], meter: str, mode: str, shift: int) -> Segment:
    """Ontology bars moved into the reference key, as a prompt the piano model can continue (a
    hand with fewer bars, such as a melody's missing left hand, is silent in the rest)."""
    segment = Segment(meter=meter, mode=mode, bars=[])
    length = Fraction(bar_ticks(meter), TICKS_PER_QUARTER)
    for number, right_bar in enumerate(right):
        notes = []
        hands = [(Hand.RIGHT, right_bar)] + ([(Hand.LEFT, left[number])] if number < len(left) else [])
        for hand, bar in hands:
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
            start, end = max(exact_quarters(note.onset), lo), min(
                exact_quarters(note.onset + note.duration), hi)
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


def _block(chord: int, duration: float) -> Event:
    return Event(pitches=block_chord(chord), duration=duration)


def _cadence_chords(right: list[Bar], key: Key, cadence: Cadence, bar_length: Fraction) -> tuple[int, int | None]:
    """The close's final chord and the chord before it, on the last beat of the bar before (None
    where the cadence fixes none there: a half close)."""
    beats = int(bar_length) if bar_length.denominator == 1 else 1
    fixed = given_chords(key, {len(right) - 1: cadence}, beats, len(right))
    last = (len(right) - 1) * beats
    return fixed[last], fixed.get(last - 1)


def _closing_note(right: list[Bar], final: int) -> int:
    """The right hand's last note: the `final` chord's tone (C4-C6) nearest its note before the close."""
    previous = [pitch for bar in right[-2:-1] or right[-1:] for pitch in bar.pitches()] or [72]
    tones = {pitch % 12 for pitch in block_chord(final)}
    return min((p for p in range(60, 85) if p % 12 in tones), key=lambda p: abs(p - previous[-1]))


def close_on_cadence(right: list[Bar], left: list[Bar], key: Key, cadence: Cadence,
                     bar_length: Fraction) -> tuple[list[Bar], list[Bar]]:
    """The piano texture's cadential close: the left hand arpeggiates the cadence's first chord through
    the bar before the last (over its held bass where the close is on the tonic, as a nocturne's left
    hand does; a half close fixes no chord there and keeps the model's bar) and holds the final chord
    in the last bar, and the right hand ends on the final chord's tone nearest its last note. The piano
    model knows nothing of form, so the arranger writes the cadence the plan asks for. (The bar before
    was a held block chord too: with a cadence closing each of three sections, six of a 16-bar piece's
    bars stood still in the left hand, and the music stopped before every close.)"""
    final, before = _cadence_chords(right, key, cadence, bar_length)
    length = float(bar_length)
    right = [*right[:-1], Bar(voices=[[Event(pitches=[_closing_note(right, final)], duration=length)]])]
    if before is None or len(left) < 2:
        return right, [*left[:-1], Bar(voices=[[_block(final, length)]])]
    closing = nocturne_left_hand([before, final], bar_length, 2, bar_length, key,
                                 melody=melody_line(right[-2:], bar_length),
                                 join=join_before(right[:-2], left[:-2]))
    return right, [*left[:-2], *closing]


APPROACH_SILENCE = Fraction(1)
"""The silence (quarters, at least) at the end of the bar before a close that its approach note fills."""


def approach_close(right: list[Bar], key: Key, cadence: Cadence, bar_length: Fraction) -> list[Bar]:
    """The right hand with the bar before its close (`close_on_cadence`) moving into the closing note
    where it fell silent: a closing silence of `APPROACH_SILENCE` or more (after a note) is sung on
    the tone of the cadence's first chord nearest the note the close would have ended on (its own
    pitch class excluded: the leading tone or the second degree before a tonic, a dominant seventh's
    seventh above its third); the close then ends on its final chord's tone nearest this note, a
    step or two away (that note, or another: the seventh F over G7 falls to E, not back up to G).
    The left hand's dominant arpeggio sounded alone under that silence,
    two or three octaves below the tune, and was heard as the line (in 37 of the 180 closes of sixty
    pieces of the language model's free piano plans, session 39). Written before the line is sung,
    so the note is the tune's; a half close, which fixes no chord there, keeps the bar."""
    final, before = _cadence_chords(right, key, cadence, bar_length)
    if before is None or len(right) < 2 or not right[-2].voices:
        return right
    ending = _closing_note(right, final)
    voice, silence = list(right[-2].voices[0]), Fraction(0)
    while voice and not voice[-1].pitches:
        silence += exact_quarters(voice.pop().duration)
    tones = {pitch % 12 for pitch in block_chord(before)} - {ending % 12}
    if not voice or silence < APPROACH_SILENCE or not tones:
        return right
    note = min((pitch for pitch in range(ending - 6, ending + 7) if pitch % 12 in tones),
               key=lambda pitch: (abs(pitch - ending), pitch))
    bar = right[-2].model_copy(update={"voices": [[*voice, Event(pitches=[note], duration=float(silence))],
                                                  *right[-2].voices[1:]]})
    return [*right[:-2], bar, right[-1]]


def melody_line(bars: list[Bar], bar_length: Fraction) -> list[MelodyNote]:
    """The first voice of `bars` as a line: a melody staff's tune, a chorale's soprano (the alto's
    passing notes on the same staff are not the tune)."""
    line = []
    for number, bar in enumerate(bars):
        start = bar_length * number
        for event in bar.voices[0]:
            length = exact_quarters(event.duration)
            if event.pitches:
                line.append(MelodyNote(float(start), float(length), max(event.pitches)))
            start += length
    return line


def octave_passage(request: SectionRequest, spec: StyleSpec, right: list[Bar], left: list[Bar]) -> list[Bar]:
    """The left hand with its piece's passage in octaves (`StyleSpec.octaves`, drawn from the piece's
    seed) where the passage falls in this section: a free piano's lower hand, or an accompaniment
    (a waltz's oom-pah-pah), leaves its texture and doubles the tune in the hand's register."""
    passage = octave_bars(spec.octaves, request.bars, request.place, request.shared_seed,
                          phrase_cadences(request.bars, request.cadence))
    if not passage:
        return left
    hand = LEFT_HANDS[spec.accompaniment or "block_chords"]
    register = (spec.bass.lowest, spec.bass.highest) if spec.bass is not None else (hand.lowest, hand.highest)
    return in_octaves(right, left, passage, register)


def strain_lead(spec: StyleSpec, request: SectionRequest) -> float:
    """Quarters of the run the section's held close leads on in (0: none): the style's `strain_lead` where
    another section follows, else its pickup (the tune's last strain leads round into its first bar). An
    O'Neill tune runs on through most of its strains' ends, where a strain of the fixed-plan jigs held
    its close for five eighths and led back in one: their notes per bar were 4.1-5.3 against O'Neill's
    4.4-6.3 (10th to 90th percentile, session 39)."""
    return spec.lead(inner=request.place[1] < 1, pickup=spec.pickup)


KEY_TRIES = 6
"""Tries a section may take to be heard in its key (`NeuralSectionTools.write`). The grammar keeps
every note in the scale and biases beats to the tonic triad, yet a tune may still dwell on the notes
another key shares: sixty fixed-plan jigs were heard in their key 51 times (an A major tune rocking on
G#-A-F# over E4-C#5 was heard in F# minor; a B strain sung high heard in the relative minor pulled the
whole tune there), 58 times with three tries, and nothing downstream could tell (the key is the
Composer's finding, which the tools do not act on). Six since a line may not circle two notes (session
44): an A major jig's B strain, kept off A-G#-A, was heard in D major on all three of its tries, the
fifth in A; a try is taken only where the ones before were not heard in the key, rarely (one section in
120 of sixty fixed-plan chorales)."""


def tried_seed(seed: int, attempt: int) -> int:
    """The seed of a section's `attempt`-th try after the first: a stream of its own, apart from the
    consecutive seeds the session's candidates and repairs take."""
    return random.Random(f"key try {seed} {attempt}").getrandbits(31)


def line_grammar(spec: StyleSpec, key: Key, shift: int, request: SectionRequest, bar_length: int) -> NoteGrammar:
    """The grammar the style's line (and, for free piano, the left hand) is sampled under, in the
    model's reference key (`shift` semitones from `key`), with a cadence tone on the downbeat of
    every phrase's last bar: a long note, the whole bar at the section's end (`held_to_the_bar_end`),
    up to the run leading on into the next section in a style with a pickup (`strain_lead`: a jig's inner
    strain "d3 ABc", its last "d3-d2 A"), and the
    style's register plan for the section's phrases at its place in the piece (or the windows the
    request fixes), drawn from its seed, the line's leap budget and step bias, drawn from the piece's
    seed, and the length bias of the section's motion (`SectionRequest.motion`) where the style's data gives one."""
    beat = ticks(float(parse_meter(request.meter).beat_quarters))
    lead = strain_lead(spec, request)
    held_length = bar_length - (ticks(lead) if lead else 0)
    cadences = phrase_cadences(request.bars, request.cadence)
    line = spec.melody
    windows = section_windows(line, request, key.tonic)
    ends = []
    for bar, cadence in cadences.items():
        final = bar == request.bars - 1
        held = final and held_to_the_bar_end(cadence, breath=spec.melody.breath, pickup=bool(spec.pickup))
        classes = melody_pitch_classes(key, cadence, final)
        outline = spec.texture == "melody"
        approach = approach_pitch_classes(key, cadence, classes, outline=outline) if bar else frozenset()
        ends.append(PhraseEnd(bar=bar, pitch_classes=frozenset((pc + shift) % 12 for pc in classes),
                              duration=held_length if held else min(ticks(spec.melody.phrase_end), bar_length),
                              approach=frozenset((pc + shift) % 12 for pc in approach), approach_ticks=beat))
    tonicise = min(1.0, line.tonicise * ENRICHMENT[spec.style].piece_colour(request.shared_seed))
    scales = tonicised_scales(key.mode, request.bars, cadences, tonicise, request.seed) if tonicise else ()
    return rules_for_line(line.in_meter(request.meter), key.mode, shift=shift, bass=spec.bass,
                          phrase_ends=tuple(ends), beat=beat, windows=windows, bar_scales=scales,
                          window_pull=line.register_plan.pull if line.register_plan else 0.0,
                          shift_bias=shift_bias(line.register_plan, request.seed) if line.register_plan else 0.0,
                          leap_rate=leap_rate(line, request.shared_seed),
                          step_bias=piece_step_bias(line, request.shared_seed),
                          return_bias=piece_return_bias(line, request.shared_seed), motion=request.motion,
                          density=request.density, opens_phrase=not request.continues_phrase)


class NeuralSectionTools(SectionWriter):
    """Writes sections with the piano model (`Settings.piano_checkpoint`) and the shipped FF harmoniser
    (loaded once, on first use) in the request's style; variations of earlier sections come from
    `SectionWriter.realise`, built on `write` and `arrange`."""

    def __init__(self, settings: Settings | None = None, *, curriculum: str = "ff") -> None:
        self.settings = settings or Settings.from_env()
        self._piano = PianoGenerationTool(settings=self.settings)
        self._harmony_checkpoint = checkpoint_path(curriculum)  # type: ignore[arg-type]
        self._harmoniser: HarmonyTransformer | None = None

    def realise(self, request: SectionRequest) -> SectionMaterial:
        """The section, with the music models on `Settings.music_threads` torch threads (`tools.music.threads`)."""
        with torch_threads(self.settings.music_threads):
            return super().realise(request)

    def write(self, request: SectionRequest) -> SectionMaterial:
        """The first of the section's tries (`KEY_TRIES`: the request's seed, then seeds of their own)
        whose notes are heard in its key (`heard_keys`), else the one nearest to it (`key_margin`),
        with every try's tool calls."""
        if request.meter not in METERS:
            raise ToolInputError(f"The piano model does not write {request.meter}; use one of {', '.join(METERS)}.")
        key, bar_length = parse_key(request.key), parse_meter(request.meter).bar_quarters
        best: tuple[float, SectionMaterial] | None = None
        calls: list[ToolCall] = []
        for attempt in range(KEY_TRIES):
            tried = request if attempt == 0 else request.model_copy(update={"seed": tried_seed(request.seed, attempt)})
            material = self._written(tried)
            calls += material.calls
            margin = key_margin([material.right, material.left], bar_length, heard_keys(key, request.cadence))
            if best is None or margin > best[0]:
                best = (margin, material)
            if margin > 0:
                break
        assert best is not None  # a section is written once at least
        return best[1].model_copy(update={"calls": calls})

    def _written(self, request: SectionRequest) -> SectionMaterial:
        spec = style_spec(request.style)
        started = time.perf_counter()
        key = parse_key(request.key)
        right, left = self._generate(request, key, spec)
        if spec.bass is not None and request.motion is not Motion.GENTLE:
            left = detach_struck(left, beat=parse_meter(request.meter).beat_quarters,
                                 keep=cadence_bars(phrase_cadences(request.bars, request.cadence)),
                                 share=detached_share(spec.bass.detached, request.shared_seed, hand="left"),
                                 seed=request.seed)
        if spec.texture != "piano" and (spec.melody.vary_figures or spec.melody.cantabile is not None):
            right = self._shape_line(right, request, key, spec)
        if spec.texture == "piano":
            summary = (f"{sum(len(b.pitches()) for b in right)} right-hand and "
                       f"{sum(len(b.pitches()) for b in left)} left-hand notes")
        else:
            summary = f"a {request.style} melody of {sum(len(b.pitches()) for b in right)} notes"
        call = ToolCall(tool="generate_piano", seconds=round(time.perf_counter() - started, 2),
                        arguments={"bars": request.bars, "key": request.key, "meter": request.meter,
                                   "style": request.style.value, "seed": request.seed,
                                   "temperature": request.temperature, "prompt_bars": len(request.previous_right),
                                   **({"motion": request.motion.value} if request.motion else {})},
                        summary=summary)
        material = self.arrange(request, right, left)
        return material.model_copy(update={"calls": [call, *material.calls]})

    def arrange(self, request: SectionRequest, right: list[Bar], left: list[Bar]) -> SectionMaterial:
        """Both staves finished in the request's style: for free piano the right hand (held through its
        phrases' silences in a gentle section, `tools.music.styles.top_voice.legato`, and moving into
        its close where it fell silent before it, `approach_close`) with its single notes sung as a
        tune is (`_sung`, `tools.music.styles.top_voice`; before a passage in octaves doubles them; the
        notes before it are the material's tune), the cadence written into the
        last bars and chords named from the notes; for the other styles the first voice's line (the
        melody) harmonised around the phrases' cadences, its chords coloured in the style's measure
        (drawn from the request's seed) and realised in the style's texture (so arranging an
        earlier section's notes keeps its melody and re-harmonises it); an accompaniment mostly
        keeps the piece's figure (at its density, `SectionRequest.density`) or, without one, the figure of the left
        hand it is given, or else of the bars before the section. A
        tune over an accompaniment sings some bars over a second voice where its style asks
        (`tools.music.styles.thirds`), written before the left hand so that it stays under both. A
        chorale's material carries its soprano's tune before the figures the realiser sang on it
        (`SectionMaterial.tune`), which is what a variation arranges again."""
        key = parse_key(request.key)
        meter = parse_meter(request.meter)
        spec = style_spec(request.style)
        if spec.texture == "piano":
            if request.motion is Motion.GENTLE:
                right = legato(right, cadence_bars(phrase_cadences(request.bars, request.cadence)))
            if request.cadence is not None:
                right = approach_close(right, key, request.cadence, meter.bar_quarters)
            sung = sing_top_voice(right, meter.bar_quarters, lambda line: self._sung(line, request, key, spec))
            left = octave_passage(request, spec, sung, left)
            if request.cadence is not None:
                sung, left = close_on_cadence(sung, left, key, request.cadence, meter.bar_quarters)
                right = [*right[:-1], sung[-1]]  # the close rewrites the last bar, which is sung as it is
            return SectionMaterial(right=sung, left=left, tune=right if right != sung else [],
                                   harmony=labels_in_key(label_chords([sung, left], meter.bar_quarters,
                                                                           spec.chord_slot(meter)), key,
                                                              chromatic_harmony=False))
        started = time.perf_counter()
        ends = phrase_cadences(request.bars, request.cadence)
        line = close_phrases(melody_line(right, meter.bar_quarters), key, ends, meter.bar_quarters,
                             meter.beat_quarters, (spec.melody.lowest, spec.melody.highest),
                             outline=spec.texture == "melody", breath=spec.melody.breath,
                             pickup=Fraction(strain_lead(spec, request)), goals=request.leads_to)
        slot = spec.chord_slot(meter)
        given = given_chords(key, ends, int(meter.bar_quarters / slot), request.bars, spec.tonic_opening_bar)
        if spec.picardy_third and request.place[1] == 1 and request.cadence is Cadence.AUTHENTIC:
            given = with_picardy_third(given, key, request.bars - 1, int(meter.bar_quarters / slot),
                                       line[-1].pitch if line else None)
        barred = barred_before_half_closes(key, ends, int(meter.bar_quarters / slot), request.bars)
        chords = self._harmonise(line, request, key, meter, slot, given, barred)
        if spec.held_harmony:
            chords = held_through_bars(chords, line, slot, meter.bar_quarters, given)
        rates = ENRICHMENT[spec.style]
        chords = enrich_harmony(chords, line, key, slot, meter, given,
                                rates.coloured(rates.piece_colour(request.shared_seed)), request.seed)
        harmony = chord_symbols(chords, slot, meter.bar_quarters, key)
        call = ToolCall(tool="harmonise_melody", seconds=round(time.perf_counter() - started, 2),
                        arguments={"chords": len(chords), "slot_quarters": float(slot), "key": request.key},
                        summary=" ".join(event.symbol for event in harmony)[:300])
        started = time.perf_counter()
        bars, bar_length = request.bars, meter.bar_quarters
        melody = melody_bars(self._sung(line, request, key, spec), bars, bar_length)
        if spec.texture == "four_voices":
            upper, lower = realise_chorale(line, chords, slot, bars, bar_length, key,
                                           final=request.cadence in (Cadence.AUTHENTIC, Cadence.PLAGAL),
                                           before=last_chord(request.previous_right, request.previous_left),
                                           seed=request.seed, piece_seed=request.piece_seed,
                                           divided_beats=spec.melody.max_divided_beats,
                                           rock_spacing=spec.melody.rock_spacing)
        elif spec.texture == "melody_and_accompaniment":
            hands: dict[str, Callable[..., list[Bar]]] = {
                "waltz": waltz_left_hand, "block_chords": block_chords,
                "nocturne": partial(nocturne_left_hand, neighbour_rate=piece_neighbour_rate(request.shared_seed))}
            accompany = hands[spec.accompaniment or "block_chords"]
            before = left if any(bar.pitches() for bar in left) else request.previous_left
            melody = with_second_voice(melody, chords, slot=slot, bar_length=bar_length, seed=request.seed,
                                       rate=second_voice_rate(spec.melody, request.density),
                                       chordal=in_chords(spec.melody, request.density))
            under = sorted([*line, *second_voice_notes(melody, bar_length)], key=lambda note: note.onset)
            upper, lower = melody, accompany(chords, slot, bars, bar_length, key, melody=under, seed=request.seed,
                                             before=before,
                                             density=None if request.piece_seed is None else request.density,
                                             join=join_before(request.previous_right, request.previous_left))
            lower = octave_passage(request, spec, upper, lower)
        else:
            figures = figured(line, meter, key, ends, request.seed, request.shared_seed)
            upper, lower = melody_bars(figures, bars, bar_length), []
        realised = ToolCall(tool=f"realise_{spec.style.value.replace(' ', '_')}",
                            seconds=round(time.perf_counter() - started, 2),
                            arguments={"bars": bars, "texture": spec.texture, "accompaniment": spec.accompaniment},
                            summary=f"{sum(len(b.pitches()) for b in upper + lower)} notes in the {spec.texture} "
                                    "texture")
        tune = melody_bars(line, bars, bar_length)
        return SectionMaterial(right=upper, left=lower, harmony=harmony, calls=[call, realised],
                               tune=tune if spec.texture == "four_voices" or tune != melody else [])

    @staticmethod
    def _sung(line: list[MelodyNote], request: SectionRequest, key: Key, spec: StyleSpec) -> list[MelodyNote]:
        """The harmonised tune as the right hand sings it: its long notes detached at the piece's
        share (`tools.music.styles.articulation`; a gentle section sings legato) and ornamented at
        the piece's rate (`tools.music.styles.fioritura`), as the style asks."""
        meter, rules = parse_meter(request.meter), spec.melody
        ends = list(phrase_cadences(request.bars, request.cadence))
        share = 0.0 if request.motion is Motion.GENTLE else detached_share(rules.detached, request.shared_seed)
        sung = detach(line, bar_length=meter.bar_quarters, beat=meter.beat_quarters, phrase_ends=ends, share=share,
                      seed=request.seed)
        return ornament(sung, key=key, bar_length=meter.bar_quarters, beat=meter.beat_quarters,
                        register=(rules.lowest, rules.highest), phrase_ends=ends,
                        rate=ornament_rate(rules, request.density), seed=request.seed)

    @staticmethod
    def _shape_line(right: list[Bar], request: SectionRequest, key: Key, spec: StyleSpec) -> list[Bar]:
        """A freshly sampled melody developed where it repeats a figure (`vary_figures`) and made to
        sing (`tools.music.styles.cantabile`), as the style asks; its phrases' last bars keep their
        cadence notes."""
        meter = parse_meter(request.meter)
        bar_length, rules = meter.bar_quarters, spec.melody
        register, ends = (rules.lowest, rules.highest), [*phrase_cadences(request.bars, request.cadence),
                                                          request.bars - 1]
        line = melody_line(right, bar_length)
        if rules.vary_figures:
            line = vary_figures(line, key, bar_length, request.bars, register, rules.max_leap, ends, request.seed)
        if rules.cantabile is not None:
            line = sing(line, key=key, meter=meter, bars=request.bars, register=register, max_leap=rules.max_leap,
                        phrase_ends=ends, rules=rules.cantabile, seed=request.seed, density=request.density)
        return melody_bars(line, request.bars, bar_length)

    def _generate(self, request: SectionRequest, key: Key, spec: StyleSpec) -> tuple[list[Bar], list[Bar]]:
        """New bars from the piano model under the style's grammar, continuing the bars before the
        section (a melody continues the melody alone)."""
        mode = key.mode.value
        shift = transposition_to_reference(key.tonic, mode)
        meter = parse_meter(request.meter)
        previous_left = request.previous_left if spec.texture == "piano" else []
        previous_right = request.previous_right if spec.texture == "piano" else melody_bars(
            melody_line(request.previous_right, meter.bar_quarters), len(request.previous_right), meter.bar_quarters)
        prompt = bars_to_segment(previous_right, previous_left, request.meter, mode, shift)
        grammar = line_grammar(spec, key, shift, request, bar_ticks(request.meter))
        generator = seed_everything(request.seed)
        with torch.inference_mode():
            tokens = sample_bars(self._piano.model, encode_segment(prompt), request.bars,
                                 temperature=spec.sampling.temperature * request.temperature, generator=generator,
                                 grammar=grammar, top_p=spec.sampling.top_p)
        segment = decode_tokens(tokens)
        segment.bars = segment.bars[len(prompt.bars):]
        return segment_to_bars(segment, shift)

    def _harmonise(self, line: list[MelodyNote], request: SectionRequest, key: Key, meter: Meter,
                   slot: Fraction, fixed: dict[int, int], barred: dict[int, frozenset[int]]) -> list[int]:
        """One chord per slot of `slot` quarters. The harmoniser works a beat at a time (a dotted
        quarter in 6/8), with the chords `fixed` by slot (the phrases' cadences) given for every
        beat of their slots and those `barred` by slot barred from every beat of theirs; a slot
        takes its first beat's chord."""
        beat, bar_length = meter.beat_quarters, meter.bar_quarters
        per_bar = bar_length / beat
        if per_bar.denominator != 1:
            raise ToolInputError(f"A {request.meter} bar is not a whole number of {beat}-quarter beats.")
        if self._harmoniser is None:
            self._harmoniser = load_harmoniser(self._harmony_checkpoint)[0]
        beats_per_slot = int(slot / beat)
        shift = transposition_to_reference(key.tonic, key.mode.value)
        count = int(per_bar) * request.bars
        notes = [MelodyNote(float(exact_quarters(n.onset) / beat),
                            float(exact_quarters(n.duration) / beat), n.pitch + shift) for n in line]
        melody = Melody(name="section", notes=notes, n_beats=count, bar_starts=list(range(0, count, int(per_bar))),
                        transposition=shift, key=key.name, slot_quarters=[float(i * beat) for i in range(count + 1)])
        given = {slot_index * beats_per_slot + offset: transpose_chord(chord, shift)
                 for slot_index, chord in fixed.items() for offset in range(beats_per_slot)}
        banned = {slot_index * beats_per_slot + offset: frozenset(transpose_chord(chord, shift) for chord in chords)
                  for slot_index, chords in barred.items() for offset in range(beats_per_slot)}
        (chords,) = harmonise_pieces(self._harmoniser, [melody], "confidence", temperature=0.0, seed=request.seed,
                                     given=[given], banned=[banned])
        if style_spec(request.style).vary_rocking:
            chords = self._unrocked(chords, melody, given, banned, request.seed)
        per_slot = [transpose_chord(chords[index], -shift) for index in range(0, len(chords), beats_per_slot)]
        return held(per_slot)

    def _unrocked(self, chords: list[int], melody: Melody, given: dict[int, int], banned: dict[int, frozenset[int]],
                  seed: int) -> list[int]:
        """`chords` (one per beat) with each chord that rocks (X Y X Y) chosen again by the harmoniser,
        from the left, with the chords around it barred (`tools.music.harmony.rocking`), where its
        new choice holds the melody's note; the beats `banned` from chords stay so."""
        assert self._harmoniser is not None
        tried: set[int] = set()
        while (run := rocking_run(chords, given, tried)) is not None:
            tried.add(run.start)
            kept = {beat: chord for beat, chord in enumerate(chords) if beat not in run}
            barred = {beat: barred_around(chords, run) | banned.get(beat, frozenset()) for beat in run}
            (again,) = harmonise_pieces(self._harmoniser, [melody], "confidence", temperature=0.0, seed=seed,
                                        given=[kept], banned=[barred])
            if holds_the_melody(again[run.start], melody.notes, run.start):
                chords = [*chords[:run.start], *again[run.start:run.stop], *chords[run.stop:]]
        return chords


def last_chord(upper: list[Bar], lower: list[Bar]) -> tuple[tuple[int, int, int, int], int] | None:
    """The four voices' last pitches (soprano, alto, tenor, bass) before a chorale section, and the
    chord they sound, when the bars before are a chorale's (two voices a staff, all sounding)."""
    if not upper or not lower or len(upper[-1].voices) != 2 or len(lower[-1].voices) != 2:
        return None
    last = [voice[-1].pitches for voice in (*upper[-1].voices, *lower[-1].voices) if voice]
    if len(last) != 4 or not all(len(pitches) == 1 for pitches in last):
        return None
    soprano, alto, tenor, bass = (pitches[0] for pitches in last)
    chord = label_pitch_classes({pitch % 12: 1.0 for pitch in (soprano, alto, tenor, bass)}, bass)
    return ((soprano, alto, tenor, bass), chord) if chord != NO_CHORD else None


def held(chords: list[int]) -> list[int]:
    """Chords with every "no chord" slot holding the chord before it (the first real chord before
    the first)."""
    first = next((chord for chord in chords if chord != NO_CHORD), NO_CHORD)
    result, current = [], first
    for chord in chords:
        current = chord if chord != NO_CHORD else current
        result.append(current)
    return result


def chord_symbols(chords: list[int], slot: Fraction, bar_length: Fraction, key: Key) -> list[ChordEvent]:
    """A chord symbol where the chord changes, one chord per `slot` quarters from the section's start.
    A chord with tones outside `key` (a secondary dominant, a borrowed chord) is marked borrowed: the
    harmoniser chose it on purpose, as Bach's chorales do (their out-of-key share is 5%)."""
    per_bar = int(bar_length / slot)
    scale = key.scale()
    harmony: list[ChordEvent] = []
    for index, chord in enumerate(chords):
        symbol = ontology_symbol(chord)
        if symbol and (not harmony or harmony[-1].symbol != symbol):
            bar, position = divmod(index, per_bar)
            harmony.append(ChordEvent(bar=bar + 1, beat=1 + float(position * slot), symbol=symbol,
                                      borrowed=not chord_pitch_classes(chord) <= scale))
    return harmony
