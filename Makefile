# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench bench-quick bench-compare clean

## make run: create the environment, install the app, serve it at http://$(HOST):$(PORT)/
run:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt .
	$(VENV)/bin/backprop-lab --host $(HOST) --port $(PORT)

## make test: create/update the environment, install what the tests need, run every check
test:
	PYTHON=$(PYTHON) bash scripts/test.sh

## make bench: the benchmarks; writes BENCHMARKS.md
bench:
	$(VENV)/bin/python -m bench.run

bench-quick:
	$(VENV)/bin/python -m bench.run --quick

## make bench-compare: every step, round-trip and capacity figure against BASELINE, interleaved
BASELINE ?= b5d8997
bench-compare:
	$(VENV)/bin/python -m bench.compare --baseline $(BASELINE)

clean:
	rm -rf $(VENV) node_modules build dist *.egg-info test-output
