"""The small project the CLI tests run on (tests/test_cli*.py): a route that blocks, a clean
module, and a configuration that selects FF1 — these tests are about the command line."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROUTE = textwrap.dedent(
    """\
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    async def index():
        time.sleep(1)
        return {"ok": True}
    """
)
CLEAN = "import os\n\nprint(os.sep)\n"
CONFIG = '[tool.fastapi-fix]\nselect = ["FF1"]\n'


def make_project(root: Path) -> Path:
    (root / "app.py").write_text(ROUTE)
    (root / "clean.py").write_text(CLEAN)
    (root / "pyproject.toml").write_text(CONFIG)
    return root
