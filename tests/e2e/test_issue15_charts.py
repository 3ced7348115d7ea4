"""Issue 15, item 13: no duplicate tick labels; with 7 layers the Updates chart's series have
distinct colours by depth, named in its legend."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app, wait_message


def lightness(css: str) -> float:
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", css)[:3])
    return (max(r, g, b) + min(r, g, b)) / 2


def test_updates_chart_by_depth(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/?hidden=4,4,4,4,4,4")
    page.get_by_label("Step by").select_option("epoch")
    for _ in range(2):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        wait_message(page, traffic, "iteration", start)
    for tab in ["Updates", "Gradients", "Loss"]:
        page.get_by_role("tab", name=tab).click()
        chart = page.locator("#chart")
        expect(chart.locator(".u-legend")).to_be_visible()
        page.wait_for_timeout(200)
        # uPlot draws the ticks on a canvas; the axes record what they drew on the plot's root.
        plot = chart.locator(".uplot")
        for name in ("data-x-ticks", "data-y-ticks"):
            drawn = [t for t in (plot.get_attribute(name) or "").split("|") if t]
            assert drawn, (tab, name, "no tick label drawn")
            assert len(set(drawn)) == len(drawn), (tab, name, drawn)
        if tab != "Loss":
            markers = chart.evaluate(
                """(c) => [...c.querySelectorAll('.u-legend .u-series')].slice(1)
                    .filter((s) => !/1e-3/.test(s.textContent))
                    .map((s) => getComputedStyle(s.querySelector('.u-marker')).borderColor)"""
            )
            assert len(markers) == 7, markers
            assert len(set(markers)) == 7, (tab, markers)
            # Sequential by depth: the lightness moves one way from layer 1 to layer 7.
            light = [lightness(m) for m in markers]
            assert light == sorted(light) or light == sorted(light, reverse=True), (tab, markers)


def test_a_log_scale_over_a_narrow_range_labels_several_ticks(
    page: Page, live_server: LiveServer
) -> None:
    """A loss between ~0.6 and 1 on a log axis showed the single label "0.7"."""
    traffic = open_app(page, live_server.url + "/")
    for _ in range(3):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        wait_message(page, traffic, "phase", start)
    page.get_by_role("tab", name="Loss").click()
    log_box = page.get_by_label("Log scale")
    if not log_box.is_checked():
        log_box.check()
    plot = page.locator("#chart .uplot")
    expect(plot).to_have_attribute("data-y-ticks", re.compile(r"\|"))
    drawn = [t for t in (plot.get_attribute("data-y-ticks") or "").split("|") if t]
    values = [float(t) for t in drawn]
    assert len(drawn) >= 3, drawn
    assert max(values) / min(values) < 10, "the axis spans less than a decade here"
