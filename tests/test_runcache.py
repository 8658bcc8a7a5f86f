"""The stored verdict of the last `check` (runcache.py): served when no file changed, never when
one did, was added or removed, or when git's view of a checked `.env` file changed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from fastapi_fixer.engine import runcache
from fastapi_fixer.settings import load_settings

CHAIN = Path(__file__).parent / "fixtures" / "FF101" / "chain"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    (root / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF101", "FF606"]\n')
    monkeypatch.chdir(root)
    monkeypatch.setenv("FASTAPI_FIX_CACHE_DIR", str(tmp_path / "cache"))
    return root


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args, "."])
    return result.exit_code, result.output


def stored(root: Path) -> bool:
    """Whether a verdict for `check .` with the project's settings would be served now."""
    settings = load_settings(None, root)
    return runcache.lookup(Path(os.environ["FASTAPI_FIX_CACHE_DIR"]), settings, (".",)) is not None


def test_unchanged_project_is_answered_from_the_verdict(project: Path) -> None:
    assert not stored(project)
    first = check()
    assert stored(project)
    assert check() == first
    assert first[0] == 1 and "FF101" in first[1]


def test_edited_file_is_checked_again(project: Path) -> None:
    check()
    routes = project / "app" / "routes.py"
    routes.write_text(routes.read_text().replace('audit.log_event("order")', "pass"))
    assert not stored(project)
    _, output = check()
    assert "app/routes.py:12" not in output
    assert stored(project)


def test_added_and_removed_files_are_seen(project: Path) -> None:
    before = check()
    extra = project / "app" / "extra.py"
    extra.write_text("import time\n\n@router.get('/x')\nasync def x():\n    time.sleep(1)\n")
    assert not stored(project)
    check()
    extra.unlink()
    assert not stored(project)
    assert check() == before


def test_other_settings_or_paths_have_their_own_verdict(project: Path) -> None:
    check()
    assert check("--select", "FF606") == (0, check("--select", "FF606")[1])
    assert "All checks passed" in check("--select", "FF606")[1]
    assert "FF101" in check()[1]


def test_no_cache_neither_reads_nor_writes_it(project: Path) -> None:
    check("--no-cache")
    assert not stored(project)


def test_unknown_selector_is_still_an_error(project: Path) -> None:
    check()
    code, output = check("--select", "FF999")
    assert code == 2 and "unknown rule selector" in output


def test_git_untracking_an_env_file_is_seen(project: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (project / ".env").write_text("SECRET=1\n")
    for command in (["init", "-q"], ["add", ".env"]):
        subprocess.run(["git", *command], cwd=project, check=True)
    assert "FF606" in check()[1]
    assert stored(project)
    subprocess.run(["git", "rm", "-q", "--cached", ".env"], cwd=project, check=True)
    assert not stored(project)
    assert "FF606" not in check()[1]


def test_same_size_edit_of_an_old_file_is_seen(project: Path) -> None:
    """Files modified long before a run are not hashed again while their size, time and inode
    stay; an edit changes the time, so the file is hashed and the verdict dropped."""
    long_ago = 1_600_000_000
    for path in project.rglob("*.py"):
        os.utime(path, (long_ago, long_ago))
    first = check()
    assert stored(project)
    routes = project / "app" / "routes.py"
    text = routes.read_text()
    edited = text.replace('audit.log_event("order")', 'audit.log_event("ORDER")')
    assert len(edited) == len(text) and edited != text
    routes.write_text(edited)
    assert not stored(project)
    assert check() == first  # same findings: the call is still there
    assert stored(project)
