"""Session checkpoints on disk, so a restarted (or another) process can resume a session.

A checkpoint is one `.npz` file written atomically: the arrays of the trainer's state plus a
JSON skeleton describing how they nest. No pickle: loading a file from a shared directory must
never run code. Only dataclasses of `app.engine` are rebuilt from a skeleton.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app.engine import Dataset, parse_csv
from app.limits import Limits
from app.protocol import ProtocolError
from app.session import Session

FORMAT = "backprop-lab/checkpoint@1"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def encode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able skeleton of `obj`; arrays go to `arrays` under generated keys."""
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        fields = {f.name: encode(getattr(obj, f.name), arrays) for f in dataclasses.fields(obj)}
        return {"__dataclass__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [encode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("checkpoint dicts need string keys")
        return {"__dict__": {k: encode(v, arrays) for k, v in obj.items()}}
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot checkpoint a {type(obj).__name__}")


def decode(node: Any, arrays: Any) -> Any:
    if isinstance(node, list):
        return [decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    if "__array__" in node:
        return np.array(arrays[node["__array__"]])
    if "__tuple__" in node:
        return tuple(decode(v, arrays) for v in node["__tuple__"])
    if "__dict__" in node:
        return {k: decode(v, arrays) for k, v in node["__dict__"].items()}
    if "__dataclass__" in node:
        module_name, _, qualname = node["__dataclass__"].partition(":")
        if not module_name.startswith("app.engine."):
            raise ValueError(f"refusing to rebuild {node['__dataclass__']}")
        cls: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        if not dataclasses.is_dataclass(cls):
            raise ValueError(f"{qualname} is not a dataclass")
        fields = {k: decode(v, arrays) for k, v in node["fields"].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in fields.items() if k in init})  # type: ignore[operator]
        for k, v in fields.items():
            if k not in init:
                object.__setattr__(obj, k, v)
        return obj
    raise ValueError("unknown checkpoint node")


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
        path = self._session_path(session.id)
        if path is None:
            return None
        arrays: dict[str, np.ndarray] = {}
        moment = (
            session.trainer.capture() if session.pending_before is None else session.pending_before
        )
        meta = {
            "format": FORMAT,
            "saved_at": time.time(),
            "created_at": session.created_at,
            "session": session.id,
            "token": session.token,
            "watch_key": session.watch_key,
            "browser": browser,
            "config": session.config_dict(),
            "state": encode(moment, arrays),
        }
        for key, column in session.log.columns(session.step).items():
            arrays[f"log_{key}"] = column
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        _write_atomic(path, buffer.getvalue())
        return self.version(session.id)

    def load_session(
        self,
        session_id: str,
        token: str,
        limits: Limits,
        datasets: Callable[[str], Dataset | None],
    ) -> tuple[Session, str | None] | None:
        """The session and the browser cookie it belonged to, if the token matches."""
        path = self._session_path(session_id)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                meta = json.loads(bytes(npz["meta"]).decode())
                if meta.get("format") != FORMAT or not secrets.compare_digest(meta["token"], token):
                    return None
                state = decode(meta["state"], npz)
                log = {
                    key: npz[f"log_{key}"].tolist() for key in ("step", "epoch", "position", "loss")
                }
        except (OSError, ValueError, KeyError, TypeError):
            return None
        try:
            session = Session(limits, datasets, meta["config"], session_id=meta["session"])
            session.token = meta["token"]
            session.watch_key = meta["watch_key"]
            session.restore_state(state, log)
        except (ProtocolError, ValueError, TypeError):
            # Its custom dataset is gone, or the limits shrank below its network.
            return None
        browser = meta.get("browser")
        return session, browser if isinstance(browser, str) else None

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
