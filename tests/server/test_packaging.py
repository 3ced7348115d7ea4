"""A wheel built from the repository is a working app, run from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, free_port, wait_healthy


def test_wheel_carries_page_assets_and_serves_from_another_folder(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheel_dir.glob("backprop_lab-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    assert (target / "app" / "templates" / "index.html").is_file(), "templates must be in the wheel"
    assert (target / "app" / "static" / "js" / "main.js").is_file(), (
        "static files must be in the wheel"
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    log = tmp_path / "server.log"
    # Only the installed copy is importable: the checkout is not on the path from `elsewhere`.
    env = {**os.environ, "PYTHONPATH": str(target), "BPL_CHECKPOINT_DIR": str(tmp_path / "ck")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(target / "bin" / "backprop-lab"), "--port", str(port)],
            cwd=elsewhere, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, log)
        with urllib.request.urlopen(url + "/", timeout=5) as page:
            assert b"<title>Backprop Lab</title>" in page.read()
        with urllib.request.urlopen(url + "/static/js/main.js", timeout=5) as script:
            assert script.status == 200
        assert f"Backprop Lab: http://127.0.0.1:{port}/" in log.read_text(), "the URL is printed"
        probe = "import app, sys; print(app.__file__)"
        where = subprocess.run(
            [sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True
        ).stdout
        assert where.startswith(str(target)), "the installed package, not the checkout, was served"
    finally:
        process.terminate()
        process.wait(timeout=10)
