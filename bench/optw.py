"""Issue 13's cost: the optimizer's state on the wire and compared runs (two runs per session).

    python -m bench.optw            # prints a Markdown section (paste into BENCHMARKS.md)
    python -m bench.optw --quick    # shorter levels

1. In process (no socket): a `step` → `iteration` + `dumps` with SGD (no `opt`) and Adam
   (`opt` = two state tensors per parameter), bytes and time; play rate of `Session.play_slice`
   with one run and with two runs (`compare`: the shown run's slice is shared).
2. Capacity level (bench/load.py's learner, real uvicorn pinned to one core): N learners
   stepping at 10 Hz with Adam, and with Adam plus one compared run (each `step` then also
   waits for the `runs` reply).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import orjson

from app.protocol import dumps, parse_client_message
from app.server.settings import Settings
from app.session import Session
from bench import load


def _drive(session: Session, message: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in session.handle(parse_client_message(json.dumps(message))):
        if isinstance(item, list):
            out += item
    return out


def step_cost(optimizer: str, runs: int, trips: int = 400) -> dict[str, Any]:
    s = Session(Settings().limits, lambda _: None, {"optimizer": optimizer})
    for _ in range(runs - 1):
        _drive(s, {"type": "compare", "config": {}})
    times, size = [], 0
    for _ in range(trips):
        t0 = time.perf_counter()
        msgs = _drive(s, {"type": "step"})
        size = sum(len(dumps(m)) for m in msgs)
        times.append(time.perf_counter() - t0)
    return {
        "optimizer": optimizer,
        "runs": runs,
        "ms": 1000 * statistics.median(times),
        "bytes": size,
    }


def play_rate(optimizer: str, runs: int, seconds: float) -> float:
    s = Session(Settings().limits, lambda _: None, {"optimizer": optimizer, "hidden": [8, 8]})
    for _ in range(runs - 1):
        _drive(s, {"type": "compare", "config": {}})
    s.start_play(None)
    t0 = time.perf_counter()
    step0 = s.step
    while time.perf_counter() - t0 < seconds:
        s.play_slice(0.002)
    rate = (s.step - step0) / (time.perf_counter() - t0)
    s.stop_play()
    return rate


class ComparingLearner(load.Learner):
    """A learner on Adam; with `compare`, one more run, and each step waits for `runs`."""

    compare = False

    async def connect(self) -> None:
        await super().connect()
        if self.ws is None:
            return
        await self.ws.send(orjson.dumps({"type": "configure", "config": {"optimizer": "adam"}}))
        await self._until('{"type":"config"')
        if self.compare:
            await self.ws.send(orjson.dumps({"type": "compare", "config": {"learning_rate": 0.01}}))
            await self._until('{"type":"runs"')

    async def _until(self, prefix: str) -> None:
        while not (await self.ws.recv()).startswith(prefix):
            pass

    async def drive(self, start: float, record_from: float, end: float) -> None:
        if not self.compare:
            return await super().drive(start, record_from, end)
        # As Learner.drive, timing the round trip to the `runs` that follows the `iteration`.
        due = start
        while True:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            sent = time.perf_counter()
            if sent >= end:
                break
            await self.ws.send(b'{"type":"step","unit":"iteration"}')
            await self._until('{"type":"runs"')
            if sent >= record_from:
                self.latencies.append(time.perf_counter() - sent)
                self.steps += 1
            due += self.period
            if due < time.perf_counter() - self.period:
                due = time.perf_counter()
        return None


def capacity(n: int, compare: bool, seconds: float) -> dict[str, Any]:
    original = load.Learner
    ComparingLearner.compare = compare
    load.Learner = ComparingLearner  # type: ignore[misc]
    try:
        return load.run_level(n, seconds)
    finally:
        load.Learner = original  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--levels", default="120,237")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    print("| optimizer | runs | `step` in process ms (median) | bytes per `step` reply |")
    print("|---|---|---|---|")
    for opt, runs in (("sgd", 1), ("adam", 1), ("adam", 2)):
        r = step_cost(opt, runs)
        print(f"| {opt} | {runs} | {r['ms']:.3f} | {r['bytes']:,} |")
    print()
    print("| optimizer | runs | play it/s (2-8-8-2, in process) |")
    print("|---|---|---|")
    for opt, runs in (("sgd", 1), ("adam", 1), ("adam", 2), ("adam", 4)):
        print(f"| {opt} | {runs} | {play_rate(opt, runs, seconds / 2):,.0f} |")
    print()
    print(
        "| learners at 10 Hz | runs each | verdict | steps/s | median ms | p99 ms | errors | server CPU | µs per step |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.levels.split(",")):
        for compare in (False, True):
            r = capacity(n, compare, seconds)
            print(
                f"| {n} | {2 if compare else 1} | {'pass' if r['passed'] else 'FAIL'} "
                f"| {r['steps_per_s']:,.0f} | {r['median_ms']:.1f} | {r['p99_ms']:.1f} "
                f"| {r['errors']} | {r['server_cpu_util']:.0%} "
                f"| {r['server_cpu_per_step_us'] or 0:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
