#!/usr/bin/env bash
# `make test`: build or update the environment, install what the tests need, run every check.
# Any failing part fails the whole run (set -e; pytest's "no tests collected" exit 5 included).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv
OUT=test-output
mkdir -p "$OUT"
t0=$(date +%s)
step() { printf '\n==> %s  (+%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }

step "Python environment ($PYTHON)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'

step "Debian packages"
bash scripts/system-deps.sh

step "Front-end tools (npm ci)"
npm ci --silent --no-audit --no-fund

step "Lint and types"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"
npx --no-install eslint static/js tests/js

step "JavaScript unit tests"
node --test tests/js/

step "Python tests: engine, server, WebSocket, Docker"
"$VENV/bin/python" -m pytest tests --ignore=tests/e2e -p no:cacheprovider --junitxml="$OUT/pytest.xml"

# Playwright's sync API keeps an event loop alive for the rest of a process (a later asyncio.run() fails), so the
# browser tests get their own pytest process.
step "Browser tests (headless Chromium)"
"$VENV/bin/python" -m pytest tests/e2e -p no:cacheprovider --junitxml="$OUT/pytest-e2e.xml"

step "All checks passed in $(( $(date +%s) - t0 )) s"
