"""The HTTP API: options for building controls, CSV upload, session export and history."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from app import protocol
from app.engine import StateFormatError, TrainConfig, parse_csv
from app.engine.optimizer_view import optimizer_constants
from app.engine.options import OPTIONS, RANGES
from app.protocol.state_json import (
    MAX_COUNTER,
    TrainerStateJSON,
    decode_state,
    encode_state,
    max_floats,
)
from app.server.entry import Entry, ResumeUnreadable, SessionsFull, same_secret
from app.server.hub import SessionHub
from app.session import Session
from app.steplog import StepLog

router = APIRouter(prefix="/api", tags=["api"])
BROWSER = "bpl_browser"
EXPORT_FORMAT: Literal["backprop-lab/session@1"] = "backprop-lab/session@1"


def _hub(request: Request) -> SessionHub:
    hub: SessionHub = request.app.state.hub
    return hub


def default_config() -> dict[str, Any]:
    cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(TrainConfig()).items()}
    cfg["dataset_id"] = None
    return cfg


class Options(BaseModel):
    datasets: list[str]
    features: list[str]
    activations: list[str]
    inits: list[str]
    optimizers: list[str]
    units: list[str]
    defaults: dict[str, Any]
    limits: dict[str, Any]
    protocol: int
    ranges: dict[str, dict[str, Any]]
    optimizer_constants: dict[str, dict[str, float]]


@router.get("/options")
async def options(request: Request) -> Options:
    """Everything a client needs to build its controls."""
    return Options(
        datasets=list(OPTIONS["dataset"]),
        features=list(OPTIONS["features"]),
        activations=list(OPTIONS["activation"]),
        inits=list(OPTIONS["init"]),
        optimizers=list(OPTIONS["optimizer"]),
        units=list(protocol.UNITS),
        defaults=default_config(),
        limits=_hub(request).settings.limits.as_dict(),
        protocol=protocol.PROTOCOL_VERSION,
        ranges={name: r.as_dict() for name, r in RANGES.items()},
        optimizer_constants=optimizer_constants(),
    )


class UploadedDataset(BaseModel):
    dataset_id: str
    task: str
    n_classes: int
    features: list[str]
    rows: int


CSV_CONTENT_TYPES = ("multipart/form-data", "text/csv", "application/csv")


async def _read_csv(request: Request, limit: int) -> str:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 4096:
        raise HTTPException(413, f"the CSV is larger than the limit of {limit} bytes")
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith(CSV_CONTENT_TYPES):
        # `text/plain` is what a cross-site page can send without a CORS preflight.
        raise HTTPException(415, "send the CSV as multipart/form-data (field 'file') or text/csv")
    if content_type.startswith("multipart/form-data"):
        # `async with`: the upload's spooled temporary file is closed whatever happens.
        async with request.form(max_files=1, max_fields=4, max_part_size=limit + 1) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, "the form needs a file field named 'file'")
            raw = await upload.read(limit + 1)
    else:
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                break
    if len(raw) > limit:
        raise HTTPException(413, f"the CSV is larger than the limit of {limit} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the CSV is not UTF-8 text (byte {exc.start})") from None


@router.post("/datasets", status_code=201)
async def upload_dataset(
    request: Request,
    label_column: Annotated[str | None, Query(max_length=100)] = None,
    task: Literal["classification", "regression"] | None = None,
) -> UploadedDataset:
    """Upload a CSV (multipart field `file`, or the body as text/csv): numeric feature columns
    and a label/target column (the last one unless `label_column` names it)."""
    hub = _hub(request)
    text = await _read_csv(request, hub.settings.limits.max_csv_bytes)
    try:
        # Parsing ~1 MiB takes up to ~0.5 s: in a thread, one upload at a time per process.
        async with hub.parsing:
            dataset = await asyncio.to_thread(parse_csv, text, label_column=label_column, task=task)
    except (ValueError, csv.Error) as exc:
        # csv.Error: a field over 128 KiB, or CR-only line ends ("new-line character seen in
        # unquoted field").
        raise HTTPException(422, f"the CSV could not be read: {exc}") from None
    limits = hub.settings.limits
    rows = dataset.n_train + dataset.n_test
    if rows > limits.max_samples:
        raise HTTPException(422, f"the CSV has {rows} rows; the limit is {limits.max_samples}")
    dataset_id = hub.datasets.add(
        dataset, text, {"label_column": label_column, "task": task}, request.cookies.get(BROWSER)
    )
    return UploadedDataset(
        dataset_id=dataset_id,
        task=dataset.task,
        n_classes=dataset.n_classes,
        features=list(dataset.feature_names),
        rows=rows,
    )


async def _session(request: Request, session_id: str, token: str) -> Entry:
    # From memory or, like a resume, from its checkpoint (another process may have written it).
    hub = _hub(request)
    try:
        entry = hub.find(session_id, token)
    except ResumeUnreadable:
        raise HTTPException(409, "the saved copy of this session could not be read") from None
    # 404 either way: a wrong token must not reveal that the session exists.
    if entry is None or not same_secret(entry.session.token, token):
        raise HTTPException(404, "no session with this id and token")
    await hub.evaluate_restored(entry)
    return entry


class LayerWeights(BaseModel):
    W: list[list[float]]
    b: list[float]


class SessionExport(BaseModel):
    format: Literal["backprop-lab/session@1"] = EXPORT_FORMAT
    config: dict[str, Any]
    # Integers a page can hold exactly (2**53 - 1): a bigger one overflowed int64 (500).
    step: Annotated[int, Field(ge=0, le=MAX_COUNTER)]
    epoch: Annotated[int, Field(ge=0, le=MAX_COUNTER)]
    layers: list[LayerWeights]
    # Added (release 1 had only the fields above): everything needed to continue bit for
    # bit. Optional on import: without it, the weights above with a fresh optimizer.
    trainer_state: TrainerStateJSON | None = None


@router.get("/sessions/{session_id}/export")
async def export_session(
    request: Request, session_id: str, token: Annotated[str, Query(max_length=64)]
) -> SessionExport:
    """The session as JSON: config (with seeds), the step, the weights there, and the whole
    trainer state of that moment (`trainer_state`: optimizer, data order, generators).

    On the event loop, like every access to a session (the socket changes it there): the
    weights and the captured state are immutable, so the JSON is built from them in a thread.
    """
    s = (await _session(request, session_id, token)).session
    state = s.state_message()
    config, step, epoch = s.config_dict(), state["step"], state["epoch"]
    arrays = [(l["W"], l["b"]) for l in state["layers"]]
    # The moment shown, as a checkpoint saves it: before the pending iteration mid-walk.
    moment = s.pending_before if s.pending_before is not None else s.trainer.capture()

    def build() -> SessionExport:
        layers = [LayerWeights(W=W.tolist(), b=b.tolist()) for W, b in arrays]
        return SessionExport(
            config=config,
            step=step,
            epoch=epoch,
            layers=layers,
            trainer_state=encode_state(moment),
        )

    return await asyncio.to_thread(build)


class ImportedSession(BaseModel):
    session: str
    token: str


@router.post("/sessions/import", status_code=201)
async def import_session(request: Request, body: SessionExport) -> ImportedSession:
    """Start a new session from an export; connect with `/ws?session=…&token=…`.

    With `trainer_state`, the session continues exactly where the exported one was; without
    it (release 1's exports), from the weights with a fresh optimizer and data order. Every
    check runs before the session is kept: a refused import leaves nothing behind (422).
    Bodies over `BPL_MAX_IMPORT_BYTES` get 413, imports over `BPL_IMPORT_RATE_PER_S` 429.
    """
    hub = _hub(request)
    if hub.import_limiter.take() != "ok":
        raise HTTPException(429, "too many imports; try again in a few seconds")
    state = None
    if body.trainer_state is not None:
        limits = hub.settings.limits
        try:
            # Pure (no session is touched): in a thread, ~14 ms for the largest network's.
            state = await asyncio.to_thread(
                decode_state,
                body.trainer_state,
                max_float_count=max_floats(limits.max_parameters),
                max_rows=limits.max_samples,
            )
        except StateFormatError as exc:
            raise HTTPException(422, f"trainer_state: {exc}") from None
    patch = {k: v for k, v in body.config.items() if k != "dataset_id" or v is not None}
    try:
        checked = protocol.ConfigPatch.model_validate(patch).changes()
        # Not evaluated at step 0: the imported state is, next, in slices.
        entry = hub.new_session(request.cookies.get("bpl_browser"), checked, evaluate=False)
    except SessionsFull as full:
        raise HTTPException(503, str(full)) from None
    except protocol.ProtocolError as exc:
        raise HTTPException(422, exc.message) from None
    except ValueError as exc:
        raise HTTPException(422, f"config: {exc}") from None
    layers = [(l.W, l.b) for l in body.layers]
    try:
        if state is None:
            entry.session.import_weights(layers, body.step, body.epoch)
        else:
            entry.session.import_state(state, layers, body.step, body.epoch)
        await hub.evaluate_restored(entry)
    except (ValueError, OverflowError) as exc:
        hub.drop(entry)
        raise HTTPException(422, str(exc)) from None
    except BaseException:
        hub.drop(entry)  # never a session nobody can reach and nothing reaps
        raise
    entry.disconnected_at = entry.created
    # Any process sharing the checkpoint directory can resume it once this returns (the
    # file written in a worker thread: two fsyncs, ~10 ms, not on the loop).
    await hub.save_async(entry)
    return ImportedSession(session=entry.session.id, token=entry.session.token)


@router.get("/sessions/{session_id}/history.csv", response_class=PlainTextResponse)
async def history_csv(
    request: Request, session_id: str, token: Annotated[str, Query(max_length=64)]
) -> PlainTextResponse:
    """One row per kept step: batch loss, whole-set metrics where measured, grad norms.

    The log is copied on the event loop (where the socket changes it), formatted in a thread.
    """
    s: Session = (await _session(request, session_id, token)).session
    n_layers = len(s.trainer.W)
    log, upto = copy.deepcopy(s.log), s.step
    text = await asyncio.to_thread(_history_text, log, upto, n_layers)
    return PlainTextResponse(text, media_type="text/csv")


def _history_text(log: StepLog, upto: int, n_layers: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["step", "loss", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
        + [f"grad_norm_{l}" for l in range(1, n_layers + 1)]
    )
    for e in log:
        if e.step > upto:
            break
        m = e.metrics or {}
        norms = list(e.grad_norms) if e.grad_norms else [None] * n_layers
        row = [e.step, e.loss, m.get("train_loss"), m.get("test_loss")]
        row += [m.get("train_accuracy"), m.get("test_accuracy"), *norms]
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
