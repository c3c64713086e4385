"""Where an image model looked: LayerCAM (explain.layercam) on the last convolutional
block of the CNN, or on the ends of the pretrained network's last two stages with the
trained classifier on top. The
map is returned at the input image's own size, in [0, 1], with the region the network
did not see (outside a photo's centre crop) at 0. Written as files (explain), as JSON
(serve) and beside the worst mistakes (report.html)."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ...data.images import CROP_FRACTION, Pixels
from ...errors import ConfigError, DeepstartError
from ...explain.layercam import layer_cam
from ...explain.overlay import overlay
from ...files import write_atomic
from ...log import say
from ...models import build_net, efficientnet, faces
from ..explainer import Explainer
from .encoders import FACE_SIDE, PixelEncoder, _load_chunk
from .read import read_unlabeled

FACE_PIXELS = Pixels(FACE_SIDE, 3, crop=True)  # as the face encoder reads photos


def cam_network(predictor) -> tuple[torch.nn.Module, list[torch.nn.Module], PixelEncoder]:
    """(a network from pixels to class scores, the layers whose maps are explained, the
    pixel encoder it reads): the CNN itself; or, for transfer learning, the pretrained
    backbone with the trained classifier on top (the same scores the model gives)."""
    if predictor.runtime_:
        raise DeepstartError(
            "Heatmaps need the PyTorch model; explain the model folder it was exported from."
        )
    name = predictor.net_spec_["name"]
    if name == "cnn":
        return predictor.net_, [predictor.net_.cam_layer()], predictor.encoder_
    if name == "fine-tune":
        net = predictor.net_
    else:  # a classifier on frozen features: put the pretrained network under it
        net = build_net({"name": "fine-tune", "n_classes": len(predictor.classes_)})
        net.load_pretrained()
        net.head.load_state_dict(predictor.net_.state_dict())
    s = predictor.settings
    return (
        net,
        efficientnet.cam_layers(net.backbone.network),
        PixelEncoder(efficientnet.PIXELS, s.workers, s.max_pixels, False),
    )


def heatmaps(predictor, files: list, class_index: int | None = None) -> list[tuple[np.ndarray, int]]:
    """Per image (a file, or an upload's bytes): (heatmap at the image's size, the class
    it explains: the predicted one, or class_index)."""
    if predictor.recipe_["name"] == "faces":
        maps = occlusion(predictor, files, class_index)
        return [(_at_image_size(cam, path, FACE_PIXELS), k) for path, (cam, k) in zip(files, maps)]
    net, layers, encoder = cam_network(predictor)
    encoded = encoder.encode(files, "Reading images")
    if encoded.skipped:
        file, reason = encoded.skipped[0]
        raise DeepstartError(f"{file}: {reason}; give readable images.")
    maps = layer_cam(net, layers, torch.from_numpy(encoded.features), class_index)
    return [(_at_image_size(cam, path, encoder.pixels), k) for path, (cam, k) in zip(files, maps)]


def occlusion(predictor, files: list, class_index: int | None = None, grid: int = 8) -> list:
    """For faces (dlib's network is not PyTorch, so no gradients): the photo with each of
    grid x grid squares greyed out in turn, the face described again at the landmarks found
    on the whole photo; the map is how much the class's probability (a regressor's number)
    changes without that square. Per photo: (grid x grid map in [0, 1], the class explained).
    65 descriptions of 74 ms each: about 5 s a photo here."""
    network = faces.FaceNetwork()
    found = []
    for path in files:
        ((_, photo),) = _load_chunk([path], FACE_PIXELS, predictor.settings.max_pixels)
        if isinstance(photo, str):
            raise DeepstartError(f"{path}: {photo}; give readable images.")
        landmarks, _ = network.landmarks_of(np.ascontiguousarray(photo))
        step, described = photo.shape[0] // grid, [network.describe(photo, landmarks)]
        for row in range(grid):
            for col in range(grid):
                covered = photo.copy()
                covered[row * step : (row + 1) * step, col * step : (col + 1) * step] = photo.mean((0, 1))
                described.append(network.describe(covered, landmarks))
        scores = predictor.outputs(np.stack(described), None)
        if predictor.task_ == "regression":
            k, change = 0, np.abs(scores[1:] - scores[0])
        else:
            k = int(scores[0].argmax()) if class_index is None else class_index
            change = np.clip(scores[0, k] - scores[1:, k], 0, None)
        change = change.reshape(grid, grid)
        found.append((change / change.max() if change.max() > 0 else change, k))
    return found


def _open(image: Path | bytes) -> Image.Image:
    """An image file, or an upload's bytes."""
    return Image.open(io.BytesIO(image) if isinstance(image, bytes) else image)


def _at_image_size(cam: np.ndarray, path: Path | bytes, pixels) -> np.ndarray:
    """The map resized to the image's own size (and, for photos, placed on the centre crop)."""
    with _open(path) as image:
        width, height = ImageOps.exif_transpose(image).size
    heat = Image.fromarray(cam.astype(np.float32), mode="F")
    if not pixels.crop:
        return np.asarray(heat.resize((width, height), Image.Resampling.BILINEAR)).clip(0, 1)
    side = min(width, height) * CROP_FRACTION
    left, top = round((width - side) / 2), round((height - side) / 2)
    full = np.zeros((height, width), np.float32)
    patch = np.asarray(heat.resize((round(side), round(side)), Image.Resampling.BILINEAR))
    full[top : top + patch.shape[0], left : left + patch.shape[1]] = patch[: height - top, : width - left]
    return full.clip(0, 1)


def overlay_png(path: Path | bytes, heat: np.ndarray) -> Image.Image:
    """The image with the heatmap laid over it (red: where the network looked)."""
    with _open(path) as image:
        return overlay(ImageOps.exif_transpose(image), heat)


def explain_files(predictor, inputs: list, out: Path, class_name: str | None) -> list[str]:
    """deepstart explain: <name>.heatmap.png (over the image) and <name>.heatmap.npy in
    out, for the predicted class or class_name; a line per image (files or folders)."""
    if class_name is not None and class_name not in predictor.classes_:
        raise ConfigError(
            f"--class {class_name} is not a class of this model ({', '.join(predictor.classes_)})."
        )
    files = read_unlabeled(inputs).items
    index = None if class_name is None else predictor.classes_.index(class_name)
    found = heatmaps(predictor, files, index)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {out} cannot be created ({e.strerror}); give another folder.") from None
    lines = []
    for path, (heat, k), name in zip(files, found, _unique_names(files)):
        buffer = io.BytesIO()
        np.save(buffer, heat, allow_pickle=False)
        write_atomic(out / f"{name}.heatmap.npy", buffer.getvalue())
        overlay_png(Path(path), heat).save(out / f"{name}.heatmap.png")
        said = predictor.classes_[k] if class_name is None else f"explained {class_name}"
        lines.append(f"{path}\t{said}\t{out / f'{name}.heatmap.png'}")
    return lines


def _unique_names(files) -> list[str]:
    """Each file's name for its heatmap: its stem, with its folder's name where two share one."""
    stems = [Path(f).stem for f in files]
    names = [f"{Path(f).parent.name}-{s}" if stems.count(s) > 1 else s for f, s in zip(files, stems)]
    return [f"{n}-{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def explain_upload(predictor, data: bytes) -> dict:
    """serve's /explain: the label and the heatmap over the image (PNG, base64)."""
    data = _shrunk(data)  # the heatmap is drawn at the image's size: keep that modest
    ((heat, k),) = heatmaps(predictor, [data])
    buffer = io.BytesIO()
    overlay_png(data, heat).save(buffer, "PNG")
    return {"label": predictor.classes_[k], "heatmap_png": base64.b64encode(buffer.getvalue()).decode()}


def _shrunk(data: bytes, side: int = 1024) -> bytes:
    """An upload larger than side x side, as a PNG of at most that size."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if max(image.size) <= side:
                return data
            image.draft("RGB", (side, side))
            small = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return data  # the encoder says what is wrong with it
    small.thumbnail((side, side))
    buffer = io.BytesIO()
    small.save(buffer, "PNG")
    return buffer.getvalue()


def heatmaps_html(predictor, worst: list[dict]) -> dict[str, str]:
    """report.html: a small overlay per worst mistake's image (those still on disk)."""
    files = [Path(m["input"]) for m in worst if Path(m["input"]).is_file()]
    found = {}
    for path, (heat, _) in zip(files, heatmaps(predictor, files) if files else []):
        buffer = io.BytesIO()
        size = (160, max(1, 160 * heat.shape[0] // max(heat.shape[1], 1)))
        overlay_png(path, heat).resize(size).save(buffer, "PNG")
        encoded = base64.b64encode(buffer.getvalue()).decode()
        found[str(path)] = (
            f'<img alt="heatmap over {escape(path.name)}" src="data:image/png;base64,{encoded}" '
            f'width="160"><br><span class="muted">{escape(str(path))}</span>'
        )
    return found


class ImageExplainer(Explainer):
    """Where the network looked: LayerCAM heatmaps (faces: occlusion)."""

    options = frozenset({"class"})  # explain --class: why it would be that class

    def can_explain(self, model) -> bool:
        return not model.runtime_  # heatmaps need the PyTorch network (or, for faces, dlib's)

    def explain(self, model, inputs: list, out, options: dict) -> list[str]:
        if not inputs:
            raise ConfigError("Give image files (or folders of them) to explain.")
        return explain_files(model, inputs, out or Path("why"), options.get("class"))

    def explain_one(self, model, item) -> dict:
        return explain_upload(model, item)

    def explain_mistakes(self, model, worst: list[dict]) -> dict[str, str]:
        if model.recipe_["name"] == "faces":  # occlusion maps take seconds a photo: explain draws them
            say("The report shows the worst faces mistaken without heatmaps; deepstart explain draws them.")
            return {}
        return heatmaps_html(model, worst)

    def mistakes_note(self, task: str) -> str:
        return (
            "The overlay shows where the model looked: the warmer the colour, the more that part of the "
            "image drove its (wrong) prediction."
        )
