"""What every command line shares: reading a seed, and printing an error whatever text it carries.

Error messages echo what the user gave (a theme, a path, a session id), and that text is data: a
theme holding `[/x]` would otherwise be read as rich markup and crash the error report itself
(`MarkupError`), and a 50,000-character path would make rich's word wrapping take minutes. So the
message is printed as plain text, unwrapped, and cut to a length a terminal can show.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.text import Text

MAX_SEED = 2**32 - 1
"""NumPy's generators take seeds below 2**32; a larger one would fail mid-run, after the model loaded."""

MAX_ERROR_CHARS = 2_000
"""Longer messages keep their start and end; the middle is what a user's huge input made long."""


def shortened(message: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`message`, or its first and last parts around a note of how much was left out."""
    if len(message) <= limit:
        return message
    head, tail = limit * 3 // 4, limit // 4
    return f"{message[:head]} [... {len(message) - head - tail:,} characters left out ...] {message[-tail:]}"


def print_error(console: Console, message: str) -> None:
    """`error: <message>` in red, with the message shown literally (no markup) and unwrapped."""
    console.print(Text.assemble(("error: ", "red"), shortened(message)), soft_wrap=True)


def checked_seed(text: str) -> int:
    """An argparse type: a whole number from 0 to `MAX_SEED`, refused before any work starts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value} is outside 0 to {MAX_SEED:,}")
    return value

