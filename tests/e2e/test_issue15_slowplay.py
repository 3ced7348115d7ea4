"""Issue 15, item 15: at speeds a person can follow (≤ 5/s) with Step by Phase, Play walks the
phases (the page sends one phase step per tick) instead of training whole iterations."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app, wait_until


def test_slow_play_walks_the_phases(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    page.get_by_label("Speed").select_option("5")
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    wait_until(page, lambda: len(traffic.of_type("phase")) >= 3, what="three phases")
    title = page.locator("#phase-title").inner_text()
    assert title != "Training" and any(w in title.lower() for w in ("pass", "loss")), title
    assert not traffic.of_type("play", sent=True), "no server play at a followable speed"
    steps = traffic.of_type("step", sent=True)
    assert steps and all(m["unit"] == "phase" for m in steps)
    expect(page.locator("#caption")).to_have_attribute("aria-live", "off")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    sent = len(traffic.of_type("step", sent=True))
    page.wait_for_timeout(600)
    assert len(traffic.of_type("step", sent=True)) == sent, "pause stops the walk"
