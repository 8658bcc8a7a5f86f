"""The types FF303 writes into `Annotated[T, Depends(f)]` (from `f`'s return annotation, with the
imports they need) are valid where they are written: the fixed project still imports, serves the
same responses and the same OpenAPI document."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.harness import run, write_fixed

FILES = {
    "shop/__init__.py": "",
    "shop/models.py": """
class User:
    def __init__(self, name: str) -> None:
        self.name = name
""",
    "shop/deps.py": """
from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from fastapi import Header

from shop.models import User


class Db:
    rows = {"1": "one"}


def get_db() -> Iterator[Db]:
    yield Db()


async def get_user(x_user: str = Header("anon")) -> User:
    return User(x_user)


def get_maybe(x_user: str = Header("anon")) -> Optional[User]:
    return None if x_user == "anon" else User(x_user)
""",
    "shop/routes.py": """
from fastapi import Depends, FastAPI

from shop.deps import get_db, get_maybe, get_user


def get_late() -> "Late":
    return Late()


app = FastAPI()


@app.get("/rows/{key}")
async def read_row(key: str, user=Depends(get_user), db=Depends(get_db), maybe=Depends(get_maybe)):
    return {"row": db.rows.get(key), "user": user.name, "maybe": maybe is not None}


@app.get("/late")
def late(value=Depends(get_late)):
    return {"late": type(value).__name__}


class Late:
    pass
""",
}

OBSERVE = """
import json
from fastapi.testclient import TestClient
from shop.routes import app

client = TestClient(app)
answers = [
    client.get(url, headers=headers).json()
    for url, headers in [("/rows/1", {}), ("/rows/2", {"x-user": "ann"}), ("/late", {})]
]
print(json.dumps({"openapi": app.openapi(), "answers": answers}, sort_keys=True))
"""


def _observe(root: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", OBSERVE], cwd=root, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_written_types_import_and_behave(tmp_path: Path) -> None:
    roots = {}
    for name in ("before", "after"):
        root = roots[name] = tmp_path / name
        for relative, text in FILES.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.lstrip(), encoding="utf-8")
    fixed = run(roots["after"], ["FF303"], fix=True)
    assert not fixed.dropped and not fixed.errors
    write_fixed(fixed)
    text = (roots["after"] / "shop/routes.py").read_text(encoding="utf-8")
    assert "user: Annotated[User, Depends(get_user)]" in text, text
    assert "db: Annotated[Db, Depends(get_db)]" in text, text
    assert "maybe: Annotated[Optional[User], Depends(get_maybe)]" in text, text
    assert "value: Annotated[Any, Depends(get_late)]" in text, text  # `Late` comes later
    imported = {
        (node.module, alias.name)
        for node in ast.parse(text).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert {("shop.models", "User"), ("shop.deps", "Db"), ("typing", "Optional")} <= imported

    assert _observe(roots["after"]) == _observe(roots["before"])
