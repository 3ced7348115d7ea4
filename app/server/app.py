"""Builds the FastAPI application: settings, the session hub, routes, static files."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.paths import STATIC_DIR
from app.server.hub import SessionHub
from app.server.routes import api, experiments, pages, takehome, ws
from app.server.settings import Settings


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


class BrowserCookie:
    """Plain ASGI middleware: `x-bpl-instance` on every response, and the `bpl_browser` cookie
    on the page for browsers that have none (the per-browser session cap counts by it, never
    by IP: a classroom shares one). Plain ASGI, not `@app.middleware("http")`: that one costs
    several extra event-loop turns per request, which add up while sessions play."""

    def __init__(self, app: ASGIApp, instance: str) -> None:
        self.app = app
        self.instance = instance.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wants_cookie = scope["path"] == "/" and ws.BROWSER_COOKIE not in Request(scope).cookies

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("x-bpl-instance", self.instance.decode())
                if wants_cookie:
                    value = secrets.token_urlsafe(16)
                    headers.append(
                        "set-cookie",
                        f"{ws.BROWSER_COOKIE}={value}; HttpOnly; Path=/; SameSite=strict",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    hub = SessionHub(settings)
    instance = settings.instance_name
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

    app.add_middleware(BrowserCookie, instance=instance)

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(experiments.router)
    app.include_router(takehome.router)
    app.include_router(ws.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
