"""FF403/FF404 fixes run for real: the fixed apps answer with the same JSON (FF403) and the new
status codes (FF404), and the OpenAPI document gains the response schemas FF403 declares."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# (method, url, json body) for every route of tests/fixtures/FF403/errors.py
ERRORS_REQUESTS = [
    ("GET", "/items/1", None),
    ("GET", "/items/404", None),
    ("GET", "/items", None),
    ("GET", "/first-two", None),
    ("GET", "/items/1/bound", None),
    ("GET", "/items/1/annotated", None),
    ("GET", "/items/all/awaited", None),
    ("GET", "/items/1/laid-out", None),
    ("GET", "/items/7/laid-out", None),
    ("POST", "/items/echo", {"name": "saw", "price": 3.5}),
    ("GET", "/items/1/chosen", None),
    ("GET", "/items/1/chosen?fallback=true", None),
    ("GET", "/health", None),
]
# route path -> the response schema FF403 declares for it
DECLARED = {
    "/items/{item_id}": {"$ref": "#/components/schemas/ItemOut"},
    "/items": {"type": "array", "items": {"$ref": "#/components/schemas/ItemOut"}},
    "/first-two": {"type": "array", "items": {"$ref": "#/components/schemas/ItemOut"}},
    "/items/{item_id}/bound": {"$ref": "#/components/schemas/ItemOut"},
    "/items/{item_id}/annotated": {"$ref": "#/components/schemas/ItemOut"},
    "/items/all/awaited": {"type": "array", "items": {"$ref": "#/components/schemas/ItemOut"}},
    "/items/{item_id}/laid-out": {"$ref": "#/components/schemas/ItemOut"},
    "/items/echo": {"$ref": "#/components/schemas/ItemIn"},
    "/items/{item_id}/chosen": {"$ref": "#/components/schemas/ItemOut"},
}


def fix(root: Path, codes: tuple[str, ...], style: str = "response_model") -> None:
    """Apply the unsafe fixes of ``codes`` to the files under ``root``, in place."""
    settings = Settings(select=codes, unsafe_fixes=True, response_model_style=style)
    result = Engine(settings, Mode(fix=True, jobs=1)).run([str(root)])
    assert not result.errors and not result.dropped, (result.errors, result.dropped)
    assert result.changed_paths
    for path in result.changed_paths:
        Path(path).write_text(result.fixed[path], encoding="utf-8")


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@contextmanager
def project_on_path(root: Path, package: str) -> Iterator[None]:
    """Import a fixture project's package from ``root``, and forget it afterwards."""

    def forget() -> None:
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]

    forget()
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        forget()


def answers(app, requests) -> list[tuple[int, object]]:
    client = TestClient(app)
    return [
        (r.status_code, r.json()) for r in (client.request(m, u, json=b) for m, u, b in requests)
    ]


def response_schema(openapi: dict, path: str, method: str) -> dict:
    operation = openapi["paths"][path][method]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return {k: v for k, v in schema.items() if k != "title"}  # array schemas get a title


@pytest.mark.parametrize("style", ["response_model", "annotation"])
def test_fixed_routes_return_the_same_json(tmp_path: Path, style: str) -> None:
    original = tmp_path / "original.py"
    shutil.copy(FIXTURES / "FF403" / "errors.py", original)
    fixed = tmp_path / "fixed" / "errors.py"
    fixed.parent.mkdir()
    shutil.copy(original, fixed)
    fix(fixed.parent, ("FF403",), style)

    text = fixed.read_text(encoding="utf-8")
    if style == "annotation":
        assert "def get_item(item_id: int) -> ItemOut:" in text
        assert "def list_items() -> list[ItemOut]:" in text
        assert "response_model=" not in text
    else:
        assert '@router.get("/{item_id}", response_model=ItemOut)' in text

    before = load(original, "ff403_original").app
    after = load(fixed, f"ff403_fixed_{style}").app
    assert answers(after, ERRORS_REQUESTS) == answers(before, ERRORS_REQUESTS)

    old, new = before.openapi(), after.openapi()
    for path, schema in DECLARED.items():
        method = "post" if path == "/items/echo" else "get"
        assert response_schema(old, path, method) == {}  # nothing was documented
        assert response_schema(new, path, method) == schema
    assert "ItemOut" in new["components"]["schemas"]
    assert "ItemOut" not in old.get("components", {}).get("schemas", {})
    # routes FF403 leaves alone document the same thing as before
    assert old["paths"]["/health"] == new["paths"]["/health"]


def test_cross_module_fix_imports_the_model(tmp_path: Path) -> None:
    original = tmp_path / "original"
    shutil.copytree(FIXTURES / "FF403" / "project", original)
    fixed = tmp_path / "fixed"
    shutil.copytree(original, fixed)
    fix(fixed, ("FF403",))
    routes = (fixed / "app" / "routers" / "items.py").read_text(encoding="utf-8")
    assert "from app.schemas import ItemCreate, ItemOut" in routes

    requests = [
        ("GET", "/api/v1/items/1", None),
        ("GET", "/api/v1/items/", None),
        ("POST", "/api/v1/items/", {"name": "saw", "price": 3.5}),
        ("GET", "/api/v1/items/1/raw", None),
        ("GET", "/api/v1/orders/1/item", None),
    ]
    results = {}
    for label, root in (("before", original), ("after", fixed)):
        with project_on_path(root, "app"):
            app = importlib.import_module("app.main").app
            results[label] = (answers(app, requests), app.openapi())
    assert results["after"][0] == results["before"][0]
    new = results["after"][1]
    assert response_schema(new, "/api/v1/items/{item_id}", "get") == {
        "$ref": "#/components/schemas/ItemOut"
    }
    assert response_schema(new, "/api/v1/orders/{order_id}/item", "get") == {
        "$ref": "#/components/schemas/ItemOut"
    }
    assert response_schema(new, "/api/v1/items/{item_id}/raw", "get") == {}


def test_status_codes_after_ff404(tmp_path: Path) -> None:
    original = tmp_path / "original.py"
    shutil.copy(FIXTURES / "FF404" / "errors.py", original)
    fixed = tmp_path / "fixed" / "errors.py"
    fixed.parent.mkdir()
    shutil.copy(original, fixed)
    fix(fixed.parent, ("FF404",))

    requests = [
        ("POST", "/items", {"name": "saw"}),
        ("POST", "/items/1/tags", {"name": "red"}),
        ("POST", "/items/declared", {"name": "drill"}),
        ("POST", "/items/laid-out", {"name": "file"}),
        ("POST", "/things", {"name": "nail"}),
        ("DELETE", "/items/1", None),
        ("DELETE", "/items/2/early", None),
    ]
    before = load(original, "ff404_original").app
    after = load(fixed, "ff404_fixed").app
    client_before, client_after = TestClient(before), TestClient(after)
    for method, url, body in requests:
        old = client_before.request(method, url, json=body)
        new = client_after.request(method, url, json=body)
        assert old.status_code == 200
        if method == "POST":
            assert new.status_code == 201
            assert new.json() == old.json()
        else:
            assert old.content == b"null"
            assert new.status_code == 204
            assert new.content == b""
    created = after.openapi()["paths"]["/items"]["post"]["responses"]
    assert "201" in created and "200" not in created
