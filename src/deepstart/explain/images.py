"""Where an image model looked: Grad-CAM (Selvaraju et al., 2017) on the last
convolutional block: the block's feature maps, weighted by how much the chosen class's
score rises with each, summed and kept where positive. The map is returned at the
input image's own size, in [0, 1], with the region the network did not see (outside a
photo's centre crop) at 0."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from ..data.images import CROP_FRACTION
from ..errors import DeepstartError
from ..models import build_net


def cam_network(predictor) -> tuple[torch.nn.Module, torch.nn.Module, object]:
    """(a network from pixels to class scores, its last convolutional block, the pixel
    encoder it reads): the CNN itself; or, for transfer learning, the pretrained
    backbone with the trained classifier on top (the same scores the model gives)."""
    from ..encoders import PixelEncoder
    from ..models import efficientnet

    if predictor.runtime_:
        raise DeepstartError(
            "Heatmaps need the PyTorch model; explain the model folder it was exported from."
        )
    name = predictor.net_spec_["name"]
    if name == "cnn":
        return predictor.net_, predictor.net_[3][2], predictor.encoder_  # the last block, before pooling
    if name in ("linear", "fine-tune") and predictor.encoder_.kind == "image":
        if name == "fine-tune":
            net = predictor.net_
        else:
            net = build_net({"name": "fine-tune", "n_classes": len(predictor.classes_)})
            net.load_pretrained()
            net.head.load_state_dict(predictor.net_.state_dict())
        s = predictor.settings
        return (
            net,
            net.backbone.network._bn1,
            PixelEncoder(efficientnet.PIXELS, s.workers, s.max_pixels, False),
        )
    raise DeepstartError("Heatmaps are for image models; this model reads other data.")


def grad_cam(predictor, files: list[Path], class_index: int | None = None) -> list[tuple[np.ndarray, int]]:
    """Per image file: (heatmap at the image's size, the class it explains: the
    predicted one, or class_index)."""
    net, layer, encoder = cam_network(predictor)
    encoded = encoder.encode(files, "Reading images")
    if encoded.skipped:
        file, reason = encoded.skipped[0]
        raise DeepstartError(f"{file}: {reason}; give readable images.")
    saved = {}
    hook = layer.register_forward_hook(lambda module, inputs, output: saved.__setitem__("maps", output))
    net.eval()
    results = []
    try:
        for i, path in enumerate(files):
            x = torch.from_numpy(encoded.features[i : i + 1]).float().requires_grad_(False)
            scores = net(x)
            k = int(scores.argmax(1)) if class_index is None else class_index
            maps = saved["maps"]
            (gradients,) = torch.autograd.grad(scores[0, k], maps)
            weights = gradients.mean(dim=(2, 3), keepdim=True)
            cam = torch.relu((weights * maps).sum(1))[0].detach().numpy()
            cam = cam / cam.max() if cam.max() > 0 else cam
            results.append((_at_image_size(cam, path, encoder.pixels), k))
    finally:
        hook.remove()
    return results


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
    from matplotlib import colormaps

    with _open(path) as image:
        base = ImageOps.exif_transpose(image).convert("RGB")
    colours = (colormaps["jet"](heat)[..., :3] * 255).astype(np.uint8)
    return Image.blend(base, Image.fromarray(colours), alpha=0.45)
