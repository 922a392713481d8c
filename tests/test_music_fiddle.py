"""A fiddle tune's figures: the dotted lilt and the sixteenth run written into a jig's running eighths."""

from __future__ import annotations

from fractions import Fraction

from ontology.music_theory import parse_key, parse_meter
from tools.music.harmony.data import MelodyNote
from tools.music.styles.fiddle import DOTTED, figured

G_MAJOR = parse_key("G major")
JIG = parse_meter("6/8")
TUNE = [67, 71, 74, 72, 69, 71, 67, 71, 74, 76, 74, 71, 67, 69, 71, 72, 71, 69]
"""Three bars of a G major jig's eighths (G B d c A B | G B d e d B | G A B c B A), two of its beats
ending a third from the next beat's note (B to G)."""


def eighths(pitches: list[int]) -> list[MelodyNote]:
    return [MelodyNote(0.5 * index, 0.5, pitch) for index, pitch in enumerate(pitches)]


def test_figures_keep_the_tunes_time_and_grid_and_its_pitches_on_the_beats() -> None:
    line = eighths(TUNE) + [MelodyNote(9.0, 3.0, 67)]
    for seed in range(12):
        notes = figured(line, JIG, G_MAJOR, [3], seed, seed)
        onsets = [Fraction(note.onset) for note in notes]
        assert all((Fraction(note.onset) + Fraction(note.duration)) == following
                   for note, following in zip(notes, onsets[1:], strict=False)), "the line stays legato"
        assert notes[-1] == line[-1], "the phrase's close is left as it is"
        assert all((4 * Fraction(note.duration)).denominator == 1 for note in notes), "no tuplets: sixteenths at most"
        sounding = {onset: note.pitch for onset, note in zip(onsets, notes, strict=True)}
        for original in line:
            if Fraction(original.onset) % Fraction(1, 2) == 0 and Fraction(original.onset) in sounding:
                assert sounding[Fraction(original.onset)] == original.pitch


def test_a_dotted_beat_is_dotted_eighth_sixteenth_eighth_and_a_run_passes_through_the_step_between() -> None:
    line = eighths(TUNE) + [MelodyNote(9.0, 3.0, 67)]
    dotted = runs = 0
    for seed in range(30):
        notes = figured(line, JIG, G_MAJOR, [3], seed, seed)
        lengths = [Fraction(note.duration) for note in notes]
        for index, note in enumerate(notes[:-2]):
            if tuple(lengths[index:index + 3]) == DOTTED and Fraction(note.onset) % Fraction(3, 2) == 0:
                dotted += 1
            if lengths[index] == lengths[index + 1] == Fraction(1, 4) and Fraction(notes[index + 1].onset) % 1:
                low, high = sorted((note.pitch, notes[index + 2].pitch))
                if low < notes[index + 1].pitch < high and Fraction(notes[index + 2].onset) % Fraction(3, 2) == 0:
                    runs += 1
        assert not any(Fraction(note.onset) >= Fraction(15, 2) and Fraction(note.duration) < Fraction(1, 2)
                       for note in notes), "the beat approaching the close and the close stay plain"
    assert dotted and runs


def test_tunes_differ_in_how_much_they_lilt() -> None:
    line = eighths(TUNE) + [MelodyNote(9.0, 3.0, 67)]
    counts = {len(figured(line, JIG, G_MAJOR, [3], seed, seed)) for seed in range(12)}
    assert len(counts) >= 3, f"the number of notes varies from tune to tune: {counts}"
    assert figured(line, JIG, G_MAJOR, [3], 5, 5) == figured(line, JIG, G_MAJOR, [3], 5, 5)


def test_a_tunes_strains_share_its_rates() -> None:
    """The piece's seed draws how much a tune lilts and runs, so its strains (each with a seed of its
    own) move alike and tunes differ: averaged over many strains, one piece stays plain and another
    florid (with rates drawn per strain, every piece's average would be the same)."""
    line = eighths(TUNE) + [MelodyNote(9.0, 3.0, 67)]

    def figured_notes(seed: int, piece: int) -> int:
        return sum(note.duration != 0.5 for note in figured(line, JIG, G_MAJOR, [3], seed, piece)[:-1])

    averages = [sum(figured_notes(seed, piece) for seed in range(40)) / 40 for piece in range(10)]
    assert max(averages) - min(averages) >= 2, averages


def test_a_reels_eighths_run_even() -> None:
    reel = eighths(TUNE[:16])
    assert all(figured(reel, parse_meter("4/4"), G_MAJOR, [], seed, seed) == reel for seed in range(5))
