"""Analysis facts the critics read: chord labels from sounding notes, the key music21 hears, Roman
numerals, parallel perfects, tendency tones."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ontology.music import INSTRUMENTS, Bar, ChordEvent, Event, Part, Piece, Section
from ontology.music_theory import parse_key
from tools.music.analysis import (
    describe_piece,
    estimate_key,
    key_margin,
    label_chords,
    parallel_kind,
    parallel_perfects,
    roman_numeral,
    section_facts,
    voice_parallels,
)


def bar(*notes: tuple[int | None, float]) -> Bar:
    return Bar.line(*notes)


def test_chords_are_named_from_the_notes_that_sound() -> None:
    upper = [bar((64, 2), (67, 2)), bar((65, 2), (69, 2)), bar((67, 1), (71, 1), (74, 1), (65, 1))]
    lower = [bar((48, 4)), bar((53, 4)), bar((43, 4))]
    labels = label_chords([upper, lower], Fraction(4))
    assert [(c.bar, c.beat, c.symbol) for c in labels] == [(1, 1, "C"), (2, 1, "F"), (3, 1, "G"), (3, 4, "G7")]
    by_half_bar = label_chords([upper, lower], Fraction(4), Fraction(2))  # a slower harmonic rhythm
    assert [(c.bar, c.beat, c.symbol) for c in by_half_bar] == [(1, 1, "C"), (2, 1, "F"), (3, 1, "G"), (3, 3, "G7")]


def slot_by_slot_labels(parts: list[list[Bar]], bar_length: Fraction, slot: Fraction) -> list[tuple]:
    """`label_chords` by its definition: every slot weighs every note that overlaps it."""
    from collections import defaultdict

    from tools.music.analysis import sounding_notes
    from tools.music.harmony.chords import label_pitch_classes, ontology_symbol

    sounding = [note for bars in parts for note in sounding_notes(bars, bar_length)]
    labels: list[tuple] = []
    for index in range(int(bar_length * max(len(bars) for bars in parts) / slot)):
        lo, hi = index * slot, (index + 1) * slot
        weights: defaultdict[int, float] = defaultdict(float)
        bass = None
        for start, end, pitch in sounding:
            if (overlap := min(end, hi) - max(start, lo)) > 0:
                weights[pitch % 12] += float(overlap)
                bass = pitch if bass is None else min(bass, pitch)
        symbol = ontology_symbol(label_pitch_classes(weights, bass)) if weights else None
        if symbol is not None and (not labels or labels[-1][2] != symbol):
            bar_index = int(lo // bar_length)
            labels.append((bar_index + 1, float(lo - bar_index * bar_length) + 1, symbol))
    return labels


@pytest.mark.parametrize("seed", range(6))
def test_chord_labels_weigh_each_note_in_the_slots_it_overlaps_as_every_slot_weighing_every_note_did(
        seed: int) -> None:
    """Each note is added only to the slots it overlaps (the labelling was quadratic in a section's
    notes), in the same order, so the labels are those of weighing every note in every slot: notes
    held over bar lines and slots, triplets, rests, chords, a staff shorter than the other."""
    import random

    draw = random.Random(seed)
    lengths = [0.25, 0.5, 1 / 3, 2 / 3, 1.0, 1.5, 2.0, 3.0]

    def staff(bars: int, low: int) -> list[Bar]:
        made = []
        for _ in range(bars):
            voices = []
            for _ in range(draw.choice((1, 2))):
                events, left = [], Fraction(3)
                while left > 0:
                    length = min(Fraction(draw.choice(lengths)).limit_denominator(12), left)
                    pitches = [] if draw.random() < 0.15 else draw.sample(range(low, low + 24), draw.choice((1, 1, 3)))
                    events.append(Event(pitches=pitches, duration=float(length)))
                    left -= length
                voices.append(events)
            made.append(Bar(voices=voices))
        return made

    parts = [staff(6, 60), staff(draw.choice((5, 6)), 36)]
    for slot in (Fraction(1), Fraction(3, 2), Fraction(3), Fraction(1, 2)):
        assert [(c.bar, c.beat, c.symbol) for c in label_chords(parts, Fraction(3), slot)] == slot_by_slot_labels(
            parts, Fraction(3), slot)


def test_parallel_fifths_and_octaves_are_found_only_in_similar_motion() -> None:
    top = [(Fraction(0), 67), (Fraction(1), 69), (Fraction(2), 72), (Fraction(3), 71)]
    parallel = [(Fraction(0), 60), (Fraction(1), 62), (Fraction(2), 60), (Fraction(3), 59)]
    c_major = parse_key("C major")
    assert parallel_perfects(top, parallel, Fraction(4), c_major) == ["fifths into bar 1", "octaves into bar 1"]
    rising = [(Fraction(0), 67), (Fraction(1), 74)]
    falling = [(Fraction(0), 60), (Fraction(1), 55)]  # fifth to twelfth in contrary motion: allowed
    assert parallel_perfects(rising, falling, Fraction(4), c_major) == []


def test_each_motion_between_two_voices_is_judged_by_music21_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listening asks about the same motions for every draft and candidate of a session; music21's
    voice-leading quartet takes milliseconds to build, so each motion's answer is kept."""
    from music21 import voiceLeading

    built = []
    quartet = voiceLeading.VoiceLeadingQuartet
    monkeypatch.setattr(voiceLeading, "VoiceLeadingQuartet", lambda *notes: built.append(notes) or quartet(*notes))
    parallel_kind.cache_clear()
    top = [(Fraction(0), 67), (Fraction(1), 69), (Fraction(2), 72), (Fraction(3), 71)]
    bottom = [(Fraction(0), 60), (Fraction(1), 62), (Fraction(2), 60), (Fraction(3), 59)]
    first = parallel_perfects(top, bottom, Fraction(4), parse_key("C major"))
    judged = len(built)
    assert parallel_perfects(top, bottom, Fraction(4), parse_key("C major")) == first
    assert first == ["fifths into bar 1", "octaves into bar 1"]
    assert len(built) == judged == 3  # three motions reach a perfect interval, each judged once


def test_each_pitch_is_spelled_and_each_key_built_for_music21_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Music21's key and pitch spelling took milliseconds each, and were made again for every
    motion judged (most of a nocturne session's listening): each pitch of a key is spelled once, the
    key built once, and the judgments are music21's on the spelled pitches as before (a diminished
    fifth, B-F, moving to a perfect one is no parallel; E-flat to B-flat in E-flat major is)."""
    import tools.music.analysis as analysis
    from ontology.music_theory import Key

    spelled, built = [], []
    spell, build = analysis.spelled_pitch, Key.to_music21
    monkeypatch.setattr(analysis, "spelled_pitch", lambda pitch, key: spelled.append(pitch) or spell(pitch, key))
    monkeypatch.setattr(Key, "to_music21", lambda key: built.append(key) or build(key))
    for cache in (parallel_kind, analysis.spelled_name, analysis._music21_key):
        cache.cache_clear()
    c_major, e_flat = parse_key("C major"), parse_key("Eb major")
    top = [(Fraction(0), 67), (Fraction(1), 69), (Fraction(2), 72), (Fraction(3), 71), (Fraction(4), 72)]
    bottom = [(Fraction(0), 60), (Fraction(1), 62), (Fraction(2), 60), (Fraction(3), 59), (Fraction(4), 60)]
    assert parallel_perfects(top, bottom, Fraction(4), c_major) == ["fifths into bar 1", "octaves into bar 1",
                                                                     "octaves into bar 2"]
    assert parallel_perfects([(Fraction(0), 71), (Fraction(1), 72)], [(Fraction(0), 65), (Fraction(1), 65)],
                             Fraction(4), c_major) == []  # B-F to C-F: oblique, and a diminished fifth first
    assert parallel_perfects([(Fraction(0), 70), (Fraction(1), 72)], [(Fraction(0), 63), (Fraction(1), 65)],
                             Fraction(4), e_flat) == ["fifths into bar 1"]
    assert sorted(spelled) == sorted([67, 69, 72, 71, 60, 62, 59, 65] + [70, 72, 63, 65])  # once per key
    assert built == [c_major, e_flat]


def test_section_facts_count_unresolved_leading_tones_and_rhythms(minuet: Piece) -> None:
    piece = minuet
    piece.parts[0].bars[2] = bar((73, 1), (70, 1), (69, 1))  # C# (the leading tone of D minor) falls to B-flat
    facts = section_facts(piece)
    assert facts[1].unresolved_leading_tones == 1 and facts[0].unresolved_leading_tones == 0
    assert facts[0].rhythm_patterns == 2 and facts[0].melody_range == (69, 74)
    text = describe_piece(piece)
    assert "section b (B, bars 3-4, D minor, planned authentic cadence)" in text
    assert text.splitlines()[2].endswith("; leading tones not rising to the tonic: 1")
    assert "leading tones" not in text.splitlines()[1]  # a section with none does not say so


def cadence_in_g(section_key: str | None = None) -> Piece:
    """I-IV-V-I in G major, a block chord a bar over the bass; C to D moves the outer voices in twelfths."""
    chords = [[59, 62, 67], [60, 64, 67], [62, 66, 69], [59, 62, 67]]
    bass = [43, 48, 50, 43]
    return Piece(
        title="Cadence", key="G major", meter="4/4", tempo_bpm=80,
        instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
        sections=[Section(id="a", label="A", bars=4, key=section_key, cadence="authentic")],
        parts=[Part(id="rh", instrument="piano_right", bars=[Bar(voices=[[Event(pitches=c, duration=4)]])
                                                             for c in chords]),
               Part(id="lh", instrument="piano_left", bars=[Bar.line((pitch, 4)) for pitch in bass])],
        harmony=[ChordEvent(bar=bar, beat=1, symbol=symbol) for bar, symbol in enumerate(["G", "C", "D", "G"], 1)],
    )


def test_music21_hears_the_key_names_the_numerals_and_finds_the_parallel_fifths() -> None:
    (facts,) = section_facts(cadence_in_g())
    assert facts.heard_key is not None and facts.heard_key.name == "G major" and facts.key_matches
    assert 0.5 < facts.heard_key.correlation <= 1
    assert facts.numerals == ["I", "IV", "V", "I"]
    assert facts.parallel_perfects == ["fifths into bar 3"]
    text = describe_piece(cadence_in_g())
    assert "sounds in" not in text and "not the planned" not in text  # a key heard as planned is not spelled out
    assert "planned authentic cadence): I IV V I; 2 pitches, 1 bar rhythms;" in text
    assert text.endswith("; outer voices in parallel fifths into bar 3")
    beside_the_listening = describe_piece(cadence_in_g(), listened=True)  # said there once, against the style
    assert "parallel" not in beside_the_listening and beside_the_listening.endswith("1 bar rhythms")


def test_a_section_without_harmony_says_it_has_no_chord_plan() -> None:
    planless = cadence_in_g().model_copy(update={"harmony": []})
    assert "planned authentic cadence): no chord plan;" in describe_piece(planless)


def test_a_section_whose_notes_suggest_another_key_says_so() -> None:
    text = describe_piece(cadence_in_g(section_key="E minor"))
    assert "sounds in G major, not the planned E minor" in text
    assert "): III bVI bVII III;" in text  # music21 marks the minor key's natural VI and VII 'b'


@pytest.mark.parametrize(
    ("symbol", "key", "numeral"),
    [("A7", "D minor", "V7"), ("Dm", "D minor", "i"), ("Em7b5", "D minor", "iiø7"), ("C#dim7", "D minor", "viio7"),
     ("Bb", "D minor", "bVI"), ("Caug", "C major", "I+"), ("Ab", "C major", "bVI"), ("F#m", "A major", "vi"),
     ("Abm", "E major", "iii"), ("Gsus4", "C major", "Vsus4")],
)
def test_chord_symbols_become_roman_numerals_in_the_key(symbol: str, key: str, numeral: str) -> None:
    assert roman_numeral(symbol, parse_key(key)) == numeral


def test_a_passage_in_octaves_gives_the_critics_no_parallels_the_quality_measure_still_counts() -> None:
    """A planned passage in octaves (the left hand doubling the tune note for note in bar 2: into it,
    within it and out of it into bar 3) is one line in both hands: the critics' facts and the listening checks leave
    its octaves out (`voice_parallels`); `parallel_perfects`, the quality measure's, counts them as it
    counts Beethoven's. A bass following the tune one note a bar stays two voices in octaves."""
    c_major = parse_key("C major")
    top = [(Fraction(0), 72), (Fraction(4), 77), (Fraction(5), 76), (Fraction(6), 74), (Fraction(8), 72)]
    bottom = [(Fraction(0), 48), (Fraction(4), 53), (Fraction(5), 52), (Fraction(6), 50), (Fraction(8), 48)]
    assert parallel_perfects(top, bottom, Fraction(4), c_major) == ["octaves into bar 2"] * 3 + ["octaves into bar 3"]
    assert voice_parallels(top, bottom, c_major, Fraction(4)) == []
    one_a_bar = [(Fraction(0), 72), (Fraction(4), 74), (Fraction(8), 76)]
    under = [(time, pitch - 24) for time, pitch in one_a_bar]
    assert [kind for kind, _ in voice_parallels(one_a_bar, under, c_major, Fraction(4))] == ["octaves", "octaves"]


def test_the_key_margin_says_how_much_better_the_asked_key_fits_than_any_other() -> None:
    """An A major tune that dwells on its leading tone and sixth, never its fourth (a jig of the tools
    bench, rocking G#-A-F# over E4-C#5), is heard in F# minor: its margin for A major is below 0."""
    tonic = [[bar((60, 1), (64, 1), (67, 1), (72, 1)), bar((65, 1), (62, 1), (67, 1), (60, 1))]]
    assert key_margin(tonic, Fraction(4), [parse_key("C major")]) > 0
    assert key_margin(tonic, Fraction(4), [parse_key("A minor")]) < 0
    rocking = [[bar((69, 1), (68, 0.5), (69, 0.5), (71, 0.5), (68, 0.5), (69, 0.5), (68, 0.5)),
                bar((66, 0.5), (68, 0.5), (66, 0.5), (69, 0.5), (68, 0.5), (64, 0.5), (73, 1))]]
    heard = estimate_key(rocking, Fraction(4))
    assert heard is not None and heard.name == "F# minor"
    a_major, f_sharp_minor = parse_key("A major"), parse_key("F# minor")
    assert key_margin(rocking, Fraction(4), [a_major]) < 0 < key_margin(rocking, Fraction(4), [f_sharp_minor])
    assert key_margin(rocking, Fraction(4), [a_major, f_sharp_minor]) == key_margin(rocking, Fraction(4),
                                                                                    [f_sharp_minor])
    assert key_margin([[bar((None, 4))]], Fraction(4), [parse_key("C major")]) == -2.0

