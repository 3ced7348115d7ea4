"""Fixtures shared by every layer of tests: a real uvicorn server on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Without BPL_CHECKPOINT_DIR the app checkpoints to $XDG_DATA_HOME/backprop-lab: every test
# process (and the servers it starts) gets a fresh temporary one, never the user's folder.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="bpl-xdg-")

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A uvicorn subprocess serving app.main:app exactly as `backprop-lab` does."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not become healthy:\n{log.read_text()}")


def start_server(
    tmp: Path, env: dict[str, str] | None = None, port: int | None = None
) -> LiveServer:
    port = port or free_port()
    log = tmp / f"uvicorn-{port}.log"
    full_env = {**os.environ, "BPL_CHECKPOINT_DIR": str(tmp / "checkpoints"), **(env or {})}
    # The same server options as `backprop-lab` (app/cli.py), on a free port.
    cmd = [
        sys.executable, "-c",
        "import sys, uvicorn; from app.cli import UVICORN_OPTIONS as o; "
        "uvicorn.run('app.main:app', host='127.0.0.1', port=int(sys.argv[1]), **o)",
        str(port),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    server = LiveServer(port=port, process=process, log=log)
    try:
        wait_healthy(server.url, process, log)
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers with their own environment (limits, origins); all stopped afterwards."""
    started: list[LiveServer] = []

    def make(env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
        server = start_server(tmp_path, env, port)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """A per-test folder under test-output/ for screenshots and other artifacts."""
    path = OUTPUT / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return path
