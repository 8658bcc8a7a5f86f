"""`fastapi-fix --verify` end to end, on fixture projects that really run (tests/projects/verify_*):
their own apps are loaded and their own tests run, before and after the fixes, with this
interpreter, through the real CLI (click's CliRunner) and the real probe subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fastapi_fixer.apply.verify import first_difference, project_root, run_probe
from fastapi_fixer.cli import main

pytest.importorskip("httpx")  # the projects' tests use fastapi.testclient

PROJECTS = Path(__file__).resolve().parent / "projects"
TESTS = f"{sys.executable} -m pytest -q -p no:cacheprovider -p no:randomly tests"


@pytest.fixture
def copy_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of a fixture project, made the current folder."""

    def make(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(PROJECTS / name, root, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.chdir(root)
        return root

    return make


def fix(*args: str) -> Result:
    return CliRunner().invoke(main, ["--no-cache", "--python", sys.executable, *args])


def own_tests_pass(root: Path) -> bool:
    done = subprocess.run(
        TESTS, shell=True, cwd=root, capture_output=True, text=True, check=False, timeout=300
    )
    return done.returncode == 0


def verification(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Verified with "))
    return lines[start:]


def test_fixes_that_break_nothing_are_verified_and_written(copy_of) -> None:
    root = copy_of("verify_ok")
    main_before = (root / "shop" / "main.py").read_text()
    result = fix("--verify-tests", TESTS, ".")
    assert result.exit_code == 1, result.output  # findings without a fix are left
    report = verification(result.output)
    assert report[0] == f"Verified with {sys.executable} (Python {sys.version.split()[0]}):"
    assert report[1].startswith("  imports: 3 modules import before and after the fixes")
    assert report[2] == "  OpenAPI: 1 app's OpenAPI document unchanged by the fixes"
    assert report[3].startswith(f"  tests: `{TESTS}` passed before and passed after (3 passed")
    assert not any(line.startswith("Dropped") for line in result.output.splitlines())
    assert "Fixed shop/main.py (FF101: 1, FF303: 1)" in result.output
    fixed = (root / "shop" / "main.py").read_text()
    assert fixed != main_before and "await asyncio.sleep(0.01)" in fixed
    assert "Annotated[dict, Depends(pagination)]" in fixed
    assert own_tests_pass(root)


def test_a_fix_that_breaks_the_projects_test_is_dropped_and_the_rest_kept(copy_of) -> None:
    """FF303 makes `list_items`'s parameters keyword-only; the project's test calls the endpoint
    positionally through the router's route table, which FF303's check cannot see (a real
    limit of static analysis, see tests/projects/verify_drop/README.md)."""
    root = copy_of("verify_drop")
    items_before = (root / "api" / "items.py").read_text()
    result = fix("--verify-tests", TESTS, ".")
    assert result.exit_code == 1, result.output
    dropped = [line for line in result.output.splitlines() if line.startswith("Dropped")]
    assert dropped == [
        f"Dropped FF303 fixes in api/items.py: tests `{TESTS}` passed before and fail after "
        + dropped[0].split("fail after ", 1)[1]
    ]
    assert "1 failed, 2 passed" in dropped[0]
    assert (root / "api" / "items.py").read_text() == items_before  # not written
    assert "await asyncio.sleep(0.01)" in (root / "api" / "reports.py").read_text()  # kept
    assert "Fixed api/reports.py (FF101: 1)" in result.output
    assert "1 fix applied (FF101: 1)" in result.output
    assert own_tests_pass(root)


def test_without_the_tests_nothing_is_dropped_there(copy_of) -> None:
    """The same project without --verify-tests: imports and the OpenAPI document hold, so the
    FF303 fix is kept (only a test shows it breaks a caller)."""
    root = copy_of("verify_drop")
    result = fix("--verify", ".")
    assert result.exit_code == 1, result.output
    assert "Dropped" not in result.output
    assert "  OpenAPI: 1 app's OpenAPI document unchanged by the fixes" in result.output
    assert "*, limit: int = 10" in (root / "api" / "items.py").read_text()


def test_verification_read_from_the_configuration_and_dry_run_writes_nothing(copy_of) -> None:
    root = copy_of("verify_drop")
    with (root / "pyproject.toml").open("a") as config:
        config.write(f"\n[tool.fastapi-fix]\nverify = true\nverify-tests = {TESTS!r}\n")
    before = {p: p.read_text() for p in root.rglob("*.py")}
    result = fix("--dry-run", ".")
    assert result.exit_code == 1, result.output
    assert "Dropped FF303 fixes in api/items.py: tests" in result.output
    assert "+    await asyncio.sleep(0.01)" in result.output  # the kept fix's diff
    assert "+from typing import Annotated" not in result.output  # the dropped one's is not shown
    assert {p: p.read_text() for p in root.rglob("*.py")} == before


def test_a_module_that_did_not_import_before_is_one_line_and_the_rest_is_checked(copy_of) -> None:
    root = copy_of("verify_broken_env")
    result = fix("--verify-tests", TESTS, ".")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    imports = next(line for line in result.output.splitlines() if "imports:" in line)
    assert imports.startswith("  imports: 2 modules import before and after the fixes (")
    assert (
        "e.g. legacy: ModuleNotFoundError: No module named 'a_package_not_installed_here'"
        in imports
    )
    assert "  OpenAPI: 1 app's OpenAPI document unchanged by the fixes" in result.output
    assert "await asyncio.sleep(0.01)" in (root / "service.py").read_text()
    assert "await asyncio.sleep(0.01)" in (root / "legacy.py").read_text()


def test_a_package_in_a_namespace_folder_is_imported_by_its_full_name(copy_of) -> None:
    """`webapp/utils/` has no `__init__.py`: on `sys.path` its `calendar.py` would shadow the
    standard library's, and nothing would import (open-webui's `open_webui/utils/`)."""
    root = copy_of("verify_namespace")
    result = fix("--verify", ".")
    assert result.exit_code == 1, result.output
    report = verification(result.output)
    assert report[1] == "  imports: 2 modules import before and after the fixes", report
    assert report[2] == "  OpenAPI: 1 app's OpenAPI document unchanged by the fixes", report
    assert (
        "await asyncio.sleep(0.01)"
        in (root / "webapp" / "utils" / "access" / "__init__.py").read_text()
    )


def test_unsafe_fixes_may_change_the_openapi_document(copy_of) -> None:
    root = copy_of("verify_ok")
    result = fix("--unsafe-fixes", "--verify", "--app", "shop.main:app", ".")
    assert result.exit_code in (0, 1), result.output
    openapi = next(line for line in result.output.splitlines() if "OpenAPI:" in line)
    assert openapi.startswith(
        "  OpenAPI: 1 app's OpenAPI document unchanged by the safe fixes; changed by unsafe "
        "fixes, as they may: shop.main:app ("
    )
    assert "Dropped" not in result.output
    assert "responses=" in (root / "shop" / "main.py").read_text()  # FF407's unsafe fix


def test_no_such_interpreter_is_a_usage_error(copy_of) -> None:
    root = copy_of("verify_ok")
    before = (root / "shop" / "main.py").read_text()
    result = CliRunner().invoke(main, ["--no-cache", "--python", "/no/such/python", "."])
    assert result.exit_code == 2
    assert "error: --verify: --python /no/such/python: no such interpreter" in result.output
    assert (root / "shop" / "main.py").read_text() == before


def test_bad_app_spec_and_interactive_are_refused(copy_of) -> None:
    copy_of("verify_ok")
    result = CliRunner().invoke(main, ["--app", "shop.main", "."])
    assert result.exit_code == 2 and "expected MODULE:ATTR" in result.output
    result = CliRunner().invoke(main, ["--verify", "--interactive", "."])
    assert result.exit_code == 2 and "--interactive cannot be combined" in result.output


# --- the probe ------------------------------------------------------------------------------


def test_probe_survives_modules_that_exit_kill_or_hang_the_interpreter(tmp_path: Path) -> None:
    modules = {
        "first": "VALUE = 1\n",
        "exits": "import sys\nsys.exit(3)\n",
        "kills": "import os\nos._exit(7)\n",
        "hangs": "import time\ntime.sleep(60)\n",
        "last": "from first import VALUE\n",
        "broken": "import first\nraise RuntimeError('no\\nluck')\n",
        # a settings module that parses the command line at import, as `python -c` gives it
        "parses_argv": "import argparse\nargparse.ArgumentParser().parse_args()\n",
        # the probe's own folder holds git.py and pr.py: they must not shadow anything
        "shadow": textwrap.dedent(
            """\
            import git  # GitPython, as installed

            assert "fastapi_fixer" not in git.__file__, git.__file__
            try:
                import pr
            except ModuleNotFoundError:
                pass
            else:
                raise AssertionError(pr.__file__)
            """
        ),
    }
    for name, text in modules.items():
        (tmp_path / f"{name}.py").write_text(text)
    found, _apps, version = run_probe(
        sys.executable, str(tmp_path), [str(tmp_path)], list(modules), [], timeout=5
    )
    assert version == sys.version.split()[0]
    assert found["first"].ok and found["first"].file == "first.py"
    assert found["last"].ok
    assert not found["exits"].ok and found["exits"].error == "SystemExit: 3"
    assert found["kills"].error.startswith("the probe the interpreter exited with code 7")
    assert found["hangs"].error == "the probe timed out after 5s while loading it"
    assert found["broken"].error == "RuntimeError: no luck"
    assert found["broken"].frames == ("broken.py",)
    assert found["shadow"].ok, found["shadow"]
    assert found["parses_argv"].ok, found["parses_argv"]


def test_probe_dumps_openapi_documents(tmp_path: Path) -> None:
    (tmp_path / "web.py").write_text(
        textwrap.dedent(
            """\
            from fastapi import FastAPI

            app = FastAPI(title="T")
            not_an_app = object()


            @app.get("/x")
            def x() -> int:
                return 1
            """
        )
    )
    _, apps, _ = run_probe(
        sys.executable,
        str(tmp_path),
        [str(tmp_path)],
        ["web"],
        ["web:app", "web:not_an_app", "web:missing"],
        timeout=60,
    )
    assert apps["web:app"].document["info"]["title"] == "T"
    assert "/x" in apps["web:app"].document["paths"]
    assert apps["web:not_an_app"].ok and apps["web:not_an_app"].document is None
    assert not apps["web:missing"].ok and "AttributeError" in apps["web:missing"].error


def test_first_difference_names_the_place() -> None:
    before = {"paths": {"/x": {"get": {"parameters": [{"name": "a"}, {"name": "b"}]}}}}
    after = {"paths": {"/x": {"get": {"parameters": [{"name": "b"}, {"name": "a"}]}}}}
    assert first_difference(before, after) == 'paths./x.get.parameters[0].name: "a" -> "b"'
    assert first_difference(before, {"paths": {}}) == "paths./x removed"
    assert first_difference(before, before) is None


def test_project_root_is_the_nearest_project_folder(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert project_root(["pkg/sub"]) == str(tmp_path)
    monkeypatch.chdir(tmp_path / "pkg")
    assert project_root(["sub"]) == str(tmp_path / "pkg")  # not above the current folder
    assert os.path.isdir(project_root(["."]))
