"""The command line through click's CliRunner: exit codes, dry runs, selection, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer import __version__
from fastapi_fixer.cli import main
from tests.cli_project import CLEAN, CONFIG, ROUTE, make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_reports_concise_lines_and_exits_1(project: Path) -> None:
    result = invoke("check", str(project))
    assert result.exit_code == 1
    assert f"{project}/app.py:10:5: FF101 [*] Blocking call `time.sleep`" in result.output
    assert "Found 1 error." in result.output
    assert (project / "app.py").read_text() == ROUTE


def test_check_clean_exits_0(project: Path) -> None:
    result = invoke("check", str(project / "clean.py"))
    assert result.exit_code == 0
    assert "All checks passed!" in result.output


def test_dry_run_writes_nothing_and_exits_1(project: Path) -> None:
    result = invoke("--dry-run", str(project))
    assert result.exit_code == 1
    assert "+    await asyncio.sleep(1)" in result.output
    assert (project / "app.py").read_text() == ROUTE


def test_diff_is_plain_unified_diff(project: Path) -> None:
    result = invoke("--diff", str(project))
    assert result.exit_code == 1
    assert result.output.startswith("--- a/")
    assert "\x1b[" not in result.output
    assert "-    time.sleep(1)\n+    await asyncio.sleep(1)\n" in result.output


def test_fix_writes_and_second_run_is_clean(project: Path) -> None:
    result = invoke(str(project))
    assert result.exit_code == 0, result.output
    assert "1 file changed; 1 fix applied (FF101: 1); 0 findings left" in result.output
    fixed = (project / "app.py").read_text()
    assert "await asyncio.sleep(1)" in fixed and "import asyncio" in fixed
    again = invoke(str(project))
    assert again.exit_code == 0
    assert (project / "app.py").read_text() == fixed
    assert invoke("--dry-run", str(project)).exit_code == 0


def test_fix_keeps_file_mode(project: Path) -> None:
    (project / "app.py").chmod(0o640)
    invoke(str(project))
    assert (project / "app.py").stat().st_mode & 0o777 == 0o640


def test_select_and_ignore(project: Path) -> None:
    assert invoke("check", "--ignore", "FF101", str(project)).exit_code == 0
    assert invoke("check", "--ignore", "FF1", str(project)).exit_code == 0
    assert invoke("check", "--select", "FF1", str(project)).exit_code == 1
    assert invoke("check", "--select", "FF101", "--ignore", "FF1", str(project)).exit_code == 1


def test_unknown_selector_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--select", "XX9", str(project)])
    assert result.exit_code == 2
    assert "unknown rule selector: XX9" in result.output


def test_noqa_suppresses(project: Path) -> None:
    (project / "app.py").write_text(ROUTE.replace("time.sleep(1)", "time.sleep(1)  # noqa: FF101"))
    assert invoke("check", "--select", "FF101", str(project)).exit_code == 0
    (project / "app.py").write_text(ROUTE.replace("time.sleep(1)", "time.sleep(1)  # noqa"))
    assert invoke("check", "--select", "FF101", str(project)).exit_code == 0
    (project / "app.py").write_text(ROUTE.replace("time.sleep(1)", "time.sleep(1)  # noqa: FF999"))
    assert invoke("check", "--select", "FF101", str(project)).exit_code == 1
    (project / "app.py").write_text(ROUTE.replace("time.sleep(1)", 'time.sleep(len("# noqa"))'))
    assert invoke("check", "--select", "FF101", str(project)).exit_code == 1


def test_pyproject_configuration(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF9"]\n')
    assert "FF101" not in invoke("check", str(project)).output
    (project / "pyproject.toml").write_text(CONFIG + 'exclude = ["app.py"]\n')
    assert invoke("check", str(project)).exit_code == 0


def test_extra_blocking_calls_from_configuration(project: Path) -> None:
    (project / "app.py").write_text(ROUTE.replace("time.sleep(1)", "legacy.fetch_all()"))
    (project / "app.py").write_text("import legacy\n" + (project / "app.py").read_text())
    assert invoke("check", "--select", "FF101", str(project)).exit_code == 0
    (project / "pyproject.toml").write_text(CONFIG + 'extra-blocking-calls = ["legacy.*"]\n')
    result = invoke("check", "--select", "FF101", str(project))
    assert result.exit_code == 1
    assert "Blocking call `legacy.fetch_all`" in result.output


def test_bad_configuration_is_a_usage_error(project: Path) -> None:
    (project / "pyproject.toml").write_text(CONFIG + 'selct = ["FF1"]\n')
    result = CliRunner().invoke(main, ["check", str(project)])
    assert result.exit_code == 2
    assert "unknown option `selct`" in result.output


def test_explicit_config_file(project: Path, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('[tool.fastapi-fix]\nselect = ["FF101"]\nignore = ["FF101"]\n')
    assert invoke("check", "--config", str(config), str(project)).exit_code == 0


def test_unparseable_file_exits_2_and_others_are_processed(project: Path) -> None:
    (project / "broken.py").write_text("def broken(:\n")
    result = CliRunner().invoke(main, ["check", str(project)])
    assert result.exit_code == 2
    assert f"error: {project}/broken.py: syntax error" in result.output
    assert "FF101" in result.output


def test_gitignore_is_honoured(project: Path) -> None:
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("app.py\n")
    assert invoke("check", str(project)).exit_code == 0


def test_virtualenvs_are_skipped(project: Path) -> None:
    venv = project / "venv-here"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "lib.py").write_text(ROUTE)
    (project / "app.py").write_text(CLEAN)
    assert invoke("check", str(project)).exit_code == 0


def test_rule_docs_and_listing() -> None:
    docs = invoke("rule", "FF101")
    assert docs.exit_code == 0
    assert "blocking-call-in-async" in docs.output and "## Fix safety" in docs.output
    listing = invoke("rules")
    assert "FF101\tblocking-call-in-async\terror\tsafe" in listing.output
    assert CliRunner().invoke(main, ["rule", "FF999"]).exit_code == 2


def test_version() -> None:
    result = invoke("--version")
    assert __version__ in result.output


def test_missing_path_is_reported(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.output


def test_a_mistyped_command_is_an_error_and_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["chek", "app.py"])
    assert result.exit_code == 2
    assert "no such command or path 'chek'; did you mean 'check'?" in result.output
    assert (project / "app.py").read_text() == ROUTE


def test_statistics_are_a_report_and_write_nothing(project: Path) -> None:
    result = invoke("--statistics", str(project))
    assert result.exit_code == 1
    assert "FF101" in result.output and "blocking-call-in-async" in result.output
    assert (project / "app.py").read_text() == ROUTE


def test_exclude_patterns_are_relative_to_the_configuration(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "migrations").mkdir()
    (project / "migrations" / "m1.py").write_text(ROUTE)
    (project / "pyproject.toml").write_text(CONFIG + 'exclude = ["migrations/*"]\n')
    monkeypatch.chdir(project)
    result = invoke(".")  # the default path, where files are `./migrations/m1.py`
    assert (project / "migrations" / "m1.py").read_text() == ROUTE
    assert (project / "app.py").read_text() != ROUTE  # the rest is still fixed
    monkeypatch.chdir(project.parent)
    result = invoke("check", str(project))  # from elsewhere: relative to the configuration
    assert "m1.py" not in result.output


def test_paths_print_as_ruff_prints_them_and_the_diff_applies_with_git(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.chdir(project)
    result = invoke("check", ".")
    assert "app.py:10:5: FF101" in result.output
    assert "./app.py" not in result.output
    diff = invoke("--diff", ".").output
    assert diff.startswith("--- a/app.py\n+++ b/app.py\n")
    subprocess.run(["git", "init", "-q", "."], check=True)
    patch = diff.split("Would fix")[0]  # the summary line, when the runner mixes it in
    applied = subprocess.run(
        ["git", "apply", "--check", "-"], input=patch, text=True, capture_output=True
    )
    assert applied.returncode == 0, applied.stderr


def test_a_missing_path_is_not_reported_as_all_checks_passed(project: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(project / "nowhere.py")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.output
    assert "All checks passed" not in result.output


def test_a_fix_spanning_files_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    """FF706 moves `events.py`'s handlers into `main.py`'s lifespan: one fix, two files. When
    `events.py` cannot be written, `main.py` is left as it was too (and both say why)."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "fixtures" / "FF706" / "project", root)
    (root / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF706"]\n')
    main_py, events = root / "app" / "main.py", root / "app" / "events.py"
    before = {path: path.read_text() for path in (main_py, events)}
    events.chmod(0o444)
    try:
        result = CliRunner().invoke(main, ["fix", str(root)], catch_exceptions=False)
    finally:
        events.chmod(0o644)
    assert result.exit_code == 2, result.output
    assert {path: path.read_text() for path in before} == before
    assert f"{events}: file is read-only; not written" in result.output
    assert f"{main_py}: not written: a fix spans it and {events}" in result.output
    # the same run with a writable events.py writes both
    again = CliRunner().invoke(main, ["fix", str(root)], catch_exceptions=False)
    assert again.exit_code in (0, 1), again.output
    assert main_py.read_text() != before[main_py] and events.read_text() != before[events]
