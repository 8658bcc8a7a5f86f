"""FF501's fix keeps what clients see: same status, body and headers, before and after."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fastapi_fixer.apply.writer import write_fixes
from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.settings import Settings

PROJECT = Path(__file__).resolve().parent / "fixtures" / "FF501" / "project"
REQUESTS = [
    ("get", "/items/1"),
    ("get", "/items/999"),
    ("post", "/items/1?name=Saw"),
    ("post", "/items/2?name=Saw"),
    ("delete", "/items/999"),
    ("get", "/items/users/ada"),
    ("get", "/items/users/bob"),
]


def _responses(root: Path) -> list[tuple[int, object, str | None]]:
    for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        from app.main import app  # type: ignore[import-not-found]

        client = TestClient(app)
        found = []
        for method, url in REQUESTS:
            response = getattr(client, method)(url, headers={"x-token": "secret-token"})
            found.append((response.status_code, response.json(), response.headers.get("x-item")))
        return found
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_fix_keeps_status_body_and_headers(project: Path) -> None:
    before = _responses(project)
    assert before[1] == (404, {"detail": "Item not found"}, None)
    assert before[2] == (409, {"detail": {"message": "Item exists", "id": 1}}, "1")
    assert before[4] == (404, {"detail": "Not Found"}, None)

    settings = Settings(select=("FF501",), unsafe_fixes=True)
    result = Engine(settings, Mode(fix=True, jobs=1)).run([str(project)])
    assert not result.dropped and not result.errors
    assert result.applied.get("FF501") == 3
    written = write_fixes(result)
    assert str(project / "app" / "exceptions.py") in written
    assert "HTTPException" not in (project / "app" / "services" / "items.py").read_text()

    assert _responses(project) == before
