"""Others' latency while sessions play flat out (section "playing"): `k` sessions each
playing at full speed with a client that acks every frame at once, while /healthz (a new HTTP
connection each time) and `ping` on an idle socket measure how long anyone else waits.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from bench.common import client_placement, cpu_seconds, live_server, median, percentile, server_cpus
from bench.load import Learner, connect_learners, health_probe, probe_times
from bench.protocol import open_session
from bench.tables import Column, Table, col


async def _playing(url: str, port: int, pid: int, k: int, seconds: float) -> dict[str, Any]:
    """`k` sessions playing at full speed, each client acking every frame at once; /healthz
    and one extra `ping` socket measure how long anyone else waits meanwhile."""
    learners = await connect_learners(url, k)
    steps: dict[int, list[tuple[float, int]]] = {i: [] for i in range(k)}
    end = time.perf_counter() + 1.0 + seconds

    async def player(i: int, lr: Learner) -> None:
        if lr.ws is None:
            return
        try:
            await lr.ws.send(b'{"type":"play"}')
            while time.perf_counter() < end:
                try:
                    raw = await asyncio.wait_for(
                        lr.ws.recv(), timeout=max(0.01, end - time.perf_counter())
                    )
                except TimeoutError:
                    break
                if raw.startswith('{"type":"frame"'):
                    frame = orjson.loads(raw)
                    steps[i].append((time.perf_counter(), frame["step"]))
                    await lr.ws.send(orjson.dumps({"type": "ack", "frame": frame["frame"]}))
                elif raw.startswith('{"type":"error"'):
                    lr.errors.append(raw[:200])
            await lr.ws.send(b'{"type":"pause"}')
        except Exception as exc:
            lr.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    pings: list[float] = []

    async def pinger() -> None:
        ws = await open_session(url, None)
        try:
            await asyncio.sleep(1.0)
            while time.perf_counter() < end:
                t = time.perf_counter()
                await ws.send(b'{"type":"ping"}')
                while orjson.loads(await ws.recv())["type"] != "pong":
                    pass
                pings.append(time.perf_counter() - t)
                await asyncio.sleep(0.1)
        finally:
            await ws.close()

    probe = health_probe(port, seconds + 1.0, 0.1)
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(pinger(), *(player(i, lr) for i, lr in enumerate(learners)))
    cpu1, wall1 = cpu_seconds(pid), time.perf_counter()
    health = probe_times(probe)
    for lr in learners:
        await lr.close()
    rates = []
    for series in steps.values():
        late = [(t, s) for t, s in series if t >= wall0 + 1.0]
        if len(late) >= 2:
            rates.append((late[-1][1] - late[0][1]) / (late[-1][0] - late[0][0]))
    times = health.get("times", [])
    return {
        "playing_sessions": k,
        "seconds": seconds,
        "steps_per_s_total": sum(rates),
        "steps_per_s_per_session": median(rates),
        "server_cpu_util": (cpu1 - cpu0) / (wall1 - wall0),
        "healthz_median_ms": median(times) * 1e3,
        "healthz_p99_ms": percentile(times, 99) * 1e3,
        "healthz_max_ms": max(times, default=float("nan")) * 1e3,
        "healthz_failures": health.get("failures"),
        "ping_median_ms": median(pings) * 1e3,
        "ping_p99_ms": percentile(pings, 99) * 1e3,
        "errors": sum(len(lr.errors) for lr in learners),
    }


def run_playing(k: int, seconds: float) -> dict[str, Any]:
    """`k` sessions playing flat out on one server core: how long do others wait?"""
    server_cores, client_cores = server_cpus()
    with live_server(cpus=server_cores) as server, client_placement(client_cores):
        time.sleep(0.2)
        return asyncio.run(_playing(server.ws_url, server.port, server.process.pid, k, seconds))


def run(quick: bool = False, smoke: bool = False) -> list[dict[str, Any]]:
    """/healthz and `ping` while 1 and 20 sessions play flat out (issue 4: '/healthz answers
    while 20 sessions play')."""
    if smoke:
        return [run_playing(2, 1.0)]
    seconds = 3.0 if quick else 10.0
    return [run_playing(k, seconds) for k in ((20,) if quick else (1, 20))]


PLAYING_TABLE = Table(
    [
        col("sessions playing", "playing_sessions"),
        Column(
            "steps/s (total / per session)",
            lambda r: f"{r['steps_per_s_total']:,.0f} / {r['steps_per_s_per_session']:,.0f}",
        ),
        Column("server CPU", lambda r: f"{r['server_cpu_util'] * 100:.0f} %"),
        Column(
            "/healthz ms (median / p99 / max)",
            lambda r: (
                f"{r['healthz_median_ms']:.1f} / {r['healthz_p99_ms']:.1f} / {r['healthz_max_ms']:.1f}"
            ),
        ),
        Column(
            "ping ms (median / p99)",
            lambda r: f"{r['ping_median_ms']:.1f} / {r['ping_p99_ms']:.1f}",
        ),
        col("errors", "errors"),
    ]
)


def table(rows: list[dict[str, Any]]) -> str:
    return PLAYING_TABLE.text(rows)
