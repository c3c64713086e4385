"""Data augmentation on whole batches (no per-image Python loop): random affine
transforms with one grid_sample call, suited to the data (no flips for digits)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class RandomAffine:
    """Rotate by up to `rotate` degrees, scale by 1 +- `scale`, shift by up to
    `translate` of the side, and mirror left-right when `flip`."""

    rotate: float = 0.0
    scale: float = 0.0
    translate: float = 0.0
    flip: bool = False

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]  # x: (B, C, H, W) float
        angle = (torch.rand(b) * 2 - 1) * math.radians(self.rotate)
        zoom = 1 + (torch.rand(b) * 2 - 1) * self.scale
        mirror = torch.where(torch.rand(b) < 0.5, -1.0, 1.0) if self.flip else torch.ones(b)
        shift = (torch.rand(b, 2) * 2 - 1) * self.translate * 2  # grid coordinates span 2
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = torch.cos(angle) / zoom * mirror
        theta[:, 0, 1] = -torch.sin(angle) / zoom
        theta[:, 1, 0] = torch.sin(angle) / zoom * mirror
        theta[:, 1, 1] = torch.cos(angle) / zoom
        theta[:, :, 2] = shift
        grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def to_dict(self) -> dict:
        return asdict(self)


SMALL_IMAGES = RandomAffine(rotate=10, scale=0.1, translate=0.08, flip=False)  # digits, letters, icons
PHOTOS = RandomAffine(rotate=0, scale=0.1, translate=0.05, flip=True)


@dataclass(frozen=True)
class SpecAugment:
    """Spectrograms (B, 1, bands, frames): each stretched in time by 1 +- `stretch` and
    in frequency by 1 +- `warp` (other speakers' tempo and vocal tracts), shifted in time
    by up to `shift` of its frames, then one run of up to `bands` mel bands and one of up
    to `frames` frames masked out (SpecAugment, Park et al. 2019). Loudness needs no
    augmenting: the pictures are in decibels below each recording's loudest."""

    stretch: float = 0.15
    warp: float = 0.1
    shift: float = 0.1
    bands: int = 8
    frames: int = 8

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        b, _, height, width = x.shape
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = 1 + (torch.rand(b) * 2 - 1) * self.stretch  # x: time
        theta[:, 1, 1] = 1 + (torch.rand(b) * 2 - 1) * self.warp  # y: frequency
        theta[:, 0, 2] = (torch.rand(b) * 2 - 1) * self.shift * 2
        theta[:, 1, 2] = theta[:, 1, 1] - 1  # warp about the lowest band, which stays in place
        grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        for size, length, axis in ((self.bands, height, 2), (self.frames, width, 3)):
            start = torch.randint(0, max(1, length - size), (b,))
            span = torch.randint(0, size + 1, (b,))
            at = torch.arange(length)[None, :]
            hidden = (at >= start[:, None]) & (at < (start + span)[:, None])  # (b, length)
            shape = [b, 1, 1, 1]
            shape[axis] = length
            x = x.masked_fill(hidden.reshape(shape).to(x.device), 0.0)
        return x

    def to_dict(self) -> dict:
        return {"kind": "specaugment", **asdict(self)}


SPEECH = SpecAugment()
