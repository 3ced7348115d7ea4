"""Predict, then see: the answer to a question asked before a step, from that step's numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.engine import IterationRecord
from app.experiments.checks import gradient_size

PREDICT_KINDS = ("weight_delta_sign", "loss_change_sign", "largest_grad_layer")
"""How a prediction's answer is computed (``predict["answer_from"]["kind"]``)."""


def _sign_word(x: float) -> str:
    return "up" if x > 0.0 else "down" if x < 0.0 else "unchanged"


def predict_answer(
    predict: Mapping[str, Any],
    before_record: IterationRecord | None,
    after_record: IterationRecord,
) -> str:
    """The answer to a "predict, then see" question from the real step's numbers.

    ``after_record`` is the record of the step the learner predicted; ``before_record`` the
    record of the step before it (needed by ``loss_change_sign`` only).

    * ``weight_delta_sign`` (``layer``, ``row``, ``col``): ``"up"`` / ``"down"`` /
      ``"unchanged"``: the sign of ``ΔWˡ[row, col]`` applied by the update (``−η·dW`` for sgd).
    * ``loss_change_sign``: ``"up"`` / ``"down"``: this step's batch loss against the previous
      step's.
    * ``largest_grad_layer`` (``measure``, default ``dW_norm``): the layer number (as text)
      whose gradient is largest.
    """
    spec = predict["answer_from"]
    kind = spec["kind"]
    if kind == "weight_delta_sign":
        r = after_record.layers[int(spec["layer"]) - 1]
        return _sign_word(float(r.update_W[int(spec["row"]), int(spec["col"])]))
    if kind == "loss_change_sign":
        if before_record is None:
            raise ValueError("loss_change_sign needs the previous step's record")
        return "up" if after_record.loss > before_record.loss else "down"
    if kind == "largest_grad_layer":
        measure = spec.get("measure", "dW_norm")
        sizes = [gradient_size(after_record, r.layer, measure) for r in after_record.layers]
        return str(int(np.argmax(sizes)) + 1)
    raise ValueError(f"unknown answer kind {kind!r}; one of {', '.join(PREDICT_KINDS)}")
