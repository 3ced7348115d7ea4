"""Session checkpoints on disk, so a restarted (or another) process can resume a session.

A checkpoint is one `.npz` file written atomically; no pickle (loading a file from a shared
directory must never run code). Format `backprop-lab/checkpoint@2` (`FORMAT`) holds:

* `meta`: UTF-8 JSON as uint8 bytes: `format`, `saved_at`, `session`, `token`, `watch_key`,
  `browser`, `config` (the session's config dict) and `state`: the trainer state's header
  from `app.engine.to_arrays` (its own version, `backprop-lab/trainer-state@2`);
* `state.<name>`: the trainer state's arrays (`state.W1`, `state.b1`, …, `state.order`,
  `state.exp_avg.W1`, …), named as `to_arrays` names them;
* `log_step`, `log_epoch`, `log_position`, `log_loss`: the step log's columns for the charts.

Release 1 wrote `backprop-lab/checkpoint@1` (`LEGACY_FORMAT`): the same `meta` and `log_*`,
but `meta["state"]` a skeleton of `__dataclass__` class paths over arrays `a0`, `a1`, …; it is
read by `app.engine.from_release1`, which maps the known class names to constructors by name.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from app.engine import (
    Dataset,
    StateFormatError,
    TrainerState,
    from_arrays,
    from_release1,
    parse_csv,
    to_arrays,
)
from app.limits import Limits
from app.protocol import ProtocolError
from app.session import Session

FORMAT = "backprop-lab/checkpoint@2"
LEGACY_FORMAT = "backprop-lab/checkpoint@1"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_STATE = "state."
_LOG_COLUMNS = ("step", "epoch", "position", "loss")

log = logging.getLogger(__name__)

_CORRUPT = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    ValueError,  # StateFormatError, bad JSON, a pickled array (never loaded)
    KeyError,
    IndexError,
    TypeError,
    AttributeError,  # not an .npz at all: np.load gives an array
)
"""What reading a damaged checkpoint file raises."""


class CheckpointUnreadable(Exception):
    """A session's checkpoint exists but cannot be resumed; the file is kept as it is.

    `reason` says why in words (corrupt file, unknown format version, a state that does not fit
    its network, its uploaded data set gone, a network beyond this server's limits). Distinct
    from "no such session" and "wrong token", which `load_session` answers with `None`.
    """

    def __init__(self, session_id: str, reason: str) -> None:
        self.session_id = session_id
        self.reason = reason
        super().__init__(f"checkpoint of session {session_id[:6]}… cannot be resumed: {reason}")


def _state_arrays(npz: Mapping[str, Any]) -> dict[str, Any]:
    """The trainer state's arrays of a current checkpoint, by their `to_arrays` names."""
    return {k[len(_STATE) :]: npz[k] for k in npz if k.startswith(_STATE)}


def read_state(meta: Mapping[str, Any], npz: Mapping[str, Any]) -> TrainerState:
    """The trainer state of an open checkpoint (either format); `StateFormatError` if it
    cannot be read."""
    if meta.get("format") == FORMAT:
        header = meta.get("state")
        if not isinstance(header, Mapping):
            raise StateFormatError("the checkpoint has no trainer-state header")
        return from_arrays(header, _state_arrays(npz))
    if meta.get("format") == LEGACY_FORMAT:
        return from_release1(meta.get("state"), npz)
    raise StateFormatError(f"unknown checkpoint format {meta.get('format')!r}")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, path)
        _fsync_dir(path.parent)  # and the rename itself survives a crash
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (and Windows) cannot fsync a directory
    finally:
        os.close(fd)


class CheckpointStore:
    """Checkpoints of sessions and uploaded datasets in one directory (shareable by replicas)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "sessions").mkdir(parents=True, exist_ok=True)
        (self.root / "datasets").mkdir(parents=True, exist_ok=True)

    def _session_path(self, session_id: str) -> Path | None:
        if not _SAFE_ID.match(session_id):
            return None
        return self.root / "sessions" / f"{session_id}.npz"

    # -- sessions -----------------------------------------------------------------------------

    def version(self, session_id: str) -> tuple[int, int, int] | None:
        """Which write of the session's checkpoint is on disk (None if there is none).

        mtime, inode and size: every atomic write makes a new file (a new inode), so two
        writes within the file system's clock tick still differ.
        """
        path = self._session_path(session_id)
        try:
            if path is None:
                return None
            st = path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def save_session(
        self, session: Session, browser: str | None = None
    ) -> tuple[int, int, int] | None:
        """Write the checkpoint; returns the version this process wrote."""
        encoded = self.encode_session(session, browser)
        if encoded is None:
            return None
        return self.write_session(session.id, *encoded)

    def write_session(
        self, session_id: str, path: Path, data: bytes
    ) -> tuple[int, int, int] | None:
        """Write an encoded checkpoint (atomically, fsynced: ~10 ms, up to ~70 ms on a busy
        disk; callers on the event loop run this in a worker thread); the version written."""
        _write_atomic(path, data)
        return self.version(session_id)

    def encode_session(
        self, session: Session, browser: str | None = None
    ) -> tuple[Path, bytes] | None:
        """The checkpoint's path and bytes: the session as it is now (cheap: no disk)."""
        path = self._session_path(session.id)
        if path is None:
            return None
        moment = (
            session.trainer.capture() if session.pending_before is None else session.pending_before
        )
        header, state_arrays = to_arrays(moment)
        arrays: dict[str, np.ndarray] = {_STATE + k: a for k, a in state_arrays.items()}
        meta = {
            "format": FORMAT,
            "saved_at": time.time(),
            "created_at": session.created_at,
            "session": session.id,
            "token": session.token,
            "watch_key": session.watch_key,
            "browser": browser,
            "config": session.config_dict(),
            "state": header,
        }
        for key, column in session.log.columns(session.step).items():
            arrays[f"log_{key}"] = column
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        return path, buffer.getvalue()

    def load_session(
        self,
        session_id: str,
        token: str,
        limits: Limits,
        datasets: Callable[[str], Dataset | None],
    ) -> tuple[Session, str | None] | None:
        """The session and the browser cookie it belonged to, if the token matches.

        Returns `None` when there is no checkpoint of `session_id` or `token` is not its token.
        Raises `CheckpointUnreadable(session_id, reason)` when the checkpoint exists but cannot
        be resumed: a corrupt file, an unknown format version, a trainer state with missing
        arrays or wrong shapes, its custom data set gone, or a network this server's `limits`
        no longer allow. The file is then left exactly as it is (never deleted or rewritten, for
        inspection; `sweep` removes it at the usual age) and the reason is logged.
        """
        path = self._session_path(session_id)
        if path is None or not path.is_file():
            return None
        try:
            # Our own handle: np.load leaks the one it opens when the zip is corrupt.
            with path.open("rb") as file, np.load(file, allow_pickle=False) as npz:
                meta = json.loads(bytes(npz["meta"]).decode())
                if not isinstance(meta, dict) or not isinstance(meta.get("token"), str):
                    raise StateFormatError("the checkpoint has no token")
                if not secrets.compare_digest(meta["token"], token):
                    return None
                state = read_state(meta, npz)
                log_columns = {key: npz[f"log_{key}"].tolist() for key in _LOG_COLUMNS}
        except FileNotFoundError:
            return None  # deleted by another process meanwhile
        except _CORRUPT as exc:
            raise self._unreadable(session_id, f"{type(exc).__name__}: {exc}") from exc
        try:
            # No whole-set evaluation here (~46 ms for the largest network, twice: step 0's,
            # then the restored step's): the hub evaluates the restored step in slices.
            session = Session(
                limits, datasets, meta["config"], session_id=meta["session"], evaluate=False
            )
            session.token = meta["token"]
            session.watch_key = meta["watch_key"]
            session.restore_state(state, log_columns)
        except (ProtocolError, ValueError, TypeError, KeyError) as exc:
            # Its custom dataset is gone, the limits shrank below its network, or the state
            # does not fit the network its config builds.
            raise self._unreadable(session_id, f"{type(exc).__name__}: {exc}") from exc
        browser = meta.get("browser")
        return session, browser if isinstance(browser, str) else None

    @staticmethod
    def _unreadable(session_id: str, reason: str) -> CheckpointUnreadable:
        log.warning("checkpoint of session %s cannot be resumed: %s", session_id[:6], reason)
        return CheckpointUnreadable(session_id, reason)

    def watch_token(self, session_id: str, watch_key: str) -> str | None:
        """The session's token if `watch_key` is its spectator key (for a read-only load)."""
        path = self._session_path(session_id)
        if path is None:
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                meta = json.loads(bytes(npz["meta"]).decode())
            expected, token = meta["watch_key"], meta["token"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(expected, str) or not isinstance(token, str):
            return None
        given = watch_key.encode("utf-8", "surrogatepass")
        return token if secrets.compare_digest(expected.encode(), given) else None

    def created_at(self, session_id: str) -> float | None:
        """When the session was created (wall clock), if its checkpoint says (release 1's don't)."""
        path = self._session_path(session_id)
        if path is None:
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                value = json.loads(bytes(npz["meta"]).decode()).get("created_at")
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return float(value) if isinstance(value, int | float) and value > 0 else None

    def delete_dataset(self, dataset_id: str) -> None:
        if _SAFE_ID.match(dataset_id):
            (self.root / "datasets" / f"{dataset_id}.json").unlink(missing_ok=True)

    def delete_session(self, session_id: str) -> None:
        path = self._session_path(session_id)
        if path is not None:
            path.unlink(missing_ok=True)

    def sweep(self, max_age_s: float) -> None:
        """Delete checkpoints older than a session may live (and datasets twice that)."""
        now = time.time()
        for folder, age in (("sessions", max_age_s), ("datasets", 2 * max_age_s)):
            for path in (self.root / folder).iterdir():
                try:
                    if now - path.stat().st_mtime > age:
                        path.unlink(missing_ok=True)
                except OSError:
                    continue

    # -- datasets -----------------------------------------------------------------------------

    def save_dataset(self, dataset_id: str, csv_text: str, options: dict[str, Any]) -> None:
        if not _SAFE_ID.match(dataset_id):
            return
        payload = json.dumps({"csv": csv_text, "options": options}).encode()
        _write_atomic(self.root / "datasets" / f"{dataset_id}.json", payload)

    def load_dataset(self, dataset_id: str) -> Dataset | None:
        if not _SAFE_ID.match(dataset_id):
            return None
        path = self.root / "datasets" / f"{dataset_id}.json"
        if not path.is_file():
            return None
        try:
            saved = json.loads(path.read_text())
            return parse_csv(saved["csv"], **saved["options"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
