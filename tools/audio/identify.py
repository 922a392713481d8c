"""Identifying known recordings: landmark fingerprints in a local SQLite index that users extend.

The method is Wang's (2003) constellation hashing, the idea behind Shazam: the strongest local
peaks of a log spectrogram are paired (anchor, target within ~1 s), and each pair becomes a
24-bit hash of (anchor frequency, target frequency, time gap) stored with the anchor's time. A
clip matches a recording when many of its hashes occur there *at one consistent time offset*;
peak positions survive gain changes, added noise and lossy coding, and an excerpt matches
wherever it starts. The score is the share of the clip's hashes that agree on that offset.

Why SQLite rather than ChromaDB: a landmark index is an exact-key lookup of many small hashes,
not a nearest-neighbour search over one vector per recording; an indexed table answers it
directly and needs no embedding model.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import BaseModel, Field
from scipy.ndimage import maximum_filter

from tools.audio.errors import AudioIndexError
from tools.audio.load import Audio, AudioWindow, ProgressCallback, audio_windows, load_audio, resample

logger = logging.getLogger(__name__)

FINGERPRINT_RATE = 8_000
_N_FFT = 512
_HOP = 128  # 16 ms
_PEAK_NEIGHBOURHOOD = (15, 11)  # frequency bins x frames
_PEAKS_PER_SECOND = 30
_FAN_OUT = 6
_MAX_GAP_FRAMES = 63  # about 1 s
_MAX_FREQ_JUMP = 127  # bins
_LANDMARK_BLOCK_FRAMES = 3750  # 60 s
_QUERY_WINDOW_S, _QUERY_OVERLAP_S = 60.0, 10.0
_SQL_BATCH = 500
DEFAULT_MIN_MATCHES = 20
DEFAULT_MIN_SCORE = 0.05
_SCHEMA = """
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, metadata TEXT NOT NULL, source TEXT NOT NULL,
    duration_s REAL NOT NULL, hashes INTEGER NOT NULL, indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS landmarks (hash INTEGER NOT NULL, recording INTEGER NOT NULL, frame INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS landmarks_by_hash ON landmarks (hash);
"""


class RecordingMetadata(BaseModel):
    """What a user knows about a recording; `title` is required, the rest is free-form."""

    title: str = Field(min_length=1, max_length=500)
    artist: str | None = Field(None, max_length=500)
    composer: str | None = Field(None, max_length=500)
    year: int | None = Field(None, ge=0, le=3000)
    attributes: dict[str, str] = Field(default_factory=dict, description="Anything else: album, source URL, ...")


class RecordingMatch(BaseModel):
    recording_id: int
    metadata: RecordingMetadata
    score: float = Field(ge=0, le=1, description="Share of the clip's landmarks that agree on one time offset.")
    matched_landmarks: int = Field(ge=0)
    offset_s: float = Field(description="Where in the recording the clip starts (negative: the recording starts "
                            "that many seconds into the clip).")


class Identification(BaseModel):
    """The best match, or none when no candidate passes the thresholds (`candidates` shows the near misses)."""

    match: RecordingMatch | None
    candidates: list[RecordingMatch] = Field(description="Up to three best candidates, best first.")
    query_landmarks: int = Field(ge=0)


def _spectrogram(samples: np.ndarray) -> np.ndarray:
    padded = np.pad(samples, (_N_FFT // 2, _N_FFT // 2))
    frames = sliding_window_view(padded, _N_FFT)[::_HOP] * np.hanning(_N_FFT).astype(np.float32)
    return np.log(np.abs(np.fft.rfft(frames, axis=1)).T + 1e-6)  # (bins, frames)


def _window_landmarks(samples: np.ndarray, first_frame: int) -> list[tuple[int, int]]:
    if len(samples) < _N_FFT:
        return []
    spectrum = _spectrogram(samples)
    is_peak = (spectrum == maximum_filter(spectrum, size=_PEAK_NEIGHBOURHOOD)) & (spectrum > np.median(spectrum) + 2)
    is_peak[:2] = False  # DC and the lowest bin carry hum, not music
    bins, frames = np.nonzero(is_peak)
    keep = round(_PEAKS_PER_SECOND * len(samples) / FINGERPRINT_RATE)
    strongest = np.argsort(spectrum[bins, frames])[::-1][:keep]
    order = strongest[np.lexsort((bins[strongest], frames[strongest]))]
    peaks = list(zip(frames[order].tolist(), bins[order].tolist(), strict=True))
    pairs: list[tuple[int, int]] = []
    for index, (anchor_frame, anchor_bin) in enumerate(peaks):
        paired = 0
        for frame, freq in peaks[index + 1 :]:
            gap = frame - anchor_frame
            if gap > _MAX_GAP_FRAMES:
                break
            if gap < 1 or abs(freq - anchor_bin) > _MAX_FREQ_JUMP:
                continue
            pairs.append(((anchor_bin << 15) | (freq << 6) | gap, first_frame + anchor_frame))
            paired += 1
            if paired == _FAN_OUT:
                break
    return pairs


def landmarks(audio: Audio) -> list[tuple[int, int]]:
    """(hash, anchor frame) pairs of the audio's spectral-peak constellation.

    Computed a minute at a time so a long recording's spectrogram never sits in memory whole
    (pairs that would straddle a minute boundary are dropped: under 2 % of them).
    """
    samples = resample(audio.samples, audio.sample_rate, FINGERPRINT_RATE)
    block = _LANDMARK_BLOCK_FRAMES * _HOP
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(samples), block):
        pairs += _window_landmarks(samples[start : start + block], start // _HOP)
    return pairs


class RecordingIndex:
    """A landmark index in one SQLite file; safe to open from several processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AudioIndexError(
                f"Cannot open the recording index at {path}: {exc}. Check the folder's permissions."
            ) from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, audio: Audio, metadata: RecordingMetadata) -> int:
        """Index `audio` under `metadata`; returns the new recording id."""
        pairs = landmarks(audio)
        if not pairs:
            raise AudioIndexError(f"{metadata.title!r} has no spectral landmarks (silent or too short); not indexed.")
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO recordings (title, metadata, source, duration_s, hashes, indexed_at) VALUES (?,?,?,?,?,?)",
                (metadata.title, metadata.model_dump_json(), audio.source, audio.duration_s, len(pairs), time.time()),
            )
            recording = int(cursor.lastrowid or 0)
            db.executemany("INSERT INTO landmarks VALUES (?,?,?)", ((h, recording, f) for h, f in pairs))
        logger.info("Indexed %r as recording %d (%d landmarks)", metadata.title, recording, len(pairs))
        return recording

    def add_file(self, path: Path | str, metadata: RecordingMetadata) -> int:
        return self.add(load_audio(path), metadata)

    def remove(self, recording_id: int) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM landmarks WHERE recording = ?", (recording_id,))
            db.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))

    def recordings(self) -> dict[int, RecordingMetadata]:
        with self._connect() as db:
            rows = db.execute("SELECT id, metadata FROM recordings ORDER BY id").fetchall()
        return {row[0]: RecordingMetadata.model_validate_json(row[1]) for row in rows}

    def identify(
        self,
        audio: Audio,
        *,
        min_matches: int = DEFAULT_MIN_MATCHES,
        min_score: float = DEFAULT_MIN_SCORE,
        progress: ProgressCallback | None = None,
    ) -> Identification:
        """The recording whose landmarks line up best with the clip's, if at least `min_matches`
        landmarks and a share `min_score` of the clip's landmarks agree on one offset.

        A clip longer than 90 s is matched a minute at a time (10 s overlap), so a known recording
        inside a long file is found, and its offset is given in file time.
        """
        if audio.duration_s <= 1.5 * _QUERY_WINDOW_S:
            windows = [AudioWindow(0, 0.0, audio.samples, audio.sample_rate)]
        else:
            windows = list(audio_windows(audio, window_s=_QUERY_WINDOW_S, overlap_s=_QUERY_OVERLAP_S))
        candidates: dict[int, RecordingMatch] = {}
        query_landmarks = 0
        for count, window in enumerate(windows, start=1):
            pairs = landmarks(Audio(window.samples, window.sample_rate))
            query_landmarks += len(pairs)
            for candidate in self._candidates(pairs, window.start_s):
                if candidate.score > getattr(candidates.get(candidate.recording_id), "score", -1.0):
                    candidates[candidate.recording_id] = candidate
            if progress is not None:
                progress("identify", count / len(windows))
        ranked = sorted(candidates.values(), key=lambda match: (-match.score, -match.matched_landmarks))[:3]
        top = ranked[0] if ranked else None
        accepted = top is not None and top.matched_landmarks >= min_matches and top.score >= min_score
        return Identification(match=top if accepted else None, candidates=ranked, query_landmarks=query_landmarks)

    def _candidates(self, pairs: list[tuple[int, int]], start_s: float) -> list[RecordingMatch]:
        """Each indexed recording's best-aligned landmark count for one query window."""
        by_hash: dict[int, list[int]] = {}
        for hash_value, frame in pairs:
            by_hash.setdefault(hash_value, []).append(frame)
        offsets: Counter[tuple[int, int]] = Counter()
        hashes = list(by_hash)
        with self._connect() as db:
            for start in range(0, len(hashes), _SQL_BATCH):
                chunk = hashes[start : start + _SQL_BATCH]
                rows = db.execute(
                    f"SELECT hash, recording, frame FROM landmarks WHERE hash IN ({','.join('?' * len(chunk))})", chunk
                )
                for hash_value, recording, frame in rows:
                    for query_frame in by_hash[hash_value]:
                        offsets[(recording, frame - query_frame)] += 1
            metadata = dict(db.execute("SELECT id, metadata FROM recordings").fetchall())
        best: dict[int, tuple[int, int]] = {}
        for (recording, offset), count in offsets.items():
            # peaks of an excerpt can land one frame early or late; count the neighbours too
            total = count + offsets.get((recording, offset - 1), 0) + offsets.get((recording, offset + 1), 0)
            if total > best.get(recording, (0, 0))[0]:
                best[recording] = (total, offset)
        return [
            RecordingMatch(
                recording_id=recording,
                metadata=RecordingMetadata.model_validate_json(metadata[recording]),
                score=round(min(1.0, count / max(len(pairs), 1)), 4),
                matched_landmarks=count,
                offset_s=round(offset * _HOP / FINGERPRINT_RATE - start_s, 2),
            )
            for recording, (count, offset) in best.items()
            if recording in metadata
        ]


def default_index(cache_dir: Path) -> RecordingIndex:
    """The user's index at `<cache_dir>/audio/recordings.sqlite`."""
    return RecordingIndex(cache_dir / "audio" / "recordings.sqlite")


def index_recording(path: Path | str, metadata: RecordingMetadata | dict, cache_dir: Path) -> int:
    """Add the recording at `path` to the user's index; returns its id."""
    return default_index(cache_dir).add_file(path, RecordingMetadata.model_validate(metadata))


def identify(
    clip: Audio | Path | str,
    cache_dir: Path,
    *,
    min_matches: int = DEFAULT_MIN_MATCHES,
    min_score: float = DEFAULT_MIN_SCORE,
) -> Identification:
    """Match `clip` (decoded audio or a file path) against the user's index."""
    audio = clip if isinstance(clip, Audio) else load_audio(clip)
    return default_index(cache_dir).identify(audio, min_matches=min_matches, min_score=min_score)

