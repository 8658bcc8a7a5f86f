"""The pre-commit hooks in .pre-commit-hooks.yaml, run for real with `pre-commit try-repo`.

try-repo installs the hook repository into a virtualenv (from PyPI for the dependencies) and
runs the hook on another git repository. It takes the hook repository at a commit (HEAD, or
HEAD plus tracked changes); to test this working tree as it is, the files that make up the
package are copied into a fresh repository and committed there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_project import ROUTE

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "LICENSE")

pre_commit = pytest.importorskip(
    "pre_commit", reason="pre-commit is not installed: pip install '.[test]'"
)
yaml = pytest.importorskip("yaml", reason="PyYAML (a pre-commit dependency) is not installed")


def _git(cwd: Path, *args: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("hook-repo")
    shutil.copytree(
        ROOT / "fastapi_fixer",
        repo / "fastapi_fixer",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in PACKAGE_FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")  # hook virtualenvs, shared by the tests


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(ROUTE)
    (tmp_path / "clean.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    # the hooks are what is tested here, seen through the async rules only
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF1"]\n')
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    return tmp_path


def try_repo(hook_repo: Path, home: Path, project: Path, hook: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), FASTAPI_FIX_OUTPUT_FORMAT="concise")
    env.pop("FASTAPI_FIX_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_hooks_file_declares_both_hooks() -> None:
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    assert set(hooks) == {"fastapi-fix", "fastapi-fix-check"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert "--force-exclude" in hook["entry"].split()  # pre-commit names excluded files too
    assert hooks["fastapi-fix"]["entry"].startswith("fastapi-fix fix")
    assert hooks["fastapi-fix-check"]["entry"].startswith("fastapi-fix check")


def test_check_hook_reports(hook_repo: Path, pre_commit_home: Path, project: Path) -> None:
    result = try_repo(hook_repo, pre_commit_home, project, "fastapi-fix-check")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "fastapi-fix (check)" in output and "Failed" in output
    assert "app.py:10:5: FF101" in output
    assert (project / "app.py").read_text() == ROUTE  # the check hook changes nothing


def test_fix_hook_fixes_then_passes(hook_repo: Path, pre_commit_home: Path, project: Path) -> None:
    result = try_repo(hook_repo, pre_commit_home, project, "fastapi-fix")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # files were modified by this hook
    assert "files were modified by this hook" in output
    assert "await asyncio.sleep(1)" in (project / "app.py").read_text()
    _git(project, "add", "-A")
    again = try_repo(hook_repo, pre_commit_home, project, "fastapi-fix")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout


def test_hooks_honour_the_configured_excludes(
    hook_repo: Path, pre_commit_home: Path, project: Path
) -> None:
    """pre-commit names each staged file; without --force-exclude an excluded one is checked,
    and fixed, all the same."""
    (project / "migrations").mkdir()
    (project / "migrations" / "m1.py").write_text(ROUTE)
    (project / "pyproject.toml").write_text(
        '[tool.fastapi-fix]\nselect = ["FF1"]\nexclude = ["migrations"]\n'
    )
    _git(project, "add", "-A")
    result = try_repo(hook_repo, pre_commit_home, project, "fastapi-fix")
    output = result.stdout + result.stderr
    assert "await asyncio.sleep(1)" in (project / "app.py").read_text(), output
    assert (project / "migrations" / "m1.py").read_text() == ROUTE, output
    _git(project, "add", "-A")
    again = try_repo(hook_repo, pre_commit_home, project, "fastapi-fix-check")
    assert again.returncode == 0, again.stdout + again.stderr
