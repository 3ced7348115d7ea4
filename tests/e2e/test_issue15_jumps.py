"""Issue 15, item 11: the layout does not jump as the caption changes or the optimizer does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import AppPage, wait_message


def top(page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box
    return round(box["y"], 1)


@pytest.mark.parametrize("width", [1280, 1024])
@pytest.mark.parametrize(
    "query",
    ["", "?optimizer=adam&l2=0.01&l1=0.001&dropout=0.5"],
    ids=["default", "adam-l1-l2-dropout"],  # the longest captions: ~190 px at 1024 wide
)
def test_no_jumps(app_page: AppPage, width: int, query: str) -> None:
    page, traffic = app_page("/" + query, width, 800)
    diagram = top(page, "#diagram")
    grid = top(page, ".grid")
    for _ in range(9):  # a whole iteration, phase by phase
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(120)
        moved = abs(top(page, "#diagram") - diagram)
        assert moved <= 1, (page.locator("#phase-title").inner_text(), moved)
    page.get_by_label("Optimizer").select_option("momentum")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["optimizer"] == "momentum")
    expect(page.get_by_role("spinbutton", name="Momentum")).to_be_visible()
    assert abs(top(page, ".grid") - grid) <= 1
    page.get_by_label("Optimizer").select_option("sgd")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["optimizer"] == "sgd")
    assert abs(top(page, ".grid") - grid) <= 1
