"""Shared fixtures: a private feature cache, small image folders made from data that
scikit-learn ships, and a helper that runs the CLI the way a user does."""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from deepstart.cli import main
from deepstart.examples import write_digits


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """One cache for the whole run (the ONNX export happens once), never the user's."""
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEEPSTART_CACHE", str(path))
        mp.setenv("DEEPSTART_KEY_FILE", str(path / "model.key"))  # never the user's signing key
        mp.delenv("DEEPSTART_KEY", raising=False)  # its former name, which a user may still set
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield path


@pytest.fixture(scope="session")
def digits_root(tmp_path_factory) -> Path:
    """scikit-learn's digits 0, 1 and 7 as PNG class folders, 24 images each."""
    full = write_digits(tmp_path_factory.mktemp("digits_all"), limit=400)
    root = tmp_path_factory.mktemp("digits")
    for label in ("0", "1", "7"):
        (root / label).mkdir()
        for f in sorted((full / label).iterdir())[:24]:
            (root / label / f.name).write_bytes(f.read_bytes())
    return root


@pytest.fixture(scope="session")
def trained(digits_root, tmp_path_factory):
    """A transfer-learning model trained once through the CLI, for tests that only read it."""
    out = tmp_path_factory.mktemp("models") / "digits_model"
    code, _, err = run_cli(
        "train", str(digits_root), "--out", str(out), "--model", "transfer", "--epochs", "60"
    )
    assert code == 0, err
    return out


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `deepstart ARGS` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def image_bytes(mode: str = "RGB", size=(64, 48), fmt: str = "PNG", **save) -> bytes:
    """A small picture in any PIL mode, encoded as fmt."""
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    image = (
        rgb.convert(mode)
        if mode not in ("I;16",)
        else Image.fromarray(rng.integers(0, 65535, (size[1], size[0]), dtype=np.uint16))
    )
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


POSITIVE = ("wonderful", "delightful", "brilliant", "moving", "superb", "charming", "excellent", "joyful")
NEGATIVE = ("dreadful", "boring", "awful", "tedious", "terrible", "dull", "painful", "lifeless")
SUBJECTS = ("the film", "this movie", "the acting", "the story", "the music", "the ending", "the cast")


def reviews(n: int, seed: int = 0, neutral: bool = False) -> pd.DataFrame:
    """Generated one-line reviews: 'the story was superb and moving', labelled pos/neg
    (and 'neutral' for plain statements when neutral=True), with an id column."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        kind = ("pos", "neg", "neutral")[i % (3 if neutral else 2)]
        subject = SUBJECTS[rng.integers(len(SUBJECTS))]
        if kind == "neutral":
            day = ("monday", "friday")[i % 2]
            text = f"{subject} lasted {rng.integers(80, 180)} minutes and was shown on {day}"
        else:
            words = POSITIVE if kind == "pos" else NEGATIVE
            a, b = rng.choice(len(words), 2, replace=False)
            text = f"{subject} was {words[a]} and {words[b]}"
        rows.append({"id": i, "review": text, "sentiment": kind})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def text_model(tmp_path_factory):
    """A text model trained once through the CLI on generated reviews in a CSV."""
    root = tmp_path_factory.mktemp("text")
    reviews(120).to_csv(root / "reviews.csv", index=False)
    code, _, err = run_cli(
        "train", str(root / "reviews.csv"), "--target", "sentiment", "--out", str(root / "m")
    )
    assert code == 0, err
    return root / "m"


def customers(n: int, seed: int = 0) -> pd.DataFrame:
    """A generated customer table: numbers (with gaps), a category, yes/no, a date, an ID
    and a notes column, with 'churned' (yes/no) and 'spend_next' (a number) to predict."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    plan = rng.choice(["basic", "plus", "pro"], n)
    active = rng.choice(["yes", "no"], n)
    table = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "age": age,
            "plan": plan,
            "active": active,
            "signup": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "visits": rng.poisson(5, n).astype(float),
            "notes": [f"called {i}" for i in range(n)],  # too short to be read as a text task
        }
    )
    table.loc[rng.choice(n, n // 20, replace=False), "visits"] = np.nan
    score = (age - 50) / 8 + (plan == "pro") * 2.0 - (active == "no") * 1.5
    table["churned"] = np.where(score + rng.normal(0, 0.5, n) > 0, "yes", "no")
    table["spend_next"] = (age * 3 + (plan == "pro") * 100 + rng.normal(0, 5, n)).round(2)
    return table


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def live_server(app, **options):
    """A real uvicorn server for the app on a free loopback port, stopped afterwards."""
    import uvicorn

    from deepstart.serve import http

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(http.config(app, timeout_keep_alive=1, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (skipped where it is missing)."""
    if CHROMIUM is None:
        pytest.skip("no chromium executable on PATH (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        flags = [*BROWSER_FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
        launched = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield launched
        launched.close()
