"""The one folder an MCP client may name paths in: every path in a request is read inside it.

An MCP client is usually a language model acting for a user, and what it sends can be steered by
text it read (a web page, a document). So a request's paths (a clip to listen to, a melody to
harmonise, a design to validate, a folder to write into) are taken relative to the server's output
folder and refused when they would leave it: `..` parts, absolute paths elsewhere and symbolic
links that point outside all resolve to somewhere not under the folder, and are named in the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools.files import resolved_within


class PathOutsideError(ValueError):
    """A path in a request leads out of the server's output folder; the message says what to give."""


@dataclass(frozen=True)
class Workspace:
    """The server's output folder (`--out`), where every tool writes and reads."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.resolve())

    def path(self, relative: str | Path, what: str = "path") -> Path:
        """`relative` inside the folder (symbolic links followed), or a `PathOutsideError`."""
        text = str(relative)
        if not text.strip() or "\x00" in text:
            raise PathOutsideError(f"The {what} {text!r} is not a path; give one relative to the output folder "
                                   f"{self.root}, e.g. 'clips/song.wav'.")
        resolved = resolved_within(self.root, relative)
        if resolved is None:
            raise PathOutsideError(f"The {what} {text!r} leads outside the output folder {self.root}; "
                                   "give a path inside it (copy the file there first).")
        return resolved

    def relative(self, path: Path) -> str:
        """How a client names `path`, a file the server wrote in the folder."""
        return str(path.resolve().relative_to(self.root))
