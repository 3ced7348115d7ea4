"""The README's screenshot: the real page mid-backward-pass at 1280×800, with the inspector
open on a hidden neuron. Always written to test-output/; with BPL_README_SHOT=1 also to
docs/screenshot.png (the committed picture: regenerate it with
`BPL_README_SHOT=1 pytest tests/e2e/test_readme_screenshot.py`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


def test_readme_screenshot(page: Page, live_server: LiveServer, output_dir: Path) -> None:
    open_app(page, live_server.url + "/?theme=light")
    for _ in range(6):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(80)
    expect(page.locator("#phase-title")).to_have_text("Backward pass · layer 2 of 3")
    page.locator('.neuron[data-layer="2"][data-unit="0"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector")).to_contain_text("∂L/∂z")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(900)  # the phase's pulses end
    shot = output_dir / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("BPL_README_SHOT") == "1":
        shutil.copyfile(shot, DOCS)
    assert DOCS.exists(), "docs/screenshot.png is committed (BPL_README_SHOT=1 writes it)"
