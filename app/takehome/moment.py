"""What a generated script needs to know about the moment it continues from.

Everything is read from a ``TrainerState`` (``Trainer.capture()``) and the trainer's
``Dataset``; nothing of the engine's internals is imported. The conventions the scripts
reproduce are the engine's (read there, written out here and in the scripts):

* steps are numbered from 1: the state's ``step`` updates are done, the next is ``step + 1``;
* a batch is ``order[position : position + batch_size]`` (the last one of an epoch may be
  shorter); the batch that reaches the end of ``order`` completes the epoch, and the next
  epoch's order is drawn right after that update as ``rng_order.permutation(n_train)``;
* dropout (only with a rate ``p > 0`` and at least one hidden layer) draws, before each forward
  pass, one ``rng_dropout.random((m, units)) >= p`` keep-mask per hidden layer, first to last,
  and multiplies the activation ``f(Z)`` by ``mask / (1 − p)`` (inverted dropout);
* L1/L2 act on weights, not biases, through the gradient: ``l2·W + l1·sign(W)``, with
  ``sign(0) = 0``;
* optimizer state slots are in the order ``W1, b1, W2, b2, …`` with torch's names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine import OPTIMIZERS, Dataset, TrainConfig, TrainerState
from app.takehome.embed import array_source, generator_state_source


@dataclass(frozen=True)
class Moment:
    """The facts and embedded sources shared by both flavours."""

    config: TrainConfig
    step: int
    epoch: int
    position: int
    n_train: int
    n_test: int
    sizes: tuple[int, ...]
    task: str
    n_classes: int
    dropout_active: bool
    feature_names: tuple[str, ...]
    dataset: str
    t: int
    sources: Mapping[str, str]
    """``unpack(...)`` or literal sources by name: X_train, y_train, X_test, y_test, order,
    W1.., b1.., rng_order, rng_dropout and the optimizer slots ``<slot>_<param>``."""

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def has_state(self) -> bool:
        return self.t > 0 and bool(OPTIMIZERS[self.config.optimizer])


def build_moment(state: TrainerState, data: Dataset) -> Moment:
    """Check that ``state`` belongs to ``data`` and prepare the embedded sources."""
    cfg = state.config
    n_train = len(data.X_train)
    if len(state.order) != n_train or state.W[0].shape[1] != data.X_train.shape[1]:
        raise ValueError("this trainer state does not belong to this data set")
    for name, gen in (("rng_order", state.rng_order), ("rng_dropout", state.rng_dropout)):
        if gen.get("bit_generator") != "PCG64":
            raise ValueError(f"{name}: only PCG64 generators can be exported")
    sizes = (int(state.W[0].shape[1]), *(int(w.shape[0]) for w in state.W))
    sources: dict[str, str] = {
        "X_train": array_source(data.X_train),
        "y_train": array_source(data.y_train),
        "X_test": array_source(data.X_test),
        "y_test": array_source(data.y_test),
        "order": array_source(np.asarray(state.order)),
        "rng_order": generator_state_source(state.rng_order),
        "rng_dropout": generator_state_source(state.rng_dropout),
    }
    for l, (W, b) in enumerate(zip(state.W, state.b, strict=True), 1):
        sources[f"W{l}"] = array_source(W)
        sources[f"b{l}"] = array_source(b)
    opt = state.optimizer
    names = OPTIMIZERS[opt.name]
    if opt.name != cfg.optimizer:
        raise ValueError(f"optimizer state is {opt.name}, config says {cfg.optimizer}")
    for i, slot in enumerate(opt.slots):
        param = f"{'Wb'[i % 2]}{i // 2 + 1}"
        for slot_name, a in zip(names, slot, strict=True):
            sources[f"{slot_name}_{param}"] = array_source(a)
    return Moment(
        config=cfg,
        step=state.step,
        epoch=state.epoch,
        position=state.position,
        n_train=n_train,
        n_test=len(data.X_test),
        sizes=sizes,
        task=data.task,
        n_classes=data.n_classes,
        dropout_active=cfg.dropout > 0.0 and len(state.W) > 1,
        feature_names=data.feature_names,
        dataset=data.name,
        t=opt.t if opt.slots else 0,
        sources=sources,
    )


def specialise(template: str, **flags: bool) -> str:
    """Keep the lines of ``template`` whose ``#?flag`` / ``#?!flag`` marker holds, unmarked.

    A marker at the end of a line (after two spaces) names a flag; ``!`` negates it.
    """
    out = []
    for line in template.splitlines():
        match = re.search(r"\s+#\?(!?)(\w+)$", line)
        if match is None:
            out.append(line)
            continue
        negate, flag = match.group(1) == "!", match.group(2)
        if flags[flag] != negate:
            out.append(line[: match.start()])
    return "\n".join(out) + "\n"


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace each ``<<name>>`` in ``template`` by ``values[name]``."""

    def one(match: re.Match[str]) -> str:
        return str(values[match.group(1)])

    return re.sub(r"<<(\w+)>>", one, template)
