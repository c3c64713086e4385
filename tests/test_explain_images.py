"""LayerCAM heatmaps are checked, not just produced: where a small coloured patch at a
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
from deepstart.modalities.images.explain import heatmaps

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
    found = heatmaps(model, files)
    assert all(heat.shape == (40, 40) and 0 <= heat.min() and heat.max() <= 1 for heat, _ in found)
    inside = sum(peak_inside(heat, boxes[f]) for f, (heat, _) in zip(files, found))
    assert inside >= 0.8 * len(files), f"{inside} of {len(files)}"


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over maps of Spearman's correlation (Adebayo et al.'s measure of similarity)."""
    from scipy.stats import spearmanr

    return float(np.mean([spearmanr(x.ravel(), y.ravel())[0] for x, y in zip(a, b)]))


def test_randomised_classifier_changes_the_heatmaps(patches):
    model, boxes = patches
    files = list(boxes)[::10]
    before = np.stack([heat for heat, _ in heatmaps(model, files)])
    scrambled = copy.copy(model)
    scrambled.net_ = copy.deepcopy(model.net_)
    torch.manual_seed(1)
    for weights in scrambled.net_.parameters():  # the end of Adebayo et al.'s cascade
        torch.nn.init.normal_(weights)
    after = np.stack([heat for heat, _ in heatmaps(scrambled, files)])
    assert np.abs(before - after).mean() > 0.1 and rank_correlation(before, after) < 0.5


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


def patch_photos(root, side: int, n: int, seed: int = 0) -> dict:
    """side x side noise photos of three classes: a red or a blue patch a fifth of the side
    at a random place inside the centre crop the pretrained network sees, or no patch
    (so that a model cannot call a photo blue for having no red: every patch is evidence).
    {file with a patch: (x, y, patch side)}."""
    from deepstart.data.images import CROP_FRACTION

    rng, patch, boxes = np.random.default_rng(seed), side // 5, {}
    low = int(side * (1 - CROP_FRACTION) / 2) + 1
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220)), ("plain", None)):
        (root / name).mkdir(parents=True)
        for i in range(n):
            image = rng.integers(90, 160, (side, side, 3), dtype=np.uint8)
            x, y = (int(v) for v in rng.integers(low, side - low - patch, 2))
            if colour:
                image[y : y + patch, x : x + patch] = colour
                boxes[root / name / f"{i}.png"] = (x, y, patch)
            Image.fromarray(image).save(root / name / f"{i}.png")
    return boxes


@pytest.mark.parametrize("side", [128, 224])
def test_heatmaps_of_a_transfer_model_peak_inside_the_patch(side, tmp_path):
    boxes = patch_photos(tmp_path, side, 40)
    model = Predictor().fit(tmp_path)
    assert model.net_spec_["name"] in ("linear", "fine-tune")  # the pretrained network's path
    files = list(boxes)[::2]
    found = [heat for heat, _ in heatmaps(model, files)]
    assert all(heat.shape == (side, side) for heat in found)
    inside = 0
    for file, heat in zip(files, found):
        (y, x), (left, top, patch) = np.unravel_index(heat.argmax(), heat.shape), boxes[file]
        inside += left <= x < left + patch and top <= y < top + patch
    assert inside >= 0.8 * len(files), f"{inside} of {len(files)}"
    scrambled = copy.copy(model)  # Adebayo et al.'s check: a randomised classifier, other heatmaps
    scrambled.net_ = copy.deepcopy(model.net_)
    torch.manual_seed(1)
    for weights in scrambled.net_.parameters():
        torch.nn.init.normal_(weights)
    after = np.stack([heat for heat, _ in heatmaps(scrambled, files)])
    assert np.abs(np.stack(found) - after).mean() > 0.1 and rank_correlation(np.stack(found), after) < 0.5


def test_heatmaps_of_a_transfer_model_are_at_the_image_size(trained, digits_root):
    image = next((digits_root / "7").iterdir())
    [(heat, k)] = heatmaps(Predictor.load(trained), [image])
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
    assert (
        "http:" not in page and "https:" not in page and 'src="/' not in page and "<script" not in page
    )  # nothing from outside
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
