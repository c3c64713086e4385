"""Networks: pretrained backbones and the heads trained on top of them."""

from .heads import HEADS, build_head

__all__ = ["HEADS", "build_head"]
