"""`GET /api/sessions/{id}/export.py`: the session's moment as a runnable training script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.server.routes.api import _session
from app.takehome import DEFAULT_STEPS, MAX_STEPS, Flavour, export_script, filename

router = APIRouter(prefix="/api", tags=["api"])


@router.get(
    "/sessions/{session_id}/export.py",
    response_class=Response,
    responses={200: {"content": {"text/x-python": {}}, "description": "the script"}},
)
async def export_python(
    request: Request,
    session_id: str,
    token: Annotated[str, Query(max_length=64)],
    flavour: Flavour = "numpy",
    steps: Annotated[int, Query(ge=1, le=MAX_STEPS)] = DEFAULT_STEPS,
) -> Response:
    """A self-contained Python script (`flavour` numpy: from scratch, NumPy only; torch:
    torch.nn + torch.optim) that trains `steps` more steps from the moment the session shows
    and prints each step's batch loss: the same numbers as the app's next steps."""
    session = (await _session(request, session_id, token)).session
    # Captured here, on the event loop, where no training step can be half done (play runs
    # there too); mid-phase-walk the moment shown is the state before the pending iteration.
    before = session.pending_before
    moment = session.trainer.capture() if before is None else before
    # Its arrays are immutable: the script is written in a worker thread (the digits take
    # ~0.1-0.6 s, mostly zlib, which would stall every session's socket on the loop).
    try:
        source = await run_in_threadpool(
            export_script, moment, session.trainer.data, flavour, steps
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    name = filename(moment.step, flavour)
    return Response(
        source,
        media_type="text/x-python; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
