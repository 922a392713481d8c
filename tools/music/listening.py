"""Validators and critics that listen: what a draft sounds like, held to its style's limits.

The ontology's validators (`ontology.music_validators`) check what a piece must be (full bars,
ranges, chords against the key plan); these check what it sounds like, measured the way the
quality benchmark measures real music (`tools.music.quality.features` on a `Timeline`): steps and
range of the top voice, leaps and register of the melody (the melody part's line: where it rests,
the accompaniment's top is heard above nothing, but no singer follows it there, and a leap across
a breath at a phrase's end starts a new phrase rather than moving the line), tuplets, rests, the
key music21 hears, the cadence heard at each phrase end, parallel fifths and octaves between any
two voices, and one figure repeated bar after bar. Each check reads the limits of the piece's style
(`ontology.music_styles.style_spec(piece.style)`), so a jig is held to a jig's limits and a
chorale to a chorale's.

A draft is heard once (`hear`); the checks in `LISTENING_VALIDATORS` turn what was heard into
findings owned as the ontology's are (the Arranger the notes, the Harmonist the cadence chords,
the Composer the key), located at a part's bar or a section so a session can send each back to
the section that holds it. Only what a rewrite must fix is an error: a leap over the style's
limit, a tuplet in a style that allows none, a final authentic or plagal cadence that is planned
but not heard. `listening_report` gives the critics the same findings, or says that nothing is off
the style's limits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from itertools import combinations
from typing import NamedTuple

from pydantic import BaseModel

from ontology.core import Finding, Problem, Severity, ValidatorRegistry, at
from ontology.music import Cadence, Piece
from ontology.music_styles import LineRules, ListeningLimits, Style, style_spec
from ontology.music_theory import Key, exact_quarters, parse_key
from ontology.music_validators import ARRANGER, COMPOSER, HARMONIST
from tools.music.analysis import KeyEstimate, voice_parallels
from tools.music.quality.features import (
    Chord,
    cadence_of,
    closing_chords,
    heard_key,
    is_tuplet,
    outer_voice,
    pitch_range,
    rest_share,
    step_share,
    tuplet_share,
)
from tools.music.quality.timeline import Timeline, timeline_from_piece
from tools.music.styles.phrases import phrase_cadences

MELODY_PART = 0
"""The part that carries the melody (a piano's right hand, a choir's upper staff, a tune's only
part): findings about the top voice are located at its bars."""
REPEATED_BARS = 3
"""One figure filling this many consecutive bars is heard as a loop, not a motif."""
CHORALE_VOICES = ("soprano", "alto", "tenor", "bass")
"""A chorale's voices, top down: `Bar.voices` [soprano, alto] of part 0 and [tenor, bass] of part 1."""


class Leap(NamedTuple):
    bar: int  # 0-based, the bar where the second note is struck
    source: int
    target: int
    source_bar: int  # 0-based, the bar where the first note is struck

    @property
    def semitones(self) -> int:
        return abs(self.target - self.source)


class BarNote(NamedTuple):
    bar: int
    pitch: int


class PhraseEnd(NamedTuple):
    """The cadence planned for a section and the one its closing chords make."""

    section: int
    section_id: str
    key: str
    planned: Cadence | None
    heard: str  # a Cadence value, or "other"


class Parallel(NamedTuple):
    bar: int
    part: int  # the part of the upper voice, where the finding is located
    kind: str  # "fifths" or "octaves"
    upper: str
    lower: str
    join: int = 0  # the section whose first note it reaches (0: within a section, the first's included)


class Repeat(NamedTuple):
    first: int  # 0-based bars, inclusive
    last: int


class Hearing(BaseModel):
    """What one listening of a piece found, measured once for every check and the report."""

    piece: Piece
    limits: ListeningLimits
    melody: LineRules
    bars: float
    intervals: int
    step_share: float
    leaps: list[Leap]
    top_range: int
    top_pitches: tuple[int, int] | None
    out_of_register: list[BarNote]
    tuplet_share: float
    tuplet_bars: list[int]
    rest_share: float
    heard_key: KeyEstimate | None
    phrase_ends: list[PhraseEnd]
    parallels: list[Parallel]
    repeats: list[Repeat]

    @property
    def has_notes(self) -> bool:
        return self.top_pitches is not None

    @property
    def parallels_per_bar(self) -> float:
        return len(self.parallels) / self.bars if self.bars else 0.0


HEARINGS_KEPT = 4
"""The latest hearings kept by `hear`: a session hears a draft again right after choosing it."""
_hearings: OrderedDict[str, Hearing] = OrderedDict()
_hearings_lock = threading.Lock()
"""Held while `_hearings` is read or changed: the MCP server runs its tools in worker threads."""


def hear(piece: Piece) -> Hearing:
    """Measure everything the listening checks and the report read, once. A session hears the same
    notes more than once: the last section's chosen candidate is the draft the validation checks
    next, and the critics' report reads that draft again; each is heard once, kept by the piece's
    JSON (milliseconds, against some 0.3-1 CPU s a hearing) with a copy of the piece, so a caller
    changing its piece later changes nothing heard."""
    key = piece.model_dump_json()
    with _hearings_lock:
        heard = _hearings.get(key)
        if heard is not None:
            _hearings.move_to_end(key)
            return heard
    heard = _hear(piece.model_copy(deep=True))  # unlocked: two threads may hear one piece, never wait on it
    with _hearings_lock:
        _hearings[key] = heard
        _hearings.move_to_end(key)
        while len(_hearings) > HEARINGS_KEPT:
            _hearings.popitem(last=False)
    return heard


def _hear(piece: Piece) -> Hearing:
    spec = style_spec(piece.style)
    timeline = timeline_from_piece(piece)
    bar_length, downbeat = timeline.bar_length, timeline.downbeat
    top = outer_voice(timeline, highest=True)
    pitches = [pitch for _, pitch in top]
    melody = spec.melody
    tune = timeline_from_piece(piece.model_copy(update={"parts": piece.parts[MELODY_PART:MELODY_PART + 1]}))
    line = outer_voice(tune, highest=True)
    breaths = _breaths(tune, _phrase_end_bars(piece), bar_length, downbeat)
    return Hearing(
        piece=piece, limits=spec.limits, melody=melody, bars=timeline.length_bars,
        intervals=max(0, len(top) - 1),
        step_share=step_share(top),
        leaps=[leap for leap, onset in _leaps(line, bar_length, downbeat)
               if leap.semitones > spec.limits.max_leap and onset not in breaths],
        top_range=pitch_range(top),
        top_pitches=(min(pitches), max(pitches)) if pitches else None,
        out_of_register=[BarNote(_bar(onset, bar_length, downbeat), pitch) for onset, pitch in line
                         if not melody.lowest <= pitch <= melody.highest],
        tuplet_share=tuplet_share(timeline),
        tuplet_bars=sorted({_bar(event.onset, bar_length, downbeat) for event in timeline.events
                            if is_tuplet(event.duration)}),
        rest_share=rest_share(timeline),
        heard_key=heard_key(timeline) if pitches else None,
        phrase_ends=_phrase_ends(piece, timeline) if pitches else [],
        parallels=_parallels(piece, bar_length),
        repeats=_repeats(top, bar_length, downbeat),
    )


def _bar(time: Fraction, bar_length: Fraction, downbeat: Fraction = Fraction(0)) -> int:
    """The 0-based bar (in `Part.bars`) that `time` falls in, counted from the first full bar: a
    pickup's notes belong to the bar they lead into."""
    return max(0, int((time - downbeat) // bar_length))


def _leaps(line: list[tuple[Fraction, int]], bar_length: Fraction,
           downbeat: Fraction) -> list[tuple[Leap, Fraction]]:
    """Each interval of `line` as a leap, with the onset of the note it leaps to."""
    return [(Leap(_bar(onset, bar_length, downbeat), source, target, _bar(begins, bar_length, downbeat)), onset)
            for (begins, source), (onset, target) in zip(line, line[1:], strict=False)]


def _on_bar_line(time: Fraction, bar_length: Fraction, downbeat: Fraction) -> bool:
    """Whether `time` is a bar line (a silence ending there does not reach the bar it opens; one
    starting there touches the bar it closes)."""
    return time > downbeat and (time - downbeat) % bar_length == 0


def _phrase_end_bars(piece: Piece) -> set[int]:
    """The 0-based bars (in `Part.bars`) where a phrase ends: each section's last bar, and the
    phrase ends inside it where its four-bar phrases close (`phrase_cadences`)."""
    ends = set()
    for section, first, last in piece.section_spans():
        ends.add(last - 1)
        ends.update(first - 1 + bar for bar in phrase_cadences(section.bars, section.cadence))
    return ends


def _breaths(tune: Timeline, phrase_ends: set[int], bar_length: Fraction, downbeat: Fraction) -> set[Fraction]:
    """Onsets of the melody's notes struck after a silence that touches a phrase's last bar: from
    there, or from its end, to a new phrase. A singer breathes there, and a new phrase may begin in
    another register (a waltz's restated tune an octave up, a return to the theme after a middle
    section), so the interval across the breath is no melodic leap the line must make."""
    found, sounding_until = set(), None
    for onset, end, _ in sorted(tune.sounding()):
        if sounding_until is not None and onset > sounding_until:
            first = _bar(sounding_until, bar_length, downbeat) - _on_bar_line(sounding_until, bar_length, downbeat)
            last = _bar(onset, bar_length, downbeat) - _on_bar_line(onset, bar_length, downbeat)
            if set(range(first, last + 1)) & phrase_ends:
                found.add(onset)
        sounding_until = end if sounding_until is None else max(sounding_until, end)
    return found


def _phrase_ends(piece: Piece, timeline: Timeline) -> list[PhraseEnd]:
    """The cadence heard at the end of each section (each section closes a phrase): the chords
    that sound in its last beats, labelled per beat as the quality benchmark labels them, read in
    the section's key, on beats counted from the piece's bar lines (after its pickup, not from 0).
    In a piece with a pickup, the notes struck in a section's last pickup's length lead into what
    follows (a jig's "d3-d2 e" leads back into its strain's "f"): they open the next phrase, as the
    pickup opens the first, so the cadence is read before them. A style whose inner strains lead on
    for longer (`StyleSpec.strain_lead`: a jig's "d3 ABc") is read before that run where another
    section follows, as the tools write it: read before the pickup alone, the example jig of session
    51 heard its three inner closes (D5 held, then G F# E leading back) as no cadence and spent its
    repairs on them."""
    ends = []
    spans = piece.section_spans()
    spec = style_spec(piece.style)
    for index, (section, first, last) in enumerate(spans):
        lead = exact_quarters(spec.lead(inner=index < len(spans) - 1, pickup=piece.pickup))
        start, end = (timeline.downbeat + timeline.bar_length * bar for bar in (first - 1, last))
        inside = tuple(event for event in timeline.events if start <= event.onset < end - lead)
        key = parse_key(section.key or piece.key)
        before, final = closing_chords(replace(timeline, events=inside, key=key))  # beats from its bar lines
        ends.append(PhraseEnd(index, section.id, key.name, section.cadence, _cadence_heard(before, final, key)))
    return ends


def _cadence_heard(before: Chord | None, final: Chord | None, key: Key) -> str:
    """The quality benchmark's cadence names, and 'deceptive' for V -> vi, which it counts as other."""
    if before is not None and final is not None and before[0] == key.degree_root(5) \
            and final[0] == key.degree_root(6):
        return Cadence.DECEPTIVE.value
    return cadence_of(before, final, key).value


def _voice_lines(piece: Piece) -> list[tuple[str, int, list[tuple[Fraction, int]]]]:
    """Every separate voice of the piece, top down, as (name, part index, (onset, pitch) line).
    A voice that strikes a chord is heard by its top note, except the lowest voice, heard by its bass."""
    found: list[tuple[str, int, dict[Fraction, list[int]]]] = []
    for p, part in enumerate(piece.parts):
        count = max((len(bar.voices) for bar in part.bars), default=0)
        for v in range(count):
            struck: dict[Fraction, list[int]] = {}
            bars = [(Fraction(0), part.pickup_bar)] if part.pickup_bar is not None else []
            for onset, bar in bars + [(piece.bar_start(number), bar) for number, bar in enumerate(part.bars)]:
                if v >= len(bar.voices):
                    continue
                for event in bar.voices[v]:
                    if event.pitches:
                        struck[onset] = event.pitches
                    onset += exact_quarters(event.duration)
            found.append((part.id if count == 1 else f"{part.id} voice {v + 1}", p, struck))
    if piece.style == Style.CHORALE and len(found) == len(CHORALE_VOICES):
        found = [(name, p, struck) for name, (_, p, struck) in zip(CHORALE_VOICES, found, strict=True)]
    return [(name, p, sorted((onset, (min if i == len(found) - 1 else max)(pitches))
                             for onset, pitches in struck.items()))
            for i, (name, p, struck) in enumerate(found)]


def _parallels(piece: Piece, bar_length: Fraction) -> list[Parallel]:
    """Parallel fifths and octaves between every pair of separate voices (none with one voice), but
    none a passage in octaves makes (`voice_parallels`)."""
    key = parse_key(piece.key)
    lines = _voice_lines(piece)
    downbeat = piece.bar_start(0)
    joins = {piece.bar_start(first - 1): index for index, (_, first, _) in enumerate(piece.section_spans()) if index}
    found = [Parallel(_bar(time, bar_length, downbeat), part, kind, upper, lower, joins.get(time, 0))
             for (upper, part, top), (lower, _, bottom) in combinations(lines, 2)
             for kind, time in voice_parallels(top, bottom, key, bar_length, downbeat)]
    return sorted(found)


Figure = tuple[tuple[Fraction, ...], tuple[int, ...]]
"""A bar's figure: its top voice's onsets in the bar and the intervals between them."""


def bar_figures(top: list[tuple[Fraction, int]], bar_length: Fraction, downbeat: Fraction) -> dict[int, Figure]:
    """The figure of each bar whose top voice strikes more than once, by 0-based bar: the same
    onsets and intervals are one figure at any transposition (a sequence). A bar of one note is
    no figure, nor is a pickup."""
    by_bar: defaultdict[int, list[tuple[Fraction, int]]] = defaultdict(list)
    for onset, pitch in top:
        if onset >= downbeat:
            by_bar[_bar(onset, bar_length, downbeat)].append((onset, pitch))
    return {bar: (tuple(onset - downbeat - bar * bar_length for onset, _ in notes),
                  tuple(b - a for (_, a), (_, b) in zip(notes, notes[1:], strict=False)))
            for bar, notes in by_bar.items() if len(notes) > 1}


def _repeats(top: list[tuple[Fraction, int]], bar_length: Fraction, downbeat: Fraction) -> list[Repeat]:
    """Runs of `REPEATED_BARS` or more consecutive bars whose top voice plays one figure
    (`bar_figures`)."""
    figures = bar_figures(top, bar_length, downbeat)
    runs: list[Repeat] = []
    for bar in sorted(figures):
        if runs and runs[-1].last == bar - 1 and figures.get(bar - 1) == figures[bar]:
            runs[-1] = Repeat(runs[-1].first, bar)
        else:
            runs.append(Repeat(bar, bar))
    return [run for run in runs if run.last - run.first + 1 >= REPEATED_BARS]


# --- the checks --------------------------------------------------------------------------------

LISTENING_VALIDATORS: ValidatorRegistry[Hearing] = ValidatorRegistry()


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _style(heard: Hearing) -> str:
    return f"{_article(heard.piece.style)} {heard.piece.style}"


@LISTENING_VALIDATORS.register(ARRANGER)
def leaps_within_the_style(heard: Hearing) -> Iterator[Problem]:
    """A melody leap wider than the style allows is an error: singers and listeners lose the line
    (a leap across a breath at a phrase's end is none: `_breaths`). A leap into a section that
    restates or varies earlier material is found in the bar it leaps from: the return's opening is
    its source's, so the section before must close nearer it (a repair of the return wrote the same
    opening again: five final versions of 100 language-model pieces kept such a leap, session 54)."""
    returns = {first - 1: section.label for section, first, _ in heard.piece.section_spans()
               if section.variation is not None}
    by_bar: defaultdict[tuple[int, int], list[Leap]] = defaultdict(list)
    for leap in heard.leaps:
        into_return = leap.bar in returns and leap.source_bar < leap.bar
        by_bar[leap.source_bar if into_return else leap.bar, leap.bar].append(leap)
    for (found, bar), leaps in sorted(by_bar.items()):
        widths = ", ".join(f"{leap.source}->{leap.target} ({leap.semitones})" for leap in leaps)
        into = f" into {returns[bar]} at bar {bar + 1}" if found != bar else ""
        yield Problem(Severity.ERROR, "top_voice_leap",
                      f"bar {found + 1}: the melody leaps {widths} semitones{into}, more than the "
                      f"{heard.limits.max_leap} {_style(heard)} allows; move by step or a smaller skip",
                      at("parts", MELODY_PART, "bars", found))


@LISTENING_VALIDATORS.register(ARRANGER)
def tuplets_as_the_style_allows(heard: Hearing) -> Iterator[Problem]:
    """A style without tuplets gets an error in every bar that has one; others a warning when
    tuplets take more than their share of the events."""
    if heard.limits.max_tuplet_share == 0:
        for bar in heard.tuplet_bars:
            yield Problem(Severity.ERROR, "tuplet_in_style_without",
                          f"bar {bar + 1} has tuplets, which {_style(heard)} does not use; write its notes on "
                          "the beat's halves and quarters", at("parts", MELODY_PART, "bars", bar))
    elif heard.tuplet_share > heard.limits.max_tuplet_share:
        yield Problem(Severity.WARNING, "too_many_tuplets",
                      f"{heard.tuplet_share:.0%} of the events are tuplets; {_style(heard)} keeps them under "
                      f"{heard.limits.max_tuplet_share:.0%}", at("parts"))


@LISTENING_VALIDATORS.register(ARRANGER)
def rests_within_the_style(heard: Hearing) -> Iterator[Problem]:
    if heard.rest_share > heard.limits.max_rest_share:
        yield Problem(Severity.WARNING, "too_many_rests",
                      f"{heard.rest_share:.0%} of the events are rests; {_style(heard)} keeps them under "
                      f"{heard.limits.max_rest_share:.0%}", at("parts"))


@LISTENING_VALIDATORS.register(ARRANGER)
def melody_in_the_register(heard: Hearing) -> Iterator[Problem]:
    """The melody stays in the style's register, bar by bar (the melody part's notes: the left hand
    heard on top while the melody rests is not out of register)."""
    by_bar: defaultdict[int, list[int]] = defaultdict(list)
    for note in heard.out_of_register:
        by_bar[note.bar].append(note.pitch)
    for bar, pitches in sorted(by_bar.items()):
        yield Problem(Severity.WARNING, "melody_out_of_register",
                      f"bar {bar + 1}: the melody's {', '.join(map(str, sorted(set(pitches))))} lies outside "
                      f"{heard.melody.lowest}-{heard.melody.highest}, the register of {_style(heard)}",
                      at("parts", MELODY_PART, "bars", bar))


@LISTENING_VALIDATORS.register(ARRANGER)
def top_voice_range_within_the_style(heard: Hearing) -> Iterator[Problem]:
    if heard.top_range > heard.limits.max_top_range:
        yield Problem(Severity.WARNING, "top_voice_range",
                      f"the top voice spans {heard.top_range} semitones; {_style(heard)} keeps within "
                      f"{heard.limits.max_top_range}", at("parts", MELODY_PART))


@LISTENING_VALIDATORS.register(ARRANGER)
def melody_moves_by_step(heard: Hearing) -> Iterator[Problem]:
    if heard.intervals and heard.step_share < heard.limits.min_step_share:
        yield Problem(Severity.WARNING, "few_steps",
                      f"only {heard.step_share:.0%} of the top voice's intervals are steps; {_style(heard)} "
                      f"moves by step at least {heard.limits.min_step_share:.0%} of the time",
                      at("parts", MELODY_PART))


@LISTENING_VALIDATORS.register(COMPOSER)
def key_is_established(heard: Hearing) -> Iterator[Problem]:
    """The key music21 hears in the notes is the piece's key."""
    planned = parse_key(heard.piece.key)
    if heard.heard_key is not None and not heard.heard_key.matches(planned):
        yield Problem(Severity.WARNING, "key_not_established",
                      f"the notes sound in {heard.heard_key.name}, not the planned {planned.name}; "
                      "stress its tonic and dominant", at("key"))


@LISTENING_VALIDATORS.register(HARMONIST)
def cadences_heard_at_phrase_ends(heard: Hearing) -> Iterator[Problem]:
    """Each section's planned cadence must sound in its closing chords; a planned final authentic
    or plagal cadence that is not heard is an error, since the piece does not end."""
    last = len(heard.piece.sections) - 1
    for end in heard.phrase_ends:
        if end.planned is None or end.heard == end.planned.value:
            continue
        final = end.section == last and end.planned in (Cadence.AUTHENTIC, Cadence.PLAGAL)
        sounds = "no cadence" if end.heard == "other" else f"{_article(end.heard)} {end.heard} cadence"
        yield Problem(Severity.ERROR if final else Severity.WARNING, "cadence_not_heard",
                      f"section '{end.section_id}' should close with {_article(end.planned)} {end.planned} cadence "
                      f"in {end.key} but its closing chords sound {sounds}",
                      at("sections", end.section))


@LISTENING_VALIDATORS.register(ARRANGER)
def few_parallel_perfects(heard: Hearing) -> Iterator[Problem]:
    """Parallel fifths and octaves between any two voices, where there are more per bar than the
    style allows, located at each bar that has them."""
    if heard.parallels_per_bar <= heard.limits.max_parallels_per_bar:
        return
    by_bar: defaultdict[tuple[int, int], list[Parallel]] = defaultdict(list)
    for parallel in heard.parallels:
        if not parallel.join:  # said by `no_parallels_across_a_join`
            by_bar[(parallel.part, parallel.bar)].append(parallel)
    for (part, bar), found in sorted(by_bar.items()):
        pairs = ", ".join(f"{p.kind} between {p.upper} and {p.lower}" for p in found)
        yield Problem(Severity.WARNING, "parallel_perfects",
                      f"parallel {pairs} into bar {bar + 1} ({heard.parallels_per_bar:.2f} per bar; "
                      f"{_style(heard)} allows {heard.limits.max_parallels_per_bar:g}); move the voices apart "
                      "by contrary motion", at("parts", part, "bars", bar))


@LISTENING_VALIDATORS.register(ARRANGER)
def no_parallels_across_a_join(heard: Hearing) -> Iterator[Problem]:
    """A parallel into a section's first note, whatever the style allows elsewhere: the waltz and
    the nocturne lead a section's first bass from the bass before it, so one across the join may
    mean the bars before were written again after the section was (a critic's rewrite). Said to
    the critics, who may ask for the section again; not repaired by the tools (INFO), since the
    textures that lead no bass across a join (a chorale's, a jig's) would be rewritten for it too."""
    for parallel in heard.parallels:
        if parallel.join:
            section = heard.piece.sections[parallel.join]
            yield Problem(Severity.INFO, "parallels_across_join",
                          f"parallel {parallel.kind} between {parallel.upper} and {parallel.lower} into section "
                          f"'{section.id}' (bar {parallel.bar + 1}), across the join; lead its first bass from "
                          "the bars before it", at("sections", parallel.join))


@LISTENING_VALIDATORS.register(ARRANGER)
def no_figure_fills_three_bars(heard: Hearing) -> Iterator[Problem]:
    for run in heard.repeats:
        yield Problem(Severity.WARNING, "repeated_figure",
                      f"bars {run.first + 1}-{run.last + 1} repeat one figure (the same rhythm and intervals); "
                      "vary it after two bars", at("parts", MELODY_PART, "bars", run.first))


def listen(piece: Piece) -> list[Finding]:
    """Every listening check's findings, errors first."""
    return LISTENING_VALIDATORS.validate(hear(piece))


REPORTED_FINDINGS = 6
"""The listening findings a critic reads, errors first; a critic asks for at most three changes,
and a draft with parallels in every bar would otherwise fill its prompt with them."""
WITHIN_LIMITS = ("the key, the phrase ends' cadences, leaps, register, range, steps, tuplets, rests, parallels "
                 "and repeated figures are within the style's limits")


def listening_report(piece: Piece) -> str:
    """What listening found off the style's limits, for the critics: the findings `listen` gives the
    repairs, each with its bars or section, and nothing about a measure within its limit (session
    29's report gave every measure with its limit, some 150 prompt tokens of a version's ~750 in
    the Theory Critic's turn, most of them saying that nothing was wrong)."""
    heard = hear(piece)
    head = f"listening ({piece.style})"
    if not heard.has_notes:
        return f"{head}: no notes"
    findings = LISTENING_VALIDATORS.validate(heard)
    if not findings:
        return f"{head}: {WITHIN_LIMITS}"
    more = len(findings) - REPORTED_FINDINGS
    return "\n".join([f"{head}, off the style's limits:", *(f"  {f.message}" for f in findings[:REPORTED_FINDINGS]),
                      *([f"  and {more} more"] if more > 0 else [])])
