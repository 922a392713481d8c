"""The studio in a real browser: Debian's chromium, headless, driven by Selenium through the system
chromedriver (nothing downloaded), against the app on a free 127.0.0.1 port with a scripted model.

It designs a game and opens the rulebook, composes a piece and finds a playable audio element and
the score, gives feedback and sees the versions side by side, uploads a WAV and reads the cited
answer. Each page's screenshot is saved (into docs/studio/, which the README links, when
GO_STUDIO_SCREENSHOTS=1)."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pipelines.studio.app import create_app
from tests.audio_fixtures import A_MAJOR_SCALE, tones
from tests.compose_script import REQUEST
from tests.openai_server import OpenAIStub
from tests.studio_app import (
    ANSWER,
    CITED,
    QUESTION,
    THEME,
    ask_replies,
    compose_replies,
    design_replies,
    feedback_reply,
    script,
    scripted_studio,
    scripted_web,
    serving,
)
from tests.studio_script import DESIGN
from tests.web_server import ScriptedServer

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# The committed screenshots are made by this test with GO_STUDIO_SCREENSHOTS=1; an ordinary test run
# writes them to a temporary folder, so `make test` leaves the work tree clean.
SCREENSHOTS = (Path(__file__).resolve().parents[1] / "docs" / "studio" if os.environ.get("GO_STUDIO_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "go-studio-screenshots")
RUN_TIMEOUT_S = 240  # a run on a loaded two-core machine: the embedder loads once, the playtest plays

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="needs Debian's chromium and chromium-driver (make system-deps installs them)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for a driver or browser to download
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: object, name: str) -> None:
    """The whole page (beyond the window, up to 4000 pixels), once its images have loaded, saved as
    <name>.png in SCREENSHOTS."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "return [...document.images].every(image => image.complete)"))
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]  # type: ignore[attr-defined]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",  # type: ignore[attr-defined]
                                  {"format": "png", "captureBeyondViewport": True, "clip": clip})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def finished_run(driver: object, name: str) -> list[str]:
    """Wait on a run's page until the stream says it finished, screenshot it, open the result, and
    return the agents its progress table listed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, RUN_TIMEOUT_S).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-events]").get_attribute("data-state"))
    job = driver.find_element(By.CSS_SELECTOR, "[data-events]")  # type: ignore[attr-defined]
    assert job.get_attribute("data-state") == "done", job.find_element(By.CSS_SELECTOR, ".outcome").text
    agents = [row.get_attribute("data-agent") for row in job.find_elements(By.CSS_SELECTOR, ".agents tbody tr")]
    screenshot(driver, name)
    WebDriverWait(driver, 10).until(ready.element_to_be_clickable((By.ID, "result"))).click()
    return agents


def submit(driver: object, fields: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        field = driver.find_element(By.NAME, name)  # type: ignore[attr-defined]
        field.clear() if field.get_attribute("type") != "file" else None
        field.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()  # type: ignore[attr-defined]


def test_design_compose_and_ask_in_the_browser(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    clip = tmp_path / "scale.wav"
    sf.write(clip, np.asarray(tones(A_MAJOR_SCALE)), 16_000)
    with OpenAIStub() as stub, ScriptedServer() as web:
        scripted_web(web)
        app = create_app(scripted_studio(tmp_path / "out", stub, web))
        with serving(app) as base:
            # A game: type a theme, watch the agents, open the design and its rulebook.
            script(stub, design_replies())
            driver.get(base + "/games")
            driver.find_element(By.NAME, "invent_rules").click()
            submit(driver, {"theme": THEME, "players": "3"})
            agents = finished_run(driver, "design-progress")
            assert {"Mechanics Architect", "Theme Weaver", "Component Designer", "Fun Judge"} <= set(agents)
            assert driver.find_element(By.TAG_NAME, "h1").text == DESIGN["title"]
            rulebook = driver.find_element(By.ID, "rulebook")
            assert "Setup" in rulebook.text and rulebook.find_elements(By.TAG_NAME, "h2")
            chart = driver.find_element(By.CSS_SELECTOR, "img.chart")
            assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", chart) > 0
            screenshot(driver, "design")

            # A composition: the score image and a playable audio element; then feedback, side by side.
            script(stub, compose_replies())
            driver.get(base + "/compose")
            submit(driver, {"request": REQUEST})
            finished_run(driver, "compose-progress")
            score = driver.find_element(By.CSS_SELECTOR, "#v1 img.score")
            assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", score) > 0
            audio = driver.find_element(By.CSS_SELECTOR, "#v1 audio")
            WebDriverWait(driver, 20).until(lambda d: d.execute_script("return arguments[0].readyState", audio) >= 1)
            assert driver.execute_script("return arguments[0].duration", audio) > 5  # 12 bars at 72 bpm: 40 s
            assert driver.execute_script("return arguments[0].error", audio) is None
            script(stub, [feedback_reply()])
            submit(driver, {"feedback": "darker, slower ending"})
            finished_run(driver, "feedback-progress")
            assert len(driver.find_elements(By.CSS_SELECTOR, ".versions .version")) == 2
            assert "darker, slower ending" in driver.find_element(By.ID, "v2").text
            screenshot(driver, "session")

            # A clip: upload a WAV, ask, read the answer and its quoted sources as links.
            script(stub, ask_replies())
            driver.get(base + "/ask")
            submit(driver, {"clip": str(clip), "question": QUESTION})
            finished_run(driver, "ask-progress")
            assert driver.find_element(By.CSS_SELECTOR, ".answer").text == ANSWER  # both claims kept
            links = driver.find_elements(By.CSS_SELECTOR, "ol.citations a")
            assert [link.get_attribute("href").split("#")[0] for link in links] == [web.url("/sonata")] * 2
            assert [q.text for q in driver.find_elements(By.CSS_SELECTOR, "ol.citations q")] == CITED
            screenshot(driver, "answer")

            driver.get(base + "/")
            assert DESIGN["title"] in driver.page_source and "Winter Chorale" in driver.page_source
            screenshot(driver, "home")
    assert not stub.script  # every scripted reply was asked for
