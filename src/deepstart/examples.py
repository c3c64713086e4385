"""Example data that ships with scikit-learn, written out the way users keep photos.

python -m deepstart.examples digits demo/digits   # demo/digits/0/0000.png ... 9/...
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image


def write_digits(folder: str | Path, size: int = 32, limit: int | None = None) -> Path:
    """scikit-learn's 1,797 handwritten digits (8x8, 17 grey levels) as PNG files in
    one subfolder per digit, enlarged to size x size, dark ink on white paper."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder = Path(folder)
    for i, (image, label) in enumerate(zip(digits.images, digits.target)):
        if limit is not None and i >= limit:
            break
        pixels = (255 - image * (255 / 16)).astype(np.uint8)  # (8, 8), 0 = black ink
        target = folder / str(label) / f"{i:04d}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, "L").resize((size, size), Image.Resampling.BICUBIC).save(target)
    return folder


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "digits":
        print("usage: python -m deepstart.examples digits FOLDER", file=sys.stderr)
        return 2
    folder = write_digits(argv[1])
    print(f"Wrote scikit-learn's handwritten digits to {folder}/ (one subfolder per digit).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
