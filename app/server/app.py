"""Builds the FastAPI application: settings, the session hub, routes, static files."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.paths import STATIC_DIR
from app.server.admission import origin_allowed
from app.server.hub import SessionHub
from app.server.routes import api, experiments, pages, takehome, ws
from app.server.settings import Settings


class RedactSecrets(logging.Filter):
    """Keep session tokens and spectator keys out of the logs (server-requests #4).

    uvicorn logs every WebSocket it accepts with its full URL; whoever reads the logs could
    take over the session. Only the message's text and its string arguments are rewritten, the
    arguments keep their number and order: uvicorn's access formatter unpacks exactly five.
    Stateless: one shared instance is harmless.
    """

    _pattern = re.compile(r"\b(token|key)=[^&\s\"']*")

    def _redact(self, text: str) -> str:
        if "token=" in text or "key=" in text:
            return self._pattern.sub(r"\1=…", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: self._redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


REDACT = RedactSecrets()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Bodies larger than this are refused with 413 while they arrive (before any parsing).
BODY_LIMITED_PATHS = {"/api/sessions/import": "max_import_bytes"}
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)


def same_origin_request(scope: Scope, settings: Settings) -> bool:
    """A state-changing request from the page's own origin (or an allowed one), or no browser.

    Browsers send `Origin` with every POST, cross-site ones included (`fetch` in `no-cors`
    mode with a `text/plain` body needs no preflight, so CORS alone does not stop it): it must
    be allowed, as for sockets. Without `Origin` the client is not a browser (curl, scripts)
    unless `Sec-Fetch-Site` says the request is cross-site.
    """
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is not None:
        return origin != "null" and origin_allowed(origin, headers.get("host"), settings)
    return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


class BrowserCookie:
    """Plain ASGI middleware: `x-bpl-instance` and security headers on every response, the
    `bpl_browser` cookie on the page for browsers that have none (the per-browser session cap
    counts by it, never by IP: a classroom shares one; `Secure` when the request came over
    https, as the proxy reports with `X-Forwarded-Proto`), the same-origin check of every
    state-changing request (403), and body limits (413). Plain ASGI, not
    `@app.middleware("http")`: that one costs several extra event-loop turns per request,
    which add up while sessions play."""

    def __init__(self, app: ASGIApp, instance: str, settings: Settings) -> None:
        self.app = app
        self.instance = instance.encode()
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in UNSAFE_METHODS and not same_origin_request(scope, self.settings):
            response = PlainTextResponse("cross-origin request refused", status_code=403)
            await response(scope, receive, send)
            return
        limit_name = BODY_LIMITED_PATHS.get(scope["path"])
        if limit_name is not None:
            limit = int(getattr(self.settings, limit_name))
            declared = Headers(scope=scope).get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                await PlainTextResponse(f"body over {limit} bytes", 413)(scope, receive, send)
                return
            receive = _limited(receive, limit)
        wants_cookie = scope["path"] == "/" and ws.BROWSER_COOKIE not in Request(scope).cookies
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("x-bpl-instance", self.instance.decode())
                for name, value in SECURITY_HEADERS:
                    headers.append(name, value)
                if wants_cookie:
                    value = secrets.token_urlsafe(16)
                    headers.append(
                        "set-cookie",
                        f"{ws.BROWSER_COOKIE}={value}; HttpOnly; Path=/; SameSite=strict{secure}",
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except BodyTooLarge:
            await PlainTextResponse("body too large", 413)(scope, receive, send)


class BodyTooLarge(Exception):
    pass


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that raises `BodyTooLarge` once more than `limit` body bytes arrived."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return wrapped


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    hub = SessionHub(settings)
    instance = settings.instance_name
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(REDACT)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        where = settings.checkpoint_dir or "nowhere (BPL_CHECKPOINT_DIR=off)"
        logging.getLogger("uvicorn.error").info("checkpoints: %s", where)
        hub.start()
        yield
        await hub.stop()  # writes every session's checkpoint for the next process

    app = FastAPI(title="Backprop Lab", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.hub = hub
    app.state.instance = instance

    app.add_middleware(BrowserCookie, instance=instance, settings=settings)

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(experiments.router)
    app.include_router(takehome.router)
    app.include_router(ws.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
