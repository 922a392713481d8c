"""What the studio refuses: a bind beyond loopback without a token, requests without it, paths that
leave the output folder, and uploads that are too large or not audio.

Each check raises a `StudioInputError` whose status and message the page shows; none of them
depends on FastAPI, so each is tested alone.
"""

from __future__ import annotations

import secrets
from pathlib import Path, PurePosixPath

from tools.files import resolved_within
from tools.serving import is_loopback, token_matches

__all__ = ["is_loopback", "token_matches"]  # the studio's checks in one place, with the shared rule

AUDIO_SUFFIXES = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}
"""The clip formats the listening tools read (`tools/audio/`), by file name suffix."""

SERVED_TYPES = {
    ".png": "image/png", ".svg": "image/svg+xml", ".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg",
    ".mp3": "audio/mpeg", ".mid": "audio/midi", ".musicxml": "application/vnd.recordare.musicxml+xml",
    ".json": "application/json", ".md": "text/markdown; charset=utf-8",
}
"""What `/files/...` serves from the output folder: the runs' own media and reports, nothing else
(no checkpoints, locks or staging folders)."""


class StudioInputError(ValueError):
    """A request the studio refuses; `status` is the HTTP status, the message tells the user what to do."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class BindError(ValueError):
    """The studio cannot listen where it was asked to (the message says what to do)."""


def token_for_bind(host: str, token: str | None) -> str | None:
    """The token the server will require: `token` if given; a new one when `host` reaches beyond
    loopback and none was given; None on loopback without one (only this machine's users can connect)."""
    if token is not None:
        if len(token) < 16:
            raise BindError("The token must be at least 16 characters; leave --token out to have one generated.")
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(24)


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refused unless it stays inside `root`: no absolute path, no `..` that climbs
    out, no symbolic link that points elsewhere, no hidden part (`.locks`, staging folders)."""
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if relative.startswith(("/", "\\")) or any(part == ".." or part.startswith(".") for part in parts) \
            or "\x00" in relative:
        raise StudioInputError(f"{relative!r} is not a path inside the output folder.", 404)
    target = resolved_within(root, Path(*parts))
    if target is None:
        raise StudioInputError(f"{relative!r} leads outside the output folder.", 404)
    return target


def served_file(root: Path, relative: str) -> tuple[Path, str]:
    """The file at `relative` under `root` and its media type, if it is one the studio serves."""
    path = inside(root, relative)
    media_type = SERVED_TYPES.get(path.suffix.lower())
    if media_type is None or not path.is_file():
        raise StudioInputError(f"No such file: {relative}.", 404)
    return path, media_type


def checked_clip(filename: str, head: bytes, size: int, limit: int) -> str:
    """The suffix to store an uploaded clip under, once its size, name and first bytes say it is
    audio the listeners read; else a `StudioInputError` (413: too large, 415: another kind of file)."""
    if size > limit:
        raise StudioInputError(f"The clip is larger than {limit / 1e6:.0f} MB; upload a shorter excerpt "
                               "(GO_STUDIO_MAX_UPLOAD_BYTES sets the limit).", 413)
    suffix = Path(filename).suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise StudioInputError(f"{Path(filename).name or 'The file'} is not a WAV, FLAC, OGG or MP3 clip; "
                               "upload one of those.", 415)
    if size == 0:
        raise StudioInputError("The clip is empty; choose an audio file.", 400)
    if not _looks_like(suffix, head):
        raise StudioInputError(f"{Path(filename).name} is named {AUDIO_SUFFIXES[suffix]} but its content is not "
                               f"{AUDIO_SUFFIXES[suffix]} audio; upload the audio file itself.", 415)
    return suffix


def _looks_like(suffix: str, head: bytes) -> bool:
    """The format's signature in the file's first bytes (a renamed document or image has none)."""
    if suffix == ".wav":
        return head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE"
    if suffix == ".flac":
        return head.startswith(b"fLaC")
    if suffix == ".ogg":
        return head.startswith(b"OggS")
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
