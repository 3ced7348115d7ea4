"""BENCHMARKS.md from the results of `bench.run`: the machine, every target met or not, tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.anchor import QUOTED
from bench.common import ROOT, fmt
from bench.compare import RESULT as COMPARE
from bench.compare import section as compare_section

NOTES = ROOT / "bench" / "closing-notes.md"

SMALL_NETS = ("2-8-8-2", "2-16-16-16-2", "64-32-10")


# -- targets ----------------------------------------------------------------------------------


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


def _rows(results: dict[str, Any], name: str) -> list[dict[str, Any]]:
    section = results.get("sections", {}).get(name) or {}
    return list(section.get("rows") or [])


def _why_absent(results: dict[str, Any], name: str) -> str:
    section = results.get("sections", {}).get(name) or {}
    return str(section.get("error") or section.get("not_measured") or "not run")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of issue 7 with its measured figure and verdict."""
    out: list[dict[str, Any]] = []

    def add(area: str, target: str, measured: str, ok: bool | None) -> None:
        out.append({"area": area, "target": target, "measured": measured, "ok": ok})

    engine = _rows(results, "engine")
    for prefix in SMALL_NETS:
        row = next((r for r in engine if r["net"].startswith(prefix + " ")), None)
        if row is None:
            add(
                "1 engine",
                f"{prefix}: record keeping ≤ 2× bare",
                _why_absent(results, "engine"),
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

    protocol = _rows(results, "protocol")
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
        why = _why_absent(results, "protocol")
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
        else _why_absent(results, "protocol"),
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
        add("3 protocol", "frame staleness ≤ one frame", _why_absent(results, "protocol"), None)

    history = _rows(results, "history")
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
        add("4 history", "≥ 10,000 steps restorable", _why_absent(results, "history"), None)

    for target in browser_targets(results):
        out.append(target)

    load = _rows(results, "load")
    from bench.load import best

    answer = best(load) if load else None
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
            "no level passed" if load else _why_absent(results, "load"),
            False if load else None,
        )

    page = _browser_row(results, digits=False)
    page_rate = _first(page, ("steps_per_s",)) if page else None
    fps = _browser_fps(results, digits=False)
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


def _browser_row(results: dict[str, Any], digits: bool) -> dict[str, Any] | None:
    for row in _rows(results, "browser"):
        name = str(row.get("net") or row.get("name") or "")
        if row.get("fps") is not None and ("digits" in name) == digits:
            return row
    return None


def _browser_fps(results: dict[str, Any], digits: bool) -> float | None:
    for row in _rows(results, "browser"):
        fps = _first(row, ("fps", "fps_median", "frames_per_s", "fps_mean"))
        name = str(row.get("net") or row.get("name") or row.get("what") or "")
        if fps is not None and (("digits" in name) == digits):
            return float(fps)
    return None


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def browser_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = _rows(results, "browser")
    why = _why_absent(results, "browser")
    out = []
    for digits, label, limit in ((False, "default net", 55), (True, "digits net", 30)):
        fps = _browser_fps(results, digits)
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
        latency = _first(row, ("click_to_drawn_ms", "click_to_draw_ms", "latency_ms", "click_ms"))
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


# -- markdown ---------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _section_meta(results: dict[str, Any], name: str) -> str:
    section = results.get("sections", {}).get(name) or {}
    bits = []
    if section.get("date") and section.get("date") != results.get("environment", {}).get("date"):
        bits.append(f"measured {section['date']}")
    if section.get("seconds") is not None:
        bits.append(f"took {section['seconds']:.0f} s")
    if section.get("quick"):
        bits.append("quick mode")
    return f"_({', '.join(bits)})_\n\n" if bits else ""


def _absent(results: dict[str, Any], name: str) -> str:
    return f"Not measured: {_why_absent(results, name)}.\n"


def markdown(results: dict[str, Any]) -> str:
    env = results.get("environment", {})
    versions = env.get("versions", {})
    blas = env.get("blas", {})
    quick = results.get("quick")
    parts: list[str] = []
    parts.append("# Benchmarks\n")
    parts.append(
        "Generated by `make bench` (`python -m bench.run`; `--quick` for a short smoke run, "
        "`--only engine,protocol,...` for some sections). Do not edit by hand: the prose that "
        "explains the figures lives in `bench/closing-notes.md` and "
        "[docs/perf-notes.md](docs/perf-notes.md). The machines are shared and noisy: every "
        "figure is a median (or a stated percentile) and comparisons are ratios measured in "
        "the same run. Raw figures: `bench/results.json`.\n"
    )
    if quick:
        parts.append("> **Quick run**: short durations and few repeats; smoke figures only.\n")
    parts.append("## Machine\n")
    env_rows = [
        ["date", str(env.get("date"))],
        ["CPU", f"{env.get('cpu')} — {env.get('cores')} cores, {env.get('ram_gib')} GiB RAM"],
        ["OS", str(env.get("os"))],
        ["Python", str(env.get("python"))],
        ["numpy / fastapi / starlette", f"{versions.get('numpy')} / {versions.get('fastapi')} / {versions.get('starlette')}"],
        ["uvicorn / websockets / orjson", f"{versions.get('uvicorn')} / {versions.get('websockets')} / {versions.get('orjson')}"],
        ["Chromium", str(env.get("chromium"))],
        ["PyTorch (separate venv, `TORCH_PYTHON`)", str(env.get("torch"))],
        ["BLAS", f"{blas.get('library')}, threads: {blas.get('threads') or blas.get('env')}"],
        ["placement", "server: one uvicorn process (the CLI's options) pinned to core 0; "
         "clients on the other core; the benchmark's scheduler autogroup at nice −10 "
         "(a shared machine: see docs/perf-notes.md)"],
    ]  # fmt: skip
    load_avg = results.get("load_average")
    if load_avg:
        env_rows.append(["load average at start / end", f"{load_avg[0]} / {load_avg[1]}"])
    parts.append(_table(["", ""], env_rows) + "\n")

    parts.append("## Targets\n")
    rows = [[t["area"], t["target"], t["measured"], _verdict(t["ok"])] for t in targets(results)]
    parts.append(_table(["area", "target", "measured", "verdict"], rows) + "\n")
    parts.append(
        "Targets not met are explained, with profiles, in "
        "[Where the time goes](#where-the-time-goes) below.\n"
    )

    parts.append(_engine(results))
    parts.append(_serialization(results))
    parts.append(_protocol(results))
    parts.append(_history(results))
    parts.append(_browser(results))
    parts.append(_capacity(results))
    parts.append(_anchor(results))
    if COMPARE.exists():
        parts.append(compare_section(json.loads(COMPARE.read_text())))
    parts.append(_profiles(results))
    return "\n".join(parts).rstrip() + "\n"


def _engine(results: dict[str, Any]) -> str:
    s = ["## 1. Engine\n\n", _section_meta(results, "engine")]
    rows = _rows(results, "engine")
    if not rows:
        return "".join(s) + _absent(results, "engine")
    s.append(
        "`Trainer.train_step()` with the full record (bench/engine_bench.py), µs per iteration, "
        "median of repeated runs, one BLAS thread. *bare*: a hand-written NumPy forward/backward/"
        "SGD step of the same net keeping every intermediate. *+layers*: the same step with every "
        "per-layer record built (what the server pays when it sends an `iteration`). *floor*: one "
        "tiny NumPy call. *torch*: PyTorch eager, CPU, float64, one thread.\n\n"
    )
    table = []
    for r in rows:
        table.append(
            [
                r["net"],
                f"{r['iterations_per_s']:,.0f}",
                f"{r['engine_us']:.1f}",
                f"{r['engine_layers_us']:.1f}",
                f"{r['bare_us']:.1f}",
                f"{r['ratio']:.2f}×",
                f"{r['ratio_layers']:.2f}×",
                f"{r['floor_us']:.2f}",
                f"{r['engine_in_floor_calls']:.0f}",
                "absent" if r.get("torch_us") is None else f"{r['torch_us']:.1f}",
                "absent"
                if r.get("torch_over_engine") is None
                else f"{r['torch_over_engine']:.1f}×",
                "absent" if r.get("torch_us") is None else f"{r['torch_us'] / r['bare_us']:.1f}×",
            ]
        )
    s.append(
        _table(
            [
                "network",
                "it/s",
                "engine µs",
                "+layers µs",
                "bare µs",
                "engine/bare",
                "+layers/bare",
                "floor µs",
                "engine in floor calls",
                "torch µs",
                "torch/engine",
                "torch/bare (the ceiling)",
            ],
            table,
        )
        + "\n"
    )
    return "".join(s)


def _serialization(results: dict[str, Any]) -> str:
    s = ["## 2. Serialization\n\n", _section_meta(results, "serialization")]
    rows = _rows(results, "serialization")
    if not rows:
        return "".join(s) + _absent(results, "serialization")
    s.append(
        "In process: `app.session.Session` + `app.protocol.dumps` (orjson). *handle*: the "
        "server's whole work for one `step` except encoding and the socket (engine step, "
        "whole-set metrics, message dict); *build*: the message dict alone; *encode*: `dumps`. "
        "`iteration` per-sample tensors are capped at 64 rows (`truncated`).\n\n"
    )
    table = [
        [
            r["net"],
            f"`{r['message']}`",
            f"{r['bytes']:,}",
            "—" if r["handle_us"] is None else f"{r['handle_us']:.0f}",
            f"{r['build_us']:.0f}",
            f"{r['encode_us']:.0f}",
            f"{r['bytes'] / max(r['encode_us'], 1e-9):.0f}",
        ]
        for r in rows
    ]
    s.append(
        _table(
            ["network", "message", "bytes", "handle µs", "build µs", "encode µs", "MB/s encoded"],
            table,
        )
        + "\n"
    )
    notes = {r["net"]: r["note"] for r in rows if r.get("note")}
    for net, note in notes.items():
        s.append(f"\n{net}: {note}.\n")
    return "".join(s)


def _protocol(results: dict[str, Any]) -> str:
    s = ["## 3. Protocol (loopback, real uvicorn)\n\n", _section_meta(results, "protocol")]
    rows = _rows(results, "protocol")
    if not rows:
        return "".join(s) + _absent(results, "protocol")
    s.append(
        "Step round trip: `step` (by iteration) → `iteration`, one socket, back to back. "
        "*ping*: `ping` → `pong` on the same socket (the transport + validation floor).\n\n"
    )
    rt = [
        [
            r["net"],
            f"{r['trips']:,}",
            f"{r['median_ms']:.3f}",
            f"{r['p99_ms']:.2f}",
            f"{r['max_ms']:.1f}",
            f"{r['bytes']:,}",
            f"{r['ping_median_ms']:.3f}",
            f"{r['ping_p99_ms']:.2f}",
        ]
        for r in rows
        if r["kind"] == "round_trip"
    ]
    s.append(
        _table(
            [
                "network",
                "trips",
                "median ms",
                "p99 ms",
                "max ms",
                "bytes",
                "ping median ms",
                "ping p99 ms",
            ],
            rt,
        )
        + "\n\n"
    )
    s.append(
        "Play: `play` at full speed; the client either acks each `frame` at once or spends "
        "100 ms on it first. *it/s* from the frames' `step` over the run; *ack→frame*: from the "
        "client's `ack` to the next frame's arrival (an upper bound on a frame's age when it "
        "arrives); *steps behind*: a `sync` sent on a frame's arrival reports how far the "
        "server already was (an upper bound: it includes the sync's round trip), also in ms at "
        "the training rate.\n\n"
    )
    play = []
    for r in rows:
        if r["kind"] != "play":
            continue
        play.append(
            [
                r["net"],
                r["client"],
                f"{r['iterations_per_s']:,.0f}",
                f"{r['server_reported_per_s']:,.0f}",
                f"{r['frames_per_s']:.1f}",
                f"{r['ack_to_frame_median_ms']:.1f} / {r['ack_to_frame_p99_ms']:.1f}",
                fmt(r.get("steps_behind_median"), ".0f")
                + " / "
                + fmt(r.get("steps_behind_max"), ".0f"),
                fmt(r.get("ms_behind_median"), ".1f") + " / " + fmt(r.get("ms_behind_max"), ".1f"),
                fmt(r.get("epochs_per_s"), ".0f"),
            ]
        )
    s.append(
        _table(
            [
                "network",
                "client",
                "it/s",
                "server-reported it/s",
                "frames/s",
                "ack→frame ms (median / p99)",
                "steps behind (median / max)",
                "ms behind (median / max)",
                "epochs/s",
            ],
            play,
        )
        + "\n"
    )
    return "".join(s)


def _history(results: dict[str, Any]) -> str:
    s = ["## 4. History\n\n", _section_meta(results, "history")]
    rows = _rows(results, "history")
    if not rows:
        return "".join(s) + _absent(results, "history")
    s.append(
        "A checkpoint every 50 steps plus exact replay. *engine*: `History.seek`; *session*: "
        "`Session.back('iteration', 1)` / `Session.seek` with the `state` and `series` replies "
        "built (what a `back`/`seek` message costs the server before encoding). Back 1 step is "
        "timed from every distance to the previous checkpoint (0–49 steps of replay); the "
        "median and the worst are shown. *heap*: Python memory the session holds after the "
        "run (tracemalloc: checkpoints, per-step chart log, data).\n\n"
    )
    table = [
        [
            r["net"],
            f"{r['steps']:,}",
            f"{r['back1_engine_ms']:.2f} / {r['back1_engine_max_ms']:.2f}",
            f"{r['seek10k_engine_ms']:.2f} / {r['seek10k_engine_max_ms']:.2f}",
            f"{r['back1_session_ms']:.2f} / {r['back1_session_max_ms']:.2f}",
            f"{r['seek10k_session_ms']:.2f} / {r['seek10k_session_max_ms']:.2f}",
            f"{r['history_bytes'] / 1024:,.0f}",
            f"{r['session_heap_bytes'] / 2**20:.1f}",
            f"{r['heap_per_step_bytes']:.0f}",
            f"{r.get('gc_objects_per_step', float('nan')):.2f}",
            f"{r.get('gc_full_ms_per_session', float('nan')):.2f}",
        ]
        for r in rows
    ]
    s.append(
        _table(
            [
                "network",
                "steps kept",
                "engine back 1 ms (median / max)",
                "engine seek −10k ms (median / max)",
                "session back 1 ms (median / max)",
                "session seek −10k ms (median / max)",
                "checkpoints KiB (History.memory_bytes)",
                "session heap MiB",
                "heap bytes per step",
                "GC-tracked objects per step",
                "full GC ms added by this session",
            ],
            table,
        )
        + "\n"
    )
    return "".join(s)


def _browser(results: dict[str, Any]) -> str:
    s = ["## 5. Browser (headless Chromium)\n\n", _section_meta(results, "browser")]
    rows = _rows(results, "browser")
    if not rows:
        return "".join(s) + _absent(results, "browser")
    s.append("From bench/browser_bench.py.\n\n")
    keys: list[str] = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    table = [[_cell(r.get(k)) for k in keys] for r in rows]
    s.append(_table(keys, table) + "\n")
    return "".join(s)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value[:6])
    return str(value).replace("|", "\\|")


def _capacity(results: dict[str, Any]) -> str:
    s = ["## 6. Capacity (bench/load.py)\n\n", _section_meta(results, "load")]
    rows = _rows(results, "load")
    if not rows:
        return "".join(s) + _absent(results, "load")
    s.append(
        "N simulated learners, each stepping the default net at 10 Hz (`step` → `iteration`), "
        "against one uvicorn process pinned to one core; the client runs in one asyncio process "
        "on the other core. A level passes with p99 < 100 ms, every session at its 10 Hz and "
        "zero errors. The search doubles N from 100 with 10 s levels, bisects, then confirms "
        "the largest passing N for 60 s. *waited*: the share of time the server was runnable "
        "but waiting for a CPU (/proc schedstat: other jobs on a shared machine); *other CPU*: "
        "what the rest of the machine used meanwhile.\n\n"
    )
    table = [
        [
            r.get("phase", ""),
            str(r["sessions"]),
            f"{r['duration_s']:.0f}",
            "pass" if r["passed"] else "FAIL (noisy)" if r.get("noisy") else "FAIL",
            f"{r['steps_per_s']:,.0f}",
            f"{r['median_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            str(r["errors"]),
            f"{r['server_cpu_util'] * 100:.0f} %",
            f"{r['server_cpu_per_step_us']:.0f}" if r["server_cpu_per_step_us"] else "—",
            f"{r.get('server_runqueue_wait', 0) * 100:.0f} %",
            f"{r['client_cpu_util'] * 100:.0f} %",
            f"{r.get('other_cpu_util', 0) * 100:.0f} %",
            f"{r['rss_per_session_kib']:.0f} / {r['rss_per_session_end_kib']:.0f}",
            f"{r['healthz_median_ms']:.1f} / {r['healthz_p99_ms']:.1f}",
        ]
        for r in rows
    ]
    s.append(
        _table(
            [
                "phase",
                "N",
                "s",
                "verdict",
                "steps/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "server CPU",
                "server CPU µs/step",
                "waited",
                "client CPU",
                "other CPU",
                "RSS KiB/session (start / end)",
                "/healthz ms (median / p99)",
            ],
            table,
        )
        + "\n"
    )
    aged = [r for r in rows if r.get("prefill_steps")]
    if aged:
        s.append(
            "\nAged sessions: the same 10 Hz load on sessions that first stepped 10,000 times "
            "each (1,000 per `step` message, all sessions at once), i.e. a full history and "
            "chart log, as after ~17 minutes of a class. *during the fill*: /healthz every "
            "50 ms while those long `step` commands ran.\n\n"
        )
        s.append(
            _table(
                [
                    "N",
                    "steps each",
                    "fill s",
                    "/healthz during the fill ms (p99 / max)",
                    "answers > 50 ms",
                    "then p50 / p99 ms at 10 Hz",
                    "RSS KiB/session",
                ],
                [
                    [
                        str(r["sessions"]),
                        f"{r['prefill_steps']:,}",
                        f"{r['prefill_s']:.0f}",
                        f"{fmt(r.get('prefill_healthz_p99_ms'), '.0f')} / "
                        f"{fmt(r.get('prefill_healthz_max_ms'), '.0f')}",
                        str(r.get("prefill_healthz_over_50ms")),
                        f"{r['median_ms']:.1f} / {r['p99_ms']:.1f}",
                        f"{r['rss_per_session_end_kib']:,.0f}",
                    ]
                    for r in aged
                ],
            )
            + "\n"
        )
    playing = _rows(results, "playing")
    if playing:
        s.append(
            "\nOthers' latency while sessions play flat out (each client acks every frame at "
            "once): /healthz (a new HTTP connection each time) and `ping` on an idle socket.\n\n"
        )
        s.append(
            _table(
                [
                    "sessions playing",
                    "steps/s (total / per session)",
                    "server CPU",
                    "/healthz ms (median / p99 / max)",
                    "ping ms (median / p99)",
                    "errors",
                ],
                [
                    [
                        str(r["playing_sessions"]),
                        f"{r['steps_per_s_total']:,.0f} / {r['steps_per_s_per_session']:,.0f}",
                        f"{r['server_cpu_util'] * 100:.0f} %",
                        f"{r['healthz_median_ms']:.1f} / {r['healthz_p99_ms']:.1f} / "
                        f"{r['healthz_max_ms']:.1f}",
                        f"{r['ping_median_ms']:.1f} / {r['ping_p99_ms']:.1f}",
                        str(r["errors"]),
                    ]
                    for r in playing
                ],
            )
            + "\n"
        )
    from bench.load import best

    answer = best(rows)
    if answer:
        s.append(
            f"\nLargest passing N: **{answer['sessions']} sessions on one core** "
            f"({answer['sessions'] * 10} steps/s); server CPU "
            f"{answer['server_cpu_per_step_us']:.0f} µs per step; memory "
            f"{answer['rss_per_session_kib']:.0f} KiB per session at connect, "
            f"{answer['rss_per_session_end_kib']:.0f} KiB after {answer['duration_s']:.0f} s "
            f"({answer['duration_s'] * 10:.0f} steps of history each).\n"
        )
    return "".join(s)


def _anchor(results: dict[str, Any]) -> str:
    s = ["## 7. The anchor: TensorFlow Playground side by side\n\n"]
    s.append(
        "TF Playground's figures are **quoted from issue 7, not measured here**; ours are from "
        "this run.\n\n"
    )
    anchor = _rows(results, "anchor")
    per_update = anchor[0]["ours_us"] if anchor else None
    protocol = _rows(results, "protocol")
    play_default = next(
        (r for r in protocol if r["kind"] == "play" and "default" in r["net"]), None
    )
    play_small = next(
        (r for r in protocol if r["kind"] == "play" and r["net"].startswith("2-8-8-2")
         and r["client"] == "acks at once"),
        None,
    )  # fmt: skip
    six = next((r for r in protocol if r["kind"] == "play" and "6×8" in r["net"]), None)
    engine = _rows(results, "engine")
    digits = next((r for r in engine if r["net"].startswith("64-32-10")), None)
    fps = _browser_fps(results, digits=False)
    page = _browser_row(results, digits=False)
    rows = [
        [
            "time per update, default net 2-[4,2]-2 b10",
            QUOTED["per_update_us"],
            f"{per_update:.1f} µs (NumPy engine, full record)" if per_update else "—",
        ],
        [
            "updates/s while drawing",
            QUOTED["updates_per_s_drawing"],
            (
                f"{page['steps_per_s']:,.0f}/s while the page draws {fps:.0f} fps "
                "(default net, headless Chromium); "
                if page and page.get("steps_per_s") is not None and fps is not None
                else "page not measured; "
            )
            + (f"{play_default['iterations_per_s']:,.0f}/s default net, " if play_default else "")
            + (f"{play_small['iterations_per_s']:,.0f}/s 2-8-8-2" if play_small else "")
            + " (protocol client acking at once)",
        ],
        [
            "largest net (6×8), epochs/s",
            QUOTED["six_by_eight_epochs_per_s"],
            f"{six['epochs_per_s']:.0f} epochs/s ({six['iterations_per_s']:,.0f} updates/s, "
            f"{six['steps_per_epoch']} updates per epoch)"
            if six
            else "—",
        ],
        [
            "heatmap cost per frame",
            QUOTED["heatmap_share"],
            (
                f"render pass p50 {page['render_ms_p50']:.1f} ms, p95 "
                f"{page['render_ms_p95']:.1f} ms per frame (default net, everything drawn, "
                "heatmaps computed in the page from the streamed weights)"
            )
            if page and page.get("render_ms_p50") is not None
            else "see the browser section",
        ],
        [
            "digits-size net per update (64-32-10 b64)",
            "no digits task",
            f"{digits['engine_us']:.0f} µs ({digits['iterations_per_s']:,.0f}/s)"
            if digits
            else "—",
        ],
    ]
    s.append(_table(["", "TF Playground (quoted)", "Backprop Lab (measured)"], rows) + "\n")
    return "".join(s)


def _profiles(results: dict[str, Any]) -> str:
    s = ["## Where the time goes\n\n"]
    if NOTES.exists():
        s.append(NOTES.read_text().strip() + "\n\n")
    profiles = _rows(results, "profile")
    for p in profiles:
        s.append(f"### Profile: {p['title']}\n\n{p.get('how', '')}\n\n")
        for label, key in (("self time", "self"), ("inclusive time", "inclusive")):
            items = p.get(key) or []
            if items:
                s.append(
                    _table(
                        [f"function ({label})", "share"],
                        [[f"`{name}`", f"{share * 100:.1f} %"] for name, share in items],
                    )
                    + "\n\n"
                )
    if not profiles:
        s.append("No profiles in this run (`--only` without `profile`, or py-spy missing).\n")
    return "".join(s)


def write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results))
