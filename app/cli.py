"""The ``backprop-lab`` console command: serve the app with the settings it needs."""

from __future__ import annotations

import argparse
import threading
import webbrowser

from app.limits import read_limits


def _transport_max_size() -> int:
    """uvicorn's frame-size cap: twice the app's message limit (BPL_MAX_MESSAGE_BYTES).

    The app itself refuses anything over the limit with a `too_large` error and close 1009;
    the transport cap, above it, only bounds memory (its default, 16 MiB, is far too much).
    """
    return 2 * read_limits().max_message_bytes


# Settings the server must always run with: permessage-deflate costs 5-100x the encode time
# for 1.2-2x smaller float data (and ~50 KiB per connection); incoming frames are capped.
UVICORN_OPTIONS: dict[str, object] = {
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "ws_max_size": _transport_max_size(),
    "timeout_graceful_shutdown": 5,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-lab", description="Watch a neural network learn."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    import uvicorn  # imported late so `--help` is instant

    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown_host}:{args.port}/"
    print(f"Backprop Lab: {url}", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run("app.main:app", host=args.host, port=args.port, **UVICORN_OPTIONS)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
