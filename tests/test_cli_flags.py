"""Flags a ruff user reaches for: exit codes, repeated selections, stdin, output files, quiet and
silent runs, the cache folder, --fail-on, and what a crash looks like."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from tests.cli_project import CLEAN, CONFIG, ROUTE, make_project

ROOT = Path(__file__).resolve().parent.parent

# FF000 (unused noqa) is a warning, FF101 an error
UNUSED_NOQA = "import os  # noqa: FF101\n\nprint(os.sep)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


# --- selection ------------------------------------------------------------------------------


def test_repeated_select_and_ignore_add_up(project: Path) -> None:
    (project / "noqa.py").write_text(UNUSED_NOQA)
    both = run("check", "--select", "FF101", "--select", "FF000", str(project))
    assert "FF101" in both.output and "FF000" in both.output
    ignored = run("check", "--ignore", "FF101", "--ignore", "FF000", str(project))
    assert ignored.exit_code == 0, ignored.output
    extended = run(
        "check", "--select", "FF2", "--extend-select", "FF101", "--extend-select", "FF000",
        str(project),
    )  # fmt: skip
    assert "FF101" in extended.output and "FF000" in extended.output


# --- exit codes -----------------------------------------------------------------------------


def test_exit_zero_reports_and_exits_0(project: Path) -> None:
    for flag in ("--exit-zero", "-e"):
        result = run("check", flag, str(project))
        assert result.exit_code == 0
        assert "FF101" in result.output
    # FF405 has no fix: the fix run leaves its finding, and exits 1 without the flag
    assert run("--select", "FF405", str(project)).exit_code == 1
    assert run("--exit-zero", "--select", "FF405", str(project)).exit_code == 0


def test_exit_zero_does_not_hide_a_file_that_could_not_be_processed(project: Path) -> None:
    (project / "broken.py").write_text("def broken(:\n")
    result = CliRunner().invoke(main, ["check", "--exit-zero", str(project)])
    assert result.exit_code == 2
    assert "syntax error" in result.output


def test_exit_zero_and_exit_non_zero_on_fix_conflict(project: Path) -> None:
    result = CliRunner().invoke(main, ["--exit-zero", "--exit-non-zero-on-fix", str(project)])
    assert result.exit_code == 2
    assert "--exit-zero" in result.output and "--exit-non-zero-on-fix" in result.output
    assert (project / "app.py").read_text() == ROUTE


def test_exit_non_zero_on_fix(project: Path) -> None:
    result = run("--exit-non-zero-on-fix", str(project))
    assert result.exit_code == 1, result.output
    assert "await asyncio.sleep(1)" in (project / "app.py").read_text()
    again = run("--exit-non-zero-on-fix", str(project))  # nothing left to fix
    assert again.exit_code == 0
    # `check` fixes nothing: the flag changes nothing there
    assert run("check", "--exit-non-zero-on-fix", str(project)).exit_code == 0


def test_check_fix_and_check_diff_are_aliases(project: Path) -> None:
    diff = run("check", "--diff", str(project))
    assert diff.exit_code == 1
    assert "+    await asyncio.sleep(1)" in diff.output
    assert (project / "app.py").read_text() == ROUTE
    fixed = run("check", "--fix", "--exit-non-zero-on-fix", str(project))
    assert fixed.exit_code == 1
    assert "await asyncio.sleep(1)" in (project / "app.py").read_text()
    assert run("check", "--fix", str(project)).exit_code == 0


def test_fail_on_sets_the_severity_that_fails(project: Path) -> None:
    (project / "app.py").write_text(UNUSED_NOQA)  # one warning (FF000), no error
    args = ("check", "--select", "FF000,FF101", str(project))
    assert run(*args).exit_code == 1  # default: info, every finding fails
    assert run(*args, "--fail-on", "warning").exit_code == 1
    result = run(*args, "--fail-on", "error")
    assert result.exit_code == 0
    assert "FF000" in result.output  # still reported
    (project / "app.py").write_text(ROUTE)
    assert run("check", "--fail-on", "error", str(project)).exit_code == 1
    # the findings a fix run leaves count the same way
    (project / "app.py").write_text(UNUSED_NOQA)
    assert run("--select", "FF000,FF101", "--fail-on", "error", str(project)).exit_code == 0
    bad = CliRunner().invoke(main, ["check", "--fail-on", "fatal", str(project)])
    assert bad.exit_code == 2


# --- what is printed, and where ---------------------------------------------------------------


def test_quiet_prints_findings_only(project: Path) -> None:
    for flag in ("-q", "--quiet"):
        result = run("check", flag, str(project))
        assert result.exit_code == 1
        assert result.output.startswith(f"{project}/app.py:10:5: FF101 [*] Blocking call")
        assert len(result.output.splitlines()) == 1  # no summary, no fixability hint
    clean = run("check", "-q", str(project / "clean.py"))
    assert (clean.exit_code, clean.output) == (0, "")
    full = run("check", "-q", "--output-format", "full", str(project))
    assert "FF101" in full.output and "Found" not in full.output
    fixed = run("-q", str(project))
    assert (fixed.exit_code, fixed.output) == (0, "")
    assert "await asyncio.sleep(1)" in (project / "app.py").read_text()


def test_silent_prints_nothing_and_keeps_the_exit_code(project: Path) -> None:
    for flag in ("-s", "--silent"):
        result = run("check", flag, str(project))
        assert (result.exit_code, result.output) == (1, "")
    (project / "broken.py").write_text("def broken(:\n")
    failed = CliRunner().invoke(main, ["check", "--silent", str(project)])
    assert (failed.exit_code, failed.output) == (2, "")
    dry = run("--diff", "--silent", str(project / "app.py"))
    assert (dry.exit_code, dry.output) == (1, "")


def test_output_file_takes_the_report(project: Path) -> None:
    report = project / "report.txt"
    for flag in ("-o", "--output-file"):
        result = run("check", flag, str(report), str(project))
        assert result.exit_code == 1
        assert result.output == ""
        written = report.read_text()
        assert f"{project}/app.py:10:5: FF101" in written and "Found 1 error." in written
    as_json = run("check", "-o", str(report), "--output-format", "json", str(project))
    assert as_json.output == "" and '"code": "FF101"' in report.read_text()
    report.unlink()
    silent = run("check", "--silent", "-o", str(report), str(project))
    assert silent.output == "" and "FF101" in report.read_text()
    nowhere = CliRunner().invoke(main, ["check", "-o", str(project / "no" / "r.txt"), "."])
    assert nowhere.exit_code == 2
    assert "r.txt" in nowhere.output


def test_output_file_from_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = project / "report.txt"
    monkeypatch.setenv("FASTAPI_FIX_OUTPUT_FILE", str(report))
    result = run("check", str(project))
    assert result.output == "" and "FF101" in report.read_text()


# --- the cache folder -----------------------------------------------------------------------


def test_cache_dir_option_and_environment(project: Path, tmp_path_factory) -> None:
    chosen = tmp_path_factory.mktemp("chosen")
    run("check", "--cache-dir", str(chosen / "c"), str(project))
    assert (chosen / "c" / ".gitignore").is_file()
    assert any(p.suffix == ".pickle" for p in (chosen / "c").rglob("*"))
    # the option wins over FASTAPI_FIX_CACHE_DIR (set by conftest for every test)
    env_dir = Path(os.environ["FASTAPI_FIX_CACHE_DIR"])
    before = sorted(env_dir.rglob("*"))
    run("--cache-dir", str(chosen / "d"), "--dry-run", str(project))
    assert (chosen / "d").is_dir()
    assert sorted(env_dir.rglob("*")) == before


def test_no_cache_short_flag_and_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory
) -> None:
    chosen = tmp_path_factory.mktemp("never")
    assert run("check", "-n", "--cache-dir", str(chosen / "c"), str(project)).exit_code == 1
    monkeypatch.setenv("FASTAPI_FIX_NO_CACHE", "1")
    assert run("check", "--cache-dir", str(chosen / "d"), str(project)).exit_code == 1
    assert not (chosen / "c").exists() and not (chosen / "d").exists()


# --- stdin, for editors ---------------------------------------------------------------------


def test_check_from_stdin_reports_with_the_given_name(project: Path) -> None:
    (project / "app.py").write_text(CLEAN)  # the file on disk is not what is checked
    name = str(project / "app.py")
    result = run("check", "--stdin-filename", name, input=ROUTE)
    assert result.exit_code == 1
    assert f"{name}:10:5: FF101 [*] Blocking call `time.sleep`" in result.output
    assert "1 file checked" not in result.output and "Found 1 error." in result.output
    assert (project / "app.py").read_text() == CLEAN
    assert run("check", "--stdin-filename", name, input=CLEAN).exit_code == 0


def test_stdin_finds_the_configuration_from_the_given_path(
    project: Path, tmp_path_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(CONFIG + 'ignore = ["FF101"]\n')
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    result = run("check", "--stdin-filename", str(project / "app.py"), input=ROUTE)
    assert result.exit_code == 0, result.output


def test_stdin_honours_excludes_with_force_exclude(project: Path) -> None:
    (project / "pyproject.toml").write_text(CONFIG + 'exclude = ["generated/*"]\n')
    name = str(project / "generated" / "api.py")
    # as ruff: a name given on the command line is checked, unless --force-exclude
    assert run("check", "--stdin-filename", name, input=ROUTE).exit_code == 1
    skipped = run("check", "--force-exclude", "--stdin-filename", name, input=ROUTE)
    assert skipped.exit_code == 0 and "FF101" not in skipped.output
    echoed = run("fix", "--force-exclude", "--stdin-filename", name, input=ROUTE)
    assert (echoed.exit_code, echoed.stdout) == (0, ROUTE)


def test_force_exclude_skips_excluded_paths_given_explicitly(project: Path) -> None:
    (project / "pyproject.toml").write_text(CONFIG + 'exclude = ["app.py"]\n')
    assert run("check", str(project / "app.py")).exit_code == 1
    assert run("check", "--force-exclude", str(project / "app.py")).exit_code == 0


def test_fix_from_stdin_writes_the_fixed_source_to_stdout(project: Path) -> None:
    name = str(project / "app.py")
    (project / "app.py").write_text(CLEAN)
    result = run("fix", "--stdin-filename", name, input=ROUTE)
    assert result.exit_code == 0, result.output
    assert "await asyncio.sleep(1)" in result.stdout and "import asyncio" in result.stdout
    assert result.stdout.startswith("import asyncio")  # the source, nothing before it
    assert "fix applied" in result.stderr  # the report goes to stderr
    assert (project / "app.py").read_text() == CLEAN  # nothing on disk
    assert sorted(p.name for p in project.iterdir()) == ["app.py", "clean.py", "pyproject.toml"]
    on_fix = run("--exit-non-zero-on-fix", "--stdin-filename", name, input=ROUTE)
    assert on_fix.exit_code == 1 and "await asyncio.sleep(1)" in on_fix.stdout
    unchanged = run("--stdin-filename", name, "--exit-non-zero-on-fix", input=CLEAN)
    assert (unchanged.exit_code, unchanged.stdout) == (0, CLEAN)
    silent = run("--silent", "--stdin-filename", name, input=ROUTE)
    assert silent.stdout.startswith("import asyncio") and silent.stderr == ""


def test_fix_and_diff_from_stdin(project: Path) -> None:
    name = str(project / "app.py")
    text = UNUSED_NOQA.replace("# noqa: FF101", "# noqa: FF101, FF999")
    result = run("--select", "FF000,FF101", "--stdin-filename", name, input=UNUSED_NOQA)
    assert result.exit_code == 0 and result.stdout == CLEAN
    diff = run("--diff", "--select", "FF000", "--stdin-filename", name, input=text)
    assert diff.exit_code == 1 and "-import os  # noqa" in diff.stdout
    assert (project / "app.py").read_text() == ROUTE
    left = run("--select", "FF405", "--stdin-filename", name, input=ROUTE)  # FF405: no fix
    assert left.exit_code == 1 and left.stdout == ROUTE and "FF405" in left.stderr


def test_a_dash_reads_stdin(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = run("check", "-", input=ROUTE)
    assert result.exit_code == 1
    assert result.output.startswith("-:10:5: FF101")
    fixed = run("fix", "-", input=ROUTE)
    assert "await asyncio.sleep(1)" in fixed.stdout
    assert (project / "app.py").read_text() == ROUTE


def test_stdin_filename_with_paths_warns_and_reads_stdin(project: Path) -> None:
    result = run("check", "--stdin-filename", "x.py", str(project / "app.py"), input=CLEAN)
    assert result.exit_code == 0
    assert "ignoring" in result.stderr.lower() and "app.py" in result.stderr


# --- crashes --------------------------------------------------------------------------------


def test_an_internal_error_exits_2_with_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ast

    parse = ast.parse

    def broken(source: str, filename: str = "<unknown>", *args: object, **kwargs: object):
        if filename.endswith(".py"):  # the run's files; pytest's own reading keeps working
            raise RuntimeError("parser exploded\nsecond line")
        return parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", broken)
    result = CliRunner().invoke(main, ["check", "--no-cache", "-j", "1", str(project)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "internal error" in lines[0] and "RuntimeError: parser exploded" in lines[0]
    assert "--verbose" in lines[0] and "report" in lines[0]
    verbose = CliRunner().invoke(
        main, ["check", "--verbose", "--no-cache", "-j", "1", str(project)]
    )
    assert verbose.exit_code == 2
    assert "Traceback (most recent call last)" in verbose.stderr
    assert "internal error" in verbose.stderr


def _non_utf8_name(project: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("file names are bytes on Linux only")
    os.rename(project / "app.py", os.path.join(os.fsencode(project), b"app\xff.py"))


def test_a_crash_in_a_real_run_is_one_line(project: Path) -> None:
    """A file name that is not UTF-8 (it crashed the project index; some output formats may
    still choke on it). Whatever the run makes of it, it prints no traceback, and exits 2 only
    with the one-line message."""
    _non_utf8_name(project)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for output_format in ("concise", "sarif", "gitlab"):
        done = subprocess.run(
            [sys.executable, "-m", "fastapi_fixer", "check", "--no-cache", "--output-format",
             output_format, "."],
            cwd=project,
            env=env,
            capture_output=True,
        )  # fmt: skip
        assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
        if done.returncode == 2:
            assert b"internal error" in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1
        else:
            assert done.returncode == 1


def test_a_file_name_that_is_not_utf8_is_checked_and_fixed(project: Path) -> None:
    _non_utf8_name(project)
    name = os.path.join(os.fsencode(project), b"app\xff.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def fastapi_fix(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "fastapi_fixer", *args]
        return subprocess.run(command, cwd=project, env=env, capture_output=True)

    checked = fastapi_fix("check", "--no-cache", "-o", "report.txt", ".")
    assert checked.returncode == 1, checked.stderr
    assert b"app\xff.py:10:5: FF101" in (project / "report.txt").read_bytes()
    fixed = fastapi_fix("--no-cache", ".")
    assert fixed.returncode == 0, fixed.stderr
    with open(name, "rb") as handle:
        assert b"await asyncio.sleep(1)" in handle.read()


def test_a_crash_in_a_worker_process_is_one_line_and_verbose_shows_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ast

    from fastapi_fixer.engine.workers import PARALLEL_THRESHOLD

    for number in range(PARALLEL_THRESHOLD + 2):  # enough files for worker processes
        (tmp_path / f"app{number}.py").write_text(ROUTE)
    parse = ast.parse

    def broken(source: str, filename: str = "<unknown>", *args: object, **kwargs: object):
        if filename.endswith(".py") and os.getpid() != parent:  # in a worker only
            raise RuntimeError("parser exploded in a worker")
        return parse(source, filename, *args, **kwargs)

    parent = os.getpid()
    monkeypatch.setattr(ast, "parse", broken)
    args = ["check", "--no-cache", "-j", "2", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "RuntimeError: parser exploded in a worker" in lines[0], lines
    verbose = CliRunner().invoke(main, [*args, "--verbose"])
    assert verbose.exit_code == 2
    assert "In the worker process:" in verbose.stderr
    assert 'raise RuntimeError("parser exploded in a worker")' in verbose.stderr


def test_pre_commit_hooks_honour_excludes(project: Path) -> None:
    """pre-commit names the staged files, excluded ones too: the hooks pass --force-exclude,
    as ruff's do."""
    import shlex

    yaml = pytest.importorskip("yaml")
    (project / "pyproject.toml").write_text(CONFIG + 'exclude = ["generated/*"]\n')
    (project / "generated").mkdir()
    (project / "generated" / "api.py").write_text(ROUTE)
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert len(hooks) == 2
    for hook in hooks:
        program, *args = shlex.split(hook["entry"])
        assert program == "fastapi-fix"
        result = run(*args, str(project / "generated" / "api.py"))
        assert result.exit_code == 0, (hook["id"], result.output)
        assert (project / "generated" / "api.py").read_text() == ROUTE
