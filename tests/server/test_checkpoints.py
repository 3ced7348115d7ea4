"""Checkpoints shared by several processes (two apps on one directory, in-process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.settings import Settings
from tests.server.conftest import make_connect, settled


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    settings = Settings(checkpoint_dir=tmp_path, checkpoint_interval_s=0.2, reap_interval_s=0.1)
    with ExitStack() as stack:
        a = stack.enter_context(TestClient(create_app(settings)))
        b = stack.enter_context(TestClient(create_app(settings)))
        yield a, b


def test_a_newer_checkpoint_beats_a_stale_copy_in_memory(
    two_processes: tuple[TestClient, TestClient], tmp_path: Path
) -> None:
    a, b = two_processes
    with make_connect(a)("/ws", headers={"cookie": "bpl_browser=alice"}) as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "step", "count": 4}, "iteration")
    settled(a)
    resume = f"/ws?session={hello['session']}&token={hello['token']}"
    with make_connect(b)(resume) as peer:  # the reconnect lands on the other process
        assert peer.welcome()["hello"]["step"] == 4
        peer.request({"type": "step", "count": 6}, "iteration")
    settled(b)
    entry_b = b.app.state.hub.entries[hello["session"]]
    assert entry_b.browser == "alice", "the browser cookie travels with the checkpoint"
    with make_connect(a)(resume) as peer:  # and back: A's copy (step 4) is stale
        first = peer.welcome()
        assert first["hello"]["step"] == 10 and first["hello"]["resumed"] is True
    settled(a)
    # A drops its copy later: the checkpoint now written by A is A's to delete.
    hub_a = a.app.state.hub
    hub_b = b.app.state.hub
    path = tmp_path / "sessions" / f"{hello['session']}.npz"
    hub_b.drop(hub_b.entries[hello["session"]])  # B's copy is stale now: B must not delete
    assert path.is_file()
    hub_a.drop(hub_a.entries[hello["session"]])
    assert not path.exists()


def test_stepped_sessions_are_checkpointed_periodically(
    two_processes: tuple[TestClient, TestClient], tmp_path: Path
) -> None:
    a, b = two_processes
    with make_connect(a)() as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "step", "count": 3}, "iteration")
        path = tmp_path / "sessions" / f"{hello['session']}.npz"
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.is_file(), "a connected, stepped session is checkpointed"
        # Another process can read it through the API meanwhile. The first write may hold step 0
        # (a new session is written at once); the next periodic one (0.2 s here) holds step 3.
        url = f"/api/sessions/{hello['session']}/export"
        while True:
            export = b.get(url, params={"token": hello["token"]})
            b.app.state.hub.entries.pop(hello["session"], None)  # read the disk again next time
            if export.status_code != 200 or export.json()["step"] == 3:
                break
            if time.monotonic() > deadline + 5:
                break
            time.sleep(0.05)
        assert export.status_code == 200 and export.json()["step"] == 3


def test_an_import_is_resumable_on_another_process(
    two_processes: tuple[TestClient, TestClient],
) -> None:
    a, b = two_processes
    with make_connect(a)() as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "step", "count": 2}, "iteration")
        body = a.get(
            f"/api/sessions/{hello['session']}/export", params={"token": hello["token"]}
        ).json()
    ids = a.post("/api/sessions/import", json=body).json()
    with make_connect(b)(f"/ws?session={ids['session']}&token={ids['token']}") as peer:
        first = peer.welcome()
        assert first["hello"]["resumed"] is True and first["hello"]["step"] == 2


def test_instance_header_and_tokens_out_of_the_log(tmp_path: Path) -> None:
    from tests.conftest import start_server
    from tests.server.live import ws_peer

    server = start_server(tmp_path, {"BPL_INSTANCE": "replica-7"})
    try:
        import urllib.request

        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert response.headers["x-bpl-instance"] == "replica-7"
        with ws_peer(server.ws_url) as peer:
            hello = peer.welcome()["hello"]
            assert peer.ws.response.headers["x-bpl-instance"] == "replica-7"  # type: ignore[attr-defined]
        resume = f"{server.ws_url}?session={hello['session']}&token={hello['token']}"
        with ws_peer(resume) as peer:
            peer.welcome()
        watch = f"{server.ws_url}?watch={hello['session']}&key={hello['watch_key']}"
        with ws_peer(watch) as peer:
            peer.welcome()
        time.sleep(0.2)
        log = server.log.read_text()
        assert hello["session"] in log, "the session id stays in the log (for routing checks)"
        assert hello["token"] not in log and hello["watch_key"] not in log
        assert "token=…" in log
    finally:
        server.stop()


def test_sweep_deletes_checkpoints_older_than_a_session_may_live(tmp_path: Path) -> None:
    import os

    from app.server.checkpoints import CheckpointStore

    store = CheckpointStore(tmp_path)
    old = tmp_path / "sessions" / "aaaaaaaaaaaa.npz"
    new = tmp_path / "sessions" / "bbbbbbbbbbbb.npz"
    old_data = tmp_path / "datasets" / "cccccccccccc.json"
    for path in (old, new, old_data):
        path.write_bytes(b"x")
    past = time.time() - 3 * 3600
    os.utime(old, (past, past))
    os.utime(old_data, (past, past))
    store.sweep(max_age_s=2 * 3600)
    assert not old.exists() and new.exists()
    assert old_data.exists(), "datasets are kept twice as long as sessions"


# ── the format, and checkpoints that cannot be read (CheckpointStore level) ───────────────────


def _saved(tmp_path: Path) -> tuple[object, object, Path]:
    from app.limits import Limits
    from app.server.checkpoints import CheckpointStore
    from app.session import Session

    store = CheckpointStore(tmp_path)
    session = Session(Limits(), lambda _: None)
    store.save_session(session, "alice")
    return store, session, tmp_path / "sessions" / f"{session.id}.npz"  # type: ignore[attr-defined]


def _rewrite(path: Path, change: object) -> None:
    import io
    import json

    import numpy as np

    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    change(meta, arrays)  # type: ignore[operator]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def test_a_checkpoint_is_plain_arrays_and_a_versioned_header(tmp_path: Path) -> None:
    import json

    import numpy as np

    from app.engine import STATE_FORMAT
    from app.limits import Limits
    from app.server.checkpoints import FORMAT

    store, session, path = _saved(tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(bytes(npz["meta"]).decode())
        names = set(npz.files)
    assert meta["format"] == FORMAT == "backprop-lab/checkpoint@2", "the file's version"
    assert meta["state"]["format"] == STATE_FORMAT, "the trainer state's own version"
    assert "__dataclass__" not in json.dumps(meta), "no class paths"
    assert {"state.W1", "state.b1", "state.order", "log_step"} <= names
    assert all(n == "meta" or n.startswith(("state.", "log_")) for n in names)
    loaded = store.load_session(session.id, session.token, Limits(), lambda _: None)  # type: ignore[attr-defined]
    assert loaded is not None and loaded[1] == "alice"
    assert np.array_equal(loaded[0].trainer.W[0], session.trainer.W[0])  # type: ignore[attr-defined]


def test_no_checkpoint_or_a_wrong_token_is_none(tmp_path: Path) -> None:
    from app.limits import Limits

    store, session, path = _saved(tmp_path)
    _rewrite(path, lambda meta, arrays: meta.update(format="backprop-lab/checkpoint@9"))
    load = store.load_session  # type: ignore[attr-defined]
    assert load("nosuchsession", "x", Limits(), lambda _: None) is None, "not found"
    assert load("../../etc", "x", Limits(), lambda _: None) is None, "not an id"
    assert load(session.id, "wrong", Limits(), lambda _: None) is None, (  # type: ignore[attr-defined]
        "a wrong token learns nothing about the file, even an unreadable one"
    )


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("garbage", "pickled (object) data"),  # not a zip: np.load would unpickle it
        ("truncated", "BadZipFile"),
        ("unknown version", "unknown checkpoint format 'backprop-lab/checkpoint@9'"),
        ("wrong shapes", "'W1'"),
        ("missing array", "'order' is missing"),
        ("state of another network", "different network"),
    ],
)
def test_an_unreadable_checkpoint_raises_and_is_kept(
    tmp_path: Path, damage: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    import numpy as np

    from app.limits import Limits
    from app.server.checkpoints import CheckpointUnreadable

    store, session, path = _saved(tmp_path)
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "unknown version":
        _rewrite(path, lambda meta, arrays: meta.update(format="backprop-lab/checkpoint@9"))
    elif damage == "wrong shapes":
        _rewrite(path, lambda meta, arrays: arrays.update({"state.W1": np.zeros((4, 3, 1))}))
    elif damage == "missing array":
        _rewrite(path, lambda meta, arrays: arrays.pop("state.order"))
    else:  # a consistent state, but not of the network the config builds
        _rewrite(path, lambda meta, arrays: arrays.update({"state.order": np.arange(5)}))
    before = path.read_bytes()
    with caplog.at_level("WARNING"), pytest.raises(CheckpointUnreadable) as caught:
        store.load_session(session.id, session.token, Limits(), lambda _: None)  # type: ignore[attr-defined]
    assert caught.value.session_id == session.id  # type: ignore[attr-defined]
    assert reason in caught.value.reason, caught.value.reason
    assert path.read_bytes() == before, "the file is kept as it was, for inspection"
    assert any("cannot be resumed" in r.getMessage() for r in caplog.records), "and logged"
