"""Scale-out through Debian's nginx: stickiness, failover with a shared checkpoint folder.

Two app processes share one BPL_CHECKPOINT_DIR behind nginx running deploy/nginx.conf
(rendered with loopback ports; see conftest.py). Which process served a request is read from its
`x-bpl-instance` response header (each process is started with BPL_INSTANCE=app-a / app-b) and
cross-checked with the processes' logs. Stickiness is also proven through state alone: between
reconnects the session's checkpoint file is deleted, so only the process holding the session in
memory can resume it.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from typing import Any

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection

from tests.scaleout.conftest import HTTP, App, Cluster, http_get

Message = dict[str, Any]


def recv_until(ws: ClientConnection, kind: str, timeout: float = 10, **match: Any) -> Message:
    """Read messages until one of type `kind` (with the given field values) arrives."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} message with {match} within {timeout} s")
        msg = json.loads(ws.recv(timeout=left))
        if msg["type"] == kind and all(msg.get(k) == v for k, v in match.items()):
            return msg


def hello_and_state(ws: ClientConnection) -> tuple[Message, Message]:
    hello = recv_until(ws, "hello")
    return hello, recv_until(ws, "state")


def step(ws: ClientConnection, count: int, expect_step: int) -> Message:
    ws.send(json.dumps({"type": "step", "unit": "iteration", "count": count}))
    return recv_until(ws, "iteration", step=expect_step)


def sync(ws: ClientConnection) -> Message:
    ws.send(json.dumps({"type": "sync"}))
    return recv_until(ws, "state")


def weights(state: Message) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.asarray(l["W"]), np.asarray(l["b"])) for l in state["layers"]]


def assert_same_weights(got: Message, want: Message) -> None:
    pairs = list(zip(weights(got), weights(want), strict=True))
    assert pairs, "a state without layers"
    for (W1, b1), (W2, b2) in pairs:
        # Bit-identical: float64 written by orjson round-trips exactly.
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def checkpoint_step(cluster: Cluster, session_id: str) -> int | None:
    """The step stored in a session's checkpoint file (format of app/server/checkpoints.py)."""
    path = cluster.checkpoint(session_id)
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode())
        state = meta["state"]
        # Format 2 keeps the step in the trainer-state header; release 1 in a dataclass skeleton.
        return int(state["step"] if "step" in state else state["fields"]["step"])
    except (OSError, ValueError, KeyError):
        return None


def other(cluster: Cluster, app: App) -> App:
    (rest,) = [a for a in cluster.apps if a is not app]
    return rest


def resume_query(hello: Message) -> str:
    return f"?session={hello['session']}&token={hello['token']}"


# -- (c) health and the proxy's headers -------------------------------------------------------


def test_healthz_and_page_through_nginx(cluster: Cluster) -> None:
    with http_get(cluster.url + "/healthz") as response:
        assert response.status == 200
        assert json.load(response) == {"status": "ok"}
        cluster.app(response.headers.get("x-bpl-instance"))
    cookie = cluster.browser_cookie()
    assert len(cookie) >= 16

    # nginx passes the browser's Host (with the port), so the app's same-origin check accepts
    # the page's own origin through the proxy and still refuses a cross-site one.
    ws = cluster.ws(cookie=cookie, origin=f"http://127.0.0.1:{cluster.port}")
    hello, _ = hello_and_state(ws)
    assert hello["resumed"] is False
    with pytest.raises(InvalidStatus) as refused:
        cluster.ws(cookie=cookie, origin="http://evil.example")
    assert refused.value.response.status_code == 403


# -- (a) reconnects stay on their process ------------------------------------------------------


def test_reconnects_stay_on_their_process(cluster: Cluster) -> None:
    """Browsers (by their bpl_browser cookie) are spread over both processes, and every
    reconnect of a session lands on the process that holds it in memory."""
    sessions: list[tuple[str, Message, App, int]] = []  # cookie, hello, owner, step
    for i in range(40):  # until both processes own two sessions (about 4-6 browsers)
        cookie = cluster.browser_cookie()
        ws = cluster.ws(cookie=cookie)
        hello, _ = hello_and_state(ws)
        step(ws, 3 + i, expect_step=3 + i)
        ws.close()
        sessions.append((cookie, hello, cluster.served(ws), 3 + i))
        per_app = [sum(s[2] is app for s in sessions) for app in cluster.apps]
        if min(per_app) >= 2:
            break
    assert min(per_app) >= 2, f"nginx sent every browser to one process: {per_app}"

    for _ in range(3):
        for k, (cookie, hello, owner, at) in enumerate(sessions):
            sid = hello["session"]
            # The checkpoint written on disconnect is deleted: only the owner's memory can
            # resume the session now, so a misrouted reconnect would get a fresh session.
            # A new session's first checkpoint (step 0) exists from its `hello` on; the one
            # written on disconnect (in a worker thread) holds the session's step.
            wait_for(
                lambda sid=sid, at=at: checkpoint_step(cluster, sid) == at, 5, "the checkpoint"
            )
            cluster.checkpoint(sid).unlink()
            ws = cluster.ws(resume_query(hello), cookie=cookie)
            assert cluster.served(ws) is owner
            again, state = hello_and_state(ws)
            assert again["resumed"] is True, f"session {k} was not resumed: {again}"
            assert again["session"] == sid and state["step"] == at
            step(ws, 1, expect_step=at + 1)
            ws.close()
            sessions[k] = (cookie, hello, owner, at + 1)
    for _, hello, owner, _ in sessions:  # the logs agree: 3 resumes, all on the owner
        assert owner.accepted(hello["session"]) == 3
        assert other(cluster, owner).accepted(hello["session"]) == 0

    # No token in any log: nginx's access log writes paths only (format `bpl`), and the app
    # redacts them from uvicorn's (server-requests #4).
    logs = [(cluster.prefix / "access.log").read_text(), *(a.log_text() for a in cluster.apps)]
    assert '"GET /ws"' in logs[0]
    for _, hello, _, _ in sessions:
        assert not [text for text in logs if hello["token"] in text]


def test_cookieless_resumes_stick_to_one_process(cluster: Cluster) -> None:
    """A script without cookies: its first socket lands anywhere (round robin); every resume
    and API call is routed by the session id, so all of them reach one process (the shared
    checkpoint bridges the first move if that is not the process that created the session)."""
    ws = cluster.ws()
    hello, _ = hello_and_state(ws)
    step(ws, 4, expect_step=4)
    ws.close()
    sid = hello["session"]
    landed: set[str] = set()
    for n in range(4):
        wait_for(lambda n=n: checkpoint_step(cluster, sid) == 4 + n, 5, "the checkpoint")
        ws = cluster.ws(resume_query(hello))
        landed.add(cluster.served(ws).name)
        again, state = hello_and_state(ws)
        assert again["resumed"] is True and state["step"] == 4 + n
        step(ws, 1, expect_step=5 + n)
        ws.close()
    assert len(landed) == 1, f"resumes of one session landed on {landed}"

    # Its API calls are routed by the session id in the path, to the same process: always the
    # current history (step 8), never a stale copy another process may still hold.
    path = f"/api/sessions/{sid}/history.csv"
    for _ in range(4):
        with http_get(f"{cluster.url}{path}?token={hello['token']}") as response:
            assert response.status == 200
            assert {response.headers.get("x-bpl-instance")} == landed
            rows = response.read().decode().strip().splitlines()
        assert rows[-1].split(",")[0] == "8"


def test_cookieless_import_resumes_wherever_it_lands(cluster: Cluster) -> None:
    """An imported session is checkpointed at once (server-requests #7) and the API finds
    sessions on disk (#6): a cookie-less client's import, export and resume may each reach a
    different process and still see one session."""
    cookie = cluster.browser_cookie()
    ws = cluster.ws(cookie=cookie)
    hello, _ = hello_and_state(ws)
    step(ws, 5, expect_step=5)
    url = f"{cluster.url}/api/sessions/{hello['session']}/export?token={hello['token']}"
    with http_get(url, {"Cookie": f"bpl_browser={cookie}"}) as response:
        exported = response.read()
    crossed = 0
    for _ in range(20):  # until two imports were resumed by another process than their own
        post = urllib.request.Request(
            cluster.url + "/api/sessions/import",
            data=exported,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with HTTP.open(post, timeout=5) as response:
            assert response.status == 201
            imported = json.load(response)
            importer = cluster.app(response.headers.get("x-bpl-instance"))
        sid, token = imported["session"], imported["token"]
        # Routed by the id in the path: maybe not the importer, which wrote the checkpoint.
        with http_get(f"{cluster.url}/api/sessions/{sid}/export?token={token}") as response:
            assert response.status == 200 and json.load(response)["step"] == 5
        again = cluster.ws(f"?session={sid}&token={token}")
        crossed += cluster.served(again) is not importer
        resumed, state = hello_and_state(again)
        assert resumed["resumed"] is True, resumed
        assert state["step"] == 5
        again.close()
        if crossed >= 2:
            break
    assert crossed >= 2, "every import was resumed by its own process: nothing proven"


# -- (b) a session survives its process being killed --------------------------------------------


def test_session_survives_sigkill_of_its_process(cluster: Cluster) -> None:
    """SIGKILL gives the app no chance to write anything: the session comes back from the
    checkpoint written when play was paused."""
    cookie = cluster.browser_cookie()
    ws = cluster.ws(cookie=cookie)
    owner = cluster.served(ws)
    hello, _ = hello_and_state(ws)
    step(ws, 7, expect_step=7)
    ws.send(json.dumps({"type": "play", "speed": 200}))
    frame = recv_until(ws, "frame")
    while frame["step"] < 15:  # one frame in flight: ack each to get the next
        ws.send(json.dumps({"type": "ack", "frame": frame["frame"]}))
        frame = recv_until(ws, "frame")
    ws.send(json.dumps({"type": "pause"}))
    recv_until(ws, "status", playing=False)
    before = recv_until(ws, "state")
    assert before["step"] > 7 and before["playing"] is False
    sid = hello["session"]
    wait_for(lambda: checkpoint_step(cluster, sid) == before["step"], 5, "the pause checkpoint")

    owner.process.send_signal(signal.SIGKILL)
    owner.process.wait(timeout=5)
    with pytest.raises(ConnectionClosed):  # nginx drops the client's socket with the upstream
        while True:
            ws.recv(timeout=5)

    with http_get(cluster.url + "/healthz") as response:  # the other process still answers
        assert response.status == 200
    ws2 = cluster.ws(resume_query(hello), cookie=cookie)
    assert cluster.served(ws2) is other(cluster, owner)
    again, after = hello_and_state(ws2)
    assert again["resumed"] is True, again
    assert after["step"] == before["step"] and after["epoch"] == before["epoch"]
    assert after["config"] == before["config"]
    assert_same_weights(after, before)
    nxt = step(ws2, 1, expect_step=before["step"] + 1)
    assert nxt["layers"], "the resumed session trains on"


@pytest.mark.parametrize(
    "cluster", [{"BPL_CHECKPOINT_INTERVAL_S": "1", "BPL_REAP_INTERVAL_S": "0.2"}], indirect=True
)
def test_stepped_session_survives_sigkill(cluster: Cluster) -> None:
    """A student who only steps (no play, no disconnect) is checkpointed periodically too
    (server-requests #3; every BPL_CHECKPOINT_INTERVAL_S, here 1 s): SIGKILL loses at most
    that interval."""
    cookie = cluster.browser_cookie()
    ws = cluster.ws(cookie=cookie)
    owner = cluster.served(ws)
    hello, _ = hello_and_state(ws)
    step(ws, 6, expect_step=6)
    before = sync(ws)
    wait_for(lambda: checkpoint_step(cluster, hello["session"]) == 6, 5, "a periodic checkpoint")

    owner.process.send_signal(signal.SIGKILL)
    owner.process.wait(timeout=5)
    ws2 = cluster.ws(resume_query(hello), cookie=cookie)
    assert cluster.served(ws2) is other(cluster, owner)
    again, after = hello_and_state(ws2)
    assert again["resumed"] is True and after["step"] == 6
    assert_same_weights(after, before)


def test_session_survives_sigterm_of_its_process(cluster: Cluster) -> None:
    """SIGTERM: the client is told 1012 (restart), the process checkpoints the session on its
    way out, and the reconnect resumes it on the other process, nothing lost."""
    cookie = cluster.browser_cookie()
    ws = cluster.ws(cookie=cookie)
    owner = cluster.served(ws)
    hello, _ = hello_and_state(ws)
    step(ws, 9, expect_step=9)
    before = sync(ws)
    assert before["step"] == 9

    owner.process.send_signal(signal.SIGTERM)
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    # The page reconnects with backoff; wait for the process to finish its shutdown (its
    # checkpoints are written by then) rather than race it.
    assert owner.process.wait(timeout=10) in (0, -signal.SIGTERM)  # uvicorn re-raises it

    ws2 = cluster.ws(resume_query(hello), cookie=cookie)
    assert cluster.served(ws2) is other(cluster, owner)
    again, after = hello_and_state(ws2)
    assert again["resumed"] is True, again
    assert after["step"] == 9
    assert_same_weights(after, before)
    step(ws2, 2, expect_step=11)


def test_newer_checkpoint_beats_a_stale_copy_in_memory(cluster: Cluster) -> None:
    """A cookie-less client whose resumes moved to another process (by session id) must not
    be handed the older copy the first process still keeps in memory, should it land there
    again (here: because the second process was killed). Server-requests #2."""
    for _ in range(30):  # until the first socket and the resumes land on different processes
        ws = cluster.ws()
        first = cluster.served(ws)
        hello, _ = hello_and_state(ws)
        step(ws, 4, expect_step=4)
        ws.close()
        sid = hello["session"]
        wait_for(lambda sid=sid: checkpoint_step(cluster, sid) == 4, 5, "the checkpoint")
        ws = cluster.ws(resume_query(hello))
        second = cluster.served(ws)
        hello_and_state(ws)
        if second is not first:
            break
        ws.close()
    assert second is not first, "the resumes never moved: nothing to test"
    step(ws, 6, expect_step=10)
    ws.close()
    wait_for(lambda: checkpoint_step(cluster, sid) == 10, 5, "the checkpoint of step 10")
    second.process.kill()
    second.process.wait(timeout=5)

    ws = cluster.ws(resume_query(hello))
    assert cluster.served(ws) is first
    again, state = hello_and_state(ws)
    assert again["resumed"] is True
    assert state["step"] == 10, f"{first.name} resumed its stale copy at step {state['step']}"
