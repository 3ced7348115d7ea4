"""The controls in a real browser: live hyperparameters, play/pause with acks, network edits,
CSV upload, URL state and keyboard shortcuts."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import PageErrors
from tests.e2e.helpers import NewPage, click_data_point, open_app, wait_message, wait_until


def test_learning_rate_change_is_sent_and_applied(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    field = page.get_by_label("Learning rate")
    field.fill("0.1")
    field.press("Enter")
    config = wait_message(
        page, traffic, "config", where=lambda m: m["config"]["learning_rate"] == 0.1
    )
    assert config["reset"] is False, "a live hyperparameter keeps the network"
    sent = traffic.of_type("configure", sent=True)
    assert sent[-1] == {"type": "configure", "config": {"learning_rate": 0.1}}
    page.get_by_label("Step by").select_option("iteration")
    start = len(traffic.received)
    page.get_by_role("button", name="Step forward", exact=True).click()
    iteration = wait_message(page, traffic, "iteration", start)
    assert iteration["learning_rate"] == 0.1
    assert "learning_rate=0.1" in page.url, "the URL follows the config"
    # An invalid value is refused in the page and never sent.
    field.fill("-3")
    field.press("Enter")
    page.wait_for_timeout(100)
    assert len(traffic.of_type("configure", sent=True)) == len(sent)


def test_play_acks_every_frame_then_pause(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    wait_until(page, lambda: len(traffic.of_type("frame")) >= 8, what="eight frames")
    # A live hyperparameter changes during play without a reset, and play goes on.
    field = page.get_by_label("Learning rate")
    field.fill("0.1")
    field.press("Enter")
    config = wait_message(
        page, traffic, "config", where=lambda m: m["config"]["learning_rate"] == 0.1
    )
    assert config["reset"] is False
    frames_then = len(traffic.of_type("frame"))
    wait_until(page, lambda: len(traffic.of_type("frame")) >= frames_then + 5, what="more frames")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    wait_message(page, traffic, "status", where=lambda m: m["playing"] is False)
    # One frame in flight: every frame is acknowledged, after it arrived, before the next one.
    seq = [(d, m) for d, m in traffic.events if m["type"] in ("frame", "ack")]
    frames = [m["frame"] for d, m in seq if d == "in"]
    acks = [m["frame"] for d, m in seq if d == "out"]
    assert acks == frames[: len(acks)] and len(frames) - len(acks) <= 1
    for (d1, m1), (d2, m2) in pairwise(seq):
        if d1 == "in":
            assert d2 == "out" and m2["frame"] == m1["frame"], "frame acked before the next"
    assert int(page.locator("#step-count").inner_text().replace("\u2009", "")) >= frames[0]
    assert "NaN" not in page.locator("body").inner_text()


def test_add_a_neuron_and_a_layer_rebuilds_the_network(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    expect(page.locator('.neuron[data-layer="1"]')).to_have_count(4)
    page.get_by_role("button", name="Add a neuron to layer 1").click()
    wait_message(page, traffic, "config", where=lambda m: m["config"]["hidden"] == [5, 2])
    expect(page.locator('.neuron[data-layer="1"]')).to_have_count(5)
    assert traffic.of_type("configure", sent=True)[-1]["config"] == {"hidden": [5, 2]}
    page.get_by_role("button", name="Add a hidden layer").click()
    expect(page.locator('.neuron[data-layer="4"]')).to_have_count(2)
    page.get_by_role("button", name="Remove a neuron from layer 2").click()
    wait_message(page, traffic, "config", where=lambda m: m["config"]["hidden"] == [5, 1, 2])
    expect(page.locator('.neuron[data-layer="2"]')).to_have_count(1)
    assert "hidden=5,1,2" in page.url


def test_csv_upload_trains_on_it(
    page: Page, page_errors: PageErrors, live_server: LiveServer, tmp_path: Path
) -> None:
    traffic = open_app(page, live_server.url + "/")
    rows = ["a,b,label"] + [
        f"{i / 10},{(i * 7 % 13) / 5},{'yes' if i % 3 else 'no'}" for i in range(60)
    ]
    csv = tmp_path / "mine.csv"
    csv.write_text("\n".join(rows) + "\n")
    with page.expect_response("**/api/datasets") as response:
        page.locator("#csv-file").set_input_files(str(csv))
    assert response.value.status in (200, 201)
    data = wait_message(page, traffic, "data", where=lambda m: m["dataset"] == "custom")
    assert data["n_classes"] == 2
    assert data["class_names"] == ["no", "yes"]
    # The output units and the data points carry the file's own labels.
    outputs = page.locator('.neuron[data-layer="3"] text.cls')
    expect(outputs).to_have_text(["no", "yes"])
    expect(page.locator('.neuron[data-layer="3"][data-unit="1"]')).to_have_attribute(
        "aria-label", re.compile(r"(^|, )Output yes")
    )
    px, py = data["train"]["points"][0]
    label = data["class_names"][data["train"]["y"][0]]
    box = page.locator(".heatmap canvas.points").bounding_box()
    assert box is not None
    x, y = page.evaluate(f"[window.__bpl.output.sx({px}), window.__bpl.output.sy({py})]")
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator("#tooltip")).to_contain_text(f"label “{label}”")
    expect(page.get_by_role("button", name="Your CSV: upload a CSV file")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#upload-note")).to_contain_text("60 rows")
    page.get_by_role("button", name="Step forward", exact=True).click()
    wait_message(page, traffic, "phase")
    # A file that is not numeric is refused with the row and column named.
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,a\n3,oops,b\n")
    page_errors.allow("status of 422")  # Chromium logs the refused upload's response
    page.locator("#csv-file").set_input_files(str(bad))
    expect(page.locator("#upload-note")).to_contain_text("row")


def test_url_state_round_trip_reproduces_data_and_weights(
    page: Page, new_page: NewPage, live_server: LiveServer
) -> None:
    query = (
        "?dataset=xor&hidden=3&activation=relu&learning_rate=0.1&seed=5&data_seed=9"
        "&features=x1,x2,x1*x2&batch_size=16&unit=iteration"
    )
    traffic = open_app(page, live_server.url + "/" + query)
    state = wait_message(
        page,
        traffic,
        "state",
        where=lambda m: m["config"]["dataset"] == "xor" and m["config"]["seed"] == 5,
    )
    data = [m for m in traffic.of_type("data") if m["dataset"] == "xor"][-1]
    expect(page.locator('.neuron[data-layer="1"]')).to_have_count(3)
    expect(page.get_by_label("Learning rate")).to_have_value("0.1")
    expect(page.get_by_label("Activation")).to_have_value("relu")
    expect(page.get_by_label("Step by")).to_have_value("iteration")
    expect(page.locator('[data-dataset="xor"]')).to_have_attribute("aria-pressed", "true")
    shared = page.url
    params = parse_qs(urlparse(shared).query)
    assert params["seed"] == ["5"] and params["data_seed"] == ["9"] and params["hidden"] == ["3"]
    assert params["features"] == ["x1,x2,x1*x2"]
    # The shared link, opened in a fresh browser context, gives the same data and weights.
    page2 = new_page()
    traffic2 = open_app(page2, shared)
    state2 = wait_message(
        page2,
        traffic2,
        "state",
        where=lambda m: m["config"]["dataset"] == "xor" and m["config"]["seed"] == 5,
    )
    data2 = [m for m in traffic2.of_type("data") if m["dataset"] == "xor"][-1]
    assert state2["layers"] == state["layers"], "same initial weights"
    assert data2["train"] == data["train"], "same data"
    assert state2["config"] == state["config"]


def test_keyboard_shortcuts(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("ArrowRight")
    wait_message(page, traffic, "phase")
    expect(page.locator("#phase-title")).to_have_text("Forward pass · layer 1 of 3")
    page.keyboard.press("ArrowLeft")
    wait_until(page, lambda: traffic.of_type("back", sent=True), what="back sent")
    expect(page.locator("#phase-title")).not_to_have_text("Forward pass · layer 1 of 3")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    page.keyboard.press("r")
    wait_until(page, lambda: traffic.of_type("reset", sent=True), what="reset sent")
    expect(page.locator("#step-count")).to_have_text("0")
    page.keyboard.press("?")
    expect(
        page.get_by_role("dialog", name="Help: keyboard shortcuts and how to read this page")
    ).to_be_visible()
    page.keyboard.press("Escape")
    expect(
        page.get_by_role("dialog", name="Help: keyboard shortcuts and how to read this page")
    ).to_be_hidden()
    # Typing in a field is not a shortcut.
    page.get_by_label("Learning rate").focus()
    before = len(traffic.sent)
    page.keyboard.press("r")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(100)
    assert [m["type"] for m in traffic.sent[before:]] == []


def test_teachers_can_hide_controls(page: Page, live_server: LiveServer) -> None:
    open_app(page, live_server.url + "/?hide=data,network,charts")
    expect(page.get_by_role("heading", name="Data")).to_be_hidden()
    expect(page.get_by_role("button", name="Add a hidden layer")).to_be_hidden()
    expect(page.get_by_label("Activation")).to_be_hidden()
    expect(page.get_by_role("button", name="Step forward", exact=True)).to_be_visible()
    assert "hide=data,network,charts" in page.url


def test_click_an_edge_to_inspect_and_edit_its_weight(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    box = page.get_by_role("group", name="Network diagram").bounding_box()
    assert box is not None
    x, y = page.evaluate("window.__bpl.diagram.edgePoint(2, 0, 1, 0.5)")
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator("#tooltip")).to_contain_text("W²₁,₂ =")
    page.mouse.click(box["x"] + x, box["y"] + y)
    inspector = page.get_by_role("region", name="Inspector")
    expect(inspector).to_contain_text("Weight W²₁,₂")
    value = page.get_by_label("Weight value")
    value.fill("1.5")
    value.press("Enter")
    sent = wait_until(
        page, lambda: traffic.of_type("set_weight", sent=True), what="set_weight sent"
    )
    assert sent[0] == {"type": "set_weight", "layer": 2, "row": 0, "col": 1, "value": 1.5}
    state = wait_message(page, traffic, "state", where=lambda m: m["layers"][1]["W"][0][1] == 1.5)
    assert state["step"] == 0
    expect(inspector).to_contain_text("w = 1.5")


def test_click_a_data_point_to_follow_it(page: Page, live_server: LiveServer) -> None:
    traffic = open_app(page, live_server.url + "/")
    click_data_point(page, traffic.of_type("data")[-1]["train"]["points"][7])
    sent = wait_until(page, lambda: traffic.of_type("follow", sent=True), what="follow sent")
    index = sent[0]["index"]
    sample = wait_message(page, traffic, "sample", where=lambda m: m["index"] == index)
    expect(page.locator("#sample-nav")).to_contain_text(f"Following train sample #{index}")
    g = page.locator('.neuron[data-layer="1"][data-unit="0"]')
    expect(g).to_have_attribute("data-kind", "a")
    assert float(g.get_attribute("data-value") or "nan") == sample["layers"][0]["A"][0]
    # Stepping re-sends the followed sample; its numbers drive the diagram during the walk.
    start = len(traffic.received)
    page.get_by_role("button", name="Step forward", exact=True).click()
    wait_message(page, traffic, "phase", start)
    # A dropped socket resumes the session, still following the same sample.
    start = len(traffic.received)
    page.evaluate("window.__bpl.conn.drop()")
    wait_message(page, traffic, "hello", start, where=lambda m: m["resumed"] is True)
    wait_message(page, traffic, "sample", start, where=lambda m: m["index"] == index)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(page.locator("#sample-nav")).to_contain_text(f"Following train sample #{index}")
    page.get_by_role("button", name="Stop following").click()
    expect(page.locator("#sample-nav")).not_to_contain_text("Following")
    assert traffic.of_type("follow", sent=True)[-1]["index"] is None


def test_spectator_link_watches_read_only(
    page: Page, new_page: NewPage, live_server: LiveServer
) -> None:
    traffic = open_app(page, live_server.url + "/")
    hello = traffic.of_type("hello")[0]
    viewer = new_page()
    seen = open_app(viewer, f"{live_server.url}/?watch={hello['session']}&key={hello['watch_key']}")
    assert seen.of_type("hello")[0]["role"] == "watch"
    expect(viewer.get_by_role("status").filter(has_text="watching")).to_be_visible()
    expect(
        viewer.get_by_role("button", name="Step forward", exact=True)
    ).to_be_hidden()  # read-only: no transport (issue 15 item 14)
    page.get_by_label("Step by").select_option("iteration")
    page.get_by_role("button", name="Step forward", exact=True).click()
    expect(viewer.locator("#step-count")).to_have_text("1")
    assert not [m for m in seen.sent if m["type"] not in ("ack", "ping", "sync")]
