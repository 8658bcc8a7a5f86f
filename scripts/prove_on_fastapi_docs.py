#!/usr/bin/env python3
"""Prove fastapi-fix on FastAPI's own tutorials: fix `docs_src/`, run FastAPI's tutorial tests.

FastAPI's source distribution carries `docs_src/` (hundreds of small real apps) and
`tests/test_tutorial/` (FastAPI's tests of them). This script

1. downloads the pinned sdist with pip into a cache folder outside git,
2. makes a virtualenv there with what the tutorial tests need (whatever pip can install),
3. runs the tutorial tests on the untouched `docs_src` (junit xml, per test node id),
4. runs `fastapi-fix check` (findings per code) and `fastapi-fix docs_src` (all safe fixes)
   from the sdist root, so `docs_src.x.y` imports keep working,
5. runs the same tests again, and exits 1 when a test that passed before fails now, printing
   the newly failing tests and the diff of the `docs_src` files they use.

With `--verify`, step 4 runs `fastapi-fix --verify --python <the test virtualenv's python>`:
the fixes are proven before being written (every touched tutorial module still imports, safe
fixes leave every tutorial app's OpenAPI document as it was), and what `--verify` says (and
any fix it dropped) is printed; the tests must still pass after.

Exit codes: 0 proven, 1 a fix broke a test (or fastapi-fix crashed), 3 the sdist could not be
downloaded (no network to PyPI), 4 the test environment could not be set up.

    python scripts/prove_on_fastapi_docs.py                 # everything (a few minutes)
    python scripts/prove_on_fastapi_docs.py --subset 12     # the fixed CI subset
    python scripts/prove_on_fastapi_docs.py --pattern body  # test modules whose path has "body"
    python scripts/prove_on_fastapi_docs.py --subset 12 --verify  # fixes proven by --verify too
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

FASTAPI_VERSION = "0.165.0"  # as ../shared/corpus/fetch.sh pins it
DEFAULT_WORKDIR = Path.home() / ".cache" / "fastapi-fix-proof"
EXIT_OK, EXIT_BROKEN, EXIT_NO_DOWNLOAD, EXIT_NO_ENV = 0, 1, 3, 4
# Test dependencies that only measure, type-check or decorate the test run: not needed here.
SKIPPED_REQUIREMENTS = re.compile(
    r"^(pytest-codspeed|pytest-cov|pytest-sugar|coverage|mypy|ty|logfire|sentry-sdk)\b",
    re.IGNORECASE,
)
# Needed by tutorial tests but not always listed in the groups we read.
EXTRA_REQUIREMENTS = [
    "pytest-timeout>=2.4.0",
    "orjson",
    "ujson",
    "passlib[bcrypt]",
    "python-multipart",
    "email-validator",
    "jinja2",
    "pyyaml",
]
_CONCISE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) ")
_APPLIED = re.compile(r"(\d+) fix(?:es)? applied(?: \((?P<codes>[^)]*)\))?")
_MODULE_REF = re.compile(r"docs_src(?:\.[A-Za-z_][A-Za-z0-9_]*)+\.?")
_STRING = re.compile(r"""["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def log(message: str = "") -> None:
    print(message, flush=True)


def run(cmd: list[str], cwd: Path | None = None, timeout: float | None = None, **kwargs):
    return subprocess.run(
        cmd, cwd=cwd, timeout=timeout, capture_output=True, text=True, check=False, **kwargs
    )


# --- getting the sdist and an environment ----------------------------------------------------


def download_sdist(version: str, workdir: Path) -> Path | str:
    """The unpacked sdist root, or the reason it could not be downloaded."""
    root = workdir / f"fastapi-{version}"
    if (root / "docs_src").is_dir() and (root / "tests").is_dir():
        return root
    downloads = workdir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archives = sorted(downloads.glob(f"fastapi-{version}.tar.gz"))
    if not archives:
        spec = f"fastapi=={version}"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        try:
            done = run([*cmd, "-d", str(downloads), spec], timeout=300)
        except subprocess.TimeoutExpired:
            return "pip download timed out"
        archives = sorted(downloads.glob(f"fastapi-{version}.tar.gz"))
        if done.returncode != 0 or not archives:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"pip download {spec} failed: {tail[0]}"
    partial = workdir / f"fastapi-{version}.part"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    with tarfile.open(archives[0]) as archive:
        top = f"fastapi-{version}/"
        members = [m for m in archive.getmembers() if m.name.startswith(top)]
        for member in members:
            member.name = member.name[len(top) :]
        archive.extractall(partial, members=[m for m in members if m.name], filter="data")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return root


def _group(groups: dict, name: str, seen: set[str] | None = None) -> list[str]:
    seen = seen if seen is not None else set()
    if name in seen or name not in groups:
        return []
    seen.add(name)
    found: list[str] = []
    for entry in groups[name]:
        if isinstance(entry, dict) and "include-group" in entry:
            found.extend(_group(groups, entry["include-group"], seen))
        elif isinstance(entry, str):
            found.append(entry)
    return found


def test_requirements(root: Path, version: str) -> list[str]:
    """What the tutorial tests need, read from the sdist's pyproject: fastapi's `all` extra, its
    `tests` dependency group, and a few tutorial-only packages."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [f"fastapi=={version}"]
    wanted += data.get("project", {}).get("dependencies", [])
    wanted += data.get("project", {}).get("optional-dependencies", {}).get("all", [])
    wanted += _group(data.get("dependency-groups", {}), "tests")
    wanted += EXTRA_REQUIREMENTS
    kept: list[str] = []
    for requirement in wanted:
        requirement = requirement.strip()
        if SKIPPED_REQUIREMENTS.match(requirement) or requirement in kept:
            continue
        kept.append(requirement)
    return kept


def make_env(root: Path, workdir: Path, version: str) -> tuple[Path, list[str]] | str:
    """A virtualenv with the test requirements; returns its python and what pip could not
    install, or the reason there is no environment."""
    venv = workdir / f"venv-{version}"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    marker = venv / "fastapi-fix-proof.json"
    requirements = test_requirements(root, version)
    if marker.is_file() and python.is_file():
        recorded = json.loads(marker.read_text())
        if recorded["requirements"] == requirements:
            return python, recorded["missing"]
    else:
        shutil.rmtree(venv, ignore_errors=True)
        done = run([sys.executable, "-m", "venv", str(venv)], timeout=300)
        if done.returncode != 0:
            return f"cannot create a virtualenv: {done.stderr.strip()}"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    log(f"installing {len(requirements)} test requirements into {venv} ...")
    missing: list[str] = []
    done = run([*pip, *requirements], timeout=1800)
    if done.returncode != 0:  # install what pip can, one at a time
        for requirement in requirements:
            one = run([*pip, requirement], timeout=600)
            if one.returncode != 0:
                missing.append(requirement)
                log(f"  could not install {requirement}")
    probe = run([str(python), "-c", "import pytest, fastapi, httpx"])
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines()[-1:] or ["?"]
        return f"the virtualenv lacks pytest, fastapi or httpx after installing: {lines[0]}"
    marker.write_text(json.dumps({"requirements": requirements, "missing": missing}))
    return python, missing


# --- choosing tests ------------------------------------------------------------------------


def all_test_modules(root: Path) -> list[str]:
    base = root / "tests" / "test_tutorial"
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("test_*.py"))


def docs_files_of(root: Path, test_module: str) -> list[str]:
    """`docs_src` files (relative to the sdist root) a tutorial test module imports: dotted
    names it spells out, or a package prefix (`docs_src.body.`) joined with its string params."""
    text = (root / test_module).read_text(encoding="utf-8")
    names = set(_STRING.findall(text))
    found: set[str] = set()
    for ref in _MODULE_REF.findall(text):
        parts = ref.rstrip(".").split(".")
        candidates = [parts] if not ref.endswith(".") else [[*parts, n] for n in names]
        for dotted in candidates:
            for depth in range(len(dotted), 1, -1):  # the module, or the package it names
                base = root.joinpath(*dotted[:depth])
                if base.with_suffix(".py").is_file():
                    found.add(base.with_suffix(".py").relative_to(root).as_posix())
                    break
                if base.is_dir():
                    for path in base.rglob("*.py"):
                        found.add(path.relative_to(root).as_posix())
                    break
    return sorted(found)


def choose_tests(
    root: Path, fixable_files: set[str], subset: int | None, pattern: str | None
) -> list[str]:
    """Every tutorial test module, or a deterministic subset: modules whose docs_src files have
    fixable findings first (in path order), then others spread evenly, capped at `subset`."""
    modules = all_test_modules(root)
    if pattern:
        modules = [m for m in modules if re.search(pattern, m)]
    if subset is None:
        return modules
    with_fixes = [m for m in modules if fixable_files & set(docs_files_of(root, m))]
    chosen = with_fixes[:subset]
    rest = [m for m in modules if m not in chosen]
    room = subset - len(chosen)
    if room > 0 and rest:
        step = max(1, len(rest) // room)
        chosen += rest[::step][:room]
    return sorted(chosen)


# --- running tests -------------------------------------------------------------------------


@dataclass
class TestRun:
    outcomes: dict[str, str] = field(default_factory=dict)  # node id -> passed/failed/skipped
    messages: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    returncode: int = 0
    tail: str = ""

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


def run_tests(python: Path, root: Path, modules: list[str], report: Path, timeout: int) -> TestRun:
    cmd = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rN"]
    cmd += ["--continue-on-collection-errors"]  # one broken module must not hide the others
    cmd += ["-p", "no:randomly", f"--junitxml={report}"]
    if run([str(python), "-c", "import pytest_timeout"]).returncode == 0:
        cmd += ["--timeout", "60"]
    if run([str(python), "-c", "import xdist"]).returncode == 0:
        cmd += ["-n0"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)
    started = time.monotonic()
    report.unlink(missing_ok=True)
    outcome = TestRun()
    try:
        done = run([*cmd, *modules], cwd=root, timeout=timeout, env=env)
        outcome.returncode = done.returncode
        outcome.tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    except subprocess.TimeoutExpired:
        outcome.returncode = -1
        outcome.tail = f"pytest timed out after {timeout}s"
    outcome.seconds = time.monotonic() - started
    if report.is_file():
        outcome.outcomes, outcome.messages = parse_junit(report)
    return outcome


def parse_junit(report: Path) -> tuple[dict[str, str], dict[str, str]]:
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        node = f"{case.get('classname', '')}::{case.get('name', '')}"
        state = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                state = "failed"
                messages[node] = (child.get("message") or "").splitlines()[0][:200]
                break
            if child.tag == "skipped":
                state = "skipped"
        if outcomes.get(node) == "failed":  # an error in teardown after a pass
            continue
        outcomes[node] = state
    return outcomes, messages


def module_of_node(node: str) -> str:
    """`tests.test_tutorial.test_body.test_tutorial001::test_x[p]` -> its file path."""
    return node.split("::", 1)[0].replace(".", "/") + ".py"


# --- running fastapi-fix -------------------------------------------------------------------


def fastapi_fix(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "fastapi_fixer.cli", *args], cwd=cwd, timeout=1800)


def all_codes() -> list[str]:
    from fastapi_fixer.registry import all_rules

    return list(all_rules())


def findings(root: Path, select: str) -> tuple[list[tuple[str, str, bool]], str]:
    """(path, code, safely fixable) per finding in docs_src, and the raw output on failure."""
    help_text = fastapi_fix("check", "--help", cwd=root).stdout
    if "--output-format" in help_text:
        done = fastapi_fix(
            "check", "docs_src", "--select", select, "--output-format", "json", cwd=root
        )
        try:
            data = json.loads(done.stdout)
            items = data if isinstance(data, list) else data.get("diagnostics", [])
            found = []
            for item in items:
                fix = item.get("fix") or {}
                safety = fix.get("applicability") or fix.get("safety") or ""
                path = item.get("filename") or item.get("path") or ""
                path = os.path.relpath(path, root) if os.path.isabs(path) else path
                found.append((path, item.get("code", "?"), str(safety).lower() == "safe"))
            return found, "" if done.returncode in (0, 1) else done.stdout + done.stderr
        except (ValueError, AttributeError, TypeError):
            pass  # not the json we expect yet: read the concise lines instead
    done = fastapi_fix("check", "docs_src", "--select", select, cwd=root)
    found = []
    for line in done.stdout.splitlines():
        match = _CONCISE.match(line)
        if match:
            found.append((match["path"], match["code"], "[*]" in line))
    return found, "" if done.returncode in (0, 1) else done.stdout + done.stderr


def applied_per_code(output: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for match in _APPLIED.finditer(output):
        for piece in (match["codes"] or "").split(","):
            if ":" in piece:
                code, number = piece.split(":")
                counts[code.strip()] += int(number)
    return counts


def changed_files(pristine: Path, fixed: Path) -> list[str]:
    changed = []
    for path in sorted((fixed / "docs_src").rglob("*.py")):
        relative = path.relative_to(fixed).as_posix()
        before = pristine / relative
        if not before.is_file() or before.read_bytes() != path.read_bytes():
            changed.append(relative)
    return changed


def diff_of(pristine: Path, fixed: Path, relative: str) -> str:
    before = (pristine / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    after = (fixed / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, f"a/{relative}", f"b/{relative}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# --- the proof -------------------------------------------------------------------------------


def prove(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir).expanduser().resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"fastapi {args.version} sdist -> {workdir}")
    root = download_sdist(args.version, workdir)
    if isinstance(root, str):
        log(f"cannot download the sdist: {root}")
        return EXIT_NO_DOWNLOAD
    env = make_env(root, workdir, args.version)
    if isinstance(env, str):
        log(f"cannot set up the test environment: {env}")
        return EXIT_NO_ENV
    python, missing = env
    if missing:
        log(f"not installable here (their tests may fail or skip): {', '.join(missing)}")

    run_dir = workdir / f"run-{os.getpid()}"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(root, run_dir, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        return _prove_in(args, root, run_dir, python)
    finally:
        if args.keep:
            log(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


def _prove_in(args: argparse.Namespace, pristine: Path, root: Path, python: Path) -> int:
    select = args.select or ",".join(all_codes())
    docs_files = sorted((root / "docs_src").rglob("*.py"))
    found, check_failure = findings(root, select)
    if check_failure:
        log(f"fastapi-fix check failed:\n{check_failure}")
        return EXIT_BROKEN
    fixable_files = {path for path, _, safe in found if safe}
    modules = choose_tests(root, fixable_files, args.subset, args.pattern)
    log(f"rules: {select}")
    log(f"files: {len(docs_files)} in docs_src; {len(modules)} tutorial test modules to run")

    before = run_tests(python, root, modules, root / "before.xml", args.timeout)
    log(
        f"tests before: {before.count('passed')} passed, {before.count('failed')} failed, "
        f"{before.count('skipped')} skipped ({before.seconds:.0f}s)"
    )
    if not before.count("passed"):
        log(f"no test passed on the untouched docs_src; the environment is broken:\n{before.tail}")
        return EXIT_NO_ENV

    started = time.monotonic()
    verify = ("--verify", "--python", str(python)) if args.verify else ()
    fixed = fastapi_fix("fix", "docs_src", "--select", select, *verify, cwd=root)
    fix_seconds = time.monotonic() - started
    summary = [line for line in fixed.stdout.splitlines() if "applied" in line]
    errors = [line for line in fixed.stderr.splitlines() if line.startswith("error:")]
    applied = applied_per_code(fixed.stdout)
    changed = changed_files(pristine, root)

    after = run_tests(python, root, modules, root / "after.xml", args.timeout)
    newly_failing = sorted(
        node
        for node, state in before.outcomes.items()
        if state == "passed" and after.outcomes.get(node) != "passed"
    )

    log("")
    log(f"findings per code: {_per_code(Counter(code for _, code, _ in found))}")
    safe = Counter(code for _, code, is_safe in found if is_safe)
    log(f"safely fixable per code: {_per_code(safe)}")
    log(f"fixes per code: {_per_code(applied)} ({fix_seconds:.1f}s; exit {fixed.returncode})")
    if summary:
        log(f"fix summary: {summary[-1]}")
    log(f"files changed by the fix: {len(changed)}")
    if args.verify:
        for line in verify_report(fixed.stdout):
            log(line)
    for line in errors:
        log(f"  {line}")
    log(
        f"tests before: {before.count('passed')} passed, {before.count('failed')} failed, "
        f"{before.count('skipped')} skipped"
    )
    log(
        f"tests after:  {after.count('passed')} passed, {after.count('failed')} failed, "
        f"{after.count('skipped')} skipped"
    )
    failed_before = sorted(n for n, s in before.outcomes.items() if s == "failed")
    if failed_before:
        log(f"failing already before any fix ({len(failed_before)}; not counted):")
        for node in failed_before[:20]:
            log(f"  {node}: {before.messages.get(node, '')}")
        if len(failed_before) > 20:
            log(f"  ... and {len(failed_before) - 20} more")

    crashed = fixed.returncode not in (0, 1) and not errors
    if fixed.returncode not in (0, 1):
        log(f"fastapi-fix exited {fixed.returncode}:\n{fixed.stdout}\n{fixed.stderr}")
    if not newly_failing:
        log("newly failing tests: none — every test that passed before still passes.")
        return EXIT_BROKEN if crashed or errors else EXIT_OK

    fixed_by = fixed_codes_per_file(fixed.stdout, root)
    expected = [n for n in newly_failing if is_deprecation_only(after.messages.get(n, ""))]
    broken = [n for n in newly_failing if n not in expected or args.strict]
    if expected:
        log(
            f"newly failing only because a fix removed a deprecated API the test expects a "
            f"DeprecationWarning from ({len(expected)}; "
            + ("counted: --strict)" if args.strict else "not counted; --strict counts them)")
        )
        _report(expected, after, root, pristine, changed, fixed_by)
    if not broken:
        log("newly failing tests: none — every test that passed before still passes.")
        return EXIT_BROKEN if crashed or errors else EXIT_OK
    log(f"newly failing tests: {len(broken)}")
    _report(broken, after, root, pristine, changed, fixed_by)
    return EXIT_BROKEN


def verify_report(output: str) -> list[str]:
    """What `fastapi-fix --verify` said: its summary and the fixes it dropped."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Verified with ")), None)
    if start is None:
        return ["--verify: no verification report (nothing to fix?)"]
    return [line for line in lines[start:] if line.startswith(("Verified", "  ", "Dropped"))]


def is_deprecation_only(message: str) -> bool:
    return "DID NOT WARN" in message and "DeprecationWarning" in message


def fixed_codes_per_file(output: str, root: Path) -> dict[str, str]:
    """`Fixed <path> (FF101: 1, ...)` lines of the fix run: path relative to root -> codes."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"^Fixed (?P<path>.+?) \((?P<codes>[^)]*)\)$", line)
        if match:
            path = match["path"]
            path = os.path.relpath(path, root) if os.path.isabs(path) else path
            found[Path(path).as_posix()] = match["codes"]
    return found


def _report(
    nodes: list[str],
    after: TestRun,
    root: Path,
    pristine: Path,
    changed: list[str],
    fixed_by: dict[str, str],
) -> None:
    involved: set[str] = set()
    for node in nodes:
        reason = after.messages.get(node) or ("not run" if node not in after.outcomes else "")
        files = sorted(set(docs_files_of(root, module_of_node(node))) & set(changed))
        rules = "; ".join(f"{f}: {fixed_by.get(f, '?')}" for f in files) or "no changed file found"
        log(f"  {node}: {reason}")
        log(f"      fixed files it uses: {rules}")
        involved |= set(files)
    for relative in sorted(involved):
        log(f"[{fixed_by.get(relative, '?')}]")
        log(diff_of(pristine, root, relative))


def _per_code(counts: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{c}: {n}" for c, n in sorted(counts.items())) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=FASTAPI_VERSION, help="fastapi version to prove on")
    parser.add_argument("--workdir", default=os.environ.get("FASTAPI_FIX_PROOF", DEFAULT_WORKDIR))
    parser.add_argument("--subset", type=int, help="run at most N test modules (deterministic)")
    parser.add_argument("--pattern", help="only test modules whose path matches this regex")
    parser.add_argument("--select", help="rule codes to apply (default: every registered rule)")
    parser.add_argument("--keep", action="store_true", help="keep the fixed copy of the sdist")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also count tests that only miss a DeprecationWarning a fix made go away",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per pytest run")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="fix with `fastapi-fix --verify` (imports and OpenAPI documents proven first)",
    )
    return prove(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
