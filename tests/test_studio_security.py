"""deepstart studio attacked as a hostile review did (issue 26): a web page elsewhere
driving it (CSRF) or framing it, .zip files that stall or escape, tables that name files
outside the project, hundreds of event streams, a project deleted while it trains, an
orphaned worker of another studio, paths of the server reaching the page. Each test
fails on the studio as it was before."""

import io
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient

from deepstart.data.confine import data_folder
from deepstart.errors import DataError
from deepstart.modalities import read_labeled
from deepstart.studio import archive, projects
from deepstart.studio.app import create_studio
from deepstart.studio.jobs import _stop_orphan
from deepstart.studio.workspace import Limits, Workspace
from test_studio import entered, folder_files, plain, wait_for, zipped

from conftest import image_bytes, reviews

EVIL = {"Origin": "http://evil.example"}


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("attacked")
    with TestClient(
        create_studio(root, limits=Limits(max_upload=40_000_000)), raise_server_exceptions=False
    ) as c:
        c.root = root
        yield entered(c)


def send(studio, name: str, data: bytes, kind: str = "application/zip"):
    """One file dropped on the page, as a new project."""
    return studio.post("/api/projects", files=[("files", (name, data, kind))])


def table_files(name: str, csv: str, files: dict) -> list:
    return [("files", (name, csv.encode(), "text/csv"))] + [
        ("files", (path, data, "application/octet-stream")) for path, data in files.items()
    ]


def count_projects(studio) -> int:
    return len(studio.get("/api/projects").json())


# -- 1. a foreign page cannot drive the studio -------------------------------------------
def test_without_the_secret_nothing_is_read_or_changed(studio):
    stranger = TestClient(studio.app)  # no cookie, no token: a page elsewhere, another local user
    gate = stranger.get("/")
    assert gate.status_code == 401 and "the link printed where it was started" in gate.text
    assert "studio.js" not in gate.text
    assert stranger.get("/api/projects").status_code == 401
    csv = reviews(20).to_csv(index=False).encode()
    said = plain(stranger.post("/api/projects", files=[("files", ("r.csv", csv, "text/csv"))]), 401)
    assert "printed" in said
    assert stranger.get("/?token=wrong").status_code == 401
    assert stranger.get("/health").status_code == 200  # what needs no secret


def test_the_link_sets_a_strict_http_only_cookie(studio):
    browser = TestClient(studio.app)
    answer = browser.get(f"/?token={studio.app.state.session.token}")
    cookie = answer.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie and "SameSite=Strict" in cookie and studio.app.state.session.token not in cookie
    )
    assert browser.get("/api/projects").status_code == 200  # the cookie alone lets it in now


def test_cross_site_requests_are_refused_even_with_the_cookie(studio, digits_root):
    before = count_projects(studio)
    files = folder_files(digits_root)[:9]
    said = plain(studio.post("/api/projects", data={"name": "x"}, files=files, headers=EVIL), 403)
    assert "other web sites" in said
    fetched = {"Sec-Fetch-Site": "cross-site"}
    plain(studio.post("/api/projects", data={"name": "x"}, files=files, headers=fetched), 403)
    other_port = {"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}  # another service here
    plain(studio.post("/api/projects", data={"name": "x"}, files=files, headers=other_port), 403)
    assert count_projects(studio) == before
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert studio.get("/api/projects", headers=EVIL).status_code == 200  # reading: the browser hides it
    project = studio.post("/api/projects", data={"name": "ok"}, files=files, headers=own).json()
    for route in ("runs", "compare"):
        plain(studio.post(f"/api/projects/{project['id']}/{route}", json={}, headers=EVIL), 403)
    plain(studio.delete(f"/api/projects/{project['id']}", headers=EVIL), 403)
    assert studio.get(f"/api/projects/{project['id']}").status_code == 200


def test_json_routes_take_only_json(studio, digits_root):
    project = studio.post("/api/projects", data={"name": "j"}, files=folder_files(digits_root)[:9]).json()
    text_plain = {"content-type": "text/plain"}  # what a form elsewhere can send without asking
    said = plain(studio.post(f"/api/projects/{project['id']}/runs", content=b"{}", headers=text_plain), 415)
    assert "application/json" in said
    plain(studio.patch(f"/api/projects/{project['id']}", content=b'{"target": "x"}', headers=text_plain), 415)
    assert studio.get(f"/api/projects/{project['id']}").json()["runs"] == []


def test_no_site_may_frame_the_studio(studio):
    for path in ("/", "/api/projects", "/static/studio.js"):
        answer = studio.get(path)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY"


# -- 2 and 11. zips judged before they are parsed; ordinary ones work ---------------------
def central_directory_only(n: int) -> bytes:
    """A .zip whose central directory lists n empty files and holds no data (35 MB for 400,000
    in the review; here a few MB)."""
    entries = b"".join(
        struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0)
        + f"f{i:07d}/".encode()[:9]
        for i in range(n)
    )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF), len(entries), 0, 0)
    return entries + end


def test_a_zip_listing_too_many_entries_is_refused_from_its_end_record(studio, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("zipfile parsed an archive that its end record refuses")

    monkeypatch.setattr(archive.zipfile, "ZipFile", never)
    bomb = central_directory_only(60_000)
    before = count_projects(studio)
    started = time.monotonic()
    said = plain(send(studio, "many.zip", bomb), 422)
    assert time.monotonic() - started < 1.0 and "60,000 entries" in said
    assert count_projects(studio) == before


def test_the_end_record_is_read_as_zipfile_reads_it_zip64_too(tmp_path):
    small = tmp_path / "small.zip"
    small.write_bytes(zipped({"a/1.txt": b"1", "a/2.txt": b"22", "b/3.txt": b"333"}))
    assert archive.directory_size(small)[0] == 3
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w") as z:  # more than 65,535 entries: ZIP64 end records
        for i in range(66_000):
            z.writestr(f"{i}", b"")
    entries, size = archive.directory_size(big)
    assert entries == 66_000 and size > 66_000 * 46


def test_the_studio_answers_while_an_upload_is_extracted(studio, monkeypatch):
    def slow(*args):
        time.sleep(3)
        raise DataError("The .zip file cannot be read; send a valid .zip archive.")

    monkeypatch.setattr(projects, "extract_zip", slow)
    upload = threading.Thread(
        target=studio.post,
        args=("/api/projects",),
        kwargs={"files": [("files", ("a.zip", b"PK", "application/zip"))]},
    )
    upload.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert studio.get("/health").status_code == 200
    assert time.monotonic() - started < 1.0, "the studio stopped answering while it extracted"
    upload.join()


def test_a_zip_from_finder_works(studio, digits_root):
    entries = {
        f"digits/{p.relative_to(digits_root)}": p.read_bytes() for p in sorted(digits_root.rglob("*.png"))
    }
    entries |= {
        "__MACOSX/digits/._0": b"\0\5\x16\7",
        "digits/.DS_Store": b"\0\0\0\1Bud1",
        "digits/0/._1.png": b"x",
    }
    project = send(studio, "mac.zip", zipped(entries))
    assert project.status_code == 200, project.text
    found = project.json()["detection"]
    assert found["kind"] == "image" and found["n"] == 72 and found["n_skipped"] == 0


def test_odd_zips_get_one_line(studio):
    good = zipped({"cats/a.png": image_bytes(), "dogs/b.png": image_bytes()})
    at = good.index(b"PK\x01\x02")  # the central directory: its first entry's CRC at offset 16
    damaged = good[: at + 16] + bytes([good[at + 16] ^ 0xFF]) + good[at + 17 :]
    said = plain(send(studio, "crc.zip", damaged), 422)
    assert "checksum" in said
    both = zipped({"cats/a.png": image_bytes(), "cats": b"not a folder"})
    said = plain(send(studio, "both.zip", both), 422)
    assert "file and a folder of the same name" in said
    many = zipped({f"cats/{i}.png": b"\0" * (1 << 20) for i in range(40)})  # each 1 MiB: 40 MiB from ~40 KB
    said = plain(send(studio, "ratio.zip", many), 422)
    assert "bomb" in said


# -- 3 and 12. nothing outside the project is read; no server path reaches the page ------
def tone(seed: int, pitch: float) -> np.ndarray:
    t = np.arange(4000) / 8000
    noise = np.random.default_rng(seed).normal(size=len(t))
    return (0.5 * np.sin(2 * np.pi * (pitch + 10 * seed) * t) + 0.02 * noise).astype(np.float32)


def wav(seed: int, pitch: float) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, tone(seed, pitch), 8000, format="WAV")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """Files a table could name outside any project: an absolute path, and one reached by '..'."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.wav").write_bytes(wav(99, 2000))
    (folder / "secret.png").write_bytes(image_bytes())
    return folder


def test_a_table_of_recordings_reads_nothing_outside_its_project(studio, outside):
    rows, files = ["file,label"], {}
    for label, pitch in (("low", 300), ("mid", 900), ("high", 1800)):
        for k in range(8):
            rows.append(f"clips/{label}_{k}.wav,{label}")
            files[f"clips/{label}_{k}.wav"] = wav(k, pitch)
    rows += [f"{outside / 'secret.wav'},low", f"../../../../../../../../..{outside / 'secret.wav'},mid"]
    upload = table_files("sounds.csv", "\n".join(rows) + "\n", files)
    project = studio.post("/api/projects", data={"name": "sounds"}, files=upload).json()
    found = project["detection"]
    assert found["kind"] == "audio" and found["n"] == 24 and "problem" not in found, found
    assert any("2 of the 26 files" in n and "outside the uploaded data" in n for n in found["notes"])
    run = wait_for(
        studio, studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 2}).json()["id"]
    )
    assert run["status"] == "done", run
    records = studio.get(f"/api/runs/{run['id']}/test-records").json()
    assert records and not any("secret" in str(r["input"]) for r in records)
    report = studio.get(f"/api/runs/{run['id']}/report").text
    assert "secret" not in report and str(studio.root) not in report
    folder = zipfile.ZipFile(io.BytesIO(studio.get(f"/api/runs/{run['id']}/download").content))
    manifest = folder.read("manifest.json").decode()
    assert str(outside) not in manifest and str(studio.root) not in manifest


def test_a_table_of_images_naming_files_outside_is_checked_without_a_crash(studio, digits_root, outside):
    rows, files = ["image,label"], {}
    for p in sorted(digits_root.rglob("*.png"))[::3]:
        rows.append(f"pics/{p.parent.name}_{p.name},{p.parent.name}")
        files[f"pics/{p.parent.name}_{p.name}"] = p.read_bytes()
    rows.append(f"{outside / 'secret.png'},7")
    project = studio.post(
        "/api/projects", files=table_files("pics.csv", "\n".join(rows) + "\n", files)
    ).json()
    assert project["detection"]["kind"] == "image" and "problem" not in project["detection"]
    assert any("outside the uploaded data" in n for n in project["detection"]["notes"])
    assert studio.get(f"/api/projects/{project['id']}").status_code == 200  # and every later look
    only_outside = table_files("x.csv", f"image,label\n{outside / 'secret.png'},7\n", {})
    found = studio.post("/api/projects", files=only_outside).json()["detection"]
    assert "outside the uploaded data" in found["problem"]


def test_outside_a_data_folder_a_table_reads_anything_its_user_names(tmp_path, outside):
    (tmp_path / "in.wav").write_bytes(wav(1, 500))
    (tmp_path / "t.csv").write_text(f"file,label\nin.wav,a\n{outside / 'secret.wav'},b\nin.wav,b\nin.wav,a\n")
    assert len(read_labeled(str(tmp_path / "t.csv")).items) == 4  # the command line: the user's own files
    with data_folder(tmp_path):
        assert len(read_labeled(str(tmp_path / "t.csv")).items) == 3


def test_messages_name_no_path_of_the_server(studio):
    numbers = b"a,b,c\n" + b"".join(f"{i},{i * 2},{i % 3}\n".encode() for i in range(40))
    found = studio.post("/api/projects", files=[("files", ("n.csv", numbers, "text/csv"))]).json()[
        "detection"
    ]
    assert "n.csv" in found["problem"] and str(studio.root) not in found["problem"]


# -- 4. event streams are bounded ------------------------------------------------------------
def test_event_streams_are_capped_and_end_after_their_lifetime(tmp_path):
    app = create_studio(tmp_path)
    client = entered(TestClient(app, raise_server_exceptions=False))  # no lifespan: runs stay queued
    studio = app.state.studio
    project = studio.store.add_project("p")
    run = studio.store.add_run(project, "train", {})
    streams = studio.streams
    for _ in range(streams.per_client):
        streams.enter("testclient")
    said = client.get(f"/api/runs/{run}/events")
    assert said.status_code == 429 and said.headers["retry-after"] == "5"
    streams.open.clear()
    for i in range(streams.total):
        streams.enter(f"10.0.0.{i}")
    assert client.get(f"/api/runs/{run}/events").status_code == 429
    streams.open.clear()
    streams.lifetime = 0.5
    started = time.monotonic()
    body = client.get(f"/api/runs/{run}/events").text  # still queued: the stream ends when its time is up
    assert time.monotonic() - started < 5 and "event: end" not in body
    assert not streams.open  # and it no longer counts


# -- 5. deleting a project while it trains ---------------------------------------------------
def test_deleting_a_project_while_it_trains_keeps_the_queue_going(studio):
    files = [("files", ("reviews.csv", reviews(60).to_csv(index=False).encode(), "text/csv"))]
    project = studio.post("/api/projects", data={"name": "doomed"}, files=files).json()
    slow = studio.post(f"/api/projects/{project['id']}/runs", json={"epochs": 200, "fine_tune": True}).json()
    deadline = time.monotonic() + 120
    while studio.get(f"/api/runs/{slow['id']}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert studio.delete(f"/api/projects/{project['id']}").status_code == 200
    jobs = studio.app.state.studio.jobs
    deadline = time.monotonic() + 30
    while slow["id"] in jobs.workers and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(1)  # the queue's next look
    assert jobs.thread.is_alive()
    assert not (studio.root / "runs" / f"{slow['id']}.log").exists()
    assert not (studio.root / "runs" / str(slow["id"])).exists()
    other = studio.post("/api/projects", data={"name": "next"}, files=files).json()
    run = wait_for(studio, studio.post(f"/api/projects/{other['id']}/runs", json={"epochs": 2}).json()["id"])
    assert run["status"] == "done", run


# -- 9. a studio stops only its own workers ---------------------------------------------------
def test_a_studio_stops_only_its_own_workers(tmp_path):
    fake = tmp_path / "fake" / "deepstart" / "studio"  # a worker's command line, sleeping
    fake.mkdir(parents=True)
    for folder in (fake.parent, fake):
        (folder / "__init__.py").write_text("")
    (fake / "worker.py").write_text("import time\ntime.sleep(60)\n")
    mine, theirs = Workspace(tmp_path / "mine"), Workspace(tmp_path / "theirs")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}
    args = [sys.executable, "-m", "deepstart.studio.worker", str(theirs.root), "5"]
    worker = subprocess.Popen(args, env=env)
    try:
        time.sleep(1)
        _stop_orphan(worker.pid, mine, 5)  # another studio's database names this pid
        _stop_orphan(worker.pid, theirs, 6)
        time.sleep(0.5)
        assert worker.poll() is None, "a studio stopped another workspace's worker"
        _stop_orphan(worker.pid, theirs, 5)
        assert worker.wait(10) == -signal.SIGTERM
    finally:
        worker.kill()
