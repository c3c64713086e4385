"""Tables whose rows are the examples: the other columns to learn from, the --target
column to predict (classes or numbers); and rows to predict on."""

from __future__ import annotations

from ...data.columns import labelled_rows
from ...data.examples import Examples
from ...data.labels import whole_numbers
from ...data.tables import rows_of
from ..given import Given


def read_labeled(given: Given) -> Examples:
    target = given.target or given.columns.get("target")
    rows, labels, label_col, task = labelled_rows(given.table, given.origin, target, given.task)
    return Examples("table", rows, labels, given.origin, whole_numbers(labels), {"target": label_col}, task)


def read_unlabeled(inputs, columns: dict) -> Examples:
    """Rows of tables; a column that holds the target is not an input, and is dropped."""
    table, origin, names = rows_of(inputs)
    table = table.drop(columns=[columns["target"]], errors="ignore") if columns.get("target") else table
    return Examples("table", table, None, origin, names=names)
