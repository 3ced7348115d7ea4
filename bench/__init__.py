"""Backprop Lab's benchmarks: `python -m bench.run` prints the tables and writes BENCHMARKS.md."""
