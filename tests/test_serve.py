"""`deepstart serve`: every route, and every refusal as a plain 4xx/5xx JSON message
(never a traceback or a path); micro-batching; the limits; a fuzz test of /predict."""

import base64
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepstart.serve import Limits, create_app

from conftest import customers, image_bytes, run_cli


def client_for(model, token=None, **limits):
    return TestClient(create_app(model, token, Limits(**limits)), raise_server_exceptions=False)


JSON_TYPE = {"content-type": "application/json"}


def plain_error(response, status: int) -> str:
    """The refusal: the status, one JSON field, and nothing from inside the server."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]
    assert (
        "Traceback" not in response.text
        and "/tmp" not in response.text
        and "site-packages" not in response.text
    )
    return body["error"]


def digit(root, label="7", k=0) -> bytes:
    return sorted((root / label).iterdir())[k].read_bytes()


@pytest.fixture(scope="module")
def images(trained):
    with client_for(trained) as client:
        yield client


@pytest.fixture(scope="module")
def table_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("served_table")
    customers(240).drop(columns=["spend_next"]).to_csv(root / "c.csv", index=False)
    code, _, err = run_cli(
        "train", str(root / "c.csv"), "--target", "churned", "--task", "tabular", "--epochs", "5",
        "--out", str(root / "m"),
    )  # fmt: skip
    assert code == 0, err
    return root / "m"


ROW = {"age": 71, "plan": "pro", "active": "yes", "signup": "2021-03-04", "visits": 2}


def test_health_metadata_page_and_docs(images):
    assert images.get("/health").json()["status"] == "ok"
    meta = images.get("/metadata").json()
    assert meta["modality"] == "image" and meta["classes"] == ["0", "1", "7"] and meta["explain"]
    page = images.get("/")  # its script in a file of its own, under a policy that allows no other
    assert page.status_code == 200 and "style-src 'self'" in page.headers["content-security-policy"]
    script = images.get("/page/page.js")
    assert (
        script.status_code == 200 and "/page/page.js" in page.text and "http" not in page.text + script.text
    )
    spec = images.get("/openapi.json").json()
    assert "multipart/form-data" in spec["paths"]["/predict"]["post"]["requestBody"]["content"]
    docs = images.get("/docs")  # the API page, from local files: it works offline
    assert docs.status_code == 200 and "https://" not in docs.text and "/docs-assets/" in docs.text
    assert images.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_predict_images(images, digits_root):
    one = images.post("/predict", files={"file": ("seven.png", digit(digits_root), "image/png")})
    assert one.status_code == 200, one.text
    (record,) = one.json()["predictions"]
    assert record["input"] == "seven.png" and record["label"] == "7"
    assert abs(sum(record["probabilities"].values()) - 1) < 1e-4
    files = [
        ("file", ("a.png", digit(digits_root, "0"), "image/png")),
        ("file", ("b.png", b"junk", "image/png")),
    ]
    two = images.post("/predict", files=files).json()["predictions"]
    assert two[0]["label"] == "0" and "error" in two[1]  # one bad file in a batch: its own error


def test_explain_image_gives_a_heatmap(images, digits_root):
    found = images.post("/explain", files={"file": ("x.png", digit(digits_root), "image/png")}).json()
    assert found["label"] == "7" and base64.b64decode(found["heatmap_png"])[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "files,data,headers,status,words",
    [
        ({"file": ("x.png", b"not an image", "image/png")}, None, None, 422, "image"),
        ({"photo": ("x.png", b"x", "image/png")}, None, None, 422, "field 'file'"),
        ({"file": (None, "text, not a file")}, None, None, 422, "files, not text"),
        (None, None, {"content-type": "application/json"}, 415, "multipart"),
        (None, None, {"content-type": "multipart/form-data; boundary=zz"}, 422, "field 'file'"),
    ],
)
def test_bad_image_requests(images, files, data, headers, status, words):
    response = images.post("/predict", files=files, data=data, headers=headers, content=None)
    assert words in plain_error(response, status)


def test_multipart_without_boundary_is_400(images):
    response = images.post("/predict", content=b"abc", headers={"content-type": "multipart/form-data"})
    assert "multipart" in plain_error(response, 400).lower()


def test_body_and_pixel_limits(trained, digits_root):
    with client_for(trained, max_body=10_000, max_pixels=50) as client:
        big = {"file": ("big.png", image_bytes(size=(300, 300)), "image/png")}
        assert "limit" in plain_error(client.post("/predict", files=big), 413)
        chunks = (b"x" * 4096 for _ in range(5))  # no content-length: counted as it arrives
        multipart = {"content-type": "multipart/form-data; boundary=zz"}
        streamed = client.post("/predict", content=chunks, headers=multipart)
        plain_error(streamed, 413)
        small = {"file": ("d.png", digit(digits_root), "image/png")}  # 8x8 = 64 pixels > 50
        assert "too large" in plain_error(client.post("/predict", files=small), 413)


def test_every_route_reads_the_declared_size_before_decoding(trained, digits_root, monkeypatch):
    from deepstart.data import images

    decoded = []
    monkeypatch.setattr(images, "decode", lambda *a, **k: decoded.append(1))  # would decode
    import io

    from PIL import Image

    plain = io.BytesIO()
    Image.new("L", (3000, 3000)).save(plain, "PNG")  # 9 million pixels in a few kilobytes
    big = {"file": ("big.png", plain.getvalue(), "image/png")}
    with client_for(trained, max_pixels=1_000_000) as client:
        for route in ("/predict", "/explain"):
            assert "3000x3000 pixels" in plain_error(client.post(route, files=big), 413)
    assert decoded == []
    two = [("file", (f"{k}.png", digit(digits_root, k=k), "image/png")) for k in range(2)]
    with client_for(trained, max_request_pixels=1500) as client:  # two 32x32 digits: 2,048 pixels
        assert "at most 1,500" in plain_error(client.post("/predict", files=two), 413)
        assert client.post("/predict", files=two[:1]).status_code == 200


def test_token(trained, digits_root):
    with client_for(trained, token="s3cret") as client:
        assert client.get("/health").status_code == 200 and client.get("/").status_code == 200
        assert "token" in plain_error(client.get("/metadata"), 401)
        for path in ("/openapi.json", "/docs", "/nowhere"):  # everything else is behind the token
            plain_error(client.get(path), 401)
        wrong = client.post("/predict", headers={"Authorization": "Bearer nope"})
        plain_error(wrong, 401)
        right = client.post(
            "/predict",
            files={"file": ("x.png", digit(digits_root), "image/png")},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert right.status_code == 200


def test_full_queue_is_503_with_retry_after(trained, digits_root):
    with client_for(trained, max_queue=2) as client:
        files = [("file", (f"{k}.png", digit(digits_root, k=k), "image/png")) for k in range(3)]
        assert "At most 2 inputs" in plain_error(client.post("/predict", files=files), 413)  # never fits
        client.app.state.batcher.waiting = 2  # as if two inputs were waiting
        response = client.post("/predict", files=files[:1])
        plain_error(response, 503)
        assert response.headers["retry-after"] == "1"
        plain_error(client.post("/explain", files=files[:1]), 503)  # explanations queue too


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1"])
def test_other_host_names_are_refused_on_loopback(trained, host):
    app = create_app(trained, None, Limits(), host=host)
    named = f"[{host}]" if ":" in host else host
    with TestClient(app, base_url=f"http://{named}:8000") as client:
        assert client.get("/health").status_code == 200
        assert client.get("/health", headers={"host": "localhost:8000"}).status_code == 200
        assert "Host header" in plain_error(client.get("/health", headers={"host": "attacker.example"}), 400)


def test_serve_listens_on_ipv6_loopback_and_says_which_hosts_are_exposed():
    import socket

    from deepstart.serve.app import check_port, is_loopback

    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket(socket.AF_INET6) as probe:  # a free port, from the OS
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    check_port("::1", port)  # no error: IPv6 is checked as IPv6
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_too_many_files_is_413(trained, digits_root):
    with client_for(trained, max_inputs=2) as client:
        files = [("file", (f"{k}.png", digit(digits_root, k=k), "image/png")) for k in range(3)]
        assert "At most 2 files" in plain_error(client.post("/predict", files=files), 413)


def test_slow_model_is_504(trained, digits_root):
    with client_for(trained, timeout=0.2) as client:
        run = client.app.state.batcher.run
        client.app.state.batcher.run = lambda items: (time.sleep(0.5), run(items))[1]
        response = client.post("/predict", files={"file": ("x.png", digit(digits_root), "image/png")})
        assert "No answer within" in plain_error(response, 504)


def test_requests_are_batched(trained, digits_root):
    with client_for(trained, max_wait_ms=200) as client:
        sizes, run = [], client.app.state.batcher.run
        client.app.state.batcher.run = lambda items: (sizes.append(len(items)), run(items))[1]
        answers = []

        def ask(k):
            files = {"file": (f"{k}.png", digit(digits_root, k=k), "image/png")}
            answers.append(client.post("/predict", files=files).json()["predictions"][0]["label"])

        threads = [threading.Thread(target=ask, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == ["7"] * 6 and max(sizes) > 1 and sum(sizes) == 6


def test_text_routes_and_refusals(text_model):
    with client_for(text_model, max_inputs=3) as client:
        good = client.post(
            "/predict", json={"texts": ["the story was dull and lifeless", "superb and charming"]}
        )
        assert [p["label"] for p in good.json()["predictions"]] == ["neg", "pos"]
        why = client.post("/explain", json={"text": "the cast was awful and tedious"}).json()
        assert why["label"] == "neg" and [w["word"] for w in why["words"]][-1] == "tedious"
        for body, status, words in [
            ({"text": 5}, 422, "JSON string"),
            ({"texts": []}, 422, "at least one"),
            ({"text": "a", "extra": 1}, 422, "one field"),
            ({"texts": ["a"] * 4}, 413, "At most 3"),
            ({"text": "   "}, 422, "empty"),
            (["a list"], 422, "JSON object"),
        ]:
            assert words in plain_error(client.post("/predict", json=body), status)
        assert "valid JSON" in plain_error(client.post("/predict", content=b"{", headers=JSON_TYPE), 400)
        plain_error(client.post("/predict", content=b"x", headers={"content-type": "text/plain"}), 415)
        plain_error(client.post("/explain", json={"texts": ["a", "b"]}), 422)
        lone = json.dumps({"texts": ["fine \ud800 film", "\udcff"]})  # lone surrogates, as JSON escapes
        odd = client.post("/predict", content=lone, headers=JSON_TYPE)
        assert odd.status_code == 200 and len(odd.json()["predictions"]) == 2
        deep = b"[" * 100_000 + b"]" * 100_000
        nested = client.post("/predict", content=deep, headers=JSON_TYPE)
        assert "nested" in plain_error(nested, 400)
        plain_error(client.get("/nowhere"), 404)
        plain_error(client.put("/predict"), 405)


def test_table_routes_and_refusals(table_model):
    with client_for(table_model) as client:
        meta = client.get("/metadata").json()
        assert {c["name"] for c in meta["columns"]} == set(ROW)
        answer = client.post("/predict", json={"rows": [ROW, {**ROW, "visits": None}]})
        assert answer.status_code == 200 and len(answer.json()["predictions"]) == 2
        why = client.post("/explain", json={"row": ROW}).json()
        assert set(why["contributions"]) == set(ROW)
        lacking = {k: v for k, v in ROW.items() if k != "age"}
        assert "'age'" in plain_error(client.post("/predict", json={"row": lacking}), 422)
        assert "plan" in plain_error(client.post("/predict", json={"row": {**ROW, "plan": [1]}}), 422)
        for odd in ("old", "\u0662\u0665", "inf", 1e309):  # 1e309: JSON's way to say infinity
            answer = client.post(
                "/predict", content=json.dumps({"row": {**ROW, "age": odd}}), headers=JSON_TYPE
            )
            assert "finite number" in plain_error(answer, 422)
        lone = json.dumps({"row": {**ROW, "plan": "pro\ud800"}})
        surrogate = client.post("/predict", content=lone, headers=JSON_TYPE)
        assert surrogate.status_code == 200
        assert client.post("/predict", json={"row": {**ROW, "age": "NA"}}).status_code == 200  # missing


def test_a_table_request_costs_its_rows_times_the_models_columns(table_model, monkeypatch):
    from deepstart.modalities.tables import MODALITY

    seen = []
    real = MODALITY.service.serve_predict
    monkeypatch.setattr(
        MODALITY.service, "serve_predict", lambda model, items: seen.append(items) or real(model, items)
    )
    with client_for(table_model) as client:
        wide = [{**ROW, **{f"extra{i}_{k}": 1 for k in range(2_000)}} for i in range(4)]  # 8,000 unknown
        assert client.post("/predict", json={"rows": wide}).status_code == 200
        assert [set(item) for item in seen[0]] == [set(ROW)] * 4  # the unknown columns were dropped
        too_wide = {**ROW, **{f"c{k}": 0 for k in range(10_001)}}
        assert "at most 10,000 columns" in plain_error(client.post("/predict", json={"row": too_wide}), 413)


def test_sequences_are_served(tmp_path):
    import pandas as pd

    from test_sequences import traces

    x, y = traces(150, length=24)
    pd.DataFrame({f"s{k}": x[:, k] for k in range(24)} | {"label": y}).to_csv(tmp_path / "t.csv", index=False)
    args = ["--task", "sequence", "--target", "label", "--epochs", "5", "--out", str(tmp_path / "m")]
    assert run_cli("train", str(tmp_path / "t.csv"), *args)[0] == 0
    with client_for(tmp_path / "m") as client:
        assert client.get("/metadata").json()["steps"] == 24
        answer = client.post("/predict", json={"sequences": x[:3].tolist()})
        assert answer.status_code == 200 and len(answer.json()["predictions"]) == 3
        assert "24 steps" in plain_error(client.post("/predict", json={"sequence": [1.0, 2.0]}), 422)


def test_exported_model_is_served_by_onnx_runtime(trained, digits_root, tmp_path):
    code, _, err = run_cli("export", str(trained), "--out", str(tmp_path / "x"), "--int8")
    assert code == 0, err
    with client_for(tmp_path / "x") as client:
        meta = client.get("/metadata").json()
        assert meta["engine"] == "onnxruntime" and meta["int8"] and not meta["explain"]
        response = client.post("/predict", files={"file": ("x.png", digit(digits_root), "image/png")})
        assert response.json()["predictions"][0]["label"] == "7"
        heatmap = client.post("/explain", files={"file": ("x.png", digit(digits_root), "image/png")})
        assert "PyTorch" in plain_error(heatmap, 422)


def test_forecaster_exported_and_served(tmp_path):
    from test_series import sales

    table = sales(150)
    table.to_csv(tmp_path / "s.csv", index=False)
    args = ["--task", "timeseries", "--target", "units", "--time", "date", "--id", "store", "--horizon", "7"]
    assert run_cli("train", str(tmp_path / "s.csv"), *args, "--out", str(tmp_path / "m"))[0] == 0
    code, said, err = run_cli("export", str(tmp_path / "m"), "--out", str(tmp_path / "x"), "--int8")
    assert code == 0 and "mase ONNX int8" in said, err
    check = json.loads((tmp_path / "x" / "manifest.json").read_text())["runtime"]["check"]
    assert check["max_abs_difference"] < 1e-3 and abs(check["mase_exported"] - check["mase_pytorch"]) < 1e-3
    for model in ("m", "x"):
        with client_for(tmp_path / model) as client:
            meta = client.get("/metadata").json()
            assert meta["modality"] == "series" and meta["horizon"] == 7
            rows = table.to_dict("records")
            answer = client.post("/predict", json={"rows": rows})
            assert answer.status_code == 200, answer.text
            forecast = answer.json()["predictions"][0]["forecast"]
            assert len(forecast) == 14 and {f["store"] for f in forecast} == {"north", "south"}
            lacking = [{k: v for k, v in r.items() if k != "units"} for r in rows]
            assert "'units'" in plain_error(client.post("/predict", json={"rows": lacking}), 422)
            plain_error(client.post("/predict", json={"rows": rows[:3]}), 422)  # too short a history
            plain_error(client.post("/explain", json={"rows": rows}), 422)


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates too
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=JSON
    | st.fixed_dictionaries({"text": JSON})
    | st.fixed_dictionaries({"texts": st.lists(JSON, max_size=3)})
    | st.fixed_dictionaries({"row": JSON})
    | st.fixed_dictionaries({"row": st.fixed_dictionaries({k: JSON for k in ROW})}),
    route=st.sampled_from(["/predict", "/explain"]),
)
def test_fuzzed_json_never_breaks_the_service(fuzz_clients, body, route):
    for client in fuzz_clients:
        response = client.post(route, content=json.dumps(body), headers=JSON_TYPE)
        assert response.status_code in (200, 400, 413, 415, 422), response.text
        assert ("error" in response.json()) == (response.status_code != 200)


@pytest.fixture(scope="module")
def fuzz_clients(table_model, text_model):
    with client_for(table_model) as table, client_for(text_model) as text:
        yield table, text


def test_a_port_in_use_is_one_line(table_model):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        code, _, err = run_cli("serve", str(table_model), "--port", port)
    assert code == 2 and "in use" in err and err.count("\n") == 1
