"""The page at `/` of `deepstart serve`, driven in headless Chromium (Debian's `chromium`
package, through Playwright) against a real server on 127.0.0.1: a photo gives its
label, the bars and a heatmap; a text gives its label and coloured words; a server
with a token asks for it and works once it is given."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from deepstart.serve import create_app

from conftest import CHROMIUM, live_server

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium executable on PATH (Debian: apt-get install chromium)"
)
WAIT_MS = 20_000  # for an answer: a heatmap takes a second or two on 2 cores


@contextmanager
def serving(model, token=None):
    """A real uvicorn server for the model on a free loopback port, stopped afterwards."""
    with live_server(create_app(model, token)) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page; the test fails on any uncaught error in the page's script."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    context.close()
    assert not errors, errors


def photo(root, label: str, k: int = 0) -> str:
    return str(sorted((root / label).iterdir())[k])


def test_a_photo_gives_its_label_bars_and_heatmap(trained, digits_root, page):
    with serving(trained) as url:
        page.goto(url)
        expect(page.locator("#about")).to_contain_text("0, 1, 7")
        page.set_input_files("#file", photo(digits_root, "7"))
        expect(page.locator("#label")).to_have_text("7", timeout=WAIT_MS)
        bars = page.locator("#bars .bar")
        expect(bars).to_have_count(3)
        assert bars.first.get_attribute("data-class") == "7" and "top" in bars.first.get_attribute("class")
        expect(page.locator("#preview")).to_be_visible()
        heatmap = page.locator("#heatmap")
        expect(heatmap).to_be_visible(timeout=WAIT_MS)
        assert heatmap.evaluate("img => img.complete && img.naturalWidth > 0")  # a PNG that decodes
        expect(page.locator("#status")).to_have_text("")
        # another photo replaces the answer
        page.set_input_files("#file", photo(digits_root, "0"))
        expect(page.locator("#label")).to_have_text("0", timeout=WAIT_MS)
        expect(heatmap).to_be_visible(timeout=WAIT_MS)
        # a file that is no image: a plain message, no answer invented
        page.set_input_files(
            "#file", files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}]
        )
        expect(page.locator("#status")).to_have_class("error", timeout=WAIT_MS)
        expect(page.locator("#result")).to_be_hidden()
        assert "Traceback" not in page.locator("#status").inner_text()


def test_a_text_gives_its_label_and_coloured_words(text_model, page):
    text = "the acting was superb and charming"
    with serving(text_model) as url:
        page.goto(url)
        page.fill("#text", text)
        page.click("#send-text")
        expect(page.locator("#label")).to_have_text("pos", timeout=WAIT_MS)
        words = page.locator("#words .word")
        expect(words).to_have_count(len(text.split()), timeout=WAIT_MS)
        assert words.all_inner_texts() == text.split()
        colours = {w: words.nth(i).evaluate("s => s.style.background") for i, w in enumerate(text.split())}
        assert "40, 160, 70" in colours["superb"]  # green: it pushed towards 'pos'
        # what a user types is shown as text, never run as markup
        markup = "the story was dreadful <img src=x id=injected> and dull"
        page.fill("#text", markup)
        page.keyboard.press("Control+Enter")
        expect(page.locator("#label")).to_have_text("neg", timeout=WAIT_MS)
        expect(words).to_have_count(len(markup.split()), timeout=WAIT_MS)
        assert "<img" in words.all_inner_texts() and page.locator("#injected").count() == 0


def test_a_token_is_asked_for_and_then_used(trained, digits_root, page):
    with serving(trained, token="s3cret-token") as url:
        page.goto(url)
        expect(page.locator("#token")).to_be_visible()
        expect(page.locator("#main")).to_be_hidden()
        page.fill("#token", "wrong")
        page.click("#use-token")
        expect(page.locator("#auth-error")).to_contain_text("token")
        expect(page.locator("#main")).to_be_hidden()
        page.fill("#token", "s3cret-token")
        page.press("#token", "Enter")
        expect(page.locator("#drop")).to_be_visible()
        expect(page.locator("#token")).to_be_hidden()
        page.set_input_files("#file", photo(digits_root, "1"))
        expect(page.locator("#label")).to_have_text("1", timeout=WAIT_MS)
        expect(page.locator("#heatmap")).to_be_visible(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def sound_model(tmp_path_factory):
    """A spectrogram CNN that tells a low tone from a high one (a few epochs: any answer will do)."""
    import numpy as np
    import soundfile

    from conftest import run_cli

    root = tmp_path_factory.mktemp("browser_sound")
    t = np.arange(4000) / 8000
    for label, pitch in (("low", 300.0), ("high", 1500.0)):
        (root / "sounds" / label).mkdir(parents=True)
        for k in range(10):
            sound = 0.5 * np.sin(2 * np.pi * (pitch + 20 * k) * t)
            soundfile.write(root / "sounds" / label / f"{k}.wav", sound.astype(np.float32), 8000)
    code, _, err = run_cli(
        "train", str(root / "sounds"), "--model", "cnn", "--epochs", "3", "--out", str(root / "model")
    )
    assert code == 0, err
    return root / "model"


def test_a_recording_from_the_microphone_gives_a_label_bars_and_its_spectrogram(sound_model, page):
    """Chromium's fake microphone (a beep each second) is recorded, encoded as WAV in the
    page and sent: a label among the model's classes comes back, with its bars."""
    with serving(sound_model) as url:
        page.goto(url)
        expect(page.locator("#about")).to_contain_text("recordings")
        expect(page.locator("#preview")).to_be_hidden()  # no picture: a sound shows in #playback
        record = page.locator("#record")
        expect(record).to_be_visible()
        record.click()
        expect(record).to_have_text("\u25a0 Stop")
        page.wait_for_timeout(1500)
        record.click()
        expect(record).to_have_text("\u25cf Record")
        expect(page.locator("#label")).to_have_text(re.compile("^(low|high)$"), timeout=WAIT_MS)
        expect(page.locator("#bars .bar")).to_have_count(2)
        expect(page.locator("#playback")).to_be_visible()
        seconds = page.locator("#playback").evaluate(
            "a => new Promise(done => a.readyState >= 1 ? done(a.duration) "
            ": a.addEventListener('loadedmetadata', () => done(a.duration)))"
        )
        assert 1.0 < seconds < 3.0  # what was recorded, playable
        heatmap = page.locator("#heatmap")
        expect(heatmap).to_be_visible(timeout=WAIT_MS)
        assert heatmap.evaluate("img => img.complete && img.naturalWidth > 0")
        expect(page.locator("#why-note")).to_contain_text("spectrogram")
        expect(page.locator("#status")).to_have_text("")
