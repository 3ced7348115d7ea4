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
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.engine import Dataset, TrainConfig, Trainer
    from app.limits import Limits
    from app.protocol import dumps, parse_client_message
    from app.session import Session
    from app.session.messages import iteration_message

__all__ = [
    "Dataset",
    "Limits",
    "Session",
    "TrainConfig",
    "Trainer",
    "dumps",
    "iteration_message",
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
    "iteration_message": "app.session.messages",
}

# Where a tree keeps the options its `backprop-lab` command gives uvicorn, newest first; a
# tree with none of them (another release) gets RELEASE1_UVICORN_OPTIONS, the options of
# release 1 (b5d8997): the sans-io websockets protocol, no per-message deflate, frames capped
# at twice the 65,536-byte message limit, 5 s of graceful shutdown.
UVICORN_OPTIONS_AT = ("app.cli:UVICORN_OPTIONS",)
RELEASE1_UVICORN_OPTIONS = {
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "ws_max_size": 131072,
    "timeout_graceful_shutdown": 5,
}

# A uvicorn serving `app.main:app` of the tree argv[2] on port argv[1], with its CLI's options
# (argv[3]: UVICORN_OPTIONS_AT joined by commas, argv[4]: the fallback as JSON). It prints
# where `app` and the options came from, so a caller can check it served the tree it meant.
SERVER_SCRIPT = r"""
import importlib, json, sys
from pathlib import Path
tree = Path(sys.argv[2]).resolve()
sys.path.insert(0, str(tree))
import app
where = Path(app.__file__).resolve()
print("bench: app from", where, flush=True)
if not where.is_relative_to(tree):
    sys.exit(f"app imported from {where}, not from {tree}")
options, source = json.loads(sys.argv[4]), "bench.appapi.RELEASE1_UVICORN_OPTIONS"
for place in sys.argv[3].split(","):
    module, name = place.split(":")
    try:
        options, source = getattr(importlib.import_module(module), name), place
        break
    except (ImportError, AttributeError):
        pass
print("bench: uvicorn options from", source, options, flush=True)
import uvicorn
uvicorn.run("app.main:app", host="127.0.0.1", port=int(sys.argv[1]), **options)
"""


def server_command(port: int, tree: Path) -> list[str]:
    """The argv of a server process for SERVER_SCRIPT (run it with this interpreter)."""
    return [
        sys.executable, "-c", SERVER_SCRIPT, str(port), str(tree),
        ",".join(UVICORN_OPTIONS_AT), json.dumps(RELEASE1_UVICORN_OPTIONS),
    ]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
