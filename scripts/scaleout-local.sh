#!/usr/bin/env bash
# Several Backprop Lab processes behind Debian's nginx on this machine, without Docker:
#   scripts/scaleout-local.sh [PROCESSES (default: number of cores)] [PORT (default 8080)]
# Processes listen on 127.0.0.1:8001.. and share ./checkpoints (BPL_CHECKPOINT_DIR); nginx runs
# deploy/nginx.conf rendered for them (deploy/render_nginx.py), in the foreground, with its
# pid, logs and temp files in a temporary folder. Ctrl-C stops everything.
# Needs: `make run` done once (the .venv), and `apt-get install nginx`.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-$(nproc)}
PORT=${2:-8080}
BASE=${BPL_BASE_PORT:-8001}
PY=${PYTHON:-.venv/bin/python}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is missing: sudo apt-get install -y nginx" >&2; exit 1; }
[ -x "$PY" ] || { echo "no $PY: run 'make run' once (or set PYTHON)" >&2; exit 1; }

export BPL_CHECKPOINT_DIR=${BPL_CHECKPOINT_DIR:-$PWD/checkpoints}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PREFIX=$(mktemp -d /tmp/bpl-nginx-XXXXXX)
chmod 755 "$PREFIX"  # nginx workers (www-data when started as root) use its temp folders
mkdir -p "$PREFIX/tmp" "$BPL_CHECKPOINT_DIR"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$PREFIX"
}
trap cleanup EXIT INT TERM

servers=()
for i in $(seq 0 $((N - 1))); do
  port=$((BASE + i))
  "$PY" -m app --host 127.0.0.1 --port "$port" >"$PREFIX/app-$port.log" 2>&1 &
  pids+=("$!")
  servers+=(--server "127.0.0.1:$port")
done
for i in $(seq 0 $((N - 1))); do
  port=$((BASE + i))
  for _ in $(seq 100); do
    "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" \
      2>/dev/null && break
    sleep 0.2
  done
done

"$PY" deploy/render_nginx.py --listen "$PORT" "${servers[@]}" --prefix "$PREFIX" \
  -o "$PREFIX/nginx.conf"
"$NGINX" -t -q -p "$PREFIX" -e stderr -c "$PREFIX/nginx.conf"
echo "Backprop Lab: http://$(hostname -f 2>/dev/null || hostname):$PORT/  ($N processes," \
  "checkpoints in $BPL_CHECKPOINT_DIR, logs in $PREFIX)"
"$NGINX" -p "$PREFIX" -e stderr -c "$PREFIX/nginx.conf" -g 'daemon off;' &
pids+=("$!")
wait "${pids[-1]}"
