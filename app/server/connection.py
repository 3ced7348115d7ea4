"""One WebSocket connection: sends with deadlines, a bounded queue for spectators, rate limits.

A `Connection` is a controller of its session or a read-only spectator. It moves bytes and
enforces limits and flow control; what a message means is `Session.handle`'s business. Sending
after close raises either `WebSocketDisconnect` or a RuntimeError (Starlette's
`WebSocketDisconnected`), both caught here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from app.protocol import WATCHER_TYPES, ClientMessage, ProtocolError, dumps, parse_client_message
from app.server.admission import RateLimiter
from app.server.entry import Entry
from app.server.hub import SessionHub
from app.session import CHECKPOINT, Message, Offload, PeerGone, Session

log = logging.getLogger("backprop_lab.ws")

WATCHER_QUEUE = 64
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
                    await self.hub.save_async(entry)
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
