"""The engine benchmark still runs (its figures are for people, not asserted here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_bench_quick_run_reports_every_network() -> None:
    spec = importlib.util.spec_from_file_location(
        "engine_bench", ROOT / "bench" / "engine_bench.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["engine_bench"] = bench  # dataclasses look their module up
    spec.loader.exec_module(bench)
    rows = bench.run(quick=True)
    assert [r["net"].split()[0] for r in rows] == [
        "2-8-8-2",
        "2-16-16-16-2",
        "64-32-10",
        "784-128-64-10",
    ], "the four networks of the issue"
    for r in rows:
        assert r["engine_us"] > 0 and r["bare_us"] > 0 and r["ratio"] > 0, f"{r['net']}: timed"
    assert "absent" in bench.table(rows) or rows[0]["torch_us"] is not None, "torch column"
