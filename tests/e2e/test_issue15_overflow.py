"""Issue 15, item 16: the output plot's axis labels stay inside the plot (XOR's domain ends on a
tick: ±6), and long warnings never widen the page. Measured from the DOM at 1280 and 1024."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import AppPage, wait_until
from tests.e2e.layout import boxes, horizontal_overflow, outside, overlapping

SIZES = [(1280, 800), (1024, 768)]
DEEP_SIGMOID = (
    "/?dataset=circle&hidden=8,8,8,8,8,8&activation=sigmoid&init=xavier&learning_rate=0.1"
)

# Elements whose right edge passes the page's visible width (the scroll bar excluded).
WIDER_JS = """() => { const w = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')].filter((e) => e.getClientRects().length
        && e.getBoundingClientRect().right > w + 0.5).map((e) => e.id || e.className || e.tagName); }"""


def page_fits(page: Page, where: str) -> None:
    assert horizontal_overflow(page) <= 0, f"{where}: the page scrolls sideways"
    wider = page.evaluate(WIDER_JS)
    assert not wider, f"{where}: wider than the page: {wider}"


@pytest.mark.parametrize("size", SIZES)
def test_the_output_plot_keeps_its_axis_labels(app_page: AppPage, size: tuple[int, int]) -> None:
    page, _ = app_page("/?dataset=xor", *size)
    plot = page.locator("#heatmap")
    x_ticks = plot.locator(".axis.x")
    y_ticks = plot.locator(".axis.y")
    expect(x_ticks.first).to_be_visible()
    xs = [float(t) for t in x_ticks.all_text_contents()]
    ys = [float(t) for t in y_ticks.all_text_contents()]
    assert xs[0] == -xs[-1] == -6 and ys[0] == -ys[-1] == -6, (xs, ys)  # XOR: the domain ±6
    assert len(xs) >= 5 and xs == sorted(xs) and ys == sorted(ys), (xs, ys)
    assert not outside(page, "#heatmap .axis", "#heatmap", slack=0), "every label inside the plot"
    assert not overlapping(page, "#heatmap .axis"), "no two labels on each other"
    canvas = boxes(page, "#heatmap canvas.heat")[0]
    # The inner labels are centred on their ticks: equal steps of the domain, equal steps apart.
    centres = [b["x"] + b["w"] / 2 for b in boxes(page, "#heatmap .axis.x")]
    step = canvas["w"] / (xs[-1] - xs[0])
    for value, centre in list(zip(xs, centres, strict=True))[1:-1]:
        assert abs(centre - (canvas["x"] + (value - xs[0]) * step)) <= 1, (value, centre)
    middles = [b["y"] + b["h"] / 2 for b in boxes(page, "#heatmap .axis.y")]
    for value, middle in list(zip(ys, middles, strict=True))[1:-1]:
        assert abs(middle - (canvas["y"] + canvas["h"] - (value - ys[0]) * step)) <= 1
    page_fits(page, "XOR")


@pytest.mark.parametrize("size", SIZES)
def test_long_warnings_never_widen_the_page(app_page: AppPage, size: tuple[int, int]) -> None:
    page, traffic = app_page(DEEP_SIGMOID + "&unit=iteration", *size)
    step = page.get_by_role("button", name="Step forward", exact=True)
    for k in range(1, 31):
        step.click()
        wait_until(page, lambda k=k: len(traffic.of_type("iteration")) >= k, what=f"step {k}")
    warnings = page.locator("#warnings")
    expect(warnings).to_contain_text("The gradient vanishes toward the input")
    assert len(warnings.inner_text()) > 200
    page_fits(page, "deep sigmoid, 30 steps")
    page, _ = app_page("/?dataset=plane&activation=linear&learning_rate=10", *size)
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Training diverged", timeout=20_000)
    page.wait_for_timeout(500)
    page_fits(page, "diverged")
