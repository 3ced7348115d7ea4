"""Profiles for the closing notes: where the time goes, sampled with py-spy (no instrumentation).

* the engine: a loop of `Trainer.train_step()` on 2-8-8-2 b10 (the smallest net of the targets);
* the server during back-to-back step round trips (default net): one step's whole cost;
* the server under the capacity load (N learners at 10 Hz).

Each profile is summarised as the functions with the largest share of the busy samples, by
self time and by inclusive time. py-spy is a dev tool: `pip install py-spy` into the venv; when
it is missing (or not allowed to attach) the profiles are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, client_placement, live_server, server_cpus
from bench.tables import Table, col

TOP = 16
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    found = shutil.which("py-spy") or (Path(sys.executable).parent / "py-spy")
    return str(found) if found and Path(found).exists() else None


def _short(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m.group("file")
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{m.group('func')} ({file})"


def summarise(raw: str, skip_roots: float = 0.97, within: str | None = None) -> dict[str, Any]:
    """Top functions by self and inclusive share of the samples in py-spy's raw format.

    `within`: count only the samples whose stack has a frame starting with it (the timed
    loop, not the interpreter's start-up and imports)."""
    self_counts: collections.Counter[str] = collections.Counter()
    incl_counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";")]
        if within is not None and not any(f.startswith(within) for f in frames):
            continue
        total += n
        self_counts[frames[-1]] += n
        for name in set(frames):
            incl_counts[name] += n
    if total == 0:
        return {"samples": 0, "self": [], "inclusive": []}
    inclusive = [
        (name, c / total) for name, c in incl_counts.most_common() if c / total < skip_roots
    ][:TOP]
    return {
        "samples": total,
        "self": [(name, c / total) for name, c in self_counts.most_common(TOP)],
        "inclusive": inclusive,
    }


def _record(args: list[str], out: Path, timeout: float) -> str:
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    done = subprocess.run(
        [exe, "record", "-f", "raw", "-o", str(out), "--nonblocking", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if not out.exists():
        raise RuntimeError(f"py-spy failed: {done.stderr.strip()[-300:]}")
    return out.read_text()


ENGINE_LOOP = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from bench.appapi import TrainConfig, Trainer
trainer = Trainer(TrainConfig(hidden=(8, 8)))
for _ in range(200):
    trainer.train_step()
end = time.perf_counter() + float(sys.argv[1])
while time.perf_counter() < end:
    trainer.train_step()
"""


SESSION_LOOP = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from bench.nets import DEFAULT, make_session
from bench.appapi import dumps, parse_client_message
session = make_session(DEFAULT)
step = parse_client_message(b'{"type":"step","unit":"iteration"}')
def one():
    for batch in session.handle(step):
        for message in batch:
            dumps(message)
for _ in range(200):
    one()
end = time.perf_counter() + float(sys.argv[1])
while time.perf_counter() < end:
    one()
"""


@dataclass(frozen=True)
class InProcess:
    """A profile of a loop in its own process: `script` runs it for argv[1] seconds."""

    title: str
    how: str  # may name {seconds} and {samples}
    script: str
    within: str  # count only the samples with a frame starting so (the loop, not start-up)


IN_PROCESS = (
    InProcess(
        "engine, `Trainer.train_step()` on 2-8-8-2 b10",
        "py-spy at 1 kHz over {seconds} s of back-to-back steps ({samples} samples; shares of "
        "busy samples).",
        ENGINE_LOOP,
        "Trainer.train_step",
    ),
    InProcess(
        "`Session.handle(step)` + `dumps`, in process (default net, no socket)",
        "py-spy at 1 kHz over {seconds} s of back-to-back `step` messages, each reply encoded "
        "({samples} samples in the loop; shares of them).",
        SESSION_LOOP,
        "one (",
    ),
)


def in_process(spec: InProcess, seconds: float) -> dict[str, Any]:
    """py-spy at 1 kHz on the spec's loop for `seconds`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        argv = [sys.executable, "-c", spec.script, str(seconds), str(ROOT)]
        raw = _record(["-r", "1000", "--", *argv], out, seconds + 60)
    summary = summarise(raw, within=spec.within)
    how = spec.how.format(seconds=f"{seconds:.0f}", samples=summary["samples"])
    return {"title": spec.title, "how": how, **summary}


def _server_profile(title: str, how: str, seconds: float, drive: Any) -> dict[str, Any]:
    server_cores, client_cores = server_cpus()
    with (
        live_server(cpus=server_cores) as server,
        client_placement(client_cores),
        tempfile.TemporaryDirectory() as tmp,
    ):
        out = Path(tmp) / "server.txt"
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        spy = subprocess.Popen(
            [exe, "record", "-f", "raw", "-o", str(out), "--nonblocking", "-r", "500",
             "-d", str(int(seconds)), "-p", str(server.process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        time.sleep(0.5)
        asyncio.run(drive(server, seconds))
        _, err = spy.communicate(timeout=seconds + 60)
        if not out.exists():
            raise RuntimeError(f"py-spy failed: {err.strip()[-300:]}")
        raw = out.read_text()
    summary = summarise(raw)
    return {"title": title, "how": how + f" ({summary['samples']} samples).", **summary}


def server_round_trips(seconds: float) -> dict[str, Any]:
    from bench.protocol import round_trips

    async def drive(server: Any, secs: float) -> None:
        end = time.perf_counter() + secs
        while time.perf_counter() < end:
            await round_trips(server.ws_url, None, 500)

    return _server_profile(
        "server, back-to-back step round trips (default net)",
        f"py-spy at 500 Hz on the uvicorn process for {seconds:.0f} s while one client sends "
        "`step` → waits for `iteration`, over and over; shares of busy samples",
        seconds,
        drive,
    )


def server_load(sessions: int, seconds: float) -> dict[str, Any]:
    from bench.load import measure_level

    async def drive(server: Any, secs: float) -> None:
        await measure_level(server.ws_url, server.port, server.process.pid, sessions, secs, 0.5)

    return _server_profile(
        f"server under the capacity load ({sessions} learners at 10 Hz, default net)",
        f"py-spy at 500 Hz on the uvicorn process for {seconds:.0f} s of the load; shares of "
        "busy samples",
        seconds,
        drive,
    )


def run(quick: bool = False, load_sessions: int = 150) -> list[dict[str, Any]]:
    seconds = 2.0 if quick else 8.0
    rows = [in_process(spec, seconds) for spec in IN_PROCESS]
    rows.append(server_round_trips(seconds))
    rows.append(server_load(50 if quick else load_sessions, seconds))
    return rows


def tables(p: dict[str, Any], markdown: bool = False) -> list[str]:
    """A profile's two tables: the functions by self time and by inclusive time."""
    out = []
    for label, key in (("self time", "self"), ("inclusive time", "inclusive")):
        items = [{"name": f"`{name}`", "share": share * 100} for name, share in p.get(key) or []]
        if items:
            model = Table(
                [col(f"function ({label})", "name"), col("share", "share", ".1f", unit=" %")]
            )
            out.append(model.markdown(items) if markdown else model.text(items))
    return out


def table(rows: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        f"{p['title']}: {p['samples']} samples\n" + "\n".join(tables(p)) for p in rows
    )


if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv)))
