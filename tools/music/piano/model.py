"""A small decoder-only transformer over piano event tokens, with a joint or a factorised note embedding.

The two variants differ only in how a note's (pitch, hand) enters the model:

* `joint`: every (pitch, hand) pair is its own token with its own input vector.
* `factorised` (Smart Embedding, arXiv 2601.03612): a note's input vector is a shared "note"
  vector plus a pitch vector plus a hand vector, so 88 + 2 vectors replace 176.

Both share the same output layer, a softmax over the whole vocabulary (one logit per (pitch, hand)
pair), so both losses are the negative log-likelihood of the same events under the same kind of
prediction, and one sampler serves both. The comparison isolates the embedding, which is what
the paper factorises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from tools.music.checkpoints import CHECKPOINT_DIR
from tools.music.piano.grammar import NoteGrammar, NoteGrammarState
from tools.music.piano.tokens import MAX_TOKENS_PER_BAR, NUM_PITCHES, VOCAB, Hand

Embedding = Literal["joint", "factorised"]
CHECKPOINT_KIND = "piano-factorised"
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "piano_factorised_d192.pt"
"""The model the tools write with: d_model 192, three layers, trained on a GPU (the command in
`tools.music.piano.train`'s docstring; docs/benchmarks.md, "On a GPU")."""
CPU_CHECKPOINT = CHECKPOINT_DIR / "piano_factorised.pt"
"""The smaller model `python -m tools.music.piano.train` writes with its defaults (minutes of CPU),
kept for the joint-vs-factorised comparison at a developer machine's budget."""
PREFIX_LENGTH = 2  # the meter and mode tokens every sequence starts with


@dataclass(frozen=True)
class ModelConfig:
    embedding: Embedding
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    feedforward: int = 512
    context: int = 256
    dropout: float = 0.1

    def as_dict(self) -> dict:
        return asdict(self)


class JointEmbedding(nn.Module):
    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.table = nn.Embedding(VOCAB.size, d_model)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.table(tokens)


class FactorisedEmbedding(nn.Module):
    """Event tokens keep their own vectors; a note is the "note" vector + its pitch's + its hand's."""

    is_note: torch.Tensor  # buffers, registered in __init__
    event_index: torch.Tensor
    pitch_index: torch.Tensor
    hand_index: torch.Tensor

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.event = nn.Embedding(VOCAB.num_events + 1, d_model)  # the last row stands for "a note"
        self.pitch = nn.Embedding(NUM_PITCHES, d_model)
        self.hand = nn.Embedding(len(Hand), d_model)
        with torch.no_grad():  # a note's three parts at variance 1/3 each: every input vector starts at variance 1
            for weights in (self.event.weight[-1:], self.pitch.weight, self.hand.weight):
                weights.mul_(3**-0.5)
        note = torch.arange(VOCAB.size) >= VOCAB.num_events
        note_index = (torch.arange(VOCAB.size) - VOCAB.num_events).clamp(min=0)
        self.register_buffer("is_note", note.float().unsqueeze(-1), persistent=False)
        self.register_buffer(
            "event_index", torch.where(note, VOCAB.num_events, torch.arange(VOCAB.size)), persistent=False
        )
        self.register_buffer("pitch_index", note_index % NUM_PITCHES, persistent=False)
        self.register_buffer("hand_index", note_index // NUM_PITCHES, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        note_part = self.pitch(self.pitch_index[tokens]) + self.hand(self.hand_index[tokens])
        return self.event(self.event_index[tokens]) + self.is_note[tokens] * note_part


class PianoTransformer(nn.Module):
    """Causal transformer: token ids [batch, time] -> log-probabilities [batch, time, vocabulary]."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        embedding = FactorisedEmbedding if config.embedding == "factorised" else JointEmbedding
        self.token_embedding = embedding(config.d_model)
        self.position_embedding = nn.Embedding(config.context, config.d_model)
        layer = nn.TransformerEncoderLayer(
            config.d_model,
            config.heads,
            config.feedforward,
            config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, VOCAB.size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        length = tokens.shape[1]
        positions = torch.arange(length, device=tokens.device)
        hidden = self.token_embedding(tokens) + self.position_embedding(positions)
        causal = nn.Transformer.generate_square_subsequent_mask(length, device=tokens.device)
        hidden = self.blocks(hidden, mask=causal, is_causal=True)
        return functional.log_softmax(self.head(self.norm(hidden)), dim=-1)

    def parameter_counts(self) -> dict[str, int]:
        """Token-embedding, output-head and total parameters (position embeddings count in the total)."""

        def count(module: nn.Module) -> int:
            return sum(parameter.numel() for parameter in module.parameters())

        return {"embedding": count(self.token_embedding), "head": count(self.head), "total": count(self)}


NextTokenScorer = Callable[[list[int]], torch.Tensor]
"""Token ids of a window -> the log-probabilities [vocabulary] of the token after its last."""


class CachedScorer:
    """`PianoTransformer.forward`'s last position in eval mode (no dropout), computing only the
    tokens the previous window did not have: each layer keeps its keys and values (a KV cache).

    Sampling asks for the next token's distribution after every token it adds. The full forward
    pass computes every position of the window (up to `context`, 256 tokens) again each time,
    which made the piano model most of a composition session's CPU time; with the cache a step
    computes one position. The window grows by a token a step until the context is full, then
    drops its oldest bar (`context_window`), which moves every position: the cache then starts
    again from the new window. The arithmetic is the forward pass's, in another order, so the
    log-probabilities agree with it to float rounding (about 1e-5), not bit for bit.

    The model is small (d_model 128, two layers), so a one-token step costs what torch's calls
    cost, not arithmetic: the step calls the functional operations the modules would call, with
    their weights looked up once, reads token vectors from a table of the whole vocabulary
    embedded once (row for row what the embedding computes), and writes keys and values into
    buffers of the context's length instead of concatenating a longer tensor each step. The
    numbers are the modules' own, so a seed writes the same notes as with the modules' calls.

    The vocabulary table is a snapshot of the token embedding when the scorer is made: a scorer
    made before the weights change (training, `load_state_dict`) scores with the old embedding, so
    make a new one after. Its buffers and table lie on the weights' device in their dtype.
    """

    def __init__(self, model: PianoTransformer) -> None:
        self.model = model
        self._window: list[int] = []
        weights = model.head.weight
        self._device = weights.device
        with torch.no_grad():
            self._tokens = model.token_embedding(torch.arange(VOCAB.size, device=self._device))
        self._positions = model.position_embedding.weight
        self._layers = [_LayerWeights.of(layer) for layer in model.blocks.layers]
        heads, width = model.config.heads, model.config.d_model // model.config.heads
        self._keys, self._values = ([torch.empty(heads, model.config.context, width, device=self._device,
                                                 dtype=weights.dtype) for _ in self._layers] for _ in range(2))
        self._norm = (model.norm.normalized_shape, model.norm.weight, model.norm.bias, model.norm.eps)

    @torch.no_grad()
    def __call__(self, window: list[int]) -> torch.Tensor:
        known = len(self._window)
        if not known or known >= len(window) or window[:known] != self._window:
            known = 0
        hidden = self._tokens[window[known:]] + self._positions[known:len(window)]
        for index, layer in enumerate(self._layers):
            hidden = hidden + self._attend(index, layer, functional.layer_norm(hidden, *layer.norm1), known)
            inner = functional.gelu(functional.linear(functional.layer_norm(hidden, *layer.norm2), *layer.linear1))
            hidden = hidden + functional.linear(inner, *layer.linear2)
        self._window = list(window)
        return functional.log_softmax(functional.linear(functional.layer_norm(hidden[-1], *self._norm),
                                                        self.model.head.weight, self.model.head.bias), dim=-1)

    def _attend(self, index: int, layer: _LayerWeights, normed: torch.Tensor, known: int) -> torch.Tensor:
        """Layer `index`'s causal self-attention for the new positions `normed` [new, d_model], after
        the `known` cached ones, over those and themselves (whose keys and values join the cache)."""
        query, key, value = (part.unflatten(-1, (layer.heads, -1)).transpose(0, 1)
                             for part in functional.linear(normed, *layer.in_proj).chunk(3, dim=-1))
        new = query.shape[1]
        total = known + new
        self._keys[index][:, known:total] = key
        self._values[index][:, known:total] = value
        causal = (torch.ones(new, total, dtype=torch.bool, device=self._device).tril(total - new)
                  if new > 1 else None)  # one new token sees all
        mixed = functional.scaled_dot_product_attention(query, self._keys[index][:, :total],
                                                        self._values[index][:, :total], attn_mask=causal)
        return functional.linear(mixed.transpose(0, 1).flatten(1), *layer.out_proj)


@dataclass(frozen=True)
class _LayerWeights:
    """One encoder layer's weights as the functional calls take them (module attribute lookups,
    repeated every step, cost more than a step's arithmetic)."""

    heads: int
    norm1: tuple
    norm2: tuple
    in_proj: tuple[torch.Tensor, torch.Tensor]
    out_proj: tuple[torch.Tensor, torch.Tensor]
    linear1: tuple[torch.Tensor, torch.Tensor]
    linear2: tuple[torch.Tensor, torch.Tensor]

    @classmethod
    def of(cls, layer: nn.TransformerEncoderLayer) -> _LayerWeights:
        attention = layer.self_attn
        return cls(heads=attention.num_heads,
                   norm1=(layer.norm1.normalized_shape, layer.norm1.weight, layer.norm1.bias, layer.norm1.eps),
                   norm2=(layer.norm2.normalized_shape, layer.norm2.weight, layer.norm2.bias, layer.norm2.eps),
                   in_proj=(attention.in_proj_weight, attention.in_proj_bias),
                   out_proj=(attention.out_proj.weight, attention.out_proj.bias),
                   linear1=(layer.linear1.weight, layer.linear1.bias),
                   linear2=(layer.linear2.weight, layer.linear2.bias))


def full_forward_scorer(model: nn.Module) -> NextTokenScorer:
    """The next token's log-probabilities from a whole forward pass of `model` over the window: any
    module that maps token ids [batch, time] to log-probabilities [batch, time, vocabulary]."""
    return lambda window: model(torch.tensor([window]))[0, -1]


def sequence_loss(model: PianoTransformer, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood (nats per token) of the targets that are not padding."""
    log_probs = model(inputs)
    return functional.nll_loss(log_probs.flatten(0, 1), targets.flatten(), ignore_index=VOCAB.pad)


@torch.no_grad()
def sample_bars(
    model: PianoTransformer,
    tokens: list[int],
    bars: int,
    *,
    temperature: float,
    generator: torch.Generator,
    grammar: NoteGrammar | None = None,
    top_p: float = 1.0,
) -> list[int]:
    """`tokens` (meter, mode, then any prompt bars) extended by exactly `bars` new bars, sampled.

    The prompt's bars stay as they are: a new bar is opened after them. Every step samples only
    tokens the sequence grammar and, if given, the note grammar allow (see `piano.grammar`; without
    one the model writes as it learned to), from the nucleus of probability `top_p`. The grammars
    close a bar within `MAX_TOKENS_PER_BAR` tokens, so the loop ends within
    `bars * MAX_TOKENS_PER_BAR` steps.
    """
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p is a probability mass in (0, 1], not {top_p}.")
    model.eval()
    rules = NoteGrammarState(grammar, VOCAB.value(tokens[0]), prompt_bars=tokens.count(VOCAB.bar), new_bars=bars)
    tokens = [*tokens, VOCAB.bar]
    for token in tokens[PREFIX_LENGTH:]:
        rules.advance(token)
    bar_starts = [index for index, token in enumerate(tokens) if token == VOCAB.bar]
    new_bars = 1
    score = CachedScorer(model) if isinstance(model, PianoTransformer) else full_forward_scorer(model)
    for _ in range(bars * MAX_TOKENS_PER_BAR):
        window = context_window(tokens, bar_starts, model.config.context)
        log_probs = score(window) / temperature
        bias = rules.step_bias()
        if bias is not None:
            log_probs += torch.from_numpy(bias)
        log_probs[~torch.from_numpy(rules.allowed())] = -torch.inf
        token = sample_token(log_probs, top_p, generator)
        if token == VOCAB.bar:
            if new_bars == bars:
                break
            new_bars += 1
            bar_starts.append(len(tokens))
        rules.advance(token)
        tokens.append(token)
    return tokens


def sample_token(log_probs: torch.Tensor, top_p: float, generator: torch.Generator) -> int:
    """A token drawn from `softmax(log_probs)`, restricted to the nucleus: the likeliest tokens whose
    probabilities first reach `top_p` (at least one; 1 keeps every token)."""
    probabilities = log_probs.softmax(-1)
    if top_p < 1.0:
        ordered, order = probabilities.sort(descending=True, stable=True)
        outside = ordered.cumsum(-1) - ordered >= top_p
        probabilities = probabilities.index_fill(0, order[outside], 0.0)
    return int(torch.multinomial(probabilities, 1, generator=generator))


def context_window(tokens: list[int], bar_starts: list[int], context: int) -> list[int]:
    """The meter and mode, then the latest whole bars that fit (or the latest tokens, in a huge bar)."""
    room = context - PREFIX_LENGTH
    fitting = [start for start in bar_starts if len(tokens) - start <= room]
    start = fitting[0] if fitting else max(PREFIX_LENGTH, len(tokens) - room)
    return tokens[:PREFIX_LENGTH] + tokens[start:]


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's and numpy's global generators and return a torch generator for sampling."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    return torch.Generator().manual_seed(seed)
