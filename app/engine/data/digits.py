"""The 8×8 handwritten digits shipped with the engine (``digits.csv.gz``, see README.md here)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np

from app.engine.types import Array, IntArray

DIGITS_PATH = Path(__file__).resolve().parent / "digits.csv.gz"


@cache
def load_digits() -> tuple[Array, IntArray]:
    """The 1,797 digits: pixels ``(1797, 64)`` as float64 0..16 and labels ``(1797,)``."""
    with gzip.open(DIGITS_PATH, "rt", encoding="ascii") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    pixels = np.ascontiguousarray(table[:, :64])
    labels = table[:, 64].astype(np.int64)
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels
