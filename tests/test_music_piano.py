"""The piano model: tokens, the pitch-hand NMI, both embeddings, training, sampling and the typed tool."""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ontology.music import MAX_EVENT_PITCHES
from tools.base import ToolInputError
from tools.music.checkpoints import CheckpointError, load_checkpoint
from tools.music.piano.data import (
    KeyLabel,
    PianoDataError,
    kern_files,
    load_corpus,
    movement_segments,
    segments_from_parts,
    split_by_movement,
)
from tools.music.piano.model import (
    CHECKPOINT_KIND,
    CPU_CHECKPOINT,
    DEFAULT_CHECKPOINT,
    CachedScorer,
    ModelConfig,
    PianoTransformer,
    context_window,
    full_forward_scorer,
    sample_bars,
)
from tools.music.piano.notation import HAND_NOTES, legato, piano_piece, playable, segment_to_bars
from tools.music.piano.tokens import (
    MAX_TOKENS_PER_BAR,
    NUM_PITCHES,
    TICKS_PER_QUARTER,
    VOCAB,
    Hand,
    Note,
    Segment,
    SequenceGrammar,
    decode_tokens,
    encode_segment,
    pitch_hand_nmi,
)
from tools.music.piano.tool import PianoGenerationRequest, PianoGenerationTool, parse_key, read_prompt
from tools.music.piano.train import TokenWindows, TrainingConfig, compare_embeddings, evaluate, main, train_variant
from tools.music.render import write_notation
from tools.music.scoreio import spelled_pitch, write_score
from tools.settings import Settings

torch.set_num_threads(1)
BEETHOVEN = Settings.from_env().beethoven_dir
needs_beethoven = pytest.mark.skipif(
    not BEETHOVEN.is_dir(), reason=f"the Beethoven sonatas are not at {BEETHOVEN} (set GO_BEETHOVEN_DIR)"
)
TINY = ModelConfig(embedding="factorised", d_model=32, layers=1, heads=2, feedforward=64, context=64, dropout=0.0)


def hand_made_score():
    """Two bars of 3/4 in G major: right-hand melody with a chord, left-hand bass."""
    import music21

    def part(bars: list[list[tuple[list[str], float]]]):
        made = music21.stream.Part()
        for number, bar in enumerate(bars, start=1):
            measure = music21.stream.Measure(number=number)
            if number == 1:
                measure.append([music21.key.Key("G"), music21.meter.TimeSignature("3/4")])
            for pitches, length in bar:
                sound = music21.note.Rest() if not pitches else music21.chord.Chord(pitches)
                if len(pitches) == 1:
                    sound = music21.note.Note(pitches[0])
                sound.quarterLength = length
                measure.append(sound)
            made.append(measure)
        return made

    score = music21.stream.Score()
    score.insert(0, part([[(["G4"], 1), (["B4", "D5"], 1), (["A4"], 0.5), (["C5"], 0.5)], [(["G4"], 2), ([], 1)]]))
    score.insert(0, part([[(["G2"], 3)], [(["D3"], 1), (["G2"], 2)]]))
    return score


def test_a_hand_made_score_round_trips_through_the_tokens() -> None:
    score = hand_made_score()
    parts = [(score.parts[0], Hand.RIGHT), (score.parts[1], Hand.LEFT)]
    (segment,) = segments_from_parts(parts, name="hand-made", keys=[(0.0, KeyLabel(1, 7, "major"))])
    assert (segment.meter, segment.mode, segment.shift) == ("3/4", "major", 5)  # G major moves up to C major
    assert segment.bars[0] == [
        Note(0, Hand.RIGHT, 72, 12),
        Note(0, Hand.LEFT, 48, 36),
        Note(12, Hand.RIGHT, 76, 12),
        Note(12, Hand.RIGHT, 79, 12),
        Note(24, Hand.RIGHT, 74, 6),
        Note(30, Hand.RIGHT, 77, 6),
    ]
    assert segment.bars[1] == [Note(0, Hand.RIGHT, 72, 24), Note(0, Hand.LEFT, 55, 12), Note(12, Hand.LEFT, 48, 24)]
    tokens = encode_segment(segment)
    assert tokens[:3] == [VOCAB.meter("3/4"), VOCAB.mode("major"), VOCAB.bar]
    assert decode_tokens(tokens).bars == segment.bars
    grammar = SequenceGrammar("3/4")
    for token in tokens[2:]:
        grammar.advance(token)


def test_the_grammar_refuses_tokens_out_of_place() -> None:
    grammar = SequenceGrammar("2/4")
    with pytest.raises(ValueError):
        grammar.advance(VOCAB.position(0))  # a bar must open first
    grammar.advance(VOCAB.bar)
    assert not grammar.allowed()[VOCAB.position(24)]  # 2/4 has 24 ticks: positions 0..23
    grammar.advance(VOCAB.position(6))
    grammar.advance(VOCAB.note(60, Hand.LEFT))
    grammar.advance(VOCAB.duration(6))
    allowed = grammar.allowed()
    assert not allowed[VOCAB.position(6)] and allowed[VOCAB.position(7)]
    assert not allowed[VOCAB.note(60, Hand.LEFT)] and not allowed[VOCAB.note(72, Hand.RIGHT)]
    assert allowed[VOCAB.note(61, Hand.LEFT)] and allowed[VOCAB.bar]


@pytest.mark.parametrize(
    ("pitches", "hands", "expected"),
    [
        ([60, 60, 62, 62], [0, 1, 0, 1], 0.0),  # the hand says nothing about the pitch
        ([72, 72, 48, 48], [0, 0, 1, 1], 1.0),  # the hand decides the pitch and back
    ],
)
def test_pitch_hand_nmi_on_hand_made_cases(pitches: list[int], hands: list[int], expected: float) -> None:
    assert pitch_hand_nmi(pitches, hands) == pytest.approx(expected, abs=1e-9)


def test_pitch_hand_nmi_is_between_for_overlapping_hands() -> None:
    value = pitch_hand_nmi([72, 72, 60, 60, 48, 48], [0, 0, 0, 1, 1, 1])
    assert 0.1 < value < 0.9
    with pytest.raises(ValueError):
        pitch_hand_nmi([], [])


def test_embedding_parameter_counts_of_both_variants() -> None:
    d = 16
    joint = PianoTransformer(ModelConfig(embedding="joint", d_model=d, layers=1, heads=2, feedforward=32))
    factorised = PianoTransformer(ModelConfig(embedding="factorised", d_model=d, layers=1, heads=2, feedforward=32))
    assert joint.parameter_counts()["embedding"] == VOCAB.size * d
    assert factorised.parameter_counts()["embedding"] == (VOCAB.num_events + 1 + NUM_PITCHES + len(Hand)) * d
    assert VOCAB.size == VOCAB.num_events + len(Hand) * NUM_PITCHES
    assert joint.parameter_counts()["head"] == factorised.parameter_counts()["head"] == (d + 1) * VOCAB.size
    difference = joint.parameter_counts()["total"] - factorised.parameter_counts()["total"]
    assert difference == joint.parameter_counts()["embedding"] - factorised.parameter_counts()["embedding"]


@pytest.mark.parametrize("embedding", ["joint", "factorised"])
def test_both_variants_start_with_input_vectors_of_the_same_scale(embedding: str) -> None:
    torch.manual_seed(0)
    model = PianoTransformer(ModelConfig(embedding=embedding, d_model=256, layers=1, heads=2, feedforward=32))
    vectors = model.token_embedding(torch.arange(VOCAB.size)).detach()
    assert float(vectors[VOCAB.num_events :].var()) == pytest.approx(1.0, abs=0.1)  # notes
    assert float(vectors[: VOCAB.num_events].var()) == pytest.approx(1.0, abs=0.1)  # other events


@pytest.mark.parametrize("embedding", ["joint", "factorised"])
def test_both_variants_give_a_distribution_over_the_same_vocabulary(embedding: str) -> None:
    model = PianoTransformer(ModelConfig(embedding=embedding, d_model=16, layers=1, heads=2, feedforward=32)).eval()
    log_probs = model(torch.randint(0, VOCAB.size, (2, 7)))
    assert log_probs.shape == (2, 7, VOCAB.size)
    assert torch.allclose(log_probs.logsumexp(-1), torch.zeros(2, 7), atol=1e-5)


def synthetic_segments(movements: int = 6) -> list[Segment]:
    """Rising right-hand quarter notes over a left-hand bass, one segment per 'movement'."""
    segments = []
    for index in range(movements):
        bars = [
            [Note(12 * beat, Hand.RIGHT, 60 + (bar * 4 + beat + index) % 12, 12) for beat in range(4)]
            + [Note(0, Hand.LEFT, 36 + index % 5, 48)]
            for bar in range(12)
        ]
        segments.append(Segment("4/4", "major", [sorted(bar) for bar in bars], movement=f"m{index}"))
    return segments


def test_a_tiny_training_run_learns_and_compares_both_variants() -> None:
    config = TrainingConfig(steps=60, batch_size=8, learning_rate=1e-2, warmup_steps=5, validation_fraction=0.2)
    model, metrics = compare_embeddings(synthetic_segments(), TINY, config)
    assert model.config.embedding == "factorised"
    assert metrics["validation_movements"] and metrics["train_movements"] == 5
    for name in ("joint", "factorised"):
        assert metrics[name]["validation_nll_all"] < 0.5 * math.log(VOCAB.size)  # far better than uniform
    assert metrics["factorised"]["parameters_embedding"] < metrics["joint"]["parameters_embedding"]
    assert 0 < metrics["embedding_parameter_reduction"] < 1



def test_scoring_the_held_out_movements_keeps_the_best_weights(caplog: pytest.LogCaptureFixture) -> None:
    """A learning rate that diverges late: the kept weights are the best scored step's, not the last's."""
    segments = synthetic_segments()
    config = TrainingConfig(steps=40, batch_size=8, learning_rate=0.3, warmup_steps=30, validation_fraction=0.2,
                            eval_every=10)
    train_segments, held_out = split_by_movement(segments, config.validation_fraction, config.seed)
    validation = TokenWindows(held_out, TINY.context).evaluation_batches(16)
    with caplog.at_level(logging.INFO, logger="tools.music.piano.train"):
        model, metrics = train_variant(TINY, TokenWindows(train_segments, TINY.context), validation, config)
    scores = {int(record.args[1]): record.args[2] for record in caplog.records if "held-out" in record.msg}
    assert sorted(scores) == [10, 20, 30, 40] and min(scores, key=scores.__getitem__) < 40  # not the last
    assert metrics["kept_step"] == min(scores, key=scores.__getitem__)
    assert metrics["validation_nll_all"] == pytest.approx(min(scores.values()))
    assert evaluate(model, validation)["validation_nll_all"] == pytest.approx(min(scores.values()))

class NoteLover(nn.Module):
    """A 'model' that never wants to end a bar: sampling must still stop, with whole bars."""

    config = ModelConfig(embedding="joint", context=64)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        log_probs = torch.full((*tokens.shape, VOCAB.size), -50.0)
        log_probs[..., VOCAB.num_events :] = 0.0
        log_probs[..., VOCAB.duration(1)] = 0.0
        return log_probs


@pytest.mark.parametrize("model", [NoteLover(), PianoTransformer(TINY)])
def test_sampling_always_ends_with_the_requested_number_of_valid_bars(model: nn.Module) -> None:
    start = [VOCAB.meter("3/8"), VOCAB.mode("minor")]
    tokens = sample_bars(model, start, 3, temperature=2.0, generator=torch.Generator().manual_seed(0))
    segment = decode_tokens(tokens)
    assert len(segment.bars) == 3
    assert all(0 <= note.position < 18 for note in segment.notes())
    assert len(tokens) <= 2 + 3 * MAX_TOKENS_PER_BAR


def test_sampling_computes_each_position_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sampler's KV cache (`CachedScorer`): each step computes the one new position, not the
    whole window again, which made the piano model most of a composition session's CPU time."""
    model = PianoTransformer(dataclasses.replace(TINY, context=256)).eval()
    computed: list[int] = []
    attend = CachedScorer._attend

    def counting(self: CachedScorer, index: int, layer, normed: torch.Tensor, known: int) -> torch.Tensor:  # noqa: ANN001
        computed.extend([normed.shape[0]] if index == 0 else [])
        return attend(self, index, layer, normed, known)

    monkeypatch.setattr(CachedScorer, "_attend", counting)
    tokens = sample_bars(model, [VOCAB.meter("3/8"), VOCAB.mode("minor")], 3, temperature=1.0,
                         generator=torch.Generator().manual_seed(0))
    assert sum(computed) == len(tokens)  # the first window (meter, mode, bar), then one position a token


def test_a_cached_step_records_no_gradient_and_follows_the_weights_dtype() -> None:
    """Review of session 29: a step outside `torch.no_grad` built an autograd graph over the
    weights every token, and the key/value buffers were float32 whatever the weights were."""
    model = PianoTransformer(TINY).eval().to(torch.float64)
    window = [VOCAB.meter("3/8"), VOCAB.mode("minor"), VOCAB.meter("3/8")]
    scores = CachedScorer(model)(window)
    assert not scores.requires_grad and scores.dtype == torch.float64
    with torch.no_grad():
        assert torch.allclose(scores, full_forward_scorer(model)(window))


def test_a_cached_step_calls_no_module() -> None:
    """A one-token step of the small model costs torch's call overhead, not arithmetic, so the
    scorer calls the functional operations with weights it looked up once: no module's forward
    runs after the scorer embedded the vocabulary (every step called the layers' modules before)."""
    model = PianoTransformer(TINY).eval()
    scorer = CachedScorer(model)
    calls: list[str] = []
    hook = nn.modules.module.register_module_forward_hook(
        lambda module, _inputs, _output: calls.append(type(module).__name__))
    try:
        window = [VOCAB.meter("4/4"), VOCAB.mode("major"), VOCAB.bar]
        for token in (VOCAB.position(0), VOCAB.duration(4)):
            scorer(window)
            window.append(token)
    finally:
        hook.remove()
    assert calls == []


def test_the_cached_scorer_agrees_with_the_whole_forward_pass(tool: PianoGenerationTool) -> None:
    """As the window grows (by one token or several) and as it drops its oldest bar (the cache
    starts again), the cached log-probabilities are the forward pass's to float rounding."""
    model = tool.model
    notes = torch.randint(VOCAB.num_events, VOCAB.size, (300,), generator=torch.Generator().manual_seed(0))
    tokens = [VOCAB.meter("4/4"), VOCAB.mode("major"), *notes.tolist()]
    bar_starts = list(range(2, len(tokens), 40))
    cached, whole = CachedScorer(model), full_forward_scorer(model)
    with torch.inference_mode():
        for end in [*range(3, 20), *range(20, len(tokens) + 1, 9)]:
            window = context_window(tokens[:end], [start for start in bar_starts if start < end],
                                    model.config.context)
            torch.testing.assert_close(cached(window), whole(window), atol=1e-4, rtol=0)


@needs_beethoven
def test_a_real_movement_is_tokenised_with_its_hands_key_and_meter() -> None:
    (segment,) = movement_segments(BEETHOVEN / "sonata14-1.krn")  # the "Moonlight" Adagio, C-sharp minor
    assert (segment.meter, segment.mode, segment.shift, len(segment.bars)) == ("2/2", "minor", -4, 69)
    right = [note.pitch for note in segment.notes() if note.hand == Hand.RIGHT]
    left = [note.pitch for note in segment.notes() if note.hand == Hand.LEFT]
    assert right and left and np.mean(right) > np.mean(left) + 12


@needs_beethoven
def test_the_corpus_is_cached_after_the_first_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "sonatas"
    data.mkdir()
    for name in ("sonata14-2.krn", "sonata21-2.krn"):
        (data / name).symlink_to(BEETHOVEN / name)
    first = load_corpus(data, tmp_path / "cache")
    assert {segment.movement for segment in first} == {"sonata14-2", "sonata21-2"}
    monkeypatch.setattr("tools.music.piano.data.movement_segments", lambda path: pytest.fail("parsed again"))
    assert load_corpus(data, tmp_path / "cache") == first


def test_a_missing_or_empty_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PianoDataError, match="does not exist.*GO_BEETHOVEN_DIR"):
        load_corpus(tmp_path / "nowhere")
    with pytest.raises(PianoDataError, match="no .krn files"):
        kern_files(tmp_path)
    assert main(["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.pt")]) == 2
    assert not (tmp_path / "x.pt").exists()


@pytest.mark.parametrize("arguments", [["--d-model", "100"], ["--layers", "0"], ["--eval-every", "-1"],
                                       ["--dropout", "1"], ["--device", "nonsense"]])
def test_training_arguments_that_cannot_work_are_refused_before_parsing(tmp_path: Path, arguments: list[str],
                                                                         capsys: pytest.CaptureFixture) -> None:
    assert main([*arguments, "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.pt")]) == 2
    assert "--" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()


def test_a_hand_never_strikes_more_notes_than_it_has_fingers() -> None:
    # twelve right-hand notes on one onset (the most the model writes): C-E-G spread over four octaves
    cluster = [Note(0, Hand.RIGHT, pitch, 48) for pitch in (36, 40, 43, 48, 52, 55, 60, 64, 67, 72, 76, 79)]
    melody = [Note(0, Hand.LEFT, 38, 24), Note(0, Hand.LEFT, 41, 24), Note(0, Hand.LEFT, 45, 48)]
    right, left = segment_to_bars(Segment(meter="4/4", mode="major", bars=[sorted(cluster + melody)]), shift=0)
    (chord,) = right[0].voices[0]
    assert HAND_NOTES <= MAX_EVENT_PITCHES and len(chord.pitches) == HAND_NOTES
    assert (chord.pitches[0], chord.pitches[-1]) == (36, 79)  # bass and melody stay
    assert {pitch % 12 for pitch in chord.pitches} == {0, 4, 7}  # octave doublings go first
    assert [[e.pitches for e in voice] for voice in left[0].voices] == [[[38, 41, 45]]]  # struck together: a chord
    assert playable(melody) == melody


def written_rests(musicxml: Path) -> list[list[list[float]]]:
    """The rests' lengths in quarters in a written score, by part, then by measure and voice."""
    import music21

    score = music21.converter.parse(musicxml)
    return [[[float(rest.quarterLength) for rest in voice.getElementsByClass(music21.note.Rest)]
             for measure in part.getElementsByClass(music21.stream.Measure) for voice in (measure.voices or [measure])]
            for part in score.parts]


def test_notes_struck_together_engrave_as_one_voice_without_stray_rests(tmp_path: Path) -> None:
    """Session 28's free piano 2, bar 1: the left hand's F2 quarters, the third struck with an F3
    eighth, engraved as two voices, the second an eighth between rests (bars 1, 9 and 13). Notes
    struck together are one chord; only a note held while the hand strikes again takes a voice."""
    quarter = TICKS_PER_QUARTER
    left = [Note(0, Hand.LEFT, 41, quarter), Note(quarter, Hand.LEFT, 41, quarter),
            Note(2 * quarter, Hand.LEFT, 41, quarter), Note(2 * quarter, Hand.LEFT, 53, quarter // 2)]
    right = [Note(0, Hand.RIGHT, 77, 2 * quarter), Note(0, Hand.RIGHT, 72, quarter),  # F5 held over C5 and D5
             Note(quarter, Hand.RIGHT, 74, quarter), Note(2 * quarter, Hand.RIGHT, 76, 2 * quarter)]
    piece = piano_piece(Segment(meter="4/4", mode="major", bars=[sorted(left + right)]), 0, "F major", "bar 1", 90)
    rests = written_rests(write_notation(piece, tmp_path).musicxml)
    assert rests[1] == [[1.0]]  # one voice: F2, F2, F2+F3 as one chord, and the last beat's rest
    assert [[e.pitches for e in voice] for voice in piece.parts[1].bars[0].voices] == [[[41], [41], [41, 53], []]]
    assert len(rests[0]) == 2  # the held F5 truly overlaps: a voice of its own


def test_a_far_shorter_note_struck_together_keeps_its_own_length() -> None:
    """Review of session 29: a sixteenth E4 struck under a whole C5 became a whole note, which the
    MIDI, the listening features and the next section's prompt read, not just the engraving. Only
    a note at least half as long as the longest joins its chord."""
    quarter = TICKS_PER_QUARTER
    right = [Note(0, Hand.RIGHT, 72, 4 * quarter), Note(0, Hand.RIGHT, 64, quarter // 4),
             Note(0, Hand.RIGHT, 67, 2 * quarter)]
    (bar,), _ = segment_to_bars(Segment(meter="4/4", mode="major", bars=[sorted(right)]), shift=0)
    lengths = sorted((pitch, event.duration) for voice in bar.voices for event in voice for pitch in event.pitches)
    assert lengths == [(64, 0.25), (67, 4.0), (72, 4.0)]  # G4 (a half) joins the whole C5; E4 stays a sixteenth


def test_a_single_line_whose_notes_overlap_engraves_as_one_voice(tmp_path: Path) -> None:
    """Session 29's embedded free piano, bars 9 and 11: the right hand's line G4-C5-Eb4-G4 a beat
    apart, G4 and C5 sampled as halves, engraved as a second voice of C5 between rests; and G4 held
    three beats while Eb4 and G4 again are struck. A line's note sounding into only its next ends
    there; a key struck again ends its note."""
    quarter = TICKS_PER_QUARTER
    bar_11 = [Note(0, Hand.RIGHT, 67, 2 * quarter), Note(quarter, Hand.RIGHT, 72, 2 * quarter),
              Note(2 * quarter, Hand.RIGHT, 63, quarter), Note(3 * quarter, Hand.RIGHT, 67, quarter)]
    bar_9 = [Note(0, Hand.RIGHT, 67, 3 * quarter), Note(quarter, Hand.RIGHT, 63, 2 * quarter),
             Note(2 * quarter, Hand.RIGHT, 67, 2 * quarter)]
    held = [Note(0, Hand.LEFT, 48, 2 * quarter), Note(0, Hand.LEFT, 55, quarter),  # C3 held under G3-A3: two voices
            Note(quarter, Hand.LEFT, 57, quarter)]
    piece = piano_piece(Segment(meter="4/4", mode="minor", bars=[sorted(bar_11 + held), sorted(bar_9)]), 0,
                        "C minor", "bars 9 and 11", 80)
    right = [[[(e.pitches, e.duration) for e in voice] for voice in bar.voices] for bar in piece.parts[0].bars]
    assert right == [[[([67], 1.0), ([72], 1.0), ([63], 1.0), ([67], 1.0)]],
                     [[([67], 1.0), ([63], 1.0), ([67], 2.0)]]]
    assert written_rests(write_notation(piece, tmp_path).musicxml)[0] == [[], []]
    assert len(piece.parts[1].bars[0].voices) == 2


def test_a_bass_held_under_a_higher_note_keeps_its_length() -> None:
    """Review of session 30: the legato cut shortened a bass C2 held two beats under G3 on beat 2
    to a quarter, in the MIDI as well as the score. A hold below the line is a second voice; the
    left hand's falling line (G3 sounding into E3) is still cut, as the right hand's rising one."""
    quarter = TICKS_PER_QUARTER
    held = [Note(0, Hand.LEFT, 36, 2 * quarter), Note(quarter, Hand.LEFT, 55, quarter),
            Note(2 * quarter, Hand.LEFT, 52, 2 * quarter), Note(3 * quarter, Hand.LEFT, 48, quarter)]
    assert [note.duration for note in legato(held, 4 * quarter)] == [2 * quarter, quarter, quarter, quarter]
    wide = [Note(0, Hand.RIGHT, 60, 2 * quarter), Note(quarter, Hand.RIGHT, 76, quarter)]  # C4 under E5
    assert [note.duration for note in legato(wide, 4 * quarter)] == [2 * quarter, quarter]


@pytest.fixture(scope="module")
def tool() -> PianoGenerationTool:
    if not DEFAULT_CHECKPOINT.is_file():
        pytest.fail(f"The shipped checkpoint {DEFAULT_CHECKPOINT} is missing; run python -m tools.music.piano.train")
    return PianoGenerationTool()


def test_the_setting_chooses_the_piano_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The tools write with the larger model trained on a GPU (docs/benchmarks.md, session 50), which by the
    figures stored when each was trained fits the same held-out movements better than the smaller CPU-trained
    one; `GO_PIANO_CHECKPOINT` picks another checkpoint, and a path with no checkpoint is an error that names it."""
    assert (PianoGenerationTool().model.config.d_model, PianoGenerationTool().model.config.layers) == (192, 3)
    monkeypatch.setenv("GO_PIANO_CHECKPOINT", str(CPU_CHECKPOINT))
    chosen = PianoGenerationTool()
    assert (chosen.model.config.d_model, chosen.model.config.layers) == (128, 2)
    assert PianoGenerationTool(settings=Settings(piano_checkpoint=DEFAULT_CHECKPOINT)).checkpoint == DEFAULT_CHECKPOINT
    assert PianoGenerationTool(DEFAULT_CHECKPOINT).checkpoint == DEFAULT_CHECKPOINT
    written = chosen({"out_dir": str(tmp_path), "bars": 2, "key": "G major", "meter": "3/4", "seed": 1})
    assert written.generated_bars == 2
    stored = {path: load_checkpoint(path, kind=CHECKPOINT_KIND)["metrics"] for path in (DEFAULT_CHECKPOINT,
                                                                                         CPU_CHECKPOINT)}
    assert stored[CPU_CHECKPOINT]["validation_movements"] == stored[DEFAULT_CHECKPOINT]["validation_movements"]
    nll = {path: metrics["factorised"]["validation_nll_all"] for path, metrics in stored.items()}
    assert nll[DEFAULT_CHECKPOINT] < nll[CPU_CHECKPOINT] - 0.2
    monkeypatch.setenv("GO_PIANO_CHECKPOINT", str(tmp_path / "missing.pt"))
    with pytest.raises(CheckpointError, match="missing.pt"):
        _ = PianoGenerationTool().model


def test_the_tool_writes_a_two_staff_score_in_the_requested_key_and_meter(tool, tmp_path: Path) -> None:
    import music21

    result = tool({"out_dir": str(tmp_path), "bars": 4, "key": "D minor", "meter": "3/4", "seed": 3, "tempo_bpm": 90})
    assert (result.generated_bars, result.total_bars, result.key, result.meter) == (4, 4, "D minor", "3/4")
    written = music21.converter.parse(result.files.musicxml)
    right, left = written.parts
    assert [part.partName for part in written.parts] == ["Piano (right hand)", "Piano (left hand)"]
    assert [len(part.getElementsByClass(music21.stream.Measure)) for part in (right, left)] == [4, 4]
    assert isinstance(right.recurse().getElementsByClass(music21.clef.Clef).first(), music21.clef.TrebleClef)
    assert isinstance(left.recurse().getElementsByClass(music21.clef.Clef).first(), music21.clef.BassClef)
    assert right.recurse().getElementsByClass(music21.key.KeySignature).first().sharps == -1
    assert right.recurse().getElementsByClass(music21.meter.TimeSignature).first().ratioString == "3/4"
    for measure in right.getElementsByClass(music21.stream.Measure):
        assert measure.duration.quarterLength == pytest.approx(3.0)
    assert len(right.recurse().notes) and len(left.recurse().notes)
    onsets = [element for element in right.recurse().notes if element.tie is None or element.tie.type == "start"]
    assert sum(len(element.pitches) for element in onsets) == result.notes_right_hand  # music21 ties split lengths
    midi = music21.converter.parse(result.files.midi)
    assert len(midi.recurse().notes) and 0 < midi.highestTime <= 12.0 + 1e-6
    assert {mark.number for mark in midi.recurse().getElementsByClass(music21.tempo.MetronomeMark)} == {90}
    again = tool({"out_dir": str(tmp_path / "again"), "bars": 4, "key": "D minor", "meter": "3/4", "seed": 3,
                  "tempo_bpm": 90})
    assert again.summary == result.summary


def test_the_tool_samples_on_its_threads_and_restores_torchs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A second torch thread made the sampler's tiny steps wait on each other (5-16 times the CPU
    seconds on a loaded 2-core machine): the tool samples on its own count and restores the process's."""
    import tools.music.piano.tool as piano_tool

    seen: list[int] = []
    sample = piano_tool.sample_bars
    monkeypatch.setattr(piano_tool, "sample_bars",
                        lambda *a, **k: seen.append(torch.get_num_threads()) or sample(*a, **k))
    torch.set_num_threads(2)
    try:
        PianoGenerationTool(threads=1)({"out_dir": str(tmp_path), "bars": 1, "seed": 1})
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    with pytest.raises(ValueError, match="GO_MUSIC_THREADS"):
        PianoGenerationTool(threads=0)({"out_dir": str(tmp_path), "bars": 1, "seed": 1})
    assert torch.get_num_threads() == 1


def test_the_tool_continues_a_prompt_and_keeps_its_bars(tool, tmp_path: Path) -> None:
    import music21

    prompt = write_score(hand_made_score(), tmp_path, "prompt").musicxml
    result = tool({"out_dir": str(tmp_path), "bars": 2, "prompt": str(prompt), "stem": "more", "seed": 1})
    assert (result.prompt_bars, result.generated_bars, result.key, result.meter) == (2, 2, "G major", "3/4")
    written = music21.converter.parse(result.files.musicxml)
    first_bar = written.parts[0].getElementsByClass(music21.stream.Measure).first()
    assert [p.nameWithOctave for n in first_bar.notes for p in n.pitches] == ["G4", "B4", "D5", "A4", "C5"]
    assert len(written.parts[1].getElementsByClass(music21.stream.Measure)) == 4


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"bars": 10_000}, "bars"),
        ({"bars": 0}, "bars"),
        ({"key": "H major"}, "Unknown key"),
        ({"key": "purple"}, "Unknown key"),
        ({"key": "D# major"}, "enharmonic"),
        ({"meter": "5/4"}, "unsupported meter"),
        ({"meter": "banana"}, "unsupported meter"),
        ({"temperature": 0}, "temperature"),
        ({"prompt": "/nonexistent/prompt.mid"}, "No score file"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(tool, tmp_path: Path, request_fields: dict, message: str) -> None:
    with pytest.raises(ToolInputError, match=message):
        tool({"out_dir": str(tmp_path), **request_fields})


def test_an_unreadable_prompt_or_a_meter_clash_is_refused(tool, tmp_path: Path) -> None:
    garbage = tmp_path / "broken.mid"
    garbage.write_bytes(b"this is not a MIDI file at all")
    with pytest.raises(ToolInputError, match="broken.mid"):
        tool({"out_dir": str(tmp_path), "prompt": str(garbage)})
    prompt = write_score(hand_made_score(), tmp_path, "prompt").musicxml
    with pytest.raises(ToolInputError, match="3/4"):
        tool({"out_dir": str(tmp_path), "prompt": str(prompt), "meter": "2/4"})


@pytest.mark.parametrize(
    ("text", "tonic", "mode"),
    [
        ("D minor", "D", "minor"),
        ("E-flat major", "E-", "major"),
        ("E- major", "E-", "major"),
        ("f# min", "F#", "minor"),
        ("Bb", "B-", "major"),
        ("C sharp minor", "C#", "minor"),
    ],
)
def test_keys_are_read_in_the_usual_spellings(text: str, tonic: str, mode: str) -> None:
    key = parse_key(text)
    assert (key.tonic.name, key.mode) == (tonic, mode)


@pytest.mark.parametrize(
    ("midi", "key", "name"),
    [
        (63, "F major", "E-4"),
        (68, "E major", "G#4"),
        (61, "D minor", "C#4"),
        (66, "B-flat major", "G-4"),
        (71, "E-flat minor", "C-5"),
    ],
)
def test_pitches_are_spelled_in_the_key(midi: int, key: str, name: str) -> None:
    assert spelled_pitch(midi, parse_key(key)).nameWithOctave == name


@pytest.mark.parametrize("kind", ["BAR", "POS"])
def test_decode_tokens_rejects_a_bar_or_onset_between_a_note_and_its_duration(kind):
    tokens = [VOCAB.meter("4/4"), VOCAB.mode("major"), VOCAB.bar, VOCAB.position(0), VOCAB.note(60, Hand.RIGHT)]
    interruption = VOCAB.bar if kind == "BAR" else VOCAB.position(12)
    with pytest.raises(ValueError, match="out of place"):
        decode_tokens([*tokens, interruption, VOCAB.duration(12)])
    assert decode_tokens([*tokens, VOCAB.duration(12)]).bars == [[Note(0, Hand.RIGHT, 60, 12)]]


def test_read_prompt_without_a_prompt_file_says_what_to_set(tmp_path):
    with pytest.raises(ToolInputError, match="No prompt file"):
        read_prompt(PianoGenerationRequest(out_dir=tmp_path))
