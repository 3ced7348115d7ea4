"""Layout checks measured from the DOM: boxes that overlap or leave their container."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

BOXES_JS = """(sel) => [...document.querySelectorAll(sel)].filter((e) => e.getClientRects().length)
    .map((e) => { const r = e.getBoundingClientRect();
        return {x: r.x, y: r.y, w: r.width, h: r.height,
                name: e.id || e.getAttribute('aria-label') || e.className.baseVal || e.className}; })"""


def boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    return page.evaluate(BOXES_JS, selector)  # type: ignore[no-any-return]


def overlaps(a: dict[str, Any], b: dict[str, Any], slack: float = 0.5) -> bool:
    return (
        a["x"] + a["w"] - slack > b["x"]
        and b["x"] + b["w"] - slack > a["x"]
        and a["y"] + a["h"] - slack > b["y"]
        and b["y"] + b["h"] - slack > a["y"]
    )


def overlapping(page: Page, selector: str) -> list[tuple[str, str]]:
    """Pairs of elements matching `selector` whose boxes overlap."""
    items = boxes(page, selector)
    return [
        (str(a["name"]), str(b["name"]))
        for i, a in enumerate(items)
        for b in items[i + 1 :]
        if a["w"] and b["w"] and overlaps(a, b)
    ]


def outside(page: Page, selector: str, container: str, slack: float = 1.0) -> list[str]:
    """Elements matching `selector` that leave the box of `container`."""
    (c,) = boxes(page, container)
    return [
        str(e["name"])
        for e in boxes(page, selector)
        if e["x"] < c["x"] - slack
        or e["y"] < c["y"] - slack
        or e["x"] + e["w"] > c["x"] + c["w"] + slack
        or e["y"] + e["h"] > c["y"] + c["h"] + slack
    ]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")  # type: ignore[no-any-return]
