"""An export carries the whole trainer state (docs/protocol.md, "Export and import"): a session
imported from it continues exactly as the exported one does; a damaged or tampered
`trainer_state` is refused with 422 and a reason, leaving nothing behind; an export without it
imports the weights alone, as release 1's did."""

from __future__ import annotations

import base64
import copy
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.server.app import create_app
from app.server.settings import Settings
from tests.server.conftest import make_connect
from tests.server.helpers import Peer

# 140 training rows in batches of 8: an epoch is 18 updates, so step 37 is the first batch of
# the third epoch (position 8), with dropout drawing masks on both hidden layers.
SMALL = {"dataset": "circle", "samples": 200, "hidden": [5, 3], "batch_size": 8, "seed": 4,
         "dropout": 0.2, "learning_rate": 0.02}  # fmt: skip
Body = dict[str, Any]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server whose import rate limit does not get in the way of 30 imports in a row."""
    folder: Path = tmp_path_factory.mktemp("checkpoints")
    settings = Settings(checkpoint_dir=folder, import_burst=1000, import_rate_per_s=1000.0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def started(peer: Peer, **config: Any) -> dict[str, Any]:
    hello = peer.welcome()["hello"]
    peer.request({"type": "configure", "config": {**SMALL, **config}}, "series")
    return hello


def export(client: TestClient, hello: dict[str, Any]) -> Body:
    response = client.get(
        f"/api/sessions/{hello['session']}/export", params={"token": hello["token"]}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def imported(client: TestClient, body: Body) -> str:
    """The `/ws` path of a new session imported from `body`."""
    response = client.post("/api/sessions/import", json=body)
    assert response.status_code == 201, response.text
    ids = response.json()
    return f"/ws?session={ids['session']}&token={ids['token']}"


def continued(peer: Peer, steps: int) -> tuple[list[list[float]], list[Any]]:
    """Every batch loss of the next `steps` updates, and the layers after the last one
    (weights, biases and the optimizer's slots)."""
    it = peer.request({"type": "step", "count": steps}, "iteration")[-1]
    after = [{k: l[k] for k in ("W_next", "b_next", "opt") if k in l} for l in it["layers"]]
    return it["losses"], after


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_an_export_from_mid_epoch_continues_bit_for_bit_for_200_steps(
    client: TestClient, optimizer: str
) -> None:
    connect = make_connect(client)
    with connect() as peer:
        hello = started(peer, optimizer=optimizer)
        peer.request({"type": "step", "count": 37}, "iteration")
        body = export(client, hello)
        header = body["trainer_state"]["header"]
        assert (body["step"], body["epoch"]) == (header["step"], header["epoch"]) == (37, 2)
        assert header["position"] == 8, "in the middle of an epoch"
        assert header["optimizer"] == {"name": optimizer, "t": 37, "slots": True}
        original = continued(peer, 200)
    with connect(imported(client, body)) as other:
        first = other.welcome()
        assert first["state"]["step"] == 37 and first["state"]["optimizer_t"] == 37
        copy_ = continued(other, 200)
    assert [s for s, _ in copy_[0]] == list(range(38, 238))
    assert copy_[0] == original[0], "every batch loss of the 200 steps, bit for bit"
    assert copy_[1] == original[1], "the same weights and optimizer state after them"


def test_an_export_in_the_middle_of_a_phase_walk_is_the_moment_before_its_update(
    client: TestClient,
) -> None:
    connect = make_connect(client)
    with connect() as peer:
        hello = started(peer, optimizer="adam")
        peer.request({"type": "step", "count": 37}, "iteration")
        for _ in range(2):
            peer.request({"type": "step", "unit": "phase"}, "phase")
        body = export(client, hello)
        assert body["step"] == body["trainer_state"]["header"]["step"] == 37
        original = continued(peer, 200)  # completes the walk's iteration (38), then 199 more
    with connect(imported(client, body)) as other:
        other.welcome()
        assert continued(other, 200) == original


def test_the_export_survives_the_pages_json_round_trip(client: TestClient) -> None:
    """The page parses a file and serialises it again (JavaScript numbers hold 53 bits): no
    integer in an export is beyond 2**53 - 1, the 128-bit generator states are strings."""
    with make_connect(client)() as peer:
        hello = started(peer, optimizer="adam")
        peer.request({"type": "step", "count": 5}, "iteration")
        body = export(client, hello)

    def integers(value: Any) -> Iterator[int]:
        if isinstance(value, dict):
            for v in value.values():
                yield from integers(v)
        elif isinstance(value, list):
            for v in value:
                yield from integers(v)
        elif isinstance(value, int) and not isinstance(value, bool):
            yield value

    assert max(abs(i) for i in integers(body)) <= 2**53 - 1
    state = body["trainer_state"]
    assert state["format"] == "backprop-lab/trainer-state-json@1"
    assert state["header"]["format"] == "backprop-lab/trainer-state@2"
    assert isinstance(state["header"]["rng_dropout"]["state"]["state"], str)
    w1 = state["arrays"]["W1"]
    assert (w1["dtype"], w1["shape"]) == ("<f8", [5, 2])
    raw = np.frombuffer(base64.b64decode(w1["data"]), dtype="<f8").reshape(5, 2)
    assert raw.tolist() == body["layers"][0]["W"], "the same float64 numbers as `layers`"


# What takehome.js does: the download is parsed and saved indented; the file opened is parsed
# and sent again.
PAGE_ROUND_TRIP = (
    "const fs = require('fs');"
    "const saved = JSON.stringify(JSON.parse(fs.readFileSync(0, 'utf8')), null, 1);"
    "process.stdout.write(JSON.stringify(JSON.parse(saved)));"
)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_an_export_saved_and_opened_by_the_page_continues_bit_for_bit(client: TestClient) -> None:
    connect = make_connect(client)
    with connect() as peer:
        hello = started(peer, optimizer="adam", l1=0.001)
        peer.request({"type": "step", "count": 41}, "iteration")
        raw = client.get(
            f"/api/sessions/{hello['session']}/export", params={"token": hello["token"]}
        ).content
        original = continued(peer, 200)
    sent = subprocess.run(
        ["node", "-e", PAGE_ROUND_TRIP], input=raw, capture_output=True, check=True, timeout=60
    ).stdout
    response = client.post(
        "/api/sessions/import", content=sent, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    ids = response.json()
    with connect(f"/ws?session={ids['session']}&token={ids['token']}") as other:
        other.welcome()
        assert continued(other, 200) == original


def test_an_export_without_trainer_state_imports_its_weights_with_a_fresh_optimizer(
    client: TestClient,
) -> None:
    with make_connect(client)() as peer:
        hello = started(peer, optimizer="adam")
        peer.request({"type": "step", "count": 37}, "iteration")
        body = export(client, hello)
    del body["trainer_state"]  # as release 1 wrote it, or as written by hand
    with make_connect(client)(imported(client, body)) as other:
        state = other.welcome()["state"]
    assert state["step"] == 37 and state["optimizer_t"] == 0
    assert [l["W"] for l in state["layers"]] == [l["W"] for l in body["layers"]]


# -- refusals ---------------------------------------------------------------------------------


def _encoded(values: np.ndarray) -> dict[str, Any]:
    return {
        "dtype": values.dtype.str,
        "shape": list(values.shape),
        "data": base64.b64encode(values.tobytes()).decode(),
    }


def _array(body: Body, name: str) -> np.ndarray:
    a = body["trainer_state"]["arrays"][name]
    return np.frombuffer(base64.b64decode(a["data"]), dtype=a["dtype"]).reshape(a["shape"])


def _set(name: str, change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Body], None]:
    def spoil(body: Body) -> None:
        body["trainer_state"]["arrays"][name] = _encoded(change(_array(body, name).copy()))

    return spoil


def _nan(a: np.ndarray) -> np.ndarray:
    a.flat[-1] = np.nan
    return a


def _negative(a: np.ndarray) -> np.ndarray:
    a.flat[0] = -1e-9
    return a


def _repeated(a: np.ndarray) -> np.ndarray:
    a[1] = a[0]
    return a


def _edit(path: str, value: Any) -> Callable[[Body], None]:
    """Set the field at a path of the body, keys separated by "/" (list indices as numbers)."""

    def spoil(body: Body) -> None:
        *parents, last = path.split("/")
        target: Any = body
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[int(last) if isinstance(target, list) else last] = value

    return spoil


def _arrays(change: Callable[[dict[str, Any]], Any]) -> Callable[[Body], None]:
    return lambda body: change(body["trainer_state"]["arrays"])


ARRAYS = "trainer_state/arrays"
HEADER = "trainer_state/header"
REFUSED: dict[str, tuple[Callable[[Body], None], str]] = {
    "wrong shape": (_edit(f"{ARRAYS}/exp_avg.W1/shape", [2, 5]), "'exp_avg.W1' is float64 (2, 5)"),
    "other network": (_set("W2", lambda a: a[:2]), "layer 2: W (2, 5) and b (3,) do not fit"),
    "int64 weights": (_edit(f"{ARRAYS}/W1/dtype", "<i8"), "'W1' must be <f8, not <i8"),
    "float32 weights": (_edit(f"{ARRAYS}/b1/dtype", "<f4"), "dtype"),
    "truncated base64": (
        lambda b: b["trainer_state"]["arrays"]["W1"].update(
            data=b["trainer_state"]["arrays"]["W1"]["data"][:-4]
        ),
        "truncated",
    ),
    "not base64": (
        lambda b: b["trainer_state"]["arrays"]["b2"].update(
            data="!" + b["trainer_state"]["arrays"]["b2"]["data"][1:]
        ),
        "not base64",
    ),
    "NaN weight": (_set("W1", _nan), "'W1' holds a non-finite number"),
    "NaN in a slot": (_set("exp_avg.b2", _nan), "'exp_avg.b2' holds a non-finite number"),
    "negative second moment": (_set("exp_avg_sq.W2", _negative), "negative square average"),
    "oversized weights": (_edit(f"{ARRAYS}/W1/shape", [20_000, 64]), "more than 60000 numbers"),
    "oversized order": (_edit(f"{ARRAYS}/order/shape", [5_001]), "at most 5000"),
    "order not a permutation": (_set("order", _repeated), "permutation"),
    "missing slot": (_arrays(lambda a: a.pop("exp_avg_sq.b3")), "'exp_avg_sq.b3' is missing"),
    "extra array": (
        _arrays(lambda a: a.update(extra=a["b1"])),
        "unexpected array 'extra'",
    ),
    "unknown format": (
        _edit("trainer_state/format", "backprop-lab/trainer-state-json@9"),
        "format",
    ),
    "unknown header format": (_edit(f"{HEADER}/format", "backprop-lab/trainer-state@1"), "format"),
    "generator as a number": (
        _edit(f"{HEADER}/rng_order/state/state", 2.0780353271105168e38),
        "rng_order.state.state must be a decimal string",
    ),
    "generator out of range": (
        _edit(f"{HEADER}/rng_dropout/state/inc", str(2**128)),
        "PCG64's ranges",
    ),
    "position past the data": (_edit(f"{HEADER}/position", 140), "position must be below 140"),
    "optimizer not the config's": (
        _edit(f"{HEADER}/optimizer/name", "sgd"),
        "optimizer 'sgd' differs from the config's 'adam'",
    ),
    "slots at t = 0": (_edit(f"{HEADER}/optimizer/t", 0), "from its first update on"),
    "counter beyond 2**53": (_edit(f"{HEADER}/optimizer/t", 2**53), "at most 2**53 - 1"),
    "config not the export's": (
        _edit(f"{HEADER}/config/learning_rate", 0.5),
        "config differs from the export's in learning_rate",
    ),
    "step not the export's": (_edit(f"{HEADER}/step", 36), "differ from the export's step 37"),
    "layers edited, state not": (
        _edit("layers/0/W/0/0", 0.125),
        "layers[0] differs from trainer_state's W1",
    ),
}


@pytest.fixture(scope="module")
def adam_export(client: TestClient) -> Body:
    """An Adam session at step 37 (three weight layers, slots stored), exported."""
    with make_connect(client)() as peer:
        hello = started(peer, optimizer="adam")
        peer.request({"type": "step", "count": 37}, "iteration")
        return export(client, hello)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_damaged_trainer_state_is_422_with_the_reason_and_leaves_nothing(
    client: TestClient, adam_export: Body, case: str
) -> None:
    spoil, reason = REFUSED[case]
    body = copy.deepcopy(adam_export)
    spoil(body)
    hub = client.app.state.hub  # type: ignore[attr-defined]
    before = set(hub.entries)
    response = client.post("/api/sessions/import", json=body)
    assert response.status_code == 422, response.text
    assert reason in response.text, response.text
    assert set(hub.entries) == before, "no session kept, not even half restored"
    # The server goes on serving: the undamaged export still imports.
    assert client.post("/api/sessions/import", json=adam_export).status_code == 201


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value (objects by key, arrays by index), the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for key, v in value.items():
            yield from _paths(v, (*prefix, key))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, (*prefix, i))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**130), max_value=2**130)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(data=st.data())
def test_any_change_to_trainer_state_is_imported_or_refused_never_a_server_error(
    client: TestClient, adam_export: Body, data: st.DataObject
) -> None:
    body = copy.deepcopy(adam_export)
    paths = list(_paths(body["trainer_state"]))[1:]
    path = data.draw(st.sampled_from(paths))
    target: Any = body["trainer_state"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(JSON_VALUES)
    hub = client.app.state.hub  # type: ignore[attr-defined]
    before = set(hub.entries)
    response = client.post("/api/sessions/import", json=body)
    assert response.status_code in (201, 422), (path, response.status_code, response.text)
    if response.status_code == 422:
        assert set(hub.entries) == before
