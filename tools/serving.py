"""Who a local server (the studio, the MCP server over HTTP) may serve: loopback is this machine's
users only; anything else needs a token, compared in constant time.

One place for the rule, so the two servers cannot drift apart on what counts as loopback.
"""

from __future__ import annotations

import hmac
import ipaddress

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only: `localhost` or a loopback address (127.0.0.0/8, ::1,
    bracketed or not). Any other name could resolve beyond it, so it counts as not loopback."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_matches(expected: str, given: str | None) -> bool:
    """Whether `given` is the token, compared in constant time (it cannot be guessed a character at a time)."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
