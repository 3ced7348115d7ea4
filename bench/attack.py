"""Students under attack: cookie-less sockets held open while a class steps and reconnects.

`ATTACKERS` cookie-less sockets are opened first and held (one the server closes is reopened
after a random 0.5-1.5 × `ATTACKER_RETRY_S`: the attacker keeps trying, each socket on its own
clock; `--lockstep`: all of them exactly `ATTACKER_RETRY_S` after they were refused, so the 200
refused sockets come back at the same instant), then `STUDENTS` students (each with its own
`bpl_browser` cookie, like a browser) step at 10 Hz with `bench.load.Learner` and reconnect
every `RECONNECT_S`: each reconnect is a resume the way the page does it (`/ws?session=<id>`
and the token in a `resume` message) and must come back with the step and the weights of the
last `iteration` received before the drop. A separate process probes `/healthz` every 50 ms
(bench.load's probe).

Passes when every resume succeeded with its step and weights and the `/healthz` p99 < 100 ms.

`--connection-cost` measures instead what one refused socket and one `/healthz` request cost
the server in CPU (the lockstep flood's price: a burst of N refusals holds the event loop for N
times that).

    python -m bench.attack                    # 60 s
    python -m bench.attack --duration 30      # shorter
    python -m bench.attack --lockstep         # the refused sockets retry all at once
    python -m bench.attack --lockstep --nginx # ... through deploy/nginx.conf
    python -m bench.attack --connection-cost
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import subprocess
import sys
import tempfile
import time
from typing import Any

import orjson

from bench.common import client_placement, cpu_seconds, live_server, percentile, server_cpus
from bench.load import HEALTH_PROBE, Learner
from bench.protocol import CLIENT_OPTIONS

ATTACKERS = 300
STUDENTS = 30
RATE_HZ = 10.0
RECONNECT_S = 20.0
# A refused attacker socket retries after this long (the page waits >= 5 s after 1013).
ATTACKER_RETRY_S = 5.0
HEALTH_PERIOD_S = 0.05


class Attacker:
    """A cookie-less socket held open; reopened when the server closes it."""

    retry_s = ATTACKER_RETRY_S
    lockstep = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.sessions = 0  # sockets that got a session
        self.refused = 0  # closed with 1013 (full)
        self.throttled = 0  # HTTP 429 from the proxy (deploy/nginx.conf's pacing)
        self.other = 0

    async def run(self, end: float) -> None:
        from websockets.asyncio.client import connect

        while time.monotonic() < end:
            try:
                async with connect(self.url, **CLIENT_OPTIONS) as ws:
                    first = orjson.loads(await ws.recv())
                    if first["type"] == "hello":
                        self.sessions += 1
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(ws.wait_closed(), max(0.0, end - time.monotonic()))
                    if ws.close_code == 1013:
                        self.refused += 1
            except Exception as exc:
                code = getattr(getattr(exc, "rcvd", None), "code", None)
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if code == 1013:
                    self.refused += 1
                elif status == 429:
                    self.throttled += 1
                else:
                    self.other += 1
            jitter = 1.0 if self.lockstep else random.uniform(0.5, 1.5)
            await asyncio.sleep(self.retry_s * jitter)


class Student(Learner):
    """bench.load's learner with a browser cookie, resuming the way the page does."""

    def __init__(self, base: str) -> None:
        super().__init__(base, RATE_HZ)
        self.base = base
        self.cookie = secrets.token_urlsafe(16)
        self.session = ""
        self.token = ""
        self.resumes = 0
        self.failed_resumes: list[str] = []
        self.resume_ms: list[float] = []

    async def open(self, resume: bool) -> list[dict[str, Any]]:
        from websockets.asyncio.client import connect

        url = f"{self.base}?session={self.session}" if resume else self.base
        headers = {"Cookie": f"bpl_browser={self.cookie}"}
        self.ws = await connect(url, additional_headers=headers, **CLIENT_OPTIONS)
        if resume:
            await self.ws.send(
                json.dumps({"type": "resume", "session": self.session, "token": self.token})
            )
        welcome = []
        while True:
            message = orjson.loads(await self.ws.recv())
            welcome.append(message)
            if message["type"] == "series":
                return welcome

    async def connect(self) -> None:
        try:
            hello = (await self.open(resume=False))[0]
            self.session, self.token = hello["session"], hello["token"]
        except Exception as exc:
            self.errors.append(f"connect: {type(exc).__name__}: {exc}"[:200])
            self.ws = None

    async def reconnect(self) -> None:
        """Drop the socket, resume, and check step and weights against the last `iteration`.

        Nothing is asked before closing (a Wi-Fi blip gives no warning): the last `iteration`
        received holds the step and the weights after it (`W_next`, `b_next`), which the
        resumed session's `state` must equal float for float.
        """
        if self.ws is None:
            return
        if not self.last_iteration:
            return  # nothing stepped yet: nothing to check against
        last = orjson.loads(self.last_iteration)
        before = {
            "step": last["step"],
            "layers": [{"W": l["W_next"], "b": l["b_next"]} for l in last["layers"]],
        }
        await self.close()
        started = time.perf_counter()
        try:
            welcome = await self.open(resume=True)
        except Exception as exc:
            self.failed_resumes.append(f"{type(exc).__name__}: {exc}"[:200])
            self.ws = None
            return
        self.resume_ms.append((time.perf_counter() - started) * 1000)
        by_type = {m["type"]: m for m in welcome}
        hello, state = by_type.get("hello", {}), by_type.get("state", {})
        same = hello.get("resumed") is True and state.get("step") == before["step"]
        same = same and [(l["W"], l["b"]) for l in state.get("layers", [])] == [
            (l["W"], l["b"]) for l in before["layers"]
        ]
        if same:
            self.resumes += 1
        else:
            errors = [m.get("code") for m in welcome if m["type"] == "error"]
            self.failed_resumes.append(
                f"resumed={hello.get('resumed')} step {state.get('step')} vs {before['step']} "
                f"errors={errors}"
            )


async def _attack(
    url: str, port: int, duration: float, n_attackers: int, n_students: int
) -> dict[str, Any]:
    end = time.monotonic() + duration
    probe = subprocess.Popen(
        [sys.executable, "-c", HEALTH_PROBE, str(port), str(duration), str(HEALTH_PERIOD_S)],
        stdout=subprocess.PIPE,
    )
    attackers = [Attacker(url) for _ in range(n_attackers)]
    attack = [asyncio.create_task(a.run(end)) for a in attackers]
    await asyncio.sleep(min(5.0, duration / 6))  # the attacker is in place first
    students = [Student(url) for _ in range(n_students)]
    await asyncio.gather(*(s.connect() for s in students))

    async def student_loop(s: Student) -> None:
        while time.monotonic() < end - 1:
            segment_end = min(end - 1, time.monotonic() + RECONNECT_S)
            t0 = time.perf_counter()
            await s.drive(t0, t0, t0 + (segment_end - time.monotonic()))
            if time.monotonic() < end - 2:
                await s.reconnect()

    await asyncio.gather(*(student_loop(s) for s in students))
    for task in attack:
        task.cancel()
    await asyncio.gather(*attack, return_exceptions=True)
    for s in students:
        await s.close()
    out, _ = probe.communicate(timeout=duration + 30)
    health = json.loads(out)
    latencies = [x for s in students for x in s.latencies]
    return {
        "duration_s": duration,
        "attackers": n_attackers,
        "lockstep": Attacker.lockstep,
        "attacker_sessions": sum(a.sessions for a in attackers),
        "attacker_refused_1013": sum(a.refused for a in attackers),
        "attacker_throttled_429": sum(a.throttled for a in attackers),
        "attacker_other_failures": sum(a.other for a in attackers),
        "students": n_students,
        "student_steps": sum(s.steps for s in students),
        "student_errors": [e for s in students for e in s.errors][:10],
        "step_p50_ms": percentile(latencies, 50) * 1000 if latencies else None,
        "step_p99_ms": percentile(latencies, 99) * 1000 if latencies else None,
        "resumes_ok": sum(s.resumes for s in students),
        "resumes_failed": [f for s in students for f in s.failed_resumes][:10],
        "resume_p99_ms": percentile([x for s in students for x in s.resume_ms], 99)
        if any(s.resume_ms for s in students)
        else None,
        "healthz_n": len(health["times"]),
        "healthz_failures": health["failures"],
        "healthz_p50_ms": percentile(health["times"], 50) * 1000,
        "healthz_p99_ms": percentile(health["times"], 99) * 1000,
    }


def back_by_epoch(steps: int = 30_000, per_epoch: int = 8, count: int = 1000) -> dict[str, Any]:
    """Issue 14 item 5: finding the target of `back` by epoch in a log of `steps` steps.

    Batch 1 on an 8-row training set: an epoch starts every 8 steps (3,750 starts); `count` is
    the protocol's maximum. Release 1 filtered the list of epoch starts in Python once per
    epoch gone back; now each is a binary search of the epoch column.
    """
    from app.steplog import LogEntry, StepLog

    log = StepLog(2, LogEntry(0, 0, 0, None))
    for s in range(1, steps + 1):
        log.put(LogEntry(s, s // per_epoch, s % per_epoch, 0.1))

    def linear() -> int:
        starts = log.epoch_starts(steps)
        step, at_start = steps, False
        for _ in range(count):
            earlier = [x for x in starts if (x < step if at_start else x <= step)]
            step, at_start = earlier[-1], True
        return step

    def binary() -> int:
        step, at_start = steps, False
        for _ in range(count):
            found = log.epoch_start_before(step, inclusive=not at_start)
            assert found is not None
            step, at_start = found, True
        return step

    assert linear() == binary()
    out: dict[str, Any] = {"steps": steps, "epoch_every": per_epoch, "count": count}
    for name, fn in (("before_ms", linear), ("after_ms", binary)):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = min(times)
    for name, fn in (("before_count1_ms", linear), ("after_count1_ms", binary)):
        count_was, count = count, 1
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        count = count_was
        out[name] = min(times)
    return out


# The production defaults, not bench.common's capacity settings (5,000 sessions, no rate
# limit, no checkpoints): the attack must meet the caps a classroom server has.
ATTACK_ENV = {
    "BPL_MAX_SESSIONS": "200",
    "BPL_MAX_ANONYMOUS_SESSIONS": "0",
    "BPL_RATE_LIMIT_PER_S": "200",
    "BPL_RATE_LIMIT_BURST": "400",
}


def run(
    duration: float,
    attackers: int = ATTACKERS,
    students: int = STUDENTS,
    through_nginx: bool = False,
) -> dict[str, Any]:
    """The attack on one server process; `through_nginx`: attackers and students reach it
    through deploy/nginx.conf (which paces cookie-less handshakes), the probe directly."""
    server_cores, client_cores = server_cpus()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bpl-attack-"))
        env = {**ATTACK_ENV, "BPL_CHECKPOINT_DIR": tmp}
        server = stack.enter_context(live_server(env, cpus=server_cores))
        url = server.ws_url
        if through_nginx:
            from bench.nginx import nginx_in_front

            url = f"ws://127.0.0.1:{stack.enter_context(nginx_in_front(server.port, client_cores))}/ws"
        stack.enter_context(client_placement(client_cores))
        result = asyncio.run(_attack(url, server.port, duration, attackers, students))
        return {**result, "through_nginx": through_nginx}


async def _connection_cost(server: Any, count: int) -> dict[str, Any]:
    """Server CPU per refused cookie-less socket and per `/healthz`, the budget full first."""
    from websockets.asyncio.client import connect

    held = []
    for _ in range(int(ATTACK_ENV["BPL_MAX_SESSIONS"]) // 2):  # the cookie-less budget: half
        ws = await connect(server.ws_url, **CLIENT_OPTIONS)
        await ws.recv()
        held.append(ws)

    async def refused() -> int | None:
        async with connect(server.ws_url, **CLIENT_OPTIONS) as ws:
            await ws.wait_closed()
        return ws.close_code

    async def health() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]

    pid = server.process.pid
    out: dict[str, Any] = {"count": count}
    for name, one in (("refusal", refused), ("healthz", health)):
        codes = []
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        for _ in range(count // 50):  # bursts of 50 at once, as a flood comes
            codes += await asyncio.gather(*(one() for _ in range(50)))
        out[f"{name}_cpu_ms"] = (cpu_seconds(pid) - cpu0) / (count // 50 * 50) * 1000
        out[f"{name}_wall_s"] = time.perf_counter() - wall0
        if name == "refusal":
            out["close_codes"] = sorted(set(codes))
    for ws in held:
        await ws.close()
    return out


def connection_cost(count: int = 1000) -> dict[str, Any]:
    """What a refused socket and a `/healthz` cost the server (user + system CPU, in ms)."""
    server_cores, client_cores = server_cpus()
    with tempfile.TemporaryDirectory(prefix="bpl-attack-") as tmp:
        env = {**ATTACK_ENV, "BPL_CHECKPOINT_DIR": tmp}
        with live_server(env, cpus=server_cores) as server, client_placement(client_cores):
            return asyncio.run(_connection_cost(server, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--retry", type=float, default=Attacker.retry_s, help="attacker retry s")
    parser.add_argument("--lockstep", action="store_true", help="refused sockets retry together")
    parser.add_argument("--nginx", action="store_true", help="through deploy/nginx.conf")
    parser.add_argument("--back-epoch", action="store_true", help="only item 5's measurement")
    parser.add_argument("--connection-cost", action="store_true", help="CPU per refusal")
    args = parser.parse_args()
    Attacker.retry_s = args.retry
    Attacker.lockstep = args.lockstep
    if args.back_epoch:
        print(json.dumps(back_by_epoch(), indent=2))
        return
    if args.connection_cost:
        print(json.dumps(connection_cost(), indent=2))
        return
    result = run(args.duration, through_nginx=args.nginx)
    print(json.dumps(result, indent=2))
    ok = not result["resumes_failed"] and result["healthz_p99_ms"] < 100
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
