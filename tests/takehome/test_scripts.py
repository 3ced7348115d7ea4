"""Both flavours of the exported script, run in a subprocess, continue the app's training:
the same batch losses and the same final weights (relative 1e-9) as the app's next steps."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine import TrainConfig, Trainer, TrainerState, parse_csv
from app.takehome import export_script, filename
from tests.takehome.helpers import Run, max_relative, run_script

RTOL = 1e-9
MEASURED: dict[str, float] = {}  # flavour → the largest relative difference seen

CSV = "a,b,c,label\n" + "\n".join(
    f"{x:.4f},{y:.4f},{x * y:.4f},{'in' if x * x + 2 * y * y < 3 else 'out'}"
    for x, y in np.random.default_rng(5).uniform(-2.5, 2.5, size=(150, 2))
)


@dataclass(frozen=True)
class Case:
    config: dict[str, Any]
    before: int  # steps the app trains before the export
    steps: int  # steps the script trains
    csv: str | None = None
    change: dict[str, Any] = field(default_factory=dict)  # update_hyper after `before` steps
    note: str = ""


CASES = {
    # circle: 280 training samples, batch 10 → 28 steps an epoch; step 3 is mid-epoch and the
    # 30 steps cross into epoch 1 (a new permutation from the order generator).
    "sgd-mid-epoch-crossing": Case({"dataset": "circle"}, 3, 30),
    "momentum-l2": Case(
        {"dataset": "xor", "optimizer": "momentum", "l2": 0.01, "learning_rate": 0.05}, 7, 25
    ),
    "nesterov-l1-relu": Case(
        {
            "dataset": "spiral",
            "optimizer": "nesterov",
            "l1": 0.003,
            "activation": "relu",
            "init": "he",
            "hidden": (8, 8),
        },
        12,
        25,
    ),
    "rmsprop-l1-l2-dropout": Case(
        {
            "dataset": "moons",
            "optimizer": "rmsprop",
            "l1": 0.001,
            "l2": 0.002,
            "dropout": 0.3,
            "hidden": (6, 5),
            "learning_rate": 0.01,
        },
        20,
        30,
    ),
    "adam-dropout-sigmoid": Case(
        {
            "dataset": "gauss",
            "optimizer": "adam",
            "dropout": 0.5,
            "activation": "sigmoid",
            "batch_size": 7,
        },
        15,
        40,
    ),
    "adam-from-step-0": Case({"dataset": "circle", "optimizer": "adam"}, 0, 10),
    # digits: 1,258 training samples, batch 32 → 40 steps an epoch; 30 + 20 crosses it.
    "digits-10-classes-adam": Case(
        {
            "dataset": "digits",
            "optimizer": "adam",
            "hidden": (16,),
            "activation": "relu",
            "batch_size": 32,
            "learning_rate": 0.01,
        },
        30,
        20,
    ),
    "plane-regression-momentum": Case(
        {"dataset": "plane", "optimizer": "momentum", "activation": "leaky_relu", "init": "he"},
        5,
        30,
    ),
    "multigauss-regression-linear-l2": Case(
        {"dataset": "multigauss", "activation": "linear", "l2": 0.01, "hidden": (3,)}, 2, 10
    ),
    "custom-csv-sigmoid-rmsprop": Case(
        {
            "dataset": "custom",
            "optimizer": "rmsprop",
            "activation": "sigmoid",
            "test_fraction": 0.2,
        },
        9,
        20,
        csv=CSV,
    ),
    # Changed live: adam state reset (t = 0 at step 10), a new batch size mid-epoch.
    "optimizer-and-batch-changed-live": Case(
        {"dataset": "xor", "optimizer": "momentum"},
        10,
        25,
        change={"optimizer": "adam", "batch_size": 13},
    ),
    "no-hidden-layer-dropout-ignored": Case(
        {"dataset": "gauss", "hidden": (), "dropout": 0.5}, 4, 8
    ),
    "no-test-set": Case({"dataset": "xor", "test_fraction": 0.0, "samples": 50}, 1, 12),
}


@dataclass
class Expected:
    state: TrainerState
    trainer: Trainer
    steps: list[int]
    losses: list[float]
    W: list[np.ndarray]
    b: list[np.ndarray]
    metrics: dict[str, float]


_expected: dict[str, Expected] = {}


def expected(name: str) -> Expected:
    """The app's own numbers: the state after `before` steps, then its next `steps` steps."""
    if name in _expected:
        return _expected[name]
    case = CASES[name]
    custom = parse_csv(case.csv) if case.csv is not None else None
    trainer = Trainer(TrainConfig(**case.config), custom)
    for _ in range(case.before):
        trainer.train_step()
    if case.change:
        trainer.update_hyper(**case.change)
    state = trainer.capture()
    records = [trainer.train_step() for _ in range(case.steps)]
    m = trainer.evaluate()
    metrics = {
        "train_loss": m.train_loss,
        "train_accuracy": m.train_accuracy,
        "test_loss": m.test_loss,
        "test_accuracy": m.test_accuracy,
    }
    _expected[name] = Expected(
        state,
        trainer,
        [r.step for r in records],
        [r.loss for r in records],
        list(trainer.W),
        list(trainer.b),
        {k: v for k, v in metrics.items() if v is not None},
    )
    trainer.restore(state)  # the trainer is now at the exported moment again
    return _expected[name]


def check(run: Run, want: Expected, flavour: str) -> None:
    assert run.steps == want.steps, "the script numbers its steps as the app does"
    assert len(run.losses) == len(want.losses)
    worst = max_relative(run.losses, want.losses)
    assert worst <= RTOL, f"batch losses differ by {worst:.3g} (relative)"
    for l, (got, exp) in enumerate(zip(run.W + run.b, want.W + want.b, strict=True)):
        assert got.shape == exp.shape, f"parameter {l}: shape"
        rel = max_relative(got, exp)
        worst = max(worst, rel)
        assert rel <= RTOL, f"final parameter {l} differs by {rel:.3g} (relative)"
    assert set(run.metrics) == set(want.metrics), "whole-set metrics printed"
    for key, value in want.metrics.items():
        rel = max_relative(run.metrics[key], value)
        assert rel <= RTOL, f"{key}: {run.metrics[key]!r} vs the app's {value!r}"
    MEASURED[flavour] = max(MEASURED.get(flavour, 0.0), worst)


@pytest.mark.parametrize("flavour", ["numpy", "torch"])
@pytest.mark.parametrize("name", list(CASES))
def test_script_continues_the_apps_training(name: str, flavour: str, tmp_path: Path) -> None:
    want = expected(name)
    case = CASES[name]
    source = export_script(want.state, want.trainer.data, flavour, case.steps)
    run = run_script(source, tmp_path / filename(want.state.step, flavour))
    check(run, want, flavour)
    if flavour == "numpy":
        assert run.losses == want.losses, "NumPy flavour: the app's operations, bit for bit"


def test_steps_flag_overrides_the_default(tmp_path: Path) -> None:
    want = expected("sgd-mid-epoch-crossing")
    source = export_script(want.state, want.trainer.data, "numpy", 100)
    run = run_script(source, tmp_path / "s.py", steps=5)
    assert run.steps == want.steps[:5] and run.losses == want.losses[:5]


def _lint(source: str, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), "check", "--no-cache", "--config", str(root / "pyproject.toml"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr if done.returncode else ""


@pytest.mark.parametrize("flavour", ["numpy", "torch"])
def test_scripts_pass_ruff_and_fit_100_columns(flavour: str, tmp_path: Path) -> None:
    for name in CASES:
        want = expected(name)
        source = export_script(want.state, want.trainer.data, flavour, 10)
        assert not _lint(source, tmp_path, f"{name}.py"), (name, _lint(source, tmp_path, "x.py"))
        long = [i for i, line in enumerate(source.splitlines(), 1) if len(line) > 100]
        assert not long, f"{name}: lines over 100 characters: {long[:5]}"


def test_numpy_flavour_imports_numpy_and_the_standard_library_only() -> None:
    want = expected("rmsprop-l1-l2-dropout")
    source = export_script(want.state, want.trainer.data, "numpy", 10)
    imports = [l for l in source.splitlines() if l.startswith(("import ", "from "))]
    assert imports == [
        "import argparse",
        "import base64",
        "import math",
        "import zlib",
        "import numpy as np",
    ]
    assert "import torch" not in source and "torch.nn" not in source


def test_header_says_where_it_came_from_and_how_to_run_it() -> None:
    want = expected("digits-10-classes-adam")
    source = export_script(want.state, want.trainer.data, "torch", 20)
    head = source.split('"""', 2)[1]
    assert "Backprop Lab at step 30" in head and "dataset=digits" in head
    assert "python3 backprop-lab-step-30-torch.py" in head
    assert "step=31 batch_loss=" in head and "step=50 batch_loss=" in head
    assert len(source) < 200_000, "digits (1,258 × 64 + 539 × 64 float64) are compressed"


def test_bad_arguments_are_refused() -> None:
    want = expected("adam-from-step-0")
    data = want.trainer.data
    for bad in ({"flavour": "jax"}, {"steps": 0}, {"steps": 10_001}, {"steps": True}):
        kwargs: dict[str, Any] = {"flavour": "numpy", "steps": 5, **bad}
        with pytest.raises(ValueError):
            export_script(want.state, data, **kwargs)
    other = Trainer(TrainConfig(dataset="digits", hidden=(4,)))
    with pytest.raises(ValueError, match="does not belong"):
        export_script(want.state, other.data)


def test_report_measured_differences(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the largest relative differences measured above (run with -s to see them)."""
    with capsys.disabled():
        for flavour, worst in sorted(MEASURED.items()):
            print(f"\ntakehome: largest relative difference, {flavour}: {worst:.3g}")
