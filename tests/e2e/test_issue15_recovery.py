"""Issue 15, items 1 and 2: divergence during play is loud, and the banner's recovery rewinds
to the last healthy step keeping the new learning rate."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import Traffic, open_app, wait_message, wait_until


def diverge_by_play(page: Page, traffic: Traffic) -> dict:
    """Plane, linear activation, learning rate 10, Play: the loss explodes within a few steps."""
    page.locator('[data-dataset="plane"]').click()
    wait_message(page, traffic, "data", where=lambda m: m["dataset"] == "plane")
    page.get_by_label("Activation").select_option("linear")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["activation"] == "linear")
    field = page.get_by_label("Learning rate")
    field.fill("10")
    field.press("Enter")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["learning_rate"] == 10)
    page.get_by_role("button", name="Play", exact=True).click()
    return wait_message(page, traffic, "diverged", timeout=20)


def test_divergence_during_play_shows_the_banner_at_once(
    page: Page, live_server: LiveServer
) -> None:
    traffic = open_app(page, live_server.url + "/")
    diverge_by_play(page, traffic)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Training diverged", timeout=3000)
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    # The state that follows the stop must not hide it.
    page.wait_for_timeout(800)
    expect(alert).to_contain_text("Training diverged")


def test_lowering_the_rate_rewinds_to_a_healthy_step_and_keeps_it(
    page: Page, live_server: LiveServer
) -> None:
    traffic = open_app(page, live_server.url + "/")
    diverged = diverge_by_play(page, traffic)
    lower = page.get_by_role("button", name="Lower the learning rate to 1")
    expect(lower).to_be_visible(timeout=3000)
    start = len(traffic.received)
    lower.click()
    state = wait_message(page, traffic, "state", start)
    assert state["step"] < diverged["step"] - 1, "rewound before the exploded weights"
    wait_message(page, traffic, "config", start, where=lambda m: m["config"]["learning_rate"] == 1)
    wait_until(page, lambda: traffic.of_type("config")[-1]["config"]["learning_rate"] == 1)
    expect(page.get_by_label("Learning rate")).to_have_value("1")
    # Stepping on now stays finite: the exploded weights are gone.
    page.get_by_label("Step by").select_option("iteration")
    start = len(traffic.received)
    page.get_by_role("button", name="Step forward", exact=True).click()
    it = wait_message(page, traffic, "iteration", start)
    assert it["learning_rate"] == 1
    assert not traffic.of_type("diverged")[len(traffic.of_type("diverged")) :]


def test_going_back_keeps_the_lowered_rate(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    diverge_by_play(page, traffic)
    expect(page.get_by_role("alert")).to_contain_text("Training diverged", timeout=3000)
    field = page.get_by_label("Learning rate")
    field.fill("1")
    field.press("Enter")
    wait_message(page, traffic, "config", where=lambda m: m["config"]["learning_rate"] == 1)
    back = page.get_by_role("alert").get_by_role("button", name="Go back to step 0")
    start = len(traffic.received)
    back.click()
    wait_message(page, traffic, "state", start, where=lambda m: m["step"] == 0)
    page.wait_for_timeout(400)
    assert traffic.of_type("config")[-1]["config"]["learning_rate"] == 1
    expect(field).to_have_value("1")
