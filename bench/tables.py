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


def col(head: str, key: str, spec: str = "", missing: str = "—") -> Column:
    """A column showing `row[key]` formatted with `spec` (`missing` for None or NaN)."""
    return Column(head, lambda r: fmt(r.get(key), spec, missing))


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


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
