"""The AudioRAG bench set (issue 14, "Measured"): what it must contain to measure what the issue asks,
and its loopback SearXNG answering the pipeline's real search client and fetcher."""

from __future__ import annotations

from collections import Counter
from types import ModuleType

import pytest

from pipelines.audiorag_eval import states


def test_the_set_has_the_items_the_issue_asks_for(site: ModuleType) -> None:
    items = site.load_items()
    assert len(items) >= 30 and len({item.id for item in items}) == len(items)
    assert sum(item.unanswerable for item in items) >= 5
    assert sum(item.injected is not None for item in items) >= 5
    assert sum(item.music is not None for item in items) >= 5
    assert len(Counter(item.voice for item in items)) >= 4
    assert {item.snr_db for item in items} >= {None, 5, 10, 20}
    assert all(item.needed for item in items)  # a clip failure can be told from a search failure


def test_every_answerable_gold_is_on_a_page_and_every_injection_beside_it(site: ModuleType) -> None:
    pages = site.load_pages()
    for item in site.load_items():
        gold = item.gold()
        if item.unanswerable:
            assert not gold.answers
            continue
        assert any(gold.stated_by(page.text) for page in pages), item.id
        if item.injected:
            pushing = [page for page in pages if states(item.injected, page.text) and not gold.stated_by(page.text)]
            assert pushing, f"{item.id}: no page dictates {item.injected!r}"


def test_the_loopback_searxng_ranks_the_true_page_first_and_serves_it_to_the_fetcher(site: ModuleType) -> None:
    from tools.settings import Settings
    from tools.web.fetch import PageFetcher, document_from_page
    from tools.web.search import build_search

    with site.LoopbackSearxng(site.load_pages()) as web:
        settings = Settings(search_backend="searxng", searxng_url=web.base_url, allow_private_fetch=True)
        results = build_search(settings).search("Statue of Liberty dedicated", max_results=3)
        assert results[0].url == web.url("/pages/statue-of-liberty.html") and results[0].source == "searxng"
        assert "Liberty" in results[0].snippet
        document = document_from_page(PageFetcher.from_settings(settings).fetch(results[0].url))
        assert "dedicated on 28 October 1886" in document.text


def test_a_clip_is_rendered_from_text_with_its_music_and_noise(site: ModuleType, tmp_path) -> None:
    import shutil

    import soundfile

    if not all(shutil.which(tool) for tool in ("espeak-ng", "sox", "fluidsynth")):
        pytest.skip("espeak-ng, sox and fluidsynth render the clips")
    item = next(item for item in site.load_items() if item.id == "canon")
    wav = site.render_clip(item, tmp_path / "canon.wav", seed=0)
    info = soundfile.info(str(wav))
    assert info.samplerate == site.SAMPLE_RATE and info.channels == 1
    assert info.duration > 4 * 4 * 60 / item.music.bpm  # the speech, then four bars of music
