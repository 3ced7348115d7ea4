"""Builds the FastAPI application: settings, the session hub, routes, static files."""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.paths import STATIC_DIR
from app.server.config import Settings
from app.server.hub import SessionHub
from app.server.routes import api, pages, ws


class RedactSecrets(logging.Filter):
    """Keep session tokens and spectator keys out of the logs (server-requests #4).

    uvicorn logs every WebSocket it accepts with its full URL; whoever reads the logs could
    take over the session. Stateless: one shared instance is harmless.
    """

    _pattern = re.compile(r"\b(token|key)=[^&\s\"']*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message or "key=" in message:
            record.msg = self._pattern.sub(r"\1=…", message)
            record.args = ()
        return True


REDACT = RedactSecrets()


def instance_name() -> str:
    """`BPL_INSTANCE`, else host-pid: says which process answered (server-requests #1)."""
    return os.environ.get("BPL_INSTANCE") or f"{socket.gethostname()}-{os.getpid()}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    hub = SessionHub(settings)
    instance = instance_name()
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(REDACT)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        hub.start()
        yield
        await hub.stop()  # writes every session's checkpoint for the next process

    app = FastAPI(title="Backprop Lab", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.hub = hub
    app.state.instance = instance

    @app.middleware("http")
    async def browser_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # The per-browser session cap counts by this cookie, never by IP: a classroom shares one.
        response = await call_next(request)
        response.headers["x-bpl-instance"] = instance
        if request.url.path == "/" and ws.BROWSER_COOKIE not in request.cookies:
            response.set_cookie(
                ws.BROWSER_COOKIE, secrets.token_urlsafe(16), httponly=True, samesite="strict"
            )
        return response

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
