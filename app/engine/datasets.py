"""Data sets: TF Playground's 2-D generators, the 8×8 digits, and the user's CSV.

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

import csv
import gzip
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np

from app.engine.features import map_features
from app.engine.types import AnyArray, Array, IntArray

if TYPE_CHECKING:
    from app.engine.config import TrainConfig

Task = Literal["classification", "regression"]

DIGITS_PATH = Path(__file__).resolve().parent / "data" / "digits.csv.gz"


@dataclass(frozen=True)
class DatasetInfo:
    """What the page needs to know about a data set before building it."""

    task: Task
    description: str


DATASETS: Mapping[str, DatasetInfo] = MappingProxyType(
    {
        "circle": DatasetInfo("classification", "a disc inside a ring"),
        "xor": DatasetInfo("classification", "four quadrants, opposite ones alike"),
        "gauss": DatasetInfo("classification", "two Gaussian blobs"),
        "spiral": DatasetInfo("classification", "two interleaved spirals"),
        "moons": DatasetInfo("classification", "two interleaving half circles"),
        "plane": DatasetInfo("regression", "a tilted plane: y = (x1 + x2) / 10"),
        "multigauss": DatasetInfo("regression", "six Gaussian bumps of alternating sign"),
        "digits": DatasetInfo("classification", "8×8 handwritten digits, 10 classes"),
        "custom": DatasetInfo("classification", "your CSV (classification or regression)"),
    }
)
"""Data set names → task and a one-line description, in the order the page lists them."""


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
        if self.task == "classification":
            Y = np.eye(self.n_classes, dtype=np.float64)[self.y_train]
        else:
            Y = self.y_train
        Y.setflags(write=False)
        object.__setattr__(self, "Y_train", Y)

    def _check_and_normalise(self) -> None:
        """Validate shapes and labels; store X as float64, class labels as int64."""

        def put(name: str, value: AnyArray) -> None:
            object.__setattr__(self, name, value)

        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be classification or regression, not {self.task!r}")
        for split in ("train", "test"):
            X = np.asarray(getattr(self, f"X_{split}"), dtype=np.float64)
            y = np.asarray(getattr(self, f"y_{split}"))
            if X.ndim != 2 or len(X) != len(y):
                raise ValueError(f"X_{split} must be (n, features) with one label per row")
            if not np.isfinite(X).all():
                raise ValueError(f"X_{split} must be finite")
            if self.task == "classification":
                if y.ndim != 1 or (y.size and not (y.min() >= 0 and y.max() < self.n_classes)):
                    raise ValueError(f"y_{split} must be class indices 0..{self.n_classes - 1}")
                y = y.astype(np.int64)
            else:
                y = np.asarray(y, dtype=np.float64)
                if y.ndim != 2 or not np.isfinite(y).all():
                    raise ValueError(f"y_{split} must be finite targets of shape (n, outputs)")
            put(f"X_{split}", X)
            put(f"y_{split}", y)
        if self.X_train.shape[1] != self.X_test.shape[1] or len(self.X_train) == 0:
            raise ValueError("train and test need the same features and at least 1 train row")
        if self.task == "classification" and self.n_classes < 2:
            raise ValueError("classification needs at least 2 classes")

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
        if self.task == "classification":
            return self.n_classes
        return int(self.y_train.shape[1])

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


# ── TF Playground's 2-D generators: each returns raw points (n, 2) and labels ─────────────


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
    return np.column_stack([x, y]), target


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
    return np.column_stack([x, y]), target


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
"""The 2-D generators by name: ``(rng, n, noise) → (points (n, 2), labels)``."""


# ── building a Dataset ─────────────────────────────────────────────────────────────────────


def split_indices(
    n: int, test_fraction: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """A seeded permutation of ``range(n)`` cut into ``(train, test)`` index arrays.

    The test part has ``round(n·test_fraction)`` samples, but the train part keeps at least 1.
    """
    order = rng.permutation(n)
    n_test = min(round(n * test_fraction), n - 1)
    return order[n_test:], order[:n_test]


def make_dataset(config: TrainConfig, custom: Dataset | None = None) -> Dataset:
    """The data set described by ``config``.

    2-D sets are generated from ``config.data_seed``; digits are loaded from the package
    (``samples`` and ``noise`` are ignored); ``custom`` data (from ``parse_csv``) is pooled
    and split again with ``config.test_fraction`` and ``config.data_seed``.
    """
    rng = np.random.default_rng(config.data_seed)
    name = config.dataset
    if name == "custom":
        if custom is None:
            raise ValueError("dataset 'custom' needs the uploaded data (parse_csv)")
        return resplit(custom, config.test_fraction, rng)
    if name == "digits":
        pixels, labels = load_digits()
        train, test = split_indices(len(labels), config.test_fraction, rng)
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
    points, labels = GENERATORS[name](rng, config.samples, config.noise)
    train, test = split_indices(len(points), config.test_fraction, rng)
    task = DATASETS[name].task
    if task == "regression":
        labels = labels.reshape(-1, 1)
    points_train = points[train]
    points_test = points[test]
    return Dataset(
        name=name,
        task=task,
        n_classes=2 if task == "classification" else 0,
        feature_names=tuple(config.features),
        X_train=map_features(points_train, config.features),
        y_train=labels[train],
        X_test=map_features(points_test, config.features),
        y_test=labels[test],
        points_train=points_train,
        points_test=points_test,
        class_names=("0", "1") if task == "classification" else (),
        target_names=("y",) if task == "regression" else (),
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


# ── the user's CSV ─────────────────────────────────────────────────────────────────────────

MAX_CSV_BYTES = 2_000_000
MAX_CSV_ROWS = 10_000
MAX_CSV_COLUMNS = 257
MAX_CLASSES = 20


def parse_csv(
    text: str,
    label_column: str | None = None,
    task: str | None = None,
    *,
    max_bytes: int = MAX_CSV_BYTES,
    max_rows: int = MAX_CSV_ROWS,
    max_columns: int = MAX_CSV_COLUMNS,
) -> Dataset:
    """Parse the user's CSV: numeric feature columns and one label / target column.

    * The first line is a header if any of its fields is not a number; otherwise columns are
      named ``x1, x2, …`` and the last one ``label``.
    * ``label_column`` names the label column (default: the last column).
    * ``task``: ``"classification"``, ``"regression"`` or ``None`` to infer: labels that are
      not numbers, or integers with at most 20 distinct values, mean classification.
      Class labels become indices in sorted order; ``class_names`` keeps the originals.
    * All rows go into ``X_train``; ``make_dataset`` splits them with the config's
      ``test_fraction`` and ``data_seed``. Two feature columns give ``points`` for heatmaps.

    Errors raise ``ValueError`` whose message names the row (the line in the file, 1-based,
    the header being row 1) and the column, e.g. ``row 7, column 'x2': not a finite number``.
    """
    if len(text.encode("utf-8")) > max_bytes:
        raise ValueError(f"the file is larger than {max_bytes:,} bytes")
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', not {task!r}")
    rows = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text)))]
    rows = [(i, row) for i, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError("the file is empty")
    first = [cell.strip() for cell in rows[0][1]]
    has_header = not all(_is_number(cell) for cell in first)
    if has_header:
        names = first
        header_line = rows[0][0]
        rows = rows[1:]
        if any(not name for name in names):
            col = next(j for j, name in enumerate(names) if not name) + 1
            raise ValueError(f"row {header_line}, column {col}: empty column name")
        if len(set(names)) != len(names):
            raise ValueError(f"row {header_line}: column names must be distinct")
    else:
        names = [f"x{j + 1}" for j in range(len(first) - 1)] + ["label"]
    n_cols = len(names)
    if n_cols < 2:
        raise ValueError("need at least one feature column and a label column")
    if n_cols > max_columns:
        raise ValueError(f"too many columns: {n_cols} (at most {max_columns})")
    if len(rows) > max_rows:
        raise ValueError(f"too many rows: {len(rows)} (at most {max_rows})")
    if len(rows) < 4:
        raise ValueError(f"too few data rows: {len(rows)} (need at least 4)")
    label_name = names[-1] if label_column is None else label_column
    if label_name not in names:
        raise ValueError(f"no column named {label_name!r}; the columns are {', '.join(names)}")
    label_j = names.index(label_name)
    feature_js = [j for j in range(n_cols) if j != label_j]
    X = np.empty((len(rows), len(feature_js)), dtype=np.float64)
    raw_labels: list[str] = []
    for r, (line, row) in enumerate(rows):
        if len(row) != n_cols:
            raise ValueError(f"row {line}: expected {n_cols} columns, found {len(row)}")
        for k, j in enumerate(feature_js):
            X[r, k] = _finite(row[j], line, names[j])
        raw_labels.append(_canonical_label(row[label_j].strip()))
    if task is None:
        task = _infer_task(raw_labels)
    feature_names = tuple(names[j] for j in feature_js)
    points = X if X.shape[1] == 2 else None
    empty_X = np.empty((0, X.shape[1]))
    if task == "regression":
        targets = np.array(
            [
                _finite(value, line, label_name)
                for (line, _), value in zip(rows, raw_labels, strict=True)
            ]
        ).reshape(-1, 1)
        return Dataset(
            name="custom",
            task="regression",
            n_classes=0,
            feature_names=feature_names,
            X_train=X,
            y_train=targets,
            X_test=empty_X,
            y_test=np.empty((0, 1)),
            points_train=points,
            points_test=None if points is None else empty_X.copy(),
            target_names=(label_name,),
        )
    for (line, _), value in zip(rows, raw_labels, strict=True):
        if not value:
            raise ValueError(f"row {line}, column {label_name!r}: missing label")
    classes = _sorted_classes(set(raw_labels))
    if len(classes) < 2:
        raise ValueError(f"column {label_name!r}: classification needs at least 2 classes")
    if len(classes) > MAX_CLASSES:
        raise ValueError(
            f"column {label_name!r}: {len(classes)} classes (at most {MAX_CLASSES}); "
            "use task 'regression' for a numeric target"
        )
    index = {name: i for i, name in enumerate(classes)}
    y = np.array([index[value] for value in raw_labels], dtype=np.int64)
    return Dataset(
        name="custom",
        task="classification",
        n_classes=len(classes),
        feature_names=feature_names,
        X_train=X,
        y_train=y,
        X_test=empty_X,
        y_test=np.empty(0, dtype=np.int64),
        points_train=points,
        points_test=None if points is None else empty_X.copy(),
        class_names=tuple(classes),
    )


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _finite(cell: str, line: int, column: str) -> float:
    text = cell.strip()
    if not text:
        raise ValueError(f"row {line}, column {column!r}: missing value")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"row {line}, column {column!r}: {text[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"row {line}, column {column!r}: not a finite number")
    return value


def _infer_task(labels: list[str]) -> Task:
    values = []
    for label in labels:
        if not _is_number(label):
            return "classification"
        values.append(float(label))
    if all(math.isfinite(v) and v == int(v) for v in values) and len(set(values)) <= MAX_CLASSES:
        return "classification"
    return "regression"


def _canonical_label(text: str) -> str:
    """``"1.0"`` and ``"1"`` are the same class: integral numbers are written as integers."""
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return text


def _sorted_classes(labels: set[str]) -> list[str]:
    """Numeric labels in numeric order (``-1 < 1 < 10``), others alphabetically after them."""
    numeric = sorted((lab for lab in labels if _is_number(lab)), key=float)
    other = sorted(lab for lab in labels if not _is_number(lab))
    return numeric + other
