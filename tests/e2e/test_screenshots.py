"""Screenshots of the main states at 1280×800 and 1024 wide, light and dark (test artifacts
under test-output/; look at them). Each state is also checked for what must be on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import AppPage, wait_message, wait_until

SIZES = {"1280": (1280, 800), "1024": (1024, 768)}


def click_step(page: Page, n: int = 1) -> None:
    for _ in range(n):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(60)


def shot(page: Page, out: Path, name: str) -> None:
    page.wait_for_timeout(700)  # let the phase animation finish
    page.screenshot(path=str(out / f"{name}.png"))
    text = page.locator("body").inner_text()
    assert "NaN" not in text and "Infinity" not in text, f"{name}: never NaN on screen"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name}: no horizontal scrolling ({width} px)"  # type: ignore[index]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_main_states(app_page: AppPage, output_dir: Path, size: str, theme: str) -> None:
    width, height = SIZES[size]
    page, traffic = app_page(f"/?theme={theme}", width, height)
    shot(page, output_dir, f"{size}-{theme}-1-ready")
    click_step(page, 2)
    expect(page.locator("#phase-title")).to_have_text("Forward pass · layer 2 of 3")
    shot(page, output_dir, f"{size}-{theme}-2-forward")
    click_step(page, 4)
    expect(page.locator("#phase-title")).to_have_text("Backward pass · layer 2 of 3")
    page.locator('.neuron[data-layer="2"][data-unit="0"]').click()
    expect(page.locator("#inspector")).to_contain_text("∂L/∂z")
    shot(page, output_dir, f"{size}-{theme}-3-backward-inspector")
    click_step(page, 2)
    expect(page.locator("#phase-title")).to_contain_text("Update")
    page.wait_for_timeout(200)
    shot(page, output_dir, f"{size}-{theme}-4-update")
    page.get_by_role("button", name="Play", exact=True).click()
    wait_until(page, lambda: len(traffic.of_type("frame")) > 30, what="frames")
    shot(page, output_dir, f"{size}-{theme}-5-playing")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    page.get_by_role("tab", name="Gradients").click()
    shot(page, output_dir, f"{size}-{theme}-6-paused-gradients")
    page.locator('[data-dataset="digits"]').click()
    wait_message(page, traffic, "data", where=lambda m: m["dataset"] == "digits")
    expect(page.locator(".gallery button")).to_have_count(64)
    page.locator(".gallery button").nth(3).click()
    click_step(page, 2)
    shot(page, output_dir, f"{size}-{theme}-7-digits")
    page.locator('[data-dataset="spiral"]').click()
    page.get_by_label("Activation").select_option("linear")
    field = page.get_by_label("Learning rate")
    field.fill("10")
    field.press("Enter")
    page.get_by_label("Step by").select_option("epoch")
    click_step(page)
    expect(page.get_by_role("alert")).to_contain_text("diverged")
    expect(page.get_by_role("button", name="Lower the learning rate to 1")).to_be_visible()
    shot(page, output_dir, f"{size}-{theme}-8-diverged")
    page.get_by_role("button", name="Lower the learning rate to 1").click()
    expect(field).to_have_value("1")
