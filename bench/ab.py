"""Figures measured on two trees, round by round, and the table that compares them
(bench.compare's result and BENCHMARKS.md's "Before/after" section)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import median, percentile
from bench.tables import Column, Table, col

LIMIT = 1.10


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    lower_is_better: bool = True
    # A percentile of latencies: measured on every round's latencies pooled, not per round
    # (a stall of the machine delays every session at once, so one round's p99 depends on
    # which tree's slice the few stalls fell in).
    pooled: float | None = None

    def of(self, *values: Any) -> Figure:
        """This figure with its name's {} filled in (e.g. a number of sessions)."""
        return Figure(self.name.format(*values), self.unit, self.lower_is_better, self.pooled)


class Samples:
    """Per figure and tree, one value per round (and, for pooled figures, every latency)."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}
        self.values: dict[str, dict[str, list[float]]] = {}
        self.pools: dict[str, dict[str, list[float]]] = {}

    def add(self, figure: Figure, tree: str, latencies: list[float]) -> None:
        """One round's value: the median of `latencies` (or their pooled percentile)."""
        self.figures.setdefault(figure.name, figure)
        q = figure.pooled
        value = median(latencies) if q is None else percentile(latencies, q)
        self.values.setdefault(figure.name, {"baseline": [], "current": []})[tree].append(value)
        if q is not None:
            self.pools.setdefault(figure.name, {"baseline": [], "current": []})[tree] += latencies

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for name, figure in self.figures.items():
            base, cur = self.values[name]["baseline"], self.values[name]["current"]
            pairs = [_cost_ratio(figure, b, c) for b, c in zip(base, cur, strict=True)]
            if figure.pooled is not None:
                pool = self.pools[name]
                b, c = (percentile(pool[t], figure.pooled) for t in ("baseline", "current"))
                rows.append(
                    {**asdict(figure), "baseline": b, "current": c,
                     "ratio": _cost_ratio(figure, b, c), "round_ratios": pairs,
                     "rounds": len(cur)}
                )  # fmt: skip
                continue
            rows.append(
                {
                    **asdict(figure),
                    "baseline": median(base),
                    "current": median(cur),
                    # Each round's pair shared the machine's state of that moment: the median
                    # of their ratios is steadier than the ratio of the medians when the
                    # machine's load drifts between rounds.
                    "ratio": median([x for x in pairs if math.isfinite(x)]),
                    "round_ratios": pairs,
                    "rounds": len(cur),
                }
            )
        for row in rows:
            row["ok"] = bool(row["ratio"] <= LIMIT)
        return rows


def _cost_ratio(figure: Figure, base: float, cur: float) -> float:
    """Above 1 when the current tree is worse."""
    ratio = cur / base if figure.lower_is_better else base / cur
    return ratio if math.isfinite(ratio) else float("nan")


def orders(rounds: int) -> Iterator[tuple[str, str]]:
    for r in range(rounds):
        yield ("baseline", "current") if r % 2 == 0 else ("current", "baseline")


def _spread(row: dict[str, Any]) -> str:
    ratios = [x for x in row["round_ratios"] if math.isfinite(x)]
    return f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "—"


def _value(key: str) -> Callable[[dict[str, Any]], str]:
    def cell(r: dict[str, Any]) -> str:
        v = r[key]
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"

    return cell


TABLE = Table(
    [
        Column("figure", lambda r: f"{r['name']} ({r['unit']})"),
        Column("baseline", _value("baseline")),
        Column("current", _value("current")),
        col("ratio", "ratio", ".2f"),
        Column("rounds' ratios (min–max)", _spread),
        Column("verdict", lambda r: "ok" if r["ok"] else "WORSE"),
    ]
)


def section(result: dict[str, Any]) -> str:
    """BENCHMARKS.md's "Before/after" section from a saved comparison."""
    base, cur = result["baseline"], result["current"]
    worse = [r["name"] for r in result["rows"] if not r["ok"]]
    return (
        "## Before/after\n\n"
        f"_({result['date']}, `python -m bench.compare --baseline {base['ref']}"
        f"{' --quick' if result['plan_name'] == 'quick' else ''}`, took "
        f"{result['seconds']:.0f} s; load average {result['load_average'][0]} at the start, "
        f"{result['load_average'][1]} at the end)_\n\n"
        f"Baseline `{base['sha'][:7]}`"
        f"{'' if base['sha'].startswith(base['ref']) else ' (' + base['ref'] + ')'} against the current tree "
        f"`{cur['sha'][:7]}`{' with uncommitted changes' if cur['dirty'] else ''}, measured "
        f"interleaved in {result['plan']['rounds']} rounds (bench/compare.py says how). "
        "*baseline*, *current*: medians over the rounds; *ratio*: the median over the rounds "
        "of current / baseline for times, baseline / current for rates (above 1 is "
        f"worse); ok up to {LIMIT:.2f}. The p99 figures are the 99th percentile of every "
        "round's latencies pooled, and their ratio. The last column shows the noise: the ratio of each "
        "round's pair. Raw figures: `bench/compare.json`.\n\n"
        + TABLE.markdown(result["rows"])
        + "\n\n"
        + (f"Worse by more than 10 %: {', '.join(worse)}.\n" if worse else "Every figure ok.\n")
    )
