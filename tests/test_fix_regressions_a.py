"""Issue 15, "Fixes that are right": each wrong fix once seen on real code is a small project
under `tests/projects/regress_a/<case>/` whose own tests (its `tests/` folder) the wrong fix
broke. On a private copy: the project's tests pass, the real CLI fixes it (`fastapi_fixer fix
--select <code>`, with `--unsafe-fixes` for unsafe rules), the project's tests still pass, and the
findings that must stay without a fix are still reported, saying why.

Each project's test module says which wrong fix it catches; the projects are run in their own
Python process (their module names overlap, and one of them stands Pydantic v1 in for v2).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fastapi_fixer.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "tests" / "projects" / "regress_a"


@dataclass(frozen=True)
class Case:
    name: str
    select: str
    unsafe: bool
    changes: bool  # the rule still fixes what it safely can there
    unfixed: tuple[str, ...] = ()  # parts of findings that must stay, without a fix


CASES = [
    # safe FF303 wrote `Annotated[str, Query()] = ... if STRICT else None` (a 500 on requests)
    Case(
        "ff303_computed_default",
        "FF303",
        False,
        True,
        ("parameter `q` instead of `Annotated`; not fixed: the default `... if STRICT else None`",),
    ),
    # safe FF303 moved `Body()` into a discriminated `Annotated` alias (the OpenAPI doc changed)
    Case(
        "ff303_annotated_alias",
        "FF303",
        False,
        True,
        ("not fixed: `Pet` is an `Annotated` alias", "not fixed: `PositiveInt` is an `Annotated`"),
    ),
    # safe FF101 wrapped a lazy `glob` in run_in_threadpool (see test_fixed_routes_scan_off_loop)
    Case("ff101_lazy_listing", "FF101", False, True, ("in async route `scan`",)),
    # safe FF104 made a sync generator dependency async in a test module about sync dependencies
    Case("ff104_sync_dependency_tests", "FF104", False, True),
    # unsafe FF202 gave a Pydantic v1 project `model_config`, a field leaking into responses
    Case("ff202_pydantic_v1", "FF202", True, True),
    # unsafe FF302 ran the entity lookup (and its 404) before the authentication's 401
    Case("ff302_auth_first", "FF302", True, True),
    # unsafe FF204 removed the credential from routes that issue it, and a pagination cursor
    Case("ff204_issued_credentials", "FF204", True, True),
    # unsafe FF203 split a model that `isinstance` checks test (the body stopped being one)
    Case("ff203_isinstance", "FF203", True, False, ("tests objects against `Item`",)),
    # FF405 wrote a summary derived from the function name: not a fix
    Case("ff405_summary", "FF405", True, False, ("Route `list_items` has no summary",)),
]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _cli(root: Path, *args: str) -> Result:
    """The real command line, in this process (`-j 1`: no worker processes to start)."""
    return CliRunner().invoke(main, [*args, "--no-cache", "-j", "1", str(root)])


_PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "-o", "addopts=", "-W", "ignore", "tests")


def _project_tests(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *_PYTEST_ARGS],
        cwd=root,
        # no plugins: the projects' tests need none, and each start is faster
        env={**_env(**env), "PYTHONPATH": str(root), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _texts(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.py"))
    }


def _copy(case: str, tmp_path: Path) -> Path:
    root = tmp_path / case
    shutil.copytree(PROJECTS / case, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _fix(root: Path, case: Case) -> Result:
    args = ["fix", "--select", case.select] + (["--unsafe-fixes"] if case.unsafe else [])
    fixed = _cli(root, *args)
    assert fixed.exception is None or isinstance(fixed.exception, SystemExit), fixed.output
    return fixed


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fix_keeps_the_project_behaviour(case: Case, tmp_path: Path) -> None:
    root = _copy(case.name, tmp_path)
    before = _project_tests(root)
    assert before.returncode == 0, before.stdout + before.stderr
    texts = _texts(root)

    _fix(root, case)
    after = _project_tests(root)
    assert after.returncode == 0, _texts(root)
    changed = _texts(root) != texts
    assert changed == case.changes, _texts(root)

    left = _cli(root, "check", "--select", case.select).output
    for part in case.unfixed:
        line = next((ln for ln in left.splitlines() if part in ln), None)
        assert line is not None, left
        assert " [*] " not in line and " [-] " not in line, line  # reported without a fix


def test_the_test_module_about_sync_dependencies_is_left_alone(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "ff104_sync_dependency_tests")
    root = _copy(case.name, tmp_path)
    test_module = root / "tests" / "test_sync_dependencies.py"
    text = test_module.read_text(encoding="utf-8")
    _fix(root, case)
    assert test_module.read_text(encoding="utf-8") == text
    assert "async def get_locale" in (root / "app.py").read_text(encoding="utf-8")


_ROUTE = re.compile(r"FF101 .*in async route `(\w+)`")


def test_fixed_routes_scan_off_the_event_loop(tmp_path: Path) -> None:
    """A route whose FF101 finding the fix removed no longer reads the directory on the event
    loop; a lazy listing the fix cannot move off the loop stays reported."""
    case = next(c for c in CASES if c.name == "ff101_lazy_listing")
    root = _copy(case.name, tmp_path)
    urls = {"scan": "/scan", "count": "/count"}
    reported = set(_ROUTE.findall(_cli(root, "check", "--select", "FF101").output))
    assert reported == set(urls)
    _fix(root, case)
    still = set(_ROUTE.findall(_cli(root, "check", "--select", "FF101").output))
    report = tmp_path / "scans.json"
    run = _project_tests(root, SCAN_REPORT=str(report))
    assert run.returncode == 0, run.stdout
    on_loop = json.loads(report.read_text(encoding="utf-8"))
    for route in reported - still:  # the fix says these are done
        assert not on_loop[urls[route]], (route, (root / "app.py").read_text(encoding="utf-8"))
    assert still == {"scan"}


# --- the same finding gets the same fix whatever `--select` says -------------------------------

_FIXTURES = ROOT / "tests" / "fixtures"
SELECT_PROJECTS = [
    PROJECTS / "select_consistency",
    PROJECTS / "select_nested",
    *(PROJECTS / c.name for c in CASES),
    _FIXTURES / "FF203" / "project",
    _FIXTURES / "FF302" / "typed_service",
    _FIXTURES / "FF303" / "dependency_types",
    _FIXTURES / "FF501" / "layered",
]


def _offered(root: Path, select: str) -> dict[tuple[str, str, int, int], tuple]:
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.settings import Settings

    result = Engine(Settings(select=(select,), unsafe_fixes=True), Mode(jobs=1)).run([str(root)])
    return {
        (d.code, Path(d.path).relative_to(root).as_posix(), d.span.line, d.span.col): (
            d.message,
            None if d.fix is None else (d.fix.safety.value, d.fix.title),
        )
        for d in result.diagnostics
    }


@pytest.mark.parametrize("project", SELECT_PROJECTS, ids=lambda p: p.name)
def test_a_finding_gets_the_same_fix_whatever_the_selection(project: Path, tmp_path: Path) -> None:
    root = tmp_path / project.name  # out of `tests/`, where every file is a test module
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__"))
    everything = _offered(root, "FF")
    assert everything, "the project has no findings"
    for code in sorted({key[0] for key in everything}):
        alone = _offered(root, code)
        mine = {key: value for key, value in everything.items() if key[0] == code}
        assert alone == mine, code
