"""Command line for the listening tools.

    python -m tools.audio listen clip.mp3                 # the AudioObservation as JSON
    python -m tools.audio index song.flac --title "..." --composer "..." --year 1723
    python -m tools.audio recordings                      # what the local index knows
"""

from __future__ import annotations

import argparse
import json
import sys

from tools.audio.errors import AudioError
from tools.audio.identify import RecordingMetadata, default_index
from tools.audio.tool import ListenRequest, ListenTool
from tools.settings import Settings


def _progress(stage: str, fraction: float) -> None:
    print(f"\r{stage}: {fraction:4.0%}", end="\n" if fraction >= 1.0 else "", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.audio", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listen = commands.add_parser("listen", help="transcribe, describe and identify a clip")
    listen.add_argument("path")
    listen.add_argument("--transcribe", choices=["auto", "always", "never"], default="auto")
    listen.add_argument("--language", help="ISO 639-1 code (skips language detection)")
    listen.add_argument("--no-identify", action="store_true")
    listen.add_argument("--whisper", choices=["tiny", "base"], help="overrides GO_WHISPER_MODEL")
    index = commands.add_parser("index", help="add a recording to the local index")
    index.add_argument("path")
    index.add_argument("--title", required=True)
    index.add_argument("--artist")
    index.add_argument("--composer")
    index.add_argument("--year", type=int)
    commands.add_parser("recordings", help="list the indexed recordings")
    args = parser.parse_args(argv)

    settings = Settings.from_env(whisper_model=getattr(args, "whisper", None))
    try:
        if args.command == "listen":
            request = ListenRequest(path=args.path, transcribe=args.transcribe, language=args.language,
                                    identify=not args.no_identify)
            print(ListenTool(settings, progress=_progress)(request).model_dump_json(indent=2))
        elif args.command == "index":
            metadata = RecordingMetadata(title=args.title, artist=args.artist, composer=args.composer, year=args.year)
            print(default_index(settings.cache_dir).add_file(args.path, metadata))
        else:
            listing = {key: value.model_dump() for key, value in default_index(settings.cache_dir).recordings().items()}
            print(json.dumps(listing, indent=2))
    except AudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
