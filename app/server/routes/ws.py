"""The WebSocket endpoint: handshake checks, the receive loop, play with flow control.

Traps this module guards against (FIELD-NOTES): the Origin header is checked before `accept`;
every send has a deadline (a client that stops reading is dropped, its session kept); the play
loop yields to the event loop between short slices; sending after close raises either
`WebSocketDisconnect` or a RuntimeError, both caught; frames go one in flight, newest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from app.protocol import WATCHER_TYPES, ProtocolError, dumps, parse_client_message
from app.server.hub import Entry, SessionHub, SessionsFull
from app.server.limits import RateLimiter, origin_allowed
from app.session import Message, Session

router = APIRouter()
log = logging.getLogger("backprop_lab.ws")

BROWSER_COOKIE = "bpl_browser"
FRAME_INTERVAL_S = 1 / 60  # no point drawing faster than the screen refreshes
WATCHER_QUEUE = 64
CLOSE_TIMEOUT_S = 1.0
# A send waits until the previous messages have (nearly) left the buffer: a big one (an
# iteration of the largest network is ~3 MB) gets extra time at this slowest acceptable rate
# (~1 Mbit/s school Wi-Fi) before the peer counts as stalled.
SLOW_LINK_BYTES_PER_S = 128 * 1024  # a close frame to a peer that does not read would wait forever
MUTATING_WHILE_PLAYING = frozenset(
    {"step", "back", "seek", "reset", "set_weight", "set_bias", "gradcheck"}
)


class Closed(Exception):
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
        self._play_task: asyncio.Task[None] | None = None
        self._acked = asyncio.Event()
        self._awaiting_frame: int | None = None
        self._queue: asyncio.Queue[str] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._receiver: asyncio.Task[Any] | None = None
        self.dropped = False  # by us, for missing a send deadline
        self._last_size = 0  # bytes of the previous message, which this send waits to drain
        self._play_token = object()  # this connection's play loop, among the hub's busy work
        self._command_token = object()  # its command under way
        settings = hub.settings
        self._limiter = RateLimiter(
            settings.rate_limit_per_s, settings.rate_limit_burst, settings.rate_abuse_after_s
        )

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
        """Send to this connection and copy to the session's spectators."""
        for message in messages:
            text = dumps(message)
            if self.entry is not None and self.role == "control":
                for watcher in list(self.entry.watchers):
                    watcher.enqueue(text)
            await self.send_text(text)

    def enqueue(self, text: str) -> None:
        """For spectators: queue without waiting; a spectator that falls behind is dropped."""
        if self._queue is None or self.closed:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.closed = True
            asyncio.get_running_loop().create_task(self._close_quietly(1013, "too slow"))

    async def _pump_queue(self) -> None:
        assert self._queue is not None
        with contextlib.suppress(Closed):
            while True:
                await self.send_text(await self._queue.get())

    async def error(self, code: str, message: str, msg_id: Any = None) -> None:
        await self.emit_own({"type": "error", "code": code, "message": message, "id": msg_id})

    async def emit_own(self, message: Message) -> None:
        """A reply for this connection only (errors, pongs)."""
        await self.send_text(dumps(message))

    async def close(self, code: int, reason: str) -> None:
        if code == 4001 and not self.closed:
            with contextlib.suppress(Closed):
                await self.emit_own({"type": "taken_over"})
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

    # -- play ---------------------------------------------------------------------------------

    def start_play(self, speed: float | None) -> None:
        self.session.start_play(speed)
        self._acked.set()  # the first frame needs no ack
        if self._play_task is None or self._play_task.done():
            self._play_task = asyncio.get_running_loop().create_task(self._play_loop())

    async def stop_play(self) -> None:
        self.session.stop_play()
        task, self._play_task = self._play_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Closed):
                await task

    async def _play_loop(self) -> None:
        session = self.session
        last_frame = 0.0
        busy = self.hub.busy
        busy.add(self._play_token)
        try:
            while session.playing and not self.closed:
                stopped = session.play_slice(self.hub.slice_s())
                if stopped:
                    await self.emit(stopped)
                    for _ in session.finish_play():
                        await asyncio.sleep(0)
                    await self.emit([session.state_message()])
                    break
                now = time.monotonic()
                if self._acked.is_set() and now - last_frame >= FRAME_INTERVAL_S:
                    self._acked.clear()
                    frame = session.frame_message()
                    self._awaiting_frame = frame["frame"]
                    last_frame = now
                    await self.emit([frame])
                # Yield every slice, whatever happens: an unyielding loop starves the process.
                await asyncio.sleep(min(session.seconds_until_next_step(), FRAME_INTERVAL_S))
        except Closed:
            session.stop_play()
        except Exception:
            log.exception("play loop failed")
            session.stop_play()
            with contextlib.suppress(Closed):
                await self.error("internal_error", "training stopped by an internal error")
        finally:
            busy.discard(self._play_token)

    def on_ack(self, frame: int) -> None:
        if self.entry is not None and self.role == "control":
            self.entry.session.last_ack = time.monotonic()
        if self._awaiting_frame is None or frame >= self._awaiting_frame:
            self._acked.set()

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
            await self.dispatch(msg)
        except ProtocolError as exc:
            await self.error(exc.code, exc.message, exc.id if exc.id is not None else msg_id)
        except Closed:
            raise
        except Exception:
            log.exception("handler failed")
            await self.error("internal_error", "the message could not be applied", msg_id)

    async def dispatch(self, msg: Any) -> None:
        session = self.session
        kind = msg.type
        if kind == "ack":
            self.on_ack(msg.frame)
            return
        if self.entry is not None:
            self.entry.dirty = True
        if kind == "play":
            self.start_play(msg.speed)
            await self.emit([_with_id(session.status_message(), msg.id)])
            return
        if kind == "pause":
            was_playing = session.playing
            await self.stop_play()
            await self.emit([_with_id(session.status_message("paused"), msg.id)])
            if was_playing:
                for _ in session.finish_play():
                    await asyncio.sleep(0)
            await self.emit(
                [session.state_message(), session.series_message(), *session.after_state()]
            )
            if was_playing and self.entry is not None:
                self.hub.save(self.entry)
            return
        if kind in MUTATING_WHILE_PLAYING and session.playing:
            await self.stop_play()
            await self.emit([session.status_message("paused")])
        if kind == "gradcheck":
            # Central differences take up to ~1 s for the largest network: off the loop.
            job = session.gradcheck_job(msg.layer)
            batch = await asyncio.to_thread(job)
            await self.emit([_with_id(batch[0], msg.id), *batch[1:]])
            return
        busy = self.hub.busy
        busy.add(self._command_token)
        try:
            await self._run(session, msg)
        finally:
            busy.discard(self._command_token)

    async def _run(self, session: Session, msg: Any) -> None:
        first = True
        for batch in _sliced(session, msg, self.hub):
            taken = (
                self.role == "control"
                and self.entry is not None
                and (self.entry.controller is not self)
            )
            if self.closed or taken:
                # Taken over (or dropped) mid-command: the new controller owns the session now;
                # this command stops here, never two controllers at once.
                raise Closed
            if batch:
                if first and msg.id is not None:
                    batch = [_with_id(batch[0], msg.id), *batch[1:]]
                first = False
                await self.emit(batch)
            await asyncio.sleep(0)  # let every other session run between slices


def _sliced(session: Session, msg: Any, hub: SessionHub) -> Iterator[list[Message]]:
    """The command's batches; before each slice the session gets its share of the round."""
    work = session.handle(msg)
    while True:
        session.slice_s = hub.slice_s()
        try:
            batch = next(work)
        except StopIteration:
            return
        yield batch


def _with_id(message: Message, msg_id: Any) -> Message:
    return {**message, "id": msg_id} if msg_id is not None else message


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
            entry = hub.find_watch(watching, params.get("key", ""))
            if entry is None:
                await conn.error("invalid_session", "unknown session or wrong spectator key")
                await conn.close(4003, "invalid spectator key")
                return
            if len(entry.watchers) >= settings.max_watchers_per_session:
                conn.closed = True
                await ws.close(1013, f"this session has {len(entry.watchers)} spectators already")
                return
            conn.entry = entry
            conn._queue = asyncio.Queue(WATCHER_QUEUE)
            entry.watchers.add(conn)
            s = entry.session
            await conn.emit([s.hello("watch"), s.data_message(), s.state_message()])
            await conn.emit([s.series_message(), *s.after_state()])
            conn._pump = asyncio.get_running_loop().create_task(conn._pump_queue())
            await conn.receive_loop()
            return

        entry = None
        resumed = False
        wanted, token = params.get("session"), params.get("token")
        if wanted or token:
            entry = hub.find(wanted or "", token or "")
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
        conn.entry = entry
        await hub.attach(entry, conn)
        s = entry.session
        await conn.emit([s.hello("control", resumed), s.data_message(), s.state_message()])
        await conn.emit([s.series_message(), *s.after_state()])
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
        if conn._play_task is not None:
            conn._play_task.cancel()
        if conn._pump is not None:
            conn._pump.cancel()
        if conn.entry is not None:
            hub.detach(conn.entry, conn)
