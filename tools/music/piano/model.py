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
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "piano_factorised.pt"
"""The shipped model, written by `python -m tools.music.piano.train`."""
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
    for _ in range(bars * MAX_TOKENS_PER_BAR):
        window = context_window(tokens, bar_starts, model.config.context)
        log_probs = model(torch.tensor([window]))[0, -1] / temperature
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
