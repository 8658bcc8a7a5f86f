"""FF301's fix keeps the app's behaviour: FastAPI still serves every route the same way, the
OpenAPI document is unchanged, and the injected resource can now be overridden."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from tests.harness import FIXTURES, run, write_fixed

PROJECT = FIXTURES / "FF301" / "project"
REQUESTS = [
    ("GET", "/items"),
    ("GET", "/items?limit=1"),
    ("GET", "/items/count"),
    ("GET", "/users/me?token=abc"),
    ("GET", "/reports/aliased"),
    ("GET", "/reports/conflict?db=x"),
    ("GET", "/reports/dotted"),
    ("GET", "/health"),
]


@contextmanager
def imported_app(root: Path) -> Iterator[ModuleType]:
    """``app.main`` imported from ``root``, and forgotten afterwards."""

    def forget() -> None:
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]

    forget()
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("app.main")
    finally:
        sys.path.remove(str(root))
        forget()


@pytest.fixture
def projects(tmp_path: Path) -> tuple[Path, Path]:
    before = tmp_path / "before"
    after = tmp_path / "after"
    shutil.copytree(PROJECT, before, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT, after, ignore=shutil.ignore_patterns("__pycache__"))
    fixed = run(after, ["FF301"], fix=True)
    assert not fixed.dropped and not fixed.errors
    assert fixed.applied.get("FF301", 0) >= 5
    write_fixed(fixed)
    return before, after


def _responses(module: ModuleType) -> tuple[dict, list[tuple[int, object]]]:
    client = TestClient(module.app)
    answers = [(r.status_code, r.json()) for r in (client.request(m, url) for m, url in REQUESTS)]
    return module.app.openapi(), answers


def test_routes_and_openapi_unchanged(projects: tuple[Path, Path]) -> None:
    before, after = projects
    with imported_app(before) as module:
        sys.modules["app.db"].db.rows.append({"id": 1})
        openapi_before, answers_before = _responses(module)
    with imported_app(after) as module:
        sys.modules["app.db"].db.rows.append({"id": 1})
        openapi_after, answers_after = _responses(module)
    assert openapi_after == openapi_before
    assert answers_after == answers_before
    assert all(status == 200 for status, _ in answers_after)


def test_fixed_resource_is_overridable(projects: tuple[Path, Path]) -> None:
    _, after = projects
    with imported_app(after) as module:
        db_module = sys.modules["app.db"]
        fake = db_module.MemoryPool()
        fake.rows.append({"id": "fake"})
        module.app.dependency_overrides[db_module.get_db] = lambda: fake
        client = TestClient(module.app)
        assert client.get("/items").json() == [{"id": "fake"}]
        assert client.get("/items/count").json() == {"count": 1}
        assert client.get("/reports/aliased").json() == [{"id": "fake"}]
        # the route that was reported without a fix still reads the global
        assert client.get("/reports/conflict").json() == ["", []]
