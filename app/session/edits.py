"""Changing what a timeline trains: a new network, live settings, one weight or bias.

Each is a command generator like the timeline's own (`app.session.timeline`): it is checked
before anything changes (a refusal leaves the session as it was), then yields domain events.
An edit at a step branches the timeline there: the recorded future after it is void.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.engine import TrainConfig
from app.limits import check_limits
from app.protocol import ProtocolError
from app.session.events import Edited, Events, Rebuilt, Reconfigured
from app.session.timeline import Timeline, replace_config


def rebuild(
    tl: Timeline, cfg: TrainConfig, dataset_id: str | None, announce: bool
) -> Iterator[Events]:
    """A new network for `cfg` (checked first: a refusal changes nothing)."""
    trainer = tl.make_trainer(cfg, dataset_id)
    tl.settle()
    tl.dataset_id = dataset_id if cfg.dataset == "custom" else None
    tl.install(trainer)
    yield from tl.evaluate_sliced()
    yield [Rebuilt(announce)]


def retune(tl: Timeline, changed: dict[str, Any]) -> Iterator[Events]:
    """Live hyperparameters from the next update; a phase walk on screen is redone."""
    cfg = replace_config(tl.trainer.config, changed)  # validates before anything changes
    check_limits(cfg, tl.custom(cfg, tl.dataset_id), tl.limits)
    revealed = tl.revealed
    tl.settle()
    tl.branch()
    tl.trainer.update_hyper(**changed)  # History checkpoints the changed state
    out = tl.open_walk(revealed) if revealed else []
    yield [Reconfigured(), *out]


def set_parameter(
    tl: Timeline, layer: int, row: int, col: int | None, value: float
) -> Iterator[Events]:
    """Set W[layer][row, col] (or b[layer][row] when `col` is None) at the moment shown."""
    n_layers = len(tl.trainer.W)
    if not 1 <= layer <= n_layers:
        raise ProtocolError("out_of_range", f"layer: must be 1..{n_layers}")
    out_units, in_units = tl.trainer.W[layer - 1].shape
    if not 0 <= row < out_units:
        raise ProtocolError("out_of_range", f"row: layer {layer} has units 0..{out_units - 1}")
    if col is not None and not 0 <= col < in_units:
        raise ProtocolError("out_of_range", f"col: layer {layer - 1} has units 0..{in_units - 1}")
    tl.settle()
    tl.branch()
    if col is None:
        tl.trainer.set_bias(layer, row, value)
    else:
        tl.trainer.set_weight(layer, row, col, value)
    yield from tl.evaluate_sliced()
    yield [Edited()]
