"""Arrays and generator states as Python source, losslessly.

An array becomes base64 of its little-endian bytes (zlib-compressed above ``ZIP_OVER``
bytes), split into lines short enough for a 100-column file; a generated script decodes it
with ``np.frombuffer``, so every float64 comes back bit for bit (decimal text would not
round-trip without 17 significant digits and is three times larger).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

ZIP_OVER = 2048
"""Arrays larger than this many bytes are zlib-compressed (the digits: 1,258 × 64 float64 =
644 KB raw, ~50 KB compressed, since the pixels are multiples of 1/16)."""

LINE = 96
"""Characters of base64 per line."""

UNPACK_SOURCE = '''\
def unpack(dtype: str, shape: tuple[int, ...], text: str, zipped: bool = False) -> np.ndarray:
    """An array stored below as base64 of its little-endian bytes (zlib-compressed if zipped)."""
    raw = base64.b64decode("".join(text.split()))
    if zipped:
        raw = zlib.decompress(raw)
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
'''
"""The decoder every generated script carries (needs ``base64``, ``zlib`` and ``numpy``)."""


def array_source(a: npt.NDArray[Any]) -> str:
    """``unpack(...)`` source that rebuilds ``a`` (float64 or int64) exactly."""
    if a.dtype.kind == "f":
        dtype, data = "<f8", np.ascontiguousarray(a, dtype="<f8")
    elif a.dtype.kind in "iu":
        dtype, data = "<i8", np.ascontiguousarray(a, dtype="<i8")
    else:
        raise TypeError(f"cannot embed an array of {a.dtype}")
    raw = data.tobytes()
    zipped = len(raw) > ZIP_OVER
    if zipped:
        raw = zlib.compress(raw, 6)
    text = base64.b64encode(raw).decode("ascii")
    lines = "\n".join(text[i : i + LINE] for i in range(0, len(text), LINE))
    shape = repr(tuple(int(n) for n in a.shape))
    flag = ", zipped=True" if zipped else ""
    return f'unpack("{dtype}", {shape}, """\n{lines}\n"""{flag})'


def generator_state_source(state: Mapping[str, Any]) -> str:
    """A NumPy bit generator's state dict as a literal of plain ints and strings, one entry a
    line (a PCG64 state holds two 128-bit integers of up to 39 digits)."""
    return json.dumps(_plain(state), indent=4)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bool | str | float):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    raise TypeError(f"unexpected value in a generator state: {value!r}")
