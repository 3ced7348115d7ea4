"""A session as one process holds it: its sockets, its lifecycle clock, what spectators see.

`Entry` is what the hub keeps per session (`SessionHub.entries`); `Peer` is what the hub needs
of a connection; `same_secret` compares tokens and watch keys in constant time.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from app.protocol import SPECTATOR_TYPES, Message
from app.session import Session


class Peer(Protocol):
    """What the hub needs of a connection."""

    async def close(self, code: int, reason: str) -> None: ...

    def enqueue(self, text: str) -> None: ...


class SessionsFull(Exception):
    """No room for another session; the reason is sent with close code 1013."""


class ResumeUnreadable(Exception):
    """The session's checkpoint exists but cannot be read: the client is told, not "expired"."""


@dataclass
class Entry:
    """A session in this process, with its sockets and its lifecycle."""

    session: Session
    browser: str | None
    controller: Peer | None = None
    watchers: set[Peer] = field(default_factory=set)
    disconnected_at: float | None = None
    dirty: bool = True
    last_checkpoint: float = 0.0
    # The version of the checkpoint this process last wrote or loaded: a different file on
    # disk was written by another process, which then owns the session.
    checkpoint_version: tuple[int, int, int] | None = None
    created: float = field(default_factory=time.monotonic)
    # Another process wrote a newer checkpoint: this copy must never be written again.
    stale: bool = False
    # The last checkpoint write failed (a full disk): the client has been or will be told.
    save_failed: bool = False
    # Held while this entry's checkpoint is written (in a worker thread) and while it is deleted:
    # the version on disk and `checkpoint_version` change together.
    write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Checkpoints encoded and written, counted: two writes under way at once (a periodic one and
    # the one on disconnect) land in the order they were encoded, never the older one last.
    encoded_seq: int = 0
    written_seq: int = 0
    # Forgotten by the hub (expired, too old): a write still under way must not bring it back.
    dropped: bool = False
    last_active: float = field(default_factory=time.monotonic)
    last_ack: float = field(default_factory=time.monotonic)

    def heard(self, kind: str) -> None:
        """The controller sent a message of type `kind`.

        Any message but `ack` is activity (and may change the session: checkpoint it); `ack`
        and `play` (whose first frame needs no ack) prove the client draws the frames.
        """
        now = time.monotonic()
        if kind != "ack":
            self.last_active = now
            self.dirty = True
        if kind in ("ack", "play"):
            self.last_ack = now

    def publish(self, message: Message, text: str) -> None:
        """Copy a controller's message to the spectators, if it is one they may see.

        Only `SPECTATOR_TYPES`: never a `hello`, whose token and watch key would let every
        holder of the watch link take the session over.
        """
        if message["type"] in SPECTATOR_TYPES:
            for watcher in list(self.watchers):
                watcher.enqueue(text)


def same_secret(expected: str, given: str) -> bool:
    """Constant-time comparison that is False (not a TypeError) for non-ASCII input."""
    return secrets.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))
