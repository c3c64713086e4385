"""Example data that ships with scikit-learn, written out the way users keep photos.

python -m deepstart.examples digits demo/digits demo/new
    demo/digits/0/0000.png ... demo/digits/9/...   to train on (1,791 digits)
    demo/new/digit_3_1791.png ...                  6 more, kept apart, to predict
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

N_NEW = 6


def write_digits(folder: str | Path, new: str | Path | None = None, size: int = 32, limit: int | None = None):
    """scikit-learn's 1,797 handwritten digits (8x8, 17 grey levels) as PNG files, dark
    ink on white, enlarged to size x size: one subfolder per digit in folder, and the
    last N_NEW digits apart in new (when given), named after their true digit."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    n = len(digits.target) if limit is None else min(limit, len(digits.target))
    for i in range(n):
        pixels = (255 - digits.images[i] * (255 / 16)).astype(np.uint8)  # (8, 8), 0 = black ink
        label = digits.target[i]
        if new is not None and i >= n - N_NEW:
            target = Path(new) / f"digit_{label}_{i:04d}.png"
        else:
            target = Path(folder) / str(label) / f"{i:04d}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, "L").resize((size, size), Image.Resampling.BICUBIC).save(target)
    return Path(folder)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[0] != "digits":
        print("usage: python -m deepstart.examples digits FOLDER [NEW_FOLDER]", file=sys.stderr)
        return 2
    write_digits(*argv[1:])
    print(
        f"Wrote scikit-learn's handwritten digits to {argv[1]}/ (one subfolder per digit)"
        + (f" and {N_NEW} more to {argv[2]}/." if len(argv) == 3 else ".")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
