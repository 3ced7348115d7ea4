"""Protocol on loopback against a real uvicorn (the CLI's options): round trips, play, staleness.

* Step round trip: send `{"type":"step","unit":"iteration"}`, wait for the `iteration`; median
  and p99 over ≥ 1,000 trips per network (targets for the default net: ≤ 1 ms / ≤ 5 ms). The
  `ping` → `pong` round trip over the same socket is the transport floor.
* Play: 2-8-8-2 (`hidden: [8, 8]`), `play` with no speed limit, a client that acks every frame at
  once; iterations/s from the `step` of the frames (target ≥ 5,000/s).
* Staleness: the same with a client that takes 100 ms per frame. For each frame it measures
  the time from its `ack` to the frame's arrival (an upper bound on the frame's age: the server
  builds the frame after it reads the ack) and, with a `sync` sent on arrival, how many steps
  the server had made beyond the frame (an upper bound: it includes the sync's round trip).
  Target: no frame older than one frame (100 ms). A `sync` sends the whole moment, so the
  server answers at most 2 per second after a burst of 4 (`BPL_SYNC_RATE_PER_S`): the client
  syncs on one frame in `SYNC_EVERY_S` and acks the others without one.

The server is pinned to one core and this client to the other when there are two.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson

from bench.common import client_placement, live_server, median, percentile, server_cpus
from bench.tables import Table, col, pair

CLIENT_OPTIONS: dict[str, Any] = {
    "compression": None,
    "max_size": None,
    "proxy": None,
    "ping_interval": None,
    "open_timeout": 30,  # hundreds of sessions connecting at once (bench.load)
}


# A reply slower than this is a failure, never a hang: a dropped message (a rate limit, a
# refused command) would otherwise leave the bench waiting forever while the server plays on.
RECV_TIMEOUT_S = 60.0
# Within the server's `sync` limit of 2 per second (after a burst of 4).
SYNC_EVERY_S = 0.6


async def _recv(ws: Any) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), RECV_TIMEOUT_S)
    message: dict[str, Any] = orjson.loads(raw)
    return message


async def _until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await _recv(ws)
        if message["type"] == kind:
            return message
        if message["type"] == "error":
            raise RuntimeError(f"server error: {message}")


async def open_session(url: str, config: dict[str, Any] | None) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(url, **CLIENT_OPTIONS)
    try:
        await _until(ws, "series")  # hello, data, state, series
    except BaseException:
        await ws.close()
        raise
    if config:
        await ws.send(orjson.dumps({"type": "configure", "config": config}))
        reply = await _until(ws, "config")
        if reply.get("reset"):
            await _until(ws, "series")
    return ws


STEP = orjson.dumps({"type": "step", "unit": "iteration"})


async def step_trips(ws: Any, trips: int) -> tuple[list[float], int]:
    """`trips` step round trips (`step` → `iteration`) back to back on an open session: the
    seconds of each and the size of the last `iteration`."""
    times = []
    size = 0
    for _ in range(trips):
        start = time.perf_counter()
        await ws.send(STEP)
        raw = await ws.recv()
        while not raw.startswith('{"type":"iteration"'):
            if '"type":"error"' in raw[:40]:
                raise RuntimeError(raw[:300])
            raw = await ws.recv()
        times.append(time.perf_counter() - start)
        size = len(raw)
    return times, size


async def round_trips(url: str, config: dict[str, Any] | None, trips: int) -> dict[str, Any]:
    ws = await open_session(url, config)
    ping = orjson.dumps({"type": "ping"})
    try:
        await step_trips(ws, min(200, trips // 5))  # warm up
        times, size = await step_trips(ws, trips)
        pings = []
        for _ in range(max(100, trips // 2)):
            start = time.perf_counter()
            await ws.send(ping)
            await _until(ws, "pong")
            pings.append(time.perf_counter() - start)
    finally:
        await ws.close()
    return {
        "trips": trips,
        "median_ms": median(times) * 1e3,
        "p99_ms": percentile(times, 99) * 1e3,
        "max_ms": max(times) * 1e3,
        "bytes": size,
        "ping_median_ms": median(pings) * 1e3,
        "ping_p99_ms": percentile(pings, 99) * 1e3,
    }


async def play(
    url: str, config: dict[str, Any] | None, seconds: float, draw_s: float
) -> dict[str, Any]:
    """Play for `seconds` with a client that spends `draw_s` on each frame before acking."""
    ws = await open_session(url, config)
    frames: list[tuple[float, int]] = []  # (arrival, step)
    ack_to_frame: list[float] = []
    steps_behind: list[int] = []
    sync_rtt: list[float] = []
    reported_rate: list[float] = []
    try:
        await ws.send(orjson.dumps({"type": "play"}))
        end = time.perf_counter() + seconds
        acked_at: float | None = None
        n_sync = 0
        last_sync = 0.0
        while time.perf_counter() < end:
            message = await _recv(ws)
            kind = message["type"]
            if kind == "error":
                raise RuntimeError(f"server error: {message}")
            if kind != "frame":
                continue
            arrival = time.perf_counter()
            frames.append((arrival, message["step"]))
            reported_rate.append(message.get("steps_per_second") or 0.0)
            if acked_at is not None:
                ack_to_frame.append(arrival - acked_at)
            if draw_s > 0 and arrival - last_sync >= SYNC_EVERY_S:
                n_sync += 1
                t = last_sync = time.perf_counter()
                await ws.send(orjson.dumps({"type": "sync", "id": n_sync}))
                while True:
                    reply = await _recv(ws)
                    if reply["type"] == "error":
                        raise RuntimeError(f"server error: {reply}")
                    if reply["type"] == "state" and reply.get("id") == n_sync:
                        break
                sync_rtt.append(time.perf_counter() - t)
                steps_behind.append(reply["step"] - message["step"])
            if draw_s > 0:
                await asyncio.sleep(max(0.0, arrival + draw_s - time.perf_counter()))
            acked_at = time.perf_counter()
            await ws.send(orjson.dumps({"type": "ack", "frame": message["frame"]}))
        await ws.send(orjson.dumps({"type": "pause"}))
    finally:
        await ws.close()
    if len(frames) < 2:
        raise RuntimeError("fewer than two frames arrived")
    (t0, s0), (t1, s1) = frames[len(frames) // 10], frames[-1]  # skip the start-up
    rate = (s1 - s0) / (t1 - t0)
    out: dict[str, Any] = {
        "seconds": t1 - t0,
        "iterations_per_s": rate,
        "server_reported_per_s": median(reported_rate[len(reported_rate) // 10 :]),
        "frames_per_s": (len(frames) - 1 - len(frames) // 10) / (t1 - t0),
        "frames": len(frames),
        "ack_to_frame_median_ms": median(ack_to_frame) * 1e3,
        "ack_to_frame_p99_ms": percentile(ack_to_frame, 99) * 1e3,
        "ack_to_frame_max_ms": max(ack_to_frame, default=float("nan")) * 1e3,
    }
    if steps_behind:
        out.update(
            {
                "steps_behind_median": median(steps_behind),
                "steps_behind_p99": percentile(steps_behind, 99),
                "steps_behind_max": max(steps_behind),
                "sync_rtt_median_ms": median(sync_rtt) * 1e3,
                "ms_behind_median": median(steps_behind) / rate * 1e3 if rate else None,
                "ms_behind_p99": percentile(steps_behind, 99) / rate * 1e3 if rate else None,
                "ms_behind_max": max(steps_behind) / rate * 1e3 if rate else None,
            }
        )
    return out


async def _all(url: str, quick: bool, smoke: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    trips = 50 if smoke else 1000 if quick else 3000
    for name, config, n in (
        ("2-4-2-2 b10 (default)", None, trips),
        ("2-8-8-2 b10", {"hidden": [8, 8]}, trips),
        (
            "64-32-10 b64 (digits)",
            {"dataset": "digits", "hidden": [32], "batch_size": 64},
            20 if smoke else 200 if quick else 1000,
        ),
    ):
        rows.append({"kind": "round_trip", "net": name, **await round_trips(url, config, n)})
    play_s = 1.0 if smoke else 3.0 if quick else 10.0
    small = {"hidden": [8, 8]}
    rows.append(
        {"kind": "play", "net": "2-8-8-2 b10", "client": "acks at once",
         **await play(url, small, play_s, 0.0)}
    )  # fmt: skip
    # ~10 frames/s: twice as long for enough frames to give a p99.
    rows.append(
        {"kind": "play", "net": "2-8-8-2 b10", "client": "100 ms per frame",
         **await play(url, small, 2 * play_s, 0.1)}
    )  # fmt: skip
    rows.append(
        {"kind": "play", "net": "2-4-2-2 b10 (default)", "client": "acks at once",
         **await play(url, None, play_s / 2, 0.0)}
    )  # fmt: skip
    # TF Playground's largest network: 6 hidden layers of 8 (its anchor is 7-10 epochs/s).
    six = {"hidden": [8] * 6}
    row = {"kind": "play", "net": "2-8×6-2 b10 (6×8)", "client": "acks at once",
           **await play(url, six, play_s / 2, 0.0)}  # fmt: skip
    row["steps_per_epoch"] = await _steps_per_epoch(url, six)
    row["epochs_per_s"] = row["iterations_per_s"] / row["steps_per_epoch"]
    rows.append(row)
    return rows


async def _steps_per_epoch(url: str, config: dict[str, Any]) -> int:
    """Updates per epoch of the default data at this batch size (from the `data` message)."""
    ws = await open_session(url, config)
    try:
        await ws.send(orjson.dumps({"type": "step", "unit": "epoch"}))
        state = await _until(ws, "state")
    finally:
        await ws.close()
    return int(state["step"])


def run(quick: bool = False, smoke: bool = False) -> list[dict[str, Any]]:
    server_cores, client_cores = server_cpus()
    with live_server(cpus=server_cores) as server, client_placement(client_cores):
        return asyncio.run(_all(server.ws_url, quick or smoke, smoke))


ROUND_TRIP_TABLE = Table(
    [
        col("network", "net"),
        col("trips", "trips", ","),
        col("median ms", "median_ms", ".3f"),
        col("p99 ms", "p99_ms", ".2f"),
        col("max ms", "max_ms", ".1f"),
        col("bytes", "bytes", ","),
        col("ping median ms", "ping_median_ms", ".3f"),
        col("ping p99 ms", "ping_p99_ms", ".2f"),
    ]
)
PLAY_TABLE = Table(
    [
        col("network", "net"),
        col("client", "client"),
        col("it/s", "iterations_per_s", ",.0f"),
        col("server-reported it/s", "server_reported_per_s", ",.0f"),
        col("frames/s", "frames_per_s", ".1f"),
        pair("ack→frame ms (median / p99)", "ack_to_frame_median_ms", "ack_to_frame_p99_ms", ".1f"),
        pair("steps behind (median / max)", "steps_behind_median", "steps_behind_max", ".0f"),
        pair("ms behind (median / max)", "ms_behind_median", "ms_behind_max", ".1f"),
        col("epochs/s", "epochs_per_s", ".0f"),
    ]
)


def split(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The round-trip rows and the play rows."""
    return [r for r in rows if r["kind"] == "round_trip"], [r for r in rows if r["kind"] == "play"]


def table(rows: list[dict[str, Any]]) -> str:
    trips, plays = split(rows)
    return ROUND_TRIP_TABLE.text(trips) + "\n\n" + PLAY_TABLE.text(plays)


if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv)))
