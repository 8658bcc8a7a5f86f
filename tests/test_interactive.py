"""`fastapi-fix --interactive` through CliRunner with scripted answers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main

ROUTES = textwrap.dedent(
    """\
    import time

    import requests
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/one")
    async def one():
        await other()
        time.sleep(1)
        return requests.get("https://example.org/1").json()


    @app.get("/two")
    async def two():
        await other()
        time.sleep(2)
        return 2


    async def other():
        return None
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app.py").write_text(ROUTES)
    monkeypatch.chdir(tmp_path)
    # these tests are about the command line, seen through the async rules only
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF1"]\n')
    return tmp_path


def review(answers: str) -> tuple[int, str]:
    """The answers are keys (a line's end between them is ignored), read from stdin as
    FASTAPI_FIX_INTERACTIVE_STDIN asks: CliRunner's stdin is no terminal."""
    result = CliRunner(env={"FASTAPI_FIX_INTERACTIVE_STDIN": "1"}).invoke(
        main, ["--interactive", "app.py"], input=answers
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def text(project: Path) -> str:
    return (project / "app.py").read_text()


def test_shows_diff_and_why_and_applies_only_accepted(project: Path) -> None:
    code, out = review("y\nn\ny\n")
    assert out.count("Apply this fix [") == 3
    assert "[1/3] app.py:12:5: FF101 [*] Blocking call `time.sleep` in async route `one`" in out
    assert "Why: FastAPI runs `async def` routes on the event loop itself." in out
    assert "-    time.sleep(1)\n" in out and "+    await asyncio.sleep(1)\n" in out
    fixed = text(project)
    assert "await asyncio.sleep(1)" in fixed  # accepted
    assert "    return requests.get(" in fixed  # skipped
    assert "await asyncio.sleep(2)" in fixed  # accepted, after the earlier edits moved lines
    assert fixed.count("import asyncio\n") == 1
    compile(fixed, "app.py", "exec")
    assert code == 1  # a finding is left
    assert "2 fixes applied in 1 file; 1 finding left." in out


def test_skip_everything_writes_nothing(project: Path) -> None:
    code, out = review("n\nn\nn\n")
    assert text(project) == ROUTES
    assert "0 fixes applied in 0 files; 3 findings left." in out
    assert code == 1


def test_accept_all_of_a_rule(project: Path) -> None:
    code, out = review("a\n")
    assert out.count("Apply this fix [") == 1
    assert out.count("Accepted app.py:") == 2
    fixed = text(project)
    assert "await asyncio.sleep(1)" in fixed
    assert "await run_in_threadpool(requests.get" in fixed
    assert "await asyncio.sleep(2)" in fixed
    assert code == 0


def test_quit_keeps_what_was_accepted(project: Path) -> None:
    code, out = review("y\nq\n")
    assert out.count("Apply this fix [") == 2
    fixed = text(project)
    assert "await asyncio.sleep(1)" in fixed
    assert "time.sleep(2)" in fixed
    assert "1 fix applied in 1 file; 2 findings left." in out
    assert code == 1


def test_end_of_input_is_quit(project: Path) -> None:
    code, _ = review("")
    assert text(project) == ROUTES
    assert code == 1


def test_invalid_answer_is_asked_again(project: Path) -> None:
    _, out = review("x\ny\nn\nn\n")
    assert "Error: 'x' is not one of" in out
    assert "await asyncio.sleep(1)" in text(project)


def test_nothing_to_review(project: Path) -> None:
    (project / "app.py").write_text("x = 1\n")
    code, out = review("")
    assert "No fixes to review." in out
    assert code == 0
