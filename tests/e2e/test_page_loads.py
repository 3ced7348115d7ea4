"""The page loads in a real browser with no errors."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer


def test_page_loads_without_errors_and_is_screenshotted(
    page: Page, live_server: LiveServer, output_dir: Path
) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_title("Backprop Lab")
    expect(page.get_by_role("heading", name="Backprop Lab")).to_be_visible()
    shot = output_dir / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000, "a screenshot must be written"


def test_healthz_from_the_browser(page: Page, live_server: LiveServer) -> None:
    response = page.goto(live_server.url + "/healthz")
    assert response is not None and response.status == 200
    assert response.json() == {"status": "ok"}


def test_favicon_is_served(page: Page, live_server: LiveServer) -> None:
    response = page.goto(live_server.url + "/favicon.ico")
    assert response is not None and response.status == 200, "no 404 console error on any page"
    assert response.headers["content-type"].startswith("image/svg+xml")
