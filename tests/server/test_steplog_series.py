"""The chart series a socket gets on connect, resume, seek and back (`StepLog.series`)."""

from __future__ import annotations

import math

import orjson

from app.steplog import LogEntry, StepLog

NAN = math.nan


def log_of(rows: list[LogEntry]) -> StepLog:
    log = StepLog(2, LogEntry(0, 0, 0, None))
    for row in rows:
        log.put(row)
    return log


def test_a_step_without_gradients_is_null_as_a_whole_and_a_nan_ratio_alone_is_null() -> None:
    log = log_of(
        [
            LogEntry(1, 0, 1, 0.9, (0.5, 0.25), (0.01, NAN)),
            LogEntry(2, 0, 2, 0.8),  # replayed after a jump: a loss, no gradients
            LogEntry(3, 0, 3, 0.7, (0.4, 0.2), (0.02, 0.03), {"step": 3, "train_loss": 0.6}),
        ]
    )

    series = log.series(upto=3, max_points=100)

    assert series["steps"] == [1, 2, 3]
    assert series["loss"] == [0.9, 0.8, 0.7]
    assert series["grad_norms"] == [[0.5, 0.25], None, [0.4, 0.2]]
    assert series["update_ratios"] == [[0.01, None], None, [0.02, 0.03]]
    assert series["train_loss"] == [None, None, 0.6]
    # Python floats and None only: the message encodes to plain JSON (no NaN).
    assert b"NaN" not in orjson.dumps(series)
    assert all(type(v) is float for row in series["update_ratios"] if row for v in row if v)


def test_steps_without_a_loss_are_left_out_and_the_rest_downsampled_evenly() -> None:
    log = log_of([LogEntry(s, 0, s, float(s), (1.0, 2.0), (0.1, 0.2)) for s in range(1, 1001)])

    series = log.series(upto=1000, max_points=100)

    assert len(series["steps"]) == 100
    assert series["steps"][:3] == [1, 11, 21]  # every 10th, step 0 (no loss) left out
    assert series["loss"] == [float(s) for s in series["steps"]]
    assert series["grad_norms"] == [[1.0, 2.0]] * 100


def test_the_series_stops_at_the_step_asked_for() -> None:
    log = log_of([LogEntry(s, 0, s, 0.5, (1.0, 1.0), (0.1, 0.1)) for s in range(1, 11)])

    assert log.series(upto=4, max_points=100)["steps"] == [1, 2, 3, 4]
