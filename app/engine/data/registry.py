"""Which data sets exist, and the small spec the data layer needs to build one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from app.engine.types import Task


@dataclass(frozen=True)
class DatasetInfo:
    """What the page needs to know about a data set before building it."""

    task: Task
    description: str


DATASETS: Mapping[str, DatasetInfo] = MappingProxyType(
    {
        "circle": DatasetInfo("classification", "a disc inside a ring"),
        "xor": DatasetInfo("classification", "four quadrants, opposite ones alike"),
        "gauss": DatasetInfo("classification", "two Gaussian blobs"),
        "spiral": DatasetInfo("classification", "two interleaved spirals"),
        "moons": DatasetInfo("classification", "two interleaving half circles"),
        "plane": DatasetInfo("regression", "a tilted plane: y = (x1 + x2) / 10"),
        "multigauss": DatasetInfo("regression", "six Gaussian bumps of alternating sign"),
        "digits": DatasetInfo("classification", "8×8 handwritten digits, 10 classes"),
        "custom": DatasetInfo("classification", "your CSV (classification or regression)"),
    }
)
"""Data set names → task and a one-line description, in the order the page lists them."""


class DataSpec(Protocol):
    """The six fields of a configuration that decide its data (``TrainConfig`` has them).

    ``dataset`` names an entry of ``DATASETS``; ``samples``, ``noise`` (a fraction 0..1) and
    ``features`` shape generated 2-D data; ``test_fraction`` and ``data_seed`` the split.
    """

    @property
    def dataset(self) -> str: ...
    @property
    def samples(self) -> int: ...
    @property
    def noise(self) -> float: ...
    @property
    def test_fraction(self) -> float: ...
    @property
    def data_seed(self) -> int: ...
    @property
    def features(self) -> tuple[str, ...]: ...
