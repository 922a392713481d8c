"""Scripted studio answers: the hand-made Mycelium design cut into the steps the agents write."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path
from typing import Any

DESIGN = json.loads((Path(__file__).parent / "data" / "mycelium_design.json").read_text())


def answers() -> dict[str, dict[str, Any]]:
    d = deepcopy(DESIGN)
    kinds = {c["id"]: c["kind"] for c in d["components"]}
    engine = {
        "cooperative": d["cooperative"], "complexity": d["complexity"], "players": d["players"],
        "play_time_minutes": d["play_time_minutes"],
        "mechanisms": [{k: m[k] for k in ("family", "name", "how_it_works")} for m in d["mechanisms"]],
        "resources": d["resources"],
        "component_needs": [{"id": cid, "kind": kind, "purpose": "needed by the rules"} for cid, kind in kinds.items()],
    }
    components: dict[str, Any] = {}
    for c in d["components"]:
        supply = c["quantity"] - c["per_player"] * d["players"]["max"]
        spec = {"name": c["name"], "per_player": c["per_player"], "supply": supply, "description": c["description"]}
        if c["kind"] == "tokens":
            spec["represents"] = c["represents"]
        components[c["id"]] = spec
    components["extra_components"] = []
    setup = {c["id"]: f"Set out the {c['name'].lower()}." for c in d["components"]}
    return {
        "engine": engine,
        "actions": {"actions": d["actions"]},
        "flow": {k: d[k] for k in ("turn_structure", "end_conditions", "victory")},
        "components": components,
        "setup": setup,
        "identity": {k: d[k] for k in ("title", "tagline", "theme", "introduction")},
    }


def reply(key: str, value: Any) -> str:
    return json.dumps({key: value})


def first_draft() -> list[str]:
    """Replies in the graph's order: mechanics (engine, actions, flow), theme, components (and setup)."""
    a = answers()
    return [reply(step, a[step]) for step in ("engine", "actions", "flow", "identity", "components", "setup")]


NO_ISSUES = reply("critique", {"issues": []})
VERDICT = reply("verdict", {"fun": 6, "strategic_depth": 5, "theme_integration": 7, "replayability": 5,
                            "strongest_point": "Glowing chambers create tense majorities.",
                            "weakest_point": "Absorb is rarely exciting."})
