"""The page loads in a real browser with no errors."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import PageErrors


def test_page_loads_without_errors_and_is_screenshotted(
    page: Page, live_server: LiveServer, output_dir: Path
) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_title("Backprop Lab")
    expect(page.get_by_role("heading", name="Backprop Lab")).to_be_visible()
    shot = output_dir / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000, "a screenshot must be written"


def test_healthz_from_the_browser(
    page: Page, page_errors: PageErrors, live_server: LiveServer
) -> None:
    # A JSON document has no <link rel="icon">, so Chromium may ask for /favicon.ico (404).
    page_errors.allow("favicon.ico")
    response = page.goto(live_server.url + "/healthz")
    assert response is not None and response.status == 200
    assert response.json() == {"status": "ok"}
