"""Where a section's melody sits, phrase by phrase: the register windows its grammar samples under.

A tune a musician keeps has a shape: a phrase rises to a high point and falls to its cadence, a
contrasting section sits higher or lower than the opening, the piece's high point (its climax)
comes late, about two thirds through (a waltz sings it in its middle section, in the new key, and
returns to its tune at home), and the line comes home for the final cadence. The piano
model knows none of this, and moving its notes afterwards would break the harmony read from them,
so the plan is given to the grammar of notes before sampling (`NoteGrammar.windows`): one window
per bar that the line keeps to where its leap allows (`tools.music.piano.grammar`). A restatement
that rewrites a section's later bars writes them under that section's windows (`section_windows`),
so a varied reprise still reaches the climax its place in the piece holds. A fresh section after
others climbs (or falls) from the line's last note to its first phrase's high (low) point
(`joined_windows`), so its move is heard inside the phrase, not as a leap at the double bar.
Where the plan moves between a section's phrases, it may also lean toward leaping there by more
than an octave (`shift_bias`, not into its first note), as a sonata's phrases often start in a new
register. The style's
`RegisterPlan` bounds the draws; the request's seed picks within them, so pieces differ (some
compact, some wide) as real ones do. A plan with a `compass` draws how wide the whole piece is from
the piece's seed (`compass_band`), as widely as the style's real pieces spread (a minuet keeps to
an octave and a half, a scherzo spans four), and its climax reaches the compass's top: drawn
phrase by phrase, a climax of 14-21 semitones over a home of 67-72 met the register's ceiling in
every waltz, and ten pieces spanned 22-31 semitones against the references' 12-49.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ontology.music import Bar
from ontology.music_styles import LineRules, Reach, RegisterPlan
from ontology.music_theory import OCTAVE
from tools.music.section_tools import SectionRequest
from tools.music.styles.phrases import phrase_cadences

COMPASS_BARS = 16
"""The shortest piece a compass is drawn for, the reference excerpts' 16 bars; a shorter piece
keeps the plan's phrase-by-phrase climb (a four-bar piece sung over a scherzo's four octaves leapt
14 semitones from one section to the next, and its variations were as far from it as new bars)."""
COMPASS_EDGE = 5
"""Semitones of the windows where a line with a compass touches its ends, the piece's first bar
(from the first tonic or dominant over the compass's foot, so the tonic is in it: opened on the
foot itself, nine of the ten bench waltzes were heard in their key, ten of ten so) and the
climax's peak bar (at its top): in the plan's own windows, 8-13 wide, the fixed-plan waltzes'
lines kept 2-6 semitones above the foot and 5-9 under the top, so the compass drawn and the range
sung hardly went together (38 semitones drawn, 20 sung)."""


def phrase_spans(bars: int, ends: list[int]) -> list[tuple[int, int]]:
    """A section's phrases as (first bar, last bar), 0-based, from the bars that end them (a last
    bar not ending one still closes the last phrase)."""
    starts = [0] + [end + 1 for end in sorted(ends) if end + 1 < bars]
    return [(start, stop - 1) for start, stop in zip(starts, [*starts[1:], bars], strict=True)]


def arch(bars: int, peak: int, height: int) -> list[int]:
    """Each bar's rise over a phrase of `bars` bars: from -height/2 at its start up to +height/2
    at its `peak` bar, then down to -height/2 at its last bar (the cadence)."""
    rises = [bar / peak if peak else 1.0 for bar in range(peak + 1)]
    falls = [1.0 - (bar - peak) / (bars - 1 - peak) for bar in range(peak + 1, bars)]
    return [round(height * (share - 0.5)) for share in rises + falls]


def ambitus_floor(pitch: int, tonic: int) -> int:
    """The tonic or dominant nearest `pitch` (the lower one on a tie): where a phrase's window
    starts, so the tune spans an authentic (tonic to tonic) or plagal (dominant to dominant) compass
    around its key rather than one that makes another key's notes its frame."""
    anchors = [p for p in range(pitch - 6, pitch + 7) if (p - tonic) % 12 in (0, 7)]
    return min(anchors, key=lambda p: (abs(p - pitch), p))


def character_part(bounds: tuple[int, int], reach: Reach | None, share: float) -> tuple[int, int]:
    """The part of a plan's range (`bounds`, lowest and highest) a request's character draws from:
    its lowest `share` for a modest piece, its highest for a wide one, all of it where the request
    says neither (a gentle waltz's compass from 26-43 semitones: 26-34; a brilliant one's 35-43)."""
    low, high = bounds
    width = round((high - low) * share)
    if reach is Reach.MODEST:
        return low, low + width
    if reach is Reach.WIDE:
        return high - width, high
    return bounds


def compass_band(plan: RegisterPlan, register: tuple[int, int], home: int,
                 piece_seed: int, reach: Reach | None = None, tonic: int | None = None) -> tuple[tuple[int, int], int]:
    """The piece's compass as a band (lowest, highest pitch) inside the line's `register`, and the
    section's `home` centre moved down as far as the band was to fit the register: the band is the
    plan's `compass` wide (the part of it the request's `reach` asks for), drawn by the piece's
    seed, and starts where a home phrase's window at the middle of the plan's home range does, so
    every section of a piece keeps to the same band. Without a compass, the register and the home
    as they are."""
    if plan.compass is None:
        return register, home
    lowest, highest = register
    compass = character_part(plan.compass, reach, plan.character_share)
    reach_drawn = min(random.Random(f"compass {piece_seed}").randint(*compass), highest - lowest)
    anchor = sum(plan.home) // 2 - (sum(plan.span) // 2 + plan.arch) // 2  # a home phrase's window starts here
    bottom = max(lowest, min(anchor, highest - reach_drawn))
    if plan.foot_on_tonic and tonic is not None:
        tonics = [pitch for pitch in range(lowest, highest + 1) if (pitch - tonic) % OCTAVE == 0]
        bottom = min(tonics, key=lambda pitch: (abs(pitch - bottom), -pitch), default=bottom)
    return (bottom, min(highest, bottom + reach_drawn)), home + min(0, bottom - anchor)


def register_windows(plan: RegisterPlan, register: tuple[int, int], bars: int, ends: list[int],
                     place: tuple[float, float], seed: int, tonic: int,
                     restated: int = 0, piece_seed: int | None = None,
                     reach: Reach | None = None) -> tuple[tuple[int, int], ...]:
    """The melody's window (lowest, highest pitch) in each of a section's `bars` bars, whose phrases
    end at `ends`, for a section lying at `place` (start and end as shares of the piece's bars),
    inside the line's `register`, in the key on pitch class `tonic`. The piece's first and last
    phrases sit at home; the phrase at the plan's `climax_at` (two thirds through, or a waltz's
    middle section) rises by the plan's climax; the other
    phrases of a later section move together up or down by a contrast (the way there is room for
    its narrowest window). Each phrase's window starts on a tonic or dominant (`ambitus_floor`)
    and arches over the phrase.

    A reprise that restates its first `restated` bars (an earlier section's) and rewrites the rest
    rises to the climax it holds in its first phrase with new bars, peaking among them (the
    restated bars were written under the earlier section's plan), as a varied reprise departs
    from the opening to reach its high point; a later section whose first phrase holds the climax
    peaks in that phrase's last bar but one, so it has bars to climb there from where the line was
    (`joined_windows`: a waltz's middle peaking in its second or third bar, as drawn, leapt a sixth or
    more into its first note in 21 of sixty fixed-plan waltzes, always in its third 10); the piece's
    closing phrase stays home even so (a climax moved into it cost a chorale in ten its key: the
    close is where the key is confirmed).
    A request's `reach` draws the compass and the climax from the lower or upper part of the plan's
    ranges (`character_part`)."""
    draw = random.Random(seed)
    home = draw.randint(*plan.home)
    start, end = place
    if bars < COMPASS_BARS * (end - start) - 1e-6:  # a piece as long as the references spans a compass
        plan = plan.model_copy(update={"compass": None})
    (lowest, highest), home = compass_band(plan, register, home, seed if piece_seed is None else piece_seed, reach,
                                           tonic)
    size = draw.randint((plan.contrast + 1) // 2, plan.contrast)
    room = [sign * size for sign in (-1, 1)
            if lowest <= home + sign * size - plan.span[0] // 2 and home + sign * size + plan.span[0] // 2 <= highest]
    contrast = draw.choice(room or [-size, size])
    spans = phrase_spans(bars, ends)
    shares = [(start + (end - start) * first / bars, start + (end - start) * (last + 1) / bars)
              for first, last in spans]
    climax = next((number for number, (begins, finishes) in enumerate(shares)
                   if begins <= plan.climax_at < finishes), None)
    if climax is not None and spans[climax][1] < restated:  # the closing phrase stays home (a key a cadence confirms)
        climax = next((number for number, (_, last) in enumerate(spans)
                       if last >= restated and shares[number][1] < 1 - 1e-9), None)
    windows: list[tuple[int, int]] = []
    for number, ((first, last), (begins, finishes)) in enumerate(zip(spans, shares, strict=True)):
        if number == climax:
            centre = home + draw.randint(*character_part(plan.climax, reach, plan.character_share))
        elif begins <= 0 or finishes >= 1 - 1e-9:
            centre = home
        else:
            centre = home + contrast
        span = draw.randint(*plan.span)
        if number == climax and plan.compass is not None:  # the climax reaches the top of the piece's compass
            centre = max(home, highest - (span + plan.arch) // 2)
        length = last - first + 1
        earliest = length // 3
        if number == climax:  # a reprise peaks among its new bars; a later section's first phrase climbs from the join
            earliest = max(earliest, min(restated - first, length - 2), length - 2 if begins > 0 and first == 0 else 0)
        peak = draw.randint(earliest, max(earliest, length - 2))  # a reprise's climax among its new bars
        rises = arch(length, peak, plan.arch)
        floor = ambitus_floor(centre - span // 2 + min(rises), tonic)  # where the phrase starts and ends
        for bar, rise in enumerate(rises):
            top = highest if plan.compass is None else highest - 1  # a compass's top is the climax's alone
            low = max(lowest, min(floor + rise - min(rises), top - span))
            high = min(top, low + span)
            if plan.compass is not None and number == climax and bar == peak:
                low, high = highest - COMPASS_EDGE, highest
            elif plan.compass is not None and number == 0 and begins <= 0 and bar == 0:
                low = next(p for p in range(lowest, lowest + OCTAVE) if (p - tonic) % OCTAVE in (0, 7))
                low, high = low, min(low + COMPASS_EDGE, top)  # from a tonic or a dominant: the tonic is in it
            windows.append((low, high))
    return tuple(windows)


def section_windows(line: LineRules, request: SectionRequest, tonic: int,
                    restated: int = 0) -> tuple[tuple[int, int], ...]:
    """The windows a section's line is sampled under: those the request fixes, else its style's plan
    for the section's bars and phrases at its place in the piece, drawn from its seed in the part
    of the plan's ranges its piece's `reach` asks for, with its first `restated` bars an earlier
    section's (none for a line without a plan); a fresh section after others sets out from where the
    line was (`joined_windows`), and one before a return closes where the return begins
    (`leading_windows`), or, before its own opening's restatement (`SectionRequest.leads_back`),
    where its first bar is sampled: sixty fixed-plan jigs moved more than a fifth into their first
    strain's repeat 27 times in 80 (O'Neill's tunes none in 30), where a close an octave from the
    opening left the lead back nothing to reach (`tools.music.styles.pickup.led_back`)."""
    if request.register_windows:
        return tuple(request.register_windows)
    if line.register_plan is None:
        return ()
    ends = list(phrase_cadences(request.bars, request.cadence))
    windows = register_windows(line.register_plan, (line.lowest, line.highest), request.bars, ends, request.place,
                               request.seed, tonic, restated, request.shared_seed, request.reach)
    spans = phrase_spans(request.bars, ends)
    last = last_top_note(request.previous_right)
    if not (restated or last is None or request.continues_phrase):
        windows = joined_windows(windows, last, spans[0][1] + 1)
    goals = request.leads_to or ([round(sum(windows[0]) / 2)] if request.leads_back and windows else [])
    return leading_windows(windows, goals, spans[-1][0])


def first_top_note(bars: Sequence[Bar]) -> int | None:
    """The top pitch of the first note the first voice of `bars` strikes (None: it strikes none)."""
    return next((max(event.pitches) for bar in bars for event in (bar.voices[0] if bar.voices else [])
                 if event.pitches), None)


def last_top_note(bars: Sequence[Bar]) -> int | None:
    """The top pitch of the last note the first voice of `bars` strikes (None: it strikes none)."""
    struck = [event.pitches for bar in bars for event in (bar.voices[0] if bar.voices else []) if event.pitches]
    return max(struck[-1]) if struck else None


def joined_windows(windows: Sequence[tuple[int, int]], last: int,
                   phrase_bars: int) -> tuple[tuple[int, int], ...]:
    """`windows` with the bars of the first phrase (its first `phrase_bars`) before its high point
    moved to climb from the line's `last` note to it in even steps, each window as wide as it was;
    where the note lies above the first window, the bars before the phrase's last low point (its
    cadence, in an arch) moved to fall from it instead. A section planned in another register sets
    out from where the line was and reaches the plan's register in its phrase, as a waltz's middle
    section rises to its climax and an answer falls from a high close to its own, instead of leaping
    there at the double bar (sixty fixed-plan waltzes leapt more than a fifth into their middle
    section 26 times, Beethoven's triple-time movements into bar 5 once in 24). A first window that
    holds the note, or a phrase whose first bar is already where it goes, is kept."""
    low, high = windows[0]
    if low <= last <= high:
        return tuple(windows)
    opening = range(min(phrase_bars, len(windows)))
    if last < low:
        goal = max(opening, key=lambda bar: (windows[bar][0], -bar))  # the first highest
    else:
        goal = max(opening, key=lambda bar: (-windows[bar][1], bar))  # the last lowest
    if goal == 0:
        return tuple(windows)
    return (*_stepped(windows[:goal], last, sum(windows[goal]) / 2, goal + 1), *windows[goal:])


def _stepped(windows: Sequence[tuple[int, int]], start: float, end: float, steps: int) -> list[tuple[int, int]]:
    """`windows`, each as wide as it was, centred on even steps from `start` toward `end`, `steps`
    of them the whole way: the first window one step from `start`, the next two, and so on."""
    moved = []
    for step, (bottom, top) in enumerate(windows, start=1):
        low = round(start + (end - start) * step / steps - (top - bottom) / 2)
        moved.append((low, low + top - bottom))
    return moved


def leading_windows(windows: Sequence[tuple[int, int]], goals: Sequence[int],
                    phrase_first: int) -> tuple[tuple[int, int], ...]:
    """`windows` with the bars of the last phrase (from its `phrase_first` bar) after its high point
    moved to fall in even steps to the one of `goals` nearest the last window (the notes the next
    section may begin on, `SectionRequest.leads_to`), or after its low point to climb there, each
    window as wide as it was and the last centred on it: a middle section closes where its return
    begins, as a retransition leads back, instead of closing at its own height and leaping to the
    return (sixty fixed-plan free pianos moved more than an octave into their return at bar 9 in 12,
    Beethoven's first movements in 1 of 32; waltzes in 8, his triple-time movements in 1 of 24). A
    last window that holds the goal, or a phrase whose turning point is its last bar, is kept."""
    if not goals or not windows:
        return tuple(windows)
    low, high = windows[-1]
    centre = (low + high) / 2
    goal = min(goals, key=lambda note: abs(note - centre))
    if low <= goal <= high:
        return tuple(windows)
    phrase = range(phrase_first, len(windows))
    if goal < centre:
        turn = max(phrase, key=lambda bar: (windows[bar][1], bar))  # the last highest
    else:
        turn = max(phrase, key=lambda bar: (-windows[bar][0], bar))  # the last lowest
    steps = len(windows) - 1 - turn
    if steps == 0:
        return tuple(windows)
    return (*windows[:turn + 1], *_stepped(windows[turn + 1:], sum(windows[turn]) / 2, goal, steps))


def shift_bias(plan: RegisterPlan, seed: int) -> float:
    """A section's bias toward a leap of more than an octave into a phrase's first note, drawn from
    the plan's range by the seed (a stream of its own, so the windows drawn from the seed stay as
    they were): some pieces leap between phrases, others move on by step."""
    return random.Random(f"shift {seed}").uniform(*plan.shift_bias)


def leap_rate(line: LineRules, piece_seed: int) -> float:
    """A piece's leap budget (`NoteGrammar.leap_rate`), drawn from the line's range by the piece's seed,
    so every section of a piece leaps alike and pieces differ: some never leap past the octave,
    others often, as Beethoven's first movements do."""
    return random.Random(f"leaps {piece_seed}").uniform(*line.leap_budget)


def piece_step_bias(line: LineRules, piece_seed: int) -> float:
    """A piece's step bias (`NoteGrammar.step_bias`), drawn from the line's range by the piece's seed,
    so every section of a piece moves alike and pieces differ: one waltz tune runs by step, another
    leaps through its chords (sixty fixed-plan waltzes under one bias of 1.2 moved by step in 17-53% of
    their top voice's intervals, 10th to 90th percentile, against Beethoven's 11-73%)."""
    return random.Random(f"steps {piece_seed}").uniform(*line.step_bias)


def piece_return_bias(line: LineRules, piece_seed: int) -> float:
    """A piece's return bias (`NoteGrammar.return_bias`), drawn from the line's range by the piece's seed:
    one movement is built on neighbour figures, the next moves on (Beethoven's first movements return off
    a neighbour note in 0% to 15% of their top voice's turns, a median of 4%; sixty fixed-plan free
    pianos under one bias of 2 in 2% to 13%, a median of 8%)."""
    return random.Random(f"returns {piece_seed}").uniform(*line.return_bias)
