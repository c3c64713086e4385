"""What a studio run keeps for the page and what the page may change (issue 28): a real
example of the test split for Try and for the curl line, the export checked on the test
split, "this is actually X" (a file into its class's folder, a row or a text appended to
the table, a test example filed under another class), counted for the next run; a split
by speaker offered where the file names say who speaks; and the refusals, in one line,
with nothing written outside the project's data."""

import csv
import io
import json
import time

import pytest
from fastapi.testclient import TestClient

from deepstart.studio.app import create_studio
from test_sound_speakers import record

from conftest import customers, reviews

WAIT = 240


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio_examples")
    with TestClient(create_studio(root), raise_server_exceptions=False) as client:
        assert client.get(f"/?token={client.app.state.session.token}").status_code == 200  # the cookie
        client.root = root
        yield client


def wait_for(client, run_id: int) -> dict:
    deadline = time.monotonic() + WAIT
    while (run := client.get(f"/api/runs/{run_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert run["status"] == "done", run
    return run


@pytest.fixture(scope="module")
def spoken(studio, tmp_path_factory):
    """Recordings named {label}_{speaker}_{n}, five speakers; trained once, split by speaker."""
    root = record(tmp_path_factory.mktemp("spoken") / "recordings")
    files = [
        ("files", (f"recordings/{p.relative_to(root).as_posix()}", p.read_bytes(), "audio/wav"))
        for p in sorted(root.rglob("*.wav"))
    ]
    project = studio.post("/api/projects", data={"name": "spoken"}, files=files).json()
    settings = {"epochs": 2, "group_split": True}
    run = wait_for(studio, studio.post(f"/api/projects/{project['id']}/runs", json=settings).json()["id"])
    return project, run, root


@pytest.fixture(scope="module")
def texts(studio):
    files = [("files", ("reviews.csv", reviews(80).to_csv(index=False).encode(), "text/csv"))]
    project = studio.post("/api/projects", data={"name": "reviews"}, files=files).json()
    run = wait_for(
        studio, studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 2}).json()["id"]
    )
    return project, run


def data_of(studio, project) -> "Path":  # noqa: F821 - a pathlib.Path
    return studio.root / "projects" / str(project["id"]) / "data"


def test_speakers_named_in_file_names_can_be_kept_out_of_training(studio, spoken):
    project, run, _ = spoken
    groups = project["detection"]["groups"]
    assert (
        groups["word"] == "speaker"
        and groups["n"] == 5
        and groups["label"] == "Test on speakers it has never heard"
    )
    assert run["settings"]["group_split"] == "speaker"
    manifest = json.loads((studio.root / "runs" / str(run["id"]) / "model" / "manifest.json").read_text())
    assert manifest["data"]["groups"]["split"] and manifest["data"]["groups"]["n_shared"] == 0
    files = [("files", ("reviews.csv", reviews(40).to_csv(index=False).encode(), "text/csv"))]
    other = studio.post("/api/projects", data={"name": "no speakers"}, files=files).json()
    assert "groups" not in other["detection"]
    refused = studio.post(f"/api/projects/{other['id']}/runs", json={"group_split": True})
    assert refused.status_code == 422 and "belong together" in refused.json()["error"]
    assert studio.post(f"/api/projects/{other['id']}/runs", json={"group_split": "x"}).status_code == 422


def test_a_run_keeps_a_test_example_for_try_and_the_curl_line(studio, spoken, texts):
    _, run, _ = spoken
    meta = studio.get(f"/api/runs/{run['id']}/metadata").json()
    assert meta["try"]["capture"] == "microphone" and meta["example"]["file"].endswith(".wav")
    sound = studio.get(f"/api/runs/{run['id']}/example-file")
    assert sound.status_code == 200 and sound.content[:4] == b"RIFF"
    _, text_run = texts
    example = studio.get(f"/api/runs/{text_run['id']}/metadata").json()["example"]
    assert example["input"] and example["truth"] in ("pos", "neg")
    served = studio.post(f"/api/runs/{text_run['id']}/serve").json()
    try:
        assert json.dumps({"text": example["input"]}) in served["curl"]  # a real text, not a placeholder
    finally:
        studio.delete(f"/api/runs/{text_run['id']}/serve")
    assert studio.get(f"/api/runs/{text_run['id']}/example-file").status_code == 404


def test_the_export_is_checked_on_the_test_split(studio, texts):
    _, run = texts
    job = wait_for(studio, studio.post(f"/api/runs/{run['id']}/export").json()["id"])
    check = job["summary"]["check"]
    assert check["data"] == f"the test split ({run['summary']['test']['n']} texts)"
    assert check["accuracy_pytorch"] == pytest.approx(run["summary"]["test"]["accuracy"])


def test_this_is_actually_x_files_examples_and_the_next_run_says_so(studio, spoken):
    project, run, root = spoken
    records = studio.get(f"/api/runs/{run['id']}/test-records").json()
    first = records[0]
    other = next(c for c in ("up", "down", "flat") if c != first["truth"])
    corrected = studio.post(
        f"/api/projects/{project['id']}/examples",
        json={"label": other, "run": run["id"], "test": first["input"]},
    )
    assert corrected.json() == {"changes": {"added": 0, "corrected": 1}}
    data = data_of(studio, project)
    moved = first["input"].split("/")[-1].replace(f"{first['truth']}_", f"{other}_", 1)
    assert (data / other / moved).is_file() and not (
        data / first["input"]
    ).exists()  # {label}_{speaker}_{n} kept
    wav = sorted((root / "up").iterdir())[0].read_bytes()
    added = studio.post(
        f"/api/projects/{project['id']}/examples/file",
        data={"label": "flat"},
        files={"file": ("recording.wav", wav, "audio/wav")},
    )
    assert added.json() == {"changes": {"added": 1, "corrected": 1}}
    assert any(p.name.startswith("added-") for p in (data / "flat").iterdir())
    assert studio.get(f"/api/projects/{project['id']}").json()["changes"] == {"added": 1, "corrected": 1}
    again = wait_for(
        studio, studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 1}).json()["id"]
    )
    assert again["summary"]["changes"] == {"added": 1, "corrected": 1}
    events = studio.get(f"/api/runs/{again['id']}/events").text
    assert "This run learns from 1 example added and 1 corrected in the page." in events
    assert studio.get(f"/api/projects/{project['id']}").json()["changes"] == {"added": 0, "corrected": 0}


def test_a_text_or_a_row_is_appended_or_relabelled_in_the_table(studio, texts):
    project, run = texts
    table = data_of(studio, project) / "reviews.csv"
    added = studio.post(
        f"/api/projects/{project['id']}/examples", json={"label": "pos", "input": 'a "lovely", lovely film'}
    )
    assert added.status_code == 200, added.text
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert (
        rows[-1]["review"] == 'a "lovely", lovely film' and rows[-1]["sentiment"] == "pos" and len(rows) == 81
    )
    record = studio.get(f"/api/runs/{run['id']}/test-records").json()[0]
    flipped = "neg" if record["truth"] == "pos" else "pos"
    studio.post(
        f"/api/projects/{project['id']}/examples",
        json={"label": flipped, "run": run["id"], "test": record["input"]},
    )
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert {r["sentiment"] for r in rows if r["review"] == record["input"]} == {flipped}
    files = [
        (
            "files",
            ("c.csv", customers(40).drop(columns=["spend_next"]).to_csv(index=False).encode(), "text/csv"),
        )
    ]
    churn = studio.post("/api/projects", data={"name": "churn"}, files=files).json()
    studio.patch(f"/api/projects/{churn['id']}", json={"target": "churned"})
    row = {"age": "70", "plan": "pro", "active": "no", "signup": "2020-03-01", "visits": None}
    assert (
        studio.post(f"/api/projects/{churn['id']}/examples", json={"label": "yes", "input": row}).status_code
        == 200
    )
    last = list(csv.DictReader(io.StringIO((data_of(studio, churn) / "c.csv").read_text())))[-1]
    assert last["age"] == "70" and last["churned"] == "yes" and last["visits"] == ""


@pytest.mark.parametrize(
    "body, status",
    [
        ({"label": "../../evil", "input": "x"}, 422),  # a label is a class name: no path
        ({"label": "pos", "run": 9999, "test": "x"}, 404),  # not a run of this project
        ({"label": "pos", "input": {"no such column": "1"}}, 422),
        ({"label": 3, "input": "x"}, 422),
        ({"input": "x"}, 422),
    ],
)
def test_odd_corrections_are_refused_in_one_line(studio, texts, body, status):
    project, run = texts
    before = (data_of(studio, project) / "reviews.csv").read_text()
    answer = studio.post(f"/api/projects/{project['id']}/examples", json=body)
    assert answer.status_code == status and list(answer.json()) == ["error"], answer.text
    assert (data_of(studio, project) / "reviews.csv").read_text() == before


def test_a_test_example_is_named_by_its_run_never_by_a_path(studio, spoken, texts):
    project, run, _ = spoken
    for given in ("../../studio.sqlite", "/etc/passwd", "up/../../../runs/1/model/manifest.json"):
        answer = studio.post(
            f"/api/projects/{project['id']}/examples", json={"label": "up", "run": run["id"], "test": given}
        )
        assert answer.status_code == 404, answer.text
    text_project, _ = texts
    photo = {"file": ("x.wav", b"RIFF", "audio/wav")}
    refused = studio.post(
        f"/api/projects/{text_project['id']}/examples/file", data={"label": "pos"}, files=photo
    )
    assert refused.status_code == 409 and "folders of classes" in refused.json()["error"]
    sneaky = studio.post(
        f"/api/projects/{project['id']}/examples/file",
        data={"label": "up"},
        files={"file": ("../../x.sh", b"x", "audio/wav")},
    )
    assert sneaky.status_code == 200
    assert not (studio.root / "x.sh").exists() and not list(data_of(studio, project).parent.glob("*.sh"))
    cross = studio.post(
        f"/api/projects/{project['id']}/examples",
        json={"label": "up", "run": run["id"], "test": "x"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert cross.status_code == 403
