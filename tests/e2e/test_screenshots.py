"""Screenshots of the main states at 1280×800 and 1024×768, light and dark (test artifacts
under test-output/; look at them). Each state is also checked for what must be on screen.
(The experiments card's screenshots are test_experiments.py's.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import AppPage, NewPage, create_run, wait_message, wait_until
from tests.e2e.layout import overlapping

SIZES = {"1280": (1280, 800), "1024": (1024, 768)}


def click_step(page: Page, n: int = 1) -> None:
    for _ in range(n):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(60)


def click_edge(page: Page, layer: int, row: int, col: int) -> None:
    box = page.get_by_role("group", name="Network diagram").bounding_box()
    assert box is not None
    x, y = page.evaluate(f"window.__bpl.diagram.edgePoint({layer}, {row}, {col}, 0.5)")
    page.mouse.click(box["x"] + x, box["y"] + y)


def shot(page: Page, out: Path, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(700)  # let the phase animation finish
    page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)
    assert not overlapping(page, ".grid > .panel"), f"{name}: the panels side by side"
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
    click_edge(page, 2, 0, 1)
    expect(page.locator("#inspector h3")).to_contain_text("Weight W²₁,₂")
    expect(page.locator("#inspector")).to_contain_text("∂L/∂w")
    page.locator("#inspector").scroll_into_view_if_needed()
    shot(page, output_dir, f"{size}-{theme}-3-backward-weight-inspector")
    page.evaluate("window.scrollTo(0, 0)")
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


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_compare_and_watch_views(
    app_page: AppPage, new_page: NewPage, output_dir: Path, size: str, theme: str
) -> None:
    width, height = SIZES[size]
    page, traffic = app_page(f"/?theme={theme}", width, height)
    create_run(page, "adam", "0.01")
    card = page.get_by_role("region", name="Compare runs")
    wait_message(page, traffic, "runs")
    page.get_by_role("button", name="Play", exact=True).click()
    wait_until(page, lambda: len(traffic.of_type("frame")) > 30, what="frames")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    expect(card.get_by_role("list", name="Runs").locator("li")).to_have_count(2)
    card.scroll_into_view_if_needed()
    shot(page, output_dir, f"{size}-{theme}-9-compare")
    shot(page, output_dir, f"{size}-{theme}-9-compare-page", full_page=True)
    hello = traffic.of_type("hello")[0]
    watcher = new_page(width, height)
    watcher.goto(
        f"{page.url.split('?')[0]}?watch={hello['session']}&key={hello['watch_key']}&theme={theme}"
    )
    expect(watcher.locator("#conn")).to_contain_text("watching", timeout=15_000)
    expect(watcher.locator("#tagline")).to_contain_text("read-only")
    expect(watcher.locator('.neuron[data-layer="1"]').first).to_be_attached()
    shot(watcher, output_dir, f"{size}-{theme}-10-watch")
