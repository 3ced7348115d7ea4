"""Where the page's templates and static files live, installed or in a checkout."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _asset_dir(name: str) -> Path:
    # An installed wheel carries the folders inside the package; a checkout keeps them
    # at the repository root, beside app/.
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ folder of Backprop Lab")


STATIC_DIR = _asset_dir("static")
TEMPLATES_DIR = _asset_dir("templates")
