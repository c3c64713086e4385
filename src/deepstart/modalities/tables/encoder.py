"""Tables -> numbers, learned from the training rows only: numbers are standardised
(missing ones filled with the median and flagged), yes/no becomes 1/0, dates become
year, month, day and weekday, and categories become integer codes (0: missing, rare or
never seen) for a network's embeddings or one-hot columns for classical models.
Everything it learned is JSON in the manifest."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ...data.columns import boolean_values, column_types, date_parts, is_missing, numbers
from ...data.examples import Encoded
from ...errors import DataError
from ...log import say
from ..recipe import Encoder

MAX_CATEGORIES = 100  # per column; rarer ones share code 0 with unseen values
MIN_COUNT = 2  # a category seen once in training shares code 0, so code 0 is learned too
CLIP = 10.0  # standardised numbers are clipped to +-CLIP (a typo like 1e9 cannot swamp a model)


class TableEncoder(Encoder):
    """Rows of a table (cells as strings) -> float32 (N, numbers + categories): the first
    n_numeric columns are standardised numbers and missing-value flags, the rest are
    category codes (whole numbers stored as floats)."""

    kind = "table"
    name = "table"
    learns = True

    def __init__(
        self, types: dict | None = None, numeric: list[dict] | None = None, categorical=None, origin=""
    ):
        self.types = types  # column -> "numeric" | "boolean" | "datetime" | "categorical", once fitted
        self.origin = origin  # how to name the table in messages
        self.numeric = numeric  # fitted: [{"column", "part", "median", "mean", "std", "flag"}]
        self.categorical = categorical  # fitted: [{"column", "categories"}]

    # -- learning from the training rows --------------------------------------
    def fit(self, table: pd.DataFrame) -> TableEncoder:
        """Learn, from the training rows only, what each column holds and its statistics."""
        self.types, left_out = column_types(table, self.origin)
        if left_out:
            say(f"Not learning from {_count(len(left_out), 'column')}: {'; '.join(left_out)}.")
        if not self.types:
            raise DataError(
                f"No column of {self.origin} can be learned from (all are IDs, free text, constant or "
                "empty); add columns of numbers or categories."
            )
        kinds = {"numeric": "numeric", "categorical": "categorical", "boolean": "yes/no", "datetime": "date"}
        counts = [f"{sum(v == k for v in self.types.values())} {name}" for k, name in kinds.items()]
        found = ", ".join(c for c in counts if c[0] != "0")
        say(f"Learning from {_count(len(self.types), 'column')}: {found}.")
        self.numeric, self.categorical = [], []
        for column, kind in self.types.items():
            if kind == "categorical":
                cells = table[column].str.strip()
                counts = cells[~is_missing(cells)].value_counts()  # 'NA', '?' are missing, not a category
                common = counts[counts >= MIN_COUNT]
                self.categorical.append({"column": column, "categories": list(common.index[:MAX_CATEGORIES])})
                continue
            for part, values in _numeric_sources(table[column], kind).items():
                ok = values[np.isfinite(values)]
                infinite = int(np.isinf(values).sum())
                if infinite:
                    say(f"  '{column}' holds {infinite} infinite values; they are read as missing.")
                median = float(ok.median()) if len(ok) else 0.0
                filled = values.where(np.isfinite(values), median)
                std = float(filled.std(ddof=0)) or 1.0
                self.numeric.append(
                    {
                        "column": column,
                        "part": part,
                        "median": median,
                        "mean": float(filled.mean()),
                        "std": std,
                        "flag": bool(len(ok) < len(values)),
                    }
                )
        return self

    @property
    def n_numeric(self) -> int:
        return sum(1 + f["flag"] for f in self.numeric)

    @property
    def cardinalities(self) -> list[int]:
        """Codes per categorical column, code 0 included."""
        return [len(c["categories"]) + 1 for c in self.categorical]

    @property
    def design_width(self) -> int:
        """Columns of design(): numbers, flags and one-hot categories."""
        return self.n_numeric + sum(self.cardinalities)

    # -- encoding -------------------------------------------------------------
    def network_inputs(self) -> dict:
        return {"n_numeric": self.n_numeric, "cardinalities": self.cardinalities}

    def encode(self, table: pd.DataFrame, desc: str = "", new_data: bool = False) -> Encoded:
        """Every row is kept: missing values are filled, unseen categories coded 0. For
        new data (not the training rows), unused columns and unseen values are said."""
        missing = [c for c in self.types if c not in table.columns]
        if missing:
            raise DataError(
                f"The table lacks the column{'s' * (len(missing) > 1)} {', '.join(map(repr, missing[:8]))} "
                f"that the model was trained on; add {'them' if len(missing) > 1 else 'it'} (cells may be "
                "empty), or check --target."
            )
        extra = [c for c in table.columns if c not in self.types]
        if new_data and extra:
            say(
                f"  Not using the columns {', '.join(map(repr, extra[:8]))}: the model did not learn "
                "from them."
            )
        columns, sources = [], {}
        for f in self.numeric:
            if f["column"] not in sources:
                kind = self.types[f["column"]]
                sources[f["column"]] = _numeric_sources(table[f["column"]], kind, every_part=True)
            values = sources[f["column"]][f["part"]].to_numpy(np.float64)
            bad = ~np.isfinite(values)
            values = np.where(bad, f["median"], values)
            columns.append(np.clip((values - f["mean"]) / f["std"], -CLIP, CLIP))
            if f["flag"]:
                columns.append(bad.astype(np.float64))
        for c in self.categorical:
            index = {v: k + 1 for k, v in enumerate(c["categories"])}
            cells = table[c["column"]].str.strip()
            codes = cells.map(index).fillna(0).to_numpy(np.float64)
            unseen = int(((codes == 0) & ~is_missing(cells)).sum())
            if unseen and new_data:
                say(f"  {unseen} values of '{c['column']}' were not seen in training; read as unknown.")
            columns.append(codes)
        x = np.column_stack(columns).astype(np.float32) if columns else np.zeros((len(table), 0), np.float32)
        hashes = [hashlib.sha256("\x1f".join(row).encode()).hexdigest() for row in table.itertuples(False)]
        return Encoded(x, list(range(len(table))), hashes, [])

    def design(self, x: np.ndarray) -> np.ndarray:
        """The encoded rows with one-hot category columns, for classical models."""
        parts = [x[:, : self.n_numeric]]
        for k, size in enumerate(self.cardinalities):
            codes = x[:, self.n_numeric + k].astype(np.int64)
            parts.append(np.eye(size, dtype=np.float32)[codes])
        return np.concatenate(parts, axis=1)

    def design_columns(self) -> list[dict]:
        """What each column of design() is, for people: {"column", "kind", ...} with kind
        "number" (and its part, mean and std), "missing" (a flag) or "category" (and its value)."""
        found = []
        for f in self.numeric:
            name = f["column"] + (f".{f['part']}" if f["part"] else "")
            kind = "boolean" if self.types[f["column"]] == "boolean" else "number"
            found.append(
                {"column": f["column"], "name": name, "kind": kind, "mean": f["mean"], "std": f["std"]}
            )
            if f["flag"]:
                found.append({"column": f["column"], "name": name, "kind": "missing"})
        for c in self.categorical:
            for value in ["(unknown)", *c["categories"]]:
                found.append({"column": c["column"], "name": c["column"], "kind": "category", "value": value})
        return found

    # -- the manifest ---------------------------------------------------------
    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "types": self.types,
            "numeric": self.numeric,
            "categorical": self.categorical,
        }

    @classmethod
    def from_spec(cls, spec: dict, settings=None) -> TableEncoder:
        numeric = [
            {
                "column": str(f["column"]),
                "part": f["part"],
                **{k: float(f[k]) for k in ("median", "mean", "std")},
                "flag": bool(f["flag"]),
            }
            for f in spec["numeric"]
        ]
        categorical = [
            {"column": str(c["column"]), "categories": [str(v) for v in c["categories"]]}
            for c in spec["categorical"]
        ]
        types = {str(k): str(v) for k, v in spec["types"].items()}
        parts = {
            "numeric": {None},
            "boolean": {None},
            "datetime": {"year", "month", "day", "weekday", "hour"},
        }
        numbers_ok = all(
            f["part"] in parts.get(types.get(f["column"]), ())
            and all(np.isfinite([f["median"], f["mean"]]))
            and np.isfinite(f["std"])
            and f["std"] > 0
            for f in numeric
        )
        used = {f["column"] for f in numeric} | {c["column"] for c in categorical}
        if (
            not numbers_ok
            or used != set(types)
            or any(types[c["column"]] != "categorical" for c in categorical)
        ):
            raise ValueError("the table encoder's columns do not match its types")
        return cls(types, numeric, categorical)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _numeric_sources(values: pd.Series, kind: str, every_part: bool = False) -> dict:
    """The numbers a column gives: itself (part None), or a date's parts. date_parts
    gives the hour only where some cell's hour is not 0, which is what fit learns from;
    every_part gives it always, as encode needs: a model that learned the hour must read
    a row at midnight, or the emptied cells that explanations hide a value with."""
    if kind == "datetime":
        parts = date_parts(values)
        if every_part and "hour" not in parts:
            parts["hour"] = parts["year"] * 0  # 0 where a date was read, NaN (missing) where not
        return parts
    if kind == "boolean":
        return {None: boolean_values(values)}
    return {None: numbers(values)}
