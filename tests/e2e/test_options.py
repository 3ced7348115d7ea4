"""The controls are built from the server's options (`GET /api/options`): every option it lists
is offered (under its own key when the page has no display name for it), and number fields are
checked against the server's ranges when it sends them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import open_app

FIXTURE = Path(__file__).parents[1] / "js" / "fixtures" / "options.json"


def options_of(page: Page, select: str) -> list[list[str]]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        f"#{select} option", "(os) => os.map((o) => [o.value, o.textContent])"
    )


def test_selects_and_tiles_follow_the_servers_lists(page: Page, live_server: LiveServer) -> None:
    served: dict[str, Any] = {}

    def capture(route: Route) -> None:
        response = route.fetch()
        served.update(response.json())
        route.fulfill(response=response)

    page.route("**/api/options", capture)
    open_app(page, live_server.url + "/")
    assert [v for v, _ in options_of(page, "activation")] == served["activations"]
    assert [v for v, _ in options_of(page, "optimizer")] == served["optimizers"]
    assert [v for v, _ in options_of(page, "init")] == served["inits"]
    assert [v for v, _ in options_of(page, "step-by")] == served["units"]
    assert ["leaky_relu", "Leaky ReLU"] in options_of(page, "activation")
    tiles = page.eval_on_selector_all(
        "#tiles [data-dataset]", "(bs) => bs.map((b) => b.dataset.dataset)"
    )
    assert tiles == served["datasets"], "one tile per dataset; custom is the upload tile, last"


def test_an_option_without_a_display_name_is_offered_and_ranges_apply(
    page: Page, live_server: LiveServer
) -> None:
    fixture = json.loads(FIXTURE.read_text())
    assert "gelu" in fixture["activations"]
    page.route(
        "**/api/options",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(fixture)
        ),
    )
    traffic = open_app(page, live_server.url + "/")
    assert ["gelu", "gelu"] in options_of(page, "activation"), "shown under its own key"
    # The learning rate's range is (0, 10]: 0 is refused in the page and never sent.
    field = page.get_by_label("Learning rate")
    field.fill("0")
    field.press("Enter")
    page.wait_for_timeout(100)
    assert not traffic.of_type("configure", sent=True)
    assert page.locator("#train-ratio").get_attribute("max") == "0.95"
    expect(page.get_by_label("Activation")).to_have_value("tanh")
