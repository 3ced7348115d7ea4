"""What a command did to a timeline, as plain facts; `messages.render` says them in the
protocol. A command yields lists of these between slices of work (an empty list: no news)."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine import Diverged, IterationRecord


@dataclass(frozen=True)
class PhaseRevealed:
    record: IterationRecord
    index: int


@dataclass(frozen=True)
class IterationDone:
    record: IterationRecord
    losses: list[tuple[int, float]]


@dataclass(frozen=True)
class WentDiverged:
    error: Diverged


@dataclass(frozen=True)
class Moved:
    """The moment changed to an earlier (or any kept) one: back or seek."""


@dataclass(frozen=True)
class Rebuilt:
    """A new network (rebuild or reset); `announce`: the config changed with it."""

    announce: bool


@dataclass(frozen=True)
class Reconfigured:
    """Live hyperparameters changed (or not: the config is confirmed)."""


@dataclass(frozen=True)
class Edited:
    """A weight or bias was set by hand."""


@dataclass(frozen=True)
class Shown:
    """The moment as it is now (after an epoch, or asked for)."""


Event = (
    PhaseRevealed | IterationDone | WentDiverged | Moved | Rebuilt | Reconfigured | Edited | Shown
)
Events = list[Event]
