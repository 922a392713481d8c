"""The grammar of notes: sampling under a NoteGrammar obeys every rule, whatever the model's logits.

Every sampled sequence is checked by `broken_rules`, written from the rules' statement rather than
from the sampler's masks, with the shipped model, a randomly initialised transformer and two
adversaries (peaky random logits; a model that wants exactly the forbidden tokens).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np
import pytest
import torch
from torch import nn

from ontology.music_styles import Motion, Style, style_spec
from ontology.music_theory import Key, Mode
from tools.music.checkpoints import load_checkpoint
from tools.music.piano.grammar import (
    OUTLINE_LEAPS,
    PITCHES,
    GrammarError,
    HandGrammar,
    MinorSteps,
    NoteGrammar,
    NoteGrammarState,
    PhraseEnd,
    rules_for_line,
    stagnant,
    ticks,
)
from tools.music.piano.model import (
    CHECKPOINT_KIND,
    DEFAULT_CHECKPOINT,
    ModelConfig,
    PianoTransformer,
    context_window,
    sample_bars,
    sample_token,
)
from tools.music.piano.tokens import (
    LOWEST_PITCH,
    MAX_TOKENS_PER_BAR,
    VOCAB,
    Hand,
    Note,
    Segment,
    SequenceGrammar,
    bar_ticks,
    decode_tokens,
)

torch.set_num_threads(1)

C_MAJOR = frozenset(Key(0, Mode.MAJOR).scale())
A_MINOR = frozenset(Key(9, Mode.MINOR).scale())
CHORALE = NoteGrammar(  # one legato line in quarters and halves, a phrase ending on a half note, a whole-note close
    hands={Hand.RIGHT: HandGrammar(60, 79, 7)},
    grid=12,
    durations=frozenset({12, 24}),
    scale=C_MAJOR,
    step_bias=1.5,
    legato=True,
    phrase_ends=(PhraseEnd(3, frozenset({0, 4, 7}), 24), PhraseEnd(7, frozenset({0}), 48)),
)
JIG = NoteGrammar(  # running eighths in 6/8
    hands={Hand.RIGHT: HandGrammar(62, 86, 9)},
    grid=6,
    durations=frozenset({6, 12, 18}),
    scale=A_MINOR,
    step_bias=1.2,
    legato=True,
    phrase_ends=(PhraseEnd(3, frozenset({4, 9}), 18), PhraseEnd(7, frozenset({9}), 36)),
)
FREE_PIANO = NoteGrammar(  # two hands on a sixteenth grid, binary lengths only, chords of three in the left hand
    hands={Hand.RIGHT: HandGrammar(55, 96, 12), Hand.LEFT: HandGrammar(28, 67, 12, notes_per_onset=3)},
    grid=3,
    durations=frozenset({3, 6, 9, 12, 18, 24, 36, 48}),
    step_bias=0.5,
    phrase_ends=(PhraseEnd(3, frozenset({0, 4, 7}), 24), PhraseEnd(7, frozenset({0}), 48)),
)
BREATHING = dataclasses.replace(CHORALE, breath=True)  # the chorale's line, free to rest after a phrase's last note
CHROMATIC = dataclasses.replace(  # a legato line over chords, both hands chromatic, leaping further between phrases
    CHORALE, hands={Hand.RIGHT: HandGrammar(60, 84, 7, chromatic=True),
                    Hand.LEFT: HandGrammar(36, 60, 9, notes_per_onset=3, chromatic=True)},
    durations=frozenset({6, 12, 24}), grid=6, beat=12, phrase_leap=16, chromatic_bias=2.0)
CHROMATIC_PIANO = dataclasses.replace(  # free piano with rests, chromatic in both hands
    FREE_PIANO, scale=C_MAJOR, beat=12, phrase_leap=19, chromatic_bias=2.0,
    hands={Hand.RIGHT: HandGrammar(55, 96, 12, chromatic=True), Hand.LEFT: HandGrammar(28, 67, 12, 3, chromatic=True)})
LEAPING_PIANO = dataclasses.replace(  # free piano whose line may leap up to two octaves in one interval in ten
    FREE_PIANO, leap_rate=0.1, wide_leap=24, leap_bias=3.0)
SOUNDING_PIANO = dataclasses.replace(  # chromatic free piano whose hands both strike in every bar
    CHROMATIC_PIANO, hands={hand: dataclasses.replace(rules, every_bar=True)
                            for hand, rules in CHROMATIC_PIANO.hands.items()})
TONICISED_PIANO = dataclasses.replace(  # chromatic free piano whose phrases' second bars borrow G major's and D minor's
    CHROMATIC_PIANO, bar_scales=(None, frozenset(Key(7, Mode.MAJOR).scale()), None, None,
                                 None, frozenset(Key(2, Mode.MINOR).scale())))
CASES = [
    pytest.param(CHORALE, "4/4", "major", id="chorale"),
    pytest.param(BREATHING, "4/4", "major", id="breathing"),
    pytest.param(JIG, "6/8", "minor", id="jig"),
    pytest.param(FREE_PIANO, "4/4", "major", id="free-piano"),
    pytest.param(CHROMATIC, "4/4", "major", id="chromatic"),
    pytest.param(CHROMATIC_PIANO, "4/4", "major", id="chromatic-piano"),
    pytest.param(LEAPING_PIANO, "4/4", "minor", id="leaping-piano"),
    pytest.param(SOUNDING_PIANO, "4/4", "minor", id="sounding-piano"),
    pytest.param(TONICISED_PIANO, "4/4", "major", id="tonicised-piano"),
]
BARS = 8


def start(meter: str, mode: str) -> list[int]:
    return [VOCAB.meter(meter), VOCAB.mode(mode)]


def bar_scale(grammar: NoteGrammar, new: int) -> frozenset[int] | None:
    """The scale new bar `new` is sampled in: its own (`bar_scales`), else the grammar's."""
    own = grammar.bar_scales[new] if 0 <= new < len(grammar.bar_scales) else None
    return own or grammar.scale


def broken_rules(tokens: list[int], grammar: NoteGrammar, bars: int, prompt_bars: int = 0) -> list[str]:
    """Every way the new bars of a sampled sequence break the grammar (empty: none)."""
    segment = decode_tokens(tokens)
    length = bar_ticks(segment.meter)
    faults = [] if len(segment.bars) == prompt_bars + bars else [f"{len(segment.bars) - prompt_bars} new bars"]
    top = grammar.top_hand
    reference: dict[Hand, int] = {}
    unresolved: dict[Hand, int] = {}  # each hand's chromatic note, resolved by its next onset
    resolved: set[Hand] = set()  # hands whose latest onset resolved one (their next takes no chromatic note)
    phrase_start = False  # the top hand's next note begins a phrase
    intervals = wide = 0  # the top hand's intervals in the new bars, and those past its max_leap (its leap budget)
    endings = {end.bar: end for end in grammar.phrase_ends}
    for index, bar in enumerate(segment.bars):
        new = index - prompt_bars
        phrase_start = phrase_start or (new == 0 and grammar.opens_phrase)
        onsets: dict[int, dict[Hand, list[Note]]] = defaultdict(lambda: defaultdict(list))
        for note in bar:
            onsets[note.position][note.hand].append(note)
        phrase_end = endings.get(new)
        # where the top line's next note could owe a phrase ending, it takes no chromatic note
        cadence_ahead = new + 1 in endings or (new + 2 in endings and endings[new + 2].approach_ticks >= length)
        scale = bar_scale(grammar, new)
        for position in sorted(onsets):
            for hand, notes in onsets[position].items():
                if new >= 0:
                    cadence = phrase_end if hand == top and position == 0 else None
                    leap = grammar.phrase_leap if hand == top and phrase_start and grammar.phrase_leap else None
                    if hand == top and grammar.wide_leap and wide + 0.5 <= grammar.leap_rate * (intervals + 1):
                        leap = max(leap or 0, grammar.wide_leap)
                    if hand == top and hand in reference:
                        intervals += 1
                        wide += max(n.pitch for n in notes) - reference[hand] > grammar.hands[hand].max_leap or (
                            reference[hand] - max(n.pitch for n in notes) > grammar.hands[hand].max_leap)
                    faults += onset_faults(grammar, hand, notes, reference.get(hand), cadence, length, f"bar {new}",
                                           leap, scale)
                    resolving = unresolved.pop(hand, None)
                    if resolving is not None and hand == top and gap_before(segment, prompt_bars, new, position, top):
                        faults.append(f"bar {new}: the line falls silent before resolving its chromatic {resolving}")
                    faults += chromatic_faults(grammar, scale, hand, notes, reference.get(hand), resolving,
                                               (hand == top and cadence_ahead) or hand in resolved, f"bar {new}")
                    resolved = resolved | {hand} if resolving is not None else resolved - {hand}
                    if scale is not None and notes[0].pitch % 12 not in scale:
                        unresolved[hand] = notes[0].pitch
                    if hand == top:
                        phrase_start = cadence is not None
            for hand, notes in onsets[position].items():
                reference[hand] = max(note.pitch for note in notes)
        if new < 0:
            continue
        line = sorted(note for note in bar if note.hand == top)
        if grammar.legato:
            ends = [0] + [note.position + note.duration for note in line]
            starts = [note.position for note in line]
            if grammar.breath and phrase_end is not None and len(line) > 1 and starts[1] > ends[1]:
                starts[1] = ends[1]  # a breath after the phrase's last note, the line resumed later
            breathes = grammar.breath and phrase_end is not None and len(line) == 1
            if starts != ends[:-1] or (ends[-1] != length and not breathes):
                faults.append(f"bar {new}: the line {[(n.position, n.duration) for n in line]} is not legato")
        if phrase_end is not None and not (line and line[0].position == 0):
            faults.append(f"bar {new}: no phrase-ending note on the downbeat")
        for hand, rules in grammar.hands.items():
            entry = min((note.position for note in bar if note.hand == hand), default=None)
            if rules.every_bar and entry is None:
                faults.append(f"bar {new}: the {hand.name} hand is silent")
            elif rules.every_bar and entry > length // 2 and any(length // 2 < note.position < entry for note in bar):
                faults.append(f"bar {new}: the {hand.name} hand enters at {entry}, after the bar's middle")
    return faults


def gap_before(segment: Segment, prompt_bars: int, new: int, position: int, hand: Hand) -> bool:
    """Whether the hand's note at `position` of new bar `new` starts later than its previous note ends."""
    length = bar_ticks(segment.meter)
    starts = [(index * length + note.position, index * length + note.position + note.duration)
              for index, bar in enumerate(segment.bars) for note in bar if note.hand == hand]
    here = (prompt_bars + new) * length + position
    return max(end for start, end in starts if start < here) < here


def chromatic_faults(grammar: NoteGrammar, scale: frozenset[int] | None, hand: Hand, notes: list[Note],
                     reference: int | None, resolving: int | None, barred: bool, where: str) -> list[str]:
    """How one hand's notes at one onset break the rules for notes outside the scale: a chromatic
    note is off the beat, alone in its hand, a step from the hand's last top note, not `barred`
    (by a phrase ending ahead or a resolution just before), and its hand's next onset is one scale
    note a semitone from it. `scale` is the bar's."""
    if scale is None or hand not in grammar.hands:
        return []
    outside = [note for note in notes if note.pitch % 12 not in scale]
    if resolving is not None:
        if len(notes) != 1 or outside or abs(notes[0].pitch - resolving) != 1:
            return [f"{where}: {notes} do not resolve the chromatic {resolving} by a semitone"]
        return []
    beat = grammar.beat or 10**6
    return [f"{where}: {note} is outside the scale and not a chromatic passing or neighbour note" for note in outside
            if not grammar.hands[hand].chromatic or len(notes) != 1 or note.position % beat == 0 or barred
            or reference is None or abs(note.pitch - reference) not in (1, 2)]


def onset_faults(
    grammar: NoteGrammar, hand: Hand, notes: list[Note], reference: int | None, cadence: PhraseEnd | None,
    length: int, where: str, leap: int | None = None, scale: frozenset[int] | None = None,
) -> list[str]:
    """How one hand's notes at one onset break the grammar (`leap`: the largest it may take here,
    if not the hand's own; notes outside the scale are `chromatic_faults`' to judge)."""
    if hand not in grammar.hands:
        return [f"{where}: the {hand.name} hand plays"]
    rules, faults = grammar.hands[hand], []
    max_leap = leap or rules.max_leap
    if len(notes) > (1 if cadence else rules.notes_per_onset):
        faults.append(f"{where}: {len(notes)} {hand.name} notes at {notes[0].position}")
    scale = scale or grammar.scale
    candidates = [pitch for pitch in range(rules.lowest, rules.highest + 1)
                  if (scale is None or pitch % 12 in scale)
                  and (cadence is None or pitch % 12 in cadence.pitch_classes)]
    if reference is not None:
        nearest = min(abs(pitch - reference) for pitch in candidates)
        largest_leap = max_leap if nearest <= max_leap else nearest
    for note in notes:
        if not rules.lowest <= note.pitch <= rules.highest:
            faults.append(f"{where}: {note} is outside the register")
        if cadence is not None and (note.pitch % 12 not in cadence.pitch_classes or note.duration != cadence.duration):
            faults.append(f"{where}: {note} is not the phrase's last note {cadence}")
        if cadence is None and note.duration not in grammar.durations:
            faults.append(f"{where}: {note} has a length outside {sorted(grammar.durations)}")
        if note.position % grammar.grid or note.position + note.duration > length:
            faults.append(f"{where}: {note} is off the grid or overflows the bar")
        if reference is not None and abs(note.pitch - reference) > largest_leap:
            faults.append(f"{where}: {note} leaps {abs(note.pitch - reference)} from {reference}")
    return faults


class Adversary(nn.Module):
    """Peaky random logits that depend on the whole input, so every step wants something else."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        seed = int((tokens * torch.arange(1, tokens.shape[1] + 1)).sum()) % 2**31
        logits = 8.0 * torch.randn(VOCAB.size, generator=torch.Generator().manual_seed(seed))
        return logits.log_softmax(-1).expand(*tokens.shape, VOCAB.size)


class RuleBreaker(nn.Module):
    """Wants exactly what the grammars forbid: ending bars at once, the shortest and longest notes,
    off-grid onsets and the piano's extreme pitches."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        log_probs = torch.full((VOCAB.size,), -30.0)
        for token in (VOCAB.bar, VOCAB.duration(1), VOCAB.duration(96), VOCAB.position(1), VOCAB.position(5)):
            log_probs[token] = 0.0
        for hand in Hand:
            log_probs[[VOCAB.note(21, hand), VOCAB.note(108, hand), VOCAB.note(61, hand)]] = 0.0
        return log_probs.expand(*tokens.shape, VOCAB.size)


class Indifferent(nn.Module):
    """Every token equally likely: what remains is the grammar's own preferences."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.zeros(*tokens.shape, VOCAB.size)


@pytest.fixture(scope="module")
def shipped() -> PianoTransformer:
    payload = load_checkpoint(DEFAULT_CHECKPOINT, kind=CHECKPOINT_KIND)
    model = PianoTransformer(ModelConfig(**payload["config"]))
    model.load_state_dict(payload["state_dict"])
    return model.eval()


@pytest.fixture(scope="module")
def untrained() -> PianoTransformer:
    torch.manual_seed(0)
    return PianoTransformer(ModelConfig(embedding="factorised", d_model=64, layers=1, heads=2, feedforward=128)).eval()


def sample(model: nn.Module, grammar: NoteGrammar | None, meter: str, mode: str, seed: int, bars: int = BARS,
           prompt: list[int] | None = None, top_p: float = 1.0) -> list[int]:
    return sample_bars(model, [*start(meter, mode), *(prompt or [])], bars, temperature=1.0,
                       generator=torch.Generator().manual_seed(seed), grammar=grammar, top_p=top_p)


@pytest.mark.parametrize(("grammar", "meter", "mode"), CASES)
@pytest.mark.parametrize("model", [Adversary(), RuleBreaker()], ids=["adversary", "rule-breaker"])
def test_adversarial_logits_never_break_the_grammar(model: nn.Module, grammar: NoteGrammar, meter: str,
                                                    mode: str) -> None:
    for seed in range(8):
        tokens = sample(model, grammar, meter, mode, seed)
        assert broken_rules(tokens, grammar, BARS) == [], f"seed {seed}"


@pytest.mark.parametrize(("grammar", "meter", "mode"), CASES)
def test_an_untrained_transformer_keeps_the_grammar(untrained: PianoTransformer, grammar: NoteGrammar, meter: str,
                                                    mode: str) -> None:
    for seed in range(3):
        assert broken_rules(sample(untrained, grammar, meter, mode, seed), grammar, BARS) == [], f"seed {seed}"


@pytest.mark.parametrize(("grammar", "meter", "mode"), CASES)
def test_the_shipped_model_keeps_the_grammar(shipped: PianoTransformer, grammar: NoteGrammar, meter: str,
                                             mode: str) -> None:
    for seed in range(2):
        tokens = sample_bars(shipped, start(meter, mode), BARS, temperature=0.95, top_p=0.92, grammar=grammar,
                             generator=torch.Generator().manual_seed(seed))
        assert broken_rules(tokens, grammar, BARS) == [], f"seed {seed}"
        bars = decode_tokens(tokens).bars
        for end in grammar.phrase_ends:  # the check above, spelled out for the phrase endings
            (downbeat,) = [note for note in bars[end.bar] if note.position == 0 and note.hand == grammar.top_hand]
            assert downbeat.pitch % 12 in end.pitch_classes and downbeat.duration == end.duration


def test_a_fixed_seed_samples_the_same_bars(shipped: PianoTransformer) -> None:
    first, again, other = (sample(shipped, CHORALE, "4/4", "major", seed) for seed in (5, 5, 6))
    assert first == again
    assert first != other


def legacy_sample_bars(model: nn.Module, tokens: list[int], bars: int, *, temperature: float,
                       generator: torch.Generator) -> list[int]:
    """`sample_bars` as it was before the note grammar (commit d23593e): what grammar=None must reproduce."""
    model.eval()
    grammar = SequenceGrammar(VOCAB.value(tokens[0]))
    tokens = [*tokens, VOCAB.bar]
    for token in tokens[2:]:
        grammar.advance(token)
    bar_starts = [index for index, token in enumerate(tokens) if token == VOCAB.bar]
    new_bars = 1
    for _ in range(bars * MAX_TOKENS_PER_BAR):
        window = context_window(tokens, bar_starts, model.config.context)
        log_probs = model(torch.tensor([window]))[0, -1] / temperature
        log_probs[~torch.from_numpy(grammar.allowed())] = -torch.inf
        token = int(torch.multinomial(log_probs.softmax(-1), 1, generator=generator))
        if token == VOCAB.bar:
            if new_bars == bars:
                break
            new_bars += 1
            bar_starts.append(len(tokens))
        grammar.advance(token)
        tokens.append(token)
    return tokens


@pytest.mark.parametrize(("meter", "mode", "prompt"), [
    ("4/4", "major", []),
    ("3/4", "minor", [VOCAB.bar, VOCAB.position(0), VOCAB.note(69, Hand.RIGHT), VOCAB.duration(36)]),
])
def test_without_a_grammar_the_sampler_is_unchanged_token_for_token(shipped: PianoTransformer, meter: str, mode: str,
                                                                    prompt: list[int]) -> None:
    for seed in (3, 11):
        old = legacy_sample_bars(shipped, [*start(meter, mode), *prompt], 3, temperature=0.9,
                                 generator=torch.Generator().manual_seed(seed))
        new = sample_bars(shipped, [*start(meter, mode), *prompt], 3, temperature=0.9,
                          generator=torch.Generator().manual_seed(seed))
        assert new == old


@pytest.mark.parametrize(("prompt_pitch", "first_pitches"), [
    (84, {77, 79}),  # above the register: a leap of 7 still reaches F5 and G5
    (100, {79}),  # out of reach: the leap relaxes to the nearest allowed pitch
    (66, {60, 62, 64, 65, 67, 69, 71, 72}),  # off the scale but inside the register: C major within a fifth
])
def test_the_prompts_last_note_sets_the_first_leap(prompt_pitch: int, first_pitches: set[int]) -> None:
    grammar = dataclasses.replace(CHORALE, phrase_ends=())
    prompt = [VOCAB.bar, VOCAB.position(0), VOCAB.note(prompt_pitch, Hand.RIGHT), VOCAB.duration(48)]
    seen = set()
    for seed in range(16):
        tokens = sample(Indifferent(), grammar, "4/4", "major", seed, bars=2, prompt=prompt)
        assert broken_rules(tokens, grammar, 2, prompt_bars=1) == []
        seen.add(decode_tokens(tokens).bars[1][0].pitch)
    assert seen <= first_pitches and (len(seen) > 1 or len(first_pitches) == 1)


def top_line_steps(tokens: list[int]) -> float:
    """The share of the top line's successive intervals that are steps (1-2 semitones)."""
    pitches = [note.pitch for bar in decode_tokens(tokens).bars for note in sorted(bar) if note.hand == Hand.RIGHT]
    intervals = np.abs(np.diff(pitches))
    return float(np.mean((intervals >= 1) & (intervals <= 2)))


def test_the_step_bias_makes_steps_likelier() -> None:
    plain = dataclasses.replace(CHORALE, phrase_ends=(), step_bias=0.0)
    biased = dataclasses.replace(plain, step_bias=3.0)
    shares = {bias: np.mean([top_line_steps(sample(Indifferent(), grammar, "4/4", "major", seed))
                             for seed in range(6)]) for bias, grammar in ((0.0, plain), (3.0, biased))}
    assert shares[0.0] < 0.4 < 0.7 < shares[3.0]


def test_top_p_keeps_only_the_nucleus() -> None:
    log_probs = torch.tensor([0.5, 0.3, 0.2, 0.0]).log()
    draws = {top_p: {sample_token(log_probs.clone(), top_p, torch.Generator().manual_seed(seed)) for seed in range(200)}
             for top_p in (0.4, 0.7, 1.0)}
    assert draws == {0.4: {0}, 0.7: {0, 1}, 1.0: {0, 1, 2}}
    greedy = {tuple(sample(Adversary(), JIG, "6/8", "minor", seed, top_p=1e-6)) for seed in range(4)}
    varied = {tuple(sample(Adversary(), JIG, "6/8", "minor", seed)) for seed in range(4)}
    assert len(greedy) == 1 and len(varied) > 1
    with pytest.raises(ValueError, match="top_p"):
        sample(Adversary(), JIG, "6/8", "minor", 0, top_p=0.0)


class NoteLover(nn.Module):
    """Wants ever more notes of one tick: a legato line with chords must still finish every bar."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        log_probs = torch.full((*tokens.shape, VOCAB.size), -50.0)
        log_probs[..., VOCAB.num_events :] = 0.0
        log_probs[..., VOCAB.duration(1)] = 0.0
        return log_probs


def test_a_crowded_legato_bar_still_fills_within_its_tokens() -> None:
    grammar = NoteGrammar(hands={Hand.RIGHT: HandGrammar(60, 79, 12), Hand.LEFT: HandGrammar(28, 67, 24, 11)},
                          grid=1, durations=frozenset({1, 2, 48}), legato=True)
    for seed in range(3):
        tokens = sample(NoteLover(), grammar, "4/4", "major", seed, bars=3)
        assert broken_rules(tokens, grammar, 3) == []
        bar_starts = [index for index, token in enumerate(tokens) if token == VOCAB.bar] + [len(tokens)]
        assert max(np.diff(bar_starts)) <= MAX_TOKENS_PER_BAR
        assert any(note.duration == 1 for note in decode_tokens(tokens).notes())  # the model got some of its way


@pytest.mark.parametrize(("change", "meter", "message"), [
    ({"durations": frozenset({24})}, "3/4", "cannot fill a bar of 3/4"),  # halves cannot fill three quarters
    ({"durations": frozenset({48}), "legato": False}, "3/4", "No allowed note length fits"),
    ({"phrase_ends": (PhraseEnd(9, frozenset({0}), 24),)}, "4/4", "only bars 0-7"),
    ({"phrase_ends": (PhraseEnd(1, frozenset({0}), 18),)}, "4/4", "cannot fill the rest"),  # the line goes off the grid
    ({"phrase_ends": (PhraseEnd(1, frozenset({0}), 96),)}, "4/4", "more than a bar of 4/4"),
])
def test_a_grammar_no_bar_can_satisfy_is_refused(change: dict, meter: str, message: str) -> None:
    grammar = dataclasses.replace(CHORALE, **{"phrase_ends": (), **change})
    with pytest.raises(GrammarError, match=message):
        sample(Adversary(), grammar, meter, "major", 0)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: HandGrammar(80, 60, 7), "register"),
    (lambda: HandGrammar(60, 79, 7, notes_per_onset=0), "notes per onset"),
    (lambda: NoteGrammar(hands={}, grid=12, durations=frozenset({12})), "at least one hand"),
    (lambda: dataclasses.replace(CHORALE, durations=frozenset({10})), "Note lengths"),
    (lambda: dataclasses.replace(CHORALE, scale=frozenset({1}), phrase_ends=(),
                                 hands={Hand.RIGHT: HandGrammar(60, 60, 7)}), "holds no pitch of the scale"),
    (lambda: dataclasses.replace(CHORALE, hands={Hand.RIGHT: HandGrammar(60, 79, 7, notes_per_onset=2)}),
     "one note at a time"),
    (lambda: dataclasses.replace(CHORALE, phrase_ends=(PhraseEnd(3, frozenset({1}), 24),)), "do not offer"),
    (lambda: PhraseEnd(0, frozenset({12}), 24), "pitch classes"),
    (lambda: ticks(1 / 5), "whole number of ticks"),
    (lambda: dataclasses.replace(CHORALE, phrase_leap=5), "leap between phrases"),
])
def test_an_inconsistent_grammar_is_a_grammar_error(make, message: str) -> None:
    with pytest.raises(GrammarError, match=message):
        make()


def test_the_state_refuses_a_note_the_grammar_forbids() -> None:
    state = NoteGrammarState(CHORALE, "4/4", prompt_bars=0, new_bars=BARS)
    for token in (VOCAB.bar, VOCAB.position(0)):
        state.advance(token)
    assert state.allowed()[VOCAB.note(60, Hand.RIGHT)] and not state.allowed()[VOCAB.note(61, Hand.RIGHT)]
    with pytest.raises(GrammarError, match="does not allow"):
        state.advance(VOCAB.note(LOWEST_PITCH, Hand.RIGHT))


@pytest.mark.parametrize("style", list(Style))
def test_every_styles_line_rules_become_a_grammar_it_samples_under(style: Style) -> None:
    spec = style_spec(style)
    grammar = rules_for_line(spec.melody, "minor", shift=2, bass=spec.bass)
    right = grammar.hands[Hand.RIGHT]
    assert (right.lowest, right.highest, right.max_leap) == (spec.melody.lowest + 2, spec.melody.highest + 2,
                                                            spec.melody.max_leap)
    assert grammar.grid == round(12 * spec.melody.grid) and grammar.legato == (not spec.melody.rests)
    assert grammar.breath == spec.melody.breath
    # the listening limits hear what the grammar lets the line do: its leaps, and a breathing line's rests
    assert spec.limits.max_leap >= (spec.melody.phrase_leap or spec.melody.max_leap) >= spec.melody.max_leap
    assert grammar.phrase_leap == spec.melody.phrase_leap and grammar.chromatic_bias == spec.melody.chromatic_bias
    assert right.chromatic == spec.melody.chromatic and (spec.bass is None or
                                                         grammar.hands[Hand.LEFT].chromatic == spec.bass.chromatic)
    assert spec.limits.max_rest_share > 0 or not spec.melody.breath
    assert grammar.durations == {round(12 * length) for length in spec.melody.durations}
    assert grammar.scale == A_MINOR and (Hand.LEFT in grammar.hands) == (spec.bass is not None)
    meter = spec.meters[0]
    for seed in range(3):
        assert broken_rules(sample(Adversary(), grammar, meter, "minor", seed, bars=4), grammar, 4) == []


# a jig whose phrases are approached from E7's root and third, and whose beat is audible
JIG_CLOSE = dataclasses.replace(
    JIG, beat=18,
    phrase_ends=(PhraseEnd(3, frozenset({4, 9}), 18, approach=frozenset({4, 8}), approach_ticks=18),
                 PhraseEnd(7, frozenset({9}), 36, approach=frozenset({4, 8}), approach_ticks=18)))


@pytest.mark.parametrize("model", [Adversary(), RuleBreaker()], ids=["adversary", "rule-breaker"])
def test_the_beat_before_a_phrase_end_takes_the_approach_and_off_beat_notes_end_by_the_beat(model: nn.Module) -> None:
    for seed in range(8):
        tokens = sample(model, JIG_CLOSE, "6/8", "minor", seed)
        assert broken_rules(tokens, JIG_CLOSE, BARS) == []
        bars = decode_tokens(tokens).bars
        for end in JIG_CLOSE.phrase_ends:
            leading = [note.pitch % 12 for note in bars[end.bar - 1] if note.position >= 36 - end.approach_ticks]
            assert leading and set(leading) <= end.approach
        for bar in bars:
            for note in bar:
                if note.position % 18:
                    assert note.position + note.duration <= (note.position // 18 + 1) * 18, note


def test_the_tonic_and_length_biases_make_their_notes_likelier() -> None:
    plain = dataclasses.replace(JIG, phrase_ends=(), step_bias=0.0, beat=18, tonic_triad=frozenset({9, 0, 4}))

    def shares(grammar: NoteGrammar) -> tuple[float, float]:
        notes = [note for seed in range(6) for bar in decode_tokens(sample(Indifferent(), grammar, "6/8", "minor",
                                                                           seed)).bars for note in bar]
        on_beat = [note for note in notes if note.position % 18 == 0]
        return (float(np.mean([note.pitch % 12 in {9, 0, 4} for note in on_beat])),
                float(np.mean([note.duration == 12 for note in notes])))

    tonic, quarter = shares(plain)
    biased_tonic, biased_quarter = shares(dataclasses.replace(plain, tonic_bias=3.0, length_bias={12: 3.0}))
    assert tonic < 0.6 < 0.8 < biased_tonic and quarter < biased_quarter


def test_a_motions_bias_moves_both_hands_note_lengths_and_the_length_bias_the_top_hands_only() -> None:
    # an indifferent model over the free piano's two hands: the length bias (the top hand's) leaves
    # the left hand's sixteenths as they were; the motion's bias makes them likelier in both hands
    def sixteenths(grammar: NoteGrammar) -> dict[Hand, float]:
        notes = [note for seed in range(4) for note in decode_tokens(sample(Indifferent(), grammar, "4/4", "major",
                                                                            seed)).notes()]
        return {hand: float(np.mean([note.duration == 3 for note in notes if note.hand == hand])) for hand in Hand}

    plain = sixteenths(FREE_PIANO)
    top_only = sixteenths(dataclasses.replace(FREE_PIANO, length_bias={3: 3.0}))
    moving = sixteenths(dataclasses.replace(FREE_PIANO, motion_bias={3: 3.0}))
    assert top_only[Hand.RIGHT] > plain[Hand.RIGHT] + 0.2 and abs(top_only[Hand.LEFT] - plain[Hand.LEFT]) < 0.1
    assert moving[Hand.RIGHT] > plain[Hand.RIGHT] + 0.2 and moving[Hand.LEFT] > plain[Hand.LEFT] + 0.2


def test_a_styles_motion_becomes_its_grammars_motion_bias() -> None:
    line = style_spec(Style.FREE_PIANO).melody
    for motion, lengths in line.motion_length_bias.items():
        grammar = rules_for_line(line, "major", motion=motion)
        assert grammar.motion_bias == {ticks(length): value for length, value in lengths.items()}
    assert set(line.motion_length_bias) == set(Motion)
    assert rules_for_line(line, "major").motion_bias == {}
    assert rules_for_line(style_spec(Style.WALTZ).melody, "major", motion=Motion.AGITATED).motion_bias == {}


def test_a_breathing_line_may_rest_after_a_phrases_last_note_and_only_there() -> None:
    # a model that wants every bar to end at once: the breathing line stops after the phrase's half
    # note, the legato one must fill its bar; elsewhere both fill every bar
    for grammar, breathes in ((BREATHING, True), (CHORALE, False)):
        bars = decode_tokens(sample(RuleBreaker(), grammar, "4/4", "major", 0)).bars
        ends = {end.bar for end in grammar.phrase_ends}
        for number, bar in enumerate(bars):
            line = sorted(note for note in bar if note.hand == Hand.RIGHT)
            filled = line[-1].position + line[-1].duration == 48
            assert filled != (breathes and number in ends and number != 7), f"bar {number}"
    # an indifferent model sometimes resumes the line after a rest (a pickup to the next phrase)
    resumed = 0
    for seed in range(12):
        bars = decode_tokens(sample(Indifferent(), BREATHING, "4/4", "major", seed)).bars
        line = sorted(note for note in bars[3] if note.hand == Hand.RIGHT)
        resumed += len(line) > 1 and line[1].position > line[0].position + line[0].duration
    assert resumed > 0


def test_chromatic_notes_pass_or_neighbour_by_step_and_resolve_to_the_scale() -> None:
    # an indifferent model under a chromatic bias: the broken_rules check holds every chromatic note
    # to its approach and resolution; here, that there are some, in both hands, and none without the rule
    seen: defaultdict[Hand, int] = defaultdict(int)
    for seed in range(4):
        tokens = sample(Indifferent(), CHROMATIC, "4/4", "major", seed)
        assert broken_rules(tokens, CHROMATIC, BARS) == []
        for note in decode_tokens(tokens).notes():
            seen[note.hand] += note.pitch % 12 not in C_MAJOR
    assert seen[Hand.RIGHT] > 0 and seen[Hand.LEFT] > 0
    diatonic = dataclasses.replace(CHROMATIC, hands={hand: dataclasses.replace(rules, chromatic=False)
                                                     for hand, rules in CHROMATIC.hands.items()})
    notes = [note for seed in range(4) for note in decode_tokens(sample(Indifferent(), diatonic, "4/4", "major",
                                                                        seed)).notes()]
    assert all(note.pitch % 12 in C_MAJOR for note in notes)


def test_a_line_with_rests_takes_chromatic_notes_and_resolves_them_without_falling_silent() -> None:
    # free piano with rests: the top line now takes chromatic notes too (before, none at all in a line
    # with phrase endings, since it might fall silent into one); broken_rules holds each to a
    # resolution by step at its very end, and none in the bar before a phrase ending
    seen: defaultdict[Hand, int] = defaultdict(int)
    rests = 0
    for seed in range(6):
        tokens = sample(Indifferent(), CHROMATIC_PIANO, "4/4", "major", seed)
        assert broken_rules(tokens, CHROMATIC_PIANO, BARS) == []
        bars = decode_tokens(tokens).bars
        for note in decode_tokens(tokens).notes():
            seen[note.hand] += note.pitch % 12 not in C_MAJOR
        for bar in bars:
            line = sorted(note for note in bar if note.hand == Hand.RIGHT)
            rests += any(after.position > before.position + before.duration
                         for before, after in zip(line, line[1:], strict=False))
    assert seen[Hand.RIGHT] > 0 and seen[Hand.LEFT] > 0
    assert rests > 0  # and the line still rests elsewhere


def test_a_tonicised_bar_is_sampled_in_its_own_scale_and_the_others_in_the_key() -> None:
    # bars 1 and 5 borrow G major's scale (F# for F): an indifferent model strikes F# there and only there,
    # and never F; every other bar keeps to C major
    g_major = frozenset(Key(7, Mode.MAJOR).scale())
    grammar = dataclasses.replace(FREE_PIANO, scale=C_MAJOR, bar_scales=(None, g_major, None, None, None, g_major))
    sharps = 0
    for seed in range(4):
        for index, bar in enumerate(decode_tokens(sample(Indifferent(), grammar, "4/4", "major", seed)).bars):
            classes = {note.pitch % 12 for note in bar}
            assert classes <= (g_major if index in (1, 5) else C_MAJOR), (seed, index, sorted(classes))
            sharps += 6 in classes
    assert sharps > 0
    with pytest.raises(GrammarError, match="scale"):
        dataclasses.replace(FREE_PIANO, scale=C_MAJOR, bar_scales=(frozenset(),))


def test_a_line_leaps_past_its_limit_only_into_a_phrases_first_note() -> None:
    # an indifferent model: the line leaps past max_leap (up to phrase_leap) only into the note after
    # a phrase's last one (a half note on the downbeat); without a phrase_leap, never
    far = []
    for seed in range(8):
        tokens = sample(Indifferent(), CHROMATIC, "4/4", "major", seed)
        assert broken_rules(tokens, CHROMATIC, BARS) == []
        line = [note for bar in decode_tokens(tokens).bars for note in sorted(bar) if note.hand == Hand.RIGHT]
        far += [(before, abs(after.pitch - before.pitch)) for before, after in zip(line, line[1:], strict=False)
                if abs(after.pitch - before.pitch) > CHROMATIC.hands[Hand.RIGHT].max_leap]
    assert far and all(before.position == 0 and before.duration == 24 and leap <= 16 for before, leap in far)
    tight = dataclasses.replace(CHROMATIC, phrase_leap=None)
    for seed in range(4):
        assert broken_rules(sample(Indifferent(), tight, "4/4", "major", seed), tight, BARS) == []


def test_a_line_leaves_its_leading_tone_by_step_inside_a_phrase() -> None:
    """An indifferent model's chorale line leaps away from B (C major's leading tone) as from any note;
    with `leading_tone` set it goes up to C or down a step, except into a phrase's first note."""
    def leaving_b(grammar: NoteGrammar) -> list[tuple[int, int]]:
        found = []
        for seed in range(12):
            tokens = sample(Indifferent(), grammar, "4/4", "major", seed)
            assert broken_rules(tokens, grammar, BARS) == []
            line = [note for bar in decode_tokens(tokens).bars for note in sorted(bar) if note.hand == Hand.RIGHT]
            found += [(before.position, after.pitch - before.pitch)
                      for before, after in zip(line, line[1:], strict=False)
                      if before.pitch % 12 == 11 and not (before.position == 0 and before.duration >= 24)]
        return found

    assert any(abs(move) > 2 for _, move in leaving_b(CHORALE)), "the indifferent line leaps off B somewhere"
    stepping = leaving_b(dataclasses.replace(CHORALE, leading_tone=11))
    assert stepping and all(move in (-2, -1, 0, 1) for _, move in stepping)
    assert rules_for_line(style_spec(Style.CHORALE).melody, "minor").leading_tone == 8  # G# in A minor
    assert rules_for_line(style_spec(Style.WALTZ).melody, "major").leading_tone is None


def test_a_minor_line_steps_through_its_sixth_and_seventh_by_direction() -> None:
    """In A minor an indifferent model's chorale line steps off F# and G# downward and off F and G upward
    somewhere (G F# G#, G A G#); with `minor_steps` set every step off them keeps melodic minor's
    direction: off a raised form up to a raised form or the tonic, off a natural one down to a natural
    form or the fifth, and never F to G# or back. A leap off them is the line's own, and a phrase's
    last note its cadence's (the style's approach sets the note before it)."""
    steps = MinorSteps.of(9)
    assert (steps.natural, steps.raised) == (frozenset({5, 7}), frozenset({6, 8}))
    onward = {6: {8}, 8: {9}, 5: {4}, 7: {5}}  # F# to G#, G# to A, F to E, G to F

    def stepping_off_six_and_seven(grammar: NoteGrammar) -> list[tuple[int, int]]:
        found = []
        for seed in range(12):
            tokens = sample(Indifferent(), grammar, "4/4", "minor", seed)
            assert broken_rules(tokens, grammar, BARS) == []
            line = [(note.pitch, index in (3, 7) and note.position == 0)
                    for index, bar in enumerate(decode_tokens(tokens).bars) for note in sorted(bar)
                    if note.hand == Hand.RIGHT]
            found += [(before, after) for (before, _), (after, ending) in zip(line, line[1:], strict=False)
                      if before % 12 in onward and not ending and (abs(after - before) in (1, 2) or (
                          {before % 12, after % 12} == {5, 8} and abs(after - before) == 3))]
        return found

    minor = dataclasses.replace(CHORALE, scale=A_MINOR, phrase_ends=(PhraseEnd(3, frozenset({9, 0, 4}), 24),
                                                                     PhraseEnd(7, frozenset({9}), 48)))
    free = stepping_off_six_and_seven(minor)
    assert any(after % 12 not in onward[before % 12] for before, after in free), "the free line turns somewhere"
    directed = stepping_off_six_and_seven(dataclasses.replace(minor, minor_steps=steps))
    assert directed and all(after % 12 in onward[before % 12] for before, after in directed)
    assert rules_for_line(style_spec(Style.CHORALE).melody, "minor").minor_steps == steps
    assert rules_for_line(style_spec(Style.CHORALE).melody, "major").minor_steps is None


def test_a_line_never_leaps_a_barred_interval_where_another_note_will_do() -> None:
    """An indifferent model's chorale line leaps a tritone (B-F, F-B) now and then; with the tritone
    barred, never. The chorale's data bars it."""
    def tritones(grammar: NoteGrammar) -> int:
        found = 0
        for seed in range(12):
            tokens = sample(Indifferent(), grammar, "4/4", "major", seed)
            assert broken_rules(tokens, grammar, BARS) == []
            line = [note.pitch for bar in decode_tokens(tokens).bars for note in sorted(bar) if note.hand == Hand.RIGHT]
            found += sum(abs(after - before) == 6 for before, after in zip(line, line[1:], strict=False))
        return found

    assert tritones(CHORALE) > 0
    assert tritones(dataclasses.replace(CHORALE, barred_leaps=frozenset({6}))) == 0
    assert rules_for_line(style_spec(Style.CHORALE).melody, "major").barred_leaps == {6}


def test_new_bars_that_go_on_with_the_prompts_phrase_leap_into_it_as_inside_a_phrase() -> None:
    """A variation's new bars after its source's first two (`SectionRequest.continues_phrase`) began
    with a leap into a phrase: a nocturne's return rose 14-17 semitones mid-phrase (session 47)."""
    prompt = [VOCAB.bar, VOCAB.position(0), VOCAB.note(60, Hand.RIGHT), VOCAB.duration(48)]
    first = {}
    for opens in (True, False):
        grammar = dataclasses.replace(CHROMATIC, phrase_ends=(), opens_phrase=opens)
        first[opens] = set()
        for seed in range(16):
            tokens = sample(Indifferent(), grammar, "4/4", "major", seed, bars=2, prompt=prompt)
            assert broken_rules(tokens, grammar, 2, prompt_bars=1) == []
            first[opens].add(max(n.pitch for n in decode_tokens(tokens).bars[1] if n.position == 0))
    assert max(first[True]) > 67 and max(first[False]) <= 67  # phrase_leap 16, max_leap 7


def top_line_leaps(tokens: list[int], max_leap: int) -> tuple[int, int]:
    """The top hand's intervals in the sampled bars, and how many leap past `max_leap`."""
    tops = [max(note.pitch for note in bar if note.hand == Hand.RIGHT and note.position == position)
            for bar in decode_tokens(tokens).bars
            for position in sorted({note.position for note in bar if note.hand == Hand.RIGHT})]
    leaps = [abs(after - before) for before, after in zip(tops, tops[1:], strict=False)]
    return len(leaps), sum(leap > max_leap for leap in leaps)


def test_a_leap_budget_lets_the_line_leap_past_its_limit_at_its_rate_and_no_more() -> None:
    # a line of quarters and halves (no phrase endings) whose largest leap is a fifth: with a budget
    # of one interval in six up to two octaves, and its bias, it leaps past the fifth at about that
    # rate, never more often (rounded) nor further; without a budget, never
    line = dataclasses.replace(CHORALE, hands={Hand.RIGHT: HandGrammar(48, 96, 7)}, phrase_ends=(), step_bias=0.0)
    budgeted = dataclasses.replace(line, leap_rate=1 / 6, wide_leap=24, leap_bias=3.0)
    totals = {"none": [0, 0], "budget": [0, 0]}
    for name, grammar in (("none", line), ("budget", budgeted)):
        for seed in range(4):
            tokens = sample(Indifferent(), grammar, "4/4", "major", seed)
            assert broken_rules(tokens, grammar, BARS) == [], (name, seed)
            intervals, leaps = top_line_leaps(tokens, 7)
            assert leaps <= round(intervals / 6) + 1
            totals[name][0] += intervals
            totals[name][1] += leaps
    assert totals["none"][1] == 0
    intervals, leaps = totals["budget"]
    assert 0.6 / 6 <= leaps / intervals <= 1 / 6 + 0.05, totals


def test_the_leap_bias_draws_the_line_past_its_limit_only_while_the_budget_is_open() -> None:
    # a leap budget of a quarter: the first interval may not leap (half a leap is not yet earned),
    # the second may, and is drawn to leap past the fifth (up to two octaves), free of the window's pull;
    # once it has, the budget is spent and the bias is gone
    grammar = dataclasses.replace(CHORALE, hands={Hand.RIGHT: HandGrammar(48, 96, 7)}, phrase_ends=(),
                                  step_bias=0.0, leap_rate=0.25, wide_leap=24, leap_bias=2.0,
                                  windows=((60, 67),) * BARS, window_pull=1.0)
    state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)

    def bias_at(*pitches: int) -> dict[int, float]:
        bias = state.step_bias()
        assert bias is not None
        return {pitch: float(bias[VOCAB.note(pitch, Hand.RIGHT)]) for pitch in pitches}

    for token in (VOCAB.bar, VOCAB.position(0), VOCAB.note(64, Hand.RIGHT), VOCAB.duration(12), VOCAB.position(12)):
        state.advance(token)
    assert bias_at(71, 72, 76) == {71: -4.0, 72: -5.0, 76: -9.0}  # the window's pull alone: no leap earned yet
    assert not state.allowed()[VOCAB.note(72, Hand.RIGHT)]
    for token in (VOCAB.note(62, Hand.RIGHT), VOCAB.duration(12), VOCAB.position(24)):
        state.advance(token)
    assert bias_at(69, 70, 86, 87) == {69: -2.0, 70: 2.0, 86: 2.0, 87: -20.0}
    assert state.allowed()[VOCAB.note(86, Hand.RIGHT)] and not state.allowed()[VOCAB.note(87, Hand.RIGHT)]
    for token in (VOCAB.note(79, Hand.RIGHT), VOCAB.duration(12), VOCAB.position(36)):
        state.advance(token)
    assert not state.allowed()[VOCAB.note(60, Hand.RIGHT)]  # 19 down: the budget is spent
    with pytest.raises(GrammarError, match="leap budget"):
        dataclasses.replace(CHORALE, leap_rate=0.1)
    with pytest.raises(GrammarError, match="leap budget's largest leap"):
        dataclasses.replace(CHORALE, leap_rate=0.1, wide_leap=5)
    with pytest.raises(GrammarError, match="leap bias"):
        dataclasses.replace(CHORALE, leap_bias=-1.0)


@pytest.mark.parametrize(("line", "repeats", "alternation", "spacing", "stuck"), [
    ([60, 62, 62], 2, None, None, {62}),  # a third 62 in a row
    ([60, 62, 62], 3, None, None, set()),
    ([64], 1, None, None, {64}),
    ([60, 62, 60, 62], None, 4, None, {60}),  # G A G A may not go on to G
    ([60, 62, 60], None, 4, None, set()),  # a neighbour note and its repeat are fine
    ([64, 62, 60, 62], None, 4, None, set()),  # not rocking: the first note differs
    ([62, 62, 60, 62, 60], 2, 4, None, {62}),
    ([69, 67, 69, 69, 67], None, None, 6, {69}),  # A G A A G may not return to A: circling two notes
    ([69, 67, 69, 69, 67], None, None, 2, set()),  # the last return lies three notes back
    ([69, 67, 65, 67], None, None, 6, {65}),  # G F G may not go on to F
    ([69, 67, 69, 71, 72], None, None, 6, set()),  # a return on two other pitches is fine
    ([60, 64, 60, 64], None, None, 6, set()),  # a third is not a neighbour note
    ([67, 69], None, None, 6, set()),  # the first return is fine
])
def test_a_line_stagnates_by_repeating_or_rocking_past_its_limits(line: list[int], repeats: int | None,
                                                                  alternation: int | None, spacing: int | None,
                                                                  stuck: set[int]) -> None:
    assert set(PITCHES[stagnant(line, repeats, alternation, spacing)].tolist()) == stuck


def test_a_line_that_has_hovered_within_a_third_for_seven_notes_leaves_it() -> None:
    """C# C# D C# C# D C#: the eighth note may not keep within a minor third of them (B to E); it goes
    to Bb or below, or F or above. Seven notes that already span more, or six notes, may go on anywhere."""
    hovering = [73, 73, 74, 73, 73, 74, 73]
    assert set(PITCHES[stagnant(hovering, None, None, None, (8, 3))].tolist()) == set(range(71, 77))
    assert not stagnant([*hovering[:-1], 77], None, None, None, (8, 3)).any()
    assert not stagnant(hovering[1:], None, None, None, (8, 3)).any()
    with pytest.raises(GrammarError, match="hovers"):
        dataclasses.replace(CHORALE, hover=(2, 3))


class Stubborn(nn.Module):
    """Wants the right hand to sit on C5 or rock between C5 and D5, whatever came before."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        log_probs = torch.zeros(VOCAB.size)
        log_probs[[VOCAB.note(72, Hand.RIGHT), VOCAB.note(74, Hand.RIGHT)]] = 12.0
        return log_probs.log_softmax(-1).expand(*tokens.shape, VOCAB.size)


def runs(line: list[int]) -> tuple[int, int]:
    """The longest run of one pitch and the longest run rocking between two pitches in `line`."""
    same = rocking = 1
    longest_same = longest_rocking = 1
    for index in range(1, len(line)):
        same = same + 1 if line[index] == line[index - 1] else 1
        rocking = rocking + 1 if index >= 2 and line[index] == line[index - 2] != line[index - 1] else 2
        longest_same, longest_rocking = max(longest_same, same), max(longest_rocking, rocking)
    return longest_same, longest_rocking


def test_a_line_keeps_moving_where_its_rules_allow() -> None:
    # a model that wants C5 and D5 only: without the rules the line sits and rocks; with them it
    # repeats a note at most twice and rocks between two for at most four notes
    free = dataclasses.replace(CHORALE, phrase_ends=(), step_bias=0.0)
    shaped = dataclasses.replace(free, max_repeats=2, max_alternation=4)
    for grammar, moving in ((free, False), (shaped, True)):
        for seed in range(3):
            tokens = sample(Stubborn(), grammar, "4/4", "major", seed)
            assert broken_rules(tokens, grammar, BARS) == []
            line = [note.pitch for bar in decode_tokens(tokens).bars for note in sorted(bar)]
            same, rocking = runs(line)
            assert (same <= 2 and rocking <= 4) == moving, (seed, line)


def rocked_again(line: list[int], spacing: int) -> int:
    """Returns off a neighbour note (A G A) within `spacing` notes of the last return on the same two pitches."""
    last: dict[frozenset[int], int] = {}
    again = 0
    for end in range(2, len(line)):
        if line[end] == line[end - 2] and abs(line[end] - line[end - 1]) in (1, 2):
            pair = frozenset(line[end - 1:end + 1])
            again += pair in last and end - last[pair] <= spacing
            last[pair] = end
    return again


def test_a_line_does_not_circle_two_notes() -> None:
    # a model that wants C5 and D5 only, allowed to rock between them for four notes: without a spacing
    # the line circles them (C D C C D C), with one it returns off D (or C) once in six notes at most
    rocking = dataclasses.replace(CHORALE, phrase_ends=(), step_bias=0.0, max_repeats=2, max_alternation=4)
    spaced = dataclasses.replace(rocking, rock_spacing=6)
    for grammar, circles in ((rocking, True), (spaced, False)):
        for seed in range(3):
            tokens = sample(Stubborn(), grammar, "4/4", "major", seed)
            assert broken_rules(tokens, grammar, BARS) == []
            line = [note.pitch for bar in decode_tokens(tokens).bars for note in sorted(bar)]
            assert (rocked_again(line, 6) > 0) == circles, (seed, line)
    with pytest.raises(GrammarError, match="neighbour note"):
        dataclasses.replace(CHORALE, rock_spacing=0)


def test_a_return_bias_weighs_against_a_note_returning_off_a_neighbour() -> None:
    # after E D (a step) the note back to E loses the return bias from its step bias; after D G (a leap)
    # nothing is a return; a model that wants only C5 and D5 (two in a row at most) returns off a neighbour
    # without the bias (C D C) and, under a strong one, moves by pairs instead (C C D D C C); a chromatic
    # neighbour note's way back is its resolution, not weighed against
    grammar = dataclasses.replace(CHORALE, phrase_ends=(), step_bias=1.5, return_bias=2.0)
    state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)

    def bias_after(*tokens: int) -> dict[int, float]:
        for token in tokens:
            state.advance(token)
        bias = state.step_bias()
        assert bias is not None
        return {note: float(bias[VOCAB.note(note, Hand.RIGHT)]) for note in (60, 64, 65, 66, 67, 69)}

    biases = [bias_after(VOCAB.bar, VOCAB.position(0), VOCAB.note(64, Hand.RIGHT), VOCAB.duration(12),
                         VOCAB.position(12), VOCAB.note(62, Hand.RIGHT), VOCAB.duration(12), VOCAB.position(24)),
              bias_after(VOCAB.note(67, Hand.RIGHT), VOCAB.duration(12), VOCAB.position(36))]
    assert biases[0] == {60: 1.5, 64: -0.5, 65: 0.0, 66: 0.0, 67: 0.0, 69: 0.0}  # E D: back to E is a return
    assert biases[1] == {60: 0.0, 64: 0.0, 65: 1.5, 66: 1.5, 67: 0.0, 69: 1.5}  # D G: a leap, no return
    chromatic = NoteGrammarState(dataclasses.replace(CHROMATIC, phrase_ends=(), return_bias=2.0), "4/4",
                                 prompt_bars=0, new_bars=BARS)
    for token in (VOCAB.bar, VOCAB.position(0), VOCAB.note(64, Hand.RIGHT), VOCAB.duration(6), VOCAB.position(6),
                  VOCAB.note(63, Hand.RIGHT), VOCAB.duration(6), VOCAB.position(12)):
        chromatic.advance(token)
    bias = chromatic.step_bias()
    assert bias is not None and bias[VOCAB.note(64, Hand.RIGHT)] == bias[VOCAB.note(62, Hand.RIGHT)] > 0  # E D# E
    rocking = dataclasses.replace(CHORALE, phrase_ends=(), step_bias=0.0, max_repeats=2)
    for grammar, returns in ((rocking, True), (dataclasses.replace(rocking, return_bias=30.0), False)):
        for seed in range(3):
            tokens = sample(Stubborn(), grammar, "4/4", "major", seed)
            line = [note.pitch for bar in decode_tokens(tokens).bars for note in sorted(bar)]
            assert any(line[end] == line[end - 2] != line[end - 1] for end in range(2, len(line))) == returns, line
    with pytest.raises(GrammarError, match="return bias"):
        dataclasses.replace(CHORALE, return_bias=-1.0)


def test_a_line_runs_in_one_length_no_longer_than_its_span() -> None:
    """Once in eighths, the piano model runs on in them (three in ten free pianos' right hands were 85%
    one length). With a span of a 4/4 bar (48 ticks), a bar of eight eighths leaves the next bar's first
    note another length; a run of seven does not, nor does a line without a span."""
    spanned = dataclasses.replace(FREE_PIANO, phrase_ends=(), max_even_span=48)

    def lengths_after(grammar: NoteGrammar, eighths: int) -> set[int]:
        state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)
        state.advance(VOCAB.bar)
        for number in range(eighths):
            for token in (VOCAB.position(48 - 6 * eighths + 6 * number), VOCAB.note(72, Hand.RIGHT), VOCAB.duration(6)):
                state.advance(token)
        for token in (VOCAB.bar, VOCAB.position(0), VOCAB.note(74, Hand.RIGHT)):
            state.advance(token)
        allowed = state.allowed()
        return {ticks for ticks in grammar.durations if allowed[VOCAB.duration(ticks)]}

    assert 6 not in lengths_after(spanned, 8) and {3, 12} <= lengths_after(spanned, 8)
    assert 6 in lengths_after(spanned, 7) and 6 in lengths_after(dataclasses.replace(spanned, max_even_span=None), 8)
    assert rules_for_line(style_spec(Style.FREE_PIANO).melody, "major").max_even_span == 48
    with pytest.raises(GrammarError, match="one length"):
        dataclasses.replace(FREE_PIANO, max_even_span=0)


def test_a_line_divides_no_more_beats_of_a_bar_than_its_limit() -> None:
    """Once in eighths, the chorale's soprano ran on in them (eight in sixty fixed-plan chorales were
    65-95% eighths; Bach's sopranos 0-43%). With one divided beat a bar, a beat struck after a passing
    pair of eighths takes a quarter; the next bar may divide a beat again, and a line without the
    limit (or without a beat to divide) may run on in eighths."""
    eighths = dataclasses.replace(CHORALE, durations=frozenset({6, 12}), grid=6, beat=12, phrase_ends=(),
                                  max_divided_beats=1)

    def lengths_at(grammar: NoteGrammar, onsets: list[tuple[int, int]]) -> set[int]:
        """The lengths the line's next note may take after `onsets` (position, length) in a bar."""
        state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)
        state.advance(VOCAB.bar)
        walk = [72, 74, 76, 74, 72, 74, 76]  # a line by steps in C major
        for (position, length), pitch in zip(onsets, walk, strict=False):
            if position == 48:
                state.advance(VOCAB.bar)
            for token in (VOCAB.position(position % 48), VOCAB.note(pitch, Hand.RIGHT), VOCAB.duration(length)):
                state.advance(token)
        last, length = onsets[-1]
        for token in (*([VOCAB.bar] if last + length == 48 else ()), VOCAB.position((last + length) % 48),
                      VOCAB.note(walk[len(onsets)], Hand.RIGHT)):
            state.advance(token)
        allowed = state.allowed()
        return {ticks for ticks in grammar.durations if allowed[VOCAB.duration(ticks)]}

    passing = [(0, 12), (12, 6), (18, 6)]
    assert lengths_at(eighths, passing) == {12}
    assert lengths_at(eighths, [(0, 6), (6, 6)]) == {12}
    assert lengths_at(eighths, [(0, 12)]) == {6, 12}
    assert lengths_at(eighths, [*passing, (24, 12), (36, 12)]) == {6, 12}  # a new bar
    assert lengths_at(dataclasses.replace(eighths, max_divided_beats=None), passing) == {6, 12}
    assert lengths_at(dataclasses.replace(eighths, beat=0), passing) == {6, 12}
    assert rules_for_line(style_spec(Style.CHORALE).melody, "major", beat=12).max_divided_beats == 1


WINDOWED = dataclasses.replace(  # the chorale's line, low for two bars, then an octave higher, then back
    CHORALE, windows=((60, 67), (60, 67), (72, 79), (72, 79), (72, 79), (62, 69), (62, 69), (60, 67)), window_pull=1.5)


def outside(pitch: int, window: tuple[int, int]) -> int:
    return max(window[0] - pitch, 0, pitch - window[1])


@pytest.mark.parametrize("model", [Adversary(), RuleBreaker()], ids=["adversary", "rule-breaker"])
def test_the_register_windows_never_break_the_grammar(model: nn.Module) -> None:
    for seed in range(6):
        assert broken_rules(sample(model, WINDOWED, "4/4", "major", seed), WINDOWED, BARS) == [], f"seed {seed}"


def test_the_line_is_drawn_into_each_bars_window() -> None:
    # an indifferent model: with the windows' pull the line mostly sits in each bar's window, moving
    # an octave up and back with them; without it, it strays far more often
    def share_inside(grammar: NoteGrammar) -> float:
        inside = []
        for seed in range(6):
            for number, bar in enumerate(decode_tokens(sample(Indifferent(), grammar, "4/4", "major", seed)).bars):
                inside += [outside(note.pitch, WINDOWED.windows[number]) == 0 for note in bar]
        return float(np.mean(inside))

    assert share_inside(dataclasses.replace(WINDOWED, window_pull=0.0)) < 0.6 < 0.8 < share_inside(WINDOWED)


def test_inside_a_phrase_the_window_moves_toward_the_next_bars_across_the_bar() -> None:
    """Sixty fixed-plan waltzes moved more than a fifth into bars 6 and 7, climbing to their middle's
    climax, 34 and 46 times (Beethoven's triple-time movements 4 and 1 in 24): each bar sat in its own
    window and the line leapt at the bar line. A note late in a bar is drawn toward the next bar's
    window, so the line climbs through the bar; a bar that ends a phrase keeps its own."""
    grammar = dataclasses.replace(CHORALE, hands={Hand.RIGHT: HandGrammar(48, 96, 12)}, phrase_ends=(),
                                  step_bias=0.0, tonic_bias=0.0, window_pull=1.0,
                                  windows=((60, 67), *((72, 79),) * (BARS - 1)))

    def pull_at(grammar: NoteGrammar, notes: int) -> float:
        state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)
        state.advance(VOCAB.bar)
        for number, pitch in enumerate((60, 62, 64)[:notes]):
            for token in (VOCAB.position(12 * number), VOCAB.note(pitch, Hand.RIGHT), VOCAB.duration(12)):
                state.advance(token)
        state.advance(VOCAB.position(12 * notes))
        bias = state.step_bias()
        assert bias is not None
        return float(bias[VOCAB.note(71, Hand.RIGHT)])

    assert pull_at(grammar, 1) == -1.0  # a quarter in: the window has risen three semitones, to 63-70
    assert pull_at(grammar, 3) == 0.0  # three quarters in: 69-76
    closing = dataclasses.replace(grammar, phrase_ends=(PhraseEnd(0, frozenset({0}), 12),))
    assert pull_at(closing, 3) == -4.0  # the bar ends a phrase: its own window, 60-67


def test_the_pull_grows_with_the_distance_outside_the_window() -> None:
    state = NoteGrammarState(WINDOWED, "4/4", prompt_bars=0, new_bars=BARS)
    for token in (VOCAB.bar, VOCAB.position(0)):
        state.advance(token)
    bias = state.step_bias()
    assert bias is not None
    pull = {pitch: float(bias[VOCAB.note(pitch, Hand.RIGHT)]) for pitch in (58, 60, 64, 67, 70)}
    assert pull == {58: -3.0, 60: 0.0, 64: 0.0, 67: 0.0, 70: -4.5}


def test_line_rules_carry_the_windows_and_the_stagnation_limits_into_the_reference_key() -> None:
    spec = style_spec(Style.WALTZ)
    grammar = rules_for_line(spec.melody, "major", shift=-3, windows=((64, 76), (66, 79)), window_pull=0.7)
    assert grammar.windows == ((61, 73), (63, 76)) and grammar.window_pull == 0.7
    assert (grammar.max_repeats, grammar.max_alternation) == (spec.melody.max_repeats, spec.melody.max_alternation)
    with pytest.raises(GrammarError, match="register window"):
        dataclasses.replace(CHORALE, windows=((70, 65),))
    with pytest.raises(GrammarError, match="pulls"):
        dataclasses.replace(CHORALE, window_pull=-1.0)
    with pytest.raises(GrammarError, match="neighbour note"):
        dataclasses.replace(CHORALE, max_alternation=2)


def test_the_outline_bias_rises_through_a_chord_into_the_downbeat() -> None:
    # an indifferent model: with the outline bias the line reaches many more of its downbeats by a
    # rising third, fourth, fifth (a sixth or an octave where the leap allows)
    plain = dataclasses.replace(CHORALE, phrase_ends=(), step_bias=0.0)

    def rising_share(grammar: NoteGrammar) -> float:
        rising = []
        for seed in range(6):
            tokens = sample(Indifferent(), grammar, "4/4", "major", seed)
            assert broken_rules(tokens, grammar, BARS) == []
            line = [note for bar in decode_tokens(tokens).bars for note in sorted(bar) if note.hand == Hand.RIGHT]
            rising += [after.pitch - before.pitch in OUTLINE_LEAPS
                       for before, after in zip(line, line[1:], strict=False) if after.position == 0]
        return float(np.mean(rising))

    assert rising_share(plain) < 0.4 < 0.7 < rising_share(dataclasses.replace(plain, outline_bias=3.0))
    with pytest.raises(GrammarError, match="outline"):
        dataclasses.replace(CHORALE, outline_bias=-1.0)


def test_the_shift_bias_leaps_an_octave_and_more_into_a_phrase_toward_its_window() -> None:
    # a phrase ends on C4 in bar 0; the plan moves up (window C5-C6): the next phrase's first note
    # is drawn to leaps of more than an octave upward, the notes after it are not
    grammar = dataclasses.replace(CHORALE, hands={Hand.RIGHT: HandGrammar(48, 96, 7)}, step_bias=0.0,
                                  phrase_leap=19, phrase_ends=(PhraseEnd(0, frozenset({0}), 24),),
                                  windows=((72, 84),) * BARS, shift_bias=2.5)
    state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)
    for token in (VOCAB.bar, VOCAB.position(0), VOCAB.note(60, Hand.RIGHT), VOCAB.duration(24), VOCAB.position(24)):
        state.advance(token)
    bias = state.step_bias()
    assert bias is not None
    shift = {pitch: float(bias[VOCAB.note(pitch, Hand.RIGHT)]) for pitch in (45, 64, 72, 73, 79)}
    assert shift == {45: 0.0, 64: 0.0, 72: 0.0, 73: 2.5, 79: 2.5}
    for token in (VOCAB.note(76, Hand.RIGHT), VOCAB.duration(12), VOCAB.position(36)):
        state.advance(token)
    assert state.step_bias() is None


def test_the_shift_bias_leaves_a_sections_first_note_to_its_joined_windows() -> None:
    # the prompt's line ends on C4 and the section's windows lie an octave and more above it: its first
    # note may leap by phrase_leap, but is not drawn past the octave (the windows climb there instead)
    grammar = dataclasses.replace(CHORALE, hands={Hand.RIGHT: HandGrammar(48, 96, 7)}, step_bias=0.0,
                                  phrase_leap=19, windows=((72, 84),) * BARS, shift_bias=2.5)
    state = NoteGrammarState(grammar, "4/4", prompt_bars=1, new_bars=BARS)
    for token in (VOCAB.bar, VOCAB.position(0), VOCAB.note(60, Hand.RIGHT), VOCAB.duration(48),
                  VOCAB.bar, VOCAB.position(0)):
        state.advance(token)
    bias = state.step_bias()
    assert bias is None or not bias[[VOCAB.note(pitch, Hand.RIGHT) for pitch in (73, 79)]].any()


class Sustaining(nn.Module):
    """Wants every note held as long as the bar allows, struck on any pitch."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        log_probs = torch.zeros(VOCAB.size)
        log_probs[VOCAB.duration(24)] = 12.0
        return log_probs.log_softmax(-1).expand(*tokens.shape, VOCAB.size)


def test_the_note_sounding_on_the_cadences_last_beat_fits_its_approach() -> None:
    # a model that holds its notes: a half note struck on beat 3 of the bar before a phrase ending
    # sounds through beat 4, so it takes the approach's pitch classes or ends by beat 4
    approach = frozenset({7, 11, 2})
    grammar = dataclasses.replace(CHORALE, phrase_ends=(
        PhraseEnd(3, frozenset({0, 4, 7}), 24, approach=approach, approach_ticks=12),
        PhraseEnd(7, frozenset({0}), 48, approach=approach, approach_ticks=12)))
    for seed in range(8):
        tokens = sample(Sustaining(), grammar, "4/4", "major", seed)
        assert broken_rules(tokens, grammar, BARS) == []
        bars = decode_tokens(tokens).bars
        for end in grammar.phrase_ends:
            sounding = [note for note in bars[end.bar - 1] if note.position <= 36 < note.position + note.duration]
            assert len(sounding) == 1 and sounding[0].pitch % 12 in approach, (seed, bars[end.bar - 1])


class RightHanded(nn.Module):
    """Indifferent, but for the left hand, which it would rather leave silent."""

    config = ModelConfig(embedding="joint", context=256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        log_probs = torch.zeros(VOCAB.size)
        log_probs[VOCAB.note(LOWEST_PITCH, Hand.LEFT):VOCAB.note(LOWEST_PITCH, Hand.LEFT) + len(PITCHES)] = -8.0
        return log_probs.expand(*tokens.shape, VOCAB.size)


def test_a_hand_that_must_sound_enters_with_the_line_where_the_entry_bias_leans_it() -> None:
    """A model that leaves the left hand out keeps the every-bar rule only at its last chance: once at
    each bar's last sixteenth (the bench's free piano 2 in its bars 2, 3 and 10, the free piano example's
    bar 5 in both hands), now at the bar's middle; the entry bias makes it join the line's onsets
    earlier in the bar."""
    def entries(grammar: NoteGrammar) -> list[int]:
        bars = [bar for seed in range(4) for bar in decode_tokens(sample(RightHanded(), grammar, "4/4", "minor",
                                                                         seed)).bars]
        return [min(note.position for note in bar if note.hand == Hand.LEFT) for bar in bars]

    middle = bar_ticks("4/4") // 2
    assert np.mean([entry == middle for entry in entries(SOUNDING_PIANO)]) > 0.8
    leaning = entries(dataclasses.replace(SOUNDING_PIANO, entry_bias=10.0))
    assert broken_rules(sample(RightHanded(), dataclasses.replace(SOUNDING_PIANO, entry_bias=10.0), "4/4", "minor",
                               0), SOUNDING_PIANO, BARS) == []
    assert max(leaning) <= middle and np.mean(leaning) < middle / 2


def test_a_planned_lines_first_note_is_a_tonic_triad_tone() -> None:
    """Review of session 29: a waltz in E minor opened on a C4 dotted half over its tonic chord, a
    non-chord tone held a bar (its first window, B3-E4, holds C4). A planned line's opening note is
    one of the tonic triad's tones; later notes may pass through the scale."""
    grammar = dataclasses.replace(WINDOWED, tonic_triad=frozenset({4, 7, 11}), windows=((59, 64),) * BARS)
    state = NoteGrammarState(grammar, "4/4", prompt_bars=0, new_bars=BARS)
    for token in (VOCAB.bar, VOCAB.position(0)):
        state.advance(token)
    allowed = state.allowed()
    opening = {pitch % 12 for pitch in range(48, 96) if allowed[VOCAB.note(pitch, Hand.RIGHT)]}
    assert opening and opening <= {4, 7, 11}
