"""Errors printed on a command line show the user's text literally and at a bounded length."""

from __future__ import annotations

import io

from rich.console import Console

from tools.cli import MAX_ERROR_CHARS, print_error, shortened


def test_markup_in_a_message_is_shown_as_text_not_parsed() -> None:
    out = io.StringIO()
    print_error(Console(file=out, width=80), "theme '[/x] [bold]fungi' is too long")
    assert "error: theme '[/x] [bold]fungi' is too long" in out.getvalue()


def test_a_long_message_keeps_its_start_and_end() -> None:
    message = "start " + "x" * 100_000 + " end"
    short = shortened(message)
    assert len(short) < MAX_ERROR_CHARS + 100
    assert short.startswith("start ") and short.endswith(" end") and "characters left out" in short
    assert shortened("short") == "short"
