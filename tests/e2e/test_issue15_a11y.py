"""Issue 15, item 18: reduced motion, the keyboard (every control reachable; a neuron and a
weight chosen for the inspector without a mouse) and the polite caption."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app


def test_reduced_motion_changes_states_without_pulses(
    app_page: AppPage,
) -> None:
    page, _ = app_page("/", reduced_motion="reduce")
    page.get_by_role("button", name="Step forward", exact=True).click()
    lit = []
    for _ in range(12):
        lit.append(
            page.evaluate(
                """() => { const c = document.querySelector('#diagram canvas.fx');
                    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
            )
        )
        page.wait_for_timeout(30)
    assert not any(lit), "no travelling pulses"
    expect(page.locator("#phase-title")).to_contain_text("Forward pass · layer 1")
    duration = page.evaluate(
        "getComputedStyle(document.querySelector('.neuron circle.body')).transitionDuration"
    )
    assert duration in ("0s", "0s, 0s")


def test_keyboard_reaches_every_control_and_chooses_a_weight(
    page: Page, live_server: LiveServer
) -> None:
    open_app(page, live_server.url + "/")
    reached: set[str] = set()
    for _ in range(160):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate(
                "(() => { const e = document.activeElement; return e.id || e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30); })()"
            )
        )
    for needed in ["step-forward", "play", "learning-rate", "activation", "timeline", "share"]:
        assert needed in reached, (needed, sorted(reached))
    assert any(r.startswith("Layer 1 unit 1") or "Layer 1 unit 1" in r for r in reached)
    page.locator('.neuron[data-layer="2"][data-unit="0"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector h3")).to_contain_text("Layer 2 unit 1")
    picker = page.get_by_role("combobox", name="Choose a weight")
    picker.focus()
    picker.select_option(index=2)
    expect(page.locator("#inspector h3")).to_contain_text("Weight W²₁,₂")


def test_the_caption_is_polite_when_stepping_and_quiet_while_playing(
    page: Page, live_server: LiveServer
) -> None:
    open_app(page, live_server.url + "/")
    caption = page.locator("#caption")
    page.get_by_role("button", name="Step forward", exact=True).click()
    expect(caption).to_have_attribute("aria-live", "polite")
    page.get_by_role("button", name="Play", exact=True).click()
    expect(caption).to_have_attribute("aria-live", "off")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(caption).to_have_attribute("aria-live", "polite")
