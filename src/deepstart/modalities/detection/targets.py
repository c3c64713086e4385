"""What the head learns and how its answers become boxes: each place of the grid is given
the smallest box whose centre region holds it (FCOS's centre sampling, so that a small box
still gets a place), the loss is focal loss on the classes, GIoU on the sides and binary
cross-entropy on centerness; predictions are kept by score and non-maximum suppression."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .head import STRIDE

RADIUS = 1.5  # strides around a box's centre whose places learn it
MIN_SCORE = 0.05  # detections scoring less are dropped before suppression (as COCO evaluations do)
OVERLAP = 0.6  # a box overlapping a better one of its class more than this (IoU) is suppressed
MAX_BOXES = 100  # detections kept per photo (COCO's maxDets)


def assign(boxes: np.ndarray, labels: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(M, 4) boxes in input pixels and their (M,) class indices -> (rows * cols, 5): per
    place, the class it learns (-1: background) and the distances to its box's sides, in strides."""
    y, x = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    centre = np.stack([x.ravel(), y.ravel()], 1).astype(np.float32) * STRIDE + STRIDE / 2  # (L, 2)
    target = np.zeros((len(centre), 5), np.float32)
    target[:, 0] = -1
    if len(boxes) == 0:
        return target
    boxes = boxes.astype(np.float32)
    sides = np.concatenate(
        [centre[:, None] - boxes[None, :, :2], boxes[None, :, 2:] - centre[:, None]], 2
    )  # (L, M, 4)
    middle = (boxes[:, :2] + boxes[:, 2:]) / 2  # (M, 2)
    near = (np.abs(centre[:, None] - middle[None]) < RADIUS * STRIDE).all(2)  # (L, M)
    candidate = near & (sides.min(2) > 0)  # in the box, and near its centre
    nearest = np.clip((middle // STRIDE).astype(int), 0, [cols - 1, rows - 1])
    candidate[nearest[:, 1] * cols + nearest[:, 0], np.arange(len(boxes))] = True  # a place for every box
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    cost = np.where(candidate, area[None], np.inf)  # the smallest box a place may learn wins
    best = cost.argmin(1)
    taken = np.isfinite(cost[np.arange(len(centre)), best])
    target[taken, 0] = labels[best[taken]]
    target[taken, 1:] = np.maximum(sides[taken, best[taken]], 1.0) / STRIDE  # at least a pixel
    return target


def mirrored(boxes: np.ndarray, width: int) -> np.ndarray:
    """Boxes (M, 4) of the mirror image of an input width pixels wide."""
    return np.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], 1)


def loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The batch's mean loss: (B, L, K + 5) head outputs against (B, L, 5) assign() targets."""
    k = out.shape[-1] - 5
    labels = target[..., 0].long()
    positive = labels >= 0
    n = positive.sum().clamp(min=1).float()
    truth = torch.zeros_like(out[..., :k])
    truth[positive, labels[positive]] = 1.0
    classes = focal(out[..., :k], truth).sum() / n
    if not positive.any():
        return classes
    want, sides = target[..., 1:][positive], torch.exp(out[..., k : k + 4][positive].clamp(max=8.0))
    centre = centerness(want)
    boxes = ((1 - giou(sides, want)) * centre).sum() / centre.sum().clamp(min=1e-6)
    middle = F.binary_cross_entropy_with_logits(out[..., k + 4][positive], centre)
    return classes + boxes + middle


def focal(logits: torch.Tensor, truth: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """Sigmoid focal loss (Lin et al., 2017), per element: easy background counts little."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, truth, reduction="none")
    p_t = p * truth + (1 - p) * (1 - truth)
    return (alpha * truth + (1 - alpha) * (1 - truth)) * ce * (1 - p_t) ** gamma


def centerness(sides: torch.Tensor) -> torch.Tensor:
    """(N, 4) distances left, top, right, bottom -> (N,) how central the place is, in [0, 1]."""
    lr, tb = sides[:, [0, 2]], sides[:, [1, 3]]
    return torch.sqrt((lr.min(1).values / lr.max(1).values) * (tb.min(1).values / tb.max(1).values))


def giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of boxes given as (N, 4) distances from one shared point."""
    area_a, area_b = (a[:, 0] + a[:, 2]) * (a[:, 1] + a[:, 3]), (b[:, 0] + b[:, 2]) * (b[:, 1] + b[:, 3])
    inner = torch.min(a, b)
    meet = (inner[:, 0] + inner[:, 2]) * (inner[:, 1] + inner[:, 3])
    union = area_a + area_b - meet
    outer = torch.max(a, b)
    hull = (outer[:, 0] + outer[:, 2]) * (outer[:, 1] + outer[:, 3])
    return meet / union - (hull - union) / hull


def kept(found: np.ndarray, n_classes: int, scale: float, size) -> list[tuple[int, float, np.ndarray]]:
    """(L, 4 + K) boxes and scores of one photo -> [(class, score, box in the photo's pixels)],
    best first: those scoring at least MIN_SCORE, after non-maximum suppression per class."""
    boxes, scores = found[:, :4], found[:, 4 : 4 + n_classes]
    where, which = np.nonzero(scores >= MIN_SCORE)
    order = np.argsort(-scores[where, which], kind="stable")[: 10 * MAX_BOXES]
    where, which = where[order], which[order]
    chosen = suppressed(boxes[where], scores[where, which], which)[:MAX_BOXES]
    width, height = size
    out = []
    for i in chosen:
        box = np.clip(boxes[where[i]] / scale, 0, [width, height, width, height])
        out.append((int(which[i]), float(scores[where[i], which[i]]), box))
    return out


def suppressed(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray) -> list[int]:
    """Greedy non-maximum suppression within each class: the indices kept, best first."""
    shifted = boxes + classes[:, None] * 1e5  # boxes of different classes never overlap
    order, keep = np.argsort(-scores, kind="stable"), []
    area = (shifted[:, 2] - shifted[:, 0]) * (shifted[:, 3] - shifted[:, 1])
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(int(i))
        low, high = (
            np.maximum(shifted[i, :2], shifted[rest, :2]),
            np.minimum(shifted[i, 2:], shifted[rest, 2:]),
        )
        meet = np.prod(np.clip(high - low, 0, None), 1)
        order = rest[meet / (area[i] + area[rest] - meet + 1e-9) <= OVERLAP]
    return keep
