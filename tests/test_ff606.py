"""FF606 committed-env-file on real git repositories: tracked `.env` files are reported, untracked,
ignored, template and value-less ones are not, nor anything outside a repository."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.settings import Settings


def _check(path: Path, **overrides: object) -> list[tuple[str, int]]:
    settings = Settings(select=("FF606",), **overrides)  # type: ignore[arg-type]
    result = Engine(settings, Mode(jobs=1)).run([str(path)])
    assert not result.errors, result.errors
    return sorted(
        (Path(d.path).relative_to(path).as_posix(), d.span.line) for d in result.diagnostics
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    with git.Repo.init(tmp_path) as created:
        (tmp_path / "app.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
        (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u:secret@db/app\n")
        (tmp_path / ".env.production").write_text("JWT_SECRET=s3cr3t\n")
        (tmp_path / ".env.example").write_text("JWT_SECRET=change-me\n")
        (tmp_path / ".env.test").write_text("# names only\nJWT_SECRET=\nexport DEBUG=\n")
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / ".env").write_text("API_KEY=abc\n")
        created.index.add([".env", ".env.production", ".env.example", ".env.test", "app.py"])
    return tmp_path


def test_tracked_env_files_are_reported(repo: Path) -> None:
    # sub/.env is not tracked; .env.example is a template; .env.test sets no value
    assert _check(repo) == [(".env", 1), (".env.production", 1)]


def test_checking_a_subfolder_finds_the_enclosing_repository(repo: Path) -> None:
    with git.Repo(repo) as opened:
        opened.index.add(["sub/.env"])
    assert _check(repo / "sub") == [(".env", 1)]


def test_committed_then_untracked(repo: Path) -> None:
    with git.Repo(repo) as opened:
        opened.index.commit("initial")
        opened.index.remove([".env"], cached=True)
    assert _check(repo) == [(".env.production", 1)]


def test_excluded_files_are_not_read(repo: Path) -> None:
    assert _check(repo, exclude=(".env", ".env.production")) == []


def test_gitignored_but_still_tracked_is_reported(repo: Path) -> None:
    # listing a committed file in .gitignore does not untrack it: the secret is still in git
    (repo / ".gitignore").write_text(".env\n.env.production\nsub/\n")
    assert _check(repo) == [(".env", 1), (".env.production", 1)]


def test_noqa_comment_line_suppresses(repo: Path) -> None:
    (repo / ".env").write_text("# noqa: FF606 -- local defaults only\nDEBUG=1\n")
    assert _check(repo) == [(".env.production", 1)]


def test_no_repository_no_finding(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SECRET=abc\n")
    assert _check(tmp_path) == []


def test_an_env_file_given_explicitly(repo: Path) -> None:
    settings = Settings(select=("FF606",))
    result = Engine(settings, Mode(jobs=1)).run([str(repo / ".env")])
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("FF606", 1)]
