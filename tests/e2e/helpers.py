"""Helpers for the browser tests: capture the page's WebSocket traffic and wait on it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Page, WebSocket, expect

SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sup(n: int) -> str:
    """Superscript digits, as the page writes layer indices: 2 → "²"."""
    return str(n).translate(SUP)


@dataclass
class Traffic:
    """Every JSON message the page sent and received on its sockets, in order."""

    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sockets: list[WebSocket] = field(default_factory=list)

    def attach(self, page: Page) -> Traffic:
        page.on("websocket", self._on_socket)
        return self

    def _on_socket(self, ws: WebSocket) -> None:
        self.sockets.append(ws)
        ws.on("framereceived", lambda payload: self._add("in", payload))
        ws.on("framesent", lambda payload: self._add("out", payload))

    def _add(self, direction: str, payload: str | bytes) -> None:
        msg = json.loads(payload)
        (self.received if direction == "in" else self.sent).append(msg)
        self.events.append((direction, msg))

    def of_type(self, kind: str, *, sent: bool = False) -> list[dict[str, Any]]:
        return [m for m in (self.sent if sent else self.received) if m.get("type") == kind]


def wait_until(
    page: Page, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll `predicate` (while letting the page's events run) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(20)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_message(
    page: Page,
    traffic: Traffic,
    kind: str,
    after: int = 0,
    where: Callable[[dict[str, Any]], bool] | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """The first received message of `kind` at index ≥ `after` matching `where`."""

    def find() -> dict[str, Any] | None:
        for m in traffic.received[after:]:
            if m.get("type") == kind and (where is None or where(m)):
                return m
        return None

    return wait_until(page, find, timeout, f"a {kind!r} message")  # type: ignore[no-any-return]


def open_app(page: Page, url: str, traffic: Traffic | None = None) -> Traffic:
    """Load the page and wait until it is connected and drew the network."""
    traffic = (traffic or Traffic()).attach(page)
    page.goto(url)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=15_000)
    wait_message(page, traffic, "series")
    expect(page.locator('.neuron[data-layer="1"]').first).to_be_attached()
    return traffic


def neuron_values(page: Page) -> dict[str, str | None]:
    """Every neuron's exact displayed value (data-value), keyed by "layer/unit"."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => Object.fromEntries([...document.querySelectorAll('.neuron')].map(
            (g) => [g.dataset.layer + '/' + g.dataset.unit, g.getAttribute('data-value')]))"""
    )


# The fixtures of conftest.py that open pages: `new_page(width, height, **context_options)` and
# `app_page(path, width, height, **context_options)` → (page, traffic).
NewPage = Callable[..., Page]
AppPage = Callable[..., tuple[Page, Traffic]]


def click_data_point(page: Page, point: list[float]) -> None:
    """Click the data view at a data point's coordinates (as drawn: the view's own scales)."""
    px, py = point
    box = page.locator(".heatmap canvas.points").bounding_box()
    assert box is not None
    x, y = page.evaluate(f"[window.__bpl.output.sx({px}), window.__bpl.output.sy({py})]")
    page.mouse.click(box["x"] + x, box["y"] + y)


def step_iterations(page: Page, traffic: Traffic, count: int) -> None:
    """Click Step forward `count` times (stepping by iteration), each time waiting for its
    `iteration` message."""
    step = page.get_by_role("button", name="Step forward", exact=True)
    start = len(traffic.of_type("iteration"))
    for k in range(1, count + 1):
        step.click()
        wait_until(
            page, lambda k=k: len(traffic.of_type("iteration")) >= start + k, what=f"step {k}"
        )


def create_run(page: Page, optimizer: str, learning_rate: str) -> None:
    """Compare runs: open the form and create a run with `optimizer` and `learning_rate`."""
    card = page.get_by_role("region", name="Compare runs")
    card.get_by_role("button", name="Compare…").click()
    form = card.get_by_role("form", name="New run")
    form.get_by_label("Run optimizer").select_option(optimizer)
    form.get_by_label("Run learning rate").fill(learning_rate)
    form.get_by_role("button", name="Create run").click()
