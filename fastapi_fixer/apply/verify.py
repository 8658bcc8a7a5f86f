"""`--verify`: proof, on the user's own project and interpreter, that the fixes break nothing.

Before and after the fixes, in a copy of the project (the user's tree is never written to here),
a subprocess of the user's Python (`--python`, else the active virtualenv's, else this one)
runs `verify_probe.py`: it imports every module the fixes touch (and the analysed modules that
import one of them), loads every FastAPI app the index knows (or each `--app module:attr`) and
dumps its OpenAPI document. With `--verify-tests CMD`, the project's tests run there too.

What counts as broken, compared with the untouched project:
- a module that imported before and does not after, an app that loaded before and does not;
- an OpenAPI document that a *safe* fix changed (unsafe fixes may change it: that is their
  documented change; they are checked in a first phase with only the safe fixes);
- a test command that passed before and fails after (one that failed before blames nothing).

When the fixes break something, the culprit is found by applying the rules one by one, in code
order (binary search over the prefixes of the applied codes: each prefix is a real engine run),
then narrowed to the files involved (the traceback's files first, then halving). That rule's
fixes in those files are dropped (`Mode.blocked`), the rest is kept, and the kept set is
verified again. Modules that did not import before are reported in one line and not checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.engine.discovery import SKIPPED_DIRS
from fastapi_fixer.engine.source import SourceError, encode_source

if TYPE_CHECKING:
    from fastapi_fixer.models import RunResult
    from fastapi_fixer.settings import Settings

PROBE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "verify_probe.py")
PROBE_TIMEOUT = 180.0  # seconds for one probe process (a module that hangs costs this once)
TESTS_TIMEOUT = 1800.0
MAX_RELAUNCHES = 5  # probe processes after one that crashed or hung on an item
MAX_CULPRITS = 6  # rules dropped in one phase before giving up
MAX_NARROWING = 8  # probe runs spent narrowing one culprit down to its files
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# not copied into the scratch copy: what discovery skips (version control, environments, caches,
# front-end packages), except what the app may need to start: a `.env` file, an `env` package,
# `build`/`dist` folders it may serve
COPY_SKIPPED = SKIPPED_DIRS - {".env", "env", "build", "dist"}

_LOST = "the probe"  # an item that crashed or hung the probe: not loaded again
Blocked = frozenset[tuple[str, str]]
# (settings, blocked) -> the fix run's result: the engine with Mode(fix=True, blocked=...)
RunFixes = Callable[["Settings", Blocked], "RunResult"]


class VerifyError(Exception):
    """Verification cannot start (no such interpreter): a usage problem, one line."""


@dataclass(frozen=True)
class VerifyOptions:
    python: str | None = None
    apps: tuple[str, ...] = ()  # `module:attr`; empty: the apps the index knows
    tests: str | None = None  # a shell command run in the project's copy
    probe_timeout: float = PROBE_TIMEOUT
    tests_timeout: float = TESTS_TIMEOUT


def default_python() -> str:
    """The active virtualenv's interpreter, else the one running fastapi-fix."""
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        for candidate in ("bin/python", "Scripts/python.exe"):
            path = os.path.join(venv, candidate)
            if os.path.isfile(path):
                return path
    return sys.executable


def resolve_python(option: str | None) -> str:
    python = option or default_python()
    found = shutil.which(python) if os.sep not in python else python
    if not found or not os.path.isfile(found):
        raise VerifyError(f"--python {python}: no such interpreter")
    return os.path.abspath(found)


def project_root(paths: Iterable[str]) -> str:
    """The folder to copy: the nearest one at or above the paths with a project marker
    (pyproject.toml, setup.py, setup.cfg, .git), not above the current folder when the paths
    are inside it; else the current folder (or the paths' common folder)."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    common = os.path.commonpath(absolute)
    if not os.path.isdir(common):
        common = os.path.dirname(common)
    cwd = os.getcwd()
    inside = common == cwd or common.startswith(cwd.rstrip(os.sep) + os.sep)
    folder = common
    while True:
        if any(os.path.exists(os.path.join(folder, m)) for m in PROJECT_MARKERS):
            return folder
        if inside and folder == cwd:
            return cwd
        parent = os.path.dirname(folder)
        if parent == folder:
            return cwd if inside else common
        folder = parent


# --- what the probe says ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One module or app: loaded or not (one-line error), and what the probe saw."""

    ok: bool
    error: str = ""
    frames: tuple[str, ...] = ()  # project files of the traceback, relative to the root
    file: str | None = None  # a module: where it was imported from (relative when inside)
    document: Any = None  # an app: its OpenAPI document (None: it has no `openapi()`)

    @property
    def outside(self) -> bool:
        return self.file is not None and os.path.isabs(self.file)


@dataclass(frozen=True)
class TestsOutcome:
    passed: bool
    summary: str  # the output's last line (pytest's counts), or why it did not run


@dataclass
class Evaluation:
    modules: dict[str, Outcome] = field(default_factory=dict)
    apps: dict[str, Outcome] = field(default_factory=dict)
    tests: TestsOutcome | None = None
    version: str = ""


@dataclass(frozen=True)
class Failure:
    kind: str  # "import", "app", "openapi", "tests"
    subject: str  # module, app spec, or test command
    detail: str  # one line
    files: tuple[str, ...] = ()  # evidence: project files (relative to the root)

    def describe(self) -> str:
        if self.kind == "import":
            return f"module {self.subject} imported before and fails after: {self.detail}"
        if self.kind == "app":
            return f"app {self.subject} loaded before and fails after: {self.detail}"
        if self.kind == "openapi":
            return f"the OpenAPI document of {self.subject} changed ({self.detail})"
        return f"tests `{self.subject}` passed before and fail after ({self.detail})"


@dataclass
class DroppedRule:
    code: str
    paths: list[str]  # relative to the project root
    failures: list[Failure]

    def line(self) -> str:
        reasons = "; ".join(f.describe() for f in self.failures[:3])
        more = len(self.failures) - 3
        if more > 0:
            reasons += f"; and {more} more"
        return f"Dropped {self.code} fixes in {_listed(self.paths, 'file')}: {reasons}"


@dataclass
class Verification:
    """What was verified, and what was dropped; `lines()` for the console, `markdown()` for a
    pull request."""

    python: str
    version: str = ""
    modules_ok: list[str] = field(default_factory=list)  # imported before (and so after)
    modules_failed_before: dict[str, str] = field(default_factory=dict)
    modules_outside: dict[str, str] = field(default_factory=dict)  # imported from elsewhere
    apps_ok: list[str] = field(default_factory=list)  # loaded before; with a document or not
    apps_with_docs: list[str] = field(default_factory=list)
    apps_failed_before: dict[str, str] = field(default_factory=dict)
    changed_by_unsafe: dict[str, str] = field(default_factory=dict)  # app -> first change
    tests_command: str | None = None
    tests_before: TestsOutcome | None = None
    tests_after: TestsOutcome | None = None
    dropped: list[DroppedRule] = field(default_factory=list)
    gave_up: str | None = None  # nothing is kept: why
    unsteady: list[str] = field(default_factory=list)  # differed between two untouched runs
    unsafe: bool = False

    @property
    def ok(self) -> bool:
        return self.gave_up is None

    def summary_items(self) -> list[str]:
        items: list[str] = []
        failed = len(self.modules_failed_before)
        checked = len(self.modules_ok)
        text = (
            f"{_plural(checked, 'module')} {'imports' if checked == 1 else 'import'} before "
            "and after the fixes"
            if checked
            else "no module to check imported before the fixes"
        )
        if failed:
            first, error = next(iter(sorted(self.modules_failed_before.items())))
            text += (
                f" ({failed} did not import before and {'was' if failed == 1 else 'were'} not "
                f"checked, e.g. {first}: {_short(error)})"
            )
        if self.modules_outside:
            text += (
                f" ({len(self.modules_outside)} imported from outside the project, not checked: "
                f"{', '.join(sorted(self.modules_outside)[:3])})"
            )
        items.append(f"imports: {text}")
        if self.apps_ok or self.apps_failed_before:
            docs = len(self.apps_with_docs)
            scope = "the safe fixes" if self.unsafe else "the fixes"
            if docs == 1:
                text = f"1 app's OpenAPI document unchanged by {scope}"
            elif docs:
                text = f"{docs} apps' OpenAPI documents unchanged by {scope}"
            else:
                text = "no app with an OpenAPI document loaded before the fixes"
            if self.changed_by_unsafe:
                changed = _listed(
                    [f"{spec} ({place})" for spec, place in sorted(self.changed_by_unsafe.items())],
                    "app",
                )
                text += f"; changed by unsafe fixes, as they may: {changed}"
            if self.apps_failed_before:
                first, error = next(iter(sorted(self.apps_failed_before.items())))
                text += (
                    f" ({len(self.apps_failed_before)} not loadable before: {first}: "
                    f"{_short(error)})"
                )
            items.append(f"OpenAPI: {text}")
        else:
            items.append("OpenAPI: no FastAPI app known to compare")
        if self.unsteady:
            items.append(
                "not compared, since they differ between two runs of the untouched project: "
                + "; ".join(self.unsteady)
            )
        if self.tests_command is not None and self.tests_before is not None:
            before = self.tests_before
            if not before.passed:
                items.append(
                    f"tests: `{self.tests_command}` failed before the fixes ({before.summary}), "
                    "so they prove nothing"
                )
            elif self.tests_after is not None:
                state = "passed" if self.tests_after.passed else "FAILED"
                items.append(
                    f"tests: `{self.tests_command}` passed before and {state} after "
                    f"({self.tests_after.summary})"
                )
        return items

    def lines(self) -> list[str]:
        version = f" (Python {self.version})" if self.version else ""
        head = f"Verified with {self.python}{version}"
        if self.gave_up is not None:
            return [
                f"{head}: {self.gave_up}; no fix written.",
                *(d.line() for d in self.dropped),
            ]
        out = [f"{head}:"]
        out += [f"  {item}" for item in self.summary_items()]
        out += [d.line() for d in self.dropped]
        return out

    def markdown(self) -> list[str]:
        out = [
            f"Checked with `fastapi-fix --verify` in a copy of the project, with "
            f"`{self.python}`" + (f" (Python {self.version})" if self.version else "") + ":",
            "",
        ]
        out += [f"- {_md(item)}" for item in self.summary_items()]
        if self.dropped:
            out += ["", "Fixes dropped because they broke something (not in this branch):", ""]
            out += [f"- {_md(d.line())}" for d in self.dropped]
        return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _listed(items: list[str], noun: str, shown: int = 5) -> str:
    more = len(items) - shown
    if more <= 0:
        return ", ".join(items)
    return ", ".join(items[:shown]) + f" and {more} more {noun}{'' if more == 1 else 's'}"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def first_difference(before: Any, after: Any, where: str = "") -> str | None:
    """Where two JSON documents first differ (`paths./items.get.parameters[1]`), or None."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            place = f"{where}.{key}" if where else str(key)
            if key not in after:
                return f"{place} removed"
            if key not in before:
                return f"{place} added"
            found = first_difference(before[key], after[key], place)
            if found is not None:
                return found
        return None
    if isinstance(before, list) and isinstance(after, list):
        for index, (old, new) in enumerate(zip(before, after, strict=False)):
            found = first_difference(old, new, f"{where}[{index}]")
            if found is not None:
                return found
        if len(before) != len(after):
            return f"{where or 'document'} has {len(after)} items instead of {len(before)}"
        return None
    if before != after:
        old, new = (json.dumps(v)[:60] for v in (before, after))
        return f"{where or 'document'}: {old} -> {new}"
    return None


def failures(
    before: Evaluation, after: Evaluation, openapi: bool, tests: bool, command: str = ""
) -> list[Failure]:
    found: list[Failure] = []
    for name, old in before.modules.items():
        if not old.ok or old.outside:
            continue
        new = after.modules.get(name) or Outcome(False, "not probed")
        if not new.ok:
            found.append(Failure("import", name, new.error, new.frames))
    for spec, old in before.apps.items():
        if not old.ok:
            continue
        new = after.apps.get(spec) or Outcome(False, "not probed")
        if not new.ok:
            found.append(Failure("app", spec, new.error, new.frames))
        elif openapi and old.document != new.document:
            place = first_difference(old.document, new.document) or "?"
            found.append(Failure("openapi", spec, place))
    passed = before.tests is not None and before.tests.passed
    if tests and passed and (after.tests is None or not after.tests.passed):
        summary = after.tests.summary if after.tests else "not run"
        found.append(Failure("tests", command, summary))
    return found


# --- probing a copy of the project -----------------------------------------------------------


def _skip(folder: str, names: list[str]) -> set[str]:
    skipped = {name for name in names if name in COPY_SKIPPED}
    for name in names:
        if os.path.isfile(os.path.join(folder, name, "pyvenv.cfg")):
            skipped.add(name)  # a virtualenv, whatever its name
    return skipped


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


class Workspace:
    """A pristine copy of the project, and a scratch clone of it (hard links) per evaluation,
    where the fixed texts are written and the probe and the tests run."""

    def __init__(self, root: str, scratch: str) -> None:
        self.root = os.path.realpath(root)
        self.scratch = scratch
        self.pristine = os.path.join(scratch, "pristine")
        shutil.copytree(self.root, self.pristine, symlinks=True, ignore=_skip)
        self._count = 0

    def relative(self, path: str) -> str:
        return os.path.relpath(os.path.realpath(os.path.abspath(path)), self.root)

    @contextlib.contextmanager
    def clone(self, texts: dict[str, bytes]) -> Iterator[str]:
        """A clone of the pristine copy with ``texts`` (path relative to the root -> bytes)."""
        self._count += 1
        folder = os.path.join(self.scratch, f"run{self._count}")
        shutil.copytree(self.pristine, folder, symlinks=True, copy_function=_link_or_copy)
        for relative, data in texts.items():
            target = os.path.join(folder, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)  # a hard link to the pristine copy: replace, never write into
            with open(target, "wb") as handle:
                handle.write(data)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _probe_environment(python: str, sys_path: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # set and dict orders of strings must not change between runs: FastAPI names an operation
    # of a route with several methods after the first method of a set (`operationId`)
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONSTARTUP", None)
    bin_dir = os.path.dirname(python)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    venv = os.path.dirname(bin_dir)
    if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        env["VIRTUAL_ENV"] = venv
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join([*sys_path, *([existing] if existing else [])])
    return env


def run_probe(
    python: str,
    folder: str,
    sys_path: list[str],
    modules: list[str],
    apps: list[str],
    timeout: float,
) -> tuple[dict[str, Outcome], dict[str, Outcome], str]:
    """Modules and apps probed in ``folder`` (one process, another after an item that crashed
    or hung it, which is reported as failing); returns them and the probe's Python version."""
    results: dict[str, Outcome] = {}
    items = [*modules, *apps]
    version = ""
    env = _probe_environment(python, sys_path)
    launches = 0
    while items:
        launches += 1
        with tempfile.TemporaryDirectory(prefix="fastapi-fix-probe-") as temp:
            request = os.path.join(temp, "request.json")
            output = os.path.join(temp, "output.jsonl")
            wanted_modules = [m for m in items if ":" not in m]
            wanted_apps = [a for a in items if ":" in a]
            with open(request, "w", encoding="utf-8") as handle:
                json.dump(
                    {
                        "root": folder,
                        "sys_path": sys_path,
                        "modules": wanted_modules,
                        "apps": wanted_apps,
                    },
                    handle,
                )
            reason = ""
            try:
                done = subprocess.run(
                    [python, PROBE_SCRIPT, request, output],
                    cwd=folder,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=timeout,
                    check=False,
                )
                if done.returncode != 0:
                    tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
                    reason = f"the interpreter exited with code {done.returncode}" + (
                        f" ({tail[0][:200]})" if tail else ""
                    )
            except subprocess.TimeoutExpired:
                reason = f"timed out after {timeout:.0f}s"
            current, finished = None, False
            if os.path.isfile(output):
                with open(output, encoding="utf-8") as handle:
                    for line in handle:
                        try:
                            record = json.loads(line)
                        except json.JSONDecodeError:
                            continue
                        if "python" in record:
                            version = record["python"]
                        elif "start" in record:
                            current = record["start"]
                        elif "done" in record:
                            finished = True
                        else:
                            name = record.get("module") or record.get("app")
                            results[name] = _outcome(record)
                            current = None
        if finished:
            break
        if current is None:  # died before its first item: nothing can be probed
            raise VerifyError(f"the probe could not run with {python}: {reason or 'no output'}")
        results[current] = Outcome(False, f"{_LOST} {reason} while loading it")
        items = items[items.index(current) + 1 :]
        if launches > MAX_RELAUNCHES:
            for item in items:
                results[item] = Outcome(False, "not probed: too many probe crashes")
            break
    module_results = {m: results[m] for m in modules if m in results}
    app_results = {a: results[a] for a in apps if a in results}
    return module_results, app_results, version


def _outcome(record: dict) -> Outcome:
    return Outcome(
        ok=bool(record.get("ok")),
        error=record.get("error", ""),
        frames=tuple(record.get("frames", ())),
        file=record.get("file"),
        document=record.get("openapi"),
    )


def run_tests(
    command: str, python: str, folder: str, sys_path: list[str], timeout: float
) -> TestsOutcome:
    env = _probe_environment(python, sys_path)
    try:
        done = subprocess.run(
            command,
            shell=True,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return TestsOutcome(False, f"timed out after {timeout:.0f}s")
    lines = [line.strip() for line in done.stdout.decode("utf-8", "replace").splitlines()]
    last = next((line for line in reversed(lines) if line), "no output")
    last = last.strip("= ")
    if done.returncode != 0 and not last:
        last = f"exit code {done.returncode}"
    return TestsOutcome(done.returncode == 0, last[:200])


# --- the verifier ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What to probe: module names with the folder (relative to the root) each imports from,
    and app specs."""

    modules: dict[str, str]  # module -> its import root, relative to the project root
    apps: tuple[str, ...]

    def sys_path(self, folder: str) -> list[str]:
        roots = sorted(set(self.modules.values()), key=lambda r: (r != ".", r))
        if "." not in roots:
            roots.insert(0, ".")
        return [os.path.normpath(os.path.join(folder, r)) for r in roots]


def _import_root(path: str, module: str, is_package: bool, root: str) -> tuple[str, str] | None:
    """The module's name and the folder (relative to ``root``) it is imported from.

    A package in a folder without `__init__.py` inside a regular package
    (`open_webui/utils/access_control/`, `utils` a namespace portion of `open_webui`) is named
    `access_control` by the analysis; its folder is no import root: on `sys.path` it would
    shadow the standard library for every module the probe imports (`open_webui/utils/
    calendar.py` broke `email.utils`, so nothing imported). It is imported by its full name from
    the root of the regular package above it, as the project's code imports it."""
    folder = os.path.dirname(os.path.realpath(os.path.abspath(path)))
    levels = module.count(".") + (1 if is_package else 0)
    for _ in range(levels):
        folder = os.path.dirname(folder)
    relative = os.path.relpath(folder, root)
    if relative.startswith(".."):
        return None
    parts = [] if relative == "." else relative.split(os.sep)
    # the outermost regular package among the folders above the module's own folder
    top = next(
        (
            i
            for i in range(len(parts))
            if os.path.isfile(os.path.join(root, *parts[: i + 1], "__init__.py"))
        ),
        None,
    )
    if top is not None and all(part.isidentifier() for part in parts[top:]):
        return ".".join([*parts[top:], module]), os.path.join(*parts[:top]) if top else "."
    return module, relative


def targets(index: ProjectIndex, result: RunResult, root: str, apps: tuple[str, ...]) -> Target:
    """The modules to import: those the fixes changed, the analysed modules that import one of
    them, and the modules of the apps; the apps: ``apps``, or every FastAPI app bound at the
    top level of an analysed module."""
    root = os.path.realpath(root)
    facts_by_path = {
        os.path.realpath(os.path.abspath(facts.path)): facts for facts in dict.values(index.modules)
    }
    touched: set[str] = set()
    for path in result.changed_paths:
        facts = facts_by_path.get(os.path.realpath(os.path.abspath(path)))
        if facts is not None and facts.module:
            touched.add(facts.module)
    wanted = set(touched)
    for facts in dict.values(index.modules):
        for binding in facts.bindings.values():
            if binding.kind == "import" and any(
                binding.target == m or binding.target.startswith(m + ".") for m in touched
            ):
                wanted.add(facts.module)
                break
    if apps:
        specs = tuple(apps)
    else:
        found = []
        for facts in dict.values(index.modules):
            for name, binding in facts.bindings.items():
                qualified = f"{facts.module}.{name}"
                if binding.kind in ("app", "other") and index.app_kind(qualified) == "app":
                    found.append(f"{facts.module}:{name}")
        specs = tuple(sorted(found))
    wanted.update(spec.partition(":")[0] for spec in specs)
    modules: dict[str, str] = {}
    renamed: dict[str, str] = {}
    by_module = {facts.module: facts for facts in dict.values(index.modules)}
    for name in sorted(wanted):
        facts = by_module.get(name)
        if facts is None:
            modules[name] = "."  # an --app module the index does not know: from the root
            continue
        named = _import_root(facts.path, facts.module, facts.is_package, root)
        if named is not None:
            renamed[name], modules[named[0]] = named
    if not apps:
        specs = tuple(
            f"{renamed.get(module, module)}:{attribute}"
            for module, _, attribute in (spec.partition(":") for spec in specs)
        )
    return Target(modules, specs)


def _texts(result: RunResult) -> dict[str, str]:
    return {path: result.fixed[path] for path in result.changed_paths}


class Verifier:
    def __init__(
        self,
        options: VerifyOptions,
        run: RunFixes,
        settings: Settings,
        root: str,
        echo: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.options = options
        self.run = run
        self.settings = settings
        self.root = os.path.realpath(root)
        self.echo = echo
        self.python = resolve_python(options.python)
        self.sources: dict[str, Any] = {}
        self._cache: dict[str, tuple[Evaluation, list[Failure]]] = {}
        self._steadied = False
        self.blocked: set[tuple[str, str]] = set()  # what `verify` dropped: (code, path)

    # --- evaluating a set of texts --------------------------------------------------------

    def _bytes(self, texts: dict[str, str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path, text in texts.items():
            source = self.sources.get(path)
            try:
                data = encode_source(source, text) if source is not None else None
            except SourceError:
                data = None
            out[self.workspace.relative(path)] = data if data is not None else text.encode()
        return out

    def _evaluate(
        self, texts: dict[str, str], openapi: bool, tests: bool
    ) -> tuple[Evaluation, list[Failure]]:
        data = self._bytes(texts)
        if not data:  # the untouched project: what was seen before
            return self.before, []
        key = hashlib.sha256(
            repr((sorted(data.items()), openapi, tests)).encode("utf-8", "surrogatepass")
        ).hexdigest()
        if key in self._cache:
            return self._cache[key]
        evaluation = self._probe(data, tests and self._tests_count)
        found = failures(self.before, evaluation, openapi, tests, self.options.tests or "")
        self._cache[key] = (evaluation, found)
        return evaluation, found

    def _probe(self, data: dict[str, bytes], tests: bool, first: bool = False) -> Evaluation:
        target = self.target
        if first:
            modules, apps = sorted(target.modules), list(target.apps)
        else:  # the same imports in the same order, less what crashed or hung the probe
            modules = [m for m, o in self.before.modules.items() if not o.error.startswith(_LOST)]
            apps = [a for a, o in self.before.apps.items() if not o.error.startswith(_LOST)]
        with self.workspace.clone(data) as folder:
            sys_path = target.sys_path(folder)
            found_modules, found_apps, version = run_probe(
                self.python, folder, sys_path, modules, apps, self.options.probe_timeout
            )
            evaluation = Evaluation(found_modules, found_apps, version=version)
            if tests and self.options.tests:
                evaluation.tests = run_tests(
                    self.options.tests,
                    self.python,
                    folder,
                    sys_path,
                    self.options.tests_timeout,
                )
        return evaluation

    def _unsteady(self, report: Verification) -> bool:
        """Once, on the first breakage: probe the untouched project again; what differs from
        the first time (an OpenAPI document built from the clock, a flaky test) is not
        compared. True when something was taken out."""
        if self._steadied:
            return False
        self._steadied = True
        again = self._probe({}, tests=self._tests_count)
        unsteady = failures(self.before, again, True, True, self.options.tests or "")
        for failure in unsteady:
            if failure.kind == "import":
                self.before.modules[failure.subject] = Outcome(False, "not steady")
                _remove(report.modules_ok, failure.subject)
            elif failure.kind == "tests":
                self.before.tests = TestsOutcome(False, "fail on a second untouched run")
                report.tests_before = self.before.tests
                self._tests_count = False
            else:
                self.before.apps[failure.subject] = Outcome(False, "not steady")
                _remove(report.apps_ok, failure.subject)
                _remove(report.apps_with_docs, failure.subject)
            report.unsteady.append(f"{failure.subject} ({_short(failure.detail, 100)})")
        if unsteady:
            self._cache.clear()
        return bool(unsteady)

    # --- the search for culprits ----------------------------------------------------------

    def _phase(
        self,
        settings: Settings,
        result: RunResult,
        openapi: bool,
        tests: bool,
        blocked: set[tuple[str, str]],
        report: Verification,
    ) -> tuple[RunResult, Evaluation]:
        for _ in range(MAX_CULPRITS + 1):
            self.sources.update(result.sources)
            texts = _texts(result)
            evaluation, found = self._evaluate(texts, openapi, tests)
            if found and self._unsteady(report):
                evaluation, found = self._evaluate(texts, openapi, tests)
            if not found:
                return result, evaluation
            if len(report.dropped) >= MAX_CULPRITS:
                break
            culprit, paths, why = self._culprit(settings, result, openapi, tests, blocked)
            if culprit is None:
                report.gave_up = "the fixes break " + "; ".join(f.describe() for f in found[:3])
                report.gave_up += ", and no single rule could be blamed"
                raise _GiveUp
            blocked.update((culprit, path) for path in paths)
            report.dropped.append(
                DroppedRule(culprit, sorted(self.workspace.relative(p) for p in paths), why)
            )
            where = _listed(report.dropped[-1].paths, "file")
            self.echo(f"verify: dropping {culprit} fixes in {where}")
            result = self.run(settings, frozenset(blocked))
        report.gave_up = f"more than {MAX_CULPRITS} rules broke the project"
        raise _GiveUp

    def _culprit(
        self,
        settings: Settings,
        result: RunResult,
        openapi: bool,
        tests: bool,
        blocked: set[tuple[str, str]],
    ) -> tuple[str | None, list[str], list[Failure]]:
        """The first rule (in code order) whose fixes, on top of the earlier rules', break
        something; the files of its fixes to drop; and what broke."""
        codes = sorted(result.applied)
        runs: dict[int, dict[str, str]] = {0: {}, len(codes): _texts(result)}

        def texts_of(k: int) -> dict[str, str]:
            if k not in runs:
                only = settings.with_overrides(select=tuple(codes[:k]), extend_select=())
                prefix = self.run(only, frozenset(blocked))
                self.sources.update(prefix.sources)
                runs[k] = _texts(prefix)
            return runs[k]

        low, high = 0, len(codes)  # prefix `low` breaks nothing, prefix `high` breaks
        while high - low > 1:
            middle = (low + high) // 2
            self.echo(f"verify: applying {', '.join(codes[:middle])}")
            if self._evaluate(texts_of(middle), openapi, tests)[1]:
                high = middle
            else:
                low = middle
        if not codes:
            return None, [], []
        culprit = codes[high - 1]
        before, after = texts_of(low), texts_of(high)
        why = self._evaluate(after, openapi, tests)[1]
        if not why:
            return None, [], []
        changed = sorted(p for p in {*before, *after} if before.get(p) != after.get(p))
        paths = self._narrow(changed, before, after, why, openapi, tests)
        return culprit, paths, why

    def _narrow(
        self,
        changed: list[str],
        before: dict[str, str],
        after: dict[str, str],
        why: list[Failure],
        openapi: bool,
        tests: bool,
    ) -> list[str]:
        """The fewest files (of ``changed``, where the culprit's fixes are) whose fixes must be
        left out for nothing to break: the traceback's files first, then halves."""

        def breaks_without(dropped: list[str]) -> bool:
            texts = dict(after)
            for path in dropped:
                if path in before:
                    texts[path] = before[path]
                else:
                    texts.pop(path, None)
            return bool(self._evaluate(texts, openapi, tests)[1])

        if len(changed) <= 1:
            return changed
        budget = MAX_NARROWING
        relative = {self.workspace.relative(p): p for p in changed}
        evidence = sorted({relative[f] for w in why for f in w.files if f in relative})
        drop = changed
        if evidence and len(evidence) < len(changed):
            budget -= 1
            if not breaks_without(evidence):
                drop = evidence
        while len(drop) > 1 and budget > 0:
            half = len(drop) // 2
            first, second = drop[:half], drop[half:]
            budget -= 1
            if not breaks_without(first):
                drop = first
                continue
            budget -= 1
            if budget >= 0 and not breaks_without(second):
                drop = second
                continue
            break
        return drop

    # --- the whole verification -----------------------------------------------------------

    def verify(
        self, result: RunResult, index: ProjectIndex
    ) -> tuple[RunResult | None, Verification]:
        """The result to write (the fixes kept) and the report; None: write nothing."""
        report = Verification(self.python, unsafe=self.settings.unsafe_fixes)
        report.tests_command = self.options.tests
        self.sources.update(result.sources)
        with tempfile.TemporaryDirectory(prefix="fastapi-fix-verify-") as scratch:
            started = time.monotonic()
            self.workspace = Workspace(self.root, scratch)
            self.target = targets(index, result, self.root, self.options.apps)
            self._tests_count = bool(self.options.tests)
            self.before = self._probe({}, tests=True, first=True)
            report.version = self.before.version
            self._fill_before(report)
            self._tests_count = bool(report.tests_before and report.tests_before.passed)
            blocked = self.blocked
            try:
                final, evaluation = self._phases(result, blocked, report)
            except _GiveUp:
                return None, report
            report.tests_after = evaluation.tests
            self.echo(f"verify: done in {time.monotonic() - started:.0f}s")
        return final, report

    def _fill_before(self, report: Verification) -> None:
        for name, outcome in sorted(self.before.modules.items()):
            if not outcome.ok:
                report.modules_failed_before[name] = outcome.error
            elif outcome.outside:
                report.modules_outside[name] = outcome.file or ""
            else:
                report.modules_ok.append(name)
        for spec, outcome in sorted(self.before.apps.items()):
            if not outcome.ok:
                report.apps_failed_before[spec] = outcome.error
            else:
                report.apps_ok.append(spec)
                if outcome.document is not None:
                    report.apps_with_docs.append(spec)
        report.tests_before = self.before.tests

    def _phases(
        self, result: RunResult, blocked: set[tuple[str, str]], report: Verification
    ) -> tuple[RunResult, Evaluation]:
        """Without --unsafe-fixes, one phase checks everything. With them, the safe fixes alone
        are checked first for imports and OpenAPI documents (only safe fixes must keep them),
        then every fix for imports and tests."""
        tests = self._tests_count
        if not self.settings.unsafe_fixes:
            return self._phase(self.settings, result, True, tests, blocked, report)
        if report.apps_with_docs:
            safe_only = self.settings.with_overrides(unsafe_fixes=False)
            self._phase(safe_only, self.run(safe_only, frozenset()), True, False, blocked, report)
            if blocked:
                result = self.run(self.settings, frozenset(blocked))
        final, evaluation = self._phase(self.settings, result, False, tests, blocked, report)
        for spec in report.apps_with_docs:
            old = self.before.apps[spec].document
            new = evaluation.apps.get(spec)
            if new is not None and new.ok and new.document != old:
                report.changed_by_unsafe[spec] = first_difference(old, new.document) or "?"
        return final, evaluation


def _remove(items: list[str], item: str) -> None:
    if item in items:
        items.remove(item)


class _GiveUp(Exception):
    pass
