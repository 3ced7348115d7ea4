"""The user's CSV: numeric feature columns and one label or target column."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from app.engine.data.dataset import Dataset
from app.engine.types import Task

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
