"""Issue 15, item 11: with the digits (a 64-32-10 network) the output's probability bars stay on
screen through a whole phase walk. Before the forward pass reaches the output they show the last
values they showed, dimmed and said to be so; from the output layer on, the shown sample's."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import AppPage, wait_message

DIGITS = "/?dataset=digits&hidden=32"


def test_the_bars_stay_through_the_phase_walk(app_page: AppPage) -> None:
    page, traffic = app_page(DIGITS)
    expect(page.locator('.neuron[data-layer="1"]')).to_have_count(32)
    probs = page.get_by_label("Output probabilities")
    bars = probs.locator(".bar")
    caption = page.locator(".probs-caption")
    expect(bars).to_have_count(10)
    height = probs.bounding_box()["height"]  # type: ignore[index]
    expect(page.get_by_label("Step by")).to_have_value("phase")
    step = page.get_by_role("button", name="Step forward", exact=True)
    walk = [
        "Forward pass · layer 1 of 2",
        "Forward pass · layer 2 of 2",  # the output
        "Loss",
        "Backward pass · layer 2 of 2",
        "Backward pass · layer 1 of 2",
        "Update · SGD",
        "Forward pass · layer 1 of 2",  # the next iteration
        "Forward pass · layer 2 of 2",
    ]
    for title in walk:
        start = len(traffic.received)
        step.click()
        wait_message(page, traffic, "phase", start)
        expect(page.locator("#phase-title")).to_have_text(title)
        expect(bars).to_have_count(10)
        for j in range(10):
            expect(bars.nth(j)).to_be_visible()
        values = probs.locator(".prob-value").all_text_contents()
        assert len(values) == 10 and all(v not in ("", "–", "NaN") for v in values), (title, values)
        assert abs(sum(float(v) for v in values) - 1) < 0.06, (title, values)
        shown = page.locator("#sample-nav").inner_text()  # "Sample #145 (1/10 of batch)"
        index = shown.split("#", 1)[1].split(" ", 1)[0]
        green = probs.locator(".bar").evaluate_all(
            "(bars) => bars.findIndex((b) => b.classList.contains('label'))"
        )
        if title.startswith("Forward pass · layer 1"):
            expect(probs).to_have_class("probs stale")
            expect(caption).to_contain_text("Last shown: ŷ of training sample #")
            expect(caption).to_contain_text("This forward pass has not reached the output yet.")
        else:
            expect(probs).to_have_class("probs")
            expect(caption).to_have_text(
                f"ŷ of training sample #{index}, label {green} (green bar)"
            )
            output = page.locator(f'.neuron[data-layer="2"][data-unit="{green}"]')
            value = float(output.get_attribute("data-value") or "nan")
            if title.startswith("Forward pass · layer 2") or title == "Loss":  # ŷ = A²
                assert abs(float(values[green]) - value) <= 0.006, (title, values, value)
        box = probs.bounding_box()
        assert box and abs(box["height"] - height) <= 1, (title, "the bars never move the page")
    expect(page.locator("#step-count")).to_have_text("1")
