"""Semantic validators of the music ontology: what a `Piece` must satisfy beyond its types.

Each finding names the role that owns the part: the Composer the plan (form, key scheme,
cadence plan, length), the Arranger the notes of the parts, the Harmonist the chord symbols.
A session sends each finding back to its owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from fractions import Fraction

from ontology.core import Finding, Severity, ValidatorRegistry, dangling, duplicate_ids
from ontology.music import Cadence, ChordEvent, Piece
from ontology.music_theory import NOTE_NAMES, Key, Mode, parse_chord, parse_key, parse_meter

MUSIC_VALIDATORS: ValidatorRegistry[Piece] = ValidatorRegistry()


class Role(StrEnum):
    COMPOSER = "Composer"
    ARRANGER = "Arranger"
    HARMONIST = "Harmonist"


def _finding(severity: Severity, code: str, message: str, path: str, owner: Role) -> Finding:
    return Finding(severity=severity, code=code, message=message, path=path, owner=owner.value)


@MUSIC_VALIDATORS.register
def ids_are_unique_and_resolve(piece: Piece) -> Iterator[Finding]:
    yield from duplicate_ids((f"instruments[{i}]", x.id, Role.ARRANGER) for i, x in enumerate(piece.instruments))
    yield from duplicate_ids((f"parts[{i}]", x.id, Role.ARRANGER) for i, x in enumerate(piece.parts))
    yield from duplicate_ids((f"sections[{i}]", x.id, Role.COMPOSER) for i, x in enumerate(piece.sections))
    yield from dangling(((f"parts[{i}].instrument", part.instrument) for i, part in enumerate(piece.parts)),
                        {instrument.id for instrument in piece.instruments}, what="instrument", owner=Role.ARRANGER)


@MUSIC_VALIDATORS.register
def variations_vary_earlier_sections(piece: Piece) -> Iterator[Finding]:
    """A variation's source must come before it: its material is what the variation is made from,
    and sections are written in order."""
    earlier: set[str] = set()
    for i, section in enumerate(piece.sections):
        source = section.variation.of if section.variation else None
        if source is not None and source not in earlier:
            where = "is not in the piece" if source not in {s.id for s in piece.sections} else "does not come before it"
            yield _finding(Severity.ERROR, "variation_of_later_section",
                           f"section '{section.id}' varies '{source}', which {where}; vary an earlier section",
                           f"sections[{i}].variation.of", Role.COMPOSER)
        earlier.add(section.id)


@MUSIC_VALIDATORS.register
def sections_add_up(piece: Piece) -> Iterator[Finding]:
    total = piece.total_bars
    if piece.length_bars is not None and total != piece.length_bars:
        yield _finding(Severity.ERROR, "length_mismatch",
                       f"the sections add up to {total} bars but the piece should be {piece.length_bars}; "
                       "lengthen or shorten sections", "sections", Role.COMPOSER)
    for i, part in enumerate(piece.parts):
        if len(part.bars) != total:
            yield _finding(Severity.ERROR, "part_length_mismatch",
                           f"part '{part.id}' has {len(part.bars)} bars but the form has {total}",
                           f"parts[{i}].bars", Role.ARRANGER)
    for i, event in enumerate(piece.harmony):
        if event.bar > total:
            yield _finding(Severity.ERROR, "chord_outside_piece",
                           f"chord {event.symbol} is in bar {event.bar}, after the last bar ({total})",
                           f"harmony[{i}]", Role.HARMONIST)


@MUSIC_VALIDATORS.register
def bars_fill_the_meter(piece: Piece) -> Iterator[Finding]:
    """Every voice of every bar holds exactly one bar of time; only the first bar may be short (an
    upbeat), and then all its voices by the same amount."""
    length = parse_meter(piece.meter).bar_quarters
    for i, part in enumerate(piece.parts):
        for b, bar in enumerate(part.bars):
            fills = [sum(Fraction(event.duration).limit_denominator(96) for event in voice) for voice in bar.voices]
            upbeat = b == 0 and len(set(fills)) == 1 and 0 < fills[0] < length
            for v, filled in enumerate(fills):
                if filled == length or upbeat:
                    continue
                state = "overfull" if filled > length else "short"
                voice = f" (voice {v + 1})" if len(fills) > 1 else ""
                yield _finding(Severity.ERROR, "bar_does_not_fill_meter",
                               f"bar {b + 1} of '{part.id}'{voice} is {state}: {float(filled):g} quarters where "
                               f"{piece.meter} needs {float(length):g}", f"parts[{i}].bars[{b}]", Role.ARRANGER)


@MUSIC_VALIDATORS.register
def notes_within_ranges(piece: Piece) -> Iterator[Finding]:
    instruments = {instrument.id: instrument for instrument in piece.instruments}
    for i, part in enumerate(piece.parts):
        instrument = instruments.get(part.instrument)
        if instrument is None:
            continue
        for b, bar in enumerate(part.bars):
            outside = sorted({p for p in bar.pitches() if not instrument.lowest <= p <= instrument.highest})
            if outside:
                yield _finding(Severity.ERROR, "note_out_of_range",
                               f"pitch {', '.join(map(str, outside))} in bar {b + 1} is outside the "
                               f"{instrument.name}'s range {instrument.lowest}-{instrument.highest}",
                               f"parts[{i}].bars[{b}]", Role.ARRANGER)


def _key_at(piece: Piece, bar: int) -> Key:
    for section, first, last in piece.section_spans():
        if first <= bar <= last:
            return parse_key(section.key or piece.key)
    return parse_key(piece.key)


@MUSIC_VALIDATORS.register
def harmony_is_ordered_and_in_the_bar(piece: Piece) -> Iterator[Finding]:
    length = parse_meter(piece.meter).bar_quarters
    previous = (0, 0.0)
    for i, event in enumerate(piece.harmony):
        if event.beat - 1 >= length:
            yield _finding(Severity.ERROR, "beat_outside_bar",
                           f"chord {event.symbol} is on beat {event.beat:g} but a {piece.meter} bar has "
                           f"{float(length):g} beats", f"harmony[{i}]", Role.HARMONIST)
        if (event.bar, event.beat) <= previous:
            yield _finding(Severity.ERROR, "harmony_out_of_order",
                           f"chord {event.symbol} at bar {event.bar} beat {event.beat:g} does not come after "
                           "the previous chord", f"harmony[{i}]", Role.HARMONIST)
        previous = (event.bar, event.beat)


@MUSIC_VALIDATORS.register
def chords_fit_the_key_plan(piece: Piece) -> Iterator[Finding]:
    """A chord outside its section's key is a finding unless it is marked borrowed."""
    for i, event in enumerate(piece.harmony):
        key = _key_at(piece, event.bar)
        outside = parse_chord(event.symbol).pitch_classes() - key.scale()
        if outside and not event.borrowed:
            notes = ", ".join(NOTE_NAMES[pc] for pc in sorted(outside))
            yield _finding(Severity.WARNING, "chord_outside_key",
                           f"{event.symbol} in bar {event.bar} has {notes}, outside {key.name}; change it or "
                           "mark it borrowed", f"harmony[{i}]", Role.HARMONIST)


def _function(event: ChordEvent, key: Key) -> str:
    """'I', 'IV', 'V', 'vi' or '' for the chord's role in `key` (only what cadences need)."""
    chord = parse_chord(event.symbol)
    minor_third = chord.quality in ("m", "m7", "dim", "m7b5", "dim7")
    if chord.root == key.degree_root(5) and not minor_third:
        return "V"
    if chord.root == key.degree_root(1) and minor_third == (key.mode is Mode.MINOR):
        return "I"
    if chord.root == key.degree_root(4) and minor_third == (key.mode is Mode.MINOR):
        return "IV"
    if chord.root == key.degree_root(6) and minor_third == (key.mode is Mode.MAJOR):
        return "vi"
    return ""


_CADENCE_ENDINGS: dict[Cadence, tuple[str | None, str]] = {
    Cadence.AUTHENTIC: ("V", "I"),
    Cadence.PLAGAL: ("IV", "I"),
    Cadence.DECEPTIVE: ("V", "vi"),
    Cadence.HALF: (None, "V"),
}


@MUSIC_VALIDATORS.register
def cadences_where_the_form_puts_them(piece: Piece) -> Iterator[Finding]:
    spans = piece.section_spans()
    last_section = spans[-1][0]
    if last_section.cadence not in (Cadence.AUTHENTIC, Cadence.PLAGAL):
        yield _finding(Severity.WARNING, "no_final_cadence",
                       f"the last section '{last_section.id}' does not close with an authentic or plagal cadence",
                       f"sections[{len(spans) - 1}].cadence", Role.COMPOSER)
    if not piece.harmony:
        return
    for s, (section, first, last) in enumerate(spans):
        if section.cadence is None:
            continue
        inside = [event for event in piece.harmony if first <= event.bar <= last]
        key = parse_key(section.key or piece.key)
        before, final = _CADENCE_ENDINGS[section.cadence]
        functions = [_function(event, key) for event in inside[-2:]]
        realised = bool(functions) and functions[-1] == final and (
            before is None or (len(functions) == 2 and functions[0] == before))
        if not realised:
            got = " -> ".join(event.symbol for event in inside[-2:]) or "no chords"
            yield _finding(Severity.WARNING, "cadence_not_realised",
                           f"section '{section.id}' should end with a {section.cadence} cadence in {key.name} "
                           f"({before + ' -> ' if before else ''}{final}) but ends {got}",
                           f"sections[{s}]", Role.HARMONIST)


def validate_piece(piece: Piece) -> list[Finding]:
    """Every music validator's findings, errors first."""
    return MUSIC_VALIDATORS.validate(piece)
