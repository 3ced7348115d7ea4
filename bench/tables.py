"""One model per benchmark table, rendered to the console and to BENCHMARKS.md alike.

A `Table` is a list of columns, each a heading and how to write one row's cell; `text()`
aligns the cells for a terminal and `markdown()` writes the same cells as a Markdown table,
so a column is defined once for both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.common import fmt

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    head: str
    cell: Callable[[Row], str]


def col(head: str, key: str, spec: str = "", missing: str = "—", unit: str = "") -> Column:
    """A column showing `row[key]` formatted with `spec` and followed by `unit` (`missing`
    for None or NaN)."""

    def cell(r: Row) -> str:
        text = fmt(r.get(key), spec, missing)
        return text if text == missing else text + unit

    return Column(head, cell)


def pair(head: str, a: str, b: str, spec: str, sep: str = " / ") -> Column:
    """A column showing two figures of a row, e.g. median / p99."""
    return Column(head, lambda r: fmt(r.get(a), spec) + sep + fmt(r.get(b), spec))


@dataclass(frozen=True)
class Table:
    columns: Sequence[Column]

    def cells(self, rows: Sequence[Row]) -> list[list[str]]:
        return [[c.cell(r) for c in self.columns] for r in rows]

    def markdown(self, rows: Sequence[Row]) -> str:
        return markdown_table([c.head for c in self.columns], self.cells(rows))

    def text(self, rows: Sequence[Row]) -> str:
        head = [c.head for c in self.columns]
        cells = self.cells(rows)
        widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(head)]

        def line(values: Sequence[str]) -> str:
            first = values[0].ljust(widths[0])
            rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))
            return "  ".join((first, *rest)).rstrip()

        return "\n".join(
            [line(head), "-" * (sum(widths) + 2 * len(widths) - 2)] + [line(r) for r in cells]
        )


def by_keys(rows: Sequence[Row]) -> Table:
    """A table of every key the rows have, in order of appearance (for rows without a table
    of their own, e.g. the browser's)."""
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    return Table([Column(k, lambda r, k=k: _cell(r.get(k))) for k in keys])


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value[:6])
    return str(value).replace("|", "\\|")


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
