"""The HTTP API: options, CSV upload, export/import, history.csv (in-process)."""

from __future__ import annotations

import csv
import io

import numpy as np
from fastapi.testclient import TestClient

from tests.server.conftest import Connect
from tests.server.helpers import types

CSV = "a,b,label\n" + "\n".join(
    f"{x:.3f},{y:.3f},{'in' if x * x + y * y < 4 else 'out'}"
    for x, y in np.random.default_rng(0).uniform(-4, 4, size=(200, 2))
)


def upload(client: TestClient, text: str = CSV, multipart: bool = True, **params: str):
    if multipart:
        files = {"file": ("data.csv", text.encode(), "text/csv")}
        return client.post("/api/datasets", files=files, params=params)
    return client.post(
        "/api/datasets", content=text.encode(), params=params, headers={"content-type": "text/csv"}
    )


def test_options_describe_the_controls(client: TestClient) -> None:
    body = client.get("/api/options").json()
    assert body["datasets"] == ["circle", "xor", "gauss", "spiral", "moons", "plane",
                                "multigauss", "digits", "custom"]  # fmt: skip
    assert body["optimizers"] == ["sgd", "momentum", "nesterov", "rmsprop", "adam"]
    assert "x1*x2" in body["features"] and "relu" in body["activations"]
    assert body["defaults"]["hidden"] == [4, 2] and body["defaults"]["learning_rate"] == 0.03
    assert body["limits"]["max_batch_size"] == 256 and body["protocol"] == 1


def test_options_carry_the_numeric_ranges_the_protocol_checks(client: TestClient) -> None:
    ranges = client.get("/api/options").json()["ranges"]
    assert ranges["momentum"] == {"min": 0.0, "max": 0.999, "min_exclusive": False,
                                  "max_exclusive": False, "integer": False}  # fmt: skip
    assert ranges["samples"]["min"] == 20 and ranges["samples"]["integer"] is True
    assert ranges["learning_rate"]["min_exclusive"] is True
    with client.websocket_connect("/ws") as ws:
        ws.receive_text()
        for _ in range(3):
            ws.receive_text()
        ws.send_json({"type": "configure", "config": {"samples": ranges["samples"]["min"] - 1}})
        assert ws.receive_json()["code"] == "invalid_message"


def test_upload_multipart_and_text_then_train_on_it(client: TestClient, connect: Connect) -> None:
    for multipart in (True, False):
        response = upload(client, multipart=multipart)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["task"] == "classification" and body["n_classes"] == 2
        assert body["features"] == ["a", "b"] and body["rows"] == 200
    with connect() as peer:
        peer.welcome()
        reply = peer.request(
            {"type": "configure",
             "config": {"dataset": "custom", "dataset_id": body["dataset_id"]}},
            "series",
        )  # fmt: skip
        assert types(reply) == ["config", "data", "state", "series"]
        assert reply[0]["config"]["dataset_id"] == body["dataset_id"]
        assert reply[1]["dataset"] == "custom" and reply[1]["features"] == ["a", "b"]
        assert len(reply[1]["train"]["y"]) + len(reply[1]["test"]["y"]) == 200
        assert peer.request({"type": "step"}, "iteration")[-1]["step"] == 1
        # reset keeps the same split of the uploaded rows
        again = peer.request({"type": "reset"}, "series")
        assert again[0]["train"] == reply[1]["train"]


def test_upload_errors_name_row_and_column(client: TestClient) -> None:
    bad = CSV.splitlines()
    bad[5] = "1.0,oops,in"
    response = upload(client, "\n".join(bad))
    assert response.status_code == 422
    assert "row 6" in response.json()["detail"] and "'b'" in response.json()["detail"]
    response = upload(client, "a,b\n1,2\n", multipart=False)
    assert response.status_code == 422
    response = upload(client, "a,b,label\n" + "1,2,3\n" * 10 + "1,inf,3\n")
    assert response.status_code == 422 and "row 12" in response.json()["detail"]


def test_upload_over_the_size_limit_is_413(client: TestClient) -> None:
    big = "a,b,label\n" + "1.000000,2.000000,1\n" * 60_000  # ~1.2 MB
    assert upload(client, big).status_code == 413
    assert upload(client, big, multipart=False).status_code == 413


def test_export_import_round_trip(client: TestClient, connect: Connect) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        peer.expect({"type": "configure", "config": {"learning_rate": 0.1}}, "config")
        peer.request({"type": "step", "count": 12}, "iteration")
        state = peer.sync()
        exported = client.get(
            f"/api/sessions/{hello['session']}/export", params={"token": hello["token"]}
        )
        assert exported.status_code == 200
        body = exported.json()
        assert body["format"] == "backprop-lab/session@1" and body["step"] == 12
        assert body["config"]["learning_rate"] == 0.1 and body["config"]["seed"] == 1
        assert [l["W"] for l in body["layers"]] == [l["W"] for l in state["layers"]]
        wrong = client.get(f"/api/sessions/{hello['session']}/export", params={"token": "x"})
        assert wrong.status_code == 404
    imported = client.post("/api/sessions/import", json=body)
    assert imported.status_code == 201, imported.text
    ids = imported.json()
    with connect(f"/ws?session={ids['session']}&token={ids['token']}") as peer:
        first = peer.welcome()
        assert first["hello"]["resumed"] is True and first["hello"]["step"] == 12
        assert first["state"]["layers"] == state["layers"]
        assert first["state"]["config"]["learning_rate"] == 0.1
    body["layers"][0]["W"] = [[1.0]]
    assert client.post("/api/sessions/import", json=body).status_code == 422
    body["config"]["hidden"] = [100]
    assert client.post("/api/sessions/import", json=body).status_code == 422


def test_history_csv(client: TestClient, connect: Connect) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        its = [peer.request({"type": "step"}, "iteration")[-1] for _ in range(5)]
        response = client.get(
            f"/api/sessions/{hello['session']}/history.csv", params={"token": hello["token"]}
        )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["step", "loss", "train_loss", "test_loss", "train_accuracy",
                             "test_accuracy", "grad_norm_1", "grad_norm_2", "grad_norm_3"]  # fmt: skip
    assert [int(r["step"]) for r in rows] == [0, 1, 2, 3, 4, 5]
    assert rows[0]["loss"] == "" and float(rows[0]["train_loss"]) > 0
    for row, it in zip(rows[1:], its, strict=True):
        assert float(row["loss"]) == it["loss"]
        assert float(row["train_loss"]) == it["metrics"]["train_loss"]
        assert float(row["grad_norm_1"]) == it["diagnostics"]["layers"][0]["grad_norm"]


def test_openapi_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/options", "/api/datasets", "/api/sessions/{session_id}/export",
            "/api/sessions/{session_id}/history.csv", "/api/sessions/import",
            "/healthz"} <= set(paths)  # fmt: skip
