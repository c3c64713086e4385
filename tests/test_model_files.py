"""A model folder is checked as a whole before it is used: a manifest edited by hand (or
by someone else) ends in one line and exit code 2, never a traceback, a wrong answer or
an allocation beyond the caps (manifest.py's bounds, ONNX Runtime's arena)."""

import json
import resource
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from deepstart import ModelFileError
from deepstart.loading import load_model
from deepstart.onnx.session import sha256
from deepstart.serve import create_app

from conftest import run_cli

MODELS = Path(__file__).parent / "fixtures" / "models"
INPUTS = Path(__file__).parent / "fixtures" / "inputs"
ROW = str(INPUTS / "customers_new.csv")


def crafted(tmp_path, name: str, change) -> Path:
    folder = shutil.copytree(MODELS / name, tmp_path / f"crafted-{name}", dirs_exist_ok=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def one_line_refusal(code: int, err: str) -> str:
    """Exit code 2 and one line that says what is wrong (notes printed before it aside)."""
    assert code == 2 and "Traceback" not in err, err
    assert [line.startswith("deepstart: ") for line in err.strip().splitlines()][-1:] == [True], err
    return err.strip().splitlines()[-1]


CASES = {  # the crafted manifests, and what the refusal names
    "no data.fingerprint": ("table_classes", lambda m: m["data"].pop("fingerprint"), "data.fingerprint"),
    "no metrics.test": ("table_classes", lambda m: m["metrics"].pop("test"), "metrics.test"),
    "versions {}": ("table_classes", lambda m: m.update(versions={}), "versions.deepstart"),
    "classes as a dict": ("table_classes", lambda m: m.update(classes={"no": 0, "yes": 1}), "classes"),
    "settings [1, 2]": ("table_classes", lambda m: m["training"].update(settings=[1, 2]), "settings"),
    "leaderboard [1]": ("table_classes", lambda m: m.update(leaderboard=[1]), "leaderboard.0"),
    "duplicate classes": ("table_classes", lambda m: m.update(classes=["no", "no"]), "same name"),
    "encoder.size -16": ("image_cnn", lambda m: m["encoder"].update(size=-16), "encoder.size"),
    "encoder.size 10^6": ("image_cnn", lambda m: m["encoder"].update(size=10**6), "encoder.size"),
    "in_channels 10^9": ("image_cnn", lambda m: m["net"].update(in_channels=10**9), "sizes"),
    "length 10^9": ("sequence", lambda m: m["encoder"].update(length=10**9), "encoder.length"),
    "horizon 10^9": ("series", lambda m: m["encoder"].update(horizon=10**9), "encoder.horizon"),
    "embedding 10^8": ("table_classes", lambda m: m["net"].update(cardinalities=[10**8]), "cardinalities"),
    "a wider hidden layer": ("table_numbers", lambda m: m["net"].update(hidden=[4096, 4096]), "sizes"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_crafted_manifests_are_one_line(tmp_path, case):
    name, change, names = CASES[case]
    folder = crafted(tmp_path, name, change)
    for command in ("info", "predict"):
        args = [command, str(folder)] + ([] if command == "info" else [ROW])
        err = one_line_refusal(*run_cli(*args)[::2])
        assert names in err, err


def _onnx_model(nodes, initializers, n_out: int) -> bytes:
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", "features"])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", n_out])
    graph = helper.make_graph(nodes, "crafted", [x], [y], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _with_onnx(tmp_path, data: bytes) -> Path:
    def change(m):  # the network's own answers (the kept model there is a classical one)
        m["runtime"].update(sha256=sha256(data))
        m.update(choice="deep")

    folder = crafted(tmp_path, "table_classes_onnx", change)
    (folder / "model.onnx").write_bytes(data)
    return folder


def test_an_onnx_network_with_the_wrong_output_is_refused(tmp_path):
    data = _onnx_model([helper.make_node("ReduceSum", ["input"], ["output"])], [], n_out=5)
    with pytest.raises(ModelFileError, match="not 2 per input"):
        load_model(_with_onnx(tmp_path, data))


def test_an_onnx_memory_bomb_fails_within_the_cap(tmp_path):
    shape = numpy_helper.from_array(np.array([60_000, 60_000], np.int64), "shape")  # 14.4 GB of floats
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])
    axis = numpy_helper.from_array(np.array([1], np.int64), "axis")
    two = numpy_helper.from_array(np.zeros(2, np.float32), "two")
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["big"], value=zero),
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        helper.make_node("ReduceSum", ["input", "axis"], ["row"], keepdims=1),  # (batch, 1)
        helper.make_node("Add", ["row", "two"], ["logits"]),  # (batch, 2)
        helper.make_node("Add", ["logits", "total"], ["output"]),
    ]
    folder = _with_onnx(tmp_path, _onnx_model(nodes, [shape, axis, two], n_out=2))
    onnx.checker.check_model(onnx.load(folder / "model.onnx"))  # a valid graph, not a broken file
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    err = one_line_refusal(*run_cli("predict", str(folder), ROW)[::2])
    assert "failed to run" in err
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1 << 20  # KB: under 1 GB more


def _paths(value, path=()):
    """Every place in a JSON document: (keys...) tuples."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*path, key))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.sampled_from([0, 1, -1, 10**9, 2**63])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FUZZED = ["table_classes", "table_numbers", "table_classes_onnx", "series", "sequence", "image_cnn"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(FUZZED), where=st.integers(0, 10**6), value=JSON, drop=st.booleans())
def test_fuzzed_manifests_never_break_info_predict_or_serve(tmp_path, name, where, value, drop):
    manifest = json.loads((MODELS / name / "manifest.json").read_text())
    places = [p for p in _paths(manifest) if p and p[0] not in ("format_version", "weights_sha256")]
    place = places[where % len(places)]

    def change(m):
        holder = m
        for key in place[:-1]:
            holder = holder[key]
        if drop and isinstance(holder, dict):
            del holder[place[-1]]
        else:
            holder[place[-1]] = value

    folder = crafted(tmp_path, name, change)
    code, _, err = run_cli("info", str(folder))
    if code != 0:
        one_line_refusal(code, err)
    given_input = str(INPUTS / ("sales_history.csv" if name == "series" else "digit_7.png"))
    given_input = ROW if name.startswith("table") else given_input
    given_input = str(INPUTS / "traces_new.csv") if name == "sequence" else given_input
    code, _, err = run_cli("predict", str(folder), given_input)
    if code != 0:
        one_line_refusal(code, err)
    try:
        create_app(folder)  # the service's start-up
    except ModelFileError:
        pass
