"""Issue 15, item 6: every `hide=` combination keeps a clean layout (measured from the DOM),
and the help says how to use it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app
from tests.e2e.layout import horizontal_overflow, outside, overlapping

HIDES = ["data", "output,charts", "data,output,charts", "inspector", "data,training,network"]


@pytest.mark.parametrize("hide", HIDES)
@pytest.mark.parametrize("width", [1280, 1024])
def test_hide_keeps_a_clean_layout(app_page: AppPage, hide: str, width: int) -> None:
    page, _ = app_page(f"/?hide={hide}", width, 800)
    page.wait_for_timeout(300)
    net = page.locator(".net-panel").bounding_box()
    assert net and net["width"] >= 360, f"the diagram's panel is {net}"
    assert not overlapping(page, "#diagram .neuron circle:first-of-type")
    assert not outside(page, "#diagram .neuron circle", "#diagram")
    assert not overlapping(page, ".grid > .panel")
    assert horizontal_overflow(page) <= 0


def test_the_help_explains_hide(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("hide=")
    expect(dialog).to_contain_text("replays training from the seed")
