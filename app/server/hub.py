"""The sessions of one process: creation under caps, resume by token, culling, checkpoints.

One `SessionHub` per app (on `app.state`), never module-level state. A session has at most one
controlling connection (a new one takes over, the old one is told) and any number of read-only
spectators. Disconnected sessions stay resumable for `resume_window_s`, then are freed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable
from typing import Any

from app.server.admission import RateLimiter
from app.server.checkpoints import CheckpointStore, CheckpointUnreadable
from app.server.datasets import DatasetStore
from app.server.entry import Entry, Peer, ResumeUnreadable, SessionsFull, same_secret
from app.server.saving import CheckpointWriter
from app.server.settings import Settings
from app.session import Session

log = logging.getLogger("backprop_lab.hub")

# Every busy session (playing, or carrying out a long command such as `step` 1000) works for a
# slice, then yields. The slices of one round (all busy sessions once) add up to about
# ROUND_S, so the loop comes back to everyone else (HTTP, /healthz, pings, other sessions)
# within a few milliseconds however many sessions are busy. An HTTP request takes ~10 loop
# turns: at ~1 ms a round /healthz answers in ~10-20 ms under load.
ROUND_S = 0.001
MIN_SLICE_S = 0.00005


class SessionHub:
    """Every session of this process (`entries`), its caps, its checkpoints and its reaper."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.checkpoints = (
            CheckpointStore(settings.checkpoint_dir) if settings.checkpoint_dir else None
        )
        self.datasets = DatasetStore(
            self.checkpoints, settings.max_datasets_per_browser, settings.max_dataset_bytes
        )
        self.entries: dict[str, Entry] = {}
        # Read-only copies from checkpoints for spectators of sessions held elsewhere.
        self.shadows: dict[str, Entry] = {}
        self._reaper: asyncio.Task[None] | None = None
        self.writer = CheckpointWriter(self.checkpoints)
        self._last_sweep = 0.0
        # Work under way that slices itself: play loops and long commands (see `slice_s`).
        self.busy: set[object] = set()
        # Gradient checks run in threads, CPU-bound: at most one per core at once.
        self.gradchecks = asyncio.Semaphore(settings.max_gradchecks or os.cpu_count() or 1)
        # CSV parsing runs in a thread, one at a time (each is up to ~1 MiB of text).
        self.parsing = asyncio.Semaphore(1)
        self.import_limiter = RateLimiter(settings.import_rate_per_s, settings.import_burst, 1e9)

    def slice_s(self) -> float:
        """This round's share for one busy session: a round of all of them stays ~1 ms."""
        return max(MIN_SLICE_S, ROUND_S / max(1, len(self.busy)))

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        await self.writer.finish()
        for entry in list(self.entries.values()):
            self.save(entry)

    # -- sessions -----------------------------------------------------------------------------

    def new_session(
        self, browser: str | None, config: dict[str, Any] | None = None, evaluate: bool = True
    ) -> Entry:
        """A new session, or `SessionsFull`: never at the expense of a resumable one.

        Sessions still in their resume window are never pushed out by a new one (a student
        whose Wi-Fi blinked must get their session back); only a browser's own oldest
        disconnected session may make room for that same browser (it stays resumable from its
        checkpoint). Cookie-less clients share `max_anonymous_sessions`.
        """
        s = self.settings
        if len(self.entries) >= s.max_sessions:
            raise SessionsFull(f"server full: {s.max_sessions} sessions; try again later")
        if browser is None:
            anonymous = sum(e.browser is None for e in self.entries.values())
            if anonymous >= s.anonymous_cap:
                raise SessionsFull(
                    f"{anonymous} sessions without a browser cookie (limit "
                    f"{s.anonymous_cap}); try again later"
                )
        else:
            mine = [e for e in self.entries.values() if e.browser == browser]
            if len(mine) >= s.max_sessions_per_browser and self.checkpoints is not None:
                self._free_one_disconnected(browser)
                mine = [e for e in self.entries.values() if e.browser == browser]
            if len(mine) >= s.max_sessions_per_browser:
                raise SessionsFull(
                    f"this browser has {len(mine)} open sessions (limit "
                    f"{s.max_sessions_per_browser}); close a tab first"
                )
        session = Session(s.limits, self.datasets.get, config, pace=self, evaluate=evaluate)
        entry = Entry(session=session, browser=browser)
        self.entries[session.id] = entry
        # Written now, not at the reaper's next round: a teacher whose watch link reaches
        # another process finds the session (its key is checked against this file) from the
        # student's first `hello` on.
        self.save_soon(entry)
        return entry

    def find(self, session_id: str, token: str) -> Entry | None:
        """The session if the token matches, from memory or from its checkpoint."""
        entry = self.entries.get(session_id)
        if entry is not None:
            if not same_secret(entry.session.token, token):
                return None
            if entry.controller is not None or self.checkpoints is None:
                return entry
            if entry.write_lock.locked():
                return entry  # this process is writing it: memory is the newest copy
            on_disk = self.checkpoints.version(session_id)
            if on_disk is None or on_disk == entry.checkpoint_version:
                return entry
            # Another process resumed it and trained on: its newer checkpoint wins over this
            # stale copy (server-requests #2).
            self.entries.pop(session_id, None)
        if self.checkpoints is None:
            return None
        # Resumes have headroom over the new-session cap: new sessions stop at `max_sessions`,
        # so a full process still takes its students back (from another process or a restart).
        if len(self.entries) >= self.settings.max_sessions + self.settings.resume_headroom:
            log.warning(
                "resume of %s refused: %d sessions in memory", session_id[:6], len(self.entries)
            )
            return None
        version = self.checkpoints.version(session_id)
        try:
            loaded = self.checkpoints.load_session(
                session_id, token, self.settings.limits, self.datasets.get
            )
        except CheckpointUnreadable as exc:
            # A checkpoint that exists but cannot be read is not "expired": the socket route
            # tells the client (`checkpoint_unreadable`) and the file stays for inspection.
            raise ResumeUnreadable(exc.reason) from exc
        except Exception as exc:
            log.exception("restoring session %s failed", session_id[:6])
            if version is None:
                return None
            raise ResumeUnreadable(str(exc)) from exc
        if loaded is None:
            return None
        session, browser = loaded
        session.use_pace(self)
        entry = Entry(
            session=session,
            browser=browser,
            dirty=False,
            disconnected_at=time.monotonic(),  # freed after the resume window unless attached
            checkpoint_version=version,
        )
        # The age limit counts from the session's creation, across restarts and processes. A
        # checkpoint without `created_at` (release 1's) counts from now: never "expired".
        created_at = self.checkpoints.created_at(session_id)
        if created_at is not None:
            session.created_at = created_at
        entry.created = time.monotonic() - max(0.0, time.time() - session.created_at)
        self.entries[session.id] = entry
        return entry

    async def evaluate_restored(self, entry: Entry) -> None:
        """The whole-set metrics of a session restored from a checkpoint or an import, in
        slices that share the loop's rounds like any busy session (the largest network's
        evaluation is ~46 ms, which would hold the loop for every other session)."""
        session = entry.session
        if not session.metrics_due:
            return
        token = object()
        self.busy.add(token)
        try:
            for _ in session.timeline.evaluate_sliced():
                await asyncio.sleep(0)
        finally:
            self.busy.discard(token)

    def find_watch(self, session_id: str, key: str) -> Entry | None:
        entry = self.entries.get(session_id)
        if entry is not None and same_secret(entry.session.watch_key, key):
            return entry
        return None

    def load_watch(self, session_id: str, key: str) -> Entry | None:
        """A read-only copy of a session from its checkpoint, for spectators (not in `entries`).

        Shared by every spectator here of the same checkpoint version; never saved, never
        controlled: the session itself lives in another process (or in none, yet).
        """
        if self.checkpoints is None:
            return None
        for sid, old in list(self.shadows.items()):
            if not old.watchers:
                del self.shadows[sid]
        token = self.checkpoints.watch_token(session_id, key)
        if token is None:
            return None
        version = self.checkpoints.version(session_id)
        cached = self.shadows.get(session_id)
        if cached is not None and cached.checkpoint_version == version:
            return cached
        try:
            loaded = self.checkpoints.load_session(
                session_id, token, self.settings.limits, self.datasets.get
            )
        except Exception:
            log.exception("reading session %s for a spectator failed", session_id[:6])
            return None
        if loaded is None:
            return None
        shadow = Entry(
            session=loaded[0], browser=loaded[1], dirty=False, checkpoint_version=version
        )
        shadow.stale = True  # never written back
        self.shadows[session_id] = shadow
        return shadow

    async def attach(self, entry: Entry, peer: Peer) -> None:
        old = entry.controller
        entry.controller = peer
        entry.disconnected_at = None
        if old is not None and old is not peer:
            entry.session.stop_play()  # the old connection's play loop dies with it
            await old.close(4001, "taken over by another connection")

    def detach(self, entry: Entry, peer: Peer) -> asyncio.Task[bool] | None:
        """`peer` has gone; a controller's session is checkpointed (the write, if started)."""
        entry.watchers.discard(peer)
        if entry.controller is peer:
            entry.controller = None
            entry.disconnected_at = time.monotonic()
            entry.session.stop_play()
            return self.save_soon(entry)
        return None

    def drop(self, entry: Entry) -> None:
        """Forget a session; its checkpoint too, unless another process wrote a newer one.

        Its uploaded dataset leaves memory with it unless another session here uses it.
        """
        self.entries.pop(entry.session.id, None)
        dataset_id = entry.session.timeline.dataset_id
        if dataset_id is not None and not any(
            e.session.timeline.dataset_id == dataset_id for e in self.entries.values()
        ):
            self.datasets.forget(dataset_id)
        if self.checkpoints is not None:
            with entry.write_lock:  # a write under way finishes first (~10 ms), then none starts
                entry.dropped = True
                on_disk = self.checkpoints.version(entry.session.id)
                if on_disk is not None and on_disk == entry.checkpoint_version:
                    self.checkpoints.delete_session(entry.session.id)

    def _free_one_disconnected(self, browser: str | None) -> None:
        candidates = [
            e
            for e in self.entries.values()
            if e.controller is None and (browser is None or e.browser == browser)
        ]
        if candidates:
            oldest = min(candidates, key=lambda e: e.disconnected_at or 0.0)
            # Out of memory only once its checkpoint holds it (it stays resumable from there).
            if self.save(oldest) or oldest.stale or not oldest.dirty:
                self.entries.pop(oldest.session.id, None)

    # -- checkpoints (app.server.saving) -----------------------------------------------------

    def save(self, entry: Entry) -> bool:
        """Write the checkpoint now, on the calling thread (shutdown, eviction, import)."""
        return self.writer.save(entry)

    async def save_async(self, entry: Entry) -> bool:
        """Encode here, write in a worker thread; False if not this process's to write."""
        if self.entries.get(entry.session.id) is not entry:
            return False
        return await self.writer.save_async(entry)

    def save_soon(self, entry: Entry) -> asyncio.Task[bool] | None:
        """Start `save_async` without waiting for it (`stop` waits for every such write)."""
        return self.writer.start(self.save_async(entry), entry)

    @property
    def writing(self) -> bool:
        """A checkpoint write started by `save_soon` is under way."""
        return self.writer.writing

    # -- culling ------------------------------------------------------------------------------

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reap_interval_s)
            try:
                await self.reap()
            except Exception:
                log.exception("reaper failed")

    async def reap(self) -> None:
        s = self.settings
        now = time.monotonic()
        for entry in list(self.entries.values()):
            idle = now - entry.last_active
            if entry.session.playing and now - entry.last_ack < s.idle_timeout_s:
                idle = 0.0  # playing for someone who draws the frames: not idle
            too_old = now - entry.created > s.max_session_age_s
            if entry.controller is None:
                expired = entry.disconnected_at is not None and (
                    now - entry.disconnected_at > s.resume_window_s
                )
                if expired or too_old:
                    # Freed for good: the token stops working (its checkpoint goes too), and
                    # whoever still watches it is told.
                    self.drop(entry)
                    if entry.watchers:
                        await _close_all(None, entry.watchers, "session ended")
                continue
            if too_old:
                peer = entry.controller
                entry.controller = None
                await _close_all(peer, entry.watchers, "session too old")
                self.drop(entry)
            elif idle > s.idle_timeout_s:
                # Closed like a dropped connection: resumable for the resume window, then freed.
                await _close_all(entry.controller, entry.watchers, "idle for too long")
                if entry.controller is not None:
                    self.detach(entry, entry.controller)
            elif (
                (entry.session.playing or entry.dirty)
                and now - entry.last_checkpoint > s.checkpoint_interval_s
                # Periodically, for sessions that changed (stepped by hand or playing), so a
                # killed process loses at most an interval (server-requests #3). One write at
                # a time: the reaper waits for each (in its thread) before the next.
                and not await self.save_async(entry)
                and entry.save_failed
            ):
                tell = getattr(entry.controller, "tell_if_unsaved", None)
                if tell is not None:
                    await tell()
        if self.checkpoints is not None and now - self._last_sweep > 60:
            self._last_sweep = now
            self.checkpoints.sweep(s.max_session_age_s)


async def _close_all(peer: Peer | None, watchers: set[Peer], reason: str) -> None:
    closers: list[Awaitable[None]] = [w.close(1001, reason) for w in watchers]
    if peer is not None:
        closers.append(peer.close(1001, reason))
    await asyncio.gather(*closers, return_exceptions=True)
