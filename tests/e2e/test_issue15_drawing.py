"""Issue 15, item 12: the labels beside the output neurons clear the target ring; no edge runs
through a value label."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, open_app, wait_message
from tests.e2e.layout import boxes, overlaps


def test_output_values_clear_the_ring(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/")
    for _ in range(4):  # through the loss phase: the target ring is drawn
        page.get_by_role("button", name="Step forward", exact=True).click()
        page.wait_for_timeout(80)
    page.wait_for_timeout(500)
    for unit in (0, 1):
        g = f'#diagram .neuron[data-layer="3"][data-unit="{unit}"]'
        (ring,) = boxes(page, f"{g} circle.ring") or boxes(page, f"{g} circle.body")
        (value,) = boxes(page, f"{g} text.val")
        (label,) = boxes(page, f"{g} text.cls")
        assert not overlaps(ring, value), (ring, value)
        assert not overlaps(value, label), (value, label)


# Every visible value label beside a neuron, the edges that pass through its box (sampled along
# each edge's curve, layout.edgePoint), and how it is backed: the rect drawn under it.
LABELS_JS = """() => {
    const root = document.getElementById('diagram');
    const R = root.getBoundingClientRect();
    const d = window.__bpl.diagram;
    const layers = d.weights;
    const panel = getComputedStyle(root.closest('.panel')).backgroundColor;
    const canvases = [...root.querySelectorAll('canvas')];
    const svg = root.querySelector('svg.nodes');
    const above = canvases.every((c) => c.compareDocumentPosition(svg) & Node.DOCUMENT_POSITION_FOLLOWING)
        && [svg, ...canvases].every((e) => getComputedStyle(e).zIndex === 'auto');
    return [...root.querySelectorAll('.neuron text.val')]
        .filter((t) => t.textContent.trim() && t.getClientRects().length
            && getComputedStyle(t).display !== 'none')
        .map((t) => {
            const r = t.getBoundingClientRect();
            const box = {x: r.x - R.x, y: r.y - R.y, w: r.width, h: r.height};
            const crossed = [];
            layers.forEach((layer, k) => layer.W.forEach((row, j) => row.forEach((_, i) => {
                for (let s = 0; s <= 80; s++) {
                    const [x, y] = d.edgePoint(k + 1, j, i, s / 80);
                    if (x > box.x + 1 && x < box.x + box.w - 1 && y > box.y + 1 && y < box.y + box.h - 1) {
                        crossed.push(`W${k + 1}[${j}][${i}]`);
                        break;
                    }
                }
            })));
            const bg = t.previousElementSibling;
            const backing = bg && bg.matches('rect.val-bg') ? bg : null;
            const b = backing?.getBoundingClientRect();
            const style = backing && getComputedStyle(backing);
            return {
                label: t.closest('.neuron').getAttribute('aria-label'),
                crossed,
                covers: Boolean(b) && b.x <= r.x + 0.5 && b.y <= r.y + 0.5
                    && b.right >= r.right - 0.5 && b.bottom >= r.bottom - 0.5,
                opaque: Boolean(style) && style.fill === panel && style.fillOpacity === '1'
                    && style.opacity === getComputedStyle(t).opacity && style.display !== 'none',
                above,
            };
        });
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)])
def test_no_edge_crosses_a_value_label(
    app_page: AppPage, theme: str, size: tuple[int, int]
) -> None:
    """A value label an edge passes through sits on a backing in the panel's colour, drawn above
    the edges and under the digits: the edge stops at the label's box, the digits stay whole."""
    crossed = seen = 0
    for path in [f"/?theme={theme}", f"/?theme={theme}&hidden=6,6&dataset=xor"]:
        page, traffic = app_page(path, *size)
        step = page.get_by_role("button", name="Step forward", exact=True)
        for k in range(1, 8):  # the forward pass, the loss, the backward pass
            start = len(traffic.received)
            step.click()
            wait_message(page, traffic, "phase", start)
            page.wait_for_timeout(450)
            labels = page.evaluate(LABELS_JS)
            seen += len(labels)
            for label in labels:
                if label["crossed"]:
                    crossed += 1
                    assert label["covers"] and label["opaque"] and label["above"], (path, k, label)
        page.context.close()
    assert seen > 0 and crossed > 0, "the states looked at have labels that edges pass through"
