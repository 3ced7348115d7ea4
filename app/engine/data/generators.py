"""TF Playground's 2-D generators (and scikit-learn's moons): raw points and labels.

The 2-D generators follow TensorFlow Playground's ``dataset.ts`` (points roughly in
``[−6, 6]²``; labels there are ±1, here class indices ``0`` (TF's −1) and ``1`` (TF's +1)).
``noise`` is a fraction 0..1 and is used as TF Playground uses its slider value / 100:
a coordinate offset of ``U(−r, r)·noise`` for the label (circle, xor, plane, multigauss), the
spread of the points (spiral), the variance ``0.5 + 7·noise`` of the blobs (gauss). ``moons``
is not in TF Playground: scikit-learn's two half circles, scaled by 3 and centred, with
Gaussian noise of standard deviation ``3·noise``.

Everything is drawn from ``np.random.default_rng(data_seed)``; the same config gives the same
data. The split into train and test is a seeded permutation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from app.engine.types import AnyArray, Array


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> Array:
    return rng.uniform(low, high, size=n)


def circle(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5..5 (TF ``classifyCircleData``)."""
    radius = 5.0
    n_in = n // 2
    parts = []
    for count, (r_lo, r_hi) in ((n_in, (0.0, radius * 0.5)), (n - n_in, (radius * 0.7, radius))):
        r = _uniform(rng, r_lo, r_hi, count)
        angle = _uniform(rng, 0.0, 2 * math.pi, count)
        x = r * np.sin(angle)
        y = r * np.cos(angle)
        noise_x = _uniform(rng, -radius, radius, count) * noise
        noise_y = _uniform(rng, -radius, radius, count) * noise
        label = (np.hypot(x + noise_x, y + noise_y) < radius * 0.5).astype(np.int64)
        parts.append((np.column_stack([x, y]), label))
    return np.concatenate([p for p, _ in parts]), np.concatenate([lab for _, lab in parts])


def xor(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Class 1 where ``x1·x2 ≥ 0`` (TF ``classifyXORData``, with its 0.3 padding)."""
    padding = 0.3
    x = _uniform(rng, -5.0, 5.0, n)
    x = x + np.where(x > 0, padding, -padding)
    y = _uniform(rng, -5.0, 5.0, n)
    y = y + np.where(y > 0, padding, -padding)
    noise_x = _uniform(rng, -5.0, 5.0, n) * noise
    noise_y = _uniform(rng, -5.0, 5.0, n) * noise
    label = ((x + noise_x) * (y + noise_y) >= 0).astype(np.int64)
    return np.column_stack([x, y]), label


def gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Two blobs at (2, 2) (class 1) and (−2, −2) (class 0) (TF ``classifyTwoGaussData``)."""
    variance = 0.5 + 7.0 * noise  # TF: linear scale [0, 0.5] → [0.5, 4]
    sd = math.sqrt(variance)
    half = n // 2
    parts = []
    for count, (cx, cy, label) in ((half, (2.0, 2.0, 1)), (n - half, (-2.0, -2.0, 0))):
        x = rng.normal(cx, sd, size=count)
        y = rng.normal(cy, sd, size=count)
        parts.append((np.column_stack([x, y]), np.full(count, label, dtype=np.int64)))
    return np.concatenate([p for p, _ in parts]), np.concatenate([lab for _, lab in parts])


def spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Two spirals of 1.75 turns out to radius 5 (TF ``classifySpiralData``)."""
    half = n // 2
    parts = []
    for count, (delta_t, label) in ((half, (0.0, 1)), (n - half, (math.pi, 0))):
        i = np.arange(count, dtype=np.float64)
        r = i / count * 5.0
        t = 1.75 * i / count * 2.0 * math.pi + delta_t
        x = r * np.sin(t) + _uniform(rng, -1.0, 1.0, count) * noise
        y = r * np.cos(t) + _uniform(rng, -1.0, 1.0, count) * noise
        parts.append((np.column_stack([x, y]), np.full(count, label, dtype=np.int64)))
    return np.concatenate([p for p, _ in parts]), np.concatenate([lab for _, lab in parts])


def moons(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``, ×3, centred)."""
    n_out = n // 2
    n_in = n - n_out
    t_out = _uniform(rng, 0.0, math.pi, n_out)
    t_in = _uniform(rng, 0.0, math.pi, n_in)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)])
    points = (np.concatenate([outer, inner]) - [0.5, 0.25]) * 3.0
    points = points + rng.normal(0.0, 3.0 * noise, size=points.shape) if noise > 0 else points
    label = np.concatenate([np.ones(n_out, np.int64), np.zeros(n_in, np.int64)])
    return points, label


def _noisy_positions(
    rng: np.random.Generator, n: int, noise: float
) -> tuple[Array, Array, Array, Array]:
    """TF's regression sets: points uniform in ``[-6, 6]²`` (what is plotted) and the offsets
    of the noisy positions their targets are computed at (``noise`` scales them)."""
    radius = 6.0
    x = _uniform(rng, -radius, radius, n)
    y = _uniform(rng, -radius, radius, n)
    noise_x = _uniform(rng, -radius, radius, n) * noise
    noise_y = _uniform(rng, -radius, radius, n) * noise
    return x, y, noise_x, noise_y


def plane(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Target ``(x1 + x2) / 10`` at a noisy position (TF ``regressPlane``)."""
    x, y, noise_x, noise_y = _noisy_positions(rng, n, noise)
    target = (x + noise_x + y + noise_y) / 10.0
    return np.column_stack([x, y]), target.reshape(-1, 1)


_BUMPS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)


def multigauss(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, AnyArray]:
    """Six bumps of alternating sign; the strongest wins (TF ``regressGaussian``)."""
    x, y, noise_x, noise_y = _noisy_positions(rng, n, noise)
    px, py = x + noise_x, y + noise_y
    target = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        # TF: label scale from distance [0, 2] → [1, 0], clamped.
        value = sign * np.clip(1.0 - np.hypot(px - cx, py - cy) / 2.0, 0.0, 1.0)
        target = np.where(np.abs(value) > np.abs(target), value, target)
    return np.column_stack([x, y]), target.reshape(-1, 1)


GENERATORS: Mapping[str, Callable[[np.random.Generator, int, float], tuple[Array, AnyArray]]] = (
    MappingProxyType(
        {
            "circle": circle,
            "xor": xor,
            "gauss": gauss,
            "spiral": spiral,
            "moons": moons,
            "plane": plane,
            "multigauss": multigauss,
        }
    )
)
"""The 2-D generators by name: ``(rng, n, noise) → (points (n, 2), labels)``: class indices
``(n,)`` (classification) or targets ``(n, 1)`` (regression: plane, multigauss)."""
