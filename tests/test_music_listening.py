"""The listening validators on hand-built pieces: a clean chorale trips none; each fault trips its check,
with the severity, owner and location a session needs to send it back."""

from __future__ import annotations

from ontology.core import Severity, at
from ontology.music import INSTRUMENTS, Bar, Event, Part, Piece, Section
from ontology.music_styles import Style
from tools.music.listening import LISTENING_VALIDATORS, WITHIN_LIMITS, hear, listen, listening_report

C_MAJOR_CHORDS = [  # (soprano, alto, tenor, bass) per half note: I IV | V I | IV V | I (whole)
    (76, 72, 67, 48), (77, 72, 69, 53), (74, 71, 67, 55), (76, 72, 67, 48), (77, 72, 69, 53), (74, 71, 67, 55),
    (72, 67, 64, 48)]


def chorale(chords: list[tuple[int, int, int, int]] = C_MAJOR_CHORDS, *, cadence: str = "authentic",
            sections: list[Section] | None = None, key: str = "C major") -> Piece:
    """Four voices on two staves in 4/4, two chords a bar and a whole-bar final chord."""
    bars: list[list[tuple[int, int, int, int]]] = [chords[i:i + 2] for i in range(0, len(chords) - 1, 2)]
    bars.append([chords[-1]])

    def staff(first: int) -> list[Bar]:
        return [Bar(voices=[[Event(pitches=[chord[voice]], duration=4 / len(bar)) for chord in bar]
                            for voice in (first, first + 1)]) for bar in bars]

    return Piece(title="Test chorale", key=key, meter="4/4", style=Style.CHORALE, tempo_bpm=66,
                 instruments=[INSTRUMENTS["choir_upper"], INSTRUMENTS["choir_lower"]],
                 sections=sections or [Section(id="a", label="A", bars=len(bars), cadence=cadence)],
                 parts=[Part(id="upper", instrument="choir_upper", bars=staff(0)),
                        Part(id="lower", instrument="choir_lower", bars=staff(2))])


def tune(bars: list[list[tuple[int, float]]], *, style: Style = Style.JIG, meter: str = "6/8",
         key: str = "D major") -> Piece:
    """One line on one part, no planned cadence."""
    return Piece(title="Test tune", key=key, meter=meter, style=style, tempo_bpm=120,
                 instruments=[INSTRUMENTS["violin"]], sections=[Section(id="a", label="A", bars=len(bars))],
                 parts=[Part(id="tune", instrument="violin", bars=[Bar.line(*bar) for bar in bars])])


def waltz(melody: list[list[tuple[int | None, float]]], *, cadence: str | None = "authentic") -> Piece:
    """A melody over an oom-pah-pah of C major chords (bass C3, chords E3-G3-C4) in 3/4, one section."""
    oom_pah_pah = Bar(voices=[[Event(pitches=[48], duration=1.0), Event(pitches=[52, 55, 60], duration=1.0),
                               Event(pitches=[52, 55, 60], duration=1.0)]])
    return Piece(title="Test waltz", key="C major", meter="3/4", style=Style.WALTZ, tempo_bpm=156,
                 instruments=[INSTRUMENTS["piano_right"], INSTRUMENTS["piano_left"]],
                 sections=[Section(id="a", label="A", bars=len(melody), cadence=cadence)],
                 parts=[Part(id="right", instrument="piano_right", bars=[Bar.line(*bar) for bar in melody]),
                        Part(id="left", instrument="piano_left", bars=[oom_pah_pah] * len(melody))])


def codes(piece: Piece) -> set[str]:
    return {finding.code for finding in listen(piece)}


def test_a_stepwise_chorale_closing_v_i_in_its_key_trips_nothing() -> None:
    assert listen(chorale()) == []
    heard = hear(chorale())
    assert heard.leaps == [] and heard.parallels == [] and heard.repeats == [] and heard.step_share > 0.6
    assert heard.heard_key is not None and heard.heard_key.name == "C major"
    assert [(end.section_id, end.heard) for end in heard.phrase_ends] == [("a", "authentic")]


def test_every_check_is_registered_with_its_owner() -> None:
    assert LISTENING_VALIDATORS.names == [
        "leaps_within_the_style", "tuplets_as_the_style_allows", "rests_within_the_style", "melody_in_the_register",
        "top_voice_range_within_the_style", "melody_moves_by_step", "key_is_established",
        "cadences_heard_at_phrase_ends", "few_parallel_perfects", "no_parallels_across_a_join",
        "no_figure_fills_three_bars"]


def test_a_leap_wider_than_the_style_allows_is_an_error_at_its_bar() -> None:
    steps = [(74, 0.5), (76, 0.5), (78, 0.5), (79, 0.5), (78, 0.5), (76, 0.5)]
    leaping = tune([steps, [(74, 0.5), (76, 0.5), (62, 0.5), (64, 0.5), (66, 0.5), (67, 0.5)], steps[::-1]])
    (leap,) = [finding for finding in listen(leaping) if finding.code == "top_voice_leap"]
    assert leap.severity is Severity.ERROR and leap.owner == "Arranger"
    assert leap.location == at("parts", 0, "bars", 1) and "76->62 (14)" in leap.message
    assert "top_voice_leap" not in codes(tune([steps, steps[::-1], steps]))


def test_a_bar_of_triplets_in_a_chorale_is_an_error_and_a_few_in_free_piano_only_a_share() -> None:
    piece = chorale()
    soprano = piece.parts[0].bars[1].voices[0]
    alto = piece.parts[0].bars[1].voices[1]
    piece.parts[0].bars[1].voices = [  # the first half of bar 2 in triplets, in both upper voices
        [Event(pitches=[74], duration=2 / 3), Event(pitches=[72], duration=2 / 3), Event(pitches=[74], duration=2 / 3),
         soprano[1]],
        [Event(pitches=[71], duration=2 / 3), Event(pitches=[69], duration=2 / 3), Event(pitches=[71], duration=2 / 3),
         alto[1]]]
    (tuplets,) = [finding for finding in listen(piece) if finding.code == "tuplet_in_style_without"]
    assert tuplets.severity is Severity.ERROR and tuplets.location == at("parts", 0, "bars", 1)
    free = piece.model_copy(update={"style": Style.FREE_PIANO})
    assert hear(free).tuplet_share > 0.1
    (share,) = [finding for finding in listen(free) if "tuplet" in finding.code]
    assert (share.code, share.severity, share.location) == ("too_many_tuplets", Severity.WARNING, at("parts"))


def test_parallel_fifths_between_alto_and_tenor_are_found_at_their_bar() -> None:
    fifths = [(76, 67, 60, 48), (77, 69, 62, 53), *C_MAJOR_CHORDS[2:]]  # G/C -> A/D in the inner voices
    found = [finding for finding in listen(chorale(fifths)) if finding.code == "parallel_perfects"]
    assert [(f.severity, f.owner, f.location) for f in found] == [
        (Severity.WARNING, "Arranger", at("parts", 0, "bars", 0))]
    assert "fifths between alto and tenor" in found[0].message
    assert [(p.kind, p.upper, p.lower) for p in hear(chorale(fifths)).parallels] == [("fifths", "alto", "tenor")]


def test_one_figure_repeated_over_four_bars_is_a_warning_even_transposed() -> None:
    figure = [(62, 0.5), (64, 0.5), (66, 0.5), (67, 1.0), (66, 0.5)]
    up_a_step = [(pitch + 2, length) for pitch, length in figure]
    other = [(69, 0.5), (67, 0.5), (66, 0.5), (64, 1.5)]
    (repeat,) = [f for f in listen(tune([other, figure, figure, up_a_step, figure])) if f.code == "repeated_figure"]
    assert repeat.severity is Severity.WARNING and repeat.location == at("parts", 0, "bars", 1)
    assert "bars 2-5" in repeat.message
    assert "repeated_figure" not in codes(tune([figure, figure, other, figure, figure]))


def test_notes_in_another_key_leave_the_planned_key_unestablished() -> None:
    f_sharp_major = [[(66, 0.5), (68, 0.5), (70, 0.5), (71, 0.5), (73, 0.5), (75, 0.5)],
                     [(77, 0.5), (78, 1.0), (73, 0.5), (70, 0.5), (73, 0.5)],
                     [(77, 0.5), (73, 0.5), (68, 0.5), (66, 1.5)]]
    (key,) = [f for f in listen(tune(f_sharp_major, key="C major")) if f.code == "key_not_established"]
    assert key.owner == "Composer" and key.location == at("key") and "F# major" in key.message
    assert "key_not_established" not in codes(tune(f_sharp_major, key="F# major"))


def test_a_final_half_cadence_where_authentic_is_planned_is_an_error_of_the_harmonist() -> None:
    half = [*C_MAJOR_CHORDS[:5], (76, 72, 67, 48), (74, 71, 67, 55)]  # ... IV I | V
    (cadence,) = [f for f in listen(chorale(half)) if f.code == "cadence_not_heard"]
    assert (cadence.severity, cadence.owner, cadence.location) == (Severity.ERROR, "Harmonist", at("sections", 0))
    assert "authentic cadence in C major" in cadence.message and "a half cadence" in cadence.message
    assert listen(chorale(half, cadence="half")) == []


def test_a_phrase_end_inside_the_piece_that_misses_its_cadence_is_a_warning() -> None:
    sections = [Section(id="a", label="A", bars=2, cadence="half"), Section(id="b", label="B", bars=2,
                                                                           cadence="authentic")]
    (inner,) = [f for f in listen(chorale(sections=sections)) if f.code == "cadence_not_heard"]
    assert (inner.severity, inner.location) == (Severity.WARNING, at("sections", 0))
    assert "sound an authentic cadence" in inner.message


def test_register_range_rests_and_steps_are_held_to_the_style() -> None:
    low_and_wide = [[(50, 0.5), (53, 0.5), (57, 0.5), (60, 0.5), (64, 0.5), (67, 0.5)],
                    [(71, 0.5), (74, 0.5), (77, 0.5), (None, 1.5)],
                    [(79, 0.5), (None, 1.0), (76, 1.5)]]
    findings = {f.code: f for f in listen(tune(low_and_wide))}
    assert findings["melody_out_of_register"].location == at("parts", 0, "bars", 0)
    assert "50, 53, 57, 60" in findings["melody_out_of_register"].message
    assert {"top_voice_range", "too_many_rests", "few_steps"} <= set(findings)
    assert all(f.severity is Severity.WARNING for f in findings.values())


def test_the_report_says_only_what_is_off_the_styles_limits() -> None:
    assert listening_report(chorale()) == f"listening (chorale): {WITHIN_LIMITS}"
    c_minor = [(75, 72, 67, 48), (77, 72, 68, 53), (74, 71, 67, 55), (75, 72, 67, 48), (77, 72, 68, 53),
               (74, 71, 67, 55), (72, 67, 63, 48)]
    report = listening_report(chorale(c_minor))  # the notes sound in C minor, C major is planned
    assert report.splitlines()[0] == "listening (chorale), off the style's limits:"
    assert [line.strip() for line in report.splitlines()[1:]] == [f.message for f in listen(chorale(c_minor))]
    assert "the notes sound in C minor, not the planned C major" in report


def test_the_report_names_at_most_six_findings_and_counts_the_rest() -> None:
    loop = [(74, 0.5), (76, 0.5), (78, 0.5), (62, 0.5), (64, 0.5), (66, 0.5)]  # a 16-semitone leap every bar
    report = listening_report(tune([loop] * 9))
    findings = listen(tune([loop] * 9))
    assert len(findings) > 6 and report.splitlines()[1:7] == [f"  {f.message}" for f in findings[:6]]
    assert report.splitlines()[-1] == f"  and {len(findings) - 6} more"


def test_the_session_validates_with_the_listening_findings_and_the_critics_read_the_report() -> None:
    from pipelines import compose_graph as graph

    steps = [(74, 0.5), (76, 0.5), (78, 0.5), (79, 0.5), (78, 0.5), (76, 0.5)]
    leaping = tune([steps, [(74, 0.5), (76, 0.5), (62, 0.5), (64, 0.5), (66, 0.5), (67, 0.5)], steps[::-1]])
    found = [finding.code for finding in graph.check_piece(leaping)]
    assert found[0] == "top_voice_leap" and "no_final_cadence" in found  # an ontology warning, after the errors
    sections = [Section(id="a", label="A", bars=2, cadence="half"), Section(id="b", label="B", bars=2,
                                                                           cadence="authentic")]
    two_phrases = chorale(sections=sections)
    by_section = graph._section_findings(graph.check_piece(two_phrases), two_phrases)
    assert [(sid, [f.code for f in findings]) for sid, findings in by_section.items()] == [
        ("a", ["cadence_not_heard"])]
    form = graph.describe_form(two_phrases)  # what the critics read: the finding that sends a section back
    assert "section 'a' should close with a half cadence in C major but its closing chords sound" in form
    assert "bar 2: the melody leaps 76->62 (14)" in \
        graph.describe_form(leaping)


def test_the_register_follows_the_melody_not_the_left_hand_heard_while_it_rests() -> None:
    # the melody rests on beats 2-3 of bar 2, where the left hand's chords (top C4, in the waltz's
    # 57-100) are the highest notes sounding
    resting = waltz([[(64, 1.0), (67, 1.0), (72, 1.0)], [(76, 1.0), (None, 2.0)], [(74, 1.0), (71, 1.0), (72, 1.0)]])
    assert min(hear(resting).top_pitches or (0, 0)) == 60  # the top voice does hear the left hand there
    assert hear(resting).out_of_register == [] and "melody_out_of_register" not in codes(resting)
    low = waltz([[(64, 1.0), (67, 1.0), (72, 1.0)], [(76, 1.0), (None, 1.0), (55, 1.0)],
                 [(74, 1.0), (71, 1.0), (72, 1.0)]])
    (finding,) = [f for f in listen(low) if f.code == "melody_out_of_register"]
    assert finding.location == at("parts", 0, "bars", 1) and "55 lies outside 57-100" in finding.message


def test_a_leap_across_a_breath_at_a_phrase_end_is_no_melodic_leap() -> None:
    phrase = [[(72, 1.0), (74, 1.0), (76, 1.0)], [(77, 1.0), (76, 1.0), (74, 1.0)], [(72, 1.0), (71, 1.0), (69, 1.0)]]
    answer = [[(91, 1.0), (89, 1.0), (88, 1.0)], [(86, 1.0), (84, 1.0), (83, 1.0)], [(81, 1.0), (79, 1.0), (77, 1.0)],
              [(72, 3.0)]]
    # the first phrase (bars 1-4) ends on G with a breath; the answer starts two octaves and more above: 67 -> 91
    breathing = waltz([*phrase, [(67, 2.0), (None, 1.0)], *answer])
    assert hear(breathing).leaps == [] and "top_voice_leap" not in codes(breathing)
    # the same leap straight from the held G, without a breath, is one the line must make
    held = waltz([*phrase, [(67, 3.0)], *answer])
    assert [(leap.bar, leap.semitones) for leap in hear(held).leaps] == [(4, 24)]
    # and so is one after a rest inside a phrase (bar 2 is no phrase end)
    inside = waltz([phrase[0], [(67, 2.0), (None, 1.0)], [(91, 1.0), (89, 1.0), (88, 1.0)], [(86, 3.0)],
                    [(84, 3.0)]])
    (leap,) = [f for f in listen(inside) if f.code == "top_voice_leap"]
    assert leap.severity is Severity.ERROR and leap.location == at("parts", 0, "bars", 2)
    assert "the melody leaps 67->91 (24)" in leap.message


def test_a_leap_into_a_return_is_found_in_the_bar_it_leaps_from() -> None:
    """A return's opening is its source's: its repair writes the same first note again, so a leap
    into it belongs to the section before, whose close can move."""
    from ontology.music import Variation

    tune = [[(72, 1.0), (74, 1.0), (76, 1.0)], [(77, 1.0), (76, 1.0), (74, 1.0)]]
    middle = [[(79, 1.0), (81, 1.0), (83, 1.0)], [(84, 3.0)]]  # closes on C6, two octaves over the return's C4
    piece = waltz([*tune, *middle, [(60, 3.0)], *tune[1:]])
    sections = [Section(id="a", label="A", bars=2, cadence="authentic"),
                Section(id="b", label="B", bars=2, cadence="authentic"),
                Section(id="c", label="A'", bars=2, cadence="authentic",
                        variation=Variation(of="a", distance="near"))]
    (leap,) = [f for f in listen(piece.model_copy(update={"sections": sections})) if f.code == "top_voice_leap"]
    assert leap.location == at("parts", 0, "bars", 3) and leap.message.startswith("bar 4: the melody leaps 84->60")
    assert "into A' at bar 5" in leap.message
    fresh = [f for f in listen(piece.model_copy(update={"sections": [*sections[:2], sections[2].model_copy(
        update={"variation": None})]})) if f.code == "top_voice_leap"]
    assert [f.location for f in fresh] == [at("parts", 0, "bars", 4)]  # a new section mends its own first note


def test_a_jigs_cadences_are_read_on_its_beats_and_before_the_eighth_that_leads_back() -> None:
    from pathlib import Path

    # a 16-bar jig a session wrote (examples/compose/jig at aee09c0): a one-eighth pickup, and each
    # strain closing "A C# | D-(2.5) E", the E leading back into the strain's F#; its report had four
    # rounds of cadence repairs for closes that are V -> I
    jig = Piece.model_validate_json((Path(__file__).parent / "data" / "jig_session_piece.json").read_text())
    assert jig.pickup == 0.5 and jig.parts[0].bars[3].voices[0][-1].pitches == [76]
    assert [(end.section_id, end.heard) for end in hear(jig).phrase_ends] == [
        ("s1", "authentic"), ("s2", "authentic"), ("s3", "authentic"), ("s4", "authentic")]
    assert "cadence_not_heard" not in codes(jig)
    # only the lead is left out: an inner strain that moves off its close on the downbeat's second eighth,
    # or the last strain (led in the pickup's eighth) that closes on a held E on beat 2, closes on no cadence
    led_to_e = jig.model_copy(deep=True)
    led_to_e.parts[0].bars[3] = Bar.line((74, 0.5), (76, 2.5))
    led_to_e.parts[0].bars[-1] = Bar.line((74, 1.5), (76, 1.0))
    assert [end.heard for end in hear(led_to_e).phrase_ends] == ["other", "authentic", "authentic", "other"]


def test_a_jigs_inner_strains_are_heard_before_the_beat_that_leads_on() -> None:
    """A jig's inner strains hold their close a dotted quarter and lead on for a beat (`strain_lead`:
    "D5. G F# E", "D5. A."), its last strain in the pickup's eighth. Read before the pickup alone, the
    session 51 example (this piece) heard its first three closes as no cadence, no cadence and a half
    cadence, and its repairs chased them; read as the tools write them, every close is authentic."""
    from pathlib import Path

    jig = Piece.model_validate_json((Path(__file__).parent / "data" / "jig_strain_lead_piece.json").read_text())
    assert jig.style == Style.JIG and jig.pickup == 0.5
    assert [bar.voices[0][-1].duration for bar in (jig.parts[0].bars[3], jig.parts[0].bars[11])] == [0.5, 1.5]
    assert [end.heard for end in hear(jig).phrase_ends] == ["authentic"] * 4
    assert "cadence_not_heard" not in codes(jig)


def test_a_draft_heard_again_is_not_measured_again_and_a_changed_one_is(monkeypatch) -> None:
    from collections import OrderedDict

    from tools.music import listening

    measured: list[Piece] = []
    measure = listening._hear
    monkeypatch.setattr(listening, "_hearings", OrderedDict())
    monkeypatch.setattr(listening, "_hear", lambda piece: measured.append(piece) or measure(piece))
    piece = chorale()
    first = hear(piece)
    assert hear(chorale()) is first and listen(chorale()) == [] and len(measured) == 1  # equal notes: heard once
    piece.key = "G major"  # the caller changes its piece: what was heard of the old one stays as heard
    assert first.piece.key == "C major" and hear(piece) is not first and len(measured) == 2
    assert hear(piece).piece.key == "G major" and "key_not_established" in codes(piece)


def test_pieces_heard_from_many_threads_at_once_keep_the_hearings_whole(monkeypatch) -> None:
    """Review of session 30: the MCP server runs its tools in worker threads, and the hearings kept
    (an ordered dict, its oldest dropped) were changed by two at once: a key another thread had
    just dropped was moved to the end (KeyError). Switching threads every microsecond finds it."""
    import sys
    import threading
    from collections import OrderedDict

    from tools.music import listening

    class Drafted:
        def __init__(self, number: int) -> None:
            self.number = number

        def model_dump_json(self) -> str:
            return str(self.number)

        def model_copy(self, deep: bool) -> Drafted:
            return self

    monkeypatch.setattr(listening, "_hearings", OrderedDict())
    monkeypatch.setattr(listening, "_hear", lambda piece: piece.number)
    failures: list[BaseException] = []

    def hear_many(start: int) -> None:
        try:
            for turn in range(10000):
                assert hear(Drafted((start + turn) % 7)) == (start + turn) % 7  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - the thread's failure is the test's
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=hear_many, args=(start,)) for start in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == [] and len(listening._hearings) <= listening.HEARINGS_KEPT


def test_a_parallel_across_a_join_is_found_whatever_the_style_allows() -> None:
    """Review of session 30: a section written again after the one following it leaves that one's
    first bass led from an ending that is gone. C5-D5-E5 over C3-D3-E3 in two sections: the
    octaves into the second section are found at it (a waltz allows a few elsewhere), those
    within the first are left to the style's allowance."""
    joined = waltz([[(72, 3.0)], [(74, 3.0)], [(76, 3.0)]]).model_copy(update={"sections": [
        Section(id="a", label="A", bars=2, cadence="half"), Section(id="b", label="B", bars=1, cadence="authentic")]})
    joined.parts[1].bars = [Bar.line((48, 3.0)), Bar.line((50, 3.0)), Bar.line((52, 3.0))]
    (finding,) = [f for f in listen(joined) if f.code == "parallels_across_join"]
    assert finding.location == at("sections", 1) and "into section 'b' (bar 3)" in finding.message
    assert all("bar 3" not in f.message for f in listen(joined) if f.code == "parallel_perfects")


def test_a_passage_in_octaves_is_one_line_in_both_hands_not_parallel_voices() -> None:
    """A waltz's planned passage in octaves (`tools.music.styles.octaves`): bar 2's left hand doubles
    the tune two octaves down, note for note, and its parallel octaves (F-E, and D-C out of it) are
    the doubling; the same left hand off the tune's rhythm is two voices again, and their octaves
    are found."""
    melody = [[(72, 3.0)], [(77, 1.0), (76, 1.0), (74, 1.0)], [(72, 3.0)]]
    unison = waltz(melody)
    unison.parts[1].bars[1] = Bar.line((53, 1.0), (52, 1.0), (50, 1.0))
    assert hear(unison).parallels == [] and "parallel_perfects" not in codes(unison)
    apart = waltz(melody)
    apart.parts[1].bars[1] = Bar.line((53, 1.0), (52, 1.5), (50, 0.5))  # E3 under D5: two voices, not one
    assert [(p.bar, p.kind) for p in hear(apart).parallels] == [(1, "octaves"), (2, "octaves")]
