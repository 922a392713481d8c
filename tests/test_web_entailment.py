"""The entailment check: the deterministic span rules reject negations, spliced table rows, a value of
another event, hedges and added qualifiers, and keep what the spans state; the language-model checker
asks one narrow, schema-constrained yes/no."""

from __future__ import annotations

import json

import dspy
import pytest

from agents.entailment import LMEntailment, entailment_checker
from agents.lm.testing import ScriptedEngine, scripted_lm
from tools.settings import REPO_ROOT
from tools.web.entailment import SpanRules, table_statements, topic_words
from tools.web.grounding import ground_answer
from tools.web.stems import stem

RULES = SpanRules()
COMPOSERS = ["Composer | Born | Died", "Mozart | 1756 | 1791", "Beethoven | 1770 | 1827"]
DEATH = "Beethoven died in Vienna on 26 March 1827"


def entailed(claim: str, *spans: str, given: str = "") -> bool:
    return RULES.check(claim, list(spans), given).entailed


@pytest.mark.parametrize(("claim", "span"), [
    ("Beethoven did not die in Vienna.", DEATH),
    ("The sonata was not published in 1802.", "The sonata was published in 1802"),
    ("Mozart finished his Requiem in 1791.", "Mozart did not finish his Requiem; he died in December 1791"),
    ("Sydney is the capital of Australia.", "Sydney is the largest city in Australia, but it is not the capital"),
    ("Chopin died in Warsaw.", "Chopin was born near Warsaw but did not die there; he died in Paris in 1849"),
    ("Bach travelled to England.", "Unlike Handel, Bach never travelled to England"),
    ("The Beatles played at Woodstock.", "The Beatles didn't play at Woodstock"),
])
def test_a_negated_claim_or_a_negated_span_fails(claim: str, span: str) -> None:
    assert not entailed(claim, span)


def test_a_negation_elsewhere_in_the_span_is_no_objection() -> None:
    assert entailed("Beethoven died in Vienna in 1827.", "Beethoven, who never married, died in Vienna in 1827")
    assert entailed("The Titanic did not carry enough lifeboats.", "The Titanic did not carry enough lifeboats")


def test_the_no_of_a_catalogue_number_is_no_negation() -> None:
    span = "Beethoven's Symphony No. 9 premiered in Vienna in 1824"
    assert entailed("Beethoven's symphony premiered in Vienna in 1824.", span)
    assert not entailed("Beethoven's symphony never premiered in Vienna in 1824.", span)
    assert not entailed("Beethoven's Symphony No. 9 did not premiere in Vienna in 1824.", span)
    assert entailed("Symphony No 9 premiered in 1824.", "Symphony No. 9 premiered in 1824")
    assert entailed("Symphony No. 9 premiered in 1824.", "Symphony No 9 premiered in 1824")
    assert not entailed("Symphony No 9 did not premiere in 1824.", "Symphony No. 9 premiered in 1824")
    assert not entailed("An 18th-century composer wrote it in 1824.", "No 18th-century composer wrote it in 1824")


def test_quoted_and_hyphenated_words_are_covered_by_their_plain_forms() -> None:
    assert entailed("Satie wrote the 'Gymnopédies' in 1888.", "Satie wrote the Gymnopédies in 1888")
    assert entailed("Saint-Saëns wrote the swan in 1886.", "Saint Saëns wrote the swan in 1886")
    assert entailed("Saint Saëns wrote the swan in 1886.", "Saint-Saëns wrote the swan in 1886")
    assert not entailed("Saint-Saëns wrote the swan in 1886.", "Saint Paul wrote the swan in 1886")


def test_a_sentence_ending_in_a_lone_capital_is_not_joined_to_the_next() -> None:
    """"World War I." once read as an initial, so one statement held both the war and the year."""
    assert not entailed("Ravel wrote Bolero in 1928.", "Ravel wrote it in World War I. Bolero came in 1928.")
    assert entailed("Bolero came in 1928.", "Ravel wrote it in World War I. Bolero came in 1928.")


@pytest.mark.parametrize("claim", ["Mozart died in 1827.", "Beethoven was born in 1756.", "Mozart was born in 1827.",
                                   "Beethoven died in 1791."])
def test_table_rows_spliced_together_fail(claim: str) -> None:
    assert not entailed(claim, *COMPOSERS)


def test_a_quoted_row_read_against_its_header_states_its_own_cells() -> None:
    assert entailed("Mozart died in 1791.", *COMPOSERS) and entailed("Beethoven was born in 1770.", *COMPOSERS)
    assert not entailed("Beethoven died in 1770.", *COMPOSERS)  # the right row, the wrong column
    assert table_statements(COMPOSERS[:2]) == ["Composer; Born; Died",
                                               "Composer Mozart Born 1756; Composer Mozart Died 1791"]
    assert not entailed("Mozart died in 1791.", "Mozart | 1756 | 1791")  # without the header no column is known


PLANETS = ["Planet | Equatorial diameter (km) | Known rings", "Jupiter | 142,984 | yes", "Saturn | 120,536 | yes",
           "Mercury | 4,879 | no"]
SIZE = "What is the equatorial diameter, in kilometres, of the planet named in the clip?"


def test_a_row_states_its_columns_of_its_first_cell() -> None:
    """Session 29's saturn item: the header row gives the predicate, the row's first cell its subject, so
    "Saturn | 120,536" under "Planet | Equatorial diameter (km)" states the diameter of Saturn."""
    assert entailed("The equatorial diameter of Saturn is 120,536 km.", PLANETS[0], PLANETS[2], given=SIZE)
    assert entailed("The equatorial diameter of Saturn is 120,536 km.", *PLANETS, given=SIZE)
    assert not entailed("The equatorial diameter of Saturn is 142,984 km.", *PLANETS, given=SIZE)  # Jupiter's row
    assert not entailed("The equatorial diameter of Saturn is 120,536 km.", PLANETS[2], given=SIZE)  # no header
    assert not entailed("Mercury has known rings.", PLANETS[0], PLANETS[3])  # its cell says no


@pytest.mark.parametrize(("claim", "span"), [
    ("Rembrandt died in 1606.", "Rembrandt was born in 1606"),
    ("Rembrandt died in 1606.", "Rembrandt was born on 15 July 1606 in Leiden and died on 4 October 1669"),
    ("The Moonlight Sonata was published in 1801.", "The Moonlight Sonata was composed in 1801 and published in 1802"),
    ("Mozart was born in Vienna.", "Mozart was born in Salzburg and died in Vienna"),
    ("A piano has 88 keys, 52 of them black.", "Most modern pianos have 88 keys: 52 white and 36 black"),
])
def test_a_value_stated_of_another_event_fails(claim: str, span: str) -> None:
    assert not entailed(claim, span)


@pytest.mark.parametrize(("claim", "span"), [
    ("Columbus was born in Genoa.", "Columbus was probably born in Genoa, although other birthplaces are proposed"),
    ("The Toy Symphony was written by Leopold Mozart.", "The Toy Symphony may have been written by Leopold Mozart"),
    ("The Adagio was composed by Albinoni.", "The Adagio is attributed to Albinoni"),
])
def test_a_hedged_span_does_not_state_a_certain_claim(claim: str, span: str) -> None:
    assert not entailed(claim, span)
    assert entailed("Beethoven probably died in Vienna.", DEATH)  # a hedged claim of a certain span says less


def test_an_answer_restating_how_the_question_points_at_the_clip_is_covered() -> None:
    """Session 29's opera: "... designed the building named in the clip" was dropped for "named"; the phrase is
    excused only when the question has it, and the claim's own predicates still need the spans."""
    span = ["The Sydney Opera House was designed by the Danish architect Jorn Utzon and opened in 1973."]
    question = "Which architect designed the building named in the clip?"
    rules = SpanRules()
    assert rules.check("The Danish architect Jorn Utzon designed the building named in the clip.", span,
                       question).entailed
    assert not rules.check("Jorn Utzon designed and built the building named in the clip.", span, question).entailed
    assert not rules.check("Jorn Utzon designed the building named in the clip.", span,
                           "Which architect designed it?").entailed


def test_a_claim_s_own_predicate_is_never_excused_as_the_question_s_clip_phrase() -> None:
    """"Glenn Gould played in the clip" asserts that he played, which a birth record does not state, though
    the question points at "the pianist heard in the clip": only that phrase after that noun is excused."""
    rules = SpanRules()
    birth = ["Glenn Gould was born in Toronto in 1932."]
    question = "Who is the pianist heard in the clip?"
    assert not rules.check("Glenn Gould played in the clip.", birth, question).entailed
    assert rules.check("The pianist heard in the clip is Glenn Gould.", ["The pianist Glenn Gould was born in 1932."],
                       question).entailed
    opera = ["The Sydney Opera House was designed by Jorn Utzon."]
    architect = "Which architect designed the building named in the clip?"
    assert not rules.check("Jorn Utzon played in the clip.", opera, architect).entailed


def test_the_month_may_is_no_hedge() -> None:
    """Session 28's brooklyn: "opened on 24 May 1883" was read as hedged by the word "may"."""
    span = "Construction began in 1869, and the bridge opened on 24 May 1883."
    rules = SpanRules()
    question = "In which year did the Brooklyn Bridge open?"
    assert rules.check("The Brooklyn Bridge opened in 1883.", [span], question).entailed
    assert not rules.check("The bridge opened on 24 May 1883.", ["The bridge may have opened on 24 May 1883."]).entailed
    assert rules.check("The bridge may have opened on 24 May 1883.", [span]).entailed  # hedged claim: says less


@pytest.mark.parametrize(("text", "hedged"), [
    ("The bridge opened in May.", False), ("May 1883 saw the bridge open.", False),
    ("The bridge opened on 24 May 1883.", False), ("May it open soon.", True),
    ("The bridge may have opened in May.", True), ("Beethoven may 1827 have died.", True),
    ("It may, 1867 records suggest, have burned.", True),
])
def test_may_is_the_month_only_capitalised_mid_sentence_or_in_a_date(text: str, hedged: bool) -> None:
    """The review's brooklyn: "The bridge opened in May." read as hedged turned the certainty rule off, and a
    case-blind date ate a lower-case modal ("may 1827")."""
    from tools.web.entailment import _hedged

    assert _hedged(text) is hedged
    if not hedged:
        assert not SpanRules().check("The bridge opened in May.",
                                     ["The bridge may have opened in May, though some say June."]).entailed


@pytest.mark.parametrize("claim", ["Beethoven died peacefully in Vienna in 1827.",
                                   "Beethoven died in Vienna on 26 March 1827 after a long illness.",
                                   "Beethoven died in his home in Vienna in 1827."])
def test_an_added_qualifier_or_part_the_span_leaves_unsaid_fails(claim: str) -> None:
    assert not entailed(claim, DEATH)


def test_what_the_spans_state_passes_in_their_words_or_the_questions() -> None:
    assert entailed("Beethoven died in Vienna on 26 March 1827.", DEATH)
    assert entailed("The Moonlight Sonata was composed by Beethoven.",
                    "The Piano Sonata No. 14, known as the Moonlight Sonata, was composed by Ludwig van Beethoven")
    assert entailed("Bach was born in Eisenach and died in Leipzig.", "Bach was born in Eisenach in 1685",
                    "Bach died in Leipzig on 28 July 1750")  # two quotes, each stating its clause
    assert entailed("The composer of the Moonlight Sonata died in 1827.", "the composer died in 1827",
                    given="When did the composer of the Moonlight Sonata die?")
    assert entailed("Mozart died in Vienna.", "died in Vienna", given='speech: "a sonata by Mozart"')
    assert not entailed("Beethoven died in Vienna on 26 March 1827.", "Beethoven died in Vienna",
                        "on 26 March 1827, at the age of 56")  # a date quoted apart from whose it is


def test_plain_inflections_stem_alike_and_irregular_forms_do_not() -> None:
    assert stem("compose") == stem("composed") == stem("composer") == stem("composers")
    assert stem("died") == stem("dies") == stem("die")
    assert stem("born") != stem("birth")


def test_ground_answer_drops_the_claims_the_spans_do_not_entail_and_says_why() -> None:
    spans = [DEATH, "Mozart did not die in Salzburg"]
    grounded = ground_answer("Beethoven died in Vienna in 1827. Mozart died in Salzburg.", spans, checker=RULES)
    assert grounded.text == "Beethoven died in Vienna in 1827."
    assert grounded.reasons() == ["dropped the claim 'Mozart died in Salzburg.': the quoted source spans do not "
                                  "entail it (the spans and the claim differ in negation)"]
    assert ground_answer("Mozart died in Salzburg.", spans).text is not None  # the facts alone let it through
    assert ground_answer("Mozart died in Salzburg.", spans, checker=RULES).text is None


def test_the_checker_is_not_asked_about_a_claim_whose_facts_are_missing() -> None:
    engine = ScriptedEngine(json.dumps({"verdict": {"stated": "yes"}}))
    with dspy.context(lm=scripted_lm(engine)):
        grounded = ground_answer("Beethoven died in Bonn. Beethoven died in Vienna.", [DEATH], checker=LMEntailment())
    assert grounded.text == "Beethoven died in Vienna." and len(engine.requests) == 1


@pytest.mark.parametrize(("said", "kept"), [("yes", True), ("no", False)])
def test_the_language_model_is_asked_one_constrained_yes_or_no(said: str, kept: bool) -> None:
    engine = ScriptedEngine(json.dumps({"verdict": {"stated": said}}))
    with dspy.context(lm=scripted_lm(engine)):
        verdict = LMEntailment().check("Rembrandt died in 1606.", ["Rembrandt was born in 1606"])
    assert verdict.entailed is kept
    request = engine.requests[0]
    prompt = request.messages[-1].text
    assert '"Rembrandt was born in 1606"' in prompt and "Rembrandt died in 1606." in prompt
    schema = json.dumps(request.config.response_format["schema"])
    assert '"yes"' in schema and '"no"' in schema  # decoding is held to the two answers


def test_the_checker_is_chosen_by_name() -> None:
    assert isinstance(entailment_checker("rules"), SpanRules)
    assert isinstance(entailment_checker("lm"), LMEntailment)


def test_the_rules_reject_every_negation_and_splice_of_the_labelled_set() -> None:
    lines = (REPO_ROOT / "bench" / "entailment_set.jsonl").read_text(encoding="utf-8").splitlines()
    pairs = [json.loads(line) for line in lines[1:]]  # the first line says how the set was made
    assert len(pairs) >= 120
    must_fail = [p for p in pairs if p["kind"] in ("negation", "splice", "splice_fragments") and p["label"] == "not"]
    assert len(must_fail) >= 25
    passed = [p["id"] for p in must_fail
              if ground_answer(p["claim"], p["spans"], p["question"], checker=RULES).text is not None]
    assert passed == []


def test_the_question_s_topic_words_count_as_covered_but_not_its_predicates() -> None:
    question = "When did the composer of the Moonlight Sonata die?"
    claim = "The composer of the Moonlight Sonata died in Vienna on 26 March 1827."
    assert entailed(claim, DEATH, given=question)
    assert not entailed(claim, DEATH)  # no span says 'composer', and without the question nothing does
    swan = "What instrument plays the melody of The Swan?"
    assert entailed("The melody of The Swan is played by a solo cello.", "The Swan is played by a solo cello",
                    given=swan)
    jaws = "Jaws is a 1975 American thriller film directed by Steven Spielberg"
    assert not entailed("Steven Spielberg wrote and directed Jaws.", jaws, given="Who wrote and directed Jaws?")
    heard = "Who was born in Bonn?\nheard: the composer of the Moonlight Sonata spoke of Vienna"
    assert not entailed("The composer of the Moonlight Sonata died in Vienna on 26 March 1827.", DEATH, given=heard)
    # the clip's speech (untrusted) names no topic: only the question, given's first line, does
    saturn = "What is the equatorial diameter, in kilometres, of the planet named in the clip?"
    rings = "the main rings reach about 140,000 km from the planet's centre"  # the bench's saturn item
    assert not entailed("The equatorial diameter of Saturn is approximately 140,000 km.", rings, given=saturn)


@pytest.mark.parametrize(("question", "topics"), [
    ("When did the composer of the Moonlight Sonata die?", {"compos", "moonlight", "sonata"}),
    ("What instrument plays the melody of The Swan?", {"instrument", "melody", "swan"}),
    ("How many people attended the premiere?", {"peopl", "premier"}),
    ("What is the equatorial diameter of Saturn?", {"equatorial"}),  # a measured quantity is never a topic
    ("Who wrote and directed Jaws?", set()),
    ("Which composer was born in Bonn?", {"compos"}),
])
def test_topic_words_are_the_question_s_noun_phrases(question: str, topics: set[str]) -> None:
    assert topic_words(question) == topics


GREAT_WALL = ("The Great Wall of China is a series of fortifications built across the historical northern borders of "
              "ancient Chinese states and Imperial China to protect against nomadic groups from the Eurasian Steppe.")
TAJ_MAHAL = "The Taj Mahal is an ivory-white marble mausoleum on the right bank of the river Yamuna in Agra, India."


@pytest.mark.parametrize(("claim", "span", "entailed"), [
    # session 29's wall: dropped for "located"; a span that puts the subject in the place states it
    ("The Great Wall of China is located in China.", GREAT_WALL, True),
    ("The Taj Mahal is situated in Agra, India.", TAJ_MAHAL, True),
    ("The Taj Mahal lies in India.", TAJ_MAHAL, True),
    # the place is beside it, seen from it, another thing's, or another clause's subject's
    ("Monaco is located in France.", "Monaco lies on the Mediterranean coast next to the border with France.", False),
    ("Mount Kilimanjaro is located in Kenya.", "Mount Kilimanjaro, in Tanzania, is visible from Kenya.", False),
    ("The Eiffel Tower is located in London.", "The Eiffel Tower in Paris was taller than any building in London.",
     False),
    ("Big Ben is located in Paris.", "Big Ben, a bell in London, rang for the visit of the mayor of Paris.", False),
    ("The Eiffel Tower is located in Las Vegas.",
     "The Eiffel Tower was built for the exhibition in Paris, and a copy stands in Las Vegas.", False),
    ("The Colosseum is located in Rome.", "The Colosseum is not in Rome but in a film set.", False),
    ("Mount Everest is located in Nepal and China.",
     "The border between Nepal and China runs across the Mount Everest summit.", False),
])
def test_a_location_predicate_is_stated_by_a_span_that_puts_the_subject_in_the_place(
        claim: str, span: str, entailed: bool) -> None:
    question = "In which country is the landmark mentioned in the clip?"
    assert SpanRules().check(claim, [span], question).entailed is entailed


@pytest.mark.parametrize(("claim", "spans", "question"), [
    # session 32's sydney: "held" under the column "Host city"
    ("The Summer Olympic Games were held in Sydney in 2000.",
     ["2000 | Sydney | Australia", "Year | Host city | Country"],
     "In which year did Sydney host the Summer Olympic Games?"),
    ("Beethoven died in 1827.", ["Beethoven's death in 1827 was mourned across Vienna"], ""),
    ("Mozart was born in Salzburg.", ["Mozart's birth in Salzburg in 1756 was recorded by his father"], ""),
    ("Moby-Dick was written by Herman Melville.", ["Herman Melville, the author of Moby-Dick, lived in New York"], ""),
    ("Alexander Fleming discovered penicillin in 1928.", ["The discovery of penicillin by Alexander Fleming in 1928"],
     ""),
    ("The Brooklyn Bridge was built in 1883.", ["The construction of the Brooklyn Bridge ended in 1883"], ""),
])
def test_a_relation_word_is_stated_by_a_word_of_its_family(claim: str, spans: list[str], question: str) -> None:
    """The anchor and coverage rules read a relation's derivations and synonyms (`tools.web.relations`)."""
    assert entailed(claim, *spans, given=question)


@pytest.mark.parametrize(("claim", "span"), [
    ("Mozart died in Salzburg.", "Mozart's birth in Salzburg in 1756 was recorded by his father"),
    ("Mozart was born in 1791.", "Mozart's death in 1791 was mourned across Vienna"),
    ("Sydney hosted the Games in 2000.", "Sydney built a stadium in 2000"),
    ("Herman Melville wrote Moby-Dick in 1851.", "Herman Melville discovered Moby-Dick in 1851"),
])
def test_a_word_of_another_relation_family_still_states_another_event(claim: str, span: str) -> None:
    assert not entailed(claim, span)


def test_a_question_s_topic_word_is_no_word_of_a_relation_family() -> None:
    """"the *building* named in the clip" names the subject; "built" is a claim the spans must state."""
    span = "The Sydney Opera House was designed by the Danish architect Jorn Utzon and opened in 1973."
    question = "Which architect designed the building named in the clip?"
    assert not entailed("Jorn Utzon designed and built the building named in the clip.", span, given=question)
    assert entailed("Jorn Utzon was the architect who designed the Sydney Opera House.", span, given=question)


def test_a_table_row_states_its_values_of_what_it_names_not_of_a_name_the_question_gave() -> None:
    """The question gives "Sydney" (no span needed), and the Melbourne row's year is Melbourne's: before, "Sydney
    hosted the Summer Olympic Games in 1956." passed on it, as the given name tied nothing."""
    rows = ["1956 | Melbourne | Australia", "Year | Host city | Country"]
    question = "In which year did Sydney host the Summer Olympic Games?"
    assert not entailed("Sydney hosted the Summer Olympic Games in 1956.", *rows, given=question)
    assert not entailed("The Summer Olympic Games were held in Sydney in 1956.", *rows, given=question)
    assert entailed("Sydney hosted the Summer Olympic Games in 2000.", "2000 | Sydney | Australia", rows[1],
                    given=question)
    assert entailed("The equatorial diameter is 120,536 km.", "Saturn | 120,536", "Planet | Equatorial diameter (km)",
                    given="What is the equatorial diameter of the planet named in the clip?")  # names nothing
