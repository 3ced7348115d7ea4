"""Capacity: N sessions each stepping at 10 Hz against one server process (loopback only).

Each simulated learner opens `/ws` (no Origin, like a script), then sends
`{"type":"step","unit":"iteration"}` every 100 ms on a fixed schedule and times the round trip
to its `iteration`. A level passes when the p99 of those round trips is < 100 ms, every session
kept its 10 Hz, and there were zero errors (error messages, closed sockets, failed connects).
Per level it also reports server CPU per step and utilisation (/proc/<pid>/stat), memory per
session (RSS delta / N), `/healthz` latency during the load (a separate probe process), and
the client's own CPU, so a client-bound result shows.

The server is one uvicorn process (one event loop = one core) pinned to one core, the client to
the other core(s). Bounded: at most `MAX_SESSIONS` sessions, every level has a fixed duration.

    python -m bench.load --sessions 100 --duration 10          # one level
    python -m bench.load --search                              # find the largest N (full)
    python -m bench.load --search --quick                      # a short smoke version
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.common import (
    client_placement,
    cpu_seconds,
    live_server,
    machine_cpu_seconds,
    median,
    percentile,
    rss_bytes,
    runqueue_wait_seconds,
    server_cpus,
)
from bench.protocol import open_session

RATE_HZ = 10.0
P99_LIMIT_MS = 100.0
MAX_SESSIONS = 3000
CONNECT_BATCH = 25

HEALTH_PROBE = r"""
import json, os, socket, sys, time
port, seconds, period = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
stop = sys.argv[4] if len(sys.argv) > 4 else None
request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
times, failures = [], 0
end = time.monotonic() + seconds
while time.monotonic() < end and not (stop and os.path.exists(stop)):
    start = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        ok = data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    elapsed = time.perf_counter() - start
    if ok:
        times.append(elapsed)
    else:
        failures += 1
    time.sleep(max(0.0, period - elapsed))
print(json.dumps({"times": times, "failures": failures}))
"""


def health_probe(
    port: int, seconds: float, period: float, stop: Path | None = None
) -> subprocess.Popen[str]:
    """/healthz every `period` s for `seconds` (or until the file `stop` exists), in its own
    process so that this client's event loop does not delay it."""
    args = [str(port), str(seconds), str(period), *([str(stop)] if stop else [])]
    return subprocess.Popen(
        [sys.executable, "-c", HEALTH_PROBE, *args], stdout=subprocess.PIPE, text=True
    )


def probe_times(probe: subprocess.Popen[str]) -> dict[str, Any]:
    """The probe's answer times (s) and failures, once it has finished."""
    out, _ = probe.communicate(timeout=60)
    return dict(json.loads(out.strip().splitlines()[-1])) if out.strip() else {}


class Learner:
    """One simulated student: a socket that steps at `rate` Hz and times each round trip."""

    def __init__(self, url: str, rate: float) -> None:
        self.url = url
        self.period = 1.0 / rate
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.steps = 0
        self.late = 0  # sends that could not keep the schedule
        self.ws: Any = None
        self.last_iteration = ""  # the text of the newest `iteration` received

    async def connect(self) -> None:
        try:
            self.ws = await open_session(self.url, None)
        except Exception as exc:
            self.errors.append(f"connect: {type(exc).__name__}: {exc}"[:200])
            self.ws = None

    async def drive(self, start: float, record_from: float, end: float) -> None:
        if self.ws is None:
            return
        step = b'{"type":"step","unit":"iteration"}'
        due = start
        try:
            while True:
                now = time.perf_counter()
                if due > now:
                    await asyncio.sleep(due - now)
                sent = time.perf_counter()
                if sent >= end:
                    break
                if sent - due > self.period:
                    self.late += 1
                await self.ws.send(step)
                while True:
                    raw = await self.ws.recv()
                    if raw.startswith('{"type":"iteration"'):
                        self.last_iteration = raw
                        break
                    if raw.startswith('{"type":"error"'):
                        self.errors.append(raw[:200])
                        break
                if sent >= record_from:
                    self.latencies.append(time.perf_counter() - sent)
                    self.steps += 1
                due += self.period
                if due < time.perf_counter() - self.period:  # hopelessly behind: resync
                    due = time.perf_counter()
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    async def prefill(self, steps: int) -> None:
        """Age the session: `steps` updates in messages of 1,000 (the protocol's maximum)."""
        if self.ws is None:
            return
        try:
            while steps > 0:
                count = min(1000, steps)
                await self.ws.send(
                    orjson.dumps({"type": "step", "unit": "iteration", "count": count})
                )
                while True:
                    raw = await self.ws.recv()
                    if raw.startswith('{"type":"iteration"'):
                        break
                    if raw.startswith('{"type":"error"'):
                        self.errors.append(f"prefill: {raw[:200]}")
                        return
                steps -= count
        except Exception as exc:
            self.errors.append(f"prefill: {type(exc).__name__}: {exc}"[:200])

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


async def connect_learners(url: str, n: int) -> list[Learner]:
    """`n` learners with open sessions (`CONNECT_BATCH` connecting at a time)."""
    learners = [Learner(url, RATE_HZ) for _ in range(n)]
    for i in range(0, n, CONNECT_BATCH):
        await asyncio.gather(*(lr.connect() for lr in learners[i : i + CONNECT_BATCH]))
    return learners


async def drive_window(
    learners: list[Learner], warmup: float, duration: float, meter: Callable[[], Any]
) -> tuple[Any, Any]:
    """Every learner steps at 10 Hz, each from a random phase, for `warmup` + `duration` s;
    only the last `duration` s are recorded. `meter()` is read when recording starts and
    again when every learner is done."""
    start = time.perf_counter() + 0.05
    record_from = start + warmup
    end = record_from + duration
    tasks = [
        asyncio.create_task(lr.drive(start + random.random() / RATE_HZ, record_from, end))
        for lr in learners
    ]
    await asyncio.sleep(max(0.0, record_from - time.perf_counter()))
    before = meter()
    await asyncio.gather(*tasks)
    return before, meter()


async def measure_level(
    url: str, port: int, pid: int, n: int, duration: float, warmup: float, prefill: int = 0
) -> dict[str, Any]:
    rss_idle = rss_bytes(pid)
    connect_start = time.perf_counter()
    learners = await connect_learners(url, n)
    connect_s = time.perf_counter() - connect_start
    rss_connected = rss_bytes(pid)
    prefill_s = 0.0
    prefill_health: dict[str, Any] = {}
    if prefill:
        # /healthz while the histories fill: the training itself yields every 2 ms, so a
        # long answer here is the event loop stopped by something else (a full GC walks
        # the growing logs).
        with tempfile.TemporaryDirectory() as tmp:
            stop = Path(tmp) / "stop"
            watcher = health_probe(port, 3600, 0.05, stop)
            began = time.perf_counter()
            await asyncio.gather(*(lr.prefill(prefill) for lr in learners))
            prefill_s = time.perf_counter() - began
            stop.touch()
            prefill_health = probe_times(watcher)

    probe = health_probe(port, duration, 0.2)
    lags: list[float] = []
    done = asyncio.Event()

    async def watch_client_loop() -> None:
        # How late this client's own event loop wakes up: a client-bound run shows here.
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    def meter() -> tuple[float, float, os.times_result, float, float]:
        now = time.perf_counter()
        return cpu_seconds(pid), now, os.times(), machine_cpu_seconds(), runqueue_wait_seconds(pid)

    watcher = asyncio.create_task(watch_client_loop())
    (cpu0, wall0, client0, busy0, wait0), (cpu1, wall1, client1, busy1, wait1) = await drive_window(
        learners, warmup, duration, meter
    )
    done.set()
    rss_end = rss_bytes(pid)
    await watcher
    health = probe_times(probe)
    for lr in learners:
        await lr.close()

    latencies = [t for lr in learners for t in lr.latencies]
    errors = [e for lr in learners for e in lr.errors]
    steps = sum(lr.steps for lr in learners)
    window = wall1 - wall0
    expected = n * RATE_HZ * duration
    client_cpu = (client1.user - client0.user) + (client1.system - client0.system)
    p99 = percentile(latencies, 99) * 1e3
    health_times = health.get("times", [])
    rate_ok = steps >= 0.95 * expected
    return {
        "sessions": n,
        "duration_s": duration,
        "steps": steps,
        "steps_per_s": steps / window if window else 0.0,
        "expected_steps": int(expected),
        "median_ms": median(latencies) * 1e3,
        "p99_ms": p99,
        "max_ms": max(latencies, default=float("nan")) * 1e3,
        "errors": len(errors),
        "error_sample": errors[:3],
        "late_sends": sum(lr.late for lr in learners),
        "server_cpu_util": (cpu1 - cpu0) / window if window else 0.0,
        "server_runqueue_wait": (wait1 - wait0) / window if window else 0.0,
        "server_cpu_per_step_us": (cpu1 - cpu0) / steps * 1e6 if steps else None,
        "client_cpu_util": client_cpu / window if window else 0.0,
        "client_loop_lag_p99_ms": percentile(lags, 99) * 1e3,
        # Everything else the machine ran meanwhile (other users of a shared machine, the
        # /healthz probe): noise that competes with the server for its core.
        "other_cpu_util": max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - client_cpu) / window
        if window
        else 0.0,
        "rss_idle_mib": rss_idle / 2**20,
        "rss_per_session_kib": (rss_connected - rss_idle) / n / 1024,
        "rss_per_session_end_kib": (rss_end - rss_idle) / n / 1024,
        "connect_s": connect_s,
        "prefill_steps": prefill,
        "prefill_s": prefill_s,
        "prefill_healthz_p99_ms": percentile(prefill_health.get("times", []), 99) * 1e3
        if prefill
        else None,
        "prefill_healthz_max_ms": max(prefill_health.get("times", []), default=float("nan")) * 1e3
        if prefill
        else None,
        "prefill_healthz_over_50ms": sum(1 for t in prefill_health.get("times", []) if t > 0.05)
        if prefill
        else None,
        "healthz_median_ms": median(health_times) * 1e3,
        "healthz_p99_ms": percentile(health_times, 99) * 1e3,
        "healthz_max_ms": max(health_times, default=float("nan")) * 1e3,
        "healthz_failures": health.get("failures"),
        "passed": bool(p99 < P99_LIMIT_MS and not errors and rate_ok),
    }


def run_level(n: int, duration: float, warmup: float = 1.0, prefill: int = 0) -> dict[str, Any]:
    """One level on a fresh server (pinned to one core); this client on the other core(s)."""
    n = min(n, MAX_SESSIONS)
    server_cores, client_cores = server_cpus()
    with live_server(cpus=server_cores) as server, client_placement(client_cores):
        time.sleep(0.2)
        result = asyncio.run(
            measure_level(
                server.ws_url, server.port, server.process.pid, n, duration, warmup, prefill
            )
        )
    result["server_cores"] = sorted(server_cores) if server_cores else None
    result["client_cores"] = sorted(client_cores) if client_cores else None
    return result


def line(r: dict[str, Any]) -> str:
    """One level as a progress line (every figure of it)."""
    verdict = "pass" if r["passed"] else "FAIL"
    return (
        f"{r.get('phase', ''):8s} N={r['sessions']:5d} {r['duration_s']:4.0f}s {verdict}  "
        f"steps/s {r['steps_per_s']:7.0f}  p50 {r['median_ms']:6.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
        f"errors {r['errors']}  server CPU {r['server_cpu_util'] * 100:5.1f}% "
        f"({r['server_cpu_per_step_us'] or 0:.0f} µs/step, waited for CPU "
        f"{r['server_runqueue_wait'] * 100:.0f}%)  client CPU {r['client_cpu_util'] * 100:5.1f}% "
        f"(loop lag p99 {r['client_loop_lag_p99_ms']:.1f} ms)  "
        f"other CPU {r['other_cpu_util'] * 100:4.0f}%  "
        f"RSS/session {r['rss_per_session_kib']:.0f} KiB  /healthz p99 {r['healthz_p99_ms']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--search", action="store_true", help="find the largest passing N")
    parser.add_argument(
        "--prefill", type=int, default=0, help="age each session by this many steps first"
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.search:
        from bench.capacity import best, search

        answer = best(search(quick=args.quick))
        print("largest passing N:", answer["sessions"] if answer else "none")
    else:
        print(line(run_level(args.sessions, args.duration, prefill=args.prefill)))


if __name__ == "__main__":
    main()
