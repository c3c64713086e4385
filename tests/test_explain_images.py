"""Grad-CAM heatmaps are checked, not just produced: where a small coloured patch at a
random place decides the class, the heatmap's peak falls inside the patch; and
randomising the classifier's weights changes the heatmaps (Adebayo et al.'s sanity
check)."""

import copy
import re

import numpy as np
import pytest
import torch
from PIL import Image

from deepstart import Predictor
from deepstart.modalities.images.explain import grad_cam

from conftest import run_cli


@pytest.fixture(scope="module")
def patches(tmp_path_factory):
    """40x40 noise images, each with an 8x8 red or blue patch at a random place."""
    rng = np.random.default_rng(0)
    root, boxes = tmp_path_factory.mktemp("patches"), {}
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (root / name).mkdir()
        for i in range(100):
            image = rng.integers(90, 160, (40, 40, 3), dtype=np.uint8)
            x, y = (int(v) for v in rng.integers(0, 32, 2))
            image[y : y + 8, x : x + 8] = colour
            Image.fromarray(image).save(root / name / f"{i}.png")
            boxes[root / name / f"{i}.png"] = (x, y)
    model = Predictor(epochs=8).fit(root)
    return model, boxes


def peak_inside(heat: np.ndarray, box) -> bool:
    y, x = np.unravel_index(heat.argmax(), heat.shape)
    return box[0] <= x < box[0] + 8 and box[1] <= y < box[1] + 8


def test_heatmap_peaks_inside_the_patch(patches):
    model, boxes = patches
    files = list(boxes)[::4]
    found = grad_cam(model, files)
    assert all(heat.shape == (40, 40) and 0 <= heat.min() and heat.max() <= 1 for heat, _ in found)
    inside = sum(peak_inside(heat, boxes[f]) for f, (heat, _) in zip(files, found))
    assert inside >= 0.8 * len(files), f"{inside} of {len(files)}"


def test_randomised_classifier_changes_the_heatmaps(patches):
    model, boxes = patches
    files = list(boxes)[::10]
    before = np.stack([heat for heat, _ in grad_cam(model, files)])
    scrambled = copy.copy(model)
    scrambled.net_ = copy.deepcopy(model.net_)
    torch.manual_seed(1)
    torch.nn.init.normal_(scrambled.net_[-1].weight)
    after = np.stack([heat for heat, _ in grad_cam(scrambled, files)])
    assert np.abs(before - after).mean() > 0.1


def test_explain_writes_overlays_and_arrays(patches, tmp_path):
    model, boxes = patches
    model.save(tmp_path / "m")
    image = next(iter(boxes))
    code, out, err = run_cli("explain", str(tmp_path / "m"), str(image), "--out", str(tmp_path / "why"))
    assert code == 0, err
    heat = np.load(tmp_path / "why" / f"{image.stem}.heatmap.npy")
    assert heat.shape == (40, 40) and heat.dtype == np.float32
    assert Image.open(tmp_path / "why" / f"{image.stem}.heatmap.png").size == (40, 40)
    code, _, err = run_cli("explain", str(tmp_path / "m"), str(image), "--class", "green")
    assert code == 2 and "--class green" in err
    twins = [f for f in boxes if f.name == "0.png"]  # red/0.png and blue/0.png
    code, out, err = run_cli(
        "explain", str(tmp_path / "m"), *map(str, twins), "--class", "red", "--out", str(tmp_path / "w")
    )
    assert code == 0 and out.count("explained red") == 2, err
    assert {p.name for p in (tmp_path / "w").glob("*.png")} == {"red-0.heatmap.png", "blue-0.heatmap.png"}


def test_heatmaps_of_a_transfer_model_are_at_the_image_size(trained, digits_root):
    image = next((digits_root / "7").iterdir())
    [(heat, k)] = grad_cam(Predictor.load(trained), [image])
    with Image.open(image) as opened:
        assert heat.shape == (opened.height, opened.width)
    assert 0 <= heat.min() and heat.max() <= 1


def test_report_is_a_self_contained_page(patches, tmp_path):
    model, _ = patches
    model.save(tmp_path / "m")
    page = (tmp_path / "m" / "report.html").read_text()
    for section in ("How good is it on data it never saw?", "Confusion matrix", "Training", "Diagnostics"):
        assert section in page
    assert "data:image/png;base64," in page  # the training curve is inside the page
    assert "http" not in page and 'src="/' not in page and "<script" not in page  # nothing from outside
    assert ("The worst mistakes" in page) == bool(model.worst_)
    assert page.count('<img alt="heatmap over') == len(model.worst_)  # each mistake with its heatmap


def test_report_lists_the_worst_mistakes_of_a_table_model(tmp_path):
    from conftest import customers

    p = Predictor(epochs=3).fit(customers(200).drop(columns=["churned"]), target="spend_next")
    p.save(tmp_path / "m")
    page = (tmp_path / "m" / "report.html").read_text()
    assert p.worst_ and all(m["input"].startswith("row ") for m in p.worst_)
    assert "The worst mistakes" in page and "Deep and classical models on the same split" in page
    assert Predictor.load(tmp_path / "m").worst_ == p.worst_
    effects = re.findall(r"<li>(\w+) = [^<]+ (?:raised|lowered) the prediction by [\d.]+</li>", page)
    assert len(effects) >= len(p.worst_) and set(effects) <= set(customers(1).columns)
