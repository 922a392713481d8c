"""Where a section's melody sits, phrase by phrase: the register windows its grammar samples under.

A tune a musician keeps has a shape: a phrase rises to a high point and falls to its cadence, a
contrasting section sits higher or lower than the opening, the piece's high point (its climax)
comes late, about two thirds through, and the line comes home for the final cadence. The piano
model knows none of this, and moving its notes afterwards would break the harmony read from them,
so the plan is given to the grammar of notes before sampling (`NoteGrammar.windows`): one window
per bar that the line keeps to where its leap allows (`tools.music.piano.grammar`). The style's
`RegisterPlan` bounds the draws; the request's seed picks within them, so pieces differ (some
compact, some wide) as real ones do.
"""

from __future__ import annotations

import random

from ontology.music_styles import RegisterPlan

CLIMAX_AT = 2 / 3
"""Where in the piece (a share of its bars) the phrase holding the climax lies."""


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


def register_windows(plan: RegisterPlan, register: tuple[int, int], bars: int, ends: list[int],
                     place: tuple[float, float], seed: int, tonic: int) -> tuple[tuple[int, int], ...]:
    """The melody's window (lowest, highest pitch) in each of a section's `bars` bars, whose phrases
    end at `ends`, for a section lying at `place` (start and end as shares of the piece's bars),
    inside the line's `register`, in the key on pitch class `tonic`. The piece's first and last
    phrases sit at home; the phrase two thirds through rises by the plan's climax; the other
    phrases of a later section move together up or down by a contrast (the way there is room for
    its narrowest window). Each phrase's window starts on a tonic or dominant (`ambitus_floor`)
    and arches over the phrase."""
    draw = random.Random(seed)
    lowest, highest = register
    home = draw.randint(*plan.home)
    size = draw.randint((plan.contrast + 1) // 2, plan.contrast)
    room = [sign * size for sign in (-1, 1)
            if lowest <= home + sign * size - plan.span[0] // 2 and home + sign * size + plan.span[0] // 2 <= highest]
    contrast = draw.choice(room or [-size, size])
    start, end = place
    windows: list[tuple[int, int]] = []
    for first, last in phrase_spans(bars, ends):
        begins = start + (end - start) * first / bars
        finishes = start + (end - start) * (last + 1) / bars
        if begins <= CLIMAX_AT < finishes:
            centre = home + draw.randint(*plan.climax)
        elif begins <= 0 or finishes >= 1 - 1e-9:
            centre = home
        else:
            centre = home + contrast
        span = draw.randint(*plan.span)
        length = last - first + 1
        peak = draw.randint(length // 3, max(length // 3, length - 2))
        rises = arch(length, peak, plan.arch)
        floor = ambitus_floor(centre - span // 2 + min(rises), tonic)  # where the phrase starts and ends
        for rise in rises:
            low = max(lowest, min(floor + rise - min(rises), highest - span))
            windows.append((low, min(highest, low + span)))
    return tuple(windows)
