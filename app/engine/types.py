"""Type aliases shared by the engine modules."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

Array: TypeAlias = npt.NDArray[np.float64]
"""A float64 array (every tensor of the network)."""

IntArray: TypeAlias = npt.NDArray[np.int64]
"""An int64 array (class labels, sample indices)."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
"""A boolean array (dropout masks)."""

AnyArray: TypeAlias = npt.NDArray[Any]
"""Any NumPy array (labels may be classes or regression targets)."""

Task: TypeAlias = Literal["classification", "regression"]
"""What a data set asks of the network (the key of ``losses.OUTPUT_HEADS``)."""
