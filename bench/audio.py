"""Issue 19 acceptance: spoken digits (five speakers; file names say digit and speaker).

Leave one speaker out: for each speaker, `deepstart train` on the other four speakers'
recordings (class folders of links) with `--test` the held-out speaker's and
`--group-split speaker` (so the validation recordings that pick the epoch and the model
are of a speaker not trained on either), for each model asked for: the default (the
classifier on pretrained speech embeddings) and the spectrogram CNN trained from
scratch. Beside each, the classical approach the same run trained on the same split
(MFCC statistics + logistic regression, from its leaderboard). Reports each fold's test
accuracy of the saved model (the classifier on embeddings is trained again on all four
speakers once validation has chosen its epochs) and of the network validation chose
before that, the means, and `train`'s wall time.

    python bench/audio.py [--models auto,cnn]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from common import datasets_dir, run_cli, write_result


def folders(recordings: Path, root: Path, held_out: str) -> tuple[Path, Path]:
    """train/<digit>/ and test/<digit>/ of links, the held-out speaker in test."""
    for path in sorted(recordings.glob("*.wav")):
        digit, speaker, _ = path.stem.split("_")
        part = root / ("test" if speaker == held_out else "train") / digit
        part.mkdir(parents=True, exist_ok=True)
        (part / path.name).symlink_to(path)
    return root / "train", root / "test"


def fold(train: Path, test: Path, out: Path, model: str) -> dict:
    command = ["-q", "train", str(train), "--test", str(test), "--group-split", "speaker"]
    # an empty feature cache each time: the wall time is that of recordings never seen before
    seconds, _ = run_cli(
        [*command, "--model", model, "--out", str(out)], {"DEEPSTART_CACHE": str(out) + ".cache"}
    )
    manifest = json.loads((out / "manifest.json").read_text())
    rows = {row["name"]: row for row in manifest["leaderboard"]}
    return {
        "encoder": manifest["encoder"]["name"],
        "deep_first": rows["deep"]["test_accuracy"],  # the network validation chose, before any refit
        "classical": next(r["test_accuracy"] for n, r in rows.items() if n not in ("deep", "ensemble")),
        "kept": manifest["metrics"]["test"]["accuracy"],  # the saved model (refitted, if it was)
        "kept_model": manifest["choice"],
        "refit": bool(manifest["training"].get("refit")),
        "train_s": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="auto,cnn")
    models = parser.parse_args().models.split(",")
    recordings = datasets_dir() / "spoken_digits" / "recordings"
    speakers = sorted({p.stem.split("_")[1] for p in recordings.glob("*.wav")})
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for speaker in speakers:
            train, test = folders(recordings, Path(tmp) / speaker, speaker)
            for model in models:
                found = {"speaker": speaker, **fold(train, test, Path(tmp) / speaker / model, model)}
                print(json.dumps(found), flush=True)
                results.setdefault(model, []).append(found)
    summary = {
        model: {
            "mean_deep_first": round(100 * statistics.mean(f["deep_first"] for f in folds), 1),
            "mean_kept": round(100 * statistics.mean(f["kept"] for f in folds), 1),
            "mean_classical": round(100 * statistics.mean(f["classical"] for f in folds), 1),
            "median_train_s": statistics.median(f["train_s"] for f in folds),
        }
        for model, folds in results.items()
    }
    print(json.dumps(summary))
    targets = {"mean_kept": ">= 95", "train_s": "<= 60"}
    write_result("audio", {"folds": results, "summary": summary, "targets": targets})


if __name__ == "__main__":
    main()
