"""How good the boxes are, as the field measures it: COCO's mean average precision by
pycocotools (map50: at IoU 0.5; map: averaged over IoU 0.5 to 0.95), per class, with the
boxes of each class counted; and, from boxes matched at IoU 0.5 among those kept by the
score threshold, which photos it does worst on and what kind of objects it misses."""

from __future__ import annotations

import contextlib
import io

import numpy as np

from .boxes import Box

SMALL = 32 * 32  # COCO's small objects: less than 32 x 32 pixels
CROWDED = 20  # a photo with more boxes than this is crowded


def coco_scores(truth: list[list[Box]], found: list[list[dict]], classes: list[str]) -> dict:
    """map50, map, per class {ap50, ap, support (true boxes)}, n (photos) and n_boxes."""
    ids = {c: k + 1 for k, c in enumerate(classes)}
    annotations = [
        {"id": n + 1, "image_id": i + 1, "category_id": ids[b.label], "bbox": _xywh(b.to_list()),
         "area": b.area, "iscrowd": 0}
        for n, (i, b) in enumerate((i, b) for i, boxes in enumerate(truth) for b in boxes if b.label in ids)
    ]  # fmt: skip
    results = [
        {"image_id": i + 1, "category_id": ids[d["label"]], "bbox": _xywh(d["box"]), "score": d["score"]}
        for i, boxes in enumerate(found)
        for d in boxes
    ]
    per_class = {
        c: {"support": sum(b.label == c for bs in truth for b in bs), "ap50": 0.0, "ap": 0.0} for c in classes
    }
    scores = {"n": len(truth), "n_boxes": len(annotations), "map50": 0.0, "map": 0.0, "per_class": per_class}
    if annotations and results:
        precision = _precision(len(truth), annotations, results, ids)  # (IoU 0.5:0.95, recall, class)
        for k, c in enumerate(classes):
            per_class[c]["ap50"], per_class[c]["ap"] = _mean(precision[0, :, k]), _mean(precision[:, :, k])
    counted = [c for c in classes if per_class[c]["support"]]  # as COCO: classes without boxes do not count
    if counted:
        scores["map50"] = float(np.mean([per_class[c]["ap50"] for c in counted]))
        scores["map"] = float(np.mean([per_class[c]["ap"] for c in counted]))
    return scores


def _precision(n_photos: int, annotations: list, results: list, ids: dict) -> np.ndarray:
    """pycocotools' precision at each IoU threshold (0.5 to 0.95), recall level and class, for
    boxes of every size and up to 100 boxes a photo."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints as it goes
        truth = COCO()
        truth.dataset = {
            "images": [{"id": i + 1} for i in range(n_photos)],
            "annotations": annotations,
            "categories": [{"id": v, "name": c} for c, v in ids.items()],
        }
        truth.createIndex()
        evaluation = COCOeval(truth, truth.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
    return evaluation.eval["precision"][:, :, :, 0, -1]


def _xywh(box) -> list[float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return [x0, y0, x1 - x0, y1 - y0]


def _mean(values: np.ndarray) -> float:
    values = values[values > -1]  # -1: no true box of the class
    return float(values.mean()) if values.size else 0.0


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) corner boxes -> (N, M) intersection over union."""
    low, high = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    meet = np.prod(np.clip(high - low, 0, None), 2)
    area_a, area_b = np.prod(a[:, 2:] - a[:, :2], 1), np.prod(b[:, 2:] - b[:, :2], 1)
    return meet / (area_a[:, None] + area_b[None] - meet + 1e-9)


def matched(truth: list[Box], found: list[dict], threshold: float) -> tuple[np.ndarray, int]:
    """(for each true box, whether a kept box of its class covers it at IoU 0.5; the kept
    boxes that cover none): greedy, best score first, as COCO matches."""
    kept = [d for d in found if d["score"] >= threshold]
    hit, false = np.zeros(len(truth), bool), 0
    for d in sorted(kept, key=lambda d: -d["score"]):
        same = [i for i, b in enumerate(truth) if b.label == d["label"] and not hit[i]]
        if same:
            overlap = iou(np.array([d["box"]], float), np.array([truth[i].to_list() for i in same]))[0]
            if overlap.max() >= 0.5:
                hit[same[int(overlap.argmax())]] = True
                continue
        false += 1
    return hit, false


def counted(truth: list[list[Box]], found: list[list[dict]], threshold: float, per_class: dict) -> dict:
    """per_class with, for each class, the boxes kept at the threshold ("found") and their
    precision and recall at IoU 0.5."""
    hits = {c: 0 for c in per_class}
    kept = {c: 0 for c in per_class}
    for t, f in zip(truth, found):
        hit, _ = matched(t, f, threshold)
        for b, h in zip(t, hit):
            hits[b.label] = hits.get(b.label, 0) + int(h)
        for d in f:
            kept[d["label"]] += int(d["score"] >= threshold)
    for c, scores in per_class.items():
        scores["found"] = kept[c]
        scores["recall"] = hits[c] / scores["support"] if scores["support"] else 0.0
        scores["precision"] = hits[c] / kept[c] if kept[c] else 0.0
    return per_class


def best_threshold(truth: list[list[Box]], found: list[list[dict]]) -> float:
    """The score from which boxes are kept that finds most boxes rightly (the F1 at IoU 0.5
    highest) on these photos: what predict keeps."""
    best, chosen = -1.0, 0.3
    for threshold in np.arange(0.1, 0.75, 0.05):
        hits = [matched(t, f, threshold) for t, f in zip(truth, found)]
        right = sum(int(h.sum()) for h, _ in hits)
        wrong, missed = sum(x for _, x in hits), sum(int((~h).sum()) for h, _ in hits)
        f1 = 2 * right / max(2 * right + wrong + missed, 1)
        if f1 > best + 1e-9:
            best, chosen = f1, float(round(threshold, 2))
    return chosen


def misses(truth: list[list[Box]], found: list[list[dict]], threshold: float, scales: list[float]) -> dict:
    """Found shares (recall at IoU 0.5 among kept boxes) of small boxes (less than 32 x 32
    pixels as the network reads the photo: two places of its grid) and of larger ones, of
    boxes in crowded photos and in the others; per photo, the boxes missed and the false ones."""
    photos = [matched(t, f, threshold) for t, f in zip(truth, found)]
    rows = [
        (b.area * s * s, h, len(t)) for t, (hits, _), s in zip(truth, photos, scales) for b, h in zip(t, hits)
    ]

    def share(picked: list) -> dict:
        return {"found": float(np.mean([h for _, h, _ in picked])) if picked else None, "n": len(picked)}

    return {
        "threshold": threshold,
        "found": share(rows)["found"],
        "small": share([r for r in rows if r[0] < SMALL]),
        "larger": share([r for r in rows if r[0] >= SMALL]),
        "crowded": share([r for r in rows if r[2] > CROWDED]),
        "sparse": share([r for r in rows if r[2] <= CROWDED]),
        "false": int(sum(x for _, x in photos)),
        "per_photo": [{"missed": int((~h).sum()), "false": int(x)} for h, x in photos],
    }
