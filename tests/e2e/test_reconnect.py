"""The page reconnects and resumes the same session when its socket drops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
    # An outage longer than a blip is said plainly, with a way to retry.
    expect(page.get_by_role("alert")).to_contain_text("The server is restarting.", timeout=5000)
    expect(page.get_by_role("button", name="Reconnect now")).to_be_visible()
    server_factory(port=port)
    hello = wait_message(page, traffic, "hello", after=1, timeout=20)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=10_000)
    assert hello["session"] == first["session"], "the same session"
    assert hello["resumed"] is True
    assert hello["step"] == 3
    expect(page.locator("#step-count")).to_have_text("3")
    expect(page.get_by_role("alert")).to_be_hidden()
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
    # Issue 14 item 9: the session id in the URL, the token in the first message.
    assert "token=" not in traffic.sockets[-1].url and "session=" in traffic.sockets[-1].url
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    # A reload resumes too (session and token live in sessionStorage).
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(page.locator("#step-count")).to_have_text("2")


def test_a_lost_session_is_said_and_its_settings_carried_over(
    page: Page,
    page_errors: PageErrors,
    server_factory: Callable[..., LiveServer],
    tmp_path: Path,
) -> None:
    page_errors.allow("ERR_CONNECTION_REFUSED")
    port = free_port()
    server = server_factory(port=port)
    traffic = open_app(page, server.url + "/?dataset=xor&hidden=3&seed=7")
    wait_message(page, traffic, "state", where=lambda m: m["config"]["hidden"] == [3])
    step_iterations(page, 2)
    expect(page.locator("#step-count")).to_have_text("2")
    server.process.kill()  # a crash: nothing checkpointed, the new process knows no session
    server.process.wait(timeout=5)
    expect(page.get_by_role("alert")).to_contain_text("Connection to the server lost.")
    start = len(traffic.received)
    server_factory(env={"BPL_CHECKPOINT_DIR": str(tmp_path / "elsewhere")}, port=port)
    wait_message(page, traffic, "error", start, where=lambda m: m["code"] == "invalid_session")
    wait_message(page, traffic, "hello", start, where=lambda m: m["resumed"] is False, timeout=20)
    expect(page.get_by_role("alert")).to_contain_text("The server no longer had this session.")
    wait_message(
        page,
        traffic,
        "state",
        start,
        where=lambda m: m["config"]["dataset"] == "xor" and m["config"]["hidden"] == [3],
    )
    assert traffic.of_type("configure", sent=True)[-1]["config"]["seed"] == 7
    expect(page.locator('.neuron[data-layer="1"]')).to_have_count(3)
    expect(page.locator("#step-count")).to_have_text("0")
