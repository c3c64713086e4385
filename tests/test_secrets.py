"""Secrets stay secret: a URL's password never reaches a message, a log line or a
manifest, and the signing key's variable names a file, by an absolute path, that only
its user may read."""

from __future__ import annotations

import json
import os

import pytest
import torch

from deepstart import artifact, log
from deepstart.errors import ConfigError, DeepstartError
from deepstart.log import redacted
from deepstart.settings import Settings

from conftest import customers, run_cli

SECRET = "PASSWORD"
POSTGRES = f"postgresql://alice:{SECRET}@127.0.0.1:1/db"  # nothing listens on port 1


@pytest.mark.parametrize(
    "url, shown",
    [
        (POSTGRES, "postgresql://alice:***@127.0.0.1:1/db"),
        (
            "--storage mysql+pymysql://bob:pa/ss@w@rd@host/db cannot",
            "--storage mysql+pymysql://bob:***@host/db cannot",
        ),
        ("redis://:PASSWORD@host:6379", "redis://:***@host:6379"),
        ("s3://AKIA:wJal/rXU+tn@bucket/path", "s3://AKIA:***@bucket/path"),
        (
            "postgresql://host/db?user=al&password=PASSWORD&ssl=1",
            "postgresql://host/db?user=al&password=***&ssl=1",
        ),
        ("s3://bucket/x?region=eu&secret_key=PASSWORD", "s3://bucket/x?region=eu&secret_key=***"),
        # and only the password: the URLs beside, with none, are left as they are
        ("'sqlite:///s.db', not 'mysql://a:PASSWORD@h/db'", "'sqlite:///s.db', not 'mysql://a:***@h/db'"),
        (
            "ray://10.0.0.1:10001 or ray://a:PASSWORD@10.0.0.1:1",
            "ray://10.0.0.1:10001 or ray://a:***@10.0.0.1:1",
        ),
        ("s3://b/photos/me@home.jpg of s3://K:PASSWORD@b", "s3://b/photos/me@home.jpg of s3://K:***@b"),
        ("postgresql://alice@host/db?password=PASSWORD", "postgresql://alice@host/db?password=***"),
    ],
)
def test_redacted_hides_the_password_of_every_url(url, shown):
    assert redacted(url) == shown


def test_tune_with_a_database_password_never_prints_it(tmp_path):
    customers(60).to_csv(tmp_path / "c.csv", index=False)
    code, out, err = run_cli(
        "tune", str(tmp_path / "c.csv"), "--target", "churned", "--trials", "1",
        "--out", str(tmp_path / "m"), "--storage", POSTGRES,
    )  # fmt: skip
    assert code == 2 and err.count("\n") == 1, err
    assert SECRET not in out + err and "postgresql://alice:***@127.0.0.1:1/db" in err


def test_a_storage_that_holds_a_search_is_named_in_words(tmp_path):
    import optuna

    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(study_name="deepstart", storage=url)
    customers(60).to_csv(tmp_path / "c.csv", index=False)
    code, _, err = run_cli(
        "tune", str(tmp_path / "c.csv"), "--target", "churned", "--trials", "1",
        "--out", str(tmp_path / "m"), "--storage", url,
    )  # fmt: skip
    assert code == 2 and err.count("\n") == 1, err
    assert f"The study storage at {url} already holds a search" in err and " object at 0x" not in err


def test_the_cli_and_the_log_hide_a_password_that_reaches_them(monkeypatch, capsys):
    from deepstart.cli import cli

    def leaks(*args, **kwargs):
        log.say(f"Connecting to {POSTGRES}")
        raise DeepstartError(f"{POSTGRES} refused")

    monkeypatch.setattr(cli.commands["info"], "callback", leaks)
    code, _, err = run_cli("info", "model")
    assert code == 2 and SECRET not in err
    assert err.splitlines() == [
        "Connecting to postgresql://alice:***@127.0.0.1:1/db",
        "deepstart: postgresql://alice:***@127.0.0.1:1/db refused",
    ]


def test_a_manifest_keeps_no_cluster_password():
    recorded = Settings(cluster_storage=f"s3://AKIA:{SECRET}@bucket/runs").recorded()
    assert recorded["cluster_storage"] == "s3://AKIA:***@bucket/runs"
    with pytest.raises(ConfigError) as refused:
        Settings(cluster=f"ray://alice:{SECRET}@head")  # no port
    assert SECRET not in str(refused.value)


def test_cluster_messages_hide_the_address_password():
    from deepstart.cluster.connect import _reachable

    with pytest.raises(ConfigError) as refused:
        _reachable(f"ray://alice:{SECRET}@127.0.0.1:1", seconds=0.5)
    assert SECRET not in str(refused.value) and "ray://alice:***@127.0.0.1:1" in str(refused.value)


def test_storage_uris_are_named_without_their_password():
    pytest.importorskip("pyarrow")
    from deepstart.cluster.remote import file_system

    with pytest.raises(ConfigError) as refused:
        file_system(f"nosuchfs://AKIA:{SECRET}@bucket/photos")
    assert SECRET not in str(refused.value) and "nosuchfs://AKIA:***@bucket/photos" in str(refused.value)


# -- the signing key -------------------------------------------------------------------
def _save(folder):
    artifact.save(folder, {"task": "classification"}, {"w": torch.ones(2)})


@pytest.mark.parametrize("variable", ["DEEPSTART_KEY_FILE", "DEEPSTART_KEY"])
def test_a_relative_key_path_is_refused_in_one_line(variable, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEEPSTART_KEY_FILE", raising=False)
    monkeypatch.setenv(variable, "correct-horse")
    customers(60).to_csv(tmp_path / "c.csv", index=False)
    code, _, err = run_cli("train", "c.csv", "--target", "churned", "--out", "m")
    assert code == 2 and err.count("\n") == 1, err
    assert "DEEPSTART_KEY_FILE" in err and "absolute path" in err
    assert "correct-horse" not in err  # it may be a key, not a path: never echoed
    assert not (tmp_path / "correct-horse").exists() and not (tmp_path / "m").exists()


def test_the_former_variable_still_names_an_absolute_key_file_with_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DEEPSTART_KEY_FILE", raising=False)
    monkeypatch.setenv("DEEPSTART_KEY", str(tmp_path / "old.key"))
    monkeypatch.setattr(artifact, "_warned", set())
    log.setup()
    _save(tmp_path / "m")
    assert (tmp_path / "old.key").is_file()
    warned = capsys.readouterr().err.splitlines()
    assert warned == [
        "DEEPSTART_KEY is now DEEPSTART_KEY_FILE (the path of your signing key file); rename it."
    ]


def test_a_key_file_others_can_read_is_warned_about_once(tmp_path, monkeypatch, capsys):
    key = tmp_path / "shared.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    monkeypatch.setenv("DEEPSTART_KEY_FILE", str(key))
    monkeypatch.setattr(artifact, "_warned", set())
    log.setup()
    _save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / artifact.MANIFEST).read_text())
    assert artifact.signed_here(manifest)  # still used: the warning says how to fix it
    warned = capsys.readouterr().err.splitlines()
    assert len(warned) == 1 and "open to other users (mode 644)" in warned[0]
    assert warned[0].endswith(f"Run: chmod 600 {key}")
    key.chmod(0o600)
    monkeypatch.setattr(artifact, "_warned", set())
    assert artifact.signed_here(manifest) and capsys.readouterr().err == ""


def test_redacted_takes_linear_time_on_long_words():
    import time

    started = time.perf_counter()
    for word in ("a" * 200_000, "a://b:" * 40_000, "?" + "pass" * 50_000):
        redacted(word + " postgresql://alice:PASSWORD@host/db")
    assert time.perf_counter() - started < 2  # a name from data in a message cannot stall the log
