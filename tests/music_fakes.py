"""Small deterministic section writers for testing the composition session around the tools."""

from __future__ import annotations

import random
from fractions import Fraction

from ontology.music import Bar, ChordEvent, Event
from ontology.music_theory import NOTE_NAMES, Key, parse_key, parse_meter
from tools.music.section_tools import SectionMaterial, SectionRequest, SectionWriter, ToolCall

DEGREES = {"I": 0, "IV": 3, "V": 4, "vi": 5}  # the chord's scale step


class ScaleWriter(SectionWriter):
    """Writes a stepwise melody over one chord per bar (a bass and a block triad), its closing bar
    on the tones of the last chord, so a cadence is heard as well as written. Only seeds divisible
    by three end a section on the planned cadence, so the session's best-of-N repair has something to find.
    `arrange` keeps a given melody and puts its own chords under it, as the harmoniser does."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.requests: list[SectionRequest] = []
        self.fail_on_call = fail_on_call

    def write(self, request: SectionRequest) -> SectionMaterial:
        self.requests.append(request)
        if self.fail_on_call is not None and len(self.requests) == self.fail_on_call:
            raise RuntimeError("scripted tool failure")
        rng = random.Random(request.seed)
        key = parse_key(request.key)
        bar_length = parse_meter(request.meter).bar_quarters
        degrees = self._degrees(request, rng)
        right = []
        position = rng.randrange(7)
        for number, degree in enumerate(degrees, start=1):
            notes, filled = [], Fraction(0)
            while filled < bar_length:
                length = min(Fraction(1), bar_length - filled)
                move = rng.choice((-1, 1))
                if number == len(degrees):
                    position = _onto_chord(position, move, DEGREES[degree])
                else:
                    position = max(0, min(13, position + move))
                pitch = 60 + key.tonic + _steps(key)[position % 7] + 12 * (position // 7)
                notes.append((pitch, float(length)))
                filled += length
            right.append(Bar.line(*notes))
        return self._accompany(request, right, degrees, "scale_writer")

    def arrange(self, request: SectionRequest, right: list[Bar], left: list[Bar]) -> SectionMaterial:
        return self._accompany(request, right, self._degrees(request, random.Random(request.seed)), "scale_arranger")

    @staticmethod
    def _degrees(request: SectionRequest, rng: random.Random) -> list[str]:
        degrees = [rng.choice(list(DEGREES)) for _ in range(request.bars)]
        if request.seed % 3 == 0 and request.bars >= 2:
            degrees[-2:] = {"half": ["IV", "V"], "plagal": ["IV", "I"], "deceptive": ["V", "vi"]}.get(
                request.cadence or "", ["V", "I"])
        return degrees

    @staticmethod
    def _accompany(request: SectionRequest, right: list[Bar], degrees: list[str], tool: str) -> SectionMaterial:
        key = parse_key(request.key)
        bar_length = parse_meter(request.meter).bar_quarters
        left, harmony = [], []
        for number, degree in enumerate(degrees, start=1):
            root = (key.tonic + _steps(key)[DEGREES[degree]]) % 12
            minor_chords = ("vi",) if key.mode.value == "major" else ("I", "IV")
            quality = "m" if degree in minor_chords else ""
            harmony.append(ChordEvent(bar=number, beat=1, symbol=NOTE_NAMES[root] + quality))
            third = 3 if quality == "m" else 4
            left.append(Bar(voices=[[Event(pitches=[36 + root, 48 + root, 48 + root + third, 48 + root + 7],
                                           duration=float(bar_length))]]))
        call = ToolCall(tool=tool, arguments={"bars": request.bars, "seed": request.seed},
                        seconds=0.0, summary=f"{request.bars} bars")
        return SectionMaterial(right=right, left=left, harmony=harmony, calls=[call])


def _steps(key: Key) -> tuple[int, ...]:
    return (0, 2, 4, 5, 7, 9, 11) if key.mode.value == "major" else (0, 2, 3, 5, 7, 8, 10)


def _onto_chord(position: int, move: int, root_step: int) -> int:
    """The scale position a step (`move` first, then the other way) or no step from `position` that
    is a tone of the triad on scale step `root_step`, or else the nearest such tone in the range."""
    tones = [candidate for candidate in range(14) if (candidate - root_step) % 7 in (0, 2, 4)]
    return next((c for c in (position + move, position - move, position) if c in tones),
                min(tones, key=lambda c: abs(c - position)))
