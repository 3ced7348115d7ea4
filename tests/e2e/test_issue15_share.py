"""Issue 15, item 7: Copy link carries the step; opening it replays from the seed to the same
weights."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import AppPage, open_app, wait_message


def test_copy_link_reproduces_the_step(app_page: AppPage) -> None:
    page, traffic = app_page(
        "/?learning_rate=0.1", permissions=["clipboard-read", "clipboard-write"]
    )
    page.get_by_label("Step by").select_option("epoch")
    for _ in range(2):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        wait_message(page, traffic, "iteration", start)
    step = traffic.of_type("iteration")[-1]["step"]
    start = len(traffic.received)
    page.get_by_role("button", name="Step forward", exact=True).click()  # one more, then back
    wait_message(page, traffic, "iteration", start)
    start = len(traffic.received)
    page.get_by_role("button", name="Step back", exact=True).click()
    wait_message(page, traffic, "state", start, where=lambda m: m["step"] == step)
    expect(page.locator("#step-count")).to_have_text(str(step))
    page.get_by_role("button", name="Copy link").click()
    link = page.evaluate("navigator.clipboard.readText()")
    assert f"step={step}" in link and "learning_rate=0.1" in link
    here = traffic.of_type("state")[-1]["layers"]
    other = page.context.new_page()  # a fresh tab: a new session (no resume)
    seen = open_app(other, link)
    wait_message(other, seen, "iteration", where=lambda m: m["step"] == step, timeout=30)
    expect(other.locator("#step-count")).to_have_text(str(step))
    start = len(seen.received)
    other.evaluate("__bpl.conn.send({type: 'sync'})")
    state = wait_message(other, seen, "state", start)
    assert state["step"] == step
    assert state["layers"][0]["W"] == here[0]["W"]
    assert "step=" not in other.url, "the replay happens once, not on every reload"
