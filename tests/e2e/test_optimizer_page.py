"""The optimizer's state and the loss along a step on the page (issue 13): the inspector's
update lines for a weight with Adam, its last steps, and the "Loss along the last step" chart.
Screenshots at 1280 and 1024 wide under test-output/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app, wait_message, wait_until

SIZES = {"1280": (1280, 800), "1024": (1024, 768)}


def step_iterations(page: Page, n: int) -> None:
    page.get_by_label("Step by").select_option("iteration")
    for _ in range(n):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(80)


def click_edge(page: Page, layer: int, row: int, col: int) -> None:
    box = page.get_by_role("group", name="Network diagram").bounding_box()
    assert box is not None
    x, y = page.evaluate(f"window.__bpl.diagram.edgePoint({layer}, {row}, {col}, 0.5)")
    page.mouse.click(box["x"] + x, box["y"] + y)


@pytest.mark.parametrize("size", list(SIZES))
def test_adam_lines_history_and_the_loss_along_the_step(
    app_page: AppPage, output_dir: Path, size: str
) -> None:
    width, height = SIZES[size]
    page, traffic = app_page("/", width, height)
    expect(page.locator("#loss-slice-open")).to_be_disabled()  # step 0: no step to look along
    page.get_by_label("Optimizer").select_option("adam")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["optimizer"] == "adam")
    step_iterations(page, 12)
    last = wait_message(page, traffic, "iteration", where=lambda m: m["step"] == 12)
    assert last["optimizer_t"] == 12 and "exp_avg" in last["layers"][1]["opt"]["W"]
    click_edge(page, 2, 0, 1)
    inspector = page.get_by_role("region", name="Inspector")
    expect(inspector).to_contain_text("Weight W²₁,₂")
    expect(inspector).to_contain_text("g = dW²₁,₂ = ")
    lines = inspector.locator('.opt-lines[data-optimizer="adam"]')
    expect(lines).to_contain_text("mₜ = β₁·mₜ₋₁ + (1−β₁)·g = 0.9·")
    expect(lines).to_contain_text("v̂ₜ = vₜ/(1−β₂ᵗ)")
    expect(lines).to_contain_text("Δw = −η·m̂ₜ/(√v̂ₜ + ε)")
    expect(lines).to_contain_text("t = 12")
    history = inspector.locator(".opt-history")
    expect(history.locator("svg.spark")).to_have_count(4)  # g, exp_avg, exp_avg_sq, Δw
    expect(inspector).to_contain_text("Last 12 steps of this weight")
    page.get_by_role("button", name="Loss along the last step").click()
    got = wait_message(page, traffic, "loss_slice")
    assert got["step"] == 12 and 0.0 in got["alphas"] and 1.0 in got["alphas"]
    panel = page.get_by_role("region", name="Loss along the last step")
    expect(panel).to_contain_text("Loss along step 12")
    expect(panel).to_contain_text("α = 0: the weights before step 12; α = 1: after it")
    expect(panel.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(400)
    page.screenshot(path=str(output_dir / f"{size}-adam-inspector-slice.png"), full_page=True)
    # One more step: the open chart follows it.
    step_iterations(page, 1)
    wait_until(page, lambda: traffic.of_type("loss_slice")[-1]["step"] == 13, what="slice 13")
    expect(panel).to_contain_text("Loss along step 13")
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width, f"no horizontal scrolling ({width_now} px)"


def test_momentum_lines_and_the_overshoot_sentence(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, f"{live_server.url}/")
    page.get_by_label("Optimizer").select_option("momentum")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["optimizer"] == "momentum")
    field = page.get_by_label("Learning rate")
    field.fill("3")
    field.press("Enter")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["learning_rate"] == 3)
    step_iterations(page, 3)
    click_edge(page, 1, 0, 0)
    inspector = page.get_by_role("region", name="Inspector")
    expect(inspector.locator(".opt-lines")).to_contain_text("vₜ = μ·vₜ₋₁ + g = 0.9·")
    page.get_by_role("button", name="Loss along the last step").click()
    wait_message(page, traffic, "loss_slice")
    expect(page.get_by_role("region", name="Loss along the last step")).to_contain_text("α = 1")
