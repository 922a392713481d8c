"""The AudioRAG bench's own world: items, clips made from text at bench time, and a loopback web.

- **Items** (`audiorag_set/items.json`): a question about a clip, its text-only form, the gold answer
  (or `unanswerable`), the words the listener must produce (`needed`) and, for injection items, the
  answer an injection page dictates.
- **Clips** are rendered here, not committed: espeak-ng speaks the item in its voice and speed, FluidSynth
  plays its music (a General MIDI program in its key and tempo), sox resamples both to 16 kHz mono, and
  seeded white noise is added at the item's signal-to-noise ratio.
- **The web** is `audiorag_set/pages/*.html`, pages written for the set (with distractors, near misses, a
  table, and injection pages beside true ones), served on loopback (a site an address) with a SearXNG-compatible
  `/search?q=...&format=json` that ranks them by BM25, so the pipeline's real search, fetch, screening
  and reading code runs against real sockets.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from pydantic import BaseModel, Field

from pipelines.audiorag_eval import Gold, content_words
from tools.web.extract import extract_readable

SET = Path(__file__).parent / "audiorag_set"
SAMPLE_RATE = 16_000
SNIPPET_CHARS = 220
MAX_HITS = 8


class SetupError(RuntimeError):
    """A tool the clips need is missing or failed; the message says what to install."""


class Music(BaseModel):
    program: int = Field(ge=0, le=127, description="General MIDI program (0 = piano, 42 = cello, 73 = flute)")
    key: str = Field(description="tonic and mode, e.g. 'D major', 'E- major' (music21 spelling)")
    bpm: int = Field(ge=30, le=240)
    bars: int = Field(8, ge=1, le=32)


class SetItem(BaseModel):
    id: str
    speech: str
    voice: str = "en-us"
    speed: int = Field(150, description="espeak-ng words per minute")
    snr_db: float | None = Field(None, description="white noise at this signal-to-noise ratio; None: clean")
    music: Music | None = Field(None, description="music after the speech (the piece the speech names)")
    question: str
    question_text: str
    answer: str | None = None
    aliases: list[str] = Field(default_factory=list)
    unanswerable: bool = False
    needed: list[str] = Field(default_factory=list)
    injected: str | None = None
    attributes: list[str] = Field(default_factory=list)

    def gold(self) -> Gold:
        answers = [self.answer, *self.aliases] if self.answer else []
        return Gold(answers=answers, unanswerable=self.unanswerable, needed=self.needed, injected=self.injected)


def load_items(folder: Path = SET) -> list[SetItem]:
    return [SetItem.model_validate(raw) for raw in json.loads((folder / "items.json").read_text())]


class Page(BaseModel):
    path: str
    title: str
    text: str
    html: str


def load_pages(folder: Path = SET) -> list[Page]:
    pages = []
    for file in sorted((folder / "pages").glob("*.html")):
        html = file.read_text(encoding="utf-8")
        readable = extract_readable(html)
        pages.append(Page(path=f"/pages/{file.name}", title=readable.title, text=readable.text, html=html))
    return pages


class Bm25:
    """Okapi BM25 over the pages' titles and texts: a search engine's ranking, small enough to read."""

    def __init__(self, pages: list[Page], k1: float = 1.2, b: float = 0.75) -> None:
        self.pages, self.k1, self.b = pages, k1, b
        self.terms = [Counter(content_words(f"{page.title} {page.title} {page.text}")) for page in pages]
        self.lengths = [sum(terms.values()) for terms in self.terms]
        self.average = sum(self.lengths) / max(len(pages), 1)
        frequency = Counter(term for terms in self.terms for term in terms)
        self.idf = {term: math.log(1 + (len(pages) - n + 0.5) / (n + 0.5)) for term, n in frequency.items()}

    def rank(self, query: str) -> list[Page]:
        scores = []
        for page, terms, length in zip(self.pages, self.terms, self.lengths, strict=True):
            total = 0.0
            for term in set(content_words(query)):
                tf = terms.get(term, 0)
                if tf:
                    total += self.idf[term] * tf * (self.k1 + 1) / (
                        tf + self.k1 * (1 - self.b + self.b * length / self.average))
            if total > 0:
                scores.append((total, page))
        return [page for _, page in sorted(scores, key=lambda pair: -pair[0])][:MAX_HITS]


def snippet(page: Page) -> str:
    """The page's opening words, as a search engine's description often is."""
    text = " ".join(page.text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " ..."


def site_of(page: Page) -> str:
    """The site a page belongs to, the last part of its title ("Encyclopedia Lumina" of "Taj Mahal | Encyclopedia
    Lumina"); "" for a title without one."""
    parts = page.title.rsplit(" | ", 1)
    return parts[1].strip() if len(parts) == 2 else ""


class LoopbackSearxng:
    """The set's pages and a SearXNG JSON search over them, on loopback (free ports) while in `with`.

    The search answers on 127.0.0.1, and each site's pages on an address of its own (127.0.0.2, 127.0.0.3 ...,
    all loopback on Linux), so that two sites are two origins, as on the web: a conflict between sources is only
    reported between independent ones (`tools.web.conflicts.origin`), and with every page on one host no bench
    item could show one. Where only 127.0.0.1 can be bound, every site shares it."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = {page.path: page for page in pages}
        index = Bm25(pages)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                if parts.path == "/search":
                    query = parse_qs(parts.query).get("q", [""])[0]
                    results = [{"url": site.url(page.path), "title": page.title, "content": snippet(page),
                                "engines": ["loopback"]} for page in index.rank(query)]
                    self._send(200, "application/json", json.dumps({"query": query, "results": results}))
                elif parts.path in site.pages:
                    self._send(200, "text/html; charset=utf-8", site.pages[parts.path].html)
                else:
                    self._send(404, "text/plain", "not found")

            def _send(self, status: int, content_type: str, body: str) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._servers = {"": ThreadingHTTPServer(("127.0.0.1", 0), Handler)}
        for number, name in enumerate(sorted({site_of(page) for page in pages} - {""}), start=2):
            try:
                self._servers[name] = ThreadingHTTPServer((f"127.0.0.{number}", 0), Handler)
            except OSError:  # not Linux: this site shares 127.0.0.1
                self._servers[name] = self._servers[""]
        self._sites = {page.path: site_of(page) for page in pages}
        self.base_url = self._address("")
        self._threads = []
        for server in dict.fromkeys(self._servers.values()):
            server.daemon_threads = True
            self._threads.append(threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True))

    def _address(self, name: str) -> str:
        host, port = self._servers[name].server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """Where the page at `path` is served: on its site's address."""
        return f"{self._address(self._sites.get(path, ''))}{path}"

    def __enter__(self) -> LoopbackSearxng:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in dict.fromkeys(self._servers.values()):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(5)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SetupError(f"{name} is needed for the bench clips: apt-get install espeak-ng sox fluidsynth "
                         "fluid-soundfont-gm (make install does)")
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise SetupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-300:]}")


def _mono_16k(source: Path, target: Path) -> np.ndarray:
    import soundfile

    _run([_tool("sox"), str(source), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(target)])
    samples, _ = soundfile.read(str(target), dtype="float32")
    return np.asarray(samples, dtype=np.float32)


def _music_midi(music: Music, midi: Path) -> None:
    """A melody of the key's tonic arpeggios and scale runs over a bass on I-IV-V-I, in the tempo asked."""
    from music21 import chord, instrument, key, note, stream, tempo

    tonality = key.Key(*music.key.split())
    melody, bass = stream.Part(), stream.Part()
    for part in (melody, bass):
        part.insert(0, instrument.instrumentFromMidiProgram(music.program))
        part.insert(0, tempo.MetronomeMark(number=music.bpm))
    figures = [(1, 3, 5, 8), (4, 6, 8, 6), (5, 7, 9, 7), (8, 5, 3, 1)]
    for bar in range(music.bars):
        degrees = figures[bar % len(figures)]
        for degree in degrees:
            pitch = tonality.pitchFromDegree((degree - 1) % 7 + 1)
            pitch.octave = 5 + (degree - 1) // 7
            melody.append(note.Note(pitch, quarterLength=1))
        root = tonality.pitchFromDegree(degrees[0] if degrees[0] <= 7 else 1)
        root.octave = 3
        bass.append(chord.Chord([root, root.transpose("P5")], quarterLength=4))
    score = stream.Score([melody, bass])
    score.write("midi", fp=str(midi))


def render_clip(item: SetItem, wav: Path, seed: int) -> Path:
    """Speak `item`, append its music, add its noise, and write a 16 kHz mono WAV to `wav`."""
    import soundfile

    from tools.music.render import render_wav

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        _run([_tool("espeak-ng"), "-v", item.voice, "-s", str(item.speed), "-w", str(scratch / "speech.wav"),
              item.speech])
        signal = _mono_16k(scratch / "speech.wav", scratch / "speech16.wav")
        if item.music is not None:
            _tool("fluidsynth")
            _music_midi(item.music, scratch / "music.mid")
            render_wav(scratch / "music.mid", scratch / "music.wav")
            music = _mono_16k(scratch / "music.wav", scratch / "music16.wav")
            music *= 0.5 / max(float(np.abs(music).max()), 1e-6)
            signal = np.concatenate([signal, np.zeros(SAMPLE_RATE // 4, np.float32), music])
        if item.snr_db is not None:
            power = float(np.mean(signal[np.abs(signal) > 1e-4] ** 2))
            noise = np.random.default_rng(seed).normal(0, math.sqrt(power / 10 ** (item.snr_db / 10)), signal.shape)
            signal = signal + noise.astype(np.float32)
        signal /= max(1.0, float(np.abs(signal).max()))
        wav.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(wav), signal, SAMPLE_RATE, subtype="PCM_16")
    return wav

