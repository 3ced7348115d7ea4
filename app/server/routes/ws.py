"""The WebSocket endpoint: it moves bytes, enforces limits and flow control, nothing else.

What it guards against: the Origin header is checked before `accept` (browsers let any page
open a socket to any host); every send has a deadline (a client that stops reading is dropped,
its session kept); sending after close raises either `WebSocketDisconnect` or a RuntimeError
(Starlette's `WebSocketDisconnected`), both caught; spectators get a bounded queue and only
what `Entry.publish` lets through. What a message means is `Session.handle`'s business.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from app.protocol import WATCHER_TYPES, ClientMessage, ProtocolError, dumps, parse_client_message
from app.server.admission import RateLimiter, origin_allowed
from app.server.hub import Entry, ResumeUnreadable, SessionHub, SessionsFull
from app.session import CHECKPOINT, Message, Offload, PeerGone, Session

router = APIRouter()
log = logging.getLogger("backprop_lab.ws")

BROWSER_COOKIE = "bpl_browser"
WATCHER_QUEUE = 64
# How long a socket opened with `?session=<id>` and no token waits for its `resume` message.
RESUME_MESSAGE_TIMEOUT_S = 10.0
# How often a spectator of a session held by another process looks for a newer checkpoint.
REMOTE_WATCH_POLL_S = 2.0
CLOSE_TIMEOUT_S = 1.0
# A send waits until the previous messages have (nearly) left the buffer: a big one (an
# iteration of the largest network is ~3 MB) gets extra time at this slowest acceptable rate
# (~1 Mbit/s school Wi-Fi) before the peer counts as stalled.
SLOW_LINK_BYTES_PER_S = 128 * 1024


class Closed(PeerGone):
    """The connection is gone (or was dropped for missing a send deadline)."""


class Connection:
    """One socket: a controller of its session, or a read-only spectator."""

    def __init__(self, ws: WebSocket, hub: SessionHub, role: str) -> None:
        self.ws = ws
        self.hub = hub
        self.role = role
        self.entry: Entry | None = None
        self.closed = False
        self._send_lock = asyncio.Lock()
        self._queue: asyncio.Queue[str] | None = None
        self._queued_bytes = 0
        self._pump: asyncio.Task[None] | None = None
        self._receiver: asyncio.Task[Any] | None = None
        self.dropped = False  # by us, for missing a send deadline
        self._last_size = 0  # bytes of the previous message, which this send waits to drain
        self._command_token = object()  # its command under way, among the hub's busy work
        settings = hub.settings
        self._limiter = RateLimiter(
            settings.rate_limit_per_s, settings.rate_limit_burst, settings.rate_abuse_after_s
        )
        # `sync` sends the whole moment (~3 MB on the largest network): its own, lower limit.
        self._sync_limiter = RateLimiter(settings.sync_rate_per_s, settings.sync_burst, 1e9)
        self._told_unsaved = False

    @property
    def session(self) -> Session:
        assert self.entry is not None
        return self.entry.session

    # -- sending ------------------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise Closed
        try:
            async with self._send_lock:
                deadline = self.hub.settings.send_timeout_s
                deadline += self._last_size / SLOW_LINK_BYTES_PER_S
                self._last_size = len(text)
                await asyncio.wait_for(self.ws.send_text(text), deadline)
        except TimeoutError:
            # A client that stopped reading: drop it, keep its session for resume.
            log.warning("send deadline missed; dropping connection (session kept for resume)")
            self.dropped = True
            await self.close(1001, "send deadline missed")
            raise Closed from None
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True
            raise Closed from None

    async def emit(self, messages: list[Message]) -> None:
        """Send to this connection; a controller's messages also go to the spectators."""
        for message in messages:
            text = dumps(message)
            if self.entry is not None and self.role == "control":
                self.entry.publish(message, text)
            await self.send_text(text)

    def enqueue(self, text: str) -> None:
        """For spectators: queue without waiting; a spectator that falls behind is dropped."""
        if self._queue is None or self.closed:
            return
        budget = self.hub.settings.watcher_queue_bytes
        try:
            if self._queued_bytes + len(text) > budget and not self._queue.empty():
                raise asyncio.QueueFull
            self._queue.put_nowait(text)
            self._queued_bytes += len(text)
        except asyncio.QueueFull:
            self.closed = True
            self._queue = None  # its frames are freed now, not at the ping timeout
            asyncio.get_running_loop().create_task(self._close_quietly(1013, "too slow"))

    async def _pump_queue(self) -> None:
        assert self._queue is not None
        queue = self._queue
        with contextlib.suppress(Closed):
            while True:
                text = await queue.get()
                self._queued_bytes -= len(text)
                await self.send_text(text)

    def enqueue_all(self, messages: list[Message]) -> None:
        for message in messages:
            self.enqueue(dumps(message))

    async def error(self, code: str, message: str, msg_id: Any = None) -> None:
        """An error for this connection only."""
        await self.send_text(
            dumps({"type": "error", "code": code, "message": message, "id": msg_id})
        )

    async def close(self, code: int, reason: str) -> None:
        if code == 4001 and not self.closed:
            with contextlib.suppress(Closed):
                await self.send_text(dumps({"type": "taken_over"}))
        await self._close_quietly(code, reason)

    async def _close_quietly(self, code: int, reason: str) -> None:
        self.closed = True
        if self.entry is not None and self.entry.controller is self and code != 4001:
            self.hub.detach(self.entry, self)
        with contextlib.suppress(Exception):
            if self.ws.application_state != WebSocketState.DISCONNECTED:
                await asyncio.wait_for(self.ws.close(code, reason), CLOSE_TIMEOUT_S)
        receiver = self._receiver
        if self.dropped and receiver is not None and receiver is not asyncio.current_task():
            # The receive loop would wait for a peer that may never send again: end it, so the
            # endpoint returns and the server lets go of the connection.
            receiver.cancel()

    # -- receiving ----------------------------------------------------------------------------

    async def receive_loop(self) -> None:
        limits = self.hub.settings.limits
        self._receiver = asyncio.current_task()
        while not self.closed:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                self.closed = True
                return
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "replace"))
            if size > limits.max_message_bytes:
                await self.error(
                    "too_large", f"messages are limited to {limits.max_message_bytes} bytes"
                )
                await self._close_quietly(1009, "message too big")
                return
            verdict = self._limiter.take()
            if verdict == "abuse":
                await self._close_quietly(1008, "too many messages")
                return
            if verdict == "limited":
                if self._limiter.should_warn():
                    rate = self.hub.settings.rate_limit_per_s
                    await self.error("rate_limited", f"more than {rate:g} messages per second")
                continue
            await self.handle(raw)

    async def handle(self, raw: str | bytes) -> None:
        msg_id = None
        try:
            msg = parse_client_message(raw)
            msg_id = msg.id
            if self.role == "watch" and msg.type not in WATCHER_TYPES:
                raise ProtocolError("read_only", "a spectator cannot control the session")
            if msg.type == "sync" and self._sync_limiter.take() != "ok":
                rate = self.hub.settings.sync_rate_per_s
                raise ProtocolError("rate_limited", f"sync: at most {rate:g} per second")
            await self.run(msg)
        except ProtocolError as exc:
            await self.error(exc.code, exc.message, exc.id if exc.id is not None else msg_id)
        except Closed:
            raise
        except Exception:
            log.exception("handler failed")
            await self.error("internal_error", "the message could not be applied", msg_id)

    async def run(self, msg: ClientMessage) -> None:
        """Carry out `msg` by `Session.handle`, one slice of the hub's round at a time."""
        entry = self.entry
        assert entry is not None
        if self.role == "watch":
            if msg.type == "ack":
                return  # frames are paced by the controller's acks only
        else:
            entry.heard(msg.type)
        busy = self.hub.busy
        busy.add(self._command_token)
        try:
            for item in entry.session.handle(msg, self):
                if self.closed or (self.role == "control" and entry.controller is not self):
                    # Taken over (or dropped) mid-command: the new controller owns the session
                    # now; this command stops here, never two controllers at once.
                    raise Closed
                if isinstance(item, Offload):
                    async with self.hub.gradchecks:  # CPU-bound threads: one per core at most
                        result = await asyncio.to_thread(item.job)
                    await self.emit(result)
                elif item is CHECKPOINT:
                    self.hub.save(entry)
                    await self.tell_if_unsaved()
                elif item:
                    await self.emit(item)  # type: ignore[arg-type]
                await asyncio.sleep(0)  # let every other session run between slices
        finally:
            busy.discard(self._command_token)

    async def tell_if_unsaved(self) -> None:
        """A failed checkpoint (a full disk): the student is told once, until one succeeds."""
        entry = self.entry
        if entry is None or self.role != "control":
            return
        if entry.save_failed and not self._told_unsaved:
            self._told_unsaved = True
            await self.error(
                "not_saved",
                "the server could not save this session (disk full?): it will not survive a "
                "restart; export it to keep it",
            )
        elif not entry.save_failed:
            self._told_unsaved = False

    async def start(self, entry: Entry, resumed: bool) -> None:
        """Attach to `entry` and send the welcome; spectators get their queue first."""
        self.entry = entry
        if self.role == "watch":
            self._queue = asyncio.Queue(WATCHER_QUEUE)
            entry.watchers.add(self)
        else:
            await self.hub.attach(entry, self)
        await self.emit(entry.session.welcome(self.role, resumed))
        if self.role == "watch":
            self._pump = asyncio.get_running_loop().create_task(self._pump_queue())


async def _resume_message(ws: WebSocket, wanted: str | None) -> tuple[str, str] | None:
    """The credentials of a `{"type": "resume", "session": …, "token": …}` first message.

    Sent by pages instead of putting the token in the URL (URLs end up in proxies' logs).
    """
    try:
        raw = await asyncio.wait_for(ws.receive_text(), RESUME_MESSAGE_TIMEOUT_S)
        msg = json.loads(raw)
    except (TimeoutError, ValueError, KeyError, RuntimeError):
        return None
    if not isinstance(msg, dict) or msg.get("type") != "resume":
        return None
    session, token = msg.get("session", wanted), msg.get("token")
    if not isinstance(session, str) or not isinstance(token, str):
        return None
    if wanted and session != wanted:
        return None
    return session[:64], token[:64]


async def _watch_remote(conn: Connection, session_id: str, key: str) -> bool:
    """Spectate a session this process does not hold, from its checkpoint (read-only).

    Another process holds it (a teacher's cookie routes to another process than the
    student's), or nobody does yet (after a restart). The spectator gets the session as of its
    last checkpoint, a newer state whenever the checkpoint changes (written on pause, on
    disconnect and every `BPL_CHECKPOINT_INTERVAL_S` while it changes), and the live session
    as soon as it comes to this process. False: no such session (or a wrong key).
    """
    hub = conn.hub
    shadow = hub.load_watch(session_id, key)
    if shadow is None:
        return False
    await conn.start(shadow, resumed=False)
    receiver = asyncio.get_running_loop().create_task(conn.receive_loop())
    try:
        version = shadow.checkpoint_version
        while not conn.closed and not receiver.done():
            await asyncio.wait({receiver}, timeout=REMOTE_WATCH_POLL_S)
            if conn.closed or receiver.done():
                break
            live = hub.find_watch(session_id, key)
            if live is not None:  # the session came here: follow it live
                shadow.watchers.discard(conn)
                conn.entry = live
                live.watchers.add(conn)
                conn.enqueue_all(live.session.welcome("watch"))
                version = None
                continue
            if conn.entry is not shadow:
                continue
            on_disk = hub.checkpoints.version(session_id) if hub.checkpoints else None
            if on_disk is None:
                await conn.close(1001, "session ended")
                break
            if on_disk != version:
                fresh = hub.load_watch(session_id, key)
                if fresh is not None:
                    shadow.watchers.discard(conn)
                    shadow = fresh
                    shadow.watchers.add(conn)
                    conn.entry = shadow
                    version = shadow.checkpoint_version
                    conn.enqueue_all(shadow.session.welcome("watch")[1:])
        await receiver
    finally:
        receiver.cancel()
    return True


@router.websocket("/ws")
async def websocket_endpoint(ws: WebSocket) -> None:
    hub: SessionHub = ws.app.state.hub
    settings = hub.settings
    # Cross-site WebSocket hijacking: refuse before accepting (HTTP 403).
    if not origin_allowed(ws.headers.get("origin"), ws.headers.get("host"), settings):
        await ws.close(code=1008, reason="origin not allowed")
        return
    params = ws.query_params
    await ws.accept(headers=[(b"x-bpl-instance", ws.app.state.instance.encode())])
    watching = params.get("watch")
    conn = Connection(ws, hub, "watch" if watching else "control")
    try:
        if watching:
            key = params.get("key", "")
            entry = hub.find_watch(watching, key)
            if entry is None:
                if await _watch_remote(conn, watching, key):
                    return
                await conn.error("invalid_session", "unknown session or wrong spectator key")
                await conn.close(4003, "invalid spectator key")
                return
            if len(entry.watchers) >= settings.max_watchers_per_session:
                conn.closed = True
                await ws.close(1013, f"this session has {len(entry.watchers)} spectators already")
                return
            await conn.start(entry, resumed=False)
            await conn.receive_loop()
            return

        entry = None
        resumed = False
        wanted, token = params.get("session"), params.get("token")
        if wanted is not None and token is None:
            # The page's form: the session id in the URL (routing), the token in a message.
            credentials = await _resume_message(ws, wanted)
            wanted, token = credentials if credentials else (wanted, "")
        if wanted or token:
            try:
                entry = hub.find(wanted or "", token or "")
            except ResumeUnreadable:
                await conn.error(
                    "checkpoint_unreadable",
                    "the saved copy of this session could not be read; a new session starts",
                )
            else:
                if entry is None:
                    await conn.error(
                        "invalid_session", "the session is unknown, expired, or the token is wrong"
                    )
                else:
                    resumed = True
        if entry is None:
            try:
                entry = hub.new_session(ws.cookies.get(BROWSER_COOKIE))
            except SessionsFull as full:
                # After accept: a close code and reason reach only an accepted socket.
                conn.closed = True
                await ws.close(code=1013, reason=str(full)[:120])
                return
        await conn.start(entry, resumed)
        await conn.tell_if_unsaved()
        await conn.receive_loop()
    except (Closed, WebSocketDisconnect):
        pass
    except asyncio.CancelledError:
        if not conn.dropped:
            raise  # a shutdown, not ours
    except RuntimeError as exc:  # starlette's WebSocketDisconnected and friends
        log.debug("socket ended: %s", exc)
    finally:
        conn.closed = True
        if conn._pump is not None:
            conn._pump.cancel()
        if conn.entry is not None:
            hub.detach(conn.entry, conn)
