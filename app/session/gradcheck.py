"""The `gradcheck` command's work: central differences on the weights of one moment.

Central differences cost two forward passes per parameter (~1 s for 17,000 parameters), so the
work is a job for a worker thread. It holds the (immutable) weights of the moment, never the
live trainer, and calls the engine's `check_training_rows`, as `Trainer.gradient_check` does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.engine.gradcheck import CHECK_THRESHOLD, check_training_rows
from app.protocol import Message, ProtocolError
from app.session.timeline import Timeline
from app.steplog import finite


def job(timeline: Timeline, layer: int | None) -> Callable[[], list[Message]]:
    """The check of `layer` (all layers if None) at the moment shown, as a thread-safe job."""
    t = timeline.trainer
    n_layers = len(t.W)
    if layer is not None and not 1 <= layer <= n_layers:
        raise ProtocolError("out_of_range", f"layer: must be 1..{n_layers}")
    timeline.settle()
    W, b, cfg, data, step = tuple(t.W), tuple(t.b), t.config, t.data, t.step

    def run() -> list[Message]:
        layers = None if layer is None else [layer]
        with np.errstate(all="ignore"):
            results = check_training_rows(W, b, data, cfg, layers=layers)
        rows = [
            {
                "layer": r.layer,
                "rel_error_W": finite(r.scaled_error_W),
                "rel_error_b": finite(r.scaled_error_b),
            }
            for r in results
        ]
        ok = all(
            r["rel_error_W"] is not None
            and r["rel_error_b"] is not None
            and max(r["rel_error_W"], r["rel_error_b"]) < CHECK_THRESHOLD
            for r in rows
        )
        return [
            {
                "type": "gradcheck",
                "step": step,
                "layers": rows,
                "ok": ok,
                "threshold": CHECK_THRESHOLD,
            }
        ]

    return run
