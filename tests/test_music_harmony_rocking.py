"""The tonic-dominant rocks a chorale's harmony is chosen again in, and the harmoniser choosing
again with chords barred."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tools.music.harmony.chords import NO_CHORD, chord_index
from tools.music.harmony.data import MelodyNote, Piece
from tools.music.harmony.model import HarmonyConfig, HarmonyTransformer
from tools.music.harmony.rocking import barred_around, holds_the_melody, rocking_run
from tools.music.harmony.unmasking import STRATEGIES, harmonise_pieces

C, G, G7, F, A_MIN = (chord_index(0, "maj"), chord_index(7, "maj"), chord_index(7, "dom7"), chord_index(5, "maj"),
                      chord_index(9, "min"))


@pytest.mark.parametrize(("chords", "given", "tried", "run"), [
    ([C, G, C, G, C], set(), set(), range(1, 2)),  # I V I V I: the first V
    ([C, G, C, G, C], set(), {1}, range(2, 3)),  # then the I between the two Vs
    ([C, C, G, G7, C, G], set(), set(), range(2, 4)),  # a held chord and its seventh are one run
    ([C, G, C, G, C], {1, 2}, set(), range(3, 4)),  # given chords stay
    ([F, A_MIN, F, A_MIN], set(), set(), range(1, 2)),  # any two chords rock
    ([C, G, C, F, C], set(), set(), None),  # I V I IV I is no rock: neighbours, not a swing
    ([C, G, F, G], set(), set(), None),
])
def test_a_chord_rocks_between_two_on_one_root_with_its_own_root_two_runs_off(
        chords: list[int], given: set[int], tried: set[int], run: range | None) -> None:
    assert rocking_run(chords, given, tried) == run


def test_a_rocks_chord_chosen_again_takes_no_root_of_the_runs_around_it_nor_no_chord() -> None:
    barred = barred_around([F, G, C, G, C, A_MIN], range(2, 3))  # the C between G and G: F two runs before
    assert {C, G, chord_index(7, "dom7"), chord_index(0, "min"), F, NO_CHORD} <= barred
    assert not {A_MIN, chord_index(2, "min"), chord_index(11, "dim")} & barred


def test_a_chord_holds_the_melody_note_sounding_on_its_beat() -> None:
    melody = [MelodyNote(0.0, 2.0, 64), MelodyNote(3.0, 1.0, 65)]
    assert holds_the_melody(C, melody, 1) and not holds_the_melody(F, melody, 1)
    assert holds_the_melody(F, melody, 2)  # nothing sounds on beat 2
    assert holds_the_melody(F, melody, 3) and not holds_the_melody(C, melody, 3)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_harmoniser_never_takes_a_barred_chord_and_keeps_the_given_ones(strategy: str) -> None:
    torch.manual_seed(0)
    model = HarmonyTransformer(HarmonyConfig(d_model=32, layers=1, heads=2, feedforward=64, max_positions=40))
    melody = Piece("tune", [MelodyNote(float(beat), 1.0, 60 + pitch) for beat, pitch in enumerate([0, 4, 7, 2] * 4)],
                   16, [0, 4, 8, 12])
    (free,) = harmonise_pieces(model, [melody], strategy)
    barred = {beat: frozenset({free[beat], C, G}) for beat in (1, 5, 6, 13)}
    given = {0: F, 5: A_MIN}
    (chosen,) = harmonise_pieces(model, [melody], strategy, given=[given], banned=[barred])
    assert chosen[0] == F and chosen[5] == A_MIN  # a given chord outranks a ban
    assert all(chosen[beat] not in chords for beat, chords in barred.items() if beat not in given)
    assert np.all(np.asarray(chosen) >= 0)
