"""The anchor: TensorFlow Playground's figures (quoted from issue 7, not measured here) and ours.

TF Playground runs its engine in the browser, one JS object per neuron. The quoted figures:
~15–24 µs per update on its default net (2 inputs, hidden [4, 2], batch 10) under Node; its
page trains at most one epoch (25 updates) per animation frame and spends ~90 % of each frame
on the 100×100 boundary heatmap, so it tops out near 1,500 updates/s while drawing; its
largest network (6×8) falls to ~7–10 epochs/s.

Measured here: our engine's time per update on the same default net (`Trainer.train_step`,
full record), in process; the system figures (updates/s while streaming frames, epochs/s of the
6×8 net, fps while drawing) come from the protocol and browser benchmarks of the same run.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.common import time_per_call
from bench.tables import markdown_table
from bench.targets import browser_fps, browser_row, rows_of

QUOTED = {
    "per_update_us": "15–24 µs (V8 under Node, default net 2-[4,2], batch 10)",
    "updates_per_s_drawing": "≈ 1,500 updates/s while drawing (≤ 25 updates per frame)",
    "six_by_eight_epochs_per_s": "≈ 7–10 epochs/s (6 hidden layers × 8)",
    "heatmap_share": "≈ 90 % of each frame on the 100×100 heatmap",
}


def run(quick: bool = False, smoke: bool = False) -> list[dict[str, Any]]:
    from bench.appapi import TrainConfig, Trainer

    trainer = Trainer(TrainConfig())  # dataset circle, hidden (4, 2), batch 10: TF's default
    for _ in range(50):
        trainer.train_step()
    calls, repeats = (50, 1) if smoke else (300, 3) if quick else (3000, 7)
    per_update = time_per_call(trainer.train_step, calls, repeats)
    return [
        {
            "what": "engine time per update, 2-[4,2]-2 batch 10 (full record)",
            "ours_us": per_update * 1e6,
            "quoted": QUOTED["per_update_us"],
        }
    ]


def markdown(results: dict[str, Any]) -> str:
    s = ["## 7. The anchor: TensorFlow Playground side by side\n\n"]
    s.append(
        "TF Playground's figures are **quoted from issue 7, not measured here**; ours are from "
        "this run.\n\n"
    )
    anchor = rows_of(results, "anchor")
    per_update = anchor[0]["ours_us"] if anchor else None
    protocol = rows_of(results, "protocol")
    play_default = next(
        (r for r in protocol if r["kind"] == "play" and "default" in r["net"]), None
    )
    play_small = next(
        (r for r in protocol if r["kind"] == "play" and r["net"].startswith("2-8-8-2")
         and r["client"] == "acks at once"),
        None,
    )  # fmt: skip
    six = next((r for r in protocol if r["kind"] == "play" and "6×8" in r["net"]), None)
    engine = rows_of(results, "engine")
    digits = next((r for r in engine if r["net"].startswith("64-32-10")), None)
    fps = browser_fps(results, digits=False)
    page = browser_row(results, digits=False)
    rows = [
        [
            "time per update, default net 2-[4,2]-2 b10",
            QUOTED["per_update_us"],
            f"{per_update:.1f} µs (NumPy engine, full record)" if per_update else "—",
        ],
        [
            "updates/s while drawing",
            QUOTED["updates_per_s_drawing"],
            (
                f"{page['steps_per_s']:,.0f}/s while the page draws {fps:.0f} fps "
                "(default net, headless Chromium); "
                if page and page.get("steps_per_s") is not None and fps is not None
                else "page not measured; "
            )
            + (f"{play_default['iterations_per_s']:,.0f}/s default net, " if play_default else "")
            + (f"{play_small['iterations_per_s']:,.0f}/s 2-8-8-2" if play_small else "")
            + " (protocol client acking at once)",
        ],
        [
            "largest net (6×8), epochs/s",
            QUOTED["six_by_eight_epochs_per_s"],
            f"{six['epochs_per_s']:.0f} epochs/s ({six['iterations_per_s']:,.0f} updates/s, "
            f"{six['steps_per_epoch']} updates per epoch)"
            if six
            else "—",
        ],
        [
            "heatmap cost per frame",
            QUOTED["heatmap_share"],
            (
                f"render pass p50 {page['render_ms_p50']:.1f} ms, p95 "
                f"{page['render_ms_p95']:.1f} ms per frame (default net, everything drawn, "
                "heatmaps computed in the page from the streamed weights)"
            )
            if page and page.get("render_ms_p50") is not None
            else "see the browser section",
        ],
        [
            "digits-size net per update (64-32-10 b64)",
            "no digits task",
            f"{digits['engine_us']:.0f} µs ({digits['iterations_per_s']:,.0f}/s)"
            if digits
            else "—",
        ],
    ]
    s.append(markdown_table(["", "TF Playground (quoted)", "Backprop Lab (measured)"], rows) + "\n")
    return "".join(s)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['what']}: {row['ours_us']:.1f} µs (TF Playground: {row['quoted']})")
