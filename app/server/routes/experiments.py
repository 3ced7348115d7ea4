"""`GET /api/experiments`: the guided experiments' catalogue (app/experiments/catalogue.json)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.experiments import load_catalogue

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/experiments")
async def experiments() -> list[dict[str, Any]]:
    """Every experiment in catalogue order, as stored: id, title, question, config, steps,
    watch, explanation, check and the optional unit, walk, predict and next."""
    return load_catalogue()
