"""Issue 14, items 2-11 and the low ones: each test is the item's message or request.

In-process (TestClient) unless the item needs uvicorn itself (logging, proxy headers): those
are in tests/server/test_issue14_live.py; item 4 (watch links across processes) goes through
nginx in tests/scaleout.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.server import checkpoints as checkpoints_module
from app.server.app import REDACT, create_app
from app.server.connection import Connection
from app.server.hub import SessionHub
from app.server.routes import api
from app.server.settings import Settings
from app.steplog import LogEntry, StepLog
from tests.server.conftest import make_connect, settled
from tests.server.helpers import Peer

CSV = "a,b,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40))


def app_client(tmp_path: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(checkpoint_dir=tmp_path / "ck", **settings)))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path) as c:
        yield c


def close_code_of(peer: Peer) -> int:
    """The close code, after at most two `error` messages (anything else fails, never hangs)."""
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(3):
            message = peer.recv()
            assert message["type"] == "error", f"not closed: got {message['type']}"
    return closed.value.code


# -- 2: strangers cannot evict students' sessions ---------------------------------------------


def test_2_a_full_server_refuses_new_sessions_and_the_student_resumes(tmp_path: Path) -> None:
    with app_client(tmp_path, max_sessions=2) as client:
        connect = make_connect(client)
        with connect("/ws", headers={"cookie": "bpl_browser=student"}) as student:
            hello = student.welcome()["hello"]
            student.request({"type": "step", "count": 3}, "iteration")
        with ExitStack() as strangers:
            first = strangers.enter_context(connect("/ws"))
            first.welcome()
            second = strangers.enter_context(connect("/ws"))
            # Release 1 evicted the student's disconnected session to make room.
            assert close_code_of(second) == 1013
            resume = f"/ws?session={hello['session']}&token={hello['token']}"
            with connect(resume) as back:
                again = back.welcome()["hello"]
                assert again["resumed"] is True and again["step"] == 3


def test_2_cookie_less_clients_have_their_own_budget(tmp_path: Path) -> None:
    with app_client(tmp_path, max_anonymous_sessions=1) as client:
        connect = make_connect(client)
        with connect("/ws") as script, connect("/ws") as another:
            script.welcome()
            assert close_code_of(another) == 1013
            with connect("/ws", headers={"cookie": "bpl_browser=s"}) as browser:
                assert browser.welcome()["hello"]["role"] == "control"


def test_2_find_restores_from_disk_when_the_process_is_full_for_new_sessions(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        settings = Settings(checkpoint_dir=tmp_path, max_sessions=1, resume_headroom=1)
        a, b = SessionHub(settings), SessionHub(settings)
        moved = a.new_session("x")
        a.save(moved)
        b.new_session("y")  # B is full for new sessions
        found = b.find(moved.session.id, moved.session.token)
        assert found is not None, "a resume must not lose to the new-session cap"

    asyncio.run(scenario())


# -- 3: CSV uploads ---------------------------------------------------------------------------


def test_3_a_cross_site_upload_is_refused(client: TestClient) -> None:
    evil = {"origin": "http://evil.example", "content-type": "text/csv"}
    response = client.post("/api/datasets", content=CSV.encode(), headers=evil)
    assert response.status_code == 403
    # The no-cors attack: text/plain and no Origin-carrying browser... refused by type too.
    plain = client.post(
        "/api/datasets", content=CSV.encode(), headers={"content-type": "text/plain"}
    )
    assert plain.status_code == 415
    cross = {"sec-fetch-site": "cross-site", "content-type": "text/csv"}
    assert client.post("/api/datasets", content=CSV.encode(), headers=cross).status_code == 403
    same = {"origin": "http://testserver", "content-type": "text/csv"}
    assert client.post("/api/datasets", content=CSV.encode(), headers=same).status_code == 201
    body = {"format": "backprop-lab/session@1", "config": {}, "step": 0, "epoch": 0, "layers": []}
    imported = client.post(
        "/api/sessions/import", json=body, headers={"origin": "http://evil.example"}
    )
    assert imported.status_code == 403


@pytest.mark.parametrize(
    "text",
    ["a,b,label\r1,2,0\r3,4,1\r", "a,b,label\n" + "x" * (200 << 10) + ",1,0\n"],
    ids=["cr-only", "field-200KiB"],
)
def test_3_unreadable_csv_is_422_not_500(tmp_path: Path, text: str) -> None:
    with app_client(tmp_path) as client:
        response = client.post(
            "/api/datasets", content=text.encode(), headers={"content-type": "text/csv"}
        )
    assert response.status_code == 422, response.text


def test_3_csv_is_parsed_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    loops: list[object] = []
    real = api.parse_csv

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:
            loops.append(None)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "parse_csv", spy)
    response = client.post(
        "/api/datasets", content=CSV.encode(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 201 and loops == [None]


def test_3_the_dataset_store_is_bounded_and_freed_with_its_sessions(tmp_path: Path) -> None:
    headers = {"content-type": "text/csv", "cookie": "bpl_browser=b1"}
    with app_client(tmp_path, max_datasets_per_browser=2) as client:
        hub = client.app.state.hub  # type: ignore[attr-defined]
        ids = [
            client.post("/api/datasets", content=CSV.encode(), headers=headers).json()["dataset_id"]
            for _ in range(3)
        ]
        assert ids[0] not in hub.datasets and hub.datasets.get(ids[0]) is None
        assert hub.datasets.get(ids[2]) is not None
        config = {"dataset": "custom", "dataset_id": ids[2]}
        entry = hub.new_session("b1", config)
        assert ids[2] in hub.datasets
        hub.drop(entry)
        assert ids[2] not in hub.datasets, "freed from memory with its last session"
    with app_client(tmp_path, max_dataset_bytes=4000) as client:
        hub = client.app.state.hub  # type: ignore[attr-defined]
        for n in range(4):
            cookie = {"content-type": "text/csv", "cookie": f"bpl_browser=c{n}"}
            assert (
                client.post("/api/datasets", content=CSV.encode(), headers=cookie).status_code
                == 201
            )
        assert hub.datasets.nbytes <= 4000 or len(hub.datasets._data) == 1


# -- 5: back by epoch -------------------------------------------------------------------------


def old_epoch_back_target(log: StepLog, step: int, revealed: int, count: int) -> int | None:
    starts = log.epoch_starts(step)
    at_start = revealed == 0
    for _ in range(count):
        earlier = [s for s in starts if (s < step if at_start else s <= step)]
        if not earlier:
            return None
        step, at_start = earlier[-1], True
    return step


def test_5_epoch_start_before_agrees_with_the_linear_walk() -> None:
    rng = np.random.default_rng(5)
    for _ in range(40):
        per_epoch = int(rng.integers(1, 6))
        first = int(rng.integers(0, 4))
        log = StepLog(2, LogEntry(first, first // per_epoch, first % per_epoch, None))
        for s in range(first + 1, first + int(rng.integers(1, 60))):
            log.put(LogEntry(s, s // per_epoch, s % per_epoch, 0.1))
        for step in range(log.first_step, log.last_step + 1):
            for revealed in (0, 1):
                for count in (1, 2, 3):
                    expected = old_epoch_back_target(log, step, revealed, count)
                    got: int | None = step
                    at_start = revealed == 0
                    for _ in range(count):
                        assert got is not None
                        got = log.epoch_start_before(got, inclusive=not at_start)
                        at_start = True
                        if got is None:
                            break
                    assert got == expected, (per_epoch, first, step, revealed, count)


# -- 6: import --------------------------------------------------------------------------------


def exported(client: TestClient) -> dict[str, Any]:
    with make_connect(client)("/ws") as peer:
        hello = peer.welcome()["hello"]
    params = {"token": hello["token"]}
    return dict(client.get(f"/api/sessions/{hello['session']}/export", params=params).json())


@pytest.mark.parametrize(("field", "value"), [("epoch", 2**63), ("step", 2**64)])
def test_6_huge_counters_are_422_and_leak_nothing(
    client: TestClient, field: str, value: int
) -> None:
    body = exported(client)
    hub = client.app.state.hub  # type: ignore[attr-defined]
    before = set(hub.entries)
    response = client.post("/api/sessions/import", json={**body, field: value})
    assert response.status_code == 422, response.text
    assert set(hub.entries) == before


def test_6_import_has_a_body_limit_and_a_rate_limit(tmp_path: Path) -> None:
    with app_client(tmp_path, max_import_bytes=50_000, import_burst=2, import_rate_per_s=0.01) as c:
        body = exported(c)
        big = {**body, "padding": "x" * 60_000}
        assert c.post("/api/sessions/import", json=big).status_code == 413
        statuses = [c.post("/api/sessions/import", json=body).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]


# -- 7: HTTP handlers keep session access on the event loop -----------------------------------


def test_7_session_handlers_run_on_the_event_loop(client: TestClient) -> None:
    for handler in (api.export_session, api.history_csv, api.import_session):
        assert inspect.iscoroutinefunction(handler), handler.__name__
    with make_connect(client)("/ws") as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "step", "count": 5}, "iteration")
        params = {"token": hello["token"]}
        text = client.get(f"/api/sessions/{hello['session']}/history.csv", params=params).text
    assert text.splitlines()[-1].startswith("5,")


# -- 8: a stale copy never overwrites a newer checkpoint --------------------------------------


def test_8_stopping_a_process_with_a_stale_copy_keeps_the_newer_checkpoint(
    tmp_path: Path,
) -> None:
    settings = Settings(checkpoint_dir=tmp_path)
    b = TestClient(create_app(settings)).__enter__()
    with TestClient(create_app(settings)) as a:
        with make_connect(a)("/ws") as peer:
            hello = peer.welcome()["hello"]
        settled(a)
        resume = f"/ws?session={hello['session']}&token={hello['token']}"
        with make_connect(b)(resume) as peer:
            assert peer.welcome()["hello"]["step"] == 0
            peer.request({"type": "step", "count": 10}, "iteration")
        hub_b = b.app.state.hub  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # B has written step 10 on disconnect
            entry = hub_b.entries[hello["session"]]
            if entry.controller is None and not entry.dirty and not hub_b.writing:
                break
            time.sleep(0.02)
        assert a.app.state.hub.entries[hello["session"]].session.step == 0  # type: ignore[attr-defined]
    # A stopped with its stale copy (step 0); the next resume lands on B again.
    try:
        with make_connect(b)(resume) as peer:
            assert peer.welcome()["hello"]["step"] == 10
    finally:
        b.__exit__(None, None, None)


# -- 9: resume credentials out of the URL -----------------------------------------------------


def test_9_resume_with_the_token_in_the_first_message(client: TestClient) -> None:
    connect = make_connect(client)
    with connect("/ws") as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "step", "count": 2}, "iteration")
    with connect(f"/ws?session={hello['session']}") as peer:
        peer.send({"type": "resume", "session": hello["session"], "token": hello["token"]})
        again = peer.welcome()["hello"]
        assert again["resumed"] is True and again["step"] == 2
    with connect(f"/ws?session={hello['session']}") as peer:
        peer.send({"type": "resume", "token": "wrong"})
        assert peer.recv()["code"] == "invalid_session"


# -- 10: memory and CPU bounds ----------------------------------------------------------------


class FakeSocket:
    application_state = None

    async def send_text(self, text: str) -> None:
        await asyncio.sleep(3600)  # a spectator that stopped reading

    async def close(self, code: int, reason: str) -> None:
        pass


def test_10_a_stalled_spectators_queue_is_bounded_in_bytes() -> None:
    async def scenario() -> None:
        hub = SessionHub(Settings(checkpoint_dir=None, watcher_queue_bytes=10_000))
        conn = Connection(FakeSocket(), hub, "watch")  # type: ignore[arg-type]
        conn._queue = asyncio.Queue(64)
        for _ in range(3):
            conn.enqueue("x" * 4_000)
        assert conn.closed, "12,000 bytes queued with a budget of 10,000"
        await asyncio.sleep(0)

    asyncio.run(scenario())


def test_10_sync_is_rate_limited(client: TestClient) -> None:
    with make_connect(client)("/ws") as peer:
        peer.welcome()
        for _ in range(12):
            peer.send({"type": "sync"})
        peer.send({"type": "ping"})
        kinds = [m.get("code") or m["type"] for m in peer.until("pong")]
    assert "rate_limited" in kinds


def test_10_gradient_checks_are_limited_by_a_semaphore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, most = 0, 0
    lock = threading.Lock()
    from app.session import gradcheck as gradcheck_module

    def slow_check(*args: Any, **kwargs: Any) -> list[Any]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.3)
        with lock:
            running -= 1
        return []

    monkeypatch.setattr(gradcheck_module, "check_training_rows", slow_check)
    with app_client(tmp_path, max_gradchecks=1) as client:
        connect = make_connect(client)
        with connect("/ws") as one, connect("/ws") as two:
            one.welcome()
            two.welcome()
            one.send({"type": "gradcheck"})
            two.send({"type": "gradcheck"})
            one.until("gradcheck")
            two.until("gradcheck")
    assert most == 1


def test_10_the_k8s_memory_limit_fits_the_sessions() -> None:
    root = Path(__file__).resolve().parents[2]
    manifest = (root / "deploy" / "k8s" / "deployment.yaml").read_text()
    limit = manifest.split("limits:", 1)[1].split("memory:", 1)[1].split()[0].strip("\"'")
    assert limit.endswith("Gi")
    sessions_line = [l for l in manifest.splitlines() if "BPL_MAX_SESSIONS" in l]
    assert sessions_line, "the manifest sets BPL_MAX_SESSIONS to what its memory carries"

    def env(name: str) -> int:
        after = manifest.split(f"name: {name}\n", 1)[1].split("value:", 1)[1].split()[0]
        return int(after.strip("\"'"))

    # Sessions in memory at most: the new-session cap plus resumes over it.
    sessions = env("BPL_MAX_SESSIONS") + env("BPL_RESUME_HEADROOM")
    # README: 200 of the largest sessions need ~3.3 GiB (~17 MiB each), the process ~70 MiB.
    assert float(limit[:-2]) * 1024 >= 70 + sessions * 17


# -- 11: checkpoints --------------------------------------------------------------------------


def test_11_checkpoints_are_fsynced_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = checkpoints_module.os.fsync, checkpoints_module.os.replace
    monkeypatch.setattr(
        checkpoints_module.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1]
    )
    monkeypatch.setattr(
        checkpoints_module.os,
        "replace",
        lambda a, b: (events.append("replace"), real_replace(a, b))[1],
    )
    hub = SessionHub(Settings(checkpoint_dir=tmp_path))
    entry = hub.new_session(None)
    events.clear()
    assert hub.save(entry)
    assert events[:2] == ["fsync", "replace"]


def test_11_an_unreadable_checkpoint_is_told_not_expired(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = make_connect(client)
    with connect("/ws") as peer:
        hello = peer.welcome()["hello"]
    settled(client)
    hub = client.app.state.hub  # type: ignore[attr-defined]
    hub.entries.clear()  # as after a restart: only the file is left

    def unreadable(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("checkpoint format unknown")  # as CheckpointUnreadable

    monkeypatch.setattr(hub.checkpoints, "load_session", unreadable)
    with connect(f"/ws?session={hello['session']}&token={hello['token']}") as peer:
        first = peer.recv()
        assert first["type"] == "error" and first["code"] == "checkpoint_unreadable"
        assert peer.welcome()["hello"]["resumed"] is False


def test_11_a_corrupt_checkpoint_file_is_told(client: TestClient, tmp_path: Path) -> None:
    connect = make_connect(client)
    with connect("/ws") as peer:
        hello = peer.welcome()["hello"]
    settled(client)
    hub = client.app.state.hub  # type: ignore[attr-defined]
    hub.entries.clear()
    (tmp_path / "ck" / "sessions" / f"{hello['session']}.npz").write_bytes(b"PK\x03\x04garbage")
    with connect(f"/ws?session={hello['session']}&token={hello['token']}") as peer:
        assert peer.recv()["code"] == "checkpoint_unreadable"


# -- Low --------------------------------------------------------------------------------------


def test_low_non_ascii_secrets_are_404_and_4003_not_500(client: TestClient) -> None:
    connect = make_connect(client)
    with connect("/ws") as peer:
        hello = peer.welcome()["hello"]
    sid = hello["session"]
    response = client.get(f"/api/sessions/{sid}/export", params={"token": "é" * 8})
    assert response.status_code == 404
    assert client.get(f"/api/sessions/{sid}/history.csv", params={"token": "ü"}).status_code == 404
    with connect(f"/ws?watch={sid}&key=%C3%A9") as peer:
        assert peer.recv()["code"] == "invalid_session"
        assert close_code_of(peer) == 4003
    with connect(f"/ws?session={sid}&token=%C3%A9") as peer:
        assert peer.recv()["code"] == "invalid_session"


def test_low_the_redaction_filter_keeps_uvicorns_access_format() -> None:
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/api/sessions/s/export?token=SECRET", "1.1", 200), None,
    )  # fmt: skip
    assert REDACT.filter(record)
    line = AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s').format(record)
    assert "SECRET" not in line and "token=…" in line and "200" in line


def test_low_security_headers_on_the_page(client: TestClient) -> None:
    import base64
    import hashlib
    import re

    response = client.get("/")
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    for script in re.findall(r"<script>(.*?)</script>", response.text, re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp
    assert client.get("/static/js/main.js").headers["x-content-type-options"] == "nosniff"


def test_low_the_cookie_is_secure_over_https(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(checkpoint_dir=None)), base_url="https://lab") as c:
        assert "Secure" in c.get("/").headers["set-cookie"]
    with TestClient(create_app(Settings(checkpoint_dir=None))) as c:
        assert "Secure" not in c.get("/").headers["set-cookie"]


def test_low_a_sessions_age_survives_a_restart(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = Settings(checkpoint_dir=tmp_path, max_session_age_s=3600)
        a = SessionHub(settings)
        entry = a.new_session(None)
        entry.session.created_at = time.time() - 2 * 3600  # created two hours ago
        a.save(entry)
        b = SessionHub(settings)  # the restarted process
        found = b.find(entry.session.id, entry.session.token)
        assert found is not None
        await b.reap()
        assert entry.session.id not in b.entries, "too old: freed"

    asyncio.run(scenario())


def test_low_a_spectators_pings_do_not_keep_a_session_alive(tmp_path: Path) -> None:
    with app_client(tmp_path, idle_timeout_s=0.6, reap_interval_s=0.1) as client:
        connect = make_connect(client)
        with connect("/ws") as controller:
            hello = controller.welcome()["hello"]
            with connect(f"/ws?watch={hello['session']}&key={hello['watch_key']}") as watcher:
                watcher.welcome()
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    watcher.send({"type": "ping"})
                    time.sleep(0.1)
                    if not client.app.state.hub.entries[hello["session"]].controller:  # type: ignore[attr-defined]
                        break
            assert close_code_of(controller) == 1001


def test_low_a_full_disk_is_told(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    connect = make_connect(client)
    hub = client.app.state.hub  # type: ignore[attr-defined]

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    with connect("/ws") as peer:
        hello = peer.welcome()["hello"]
        settled(client)
        monkeypatch.setattr(hub.checkpoints, "write_session", full)
        peer.request({"type": "step"}, "iteration")
    settled(client)  # the write on disconnect has failed
    with connect(f"/ws?session={hello['session']}&token={hello['token']}") as peer:
        peer.welcome()
        peer.send({"type": "ping"})
        codes = [m.get("code") for m in peer.until("pong")]
        assert "not_saved" in codes
