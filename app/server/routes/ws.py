"""The WebSocket endpoint `/ws`: who may connect, and to which session.

The Origin header is checked before `accept` (browsers let any page open a socket to any
host); then the socket becomes a spectator (`?watch=&key=`, of a session here or, read-only
from its checkpoint, of one another process holds), a controller resuming its session (token
in a first `resume` message or in the URL), or a controller of a new session under the hub's
caps. The connection itself (deadlines, queues, limits) is `app.server.connection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from app.server.admission import origin_allowed
from app.server.connection import Closed, Connection
from app.server.entry import ResumeUnreadable, SessionsFull
from app.server.hub import SessionHub

router = APIRouter()
log = logging.getLogger("backprop_lab.ws")

BROWSER_COOKIE = "bpl_browser"
# How long a socket opened with `?session=<id>` and no token waits for its `resume` message.
RESUME_MESSAGE_TIMEOUT_S = 10.0
# How often a spectator of a session held by another process looks for a newer checkpoint.
REMOTE_WATCH_POLL_S = 2.0


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
    await hub.evaluate_restored(shadow)
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
                    await hub.evaluate_restored(fresh)
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
            await hub.evaluate_restored(entry)
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
                    await hub.evaluate_restored(entry)
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
            write = hub.detach(conn.entry, conn)
            if write is not None:
                # The endpoint ends once the checkpoint is on disk (written in a thread, the loop
                # free meanwhile): a resume that reaches another process after the close finds
                # this step, not an older one.
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.shield(write)
