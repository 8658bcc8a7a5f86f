"""FF303's fix keeps the app's behaviour: same OpenAPI document (parameter order included) and
the same responses, for defaults, required markers, class and unannotated dependencies."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from fastapi.testclient import TestClient

from tests.harness import run, write_fixed

APP = """
from fastapi import Body, Cookie, Depends, FastAPI, Header, Path, Query, Security
from fastapi.security import APIKeyHeader

app = FastAPI()
api_key = APIKeyHeader(name="x-key", auto_error=False)


class Pagination:
    def __init__(self, skip: int = Query(0, ge=0), limit: int = 10) -> None:
        self.skip = skip
        self.limit = limit


def get_token(key: str | None = Security(api_key)) -> str:
    return key or "anonymous"


def get_user(token: str = Depends(get_token), lang: str = Header("en")) -> dict:
    return {"token": token, "lang": lang}


@app.get("/items/{item_id}")
def read_item(
    item_id: int = Path(..., ge=1),
    q: str = Query(""),
    short: str | None = Query(default=None, max_length=5),
    required: int = Query(...),
    user: dict = Depends(get_user),
    page: Pagination = Depends(),
    untyped=Query(None),
):
    return {
        "item_id": item_id, "q": q, "short": short, "required": required, "user": user,
        "skip": page.skip, "limit": page.limit, "untyped": untyped,
    }


@app.post("/echo")
async def echo(
    payload: dict = Body(default={}, embed=True),
    session: str | None = Cookie(default=None),
    *,
    tag: str = Query("t"),
):
    return {"payload": payload, "session": session, "tag": tag}
"""

REQUESTS = [
    ("GET", "/items/3?required=1", None),
    ("GET", "/items/3?required=1&q=x&short=abc&untyped=u&skip=2&limit=5", None),
    ("GET", "/items/0?required=1", None),  # 422: item_id >= 1
    ("GET", "/items/3", None),  # 422: required missing
    ("GET", "/items/3?required=1&short=toolong", None),  # 422: max_length
    ("POST", "/echo?tag=z", {"payload": {"a": 1}}),
    ("POST", "/echo", None),
]


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def _observe(module: ModuleType) -> tuple[dict, list[tuple[int, object]]]:
    client = TestClient(module.app)
    answers = []
    for method, url, body in REQUESTS:
        response = client.request(
            method, url, json=body, headers={"x-key": "k", "lang": "fr"}, cookies={"session": "s"}
        )
        answers.append((response.status_code, response.json()))
    return module.app.openapi(), answers


def test_openapi_and_responses_unchanged(tmp_path: Path) -> None:
    before = tmp_path / "before" / "ff303_app.py"
    after = tmp_path / "after" / "ff303_app.py"
    for path in (before, after):
        path.parent.mkdir()
        path.write_text(APP, encoding="utf-8")
    fixed = run(after.parent, ["FF303"], fix=True)
    assert not fixed.dropped and not fixed.errors
    write_fixed(fixed)
    text = after.read_text(encoding="utf-8")
    assert "= Depends(" not in text and "= Query(" not in text, text
    assert "Annotated[" in text

    openapi_before, answers_before = _observe(_load(before, "ff303_before"))
    openapi_after, answers_after = _observe(_load(after, "ff303_after"))
    assert openapi_after == openapi_before
    assert answers_after == answers_before
    assert [status for status, _ in answers_after] == [200, 200, 422, 422, 422, 200, 200]


TYPE_CHECKING_APP = """
from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Query

if TYPE_CHECKING:
    from decimal import Decimal

app = FastAPI()


def get_rate() -> Decimal:
    return 2


@app.get("/price")
def price(rate: Decimal = Depends(get_rate), q: int = Query(1)):
    return {"price": rate * q}


def get_unit() -> Unit:
    return Unit()


@app.get("/unit")
def unit(unit: Unit = Depends(get_unit)):
    return {"unit": unit.name}


class Unit:
    name = "EUR"
"""


def test_a_type_imported_for_type_checkers_only_keeps_its_marker(tmp_path: Path) -> None:
    """With postponed annotations, `Annotated[Decimal, Depends(get_rate)]` would be evaluated
    when FastAPI reads the route; `Decimal` (imported for type checkers only) and `Unit`
    (defined below) are not bound then, so the marker would be lost, the parameter would become
    a body field and `openapi()` would raise (langflow's auth dependencies). Those parameters
    are reported without a fix; the other one is fixed."""
    before = tmp_path / "before" / "ff303_tc_app.py"
    after = tmp_path / "after" / "ff303_tc_app.py"
    for path in (before, after):
        path.parent.mkdir()
        path.write_text(TYPE_CHECKING_APP, encoding="utf-8")
    fixed = run(after.parent, ["FF303"], fix=True)
    assert not fixed.dropped and not fixed.errors
    write_fixed(fixed)
    text = after.read_text(encoding="utf-8")
    assert "rate: Decimal = Depends(get_rate)" in text, text
    assert "unit: Unit = Depends(get_unit)" in text, text
    assert "q: Annotated[int, Query()] = 1" in text, text

    results = []
    for path, name in ((before, "ff303_tc_before"), (after, "ff303_tc_after")):
        module = _load(path, name)
        client = TestClient(module.app)
        answers = [
            (r.status_code, r.json()) for r in (client.get("/price?q=3"), client.get("/unit"))
        ]
        results.append((module.app.openapi(), answers))
    assert results[1] == results[0]
    assert results[0][1] == [(200, {"price": 6}), (200, {"unit": "EUR"})]
