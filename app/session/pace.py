"""How long a session may work before yielding to the event loop."""

from __future__ import annotations

from typing import Protocol

SLICE_S = 0.002  # longest stretch of training between two yields when nothing else is busy


class Pace(Protocol):
    """How long a stretch of work may last before yielding (the hub shares a round out)."""

    busy: set[object]

    def slice_s(self) -> float: ...


class FixedPace:
    """A pace of its own: `SLICE_S` (a session driven without a hub, as in a notebook)."""

    def __init__(self) -> None:
        self.busy: set[object] = set()

    def slice_s(self) -> float:
        return SLICE_S
