"""Runs a catalogue experiment on a bare ``Trainer`` the way a session would, for the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine import TrainConfig, Trainer
from app.engine.records import IterationRecord
from app.engine.trainer import Diverged
from app.experiments.checks import MetricsPoint, RunView, view_of

EVAL_EVERY = 10
"""Whole-set metrics every 10 updates and after the last one (the server evaluates after each
``step`` message and each played frame batch; 10 stands for that)."""


@dataclass
class Run:
    """The outcome of an experiment run: the trainer, the view the checks see, the records."""

    trainer: Trainer
    view: RunView
    records: list[IterationRecord] = field(default_factory=list)
    diverged: Diverged | None = None


def phases_per_iteration(config: dict[str, Any]) -> int:
    """Forward 1..L, loss, backward L..1, update: ``2·L + 2`` phases (L = hidden layers + 1)."""
    return 2 * (len(config["hidden"]) + 1) + 2


def updates_of(entry: dict[str, Any]) -> int:
    """Updates the experiment runs: ``steps`` iterations, or whole iterations of a phase walk."""
    steps = int(entry["steps"])
    if entry.get("unit") == "phase":
        return steps // phases_per_iteration(entry["config"])
    return steps


def run_experiment(
    entry: dict[str, Any], steps: int | None = None, eval_every: int = EVAL_EVERY, **changes: Any
) -> Run:
    """Run ``entry``'s config (with ``changes``) for its steps (or ``steps``) updates, with
    whole-set metrics at step 0, every ``eval_every`` updates and at the end."""
    trainer = Trainer(TrainConfig(**{**entry["config"], **changes}))
    n = updates_of(entry) if steps is None else steps
    losses: list[tuple[int, float]] = []
    metrics = [MetricsPoint.of(0, trainer.evaluate())]
    records: list[IterationRecord] = []
    diverged: Diverged | None = None
    for _ in range(n):
        try:
            record = trainer.train_step()
        except Diverged as exc:
            diverged = exc
            break
        records.append(record)
        losses.append((record.step, record.loss))
        if record.step % eval_every == 0:
            metrics.append(MetricsPoint.of(record.step, trainer.evaluate()))
    if metrics[-1].step != trainer.step:
        metrics.append(MetricsPoint.of(trainer.step, trainer.evaluate()))
    view = view_of(trainer, losses, metrics, records[-1] if records else None, diverged is not None)
    return Run(trainer, view, records, diverged)
