"""deploy/nginx.conf in front of a benchmark's server: the shipped proxy, rendered for loopback.

Only the lines marked `# RENDER:` change (deploy/render_nginx.py): the pacing of cookie-less
handshakes, the routing and the timeouts are the committed ones. nginx runs on `cpus` (the
client's cores), so the server's core does only the server's work.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from deploy.render_nginx import render


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@contextlib.contextmanager
def nginx_in_front(upstream_port: int, cpus: set[int] | None = None) -> Iterator[int]:
    """Run nginx with deploy/nginx.conf proxying to 127.0.0.1:`upstream_port`; yields its port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        raise RuntimeError("nginx is not installed (scripts/system-deps.sh installs it)")
    # Not a 0700 folder: nginx's workers run as www-data when started by root.
    prefix = Path(tempfile.mkdtemp(prefix="bpl-bench-nginx-"))
    prefix.chmod(0o755)
    (prefix / "tmp").mkdir()
    port = _free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        render(f"127.0.0.1:{port}", [f"127.0.0.1:{upstream_port}"], prefix, log_level="error")
    )

    def place() -> None:  # in the child: nginx and its workers on the client's cores
        if cpus:
            os.sched_setaffinity(0, cpus)

    out = (prefix / "nginx.out").open("wb")
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-e", "stderr", "-c", str(conf), "-g", "daemon off;"],
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=place,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((prefix / "nginx.out").read_text())
            time.sleep(0.05)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
        out.close()
        shutil.rmtree(prefix, ignore_errors=True)
