"""Listening, locally and offline: decode any common audio file, transcribe speech with packaged
Whisper weights, describe music and sound, identify known recordings, and optionally ask a served
audio-language model. `ListenTool` bundles all of it into one typed observation.
"""

from tools.audio.audio_llm import AudioLLMDescription, describe_with_audio_llm
from tools.audio.descriptors import AudioDescriptors, describe
from tools.audio.errors import (
    AudioError,
    AudioFileMissingError,
    AudioIndexError,
    AudioInputError,
    AudioLLMError,
    AudioLLMUnavailableError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    TranscriptionError,
    UnsupportedAudioFormatError,
    WhisperWeightsCorruptError,
    WhisperWeightsLocationError,
    WhisperWeightsMissingError,
)
from tools.audio.identify import Identification, RecordingIndex, RecordingMatch, RecordingMetadata, index_recording
from tools.audio.load import Audio, AudioWindow, is_silent, iter_windows, load_audio, probe
from tools.audio.tool import AudioObservation, ListenRequest, ListenTool
from tools.audio.transcribe import Transcript, TranscriptSegment, transcribe
from tools.audio.vad import SpeechActivity, detect_speech

__all__ = [
    "Audio",
    "AudioDescriptors",
    "AudioError",
    "AudioFileMissingError",
    "AudioIndexError",
    "AudioInputError",
    "AudioLLMDescription",
    "AudioLLMError",
    "AudioLLMUnavailableError",
    "AudioObservation",
    "AudioTooLongError",
    "AudioWindow",
    "CorruptAudioError",
    "EmptyAudioError",
    "Identification",
    "ListenRequest",
    "ListenTool",
    "RecordingIndex",
    "RecordingMatch",
    "RecordingMetadata",
    "SpeechActivity",
    "Transcript",
    "TranscriptSegment",
    "TranscriptionError",
    "UnsupportedAudioFormatError",
    "WhisperWeightsCorruptError",
    "WhisperWeightsLocationError",
    "WhisperWeightsMissingError",
    "describe",
    "describe_with_audio_llm",
    "detect_speech",
    "index_recording",
    "is_silent",
    "iter_windows",
    "load_audio",
    "probe",
    "transcribe",
]
