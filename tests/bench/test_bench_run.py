"""The benchmark scripts keep working: a smoke run produces rows for every section.

Figures are for people (BENCHMARKS.md); nothing here asserts a timing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("engine", "serialization", "protocol", "history", "load", "playing", "anchor")


def test_smoke_run_produces_rows_for_every_section(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "TORCH_PYTHON": ""}  # the optional torch column: absent here
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--json", str(out),
         "--only", ",".join((*SECTIONS, "browser"))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    sections = results["sections"]
    for name in SECTIONS:
        assert sections[name].get("rows"), f"{name}: {sections[name]}"
    assert "not_measured" in sections["browser"], "a smoke run does not start Chromium"
    protocol = sections["protocol"]["rows"]
    assert {r["kind"] for r in protocol} == {"round_trip", "play"}
    assert all(r["errors"] == 0 for r in sections["load"]["rows"]), sections["load"]["rows"]
    assert "== targets" in done.stdout


def test_report_marks_every_target(tmp_path: Path) -> None:
    """BENCHMARKS.md is generated from results; missing sections read 'not measured'."""
    sys.path.insert(0, str(ROOT))
    from bench import report

    results = {"environment": {"date": "now"}, "sections": {"browser": {"not_measured": "x"}}}
    text = report.markdown(results)
    assert "## Targets" in text and "not measured" in text
    for t in report.targets(results):
        assert t["ok"] is None, t


def test_compare_smoke_has_a_finite_ratio_per_figure(tmp_path: Path) -> None:
    """bench.compare of HEAD with itself: one row per figure, every ratio a finite number."""
    out = tmp_path / "compare.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.compare", "--baseline", "HEAD", "--smoke",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    names = [r["name"] for r in result["rows"]]
    engine = [n for n in names if n.startswith("engine step, ")]
    assert len(engine) == result["plan"]["nets"], names
    for prefix in ("step round trip median", "step round trip p99", "play,", "capacity p99",
                   "capacity server CPU"):  # fmt: skip
        assert sum(n.startswith(prefix) for n in names) == 1, (prefix, names)
    assert len(names) == len(engine) + 5, names
    for row in result["rows"]:
        assert math.isfinite(row["ratio"]) and row["ratio"] > 0, row
        assert row["rounds"] == result["plan"]["rounds"], row
    for name in names:
        assert name in done.stdout, f"{name} missing from the printed table"
    assert "baseline: server's app is /" in done.stdout and "/baseline/app/" in done.stdout


def test_a_regenerated_report_keeps_the_hand_written_sections() -> None:
    """Sections 8 and 9 are measured by their own scripts: `make bench` must not drop them."""
    sys.path.insert(0, str(ROOT))
    from bench import report

    text = report.markdown({"environment": {"date": "now"}, "sections": {}})
    for section in sorted(report.HAND_WRITTEN.glob("*.md")):
        heading = section.read_text().splitlines()[0]
        assert heading.startswith("## ") and heading in text, heading
    assert text.index("## 8.") < text.index("## 9.") < text.index("## Where the time goes")
