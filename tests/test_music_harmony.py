"""Melody harmonisation: chord labels, grids, curricula, metrics, a training smoke test, the tool."""

from __future__ import annotations

import math
from pathlib import Path

import music21
import numpy as np
import pytest
import torch

from tools.base import ToolInputError
from tools.music.checkpoints import save_checkpoint
from tools.music.harmony.chords import (
    NO_CHORD,
    VOCABULARY_SIZE,
    chord_pitch_classes,
    chord_symbols,
    label_pitch_classes,
    symbol_to_index,
    transpose_chord,
)
from tools.music.harmony.curricula import (
    bisection_depths,
    ff_visible_fraction,
    visible_count,
    visible_slots,
)
from tools.music.harmony.data import (
    BAR_FEATURE,
    REST_FEATURE,
    MelodyNote,
    Piece,
    beat_grid_of,
    encode_window,
    extract_melody,
    piece_from_score,
    tile_windows,
)
from tools.music.harmony.evaluate import evaluate_rows
from tools.music.harmony.metrics import (
    average,
    chord_accuracy,
    chord_coverage,
    chord_histogram_entropy,
    chord_tonal_distance,
    chord_tone_ratio,
    harmonic_rhythm,
    harmonisation_metrics,
    melody_chord_tonal_distance,
    pitch_class_agreement,
    pitch_consistency,
    tonal_centroid,
)
from tools.music.harmony.model import (
    CHECKPOINT_KIND,
    MASK_TOKEN,
    HarmonyConfig,
    HarmonyTransformer,
    load_harmoniser,
    make_batch,
)
from tools.music.harmony.tool import EmptyMelodyError, HarmoniseTool, MelodyTooLongError
from tools.music.harmony.train import TrainingPlan, masked_loss, train_model, training_windows
from tools.music.harmony.unmasking import STRATEGIES, harmonise_pieces, harmonise_windows
from tools.music.scoreio import ScoreInputError

torch.set_num_threads(1)
C, G, A_MIN = symbol_to_index("C:maj"), symbol_to_index("G:maj"), symbol_to_index("A:min")
TINY = HarmonyConfig(d_model=32, layers=1, heads=2, feedforward=64, dropout=0.0, max_positions=24)


def _label(*pitch_classes: int, bass: int | None = None) -> str:
    return chord_symbols()[label_pitch_classes(dict.fromkeys(pitch_classes, 1.0), bass)]


# --- chords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pitch_classes", "bass", "symbol"),
    [
        ((0, 4, 7), None, "C:maj"),
        ((9, 0, 4), 9, "A:min"),
        ((11, 2, 5), 11, "B:dim"),
        ((0, 4, 8), 0, "C:aug"),
        ((7, 11, 2, 5), 7, "G:dom7"),
        ((2, 5, 9, 0), 2, "D:min7"),
        ((0, 4, 7, 11), 0, "C:maj7"),
        ((11, 2, 5, 9), 11, "B:hdim7"),
        ((11, 2, 5, 8), 11, "B:dim7"),
        ((6, 9, 1), 6, "F#:min"),
    ],
)
def test_known_chords_are_labelled(pitch_classes, bass, symbol):
    assert _label(*pitch_classes, bass=bass) == symbol


def test_labelling_ignores_a_passing_note_and_silence():
    passing = {0: 1.0, 4: 1.0, 7: 1.0, 2: 0.25}  # an eighth-note D in one voice over C major
    assert chord_symbols()[label_pitch_classes(passing, 0)] == "C:maj"
    assert label_pitch_classes({}) == NO_CHORD


def test_vocabulary_symbols_and_transposition():
    assert len(chord_symbols()) == VOCABULARY_SIZE == 109
    assert chord_pitch_classes(C) == {0, 4, 7} and chord_pitch_classes(NO_CHORD) == frozenset()
    assert transpose_chord(C, 7) == G and transpose_chord(G, -7) == C and transpose_chord(NO_CHORD, 3) == NO_CHORD
    with pytest.raises(KeyError):
        symbol_to_index("H:maj")


# --- data grids ---------------------------------------------------------------------------------


def _hand_made_score() -> music21.stream.Score:
    """A C major melody: pickup G4 | C5 D5 E5 C5 | G4 (half) rest C5 | C5 (whole), plus a bass line."""
    melody = music21.stream.Part()
    bass = music21.stream.Part()
    bars = [
        [("G4", 1)],
        [("C5", 1), ("D5", 1), ("E5", 1), ("C5", 1)],
        [("G4", 2), (None, 1), ("C5", 1)],
        [("C5", 4)],
    ]
    for number, bar in enumerate(bars):
        measure = music21.stream.Measure(number=number)
        low = music21.stream.Measure(number=number)
        if number == 0:
            measure.insert(0, music21.meter.TimeSignature("4/4"))
        for pitch, length in bar:
            measure.append(
                music21.note.Rest(quarterLength=length)
                if pitch is None
                else music21.note.Note(pitch, quarterLength=length)
            )
            low.append(music21.note.Note("C3" if pitch != "G4" else "G2", quarterLength=length))
        melody.append(measure)
        bass.append(low)
    return music21.stream.Score([melody, bass])


def test_piece_grid_shapes_and_bar_tokens():
    score = _hand_made_score()
    piece = piece_from_score(score, "hand", melody_stream=score.parts[0])
    assert piece.key == "C major" and piece.transposition == 0
    assert piece.n_beats == 13 and piece.bar_starts == [0, 1, 5, 9]
    assert piece.slot_quarters == list(range(14))  # in 4/4 a beat is still a quarter note
    classes = piece.melody_pitch_classes()
    assert classes[0] == {7} and classes[1] == {0} and classes[2] == {2} and classes[7] == frozenset()
    window = encode_window(piece, 0, max_positions=48)
    assert window.melody.shape == (4 + 13, 14) and window.bar_count == 4
    bar_rows = np.flatnonzero(window.melody[:, BAR_FEATURE])
    assert bar_rows.tolist() == [0, 2, 7, 12]  # a bar token before each bar's beats
    assert (window.beat_in_bar[bar_rows] == 0).all() and window.beat_in_bar[3:7].tolist() == [1, 2, 3, 4]
    assert window.melody[10, REST_FEATURE] == 1  # beat 7 (bar 3, beat 3) is a rest
    assert window.slot_beats[window.is_slot].tolist() == list(range(13))


def test_windows_tile_a_piece_in_whole_bars():
    score = _hand_made_score()
    piece = piece_from_score(score, "hand", melody_stream=score.parts[0])
    windows = tile_windows(piece, max_positions=8)
    assert [w.bar_count for w in windows] == [2, 1, 1]
    covered = np.concatenate([w.slot_beats[w.is_slot] for w in windows])
    assert covered.tolist() == list(range(piece.n_beats))


def test_unmetered_long_bars_are_split_into_four_beat_bars():
    long_bar = music21.stream.Measure([music21.note.Note("C4", quarterLength=1) for _ in range(20)], number=1)
    short_bar = music21.stream.Measure([music21.note.Note("D4", quarterLength=4)], number=2)
    score = music21.stream.Score([music21.stream.Part([long_bar, short_bar])])
    assert beat_grid_of(score, 0, 24).bar_starts == (0, 4, 8, 12, 16, 20)


def test_top_voice_and_ties():
    part = music21.stream.Part()
    part.append(music21.chord.Chord(["C4", "E4", "G4"], quarterLength=1))
    first, second = music21.note.Note("A4", quarterLength=1), music21.note.Note("A4", quarterLength=1)
    first.tie, second.tie = music21.tie.Tie("start"), music21.tie.Tie("stop")
    part.append([first, second, music21.note.Note("A4", quarterLength=1)])
    notes = extract_melody(part)
    assert notes == [MelodyNote(0.0, 1.0, 67), MelodyNote(1.0, 2.0, 69), MelodyNote(3.0, 1.0, 69)]


def test_chord_labels_of_three_voices_per_beat():
    voices = [["G4", "D5", "E5", "C5"], ["E4", "B4", "C5", "A4"], ["C3", "G2", "A2", "F2"]]
    parts = [music21.stream.Part([music21.note.Note(p, quarterLength=1) for p in voice]) for voice in voices]
    score = music21.stream.Score(parts)
    piece = piece_from_score(score, "chords", melody_stream=score.parts[0], with_chords=True)
    sounding = [chord_symbols()[transpose_chord(c, -piece.transposition)] for c in piece.chords]
    assert sounding == ["C:maj", "G:maj", "A:min", "F:maj"]
    assert [note.pitch - piece.transposition for note in piece.notes] == [67, 74, 76, 72]


# --- curricula ----------------------------------------------------------------------------------


def test_ff_is_fully_masked_early_and_grows_as_the_fifth_power():
    rng = np.random.default_rng(0)
    assert ff_visible_fraction(0, 100) == 0 and ff_visible_fraction(100, 100) == 1
    assert ff_visible_fraction(50, 100) == pytest.approx(0.5**5)
    assert ff_visible_fraction(80, 100) == pytest.approx(0.8**5)
    for step in (0, 20, 50):  # 0.5**5 * 30 < 1: the first half is fully masked
        assert not any(mask.any() for mask in visible_slots("ff", step, 100, [30, 30], rng))
    late = visible_slots("ff", 90, 100, [30, 30], rng)
    assert [int(mask.sum()) for mask in late] == [int(np.floor(0.9**5 * 30))] * 2
    assert [int(mask.sum()) for mask in visible_slots("ff", 100, 100, [30], rng)] == [29]  # never all
    assert visible_count(1.0, 30) == 29 and visible_count(0.5, 30) == 15


def test_random_curriculum_draws_a_fraction_per_example():
    rng = np.random.default_rng(0)
    counts = [int(mask.sum()) for mask in visible_slots("random", 0, 100, [40] * 400, rng)]
    assert max(counts) < 40 and min(counts) == 0
    assert 17 < np.mean(counts) < 22  # uniform fraction: about half of the slots on average
    assert len(set(counts)) > 20


def test_midpoint_doubling_shows_bisection_anchors():
    assert bisection_depths(7) == (2, 1, 2, 0, 2, 1, 2)
    assert bisection_depths(1) == (0,)
    rng = np.random.default_rng(0)
    masks = visible_slots("midpoint", 0, 100, [15] * 200, rng)
    counts = {int(mask.sum()) for mask in masks}
    assert counts == {0, 1, 3, 7}  # anchors double: middle, then the halves' middles, ...
    one = next(mask for mask in masks if mask.sum() == 1)
    assert np.flatnonzero(one).tolist() == [7]


# --- metrics ------------------------------------------------------------------------------------


def _notes(*pitches: int, length: float = 1.0) -> list[MelodyNote]:
    return [MelodyNote(i * length, length, pitch) for i, pitch in enumerate(pitches)]


def test_reference_and_histogram_metrics():
    assert chord_accuracy([C, G, C], [C, G, A_MIN]) == pytest.approx(2 / 3)
    assert chord_histogram_entropy([C, C, G, G]) == pytest.approx(math.log(2))
    assert chord_histogram_entropy([C, C, C]) == 0
    assert chord_coverage([C, C, G, NO_CHORD]) == 3
    with pytest.raises(ValueError):
        chord_accuracy([C], [C, G])


def test_chord_tone_ratio_counts_proper_non_chord_tones():
    # C (chord tone), D (steps to E: proper), E (chord tone), A (non-chord tone, nothing follows)
    assert chord_tone_ratio(_notes(60, 62, 64, 69), [C] * 4) == pytest.approx((2 + 1) / 4)
    assert chord_tone_ratio(_notes(60, 64, 67), [C] * 3) == 1
    assert math.isnan(chord_tone_ratio([], [C]))


def test_pitch_consistency_and_tonal_distance():
    assert pitch_consistency(_notes(60), [C]) == pytest.approx(2 / 3)  # unison +1, sixth +1, fourth 0
    assert pitch_consistency(_notes(66), [C]) == -1  # F# against C, E, G: all dissonant
    assert math.isnan(pitch_consistency(_notes(60), [NO_CHORD]))
    assert melody_chord_tonal_distance(_notes(60), [C]) < melody_chord_tonal_distance(_notes(66), [C])
    triad = np.mean([tonal_centroid(frozenset({pc})) for pc in (0, 4, 7)], axis=0)
    assert np.allclose(tonal_centroid(frozenset({0, 4, 7})), triad)
    assert chord_tonal_distance([C, C, G]) > 0 and math.isnan(chord_tonal_distance([C, C]))
    assert chord_tonal_distance([C, G]) < chord_tonal_distance([C, symbol_to_index("F#:maj")])


def test_pitch_class_agreement_is_weighted_by_time():
    held_c = [MelodyNote(0.0, 2.0, 60)]
    assert pitch_class_agreement(held_c, [C, symbol_to_index("D:min")]) == pytest.approx(0.5)
    assert pitch_class_agreement(held_c, [C, NO_CHORD]) == pytest.approx(0.5)


def test_harmonic_rhythm():
    rhythm = harmonic_rhythm([C, C, G, G, C, C, C, C], [0, 4])
    assert rhythm["changes_per_bar"] == 1.0
    assert rhythm["mean_chord_duration"] == pytest.approx(8 / 3)
    assert rhythm["hrhe"] == pytest.approx(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3))
    assert rhythm["hrc"] == 2 and rhythm["downbeat_changes"] == 0.5


def test_metrics_of_a_piece_and_averages():
    piece = Piece("p", _notes(60, 62, 64, 67), n_beats=4, bar_starts=[0], chords=[C] * 4)
    values = harmonisation_metrics(piece, [C] * 4, piece.chords)
    assert values["accuracy"] == 1 and values["cc"] == 1 and math.isnan(values["ctd"])
    assert average([{"a": 1.0, "b": math.nan}, {"a": 3.0, "b": 2.0}]) == {"a": 2.0, "b": 2.0}


# --- model, training, unmasking -----------------------------------------------------------------


def _toy_pieces(count: int = 12) -> list[Piece]:
    """Melodies whose chord follows the note: C:maj under C/E/G, G:maj under D/B, A:min under A."""
    rule = {0: C, 4: C, 7: C, 2: G, 11: G, 9: A_MIN}
    rng = np.random.default_rng(1)
    pieces = []
    for index in range(count):
        pcs = rng.choice(list(rule), size=16)
        notes = [MelodyNote(float(beat), 1.0, 60 + int(pc)) for beat, pc in enumerate(pcs)]
        pieces.append(Piece(f"toy{index}", notes, 16, [0, 4, 8, 12], chords=[rule[int(pc)] for pc in pcs]))
    return pieces


def test_model_shapes_and_masking():
    windows = training_windows(_toy_pieces(2), TINY.max_positions)
    visible = [np.arange(int(w.is_slot.sum())) % 2 == 0 for w in windows[:3]]
    batch = make_batch(windows[:3], visible)
    assert batch.harmony.shape == batch.targets.shape == batch.slots.shape
    assert (batch.harmony[batch.slots] == MASK_TOKEN).sum() < batch.slots.sum()
    logits = HarmonyTransformer(TINY)(batch)
    assert logits.shape == (3, batch.harmony.shape[1], VOCABULARY_SIZE)


def test_training_smoke_learns_and_checkpoints(tmp_path):
    pieces = _toy_pieces()
    windows = training_windows(pieces, TINY.max_positions)
    plan = TrainingPlan(steps=200, batch_size=8, learning_rate=5e-3, seed=0)
    hidden = [np.zeros(int(w.is_slot.sum()), dtype=bool) for w in windows]
    torch.manual_seed(0)
    before = masked_loss(HarmonyTransformer(TINY).eval(), windows, hidden).item()
    model = train_model("ff", windows, TINY, plan)
    after = masked_loss(model, windows, hidden).item()
    assert after < before / 2
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, kind=CHECKPOINT_KIND, config={"model": TINY.to_dict()}, state_dict=model.state_dict())
    loaded, _ = load_harmoniser(path)
    chords = harmonise_pieces(loaded, pieces[:2], "one_shot")
    accuracy = np.mean([chord_accuracy(c, p.chords) for c, p in zip(chords, pieces[:2], strict=True)])
    assert accuracy > 0.8


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_unmasking_strategy_fills_every_slot(strategy):
    torch.manual_seed(0)
    model = HarmonyTransformer(TINY)
    windows = training_windows(_toy_pieces(2), TINY.max_positions)[:4]
    filled = harmonise_windows(model, windows, strategy, per_step=3)
    assert [len(chords) for chords in filled] == [int(w.is_slot.sum()) for w in windows]
    assert all(((chords >= 0) & (chords < VOCABULARY_SIZE)).all() for chords in filled)
    assert all(
        (a == b).all() for a, b in zip(filled, harmonise_windows(model, windows, strategy, per_step=3), strict=True)
    )


# --- the tool -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folk_melody(tmp_path_factory) -> Path:
    """A short Essen folk song from music21's corpus, written as MusicXML. Only the one song is parsed
    (its ABC number): the whole book of 213 takes some 11 s of CPU."""
    tune = music21.corpus.parse("essenFolksong/kinder0", number=1)  # "Schlaf, Kindlein, schlaf", 10 bars
    path = tmp_path_factory.mktemp("folk") / "folk.musicxml"
    tune.write("musicxml", fp=path)
    return path


def test_tool_round_trip_on_a_folk_melody(folk_melody, tmp_path):
    result = HarmoniseTool()({"melody": folk_melody, "out_dir": tmp_path, "stem": "folk"})
    symbols = set(chord_symbols())
    assert result.chords and all(chord.symbol in symbols for chord in result.chords)
    bars = max(chord.bar for chord in result.chords)
    assert result.chords[0].bar == 1 and result.chords[0].beat == 1
    assert 0 <= result.metrics["pc_agreement"] <= 1
    for path in (result.files.midi, result.files.musicxml):
        back = music21.converter.parse(str(path))
        assert len(back.parts) == 2
        assert any(isinstance(e, music21.chord.Chord) for e in back.parts[1].recurse().notes)
    written = music21.converter.parse(str(result.files.musicxml))
    assert len(written.parts[1].getElementsByClass("Measure")) == bars


def test_tool_with_another_strategy_and_sampling(folk_melody, tmp_path):
    tool = HarmoniseTool()
    request = {
        "melody": folk_melody,
        "out_dir": tmp_path,
        "curriculum": "random",
        "strategy": "one_shot",
        "temperature": 1.0,
        "seed": 3,
    }
    first, second = tool(request), tool(request)
    assert [c.symbol for c in first.chords] == [c.symbol for c in second.chords]  # the seed fixes the sample


def test_tool_refuses_bad_input(tmp_path):
    tool = HarmoniseTool()
    with pytest.raises(ScoreInputError):
        tool({"melody": tmp_path / "missing.mid", "out_dir": tmp_path})
    garbage = tmp_path / "garbage.mid"
    garbage.write_bytes(b"not a midi file at all")
    with pytest.raises(ScoreInputError):
        tool({"melody": garbage, "out_dir": tmp_path})
    with pytest.raises(ToolInputError):
        tool({"melody": garbage, "out_dir": tmp_path, "curriculum": "shuffled"})
    with pytest.raises(ToolInputError):
        tool({"melody": garbage, "out_dir": tmp_path, "stem": "../escape"})


def test_tool_refuses_a_melody_of_grace_notes(tmp_path):
    part = music21.stream.Part([music21.note.Note("C5").getGrace(), music21.note.Note("D5").getGrace()])
    path = tmp_path / "grace.musicxml"
    music21.stream.Score([part]).write("musicxml", fp=path)
    with pytest.raises(EmptyMelodyError):
        HarmoniseTool()({"melody": path, "out_dir": tmp_path})


def test_tool_refuses_an_absurdly_long_melody(tmp_path):
    path = tmp_path / "long.abc"
    path.write_text("X:1\nT:endless\nM:4/4\nL:1/4\nK:C\n" + "C4|" * 600 + "\n")
    with pytest.raises(MelodyTooLongError, match="600 bars"):
        HarmoniseTool()({"melody": path, "out_dir": tmp_path})


def test_reference_row_needs_every_piece_labelled(tmp_path):
    folk = Piece("folk", _notes(60, 62), n_beats=2, bar_starts=[0])
    with pytest.raises(ValueError, match="folk has no reference chords"):
        evaluate_rows([folk], tmp_path, ["confidence"], with_reference=True)
