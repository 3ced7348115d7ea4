"""Issue 15, item 17: axe-core finds no serious or critical WCAG 2.1 A/AA violation at load,
mid-walk, with the inspector open, in the dark theme, at 1024 wide and on the watch page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.axe import describe, serious_violations
from tests.e2e.helpers import AppPage, NewPage, open_app


def walk_to_backward(page: Page) -> None:
    for _ in range(6):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(60)
    expect(page.locator("#phase-title")).to_contain_text("Backward")
    page.wait_for_timeout(700)


def check(page: Page, where: str) -> None:
    found = serious_violations(page)
    assert not found, f"{where}:\n{describe(found)}"


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 1024])
def test_axe_at_load_mid_walk_and_inspector(app_page: AppPage, theme: str, width: int) -> None:
    page, _ = app_page(f"/?theme={theme}", width, 800)
    check(page, f"load {theme} {width}")
    walk_to_backward(page)
    check(page, f"mid-walk {theme} {width}")
    page.locator('.neuron[data-layer="2"][data-unit="0"]').click()
    expect(page.locator("#inspector")).to_contain_text("∂L/∂z")
    check(page, f"inspector {theme} {width}")


def test_axe_on_the_watch_page(new_page: NewPage, page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    hello = traffic.of_type("hello")[0]
    watcher = new_page()
    watcher.goto(f"{live_server.url}/?watch={hello['session']}&key={hello['watch_key']}")
    expect(watcher.locator("#conn")).to_contain_text("watching", timeout=15_000)
    expect(watcher.locator('.neuron[data-layer="1"]').first).to_be_attached()
    check(watcher, "watch page")
