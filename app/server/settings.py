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
    max_watchers_per_session: int = 100
    idle_timeout_s: float = 15 * 60
    resume_window_s: float = 5 * 60
    max_session_age_s: float = 8 * 3600
    send_timeout_s: float = 5.0
    rate_limit_per_s: float = 200.0
    rate_limit_burst: int = 400
    rate_abuse_after_s: float = 5.0
    # Where sessions are checkpointed; "off" or empty: nowhere.
    checkpoint_dir: Path | None = None
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
        if isinstance(value, str) and value.strip().lower() in ("", "off"):
            return None
        return value

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
