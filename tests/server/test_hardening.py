"""Issue 6 on a real server: caps, culling, stalled readers, load, faults, restarts.

Each known uvicorn/starlette trap has a regression test here (named in its docstring). Timings are
asserted with generous bounds only; the measured figures are printed (`-s`) for the README.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import LiveServer
from tests.server.live import (
    RawSocket,
    close_code,
    close_reason,
    cpu_seconds,
    healthz_seconds,
    rss_bytes,
    ws_peer,
)

Factory = Callable[..., LiveServer]
FAST_REAPER = {"BPL_REAP_INTERVAL_S": "0.2"}


def cookie(name: str) -> dict[str, object]:
    return {"additional_headers": {"Cookie": f"bpl_browser={name}"}}


def test_session_cap_closes_1013_while_healthz_answers(server_factory: Factory) -> None:
    """Trap: --limit-concurrency starves /healthz; the app caps sessions itself."""
    # Cookie-less clients get all 3 (their own budget is half of the cap by default).
    server = server_factory({"BPL_MAX_SESSIONS": "3", "BPL_MAX_ANONYMOUS_SESSIONS": "3"})
    peers = [ws_peer(server.ws_url) for _ in range(3)]
    opened = [p.__enter__() for p in peers]
    try:
        for peer in opened:
            peer.welcome()
        with ws_peer(server.ws_url) as extra:
            assert close_code(extra) == 1013
            assert "server full" in close_reason(extra)
        assert healthz_seconds(server.url) < 1.0
    finally:
        for p in peers:
            p.__exit__(None, None, None)


def test_per_browser_cap_counts_the_cookie_not_the_address(server_factory: Factory) -> None:
    server = server_factory({"BPL_MAX_SESSIONS_PER_BROWSER": "2"})
    with (
        ws_peer(server.ws_url, **cookie("alice")) as a1,
        ws_peer(server.ws_url, **cookie("alice")) as a2,
    ):
        a1.welcome(), a2.welcome()
        with ws_peer(server.ws_url, **cookie("alice")) as a3:
            assert close_code(a3) == 1013 and "this browser" in close_reason(a3)
        with ws_peer(server.ws_url, **cookie("bob")) as b1:  # same IP, another browser
            assert b1.welcome()["hello"]["step"] == 0


def test_page_sets_the_browser_cookie(live_server: LiveServer) -> None:
    import urllib.request

    with urllib.request.urlopen(live_server.url + "/", timeout=5) as response:
        set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("bpl_browser=") and "HttpOnly" in set_cookie


def test_idle_sessions_are_culled_then_freed_after_the_resume_window(
    server_factory: Factory,
) -> None:
    server = server_factory(
        {"BPL_IDLE_TIMEOUT_S": "1", "BPL_RESUME_WINDOW_S": "1.5", **FAST_REAPER}
    )
    with ws_peer(server.ws_url) as peer:
        hello = peer.welcome()["hello"]
        started = time.monotonic()
        assert close_code(peer) == 1001 and "idle" in close_reason(peer)
        assert 0.9 < time.monotonic() - started < 5
    resume = f"{server.ws_url}?session={hello['session']}&token={hello['token']}"
    with ws_peer(resume) as peer:  # within the resume window: still there
        assert peer.welcome()["hello"]["resumed"] is True
    watch = f"{server.ws_url}?watch={hello['session']}&key={hello['watch_key']}"
    with ws_peer(watch) as watcher:
        watcher.welcome()
        # disconnected longer than the window: freed, checkpoint deleted, spectators told
        assert close_code(watcher, timeout=6) == 1001
        assert close_reason(watcher) in {"session ended", "idle for too long"}
    with ws_peer(resume) as peer:
        assert peer.recv()["code"] == "invalid_session"
    assert not (server.log.parent / "checkpoints" / "sessions" / f"{hello['session']}.npz").exists()


def test_a_session_older_than_the_maximum_age_is_closed(server_factory: Factory) -> None:
    server = server_factory({"BPL_MAX_SESSION_AGE_S": "1", **FAST_REAPER})
    with ws_peer(server.ws_url) as peer:
        hello = peer.welcome()["hello"]
        peer.send({"type": "play", "speed": 20})  # busy is not young
        deadline = time.monotonic() + 5
        with pytest.raises(ConnectionClosed) as closed:
            while time.monotonic() < deadline:
                message = peer.recv()
                if message["type"] == "frame":
                    peer.send({"type": "ack", "frame": message["frame"]})
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert "too old" in closed.value.rcvd.reason
    with ws_peer(f"{server.ws_url}?session={hello['session']}&token={hello['token']}") as peer:
        assert peer.recv()["code"] == "invalid_session"


def test_a_client_that_stops_reading_is_dropped_and_its_session_kept(
    server_factory: Factory, request: pytest.FixtureRequest
) -> None:
    """Trap: ping/pong does not evict a stalled reader; every send has a deadline."""
    server = server_factory({"BPL_SEND_TIMEOUT_S": "1"})
    with ws_peer(server.ws_url) as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "configure", "config": {"hidden": [64, 64, 64]}}, "series")
    path = f"/ws?session={hello['session']}&token={hello['token']}"
    raw = RawSocket(server.port, path)  # takes over; reads nothing from here on
    request.addfinalizer(raw.abort)
    rss_before = rss_bytes(server.process.pid)
    raw.send_text(json.dumps({"type": "play"}))
    deadline = time.monotonic() + 8
    latencies = []
    try:
        while time.monotonic() < deadline and "send deadline missed" not in server.log.read_text():
            raw.send_text(json.dumps({"type": "ack", "frame": 10**9}))  # acks blindly
            latencies.append(healthz_seconds(server.url))
            time.sleep(0.02)
    except OSError:
        pass  # the server closed the socket under us
    growth = rss_bytes(server.process.pid) - rss_before
    log = server.log.read_text()
    assert "send deadline missed" in log and "Traceback" not in log
    assert growth < 64 << 20, f"memory grew {growth >> 20} MiB"
    assert max(latencies) < 1.0
    print(f"\nstalled reader: dropped; RSS growth {growth >> 20} MiB; "
          f"healthz max {max(latencies) * 1000:.1f} ms")  # fmt: skip
    with ws_peer(server.ws_url + path.removeprefix("/ws")) as peer:
        first = peer.welcome()
        assert first["hello"]["resumed"] is True and first["state"]["playing"] is False
        assert first["state"]["step"] > 0 and first["state"]["config"]["hidden"] == [64, 64, 64]


def test_healthz_stays_fast_while_20_sessions_play(server_factory: Factory) -> None:
    """Trap: an unyielding send loop starves the process."""
    server = server_factory()
    stop = threading.Event()
    frames = [0] * 20
    errors: list[BaseException] = []

    def player(i: int) -> None:
        try:
            with ws_peer(server.ws_url) as peer:
                peer.welcome()
                peer.send({"type": "play"})
                while not stop.is_set():
                    message = peer.recv()
                    if message["type"] == "frame":
                        frames[i] += 1
                        peer.send({"type": "ack", "frame": message["frame"]})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=player, args=(i,), daemon=True) for i in range(20)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    latencies = [healthz_seconds(server.url) for _ in range(20) if not time.sleep(0.05)]
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert not errors, errors
    assert all(n > 5 for n in frames), frames
    latencies.sort()
    print(f"\n20 sessions playing: healthz median {latencies[10] * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; frames per session {min(frames)}..{max(frames)}")  # fmt: skip
    assert latencies[-1] < 1.0


def test_healthz_and_pings_stay_fast_while_50_sessions_run_long_steps(
    server_factory: Factory,
) -> None:
    """server-requests #9: long `step` commands share the loop like play does.

    Judged against the same server in the same run, not against a clock: a server that ran
    a `step` of 1,000 updates without yielding would keep `/healthz` and a `ping` waiting for
    the rest of that command (on average half of it, at worst all of it). Sharing the loop,
    they wait for one slice (~1 ms of training), whatever the machine's speed.
    """
    server = server_factory({"BPL_MAX_SESSIONS_PER_BROWSER": "100"})
    count = 1000
    with ws_peer(server.ws_url) as solo:
        solo.welcome()
        solo.request({"type": "step", "count": 50}, "iteration")  # warm up
        started = time.perf_counter()
        solo.request({"type": "step", "count": count}, "iteration")
        one_command = time.perf_counter() - started

    stop = threading.Event()
    done = [0] * 50
    errors: list[BaseException] = []
    peers: list[Any] = []

    def stepper(i: int) -> None:
        try:
            # 50 sessions share the loop fairly: each command takes ~50 times `one_command`.
            with ws_peer(server.ws_url, timeout=max(120.0, 200 * one_command)) as peer:
                peers.append(peer)
                peer.welcome()
                while not stop.is_set():
                    peer.request({"type": "step", "count": count}, "iteration")
                    done[i] += 1
        except ConnectionClosed:
            if not stop.is_set():
                raise
        except BaseException as exc:
            if not stop.is_set():
                errors.append(exc)

    threads = [threading.Thread(target=stepper, args=(i,), daemon=True) for i in range(50)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    latencies = []
    pings = []
    with ws_peer(server.ws_url, timeout=120) as idle:
        idle.welcome()
        for _ in range(10):
            latencies.append(healthz_seconds(server.url))
            started = time.perf_counter()
            idle.expect({"type": "ping"}, "pong")
            pings.append(time.perf_counter() - started)
            time.sleep(0.05)
    # Every session's first command completes: the steps were made, not put off.
    deadline = time.monotonic() + max(300.0, 200 * one_command)
    while min(done) < 1 and not errors and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for peer in list(peers):
        peer.ws.close()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[:3]
    assert min(done) >= 1, done
    print(f"\n50 sessions stepping {count:,} at a time (one such command alone: "
          f"{one_command * 1000:.0f} ms): healthz max {max(latencies) * 1000:.0f} ms, "
          f"ping max {max(pings) * 1000:.0f} ms")  # fmt: skip
    assert max(latencies) < one_command / 2 and max(pings) < one_command / 2


def test_100_abrupt_disconnects_leak_nothing(server_factory: Factory) -> None:
    """Traps: WebSocketDisconnected on send after close; a send loop spinning after a drop."""
    server = server_factory({"BPL_RESUME_WINDOW_S": "1", **FAST_REAPER})
    pid = server.process.pid
    tokens = []
    for i in range(100):
        with ws_peer(server.ws_url) as peer:
            hello = peer.welcome()["hello"]
            tokens.append((hello["session"], hello["token"]))
            peer.send({"type": "play"} if i % 2 else {"type": "step", "count": 1000})
            peer.recv()
            peer.ws.socket.close()  # type: ignore[attr-defined]  # mid-stream, no close frame
    time.sleep(2.5)  # the resume window passes; the reaper frees them
    cpu_start = cpu_seconds(pid)
    time.sleep(2.0)
    idle_cpu = cpu_seconds(pid) - cpu_start
    print(f"\nafter 100 abrupt disconnects: {idle_cpu / 2 * 100:.1f} % CPU, "
          f"RSS {rss_bytes(pid) >> 20} MiB")  # fmt: skip
    assert idle_cpu < 0.2, f"the server is still busy: {idle_cpu:.2f} s CPU in 2 s"
    for session, token in tokens[::10]:
        with ws_peer(f"{server.ws_url}?session={session}&token={token}") as peer:
            assert peer.recv()["code"] == "invalid_session", "a session outlived its window"
    log = server.log.read_text()
    assert "Traceback" not in log and "ERROR" not in log, log[-2000:]
    assert healthz_seconds(server.url) < 1.0


def test_sigterm_closes_1012_and_a_restart_resumes_from_the_checkpoint(
    server_factory: Factory, tmp_path: Path
) -> None:
    server = server_factory()
    with ws_peer(server.ws_url) as peer:
        hello = peer.welcome()["hello"]
        peer.expect({"type": "configure", "config": {"optimizer": "adam"}}, "config")
        peer.request({"type": "step", "unit": "epoch", "count": 2}, "state")
        peer.request({"type": "step", "count": 3}, "iteration")
        before = peer.sync()
        peer.expect({"type": "play", "speed": 5}, "status")
        peer.send({"type": "pause"})
        paused = next(m for m in peer.until("series") if m["type"] == "state")
        os.kill(server.process.pid, signal.SIGTERM)
        assert close_code(peer) == 1012
    assert server.process.wait(timeout=15) in (0, -signal.SIGTERM)  # uvicorn re-raises it
    assert "Application shutdown complete" in server.log.read_text()
    checkpoint = tmp_path / "checkpoints" / "sessions" / f"{hello['session']}.npz"
    assert checkpoint.is_file()
    restarted = server_factory()
    resume = f"{restarted.ws_url}?session={hello['session']}&token={hello['token']}"
    with ws_peer(resume) as peer:
        first = peer.welcome()
        assert first["hello"]["resumed"] is True and first["hello"]["token"] == hello["token"]
        state = first["state"]
        assert state["step"] == paused["step"] and state["layers"] == paused["layers"]
        assert state["config"]["optimizer"] == "adam" and state["epoch"] == paused["epoch"]
        assert state["step"] >= before["step"]
        assert state["history"]["oldest"] == paused["step"], "the kept history restarts here"
        assert peer.error({"type": "back", "unit": "epoch"})["code"] == "out_of_range"
        assert first["series"]["steps"] == list(range(1, paused["step"] + 1)), "charts survive"
        assert peer.request({"type": "step"}, "iteration")[-1]["step"] == paused["step"] + 1
    with ws_peer(f"{restarted.ws_url}?session={hello['session']}&token=wrong") as peer:
        assert peer.recv()["code"] == "invalid_session"


def test_a_restart_restores_a_custom_dataset_session(server_factory: Factory) -> None:
    import urllib.request

    server = server_factory()
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(60))
    request = urllib.request.Request(
        f"{server.url}/api/datasets", data=f"p,q,label\n{rows}".encode(),
        headers={"content-type": "text/csv"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        dataset_id = json.loads(response.read())["dataset_id"]
    with ws_peer(server.ws_url) as peer:
        hello = peer.welcome()["hello"]
        peer.request(
            {"type": "configure", "config": {"dataset": "custom", "dataset_id": dataset_id}},
            "series",
        )
        peer.request({"type": "step", "count": 5}, "iteration")
        before = peer.sync()
    server.stop()
    restarted = server_factory()
    resume = f"{restarted.ws_url}?session={hello['session']}&token={hello['token']}"
    with ws_peer(resume) as peer:
        first = peer.welcome()
        assert first["hello"]["resumed"] is True
        assert first["data"]["features"] == ["p", "q"] and first["state"]["step"] == 5
        assert first["state"]["layers"] == before["layers"]


def test_allowed_origins_from_the_environment(server_factory: Factory) -> None:
    """Trap: nothing checks Origin by default; refused before accept."""
    server = server_factory({"BPL_ALLOWED_ORIGINS": "https://lab.example.org"})
    with ws_peer(server.ws_url, origin="https://lab.example.org") as peer:
        peer.welcome()
    with (
        pytest.raises(InvalidStatus) as refused,
        ws_peer(server.ws_url, origin="https://evil.example.org"),
    ):
        pass
    assert refused.value.response.status_code == 403
