"""Semantic validators of the music ontology: what a `Piece` must satisfy beyond its types.

Each finding names the role that owns the part: the Composer the plan (form, key scheme,
cadence plan, length), the Arranger the notes of the parts, the Harmonist the chord symbols.
A session sends each finding back to its owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from fractions import Fraction

from ontology.core import Finding, Owner, Problem, Severity, ValidatorRegistry, at, dangling, duplicate_ids
from ontology.music import Bar, Cadence, ChordEvent, Piece
from ontology.music_theory import Key, Mode, exact_quarters, parse_chord, parse_key, parse_meter

MUSIC_VALIDATORS: ValidatorRegistry[Piece] = ValidatorRegistry()


class Role(StrEnum):
    COMPOSER = "Composer"
    ARRANGER = "Arranger"
    HARMONIST = "Harmonist"


COMPOSER = Owner(Role.COMPOSER)
ARRANGER = Owner(Role.ARRANGER)
HARMONIST = Owner(Role.HARMONIST)
BY_PART = (Owner(Role.COMPOSER, parts=frozenset({"sections"})),
           Owner(Role.ARRANGER, parts=frozenset({"instruments", "parts"})),
           Owner(Role.HARMONIST, parts=frozenset({"harmony"})))
"""For checks that look at several parts: each part's problems go to the role that writes it."""


@MUSIC_VALIDATORS.register(*BY_PART)
def ids_are_unique_and_resolve(piece: Piece) -> Iterator[Problem]:
    yield from duplicate_ids((at("instruments", i), x.id) for i, x in enumerate(piece.instruments))
    yield from duplicate_ids((at("parts", i), x.id) for i, x in enumerate(piece.parts))
    yield from duplicate_ids((at("sections", i), x.id) for i, x in enumerate(piece.sections))
    yield from dangling(((at("parts", i, "instrument"), part.instrument) for i, part in enumerate(piece.parts)),
                        {instrument.id for instrument in piece.instruments}, what="instrument")


@MUSIC_VALIDATORS.register(COMPOSER)
def variations_vary_earlier_sections(piece: Piece) -> Iterator[Problem]:
    """A variation's source must come before it: its material is what the variation is made from,
    and sections are written in order."""
    earlier: set[str] = set()
    for i, section in enumerate(piece.sections):
        source = section.variation.of if section.variation else None
        if source is not None and source not in earlier:
            where = "is not in the piece" if source not in {s.id for s in piece.sections} else "does not come before it"
            yield Problem(Severity.ERROR, "variation_of_later_section",
                          f"section '{section.id}' varies '{source}', which {where}; vary an earlier section",
                          at("sections", i, "variation.of"))
        earlier.add(section.id)


@MUSIC_VALIDATORS.register(*BY_PART)
def sections_add_up(piece: Piece) -> Iterator[Problem]:
    total = piece.total_bars
    if piece.length_bars is not None and total != piece.length_bars:
        yield Problem(Severity.ERROR, "length_mismatch",
                      f"the sections add up to {total} bars but the piece should be {piece.length_bars}; "
                      "lengthen or shorten sections", at("sections"))
    for i, part in enumerate(piece.parts):
        if len(part.bars) != total:
            yield Problem(Severity.ERROR, "part_length_mismatch",
                          f"part '{part.id}' has {len(part.bars)} bars but the form has {total}",
                          at("parts", i, "bars"))
    for i, event in enumerate(piece.harmony):
        if event.bar > total:
            yield Problem(Severity.ERROR, "chord_outside_piece",
                          f"chord {event.symbol} is in bar {event.bar}, after the last bar ({total})",
                          at("harmony", i))


@MUSIC_VALIDATORS.register(ARRANGER)
def bars_fill_the_meter(piece: Piece) -> Iterator[Problem]:
    """Every voice of every bar holds exactly one bar of time. A piece with a pickup holds it in each
    part's pickup bar (every voice exactly the pickup long) and its last bar is shorter by as much;
    without one, only the first bar may be short (an upbeat written as bar 1), all its voices by the
    same amount."""
    length = parse_meter(piece.meter).bar_quarters
    pickup = exact_quarters(piece.pickup)
    for i, part in enumerate(piece.parts):
        if pickup and part.pickup_bar is None:
            yield Problem(Severity.ERROR, "pickup_missing",
                          f"'{part.id}' has no pickup bar but the piece starts with a pickup of {piece.pickup:g} "
                          "quarters; write the notes (or a rest) before the first full bar", at("parts", i))
        elif part.pickup_bar is not None:
            for v, filled in enumerate(_fills(part.pickup_bar)):
                if filled != pickup:
                    voice = f" (voice {v + 1})" if len(part.pickup_bar.voices) > 1 else ""
                    yield Problem(Severity.ERROR, "pickup_does_not_fit",
                                  f"the pickup bar of '{part.id}'{voice} is {float(filled):g} quarters where the "
                                  f"piece's pickup is {piece.pickup:g}", at("parts", i, "pickup_bar"))
        for b, bar in enumerate(part.bars):
            fills = _fills(bar)
            wanted = length - pickup if pickup and b == piece.total_bars - 1 else length
            upbeat = not pickup and b == 0 and len(set(fills)) == 1 and 0 < fills[0] < length
            for v, filled in enumerate(fills):
                if filled == wanted or upbeat:
                    continue
                state = "overfull" if filled > wanted else "short"
                voice = f" (voice {v + 1})" if len(fills) > 1 else ""
                needs = f"{piece.meter} needs {float(wanted):g}" + (" after the pickup" if wanted != length else "")
                yield Problem(Severity.ERROR, "bar_does_not_fill_meter",
                              f"bar {b + 1} of '{part.id}'{voice} is {state}: {float(filled):g} quarters where "
                              f"{needs}", at("parts", i, "bars", b))


def _fills(bar: Bar) -> list[Fraction]:
    """How long each voice of `bar` lasts, in quarters."""
    return [sum((exact_quarters(event.duration) for event in voice), Fraction(0))
            for voice in bar.voices]


@MUSIC_VALIDATORS.register(ARRANGER)
def notes_within_ranges(piece: Piece) -> Iterator[Problem]:
    instruments = {instrument.id: instrument for instrument in piece.instruments}
    for i, part in enumerate(piece.parts):
        instrument = instruments.get(part.instrument)
        if instrument is None:
            continue
        pickup = [(None, part.pickup_bar)] if part.pickup_bar is not None else []
        for b, bar in [*pickup, *enumerate(part.bars)]:
            outside = sorted({p for p in bar.pitches() if not instrument.lowest <= p <= instrument.highest})
            if outside:
                where = "the pickup bar" if b is None else f"bar {b + 1}"
                yield Problem(Severity.ERROR, "note_out_of_range",
                              f"pitch {', '.join(map(str, outside))} in {where} is outside the "
                              f"{instrument.name}'s range {instrument.lowest}-{instrument.highest}",
                              at("parts", i, "pickup_bar") if b is None else at("parts", i, "bars", b))


@MUSIC_VALIDATORS.register(HARMONIST)
def harmony_is_ordered_and_in_the_bar(piece: Piece) -> Iterator[Problem]:
    length = parse_meter(piece.meter).bar_quarters
    previous = (0, 0.0)
    for i, event in enumerate(piece.harmony):
        if event.beat - 1 >= length:
            yield Problem(Severity.ERROR, "beat_outside_bar",
                          f"chord {event.symbol} is on beat {event.beat:g} but a {piece.meter} bar has "
                          f"{float(length):g} beats", at("harmony", i))
        if (event.bar, event.beat) <= previous:
            yield Problem(Severity.ERROR, "harmony_out_of_order",
                          f"chord {event.symbol} at bar {event.bar} beat {event.beat:g} does not come after "
                          "the previous chord", at("harmony", i))
        previous = (event.bar, event.beat)


@MUSIC_VALIDATORS.register(HARMONIST)
def chords_fit_the_key_plan(piece: Piece) -> Iterator[Problem]:
    """A chord outside its section's key is a finding unless it is marked borrowed."""
    for i, event in enumerate(piece.harmony):
        key = piece.key_at(event.bar)
        chord = parse_chord(event.symbol)
        outside = chord.pitch_classes() - key.scale()
        if outside and not event.borrowed:
            notes = ", ".join(chord.tone_names()[pc] for pc in sorted(outside))
            yield Problem(Severity.WARNING, "chord_outside_key",
                          f"{event.symbol} in bar {event.bar} has {notes}, outside {key.name}; change it or "
                          "mark it borrowed", at("harmony", i))


def _function(event: ChordEvent, key: Key) -> str:
    """'I', 'IV', 'V', 'vi' or '' for the chord's role in `key` (only what cadences need). A minor
    key's tonic is I with either third: a close on the major one is the tierce de Picardie."""
    chord = parse_chord(event.symbol)
    minor_third = chord.quality in ("m", "m7", "dim", "m7b5", "dim7")
    if chord.root == key.degree_root(5) and not minor_third:
        return "V"
    if chord.root == key.degree_root(1) and (minor_third == (key.mode is Mode.MINOR) or chord.quality == ""):
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


@MUSIC_VALIDATORS.register(COMPOSER)
def the_piece_closes_on_a_cadence(piece: Piece) -> Iterator[Problem]:
    """The plan's last cadence is the Composer's: a piece that ends on a half or deceptive cadence stops."""
    spans = piece.section_spans()
    last_section = spans[-1][0]
    if last_section.cadence not in (Cadence.AUTHENTIC, Cadence.PLAGAL):
        yield Problem(Severity.WARNING, "no_final_cadence",
                      f"the last section '{last_section.id}' does not close with an authentic or plagal cadence",
                      at("sections", len(spans) - 1, "cadence"))


@MUSIC_VALIDATORS.register(HARMONIST)
def cadences_are_realised(piece: Piece) -> Iterator[Problem]:
    """Each planned cadence must sound in the section's last chords: the Harmonist's part."""
    if not piece.harmony:
        return
    for s, (section, first, last) in enumerate(piece.section_spans()):
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
            yield Problem(Severity.WARNING, "cadence_not_realised",
                          f"section '{section.id}' should end with a {section.cadence} cadence in {key.name} "
                          f"({before + ' -> ' if before else ''}{final}) but ends {got}",
                          at("sections", s))


def validate_piece(piece: Piece) -> list[Finding]:
    """Every music validator's findings, errors first."""
    return MUSIC_VALIDATORS.validate(piece)
