"""Take it home: the moment a session is at, as a runnable script that trains on from there.

Two flavours of one self-contained Python file: ``numpy`` (the whole algorithm from scratch:
forward, loss, backward, update; NumPy only) and ``torch`` (``torch.nn.Sequential`` and
``torch.optim`` with the optimizer's state loaded). Both embed the data, the weights, the
optimizer state, the epoch's order and the random generators' states exactly, and print the
batch loss of each step as the app numbers steps.

>>> from app.engine import TrainConfig, Trainer
>>> trainer = Trainer(TrainConfig(dataset="xor"))
>>> _ = trainer.train_step()
>>> source = export_script(trainer.capture(), trainer.data, "numpy", steps=5)
>>> "step=2 batch_loss=" in source
True
"""

from __future__ import annotations

from typing import Literal

from app.engine import Dataset, TrainerState
from app.takehome.common import filename
from app.takehome.moment import build_moment
from app.takehome.numpy_flavour import numpy_script
from app.takehome.torch_flavour import torch_script

Flavour = Literal["numpy", "torch"]
FLAVOURS: tuple[Flavour, ...] = ("numpy", "torch")
DEFAULT_STEPS = 100
MAX_STEPS = 10_000

__all__ = ["DEFAULT_STEPS", "FLAVOURS", "MAX_STEPS", "Flavour", "export_script", "filename"]


def export_script(
    state: TrainerState, data: Dataset, flavour: str = "numpy", steps: int = DEFAULT_STEPS
) -> str:
    """The script (source text) that trains ``steps`` more steps from ``state`` on ``data``.

    ``state`` is ``Trainer.capture()`` (its ``config`` holds the live hyperparameters) and
    ``data`` the trainer's ``Dataset``. Raises ``ValueError`` for an unknown flavour, steps
    outside 1..``MAX_STEPS`` or a state that does not belong to ``data``.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {flavour!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in 1..{MAX_STEPS}, not {steps!r}")
    moment = build_moment(state, data)
    if flavour == "numpy":
        return numpy_script(moment, steps)
    return torch_script(moment, steps)
