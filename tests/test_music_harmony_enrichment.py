"""The harmonic enrichment after the harmoniser: secondary dominants where the melody allows them,
cadences prepared but never replaced, the minor key's major dominant, a borrowed iv; one seed, one result."""

from __future__ import annotations

from fractions import Fraction

from ontology.music import Cadence
from ontology.music_styles import Style
from ontology.music_theory import parse_chord, parse_key, parse_meter
from tools.music.harmony.chords import chord_index
from tools.music.harmony.data import MelodyNote
from tools.music.harmony.enrichment import ENRICHMENT, EnrichmentRates, enrich_harmony
from tools.music.neural_sections import chord_symbols
from tools.music.styles.phrases import given_chords, phrase_cadences

C_MAJOR, D_MINOR = parse_key("C major"), parse_key("D minor")
C, D, D7, DM7, EM, EMAJ, E7, F, FM, G, G7, AM = (chord_index(*chord) for chord in (
    (0, "maj"), (2, "maj"), (2, "dom7"), (2, "min7"), (4, "min"), (4, "maj"), (4, "dom7"), (5, "maj"), (5, "min"),
    (7, "maj"), (7, "dom7"), (9, "min")))
BEAT, FOUR_FOUR = Fraction(1), parse_meter("4/4")
ONLY_SECONDARY = EnrichmentRates(secondary_dominant=1.0, seventh=1.0, diminished_seventh=0.0,
                                 cadence_preparation=0.0, borrowed_iv=0.0)
ONLY_PREPARATION = EnrichmentRates(secondary_dominant=0.0, seventh=1.0, diminished_seventh=0.0,
                                   cadence_preparation=1.0, borrowed_iv=0.0)


def quarters(*pitches: int) -> list[MelodyNote]:
    return [MelodyNote(float(onset), 1.0, pitch) for onset, pitch in enumerate(pitches)]


def test_a_chord_before_a_diatonic_target_becomes_its_dominant_where_the_melody_allows() -> None:
    # C C Em Am | C: the E minor before A minor may be E7 (V7/vi); the melody's B is its fifth.
    melody = quarters(72, 72, 71, 72, 72)
    chords = enrich_harmony([C, C, EM, AM, C], melody, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY, seed=0)
    assert chords == [C, C, E7, AM, C]
    symbols = chord_symbols(chords, BEAT, FOUR_FOUR.bar_quarters, C_MAJOR)
    assert [event.symbol for event in symbols] == ["C", "E7", "Am", "C"]


def test_a_melody_note_that_clashes_anywhere_in_the_slot_blocks_the_secondary_dominant() -> None:
    # The same slot with a G after the B: G against E7's G# (and not a passing note, a third from B).
    melody = [*quarters(72, 72), MelodyNote(2.0, 0.5, 71), MelodyNote(2.5, 0.5, 67),
              MelodyNote(3.0, 1.0, 72), MelodyNote(4.0, 1.0, 72)]
    chords = enrich_harmony([C, C, EM, AM, C], melody, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY, seed=0)
    assert chords[2] == EM
    # A diatonic passing note (B-C-D over E7's D) or neighbour note (B-C-B) off the beat is no clash.
    passing = [*quarters(72, 72), MelodyNote(2.0, 0.5, 71), MelodyNote(2.5, 0.5, 72), MelodyNote(3.0, 1.0, 74),
               MelodyNote(4.0, 1.0, 72)]
    assert enrich_harmony([C, C, EM, AM, C], passing, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY, seed=0)[2] == E7
    neighbour = [*quarters(72, 72), MelodyNote(2.0, 0.5, 71), MelodyNote(2.5, 0.5, 72), MelodyNote(3.0, 1.0, 71),
                 MelodyNote(4.0, 1.0, 72)]
    assert enrich_harmony([C, C, EM, AM, C], neighbour, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY,
                          seed=0)[2] == E7


def test_a_seventh_in_the_melody_must_fall_by_step() -> None:
    # The melody's D is E7's seventh: rising to E it blocks E7 (and the triad E has no D) ...
    rising = quarters(72, 72, 74, 76, 72)
    assert enrich_harmony([C, C, EM, AM, C], rising, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY, seed=0)[2] == EM
    # ... falling to C it resolves as a seventh should.
    falling = quarters(72, 72, 74, 72, 72)
    assert enrich_harmony([C, C, EM, AM, C], falling, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY, seed=0)[2] == E7


def test_v_of_v_prepares_a_cadences_dominant_and_nothing_else() -> None:
    """V/V before every V tilted a half-cadence phrase into the dominant's key (the fixed-plan A
    major chorale, seed 0, heard in E major): the colouring adds V/V only before a cadence's
    dominant, and turns the harmoniser's other V/V chords into ii7 (or ii, IV) where the melody allows."""
    melody = quarters(72, 72, 69, 71, 72, 69, 71, 72)  # A under the D chords: a tone of D7, D minor and Dm7
    chords = [C, C, D, G, C, D7, G7, C]
    given = {0: C, 6: G7, 7: C}
    enriched = enrich_harmony(chords, melody, C_MAJOR, BEAT, FOUR_FOUR, given, ONLY_SECONDARY, seed=0)
    assert enriched[2] == DM7 and enriched[5] == D7  # mid-phrase V/V made ii7; the cadence's preparation kept
    assert enrich_harmony([C, C, AM, G, C], quarters(72, 72, 69, 71, 72), C_MAJOR, BEAT, FOUR_FOUR, {0: C},
                          ONLY_SECONDARY, seed=0)[2] == AM  # no V/V before a V that closes nothing


def test_a_secondary_dominant_that_does_not_resolve_becomes_the_keys_chord_on_its_root() -> None:
    # C E C: E major (V/vi) goes nowhere near A minor; with the melody's B (a tone of both) it becomes E minor.
    calm = EnrichmentRates(0.0, 0.0, 0.0, 0.0, 0.0)
    melody = quarters(72, 71, 72, 72)
    assert enrich_harmony([C, EMAJ, C, C], melody, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, calm, 0)[1] == EM
    # Moving to A minor it resolves, and stays; with G# in the melody E minor cannot sound, and E stays.
    assert enrich_harmony([C, EMAJ, AM, C], melody, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, calm, 0)[1] == EMAJ
    assert enrich_harmony([C, EMAJ, C, C], quarters(72, 68, 72, 72), C_MAJOR, BEAT, FOUR_FOUR, {0: C}, calm,
                          0)[1] == EMAJ


def test_cadence_chords_are_never_replaced_however_eager_the_rates() -> None:
    eager = EnrichmentRates(secondary_dominant=1.0, seventh=0.5, diminished_seventh=0.5, cadence_preparation=1.0,
                            borrowed_iv=1.0)
    bars = 8
    given = given_chords(C_MAJOR, phrase_cadences(bars, Cadence.AUTHENTIC), 4, bars)
    pattern = [C, F, AM, G, C, AM, F, G]
    chords = [given.get(index, pattern[index % len(pattern)]) for index in range(bars * 4)]
    melody = [MelodyNote(float(beat), 1.0, 67 + (beat % 3) * 2) for beat in range(bars * 4)]
    for seed in range(20):
        enriched = enrich_harmony(chords, melody, C_MAJOR, BEAT, FOUR_FOUR, given, eager, seed)
        assert all(enriched[index] == chord for index, chord in given.items())
        assert len(enriched) == len(chords)


def test_the_slot_before_a_cadential_dominant_is_prepared_with_v_of_v_first() -> None:
    given = {0: C, 2: G7, 3: C}
    prepare = EnrichmentRates(secondary_dominant=0.0, seventh=1.0, diminished_seventh=0.0, cadence_preparation=1.0,
                              borrowed_iv=0.0)
    melody = quarters(72, 69, 71, 72)  # A: a tone of D7
    assert enrich_harmony([C, C, G7, C], melody, C_MAJOR, BEAT, FOUR_FOUR, given, prepare, seed=3)[1] == D7
    # With an F in the melody V/V cannot sound; a diatonic preparation (ii7, IV or the tonic) does.
    melody = quarters(72, 65, 71, 72)
    prepared = enrich_harmony([C, AM, G7, C], melody, C_MAJOR, BEAT, FOUR_FOUR, given, prepare, seed=3)[1]
    assert prepared in (chord_index(2, "min7"), F)


def test_in_minor_the_dominant_is_major_unless_the_melody_sings_the_natural_seventh() -> None:
    a_minor, a_major = chord_index(9, "min"), chord_index(9, "maj")
    chords = [chord_index(2, "min"), a_minor, chord_index(2, "min")]
    calm = EnrichmentRates(0.0, 0.0, 0.0, 0.0, 0.0)
    assert enrich_harmony(chords, quarters(69, 69, 69), D_MINOR, BEAT, FOUR_FOUR, {0: chords[0]}, calm, 0)[1] == a_major
    assert enrich_harmony(chords, quarters(69, 72, 69), D_MINOR, BEAT, FOUR_FOUR, {0: chords[0]}, calm, 0)[1] == a_minor


def test_a_borrowed_iv_darkens_the_last_iv_before_a_full_close() -> None:
    given = {0: C, 6: G7, 7: C}
    borrow = EnrichmentRates(0.0, 0.0, 0.0, 0.0, borrowed_iv=1.0)
    melody = quarters(72, 72, 72, 72, 72, 72, 71, 72)  # C: a tone of F and of F minor
    chords = [C, F, C, C, F, C, G7, C]
    assert enrich_harmony(chords, melody, C_MAJOR, BEAT, FOUR_FOUR, given, borrow, 0) == [C, F, C, C, FM, C, G7, C]
    melody = quarters(72, 72, 72, 72, 69, 72, 71, 72)  # A: F minor's Ab would clash with it
    assert enrich_harmony(chords, melody, C_MAJOR, BEAT, FOUR_FOUR, given, borrow, 0) == chords


def test_the_same_seed_colours_the_same_way_and_seeds_differ() -> None:
    bars = 8
    given = given_chords(C_MAJOR, phrase_cadences(bars, Cadence.AUTHENTIC), 4, bars)
    pattern = [C, AM, F, G, AM, F, C, G]
    chords = [given.get(index, pattern[index % len(pattern)]) for index in range(bars * 4)]
    melody = [MelodyNote(float(beat), 1.0, (72, 69, 72, 74)[beat % 4]) for beat in range(bars * 4)]

    def colour(seed: int) -> list[int]:
        return enrich_harmony(chords, melody, C_MAJOR, BEAT, FOUR_FOUR, given, ENRICHMENT[Style.CHORALE], seed)

    assert colour(7) == colour(7)
    assert len({tuple(colour(seed)) for seed in range(10)}) > 1
    assert any(colour(seed) != chords for seed in range(10))


def test_a_pieces_colour_scales_its_chromatic_rates_and_some_pieces_stay_plain() -> None:
    """Bach's thirty chorales sound 0.4% to 15% of their notes outside the key; one colour for every
    chorale gave twenty of the language model's 2.4% to 5.2% (10th to 90th percentile)."""
    rates = ENRICHMENT[Style.CHORALE]
    colours = [rates.piece_colour(seed) for seed in range(200)]
    assert colours[3] == rates.piece_colour(3) and all(rates.colour[0] <= c <= rates.colour[1] for c in colours)
    assert min(colours) < 0.4 and max(colours) > 1.5
    plain, vivid = rates.coloured(0.25), rates.coloured(2.0)
    assert plain.secondary_dominant == rates.secondary_dominant * 0.25 and plain.seventh == rates.seventh
    assert vivid.secondary_dominant == 1.0 and vivid.diminished_seventh == rates.diminished_seventh * 2
    bars = 8
    given = given_chords(C_MAJOR, phrase_cadences(bars, Cadence.AUTHENTIC), 4, bars)
    pattern = [C, AM, F, G, AM, F, C, G]
    chords = [given.get(index, pattern[index % len(pattern)]) for index in range(bars * 4)]
    melody = [MelodyNote(float(beat), 1.0, (72, 69, 72, 74)[beat % 4]) for beat in range(bars * 4)]

    def changed(colouring: EnrichmentRates) -> int:
        return sum(sum(a != b for a, b in zip(chords, enrich_harmony(chords, melody, C_MAJOR, BEAT, FOUR_FOUR, given,
                                                                   colouring, seed), strict=True))
                   for seed in range(20))

    assert changed(plain) < changed(rates) <= changed(vivid)


def test_every_style_has_rates_and_free_piano_none() -> None:
    assert set(ENRICHMENT) == set(Style)
    assert ENRICHMENT[Style.FREE_PIANO] == EnrichmentRates(0.0, 0.0, 0.0, 0.0, 0.0)
    assert ENRICHMENT[Style.JIG].secondary_dominant < ENRICHMENT[Style.CHORALE].secondary_dominant


def test_a_sharp_key_takes_the_secondary_dominants_a_flat_key_does_and_its_score_spells_them_in_the_key() -> None:
    # In A major V/iii is G#7, whose canonical name is "Ab7": it is introduced all the same (until
    # session 42 it was not, and sharp keys stayed plain), and the score names it by its function.
    a_major = parse_key("A major")
    c_sharp_minor, b_minor, a = chord_index(1, "min"), chord_index(11, "min"), chord_index(9, "maj")
    chords = enrich_harmony([a, b_minor, c_sharp_minor], quarters(68, 68, 73), a_major, BEAT, FOUR_FOUR, {0: a},
                            ONLY_SECONDARY, 0)
    assert chords[1] == chord_index(8, "dom7")
    symbols = [parse_chord(event.symbol) for event in chord_symbols(chords, BEAT, FOUR_FOUR.bar_quarters, a_major)]
    assert [chord.in_key(a_major, symbols[index + 1].root if index + 1 < len(symbols) else None).symbol
            for index, chord in enumerate(symbols)] == ["A", "G#7", "C#m"]


def test_chord_symbols_name_the_new_chords_and_mark_the_chromatic_ones_borrowed() -> None:
    symbols = chord_symbols([C, D7, G, FM, C], BEAT, FOUR_FOUR.bar_quarters, C_MAJOR)
    assert [(event.symbol, event.borrowed) for event in symbols] == [
        ("C", False), ("D7", True), ("G", False), ("Fm", True), ("C", False)]
    minor = chord_symbols([chord_index(2, "min"), E7, chord_index(9, "dom7"), chord_index(2, "min")],
                          BEAT, FOUR_FOUR.bar_quarters, D_MINOR)
    assert [(event.symbol, event.borrowed) for event in minor] == [
        ("Dm", False), ("E7", True), ("A7", False), ("Dm", False)]


def test_a_seventh_chord_is_tonicised_as_its_triad_is() -> None:
    # C C Em Am7 | C: vi7 is a target too, so the E minor before it may be E7 (the melody's B is its fifth).
    am7 = chord_index(9, "min7")
    melody = quarters(72, 72, 71, 72, 72)
    chords = enrich_harmony([C, C, EM, am7, C], melody, C_MAJOR, BEAT, FOUR_FOUR, {0: C}, ONLY_SECONDARY, seed=0)
    assert chords == [C, C, E7, am7, C]


def test_in_major_a_dominant_before_the_tonic_may_become_the_borrowed_diminished_seventh() -> None:
    only = EnrichmentRates(0.0, 0.0, 0.0, 0.0, 0.0, leading_tone_seventh=1.0)
    b_dim7 = chord_index(11, "dim7")
    # The melody's D is a tone of B-D-F-Ab: G becomes vii°7, its Ab in the inner voices.
    chords = enrich_harmony([C, C, G, C], quarters(72, 72, 74, 72), C_MAJOR, BEAT, FOUR_FOUR, {0: C}, only, 0)
    assert chords == [C, C, b_dim7, C]
    assert [(e.symbol, e.borrowed) for e in chord_symbols(chords, BEAT, FOUR_FOUR.bar_quarters, C_MAJOR)][1] == (
        "Bdim7", True)
    # A G in the melody is no tone of it; a cadence's given dominant is never replaced.
    assert enrich_harmony([C, C, G, C], quarters(72, 72, 67, 72), C_MAJOR, BEAT, FOUR_FOUR, {0: C}, only, 0)[2] == G
    assert enrich_harmony([C, C, G, C], quarters(72, 72, 74, 72), C_MAJOR, BEAT, FOUR_FOUR, {0: C, 2: G}, only,
                          0)[2] == G
    # In minor the diminished seventh is the key's own: nothing to borrow.
    a_minor, e_major, d_minor_key = chord_index(9, "min"), chord_index(4, "maj"), parse_key("A minor")
    assert enrich_harmony([a_minor, e_major, a_minor], quarters(69, 71, 69), d_minor_key, BEAT, FOUR_FOUR,
                          {0: a_minor}, only, 0)[1] == e_major


def test_the_borrowed_diminished_seventh_colours_a_phrase_once_however_often_its_harmony_swings_to_v() -> None:
    only = EnrichmentRates(0.0, 0.0, 0.0, 0.0, 0.0, leading_tone_seventh=1.0)
    b_dim7 = chord_index(11, "dim7")
    # Two four-bar phrases of I-V-I-V, a chord a beat, the melody on C and D: every V could be vii°7.
    swinging = [C, G] * 16
    chords = enrich_harmony(swinging, quarters(*[72, 74] * 16), C_MAJOR, BEAT, FOUR_FOUR, {0: C}, only, 0)
    assert [chords[:16].count(b_dim7), chords[16:].count(b_dim7)] == [1, 1]


def test_under_a_chord_a_bar_long_a_weak_eighth_may_be_an_escape_tone_but_never_the_downbeat() -> None:
    three_four, bar = parse_meter("3/4"), Fraction(3)
    # 3/4, a chord a bar: | C | Am | G | C |, G a cadence's. Bar 2's melody A | C-E | D: the E off the beat leaps from C
    # and steps to D (an escape tone); D7 holds A, C and D: V7/V fits, its C left for E inside the bar.
    melody = [MelodyNote(0.0, 3.0, 72), MelodyNote(3.0, 1.0, 69), MelodyNote(4.0, 0.5, 72),
              MelodyNote(4.5, 0.5, 76), MelodyNote(5.0, 1.0, 74), MelodyNote(6.0, 3.0, 71), MelodyNote(9.0, 3.0, 72)]
    chords = [C, AM, G, C]
    assert enrich_harmony(chords, melody, C_MAJOR, bar, three_four, {0: C, 2: G}, ONLY_PREPARATION, 0)[1] == D7
    # The same E on the second beat (not off it) is neither passing nor neighbour: refused.
    on_beat = [MelodyNote(0.0, 3.0, 72), MelodyNote(3.0, 1.0, 69), MelodyNote(4.0, 1.0, 76),
               MelodyNote(5.0, 1.0, 74), MelodyNote(6.0, 3.0, 71), MelodyNote(9.0, 3.0, 72)]
    assert enrich_harmony(chords, on_beat, C_MAJOR, bar, three_four, {0: C, 2: G}, ONLY_PREPARATION,
                          0)[1] not in (D, D7)
    # An E on the downbeat never: the slot's first note is a chord tone.
    downbeat = [MelodyNote(0.0, 3.0, 72), MelodyNote(3.0, 1.0, 76), MelodyNote(4.0, 2.0, 74),
                MelodyNote(6.0, 3.0, 71), MelodyNote(9.0, 3.0, 72)]
    assert enrich_harmony(chords, downbeat, C_MAJOR, bar, three_four, {0: C, 2: G}, ONLY_PREPARATION,
                          0)[1] not in (D, D7)


def test_a_seventh_inside_a_figuration_may_leap_but_the_last_must_fall() -> None:
    sixteenths = [MelodyNote(0.0, 4.0, 72)] + [MelodyNote(4.0 + i / 4, 0.25, p)
                                              for i, p in enumerate((74, 72, 66, 72, 69, 72, 74, 72))]
    two = Fraction(2)
    # Over a half-bar chord D7's C leaps to F# and back inside the figuration, its last C falls to B.
    falling = [*sixteenths, MelodyNote(6.0, 2.0, 71), MelodyNote(8.0, 4.0, 72)]
    chords = [C, C, AM, G, C, C]
    assert enrich_harmony(chords, falling, C_MAJOR, two, FOUR_FOUR, {0: C, 3: G}, ONLY_PREPARATION, 0)[2] == D7
    rising = [*sixteenths, MelodyNote(6.0, 2.0, 74), MelodyNote(8.0, 4.0, 72)]
    assert enrich_harmony(chords, rising, C_MAJOR, two, FOUR_FOUR, {0: C, 3: G}, ONLY_PREPARATION,
                          0)[2] not in (D, D7)


def test_in_major_a_half_close_may_be_prepared_by_a_chord_borrowed_from_the_minor() -> None:
    borrow = EnrichmentRates(0.0, 0.0, 0.0, cadence_preparation=1.0, borrowed_iv=1.0)
    given = {0: C, 3: G}
    # The melody's F and C are tones of F minor and of D-F-Ab-C, not of D7: V/V cannot, a borrowed chord does.
    prepared = {enrich_harmony([C, C, F, G], quarters(72, 72, 65, 67), C_MAJOR, BEAT, FOUR_FOUR, given, borrow,
                               seed)[2] for seed in range(8)}
    assert prepared <= {FM, chord_index(2, "hdim7")} and prepared
    # Without the taste for the minor's colours the preparation stays diatonic.
    plain = EnrichmentRates(0.0, 0.0, 0.0, cadence_preparation=1.0, borrowed_iv=0.0)
    assert all(enrich_harmony([C, C, F, G], quarters(72, 72, 65, 67), C_MAJOR, BEAT, FOUR_FOUR, given, plain,
                              seed)[2] in (F, chord_index(2, "min7")) for seed in range(8))

