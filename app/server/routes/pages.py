"""The HTML page and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__
from app.paths import STATIC_DIR, TEMPLATES_DIR

router = APIRouter()
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", {"version": __version__})


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: answered from the event loop without touching any session."""
    return {"status": "ok"}


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """Browsers ask for it on any page (JSON ones too); a 404 would be a console error."""
    return FileResponse(STATIC_DIR / "img" / "favicon.svg", media_type="image/svg+xml")
