"""Try in the studio, in headless Chromium, for every kind of data: a photo (a file, a test
example and live on chromium's fake webcam), a text, a row, a recording (a file and the
fake microphone) and a forecast drawn as a chart; each at a desktop (1280x800) and a
phone (390x844), with no page error and nothing scrolling sideways. Then a budget of one
minute on a table and on a forecast, ending within 66 s from queue to done; layouts with
a 100-column table; and the correct-and-retrain loop (as Lobe), with speakers the model
never trained on.

DEEPSTART_SCREENSHOTS=docs/studio saves each Try panel's screenshot there."""

import io
import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import expect

from deepstart.studio.app import create_studio
from test_series import sales
from test_sound_speakers import record

from conftest import CHROMIUM, customers, live_server, reviews

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable on PATH")
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
WAIT = 240  # seconds a tiny run may take on 2 busy cores
ANSWER_MS = 30_000
SHOTS = os.environ.get("DEEPSTART_SCREENSHOTS")
RUNS: dict[str, int] = {}  # kind -> run id, trained through the page by the budget tests


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    app = create_studio(tmp_path_factory.mktemp("studio_try"), host="127.0.0.1")
    with live_server(app) as url:
        token = app.state.session.token
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        link, workspace = app.state.session.link(url), app.state.studio.workspace
        yield SimpleNamespace(url=url, link=link, http=client, workspace=workspace)
        client.close()


def wait_for(studio, run_id: int) -> dict:
    deadline = time.monotonic() + WAIT
    while (run := studio.http.get(f"/api/runs/{run_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.5)
    assert run["status"] == "done", run
    return run


def new_project(studio, name: str, files: list, options: dict | None = None) -> dict:
    project = studio.http.post("/api/projects", data={"name": name}, files=files).json()
    if options:
        project = studio.http.patch(f"/api/projects/{project['id']}", json=options).json()
    return project


def queued(studio, project: dict, settings: dict) -> int:
    return studio.http.post(f"/api/projects/{project['id']}/runs", json=settings).json()["id"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, digits_root):
    root = tmp_path_factory.mktemp("try_data")
    (root / "customers.csv").write_text(customers(300).drop(columns=["spend_next"]).to_csv(index=False))
    (root / "co2.csv").write_text(
        sales(480, stores=("mauna loa",)).drop(columns=["store"]).to_csv(index=False)
    )
    return SimpleNamespace(root=root, digits=digits_root, recordings=record(root / "recordings"))


@pytest.fixture(scope="module")
def runs(studio, data):
    """Photos, texts and recordings, trained small through the API, queued at once; the table
    and the forecast come from the budget tests (trained here if those did not run)."""
    photos = [
        ("files", (f"digits/{p.relative_to(data.digits).as_posix()}", p.read_bytes(), "image/png"))
        for p in sorted(data.digits.rglob("*.png"))
    ]
    texts = [("files", ("reviews.csv", reviews(80).to_csv(index=False).encode(), "text/csv"))]
    sounds = [
        ("files", (f"recordings/{p.relative_to(data.recordings).as_posix()}", p.read_bytes(), "audio/wav"))
        for p in sorted(data.recordings.rglob("*.wav"))
    ]
    found = {
        "photo": queued(studio, new_project(studio, "digits", photos), {"epochs": 3}),
        "text": queued(studio, new_project(studio, "reviews", texts), {"epochs": 3}),
        "recording": queued(studio, new_project(studio, "spoken", sounds), {"epochs": 3}),
    }
    if "table" not in RUNS:
        table = [("files", ("customers.csv", (data.root / "customers.csv").read_bytes(), "text/csv"))]
        found["table"] = queued(
            studio, new_project(studio, "churn", table, {"target": "churned"}), {"epochs": 3}
        )
    if "forecast" not in RUNS:
        series = [("files", ("co2.csv", (data.root / "co2.csv").read_bytes(), "text/csv"))]
        options = {"task": "timeseries", "target": "units", "time": "date", "horizon": 7}
        found["forecast"] = queued(studio, new_project(studio, "co2", series, options), {"epochs": 2})
    return RUNS | found


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser):
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, permissions=["camera", "microphone"]
    )
    opened = context.new_page()
    opened.viewport_name = request.param
    problems = []
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield opened
    context.close()
    assert not problems, problems


def no_sideways_scroll(page) -> None:
    wide = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert wide[0] <= wide[1], f"the page is {wide[0]} px wide in a {wide[1]} px window"


def shot(page, name: str) -> None:
    """The Try panel's screenshot, as a small PNG (256 colours), when asked for."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    picture = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    picture = picture.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    picture.save(folder / f"try-{name}-{page.viewport_name}.png", optimize=True)


def open_try(page, studio, run_id: int) -> None:
    wait_for(studio, run_id)
    page.goto(f"{studio.link}#/run/{run_id}")
    page.click("#tab-try", timeout=ANSWER_MS)
    expect(page.locator("#try")).to_be_visible(timeout=ANSWER_MS)


def answered(page) -> None:
    expect(page.locator("#label")).to_contain_text("Predict", timeout=ANSWER_MS)


# -- a budget of one minute is a ceiling ------------------------------------------------
@pytest.mark.parametrize("kind", ["table", "forecast"])
def test_a_budget_of_one_minute_ends_within_66_s(studio, data, browser, kind):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(studio.link)
    page.fill("#project-name", kind)
    page.set_input_files("#pick-file", str(data.root / ("customers.csv" if kind == "table" else "co2.csv")))
    expect(page.locator("#detection")).to_be_visible(timeout=ANSWER_MS)
    if kind == "table":
        page.select_option("#target", "churned")
        expect(page.locator("#kind")).to_contain_text("2 classes", timeout=ANSWER_MS)
    else:
        page.select_option("#task", "timeseries")
        expect(page.locator("#kind")).to_contain_text("to forecast", timeout=ANSWER_MS)
        expect(page.locator("#detection")).to_contain_text("one series of 480 steps")
    page.fill("#budget", "1")
    page.click("#train")
    expect(page.locator("#stage")).to_contain_text("so far", timeout=ANSWER_MS)  # one wording, counting
    expect(page.locator("#status")).to_contain_text("done", timeout=120_000)
    run_id = int(re.search(r"#/run/(\d+)", page.url)[1])
    run = studio.http.get(f"/api/runs/{run_id}").json()
    took = run["finished"] - run["created"]
    context.close()
    assert not errors, errors
    manifest = json.loads((studio.workspace.run_dir(run_id) / "model" / "manifest.json").read_text())
    budget = manifest["training"]["budget"]  # the run knew its limit, and says what it cut
    assert took <= 66, f"{kind}: {took:.1f} s from queue to done for a budget of 60 s ({budget})"
    assert budget["limit"] == 60 and budget["spent"] <= 60, budget
    RUNS[kind] = run_id


# -- Try, for each kind of data, at a desktop and a phone ---------------------------------
def test_try_a_photo_from_a_file_and_a_test_example(studio, runs, data, page):
    open_try(page, studio, runs["photo"])
    page.click("#try-example")  # a real example of the test split
    answered(page)
    expect(page.locator("#answer .probabilities tr")).to_have_count(3)
    expect(page.locator("#heatmap")).to_be_visible(timeout=ANSWER_MS)
    page.set_input_files("#try-file", str(sorted((data.digits / "7").iterdir())[0]))
    answered(page)
    expect(page.locator("#try-preview img")).to_be_visible()
    expect(page.locator("#actually option")).to_have_count(3, timeout=ANSWER_MS)
    shot(page, "photo")
    no_sideways_scroll(page)


def test_a_photo_model_live_on_the_webcam(studio, runs, page):
    open_try(page, studio, runs["photo"])
    page.click("#live")
    expect(page.locator("#live-label")).to_contain_text("Now:", timeout=ANSWER_MS)
    expect(page.locator("#live-answer .probabilities tr")).to_have_count(3)
    expect(page.locator("#live-rate")).to_contain_text("predictions a second", timeout=ANSWER_MS)
    shot(page, "webcam")
    no_sideways_scroll(page)
    page.click("#live")  # stops
    expect(page.locator("#live-video")).to_be_hidden()


def test_try_a_text_with_coloured_words_and_their_key(studio, runs, page):
    open_try(page, studio, runs["text"])
    assert page.input_value("#try-text")  # a test text to start from
    page.fill("#try-text", "the film was superb and moving")
    page.click("#try-go")
    answered(page)
    words = page.locator("#words span")
    expect(words).to_have_count(6, timeout=ANSWER_MS)
    expect(page.locator("#words-key")).to_contain_text("pushed toward")
    colours = [words.nth(i).evaluate("s => s.style.background") for i in range(6)]
    assert any("0, 160, 0" in c for c in colours), colours  # green: toward the prediction
    shot(page, "text")
    no_sideways_scroll(page)


def test_try_a_row_starting_from_a_test_example(studio, runs, page):
    open_try(page, studio, runs["table"])
    plan = page.locator("#try-row select[data-column='plan']")  # a category: its known values
    assert set(plan.locator("option").all_inner_texts()) >= {"basic", "plus", "pro"}
    assert page.input_value("#try-row input[data-column='age']")  # the example's values
    page.click("#try-go")
    answered(page)
    expect(page.locator("#contributions li").first).to_be_visible(timeout=ANSWER_MS)
    shot(page, "row")
    no_sideways_scroll(page)


def test_try_a_recording_from_a_file_and_the_microphone(studio, runs, data, page):
    open_try(page, studio, runs["recording"])
    page.set_input_files("#try-file", str(sorted((data.recordings / "up").iterdir())[0]))
    answered(page)
    expect(page.locator("#try-sound")).to_be_visible()
    expect(page.locator("#heatmap")).to_be_visible(timeout=ANSWER_MS)
    record_button = page.locator("#record")
    record_button.click()
    expect(record_button).to_have_text("■ Stop")
    page.wait_for_timeout(1500)
    record_button.click()
    expect(record_button).to_have_text("● Record")
    expect(page.locator("#playback")).to_be_visible()
    answered(page)
    expect(page.locator("#answer .probabilities tr")).to_have_count(3)
    expect(page.locator("#why-note")).to_contain_text("spectrogram", timeout=ANSWER_MS)
    shot(page, "recording")
    no_sideways_scroll(page)


def test_a_forecast_is_drawn_after_its_history(studio, runs, page):
    open_try(page, studio, runs["forecast"])
    history = page.input_value("#try-history").strip().splitlines()
    assert history[0] == "date,units" and len(history) > 20  # the last steps of the data
    page.click("#try-go")
    expect(page.locator("#forecast-chart polyline")).to_have_count(2, timeout=ANSWER_MS)
    steps = page.locator("#forecast tr td:nth-child(2)").all_text_contents()
    assert steps[:3] == ["1", "2", "3"]  # steps, not 1.0000
    shot(page, "forecast")
    no_sideways_scroll(page)


# -- layouts hold ---------------------------------------------------------------------------
def test_a_wide_table_and_the_runs_hold_their_layout(studio, runs, page, tmp_path):
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(60, 100)).round(3), columns=[f"measurement_{i}" for i in range(100)])
    wide["label"] = np.where(wide["measurement_0"] > 0, "high", "low")
    wide.to_csv(tmp_path / "wide.csv", index=False)
    page.goto(studio.link)
    expect(page.locator("#projects")).to_be_visible(timeout=ANSWER_MS)
    no_sideways_scroll(page)  # the home page, its projects
    page.set_input_files("#pick-file", str(tmp_path / "wide.csv"))
    expect(page.locator("#detection")).to_be_visible(timeout=ANSWER_MS)
    no_sideways_scroll(page)
    project = studio.http.get(f"/api/runs/{runs['photo']}").json()["project_id"]
    wait_for(studio, runs["photo"])
    page.goto(f"{studio.link}#/project/{project}")
    expect(page.locator("#runs")).to_be_visible(timeout=ANSWER_MS)
    display = page.locator("#runs tr").nth(1).evaluate("r => getComputedStyle(r).display")
    assert display == ("block" if page.viewport_name == "phone" else "table-row")  # cards on a phone
    no_sideways_scroll(page)


# -- correct and retrain -----------------------------------------------------------------
def test_correct_examples_then_retrain_on_speakers_never_heard(studio, runs, browser):
    run = wait_for(studio, runs["recording"])
    context = browser.new_context(viewport={"width": 1280, "height": 800}, permissions=["microphone"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{studio.link}#/run/{run['id']}")
    page.locator("#confusion button").first.click()  # a cell: its recordings, each with its class
    first = page.locator("#cell .relabel").first
    truth = first.input_value()
    other = next(c for c in ("up", "down", "flat") if c != truth)
    first.select_option(other)
    expect(page.locator("#cell figcaption").first).to_contain_text(f"now under '{other}'", timeout=ANSWER_MS)
    page.click("#tab-try")
    page.click("#try-example")
    expect(page.locator("#actually")).to_be_visible(timeout=ANSWER_MS)
    page.select_option("#actually", other)
    page.click("#add-example")
    expect(page.locator("#added")).to_contain_text("1 added, 1 corrected", timeout=ANSWER_MS)
    page.goto(f"{studio.link}#/project/{run['project_id']}")
    expect(page.locator("#pending")).to_contain_text("1 example added, 1 corrected", timeout=ANSWER_MS)
    expect(page.locator("label", has=page.locator("#group-split"))).to_contain_text("speakers")
    page.check("#group-split")
    page.fill("#budget", "1")
    page.click("#train")
    expect(page.locator("#status")).to_contain_text("done", timeout=WAIT * 1000)
    expect(page.locator("#changes")).to_contain_text("1 example added and 1 example corrected")
    again = int(re.search(r"#/run/(\d+)", page.url)[1])
    context.close()
    assert not errors, errors
    assert studio.http.get(f"/api/runs/{again}").json()["settings"]["group_split"] == "speaker"
    manifest = json.loads((studio.workspace.run_dir(again) / "model" / "manifest.json").read_text())
    groups = manifest["data"]["groups"]  # tested on speakers it never trained on
    assert groups["split"] and groups["by"] == "speaker" and groups["n_test"] and groups["n_shared"] == 0
    assert studio.http.get(f"/api/projects/{run['project_id']}").json()["changes"] == {
        "added": 0,
        "corrected": 0,
    }
