"""Serialization: bytes and microseconds per `iteration` and `frame` message, per network.

In process, no socket: an `app.session.Session` is driven as the socket loop drives it and its
messages are encoded with `app.protocol.dumps` (orjson, numpy arrays as round-trip floats).
Per message it reports

* ``handle_us``: `Session.handle(step)` — the engine step, the whole-set metrics the message
  carries, and building the message dict (everything the server does for one step except
  encoding and the socket);
* ``build_us``: building the message dict alone from the last record;
* ``encode_us``: `dumps` of that dict; ``bytes``: its UTF-8 size.

For `frame` (play mode), ``build_us`` is `Session.frame_message()` (weights, losses since the
last frame, whole-set metrics, diagnostics) and ``handle_us`` is not applicable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from bench.common import median
from bench.nets import NETS, make_session
from bench.tables import Column, Table, col


def _time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    samples = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return median(samples), result


def run(quick: bool = False, smoke: bool = False) -> list[dict[str, Any]]:
    from bench.appapi import dumps, iteration_message, parse_client_message

    repeats = 3 if smoke else 30 if quick else 300
    step_msg = parse_client_message(b'{"type":"step","unit":"iteration"}')
    rows: list[dict[str, Any]] = []
    for net in NETS:
        session = make_session(net)
        for _ in range(5):  # warm up
            list(session.handle(step_msg))

        def handle(s: Any = session) -> list[Any]:
            return [m for batch in s.handle(step_msg) for m in batch]

        handle_s, messages = _time(handle, repeats)
        iteration = next(m for m in messages if m["type"] == "iteration")
        record = session.timeline.last_record
        losses = iteration["losses"]
        build_s, iteration = _time(
            lambda s=session, r=record, l=losses: iteration_message(s.timeline, r, l), repeats
        )
        encode_s, text = _time(lambda m=iteration: dumps(m), repeats)
        rows.append(
            {
                "net": net.name,
                "message": "iteration",
                "bytes": len(text.encode()),
                "handle_us": handle_s * 1e6,
                "build_us": build_s * 1e6,
                "encode_us": encode_s * 1e6,
                "truncated": bool(iteration.get("truncated")),
                "note": net.note,
            }
        )
        # Play mode: train a little between frames, as the play loop does.
        session.start_play(None)
        frame_build: list[float] = []
        frame_encode: list[float] = []
        text = ""
        for _ in range(max(5, repeats // 3)):
            session.play_slice(0.0005)
            start = time.perf_counter()
            frame = session.frame_message()
            mid = time.perf_counter()
            text = dumps(frame)
            frame_build.append(mid - start)
            frame_encode.append(time.perf_counter() - mid)
        session.stop_play()
        rows.append(
            {
                "net": net.name,
                "message": "frame",
                "bytes": len(text.encode()),
                "handle_us": None,
                "build_us": median(frame_build) * 1e6,
                "encode_us": median(frame_encode) * 1e6,
                "truncated": False,
                "note": net.note,
            }
        )
    return rows


TABLE = Table(
    [
        col("network", "net"),
        Column("message", lambda r: f"`{r['message']}`"),
        col("bytes", "bytes", ","),
        col("handle µs", "handle_us", ".0f"),
        col("build µs", "build_us", ".0f"),
        col("encode µs", "encode_us", ".0f"),
        Column("MB/s encoded", lambda r: f"{r['bytes'] / max(r['encode_us'], 1e-9):.0f}"),
    ]
)


def table(rows: list[dict[str, Any]]) -> str:
    return TABLE.text(rows)


if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv)))
