"""How the MCP server is reached: stdio, or streamable HTTP on loopback, or beyond it with a token.

Binding beyond loopback lets anyone who can reach the address run the tools and read the output
folder, so it is refused unless `GO_MCP_TOKEN` holds a shared secret, which every request must then
carry as `Authorization: Bearer <token>` (on loopback too, once set). Ctrl-C ends the server at once:
the pipelines run in worker threads, which Python and uvicorn would otherwise wait for.
"""

from __future__ import annotations

import hmac
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import anyio
from mcp.server.mcpserver import MCPServer
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tools.files import exit_between_commits
from tools.serving import is_loopback
from tools.settings import MCP_HOST, MCP_PORT, MIN_TOKEN_CHARS

HTTP_PATH = "/mcp"


class ServerError(ValueError):
    """The server cannot start as asked (an address beyond loopback without a token, ...)."""


class BearerToken:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`, or it gets 401.

    Compared in constant time, so the token cannot be guessed a character at a time."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                refusal = JSONResponse({"error": "missing or wrong bearer token (GO_MCP_TOKEN)"}, status_code=401,
                                       headers={"WWW-Authenticate": "Bearer"})
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def checked_bind(host: str, token: str | None) -> str:
    """`host`, once binding it is allowed: loopback always, any other address only with a token."""
    if not is_loopback(host) and not token:
        raise ServerError(f"--host {host} is beyond loopback: anyone who can reach it could run the tools and "
                          f"read the output folder. Set GO_MCP_TOKEN to a secret of at least {MIN_TOKEN_CHARS} "
                          f"characters (clients send it as 'Authorization: Bearer <token>'), or bind {MCP_HOST}.")
    return host


def http_app(server: MCPServer, host: str, token: str | None) -> ASGIApp:
    """The streamable HTTP app at `HTTP_PATH` for `host` (see `checked_bind`); with a token, every
    request must carry it, on loopback too."""
    app: ASGIApp = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=checked_bind(host, token))
    return BearerToken(app, token) if token else app


def _stop_at_once(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C: end now. The runs in worker threads keep every finished step in their checkpoints;
    waiting for them (as Python and uvicorn would) could take minutes."""
    sys.stderr.write("interrupted; every finished run and session step is kept\n")
    sys.stderr.flush()
    exit_between_commits(130)


def serve(server: MCPServer, *, http: bool = False, host: str = MCP_HOST, port: int = MCP_PORT,
          token: str | None = None) -> None:
    """Serve over stdio, or streamable HTTP on `host` (see `checked_bind`), until the client leaves
    or Ctrl-C."""
    signal.signal(signal.SIGINT, _stop_at_once)
    if not http:
        anyio.run(server.run_stdio_async)
        return
    import uvicorn

    class KeepingOurSignals(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Iterator[None]:  # uvicorn's would wait for the running tools to end
            yield

    KeepingOurSignals(uvicorn.Config(http_app(server, host, token), host=host, port=port, log_level="warning")).run()
