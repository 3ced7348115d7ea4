"""Two real app processes and Debian's nginx on loopback, wired by deploy/nginx.conf.

The config nginx runs is deploy/nginx.conf rendered by deploy/render_nginx.py: only the lines
marked `# RENDER:` change (listen port, upstream addresses, pid/log/temp paths under a temp
prefix), so no path outside the temp folder is touched, even as root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from deploy.render_nginx import render

ROOT = Path(__file__).resolve().parents[2]
# No proxies for loopback, whatever the environment says.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        pytest.fail(
            "nginx is not installed, and the scale-out test needs it (never skipped): run "
            "`bash scripts/system-deps.sh` as root, or `sudo apt-get install -y nginx`",
            pytrace=False,
        )
    return found


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    return HTTP.open(request, timeout=timeout)


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 10) -> None:
    """Stop a process we started (and its process group: nginx's workers), never anything else."""
    if process.poll() is None:
        process.send_signal(sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)
    # Our own process group (start_new_session): nginx workers, if the master died first.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=5)


@dataclass
class App:
    """One `python -m app` process (the `backprop-lab` command) on a loopback port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def accepted(self, needle: str) -> int:
        """How many WebSocket handshakes this process accepted whose URL contains `needle`."""
        pattern = re.compile(r'"WebSocket (/ws\S*)" \[accepted\]')
        return sum(needle in m.group(1) for m in pattern.finditer(self.log_text()))


@dataclass
class Cluster:
    apps: list[App]
    nginx: subprocess.Popen[bytes]
    port: int
    prefix: Path
    checkpoints: Path
    conf: Path
    clients: ExitStack = field(default_factory=ExitStack)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(
        self,
        query: str = "",
        cookie: str | None = None,
        origin: str | None = None,
    ) -> ClientConnection:
        headers = {"Cookie": f"bpl_browser={cookie}"} if cookie else None
        # websockets 17.1+ wants connect() as a context manager: the stack closes them all.
        return self.clients.enter_context(
            connect(
                f"ws://127.0.0.1:{self.port}/ws{query}",
                additional_headers=headers,
                origin=origin,  # type: ignore[arg-type]
                proxy=None,
                compression=None,
                max_size=None,
                open_timeout=10,
                close_timeout=2,
            )
        )

    def browser_cookie(self) -> str:
        """What a browser does first: GET / through nginx, keep the `bpl_browser` cookie."""
        with http_get(self.url + "/") as response:
            assert response.status == 200
            for header in response.headers.get_all("Set-Cookie") or []:
                m = re.match(r"bpl_browser=([^;]+)", header)
                if m:
                    return m.group(1)
        raise AssertionError("GET / through nginx set no bpl_browser cookie")

    def app(self, instance: str | None) -> App:
        """The process named by an `x-bpl-instance` header (server-requests #1)."""
        found = [app for app in self.apps if app.name == instance]
        assert found, f"x-bpl-instance {instance!r} names none of {[a.name for a in self.apps]}"
        return found[0]

    def served(self, ws: ClientConnection) -> App:
        """The process that accepted this WebSocket, from its handshake response."""
        assert ws.response is not None
        return self.app(ws.response.headers.get("x-bpl-instance"))

    def checkpoint(self, session_id: str) -> Path:
        return self.checkpoints / "sessions" / f"{session_id}.npz"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early ({process.returncode}):\n{log.read_text()}")
        try:
            with http_get(url + "/healthz", timeout=1) as response:
                if response.status == 200 and json.load(response) == {"status": "ok"}:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer /healthz:\n{log.read_text()}")


def _start_app(name: str, tmp: Path, checkpoints: Path, extra: dict[str, str]) -> App:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {
        **os.environ,
        **extra,
        "BPL_INSTANCE": name,  # the `x-bpl-instance` header of its responses
        "BPL_CHECKPOINT_DIR": str(checkpoints),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    # Exactly the production command (`backprop-lab` = `python -m app`): UVICORN_OPTIONS apply.
    cmd = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return App(name=name, port=port, process=process, log=log)


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Two app processes and nginx. Extra app environment: parametrize `cluster` indirectly
    with a dict."""
    extra: dict[str, str] = getattr(request, "param", None) or {}
    nginx_bin = find_nginx()
    # Not pytest's tmp_path: that lives under a 0700 folder, and nginx's workers run as
    # www-data when started by root; they must reach their temp folders.
    tmp = Path(tempfile.mkdtemp(prefix="bpl-scaleout-"))
    tmp.chmod(0o755)
    checkpoints = tmp / "checkpoints"
    apps: list[App] = []
    nginx: subprocess.Popen[bytes] | None = None
    built: Cluster | None = None
    try:
        apps = [_start_app(name, tmp, checkpoints, extra) for name in ("app-a", "app-b")]
        for app in apps:
            _wait_healthy(f"http://127.0.0.1:{app.port}", app.process, app.log, app.name)

        prefix = tmp / "nginx"
        (prefix / "tmp").mkdir(parents=True)
        port = free_port()
        conf = prefix / "nginx.conf"
        servers = [f"127.0.0.1:{app.port}" for app in apps]
        conf.write_text(render(f"127.0.0.1:{port}", servers, prefix))
        out = prefix / "nginx.out"
        check = subprocess.run(
            [nginx_bin, "-t", "-p", str(prefix), "-e", "stderr", "-c", str(conf)],
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert check.returncode == 0, f"nginx -t rejected the rendered config:\n{check.stderr}"
        with out.open("wb") as sink:
            nginx = subprocess.Popen(
                [
                    nginx_bin,
                    "-p",
                    str(prefix),
                    "-e",
                    "stderr",
                    "-c",
                    str(conf),
                    "-g",
                    "daemon off;",
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_healthy(f"http://127.0.0.1:{port}", nginx, out, "nginx")
        built = Cluster(apps, nginx, port, prefix, checkpoints, conf)
        yield built
    finally:
        if built is not None:
            built.clients.close()
        for app in apps:
            _stop(app.process)
        if nginx is not None:
            _stop(nginx, signal.SIGTERM)
        shutil.rmtree(tmp, ignore_errors=True)
