"""Backprop Lab: watch a neural network learn.

The package is layered: ``app.engine`` (pure NumPy) → ``app.session`` → ``app.server``.
"""

import os

# Small matrix products are several times faster on one BLAS thread, and the server scales
# with processes, not threads (FIELD-NOTES). Must run before NumPy is first imported;
# setdefault so a user who chose otherwise keeps their choice.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
