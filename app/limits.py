"""What one session may ask for. Plain data: the session enforces it, the server configures it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Sent to clients in `hello` and `GET /api/options`; each has an environment variable."""

    max_hidden_layers: int = 8
    max_width: int = 64
    max_parameters: int = 20_000
    max_batch_size: int = 256
    max_samples: int = 5_000
    max_csv_bytes: int = 1 << 20
    max_message_bytes: int = 64 << 10
    max_learning_rate: float = 10.0
    max_record_samples: int = 64
    max_seek_history: int = 10_000

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
