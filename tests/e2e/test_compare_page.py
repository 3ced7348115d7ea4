"""Compared runs on the page (issue 13): Adam against SGD from the same moment, played together,
two curves with a legend saying what differs, each run's small decision boundary, and switching
the run the diagram shows. Screenshots at 1280 and 1024 wide under test-output/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import AppPage, create_run, wait_message, wait_until

SIZES = {"1280": (1280, 800), "1024": (1024, 768)}


@pytest.mark.parametrize("size", list(SIZES))
def test_compare_adam_with_sgd_play_and_switch(
    app_page: AppPage, output_dir: Path, size: str
) -> None:
    width, height = SIZES[size]
    page, traffic = app_page("/", width, height)
    create_run(page, "adam", "0.01")
    card = page.get_by_role("region", name="Compare runs")
    sent = wait_until(page, lambda: traffic.of_type("compare", sent=True), what="compare")
    assert sent[0]["config"] == {"optimizer": "adam", "learning_rate": 0.01}
    runs = wait_message(page, traffic, "runs")
    assert [r["label"] for r in runs["runs"]] == ["A: SGD, η 0.03", "B: Adam, η 0.01"]
    legend = card.get_by_role("list", name="Runs")
    expect(legend.locator("li")).to_have_count(2)
    expect(legend).to_contain_text("B: Adam, η 0.01")
    page.get_by_role("button", name="Play", exact=True).click()
    wait_until(page, lambda: len(traffic.of_type("frame")) > 40, what="frames")
    frame = traffic.of_type("frame")[-1]
    assert [r["run"] for r in frame["runs"]] == ["B"]
    page.get_by_role("button", name="Pause", exact=True).click()
    runs = wait_message(page, traffic, "runs", after=len(traffic.received) - 50)
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    plot = card.locator(".compare-plot")
    expect(plot.locator(".u-legend .u-series")).to_have_count(3)  # step, A, B
    expect(plot.locator(".u-legend")).to_contain_text("B: Adam, η 0.01")
    expect(legend.locator("canvas.run-thumb")).to_have_count(2)
    page.wait_for_timeout(400)
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / f"{size}-compare-played.png"), full_page=True)
    legend.get_by_role("button", name="Show run B in the diagram").click()
    state = wait_message(page, traffic, "state", where=lambda m: m["config"]["optimizer"] == "adam")
    assert state["optimizer_t"] > 0
    expect(page.locator("#optimizer")).to_have_value("adam")
    expect(legend.locator('li[data-run="B"]')).to_have_class("run shown")
    page.wait_for_timeout(300)
    page.screenshot(path=str(output_dir / f"{size}-compare-showing-B.png"), full_page=True)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"no horizontal scrolling ({scroll} px)"
