"""A run given some of a project's files (pre-commit passes the staged ones) says about them what
a run over the project says: the project's other Python files are context
(`discovery.add_context`), analysed for the index, never checked, reported, fixed or counted.

Real files in temporary folders, the real command line (click's runner) or `Engine`."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from fastapi_fixer.engine import Engine, Mode, runcache
from fastapi_fixer.engine.cache import Cache
from fastapi_fixer.settings import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"

GUARDS = textwrap.dedent(
    """\
    from fastapi import HTTPException


    async def require_user(token: str | None = None) -> str:
        if token is None:
            raise HTTPException(status_code=401, detail="no token")
        return token
    """
)
MAIN = textwrap.dedent(
    """\
    from typing import Annotated

    from fastapi import Depends, FastAPI

    from pkg.guards import require_user

    app = FastAPI()


    @app.get("/items", summary="Items")
    async def items(user: Annotated[str, Depends(require_user)]) -> str:
        return user
    """
)
# not a dependency: FF501 is right here, and names the module
SERVICE = textwrap.dedent(
    """\
    from fastapi import HTTPException


    def load(item_id: int) -> int:
        if item_id < 0:
            raise HTTPException(status_code=404, detail="missing")
        return item_id
    """
)


def cli(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, [*args, "--output-format", "concise"], input=stdin, catch_exceptions=False
    )
    return result.exit_code, result.output


@pytest.fixture(params=["package", "flat"])
def project(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    if request.param == "package":
        (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "guards.py").write_text(GUARDS)
    (root / "pkg" / "main.py").write_text(MAIN)
    (root / "pkg" / "service.py").write_text(SERVICE)
    (root / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF501"]\n')
    monkeypatch.chdir(root)
    monkeypatch.setenv("FASTAPI_FIX_CACHE_DIR", str(tmp_path / "cache"))
    return root


def test_a_dependency_used_in_another_file_is_the_http_layer(project: Path) -> None:
    code, whole = cli("check", ".")
    assert code == 1
    assert "guards.py" not in whole
    assert "pkg/service.py:6:15: FF501" in whole
    assert cli("check", "pkg/guards.py") == (0, "All checks passed! (1 file checked)\n")


def test_a_file_is_named_as_in_a_run_over_the_project(project: Path) -> None:
    _, whole = cli("check", ".")
    code, alone = cli("check", "pkg/service.py")
    assert code == 1
    assert "`pkg.service`" in alone  # in the flat layout too: the project's folder is the root
    # the same finding; its fix (an exception handler) goes into pkg/main.py, not given here
    assert "pkg/service.py:6:15: FF501 [-] `HTTPException` raised in `pkg.service`" in whole
    assert "pkg/service.py:6:15: FF501 `HTTPException` raised in `pkg.service`" in alone
    assert "(no fix in this run: it also edits `pkg/main.py`" in alone


def test_an_engine_run_without_context_keeps_the_old_answer(project: Path) -> None:
    """`Mode.context` is what the command line turns on; the engine alone reads only the
    paths given (the language server loads the workspace itself)."""
    settings = load_settings(None, project)
    alone = Engine(settings, Mode(jobs=1)).run(["pkg/guards.py"])
    assert [d.code for d in alone.diagnostics] == ["FF501"]
    partial = Engine(settings, Mode(jobs=1, context=True)).run(["pkg/guards.py"])
    assert partial.diagnostics == [] and partial.files_seen == 1


def test_findings_and_syntax_errors_of_context_files_are_not_reported(project: Path) -> None:
    (project / "pkg" / "broken.py").write_text("from fastapi import (\n")
    code, whole = cli("check", ".")
    assert code == 2 and "pkg/broken.py" in whole and "pkg/service.py" in whole
    code, output = cli("check", "pkg/guards.py", "pkg/main.py")
    assert (code, output) == (0, "All checks passed! (2 files checked)\n")


def test_pre_commit_invocation_skips_excluded_files_and_reads_the_rest(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.fastapi-fix]\nselect = ["FF501"]\nextend-exclude = ["pkg/service.py"]\n'
    )
    code, output = cli("check", "--force-exclude", "pkg/guards.py", "pkg/service.py")
    assert (code, output) == (0, "All checks passed! (1 file checked)\n")
    # the excluded file named without --force-exclude is checked, as before
    assert "pkg/service.py:6:15: FF501" in cli("check", "pkg/service.py")[1]


def test_stdin_filename_reads_the_project_too(project: Path) -> None:
    code, output = cli("check", "--stdin-filename", "pkg/guards.py", stdin=GUARDS)
    assert "FF501" not in output and code == 0
    # the buffer, not the file on disk, is what is checked
    edited = SERVICE.replace("def load", "def fetch")
    code, output = cli("check", "--stdin-filename", "pkg/service.py", stdin=edited)
    assert code == 1 and "pkg/service.py:6:15: FF501" in output


def test_a_file_outside_the_project_is_checked_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a configuration the current folder is the project: a file outside it is
    checked as before, alone and named from its own folder."""
    here, outside = tmp_path / "here", tmp_path / "outside" / "pkg"
    here.mkdir()
    outside.mkdir(parents=True)
    (here / "main.py").write_text(MAIN.replace("pkg.guards", "guards"))
    (outside / "service.py").write_text(SERVICE)
    monkeypatch.chdir(here)
    monkeypatch.setenv("FASTAPI_FIX_CACHE_DIR", str(tmp_path / "cache"))
    code, output = cli("check", "--select", "FF501", str(outside / "service.py"))
    assert code == 1 and "raised in `service`" in output
    assert "1 error" in output and "main.py" not in output


def stored(root: Path, *paths: str) -> bool:
    settings = load_settings(None, root / paths[0])
    directory = Path(os.environ["FASTAPI_FIX_CACHE_DIR"])
    return runcache.lookup(directory, settings, paths) is not None


def test_an_edit_of_a_context_file_invalidates_the_stored_verdict(project: Path) -> None:
    assert cli("check", "pkg/guards.py")[0] == 0
    assert stored(project, "pkg/guards.py")
    main_py = project / "pkg" / "main.py"
    main_py.write_text(MAIN.replace("Depends(require_user)", "Depends(lambda: 'x')"))
    assert not stored(project, "pkg/guards.py")
    code, output = cli("check", "pkg/guards.py")
    assert code == 1 and "pkg/guards.py:6:15: FF501" in output  # no longer a dependency
    assert stored(project, "pkg/guards.py")
    (project / "pkg" / "new.py").write_text("from pkg.guards import require_user\n")
    assert not stored(project, "pkg/guards.py")  # an added context file too


def _copy(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "case"
    shutil.copytree(FIXTURES / case, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.setenv("FASTAPI_FIX_CACHE_DIR", str(tmp_path / "cache"))
    return root


def _state(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*.py"))
    }


def test_a_dependency_used_only_in_another_file_is_reported_and_fixed_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy("FF104/chain", tmp_path, monkeypatch)
    code, output = cli("check", "--select", "FF104", "app/deps.py")
    assert code == 1
    assert "app/deps.py:13:1: FF104 [*]" in output and "app/deps.py:18:1: FF104 [*]" in output
    # `is_admin` is also used outside `Depends` (in app/main.py): no fix, as in `check .`
    assert "app/deps.py:27:1: FF104 Plain" in output
    before = _state(root)
    code, output = cli("fix", "--select", "FF104", "app/deps.py")
    after = _state(root)
    assert {path for path in before if before[path] != after[path]} == {"app/deps.py"}
    assert "async def get_current_user_id" in (root / "app" / "deps.py").read_text()


def test_a_fix_that_edits_a_context_file_is_not_applied_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy("FF301/project", tmp_path, monkeypatch)
    _, whole = cli("check", "--select", "FF301", ".")
    assert "app/api/items.py:10:12: FF301 [*]" in whole  # its provider goes into app/db.py
    code, output = cli("check", "--select", "FF301", "app/api/items.py")
    assert code == 1 and "[*]" not in output
    assert (
        "app/api/items.py:10:12: FF301 Global resource `db` read in route `list_items` "
        "(no fix in this run: it also edits `app/db.py`, which the run was not given)"
    ) in output
    before = _state(root)
    for mode, exit_code in ((("--diff",), 0), (("--unsafe-fixes",), 1), ((), 1)):
        code, output = cli("fix", "--select", "FF301", *mode, "app/api/items.py")
        assert code == exit_code and "2 findings left without a fix" in output
        assert _state(root) == before  # bytes and modification times
    # given both files, the fix is applied to both
    code, _ = cli("fix", "--select", "FF301", "app/api/items.py", "app/db.py")
    assert "def get_db" in (root / "app" / "db.py").read_text()
    assert "Depends(get_db)" in (root / "app" / "api" / "items.py").read_text()


@pytest.mark.parametrize(
    "case", ["FF104/chain", "FF406/project", "FF501/layered", "FF607/project", "FF706/project"]
)
def test_each_file_alone_says_what_the_project_run_says_about_it(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(case, tmp_path, monkeypatch)
    settings = Settings(select=("FF",))
    cache = Cache.open(tmp_path / "cache", settings)
    whole = Engine(settings, Mode(jobs=1, context=True), cache).run(["."])
    context = Mode(jobs=1, context=True)
    for path in sorted(str(p.relative_to(root)) for p in root.rglob("*.py")):
        alone = Engine(settings, context, Cache.open(tmp_path / "cache", settings)).run([path])
        expected = [(d.span, d.code, d.fix) for d in whole.diagnostics if d.path == path]
        got = [(d.span, d.code, d.fix) for d in alone.diagnostics]
        for index, diagnostic in enumerate(alone.diagnostics):
            if "(no fix in this run" in diagnostic.message:  # its fix edits another file
                span, code, _ = got[index]
                got[index] = next(e for e in expected if e[:2] == (span, code))
        assert got == expected, path


def test_a_folder_that_is_not_a_package_is_a_project_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check examples/demo` from the repository's root checks the example as its own
    project (its folder holds top-level modules); `check pkg` (a package) reads the rest."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "guards.py").write_text(GUARDS)
    (tmp_path / "main.py").write_text(MAIN)
    demo = tmp_path / "examples" / "demo"
    demo.mkdir(parents=True)
    (demo / "guards.py").write_text(GUARDS)
    (demo / "main.py").write_text(MAIN.replace("pkg.guards", "guards"))
    monkeypatch.chdir(tmp_path)
    settings = Settings(select=("FF501",))
    engine = Engine(settings, Mode(jobs=1, context=True))
    result = engine.run(["examples/demo"])
    assert sorted(engine.index.modules) == ["guards", "main"]
    assert result.files_seen == 2 and result.diagnostics == []
    engine = Engine(settings, Mode(jobs=1, context=True))
    result = engine.run(["pkg"])
    assert {"main", "pkg.guards", "examples.demo.guards"} <= set(engine.index.modules)
    assert result.files_seen == 2 and result.diagnostics == []
