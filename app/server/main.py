"""Builds the FastAPI application: settings, routes, static files."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.paths import STATIC_DIR
from app.server.config import Settings
from app.server.routes import pages


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="Backprop Lab", version=__version__)
    app.state.settings = settings
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
