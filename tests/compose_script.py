"""The composition request and the plan a scripted Composer answers it with.

A helper module, not a test module: the session tests build further plans from `PLAN` at import
time and a subprocess script imports it; other tests take a fresh copy from the `compose_plan`
fixture in conftest.py."""

from __future__ import annotations

from typing import Any

REQUEST = "a melancholic piano piece for a winter evening, D minor, 4/4, 12 bars"
PLAN: dict[str, Any] = {
    "title": "Winter Chorale", "key": "D minor", "meter": "4/4", "tempo_bpm": 72, "style": "free piano",
    "opening": {"label": "A", "share": 1, "cadence": "half", "character": "low, still"},
    "middle": [{"label": "B", "share": 1, "key_relation": "relative", "cadence": "authentic",
                "character": "warmer"}],
    "closing": {"label": "coda", "share": 1, "cadence": "authentic", "character": "closing"}}
