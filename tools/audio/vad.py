"""Where someone is speaking: Silero VAD v6, the ONNX model that ships inside faster-whisper.

It answers "is there speech, and where" in a fraction of Whisper's time, so the listening tool
runs Whisper only when there is something to transcribe, and can say "no speech detected"
instead of trusting words Whisper might invent over music.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.audio.load import TARGET_RATE, Audio, resample

MIN_SPEECH_MS = 250


class SpeechRegion(BaseModel):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)


class SpeechActivity(BaseModel):
    speech_seconds: float = Field(ge=0)
    speech_fraction: float = Field(ge=0, le=1)
    regions: list[SpeechRegion]


def detect_speech(audio: Audio, *, threshold: float = 0.5) -> SpeechActivity:
    """Speech regions of `audio` (Silero's probability above `threshold`, at least 250 ms long)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    samples = resample(audio.samples, audio.sample_rate, TARGET_RATE)
    options = VadOptions(threshold=threshold, min_speech_duration_ms=MIN_SPEECH_MS)
    stamps = get_speech_timestamps(samples, options, sampling_rate=TARGET_RATE)
    regions = [SpeechRegion(start_s=s["start"] / TARGET_RATE, end_s=s["end"] / TARGET_RATE) for s in stamps]
    seconds = sum(region.end_s - region.start_s for region in regions)
    duration = len(samples) / TARGET_RATE
    return SpeechActivity(
        speech_seconds=round(seconds, 3),
        speech_fraction=round(min(1.0, seconds / duration), 4) if duration else 0.0,
        regions=regions,
    )
