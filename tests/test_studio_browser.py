"""deepstart studio in headless Chromium (Debian's chromium, through Playwright), on a
fresh workspace, against a real server on 127.0.0.1: the whole path for images (a .zip
of digits) and a table; photos from chromium's fake webcam; Cancel; a restart on the same
workspace; a refused upload and a class name that is markup, shown as text; the banner
when the studio cannot be reached. Try for every kind of data: test_studio_try.py."""

import zipfile

import pytest
from playwright.sync_api import expect

from deepstart.studio.app import create_studio

from conftest import CHROMIUM, customers, live_server, reviews

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable on PATH")
TRAINING_MS = 240_000  # a tiny model trains in a worker on 2 busy cores
ANSWER_MS = 30_000


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("studio_ws")


@pytest.fixture(scope="module")
def studio(workspace):
    app = create_studio(workspace, host="127.0.0.1")
    with live_server(app) as url:
        yield app.state.session.link(url)  # the printed link: the way in


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, permissions=["camera"])
    opened = context.new_page()
    problems = []
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield opened
    context.close()
    assert not problems, problems


def new_project(page, url, name: str, path) -> None:
    page.goto(url)
    page.fill("#project-name", name)
    page.set_input_files("#pick-file", str(path))
    expect(page.locator("#detection")).to_be_visible(timeout=ANSWER_MS)


def train(page) -> None:
    page.fill("#budget", "1")  # a minute at most (a budget is a ceiling)
    page.click("#train")
    expect(page.locator("#status")).to_contain_text("done", timeout=TRAINING_MS)


def test_images_from_a_zip_to_an_int8_onnx_download(studio, page, digits_root, tmp_path):
    archive = tmp_path / "digits.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(digits_root.rglob("*.png")):
            z.write(f, f"digits/{f.relative_to(digits_root)}")
    new_project(page, studio, "digits", archive)
    expect(page.locator("#classes tr")).to_have_count(4)  # a header and the three classes
    expect(page.locator("#samples img").first).to_be_visible()
    train(page)
    expect(page.locator("#result")).to_contain_text("accuracy")
    report = page.frame_locator("iframe.report")
    expect(report.locator("table.confusion")).to_be_visible(timeout=ANSWER_MS)
    expect(page.locator("#curves svg")).to_have_count(2)
    page.locator("#confusion button").first.click()  # a cell of the confusion matrix: its photos
    expect(page.locator("#cell")).to_contain_text("test examples of")
    expect(page.locator("#cell img").first).to_have_js_property("complete", True, timeout=ANSWER_MS)
    page.click("#tab-try")
    page.set_input_files("#try-file", str(sorted((digits_root / "7").iterdir())[0]))
    expect(page.locator("#label")).to_contain_text("Prediction", timeout=ANSWER_MS)
    expect(page.locator("#heatmap")).to_be_visible(timeout=ANSWER_MS)
    page.click("#tab-ship")
    page.click("#export-int8")
    expect(page.locator("#download-export")).to_be_visible(timeout=TRAINING_MS)
    with page.expect_download() as got:
        page.click("#download-export")
    with zipfile.ZipFile(got.value.path()) as exported:
        assert {"model.onnx", "manifest.json"} <= set(exported.namelist())


def test_a_table_with_a_chosen_target_then_a_row(studio, page, tmp_path):
    path = tmp_path / "customers.csv"
    customers(150).drop(columns=["spend_next"]).to_csv(path, index=False)
    new_project(page, studio, "churn", path)
    expect(page.locator("#problem")).to_contain_text("labels")
    expect(page.locator("#train")).to_be_disabled()
    page.select_option("#target", "churned")
    expect(page.locator("#kind")).to_contain_text("2 classes in 'churned'", timeout=ANSWER_MS)
    train(page)
    report = page.frame_locator("iframe.report")
    expect(report.locator("text=Deep and classical models on the same split")).to_be_visible(
        timeout=ANSWER_MS
    )
    page.click("#tab-try")
    for column, value in (("age", "70"), ("active", "no"), ("signup", "2020-03-01")):
        page.fill(f"#try-row input[data-column='{column}']", value)
    page.select_option("#try-row select[data-column='plan']", "pro")  # a category: chosen among its values
    page.click("#try-go")
    expect(page.locator("#label")).to_contain_text("Prediction", timeout=ANSWER_MS)
    expect(page.locator("#contributions li").first).to_be_visible(timeout=ANSWER_MS)


def test_the_webcam_takes_photos_for_a_class(studio, page):
    page.goto(studio)
    page.fill("#project-name", "gestures")
    page.click("#webcam-project")
    expect(page.locator("#camera")).to_be_visible(timeout=ANSWER_MS)
    page.click("#camera")
    expect(page.locator("#hold")).to_be_enabled(timeout=ANSWER_MS)
    page.fill("#class-name", "wave")
    page.locator("#hold").dispatch_event("mousedown")
    page.wait_for_timeout(1500)
    page.locator("#hold").dispatch_event("mouseup")
    expect(page.locator("#classes")).to_contain_text("wave", timeout=ANSWER_MS)
    count = int(page.locator("#classes tr", has_text="wave").locator("td.num").inner_text())
    assert count >= 3


def test_cancel_and_the_project_stays_usable(studio, page, tmp_path):
    path = tmp_path / "slow.csv"
    reviews(60).to_csv(path, index=False)
    new_project(page, studio, "to cancel", path)
    page.check("#fine-tune")
    page.fill("#budget", "30")
    page.click("#train")
    expect(page.locator("#cancel")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("running", timeout=ANSWER_MS)
    page.click("#cancel")
    expect(page.locator("#status")).to_contain_text("cancelled", timeout=ANSWER_MS)
    page.go_back()
    page.uncheck("#fine-tune")
    train(page)


def test_refusals_are_plain_and_markup_stays_text(studio, page, digits_root, tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("../outside.png", b"x")
    page.goto(studio)
    page.set_input_files("#pick-file", str(bad))
    expect(page.locator(".problem")).to_contain_text("leads out of its folder", timeout=ANSWER_MS)
    odd = "<img src=x onerror=alert(1)>"
    archive = tmp_path / "odd.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for label, name in (("0", odd), ("1", "one")):
            for f in sorted((digits_root / label).iterdir())[:5]:
                z.write(f, f"set/{name}/{f.name}")
    new_project(page, studio, odd, archive)
    expect(page.locator("#classes")).to_contain_text(odd)
    expect(page.locator("h1")).to_have_text(odd)
    assert page.locator("img[src='x']").count() == 0


def test_a_restarted_studio_shows_the_same_projects(workspace, page):
    app = create_studio(workspace, host="127.0.0.1")
    with live_server(app) as url:
        page.goto(app.state.session.link(url))
        expect(page.locator("#projects")).to_contain_text("digits")
        expect(page.locator("#projects")).to_contain_text("churn")
        page.locator("#projects a", has_text="digits").click()
        expect(page.locator("#runs")).to_contain_text("done")


@pytest.mark.parametrize("elsewhere", ["another site", "another port here"])
def test_a_foreign_page_can_neither_drive_nor_frame_the_studio(studio, page, elsewhere):
    """The user is in the studio (its cookie is set) and opens a page elsewhere: another
    site, or another port of this machine (the same site: the browser sends the studio's
    SameSite=Strict cookie with its requests). It frames the studio, sends it JSON as
    text/plain and posts a form to it; none of that reaches the studio's data."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    page.goto(studio)
    expect(page.locator("#project-name")).to_be_visible(timeout=ANSWER_MS)
    base = studio.split("?")[0]
    before = page.request.get(base + "api/projects").json()
    hostile = f"""<!doctype html><html><body>
<iframe id="framed" src="{base}"></iframe>
<form id="f" method="post" enctype="multipart/form-data" action="{base}api/projects">
<input name="name" value="planted"></form>
<script>
fetch("{base}api/projects", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"content-type": "text/plain"}}, body: "{{}}"}}).catch(() => {{}});  // blocked or refused
setTimeout(() => document.getElementById("f").submit(), 1500);
</script></body></html>"""
    served = Starlette(routes=[Route("/{path:path}", lambda request: HTMLResponse(hostile))])
    with live_server(served) as there:
        if elsewhere == "another site":  # the browser itself keeps public pages off 127.0.0.1
            there = "http://evil.example/"
            page.route(there, lambda route: route.fulfill(body=hostile, content_type="text/html"))
        page.goto(there)
        page.wait_for_timeout(1000)
        framed = page.frames[-1]
        assert framed.locator("#enter, #main").count() == 0, "another page showed the studio in a frame"
        page.wait_for_url(base + "api/projects", timeout=ANSWER_MS)  # where the form went
    assert "other web sites" in page.content()
    assert page.request.get(base + "api/projects").json() == before


def test_a_banner_says_when_the_studio_cannot_be_reached(page, tmp_path):
    """The studio stops while its page is open on a run: a banner says so, and the run's
    status says it is not known rather than "queued" or "running"."""
    import httpx

    app = create_studio(tmp_path, host="127.0.0.1", jobs=0)  # nothing runs: the run stays queued
    with live_server(app) as url:
        auth = {"Authorization": f"Bearer {app.state.session.token}"}
        csv = reviews(20).to_csv(index=False).encode()
        project = httpx.post(
            url + "api/projects", files=[("files", ("r.csv", csv, "text/csv"))], headers=auth
        )
        run = httpx.post(url + f"api/projects/{project.json()['id']}/runs", json={}, headers=auth).json()
        page.goto(app.state.session.link(url) + f"#/run/{run['id']}")
        expect(page.locator("#status")).to_contain_text("queued", timeout=ANSWER_MS)
        expect(page.locator("#offline")).to_be_hidden()
    expect(page.locator("#offline")).to_be_visible(timeout=ANSWER_MS)  # the studio stopped
    expect(page.locator("#status")).to_contain_text("cannot be reached")
