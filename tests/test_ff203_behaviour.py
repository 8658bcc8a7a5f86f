"""FF203/FF204 fixes keep the app working: the fixture project of FF203 is fixed (unsafe fixes),
written, imported and called with FastAPI's test client."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.harness import FIXTURES, run, write_fixed

PROJECT = FIXTURES / "FF203" / "project"


@contextmanager
def imported_app(root: Path) -> Iterator[TestClient]:
    """`app.main.app` of the project at ``root``, imported fresh (other fixtures have an `app`
    package too)."""

    def purge() -> None:
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]

    purge()
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("app.main")
        with TestClient(module.app) as client:
            yield client
    finally:
        sys.path.remove(str(root))
        purge()


def fixed_copy(tmp_path: Path, codes: list[str], project: Path = PROJECT) -> Path:
    root = tmp_path / "project"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__"))
    result = run(root, codes, fix=True, unsafe=True)
    assert not result.errors and not result.dropped, (result.errors, result.dropped)
    assert result.changed_paths
    write_fixed(result)
    return root


NEW_USER = {"email": "ada@example.com", "password": "correct horse"}
NEW_ITEM = {"owner_id": 7, "name": "lamp", "price": 12.5}


def test_before_the_fix_clients_must_send_server_fields_and_get_the_password_back(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
    with imported_app(root) as client:
        assert client.post("/users", json=NEW_USER).status_code == 422  # `id` is required
        created = client.post("/users", json={**NEW_USER, "id": 99})
        assert created.status_code == 201
        assert created.json()["password"] == "correct horse"
        assert client.post("/items", json=NEW_ITEM).status_code == 422  # `item_id` required


@pytest.mark.parametrize("codes", [["FF203"], ["FF203", "FF204"]], ids=["FF203", "FF203+FF204"])
def test_after_the_split_requests_validate_and_responses_hide_secrets(
    tmp_path: Path, codes: list[str]
) -> None:
    root = fixed_copy(tmp_path, codes)
    schemas = (root / "app" / "schemas.py").read_text()
    assert schemas.count("class UserResponse(") == 1
    assert schemas.count("class UserCreate(") == 1
    with imported_app(root) as client:
        created = client.post("/users", json=NEW_USER)  # no `id` needed any more
        assert created.status_code == 201, created.text
        body = created.json()
        assert body == {"id": 1, "email": "ada@example.com", "created_at": None}

        assert client.get("/users/1").json() == body
        assert "password" not in client.get("/users/me").json()
        assert client.get("/users/2").status_code == 404

        # the copied validator still guards the request model
        short = client.post("/users", json={"email": "b@example.com", "password": "short"})
        assert short.status_code == 422
        assert client.post("/users", json={"email": "no password"}).status_code == 422

        item = client.post("/items", json=NEW_ITEM)
        assert item.status_code == 201, item.text
        assert item.json() == {"item_id": 1, **NEW_ITEM}
        assert client.get("/items").json() == [{"item_id": 1, **NEW_ITEM}]

        # the request-only model is untouched
        assert client.post("/users/1/tags", json={"name": "vip"}).status_code == 204

        schema = client.get("/openapi.json").json()["components"]["schemas"]
        assert {"UserCreate", "UserResponse", "ItemCreate", "ItemResponse"} <= set(schema)
        assert "id" not in schema["UserCreate"]["properties"]
        assert "password" not in schema["UserResponse"]["properties"]
        assert "item_id" not in schema["ItemCreate"]["properties"]
        assert "owner_id" in schema["ItemCreate"]["properties"]  # a client field, kept


def test_both_rules_give_the_same_result_as_the_split_alone(tmp_path: Path) -> None:
    alone = fixed_copy(tmp_path / "alone", ["FF203"])
    both = fixed_copy(tmp_path / "both", ["FF203", "FF204"])
    for path in sorted(alone.rglob("*.py")):
        relative = path.relative_to(alone)
        assert (both / relative).read_text() == path.read_text(), relative


def test_secret_fields_leave_the_responses_of_a_re_exported_model(tmp_path: Path) -> None:
    root = fixed_copy(tmp_path, ["FF204"], FIXTURES / "FF204" / "reexport")
    with imported_app(root) as client:
        expected = {"id": 3, "email": "a@example.com"}
        assert client.get("/users/3").json() == expected
        assert client.get("/me").json() == {"id": 0, "email": "me@example.com"}
        assert client.get("/users").json() == []
