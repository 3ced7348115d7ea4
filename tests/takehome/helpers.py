"""Run a generated script in a subprocess and read what it printed and saved."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STEP_LINE = re.compile(r"^step=(\d+) batch_loss=(\S+)$")
METRIC = re.compile(r"(\w+)=(\S+)")


@dataclass
class Run:
    steps: list[int]
    losses: list[float]
    metrics: dict[str, float]
    W: list[np.ndarray]
    b: list[np.ndarray]
    stdout: str


def run_script(source: str, path: Path, steps: int | None = None, timeout: float = 300) -> Run:
    """Write ``source`` to ``path``, run it with this interpreter and parse its output."""
    path.write_text(source, encoding="utf-8")
    weights = path.with_suffix(".npz")
    args = [sys.executable, str(path), "--save", str(weights)]
    if steps is not None:
        args += ["--steps", str(steps)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    steps_seen, losses, metrics = [], [], {}
    for line in done.stdout.splitlines():
        match = STEP_LINE.match(line)
        if match:
            steps_seen.append(int(match.group(1)))
            losses.append(float(match.group(2)))
        else:
            metrics.update({k: float(v) for k, v in METRIC.findall(line)})
    with np.load(weights) as saved:
        L = len(saved.files) // 2
        W = [saved[f"W{l}"] for l in range(1, L + 1)]
        b = [saved[f"b{l}"] for l in range(1, L + 1)]
    return Run(steps_seen, losses, metrics, W, b, done.stdout)


def max_relative(got: np.ndarray | float, want: np.ndarray | float) -> float:
    """max |got − want| / |want| over elements (0 where both are 0)."""
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    diff = np.abs(g - w)
    scale = np.abs(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / scale)
    return float(rel.max()) if rel.size else 0.0
