"""Data: TF Playground's generators, input features, the digits, and CSV validation."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import DATASETS, FEATURES, TrainConfig, make_dataset, parse_csv
from app.engine.data import load_digits

TWO_D = ["circle", "xor", "gauss", "spiral", "moons", "plane", "multigauss"]


@pytest.mark.parametrize("name", TWO_D)
def test_2d_generators(name: str) -> None:
    cfg = TrainConfig(dataset=name, samples=200, noise=0.2, test_fraction=0.25)
    d = make_dataset(cfg)
    assert d.n_train == 150 and d.n_test == 50, "split by test_fraction"
    assert d.points_train is not None and d.points_train.shape == (150, 2), "raw points kept"
    assert np.abs(d.points_train).max() < 8, "points roughly within [−6, 6]"
    assert np.array_equal(d.X_train, d.points_train), "features x1, x2 are the coordinates"
    again = make_dataset(cfg)
    assert np.array_equal(d.X_train, again.X_train), "same data seed, same data"
    other = make_dataset(cfg.replace(data_seed=2))
    assert not np.array_equal(d.X_train, other.X_train), "another data seed, other data"
    assert d.task == DATASETS[name].task, "task as listed"
    if d.task == "classification":
        assert d.output_dim == 2 and set(np.unique(d.y_train)) == {0, 1}, "binary: 2 classes"
        assert d.y_train.dtype == np.int64, "class indices"
    else:
        assert d.y_train.shape == (150, 1) and d.output_dim == 1, "one regression target"
        assert np.abs(d.y_train).max() <= 1.5, "targets in about [−1, 1] (noise may add a bit)"


def test_circle_labels_follow_the_radius_without_noise() -> None:
    d = make_dataset(TrainConfig(dataset="circle", noise=0.0))
    r = np.hypot(d.points_train[:, 0], d.points_train[:, 1])  # type: ignore[index]
    assert np.all((r < 2.5) == (d.y_train == 1)), "class 1 inside radius 2.5"


def test_xor_labels_follow_the_quadrant_without_noise() -> None:
    d = make_dataset(TrainConfig(dataset="xor", noise=0.0))
    p = d.points_train
    assert p is not None
    assert np.all((p[:, 0] * p[:, 1] >= 0) == (d.y_train == 1)), "class 1 where x1·x2 ≥ 0"


def test_features_are_tf_playgrounds() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    d = make_dataset(TrainConfig(features=("x1*x2", "sin(x2)", "x1^2")))
    p = d.points_train
    assert p is not None
    expected = np.column_stack([p[:, 0] * p[:, 1], np.sin(p[:, 1]), p[:, 0] ** 2])
    assert np.array_equal(d.X_train, expected), "columns in the chosen order"
    assert d.feature_names == ("x1*x2", "sin(x2)", "x1^2"), "named"
    with pytest.raises(ValueError, match="features"):
        TrainConfig(features=("x3",))
    with pytest.raises(ValueError, match="features"):
        TrainConfig(features=())


def test_digits_are_shipped_in_the_package() -> None:
    pixels, labels = load_digits()
    assert pixels.shape == (1797, 64) and labels.shape == (1797,), "1,797 8×8 images"
    assert pixels.min() == 0 and pixels.max() == 16, "pixel values 0..16"
    assert np.array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    d = make_dataset(TrainConfig(dataset="digits"))
    assert d.image_shape == (8, 8) and d.n_classes == 10 and d.input_dim == 64, "image task"
    assert d.points_train is None, "no 2-D points"
    assert d.X_train.max() == 1.0, "scaled to 0..1"
    assert d.n_train + d.n_test == 1797, "all samples used"


CSV = """x1,x2,label
0.5,1.0,cat
-1.0,2.0,dog
0.0,0.0,cat
3.0,-1.0,dog
1.0,1.0,cat
"""


def test_csv_classification_with_named_classes() -> None:
    d = parse_csv(CSV)
    assert d.task == "classification" and d.class_names == ("cat", "dog"), "text labels"
    assert np.array_equal(d.y_train, [0, 1, 0, 1, 0]), "labels become class indices"
    assert d.feature_names == ("x1", "x2") and d.points_train is not None, "2 columns: points"
    trained = make_dataset(TrainConfig(dataset="custom", test_fraction=0.4), d)
    assert trained.n_train == 3 and trained.n_test == 2, "make_dataset splits the rows"


def test_csv_task_inference_and_label_column() -> None:
    numeric = "a,b,c\n" + "\n".join(f"{i},{i * 0.37:.3f},{i % 3}" for i in range(12))
    d = parse_csv(numeric)
    assert d.task == "classification" and d.n_classes == 3, "few integer labels: classes"
    r = parse_csv(numeric, label_column="b")
    assert r.task == "regression" and r.feature_names == ("a", "c"), "real targets: regression"
    assert r.y_train.shape == (12, 1), "targets as (n, 1)"
    forced = parse_csv(numeric, task="regression")
    assert forced.task == "regression", "task can be forced"
    headless = parse_csv("1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    assert headless.feature_names == ("x1", "x2"), "no header: columns named x1, x2, …"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,y\n1,2,0\n3,4,1\n5,6,0\n7,inf,1\n", "row 5, column 'x2': not a finite number"),
        ("x1,x2,y\n1,2,0\n3,abc,1\n5,6,0\n7,8,1\n", "row 3, column 'x2': 'abc' is not a number"),
        ("x1,x2,y\n1,2,0\n3,,1\n5,6,0\n7,8,1\n", "row 3, column 'x2': missing value"),
        ("x1,x2,y\n1,2,0\n3,4\n5,6,0\n7,8,1\n", "row 3: expected 3 columns, found 2"),
        ("x1,x2,y\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "column 'y': classification needs at least 2"),
        ("x1,x2,y\n1,2,0\n3,4,1\n", "too few data rows"),
        ("x1,x1,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", "column names must be distinct"),
        ("", "empty"),
        ("y\n1\n2\n3\n4\n", "at least one feature column"),
    ],
)
def test_csv_errors_name_row_and_column(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_csv(text)


def test_csv_limits() -> None:
    with pytest.raises(ValueError, match="larger than"):
        parse_csv("x,y\n" + "1,0\n" * 1000, max_bytes=100)
    with pytest.raises(ValueError, match="too many rows"):
        parse_csv("x,y\n" + "1,0\n2,1\n" * 10, max_rows=5)
    with pytest.raises(ValueError, match="no column named 'z'"):
        parse_csv(CSV, label_column="z")


def test_config_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="dataset"):
        TrainConfig(dataset="mnist")
    with pytest.raises(ValueError, match="dropout"):
        TrainConfig(dropout=1.0)
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="activation"):
        TrainConfig(activation="swish")
    cfg = TrainConfig(hidden=[3, 2])  # type: ignore[arg-type]
    assert cfg.hidden == (3, 2), "lists become tuples"
    assert cfg.replace(learning_rate=0.1).learning_rate == 0.1, "replace"


def test_csv_numeric_class_labels_are_canonical_and_sorted() -> None:
    d = parse_csv("x,y\n1,10\n2,-1\n3,1.0\n4,1\n5,2\n")
    assert d.class_names == ("-1", "1", "2", "10"), "numeric order; 1.0 and 1 are one class"
    assert np.array_equal(d.y_train, [3, 0, 1, 1, 2]), "indices into class_names"


def test_csv_empty_header_name_is_reported() -> None:
    with pytest.raises(ValueError, match="row 1, column 2: empty column name"):
        parse_csv("x1,,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")


def test_custom_two_column_data_trains_and_draws_a_grid() -> None:
    from app.engine import Trainer

    rows = "\n".join(
        f"{x},{y},{int(x * y > 0)}" for x, y in [(-9, -3), (9, 3), (-9, 3), (9, -3)] * 5
    )
    data = parse_csv("a,b,label\n" + rows)
    trainer = Trainer(TrainConfig(dataset="custom", hidden=(3,)), data)
    trainer.train_step()
    assert trainer.data.extent == 10, "extent covers the data (|x| ≤ 9, ×1.05, rounded up)"
    g = trainer.grid(n=5, extent=trainer.data.extent)
    assert g.features.shape == (2, 5, 5) and g.x1s[-1] == 10, "raw columns on the grid"


def test_dataset_validates_what_it_is_given() -> None:
    from app.engine import Dataset

    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="class indices"):
        Dataset(
            "custom",
            "classification",
            2,
            ("a", "b"),
            X,
            np.array([0, 1, 2, 0]),
            X[:0],
            np.zeros(0, dtype=np.int64),
        )
    with pytest.raises(ValueError, match="finite"):
        Dataset(
            "custom",
            "regression",
            0,
            ("a", "b"),
            X + np.nan,
            np.zeros((4, 1)),
            X[:0],
            np.zeros((0, 1)),
        )
