"""`deepstart export`: an ONNX model folder that predicts like the model it came from,
checked on real inputs, and refused when damaged or asked of the wrong thing."""

import json
import shutil

import numpy as np
import pytest

from deepstart import Predictor, load_model

from conftest import customers, run_cli


def _export(model, out, *more):
    code, said, err = run_cli("export", str(model), "--out", str(out), *more)
    assert code == 0, err
    return json.loads((out / "manifest.json").read_text())["runtime"], said


def test_transfer_model_exports_whole_network(trained, digits_root, tmp_path):
    runtime, said = _export(trained, tmp_path / "x")
    assert runtime["engine"] == "onnxruntime" and runtime["check"]["max_abs_difference"] < 1e-4
    assert "largest difference from PyTorch" in said
    files = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert files == ["manifest.json", "model.onnx", "model.safetensors"]
    original, exported = Predictor.load(trained), load_model(tmp_path / "x")
    assert exported.encoder_.name == "pixels"  # the ONNX file starts from pixels
    some = sorted((digits_root / "7").iterdir())[:6]
    np.testing.assert_allclose(exported.predict_proba(some), original.predict_proba(some), atol=1e-4)
    code, out, err = run_cli("evaluate", str(tmp_path / "x"), str(digits_root), "--json")
    assert code == 0, err
    assert json.loads(out)["accuracy"] == original.evaluate(digits_root)["accuracy"]


def test_int8_reports_the_accuracy_change(trained, digits_root, tmp_path):
    runtime, said = _export(trained, tmp_path / "x8", "--int8")
    check = runtime["check"]
    assert runtime["int8"] and runtime["quantization"].startswith("static")
    assert check["int8"]["n"] == check["n"] > 0 and "accuracy_exported" in check["int8"]
    assert "int8 changed the accuracy by" in said
    code, out, _ = run_cli("info", str(tmp_path / "x8"))
    assert code == 0 and "for ONNX Runtime, int8 (static" in out and "accuracy there: PyTorch" in out
    code, _, err = run_cli("explain", str(tmp_path / "x8"), str(sorted((digits_root / "7").iterdir())[0]))
    assert code == 2 and "Heatmaps need the PyTorch model" in err
    exported = load_model(tmp_path / "x8")
    small = exported.evaluate(digits_root)["accuracy"]
    assert small >= Predictor.load(trained).evaluate(digits_root)["accuracy"] - 0.05
    assert "session.x64quantprecision=1" in said  # for those who run model.onnx themselves
    _computes_what_its_quantisation_says(exported, digits_root)


def _computes_what_its_quantisation_says(exported, digits_root):
    """deepstart's int8 kernels agree with ONNX Runtime's plain float steps over the same
    int8 graph (each QuantizeLinear and DequantizeLinear in turn): on x86 CPUs without VNNI,
    the fast uint8 x int8 kernels saturated and predicted 1 for 18 of the 24 sevens."""
    import onnxruntime as ort

    sevens = [str(f) for f in sorted((digits_root / "7").iterdir())]
    x = exported.encoder_.encode(sevens).features  # (24, 3, 224, 224) uint8
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # no int8 kernels
    steps = ort.InferenceSession(str(exported.net_.path), options, providers=["CPUExecutionProvider"])
    expected = steps.run(None, {steps.get_inputs()[0].name: x})[0]
    assert np.abs(exported.predict_proba(sevens) - expected).max() < 0.1


def test_text_model_exports(text_model, tmp_path):
    runtime, _ = _export(text_model, tmp_path / "t", "--int8")
    # The embedding network is int8 as in training; its activations are quantised per batch,
    # so a text's probabilities move a little with the texts batched beside it.
    assert runtime["check"]["max_abs_difference"] < 0.05
    assert runtime["check"]["accuracy_exported"] == runtime["check"]["accuracy_pytorch"]
    exported, original = load_model(tmp_path / "t"), Predictor.load(text_model)
    texts = ["the story was dull and lifeless", "the cast was superb and charming"]
    assert exported.encoder_.name == "minilm-tokens"
    assert exported.predict(texts) == original.predict(texts)


@pytest.mark.parametrize("target", ["churned", "spend_next"])
def test_table_models_export(tmp_path, target):
    table = customers(300).drop(columns=["spend_next" if target == "churned" else "churned"])
    table.to_csv(tmp_path / "c.csv", index=False)
    code, _, err = run_cli(
        "train", str(tmp_path / "c.csv"), "--target", target, "--task", "tabular", "--epochs", "8",
        "--out", str(tmp_path / "m"),
    )  # fmt: skip
    assert code == 0, err
    runtime, _ = _export(tmp_path / "m", tmp_path / "x")
    assert runtime["check"]["max_abs_difference"] < 1e-3
    original, exported = Predictor.load(tmp_path / "m"), load_model(tmp_path / "x")
    np.testing.assert_allclose(
        exported.predict_proba(table), original.predict_proba(table), rtol=1e-4, atol=1e-4
    )


def test_array_models_need_data_to_check_on(digits_root, tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images * 255 / 16).astype(np.uint8)
    Predictor(epochs=2).fit(x, digits.target).save(tmp_path / "m")
    code, _, err = run_cli("export", str(tmp_path / "m"), "--out", str(tmp_path / "x"))
    assert code == 2 and "--data" in err and err.count("\n") == 1 and not (tmp_path / "x").exists()
    runtime, _ = _export(tmp_path / "m", tmp_path / "x", "--data", str(digits_root), "--int8")
    assert runtime["check"]["max_abs_difference"] < 1e-4 and runtime["check"]["n"] == 72


def test_export_over_its_own_model_is_refused(trained, tmp_path):
    code, _, err = run_cli("export", str(trained), "--out", str(trained))
    assert code == 2 and "model folder itself" in err
    assert (trained / "model.safetensors").is_file() and not (trained / "model.onnx").exists()


def test_other_data_at_the_training_path_is_not_used(tmp_path):
    table = customers(200).drop(columns=["spend_next"])
    table.to_csv(tmp_path / "c.csv", index=False)
    args = ["--target", "churned", "--task", "tabular", "--epochs", "3", "--out", str(tmp_path / "m")]
    assert run_cli("train", str(tmp_path / "c.csv"), *args)[0] == 0
    customers(200, seed=1).drop(columns=["spend_next"]).to_csv(tmp_path / "c.csv", index=False)
    code, _, err = run_cli("export", str(tmp_path / "m"), "--out", str(tmp_path / "x"))
    assert code == 2 and "not the data the model was trained on" in err and not (tmp_path / "x").exists()


def test_refusals(trained, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    code, _, err = run_cli("export", str(trained), "--out", str(tmp_path / "busy"))
    assert code == 2 and "holds other files" in err
    _export(trained, tmp_path / "x")
    code, _, err = run_cli("export", str(tmp_path / "x"), "--out", str(tmp_path / "xx"))
    assert code == 2 and "already an exported model" in err


def test_damaged_onnx_file_is_refused(trained, tmp_path):
    _export(trained, tmp_path / "x")
    onnx_file = tmp_path / "x" / "model.onnx"
    data = bytearray(onnx_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx_file.write_bytes(bytes(data))
    code, _, err = run_cli("predict", str(tmp_path / "x"), str(trained / "manifest.json"))
    assert code == 2 and "does not match the manifest" in err


@pytest.mark.parametrize("where", ["initializer", "node attribute"])
def test_onnx_with_external_data_is_refused(trained, tmp_path, where):
    import hashlib

    import onnx

    _export(trained, tmp_path / "x")
    path, manifest_path = tmp_path / "x" / "model.onnx", tmp_path / "x" / "manifest.json"
    model = onnx.load(path)
    if where == "initializer":
        tensor = model.graph.initializer[0]
    else:
        constant = next(n for n in model.graph.node if n.op_type == "Constant")
        tensor = next(a.t for a in constant.attribute if a.name == "value")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="../../../etc/passwd")
    data = model.SerializeToString()
    path.write_bytes(data)
    manifest = json.loads(manifest_path.read_text())
    manifest["runtime"]["sha256"] = hashlib.sha256(data).hexdigest()  # a tamperer can fix the hash
    manifest_path.write_text(json.dumps(manifest))
    code, _, err = run_cli("predict", str(tmp_path / "x"), "x.png")
    assert code == 2 and "refers to data in other files" in err


def test_data_paths_in_a_manifest_from_elsewhere_are_not_read(trained, digits_root, tmp_path, monkeypatch):
    import deepstart.export

    copy = shutil.copytree(trained, tmp_path / "m")
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(
        json.dumps(manifest | {"data": manifest["data"] | {"source": "/etc"}})
    )
    read = []
    real = deepstart.export.read_labeled
    monkeypatch.setattr(
        deepstart.export, "read_labeled", lambda source, *a, **k: read.append(source) or real(source, *a, **k)
    )
    code, out, _ = run_cli("info", str(copy))
    assert code == 0 and "Not signed with this user's key" in out
    code, _, err = run_cli("export", str(copy), "--out", str(tmp_path / "x"))
    assert code == 2 and "not signed" in err and "--data" in err and err.count("\n") == 1
    _export(copy, tmp_path / "x", "--data", str(digits_root))  # the data the user names is read
    assert [str(p) for p in read] == [str(digits_root)]  # and never /etc
    assert "Signed with this user's key" in run_cli("info", str(trained))[1]
