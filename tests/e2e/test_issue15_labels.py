"""Issue 15, items 3 and 4: the layer headers follow the activation; the figures follow the
timeline."""

from __future__ import annotations

import csv
import io
import re
import urllib.request

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app, wait_message


def test_layer_headers_follow_the_activation(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    subs = page.locator("#diagram .col-sub")
    expect(subs.nth(1)).to_contain_text("tanh")
    # The captions' names, never the engine's keys ("relu", "linear", "leaky_relu").
    shown_as = [
        ("relu", "ReLU"),
        ("linear", "identity"),
        ("sigmoid", "σ"),
        ("leaky_relu", "leaky ReLU"),
    ]
    for value, shown in shown_as:
        page.get_by_label("Activation").select_option(value)
        wait_message(
            page, traffic, "config", where=lambda m, v=value: m["config"]["activation"] == v
        )
        expect(subs.nth(1)).to_contain_text(shown)
        texts = " ".join(t or "" for t in subs.all_text_contents())
        assert "tanh" not in texts and value.replace("_", " ") not in texts.replace(shown, ""), (
            texts
        )


def test_the_figures_follow_the_timeline(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    hello = traffic.of_type("hello")[0]
    page.get_by_label("Step by").select_option("epoch")
    for _ in range(2):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        wait_message(page, traffic, "iteration", start)
    url = f"{live_server.url}/api/sessions/{hello['session']}/history.csv?token={hello['token']}"
    rows = list(csv.DictReader(io.StringIO(urllib.request.urlopen(url).read().decode())))
    measured = {int(r["step"]): float(r["train_loss"]) for r in rows if r["train_loss"]}
    stats = page.locator("#stats")
    newest = stats.inner_text()
    later = [s for s in sorted(measured) if 0 < s < max(measured)]
    for target in [3, *later[:1], 3]:
        expected = measured[max(s for s in measured if s <= target)]
        start = len(traffic.received)
        page.evaluate(
            """(s) => { const t = document.getElementById('timeline'); t.value = s;
                       t.dispatchEvent(new Event('change')); }""",
            target,
        )
        wait_message(page, traffic, "state", start, where=lambda m, t=target: m["step"] == t)
        page.wait_for_timeout(150)
        found = re.search(r"Train loss\s*([0-9.]+)", stats.inner_text())
        assert found, (
            target,
            stats.inner_text(),
            page.evaluate(
                "JSON.stringify([__bpl.model.chart.steps.slice(0,8), __bpl.model.chart.train_loss.slice(0,8), __bpl.model.metrics])"
            ),
            [m["type"] for m in traffic.received[start:]],
        )
        shown = float(found[1])
        assert abs(shown - expected) <= 5e-4 * max(1.0, expected), (target, shown)
    assert stats.inner_text() != newest
