"""The page reconnects and resumes the same session when its socket drops."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer, free_port
from tests.e2e.conftest import PageErrors
from tests.e2e.helpers import open_app, wait_message, wait_until


def step_iterations(page: Page, n: int) -> None:
    page.get_by_label("Step by").select_option("iteration")
    for _ in range(n):
        page.get_by_role("button", name="Step forward", exact=True).click()


def test_server_restart_reconnects_and_resumes_the_session(
    page: Page, page_errors: PageErrors, server_factory: Callable[..., LiveServer]
) -> None:
    # While the server is down, Chromium logs each refused reconnect attempt.
    page_errors.allow("ERR_CONNECTION_REFUSED")
    port = free_port()
    server = server_factory(port=port)
    traffic = open_app(page, server.url + "/")
    first = traffic.of_type("hello")[0]
    step_iterations(page, 3)
    expect(page.locator("#step-count")).to_have_text("3")
    server.stop()  # a graceful restart: the server closes sockets with 1012 and checkpoints
    expect(page.locator("#conn")).not_to_contain_text("Connected", timeout=5000)
    server_factory(port=port)
    hello = wait_message(page, traffic, "hello", after=1, timeout=20)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=10_000)
    assert hello["session"] == first["session"], "the same session"
    assert hello["resumed"] is True
    assert hello["step"] == 3
    expect(page.locator("#step-count")).to_have_text("3")
    page.get_by_role("button", name="Step forward", exact=True).click()
    expect(page.locator("#step-count")).to_have_text("4")


def test_dropped_socket_reconnects_to_the_same_session(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    step_iterations(page, 2)
    expect(page.locator("#step-count")).to_have_text("2")
    sockets_before = len(traffic.sockets)
    page.evaluate("window.__bpl.conn.drop()")
    wait_until(page, lambda: len(traffic.sockets) > sockets_before, what="a new socket")
    hello = wait_message(page, traffic, "hello", after=1)
    assert hello["resumed"] is True and hello["step"] == 2
    assert "token=" in traffic.sockets[-1].url and "session=" in traffic.sockets[-1].url
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    # A reload resumes too (session and token live in sessionStorage).
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(page.locator("#step-count")).to_have_text("2")
