"""Every target of issue 7 with its measured figure and verdict, from the results of bench.run."""

from __future__ import annotations

from typing import Any

from bench import capacity
from bench.common import fmt
from bench.tables import Column, Table, col

SMALL_NETS = ("2-8-8-2", "2-16-16-16-2", "64-32-10")


def rows_of(results: dict[str, Any], name: str) -> list[dict[str, Any]]:
    section = results.get("sections", {}).get(name) or {}
    return list(section.get("rows") or [])


def why_absent(results: dict[str, Any], name: str) -> str:
    section = results.get("sections", {}).get(name) or {}
    return str(section.get("error") or section.get("not_measured") or "not run")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of issue 7 with its measured figure and verdict."""
    out: list[dict[str, Any]] = []

    def add(area: str, target: str, measured: str, ok: bool | None) -> None:
        out.append({"area": area, "target": target, "measured": measured, "ok": ok})

    engine = rows_of(results, "engine")
    for prefix in SMALL_NETS:
        row = next((r for r in engine if r["net"].startswith(prefix + " ")), None)
        if row is None:
            add(
                "1 engine",
                f"{prefix}: record keeping ≤ 2× bare",
                why_absent(results, "engine"),
                None,
            )
            add("1 engine", f"{prefix}: ≥ 4× faster than PyTorch eager", "—", None)
            continue
        add(
            "1 engine",
            f"{prefix}: record keeping ≤ 2× bare forward/backward",
            f"{row['ratio']:.2f}× ({row['engine_us']:.0f} vs {row['bare_us']:.0f} µs); "
            f"{row['ratio_layers']:.2f}× with every layer record built",
            row["ratio"] <= 2.0,
        )
        speedup = row.get("torch_over_engine")
        add(
            "1 engine",
            f"{prefix}: ≥ 4× faster than PyTorch eager (CPU, 1 thread)",
            "absent (no TORCH_PYTHON)"
            if speedup is None
            else f"{speedup:.1f}× ({row['torch_us']:.0f} vs {row['engine_us']:.0f} µs)",
            None if speedup is None else speedup >= 4.0,
        )

    protocol = rows_of(results, "protocol")
    rt = next((r for r in protocol if r["kind"] == "round_trip" and "default" in r["net"]), None)
    if rt:
        add(
            "3 protocol",
            "step round trip, default net: median ≤ 1 ms",
            f"{rt['median_ms']:.3f} ms over {rt['trips']} trips",
            rt["median_ms"] <= 1.0,
        )
        add(
            "3 protocol",
            "step round trip, default net: p99 ≤ 5 ms",
            f"{rt['p99_ms']:.2f} ms",
            rt["p99_ms"] <= 5.0,
        )
    else:
        why = why_absent(results, "protocol")
        add("3 protocol", "step round trip median ≤ 1 ms, p99 ≤ 5 ms", why, None)
    fast = next(
        (r for r in protocol if r["kind"] == "play" and r["net"].startswith("2-8-8-2")
         and r["client"] == "acks at once"),
        None,
    )  # fmt: skip
    add(
        "3 protocol",
        "play, 2-8-8-2, client acking every frame: ≥ 5,000 iterations/s",
        f"{fast['iterations_per_s']:,.0f} /s ({fast['frames_per_s']:.0f} frames/s)"
        if fast
        else why_absent(results, "protocol"),
        None if fast is None else fast["iterations_per_s"] >= 5000,
    )
    slow = next(
        (r for r in protocol if r["kind"] == "play" and r["client"] == "100 ms per frame"), None
    )
    if slow:
        p99 = max(slow["ack_to_frame_p99_ms"], slow.get("ms_behind_p99") or 0.0)
        add(
            "3 protocol",
            "frame staleness, client taking 100 ms per frame: ≤ one frame (100 ms), p99",
            f"frame age on arrival (ack→frame) median {slow['ack_to_frame_median_ms']:.1f} / "
            f"p99 {slow['ack_to_frame_p99_ms']:.1f} / max {slow['ack_to_frame_max_ms']:.1f} ms; "
            f"server ahead by {slow.get('steps_behind_median', 0):.0f} steps ≈ "
            f"{fmt(slow.get('ms_behind_median'), '.1f')} ms (p99 "
            f"{fmt(slow.get('ms_behind_p99'), '.1f')}, max {fmt(slow.get('ms_behind_max'), '.1f')}"
            f" ms) over {slow['frames']} frames; training at {slow['iterations_per_s']:,.0f} /s",
            p99 <= 100.0,
        )
    else:
        add("3 protocol", "frame staleness ≤ one frame", why_absent(results, "protocol"), None)

    history = rows_of(results, "history")
    history_quick = bool((results.get("sections", {}).get("history") or {}).get("quick"))
    for row in history:
        add(
            "4 history",
            f"{row['net']}: ≥ 10,000 steps restorable, memory bounded and stated",
            f"{row['steps']:,} steps kept; {row['history_bytes'] / 1024:,.0f} KiB of checkpoints; "
            f"back 1 step {row['back1_session_ms']:.1f} ms, seek −{row['seek_distance']:,} "
            f"{row['seek10k_session_ms']:.1f} ms (server side)",
            None if history_quick else row["steps"] >= 10_000,
        )
    if not history:
        add("4 history", "≥ 10,000 steps restorable", why_absent(results, "history"), None)

    for target in browser_targets(results):
        out.append(target)

    load = rows_of(results, "load")
    answer = capacity.best(load) if load else None
    if answer:
        quick = str(answer.get("phase")).startswith("quick")
        add(
            "6 capacity",
            "≥ 100 sessions per core at 10 Hz, p99 < 100 ms, zero errors",
            f"{answer['sessions']} sessions on one core, p99 {answer['p99_ms']:.1f} ms over "
            f"{answer['duration_s']:.0f} s"
            + (" (quick run: one level, not a search)" if quick else ""),
            None if quick else answer["sessions"] >= 100,
        )
    else:
        add(
            "6 capacity",
            "≥ 100 sessions per core at 10 Hz, p99 < 100 ms, zero errors",
            "no level passed" if load else why_absent(results, "load"),
            False if load else None,
        )

    page = browser_row(results, digits=False)
    page_rate = first(page, ("steps_per_s",)) if page else None
    fps = browser_fps(results, digits=False)
    if page_rate is not None and fps is not None:
        add(
            "7 anchor",
            "≥ 5,000 updates/s while the page draws ≥ 55 fps (default net)",
            f"{page_rate:,.0f} updates/s while the page drew {fps:.1f} fps (Chromium, playing)",
            page_rate >= 5000 and fps >= 55,
        )
    else:
        add(
            "7 anchor",
            "≥ 5,000 updates/s while the page draws ≥ 55 fps",
            (f"{fast['iterations_per_s']:,.0f} updates/s (protocol client); " if fast else "")
            + "page not measured",
            None,
        )
    return out


def browser_row(results: dict[str, Any], digits: bool) -> dict[str, Any] | None:
    for row in rows_of(results, "browser"):
        name = str(row.get("net") or row.get("name") or "")
        if row.get("fps") is not None and ("digits" in name) == digits:
            return row
    return None


def browser_fps(results: dict[str, Any], digits: bool) -> float | None:
    for row in rows_of(results, "browser"):
        fps = first(row, ("fps", "fps_median", "frames_per_s", "fps_mean"))
        name = str(row.get("net") or row.get("name") or row.get("what") or "")
        if fps is not None and (("digits" in name) == digits):
            return float(fps)
    return None


def first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def browser_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = rows_of(results, "browser")
    why = why_absent(results, "browser")
    out = []
    for digits, label, limit in ((False, "default net", 55), (True, "digits net", 30)):
        fps = browser_fps(results, digits)
        out.append(
            {
                "area": "5 browser",
                "target": f"{label}: ≥ {limit} fps while playing (headless Chromium, rAF, 10 s)",
                "measured": f"{fps:.1f} fps" if fps is not None else why,
                "ok": None if fps is None else fps >= limit,
            }
        )
    latency = None
    for row in rows:
        latency = first(row, ("click_to_drawn_ms", "click_to_draw_ms", "latency_ms", "click_ms"))
        if latency is not None:
            break
    out.append(
        {
            "area": "5 browser",
            "target": "step by iteration drawn ≤ 50 ms after the click",
            "measured": f"{latency:.1f} ms" if latency is not None else why,
            "ok": None if latency is None else latency <= 50,
        }
    )
    return out


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


TABLE = Table(
    [
        col("area", "area"),
        col("target", "target"),
        col("measured", "measured"),
        Column("verdict", lambda t: verdict(t["ok"])),
    ]
)
