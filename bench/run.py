"""Run the benchmarks, print their tables, write BENCHMARKS.md (issue 7).

    python -m bench.run                       # everything (~10 min); writes BENCHMARKS.md
    python -m bench.run --quick               # a short smoke run (< 1 min); writes
                                              #   test-output/bench/BENCHMARKS-quick.md
    python -m bench.run --only engine,protocol --no-write
    python -m bench.run --smoke               # seconds; writes nothing (tests/bench)

Against another commit, interleaved in one run: `python -m bench.compare --baseline <ref>`
(`make bench-compare`), which writes BENCHMARKS.md's "Before/after" section.

Sections: engine, serialization, protocol, history, browser, load (capacity), playing (others'
latency while sessions play), anchor, profile.
With `--only`, the other sections keep their figures from the previous results file, each
with its own date. PyTorch is looked for in the interpreter named by TORCH_PYTHON (default:
/opt/torch-venv/bin/python when it exists); it is never a dependency of the project.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import ROOT, environment
from bench.tables import by_keys

SECTIONS = (
    "engine",
    "serialization",
    "protocol",
    "history",
    "browser",
    "load",
    "playing",
    "anchor",
    "profile",
)
FULL_MD = ROOT / "BENCHMARKS.md"
FULL_JSON = ROOT / "bench" / "results.json"
QUICK_DIR = ROOT / "test-output" / "bench"
TORCH_VENV_PYTHON = Path("/opt/torch-venv/bin/python")


class NotMeasured(Exception):
    """A section that cannot run here (e.g. no browser benchmark yet); the reason is shown."""


def _browser(quick: bool, smoke: bool = False) -> list[dict[str, Any]]:
    if smoke:
        raise NotMeasured("not run in a smoke run (it needs Chromium)")
    if not (ROOT / "bench" / "browser_bench.py").exists():
        raise NotMeasured("bench/browser_bench.py is not in the repository yet")
    try:
        from bench import browser_bench  # type: ignore[attr-defined,unused-ignore]
    except Exception as exc:
        raise NotMeasured(f"bench/browser_bench.py does not import: {exc}") from exc
    return list(browser_bench.run(quick))


def _profile(quick: bool, results: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from bench import profile
    from bench.capacity import best

    if profile.py_spy() is None:
        raise NotMeasured("py-spy is not installed (a dev tool: pip install py-spy)")
    sessions = 150
    levels = ((results or {}).get("sections", {}).get("load") or {}).get("rows") or []
    answer = best(levels)
    if answer and str(answer.get("phase")).startswith("confirm"):
        sessions = answer["sessions"]
    return profile.run(quick, load_sessions=sessions)


# The module of each section: its `run(quick, smoke)` measures, its `table(rows)` (the same
# table models as BENCHMARKS.md) prints the rows; capacity's levels were printed one by one
# as the search ran.
MODULES = {
    "engine": "bench.engine_bench",
    "serialization": "bench.serialization",
    "protocol": "bench.protocol",
    "history": "bench.history",
    "load": "bench.capacity",
    "playing": "bench.playing",
    "anchor": "bench.anchor",
    "profile": "bench.profile",
}


def _measure(name: str, quick: bool, smoke: bool, results: dict[str, Any]) -> list[dict[str, Any]]:
    if name == "profile":
        return _profile(quick, results)
    if name == "browser":
        return _browser(quick, smoke)
    return list(importlib.import_module(MODULES[name]).run(quick or smoke, smoke))


def _print_table(name: str, rows: list[dict[str, Any]]) -> None:
    if name == "load":
        return
    try:
        module = importlib.import_module(MODULES.get(name, "bench.tables"))
        print(module.table(rows) if hasattr(module, "table") else by_keys(rows).text(rows))
    except Exception as exc:  # a table that does not fit the rows must not lose the figures
        print(f"  (table failed: {exc}); rows: {rows}")


def run_sections(
    names: list[str], quick: bool, results: dict[str, Any], smoke: bool = False
) -> bool:
    """Run the named sections into `results["sections"]`; False if one crashed."""
    ok = True
    sections = results.setdefault("sections", {})
    for name in names:
        print(f"\n== {name} " + "=" * (60 - len(name)), flush=True)
        start = time.monotonic()
        entry: dict[str, Any] = {
            "date": results["environment"]["date"],
            "quick": quick or smoke,
        }
        try:
            rows = _measure(name, quick, smoke, results)
            entry["rows"] = rows
            _print_table(name, rows)
        except NotMeasured as why:
            entry["not_measured"] = str(why)
            print(f"not measured: {why}")
        except Exception as exc:
            ok = False
            entry["error"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        entry["seconds"] = time.monotonic() - start
        print(f"({entry['seconds']:.1f} s)", flush=True)
        sections[name] = entry
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backprop Lab benchmarks (issue 7).")
    parser.add_argument("--quick", action="store_true", help="short smoke run (< 1 min)")
    parser.add_argument("--no-write", action="store_true", help="print only; write no file")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, seconds, writes nothing (tests)"
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated sections of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite BENCHMARKS.md from bench/results.json (after editing the notes)",
    )
    args = parser.parse_args(argv)

    if args.render:
        from bench import report

        report.write(json.loads(FULL_JSON.read_text()), FULL_MD)
        print(f"wrote {FULL_MD.relative_to(ROOT)} from {FULL_JSON.relative_to(ROOT)}")
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    if args.smoke:
        args.quick, args.no_write = True, True
    if args.quick and "profile" in names and not args.only:
        names.remove("profile")  # the profiles are for the full run's closing notes
    if "TORCH_PYTHON" not in os.environ and TORCH_VENV_PYTHON.exists():
        os.environ["TORCH_PYTHON"] = str(TORCH_VENV_PYTHON)

    json_path = QUICK_DIR / "results-quick.json" if args.quick else FULL_JSON
    md_path = QUICK_DIR / "BENCHMARKS-quick.md" if args.quick else FULL_MD
    results: dict[str, Any] = {}
    if args.only and json_path.exists():
        results = json.loads(json_path.read_text())  # keep the sections not run now
    results["environment"] = environment()
    results["quick"] = args.quick
    load_start = os.getloadavg()
    print(json.dumps(results["environment"], indent=1))
    ok = run_sections(names, args.quick, results, smoke=args.smoke)
    results["load_average"] = [
        " ".join(f"{x:.2f}" for x in load_start),
        " ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]

    from bench import report, targets

    print("\n== targets " + "=" * 50)
    print(targets.TABLE.text(targets.targets(results)))
    if not args.no_write:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
        report.write(results, md_path)
        print(f"\nwrote {md_path.relative_to(ROOT)} and {json_path.relative_to(ROOT)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
