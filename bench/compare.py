"""Before/after: a baseline tree against this one, interleaved in one run (issue 10's check:
no step, round-trip or capacity figure worse than before by more than 10 %).

    python -m bench.compare --baseline b5d8997            # ~12 min; BENCHMARKS.md "Before/after"
    python -m bench.compare --baseline b5d8997 --quick    # ~5 min; the same section, marked quick
    python -m bench.compare --baseline HEAD --smoke       # seconds; writes nothing (tests/bench)

The baseline commit is checked out into a temporary `git worktree`. Every figure is measured by
this tree's bench code, and the baseline is driven only through what stays put across
releases, so any ref works whatever its own bench/ looks like:

* the engine step: `Trainer.train_step()` of engine_bench's nets in one worker process per
  tree whose `app` package is that tree's (`app.engine.Trainer`/`TrainConfig`/`Dataset`);
* the step round trip (median, p99; default net) and the play rate (2-8-8-2, client acking
  at once), bench.protocol's client against a uvicorn serving each tree's `app.main:app`;
* capacity: bench.load's learners stepping at 10 Hz, a fixed number of sessions on each
  server; the p99 of their round trips and the server's CPU µs per step.

Both trees run with this venv (their dependencies are the same) and every worker and server
checks that `app` came from its own tree. The machine is shared and noisy, so each figure is
measured in rounds; a round measures the baseline and the current tree back to back, the
order alternating from round to round (B C, C B, …) so that a drift falls on both, and within
a round the engine runs, round trips and capacity slices alternate between the trees too. A figure is
the median over the rounds (a p99, over every round's latencies pooled); *ratio* is current /
baseline for times and baseline / current for rates (the median of the rounds' ratios; for a
p99, the ratio of the pooled p99s), so above 1 is worse; ok up to 1.10.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.ab import TABLE, Figure, Samples, orders
from bench.common import (
    BENCH_SERVER_ENV,
    ROOT,
    client_placement,
    cpu_seconds,
    live_server,
    pin_process,
    server_cpus,
)

RESULT = ROOT / "bench" / "compare.json"
SMALL = {"hidden": [8, 8]}


@dataclass(frozen=True)
class Plan:
    rounds: int
    engine_s: float  # seconds of one timed run of a net's steps
    pairs: int  # timed runs per net, tree and round (baseline and current alternating)
    nets: int  # the first `nets` of engine_bench.cases()
    trips: int  # step round trips per tree and round
    chunks: int  # play stints and capacity slices per round, baseline and current alternating
    play_s: float  # play per tree and round (in `chunks` stints)
    sessions: int  # capacity: learners at 10 Hz
    level_s: float  # capacity: seconds recorded per tree and round (in `chunks` slices)
    warmup_s: float  # capacity: seconds stepped before each slice is recorded


PLANS = {
    "full": Plan(12, 0.02, 16, 4, 1000, 5, 5.0, 100, 10.0, 0.5),
    "quick": Plan(8, 0.02, 16, 4, 600, 3, 3.0, 50, 4.5, 0.3),
    "smoke": Plan(2, 0.002, 1, 2, 20, 2, 1.0, 3, 0.4, 0.1),
}

# argv: the tree whose `app` to import, this tree (for `bench`), then engine_worker's own.
WORKER = r"""
import sys
from pathlib import Path
tree, root = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
sys.path[:0] = [str(tree)]
import app
sys.path[:0] = [str(root)]
import bench
if not Path(bench.__file__).resolve().is_relative_to(root):
    sys.exit(f"bench imported from {bench.__file__}, not from {root}")
from bench.compare import engine_worker
engine_worker(tree, Path(app.__file__), sys.argv[3:])
"""


def engine_worker(tree: Path, app_file: Path, argv: list[str]) -> None:
    """Build engine_bench's first `argv[0]` trainers, then time one net per line read."""
    from bench.appapi import Trainer
    from bench.common import time_per_call
    from bench.engine_bench import calls_for, cases

    if not app_file.resolve().is_relative_to(tree):
        sys.exit(f"app imported from {app_file}, not from {tree}")
    count, seconds = int(argv[0]), float(argv[1])
    trainers, calls = [], []
    for case in cases()[:count]:
        trainer = Trainer(case.config, case.custom)
        for _ in range(20):  # warm up
            trainer.train_step()
        trainers.append(trainer)
        calls.append(calls_for(trainer, seconds))
    names = [c.name for c in cases()[:count]]
    print(json.dumps({"app": str(app_file), "nets": names}), flush=True)
    while line := sys.stdin.readline():
        i = int(line)
        print(json.dumps(time_per_call(trainers[i].train_step, calls[i], 1)), flush=True)


class EngineWorker:
    """A worker process timing `Trainer.train_step()` with the `app` of `tree`."""

    def __init__(self, tree: Path, plan: Plan, cpus: set[int] | None) -> None:
        env = {**os.environ, **{k: v for k, v in BENCH_SERVER_ENV.items() if "THREADS" in k}}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tree), str(ROOT), str(plan.nets), str(plan.engine_s)],
            cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdin and self.process.stdout
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        line = self.stdout.readline()
        if not line:
            raise RuntimeError(f"the engine worker for {tree} did not start")
        hello = json.loads(line)
        self.app_file: str = hello["app"]
        self.nets: list[str] = hello["nets"]
        pin_process(self.process.pid, cpus)

    def seconds_per_step(self, net: int) -> float:
        self.stdin.write(f"{net}\n")
        self.stdin.flush()
        return float(json.loads(self.stdout.readline()))

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=30)


# Round trips alternate between the trees every 50 trips (~0.1 s at 2 ms a trip): the
# machine's stalls last longer, so a stall falls on both trees' trips.
RT_CHUNK = 50
RT_MEDIAN = Figure("step round trip median, default net", "ms")
RT_P99 = Figure("step round trip p99, default net", "ms", pooled=99)
PLAY = Figure("play, 2-8-8-2, acking at once", "it/s", lower_is_better=False)
CAP_P99 = Figure("capacity p99, {} sessions at 10 Hz", "ms", pooled=99)
CAP_CPU = Figure("capacity server CPU per step, {} sessions", "µs")


@contextlib.contextmanager
def baseline_tree(ref: str) -> Iterator[tuple[Path, str]]:
    """A temporary `git worktree` of `ref` (detached); removed afterwards."""
    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="bpl-compare-") as tmp:
        path = Path(tmp) / "baseline"
        _git("worktree", "add", "--detach", "--quiet", str(path), sha)
        try:
            yield path, sha
        finally:
            _git("worktree", "remove", "--force", str(path))


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def _engine(
    trees: dict[str, Path], plan: Plan, samples: Samples, cpus: set[int] | None, log: Any
) -> None:
    """`Trainer.train_step()` of each net, alternating between the trees run by run, in new
    worker processes every round (so that no one process's memory layout counts for a tree)."""
    for r, order in enumerate(orders(plan.rounds)):
        workers = {tree: EngineWorker(trees[tree], plan, cpus) for tree in order}
        try:
            if r == 0:
                for tree, worker in workers.items():
                    log(f"{tree}: engine worker's app is {worker.app_file}")
            for i, net in enumerate(workers["current"].nets):
                runs: dict[str, list[float]] = {tree: [] for tree in order}
                for _ in range(plan.pairs):
                    for tree in order:
                        runs[tree].append(workers[tree].seconds_per_step(i))
                figure = Figure(f"engine step, {net}", "µs")
                for tree in order:
                    samples.add(figure, tree, [t * 1e6 for t in runs[tree]])
        finally:
            for worker in workers.values():
                worker.close()
        log(f"round {r + 1}/{plan.rounds} of the engine done ({' then '.join(order)})")


def _servers(
    trees: dict[str, Path], plan: Plan, samples: Samples, cpus: set[int] | None, log: Any
) -> None:
    """Round trips, play and a capacity level against a fresh server of each tree per round."""
    for r, order in enumerate(orders(plan.rounds)):
        with contextlib.ExitStack() as stack:
            servers = {
                tree: stack.enter_context(live_server(cpus=cpus, root=trees[tree]))
                for tree in order
            }
            if r == 0:
                for tree, server in servers.items():
                    log(
                        f"{tree}: server's app is {server.app_file}, uvicorn options from "
                        f"{server.options_from}"
                    )
            time.sleep(0.2)
            asyncio.run(_round(servers, plan, samples))
        log(f"round {r + 1}/{plan.rounds} of the servers done")


async def _round(servers: dict[str, Any], plan: Plan, samples: Samples) -> None:
    from bench.protocol import open_session, play, step_trips

    order = list(servers)
    sockets = {tree: await open_session(servers[tree].ws_url, None) for tree in order}
    times: dict[str, list[float]] = {tree: [] for tree in order}
    try:
        for tree in order:
            await step_trips(sockets[tree], 50)  # warm up
        chunk = min(RT_CHUNK, plan.trips)
        for _ in range(plan.trips // chunk):
            for tree in order:
                times[tree] += (await step_trips(sockets[tree], chunk))[0]
    finally:
        for ws in sockets.values():
            await ws.close()
    for tree in order:
        ms = [t * 1e3 for t in times[tree]]
        samples.add(RT_MEDIAN, tree, ms)
        samples.add(RT_P99, tree, ms)
    rates: dict[str, list[float]] = {tree: [] for tree in order}
    for _ in range(plan.chunks):
        for tree in order:
            played = await play(servers[tree].ws_url, SMALL, plan.play_s / plan.chunks, 0.0)
            rates[tree].append(played["iterations_per_s"])
    for tree in order:
        samples.add(PLAY, tree, rates[tree])
    await _capacity(servers, plan, samples)


async def _capacity(servers: dict[str, Any], plan: Plan, samples: Samples) -> None:
    """bench.load's learners at 10 Hz on both servers at once, driven in turns (one tree's
    slice, then the other's): a change of the machine's load between slices falls on both."""
    from bench.load import connect_learners, drive_window

    order = list(servers)
    learners = {tree: await connect_learners(servers[tree].ws_url, plan.sessions) for tree in order}
    cpu = dict.fromkeys(order, 0.0)
    try:
        for _ in range(plan.chunks):
            for tree in order:
                pid = servers[tree].process.pid
                duration = plan.level_s / plan.chunks
                before, after = await drive_window(
                    learners[tree], plan.warmup_s, duration, lambda pid=pid: cpu_seconds(pid)
                )
                cpu[tree] += after - before
    finally:
        for group in learners.values():
            for lr in group:
                await lr.close()
    n = plan.sessions
    for tree in order:
        errors = [e for lr in learners[tree] for e in lr.errors]
        if errors:
            print(f"{tree}: {len(errors)} errors in the capacity level: {errors[:3]}", flush=True)
        steps = sum(lr.steps for lr in learners[tree])
        latencies = [t for lr in learners[tree] for t in lr.latencies]
        samples.add(CAP_P99.of(n), tree, [t * 1e3 for t in latencies])
        samples.add(CAP_CPU.of(n), tree, [cpu[tree] / steps * 1e6 if steps else float("nan")])


def measure(trees: dict[str, Path], plan: Plan, log: Callable[[str], None] = print) -> Samples:
    """Every figure of both trees, interleaved round by round."""
    samples = Samples()
    server_cores, client_cores = server_cpus()
    with client_placement(client_cores):
        _engine(trees, plan, samples, server_cores, log)
        _servers(trees, plan, samples, server_cores, log)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", required=True, help="git ref of the 'before' tree")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer, shorter rounds (~5 min)")
    size.add_argument("--smoke", action="store_true", help="seconds; writes nothing (tests)")
    parser.add_argument("--rounds", type=int, help="override the plan's number of rounds")
    parser.add_argument("--sessions", type=int, help="override the capacity level's sessions")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    args = parser.parse_args(argv)
    plan_name = "smoke" if args.smoke else "quick" if args.quick else "full"
    plan = PLANS[plan_name]
    overrides = {"rounds": args.rounds, "sessions": args.sessions}
    plan = Plan(**{**asdict(plan), **{k: v for k, v in overrides.items() if v}})

    began, load_start = time.monotonic(), os.getloadavg()
    with baseline_tree(args.baseline) as (path, sha):
        print(f"baseline {args.baseline} = {sha[:12]} checked out at {path}", flush=True)
        samples = measure({"baseline": path, "current": ROOT}, plan)
    from bench.common import environment

    result = {
        "date": environment()["date"],
        "baseline": {"ref": args.baseline, "sha": sha},
        "current": {"sha": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain"))},
        "plan_name": plan_name,
        "plan": asdict(plan),
        "seconds": time.monotonic() - began,
        "load_average": [" ".join(f"{x:.2f}" for x in la) for la in (load_start, os.getloadavg())],
        "rows": samples.rows(),
        "samples": samples.values,
    }
    print()
    print(TABLE.text(result["rows"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if not (args.smoke or args.no_write):
        from bench import report
        from bench.run import FULL_JSON, FULL_MD

        RESULT.write_text(json.dumps(result, indent=1) + "\n")
        report.write(json.loads(FULL_JSON.read_text()), FULL_MD)
        print(f"\nwrote {RESULT.relative_to(ROOT)} and the Before/after section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
