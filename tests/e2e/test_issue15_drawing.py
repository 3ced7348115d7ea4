"""Issue 15, item 12: the labels beside the output neurons clear the target ring."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app
from tests.e2e.layout import boxes, overlaps


def test_output_values_clear_the_ring(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/")
    for _ in range(4):  # through the loss phase: the target ring is drawn
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(80)
    page.wait_for_timeout(500)
    for unit in (0, 1):
        g = f'#diagram .neuron[data-layer="3"][data-unit="{unit}"]'
        (ring,) = boxes(page, f"{g} circle.ring") or boxes(page, f"{g} circle.body")
        (value,) = boxes(page, f"{g} text.val")
        (label,) = boxes(page, f"{g} text.cls")
        assert not overlaps(ring, value), (ring, value)
        assert not overlaps(value, label), (value, label)
