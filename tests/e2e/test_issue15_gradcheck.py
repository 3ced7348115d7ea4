"""Issue 15, item 5: the gradient check uses the engine's threshold (sent by the server) and
highlights the entry that fails."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app, wait_message


def test_deep_sigmoid_gradient_check_passes(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/?activation=sigmoid&hidden=4,4,4,4,4")
    expect(page.locator("#diagram .col-sub")).to_have_count(7)
    page.get_by_role("button", name="Gradient check").click()
    msg = wait_message(page, traffic, "gradcheck", timeout=30)
    assert isinstance(msg["threshold"], float)
    errors = [e for r in msg["layers"] for e in (r["rel_error_W"], r["rel_error_b"])]
    assert msg["ok"] == all(e < msg["threshold"] for e in errors)
    inspector = page.locator("#inspector")
    expect(inspector).to_contain_text("matches finite differences")
    expect(inspector.locator(".bad")).to_have_count(0)
    expect(inspector).to_contain_text(f"< {msg['threshold']:g}")
