"""Issue 30 acceptance: object detection on BCCD (364 microscope photos, 640x480, red cells,
white cells and platelets in Pascal VOC XML), with the data set's own split (ImageSets/Main:
trainval 292, of which val 87 picks the epoch and the score threshold; test 72).

    python bench/detection.py [--no-reference] [--no-timing-reference]

1. `deepstart train bccd/ --out model/` as a user runs it, cold (a fresh feature cache: the
   backbone reads every photo and, for training, its mirror image) and warm (the cache
   filled: only the head trains); COCO's mAP@0.5 per class and overall, mAP@0.5:0.95, on the
   72 test photos, and the wall time of each.
2. A reference run here: the same head on the same frozen features without mirror images
   (--no-augment), warm.
3. The time other photo recipes take for the same 364 photos (a label per photo: whether it
   shows a platelet), cold: transfer learning (frozen features + a linear classifier) and
   fine-tuning.
4. `deepstart export --int8`: mAP@0.5 of PyTorch, ONNX fp32 and ONNX int8 on the validation photos.

Published figures for BCCD (beside, not rerun: other splits, GPUs, the whole network trained,
mosaic augmentation) are in PUBLISHED below, with their setup.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import datasets_dir, run_cli, write_result

PUBLISHED = [
    {
        "model": "YOLOv8n (Ultralytics, pretrained on COCO, whole network trained, mosaic augmentation, GPU)",
        "map50": 0.924,
        "source": "Chen et al., NBCDC-YOLOv8, IET Computer Vision 19(1), 2025, doi:10.1049/cvi2.12341 "
        "(their YOLOv8n baseline: 94.7 % for NBCDC-YOLOv8, 2.3 points above YOLOv8n); BCCD, their own split",
    },
    {
        "model": "YOLO-Dense (YOLO with dense connections, GPU)",
        "map50": 0.86,
        "source": "as cited in Automated Blood Cell Detection and Counting Based on Improved Object "
        "Detection Algorithm, Mathematics 13(18) 3023, 2025, doi:10.3390/math13183023 (introduction); "
        "it reports YOLO-Dense above Faster R-CNN on BCCD",
    },
]


def manifest(model: Path) -> dict:
    return json.loads((model / "manifest.json").read_text())


def scores(found: dict) -> dict:
    test = found["metrics"]["test"]
    return {
        "map50": round(test["map50"], 4),
        "map": round(test["map"], 4),
        "per_class_ap50": {c: round(v["ap50"], 4) for c, v in test["per_class"].items()},
        "per_class_ap": {c: round(v["ap"], 4) for c, v in test["per_class"].items()},
        "per_class_boxes": {c: v["support"] for c, v in test["per_class"].items()},
        "misses": {k: v for k, v in test["misses"].items() if k != "per_photo"},
        "threshold": found["threshold"],
        "epochs": len(found["training"]["history"]["epochs"]),
        "best_epoch": found["training"]["history"]["best_epoch"],
        "input": [found["encoder"]["width"], found["encoder"]["height"]],
        "n_train": found["data"]["n_train"],
        "n_validation": found["data"]["n_validation"],
        "n_test": found["data"]["n_test"],
    }


def photo_labels(bccd: Path, folder: Path) -> Path:
    """A CSV of the 364 photos, each labelled by whether it shows a platelet (for timing)."""
    import pandas as pd

    boxes = pd.read_csv(bccd / "boxes.csv")
    platelets = set(boxes[boxes.label == "Platelets"].filename)
    files = sorted(p.name for p in (bccd / "images").iterdir())
    rows = pd.DataFrame({"file": [str(bccd / "images" / f) for f in files]})
    rows["label"] = ["platelets" if f in platelets else "none" for f in files]
    rows.to_csv(folder / "photos.csv", index=False)
    return folder / "photos.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-timing-reference", action="store_true")
    options = parser.parse_args()
    bccd = datasets_dir() / "bccd"
    result: dict = {
        "data": "BCCD: 364 photos 640x480, VOC XML; ImageSets/Main trainval 292 (val 87), test 72"
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache = Path(tmp), {"DEEPSTART_CACHE": str(Path(tmp) / "cache")}
        command = ["train", str(bccd), "--out", str(folder / "model")]
        cold, said = run_cli(command, env=cache)
        warm, _ = run_cli([*command[:-1], str(folder / "warm")], env=cache)
        found = manifest(folder / "model")
        result |= {"command": "deepstart train bccd/ --out model/", "train_wall_s_cold_cache": round(cold, 1)}
        result |= {"train_wall_s_warm_cache": round(warm, 1), "detector": scores(found), "summary": said}
        t0 = time.perf_counter()
        run_cli(["export", str(folder / "model"), "--out", str(folder / "onnx"), "--int8"], env=cache)
        check = manifest(folder / "onnx")["runtime"]["check"]
        result["export_int8"] = {
            "wall_s": round(time.perf_counter() - t0, 1),
            "checked_on": check["data"],
            "map50_pytorch": round(check["map50_pytorch"], 4),
            "map50_onnx_fp32": round(check["map50_exported"], 4),
            "map50_onnx_int8": round(check["int8"]["map50_exported"], 4),
        }
        if not options.no_reference:
            seconds, _ = run_cli([*command[:-1], str(folder / "plain"), "--no-augment"], env=cache)
            result["reference_no_mirror_images"] = scores(manifest(folder / "plain")) | {
                "train_wall_s_warm": round(seconds, 1)
            }
        if not options.no_timing_reference:
            table = photo_labels(bccd, folder)
            times = {}
            for name, more in (("transfer", ["--model", "transfer"]), ("fine-tune", ["--fine-tune"])):
                fresh = {"DEEPSTART_CACHE": str(folder / f"cache-{name}")}
                times[name], _ = run_cli(["train", str(table), "--out", str(folder / name), *more], env=fresh)
            result["photo_classifiers_same_364_photos_wall_s_cold"] = {
                k: round(v, 1) for k, v in times.items()
            }
    result["published"] = PUBLISHED
    write_result("detection", result)


if __name__ == "__main__":
    main()
