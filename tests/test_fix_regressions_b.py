"""Unsafe fixes that broke real apps or their clients (issue 15, part B), each replayed on a small
project in `tests/projects/regress_b/`: the project is copied, fixed with the engine (or the
CLI) as a user would, written, imported afresh and called with FastAPI's test client. Each test
fails with the wrong fix: an old URL that falls through to the front end's catch-all, a second
exceptions module whose class no handler catches (400 becomes 500), a handler on a CLI helper's
app, a settings module the package cannot import, a readiness route on another app's database.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fastapi_fixer.apply.writer import write_fixes
from fastapi_fixer.cli import main as cli_main
from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.models import Diagnostic, RunResult
from fastapi_fixer.settings import Settings

PROJECTS = Path(__file__).resolve().parent / "projects" / "regress_b"


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run(root: Path, codes: tuple[str, ...], fix: bool) -> RunResult:
    settings = Settings(select=codes, unsafe_fixes=True)
    return Engine(settings, Mode(fix=fix, jobs=1)).run([str(root)])


def _fix(root: Path, *codes: str) -> RunResult:
    result = _run(root, codes, fix=True)
    assert not result.errors and not result.dropped, (result.errors, result.dropped)
    write_fixes(result)
    return result


def _findings(root: Path, *codes: str) -> list[Diagnostic]:
    return _run(root, codes, fix=False).diagnostics


@contextmanager
def _app(root: Path, module: str, attribute: str = "app", **env: str) -> Iterator[TestClient]:
    """``module.attribute`` of the project at ``root``, imported fresh (a factory is called),
    with ``env`` set while it imports and serves."""
    packages = {p.name for p in root.iterdir() if p.is_dir()}

    def purge() -> None:
        for name in [n for n in sys.modules if n.partition(".")[0] in packages]:
            del sys.modules[name]

    purge()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    sys.path.insert(0, str(root))
    try:
        app = getattr(importlib.import_module(module), attribute)
        with TestClient(app() if callable(app) and not hasattr(app, "router") else app) as client:
            yield client
    finally:
        sys.path.remove(str(root))
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        purge()


def _answers(client: TestClient, urls: list[str]) -> list[tuple[int, object]]:
    found = []
    for url in urls:
        response = client.get(url)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        found.append((response.status_code, response.json() if is_json else response.text))
    return found


# --- FF401: renamed paths keep answering, before the front end's catch-all ---------------------

OLD_PATHS = ["/api/v1/getItems", "/api/v1/item/1", "/api/v1/items/recent"]


def test_ff401_old_paths_still_answer_and_new_paths_catch_nothing(tmp_path: Path) -> None:
    root = _copy("rest_paths", tmp_path)
    front_end = (root / "app" / "static" / "app.js").read_text()
    assert "/api/v1/getItems" in front_end and "/api/v1/item/" in front_end
    with _app(root, "app.main") as client:
        before = _answers(client, OLD_PATHS)
        assert _answers(client, ["/api/v1/items"]) == [(200, "<html>index</html>")]
    assert before == [
        (200, [{"id": 1, "name": "Saw"}, {"id": 2, "name": "Plane"}]),
        (200, {"id": 1, "name": "Saw"}),
        (200, [{"id": 2, "name": "Plane"}]),
    ]

    result = _fix(root, "FF401")
    assert result.applied == {"FF401": 1}  # `/item/{item_id}` would catch `/items/recent`
    with _app(root, "app.main") as client:
        assert _answers(client, OLD_PATHS) == before
        assert _answers(client, ["/api/v1/items"]) == [before[0]]
        paths = set(client.get("/openapi.json").json()["paths"])
    assert "/api/v1/items" in paths and "/api/v1/getItems" not in paths

    # the alias is not reported again, and nothing is left to fix
    again = _findings(root, "FF401")
    assert [d.message.split("`")[1] for d in again] == ["/item/{item_id}"]
    assert all(d.fix is None for d in again)


# --- FF402: the old prefix keeps answering ------------------------------------------------------


def _client_paths(root: Path) -> list[str]:
    """The paths the project's own client calls."""
    text = (root / "app" / "client.py").read_text()
    urls = re.findall(r'"(/[^"]*)"', text)
    return [url.replace("{item_id}", "1").replace("{name}", "ada") for url in urls]


def test_ff402_old_prefix_still_answers_the_projects_client(tmp_path: Path) -> None:
    root = _copy("versioned_prefix", tmp_path)
    urls = _client_paths(root)
    with _app(root, "app.main") as client:
        before = _answers(client, urls)
    assert before == [(200, [{"id": 1}]), (200, {"id": 1}), (200, {"name": "ada"})]

    _fix(root, "FF402")
    with _app(root, "app.main") as client:
        assert _answers(client, urls) == before
        assert _answers(client, [f"/api/v1{url}" for url in urls]) == before
        paths = set(client.get("/openapi.json").json()["paths"])
    assert paths and all(path.startswith("/api/v1/") for path in paths)
    assert not _findings(root, "FF402")


def test_ff402_no_fix_when_a_router_has_startup_handlers(tmp_path: Path) -> None:
    """Including the router twice (to keep the old prefix) would run its handlers twice."""
    root = _copy("versioned_hooks", tmp_path)
    (finding,) = _findings(root, "FF402")
    assert finding.fix is None
    result = _fix(root, "FF402")
    assert not result.changed_paths


# --- FF501: one exceptions module, one handler, on the served app -------------------------------

FF501_URLS = ["/users/ada", "/users/a1", "/users/bob", "/oauth/callback", "/oauth/callback?code=x"]


def test_ff501_one_exceptions_module_and_one_handler_per_status(tmp_path: Path) -> None:
    root = _copy("one_exceptions_module", tmp_path)
    with _app(root, "app.main") as client:
        before = _answers(client, FF501_URLS)
    assert [status for status, _ in before] == [200, 400, 404, 400, 200]

    result = _fix(root, "FF501")
    assert result.applied == {"FF501": 3}
    modules = sorted(p.relative_to(root).as_posix() for p in root.rglob("exceptions.py"))
    assert modules == ["app/exceptions.py"]
    exceptions = (root / "app" / "exceptions.py").read_text()
    assert exceptions.count("class BadRequestError(") == 1
    main = (root / "app" / "main.py").read_text()
    assert main.count("exception_handler(BadRequestError)") == 1
    with _app(root, "app.main") as client:
        assert _answers(client, FF501_URLS) == before
    assert not _findings(root, "FF501")


def test_ff501_advertised_fix_applies_to_an_annotated_app(tmp_path: Path) -> None:
    """`app: FastAPI = FastAPI()`: the fix `check` advertises must apply (it failed with
    "NodeNotFound: the app's assignment moved")."""
    root = _copy("annotated_app", tmp_path)
    with _app(root, "app.main") as client:
        before = _answers(client, ["/items/1", "/items/2"])
    assert before == [(200, {"id": 1}), (404, {"detail": "Item not found"})]
    (finding,) = _findings(root, "FF501")
    assert finding.fix is not None
    result = _fix(root, "FF501")
    assert result.applied == {"FF501": 1}
    with _app(root, "app.main") as client:
        assert _answers(client, ["/items/1", "/items/2"]) == before


def test_ff501_no_handler_on_a_cli_helpers_app(tmp_path: Path) -> None:
    """The server runs `create_app()`; the module-level app belongs to a CLI helper."""
    root = _copy("served_by_factory", tmp_path)
    with _app(root, "app.factory", "create_app") as client:
        before = _answers(client, ["/users/ada", "/users/a1"])
    assert [status for status, _ in before] == [200, 400]
    (finding,) = _findings(root, "FF501")
    assert finding.fix is None and "built in a function" in finding.message
    _fix(root, "FF501")
    assert "exception_handler" not in (root / "app" / "cli.py").read_text()
    with _app(root, "app.factory", "create_app") as client:
        assert _answers(client, ["/users/ada", "/users/a1"]) == before


def test_fixed_line_names_the_rule_of_a_created_file(tmp_path: Path) -> None:
    root = _copy("one_exceptions_module", tmp_path)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        output = (
            CliRunner()
            .invoke(
                cli_main,
                ["fix", "--no-cache", "--unsafe-fixes", "--select", "FF501", "."],
                catch_exceptions=False,
            )
            .output
        )
    finally:
        os.chdir(cwd)
    fixed = [line for line in output.splitlines() if line.startswith("Fixed ")]
    assert len(fixed) == 4, output
    assert all(not line.endswith("()") for line in fixed), output
    assert any(re.fullmatch(r"Fixed \S*exceptions\.py \(FF501\)", line) for line in fixed)
    assert any(re.fullmatch(r"Fixed \S*main\.py \(FF501\)", line) for line in fixed)


# --- FF601/FF602: the app starts as before, with the variable the fix names --------------------

SECRET = "a-secret-from-the-environment"


def test_ff601_ff602_app_starts_with_the_variable_the_fix_names(tmp_path: Path) -> None:
    root = _copy("settings_env", tmp_path)
    preflight = {"Origin": "https://any.example", "Access-Control-Request-Method": "GET"}
    with _app(root, "app.main") as client:
        assert client.options("/health", headers=preflight).status_code == 200

    titles = {d.code: d.fix.title for d in _findings(root, "FF601", "FF602") if d.fix}
    named = re.search(r"environment variable `(\w+)`", titles["FF601"])
    assert named is not None and named.group(1) == "SHOP_SIGNING_SECRET"
    assert "`SHOP_CORS_ORIGINS`" in titles["FF602"]

    _fix(root, "FF601", "FF602")
    assert "9f8e7d6c" not in (root / "app" / "main.py").read_text()
    with _app(root, "app.main", **{named.group(1): SECRET}) as client:
        # the origins the app allowed are the new setting's default
        response = client.options("/health", headers=preflight)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        signed = client.get("/signatures/abc").json()["signature"]
    import hashlib
    import hmac

    assert signed == hmac.new(SECRET.encode(), b"abc", hashlib.sha256).hexdigest()


def test_ff601_never_imports_settings_from_an_unrelated_package(tmp_path: Path) -> None:
    """`tutorial_b` imports nothing from `tutorial_a`: its settings are not tutorial_b's."""
    root = _copy("sibling_settings", tmp_path)
    finding = next(d for d in _findings(root, "FF601") if d.code == "FF601")
    assert finding.fix is None and "does not import from" in finding.message
    _fix(root, "FF601", "FF603")
    assert "import settings" not in (root / "tutorial_b" / "main.py").read_text()
    with _app(root, "tutorial_b.main") as client:
        assert client.get("/items", headers={"x-token": "coneofsilence"}).status_code == 200


# --- FF904: the readiness route resolves this app's database dependency ------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ff904_readiness_uses_the_apps_own_database(tmp_path: Path) -> None:
    root = _copy("two_apps_db", tmp_path)
    _fix(root, "FF904")
    main = (root / "app" / "main.py").read_text()
    assert "admin" not in main and "get_db" in main.split("/health/ready")[1]
    with _app(root, "app.main") as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/health/ready").json() == {"status": "ready"}
        assert client.get("/items").json() == [{"id": 1, "session": "app-session"}]
    assert not _findings(root, "FF904")
