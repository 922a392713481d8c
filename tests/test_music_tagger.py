"""The musicnn taggers ported to torch: the same numbers as the TensorFlow original and librosa's spectrogram
(reference outputs recorded once, so no TensorFlow is needed here), bounded work on long clips, clear errors,
and instrument tags that reach the agents for a clip rendered with FluidSynth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from pipelines.audiorag import MUSIC_TAGS_SAY, describe_observation
from pipelines.audiorag_graph import AudioRAGState, given_facts
from tests.audio_fixtures import render_program
from tools.audio.errors import MusicTaggerError
from tools.audio.load import Audio
from tools.audio.tagging.convert_musicnn import CheckpointFormatError, masked_crc32c, read_checkpoint
from tools.audio.tagging.mel import HOP, PATCH_FRAMES, log_mel
from tools.audio.tagging.tagger import MODELS, WEIGHTS_DIR, load_tagger, patches, tag_music
from tools.audio.tool import ListenRequest, ListenTool
from tools.settings import Settings

DATA = Path(__file__).parent / "data"
needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="FluidSynth is not installed")


def formula_patches() -> np.ndarray:
    """Two fixed log-mel-like patches (the inputs the TensorFlow reference was computed on)."""
    t = np.arange(187)[:, None]
    f = np.arange(96)[None, :]
    return np.stack([
        1.5 + np.sin(0.07 * t * (1 + f / 50.0)) + 0.5 * np.cos(0.3 * f),
        np.abs(np.sin(0.011 * t * f + 0.2)) * 3.0,
    ]).astype(np.float32)


def two_tones(seconds: float = 0.5) -> np.ndarray:
    t = np.arange(round(16_000 * seconds)) / 16_000
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t * (1 + 0.1 * t))).astype(np.float32)


@pytest.mark.parametrize("name", list(MODELS))
def test_the_port_computes_what_musicnns_tensorflow_graph_computes(name: str) -> None:
    reference = np.array(json.loads((DATA / "musicnn_tf_reference.json").read_text())[name])
    with torch.inference_mode():
        logits = load_tagger(MODELS[name])(torch.from_numpy(formula_patches())).numpy()
    assert np.abs(logits - reference).max() < 1e-3


def test_the_log_mel_spectrogram_is_librosas() -> None:
    reference = np.array(json.loads((DATA / "musicnn_librosa_mel.json").read_text())["log_mel"])
    ours = log_mel(two_tones())
    assert ours.shape == reference.shape == (32, 96)
    # Equal but for a float16 rounding that can land on the other side in a few bins.
    assert np.abs(ours - reference).max() < 2e-3 and np.abs(ours - reference).mean() < 1e-5


def test_a_patch_is_the_same_frames_as_in_the_whole_spectrogram() -> None:
    samples = two_tones(4.0)
    whole = log_mel(samples)
    for first in (0, 30, len(whole) - 20):
        assert np.allclose(log_mel(samples, first, 20), whole[first : first + 20], atol=1e-6)
    with pytest.raises(ValueError, match="outside"):
        log_mel(samples, len(whole) - 5, 20)


def test_short_clips_are_repeated_and_long_ones_tagged_on_a_bounded_sample() -> None:
    short, padded = patches(two_tones(1.0))
    assert short.shape == (1, PATCH_FRAMES, 96) and padded
    long_samples = np.tile(two_tones(1.0), 120)  # two minutes: 40 patches
    sampled, padded = patches(long_samples, limit=5)
    assert sampled.shape == (5, PATCH_FRAMES, 96) and not padded
    last = (len(long_samples) // HOP + 1 - PATCH_FRAMES) // PATCH_FRAMES * PATCH_FRAMES
    assert np.allclose(sampled[-1], log_mel(long_samples, last, PATCH_FRAMES))  # spread to the end


def test_missing_weights_say_how_to_restore_them(tmp_path: Path) -> None:
    with pytest.raises(MusicTaggerError, match="convert_musicnn"):
        tag_music(Audio(two_tones(4.0), 16_000), weights_dir=tmp_path)


def test_the_checkpoint_reader_checks_what_it_reads() -> None:
    assert masked_crc32c(b"123456789") == 0xC78AB0E5  # CRC-32C 0xE3069283, masked as TensorFlow does
    with pytest.raises(CheckpointFormatError, match="magic"):
        read_checkpoint(b"\0" * 64, b"")


def test_weights_ship_with_their_licence() -> None:
    assert "Permission to use, copy, modify" in (WEIGHTS_DIR / "LICENSE-musicnn.md").read_text()


@pytest.fixture(scope="module")
def violin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("fluidsynth") is None:
        pytest.skip("FluidSynth is not installed")
    return render_program(40, tmp_path_factory.mktemp("violin"), "melody")


@needs_fluidsynth
def test_a_rendered_violin_is_heard_as_a_violin_and_the_agents_are_told(violin: Path, tmp_path: Path) -> None:
    tool = ListenTool(Settings(cache_dir=tmp_path))
    observation = tool(ListenRequest(path=str(violin), identify=False, ask_audio_llm=False))
    tags = observation.music_tags
    assert tags is not None and observation.kind == "music" and observation.transcript is None
    assert tags.instruments[0].tag == "violin" and tags.instruments[0].score > 0.5
    assert tags.vocals == "no vocals" and tags.patches >= 5 and not tags.padded
    heard = describe_observation(observation)
    line = next(line for line in heard.splitlines() if line.startswith(MUSIC_TAGS_SAY))
    assert f"violin {tags.instruments[0].score:.2f}" in line and "no vocals" in line
    # The listener's tags are what the user supplied, facts an answer may restate (unlike an audio-LLM's guess).
    assert "violin" in given_facts(AudioRAGState(question="What instrument plays?", heard=heard))

    skipped = tool(ListenRequest(path=str(violin), identify=False, ask_audio_llm=False, tag_music="never"))
    assert skipped.music_tags is None and "music_tags" not in skipped.stages
