"""Guided experiments in the browser: a lesson link, the catalogue, predict-then-see, and
screenshots of the catalogue and of two cards at 1280 and 1024 wide (test-output/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app, wait_message, wait_until

SIZES = {"1280": (1280, 800), "1024": (1024, 768)}


def card(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#experiment-card")


def test_vanishing_link_runs_and_the_card_says_seen(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, f"{live_server.url}/?experiment=vanishing&hide=data")
    sent = wait_until(page, lambda: traffic.of_type("experiment", sent=True), what="experiment")
    assert sent[0]["experiment"] == "vanishing"
    expect(card(page).get_by_role("heading", name="Vanishing gradients")).to_be_visible()
    expect(page.locator(".data-panel")).to_be_hidden()  # hide= still works
    expect(page.locator("#gradient-flow")).to_have_class(re.compile(r"\bexp-watched\b"))
    expect(page.get_by_role("tab", name="Gradients")).to_have_attribute("aria-selected", "true")
    # The prediction is asked first: stepping is locked until it is answered or skipped.
    expect(card(page).get_by_text("Predict, then see")).to_be_visible()
    expect(page.get_by_role("button", name="Step forward", exact=True)).to_be_disabled()
    card(page).get_by_role("button", name="Skip").click()
    expect(page.get_by_role("button", name="Step forward", exact=True)).to_be_enabled()
    card(page).get_by_role("button", name="Run to step 200").click()
    expect(card(page).get_by_role("status").first).to_contain_text("Seen:", timeout=30_000)
    expect(card(page).locator(".exp-status")).to_contain_text("vanishing layers: [1")
    last = wait_message(page, traffic, "experiment", where=lambda m: m["step"] == 200, timeout=30)
    assert last["seen"] and 1 in last["values"]["1"]["layers"]
    expect(card(page).get_by_role("button", name="Run 200 more steps")).to_be_enabled()
    iteration = traffic.of_type("iteration")[-1]
    assert 1 in iteration["diagnostics"]["vanishing"]  # what the gradient chart flags
    expect(page.locator("#gradient-flow")).to_contain_text("anish")  # the view shows the flag
    card(page).get_by_role("button", name="Show explanation").click()
    expect(card(page).locator("#exp-explanation")).to_be_visible()
    card(page).get_by_role("button", name="Next experiment").click()
    expect(card(page).get_by_role("heading", name="The same depth with ReLU")).to_be_visible()
    wait_message(page, traffic, "experiment", where=lambda m: m["experiment"] == "vanishing-fixed")


def test_dead_relu_link_shows_the_dead_units_advice(page: Page, live_server: LiveServer) -> None:
    """The dead units are judged on the whole training set (not a batch of 10) and the page
    says so, with the fix the catalogue's `next` experiment demonstrates (leaky ReLU)."""
    traffic = open_app(page, f"{live_server.url}/?experiment=dead-relu")
    expect(card(page).get_by_role("heading", name="Dead ReLU units")).to_be_visible()
    skip = card(page).get_by_role("button", name="Skip")
    if skip.count():
        skip.click()
    card(page).get_by_role("button", name="Run to step 200").click()
    expect(card(page).get_by_role("status").first).to_contain_text("Seen:", timeout=30_000)
    wait_until(
        page,
        lambda: any(
            (f.get("diagnostics") or {}).get("dead") == [1]
            for f in [*traffic.of_type("iteration"), *traffic.of_type("frame")]
        ),
        what="layer 1 sent as dead",
    )
    warnings = page.locator("#warnings")
    expect(warnings).to_contain_text("ReLU units output 0 for every one of the 280")
    expect(warnings).to_contain_text("leaky ReLU")
    expect(page.locator('#gradient-flow .gflow-col[data-layer="1"]')).to_have_attribute(
        "data-flags", re.compile(r"\bdead\b")
    )


def test_every_catalogue_entry_loads(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, f"{live_server.url}/")
    ids = [e["id"] for e in page.request.get(f"{live_server.url}/api/experiments").json()]
    for experiment_id in ids:
        page.get_by_role("button", name="Experiments", exact=True).click()
        dialog = page.get_by_role("dialog", name="Experiments")
        expect(dialog).to_be_visible()
        dialog.locator(f'[data-experiment="{experiment_id}"]').click()
        expect(dialog).to_be_hidden()
        wait_message(
            page, traffic, "experiment", where=lambda m, i=experiment_id: m["experiment"] == i
        )
        expect(card(page).locator(".exp-status")).to_contain_text("Not seen yet")
        assert f"experiment={experiment_id}" in page.url
    assert not traffic.of_type("error")
    card(page).get_by_role("button", name="Close").click()
    expect(card(page)).to_be_hidden()
    assert "experiment=" not in page.url


def test_predict_first_backprop_right(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, f"{live_server.url}/?experiment=first-backprop")
    wait_message(page, traffic, "experiment")
    expect(page.locator("#inspector")).to_contain_text("W¹")  # the entry's weight is selected
    step = page.get_by_role("button", name="Step forward", exact=True)
    for _ in range(3):  # forward 1, forward 2, loss
        step.click()
        page.wait_for_timeout(80)
    expect(card(page).get_by_text("Will w = W¹₁,₁ go up or down")).to_be_visible()
    expect(step).to_be_disabled()
    page.keyboard.press("ArrowRight")  # the key is locked too
    page.wait_for_timeout(200)
    assert len(traffic.of_type("phase")) == 3
    card(page).get_by_role("button", name="down", exact=True).click()
    for _ in range(3):  # backward 2, backward 1, update
        step.click()
        page.wait_for_timeout(80)
    feedback = card(page).locator(".exp-feedback")
    expect(feedback).to_contain_text("Right: down")
    expect(feedback).to_contain_text("dw = +0.122, so w moves by −η·dw = −0.3·(+0.122) = −0.0367")
    expect(card(page).locator(".exp-status")).to_contain_text("Seen: step 1")


def test_predict_lr_too_high_wrong(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, f"{live_server.url}/?experiment=lr-too-high")
    wait_message(page, traffic, "experiment")
    page.get_by_label("Step by").select_option("iteration")
    page.get_by_role("button", name="Step forward", exact=True).click()  # a previous loss first
    expect(card(page).get_by_text("higher or lower")).to_be_visible()
    card(page).get_by_role("button", name="down", exact=True).click()
    answer = wait_message(
        page, traffic, "experiment", where=lambda m: (m.get("answer") or {}).get("step") == 2
    )
    assert answer["answer"]["value"] == "up"
    feedback = card(page).locator(".exp-feedback")
    expect(feedback).to_contain_text("Not quite: up")
    expect(feedback).to_contain_text("The batch loss went up")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots(app_page: AppPage, output_dir: Path, size: str, theme: str) -> None:
    width, height = SIZES[size]
    page, traffic = app_page(f"/?theme={theme}&experiment=first-backprop", width, height)
    wait_message(page, traffic, "experiment")
    for _ in range(3):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(80)
    expect(card(page).locator(".exp-predict")).to_be_visible()
    page.wait_for_timeout(700)
    page.screenshot(path=str(output_dir / f"{size}-{theme}-card-first-backprop.png"))
    card(page).get_by_role("button", name="up", exact=True).click()
    for _ in range(3):
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(80)
    expect(card(page).locator(".exp-feedback")).to_contain_text("Not quite: down")
    page.wait_for_timeout(700)
    page.screenshot(path=str(output_dir / f"{size}-{theme}-card-first-backprop-answered.png"))
    page.get_by_role("button", name="Experiments", exact=True).click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(output_dir / f"{size}-{theme}-catalogue.png"))
    page.locator('[data-experiment="overfitting"]').click()
    wait_message(page, traffic, "experiment", where=lambda m: m["experiment"] == "overfitting")
    card(page).get_by_role("button", name="Run to step 500").click()
    expect(card(page).locator(".exp-status")).to_contain_text("Seen:", timeout=60_000)
    expect(card(page).get_by_role("button", name="Run 500 more steps")).to_be_visible(
        timeout=60_000
    )
    card(page).get_by_role("button", name="Show explanation").click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(output_dir / f"{size}-{theme}-card-overfitting.png"))
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"no horizontal scrolling ({scroll} px)"
