"""The network evaluated on a square grid of raw 2-D points: what the heatmaps draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.engine.activations import Activation
from app.engine.data import Dataset
from app.engine.features import map_features
from app.engine.losses import OUTPUT_HEADS
from app.engine.network import forward
from app.engine.types import Array


@dataclass(frozen=True)
class GridOutput:
    """The network evaluated on an ``n × n`` grid of raw 2-D points (no dropout).

    ``output[i, j]`` is at ``x1 = x1s[j]``, ``x2 = x2s[i]`` (row 0 is the *lowest* x2; flip
    vertically to draw with y up). ``kind`` says what ``output`` holds: ``"probability"`` =
    P(class 1) for binary classification, ``"class"`` = the most probable class index (as
    float) for more classes, ``"value"`` = the prediction (first target) for regression.
    ``features[k]`` is input feature ``k`` on the grid, ``neurons[l]`` the activations
    ``(units, n, n)`` of hidden layer ``l + 1``, ``probabilities`` the softmax ``(classes, n, n)``
    (``None`` for regression).
    """

    x1s: Array
    x2s: Array
    kind: Literal["probability", "class", "value"]
    output: Array
    features: Array
    neurons: list[Array]
    probabilities: Array | None


def grid(
    W: Sequence[Array], b: Sequence[Array], act: Activation, data: Dataset, n: int, extent: float
) -> GridOutput:
    """The network ``W``, ``b`` on an ``n × n`` grid over ``[−extent, extent]²`` of raw points.

    Only for 2-D data (``data.points_train`` is not ``None``); see ``GridOutput``.
    """
    if data.points_train is None:
        raise ValueError(f"the {data.name} data set has no 2-D points to draw a grid over")
    if n < 2:
        raise ValueError("grid size n must be at least 2")
    xs = np.linspace(-extent, extent, n)
    X1, X2 = np.meshgrid(xs, xs)
    points = np.column_stack([X1.ravel(), X2.ravel()])
    X = points if data.name == "custom" else map_features(points, data.feature_names)
    head = OUTPUT_HEADS[data.task]
    with np.errstate(all="ignore"):
        Zs, As, _ = forward(W, b, X, act)
        output = head.output(Zs[-1])
    neurons = [A.T.reshape(-1, n, n) for A in As[:-1]]
    features = X.T.reshape(-1, n, n)
    if not head.classes:
        return GridOutput(xs, xs, "value", output[:, 0].reshape(n, n), features, neurons, None)
    probabilities = output.T.reshape(-1, n, n)
    if data.n_classes == 2:
        return GridOutput(xs, xs, "probability", probabilities[1], features, neurons, probabilities)
    classes = output.argmax(axis=1).astype(np.float64).reshape(n, n)
    return GridOutput(xs, xs, "class", classes, features, neurons, probabilities)
