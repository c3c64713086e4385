"""What the studio shows of labelled data before anything trains, as most modalities
read it: the kind of data, the column to predict, the classes and their counts (the
imbalance flagged) or the range of the numbers, and what the modality adds (describe:
samples, files to be skipped). A modality that reads otherwise (series) says its own."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

IMBALANCE = 3.0  # the largest class over the smallest: flagged from here


def summarize(modality, given, root: Path, max_pixels: int) -> dict:
    """The summary of the given data read as labelled examples by modality."""
    examples = modality.read_labeled(given)
    found = {"kind": examples.kind, "noun": modality.noun, "task": examples.task, "n": len(examples.items)}
    found["target"] = (examples.columns or {}).get("target")
    found["text_column"] = (examples.columns or {}).get("text")
    found |= targets(examples.labels, examples.task)
    found["what"] = _what(found)
    found["choices"], found["shows"] = choices(modality), modality.service.shows
    return found | modality.describe(examples, root, max_pixels)


def choices(modality) -> dict:
    """What the studio offers for the modality's data beside training."""
    return {"fine_tune": modality.fine_tunes, "compare": modality.compares, "capture": modality.captures}


def _what(found: dict) -> str:
    """What is to be learned, in words: "3 classes in 'label'", "numbers to predict ('price')"."""
    column = f"'{found['target']}'" if found.get("target") else ""
    if "numbers" in found:
        return f"numbers to predict ({column})" if column else "numbers to predict"
    n = len(found["classes"])
    return f"{n} classes in {column}" if column else f"{n} classes"


def targets(labels: list[str], task: str) -> dict:
    """The classes and their counts (an imbalance said in words), or the numbers' range."""
    if task == "regression":
        values = pd.to_numeric(pd.Series(labels), errors="coerce")
        return {
            "numbers": {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean())}
        }
    counts = Counter(labels).most_common()
    found = {"classes": [{"name": name, "count": n} for name, n in sorted(counts)]}
    largest, smallest = counts[0][1], counts[-1][1]
    if len(counts) > 1 and largest >= IMBALANCE * smallest:
        found["imbalance"] = (
            f"'{counts[0][0]}' has {largest / smallest:.0f} times as many examples as '{counts[-1][0]}' "
            f"({largest} against {smallest}): accuracy can hide poor results on the small class."
        )
    return found
