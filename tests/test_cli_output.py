"""What a ruff user sees (issue 16): colours, `--show-fixes`, the rule documentation commands,
severity in `full` output, the progress bar's phases, `--interactive`'s keys, and git mode's
commit messages and leftover findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fastapi_fixer.cli import main
from tests.gitrepo import commit_with_remote, git

DEPENDENCIES = textwrap.dedent(
    """\
    import time

    from fastapi import Depends, FastAPI

    app = FastAPI()


    def get_limit() -> int:
        return 10


    def get_offset() -> int:
        return 0


    @app.get("/items")
    async def items(limit: int = Depends(get_limit), offset: int = Depends(get_offset)):
        time.sleep(1)
        return {"limit": limit, "offset": offset}


    @app.get("/log")
    async def read_log():
        with open("/tmp/log.txt") as handle:
            first = handle.readline()
            return {"log": first + "".join(handle)}
    """
)
# the rules these tests see: FF904's fix is unsafe, so its finding is left with `[-]`
CONFIG = '[tool.fastapi-fix]\nselect = ["FF1", "FF904"]\n'


def invoke(*args: str, **kwargs: object) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kwargs)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(DEPENDENCIES)
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


# --- colours -------------------------------------------------------------------------------------

# ruff 0.17's `check --color always --output-format concise`: path bold, colons cyan, code bold
# red, the fix marker's symbol cyan
RUFF_STYLED = (
    "\x1b[1mapp/main.py\x1b[0m\x1b[36m:\x1b[0m8\x1b[36m:\x1b[0m1\x1b[36m:\x1b[0m "
    "\x1b[1m\x1b[31mFF104\x1b[0m [\x1b[36m*\x1b[0m] Plain `def` dependency `get_limit`"
)
PLAIN = "app/main.py:8:1: FF104 [*] Plain `def` dependency `get_limit`"


def test_color_always_styles_concise_lines_as_ruff(project: Path) -> None:
    out = invoke("check", "--no-cache", "--color", "always").output
    assert RUFF_STYLED in out
    assert "\x1b[36m-\x1b[0m] 1 hidden fix can be enabled" in out  # the summary's marker


def test_color_auto_is_plain_off_a_terminal(project: Path) -> None:
    out = invoke("check", "--no-cache").output
    assert PLAIN in out and "\x1b[" not in out
    assert "\x1b[" not in invoke("check", "--no-cache", "--color", "never").output


def test_force_color_and_no_color(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert RUFF_STYLED in invoke("check", "--no-cache").output
    assert "\x1b[" not in invoke("check", "--no-cache", "--color", "never").output
    monkeypatch.setenv("NO_COLOR", "1")  # NO_COLOR wins over FORCE_COLOR, as in ruff
    assert "\x1b[" not in invoke("check", "--no-cache").output
    assert RUFF_STYLED in invoke("check", "--no-cache", "--color", "always").output


def test_all_checks_passed_is_bold_green(project: Path) -> None:
    (project / "app" / "main.py").write_text("VALUE = 1\n")
    out = invoke("check", "--no-cache", "--color", "always").output
    assert "\x1b[1;32mAll checks passed!\x1b[0m" in out


def test_full_output_colours_its_frame(project: Path) -> None:
    out = invoke("check", "--no-cache", "--output-format", "full", "--color", "always").output
    assert RUFF_STYLED in out
    assert "\x1b[1m\x1b[94m|\x1b[0m" in out  # the gutter
    assert "\x1b[1m\x1b[91m^^^" in out  # the carets
    plain = invoke("check", "--no-cache", "--output-format", "full").output
    assert "\x1b[" not in plain


# --- --show-fixes, rule --all, rules --output-format json ---------------------------------------


def test_show_fixes_lists_the_fixes_by_file_and_rule(project: Path) -> None:
    result = invoke("--no-cache", "--show-fixes", "app")
    out = result.output
    assert "\nFixed 5 errors:\n- app/main.py:\n" in out, out
    times = "\N{MULTIPLICATION SIGN}"
    assert f"    3 {times} FF101 (blocking-call-in-async)\n" in out
    assert f"    2 {times} FF104 (sync-dependency-without-io)\n\n" in out
    # a run without it keeps today's lines only
    (project / "app" / "main.py").write_text(DEPENDENCIES)
    assert "Fixed 5 errors:" not in invoke("--no-cache", "app").output


def test_show_fixes_with_dry_run_says_would_fix(project: Path) -> None:
    result = invoke("--no-cache", "--show-fixes", "--dry-run", "app")
    assert "\nWould fix 5 errors:\n- app/main.py:\n" in result.stderr
    assert (project / "app" / "main.py").read_text() == DEPENDENCIES


def test_check_accepts_show_fixes_and_fixes_nothing(project: Path) -> None:
    result = invoke("check", "--no-cache", "--show-fixes", "app")
    assert result.exit_code == 1
    assert PLAIN in result.output and "Fixed" not in result.output
    assert (project / "app" / "main.py").read_text() == DEPENDENCIES


def test_rules_as_json() -> None:
    import json

    from fastapi_fixer.registry import all_rules

    listed = json.loads(invoke("rules", "--output-format", "json").output)
    assert [item["code"] for item in listed] == list(all_rules())
    ff101 = next(item for item in listed if item["code"] == "FF101")
    assert ff101["name"] == "blocking-call-in-async"
    assert ff101["severity"] == "error" and ff101["fix_safety"] == "safe"
    assert ff101["summary"].startswith("Finds calls that block the event loop")


def test_rule_all_prints_every_rules_docs() -> None:
    import json

    from fastapi_fixer.registry import all_rules

    text = invoke("rule", "--all").output
    for rule in all_rules().values():
        assert f"# {rule.NAME} ({rule.CODE})\n" in text
    documents = json.loads(invoke("rule", "--all", "--output-format", "json").output)
    assert [document["code"] for document in documents] == list(all_rules())
    ff104 = next(document for document in documents if document["code"] == "FF104")
    # ruff's keys, with ruff's meanings
    assert ff104["linter"] == "fastapi-fix"
    assert ff104["message_formats"] == [all_rules()["FF104"].MESSAGE]
    assert ff104["fix"] == "Fix is sometimes available."
    assert ff104["explanation"].startswith("## What it does")
    assert ff104["preview"] is False
    assert invoke("rule", "FF104", "--output-format", "json").output.strip().startswith("{")
    assert CliRunner().invoke(main, ["rule"]).exit_code == 2
    assert CliRunner().invoke(main, ["rule", "FF104", "--all"]).exit_code == 2


def test_color_always_reaches_the_diffs_through_a_pipe(project: Path) -> None:
    out = invoke("--no-cache", "--dry-run", "--color", "always", "app").output
    assert "\x1b[" in out and "asyncio.sleep(1)" in out
    assert (project / "app" / "main.py").read_text() == DEPENDENCIES
    assert "\x1b[" not in invoke("--no-cache", "--dry-run", "app").output


def test_force_color_styles_rule_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in invoke("rule", "FF101").output
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in invoke("rule", "FF101").output


# --- severity ------------------------------------------------------------------------------------


def test_full_output_shows_each_findings_severity(project: Path) -> None:
    out = invoke("check", "--no-cache", "--output-format", "full").output
    blocks = out.split("\n\n")
    ff104 = next(block for block in blocks if PLAIN in block)
    assert "  = severity: warning (sync-dependency-without-io)\n" in ff104 + "\n"
    ff904 = next(block for block in blocks if " FF904 " in block)
    assert "  = severity: " in ff904


# --- the progress bar ----------------------------------------------------------------------------


def _many_files(root: Path, count: int) -> None:
    for number in range(count):
        (root / "app" / f"module_{number}.py").write_text(f"VALUE_{number} = {number}\n")


def test_progress_counts_each_file_once_per_named_phase(project: Path) -> None:
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.reporting.progress import ProgressBar
    from fastapi_fixer.settings import Settings

    _many_files(project, 9)  # 10 Python files, one of them with findings
    with ProgressBar(enabled=True, delay=3600) as bar:  # counted, never drawn
        Engine(Settings(select=("FF1",)), Mode(jobs=1)).run(["app"], progress=bar)
    phases = {name: (done, total) for name, done, total in bar.phases}
    assert phases["analysing"] == (10, 10), bar.phases
    assert phases["checking"][0] == phases["checking"][1] >= 1, bar.phases
    assert "fixing" not in phases


def test_progress_names_the_fix_phase(project: Path) -> None:
    from fastapi_fixer.engine import Engine, Mode
    from fastapi_fixer.reporting.progress import ProgressBar
    from fastapi_fixer.settings import Settings

    _many_files(project, 4)
    with ProgressBar(enabled=True, delay=3600) as bar:
        Engine(Settings(select=("FF1",)), Mode(fix=True, jobs=1)).run(["app"], progress=bar)
    names = [name for name, _, _ in bar.phases]
    assert names[:2] == ["analysing", "checking"], bar.phases
    assert "fixing" in names, bar.phases
    fixing = next(phase for phase in bar.phases if phase[0] == "fixing")
    assert fixing[1:] == [1, 1]  # the one file with fixes
    assert all(done <= total for _, done, total in bar.phases), bar.phases


# --- --interactive -------------------------------------------------------------------------------

SLEEPS = textwrap.dedent(
    """\
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/one")
    async def one():
        await other()
        time.sleep(1)
        return 1


    @app.get("/two")
    async def two():
        await other()
        time.sleep(2)
        return 2


    async def other():
        return None
    """
)
SCRIPTED = {"FASTAPI_FIX_INTERACTIVE_STDIN": "1"}


@pytest.fixture
def two_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SLEEPS)
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF1"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def review(keys: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner(env=SCRIPTED if env is None else env)
    return runner.invoke(main, ["--no-cache", "--interactive", "a.py", "b.py"], input=keys)


def sleeps_fixed(root: Path, name: str) -> int:
    return (root / name).read_text().count("await asyncio.sleep(")


def test_interactive_without_a_terminal_is_a_clear_error(two_files: Path) -> None:
    result = review("yyyy", env={})
    assert result.exit_code == 2
    assert "--interactive asks on a terminal, and stdin is not one" in result.output
    assert sleeps_fixed(two_files, "a.py") == sleeps_fixed(two_files, "b.py") == 0


def test_interactive_answers_are_single_keys(two_files: Path) -> None:
    result = review("ynny")  # no Enter between them
    assert result.output.count("Apply this fix [y,n,a,f,d,q,?]? ") == 4, result.output
    assert (sleeps_fixed(two_files, "a.py"), sleeps_fixed(two_files, "b.py")) == (1, 1)
    assert "2 fixes applied in 2 files; 2 findings left." in result.output


def test_interactive_all_remaining_in_this_file(two_files: Path) -> None:
    result = review("fn")  # a.py: this one and the rest; b.py's first: no; then end of input
    assert result.output.count("Apply this fix [") == 3, result.output
    assert "Accepted a.py:" in result.output
    assert (sleeps_fixed(two_files, "a.py"), sleeps_fixed(two_files, "b.py")) == (2, 0)


def test_interactive_skip_the_rest_of_this_file(two_files: Path) -> None:
    result = review("dy")  # a.py: none of them; b.py's first: yes; then end of input
    assert result.output.count("Apply this fix [") == 3, result.output
    assert "Skipped a.py:" in result.output
    assert (sleeps_fixed(two_files, "a.py"), sleeps_fixed(two_files, "b.py")) == (0, 1)


def test_interactive_question_mark_prints_help_and_asks_again(two_files: Path) -> None:
    result = review("?q")
    assert "f - apply this fix and every later fix in this file" in result.output
    assert "a - apply this fix and every later fix of the same rule (FF101)" in result.output
    assert result.output.count("Apply this fix [") == 2
    assert sleeps_fixed(two_files, "a.py") == 0


def test_interactive_header_repeated_under_a_long_diff(two_files: Path) -> None:
    header = "[1/4] a.py:11:5: FF101 [*] Blocking call `time.sleep`"
    tall = review("q", env={**SCRIPTED, "LINES": "100"}).output
    assert tall.count(header) == 1, tall
    (two_files / "a.py").write_text(SLEEPS)
    short = review("q", env={**SCRIPTED, "LINES": "6"}).output
    assert short.count(header) == 2, short
    question = short.index("Apply this fix [")
    assert short.rindex(header) > short.index("+    await asyncio.sleep(1)")
    assert short.rindex(header) < question


# --- git mode ------------------------------------------------------------------------------------


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed project with a bare remote; no global git configuration."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "global.gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "shop"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text(DEPENDENCIES)
    (root / "pyproject.toml").write_text(CONFIG)
    commit_with_remote(root, tmp_path / "remote.git")
    monkeypatch.chdir(root)
    return root


def test_git_mode_commit_body_names_what_each_fix_did(repository: Path) -> None:
    result = CliRunner().invoke(main, ["--branch", "fixes"])
    assert result.exit_code in (0, 1), result.output
    bodies = git(repository, "log", "--format=%B%x00", "main..fixes").split("\x00")
    ff104 = next(body for body in bodies if body.strip().startswith("FF104"))
    assert "{function}" not in "".join(bodies)
    assert "Make `get_limit` an `async def`" in ff104
    assert "Make `get_offset` an `async def`" in ff104


def test_git_mode_leftover_findings_have_checks_markers(repository: Path) -> None:
    result = CliRunner().invoke(main, ["--branch", "fixes"])
    assert result.exit_code in (0, 1), result.output
    git(repository, "checkout", "-q", "fixes")
    check = invoke("check", "--no-cache", "app")
    left = [line for line in check.output.splitlines() if line.startswith("app/")]
    assert any(" FF904 [-] " in line for line in left), check.output
    shown = result.output.splitlines()
    assert all(line in shown for line in left), (left, result.output)
