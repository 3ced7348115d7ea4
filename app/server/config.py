"""Server settings, read once from environment variables (documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.limits import Limits


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from exc


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Process-wide settings. Built once by `create_app`; never mutated."""

    limits: Limits = field(default_factory=Limits)
    allowed_origins: tuple[str, ...] = ()
    max_sessions: int = 200
    max_sessions_per_browser: int = 8
    max_watchers_per_session: int = 100
    idle_timeout_s: float = 15 * 60
    resume_window_s: float = 5 * 60
    max_session_age_s: float = 8 * 3600
    send_timeout_s: float = 5.0
    rate_limit_per_s: float = 200.0
    rate_limit_burst: int = 400
    rate_abuse_after_s: float = 5.0
    checkpoint_dir: Path | None = None
    checkpoint_interval_s: float = 30.0
    reap_interval_s: float = 5.0

    @classmethod
    def from_env(cls) -> Settings:
        limits = Limits(
            max_hidden_layers=_int("BPL_MAX_HIDDEN_LAYERS", 8),
            max_width=_int("BPL_MAX_WIDTH", 64),
            max_parameters=_int("BPL_MAX_PARAMETERS", 20_000),
            max_batch_size=_int("BPL_MAX_BATCH_SIZE", 256),
            max_samples=_int("BPL_MAX_SAMPLES", 5_000),
            max_csv_bytes=_int("BPL_MAX_CSV_BYTES", 1 << 20),
            max_message_bytes=_int("BPL_MAX_MESSAGE_BYTES", 64 << 10),
            max_learning_rate=_float("BPL_MAX_LEARNING_RATE", 10.0),
            max_record_samples=_int("BPL_MAX_RECORD_SAMPLES", 64),
            max_seek_history=_int("BPL_HISTORY_STEPS", 10_000),
        )
        ckpt = os.environ.get("BPL_CHECKPOINT_DIR", "")
        return cls(
            limits=limits,
            allowed_origins=_list("BPL_ALLOWED_ORIGINS"),
            max_sessions=_int("BPL_MAX_SESSIONS", 200),
            max_sessions_per_browser=_int("BPL_MAX_SESSIONS_PER_BROWSER", 8),
            max_watchers_per_session=_int("BPL_MAX_WATCHERS_PER_SESSION", 100),
            idle_timeout_s=_float("BPL_IDLE_TIMEOUT_S", 15 * 60),
            resume_window_s=_float("BPL_RESUME_WINDOW_S", 5 * 60),
            max_session_age_s=_float("BPL_MAX_SESSION_AGE_S", 8 * 3600),
            send_timeout_s=_float("BPL_SEND_TIMEOUT_S", 5.0),
            rate_limit_per_s=_float("BPL_RATE_LIMIT_PER_S", 200.0),
            rate_limit_burst=_int("BPL_RATE_LIMIT_BURST", 400),
            rate_abuse_after_s=_float("BPL_RATE_ABUSE_AFTER_S", 5.0),
            checkpoint_dir=Path(ckpt) if ckpt and ckpt.lower() != "off" else None,
            checkpoint_interval_s=_float("BPL_CHECKPOINT_INTERVAL_S", 30.0),
            reap_interval_s=_float("BPL_REAP_INTERVAL_S", 5.0),
        )
