"""Issue 15, item 8: download the session, its history and the NumPy and PyTorch scripts from
the page; open a saved session; spectators see none of it."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import NewPage, open_app, wait_message


def test_downloads_and_import(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    traffic = open_app(page, live_server.url + "/")
    page.get_by_label("Step by").select_option("iteration")
    for _ in range(3):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        wait_message(page, traffic, "iteration", start)
    page.get_by_text("Save / open").click()
    files = {}
    for name in [
        "Download session (JSON)",
        "Download history (CSV)",
        "Download NumPy script",
        "Download PyTorch script",
    ]:
        with page.expect_download() as info:
            page.get_by_role("button", name=name, exact=True).click()
        download = info.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        files[name] = path
    assert files["Download NumPy script"].name == "backprop-lab-step-3-numpy.py"
    assert files["Download PyTorch script"].name == "backprop-lab-step-3-torch.py"
    assert "import numpy" in files["Download NumPy script"].read_text()
    assert "import torch" in files["Download PyTorch script"].read_text()
    assert files["Download history (CSV)"].read_text().startswith("step,loss")
    saved = json.loads(files["Download session (JSON)"].read_text())
    assert saved["step"] == 3 and files["Download session (JSON)"].name.endswith("step-3.json")
    # Open it again: a new session at step 3 with the same weights.
    first = traffic.of_type("hello")[0]["session"]
    with page.expect_navigation():
        page.locator("#import-file").set_input_files(str(files["Download session (JSON)"]))
    wait_message(page, traffic, "hello", where=lambda m: m["session"] != first, timeout=15)
    expect(page.locator("#step-count")).to_have_text("3")
    state = traffic.of_type("state")[-1]
    assert state["layers"][0]["W"] == saved["layers"][0]["W"]


def test_spectators_have_no_downloads(
    new_page: NewPage, page: Page, live_server: LiveServer
) -> None:
    traffic = open_app(page, live_server.url + "/")
    expect(page.get_by_text("Save / open")).to_be_visible()
    hello = traffic.of_type("hello")[0]
    watcher = new_page()
    watcher.goto(f"{live_server.url}/?watch={hello['session']}&key={hello['watch_key']}")
    expect(watcher.locator("#conn")).to_contain_text("watching", timeout=15_000)
    expect(watcher.get_by_text("Save / open")).to_be_hidden()
    expect(watcher.get_by_role("button", name="Download NumPy script")).to_be_hidden()
