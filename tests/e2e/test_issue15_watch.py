"""Issue 15, item 14: the watch page is read-only and says whose session it follows."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import NewPage, Traffic, click_data_point, open_app, wait_until


def owner_and_watcher(
    new_page: NewPage, page: Page, live_server: LiveServer
) -> tuple[Traffic, dict[str, Any], Page]:
    """The owner's page (its traffic and hello) and a second page on its watch link."""
    traffic = open_app(page, live_server.url + "/")
    hello = traffic.of_type("hello")[0]
    watcher = new_page()
    watcher.goto(f"{live_server.url}/?watch={hello['session']}&key={hello['watch_key']}")
    expect(watcher.locator("#conn")).to_contain_text("watching", timeout=15_000)
    return traffic, hello, watcher


def test_the_watch_page_is_read_only(
    new_page: NewPage, page: Page, live_server: LiveServer
) -> None:
    _, hello, watcher = owner_and_watcher(new_page, page, live_server)
    expect(watcher.locator("#tagline")).to_contain_text("read-only")
    expect(watcher.locator("#tagline")).to_contain_text(hello["session"][:8])
    expect(watcher.locator("#tagline")).not_to_contain_text("Step forward")
    # Its words never ask for what only the owner can do.
    expect(watcher.locator("#phase-title")).to_have_text("Ready")
    expect(watcher.locator("#phase-note")).to_have_text(
        "The owner's Step forward runs the next phase; this page follows."
    )
    hint = watcher.locator("#inspector .hint")
    expect(hint).to_contain_text("Hover a weight to read it.")
    expect(hint).not_to_contain_text("edit")
    expect(hint).not_to_contain_text("follow")
    page.get_by_role("button", name="Play", exact=True).click()
    expect(watcher.locator("#phase-title")).to_have_text("Training")
    expect(watcher.locator("#phase-note")).to_have_text("The owner is training; this page follows.")
    page.get_by_role("button", name="Pause", exact=True).click()
    for name in ["Gradient check", "New weights", "Regenerate data", "Step forward", "Play"]:
        expect(watcher.get_by_role("button", name=name, exact=True)).to_be_hidden()
    expect(watcher.locator("#noise")).to_be_hidden()
    expect(watcher.locator("#features")).to_be_hidden()
    # Whatever stays visible is visibly inert: disabled, not a live control that does nothing.
    active = watcher.evaluate(
        """() => [...document.querySelectorAll('.transport, .hyper, .data-panel')]
            .flatMap((c) => [...c.querySelectorAll('input, select, button')])
            .filter((e) => e.getClientRects().length && !e.disabled)
            .map((e) => e.id || e.textContent)"""
    )
    assert active == [], active


def test_a_spectator_follows_what_its_owner_follows_and_its_clicks_change_nothing(
    new_page: NewPage, page: Page, live_server: LiveServer
) -> None:
    traffic, _, watcher = owner_and_watcher(new_page, page, live_server)
    points = traffic.of_type("data")[-1]["train"]["points"]

    # The owner follows a sample: the watch page shows that one.
    click_data_point(page, points[7])
    index = wait_until(page, lambda: traffic.of_type("follow", sent=True), what="follow")[0][
        "index"
    ]
    expect(watcher.locator("#sample-nav")).to_contain_text(
        f"Following train sample #{index}", timeout=10_000
    )
    # A click on the watch page changes nothing: before, it marked another point followed
    # (nothing was sent) and showed its number with the owner's sample's values.
    click_data_point(watcher, points[3])
    watcher.wait_for_timeout(300)
    assert watcher.evaluate("window.__bpl.model.follow") == index
    expect(watcher.locator("#sample-nav")).to_contain_text(f"Following train sample #{index}")


def test_the_watch_page_never_offers_to_follow_or_stop_following(
    new_page: NewPage, page: Page, live_server: LiveServer
) -> None:
    traffic, _, watcher = owner_and_watcher(new_page, page, live_server)
    point = traffic.of_type("data")[-1]["train"]["points"][5]
    box = watcher.locator(".heatmap canvas.points").bounding_box()
    assert box is not None
    x, y = watcher.evaluate(
        f"[window.__bpl.output.sx({point[0]}), window.__bpl.output.sy({point[1]})]"
    )
    watcher.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = watcher.locator("#tooltip")
    expect(tooltip).to_contain_text("sample #5")
    expect(tooltip).not_to_contain_text("click to follow")
    click_data_point(page, point)
    expect(watcher.locator("#sample-nav")).to_contain_text("Following train sample #5")
    expect(
        watcher.locator("#sample-nav").get_by_role("button", name="Stop following")
    ).to_have_count(0)
    expect(page.locator("#sample-nav").get_by_role("button", name="Stop following")).to_be_visible()
