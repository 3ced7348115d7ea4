"""Benchmark of the training engine: one iteration with the full record vs a bare NumPy step.

For each network it measures, as medians of repeated timed runs (µs per iteration):

* ``engine``: ``Trainer.train_step()`` — forward, loss, backward, optimizer, divergence
  check and the complete ``IterationRecord`` (its ``LayerRecord`` objects, accuracy and
  diagnostics are assembled on first access and not included);
* ``+layers``: the same plus accessing ``record.layers`` (every per-layer record object
  built and its arrays made read-only), what a consumer of every record pays;
* ``bare``: a hand-written NumPy forward/backward/SGD step of the same network keeping all
  intermediates (what any implementation must do at least); ``ratio`` = engine / bare, the
  issue's target is ≤ 2;
* ``floor``: one tiny NumPy call (``np.add`` on two 8-vectors), the unit cost of Python +
  NumPy dispatch; a small-network step is ~50 such calls;
* ``torch``: PyTorch eager on CPU (float64, one thread, SGD) if ``import torch`` works in the
  interpreter named by the environment variable ``TORCH_PYTHON``, else ``absent``.

Run ``python bench/engine_bench.py`` (add ``--quick`` for a fast smoke run). BLAS is limited
to one thread (``OPENBLAS_NUM_THREADS=1``), as the benchmarks run the server.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.appapi import Dataset, TrainConfig, Trainer  # noqa: E402
from bench.common import ROOT, time_per_call  # noqa: E402
from bench.nets import random_dataset  # noqa: E402
from bench.tables import Column, Table, col  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    config: TrainConfig
    custom: Dataset | None = None


def cases() -> list[Case]:
    return [
        Case("2-8-8-2 b10", TrainConfig(dataset="circle", hidden=(8, 8), batch_size=10)),
        Case(
            "2-16-16-16-2 b32",
            TrainConfig(dataset="spiral", hidden=(16, 16, 16), batch_size=32),
        ),
        Case(
            "64-32-10 b64 (digits)",
            TrainConfig(dataset="digits", hidden=(32,), batch_size=64, learning_rate=0.1),
        ),
        Case(
            "784-128-64-10 b128 (random)",
            TrainConfig(dataset="custom", hidden=(128, 64), batch_size=128, test_fraction=0.0),
            random_dataset(1280, 784, 10),
        ),
    ]


def calls_for(trainer: Trainer, seconds: float) -> int:
    """Calls of `train_step` that take about `seconds` (~100 µs for the small nets, ~2 ms for
    784-128-64-10), at least 5."""
    per_call = 1e-4 if trainer.sizes[0] < 100 else 2e-3
    return max(5, int(seconds / per_call))


def bare_step_factory(trainer: Trainer) -> Callable[[], object]:
    """A minimal hand-written tanh MLP step (softmax + cross-entropy, SGD) on the same data,
    keeping every intermediate as the engine does."""
    d = trainer.data
    W = [w.copy() for w in trainer.W]
    b = [v.copy() for v in trainer.b]
    X_all, Y_all = d.X_train, np.eye(d.n_classes)[d.y_train]
    y_all = d.y_train
    n = len(X_all)
    bs = trainer.config.batch_size
    lr = trainer.config.learning_rate
    order = np.random.default_rng(0).permutation(n)
    state = {"pos": 0}
    L = len(W)

    def step() -> object:
        pos = state["pos"]
        idx = order[pos : pos + bs]
        state["pos"] = 0 if pos + bs >= n else pos + bs
        X = X_all[idx]
        Y = Y_all[idx]
        y = y_all[idx]
        As = [X]
        Zs = []
        for l in range(L):
            Z = As[-1] @ W[l].T + b[l]
            Zs.append(Z)
            As.append(np.tanh(Z) if l < L - 1 else Z)
        S = Zs[-1] - Zs[-1].max(axis=1, keepdims=True)
        E = np.exp(S)
        sE = E.sum(axis=1, keepdims=True)
        P = E / sE
        loss = -float((S[np.arange(len(idx)), y] - np.log(sE[:, 0])).sum()) / len(idx)
        dZ = (P - Y) / len(idx)
        grads = []
        for l in range(L - 1, -1, -1):
            dW = dZ.T @ As[l]
            db = dZ.sum(axis=0)
            grads.append((dW, db))
            if l:
                dZ = (dZ @ W[l]) * (1.0 - As[l] * As[l])
        for l, (dW, db) in zip(range(L - 1, -1, -1), grads, strict=True):
            W[l] = W[l] - lr * dW
            b[l] = b[l] - lr * db
        return loss

    return step


TORCH_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from bench.common import time_per_call
import torch
torch.set_num_threads(1)
torch.manual_seed(0)
out = {}
for spec in json.loads(sys.argv[1]):
    sizes, bs, calls, repeats = spec["sizes"], spec["batch"], spec["calls"], spec["repeats"]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=torch.float64))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.03)
    X = torch.rand(bs, sizes[0], dtype=torch.float64)
    y = torch.randint(0, sizes[-1], (bs,))
    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
    for _ in range(50):
        step()
    out[spec["name"]] = time_per_call(step, calls, repeats)
print(json.dumps(out))
"""


def torch_times(specs: list[dict[str, Any]]) -> dict[str, float] | None:
    """Seconds per step of PyTorch eager for each spec, or None if torch is unavailable."""
    python = os.environ.get("TORCH_PYTHON")
    if not python:
        return None
    try:
        done = subprocess.run(
            [python, "-c", TORCH_SCRIPT, json.dumps(specs), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False, smoke: bool = False) -> list[dict[str, Any]]:
    """Measure every case; returns one dict per network (times in µs per iteration)."""
    repeats = 3 if quick else 7
    tiny_a = np.ones(8)
    tiny_b = np.ones(8)
    floor = time_per_call(lambda: np.add(tiny_a, tiny_b), 2000 if quick else 20000, repeats)
    rows: list[dict[str, Any]] = []
    specs = []
    for case in cases():
        trainer = Trainer(case.config, case.custom)
        calls = calls_for(trainer, 0.02 if quick else 0.2)
        for _ in range(20):  # warm up
            trainer.train_step()
        engine = time_per_call(trainer.train_step, calls, repeats)
        engine_layers = time_per_call(lambda t=trainer: t.train_step().layers, calls, repeats)
        bare = time_per_call(bare_step_factory(trainer), calls, repeats)
        rows.append(
            {
                "net": case.name,
                "iterations_per_s": 1.0 / engine,
                "engine_us": engine * 1e6,
                "bare_us": bare * 1e6,
                "ratio": engine / bare,
                "engine_layers_us": engine_layers * 1e6,
                "ratio_layers": engine_layers / bare,
                "floor_us": floor * 1e6,
                "engine_in_floor_calls": engine / floor,
                "torch_us": None,
                "torch_over_engine": None,
            }
        )
        specs.append(
            {
                "name": case.name,
                "sizes": list(trainer.sizes),
                "batch": case.config.batch_size,
                "calls": calls,
                "repeats": repeats,
            }
        )
    torch = torch_times(specs)
    for row in rows:
        if torch is not None and row["net"] in torch:
            row["torch_us"] = torch[row["net"]] * 1e6
            row["torch_over_engine"] = row["torch_us"] / row["engine_us"]
    return rows


TABLE = Table(
    [
        col("network", "net"),
        col("it/s", "iterations_per_s", ",.0f"),
        col("engine µs", "engine_us", ".1f"),
        col("+layers µs", "engine_layers_us", ".1f"),
        col("bare µs", "bare_us", ".1f"),
        col("engine/bare", "ratio", ".2f", unit="×"),
        col("+layers/bare", "ratio_layers", ".2f", unit="×"),
        col("floor µs", "floor_us", ".2f"),
        col("engine in floor calls", "engine_in_floor_calls", ".0f"),
        col("torch µs", "torch_us", ".1f", missing="absent"),
        col("torch/engine", "torch_over_engine", ".1f", missing="absent", unit="×"),
        Column(
            "torch/bare (the ceiling)",
            lambda r: (
                "absent" if r.get("torch_us") is None else f"{r['torch_us'] / r['bare_us']:.1f}×"
            ),
        ),
    ]
)


def table(rows: list[dict[str, Any]]) -> str:
    return TABLE.text(rows)


if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv)))
