"""Issue 15, items 9 and 10: one 1-based numbering in the inspector and the tooltip; the
inspector comes into view when a neuron or weight is chosen at 1280×800."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app


def edge_point(page: Page, src: str, dst: str, t: float = 0.75) -> tuple[float, float]:
    a = page.locator(f"{src} circle.body").bounding_box()
    b = page.locator(f"{dst} circle.body").bounding_box()
    assert a and b
    ax, ay = a["x"] + a["width"] / 2, a["y"] + a["height"] / 2
    bx, by = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    return ax + t * (bx - ax), ay + t * (by - ay)


def test_one_numbering_in_inspector_and_tooltip(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/")
    x, y = edge_point(
        page, '.neuron[data-layer="2"][data-unit="0"]', '.neuron[data-layer="3"][data-unit="0"]'
    )
    page.mouse.move(x, y)
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    tip = tooltip.inner_text()
    page.mouse.click(x, y)
    inspector = page.locator("#inspector")
    expect(inspector.locator("h3")).to_contain_text("Weight W³₁,₁")
    assert tip.startswith("W³₁,₁"), tip
    heading = inspector.locator("h3").inner_text()
    assert "layer 2 unit 1" in heading and "output unit 1" in heading, heading
    assert "output 0" not in heading
    page.locator('.neuron[data-layer="3"][data-unit="1"]').focus()
    page.keyboard.press("Enter")
    expect(inspector.locator("h3")).to_contain_text("Output unit 2")


def test_the_inspector_comes_into_view(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/")
    page.locator('.neuron[data-layer="2"][data-unit="0"]').click()
    heading = page.locator("#inspector h3")
    expect(heading).to_contain_text("Layer 2 unit 1")
    page.wait_for_timeout(300)
    box = heading.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 800, box


def test_a_scroll_takes_the_hover_tooltip_and_preview_away(app_page: AppPage) -> None:
    """Choosing a neuron scrolls the inspector into view: what the pointer hovered before the
    page moved under it (tooltip, the unit's picture in the output) goes, instead of floating
    over another panel."""
    page, _ = app_page("/", 1024, 768)
    neuron = page.locator('.neuron[data-layer="2"][data-unit="0"]')
    neuron.hover()
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("Layer 2 unit 1")
    expect(page.locator("#heatmap .heat-label")).to_have_text("Layer 2, unit 1")
    neuron.click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") > 0, "the inspector came into view"
    expect(tooltip).to_be_hidden()
    expect(page.locator("#heatmap .heat-label")).to_be_hidden()
