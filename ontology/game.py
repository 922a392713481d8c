"""The game ontology: a complete tabletop game design as Pydantic models.

Parts refer to each other by id (an action names the resources it costs and the components it
uses; scoring names what it counts; setup places components that exist), so the semantic
validators in `ontology.game_validators` can check the design as a whole. Every string and list is
bounded, so a valid design always fits a small model's token budget.

The rules are executable: every field below that changes play has one meaning a program carries
out (`tools.games` plays designs with bots), and the rulebook is rendered from the same fields, so
the text cannot promise what the simulator does not do. The vocabulary is small and general:
starting amounts and a shared supply whose size comes from the tokens that represent a resource
(scarcity); actions that convert costs into gains, roll dice, draw cards (blind, or chosen from a
face-up row), take from an opponent, are limited per round (an action space that blocks) or grow
dearer each time they are taken in a round (a market); per-round income and upkeep; ends by
rounds, thresholds or exhaustion; points per counted resource; and, for cooperative games, which
ends the team wins or loses by.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from ontology.core import Id

Sentence = Annotated[str, Field(min_length=1, max_length=240)]
Name = Annotated[str, Field(min_length=1, max_length=60)]


class MechanismFamily(StrEnum):
    """Common mechanism families of modern tabletop games."""

    ACTION_POINTS = "action_points"
    ACTION_SELECTION = "action_selection"
    AREA_CONTROL = "area_control"
    AREA_MOVEMENT = "area_movement"
    AUCTION = "auction"
    BETTING = "betting"
    CARD_DRAFTING = "card_drafting"
    COMMUNICATION_LIMITS = "communication_limits"
    COOPERATIVE = "cooperative"
    DECK_BUILDING = "deck_building"
    DEDUCTION = "deduction"
    DICE_ROLLING = "dice_rolling"
    ENGINE_BUILDING = "engine_building"
    GRID_MOVEMENT = "grid_movement"
    HAND_MANAGEMENT = "hand_management"
    HIDDEN_ROLES = "hidden_roles"
    MARKET = "market"
    MEMORY = "memory"
    MODULAR_BOARD = "modular_board"
    NEGOTIATION = "negotiation"
    NETWORK_BUILDING = "network_building"
    PATTERN_BUILDING = "pattern_building"
    PICK_UP_AND_DELIVER = "pick_up_and_deliver"
    PUSH_YOUR_LUCK = "push_your_luck"
    REAL_TIME = "real_time"
    RESOURCE_MANAGEMENT = "resource_management"
    ROLE_SELECTION = "role_selection"
    ROLL_AND_WRITE = "roll_and_write"
    SET_COLLECTION = "set_collection"
    SIMULTANEOUS_ACTION = "simultaneous_action"
    TAKE_THAT = "take_that"
    TILE_PLACEMENT = "tile_placement"
    TRADING = "trading"
    TRICK_TAKING = "trick_taking"
    VARIABLE_PLAYER_POWERS = "variable_player_powers"
    VOTING = "voting"
    WORKER_PLACEMENT = "worker_placement"


class ComponentKind(StrEnum):
    BOARD = "board"
    DECK = "deck"
    TILES = "tiles"
    TOKENS = "tokens"
    DICE = "dice"
    PLAYER_PIECES = "player_pieces"
    PLAYER_BOARD = "player_board"
    TRACK = "track"
    TIMER = "timer"
    SCREEN = "screen"


class CardType(BaseModel):
    id: Id
    name: Name
    count: int = Field(ge=1, le=200, description="copies of this card in the deck")
    effect: Sentence
    gains: list[ResourceAmount] = Field(default_factory=list, max_length=3,
                                        description="what the player who draws this card gains")


class Component(BaseModel):
    """A physical thing in the box."""

    id: Id
    name: Name
    kind: ComponentKind
    quantity: int = Field(ge=1, le=500, description="how many are in the box in total")
    per_player: int = Field(0, ge=0, le=100, description="how many each player gets (0 if shared)")
    represents: Id | None = Field(None, description="the resource these tokens stand for, if any")
    card_types: list[CardType] = Field(default_factory=list, max_length=12, description="decks only")
    sides: int | None = Field(None, ge=2, le=100, description="dice only")
    description: Sentence


class ResourceAmount(BaseModel):
    resource: Id
    amount: int = Field(ge=1, le=50)


class Resource(BaseModel):
    """Something players hold and count. Its supply is the quantity of the tokens component that
    represents it (scarcity: a gain takes from the supply, a cost returns to it); without such a
    component the supply is unlimited."""

    id: Id
    name: Name
    description: Sentence
    starting: int = Field(0, ge=0, le=50, description="how many each player (or the shared pool) starts with")
    shared: bool = Field(False, description="one pool all players share (a cooperative goal or a threat)")


class DiceGain(BaseModel):
    """A random yield: roll `dice` dice of `sides` sides, gain one `resource` per `per` pips (rounded down)."""

    resource: Id
    dice: int = Field(1, ge=1, le=6)
    sides: int = Field(6, ge=2, le=20)
    per: int = Field(1, ge=1, le=20)


class Mechanism(BaseModel):
    family: MechanismFamily
    name: Name
    how_it_works: Sentence
    components: list[Id] = Field(default_factory=list, max_length=6, description="components it uses")


class Action(BaseModel):
    """Something a player may do, with what it costs and what it yields."""

    id: Id
    name: Name
    description: Sentence
    costs: list[ResourceAmount] = Field(default_factory=list, max_length=4)
    gains: list[ResourceAmount] = Field(default_factory=list, max_length=4)
    components: list[Id] = Field(default_factory=list, max_length=4)
    roll: DiceGain | None = Field(None, description="a random yield on top of the gains")
    draw: int = Field(0, ge=0, le=5, description="cards drawn from the deck among its components; each card's "
                                                  "gains are added")
    face_up: int = Field(0, ge=0, le=8, description="cards of that deck shown face up beside it; a draw takes any "
                                                    "of them, one at a time, each refilled from the deck "
                                                    "(0 = blind draws from the top)")
    take: list[ResourceAmount] = Field(default_factory=list, max_length=2,
                                       description="taken from the opponent who holds the most of it")
    limit_per_round: int | None = Field(None, ge=1, le=8, description="how many times all players together may "
                                                                       "take it each round (a space that blocks)")
    price_step: int = Field(0, ge=0, le=5, description="each time it is taken in a round its costs rise by this "
                                                        "(a market); prices reset each round")

    def changes_nothing(self) -> bool:
        """Whether taking it leaves every holding as it was: it gives back exactly what it costs and
        rolls, draws and takes nothing."""
        gains = {(amount.resource, amount.amount) for amount in self.gains}
        costs = {(amount.resource, amount.amount) for amount in self.costs}
        return gains == costs and self.roll is None and not self.draw and not self.take


INCOME_LIMIT = 5
"""The most round-end income and upkeep rules a turn structure holds."""


class Income(BaseModel):
    """At the end of each round each player gains `amount` of `resource` (a negative amount is upkeep),
    once, or once per `per` resource held (an engine); a shared resource changes once for the table."""

    resource: Id
    amount: int = Field(ge=-10, le=10)
    per: Id | None = Field(None, description="the resource whose holdings multiply the amount, if any")
    cause: Name | None = Field(None, description=(
        "what brings it about in the game's world (the storm that takes, the harvest that gives), if told"))


class Phase(BaseModel):
    name: Name
    description: Sentence
    actions: list[Id] = Field(default_factory=list, max_length=8, description="actions allowed in this phase")


class FirstPlayer(StrEnum):
    """Who starts each round. Published worker-placement games pass the first-player marker, so the
    seat that blocks the best spaces changes every round; a fixed start player suits turn games where
    going first matters little."""

    ROTATES = "rotates"  # round r starts at seat (r - 1) mod players
    FIXED = "fixed"  # seat 0 starts every round


class TurnStructure(BaseModel):
    """Players take turns in seat order, from the round's first player; a turn goes through the
    phases in order, taking up to `actions_per_phase` of each phase's actions (or passing); income
    is paid when a round ends."""

    summary: Sentence
    phases: list[Phase] = Field(min_length=1, max_length=6)
    actions_per_phase: int = Field(1, ge=1, le=4)
    first_player: FirstPlayer = Field(FirstPlayer.ROTATES, description="whether the first-player marker passes "
                                                                       "to the left each round or stays")
    income: list[Income] = Field(default_factory=list, max_length=INCOME_LIMIT,
                                 description="paid at the end of each round")


class SetupStep(BaseModel):
    instruction: Sentence
    components: list[Id] = Field(default_factory=list, max_length=6, description="components this step places")


class EndKind(StrEnum):
    ROUNDS = "rounds"
    SCORE_THRESHOLD = "score_threshold"
    RESOURCE_THRESHOLD = "resource_threshold"
    COMPONENT_EXHAUSTED = "component_exhausted"
    OBJECTIVE = "objective"
    ELIMINATION = "elimination"


class TeamOutcome(StrEnum):
    WIN = "win"
    LOSE = "lose"


class EndCondition(BaseModel):
    """Checked when a round ends; the first that holds ends the game."""

    kind: EndKind
    description: Sentence
    rounds: int | None = Field(None, ge=1, le=50, description="for kind 'rounds'")
    threshold: int | None = Field(None, ge=1, le=1000, description="for score/resource thresholds")
    target: Id | None = Field(None, description="the resource or component a threshold/exhaustion watches")
    team: TeamOutcome | None = Field(None, description="cooperative games: whether the team wins or loses when "
                                                        "this ends the game")


class ScoringRule(BaseModel):
    description: Sentence
    counts: list[Id] = Field(min_length=1, max_length=4, description="resources or components this rule counts")
    points: int = Field(ge=-50, le=100, description="points per counted item")


class Victory(BaseModel):
    scoring: list[ScoringRule] = Field(min_length=1, max_length=6)
    tie_breaker: Sentence


class PlayerRange(BaseModel):
    min: int = Field(ge=1, le=12)
    max: int = Field(ge=1, le=12)


class MinutesRange(BaseModel):
    min: int = Field(ge=5, le=600)
    max: int = Field(ge=5, le=600)


class RulesSection(BaseModel):
    heading: Name
    text: str = Field(min_length=1, max_length=6000)


class ThemePart(BaseModel):
    """Identity and flavour: owned by the Theme Weaver."""

    title: Name
    tagline: str = Field(min_length=1, max_length=140)
    theme: Sentence
    introduction: str = Field(min_length=1, max_length=600, description="the rulebook's opening story")


class GameShape(BaseModel):
    """Who plays, how long, how hard, and whether together."""

    cooperative: bool
    complexity: int = Field(ge=1, le=5, description="1 = family, 5 = heavy strategy")
    players: PlayerRange
    play_time_minutes: MinutesRange


class MechanicsPart(GameShape):
    """The rules engine: owned by the Mechanics Architect."""

    mechanisms: list[Mechanism] = Field(min_length=1, max_length=5)
    resources: list[Resource] = Field(default_factory=list, max_length=6)
    actions: list[Action] = Field(min_length=1, max_length=8)
    turn_structure: TurnStructure
    end_conditions: list[EndCondition] = Field(default_factory=list, max_length=3)
    victory: Victory


class ComponentsPart(BaseModel):
    """What is in the box and how it is laid out: owned by the Component Designer."""

    components: list[Component] = Field(min_length=1, max_length=10)
    setup: list[SetupStep] = Field(min_length=1, max_length=8)


class GameDesign(ThemePart, MechanicsPart, ComponentsPart):
    """A complete, playable tabletop game design: the three parts plus its rules text."""

    rules: list[RulesSection] = Field(default_factory=list, max_length=12)


class FunVerdict(BaseModel):
    """The Fun Judge's scores, 1-10, against published games (most hits score 7-9)."""

    fun: int = Field(ge=1, le=10)
    strategic_depth: int = Field(ge=1, le=10)
    theme_integration: int = Field(ge=1, le=10)
    replayability: int = Field(ge=1, le=10)
    strongest_point: Sentence
    weakest_point: Sentence
