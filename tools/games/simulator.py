"""Plays a `GameDesign` exactly as its rules say, with bots in the seats, seeded and deterministic.

The design is compiled once into index-based rules (resources, actions, decks, scoring as lists of
ints), so a game is plain list arithmetic: 1,000 games of a typical design take seconds on one core.
What the design says that cannot run (objective or elimination ends, a scoring rule counting a
component that represents nothing, a draw action with no deck) simply never triggers or counts;
the validators report those parts.

Semantics (the rulebook renders the same): players start with each resource's `starting` amount, a
shared resource is one pool for the table; the supply of a resource is the quantity of the tokens
representing it, minus what was handed out at setup (no tokens = unlimited); gains are capped by the
supply, costs return to it; decks are shuffled once and never reshuffled. A deck that an action draws
from face up (`face_up` > 0) has a row of that many cards (the largest `face_up` of its actions) dealt
from it at setup: such a draw takes its cards one at a time from the row, the drawing seat choosing
each (after the action's other effects), and each card taken is replaced from the deck while it
lasts; a blind draw (`face_up` 0) takes the top of the deck. Seats take turns in order
from the round's first player (seat 0 in round 1; with `first_player` "rotates" the next seat starts
each following round, with "fixed" seat 0 starts every round); a turn walks the phases, taking up
to `actions_per_phase` legal actions in each (or passing). An action is legal when its costs (raised
by `price_step` per earlier take this round) can be paid, its `limit_per_round` is not reached and,
for a draw, there is a card to draw (in the deck, or face up for a face-up draw); a deck has run out
when none is left face down. At the round's end income
and upkeep are paid (never below zero), to the players in turn order from the round's first player (so
when the supply runs short, the first-player marker decides who is paid, as it decides who acts first),
then the end conditions are checked in order: a game always finishes its round.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ontology.game import ComponentKind, EndKind, FirstPlayer, GameDesign, ResourceAmount, TeamOutcome

DEFAULT_MAX_ROUNDS = 60
UNLIMITED = 1 << 60  # the supply of a resource no tokens component represents


class IllegalActionError(ValueError):
    """A bot chose an action that is not legal at this point of the game."""


class SeatCountError(ValueError):
    """The number of bots does not match the number of seats."""


@dataclass(frozen=True)
class GameRecord:
    """What happened in one game: the facts the playtest metrics are computed from."""

    seats: int
    scores: tuple[int, ...]
    winners: tuple[int, ...]  # top-score seats (competitive); all seats if the team won, () if it lost
    team_won: bool | None  # cooperative games only
    completed: bool  # ended by an end condition before the round cap
    ended_by: int | None  # index of the end condition that ended it
    rounds: int
    decisions: tuple[int, ...]  # actions taken per seat (passes not counted)
    actions: tuple[dict[str, int], ...]  # per seat: action id -> times taken (every action, zeros included)
    noops: dict[str, int]  # action id -> times it was taken and changed nothing (taken ones only)
    score_by_round: tuple[tuple[int, ...], ...]  # after each round, every seat's score


Amounts = tuple[tuple[int, int], ...]  # (resource index, amount)


@dataclass(frozen=True)
class _Action:
    id: str
    costs: Amounts
    gains: Amounts
    roll: tuple[int, int, int, int] | None  # resource, dice, sides, per
    draw: int
    deck: int | None  # index into the compiled decks
    face_up: bool  # the drawing seat chooses its cards from the deck's face-up row
    take: Amounts
    limit: int | None
    price_step: int


@dataclass(frozen=True)
class _End:
    kind: EndKind
    rounds: int | None
    threshold: int | None
    resource: int | None  # resource_threshold's target
    deck: int | None  # component_exhausted on a deck
    supply: int | None  # component_exhausted on tokens: the resource they represent
    team_wins: bool


@dataclass(frozen=True)
class Rules:
    """A design compiled to indices: everything the game loop reads, computed once per design."""

    design: GameDesign
    resource_ids: tuple[str, ...]
    shared: tuple[bool, ...]
    starting: tuple[int, ...]
    token_supply: tuple[int | None, ...]  # quantity of the tokens representing each resource, if any
    actions: tuple[_Action, ...]
    action_index: dict[str, int]
    phases: tuple[tuple[int, ...], ...]  # action indices per phase (phases without actions dropped)
    actions_per_phase: int
    rotates: bool  # the first player of round r is seat (r - 1) mod players
    income: tuple[tuple[int, int, int | None], ...]  # resource, amount, per-resource
    decks: tuple[tuple[int, ...], ...]  # per deck: card type index per card, unshuffled
    rows: tuple[int, ...]  # per deck: how many cards lie face up beside it (0 = none)
    card_ids: tuple[tuple[str, ...], ...]  # per deck, per card type: its id (what a bot picks by)
    card_gains: tuple[tuple[Amounts, ...], ...]  # per deck, per card type
    ends: tuple[_End, ...]
    scoring: tuple[tuple[int, int], ...]  # (resource index, points)
    cooperative: bool

    @classmethod
    def compile(cls, design: GameDesign) -> Rules:
        """Resolve every id once; ids the design names but never declares become plain resources."""
        resource_ids: list[str] = [r.id for r in design.resources]
        index: dict[str, int] = {}
        for i, rid in enumerate(resource_ids):
            index.setdefault(rid, i)

        def res(rid: str) -> int:
            if rid not in index:
                index[rid] = len(resource_ids)
                resource_ids.append(rid)
            return index[rid]

        def amounts(items: Sequence[ResourceAmount]) -> Amounts:
            return tuple((res(a.resource), a.amount) for a in items)

        components = {c.id: c for c in reversed(design.components)}
        deck_parts = [c for c in design.components if c.kind == ComponentKind.DECK]
        deck_index = {c.id: i for i, c in reversed(list(enumerate(deck_parts)))}
        decks = tuple(tuple(t for t, card in enumerate(c.card_types) for _ in range(card.count)) for c in deck_parts)
        card_gains = tuple(tuple(amounts(card.gains) for card in c.card_types) for c in deck_parts)

        actions: list[_Action] = []
        for a in design.actions:
            deck = next((deck_index[c] for c in a.components if c in deck_index), None)
            roll = (res(a.roll.resource), a.roll.dice, a.roll.sides, a.roll.per) if a.roll else None
            actions.append(_Action(a.id, amounts(a.costs), amounts(a.gains), roll, a.draw, deck, a.face_up > 0,
                                   amounts(a.take), a.limit_per_round, a.price_step))
        rows = [0] * len(deck_parts)
        for act, a in zip(actions, design.actions, strict=True):
            if act.draw and act.deck is not None:
                rows[act.deck] = max(rows[act.deck], a.face_up)
        action_index: dict[str, int] = {}
        for i, act in enumerate(actions):
            action_index.setdefault(act.id, i)
        phases = tuple(p for p in (tuple(action_index[x] for x in phase.actions if x in action_index)
                                   for phase in design.turn_structure.phases) if p)
        income = tuple((res(i.resource), i.amount, res(i.per) if i.per else None)
                       for i in design.turn_structure.income)

        def counted(cid: str | None) -> int | None:
            """A resource counts itself; a component counts the resource it represents, if any."""
            if cid is None:
                return None
            if cid in index:
                return index[cid]
            component = components.get(cid)
            return res(component.represents) if component and component.represents else None

        ends = []
        for e in design.end_conditions:
            target = components.get(e.target) if e.target else None
            ends.append(_End(
                kind=e.kind, rounds=e.rounds, threshold=e.threshold,
                resource=index.get(e.target) if e.target else None,
                deck=deck_index.get(e.target) if e.target else None,
                supply=res(target.represents) if target and target.kind == ComponentKind.TOKENS
                and target.represents else None,
                team_wins=e.team == TeamOutcome.WIN))
        scoring = tuple((r, rule.points) for rule in design.victory.scoring for cid in rule.counts
                        if (r := counted(cid)) is not None)

        tokens: dict[int, int] = {}
        for c in design.components:
            if c.kind == ComponentKind.TOKENS and c.represents:
                r = res(c.represents)
                tokens[r] = tokens.get(r, 0) + c.quantity
        declared = {r.id: r for r in reversed(design.resources)}
        return cls(
            design=design, resource_ids=tuple(resource_ids),
            shared=tuple(rid in declared and declared[rid].shared for rid in resource_ids),
            starting=tuple(declared[rid].starting if rid in declared else 0 for rid in resource_ids),
            token_supply=tuple(tokens.get(r) for r in range(len(resource_ids))),
            actions=tuple(actions), action_index=action_index,
            phases=phases, actions_per_phase=design.turn_structure.actions_per_phase,
            rotates=design.turn_structure.first_player == FirstPlayer.ROTATES, income=income,
            decks=decks, rows=tuple(rows), card_ids=tuple(tuple(card.id for card in c.card_types) for c in deck_parts),
            card_gains=card_gains, ends=tuple(ends), scoring=scoring,
            cooperative=design.cooperative)


class Bot(Protocol):
    """A player: picks one of the legal action ids, or None to pass (ending the phase for it). During a
    face-up draw (`GameView.picking`) the legal ids are the card types lying face up, and None takes
    the first of the row."""

    name: str

    def choose(self, view: GameView, legal: Sequence[str], rng: random.Random) -> str | None: ...


class GameView:
    """The read-only state a bot sees; `copy` gives search bots a game of their own to play out."""

    __slots__ = ("_game",)

    def __init__(self, game: Game) -> None:
        self._game = game

    @property
    def design(self) -> GameDesign:
        return self._game.rules.design

    @property
    def players(self) -> int:
        return self._game.players

    @property
    def seat(self) -> int:
        """The seat to act now."""
        return self._game.seat

    @property
    def round(self) -> int:
        return self._game.round

    @property
    def picking(self) -> bool:
        """Whether the seat is choosing a face-up card of a draw (the legal ids are card type ids)."""
        return self._game.picks > 0

    def holdings(self, seat: int) -> dict[str, int]:
        return dict(zip(self._game.rules.resource_ids, self._game.hold[seat], strict=True))

    def pool(self) -> dict[str, int]:
        """The shared pools (shared resources only)."""
        rules = self._game.rules
        return {rid: self._game.pool[r] for r, rid in enumerate(rules.resource_ids) if rules.shared[r]}

    def supply(self, resource: str) -> int | None:
        """What is left to gain of a resource; None when unlimited."""
        left = self._game.supply[self._game.rules.resource_ids.index(resource)]
        return None if left >= UNLIMITED // 2 else left

    def score_of(self, seat: int) -> int:
        return self._game.score_of(seat)

    def copy(self, rng: random.Random | None = None) -> Game:
        return self._game.copy(rng)


class Game:
    """One game in progress, always stopped at a decision (or over): `legal()` then `step_action`."""

    def __init__(self, rules: Rules, players: int, rng: random.Random, max_rounds: int = DEFAULT_MAX_ROUNDS,
                 *, _blank: bool = False) -> None:
        self.rules = rules
        self.players = players
        self.rng = rng
        self.max_rounds = max_rounds
        if _blank:
            return
        n_res, n_act = len(rules.resource_ids), len(rules.actions)
        self.hold = [[0 if rules.shared[r] else rules.starting[r] for r in range(n_res)] for _ in range(players)]
        self.pool = [rules.starting[r] if rules.shared[r] else 0 for r in range(n_res)]
        self.supply = [UNLIMITED if q is None else
                       max(0, q - (rules.starting[r] if rules.shared[r] else rules.starting[r] * players))
                       for r, q in enumerate(rules.token_supply)]
        self.decks = [list(cards) for cards in rules.decks]
        for deck in self.decks:
            rng.shuffle(deck)
        self.rows = [[deck.pop() for _ in range(min(size, len(deck)))] for deck, size in zip(self.decks, rules.rows,
                                                                                              strict=True)]
        self.picks, self.pick_deck = 0, 0  # face-up cards the seat still chooses in this draw, and from which deck
        self.taken = [0] * n_act
        self.round, self.seat, self.phase, self.used = 1, 0, 0, 0
        self.first, self.turn = 0, 0  # this round's first seat; how many seats have played before this one
        self.over, self.completed = False, False
        self.ended_by: int | None = None
        self.decisions = [0] * players
        self.counts = [[0] * n_act for _ in range(players)]
        self.noops = [0] * n_act
        self.score_by_round: list[tuple[int, ...]] = []
        self.legal_now: list[int] = []
        self._settle()

    def copy(self, rng: random.Random | None = None) -> Game:
        """An independent copy. With `rng`, the copy draws its own dice and reshuffles the cards left
        face down (a search bot may not know the future; face-up cards stay); without, it is an exact
        clone."""
        g = Game(self.rules, self.players, self.rng, self.max_rounds, _blank=True)
        g.hold = [list(h) for h in self.hold]
        g.pool, g.supply, g.taken = list(self.pool), list(self.supply), list(self.taken)
        g.decks, g.rows = [list(d) for d in self.decks], [list(row) for row in self.rows]
        g.picks, g.pick_deck = self.picks, self.pick_deck
        if rng is None:
            g.rng = random.Random()
            g.rng.setstate(self.rng.getstate())
        else:
            g.rng = random.Random(rng.getrandbits(64))
            for deck in g.decks:
                g.rng.shuffle(deck)
        g.round, g.seat, g.phase, g.used = self.round, self.seat, self.phase, self.used
        g.first, g.turn = self.first, self.turn
        g.over, g.completed, g.ended_by = self.over, self.completed, self.ended_by
        g.decisions = list(self.decisions)
        g.counts = [list(c) for c in self.counts]
        g.noops = list(self.noops)
        g.score_by_round = list(self.score_by_round)
        g.legal_now = list(self.legal_now)
        return g

    @property
    def view(self) -> GameView:
        return GameView(self)

    def legal(self) -> list[str]:
        """The legal action ids for the seat to act (empty when the game is over); during a face-up
        draw, the ids of the card types it can choose."""
        if self.picks:
            cards = self.rules.card_ids[self.pick_deck]
            return [cards[t] for t in self.legal_now]
        ids = self.rules.actions
        return [ids[a].id for a in self.legal_now]

    def score_of(self, seat: int) -> int:
        h, pool, shared = self.hold[seat], self.pool, self.rules.shared
        return sum(points * (pool[r] if shared[r] else h[r]) for r, points in self.rules.scoring)

    def scores(self) -> tuple[int, ...]:
        return tuple(self.score_of(s) for s in range(self.players))

    def step_action(self, action: str | None) -> None:
        """The seat to act takes `action` (None = pass), then the game moves to the next decision.
        During a face-up draw `action` is the card type to take (None = the first of the row)."""
        if self.over:
            raise IllegalActionError("the game is over; no more actions can be taken")
        if self.picks:
            cards = self.rules.card_ids[self.pick_deck]
            choice = self.rows[self.pick_deck][0] if action is None else \
                next((t for t in self.legal_now if cards[t] == action), -1)
        elif action is None:
            self.used = self.rules.actions_per_phase
            self._settle()
            return
        else:
            choice = self.rules.action_index.get(action, -1)
        if choice not in self.legal_now:
            raise IllegalActionError(f"{action!r} is not legal now; legal: {self.legal()}")
        self._apply(choice)

    def playout(self, rng: random.Random, bots: Sequence[Bot] | None = None) -> GameRecord:
        """Play to the end: with `bots`, each seat's bot chooses; without, uniformly random legal actions."""
        view = GameView(self)
        while not self.over:
            if bots is None:
                self._apply(self.legal_now[rng.randrange(len(self.legal_now))])
            else:
                self.step_action(bots[self.seat].choose(view, self.legal(), rng))
        return self.record()

    def record(self) -> GameRecord:
        scores = self.scores()
        ends = self.rules.ends
        team_won = None
        if self.rules.cooperative:
            team_won = self.ended_by is not None and ends[self.ended_by].team_wins
            winners = tuple(range(self.players)) if team_won else ()
        else:
            top = max(scores)
            winners = tuple(s for s, v in enumerate(scores) if v == top)
        ids = [a.id for a in self.rules.actions]
        return GameRecord(
            seats=self.players, scores=scores, winners=winners, team_won=team_won, completed=self.completed,
            ended_by=self.ended_by, rounds=self.round, decisions=tuple(self.decisions),
            actions=tuple(dict(zip(ids, c, strict=True)) for c in self.counts),
            noops={ids[a]: n for a, n in enumerate(self.noops) if n},
            score_by_round=tuple(self.score_by_round))

    # --- the rules -------------------------------------------------------------------------------

    def _apply(self, choice: int) -> None:
        """Carry out one legal choice (an action, or a face-up card of a draw), then move on to the
        next decision: the draw's next card, or the next action."""
        if self.picks:
            self._pick(choice)
        else:
            self._act(choice)
        if self._offer_picks():
            return
        self.used += 1
        self._settle()

    def _offer_picks(self) -> bool:
        """Take the face-up cards the seat has no choice about; True while it has a choice to make
        (then `legal_now` holds the card types it can take, in row order)."""
        while self.picks:
            kinds = list(dict.fromkeys(self.rows[self.pick_deck]))
            if len(kinds) > 1:
                self.legal_now = kinds
                return True
            self._pick(kinds[0])
        return False

    def _pick(self, kind: int) -> None:
        """The seat takes a face-up card of type `kind` and gains what it shows; the deck refills its place."""
        row, deck = self.rows[self.pick_deck], self.decks[self.pick_deck]
        place = row.index(kind)
        if deck:
            row[place] = deck.pop()
        else:
            del row[place]
        for r, amount in self.rules.card_gains[self.pick_deck][kind]:
            self._gain(self.seat, r, amount)
        self.picks -= 1

    def _gain(self, seat: int, r: int, amount: int) -> int:
        """Gain up to `amount` of resource r from the supply (scarcity); a shared one goes to the pool."""
        got = min(amount, self.supply[r])
        if got > 0:
            self.supply[r] -= got
            if self.rules.shared[r]:
                self.pool[r] += got
            else:
                self.hold[seat][r] += got
        return got

    def _legal(self) -> list[int]:
        rules, seat = self.rules, self.seat
        h, pool, shared, taken = self.hold[seat], self.pool, rules.shared, self.taken
        decks, rows = self.decks, self.rows
        legal = []
        for a in rules.phases[self.phase]:
            act = rules.actions[a]
            if act.limit is not None and taken[a] >= act.limit:
                continue
            if act.draw and act.deck is not None and not (decks[act.deck] or act.face_up and rows[act.deck]):
                continue
            rise = act.price_step * taken[a]
            for r, amount in act.costs:
                if (pool[r] if shared[r] else h[r]) < amount + rise:
                    break
            else:
                legal.append(a)
        return legal

    def _act(self, a: int) -> None:
        rules, seat = self.rules, self.seat
        act = rules.actions[a]
        h, pool, supply, shared = self.hold[seat], self.pool, self.supply, rules.shared
        before, pool_before = list(h), list(pool)
        moved = 0
        rise = act.price_step * self.taken[a]
        for r, amount in act.costs:
            paid = amount + rise
            if shared[r]:
                pool[r] -= paid
            else:
                h[r] -= paid
            supply[r] += paid
        for r, amount in act.gains:
            self._gain(seat, r, amount)
        if act.roll is not None:
            r, dice, sides, per = act.roll
            randint = self.rng.randint
            self._gain(seat, r, sum(randint(1, sides) for _ in range(dice)) // per)
        if act.draw and act.deck is not None and act.face_up:  # chosen card by card, after the other effects
            self.picks, self.pick_deck = min(act.draw, len(self.decks[act.deck]) + len(self.rows[act.deck])), act.deck
            moved += self.picks
        elif act.draw and act.deck is not None:
            deck, gains = self.decks[act.deck], rules.card_gains[act.deck]
            for _ in range(min(act.draw, len(deck))):
                moved += 1
                for r, amount in gains[deck.pop()]:
                    self._gain(seat, r, amount)
        for r, amount in act.take:
            if shared[r]:
                continue
            victim = max((s for s in range(self.players) if s != seat), key=lambda s: self.hold[s][r], default=None)
            if victim is not None:
                got = min(amount, self.hold[victim][r])
                self.hold[victim][r] -= got
                h[r] += got
                moved += got
        self.taken[a] += 1
        self.decisions[seat] += 1
        self.counts[seat][a] += 1
        if not moved and h == before and pool == pool_before:
            self.noops[a] += 1

    def _settle(self) -> None:
        """Advance past phases where the seat to act has nothing legal, turns and round ends, to the
        next decision (or the end of the game)."""
        rules = self.rules
        n_phases = len(rules.phases)
        while True:
            if self.phase < n_phases and self.used < rules.actions_per_phase:
                legal = self._legal()
                if legal:
                    self.legal_now = legal
                    return
            self.used = 0
            self.phase += 1
            if self.phase < n_phases:
                continue
            self.phase = 0
            self.turn += 1
            if self.turn < self.players:
                self.seat = (self.first + self.turn) % self.players
                continue
            self._end_round()
            if self.over:
                self.legal_now = []
                return
            self.turn = 0
            self.first = (self.round - 1) % self.players if rules.rotates else 0
            self.seat = self.first

    def _end_round(self) -> None:
        rules = self.rules
        hold, pool, supply, shared = self.hold, self.pool, self.supply, rules.shared
        # in turn order from this round's first player: a short supply favours the seat the marker favours
        in_turn_order = [hold[(self.first + k) % self.players] for k in range(self.players)]
        for r, amount, per in rules.income:
            holders = [pool] if shared[r] else in_turn_order
            for held in holders:
                times = 1 if per is None else (pool[per] if shared[per] else
                                               (sum(h[per] for h in hold) if shared[r] else held[per]))
                delta = amount * times
                if delta > 0:
                    got = min(delta, supply[r])
                    supply[r] -= got
                    held[r] += got
                elif delta < 0:
                    paid = min(-delta, held[r])
                    supply[r] += paid
                    held[r] -= paid
        scores = self.scores()
        self.score_by_round.append(scores)
        for i, end in enumerate(rules.ends):
            if self._holds(end, scores):
                self.over, self.completed, self.ended_by = True, True, i
                return
        if self.round >= self.max_rounds:
            self.over = True
            return
        self.round += 1
        self.taken = [0] * len(self.taken)

    def _holds(self, end: _End, scores: tuple[int, ...]) -> bool:
        if end.kind == EndKind.ROUNDS:
            return end.rounds is not None and self.round >= end.rounds
        if end.kind == EndKind.SCORE_THRESHOLD:
            return end.threshold is not None and max(scores) >= end.threshold
        if end.kind == EndKind.RESOURCE_THRESHOLD:
            if end.threshold is None or end.resource is None:
                return False
            r = end.resource
            if self.rules.shared[r]:
                return self.pool[r] >= end.threshold
            return max(h[r] for h in self.hold) >= end.threshold
        if end.kind == EndKind.COMPONENT_EXHAUSTED:
            return ((end.deck is not None and not self.decks[end.deck])
                    or (end.supply is not None and self.supply[end.supply] == 0))
        return False  # objective / elimination: not executable (a validator finding)


def play(design: GameDesign | Rules, bots: Sequence[Bot], *, seed: int,
         max_rounds: int = DEFAULT_MAX_ROUNDS) -> GameRecord:
    """Play one game, one bot per seat (seat 0 first in round 1). Dice and decks draw from `seed`, the bots from a
    stream derived from it, so the same seed and bots give the same record."""
    rules = design if isinstance(design, Rules) else Rules.compile(design)
    if not bots:
        raise SeatCountError("play needs at least one bot (one per seat)")
    game = Game(rules, len(bots), random.Random(seed), max_rounds)
    return game.playout(random.Random(f"bots-{seed}"), bots)


def simulate(design: GameDesign, bots_factory: Callable[[int], Sequence[Bot]], *, games: int, players: int,
             seed: int, max_rounds: int = DEFAULT_MAX_ROUNDS) -> list[GameRecord]:
    """Play `games` games; `bots_factory(i)` gives game i's bots, one per seat (so seats can rotate)."""
    rules = Rules.compile(design)
    seeds = random.Random(seed)
    records = []
    for i in range(games):
        bots = bots_factory(i)
        if len(bots) != players:
            raise SeatCountError(f"bots_factory({i}) gave {len(bots)} bots for {players} players")
        records.append(play(rules, bots, seed=seeds.getrandbits(63), max_rounds=max_rounds))
    return records
