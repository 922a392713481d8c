"""An optional served audio-language model as one more listener.

When `settings.audio_llm_base` and `settings.audio_llm_model` are set, the clip goes to that
OpenAI-compatible endpoint (vLLM serving Qwen2-Audio, a gateway to gpt-4o-audio, ...) as a
base64 WAV in an `input_audio` content part of `/chat/completions`, and the reply text becomes
an observation. The reply is model output about untrusted audio: callers treat it as data, as
they treat web pages, never as instructions.

Network failures (refused, timed out, 429, 5xx) are retried `settings.max_retries` times with
exponential backoff, each attempt bounded by `settings.request_timeout_s`; anything else fails
at once with the server's message.
"""

from __future__ import annotations

import base64
import io
import logging
import time

import httpx
import numpy as np
import soundfile as sf
from pydantic import BaseModel, Field

from tools.audio.errors import AudioLLMError, AudioLLMUnavailableError
from tools.audio.load import TARGET_RATE, Audio, resample
from tools.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_PROMPT = (
    "Describe this audio clip for someone who cannot hear it: what kind of sound it is; for speech, "
    "the language and what is said; for music, genre, instruments, mood, tempo, and the piece or "
    "performer if you recognise them. Say how sure you are."
)
MAX_SECONDS = 120.0
MAX_REPLY_CHARS = 8000
_RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class AudioLLMDescription(BaseModel):
    """What the audio-language model said about the clip (untrusted text)."""

    model: str
    text: str = Field(max_length=MAX_REPLY_CHARS)
    seconds_sent: float = Field(ge=0)
    truncated: bool = Field(description="True when only the first MAX_SECONDS of the clip were sent.")


def audio_llm_configured(settings: Settings) -> bool:
    return bool(settings.audio_llm_base and settings.audio_llm_model)


def wav_base64(audio: Audio, max_seconds: float = MAX_SECONDS) -> tuple[str, float, bool]:
    """The clip as base64 16-bit mono WAV at 16 kHz (at most `max_seconds`), its length, and whether it was cut."""
    samples = resample(audio.samples, audio.sample_rate, TARGET_RATE)
    limit = round(max_seconds * TARGET_RATE)
    truncated = len(samples) > limit
    samples = np.clip(samples[:limit], -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, samples, TARGET_RATE, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii"), len(samples) / TARGET_RATE, truncated


def _reply_text(payload: object) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError) as exc:
        raise AudioLLMError(f"The audio-language model's reply has no choices[0].message.content: {exc!r}") from exc
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str) or not content.strip():
        raise AudioLLMError("The audio-language model answered with an empty description.")
    return content.strip()[:MAX_REPLY_CHARS]


def describe_with_audio_llm(
    audio: Audio,
    settings: Settings,
    *,
    prompt: str = DEFAULT_PROMPT,
    api_key: str | None = None,
    max_seconds: float = MAX_SECONDS,
    client: httpx.Client | None = None,
) -> AudioLLMDescription:
    """Ask the configured audio-language model to describe `audio`.

    Raises `AudioLLMError` when it is not configured or answers with an error, and
    `AudioLLMUnavailableError` when it cannot be reached after the allowed retries.
    """
    if not audio_llm_configured(settings):
        raise AudioLLMError("No audio-language model is configured: set GO_AUDIO_LLM_BASE and GO_AUDIO_LLM_MODEL.")
    data, seconds, truncated = wav_base64(audio, max_seconds)
    url = f"{str(settings.audio_llm_base).rstrip('/')}/chat/completions"
    body = {
        "model": settings.audio_llm_model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": prompt},
                    {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
                ],
            }
        ],
        "max_tokens": min(settings.max_tokens, 1024),
        "temperature": 0.2,
    }
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    owned = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(settings.request_timeout_s))
    last_problem = ""
    try:
        for attempt in range(settings.max_retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            try:
                response = http.post(url, json=body, headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
                logger.warning("Audio LLM attempt %d failed: %s", attempt + 1, last_problem)
                continue
            if response.status_code in _RETRYABLE_STATUS:
                last_problem = f"HTTP {response.status_code}: {response.text[:300]}"
                logger.warning("Audio LLM attempt %d failed: %s", attempt + 1, last_problem)
                continue
            if response.status_code != 200:
                raise AudioLLMError(
                    f"The audio-language model at {url} refused the request (HTTP {response.status_code}): "
                    f"{response.text[:500]}. Check GO_AUDIO_LLM_MODEL and that the model accepts audio input."
                )
            try:
                payload = response.json()
            except ValueError as exc:
                raise AudioLLMError(f"The audio-language model at {url} answered with invalid JSON.") from exc
            return AudioLLMDescription(
                model=str(settings.audio_llm_model), text=_reply_text(payload), seconds_sent=seconds,
                truncated=truncated,
            )
    finally:
        if owned:
            http.close()
    raise AudioLLMUnavailableError(
        f"The audio-language model at {url} did not answer after {settings.max_retries + 1} attempts "
        f"({last_problem}). Check that the server is running, or unset GO_AUDIO_LLM_BASE."
    )
