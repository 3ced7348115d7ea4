"""Server settings: one typed class read from `BPL_*` environment variables (see the README)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.limits import ENV_PREFIX, Limits, read_limits


class SettingsError(ValueError):
    """An environment variable with a value the server cannot use; the message names it."""


class Settings(BaseSettings):
    """Process-wide settings. Built once by `create_app`; never mutated."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    limits: Limits = Field(default_factory=read_limits)
    # Extra origins allowed to open /ws (comma-separated); the page's own always is.
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_sessions: int = 200
    max_sessions_per_browser: int = 8
    # New sessions of clients without a `bpl_browser` cookie (scripts), all together; 0: half
    # of `max_sessions` (`anonymous_cap`).
    max_anonymous_sessions: int = 0
    # Sessions restored from checkpoints (resumes) may go this far over `max_sessions`: a
    # resume never loses to the new-session cap (new sessions are refused at `max_sessions`).
    resume_headroom: int = 50
    # Uploaded datasets held in memory: per browser cookie, and in bytes of arrays in total.
    max_datasets_per_browser: int = 4
    max_dataset_bytes: int = 64 << 20
    # POST /api/sessions/import: body size, and imports per second per process (bursts).
    max_import_bytes: int = 2 << 20
    import_rate_per_s: float = 1.0
    import_burst: int = 10
    # `sync` per socket: per second, with bursts (each one sends the whole moment).
    sync_rate_per_s: float = 2.0
    sync_burst: int = 4
    # Bytes queued for one spectator before it is dropped as too slow.
    watcher_queue_bytes: int = 8 << 20
    # Gradient checks (CPU-bound, in threads) running at once per process; 0: one per core.
    max_gradchecks: int = 0
    max_watchers_per_session: int = 100
    idle_timeout_s: float = 15 * 60
    resume_window_s: float = 5 * 60
    max_session_age_s: float = 8 * 3600
    send_timeout_s: float = 5.0
    rate_limit_per_s: float = 200.0
    rate_limit_burst: int = 400
    rate_abuse_after_s: float = 5.0
    # Where sessions are checkpointed; "off": nowhere; unset or empty: a per-user data folder
    # (`default_checkpoint_dir`).
    checkpoint_dir: Path | None = Field(default_factory=lambda: default_checkpoint_dir())
    checkpoint_interval_s: float = 30.0
    reap_interval_s: float = 5.0
    # The name in every response's `x-bpl-instance` header; empty: host-pid.
    instance: str = ""

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip().rstrip("/") for p in value.split(",") if p.strip())
        return value

    @field_validator("checkpoint_dir", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip().lower() == "off":
                return None
            if not value.strip():
                return default_checkpoint_dir()
        return value

    @property
    def anonymous_cap(self) -> int:
        return self.max_anonymous_sessions or max(1, self.max_sessions // 2)

    @property
    def instance_name(self) -> str:
        """Which process answered: `BPL_INSTANCE`, else host-pid."""
        return self.instance or f"{socket.gethostname()}-{os.getpid()}"

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of this process; a bad value raises `SettingsError` naming its variable."""
        try:
            return cls(limits=_checked())
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None


def default_checkpoint_dir() -> Path:
    """`$XDG_DATA_HOME/backprop-lab/checkpoints`, else `~/.local/share/backprop-lab/checkpoints`."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / "backprop-lab" / "checkpoints"


def _checked() -> Limits:
    try:
        return read_limits()
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


def env_name(field: str) -> str:
    """The environment variable of a field of `Settings` or `Limits`."""
    for model in (Settings, Limits):
        info = model.model_fields.get(field)
        if info is not None and isinstance(info.validation_alias, AliasChoices):
            for choice in info.validation_alias.choices:
                if isinstance(choice, str) and choice.startswith(ENV_PREFIX):
                    return choice
    return (ENV_PREFIX + field).upper()


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        lines.append(
            f"environment variable {env_name(name)}: {error['msg']} (got {error['input']!r})"
        )
    return "; ".join(lines)
