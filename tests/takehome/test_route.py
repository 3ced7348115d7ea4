"""`GET /api/sessions/{id}/export.py` through the app: the downloaded scripts continue the
session's own training (its history.csv losses and exported weights), also mid-phase-walk."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.settings import Settings
from tests.server.conftest import Connect, make_connect
from tests.takehome.helpers import max_relative, run_script

RTOL = 1e-9


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


@pytest.fixture
def connect(client: TestClient) -> Connect:
    return make_connect(client)


def url(session: str) -> str:
    return f"/api/sessions/{session}/export.py"


def app_losses(client: TestClient, session: str, token: str) -> dict[int, float]:
    response = client.get(f"/api/sessions/{session}/history.csv", params={"token": token})
    rows = csv.DictReader(io.StringIO(response.text))
    return {int(r["step"]): float(r["loss"]) for r in rows if r["loss"]}


def app_weights(client: TestClient, session: str, token: str) -> list[np.ndarray]:
    body = client.get(f"/api/sessions/{session}/export", params={"token": token}).json()
    return [np.array(l[k], dtype=np.float64) for l in body["layers"] for k in ("W", "b")]


def test_downloaded_scripts_continue_the_session(
    client: TestClient, connect: Connect, tmp_path: Path
) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        sid, token = hello["session"], hello["token"]
        config = {"optimizer": "adam", "dropout": 0.2, "l2": 0.001, "learning_rate": 0.02}
        peer.request({"type": "configure", "config": config}, "config")
        peer.request({"type": "step", "count": 12}, "iteration")
        scripts = {}
        for flavour in ("numpy", "torch"):
            response = client.get(
                url(sid), params={"token": token, "flavour": flavour, "steps": 30}
            )
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/x-python")
            assert response.headers["content-disposition"] == (
                f'attachment; filename="backprop-lab-step-12-{flavour}.py"'
            )
            scripts[flavour] = response.text
        # The app's own next 30 steps (the default circle: 28 steps an epoch, so it crosses one).
        peer.request({"type": "step", "count": 30}, "iteration")
        peer.sync()
        losses = app_losses(client, sid, token)
        want = [losses[k] for k in range(13, 43)]
        W = app_weights(client, sid, token)
    for flavour, source in scripts.items():
        run = run_script(source, tmp_path / f"export-{flavour}.py")
        assert run.steps == list(range(13, 43))
        assert max_relative(run.losses, want) <= RTOL, flavour
        got = [a for pair in zip(run.W, run.b, strict=True) for a in pair]
        for g, w in zip(got, W, strict=True):
            assert max_relative(g, w) <= RTOL, flavour


def test_mid_phase_walk_exports_the_moment_before_the_pending_iteration(
    client: TestClient, connect: Connect, tmp_path: Path
) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        sid, token = hello["session"], hello["token"]
        peer.request({"type": "step", "count": 5}, "iteration")
        for _ in range(3):  # forward 1, forward 2, forward 3: step 6 is under way
            peer.request({"type": "step", "unit": "phase"}, "phase")
        response = client.get(url(sid), params={"token": token, "steps": 4})
        assert response.status_code == 200
        assert 'filename="backprop-lab-step-5-numpy.py"' in response.headers["content-disposition"]
        peer.request({"type": "step", "count": 4}, "iteration")  # completes step 6, then 7..9
        peer.sync()
        losses = app_losses(client, sid, token)
    run = run_script(response.text, tmp_path / "mid.py")
    assert run.steps == [6, 7, 8, 9]
    assert run.losses == [losses[k] for k in range(6, 10)]


def test_wrong_token_and_bad_parameters(client: TestClient, connect: Connect) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        sid, token = hello["session"], hello["token"]
        assert client.get(url(sid), params={"token": "nope"}).status_code == 404
        assert client.get(url("no-such-session"), params={"token": token}).status_code == 404
        for params, where in (
            ({"flavour": "jax"}, "flavour"),
            ({"steps": 0}, "steps"),
            ({"steps": 10_001}, "steps"),
            ({"steps": "ten"}, "steps"),
        ):
            response = client.get(url(sid), params={"token": token, **params})
            assert response.status_code == 422, params
            detail = response.json()["detail"]
            assert detail[0]["loc"] == ["query", where], detail
            assert detail[0]["msg"], "a reason"
        assert client.get(url(sid)).status_code == 422  # no token
        default = client.get(url(sid), params={"token": token})
        assert default.status_code == 200 and "STEPS = 100 " in default.text
        assert "backprop-lab-step-0-numpy.py" in default.headers["content-disposition"]


def test_openapi_lists_the_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/sessions/{session_id}/export.py" in paths
