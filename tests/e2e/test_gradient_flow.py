"""The gradient-flow view on the textbook deep sigmoid net (issue 11), with screenshots at 1280
and 1024 wide (test artifacts under test-output/; look at them).

6 hidden layers of 8 sigmoid units, Xavier init, circle, learning rate 0.1, 30 iterations: the
bars (RMS of dZ per layer, input on the left) decrease toward the input, and the page shows the
server's vanishing advice, not the exploding one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import AppPage, step_iterations, wait_until
from tests.e2e.layout import outside, overlapping

SIZES = {"1280": (1280, 800), "1024": (1024, 768)}
DEEP_SIGMOID = "/?dataset=circle&hidden=8,8,8,8,8,8&activation=sigmoid&init=xavier&learning_rate=0.1&unit=iteration"
DEEP_RELU = "/?dataset=spiral&hidden=8,8,8,8,8,8,8,8&activation=relu&init=he&learning_rate=0.5&unit=iteration"


@pytest.mark.parametrize("size", list(SIZES))
def test_deep_sigmoid_gradient_flow(app_page: AppPage, output_dir: Path, size: str) -> None:
    width, height = SIZES[size]
    page, traffic = app_page(DEEP_SIGMOID, width, height)
    expect(page.locator('.neuron[data-layer="6"]')).to_have_count(8)
    step_iterations(page, traffic, 30)
    view = page.locator("#gradient-flow")
    expect(view.locator(".gflow-col[data-layer]")).to_have_count(7)
    wait_until(
        page,
        lambda: (
            view.locator(".gflow-col[data-layer]").first.get_attribute("data-rms") not in (None, "")
        ),
        what="the bars",
    )
    cols = view.locator(".gflow-col[data-layer]")
    layers = [int(cols.nth(k).get_attribute("data-layer") or 0) for k in range(7)]
    assert layers == [1, 2, 3, 4, 5, 6, 7], "input on the left"
    rms = [float(cols.nth(k).get_attribute("data-rms") or "nan") for k in range(7)]
    assert all(a < b for a, b in zip(rms, rms[1:], strict=False)), (
        f"bars decrease toward the input: {rms}"
    )
    heights = [cols.nth(k).locator(".gflow-bar").bounding_box()["height"] for k in range(7)]  # type: ignore[index]
    assert all(a < b for a, b in zip(heights, heights[1:], strict=False)), (
        f"drawn that way: {heights}"
    )
    assert "vanishing" in (cols.first.get_attribute("data-flags") or "")
    expect(view).to_contain_text("|f′|")
    assert (cols.first.locator(".gflow-fp").text_content() or "").startswith("0.2")
    warnings = page.locator("#warnings")
    expect(warnings).to_contain_text("vanishes toward the input")
    expect(warnings).not_to_contain_text("explod")
    expect(warnings).not_to_contain_text("lower the learning rate")
    view.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(output_dir / f"{size}-deep-sigmoid.png"))
    view.screenshot(path=str(output_dir / f"{size}-gradient-flow.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no horizontal scrolling"


def test_captions_inspector_and_help_with_adam_dropout_and_l2(
    app_page: AppPage, output_dir: Path
) -> None:
    page, traffic = app_page("/?optimizer=adam&learning_rate=0.01&dropout=0.5&l2=0.01&l1=0.001")
    step = page.get_by_role("button", name="Step forward", exact=True)
    for k in range(1, 5):
        step.click()
        wait_until(page, lambda k=k: len(traffic.of_type("phase")) >= k, what=f"phase {k}")
    expect(page.locator("#phase-title")).to_have_text("Loss")
    expect(page.locator("#equations")).to_contain_text("J = L + R = ")
    page.wait_for_timeout(600)
    page.screenshot(path=str(output_dir / "1280-loss-caption.png"))
    for k in range(5, 7):
        step.click()
        wait_until(page, lambda k=k: len(traffic.of_type("phase")) >= k, what=f"phase {k}")
    expect(page.locator("#equations")).to_contain_text("dZ² = dA² ⊙ D² ⊙ tanh′(Z²)")
    page.locator('.neuron[data-layer="2"][data-unit="0"]').click()
    inspector = page.locator("#inspector")
    expect(inspector).to_contain_text("∂L/∂z")
    expect(inspector).to_contain_text("tanh(z)·d = ")
    page.wait_for_timeout(600)
    page.screenshot(path=str(output_dir / "1280-backward-inspector.png"))
    inspector.screenshot(path=str(output_dir / "1280-inspector.png"))
    step.click()
    wait_until(page, lambda: len(traffic.of_type("phase")) >= 7, what="phase 7")
    edge = page.locator("#inspector")
    page.locator('.neuron[data-layer="1"][data-unit="0"]').click()
    expect(edge).to_contain_text("dZ¹₁")
    step.click()
    wait_until(page, lambda: len(traffic.of_type("phase")) >= 8, what="the update")
    expect(page.locator("#phase-title")).to_have_text("Update · Adam")
    expect(page.locator("#phase-note")).to_contain_text("not the batch size m")
    page.wait_for_timeout(900)
    page.screenshot(path=str(output_dir / "1280-update-adam.png"))
    page.keyboard.press("?")
    help_dialog = page.get_by_role(
        "dialog", name="Help: keyboard shortcuts and how to read this page"
    )
    expect(help_dialog).to_contain_text("How to read this page")
    expect(help_dialog).to_contain_text("dX means ∂L/∂X")
    page.screenshot(path=str(output_dir / "1280-help.png"))
    help_dialog.screenshot(path=str(output_dir / "1280-help-dialog.png"))


@pytest.mark.parametrize("size", list(SIZES))
def test_nine_bars_keep_their_numbers_apart(app_page: AppPage, output_dir: Path, size: str) -> None:
    """With 8 hidden layers (9 bars in the narrow right column) the numbers over and under the
    bars never run into each other."""
    width, height = SIZES[size]
    page, traffic = app_page(DEEP_RELU, width, height)
    step_iterations(page, traffic, 10)
    view = page.locator("#gradient-flow")
    expect(view.locator(".gflow-col[data-layer]")).to_have_count(9)
    expect(view.locator(".gflow-col[data-layer] .gflow-val").first).not_to_have_text("—")
    values = view.locator(".gflow-col[data-layer] .gflow-val").all_text_contents()
    assert all(v and v != "—" for v in values), values
    for row in ["gflow-val", "gflow-fp", "gflow-layer"]:
        assert not overlapping(page, f"#gradient-flow .gflow-col[data-layer] .{row}"), row
    assert not outside(page, "#gradient-flow .gflow-plot *", "#gradient-flow"), "inside the view"
    view.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    view.screenshot(path=str(output_dir / f"{size}-gradient-flow-9-bars.png"))
