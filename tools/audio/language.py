"""The language the user wrote in, as a hint for the speech recogniser.

Whisper detects a clip's language from its first 30 s of speech alone, and an accented voice can fool it:
English read with an Italian or Spanish accent comes out as Latin (espeak-ng, Whisper base: Latin 0.63,
English 0.04), and the words are lost. The question the user typed is evidence too: someone asking in
English about a clip most likely hears it in English, though not always. So the question's language is
found here from its script and its commonest function words (no model: a question is a sentence, and
these words decide it), and `tools.audio.transcribe` lets it compete with Whisper's own guess.

How they compete (`candidate_languages`, `fluency`): when Whisper is unsure (its best language under
`CONFIDENT_DETECTION`) and gives the question's language at least `MIN_HINT_PROBABILITY`, the first span
is decoded in both languages and the decoding Whisper finds more fluent (higher mean token log-probability,
weighted by duration) wins. A fixed prior weight was tried first and fails both ways on espeak-ng voices:
English read with an Italian accent needs a weight above 14.6 to beat Latin (0.63 against 0.043), while
French read natively (French 0.78, English 0.057) flips to English above 13.8. Decoding both kept the
native French, German, Spanish and Italian readings and recovered the Italian-accented English (English
-0.98 against Latin -1.31).
"""

from __future__ import annotations

import re
import unicodedata


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Frequent function words, chosen to be rare in the other listed languages' questions.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _vocabulary("the and is are was were who what which when where why how this that did does do of in "
                    "to it he she they his her their with from by for about song piece"),
    "de": _vocabulary("der die das und ist sind war wer was welche welcher wann wo warum wie dieses diese dieser "
                    "hat hatte von mit für über ein eine einem nicht lied stück"),
    "fr": _vocabulary("le la les et est sont était qui quel quelle quels quand où pourquoi comment ce cette "
                    "des du un une avec pour dans sur chanson morceau qu"),
    "es": _vocabulary("el la los las y es son era quién quien qué cuál cuándo dónde por cómo este esta esto "
                    "del un una con para en sobre canción pieza"),
    "it": _vocabulary("il lo la gli le e è sono era chi che quale quando dove perché come questo questa "
                    "del della un una con per di su canzone brano"),
    "pt": _vocabulary("o a os as e é são era quem que qual quando onde por como este esta isto do da um uma "
                    "com para em sobre canção música"),
    "nl": _vocabulary("de het een en is zijn was wie wat welke wanneer waar waarom hoe dit deze dat van met "
                    "voor over lied stuk"),
}
_SCRIPTS = (  # Unicode name prefix of a letter -> language, for scripts that name one language here
    ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("CJK UNIFIED", "zh"), ("CYRILLIC", "ru"),
    ("ARABIC", "ar"), ("GREEK", "el"), ("HEBREW", "he"), ("DEVANAGARI", "hi"), ("THAI", "th"),
)
MIN_WORD_MARGIN = 2
"""A Latin-script question is given a language only when that language has at least this many more function
words in it than any other: 'Who composed this?' (3 English, 0 else) decides; 'Bach in Leipzig' does not."""


CONFIDENT_DETECTION = 0.9
MIN_HINT_PROBABILITY = 0.01


def candidate_languages(probabilities: dict[str, float], hint: str | None) -> list[str]:
    """Whisper's most likely language, then the question's language `hint` when it deserves a decoding too."""
    top = max(probabilities, key=lambda language: probabilities[language])
    unsure = probabilities[top] < CONFIDENT_DETECTION
    if hint is None or hint == top or not unsure or probabilities.get(hint, 0.0) < MIN_HINT_PROBABILITY:
        return [top]
    return [top, hint]


def fluency(segments: list[tuple[float, float]]) -> float:
    """Mean token log-probability of a decoding, weighted by its segments' durations: (duration, logprob)
    pairs. A decoding with no words is the least fluent."""
    total = sum(duration for duration, _ in segments)
    if total <= 0:
        return float("-inf")
    return sum(duration * logprob for duration, logprob in segments) / total


def question_language(text: str) -> str | None:
    """ISO 639-1 code of the language `text` is written in, or None when it is not clear."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return None
    scripts: dict[str, int] = {}
    for char in letters:
        name = unicodedata.name(char, "")
        for prefix, language in _SCRIPTS:
            if name.startswith(prefix):
                scripts[language] = scripts.get(language, 0) + 1
                break
    if scripts and sum(scripts.values()) >= len(letters) / 2:
        return "ja" if "ja" in scripts else max(scripts, key=lambda language: scripts[language])  # kanji + kana
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = sorted(((sum(word in vocabulary for word in words), language)
                     for language, vocabulary in _FUNCTION_WORDS.items()), reverse=True)
    (best, language), (second, _) = counts[0], counts[1]
    return language if best - second >= MIN_WORD_MARGIN else None
