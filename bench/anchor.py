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


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['what']}: {row['ours_us']:.1f} µs (TF Playground: {row['quoted']})")
