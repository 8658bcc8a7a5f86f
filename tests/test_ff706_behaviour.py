"""FF706's fix keeps start-up and shutdown exactly as they were: a small multi-module app is run
under `fastapi.testclient.TestClient` (as a context manager, so the lifespan runs) before and
after the fix, in a fresh interpreter each time, and the recorded calls must be identical — also
when a startup handler fails and when the code inside the client raises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.harness import run, write_fixed

FILES = {
    "app/__init__.py": "",
    "app/log.py": """
        import os

        calls = []


        def record(name):
            calls.append(name)
            if os.environ.get("FAIL_AT") == name:
                raise RuntimeError(f"{name} failed")
    """,
    "app/db.py": """
        from app.log import record


        async def open_pool():
            record("db.open_pool")


        def close_pool():
            record("db.close_pool")
    """,
    "app/main.py": """
        from fastapi import FastAPI

        from app.db import close_pool, open_pool
        from app.log import record

        app = FastAPI(title="Behaviour")
        app.router.add_event_handler("startup", open_pool)


        @app.on_event("startup")
        def announce():
            record("main.announce")


        @app.on_event("shutdown")
        async def goodbye():
            record("main.goodbye")


        app.router.add_event_handler("shutdown", close_pool)


        @app.get("/ping")
        async def ping():
            return {"ok": True}


        from app import events  # noqa: E402, F401
    """,
    "app/events.py": """
        from app.log import record
        from app.main import app


        @app.on_event("startup")
        async def warm_cache():
            record("events.warm_cache")


        @app.on_event("startup")
        def announce():
            record("events.announce")


        @app.on_event("shutdown")
        def drop_cache():
            record("events.drop_cache")
    """,
}

RUNNER = """
import json
import os
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

from fastapi.testclient import TestClient

from app.log import calls
from app.main import app

outcome = "ok"
try:
    with TestClient(app) as client:
        calls.append(f"request {client.get('/ping').status_code}")
        if os.environ.get("FAIL_BODY"):
            raise KeyError("body")
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print(json.dumps({"calls": calls, "outcome": outcome}))
"""

SCENARIOS = {
    "normal": {},
    "startup fails midway": {"FAIL_AT": "main.announce"},
    "last startup handler fails": {"FAIL_AT": "events.announce"},
    "shutdown handler fails": {"FAIL_AT": "main.goodbye"},
    "code inside the client raises": {"FAIL_BODY": "1"},
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (root / "runner.py").write_text(RUNNER, encoding="utf-8")


def _observe(root: Path, env: dict[str, str]) -> dict:
    completed = subprocess.run(
        [sys.executable, "runner.py"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    before = tmp_path_factory.mktemp("before")
    after = tmp_path_factory.mktemp("after")
    _write(before, FILES)
    _write(after, FILES)
    result = run(after, ["FF706"], fix=True)
    assert not result.errors and not result.dropped
    assert result.applied.get("FF706") == 7
    write_fixed(result)
    assert run(after, ["FF706"], fix=False).diagnostics == []
    main = (after / "app" / "main.py").read_text(encoding="utf-8")
    events = (after / "app" / "events.py").read_text(encoding="utf-8")
    assert "on_event" not in main + events and "add_event_handler" not in main
    return before, after, main


def test_the_fix_builds_one_lifespan(projects: tuple[Path, Path, str]) -> None:
    _, _, main = projects
    assert 'app = FastAPI(title="Behaviour", lifespan=lifespan)' in main
    assert (
        "    from app.events import warm_cache, announce as events_announce, drop_cache\n" in main
    )
    assert "try:\n        yield\n    finally:\n" in main


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_start_and_stop_exactly_as_before(projects: tuple[Path, Path, str], scenario: str) -> None:
    before, after, _ = projects
    env = SCENARIOS[scenario]
    expected = _observe(before, env)
    assert _observe(after, env) == expected
    if scenario == "normal":
        assert expected == {
            "calls": [
                "db.open_pool",
                "main.announce",
                "events.warm_cache",
                "events.announce",
                "request 200",
                "main.goodbye",
                "db.close_pool",
                "events.drop_cache",
            ],
            "outcome": "ok",
        }
    if scenario == "startup fails midway":  # no shutdown handler runs after a failed startup
        assert expected["calls"] == ["db.open_pool", "main.announce"]
    if scenario == "code inside the client raises":  # shutdown still runs
        assert expected["calls"][-3:] == ["main.goodbye", "db.close_pool", "events.drop_cache"]


def test_existing_lifespan_is_wrapped_and_the_change_is_the_documented_one(
    tmp_path: Path,
) -> None:
    files = {
        "app/__init__.py": "",
        "app/log.py": FILES["app/log.py"],
        "app/main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI

            from app.log import record


            @asynccontextmanager
            async def lifespan(app: FastAPI):
                record("old.enter")
                yield
                record("old.exit")


            app = FastAPI(lifespan=lifespan)


            @app.on_event("startup")
            def ignored_by_fastapi():
                record("handler.startup")


            @app.on_event("shutdown")
            async def also_ignored():
                record("handler.shutdown")


            @app.get("/ping")
            async def ping():
                return {"ok": True}
        """,
    }
    _write(tmp_path, files)
    assert _observe(tmp_path, {})["calls"] == ["old.enter", "request 200", "old.exit"]
    assert run(tmp_path, ["FF706"], fix=True).changed_paths == []  # unsafe: not by default
    result = run(tmp_path, ["FF706"], fix=True, unsafe=True)
    write_fixed(result)
    assert _observe(tmp_path, {})["calls"] == [
        "handler.startup",
        "old.enter",
        "request 200",
        "old.exit",
        "handler.shutdown",
    ]
