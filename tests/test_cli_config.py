"""Configuration and file selection through the command line, as a ruff user expects them: a
configuration that cannot be read is an error naming the file and the key (exit 2, nothing
written), `exclude`/`extend-exclude`/`force-exclude` choose the files, `per-file-ignores` hides
findings (and their fixes) in matching files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fastapi_fixer.cli import main
from tests.cli_project import CONFIG, ROUTE


def invoke(*args: str) -> Result:
    # catch_exceptions=False: a traceback fails the test instead of passing as exit 1
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _one_line_error(result: Result, *needles: str, usage: bool = False) -> str:
    """The error line, naming every needle; a configuration problem prints that line alone
    (`Error: FILE: ...`), a command-line one (``usage``) after click's usage lines."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "rror" in line]
    assert len(lines) == 1, result.output
    if not usage:
        assert result.output.strip() == lines[0], result.output
    for needle in needles:
        assert needle in lines[0], result.output
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(ROUTE)
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    return tmp_path


# --- 1. a configuration that cannot be read ----------------------------------------------------


@pytest.mark.parametrize("command", ["check", "fix"])
def test_an_unparsable_pyproject_on_the_way_up_is_an_error(project: Path, command: str) -> None:
    """ruff stops at a pyproject.toml it cannot parse; skipping it would use the parent's
    configuration (here: FF1 selected, so `fix` would rewrite the file)."""
    sub = project / "service"
    sub.mkdir()
    (sub / "app.py").write_text(ROUTE)
    (sub / "pyproject.toml").write_text("[tool.fastapi-fix\nselect = \n")
    result = invoke(command, str(sub / "app.py"))
    _one_line_error(result, str(sub / "pyproject.toml"), "TOML")
    assert (sub / "app.py").read_text() == ROUTE


@pytest.mark.parametrize(
    "text",
    [
        "tool = 1\n",
        "[tool]\nfastapi-fix = 1\n",
        "[tool]\nfastapi-fix = [1, 2]\n",
    ],
)
def test_a_table_of_the_wrong_type_is_an_error_not_a_traceback(project: Path, text: str) -> None:
    (project / "pyproject.toml").write_text(text)
    result = invoke("fix", str(project))
    _one_line_error(result, str(project / "pyproject.toml"))
    assert (project / "app.py").read_text() == ROUTE


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('select = "FF1"', "select"),
        ("ignore = [1]", "ignore"),
        ('extend-select = "FF101"', "extend-select"),
        ('exclude = "migrations"', "exclude"),
        ('extend-exclude = "migrations"', "extend-exclude"),
        ('force-exclude = "yes"', "force-exclude"),
        ('unsafe-fixes = "yes"', "unsafe-fixes"),
        ("extra-blocking-calls = [1]", "extra-blocking-calls"),
        ('extra-sync-sdks = "x"', "extra-sync-sdks"),
        ("extra-cpu-bound-calls = {}", "extra-cpu-bound-calls"),
        ("resource-factories = 3", "resource-factories"),
        ("response-model-style = 3", "response-model-style"),
        ('verify = "no"', "verify"),
        ('verify-apps = "main:app"', "verify-apps"),
        ("verify-tests = 3", "verify-tests"),
        ('per-file-ignores = ["tests/*"]', "per-file-ignores"),
        ('per-file-ignores = { "tests/*" = "FF1" }', "per-file-ignores"),
        ('extend-per-file-ignores = { "tests/*" = [1] }', "extend-per-file-ignores"),
        ("bogus = 1", "bogus"),
    ],
)
def test_every_key_of_the_wrong_type_is_a_one_line_error_naming_file_and_key(
    project: Path, line: str, key: str
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.fastapi-fix]\n{line}\n")
    result = invoke("fix", str(project))
    _one_line_error(result, str(project / "pyproject.toml"), f"`{key}")
    assert (project / "app.py").read_text() == ROUTE


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('select = ["FF1", "XYZ9"]', "select"),
        ('ignore = ["FF999"]', "ignore"),
        ('extend-select = ["FF9999"]', "extend-select"),
        ('per-file-ignores = { "tests/*" = ["FF1", "NOPE1"] }', "per-file-ignores"),
        ('extend-per-file-ignores = { "tests/*" = ["NOPE1"] }', "extend-per-file-ignores"),
    ],
)
@pytest.mark.parametrize("command", ["check", "fix"])
def test_an_unknown_rule_code_in_the_configuration_names_the_file_and_key(
    project: Path, line: str, key: str, command: str
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.fastapi-fix]\n{line}\n")
    result = invoke(command, str(project))
    _one_line_error(result, str(project / "pyproject.toml"), f"`{key}`")
    assert (project / "app.py").read_text() == ROUTE


def test_an_unknown_rule_code_on_the_command_line_names_the_flag(project: Path) -> None:
    result = invoke("check", "--extend-select", "FF9999", str(project))
    _one_line_error(result, "FF9999", "--extend-select", usage=True)
    result = invoke("fix", "--ignore", "NOPE", str(project))
    _one_line_error(result, "NOPE", "--ignore", usage=True)
    assert (project / "app.py").read_text() == ROUTE


# --- 2. exclude, extend-exclude, force-exclude -------------------------------------------------


@pytest.fixture
def layered(project: Path) -> Path:
    """app.py, migrations/m1.py, legacy/old.py and tests/test_app.py, all with an FF101."""
    for name in ("migrations/m1.py", "legacy/old.py", "tests/test_app.py"):
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(ROUTE)
    return project


def _reported(result: Result) -> set[str]:
    return {
        line.split(":", 1)[0].replace(os.sep, "/")
        for line in result.output.splitlines()
        if ": FF" in line
    }


def test_extend_exclude_in_the_configuration_and_on_the_command_line(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layered)
    (layered / "pyproject.toml").write_text(
        CONFIG + 'exclude = ["migrations"]\nextend-exclude = ["legacy/*"]\n'
    )
    assert _reported(invoke("check")) == {"app.py", "tests/test_app.py"}
    result = invoke("check", "--extend-exclude", "tests")
    assert _reported(result) == {"app.py"}


def test_an_explicit_file_is_excluded_only_with_force_exclude(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ruff's semantics: a file named on the command line is checked even when excluded
    (`ruff check migrations/m1.py`), unless --force-exclude (what pre-commit passes)."""
    monkeypatch.chdir(layered)
    (layered / "pyproject.toml").write_text(CONFIG + 'exclude = ["migrations"]\n')
    assert _reported(invoke("check", "migrations/m1.py")) == {"migrations/m1.py"}
    result = invoke("check", "--force-exclude", "migrations/m1.py", "app.py")
    assert _reported(result) == {"app.py"}
    # a folder named on the command line too, and `fix` writes nothing there
    invoke("fix", "--force-exclude", "migrations")
    assert (layered / "migrations" / "m1.py").read_text() == ROUTE
    (layered / "pyproject.toml").write_text(
        CONFIG + 'exclude = ["migrations"]\nforce-exclude = true\n'
    )
    assert _reported(invoke("check", "migrations/m1.py", "app.py")) == {"app.py"}
    result = invoke("check", "--no-force-exclude", "migrations/m1.py")
    assert _reported(result) == {"migrations/m1.py"}


def test_force_exclude_patterns_are_relative_to_the_configuration(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layered / "pyproject.toml").write_text(
        CONFIG + 'extend-exclude = ["legacy/*"]\nforce-exclude = true\n'
    )
    monkeypatch.chdir(layered / "legacy")
    result = invoke("check", "old.py")
    assert result.exit_code == 0, result.output
    assert _reported(result) == set()


def test_exclude_double_star_matches_at_any_depth_including_none(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layered / "pkg" / "migrations").mkdir(parents=True)
    (layered / "pkg" / "migrations" / "m2.py").write_text(ROUTE)
    (layered / "pyproject.toml").write_text(CONFIG + 'exclude = ["**/migrations/*.py"]\n')
    monkeypatch.chdir(layered)
    assert _reported(invoke("check")) == {"app.py", "legacy/old.py", "tests/test_app.py"}


# --- 2. per-file-ignores -----------------------------------------------------------------------


def test_per_file_ignores_hide_findings_in_matching_files(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layered / "pkg" / "migrations").mkdir(parents=True)
    (layered / "pkg" / "migrations" / "m2.py").write_text(ROUTE)
    (layered / "pkg" / "__init__.py").write_text(ROUTE)
    (layered / "pyproject.toml").write_text(
        CONFIG
        + "[tool.fastapi-fix.per-file-ignores]\n"
        + '"tests/*" = ["FF1"]\n'  # a prefix, and `*` crosses folders as in ruff
        + '"**/migrations/*" = ["FF101"]\n'  # at any depth, the top one too
        + '"__init__.py" = ["ff101"]\n'  # a bare file name matches in any folder
    )
    monkeypatch.chdir(layered)
    assert _reported(invoke("check")) == {"app.py", "legacy/old.py"}
    # relative to the configuration's folder, wherever the command runs from
    monkeypatch.chdir(layered / "tests")
    assert invoke("check", ".").exit_code == 0


def test_with_config_globs_are_relative_to_the_current_folder(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ruff: a file given with --config is not where the project is; its relative globs read
    from the current folder (so `--config ci/fastapi-fix.toml` works from the project's root)."""
    (layered / "ci").mkdir()
    (layered / "ci" / "fastapi-fix.toml").write_text(
        'select = ["FF1"]\nexclude = ["legacy/*"]\n'
        '[per-file-ignores]\n"tests/*" = ["FF1"]\n"migrations/*" = ["FF1"]\n'
    )
    monkeypatch.chdir(layered)
    assert _reported(invoke("check", "--config", "ci/fastapi-fix.toml")) == {"app.py"}


def test_a_negated_per_file_ignore_applies_to_the_files_that_do_not_match(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layered / "pyproject.toml").write_text(
        CONFIG + '[tool.fastapi-fix.per-file-ignores]\n"!tests/*" = ["FF101"]\n'
    )
    monkeypatch.chdir(layered)
    assert _reported(invoke("check")) == {"tests/test_app.py"}


def test_extend_per_file_ignores_adds_to_per_file_ignores(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layered / "pyproject.toml").write_text(
        CONFIG
        + 'per-file-ignores = { "tests/*" = ["FF101"] }\n'
        + 'extend-per-file-ignores = { "legacy/*" = ["FF1"] }\n'
    )
    monkeypatch.chdir(layered)
    assert _reported(invoke("check")) == {"app.py", "migrations/m1.py"}


def test_an_ignored_finding_is_not_fixed(layered: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (layered / "pyproject.toml").write_text(
        CONFIG + '[tool.fastapi-fix.per-file-ignores]\n"tests/*" = ["FF101"]\n'
    )
    monkeypatch.chdir(layered)
    result = invoke("fix", "--no-cache")
    assert result.exit_code == 0, result.output
    assert (layered / "tests" / "test_app.py").read_text() == ROUTE
    assert (layered / "app.py").read_text() != ROUTE  # the others are fixed


def test_per_file_ignores_are_part_of_the_cache_key(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached check (the stored verdict, the per-file findings) must not survive a change of
    per-file-ignores, in either direction."""
    monkeypatch.chdir(layered)
    every = {"app.py", "legacy/old.py", "migrations/m1.py", "tests/test_app.py"}
    assert _reported(invoke("check")) == every
    assert _reported(invoke("check")) == every  # from the cache
    (layered / "pyproject.toml").write_text(
        CONFIG + '[tool.fastapi-fix.per-file-ignores]\n"tests/*" = ["FF101"]\n'
    )
    assert _reported(invoke("check")) == every - {"tests/test_app.py"}
    assert _reported(invoke("check")) == every - {"tests/test_app.py"}
    (layered / "pyproject.toml").write_text(CONFIG)
    assert _reported(invoke("check")) == every


def test_cached_findings_are_not_reused_under_another_path_spelling(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is keyed by absolute path, but a finding carries the path as the run that
    stored it spelled it: reused from another folder, `app.py` would be reported for
    `../app.py`, per-file-ignores would match the wrong file, and its fix would be dropped."""
    (layered / "pyproject.toml").write_text(
        CONFIG + '[tool.fastapi-fix.per-file-ignores]\n"tests/*" = ["FF1"]\n'
    )
    monkeypatch.chdir(layered)
    assert _reported(invoke("check")) == {"app.py", "legacy/old.py", "migrations/m1.py"}
    monkeypatch.chdir(layered / "tests")
    result = invoke("check", "..")
    assert _reported(result) == {"../app.py", "../legacy/old.py", "../migrations/m1.py"}
    result = invoke("fix", "..")
    assert (layered / "app.py").read_text() != ROUTE, result.output
    assert (layered / "tests" / "test_app.py").read_text() == ROUTE  # ignored: not fixed


# --- 3. a symlink loop -------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_loop_as_the_first_path_is_a_one_line_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    os.symlink("loop", "loop")
    for args in (["check", "loop", "app.py"], ["check", "app.py", "loop"], ["fix", "loop"]):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "loop" in result.output
    assert (project / "app.py").read_text() == ROUTE  # `fix loop` touched nothing else


# --- 5. the documented configuration -----------------------------------------------------------


def test_the_readme_configuration_is_valid_and_documents_every_key(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi_fixer import settings

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### Configuration", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    keys = {
        *settings._LIST_KEYS,
        *settings._BOOL_KEYS,
        *settings._STRING_KEYS,
        *settings._CHOICE_KEYS,
        *settings._PER_FILE_KEYS,
    }
    undocumented = {key for key in keys if key not in section}
    assert not undocumented
    (project / "pyproject.toml").write_text(example)
    monkeypatch.chdir(project)
    result = invoke("check", "--no-cache", ".")
    assert result.exit_code in (0, 1), result.output  # not a configuration error


def test_a_hidden_files_exclude_does_not_swallow_the_current_or_parent_folder(
    layered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.*` names hidden files and folders; `.` (the default path) and `../project` are
    neither, even with --force-exclude (ruff matches a folder by its name)."""
    (layered / ".scratch").mkdir()
    (layered / ".scratch" / "x.py").write_text(ROUTE)
    (layered / "pyproject.toml").write_text(CONFIG + 'exclude = [".*", "legacy", "tests"]\n')
    monkeypatch.chdir(layered)
    expected = {"app.py", "migrations/m1.py"}
    assert _reported(invoke("check", "--force-exclude")) == expected
    assert _reported(invoke("check", "--force-exclude", ".")) == expected
    (layered / "elsewhere").mkdir()
    monkeypatch.chdir(layered / "elsewhere")
    found = _reported(invoke("check", "--force-exclude", ".."))
    assert found == {f"../{name}" for name in expected}
