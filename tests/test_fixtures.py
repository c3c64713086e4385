"""Models saved by an earlier version of deepstart (tests/fixtures/make_models.py, run
before the code moved into modality packages) still load and predict what they
predicted then: the model folder is a contract, not an implementation detail."""

import json
import math
from pathlib import Path

import pytest

from conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _close(a, b, path: str = "") -> None:
    """Equal, but for numbers, which may differ by float noise (ONNX Runtime, BLAS)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(b, str):
        assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4), f"{path}: {a} then, {b} now"
    else:
        assert a == b, f"{path}: {a!r} then, {b!r} now"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_earlier_model_predicts_the_same(name):
    entry = EXPECTED[name]
    model = FIXTURES / "models" / name
    inputs = [
        str(FIXTURES / "inputs" / i) if (FIXTURES / "inputs" / i).is_file() else i for i in entry["inputs"]
    ]
    code, out, err = run_cli("predict", str(model), *inputs, "--json")
    assert code == 0, err
    now = [r | {"input": Path(r["input"]).name} if "/" in r.get("input", "") else r for r in json.loads(out)]
    _close(entry["records"], [_as_then(r) for r in now])


def _as_then(record: dict) -> dict:
    """A forecast as it was written then: since issue 15 a forecast keeps the user's own
    column names (here store, date, units) instead of series, time and forecast."""
    renamed = {"store": "series", "date": "time", "units": "forecast"}
    return {renamed.get(k, k): v for k, v in record.items()}


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "evaluate" in EXPECTED[n]))
def test_an_earlier_model_evaluates_the_same(name):
    data = FIXTURES / "inputs" / ("sales_history.csv" if name == "series" else "customers_labelled.csv")
    code, out, err = run_cli("evaluate", str(FIXTURES / "models" / name), str(data), "--json")
    assert code == 0, err
    _close(EXPECTED[name]["evaluate"], json.loads(out))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_earlier_model_is_described(name):
    code, out, err = run_cli("info", str(FIXTURES / "models" / name))
    assert code == 0, err
    assert "Data fingerprint" in out
