"""History: going back 1 step, seeking 10,000 steps back, and the memory of 10,000 steps.

For the default net and the digits net, in process (no socket):

* ``engine``: `app.engine.History.seek` on a trainer with 10,000+ recorded steps (checkpoint
  every 50 steps + replay). Back 1 step is timed from 50 consecutive positions (the replay
  length depends on the distance to the previous checkpoint: 0..49 steps), median and max.
* ``session``: `Session.back("iteration", 1)` and `Session.seek(newest − 10,000)`, what a `back`
  or `seek` message costs the server, including the `state` and `series` replies it builds
  (not their encoding or the socket).
* ``memory``: `History.memory_bytes` (the checkpoints' arrays) after 10,000 steps, and the
  Python heap the session holds for them (tracemalloc: checkpoints + the per-step chart log).
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from typing import Any

from bench.appapi import Limits
from bench.common import median
from bench.nets import DEFAULT, NETS, Net, make_session
from bench.tables import Column, Table, col, pair

STEPS = 10_000


def _drain(result: Any) -> list[Any]:
    """Session commands return a list of messages or a generator of batches: run it all."""
    if result is None or isinstance(result, list):
        return result or []
    return list(result)


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    _drain(fn())
    return time.perf_counter() - start


def _full_collection_s(repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        gc.collect()
        samples.append(time.perf_counter() - start)
    return median(samples)


def _measure(net: Net, quick: bool, smoke: bool = False) -> dict[str, Any]:
    steps = 200 if smoke else 2_000 if quick else STEPS
    quick = quick or smoke
    make_session(net)  # imports and caches first: they are not this session's objects
    gc.collect()
    objects_before = len(gc.get_objects())
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    session = make_session(net, Limits(max_seek_history=steps))
    built = tracemalloc.get_traced_memory()[0]
    history = session.history
    # Train past the window so that the oldest kept step is `steps` behind the newest.
    every = history.checkpoint_every
    target = steps + 2 * every - 1
    start = time.perf_counter()
    while session.trainer.step < target:
        session.timeline.train_one()
    train_s = time.perf_counter() - start
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    newest = history.newest
    memory = history.memory_bytes
    # The garbage collector's view: objects it must traverse in every full collection, and
    # how much longer a full collection (a pause of the whole event loop) takes with them, at
    # the cost per object measured now.
    objects_after = len(gc.get_objects())
    tracked = objects_after - objects_before
    gc_per_object_s = _full_collection_s() / objects_after

    # Every distance to the previous checkpoint (0..every-1 steps of replay), or a spread of them.
    positions = list(range(newest - every, newest, 5 if quick else 1))
    back_engine = []
    for s in positions:
        history.seek(s)
        back_engine.append(_timed(lambda h=history, t=s - 1: h.seek(t)))
    history.seek(newest)
    fars = [max(history.oldest, newest - steps - k) for k in range(0, every, 5 if quick else 2)]
    far_engine = []
    for far in fars:
        history.seek(newest)
        far_engine.append(_timed(lambda h=history, t=far: h.seek(t)))

    back_session = []
    for s in positions:
        _drain(session.seek(s))
        back_session.append(_timed(lambda: session.back("iteration", 1)))
    far_session = []
    for far in fars:
        _drain(session.seek(newest))
        far_session.append(_timed(lambda t=far: session.seek(t)))
    return {
        "net": net.name,
        "steps": newest - history.oldest,
        "seek_distance": newest - fars[0],
        "checkpoint_every": history.checkpoint_every,
        "train_s": train_s,
        "back1_engine_ms": median(back_engine) * 1e3,
        "back1_engine_max_ms": max(back_engine) * 1e3,
        "seek10k_engine_ms": median(far_engine) * 1e3,
        "seek10k_engine_max_ms": max(far_engine) * 1e3,
        "back1_session_ms": median(back_session) * 1e3,
        "back1_session_max_ms": max(back_session) * 1e3,
        "seek10k_session_ms": median(far_session) * 1e3,
        "seek10k_session_max_ms": max(far_session) * 1e3,
        "history_bytes": memory,
        "session_heap_bytes": held - base,
        "heap_per_step_bytes": (held - built) / newest,
        "gc_tracked_objects": tracked,
        "gc_objects_per_step": tracked / newest,
        "gc_full_ms_per_session": tracked * gc_per_object_s * 1e3,
        "gc_ns_per_object": gc_per_object_s * 1e9,
    }


def run(quick: bool = False, smoke: bool = False) -> list[dict[str, Any]]:
    digits = next(n for n in NETS if "digits" in n.tags)
    return [_measure(DEFAULT, quick, smoke), _measure(digits, quick, smoke)]


TABLE = Table(
    [
        col("network", "net"),
        col("steps kept", "steps", ","),
        pair("engine back 1 ms (median / max)", "back1_engine_ms", "back1_engine_max_ms", ".2f"),
        pair(
            "engine seek −10k ms (median / max)",
            "seek10k_engine_ms",
            "seek10k_engine_max_ms",
            ".2f",
        ),
        pair("session back 1 ms (median / max)", "back1_session_ms", "back1_session_max_ms", ".2f"),
        pair(
            "session seek −10k ms (median / max)",
            "seek10k_session_ms",
            "seek10k_session_max_ms",
            ".2f",
        ),
        Column(
            "checkpoints KiB (History.memory_bytes)", lambda r: f"{r['history_bytes'] / 1024:,.0f}"
        ),
        Column("session heap MiB", lambda r: f"{r['session_heap_bytes'] / 2**20:.1f}"),
        col("heap bytes per step", "heap_per_step_bytes", ".0f"),
        col("GC-tracked objects per step", "gc_objects_per_step", ".2f", missing="nan"),
        col("full GC ms added by this session", "gc_full_ms_per_session", ".2f", missing="nan"),
    ]
)


def table(rows: list[dict[str, Any]]) -> str:
    return TABLE.text(rows)


if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv)))
