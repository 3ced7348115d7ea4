"""Data sets: TF Playground's 2-D generators, the 8×8 digits, and the user's CSV.

The data layer knows a small ``DataSpec`` (six fields of a configuration), never the whole
``TrainConfig``. Everything is drawn from ``np.random.default_rng(data_seed)``: the same spec
gives the same data. The split into train and test is a seeded permutation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from app.engine.data.csvfile import parse_csv
from app.engine.data.dataset import Dataset
from app.engine.data.digits import load_digits
from app.engine.data.generators import GENERATORS
from app.engine.data.registry import DATASETS, DatasetInfo, DataSpec
from app.engine.features import map_features
from app.engine.types import IntArray, Task

__all__ = [
    "DATASETS",
    "DataSpec",
    "Dataset",
    "DatasetInfo",
    "Task",
    "load_digits",
    "make_dataset",
    "parse_csv",
    "resplit",
    "split_indices",
]

_GENERATED_LABELS: Mapping[str, dict[str, Any]] = MappingProxyType(
    {
        "classification": {"n_classes": 2, "class_names": ("0", "1")},
        "regression": {"n_classes": 0, "target_names": ("y",)},
    }
)
"""How a generated 2-D set of each task names its classes (two, ``0`` and ``1``) or target."""


def split_indices(
    n: int, test_fraction: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """A seeded permutation of ``range(n)`` cut into ``(train, test)`` index arrays.

    The test part has ``round(n·test_fraction)`` samples, but the train part keeps at least 1.
    """
    order = rng.permutation(n)
    n_test = min(round(n * test_fraction), n - 1)
    return order[n_test:], order[:n_test]


def make_dataset(spec: DataSpec, custom: Dataset | None = None) -> Dataset:
    """The data set described by ``spec`` (a ``TrainConfig`` will do).

    2-D sets are generated from ``spec.data_seed``; digits are loaded from the package
    (``samples``, ``noise`` and ``features`` are ignored); ``custom`` data (from ``parse_csv``)
    is pooled and split again with ``spec.test_fraction`` and ``spec.data_seed``.
    """
    rng = np.random.default_rng(spec.data_seed)
    name = spec.dataset
    if name == "custom":
        if custom is None:
            raise ValueError("dataset 'custom' needs the uploaded data (parse_csv)")
        return resplit(custom, spec.test_fraction, rng)
    if name == "digits":
        pixels, labels = load_digits()
        train, test = split_indices(len(labels), spec.test_fraction, rng)
        return Dataset(
            name="digits",
            task="classification",
            n_classes=10,
            feature_names=tuple(f"pixel ({r},{c})" for r in range(8) for c in range(8)),
            X_train=pixels[train] / 16.0,
            y_train=labels[train],
            X_test=pixels[test] / 16.0,
            y_test=labels[test],
            image_shape=(8, 8),
            class_names=tuple(str(d) for d in range(10)),
        )
    points, labels = GENERATORS[name](rng, spec.samples, spec.noise)
    train, test = split_indices(len(points), spec.test_fraction, rng)
    task = DATASETS[name].task
    points_train = points[train]
    points_test = points[test]
    return Dataset(
        name=name,
        task=task,
        feature_names=tuple(spec.features),
        X_train=map_features(points_train, spec.features),
        y_train=labels[train],
        X_test=map_features(points_test, spec.features),
        y_test=labels[test],
        points_train=points_train,
        points_test=points_test,
        **_GENERATED_LABELS[task],
    )


def resplit(data: Dataset, test_fraction: float, rng: np.random.Generator) -> Dataset:
    """The same samples (train and test pooled, train first) split anew."""
    X = np.concatenate([data.X_train, data.X_test])
    y = np.concatenate([data.y_train, data.y_test])
    points = None
    if data.points_train is not None and data.points_test is not None:
        points = np.concatenate([data.points_train, data.points_test])
    train, test = split_indices(len(X), test_fraction, rng)
    return Dataset(
        name=data.name,
        task=data.task,
        n_classes=data.n_classes,
        feature_names=data.feature_names,
        X_train=X[train],
        y_train=y[train],
        X_test=X[test],
        y_test=y[test],
        points_train=None if points is None else points[train],
        points_test=None if points is None else points[test],
        image_shape=data.image_shape,
        class_names=data.class_names,
        target_names=data.target_names,
    )
