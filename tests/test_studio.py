"""deepstart studio's API, as the page uses it: projects from dropped folders, archives
and tables; what was detected; training in a worker process with live events; trying,
exporting, downloading and serving a model; and the bad inputs, each refused in one
plain message with nothing half-written."""

import io
import json
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from deepstart.studio.app import create_studio
from deepstart.studio.workspace import Limits

from conftest import customers, reviews

WAIT = 240  # seconds a tiny run may take on 2 busy cores


def folder_files(root, top="digits"):
    """A dropped folder, as the page sends it: each file named by its path."""
    return [
        ("files", (f"{top}/{p.relative_to(root).as_posix()}", p.read_bytes(), "image/png"))
        for p in sorted(root.rglob("*.png"))
    ]


def wait_for(client, run_id: int) -> dict:
    deadline = time.monotonic() + WAIT
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.5)


def zipped(entries: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def plain(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert list(body) == ["error"] and "Traceback" not in answer.text
    return body["error"]


def entered(client: TestClient) -> TestClient:
    """The client, in the studio as a browser gets in: through the printed link's token,
    exchanged for the session cookie."""
    answer = client.get(f"/?token={client.app.state.session.token}")
    assert answer.status_code == 200 and "set-cookie" in answer.headers
    return client


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio")
    with TestClient(
        create_studio(root, limits=Limits(max_upload=20_000_000)), raise_server_exceptions=False
    ) as client:
        client.root = root
        yield entered(client)


@pytest.fixture(scope="module")
def image_run(studio, digits_root):
    project = studio.post("/api/projects", data={"name": "digits"}, files=folder_files(digits_root)).json()
    run = studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 3}).json()
    return project, wait_for(studio, run["id"])


def test_a_dropped_folder_is_detected_before_anything_trains(studio, image_run):
    project, _ = image_run
    found = studio.get(f"/api/projects/{project['id']}").json()["detection"]
    assert found["kind"] == "image" and found["n"] == 72 and "problem" not in found
    assert [(c["name"], c["count"]) for c in found["classes"]] == [("0", 24), ("1", 24), ("7", 24)]
    assert len(found["samples"]["7"]) == 4 and found["n_skipped"] == 0
    thumb = studio.get(f"/api/projects/{project['id']}/files/{found['samples']['7'][0]}")
    assert thumb.status_code == 200 and thumb.content[:4] == b"\x89PNG"


def test_training_runs_in_a_worker_and_streams_its_progress(studio, image_run):
    project, run = image_run
    assert run["status"] == "done", run
    assert run["summary"]["test"]["accuracy"] > 0.5 and run["summary"]["modality"] == "image"
    stream = studio.get(f"/api/runs/{run['id']}/events").text
    found = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: {")]
    events = [e for e in found if "event" in e]  # the last data is the end's: {"status": ...}
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3] and all("val_loss" in e for e in epochs)
    assert any(e["event"] == "progress" for e in events) and events[-1]["event"] == "done"
    assert "event: end" in stream
    report = studio.get(f"/api/runs/{run['id']}/report")
    assert (
        "confusion matrix" in report.text.lower() and "sandbox" in report.headers["content-security-policy"]
    )


def test_try_a_photo_and_see_why(studio, image_run, digits_root):
    _, run = image_run
    photo = sorted((digits_root / "7").iterdir())[0].read_bytes()
    meta = studio.get(f"/api/runs/{run['id']}/metadata").json()
    assert meta["modality"] == "image" and meta["classes"] == ["0", "1", "7"]
    answer = studio.post(
        f"/api/runs/{run['id']}/predict", files={"file": ("a.png", photo, "image/png")}
    ).json()
    assert answer["predictions"][0]["label"] in ("0", "1", "7")
    why = studio.post(f"/api/runs/{run['id']}/explain", files={"file": ("a.png", photo, "image/png")}).json()
    assert len(why["heatmap_png"]) > 100


def test_download_export_and_serve(studio, image_run, digits_root):
    _, run = image_run
    folder = zipfile.ZipFile(io.BytesIO(studio.get(f"/api/runs/{run['id']}/download").content))
    assert {"manifest.json", "model.safetensors", "report.html"} <= set(folder.namelist())
    job = studio.post(f"/api/runs/{run['id']}/export").json()
    done = wait_for(studio, job["id"])
    assert done["status"] == "done" and done["summary"]["check"]["int8"]["n"] > 0, done
    exported = zipfile.ZipFile(io.BytesIO(studio.get(f"/api/runs/{job['id']}/download-export").content))
    assert "model.onnx" in exported.namelist()
    served = studio.post(f"/api/runs/{run['id']}/serve").json()
    try:  # as protected as the studio: a token of its own, in the curl line the page shows
        import httpx

        photo = ("a.png", (digits_root / "7").iterdir().__next__().read_bytes(), "image/png")
        assert httpx.get(served["url"] + "health").json()["status"] == "ok"
        assert httpx.post(served["url"] + "predict", files={"file": photo}).status_code == 401
        auth = {"Authorization": f"Bearer {served['token']}"}
        assert httpx.get(served["url"] + "metadata", headers=auth).json()["auth"] is True
        assert httpx.post(served["url"] + "predict", files={"file": photo}, headers=auth).status_code == 200
        assert served["curl"].startswith(f"curl -H 'Authorization: Bearer {served['token']}' -F file=@")
    finally:
        studio.delete(f"/api/runs/{run['id']}/serve")


def test_a_table_with_a_chosen_target_trains_and_answers_rows(studio):
    table = customers(120).drop(columns=["spend_next"])
    files = [("files", ("customers.csv", table.to_csv(index=False).encode(), "text/csv"))]
    project = studio.post("/api/projects", data={"name": "churn"}, files=files).json()
    assert "holds the labels" in project["detection"]["problem"]  # which column? the page asks
    assert "churned" in project["detection"]["columns"]
    chosen = studio.patch(f"/api/projects/{project['id']}", json={"target": "churned"}).json()
    assert (
        chosen["detection"]["target"] == "churned" and chosen["detection"]["column_types"]["age"] == "numeric"
    )
    run = wait_for(
        studio, studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 3}).json()["id"]
    )
    assert run["status"] == "done" and run["summary"]["leaderboard"], run
    row = {k: (None if v != v else str(v)) for k, v in table.drop(columns=["churned"]).iloc[0].items()}
    answer = studio.post(f"/api/runs/{run['id']}/predict", json={"row": row}).json()
    assert answer["predictions"][0]["label"] in ("yes", "no")


def test_cancel_stops_a_run_and_the_project_stays_usable(studio):
    files = [("files", ("reviews.csv", reviews(60).to_csv(index=False).encode(), "text/csv"))]
    project = studio.post("/api/projects", data={"name": "reviews"}, files=files).json()
    slow = studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 200, "fine_tune": True}).json()
    deadline = time.monotonic() + 60
    while studio.get(f"/api/runs/{slow['id']}").json()["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert studio.post(f"/api/runs/{slow['id']}/cancel").status_code == 200
    assert wait_for(studio, slow["id"])["status"] == "cancelled"
    assert not (studio.root / "runs" / str(slow["id"]) / "model").exists()
    again = wait_for(
        studio, studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 2}).json()["id"]
    )
    assert again["status"] == "done", again


def test_bad_uploads_are_refused_and_leave_nothing(studio):
    before = studio.get("/api/projects").json()
    traversal = zipped({"../evil.png": b"x", "cats/a.png": b"x"})
    said = plain(
        studio.post("/api/projects", files=[("files", ("a.zip", traversal, "application/zip"))]), 422
    )
    assert "leads out of its folder" in said
    bomb = zipped({"cats/big.png": b"\0" * 30_000_000})
    said = plain(studio.post("/api/projects", files=[("files", ("b.zip", bomb, "application/zip"))]), 422)
    assert "bomb" in said
    empty = zipped({})
    said = plain(studio.post("/api/projects", files=[("files", ("c.zip", empty, "application/zip"))]), 422)
    assert "no files" in said
    too_big = [("files", ("big.csv", b"a,b\n" + b"1,2\n" * 6_000_000, "text/csv"))]
    assert "larger than the limit" in plain(studio.post("/api/projects", files=too_big), 413)
    assert studio.get("/api/projects").json() == before
    assert len(list((studio.root / "projects").iterdir())) == len(before)


def test_data_that_cannot_train_says_why_in_the_page(studio, digits_root):
    one = [f for f in folder_files(digits_root) if "/0/" in f[1][0]]
    project = studio.post("/api/projects", data={"name": "one class"}, files=one).json()
    assert "only one class" in project["detection"]["problem"]
    assert "only one class" in plain(studio.post(f"/api/projects/{project['id']}/runs", json={}), 422)
    numbers = b"a,b,c\n" + b"".join(f"{i},{i * 2},{i % 3}\n".encode() for i in range(40))
    table = studio.post("/api/projects", files=[("files", ("n.csv", numbers, "text/csv"))]).json()
    said = table["detection"]["problem"]  # what to do in the page, in its own words, no flag
    assert "choose it with the menu “Column to predict”" in said and "--" not in said
    assert table["detection"]["columns"] == [
        "a",
        "b",
        "c",
    ]
    odd = "<img src=x onerror=alert(1)>"
    files = [
        ("files", (f"x/{name}/{i}.png", f[1][1], "image/png"))
        for name in (odd, "0")
        for i, f in enumerate(one[:5])
    ]
    named = studio.post("/api/projects", files=files).json()
    assert any(c["name"] == odd for c in named["detection"]["classes"])
    assert plain(studio.get(f"/api/projects/{named['id']}/files/..%2F..%2Fstudio.sqlite"), 422)


def test_settings_are_checked_before_a_run_is_queued(studio, image_run):
    project, _ = image_run
    said = plain(studio.post(f"/api/projects/{project['id']}/runs", json={"test_size": 1.5}), 422)
    assert "test_size" in said
    assert "Send a JSON object" in plain(
        studio.post(f"/api/projects/{project['id']}/runs", json={"rm": 1}), 422
    )


def test_a_restarted_studio_lists_the_same_projects_and_runs(studio):
    with TestClient(create_studio(studio.root)) as again:
        entered(again)
        assert again.get("/api/projects").json() == studio.get("/api/projects").json()
        first = studio.get("/api/projects").json()[-1]["id"]
        assert (
            again.get(f"/api/projects/{first}").json()["runs"]
            == studio.get(f"/api/projects/{first}").json()["runs"]
        )


def test_loopback_refuses_other_hosts_and_a_token_is_asked(tmp_path):
    with TestClient(
        create_studio(tmp_path, token="s3cret", host="127.0.0.1"), base_url="http://127.0.0.1"
    ) as client:
        assert client.get("/api/projects").status_code == 401
        assert client.get("/api/projects", headers={"Authorization": "Bearer s3cret"}).json() == []
        gate = client.get("/")  # the bare address: how to get in, in one line
        assert gate.status_code == 401 and "link printed where it was started" in gate.text
        assert client.get("/health", headers={"host": "evil.example"}).status_code == 400


def test_the_command_serves_and_a_killed_studio_marks_its_run_interrupted(tmp_path):
    """`deepstart studio` as a user starts it; killed (kill -9) while a run trains, then
    started again on the same workspace: the finished run is intact, the other is
    marked interrupted, and its worker does not go on alone."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    import httpx

    def start():
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        args = [
            sys.executable,
            "-m",
            "deepstart",
            "studio",
            "--workspace",
            str(tmp_path),
            "--port",
            str(port),
        ]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        printed = process.stdout.readline().decode()  # deepstart studio: http://127.0.0.1:PORT/?token=...
        link = printed.split()[2]
        assert link.startswith(f"http://127.0.0.1:{port}/?token="), printed
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get(link).status_code == 200:  # in, as a browser gets in: the cookie
                    return process, client
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
                time.sleep(0.2)

    def wait(client, run_id, statuses):
        deadline = time.monotonic() + WAIT
        while (status := client.get(f"/api/runs/{run_id}").json()["status"]) not in statuses:
            assert time.monotonic() < deadline, status
            time.sleep(0.3)
        return status

    process, client = start()
    try:
        assert "studio.js" in client.get("/").text  # the page itself, not the way in
        csv = reviews(60).to_csv(index=False).encode()
        project = client.post("/api/projects", files=[("files", ("r.csv", csv, "text/csv"))]).json()
        done = client.post(f"/api/projects/{project['id']}/runs", json={"epochs": 2}).json()
        assert wait(client, done["id"], ("done", "failed")) == "done"
        slow = client.post(
            f"/api/projects/{project['id']}/runs", json={"epochs": 200, "fine_tune": True}
        ).json()
        wait(client, slow["id"], ("running",))
        worker = client.get(f"/api/runs/{slow['id']}").json()["pid"]
    finally:
        process.kill()
        process.wait()
    process, client = start()
    try:
        runs = {r["id"]: r for r in client.get(f"/api/projects/{project['id']}").json()["runs"]}
        assert runs[done["id"]]["status"] == "done" and runs[slow["id"]]["status"] == "interrupted"
        assert client.get(f"/api/runs/{done['id']}/report").status_code == 200
        deadline = time.monotonic() + 20
        while os.path.exists(f"/proc/{worker}") and time.monotonic() < deadline:
            time.sleep(0.2)  # the orphaned worker was told to stop
        assert not os.path.exists(f"/proc/{worker}") or b"Z" in open(f"/proc/{worker}/stat", "rb").read()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
