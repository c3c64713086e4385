"""Sound listed in a table (a CSV of recordings and labels), and splits by speaker
(--group-split): generated tones, each speaker a base pitch of their own."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile

from deepstart.data.examples import Examples
from deepstart.data.groups import NamePattern, layout_groups
from deepstart.modalities import REGISTRY, read_labeled
from deepstart.pipeline.groups import grouping, split_groups
from deepstart.pipeline.prepare import split_rows
from test_audio import RATE, tone
from test_bad_input import assert_refused

from conftest import run_cli

SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo")
KINDS = ("up", "down", "flat")
FAST = ("--epochs", "2", "--model", "cnn", "--seed", "0")


def voice(kind: str, speaker: int, take: int) -> np.ndarray:
    """A sweep at the speaker's own base pitch (tone's pitch repeats every 7 k)."""
    return tone(kind, speaker + 7 * take, seconds=0.3)


def record(root: Path, speakers=SPEAKERS, takes: int = 2) -> Path:
    """root/<kind>/<kind>_<speaker>_<take>.wav"""
    for kind in KINDS:
        (root / kind).mkdir(parents=True, exist_ok=True)
        for s, speaker in enumerate(speakers):
            for take in range(takes):
                soundfile.write(root / kind / f"{kind}_{speaker}_{take}.wav", voice(kind, s, take), RATE)
    return root


def speaker_of(name: str) -> str:
    return Path(name).stem.split("_")[1]


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    return record(tmp_path_factory.mktemp("speakers") / "recordings")


def test_a_split_by_speaker_never_tests_a_speaker_heard_in_training(recordings, tmp_path):
    out = tmp_path / "m"
    code, said, err = run_cli("train", str(recordings), "--group-split", "speaker", *FAST, "--out", str(out))
    assert code == 0, err
    groups = json.loads((out / "manifest.json").read_text())["data"]["groups"]
    assert groups["split"] and groups["by"] == "speaker" and groups["n_shared"] == 0
    assert groups["test"] and not set(groups["test"]) & set(groups["train"])
    assert set(groups["test"]) | set(groups["train"]) <= set(SPEAKERS)
    assert "Split by speaker" in said and "not in the training data" in said
    assert "The same speakers" not in said + err


def test_the_test_files_of_a_speaker_split_are_all_of_unseen_speakers(recordings):
    from deepstart import Predictor

    p = Predictor(epochs=1, model="cnn").fit(str(recordings), group_split="speaker")
    tested = {speaker_of(r["input"]) for r in p.test_records_}
    assert tested and tested.isdisjoint(p.data_["groups"]["train"])
    assert tested == set(p.data_["groups"]["test"])
    examples = read_labeled(str(recordings))  # split again as export does: the same whole speakers
    groups = split_groups(REGISTRY["audio"], examples, p.data_["groups"])
    rows = split_rows(p.targets(examples.labels, "recordings"), False, p.settings, None, None, groups)
    assert {groups[i] for i in rows["test"]} == tested
    assert {groups[i] for i in rows["train"]} == set(p.data_["groups"]["train"])
    assert not {groups[i] for i in rows["val"]} & (set(p.data_["groups"]["train"]) | tested)


def test_a_random_split_of_named_speakers_says_they_are_in_training_and_test(recordings, tmp_path):
    out = tmp_path / "m"
    code, said, err = run_cli("train", str(recordings), *FAST, "--out", str(out))
    assert code == 0, err
    assert "The same speakers (" in err and "use --group-split speaker" in err
    assert "The same speakers (" in said  # the summary says it too (and deepstart info)
    groups = json.loads((out / "manifest.json").read_text())["data"]["groups"]
    assert not groups["split"] and groups["n_shared"] >= 1


def test_separate_test_data_of_the_same_speakers_is_named(tmp_path, caplog):
    files = [Path(f"{k}/{k}_{s}_0.wav") for k in KINDS for s in SPEAKERS]
    labels = [f.parent.name for f in files]
    train = Examples("audio", files, labels, "recordings")
    test = Examples("audio", files[:3], labels[:3], "more")
    found = grouping(REGISTRY["audio"], train, test, None, 1)
    split = SimpleNamespace(train_positions=list(range(len(files))), test_positions=[0, 1, 2])
    with caplog.at_level("WARNING", logger="deepstart"):
        recorded = found.recorded(split)
    assert recorded["shared"] == ["george", "jackson", "lucas"] and recorded["separate_test"]
    assert "The same speakers (george, jackson, lucas)" in caplog.text and "other speakers" in caplog.text


def test_names_are_read_as_label_speaker_take_or_by_a_pattern():
    assert NamePattern.parse("speaker").groups(["a/yes_john_smith_3.wav", "up_1.wav"]) == ["john_smith", None]
    assert NamePattern.parse("{speaker}_*").groups(["0a7c2a8d_nohash_0.wav"]) == ["0a7c2a8d"]
    assert NamePattern.parse("*-{voice}").word == "voice"
    files = ["yes/yes_ann_1.wav", "no/no_ann_2.wav", "yes/yes_bob_1.wav"]
    assert list(layout_groups(files, ["yes", "no", "yes"])) == ["ann", "ann", "bob"]
    assert layout_groups(["yes/yes_1.wav", "no/no_2.wav"], ["yes", "no"]) is None  # no speakers named
    assert layout_groups(["yes/yes_ann_1.wav", "no/no_bob_1.wav"], ["yes", "no"]) is None  # none repeats


def write_table(root: Path, rows: list[tuple[str, str, str]], name: str = "clips.csv") -> Path:
    lines = ["file,label,speaker"] + [",".join(row) for row in rows]
    (root / name).write_text("\n".join(lines) + "\n")
    return root / name


def test_a_table_of_recordings_trains_predicts_and_evaluates(recordings, tmp_path):
    rows = [
        (str(f.relative_to(recordings.parent)), f.parent.name, speaker_of(f.name))
        for f in sorted(recordings.rglob("*.wav"))
    ]
    rows[0] = (str(recordings.parent / rows[0][0]), *rows[0][1:])  # an absolute path is read as it is
    rows.append(("recordings/up/gone.wav", "up", "george"))  # a missing file: named, then skipped
    table = write_table(recordings.parent, rows, "clips.csv")
    assert read_labeled(str(table)).kind == "audio"
    out = tmp_path / "m"
    code, said, err = run_cli("train", str(table), "--group-split", "speaker", *FAST, "--out", str(out))
    assert code == 0, err
    assert "1 of the 31 files listed in clips.csv are not found" in err and "gone.wav" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["modality"] == "audio" and manifest["data"]["groups"]["from"] == "the column speaker"
    assert [s["file"].endswith("gone.wav") for s in manifest["data"]["skipped"]] == [True]
    predict = write_table(recordings.parent, rows[:4], "new.csv")
    code, printed, err = run_cli("predict", str(out), str(predict), "--json")
    assert code == 0, err
    assert [r["label"] for r in json.loads(printed)] and len(json.loads(printed)) == 4
    code, printed, err = run_cli("evaluate", str(out), str(predict), "--json")
    assert code == 0 and json.loads(printed)["n"] == 4, err


def test_a_table_whose_files_are_all_missing_is_one_line(tmp_path):
    table = write_table(tmp_path, [("a.wav", "up", "x"), ("b.wav", "down", "y")])
    assert_refused(["train", str(table), "--out", str(tmp_path / "m")], "None of the 2 files listed", None)


def test_a_pattern_that_fits_no_file_name_is_one_line(recordings, tmp_path):
    out = tmp_path / "m"
    line = assert_refused(
        ["train", str(recordings), "--group-split", "{speaker}-*", "--out", str(out)], "no file name", out
    )
    assert "{speaker}-*" in line


def test_a_group_column_that_is_not_there_is_one_line(tmp_path):
    (tmp_path / "rows.csv").write_text("x,y,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    out = tmp_path / "m"
    args = ["train", str(tmp_path / "rows.csv"), "--target", "label", "--group-split", "patient"]
    line = assert_refused([*args, "--out", str(out)], "--group-split patient is not a column of", out)
    assert "columns: x, y)" in line
    rows = "".join(f"{i},{i % 3},{i % 2},{'' if i == 7 else i % 5}\n" for i in range(30))
    (tmp_path / "rows.csv").write_text("x,y,label,patient\n" + rows)
    assert_refused([*args, "--out", str(out)], "1 rows of", out)  # an empty cell is no group


def test_two_speakers_are_too_few_to_split_by_speaker(tmp_path):
    root = record(tmp_path / "few", SPEAKERS[:2])
    out = tmp_path / "m"
    line = assert_refused(
        ["train", str(root), "--group-split", "speaker", "--out", str(out)], "2 speakers", out
    )
    assert "at least 3" in line


def test_a_pattern_without_one_field_is_refused(recordings, tmp_path):
    assert_refused(["train", str(recordings), "--group-split", "{a}_{b}"], "Invalid value for --group-split")
    many = "*_*_*_*_*{speaker}"  # a name tried in too many ways
    assert_refused(["train", str(recordings), "--group-split", many], "at most 4 *")
