"""What the listener heard, as sentences an answer may cite like a web source.

"Which instrument plays in this clip?" is answered by listening, not by a web page. The listener's
findings (musicnn's tags, the key, the tempo, the detected language) become one-line statements,
each worded as an answer would restate it ("The listener heard cello playing in the clip") with its
likelihood, and the AudioRAG Answerer may cite them as a numbered source marked "heard". A finding
the listener is not sure of (below `HEARD_MIN_SCORE`) is not offered: a citation is a claim of fact.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from tools.settings import HEARD_MIN_SCORE

if TYPE_CHECKING:
    from tools.audio.tool import AudioObservation

Topic = Literal["instrument", "genre", "vocals", "tempo", "key", "language"]

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch", "la": "Latin", "ru": "Russian", "pl": "Polish",
                  "sv": "Swedish", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic"}

_ASKED: dict[Topic, re.Pattern[str]] = {
    "instrument": re.compile(r"\binstrument|\bplay(?:s|ed|ing)?\b|\bsolo\b", re.IGNORECASE),
    "genre": re.compile(r"\bgenre|\bstyle\b|\bkind of music\b|\btype of music\b", re.IGNORECASE),
    "vocals": re.compile(r"\bvocal|\bsing(?:s|er|ing)?\b|\bsung\b|\bvoices?\b|\binstrumental\b", re.IGNORECASE),
    "tempo": re.compile(r"\btempo\b|\bbpm\b|\bhow fast\b|\bbeats per minute\b", re.IGNORECASE),
    "key": re.compile(r"\bkey\b", re.IGNORECASE),
    "language": re.compile(r"\blanguage\b|\bspoken in\b", re.IGNORECASE),
}


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
        found += [Finding(topic="instrument", score=tag.score,
                          text=f"The listener heard {tag.tag} playing in the clip (tag score {tag.score:.2f}).")
                  for tag in tags.instruments]
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
