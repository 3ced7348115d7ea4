"""Uploaded CSV datasets of one process, by id, bounded in count per browser and in bytes."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Any

import numpy as np

from app.engine import Dataset
from app.server.checkpoints import CheckpointStore


def dataset_bytes(dataset: Dataset) -> int:
    """Bytes of the arrays a dataset holds (what it costs in memory)."""
    return sum(v.nbytes for v in vars(dataset).values() if isinstance(v, np.ndarray))


class DatasetStore:
    """Uploaded CSV datasets by id: immutable once stored, shared by id only.

    Bounded: at most `per_browser` uploads per browser cookie (cookie-less clients share one
    budget), and `max_bytes` of arrays in memory in total; the least recently used goes first.
    A dataset pushed out of memory stays on disk (if checkpoints are on) and is read again when
    a session asks for it; one pushed out of its browser's budget is deleted from disk too.
    """

    def __init__(
        self, checkpoints: CheckpointStore | None, per_browser: int = 4, max_bytes: int = 64 << 20
    ) -> None:
        self._data: OrderedDict[str, Dataset] = OrderedDict()
        self._owner: dict[str, str | None] = {}
        self._checkpoints = checkpoints
        self.per_browser = per_browser
        self.max_bytes = max_bytes

    @property
    def nbytes(self) -> int:
        return sum(dataset_bytes(d) for d in self._data.values())

    def __contains__(self, dataset_id: object) -> bool:
        return dataset_id in self._data

    def add(
        self, dataset: Dataset, csv_text: str, options: dict[str, Any], browser: str | None = None
    ) -> str:
        dataset_id = secrets.token_urlsafe(12)
        mine = [i for i, owner in self._owner.items() if owner == browser]
        for old in mine[: max(0, len(mine) - self.per_browser + 1)]:  # oldest upload first
            self.forget(old, from_disk=True)
        self._data[dataset_id] = dataset
        self._owner[dataset_id] = browser
        if self._checkpoints is not None:
            self._checkpoints.save_dataset(dataset_id, csv_text, options)
        self._trim(keep=dataset_id)
        return dataset_id

    def get(self, dataset_id: str) -> Dataset | None:
        found = self._data.get(dataset_id)
        if found is not None:
            self._data.move_to_end(dataset_id)
        elif self._checkpoints is not None:
            found = self._checkpoints.load_dataset(dataset_id)
            if found is not None:
                self._data[dataset_id] = found
                self._trim(keep=dataset_id)
        return found

    def forget(self, dataset_id: str, from_disk: bool = False) -> None:
        """Free a dataset's memory (sessions built on it keep their own reference)."""
        self._data.pop(dataset_id, None)
        if from_disk:
            self._owner.pop(dataset_id, None)
            if self._checkpoints is not None:
                self._checkpoints.delete_dataset(dataset_id)

    def _trim(self, keep: str) -> None:
        total = self.nbytes
        for dataset_id in list(self._data):
            if total <= self.max_bytes:
                break
            if dataset_id != keep:
                total -= dataset_bytes(self._data.pop(dataset_id))
