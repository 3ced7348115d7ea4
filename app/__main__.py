"""``python -m app`` is the same as ``backprop-lab``."""

from app.cli import main

main()
