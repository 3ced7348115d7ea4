"""What one session may ask for, and the one check of a configuration against it.

`Limits` is read from the environment once (each field from `BPL_<FIELD>`, `max_seek_history`
from `BPL_HISTORY_STEPS` or `BPL_MAX_SEEK_HISTORY`); the session enforces it, `hello` and `GET /api/options` send it.
`check_limits` is the only place a configuration is measured against it.
"""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine import DATASETS, Dataset, TrainConfig
from app.engine.options import RANGES
from app.protocol import ProtocolError

ENV_PREFIX = "BPL_"


class Limits(BaseSettings):
    """Sent to clients in `hello` and `GET /api/options`; each has an environment variable."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    max_hidden_layers: int = 8
    max_width: int = 64
    max_parameters: int = 20_000
    max_batch_size: int = 256
    max_samples: int = 5_000
    max_csv_bytes: int = 1 << 20
    max_message_bytes: int = 64 << 10
    max_learning_rate: float = 10.0
    max_record_samples: int = 64
    max_seek_history: int = Field(
        10_000,
        validation_alias=AliasChoices(
            "max_seek_history", ENV_PREFIX + "HISTORY_STEPS", ENV_PREFIX + "MAX_SEEK_HISTORY"
        ),
    )

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


def read_limits() -> Limits:
    """The limits of this process: defaults, overridden by `BPL_*` environment variables."""
    return Limits()  # type: ignore[call-arg]  # max_seek_history may come by its alias


def io_sizes(cfg: TrainConfig, custom: Dataset | None) -> tuple[int, int]:
    """Input and output widths of the network `cfg` builds (before building anything)."""
    if cfg.dataset == "custom" and custom is not None:
        return custom.input_dim, custom.output_dim
    if cfg.dataset == "digits":
        return 64, 10
    classes = 2 if DATASETS[cfg.dataset].task == "classification" else 1
    return len(cfg.features), classes


def check_limits(cfg: TrainConfig, custom: Dataset | None, limits: Limits) -> None:
    """Refuse a configuration over `limits` before anything is allocated for it.

    The learning rate over its maximum is `invalid_message` (it is a range the client sees in
    `limits`), everything else `limit_exceeded`; each message names the field first.
    """
    if cfg.learning_rate > limits.max_learning_rate:
        raise ProtocolError(
            "invalid_message", f"learning_rate: must be in (0, {limits.max_learning_rate:g}]"
        )
    if cfg.batch_size > limits.max_batch_size:
        raise ProtocolError(
            "limit_exceeded", f"batch_size: must be {_min('batch_size')}..{limits.max_batch_size}"
        )
    if len(cfg.hidden) > limits.max_hidden_layers:
        raise ProtocolError(
            "limit_exceeded", f"hidden: at most {limits.max_hidden_layers} hidden layers"
        )
    if any(w > limits.max_width for w in cfg.hidden):
        raise ProtocolError(
            "limit_exceeded", f"hidden: each width must be {_min('hidden')}..{limits.max_width}"
        )
    sizes = [io_sizes(cfg, custom)[0], *cfg.hidden, io_sizes(cfg, custom)[1]]
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    if params > limits.max_parameters:
        raise ProtocolError(
            "limit_exceeded",
            f"hidden: this network has {params} parameters; the limit is {limits.max_parameters}",
        )
    if cfg.samples > limits.max_samples and cfg.dataset not in ("digits", "custom"):
        raise ProtocolError(
            "limit_exceeded", f"samples: must be {_min('samples')}..{limits.max_samples}"
        )


def _min(field: str) -> int:
    low = RANGES[field].min
    assert low is not None
    return int(low)
