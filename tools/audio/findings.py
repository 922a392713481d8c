"""What the listener heard, as sentences an answer may cite like a web source.

"Which instrument plays in this clip?" is answered by listening, not by a web page. The listener's
findings (musicnn's tags, the key, the tempo, the detected language) become one-line statements,
each worded as an answer would restate it ("The listener heard bowed strings playing in the clip")
with its likelihood, and the AudioRAG Answerer may cite them as a numbered source marked "heard". A
finding the listener is not sure of (below `HEARD_MIN_SCORE`) is not offered: a citation is a claim
of fact. Instruments are stated by family, from `HEARD_INSTRUMENT_MIN_SCORE`: on General MIDI clips
(`bench/music_tags.py`) musicnn names a cello, a string section and a flute "violin" with scores up
to 0.84, and a harp "guitar", so a single instrument's name would be a confident wrong citation,
while the family of its strongest tag was right in 24 of 25 clips from 0.5.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from tools.settings import HEARD_INSTRUMENT_MIN_SCORE, HEARD_MIN_SCORE
from tools.web.answer_kind import ASKS_INSTRUMENT, ASKS_KEY, ASKS_TEMPO

if TYPE_CHECKING:
    from tools.audio.tagging.tags import MusicTag
    from tools.audio.tool import AudioObservation

Topic = Literal["instrument", "genre", "vocals", "tempo", "key", "language"]

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch", "la": "Latin", "ru": "Russian", "pl": "Polish",
                  "sv": "Swedish", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic"}

_ASKED: dict[Topic, re.Pattern[str]] = {  # instrument, tempo and key as the answer's kind reads them
    "instrument": ASKS_INSTRUMENT,
    "genre": re.compile(r"\bgenre|\bstyle\b|\bkind of music\b|\btype of music\b", re.IGNORECASE),
    "vocals": re.compile(r"\bvocal|\bsing(?:s|er|ing)?\b|\bsung\b|\bvoices?\b|\binstrumental\b", re.IGNORECASE),
    "tempo": ASKS_TEMPO,
    "key": ASKS_KEY,
    "language": re.compile(r"\blanguage\b|\bspoken in\b", re.IGNORECASE),
}


INSTRUMENT_FAMILIES: dict[str, str] = {
    "violin": "bowed strings", "cello": "bowed strings", "strings": "bowed strings",
    "guitar": "plucked strings", "harp": "plucked strings", "sitar": "plucked strings",
    "piano": "a keyboard instrument", "harpsichord": "a keyboard instrument",
    "flute": "a flute", "synth": "a synthesizer", "drums": "drums",
}
"""What a citable finding says for each of musicnn's instrument tags: the family the tagger tells apart."""


class Finding(BaseModel):
    """One thing the listener heard, worded as a citable statement, with how sure it was."""

    topic: Topic
    text: str
    score: float


def asked_topics(question: str) -> set[Topic]:
    """The clip's properties a question asks about (instrument, genre, vocals, tempo, key, language)."""
    return {topic for topic, pattern in _ASKED.items() if pattern.search(question)}


def relevant_findings(findings: list[Finding], question: str) -> list[Finding]:
    """The findings on what `question` asks about the clip; none when it asks about none of them."""
    topics = asked_topics(question)
    return [finding for finding in findings if finding.topic in topics]


def listener_findings(observation: AudioObservation, min_score: float = HEARD_MIN_SCORE) -> list[Finding]:
    """The observation's findings at or above `min_score` (tags' likelihoods, the key's and the tempo's
    confidences, the detector's language probability), as statements."""
    found: list[Finding] = []
    tags = observation.music_tags
    if tags is not None:
        found += instrument_findings(tags.instruments)
        found += [Finding(topic="genre", score=tag.score,
                          text=f"The listener heard the genre of the clip as {tag.tag} (tag score {tag.score:.2f}).")
                  for tag in tags.genres]
        if tags.vocals == "vocals":
            found.append(Finding(topic="vocals", score=tags.vocals_score,
                                 text=f"The listener heard vocals in the clip (tag score {tags.vocals_score:.2f})."))
        else:
            found.append(Finding(topic="vocals", score=tags.no_vocals_score,
                                 text="The listener heard no vocals in the clip: it is instrumental "
                                      f"(tag score {tags.no_vocals_score:.2f})."))
    musical = observation.kind in ("music", "speech over music")
    d = observation.descriptors
    if musical and d.tempo_bpm:
        found.append(Finding(topic="tempo", score=d.tempo_confidence,
                             text=f"The listener heard a tempo of about {d.tempo_bpm:.0f} BPM in the clip "
                                  f"(confidence {d.tempo_confidence:.2f})."))
    if musical and d.key:
        found.append(Finding(topic="key", score=d.key_confidence,
                             text=f"The listener heard the clip in the key of {d.key} "
                                  f"(confidence {d.key_confidence:.2f})."))
    transcript = observation.transcript
    if transcript is not None and transcript.language and transcript.text:
        name = LANGUAGE_NAMES.get(transcript.language, transcript.language)
        found.append(Finding(topic="language", score=transcript.language_probability,
                             text=f"The listener heard speech in {name} in the clip "
                                  f"(probability {transcript.language_probability:.2f})."))
    return [finding for finding in found if finding.score >= min_score]


def instrument_findings(instruments: list[MusicTag]) -> list[Finding]:
    """One finding per instrument family whose strongest tag reaches `HEARD_INSTRUMENT_MIN_SCORE`."""
    best: dict[str, float] = {}
    for tag in instruments:
        family = INSTRUMENT_FAMILIES.get(tag.tag, tag.tag)
        best[family] = max(best.get(family, 0.0), tag.score)
    return [Finding(topic="instrument", score=score,
                    text=f"The listener heard {family} playing in the clip (tag score {score:.2f}).")
            for family, score in best.items() if score >= HEARD_INSTRUMENT_MIN_SCORE]
