"""``Dataset``: a data set split into train and test, ready for the network."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.engine.losses import OUTPUT_HEADS
from app.engine.types import AnyArray, Array, Task


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set split into train and test, ready for the network.

    ``X_*`` are the network inputs ``(n, input_dim)`` (after the feature mapping for 2-D
    data). ``y_*`` are class indices (int64, ``(n,)``) for classification or targets
    (float64, ``(n, output_dim)``) for regression. ``points_*`` are the raw 2-D coordinates
    ``(n, 2)`` for plotting, or ``None`` when the data is not 2-D (digits, most CSVs).
    ``image_shape`` is ``(8, 8)`` for digits. ``class_names`` names each class index (e.g.
    the original CSV labels); ``target_names`` the regression outputs. The arrays are
    read-only.
    """

    name: str
    task: Task
    n_classes: int
    feature_names: tuple[str, ...]
    X_train: Array
    y_train: AnyArray
    X_test: Array
    y_test: AnyArray
    points_train: Array | None = None
    points_test: Array | None = None
    image_shape: tuple[int, int] | None = None
    class_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    Y_train: Array = field(init=False, repr=False)
    """One-hot labels (classification) or the targets (regression), for the loss."""

    def __post_init__(self) -> None:
        self._check_and_normalise()
        for name in ("X_train", "y_train", "X_test", "y_test", "points_train", "points_test"):
            value = getattr(self, name)
            if value is not None:
                value.setflags(write=False)
        Y = OUTPUT_HEADS[self.task].targets(self.y_train, self.n_classes)
        Y.setflags(write=False)
        object.__setattr__(self, "Y_train", Y)

    def _check_and_normalise(self) -> None:
        """Validate shapes and labels; store X as float64, labels as the task's head wants."""

        def put(name: str, value: AnyArray) -> None:
            object.__setattr__(self, name, value)

        if self.task not in OUTPUT_HEADS:
            raise ValueError(f"task must be classification or regression, not {self.task!r}")
        head = OUTPUT_HEADS[self.task]
        for split in ("train", "test"):
            X = np.asarray(getattr(self, f"X_{split}"), dtype=np.float64)
            y = np.asarray(getattr(self, f"y_{split}"))
            if X.ndim != 2 or len(X) != len(y):
                raise ValueError(f"X_{split} must be (n, features) with one label per row")
            if not np.isfinite(X).all():
                raise ValueError(f"X_{split} must be finite")
            try:
                y = head.labels(y, self.n_classes)
            except ValueError as exc:
                raise ValueError(f"y_{split} {exc}") from None
            put(f"X_{split}", X)
            put(f"y_{split}", y)
        if self.X_train.shape[1] != self.X_test.shape[1] or len(self.X_train) == 0:
            raise ValueError("train and test need the same features and at least 1 train row")

    @property
    def extent(self) -> float:
        """Half-width of a square around 0 that holds every 2-D point (at least 6, the
        generators' range), for ``Trainer.grid``; 6 when there are no points."""
        if self.points_train is None:
            return 6.0
        parts = [self.points_train, self.points_test]
        biggest = max(float(np.abs(p).max()) for p in parts if p is not None and p.size)
        return max(6.0, math.ceil(biggest * 1.05))

    @property
    def input_dim(self) -> int:
        """Number of network inputs."""
        return int(self.X_train.shape[1])

    @property
    def output_dim(self) -> int:
        """Output units: the number of classes (2 for binary) or of regression targets."""
        return OUTPUT_HEADS[self.task].width(self.n_classes, self.y_train)

    @property
    def n_train(self) -> int:
        """Training samples."""
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        """Test samples."""
        return int(self.X_test.shape[0])

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, {self.task}, {self.n_train} train + {self.n_test} test, "
            f"{self.input_dim} inputs → {self.output_dim} outputs)"
        )
