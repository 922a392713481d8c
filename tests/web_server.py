"""A scripted HTTP server on a loopback address, for testing the web tools against real sockets.

Each path has a list of replies served in order (the last one repeats). A reply is a status, headers and a
body, optionally after a delay, optionally dripped slowly or streamed without end. Every request is recorded.
Stopping the server releases delayed and endless replies, so no thread outlives the test.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drip_s: float = 0.0  # pause between single bytes of the body
    endless: bool = False  # repeat the body until the client goes away

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})

    @classmethod
    def html(cls, html: str, charset: str = "utf-8") -> Reply:
        return cls(200, html.encode(charset), {"Content-Type": f"text/html; charset={charset}"})

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", {"Location": location})


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class ScriptedServer:
    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(ConnectionError):  # a client that hung up on purpose (size, time limits)
                    super().handle()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                headers = {name.lower(): value for name, value in self.headers.items()}
                server.seen.append(Seen(parts.path, parse_qs(parts.query), headers))
                script = server.routes.get(parts.path) or [Reply(404, b"not found", {"Content-Type": "text/plain"})]
                reply = script.pop(0) if len(script) > 1 else script[0]
                if reply.delay_s and server.stopping.wait(reply.delay_s):
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.endless or reply.drip_s:
                    self.send_header("Connection", "close")
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                try:
                    if reply.endless:
                        while not server.stopping.is_set():
                            self.wfile.write(reply.body)
                    elif reply.drip_s:
                        for index in range(len(reply.body)):
                            if server.stopping.wait(reply.drip_s):
                                return
                            self.wfile.write(reply.body[index:index + 1])
                            self.wfile.flush()
                    else:
                        self.wfile.write(reply.body)
                except OSError:
                    pass  # the client stopped reading: what the size and time limits are for
                if reply.endless or reply.drip_s:
                    self.close_connection = True

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        self._httpd = Server((host, 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
