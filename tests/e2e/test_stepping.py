"""Stepping through one iteration phase by phase, and back again, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import neuron_values, open_app, sup, wait_message

L = 3  # the default network: 2 inputs → 4 → 2 → 2 outputs


def expected_phases() -> list[tuple[str, str]]:
    """(caption title, an equation the caption must show) for every phase of one iteration."""
    out = [
        (
            f"Forward pass · layer {layer} of {L}",
            f"Z{sup(layer)} = A{sup(layer - 1)}·W{sup(layer)}ᵀ + b{sup(layer)}",
        )
        for layer in range(1, L + 1)
    ]
    out.append(("Loss", "L = −(1/m)·Σᵣ Σⱼ yᵣⱼ·log ŷᵣⱼ"))
    out += [
        (
            f"Backward pass · layer {layer} of {L}",
            f"dW{sup(layer)} = dZ{sup(layer)}ᵀ·A{sup(layer - 1)}",
        )
        for layer in range(L, 0, -1)
    ]
    out.append(("Update · SGD", "W ← W − η·dW"))
    return out


def index_is(index: int) -> Callable[[dict[str, Any]], bool]:
    return lambda m: bool(m["index"] == index)


def test_connects_and_shows_the_network(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    hello = traffic.of_type("hello")[0]
    assert hello["protocol"] == 1
    expect(page.get_by_role("group", name="Network diagram")).to_be_visible()
    sizes = [2, *hello["config"]["hidden"], 2]
    for layer, units in enumerate(sizes):
        expect(page.locator(f'.neuron[data-layer="{layer}"]')).to_have_count(units)
    for name in ("Play", "Step forward", "Step back", "Reset"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_label("Step by")).to_have_value("phase")
    expect(page.get_by_label("Learning rate")).to_have_value("0.03")
    assert "NaN" not in page.locator("body").inner_text()


def test_phase_walk_caption_values_and_exact_step_back(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    title = page.locator("#phase-title")
    equations = page.locator("#equations")
    shown: list[dict[str, str | None]] = [neuron_values(page)]
    for index, (caption, equation) in enumerate(expected_phases()):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        msg = wait_message(page, traffic, "phase", start, index_is(index))
        expect(title).to_have_text(caption)
        expect(equations).to_contain_text(equation)
        # A neuron's displayed value is the value in the message (row 0 of the batch).
        if msg["phase"] == "forward":
            g = page.locator(f'.neuron[data-layer="{msg["layer"]}"][data-unit="0"]')
            expect(g).to_have_attribute("data-kind", "a")
            assert float(g.get_attribute("data-value") or "nan") == msg["A"][0][0]
            assert float(g.locator("text.val").text_content() or "nan") == float(
                f"{msg['A'][0][0]:.3g}"
            )
        elif msg["phase"] == "backward":
            g = page.locator(f'.neuron[data-layer="{msg["layer"]}"][data-unit="1"]')
            expect(g).to_have_attribute("data-kind", "dz")
            assert float(g.get_attribute("data-value") or "nan") == msg["dZ"][0][1]
        elif msg["phase"] == "loss":
            loss = float(f"{msg['loss']:.4g}")
            expect(equations).to_contain_text(f"= {loss}")
        if msg["phase"] == "forward" and msg["layer"] == 1:
            inputs = page.locator('.neuron[data-layer="0"][data-unit="0"]')
            assert float(inputs.get_attribute("data-value") or "nan") == msg["A_prev"][0][0]
        page.wait_for_timeout(30)
        shown.append(neuron_values(page))
    wait_message(page, traffic, "iteration")
    expect(page.locator("#step-count")).to_have_text("1")
    # Step back, one phase at a time: each earlier moment comes back exactly.
    for index in range(len(expected_phases()) - 1, -1, -1):
        start = len(traffic.received)
        page.get_by_role("button", name="Step back", exact=True).click()
        wait_message(page, traffic, "state", start)
        if index > 0:
            wait_message(page, traffic, "phase", start)
            expect(title).to_have_text(expected_phases()[index - 1][0])
        page.wait_for_function(
            "(want) => [...document.querySelectorAll('.neuron')].every("
            "(g) => g.getAttribute('data-value') === want[g.dataset.layer + '/' + g.dataset.unit])",
            arg=shown[index],
        )
        assert neuron_values(page) == shown[index], f"back to phase {index}"
    expect(page.locator("#step-count")).to_have_text("0")
    assert traffic.of_type("back", sent=True)[0] == {"type": "back", "unit": "phase", "count": 1}


def test_step_by_iteration_and_epoch_apply_to_both_directions(
    page: Page, live_server: LiveServer
) -> None:
    traffic = open_app(page, live_server.url + "/")
    page.get_by_label("Step by").select_option("iteration")
    page.get_by_role("button", name="Step forward", exact=True).click()
    page.get_by_role("button", name="Step forward", exact=True).click()
    expect(page.locator("#step-count")).to_have_text("2")
    page.get_by_role("button", name="Step back", exact=True).click()
    expect(page.locator("#step-count")).to_have_text("1")
    assert traffic.of_type("back", sent=True)[-1]["unit"] == "iteration"
    page.get_by_label("Step by").select_option("epoch")
    start = len(traffic.received)
    page.get_by_role("button", name="Step forward", exact=True).click()
    state = wait_message(page, traffic, "state", start)
    expect(page.locator("#epoch-count")).to_have_text(str(state["epoch"]))
    assert state["epoch"] >= 1
    assert traffic.of_type("step", sent=True)[-1] == {"type": "step", "unit": "epoch", "count": 1}
    page.get_by_role("button", name="Step back", exact=True).click()
    assert traffic.of_type("back", sent=True)[-1]["unit"] == "epoch"
    assert "NaN" not in page.locator("body").inner_text()


def test_timeline_scrubber_seeks(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/?unit=iteration")
    for _ in range(5):
        page.get_by_role("button", name="Step forward", exact=True).click()
    expect(page.locator("#step-count")).to_have_text("5")
    timeline = page.get_by_label("Timeline")
    expect(timeline).to_have_attribute("max", "5")
    start = len(traffic.received)
    timeline.evaluate("(el) => { el.value = '2'; el.dispatchEvent(new Event('change')); }")
    state = wait_message(page, traffic, "state", start)
    assert state["step"] == 2
    assert traffic.of_type("seek", sent=True)[-1] == {"type": "seek", "step": 2}
    expect(page.locator("#step-count")).to_have_text("2")
    wait_message(page, traffic, "series", start)


def test_reload_in_the_middle_of_a_phase_walk_redraws_every_layer(
    page: Page, live_server: LiveServer
) -> None:
    traffic = open_app(page, live_server.url + "/")
    for index in range(3):
        start = len(traffic.received)
        page.get_by_role("button", name="Step forward", exact=True).click()
        wait_message(page, traffic, "phase", start, index_is(index))
    title = page.locator("#phase-title")
    expect(title).to_have_text(f"Forward pass · layer 3 of {L}")
    page.wait_for_timeout(600)  # the pulse animation ends
    caption = page.locator("#caption").inner_text()
    before = neuron_values(page)
    assert all(before[f"{layer}/0"] for layer in range(L + 1)), "every layer drawn before"
    start = len(traffic.received)
    page.reload()
    state = wait_message(page, traffic, "state", start)
    assert state["revealed"] == 3 and len(state["phases"]) == 3
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(title).to_have_text(f"Forward pass · layer 3 of {L}")
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('.neuron')].every("
        "(g) => g.getAttribute('data-value') === want[g.dataset.layer + '/' + g.dataset.unit])",
        arg=before,
    )
    assert neuron_values(page) == before, "the same neuron values as before the reload"
    assert page.locator("#caption").inner_text() == caption, "the same caption"
    # The walk goes on from there: the next phase is the loss.
    page.get_by_role("button", name="Step forward", exact=True).click()
    expect(title).to_have_text("Loss")
