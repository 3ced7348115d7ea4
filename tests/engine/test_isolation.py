"""The engine stands alone: NumPy and the standard library only, no web framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ("fastapi", "starlette", "pydantic", "jinja2", "orjson", "uvicorn", "httpx")


def test_importing_the_engine_loads_no_web_module() -> None:
    code = (
        "import sys, app.engine\n"
        "from app.engine import Trainer, TrainConfig\n"
        "Trainer(TrainConfig()).train_step()\n"
        f"print(','.join(m for m in {WEB!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"a fresh interpreter imports app.engine: {done.stderr}"
    assert done.stdout.strip() == "", f"web modules loaded by the engine: {done.stdout}"


def test_engine_sources_import_only_numpy_and_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"numpy", "app"}
    for path in sorted((ROOT / "app" / "engine").rglob("*.py")):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from"):
                top = words[1].split(".")[0]
                assert top in allowed or top == "__future__", f"{path.name}: {line.strip()}"
                if top == "app":
                    assert words[1].startswith("app.engine"), f"{path.name}: {line.strip()}"
