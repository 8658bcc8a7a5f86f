"""FF801's unsafe fix keeps a test suite green: the fixture project's tests (tests/fixtures/FF801/
project) run with pytest in a fresh interpreter before and after the fix, with the anyio plugin,
and pass both times; the converted modules use `httpx.AsyncClient` and no `TestClient` remains
outside the module the fix must leave alone (`websocket_connect`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.harness import FIXTURES, run, write_fixed

PROJECT = FIXTURES / "FF801" / "project"


def _pytest(root: Path) -> tuple[int, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "anyio", "tests"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed.returncode, completed.stdout + completed.stderr


def _passed(output: str) -> int:
    match = re.search(r"(\d+) passed", output)
    return int(match.group(1)) if match else 0


def test_tests_pass_before_and_after_the_unsafe_fix(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))

    code, before = _pytest(root)
    assert code == 0, before
    assert "failed" not in before

    result = run(root, ["FF801"], fix=True, unsafe=True)
    assert not result.errors and not result.dropped
    assert result.applied.get("FF801") == 5
    write_fixed(result)

    converted = (root / "tests" / "test_module_client.py").read_text(encoding="utf-8")
    assert "TestClient" not in converted and "async def test_health(client):" in converted
    lifespan = (root / "tests" / "test_fixture_client.py").read_text(encoding="utf-8")
    flat = " ".join(lifespan.split())  # however the formatter wrapped the `async with`
    assert "async with app.router.lifespan_context(app), AsyncClient(" in flat.replace(
        "async with ( ", "async with "
    ), lifespan
    untouched = (root / "tests" / "test_websocket.py").read_text(encoding="utf-8")
    assert untouched == (PROJECT / "tests" / "test_websocket.py").read_text(encoding="utf-8")

    code, after = _pytest(root)
    assert code == 0, after
    assert _passed(after) == _passed(before)

    left = run(root, ["FF801"], fix=False).diagnostics
    assert [Path(d.path).name for d in left] == ["test_websocket.py"]
