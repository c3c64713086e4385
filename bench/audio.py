"""Issue 19 acceptance: spoken digits (five speakers; file names say digit and speaker).

Leave one speaker out: for each speaker, `deepstart train` on the other four speakers'
recordings (class folders of links) with `--test` the held-out speaker's, and beside it
the classical approach on the same split: the same log-mel pictures averaged down to
16 bands x 16 frames, with each band's standard deviation over time, + logistic
regression. Reports each fold's accuracy, the means, and `train`'s wall time.

    python bench/audio.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

import numpy as np

from common import datasets_dir, run_cli, write_result


def folders(recordings: Path, root: Path, held_out: str) -> tuple[Path, Path]:
    """train/<digit>/ and test/<digit>/ of links, the held-out speaker in test."""
    for path in sorted(recordings.glob("*.wav")):
        digit, speaker, _ = path.stem.split("_")
        part = root / ("test" if speaker == held_out else "train") / digit
        part.mkdir(parents=True, exist_ok=True)
        (part / path.name).symlink_to(path)
    return root / "train", root / "test"


def classical(train: Path, test: Path) -> float:
    """The log-mel pictures, averaged down, + logistic regression: test accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from deepstart.modalities import read_labeled
    from deepstart.modalities.audio.encoder import SpectrogramEncoder

    parts = [read_labeled(str(p), kind="audio") for p in (train, test)]
    encoder = SpectrogramEncoder().fit(parts[0].items)

    def stats(examples):
        encoded = encoder.encode(examples.items, "Reading")
        x = encoded.features[:, 0].astype(np.float32)
        small = x.reshape(len(x), 16, x.shape[1] // 16, 16, x.shape[2] // 16).mean((2, 4)).reshape(len(x), -1)
        return np.hstack([small, x.std(2)]), np.array(examples.labels)[encoded.kept]

    (x, y), (xt, yt) = stats(parts[0]), stats(parts[1])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000)).fit(x, y)
    return float((model.predict(xt) == yt).mean())


def main() -> None:
    recordings = datasets_dir() / "spoken_digits" / "recordings"
    speakers = sorted({p.stem.split("_")[1] for p in recordings.glob("*.wav")})
    folds = []
    with tempfile.TemporaryDirectory() as tmp:
        for speaker in speakers:
            train, test = folders(recordings, Path(tmp) / speaker, speaker)
            out = Path(tmp) / speaker / "model"
            seconds, _ = run_cli(["-q", "train", str(train), "--test", str(test), "--out", str(out)])
            deep = json.loads((out / "manifest.json").read_text())["metrics"]["test"]["accuracy"]
            fold = {
                "speaker": speaker,
                "deep": deep,
                "classical": classical(train, test),
                "train_s": round(seconds, 1),
            }
            print(json.dumps(fold))
            folds.append(fold)
    summary = {
        "mean_deep": round(100 * statistics.mean(f["deep"] for f in folds), 1),
        "mean_classical": round(100 * statistics.mean(f["classical"] for f in folds), 1),
        "median_train_s": statistics.median(f["train_s"] for f in folds),
    }
    print(json.dumps(summary))
    write_result(
        "audio", {"folds": folds, "summary": summary, "targets": {"mean_deep": ">= 95", "train_s": "<= 60"}}
    )


if __name__ == "__main__":
    main()
