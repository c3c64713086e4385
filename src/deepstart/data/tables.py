"""Reading tables: CSV, TSV, Parquet and JSON Lines, every cell as text, with one
clear error when a file is not a table. Bytes that are not UTF-8 are replaced (and
counted) rather than refused."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..files import read_regular
from ..log import warn

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson"}
REPLACEMENT = "\ufffd"


def is_table_file(path) -> bool:
    return Path(path).suffix.lower() in TABLE_SUFFIXES


MAX_COLUMNS = 10_000  # wider tables are refused at once (each column is looked at in turn)


def read_table(path: Path) -> pd.DataFrame:
    """The table in path, every cell a string ("" where missing), column names stripped."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pd.read_parquet(io.BytesIO(read_regular(path)))
        else:
            text = _decode(path)
            if suffix in (".jsonl", ".ndjson"):
                table = pd.read_json(io.StringIO(text), lines=True, dtype=False)
            else:
                options = _csv_format(path, text)
                header = text.split("\n", 1)[0]
                if options["sep"] and header.count(options["sep"]) >= MAX_COLUMNS:  # before parsing it all
                    _too_wide(path, header.count(options["sep"]) + 1)
                table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **options)
    except DataError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, ImportError) as e:
        reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        kind = suffix.lstrip(".").upper() or "CSV"
        raise DataError(f"{path} cannot be read as a table ({reason}); give a {kind} file.") from None
    if table.shape[1] > MAX_COLUMNS:
        _too_wide(path, table.shape[1])
    return as_text_table(table)


def _too_wide(path: Path, n_columns: int):
    raise DataError(
        f"{path} has {n_columns:,} columns; deepstart reads tables of at most {MAX_COLUMNS:,}: keep the "
        "columns that matter (or summarise them, e.g. by PCA) and train again."
    )


def as_text_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell a string: "" where missing, "1" (not "1.0") in float columns of whole
    numbers (as a column of integers with gaps becomes); column names stripped."""
    for column in table.columns:
        values = table[column]
        if values.dtype.kind == "f" and values.notna().any() and (values.dropna() % 1 == 0).all():
            table = table.assign(**{column: values.astype("Int64")})
    table = table.astype(object).where(table.notna(), "").astype(str)
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _csv_format(path: Path, text: str) -> dict:
    first = text.split("\n", 1)[0]
    if path.suffix.lower() == ".tsv":
        return {"sep": "\t"}
    if path.suffix.lower() == ".csv":
        # ';' as spreadsheets write CSV in many countries
        return {"sep": ";" if first.count(";") > first.count(",") else ","}
    return {"sep": None, "engine": "python"}  # .txt: let pandas find the separator


def _decode(path: Path) -> str:
    data = read_regular(path)
    if b"\x00" in data[:4096]:
        raise ValueError("it holds binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        bad = text.count(REPLACEMENT) - data.count(REPLACEMENT.encode())
        warn(
            f"{path.name} is not all UTF-8: {bad} characters could not be read and were replaced by "
            f"'{REPLACEMENT}'; save the file as UTF-8 to keep them."
        )
        return text


def rows_of(inputs) -> tuple[pd.DataFrame, str, list[str]]:
    """Rows to predict on, from tables (files or DataFrames), one after the other: (the
    rows, where they come from, a name for each)."""
    tables, origins = [], []
    for value in [inputs] if isinstance(inputs, (str, Path, pd.DataFrame)) else inputs:
        if isinstance(value, pd.DataFrame):
            tables.append(as_text_table(value))
            origins.append("the DataFrame")
        elif is_table_file(value) and Path(value).is_file():
            tables.append(read_table(Path(value)))
            origins.append(str(value))
        else:
            raise DataError(
                f"{str(value)[:200]} is not a table file; give tables (CSV, Parquet, ...) of rows."
            )
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if table.empty:
        raise DataError("No rows to predict on; give a table with one row per example.")
    names = [
        f"{origin}, row {i + 1}" if len(tables) > 1 else f"row {i + 1}"
        for origin, part in zip(origins, tables)
        for i in range(len(part))
    ]
    return table, ", ".join(origins)[:200], names
