"""What a trained model records of its training: the worst mistakes on the test data,
and where its data came from and how it was split."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_VALUE = 200  # characters of each of a row's values kept in the manifest


def worst_mistakes(y, out, inputs: list, classes: list[str], modality, table=None, n: int = 5) -> list[dict]:
    """The n test examples the model got most wrong: the lowest probability of the true
    class among the misclassified ones, or the largest errors for numbers. For a table
    (given as the rows the test inputs number), each mistake keeps its row's values."""
    if len(y) == 0:
        return []
    if not classes:  # regression
        order = np.argsort(-np.abs(out - y))[:n]
        found = [(i, f"{y[i]:.4g}", f"{out[i]:.4g}") for i in order]
    else:
        wrong = np.flatnonzero(out.argmax(1) != y)
        order = wrong[np.argsort(out[wrong, y[wrong]])][:n]
        found = [(i, classes[y[i]], f"{classes[out[i].argmax()]} ({out[i].max():.0%})") for i in order]
    records = [{"input": _name(inputs[i], i, modality), "truth": t, "predicted": p} for i, t, p in found]
    if modality.rows and isinstance(table, pd.DataFrame):
        for record, (i, _, _) in zip(records, found):
            row = table.iloc[int(inputs[i])]
            record["row"] = {str(c): "" if pd.isna(v) else str(v)[:MAX_VALUE] for c, v in row.items()}
    return records


def _name(item, position: int, modality) -> str:
    """A test example's name: its file or text, its row, or its place among the test examples."""
    if modality.rows:
        return f"row {item + 1}"
    if isinstance(item, (str, bytes)) or hasattr(item, "is_file"):
        return str(item)
    return f"test {modality.noun.removesuffix('s')} {position + 1}"  # given as an array


def test_records(y, out, inputs: list, classes: list[str], modality) -> list[dict]:
    """Every test example's truth and prediction (classes only), to look at a confusion
    matrix's cells one by one: {"input", "truth", "predicted", "probability"}."""
    if not classes or len(y) == 0:
        return []
    picked = out.argmax(1)
    return [
        {
            "input": _name(inputs[i], i, modality),
            "truth": classes[int(y[i])],
            "predicted": classes[int(picked[i])],
            "probability": round(float(out[i, picked[i]]), 4),
        }
        for i in range(len(y))
    ]


def data_record(examples, split, test, val) -> dict:
    """Where the data came from, how it was split, and what was skipped (for the manifest)."""
    return {
        "source": examples.origin,
        **split.describe(),
        "test_source": test.origin if test else None,
        "validation_source": val.origin if val else None,
    }


def scale_of(y: np.ndarray) -> tuple[float, float]:
    """The mean and spread of numbers to predict (the network learns them standardised)."""
    return float(y.mean()), float(y.std()) or 1.0
