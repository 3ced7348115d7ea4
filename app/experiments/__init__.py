"""Guided experiments: a catalogue of settings that each show one lesson of backpropagation.

``catalogue.json`` is the data (one entry per experiment: config, steps, where to watch, the
explanation and a declarative ``check``); ``checks`` evaluates a check, and answers a
"predict, then see" question, from what a live session holds. Pure Python and NumPy, no
server code: the server serves the list and evaluates the checks on its sessions.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).with_name("catalogue.json")
"""The catalogue file, next to this module (carried into the wheel as package data)."""


@cache
def _load_text() -> str:
    return CATALOGUE_PATH.read_text(encoding="utf-8")


def load_catalogue() -> list[dict[str, Any]]:
    """The experiments in catalogue order (a fresh copy each call: callers may modify it)."""
    entries: list[dict[str, Any]] = json.loads(_load_text())
    return entries


def experiment(experiment_id: str) -> dict[str, Any]:
    """The entry with this ``id``; ``KeyError`` if there is none."""
    for entry in load_catalogue():
        if entry["id"] == experiment_id:
            return entry
    raise KeyError(experiment_id)
