"""HTTP routes: the page, the health check, static files."""

from __future__ import annotations

import urllib.request

from fastapi.testclient import TestClient

from app.main import app
from tests.conftest import LiveServer


def test_healthz_answers_ok() -> None:
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200, "health check must answer 200"
    assert response.json() == {"status": "ok"}, "health check body is fixed by the contract"


def test_index_is_rendered_html_with_the_page_module() -> None:
    with TestClient(app) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Backprop Lab</title>" in response.text
    assert '<script type="module" src="/static/js/main.js">' in response.text


def test_static_files_are_served() -> None:
    with TestClient(app) as client:
        response = client.get("/static/js/main.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]


def test_real_uvicorn_serves_healthz(live_server: LiveServer) -> None:
    with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert response.read() == b'{"status":"ok"}'
