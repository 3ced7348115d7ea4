"""Settings from `BPL_*` environment variables: names as in the README, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.server.settings import Settings, SettingsError, default_checkpoint_dir


def test_every_variable_is_read_by_its_documented_name(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "BPL_MAX_SESSIONS": "7", "BPL_MAX_SESSIONS_PER_BROWSER": "2",
        "BPL_MAX_WATCHERS_PER_SESSION": "3", "BPL_IDLE_TIMEOUT_S": "60",
        "BPL_RESUME_WINDOW_S": "30", "BPL_MAX_SESSION_AGE_S": "600", "BPL_SEND_TIMEOUT_S": "1.5",
        "BPL_RATE_LIMIT_PER_S": "10", "BPL_RATE_LIMIT_BURST": "20", "BPL_RATE_ABUSE_AFTER_S": "2",
        "BPL_CHECKPOINT_INTERVAL_S": "9", "BPL_REAP_INTERVAL_S": "1", "BPL_INSTANCE": "lab-1",
        "BPL_ALLOWED_ORIGINS": "https://lab.school.example/, http://other:8000",
        "BPL_CHECKPOINT_DIR": "/var/lib/bpl", "BPL_MAX_HIDDEN_LAYERS": "4", "BPL_MAX_WIDTH": "32",
        "BPL_MAX_PARAMETERS": "999", "BPL_MAX_BATCH_SIZE": "16", "BPL_MAX_SAMPLES": "100",
        "BPL_MAX_CSV_BYTES": "1000", "BPL_MAX_MESSAGE_BYTES": "2000",
        "BPL_MAX_LEARNING_RATE": "2.5", "BPL_MAX_RECORD_SAMPLES": "8", "BPL_HISTORY_STEPS": "50",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert (s.max_sessions, s.max_sessions_per_browser, s.max_watchers_per_session) == (7, 2, 3)
    assert (s.idle_timeout_s, s.resume_window_s, s.max_session_age_s) == (60, 30, 600)
    assert (s.send_timeout_s, s.rate_limit_per_s, s.rate_limit_burst) == (1.5, 10, 20)
    assert (s.rate_abuse_after_s, s.checkpoint_interval_s, s.reap_interval_s) == (2, 9, 1)
    assert s.instance_name == "lab-1"
    assert s.allowed_origins == ("https://lab.school.example", "http://other:8000")
    assert s.checkpoint_dir == Path("/var/lib/bpl")
    assert s.limits.as_dict() == {
        "max_hidden_layers": 4, "max_width": 32, "max_parameters": 999, "max_batch_size": 16,
        "max_samples": 100, "max_csv_bytes": 1000, "max_message_bytes": 2000,
        "max_learning_rate": 2.5, "max_record_samples": 8, "max_seek_history": 50,
    }  # fmt: skip


@pytest.mark.parametrize("value", ["off", "OFF"])
def test_checkpoints_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BPL_CHECKPOINT_DIR", value)
    assert Settings.from_env().checkpoint_dir is None


def test_defaults_without_environment() -> None:
    s = Settings()
    # Issue 14: unset means a per-user data folder (tests/conftest.py points it at a tmp dir).
    assert s.checkpoint_dir == default_checkpoint_dir()
    assert str(s.checkpoint_dir).endswith("backprop-lab/checkpoints")
    assert s.allowed_origins == () and s.max_sessions == 200
    assert s.limits.max_seek_history == 10_000 and s.limits.max_learning_rate == 10.0
    assert Settings(checkpoint_dir=Path("/tmp/x")).checkpoint_dir == Path("/tmp/x")


@pytest.mark.parametrize(
    ("name", "value"),
    [("BPL_MAX_SESSIONS", "lots"), ("BPL_SEND_TIMEOUT_S", "5s"), ("BPL_HISTORY_STEPS", "1e3x"),
     ("BPL_MAX_WIDTH", "64.5")],
)  # fmt: skip
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"environment variable {name}:.*{value!r}"):
        Settings.from_env()


@pytest.mark.parametrize("value", [None, ""])
def test_checkpoints_default_to_a_per_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None
) -> None:
    """Issue 14 (low): without BPL_CHECKPOINT_DIR a restart lost every session."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if value is None:
        monkeypatch.delenv("BPL_CHECKPOINT_DIR", raising=False)
    else:
        monkeypatch.setenv("BPL_CHECKPOINT_DIR", value)
    assert Settings.from_env().checkpoint_dir == tmp_path / "backprop-lab" / "checkpoints"
    monkeypatch.delenv("XDG_DATA_HOME")
    expected = Path.home() / ".local" / "share" / "backprop-lab" / "checkpoints"
    assert Settings.from_env().checkpoint_dir == expected


def test_the_history_length_is_also_read_as_bpl_max_seek_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every other limit is `BPL_<FIELD>`: this one answers to its field's name too."""
    monkeypatch.setenv("BPL_MAX_SEEK_HISTORY", "123")
    assert Settings.from_env().limits.max_seek_history == 123
