"""The proof for the headline rewrites: `tests/projects/service`, a small multi-module FastAPI
service, keeps behaving as its own tests say after `fastapi-fix`.

On a private copy each time: (1) its behaviour tests pass untouched; (2) `fastapi-fix` (safe
fixes) exits normally, every file still compiles, a second run changes nothing and the behaviour
tests still pass unchanged; (3) after `fastapi-fix --unsafe-fixes` the copy adjusted for the
intended changes (`tests_after_unsafe/`) passes; (4) `--dry-run` shows a diff for every rule that
has a fix there and writes nothing. Rules are taken from the registry, so a rule that lands later
is covered as soon as it fires on the project.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# fastapi.testclient needs httpx, and the service signs S3 URLs with boto3 (offline): both
# are in the `test` extra, so a missing one fails the run instead of skipping the proof
import boto3  # noqa: F401
import httpx  # noqa: F401
import pytest

import fastapi_fixer
from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.models import FixSafety
from fastapi_fixer.registry import all_rules
from fastapi_fixer.settings import Settings

PROJECT = Path(__file__).resolve().parent / "projects" / "service"
# the rules the project is built to trigger (RULES.md); checked for each one registered
DESIGNED_FOR = (
    "FF101",
    "FF102",
    "FF103",
    "FF104",
    "FF203",
    "FF204",
    "FF301",
    "FF303",
    "FF403",
    "FF404",
    "FF706",
)
_APPLIED = re.compile(r"fix(?:es)? applied \(([^)]*)\)")
_WOULD_FIX = re.compile(r"Would fix [^(\n]*\(([^)]*)\)")


def _copy(tmp_path: Path, name: str = "service") -> Path:
    target = tmp_path / name
    shutil.copytree(
        PROJECT,
        target,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".fastapi-fix-cache"),
    )
    return target


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "FASTAPI_FIX_CACHE_DIR": str(tmp_path / "fastapi-fix-cache")}
    env.pop("PYTHONPATH", None)
    return {**env, **extra}


def _fastapi_fix(root: Path, tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastapi_fixer.cli", *options, "."],
        cwd=root,
        # the code under test, not whatever copy the interpreter has installed
        env=_env(tmp_path, PYTHONPATH=str(Path(fastapi_fixer.__file__).resolve().parents[1])),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _behaviour(root: Path, tmp_path: Path, tests: str = "tests", **env: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", tests, "-q", "-p", "no:cacheprovider", "-W", "ignore"],
        cwd=root,
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _sources(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts
    }


def _counts(pattern: re.Pattern[str], output: str) -> dict[str, int]:
    match = pattern.search(output)
    assert match is not None, output
    return {code: int(n) for code, n in re.findall(r"(FF\d{3}): (\d+)", match.group(1))}


def _fixable_codes(root: Path, unsafe: bool) -> set[str]:
    """Codes of every registered rule that reports a finding with a fix applicable in this mode."""
    settings = Settings(unsafe_fixes=unsafe)
    result = Engine(settings, Mode(fix=False, jobs=1)).run([str(root)])
    assert not result.errors, result.errors
    allowed = {FixSafety.SAFE, FixSafety.UNSAFE} if unsafe else {FixSafety.SAFE}
    return {d.code for d in result.diagnostics if d.fix is not None and d.fix.safety in allowed}


def _assert_compiles(root: Path) -> None:
    for path in sorted(root.rglob("*.py")):
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)


def test_the_project_triggers_every_rule_it_was_built_for(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    result = Engine(Settings(), Mode(fix=False, jobs=1)).run([str(root)])
    assert not result.errors, result.errors
    fired = {d.code for d in result.diagnostics}
    registered = set(all_rules())
    missing = [code for code in DESIGNED_FOR if code in registered and code not in fired]
    assert not missing, f"the project no longer triggers {missing}"
    assert {"FF101", "FF706"} <= fired


def test_behaviour_tests_pass_on_the_untouched_project(tmp_path: Path) -> None:
    _behaviour(_copy(tmp_path), tmp_path)


def test_safe_fixes_keep_the_behaviour(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    expected = _fixable_codes(root, unsafe=False)
    first = _fastapi_fix(root, tmp_path)
    output = first.stdout + first.stderr
    assert first.returncode in (0, 1), output  # 2 would mean an error or a dropped fix
    assert "error:" not in output, output
    applied = _counts(_APPLIED, output)
    assert set(applied) <= expected, output
    assert {"FF101", "FF706"} <= set(applied), output
    _assert_compiles(root)
    # every fixable finding was fixed (or made moot by another rule's fix)
    assert _fixable_codes(root, unsafe=False) == set()

    main = (root / "svc" / "main.py").read_text(encoding="utf-8")
    assert "on_event" not in main
    assert "@asynccontextmanager" in main and "lifespan=lifespan" in main

    after_first = _sources(root)
    second = _fastapi_fix(root, tmp_path)
    assert second.returncode == first.returncode, second.stdout + second.stderr
    assert _sources(root) == after_first, "a second run changed files"

    _behaviour(root, tmp_path)


def test_unsafe_fixes_change_only_what_they_mean_to(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    expected = _fixable_codes(root, unsafe=True)
    run = _fastapi_fix(root, tmp_path, "--unsafe-fixes")
    output = run.stdout + run.stderr
    assert run.returncode in (0, 1), output
    assert "error:" not in output, output
    applied = _counts(_APPLIED, output)
    # a fix can make another rule's finding moot (FF203's split removes what FF204 reports)
    # or create one (the models FF203 adds bring FF202's count to five): every code applied
    # must be a rule with a fix, and most of what was fixable at first must have been applied
    fixers = {code for code, rule in all_rules().items() if rule.FIX_SAFETY.value != "none"}
    assert set(applied) <= fixers, output
    assert len(expected - set(applied)) <= 1, (expected, applied)
    assert {"FF101", "FF706"} <= set(applied), output
    _assert_compiles(root)
    assert _fixable_codes(root, unsafe=True) == set()

    after_first = _sources(root)
    again = _fastapi_fix(root, tmp_path, "--unsafe-fixes")
    assert again.returncode in (0, 1), again.stdout + again.stderr
    assert _sources(root) == after_first, "a second run changed files"

    _behaviour(
        root, tmp_path, tests="tests_after_unsafe", FASTAPI_FIX_APPLIED=",".join(sorted(applied))
    )


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_dry_run_shows_every_fix_and_writes_nothing(tmp_path: Path, unsafe: bool) -> None:
    root = _copy(tmp_path)
    options = ["--dry-run", "--unsafe-fixes"] if unsafe else ["--dry-run"]
    expected = _fixable_codes(root, unsafe=unsafe)
    assert expected, "nothing to fix: the project no longer exercises the fixers"
    before = _sources(root)
    run = _fastapi_fix(root, tmp_path, *options)
    output = run.stdout + run.stderr
    assert _sources(root) == before, "--dry-run wrote files"
    assert run.returncode == 1, output  # pending fixes
    would_fix = set(_counts(_WOULD_FIX, output))
    assert {"FF101", "FF706"} <= would_fix, output
    assert len(expected - would_fix) <= 1, (expected, would_fix)
    assert "+++ " in run.stdout

    # each rule on its own: its fix shows up as a diff
    for code in sorted(expected):
        alone = _fastapi_fix(root, tmp_path, *options, "--select", code)
        diff = [
            line
            for line in alone.stdout.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert diff, f"{code}: no diff in --dry-run\n{alone.stdout}{alone.stderr}"
        if code == "FF706":
            assert "+@asynccontextmanager" in alone.stdout
            assert '+app = FastAPI(title="svc", lifespan=lifespan)' in alone.stdout
            assert '-@app.on_event("startup")' in alone.stdout
        if code == "FF101":
            assert "run_in_threadpool" in alone.stdout or "+def list_items" in alone.stdout
    assert _sources(root) == before, "--dry-run wrote files"
