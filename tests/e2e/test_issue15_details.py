"""Issue 15, item 16: double-clicking a weight focuses its edit box; at 1024×768 the transport
keeps its words without overflow."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app
from tests.e2e.layout import boxes, horizontal_overflow, overlapping
from tests.e2e.test_issue15_inspector import edge_point


def test_double_click_a_weight_focuses_its_edit_box(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/")
    x, y = edge_point(
        page, '.neuron[data-layer="2"][data-unit="0"]', '.neuron[data-layer="3"][data-unit="0"]'
    )
    page.mouse.dblclick(x, y)
    expect(page.get_by_label("Weight value")).to_be_focused()


def test_transport_keeps_its_words_at_1024(
    app_page: AppPage,
) -> None:
    page, _ = app_page("/", 1024, 768)
    for name in ["Reset", "Step back", "Step forward"]:
        button = page.get_by_role("button", name=name, exact=True)
        expect(button.locator(".btn-text")).to_be_visible()
        text = boxes(page, f"#{button.get_attribute('id')} .btn-text")[0]
        assert text["w"] > 20, (name, text)
    assert not overlapping(page, ".transport > *")
    assert horizontal_overflow(page) <= 0
