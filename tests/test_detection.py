"""Object detection on generated photos (squares and circles of two colours on noise, their
boxes known): every layout read as it comes, bad boxes fixed or skipped with one line each
kind, and a detector trained, scored, predicted with, drawn, exported and served."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from deepstart.modalities import REGISTRY, detect
from deepstart.modalities.given import Given

from conftest import run_cli

SIZE = (128, 96)  # photos' width and height
CLASSES = ("circle", "square")


def shapes(n: int, seed: int = 0, size=SIZE) -> list[tuple[Image.Image, list[tuple]]]:
    """n photos of noise with one to three shapes each (a square or a circle, red or blue,
    20 to 36 pixels a side, apart): [(photo, [(label, x0, y0, x1, y1), ...])]."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        pixels = rng.integers(90, 170, (size[1], size[0], 3), dtype=np.uint8)
        photo, boxes = Image.fromarray(pixels), []
        pen = ImageDraw.Draw(photo)
        for _ in range(rng.integers(1, 4)):
            side = int(rng.integers(20, 37))
            for _ in range(20):  # a place that overlaps no shape drawn already
                x0, y0 = int(rng.integers(0, size[0] - side)), int(rng.integers(0, size[1] - side))
                box = (x0, y0, x0 + side, y0 + side)
                if all(x0 >= b[3] or b[1] >= box[2] or y0 >= b[4] or b[2] >= box[3] for b in boxes):
                    break
            else:
                continue
            label = CLASSES[int(rng.integers(0, 2))]
            fill = (220, 40, 40) if rng.random() < 0.5 else (40, 60, 220)
            (pen.ellipse if label == "circle" else pen.rectangle)(box, fill=fill)
            boxes.append((label, *box))
        out.append((photo, boxes))
    return out


def voc(root: Path, photos, annotations: str = "Annotations", images: str = "JPEGImages") -> Path:
    """Pascal VOC: photos in images/, one XML each in annotations/ (or beside them)."""
    (root / images).mkdir(parents=True, exist_ok=True)
    (root / annotations).mkdir(parents=True, exist_ok=True)
    for i, (photo, boxes) in enumerate(photos):
        photo.save(root / images / f"p{i:03d}.png")
        tree = ET.Element("annotation")
        ET.SubElement(tree, "filename").text = f"p{i:03d}.png"
        size = ET.SubElement(tree, "size")
        for key, value in zip(("width", "height", "depth"), (*photo.size, 3)):
            ET.SubElement(size, key).text = str(value)
        for label, *corners in boxes:
            obj = ET.SubElement(tree, "object")
            ET.SubElement(obj, "name").text = label
            where = ET.SubElement(obj, "bndbox")
            for key, value in zip(("xmin", "ymin", "xmax", "ymax"), corners):
                ET.SubElement(where, key).text = str(value)
        ET.ElementTree(tree).write(root / annotations / f"p{i:03d}.xml")
    return root


def coco(root: Path, photos, name: str = "annotations/instances.json") -> Path:
    (root / "images").mkdir(parents=True, exist_ok=True)
    found = {
        "images": [],
        "annotations": [],
        "categories": [{"id": k + 1, "name": c} for k, c in enumerate(CLASSES)],
    }
    for i, (photo, boxes) in enumerate(photos):
        photo.save(root / "images" / f"p{i:03d}.png")
        found["images"].append(
            {"id": i, "file_name": f"p{i:03d}.png", "width": photo.width, "height": photo.height}
        )
        for label, x0, y0, x1, y1 in boxes:
            found["annotations"].append(
                {"id": len(found["annotations"]), "image_id": i, "category_id": CLASSES.index(label) + 1,
                 "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0}
            )  # fmt: skip
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(json.dumps(found))
    return root


def yolo(root: Path, photos, names: str = "data.yaml") -> Path:
    """YOLO: images/train/*.png, labels/train/*.txt (class cx cy w h, as fractions), the names."""
    for folder in ("images/train", "labels/train"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i, (photo, boxes) in enumerate(photos):
        photo.save(root / "images/train" / f"p{i:03d}.png")
        w, h = photo.size
        lines = [
            f"{CLASSES.index(label)} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} "
            f"{(y1 - y0) / h:.6f}"
            for label, x0, y0, x1, y1 in boxes
        ]
        (root / "labels/train" / f"p{i:03d}.txt").write_text("\n".join(lines) + "\n")
    if names == "data.yaml":
        (root / "data.yaml").write_text(f"train: images/train\nnames: [{', '.join(CLASSES)}]\n")
    else:
        (root / names).write_text("\n".join(CLASSES) + "\n")
    return root


def table(root: Path, photos, name: str = "boxes.csv") -> Path:
    (root / "photos").mkdir(parents=True, exist_ok=True)
    lines = ["filename,xmin,ymin,xmax,ymax,label"]
    for i, (photo, boxes) in enumerate(photos):
        photo.save(root / "photos" / f"p{i:03d}.png")
        lines += [f"p{i:03d}.png,{x0},{y0},{x1},{y1},{label}" for label, x0, y0, x1, y1 in boxes]
    (root / name).write_text("\n".join(lines) + "\n")
    return root / name


LAYOUTS = {"voc": voc, "coco": coco, "yolo": yolo, "table": table}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_layout_is_detected_and_read_with_its_boxes(layout, tmp_path):
    photos = shapes(6)
    source = LAYOUTS[layout](tmp_path / layout, photos)
    given = Given(source)
    assert detect(given) is REGISTRY["detection"]
    examples = REGISTRY["detection"].read_labeled(given)
    assert len(examples.items) == 6
    read = {Path(f).name: sorted((b.label, *(round(v) for v in b.to_list())) for b in boxes)
            for f, boxes in zip(examples.items, examples.labels)}  # fmt: skip
    for i, (_, boxes) in enumerate(photos):
        assert read[f"p{i:03d}.png"] == sorted(boxes)


def test_voc_beside_the_photos_and_yolo_with_classes_txt(tmp_path):
    photos = shapes(4)
    beside = voc(tmp_path / "beside", photos, annotations="photos", images="photos")
    assert len(REGISTRY["detection"].read_labeled(Given(beside)).items) == 4
    named = yolo(tmp_path / "named", photos, names="classes.txt")
    examples = REGISTRY["detection"].read_labeled(Given(named))
    assert {b.label for boxes in examples.labels for b in boxes} <= set(CLASSES)


def test_a_folder_of_class_subfolders_is_still_photos_to_classify(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i, (photo, _) in enumerate(shapes(2)):
            photo.save(tmp_path / label / f"{i}.png")
    assert detect(Given(tmp_path)) is REGISTRY["image"]


# -- bad boxes --------------------------------------------------------------------------
def _said(source) -> list[str]:
    """What reading the data warned of, one line each."""
    from deepstart.studio.inspect import noted

    with noted() as said:
        REGISTRY["detection"].read_labeled(Given(source))
    return said


def test_bad_boxes_are_fixed_or_skipped_one_line_each_kind(tmp_path):
    photos = shapes(5)
    photos[0][1].append(("square", 100, 70, 140, 110))  # reaches outside the 128x96 photo: clipped
    photos[1][1].append(("circle", 30, 30, 30, 50))  # no area: skipped
    photos[2][1].append(("circle", 50, 40, 20, 10))  # corners swapped: swapped back
    photos[3][1].append(("square", 200, 200, 240, 240))  # wholly outside: skipped
    root = voc(tmp_path / "voc", photos)
    photos[4][0].save(root / "JPEGImages" / "unlabelled.png")  # no annotation: not used
    said = _said(root)
    assert len(said) == 4, said
    assert any("reaches outside" in line and "clipped" in line for line in said)
    assert any("2 boxes have no area" in line and "skipped" in line for line in said)
    assert any("swapped" in line for line in said)
    assert any("1 photo has no annotation" in line and "not used" in line for line in said)
    examples = REGISTRY["detection"].read_labeled(Given(root))
    boxes = {Path(f).name: b for f, b in zip(examples.items, examples.labels)}
    assert max(b.x1 for b in boxes["p000.png"]) == 128 and max(b.y1 for b in boxes["p000.png"]) == 96
    assert ("circle", 20, 10, 50, 40) in [(b.label, b.x0, b.y0, b.x1, b.y1) for b in boxes["p002.png"]]
    assert "unlabelled.png" not in boxes


def test_yolo_unknown_classes_and_photos_without_labels(tmp_path):
    root = yolo(tmp_path / "yolo", shapes(4))
    (root / "labels/train/p000.txt").write_text("7 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n")  # id 7: unknown
    (root / "labels/train/p001.txt").unlink()  # no label file: a photo with no object
    said = _said(root)
    assert any("1 box is of a class not among the class names" in line for line in said), said
    assert any("1 photo has no annotation" in line and "no object" in line for line in said), said
    examples = REGISTRY["detection"].read_labeled(Given(root))
    assert len(examples.items) == 4 and [] in examples.labels


def test_coco_unknown_categories_and_missing_photos(tmp_path):
    root = coco(tmp_path / "coco", shapes(3))
    found = json.loads((root / "annotations/instances.json").read_text())
    found["annotations"].append(
        {"id": 99, "image_id": 0, "category_id": 9, "bbox": [1, 1, 5, 5], "iscrowd": 0}
    )
    found["images"].append({"id": 7, "file_name": "gone.png", "width": 128, "height": 96})
    (root / "annotations/instances.json").write_text(json.dumps(found))
    said = _said(root)
    assert any("1 box is of a class not known" in line for line in said), said
    assert any("names a photo that is not there" in line for line in said), said


def test_data_without_any_box_is_refused_in_one_line(tmp_path):
    (tmp_path / "boxes.csv").write_text("filename,xmin,ymin,xmax,ymax,label\nnone.png,1,2,3,4,a\n")
    code, _, err = run_cli("train", str(tmp_path / "boxes.csv"), "--out", str(tmp_path / "m"))
    assert code == 2 and err.count("\n") <= 2 and "Traceback" not in err


# -- a detector, trained once -----------------------------------------------------------
@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = tmp_path_factory.mktemp("detector")
    voc(root / "data", shapes(48))
    voc(root / "test", shapes(12, seed=1))
    code, out, err = run_cli(
        "train",
        str(root / "data"),
        "--test",
        str(root / "test"),
        "--out",
        str(root / "model"),
        "--epochs",
        "25",
    )
    assert code == 0, err
    return root, out


def test_it_learns_and_says_how_good_it_is(model):
    root, said = model
    assert "mAP at IoU 0.5" in said and "report.html" in said
    manifest = json.loads((root / "model" / "manifest.json").read_text())
    assert manifest["task"] == "detection" and manifest["classes"] == list(CLASSES)
    assert manifest["metrics"]["test"]["map50"] > 0.6, manifest["metrics"]["test"]
    assert manifest["data"]["n_test"] == 12
    page = (root / "model" / "report.html").read_text()
    assert "AP at IoU 0.5" in page and ("data:image/jpeg;base64" in page or "every test box" in page)


def test_evaluate_gives_coco_scores_per_class(model):
    root, _ = model
    code, out, err = run_cli("evaluate", str(root / "model"), str(root / "test"), "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert 0 <= metrics["map"] <= metrics["map50"] <= 1 and metrics["n"] == 12
    assert set(metrics["per_class"]) == set(CLASSES)
    assert all(
        {"ap50", "ap", "support", "precision", "recall"} <= set(c) for c in metrics["per_class"].values()
    )
    code, _, err = run_cli("evaluate", str(root / "model"), str(root / "test"), "--group", "x")
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_predict_writes_one_row_per_box_and_draws_them(model, suffix):
    import pandas as pd

    root, _ = model
    photos = sorted((root / "test" / "JPEGImages").iterdir())[:3]
    out, drawn = root / f"boxes{suffix}", root / f"drawn{suffix[1:]}"
    code, _, err = run_cli(
        "predict", str(root / "model"), *map(str, photos), "--out", str(out), "--draw", str(drawn)
    )
    assert code == 0, err
    rows = json.loads(out.read_text()) if suffix == ".json" else (
        pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)).to_dict("records")  # fmt: skip
    assert rows and {"file", "label", "score", "xmin", "ymin", "xmax", "ymax"} <= set(rows[0])
    assert {Path(r["file"]).name for r in rows} == {p.name for p in photos}
    assert sorted(p.name for p in drawn.iterdir()) == [f"{p.stem}.png" for p in photos]


def test_draw_is_refused_for_a_classifier_in_one_line(trained, digits_root, tmp_path):
    photo = sorted((digits_root / "7").iterdir())[0]
    code, _, err = run_cli("predict", str(trained), str(photo), "--draw", str(tmp_path / "d"))
    assert code == 2 and err.count("\n") == 1


def test_export_int8_predicts_alike(model):
    root, _ = model
    code, out, err = run_cli("export", str(root / "model"), "--out", str(root / "onnx"), "--int8")
    assert code == 0, err
    check = json.loads((root / "onnx" / "manifest.json").read_text())["runtime"]["check"]
    assert check["metric"] == "map50" and check["max_abs_difference"] < 1.0
    assert abs(check["int8"]["map50_exported"] - check["map50_pytorch"]) < 0.1
    photos = [str(p) for p in sorted((root / "test" / "JPEGImages").iterdir())[:2]]
    from deepstart import load_model

    assert load_model(root / "onnx").predict_records(photos)


def test_serve_answers_boxes_and_its_page_is_told_to_draw_them(model):
    from fastapi.testclient import TestClient

    from deepstart.serve import create_app

    root, _ = model
    photo = sorted((root / "test" / "JPEGImages").iterdir())[0].read_bytes()
    with TestClient(create_app(root / "model")) as client:
        meta = client.get("/metadata").json()
        assert meta["try"] == {"form": "upload", "accept": "image/*", "capture": None, "shows": "boxes"}
        assert "boxes" in meta["predicts"]
        answer = client.post("/predict", files=[("file", ("a.png", photo, "image/png"))]).json()
        boxes = answer["predictions"][0]["boxes"]
        assert all({"label", "score", "box"} <= set(b) and len(b["box"]) == 4 for b in boxes)
        refused = client.post("/explain", files=[("file", ("a.png", photo, "image/png"))])
        assert refused.status_code == 422


def test_what_a_detector_does_not_do_is_refused_in_one_line(model, tmp_path):
    root, _ = model
    for option in (["--group", "x"], ["--cluster", "local:1"], ["--target", "label"]):
        code, _, err = run_cli("train", str(root / "data"), "--out", str(tmp_path / "m"), *option)
        assert code == 2 and err.count("\n") == 1, (option, err)


def test_tune_and_predict_on_a_cluster_say_why_not_in_one_line(model, tmp_path):
    root, _ = model
    photo = str(sorted((root / "test" / "JPEGImages").iterdir())[0])
    out = str(tmp_path / "p.parquet")
    for args in (
        ["predict", str(root / "model"), photo, "--cluster", "local:1", "--out", out],
        ["tune", str(root / "data"), "--out", str(tmp_path / "t"), "--trials", "2"],
    ):
        code, _, err = run_cli(*args)
        assert code == 2 and err.count("\n") == 1, (args, err)


def test_the_time_limit_is_kept(tmp_path):
    import time

    voc(tmp_path / "data", shapes(30, seed=3))
    started = time.perf_counter()
    code, out, err = run_cli(  # about 9 s without a limit
        "train", str(tmp_path / "data"), "--out", str(tmp_path / "m"), "--time-limit", "8s"
    )
    assert code == 0, err
    assert time.perf_counter() - started <= 1.1 * 8
    budget = json.loads((tmp_path / "m" / "manifest.json").read_text())["training"]["budget"]
    assert budget["limit"] == 8 and budget["spent"] <= 8 and budget["cuts"], budget
    assert "Time limit 8 s: trained in" in out and "To keep to the time limit (8 s)" in err


def test_the_studio_shows_boxes_on_its_samples(tmp_path):
    from deepstart.studio.inspect import describe

    root = voc(tmp_path / "data" / "cells", shapes(8))
    found = describe(root, tmp_path / "data", {}, 50_000_000)
    assert found["kind"] == "detection" and found["shows"] == "boxes" and "problem" not in found
    sample = found["samples"]["square"][0]
    assert found["boxes"][sample] and all(len(b["box"]) == 4 for b in found["boxes"][sample])


def test_serves_page_draws_the_boxes_over_the_photo(model, browser):
    from playwright.sync_api import expect

    from deepstart.serve import create_app

    from conftest import CHROMIUM, live_server

    if CHROMIUM is None:
        pytest.skip("no chromium executable on PATH (Debian: apt-get install chromium)")
    root, _ = model
    photo = sorted((root / "test" / "JPEGImages").iterdir())[0]
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page, errors = context.new_page(), []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with live_server(create_app(root / "model")) as url:
        page.goto(url)
        expect(page.locator("#about")).to_contain_text("boxes")
        page.set_input_files("#file", str(photo))
        expect(page.locator("#label")).to_contain_text("found", timeout=20_000)
        preview = page.locator("#preview")
        expect(preview).to_have_attribute("src", re.compile("^data:image/png"), timeout=20_000)
        assert preview.evaluate("img => img.naturalWidth") == SIZE[0]  # the photo, with its boxes drawn
    context.close()
    assert not errors, errors


def test_the_studio_takes_a_zip_trains_tries_and_exports(tmp_path):
    import io
    import time
    import zipfile

    from fastapi.testclient import TestClient

    from deepstart.studio.app import create_studio
    from deepstart.studio.workspace import Limits

    source = yolo(tmp_path / "cells", shapes(30, seed=4))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, f"cells/{path.relative_to(source).as_posix()}")

    def finished(client, run_id: int) -> dict:
        deadline = time.monotonic() + 300
        while (run := client.get(f"/api/runs/{run_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, run
            time.sleep(0.5)
        return run

    app = create_studio(tmp_path / "studio", limits=Limits(max_upload=20_000_000))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get(f"/?token={client.app.state.session.token}")
        files = [("files", ("cells.zip", buffer.getvalue(), "application/zip"))]
        project = client.post("/api/projects", data={"name": "cells"}, files=files).json()
        found = client.get(f"/api/projects/{project['id']}").json()["detection"]
        assert found["kind"] == "detection" and found["shows"] == "boxes", found
        assert all(found["boxes"][f] for files in found["samples"].values() for f in files)
        run = finished(
            client, client.post(f"/api/projects/{project['id']}/runs", json={"epochs": 5}).json()["id"]
        )
        assert run["status"] == "done" and "map50" in run["summary"]["test"], run
        meta = client.get(f"/api/runs/{run['id']}/metadata").json()
        assert meta["try"]["shows"] == "boxes"
        photo = sorted((source / "images/train").iterdir())[0].read_bytes()
        answer = client.post(f"/api/runs/{run['id']}/predict", files={"file": ("a.png", photo, "image/png")})
        assert answer.status_code == 200 and "boxes" in answer.json()["predictions"][0], answer.text
        job = finished(client, client.post(f"/api/runs/{run['id']}/export").json()["id"])
        assert job["status"] == "done" and job["summary"]["check"]["metric"] == "map50", job


def test_coco_scores_on_known_cases():
    """pycocotools' mAP: perfect boxes score 1; a box found at IoU 0.6 counts at the
    thresholds 0.5, 0.55 and 0.6 but not from 0.65 on, so its AP over 0.5:0.95 is 3 of 10."""
    from deepstart.modalities.detection.boxes import Box
    from deepstart.modalities.detection.metrics import coco_scores

    truth = [[Box("a", 0, 0, 100, 100)], [Box("b", 10, 10, 60, 60)]]
    perfect = [
        [{"label": "a", "score": 0.9, "box": [0, 0, 100, 100]}],
        [{"label": "b", "score": 0.8, "box": [10, 10, 60, 60]}],
    ]
    assert coco_scores(truth, perfect, ["a", "b"])["map"] == pytest.approx(1.0)
    shifted = [[{"label": "a", "score": 0.9, "box": [0, 0, 100, 60]}], []]  # IoU 0.6 with a; b missed
    found = coco_scores(truth, shifted, ["a", "b"])
    assert found["per_class"]["a"]["ap50"] == pytest.approx(1.0) and found["per_class"]["b"]["ap50"] == 0
    assert found["per_class"]["a"]["ap"] == pytest.approx(0.3) and found["map50"] == pytest.approx(0.5)


def test_the_studio_page_draws_boxes_on_samples_and_on_the_photo_tried(browser, tmp_path):
    import zipfile

    from playwright.sync_api import expect

    from deepstart.studio.app import create_studio

    from conftest import CHROMIUM, live_server

    if CHROMIUM is None:
        pytest.skip("no chromium executable on PATH (Debian: apt-get install chromium)")
    source = voc(tmp_path / "cells", shapes(30, seed=5))
    archive = tmp_path / "cells.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(p for p in source.rglob("*") if p.is_file()):
            z.write(f, f"cells/{f.relative_to(source)}")
    app = create_studio(tmp_path / "ws", host="127.0.0.1")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page, problems = context.new_page(), []
    page.on("pageerror", lambda e: problems.append(str(e)))
    drawn = re.compile("^data:image/png")
    with live_server(app) as url:
        page.goto(app.state.session.link(url))
        page.fill("#project-name", "cells")
        page.set_input_files("#pick-file", str(archive))
        expect(page.locator("#detection")).to_be_visible(timeout=30_000)
        expect(page.locator("#samples img").first).to_have_attribute("src", drawn, timeout=30_000)
        page.fill("#budget", "1")
        page.click("#train")
        expect(page.locator("#status")).to_contain_text("done", timeout=240_000)
        page.click("#tab-try")
        page.set_input_files("#try-file", str(sorted((source / "JPEGImages").iterdir())[0]))
        expect(page.locator("#boxes-found")).to_be_visible(timeout=30_000)
        expect(page.locator("#try-preview img")).to_have_attribute("src", drawn, timeout=30_000)
    context.close()
    assert not problems, problems
