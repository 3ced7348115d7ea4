"""The generator stands alone: NumPy, the standard library and app.engine's top level only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ("fastapi", "starlette", "pydantic", "jinja2", "orjson", "uvicorn", "httpx", "torch")


def test_importing_takehome_loads_no_web_module_nor_torch() -> None:
    code = (
        "import sys\n"
        "from app.engine import Trainer, TrainConfig\n"
        "from app.takehome import export_script\n"
        "t = Trainer(TrainConfig())\n"
        "export_script(t.capture(), t.data, 'torch', 3)\n"
        f"print(','.join(m for m in {WEB!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"a fresh interpreter imports app.takehome: {done.stderr}"
    assert done.stdout.strip() == "", f"modules loaded by app.takehome: {done.stdout}"


def test_takehome_imports_only_the_engines_top_level() -> None:
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for path in sorted((ROOT / "app" / "takehome").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                ok = name.split(".")[0] in allowed or name == "app.engine"
                assert ok or name.startswith("app.takehome"), f"{path.name} imports {name}"
