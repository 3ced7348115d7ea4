"""Shared pieces of the benchmarks: statistics, the machine and versions, a live server.

Every benchmark module has ``run(quick) -> list[dict]``; `bench.run` calls them and writes
BENCHMARKS.md. Nothing here asserts a timing: the figures are for people.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The server's environment for protocol and load runs. The per-connection rate limit (200
# messages/s) would throttle a client that sends back-to-back steps, and the session cap (200)
# would stop the capacity search early: both are lifted so that what is measured is the
# server's work, not its admission policy. Checkpoints are off so disk writes do not mix in.
BENCH_SERVER_ENV = {
    "BPL_RATE_LIMIT_PER_S": "1000000",
    "BPL_RATE_LIMIT_BURST": "1000000",
    "BPL_MAX_SESSIONS": "5000",
    "BPL_CHECKPOINT_DIR": "off",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


# -- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def time_per_call(fn: Callable[[], object], calls: int, repeats: int) -> float:
    """Median over ``repeats`` runs of the mean seconds per call of ``fn``."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return median(samples)


# -- machine and versions ---------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return None


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _chromium_version() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return "absent"
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out or "unknown"


def blas_info() -> dict[str, Any]:
    """The BLAS library NumPy uses and its thread count (as the benchmarks run it)."""
    info: dict[str, Any] = {
        "env": {v: os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
        "library": "unknown",
        "threads": None,
    }
    try:
        import numpy as np

        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info["library"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy without mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info  # optional

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            info["threads"] = pools[0].get("num_threads")
    except ImportError:
        raw = os.environ.get("OPENBLAS_NUM_THREADS")
        info["threads"] = int(raw) if raw and raw.isdigit() else None
    return info


def torch_version() -> str:
    python = os.environ.get("TORCH_PYTHON")
    if not python:
        return "absent (TORCH_PYTHON not set)"
    try:
        done = subprocess.run(
            [python, "-c", "import torch; print(torch.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    return done.stdout.strip() if done.returncode == 0 else "absent"


def environment() -> dict[str, Any]:
    """Machine, versions and BLAS threads, recorded beside every figure."""
    ram = _ram_gib()
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram, 1) if ram else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            name: _version(name)
            for name in ("numpy", "fastapi", "starlette", "uvicorn", "websockets", "orjson")
        },
        "chromium": _chromium_version(),
        "torch": torch_version(),
        "blas": blas_info(),
    }


# -- a live server ----------------------------------------------------------------------------


# Machines are shared: other jobs compete for the cores. Where allowed (root), the server and
# the load client run at this nice level so that what is measured is mostly our own work.
BENCH_NICE = -10


def pin_process(pid: int, cpus: set[int] | None, nice: int | None = BENCH_NICE) -> bool:
    """Pin every thread of `pid` to `cpus` and raise its priority (False where not allowed)."""
    ok = False
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                if cpus:
                    os.sched_setaffinity(int(task), cpus)
                if nice is not None:
                    os.setpriority(os.PRIO_PROCESS, int(task), nice)
                ok = True
    return ok


def _autogroup_nice(value: int | None = None) -> int | None:
    """Read (and optionally set) the nice level of this process's scheduler autogroup.

    With `kernel.sched_autogroup_enabled` (the default), CPU time is shared fairly between
    sessions first and a process's own nice level only counts inside its session: other
    users' test runs would still take half of the server's core. The autogroup's nice level
    is what gives the benchmark's session (this client and the server it started) priority.
    """
    path = Path("/proc/self/autogroup")
    try:
        current = int(path.read_text().split("nice")[1])
        if value is not None:
            path.write_text(str(value))
        return current
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def client_placement(cpus: set[int] | None) -> Iterator[None]:
    """Run this (client) process on `cpus` at the benchmark's priority, then restore both."""
    affinity = os.sched_getaffinity(0)
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    group = _autogroup_nice(BENCH_NICE)
    with contextlib.suppress(OSError):
        if cpus:
            os.sched_setaffinity(0, cpus)
        os.setpriority(os.PRIO_PROCESS, 0, BENCH_NICE)
    try:
        yield
    finally:
        if group is not None:
            _autogroup_nice(group)
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, affinity)
            os.setpriority(os.PRIO_PROCESS, 0, priority)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def runqueue_wait_seconds(pid: int) -> float:
    """Seconds the threads of `pid` spent runnable but waiting for a CPU (/proc/<pid>/schedstat):
    time stolen by other processes, the noise of a shared machine."""
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[1])
    return total / 1e9


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores) so far, from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def live_server(
    env: dict[str, str] | None = None, cpus: set[int] | None = None, root: Path = ROOT
) -> Iterator[Any]:
    """A real uvicorn serving the `app` of the tree `root` with the CLI's options.

    `cpus` pins the server (one process = one event loop) to those cores. The server's log
    must name `root`'s `app` package (bench.appapi.SERVER_SCRIPT checks it too).
    """
    from bench.appapi import server_command
    from tests.conftest import LiveServer, free_port, wait_healthy

    with tempfile.TemporaryDirectory(prefix="bpl-bench-") as tmp:
        port = free_port()
        log = Path(tmp) / "uvicorn.log"
        env = {**os.environ, **BENCH_SERVER_ENV, **(env or {}), "PYTHONPATH": str(root)}
        with log.open("wb") as out:
            process = subprocess.Popen(
                server_command(port, root),
                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        server = LiveServer(port=port, process=process, log=log)
        try:
            wait_healthy(server.url, process, log)
            text = log.read_text()
            served = text.split("bench: app from ", 1)[1].split("\n", 1)[0]
            if not Path(served).is_relative_to(root.resolve()):
                raise RuntimeError(f"the server imported app from {served}, not from {root}")
            server.app_file = served
            server.options_from = text.split("bench: uvicorn options from ", 1)[1].split(" ", 1)[0]
            pin_process(process.pid, cpus)
            yield server
        finally:
            server.stop()


def server_cpus() -> tuple[set[int] | None, set[int] | None]:
    """Cores for the server and for the load client: one each when there are two or more."""
    try:
        available = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None, None
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


def fmt(value: Any, spec: str = ".1f", missing: str = "—") -> str:
    if value is None:
        return missing
    if isinstance(value, float) and value != value:
        return missing
    return format(value, spec)
