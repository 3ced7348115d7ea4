"""Render deploy/nginx.conf for processes on this machine: new ports, paths in a prefix folder.

Only the lines marked `# RENDER:` in deploy/nginx.conf change; everything else (routing key,
hashing, timeouts, headers) is served exactly as committed. Each marker must be found exactly
once, so a config edited out of shape fails loudly instead of being half rendered.

    python deploy/render_nginx.py --listen 127.0.0.1:8080 \\
        --server 127.0.0.1:8001 --server 127.0.0.1:8002 --prefix /tmp/bpl-nginx > nginx.conf
    nginx -p /tmp/bpl-nginx -e stderr -c "$PWD/nginx.conf" -g 'daemon off;'

Used by tests/scaleout and scripts/scaleout-local.sh.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

CONF = Path(__file__).resolve().parent / "nginx.conf"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
_SERVER_LINE = re.compile(r"^(\s*server\s+)(\S+)(.*;\s*)$")


def _replace_marked(lines: list[str], marker: str, new: list[str]) -> list[str]:
    hits = [i for i, line in enumerate(lines) if line.rstrip().endswith(f"# RENDER: {marker}")]
    if len(hits) != 1:
        raise ValueError(f"nginx.conf: expected one line marked 'RENDER: {marker}', got {hits}")
    i = hits[0]
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    return lines[:i] + [indent + n for n in new] + lines[i + 1 :]


def render(
    listen: str, servers: list[str], prefix: Path, text: str | None = None, log_level: str = "info"
) -> str:
    """The committed config with `listen`, the upstream `servers` and all paths under `prefix`."""
    if not servers:
        raise ValueError("at least one upstream server is needed")
    lines = (CONF.read_text() if text is None else text).splitlines()
    prefix = prefix.resolve()

    # The upstream servers: same parameters as the committed lines, other addresses.
    begin = [i for i, line in enumerate(lines) if line.strip().startswith("# BEGIN app servers")]
    end = [i for i, line in enumerate(lines) if line.strip() == "# END app servers"]
    if len(begin) != 1 or len(end) != 1 or end[0] <= begin[0] + 1:
        raise ValueError("nginx.conf: expected one '# BEGIN app servers' … '# END app servers'")
    committed = [_SERVER_LINE.match(line) for line in lines[begin[0] + 1 : end[0]]]
    if not committed or not all(committed):
        raise ValueError("nginx.conf: only `server host:port …;` lines between BEGIN and END")
    first = committed[0]
    assert first is not None
    upstream = [f"{first.group(1)}{address}{first.group(3).rstrip()}" for address in servers]
    lines = lines[: begin[0] + 1] + upstream + lines[end[0] :]

    lines = _replace_marked(lines, "pid", [f"pid {prefix}/nginx.pid;"])
    lines = _replace_marked(lines, "error_log", [f"error_log {prefix}/error.log {log_level};"])
    lines = _replace_marked(lines, "access_log", [f"access_log {prefix}/access.log bpl;"])
    lines = _replace_marked(lines, "listen", [f"listen {listen};"])
    temp = [f"{name}_temp_path {prefix}/tmp/{name};" for name in TEMP_DIRS]
    lines = _replace_marked(lines, "temp paths", temp)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True, help="e.g. 127.0.0.1:8080 or 8080")
    parser.add_argument("--server", action="append", required=True, help="host:port, repeat")
    parser.add_argument("--prefix", type=Path, required=True, help="folder for pid, logs, temp")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    text = render(args.listen, args.server, args.prefix)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
