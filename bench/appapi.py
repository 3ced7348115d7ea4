"""Every name the benchmarks take from the app, in one place.

The app is being restructured (modules move, `app.session` becomes a package): when a name
moves, change `_WHERE` (or the server command below) and nothing else in bench/.
Names are imported on first use, so a process that only needs the engine (bench.compare's
engine worker, which may run against another release's tree) imports only `app.engine`.

Stable across releases, and all that bench.compare uses against a baseline tree:
`app.engine.TrainConfig`/`Trainer`/`Dataset`, the ASGI app `app.main:app` and the WebSocket
protocol (docs/protocol.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.engine import Dataset, TrainConfig, Trainer
    from app.limits import Limits
    from app.protocol import dumps, parse_client_message
    from app.session import Session

__all__ = [
    "Dataset",
    "Limits",
    "Session",
    "TrainConfig",
    "Trainer",
    "dumps",
    "parse_client_message",
]

_WHERE = {
    "Dataset": "app.engine",
    "TrainConfig": "app.engine",
    "Trainer": "app.engine",
    "Limits": "app.limits",
    "Session": "app.session",
    "dumps": "app.protocol",
    "parse_client_message": "app.protocol",
}

# A uvicorn serving `app.main:app` with the options of the `backprop-lab` command
# (`app.cli.UVICORN_OPTIONS`: the sans-io websockets protocol, no per-message deflate, the
# frame-size cap). argv: port, then the tree whose `app` must be served; it prints where the
# `app` package came from, so a caller can check it served the tree it meant.
SERVER_SCRIPT = r"""
import sys
from pathlib import Path
tree = Path(sys.argv[2]).resolve()
sys.path.insert(0, str(tree))
import app
where = Path(app.__file__).resolve()
print("bench: app from", where, flush=True)
if not where.is_relative_to(tree):
    sys.exit(f"app imported from {where}, not from {tree}")
import uvicorn
from app.cli import UVICORN_OPTIONS
uvicorn.run("app.main:app", host="127.0.0.1", port=int(sys.argv[1]), **UVICORN_OPTIONS)
"""


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
