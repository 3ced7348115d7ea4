"""The NumPy flavour: the whole algorithm written out, as the textbook writes it.

Every operation is the engine's, in the engine's order, so the script's numbers are the app's
bit for bit on the same machine and NumPy build (the tests measure a relative difference of 0).
The script's text is in ``numpy_template``; this module chooses and fills its sections.
"""

from __future__ import annotations

from app.takehome.common import data_source, header, script_flags, settings_source
from app.takehome.moment import Moment, fill, specialise
from app.takehome.numpy_template import (
    ACTIVATIONS,
    BACKWARD,
    IMPORTS,
    INITIAL_STATE,
    LOSS_CLASSIFICATION,
    LOSS_REGRESSION,
    NETWORK,
    OPTIMIZERS,
    REGULARISATION,
    REGULARISATION_TEMPLATE,
    TRAINING,
)


def numpy_script(m: Moment, steps: int) -> str:
    """The NumPy flavour's source for ``steps`` steps from moment ``m``."""
    cfg = m.config
    flags = script_flags(m)
    output_doc = (
        "logits; softmax is part of the loss"
        if m.task == "classification"
        else "the prediction Ŷ = Zᴸ"
    )
    parts = [
        header(
            m,
            "numpy",
            steps,
            "Python 3.10+ and NumPy; nothing else",
            "bit for bit with the same NumPy build; another BLAS may change the last digits",
        ),
        IMPORTS,
        "",
        settings_source(m, steps),
        data_source(m),
        "\n\n",
        "# ── activation of the hidden layers: f beside its derivative f′ ──────────────────────\n\n",
        ACTIVATIONS[cfg.activation],
        "",
        fill(
            specialise(NETWORK, **flags),
            {"sizes": "-".join(map(str, m.sizes)), "output_doc": output_doc},
        ),
        LOSS_CLASSIFICATION if m.task == "classification" else LOSS_REGRESSION,
        specialise(BACKWARD, **flags),
    ]
    if flags["reg"]:
        kind = "both" if cfg.l1 and cfg.l2 else ("l2" if cfg.l2 else "l1")
        formula, expression = REGULARISATION[kind]
        parts.append(fill(REGULARISATION_TEMPLATE, {"formula": formula, "expression": expression}))
    parts.append(OPTIMIZERS[cfg.optimizer])
    initial = INITIAL_STATE[cfg.optimizer]
    parts.append(fill(specialise(TRAINING, **flags), {"initial_state": initial}))
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)
