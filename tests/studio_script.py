"""Scripted studio answers: the hand-made Mycelium design cut into the steps the agents write."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path
from typing import Any

from retrieval.exemplars import ExemplarGame

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


EXEMPLAR = ExemplarGame(
    id="carcassonne", name="Carcassonne", year=2000, min_players=2, max_players=5, play_time_minutes=40,
    complexity=2, cooperative=False, mechanisms=["tile_placement", "area_control"],
    components=["72 land tiles", "40 followers"], core_loop="Draw and place a tile, maybe claim it.",
    ends_when="The last tile is placed.", scoring="Completed features score; most points wins.",
    why_it_works="Every tile is a small, shared puzzle.",
)
"""The one exemplar a scripted studio is shown."""


def sap_revision() -> list[str]:
    """A branch's replies: the engine's resource renamed to sap, and the two later steps that must follow it."""
    engine_answer = answers()["engine"]
    engine_answer["resources"][0]["id"] = "sap"
    actions = answers()["actions"]
    for action in actions["actions"]:
        for amount in action["costs"] + action["gains"]:
            amount["resource"] = "sap" if amount["resource"] == "nutrients" else amount["resource"]
    components = answers()["components"]
    components["nutrient_tokens"]["represents"] = "sap"
    return [reply("engine", engine_answer), reply("actions", actions), reply("components", components)]
