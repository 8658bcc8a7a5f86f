"""The README's promise: the example breaks practices, `fastapi-fix` fixes it in place, a second
run changes nothing, and the example still imports and serves its routes the same way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fastapi_fixer.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "legacy-app"

# Exercises every route in a fresh interpreter (the package is called `app` in every copy).
_CLIENT = """
import json, os, sys
from fastapi.testclient import TestClient
from app.main import app

with TestClient(app) as client:
    calls = [
        client.get("/status"),
        client.post("/items", json={"name": "lamp", "price": 3.5}),
        client.get("/items"),
        client.get("/items", params={"q": "la"}),
        client.get("/items/1"),
        client.get("/items/99"),
        client.post("/users", json={"email": "a@b.c", "password": "pw"}),
        client.delete("/items/1"),
        client.get("/items/1"),
    ]
    out = [(r.request.method, r.request.url.path, r.status_code, r.text) for r in calls]
    print(json.dumps({"calls": out, "openapi": app.openapi()}))
"""


def _serve(root: Path, tmp_path: Path) -> dict:
    env = {"AUDIT_LOG": str(tmp_path / "audit.log"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_example_is_fixed_in_place_and_still_serves(tmp_path: Path) -> None:
    root = tmp_path / "legacy-app"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = _serve(root, tmp_path)

    untouched = {p: p.read_bytes() for p in root.rglob("*.py")}
    runner = CliRunner()
    dry = runner.invoke(main, ["--dry-run", str(root)])
    assert dry.exit_code == 1, dry.output
    assert "+    await asyncio.sleep(0.01)" in dry.output
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == untouched  # wrote nothing

    fixed = runner.invoke(main, [str(root)])
    assert "FF101" in fixed.output
    assert fixed.exit_code in (0, 1), fixed.output
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")

    texts = {p: p.read_text() for p in root.rglob("*.py")}
    again = runner.invoke(main, [str(root)])
    assert {p: p.read_text() for p in root.rglob("*.py")} == texts, again.output
    assert "0 fixes applied" in again.output

    after = _serve(root, tmp_path)
    assert after["calls"] == before["calls"]
    assert after["openapi"] == before["openapi"]
