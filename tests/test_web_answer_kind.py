"""The asked kind of fact: a claim that is quoted and entailed but does not state what the question asks
(a funeral crowd for "when", a year for "where") is dropped; one that does is kept."""

from __future__ import annotations

import pytest

from tools.web.answer_kind import asked_category, asked_kinds, states_kind, unasked
from tools.web.grounding import ground_answer


@pytest.mark.parametrize(("question", "kinds"), [
    ("When did the composer of the Moonlight Sonata die?", {"date"}),
    ("In which year was the Eiffel Tower finished?", {"date"}),
    ("Where did Beethoven die?", {"name"}),
    ("Who composed the piece named in the clip, and in which year did the composer die?", {"name", "date"}),
    ("How many people attended the funeral?", {"number"}),
    ("What instrument plays the melody of The Swan?", {"instrument"}),
    ("In what key is the Moonlight Sonata?", {"key"}),
    ("What was the name of the cat that lived at the post office?", {"name"}),
    ("What was the temperature at noon on 3 March 2021 in the village mentioned in the clip?", {"number"}),
    ("What is the equatorial diameter, in kilometres, of the planet named in the clip?", {"number"}),
    ("At what tempo, in beats per minute, is the theme in this clip played?", {"number"}),
    ("What is this song about?", set()),
])
def test_the_question_s_wording_says_what_kind_of_fact_it_asks(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(("claim", "question", "states"), [
    ("Beethoven died on 26 March 1827.", "When did Beethoven die?", True),
    ("He died in 1827.", "When did Beethoven die?", True),
    ("Some 10,000 to 20,000 people lined the streets for his funeral.", "When did Beethoven die?", False),
    ("Beethoven died in Vienna.", "Where did Beethoven die?", True),
    ("Beethoven died in 1827.", "Where did Beethoven die?", False),
    ("Beethoven died.", "Where did Beethoven die?", False),  # the question's own name is not an answer
    ("The melody is played by a solo cello.", "What instrument plays the melody of The Swan?", True),
    ("The Swan is the thirteenth movement.", "What instrument plays the melody of The Swan?", False),
    ("It is in C-sharp minor.", "In what key is the Moonlight Sonata?", True),
    ("Some 20,000 people attended.", "How many people attended the funeral?", True),
    ("The Eiffel Tower was finished in 1889.", "When was the Eiffel Tower finished?", True),
    ("The table gives typical monthly mean temperatures for the village, averaged over many years.",
     "What was the temperature at noon on 3 March 2021 in the village?", False),
    ("It was 1.4 degrees Celsius.", "What was the temperature at noon on 3 March 2021 in the village?", True),
])
def test_a_claim_states_the_asked_kind_only_with_a_fact_the_question_does_not_give(
        claim: str, question: str, states: bool) -> None:
    assert any(states_kind(claim, kind, question) for kind in asked_kinds(question)) is states


@pytest.mark.parametrize(("question", "category"), [
    ("In which museum does the painting named in the clip hang?", "museum"),
    ("What was the name of the cat that lived at the post office?", "cat"),
    ("Which symphony contains the melody?", "symphony"),
    ("Which architect designed it?", ""), ("Which two countries share Mount Everest?", ""),
    ("In which year was it built?", ""), ("What was the temperature at noon?", ""), ("What kind of music is it?", ""),
])
def test_a_question_may_ask_which_member_of_a_category(question: str, category: str) -> None:
    assert asked_category(question) == category


def test_a_claim_or_its_spans_must_say_the_category_asked() -> None:
    """Session 32's text run answered "which museum" with the painting's description, no museum named."""
    question = "In which museum does the Mona Lisa hang?"
    described = "The Mona Lisa is a half-length portrait painting by the Italian artist Leonardo da Vinci."
    assert unasked(described, question, spans=[described]) == (
        "neither it nor its sources say which museum, which the question asks for")
    hangs = "The painting hangs in the Louvre in Paris, where it has been part of the museum's collection."
    assert unasked("The Mona Lisa hangs in the Louvre.", question, spans=[hangs]) == ""
    assert ground_answer(described, [described], question=question).text is None
    assert ground_answer("The Mona Lisa hangs in the Louvre.", [hangs], given=question,
                         question=question).text is not None



def test_the_reason_names_what_the_question_asks_for() -> None:
    assert unasked("The funeral was large.", "When did Beethoven die?") == (
        "it states no date or year, which the question asks for")
    assert unasked("It is a sonata.", "What is this song about?") == ""


def test_grounding_drops_an_entailed_claim_that_does_not_answer_and_keeps_the_one_that_does() -> None:
    spans = ["Beethoven died in Vienna on 26 March 1827.",
             "Some 10,000 to 20,000 people lined the streets for his funeral."]
    question = "When did Beethoven die?"
    answer = " ".join(spans)
    result = ground_answer(answer, spans, question, question=question)
    assert result.text == "Beethoven died in Vienna on 26 March 1827."
    assert result.off_question == ["it states no date or year, which the question asks for"]
    off = ground_answer("Some 10,000 to 20,000 people lined the streets for his funeral.", spans, question,
                        question=question)
    assert off.text is None
    unchecked = ground_answer("Some 10,000 to 20,000 people lined the streets for his funeral.", spans, question)
    assert unchecked.text is not None  # without the question nothing checks what kind of fact it states


@pytest.mark.parametrize("question", [
    "Which instrument plays the melody of the piece in this clip?", "What is playing in this clip?",
    "Who plays the solo?", "What tempo and key is this in, and is it sung?", "How fast is it?",
    "In what key is the Moonlight Sonata?", "Who holds the key to the city?", "What year was it played?",
])
def test_the_listener_shows_its_findings_on_exactly_the_instrument_and_key_the_answer_must_state(question: str) -> None:
    from tools.audio.findings import asked_topics

    topics, kinds = asked_topics(question), asked_kinds(question)
    assert ("instrument" in topics) is ("instrument" in kinds)
    assert ("key" in topics) is ("key" in kinds)
    assert "tempo" not in topics or "number" in kinds


@pytest.mark.parametrize(("claim", "question", "states"), [
    # "which two countries": two country names, not any name (session 28's everest answer)
    ("Mount Everest is the highest mountain above sea level in the Mahalangur Himal sub-range of the Himalayas.",
     "Which two countries share Mount Everest?", False),
    ("The border between Nepal and China runs across its summit point.", "Which two countries share Mount Everest?",
     True),
    ("The mountain lies in Nepal.", "Which two countries share Mount Everest?", False),
    ("The Great Wall is in China.", "In which country is the Great Wall?", True),
    ("The Great Wall crosses the Gobi Desert.", "In which country is the Great Wall?", False),
    # "who": a name that can be a person's, not a work's title
    ("The novel is Moby-Dick; or, The Whale", "Who wrote the novel this clip reads from?", False),
    ("Moby-Dick was written by Herman Melville.", "Who wrote the novel this clip reads from?", True),
    ("Melville wrote it in 1851.", "Who wrote the novel?", True),
    ("It was written by Melville.", "Who wrote the novel?", True),
    ("Mozart", "Who composed the piece named in the clip?", True),  # a bare name is the whole answer
    ("Moby-Dick is a novel.", "Who wrote the novel?", False),
    ("It was commissioned in 1632 by the Mughal emperor Shah Jahan.", "Which emperor commissioned the Taj Mahal?",
     True),
    ("The Taj Mahal stands in Agra, India.", "Which emperor commissioned the Taj Mahal?", False),
    ("It stands beside the Statue of Liberty.", "Who designed the bridge?", False),
    ("The Sydney Opera House is an arts centre on Bennelong Point in Sydney Harbour, Australia.",
     "Which architect designed the building named in the clip?", False),  # places, not a person
    ("Beethoven died in Vienna.", "Where did Beethoven die?", True),  # where: any name, a place
    # people and performers, written as answers name them
    ("The composer was Beethoven.", "Who composed the Moonlight Sonata?", True),
    ("Its composer was Beethoven.", "Who composed the Moonlight Sonata?", True),
    ("The singer is Adele.", "Who sings the song?", True),
    ("Adele sings it.", "Who sings the song?", True),
    ("The song was recorded by The Beatles in 1965.", "Who recorded the song?", True),  # a band
    ("It was recorded by the band Radiohead.", "Who recorded the song?", True),
    ("Catherine of Aragon was his first wife.", "Who was his first wife?", True),
    ("It was founded by Alexander the Great.", "Who founded the city?", True),
    ("Mungo Park explored the Niger.", "Who explored the Niger?", True),
    ("Frederic Edwin Church painted it.", "Who painted the picture?", True),
    # still a place or a work
    ("The novel is Moby-Dick; or, The Whale", "Who wrote the novel?", False),
    ("It stands in Hyde Park.", "Who designed the bridge?", False),
    ("It was modelled on the Statue of Liberty.", "Who designed the statue?", False),
    ("The song is The Beatles' best.", "Who wrote the novel?", False),
    ("The Sydney Harbour Bridge opened in 1932.", "Who designed the bridge?", False),
    # a day or a month is no name (session 32's ashcombe-cat, unanswerable, was answered with this sentence)
    ("The post office and general store on the green has been run by the same family since 1962 and also serves as "
     "the village's cafe on Saturday mornings.", "What was the name of the cat that lived at the post office?", False),
    ("The cat at the post office was called Saturday Smith.", "What was the name of the cat?", True),
])
def test_a_name_answer_must_be_of_the_asked_type_and_count(claim: str, question: str, states: bool) -> None:
    assert any(states_kind(claim, kind, question) for kind in asked_kinds(question)) is states


def test_the_reason_names_the_type_and_count_of_names_asked_for() -> None:
    assert unasked("It lies in the Himalayas.", "Which two countries share Mount Everest?") == (
        "it states no two country names, which the question asks for")
    assert unasked("The novel is Moby-Dick.", "Who wrote it?") == (
        "it states no person's name, which the question asks for")


def test_a_relative_who_asks_for_no_person() -> None:
    """"the man *who* composed the sonata" names the subject; the question asks only for its year."""
    assert asked_kinds("In which year did the man who composed the Moonlight Sonata die?") == {"date"}
    assert asked_kinds("Do you know who composed the Moonlight Sonata?") == {"name"}
    assert asked_kinds("Who composed it, and when did the man die?") == {"name", "date"}


def test_what_the_clip_said_is_given_but_asks_nothing() -> None:
    """The heard words' facts are no answer, but they never change which names the question asks for."""
    question = "Which two countries share Mount Everest?"
    claim = "Mount Everest lies in the Mahalangur Himal of the Himalayas."
    assert not states_kind(claim, "name", question, "This is where Mount Everest rises.")
    assert not states_kind("It lies in Nepal and China.", "name", question, "between Nepal and China")
    assert states_kind("It lies in Nepal and China.", "name", question, "This is where Mount Everest rises.")


@pytest.mark.parametrize(("claim", "states"), [
    ("The summit lies on Nepal's border with China.", True),
    ("It lies in Côte d'Ivoire and Türkiye.", True),
    ("It is shared by the U.S. and Canada.", True),
    ("It is shared by America and Mexico.", True),
    ("It lies in the Democratic Republic of the Congo and Uganda.", True),
    ("It lies in South America and Mexico.", False),
    ("A turkey and china plates.", False),
])
def test_countries_are_counted_as_a_claim_writes_them(claim: str, states: bool) -> None:
    assert states_kind(claim, "name", "Which two countries share the mountain?") is states


def test_names_asked_are_counted_across_the_answer_s_claims() -> None:
    """Each claim names one of the two countries asked for; neither is dropped, and one naming none still is."""
    from tools.web.entailment import SpanRules

    question = "Which two countries share Mount Everest?"
    spans = ["The mountain lies in Nepal.", "It also lies in China.", "It is very high."]
    kept = ground_answer("The mountain lies in Nepal. It also lies in China.", spans, question, SpanRules(), question)
    assert kept.text == "The mountain lies in Nepal. It also lies in China."
    alone = ground_answer("The mountain lies in Nepal. It is very high.", spans, question, SpanRules(), question)
    assert alone.text is None
