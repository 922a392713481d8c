"""Serve the studio: `python -m pipelines.studio [--host H] [--port P] [--out out] [--model M]`.

Listens on 127.0.0.1 unless --host says otherwise; beyond loopback every request must carry a token
(--token, GO_STUDIO_TOKEN, or one generated and printed here). Ctrl-C stops it; a run in progress
keeps its finished steps in its checkpoints (`python -m pipelines.gamegrammar resume <run>`, ...).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

from rich.console import Console

from pipelines.studio.safety import BindError, token_for_bind
from tools.cli import print_error
from tools.files import OutputLocationError, checked_output_folder, naming
from tools.settings import STUDIO_HOST, STUDIO_PORT, Settings

DEFAULT_OUT = Path("out")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.studio", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=STUDIO_HOST,
                        help=f"address to listen on (default {STUDIO_HOST}; any other needs the token)")
    parser.add_argument("--port", type=int, default=STUDIO_PORT, help=f"port (default {STUDIO_PORT}; 0: any free)")
    parser.add_argument("--token", help="the token requests must carry (default: GO_STUDIO_TOKEN, else generated "
                        "when --host is not loopback)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="the output folder: gamegrammar/, compose/, audiorag/ (default out)")
    parser.add_argument("--model", help="embedded | embedded:<name> | path.gguf | LiteLLM model string")
    return parser.parse_args(argv)


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` and listening now, so a taken port or an unknown address is one clear error,
    and the address printed accepts connections at once: they wait in the backlog until the server takes them
    (a bound socket that is not yet listening refuses them, and the server starts a moment after the print)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        raise BindError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}; "
                        "choose another --port (or --host).") from exc
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    console = Console(stderr=True)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = Settings.from_env(model=args.model, studio_token=args.token).with_checked_cache()
        token = token_for_bind(args.host, settings.studio_token)
        with naming("--out"):
            out = checked_output_folder(args.out)
        sock = _listening_socket(args.host, args.port)
    except (BindError, OutputLocationError, ValueError) as exc:
        print_error(console, str(exc))
        return 2
    import uvicorn

    from pipelines.studio.app import create_app
    from pipelines.studio.services import Studio

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    app = create_app(Studio(out=out, settings=settings), token=token)
    print(f"studio: {address}  (output folder {out}; Ctrl-C stops it)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        console.print("[yellow]stopped[/yellow]; a run in progress keeps its finished steps (resume it from its CLI)")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
