"""The page's speed in headless Chromium against a live server (issue 5's performance targets).

* fps while playing: requestAnimationFrame callbacks per second over 10 s (3 s with --quick),
  for the default network (circle, 2-4-2-2) and the digits network (64-32-10), playing as fast
  as the server trains ("Max"), so every frame carries new weights to draw;
* click-to-drawn latency of a step by iteration: from the click on "Step forward" to the render
  pass (inside requestAnimationFrame, just before the browser paints) that shows the new step;
  the median of 30 clicks (10 with --quick). `next_frame_ms` is the conservative figure: the
  following animation frame.

    python -m bench.browser_bench [--quick]

`run(quick)` returns rows for bench/run.py (section "browser").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import live_server, percentile  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

NETS = [
    ("default 2-4-2-2 (circle, tanh)", "?dataset=circle&hidden=4,2&speed=max"),
    ("digits 64-32-10 (8×8 images)", "?dataset=digits&hidden=32&speed=max"),
]

COUNT_FRAMES = """(ms) => new Promise((resolve) => {
  const bpl = window.__bpl;
  const acks0 = bpl.acks;
  const step0 = bpl.model.step;
  bpl.renderMs.length = 0;
  let frames = 0;
  let t0 = null;
  function tick(t) {
    if (t0 === null) t0 = t;
    else frames += 1;
    if (t - t0 < ms) requestAnimationFrame(tick);
    else resolve({frames, ms: t - t0, acks: bpl.acks - acks0, steps: bpl.model.step - step0,
                  renderMs: bpl.renderMs.slice()});
  }
  requestAnimationFrame(tick);
})"""

CLICK_ONCE = """() => new Promise((resolve, reject) => {
  const el = document.getElementById("step-count");
  const before = el.textContent;
  const button = document.getElementById("step-forward");
  let t0 = 0;
  const timer = setTimeout(() => reject(new Error("no new step within 5 s")), 5000);
  const mo = new MutationObserver(() => {
    if (el.textContent === before) return;
    mo.disconnect();
    const drawn = performance.now() - t0;
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve({drawn, next: performance.now() - t0});
    });
  });
  mo.observe(el, {childList: true, characterData: true, subtree: true});
  t0 = performance.now();
  button.click();
})"""


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("status").filter(has_text="Connected").wait_for(timeout=15_000)
    page.locator('.neuron[data-layer="1"]').first.wait_for(state="attached", timeout=15_000)
    page.wait_for_timeout(500)


def _fps(page: Any, base: str, name: str, query: str, seconds: float) -> dict[str, Any]:
    _open(page, base + "/" + query)
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.wait_for_timeout(1000)  # warm up: JIT, first heatmaps
    r = page.evaluate(COUNT_FRAMES, seconds * 1000)
    page.get_by_role("button", name="Pause", exact=True).click()
    secs = r["ms"] / 1000
    render = r["renderMs"] or [0.0]
    return {
        "net": name,
        "fps": r["frames"] / secs,
        "seconds": round(secs, 2),
        "frames_drawn_per_s": r["acks"] / secs,
        "steps_per_s": r["steps"] / secs,
        "render_ms_p50": statistics.median(render),
        "render_ms_p95": percentile(render, 95),
    }


def _latency(page: Any, base: str, clicks: int) -> dict[str, Any]:
    _open(page, base + "/?dataset=circle&hidden=4,2&unit=iteration")
    page.evaluate(CLICK_ONCE)  # warm up
    drawn: list[float] = []
    nxt: list[float] = []
    for _ in range(clicks):
        r = page.evaluate(CLICK_ONCE)
        drawn.append(r["drawn"])
        nxt.append(r["next"])
        page.wait_for_timeout(150)
    return {
        "net": "default 2-4-2-2 (circle, tanh)",
        "what": "step by iteration: click → drawn",
        "clicks": clicks,
        "click_to_drawn_ms": statistics.median(drawn),
        "click_to_drawn_p90_ms": percentile(drawn, 90),
        "next_frame_ms": statistics.median(nxt),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure in headless Chromium against a fresh live server; one row per measurement."""
    from playwright.sync_api import sync_playwright

    seconds = 3.0 if quick else 10.0
    clicks = 10 if quick else 30
    rows: list[dict[str, Any]] = []
    with live_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, query in NETS:
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                try:
                    rows.append(_fps(context.new_page(), server.url, name, query, seconds))
                finally:
                    context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            try:
                rows.append(_latency(context.new_page(), server.url, clicks))
            finally:
                context.close()
        finally:
            browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s of frames, 10 clicks")
    args = parser.parse_args()
    for row in run(args.quick):
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))


if __name__ == "__main__":
    main()
