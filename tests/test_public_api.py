"""The public API: each package's `__all__` is exactly the names below, every one importable, and
importing a package stays light (no torch, llama.cpp, chromadb or DSPy until a name is used)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

EXPORTS: dict[str, set[str]] = {
    "ontology": {
        "Finding", "GameDesign", "Location", "MusicTheoryError", "Owner", "Piece", "Problem", "Section", "Severity",
        "ValidatorRegistry", "at", "render_rulebook", "validate_design", "validate_piece",
    },
    "agents": {"Conversation", "Role"},
    "agents.lm": {
        "EMBEDDED_MODELS", "AccountedLM", "BudgetExceededError", "CallRecord", "EmbeddedModel", "EmptyPromptError",
        "Generation", "GenerationTimeoutError", "LlamaCppEngine", "LlamaCppModel", "ModelConfigError", "ModelError",
        "ModelRateLimitedError", "ModelUnavailableError", "ModelWeightsCorruptError", "ModelWeightsLocationError",
        "ModelWeightsMissingError", "PromptTooLongError", "SamplingParams", "StructuredOutputError",
        "StructuredPredict", "TokenBudget", "TranscriptAdapter", "Turn", "UsageLedger", "attributed_to", "build_lm",
        "embedded_model", "ensure_weights",
    },
    "tools": {
        "Settings", "ToolError", "ToolInputError", "TypedTool", "WeightsCorruptError", "WeightsError",
        "WeightsLocationError",
    },
    "tools.music": {
        "CheckpointError", "HarmoniseTool", "NeuralSectionTools", "PianoGenerationTool", "RenderError",
        "ScoreInputError", "SectionTools", "SongAestheticsTool", "VariationsTool", "describe_piece", "read_score",
        "render_all", "write_score",
    },
    "tools.music.piano": {"PianoGenerationRequest", "PianoGenerationResult", "PianoGenerationTool"},
    "tools.music.harmony": {
        "EmptyMelodyError", "HarmonisationResult", "HarmoniseRequest", "HarmoniseTool", "MelodyTooLongError",
    },
    "tools.music.som": {
        "UnknownItemError", "UnknownTargetError", "VariationsRequest", "VariationsResult", "VariationsTool",
    },
    "tools.music.aesthetics": {
        "AestheticsModelUnavailableError", "SongAestheticsRequest", "SongAestheticsResult", "SongAestheticsTool",
        "SyntheticCheckpointError",
    },
    "tools.audio": {
        "Audio", "AudioDescriptors", "AudioError", "AudioFileMissingError", "AudioIndexError", "AudioInputError",
        "AudioLLMDescription", "AudioLLMError", "AudioLLMUnavailableError", "AudioObservation", "AudioTooLongError",
        "AudioWindow", "CorruptAudioError", "EmptyAudioError", "Identification", "ListenRequest", "ListenTool",
        "RecordingIndex", "RecordingMatch", "RecordingMetadata", "SpeechActivity", "Transcript", "TranscriptSegment",
        "TranscriptionError", "UnsupportedAudioFormatError", "WhisperWeightsCorruptError",
        "WhisperWeightsLocationError", "WhisperWeightsMissingError", "describe", "describe_with_audio_llm",
        "detect_speech", "index_recording", "is_silent", "iter_windows", "load_audio", "probe", "transcribe",
    },
    "tools.web": {
        "AddressPolicy", "BlockedAddressError", "BlockedURLError", "BraveSearch", "FetchConnectionError", "FetchError",
        "FetchPageTool", "FetchStatusError", "FetchTimeoutError", "FetchedPage", "LocalDocumentSearchTool",
        "PageFetcher", "Passage", "ReadableText", "RetryPolicy", "SearchBackend", "SearchConfigError", "SearchError",
        "SearchInputError", "SearchRateLimitedError", "SearchRefusedError", "SearchResponseError", "SearchResult",
        "SearchTimeoutError", "SearchUnavailableError", "SearxngSearch", "TooManyRedirectsError", "UntrustedDocument",
        "UnsupportedContentError", "WebSearchTool", "build_search", "document_from_page", "extract_readable",
        "fetch_page", "html_to_text", "quote_for_prompt", "select_passages", "split_passages",
    },
    "pipelines": {"ask", "design_game", "validate_command"},
    "pipelines.studio": {"Studio", "create_app"},
    "tools.games": {
        "Bot", "Game", "GameRecord", "GameView", "GreedyBot", "IllegalActionError", "PassBot", "RandomBot",
        "RestrictedBot", "Rules", "SearchBot", "SeatCountError", "play", "simulate",
    },
    "retrieval": {
        "ExemplarGame", "ExemplarStore", "MiniLMEmbedder", "RetrievalConstraints", "load_exemplars", "shared_embedder",
    },
}
HEAVY = ("torch", "llama_cpp", "chromadb", "dspy", "sentence_transformers", "faster_whisper", "music21")


@pytest.mark.parametrize("package", sorted(EXPORTS))
def test_all_lists_exactly_the_public_names(package: str) -> None:
    module = importlib.import_module(package)
    assert len(module.__all__) == len(set(module.__all__)), "a name is listed twice"
    assert set(module.__all__) == EXPORTS[package]


@pytest.mark.parametrize("package", sorted(EXPORTS))
def test_every_public_name_resolves_and_is_listed_by_dir(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    assert set(module.__all__) <= set(dir(module))


def test_an_unknown_name_is_an_attribute_error() -> None:
    import tools.music

    with pytest.raises(AttributeError, match="no attribute 'NoSuchTool'"):
        tools.music.NoSuchTool  # noqa: B018


def test_importing_the_packages_loads_no_heavy_library() -> None:
    probe = (
        "import sys\n"
        f"import {', '.join(sorted(EXPORTS))}\n"
        f"print(' '.join(sorted(name for name in {HEAVY!r} if name in sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
