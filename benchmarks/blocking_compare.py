"""Compare blocking-call finders on real code bases against judged ground truth.

Runs fastapi-fix's FF101-FF103 and FF106, `blockpath` and `hydroid` (and, as an extra column,
ruff's ASYNC2xx rules) on some code bases of the corpus (~/.cache/fastapi-fix-corpus), turns
every finding into the *blocking call site* it ends in, and scores each tool against
`benchmarks/judged/blocking.jsonl`:

    python benchmarks/blocking_compare.py                      # this checkout, default code bases
    python benchmarks/blocking_compare.py --fastapi-fix /work/main --codebases chainlit,gradio
    python benchmarks/blocking_compare.py --save-raw /tmp/raw  # keep each tool's output ...
    python benchmarks/blocking_compare.py --from-raw /tmp/raw  # ... and score it again, no runs
    python benchmarks/blocking_compare.py --save-raw /tmp/raw --reuse-raw  # rerun missing ones

Matching. Every tool reports a path from an `async def` ("entry") down to the call of a
blocking API ("sink"); the key of a finding is the sink: (codebase, path relative to the code
base's root, line of the blocking API call), with the API's name for display.
- fastapi-fix (`check --select FF101,FF102,FF103,FF106`, concise output by default, `--ff-format
  json` for JSON, which is much slower): FF101-FF103 and FF106 are two columns. When a JSON
  finding has a ``chain`` (list of hops ``{name, path, row, column}``), its last hop is the
  sink. Concise lines and older JSON have no chain: a direct finding's own location is the
  sink; an indirect one says ``(helper → ... → api)`` in its message, and the sink is the
  first call in the last helper's body whose callee ends with the API's last name
  (fastapi-fix follows a helper's calls in source order and stops at the first blocking one),
  found by parsing that helper's module. The other blocking calls behind the same call (JSON's
  ``more_sinks``; a message's "; N more such calls behind it: `api` (path:row), ...", which
  names the first three) are sinks of that finding too.
- blockpath (`check --json`): the last witness frame is the sink; ``callee`` is the API.
- hydroid (`--format json`): the last chain hop's location is the sink (the finding's own
  location when the chain is empty); ``sink.qualname`` is the API.
- ruff (`--select ASYNC2`): the finding's location (ruff sees direct calls only). ruff is an
  *extra* column: its findings are scored against the union but do not add to it.
Two findings of one code base and file are the same sink when their lines are equal, or when
they come from different tools, are at most 3 lines apart and their APIs have the same last
name (tools place a multi-line call at the line of its start, of its attribute or of its name).

A sink is "true" when the call blocks (file or network I/O, sleep, subprocess, synchronous DB or
SDK, waiting on a thread, CPU-heavy hashing) AND it runs on the event loop from an async route,
dependency or streaming response of the app. An optional ``miss`` key on a true line says why
fastapi-fix misses that sink (used to group the misses; stale when fastapi-fix finds it).

Two kinds of sink. A *metadata* sink is a call of one of the APIs of FF106's catalogue (single
file-system metadata calls: ``exists``, ``is_file``, ``stat``, ``mkdir``, ``unlink``,
``mkstemp``, ...), read from ``fastapi_fixer/analysis/blocking.py`` of the checkout under test (the
``METADATA`` category of ``DEFAULT_CALLS`` and ``METHOD_CATEGORY``); every other sink is a
*blocking-call* sink. The other tools' names of those APIs are mapped first (hydroid's
``genericpath.exists`` is ``os.path.exists``, ``X.__init__`` is a call of ``X``). Judgements of
metadata sinks are not consistent (most ``exists``/``is_file`` calls were judged false, many
``mkdir``/``unlink``/``mkstemp`` calls true), so the headline table scores every tool on the
blocking-call sinks only (FF101-FF103's column), and a second, informational table scores every
tool on the metadata sinks (FF106's column).

Output: for each kind, per tool found-true / found-false / recall / precision, and per code base;
the true blocking-call sinks FF101-FF103 miss (grouped by ``miss``) and every union entry not
judged yet (``--write-unjudged FILE`` writes them as lines to fill in). Stdlib (and
``fastapi_fixer/analysis/blocking.py``, which is stdlib only) only.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = Path.home() / ".cache" / "fastapi-fix-corpus"
JUDGED = HERE / "judged" / "blocking.jsonl"
DEFAULT_CODEBASES = (  # lightrag-hku is left out: hydroid reports ~1,600 logging calls there
    "arize-phoenix",
    "chainlit",
    "freqtrade",
    "gradio",
    "kedro-viz",
    "langflow-base",
    "mlflow",
    "open-webui",
)
MAIN_TOOLS = ("fastapi-fix", "blockpath", "hydroid")
EXTRA_TOOLS = ("ruff",)
# the columns of fastapi-fix's run: its blocking-call rules and its metadata rule
FF_BLOCKING = "fastapi-fix"
FF_METADATA = "fastapi-fix FF106"
FF_CODES = {"FF101": FF_BLOCKING, "FF102": FF_BLOCKING, "FF103": FF_BLOCKING, "FF106": FF_METADATA}
COLUMN_ORDER = (FF_BLOCKING, FF_METADATA, "blockpath", "hydroid", "ruff")
LABELS = {FF_BLOCKING: "fastapi-fix FF101-FF103", FF_METADATA: "fastapi-fix FF106"}
METADATA, BLOCKING = "metadata", "blocking"
LINE_SLACK = 3
VERDICTS = ("true", "false")
JUDGED_KEYS = {"codebase", "path", "line", "api", "verdict", "why", "text"}
OPTIONAL_KEYS = {"miss"}


@dataclass(frozen=True)
class Finding:
    """One tool's finding, normalised to its sink."""

    tool: str
    codebase: str
    path: str
    line: int
    api: str
    entry: str = ""  # the async function it is reached from, when the tool says
    chain: tuple[str, ...] = ()  # the names of the hops, when known


@dataclass
class Entry:
    """One distinct sink of the union."""

    codebase: str
    path: str
    line: int
    api: str
    found: dict[str, list[Finding]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.codebase, self.path, self.line)


def clean_path(path: str, root: Path | None = None) -> str:
    """A path relative to the code base's root, with forward slashes, no leading './'."""
    if root is not None and os.path.isabs(path):
        with contextlib.suppress(ValueError):  # another drive on Windows
            path = os.path.relpath(path, root)
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def last_name(api: str) -> str:
    return api.rsplit(".", 1)[-1]


# --- metadata sinks (FF106's catalogue) vs blocking-call sinks --------------------------------


def load_metadata_apis(checkout: Path) -> tuple[tuple[str, ...], Path | None]:
    """The API patterns of FF106's catalogue in ``checkout``'s blocking catalogue
    (``fastapi_fixer/analysis/blocking.py``, ``fastapi_fixer/blocking.py`` in older checkouts;
    falling back to this checkout's), and the file they came from: the ``METADATA`` category of
    ``DEFAULT_CALLS`` plus the ``METHOD_CATEGORY`` / ``INSTANCE_CATEGORY`` methods of that
    category, as ``type.method``. ``((), None)`` when no such module loads."""
    candidates = [
        root / "fastapi_fixer" / where / "blocking.py"
        for root in dict.fromkeys((Path(checkout).resolve(), REPO))
        for where in ("analysis", ".")
    ]
    for source in candidates:
        if not source.is_file():
            continue
        spec = importlib.util.spec_from_file_location("_fastapi_fixer_blocking", source)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up
        try:
            spec.loader.exec_module(module)
        except Exception as error:  # an older checkout: try the next one
            print(f"cannot load {source}: {error}", file=sys.stderr)
            continue
        category = getattr(module, "METADATA", None)
        if category is None:
            continue
        patterns = list(getattr(module, "DEFAULT_CALLS", {}).get(category, ()))
        for (kind, method), value in getattr(module, "METHOD_CATEGORY", {}).items():
            if value == category:
                patterns.append(f"{kind}.{method}")
        methods = getattr(module, "INSTANCE_METHODS", {})
        for kind, value in getattr(module, "INSTANCE_CATEGORY", {}).items():
            if value == category:
                patterns += [f"{kind}.{method}" for method in methods.get(kind, ("*",))]
        return tuple(dict.fromkeys(patterns)), source
    return (), None


# other tools' names of the catalogue's APIs: the module a function is defined in, and the
# concrete classes of `pathlib.Path`
_API_ALIASES = (
    (re.compile(r"^(?:genericpath|posixpath|ntpath)\."), "os.path."),
    (re.compile(r"^pathlib\.(?:PosixPath|WindowsPath|PurePath|PurePosixPath)\."), "pathlib.Path."),
)


def canonical_api(api: str) -> str:
    """``api`` as fastapi-fix's catalogue names it: ``genericpath.exists`` is
    ``os.path.exists``, and ``X.__init__`` (hydroid's name of a constructor call) is ``X``."""
    api = api.removesuffix(".__init__")
    for pattern, replacement in _API_ALIASES:
        api = pattern.sub(replacement, api)
    return api


def is_metadata_api(api: str, patterns: Sequence[str]) -> bool:
    name = canonical_api(api)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


# creating one is a metadata call (FF106's); FF101 reports one only where leaving its `with`
# block removes the whole tree, a blocking call (its JSON name has no `[with]` mark)
WITH_EXIT_APIS = frozenset({"tempfile.TemporaryDirectory"})


def sink_kind(entry: Entry, patterns: Sequence[str]) -> str:
    """METADATA when the sink's API (the judged line's, else the first finder's) is in FF106's
    catalogue, else BLOCKING; a `TemporaryDirectory` FF101-FF103 report is BLOCKING."""
    if entry.api in WITH_EXIT_APIS and FF_BLOCKING in entry.found:
        return BLOCKING
    return METADATA if is_metadata_api(entry.api, patterns) else BLOCKING


# --- fastapi-fix ---------------------------------------------------------------------------

_FF_MESSAGE = re.compile(r"`(?P<name>[^`]+)` in async [A-Za-z. ]+`[^`]+`(?P<rest>.*)")
_FF_CHAIN = re.compile(r"\(([^()]*→[^()]*)\)")


def parse_ff_message(message: str) -> tuple[str, tuple[str, ...]]:
    """(the called name, the chain from it to the API) from a FF101-FF103 message; the chain is
    just the name for a direct call. Takes "... in async route `r` (a → b → api)" and "... in
    async helper `h` (reached from route `r`) (a → b → api)" (or from "socket.io handler",
    "MCP handler")."""
    match = _FF_MESSAGE.search(message)
    if match is None:
        return "", ()
    name = match["name"]
    chain = _FF_CHAIN.search(match["rest"])
    if chain is not None:
        return name, tuple(hop.strip() for hop in chain[1].split("→"))
    return name, (name,)


class SourceTree:
    """The modules of a code base, to find a function by its qualified name and a call in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._modules: dict[str, list[Path]] = {}
        self._trees: dict[Path, ast.Module | None] = {}
        self._files: list[Path] | None = None

    def module_files(self, dotted: str) -> list[Path]:
        """The file of module ``dotted`` (``pkg/mod.py`` or ``pkg/mod/__init__.py``, also under
        ``src/``); else the files whose path ends so (fastapi-fix names a package inside a
        folder without ``__init__.py`` from that folder on, e.g. ``audio`` for
        ``open_webui/routers/audio/__init__.py``)."""
        if dotted not in self._modules:
            parts = dotted.split(".")
            found = [
                candidate
                for base in (self.root, self.root / "src")
                for candidate in (
                    base.joinpath(*parts).with_suffix(".py"),
                    base.joinpath(*parts, "__init__.py"),
                )
                if candidate.is_file()
            ][:1]
            if not found:
                found = [
                    path
                    for path in self._python_files()
                    if _module_parts(path.relative_to(self.root))[-len(parts) :] == parts
                ]
            self._modules[dotted] = found
        return self._modules[dotted]

    def _python_files(self) -> list[Path]:
        if self._files is None:
            self._files = sorted(self.root.rglob("*.py"))
        return self._files

    def tree(self, path: Path) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
            except (SyntaxError, ValueError):
                self._trees[path] = None
        return self._trees[path]

    def function(self, qualname: str) -> tuple[Path, ast.AST] | None:
        """The def of ``qualname`` (module path + classes/functions nested in it)."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            for path in self.module_files(".".join(parts[:cut])):
                node: ast.AST | None = self.tree(path)
                for name in parts[cut:]:
                    node = _child_def(node, name) if node is not None else None
                if node is not None:
                    return path, node
        return None

    def is_async(self, qualname: str) -> bool | None:
        found = self.function(qualname)
        return None if found is None else isinstance(found[1], ast.AsyncFunctionDef)


def _module_parts(relative: Path) -> list[str]:
    """``a/b/c.py`` -> ``[a, b, c]``; ``a/b/__init__.py`` -> ``[a, b]``."""
    parts = list(relative.with_suffix("").parts)
    return parts[:-1] if parts and parts[-1] == "__init__" else parts


def _child_def(node: ast.AST, name: str) -> ast.AST | None:
    for child in ast.walk(node):
        if child is node:
            continue
        if (
            isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and child.name == name
        ):
            return child
    return None


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def first_call_named(node: ast.AST, name: str) -> int | None:
    """The line of the first call (in source order) whose callee's last name is ``name``."""
    calls = [
        sub for sub in ast.walk(node) if isinstance(sub, ast.Call) and _callee_name(sub) == name
    ]
    if not calls:
        return None
    first = min(calls, key=lambda call: (call.lineno, call.col_offset))
    func = first.func
    return func.end_lineno if isinstance(func, ast.Attribute) and func.end_lineno else first.lineno


_CONCISE = re.compile(
    r"^(?P<path>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>FF\d+) (?:\[.\] )?(?P<message>.*)$"
)


def parse_concise(text: str) -> list[dict]:
    """fastapi-fix's concise lines (``path:row:col: CODE [*] message``) as JSON-like items."""
    items = []
    for line in text.splitlines():
        match = _CONCISE.match(line)
        if match is not None:
            items.append(
                {
                    "code": match["code"],
                    "path": match["path"],
                    "location": {"row": int(match["row"]), "column": int(match["col"])},
                    "message": match["message"],
                }
            )
    return items


_MORE_SINKS = re.compile(r"; \d+ more such calls? behind it: (?P<list>.*?)(?: and \d+ more)?$")
_MORE_SINK = re.compile(r"`(?P<api>[^`]+)` \((?P<path>[^():]+):(?P<row>\d+)\)")


def more_sinks(item: dict, tool: str, codebase: str) -> list[Finding]:
    """The other blocking calls behind a finding's call (its chain follows the first one): JSON's
    ``more_sinks`` hops, or the ones its message names (concise output names the first three)."""
    hops = item.get("more_sinks")
    if hops is None:
        match = _MORE_SINKS.search(item.get("message", ""))
        hops = [
            {"name": found["api"], "path": found["path"], "row": int(found["row"])}
            for found in _MORE_SINK.finditer(match["list"] if match else "")
        ]
    return [
        Finding(tool, codebase, clean_path(hop["path"]), hop["row"], name, "", (name,))
        for hop in hops
        for name in (hop["name"],)
    ]


def normalise_fastapi_fix(
    items: list[dict], codebase: str, tree: SourceTree | None
) -> list[Finding]:
    """Findings from ``--output-format json`` items (or ``parse_concise``'s)."""
    findings = []
    for item in items:
        tool = FF_CODES.get(item.get("code", ""))
        if tool is None:
            continue
        path = clean_path(item["path"])
        line = item["location"]["row"]
        name, chain = parse_ff_message(item.get("message", ""))
        findings += more_sinks(item, tool, codebase)
        hops = item.get("chain") or []
        if hops:
            last = hops[-1]
            findings.append(
                Finding(
                    tool,
                    codebase,
                    clean_path(last["path"]),
                    last["row"],
                    last["name"],
                    hops[0]["name"],
                    tuple(hop["name"] for hop in hops),
                )
            )
            continue
        api = chain[-1] if chain else name
        if len(chain) > 1 and tree is not None:
            found = tree.function(chain[-2])
            sink_line = first_call_named(found[1], last_name(api)) if found else None
            if found is not None and sink_line is not None:
                path = clean_path(str(found[0].relative_to(tree.root)))
                line = sink_line
        findings.append(Finding(tool, codebase, path, line, api, "", chain))
    return findings


# --- blockpath, hydroid, ruff -----------------------------------------------------------------


def normalise_blockpath(payload: dict, codebase: str) -> list[Finding]:
    findings = []
    for item in payload.get("findings", []):
        witness = item.get("witness") or []
        if not witness:
            continue
        sink = witness[-1]
        findings.append(
            Finding(
                "blockpath",
                codebase,
                clean_path(sink["path"]),
                sink["line"],
                item.get("callee", ""),
                witness[0].get("qualname", ""),
                tuple(frame.get("qualname", "") for frame in witness),
            )
        )
    return findings


def normalise_hydroid(payload: dict, codebase: str) -> list[Finding]:
    findings = []
    for item in payload.get("diagnostics", []):
        chain = item.get("chain") or []
        where = chain[-1]["location"] if chain else item["location"]
        api = (item.get("sink") or {}).get("qualname", "")
        findings.append(
            Finding(
                "hydroid",
                codebase,
                clean_path(where["path"]),
                where["line"],
                api,
                item.get("function", ""),
                tuple(hop.get("callee", "") for hop in chain),
            )
        )
    return findings


_RUFF_API = re.compile(r"`([^`]+)`")


def normalise_ruff(items: list[dict], codebase: str, root: Path) -> list[Finding]:
    findings = []
    for item in items:
        if not str(item.get("code", "")).startswith("ASYNC2"):
            continue
        match = _RUFF_API.search(item.get("message", ""))
        findings.append(
            Finding(
                "ruff",
                codebase,
                clean_path(item["filename"], root),
                item["location"]["row"],
                match[1] if match else item["code"],
            )
        )
    return findings


# --- the union and the scores ---------------------------------------------------------------


def build_union(
    findings: Iterable[Finding],
    judged: dict[tuple[str, str, int], dict] | None = None,
    extra: Iterable[str] = EXTRA_TOOLS,
) -> tuple[list[Entry], list[Finding]]:
    """The distinct sinks of the main tools' findings, and the extra tools' findings that match
    none of them. Judged lines come first as anchors, so a key stays where it was judged."""
    entries: dict[tuple[str, str, int], Entry] = {}
    by_file: dict[tuple[str, str], list[Entry]] = defaultdict(list)

    def add(entry: Entry) -> Entry:
        entries[entry.key] = entry
        by_file[(entry.codebase, entry.path)].append(entry)
        return entry

    def match(finding: Finding) -> Entry | None:
        exact = entries.get((finding.codebase, finding.path, finding.line))
        if exact is not None:
            return exact
        near = [
            entry
            for entry in by_file[(finding.codebase, finding.path)]
            if abs(entry.line - finding.line) <= LINE_SLACK
            and last_name(entry.api) == last_name(finding.api)
            and finding.tool not in entry.found  # a tool's own sinks stay apart
        ]
        return min(near, key=lambda entry: abs(entry.line - finding.line)) if near else None

    findings = list(findings)
    codebases = {finding.codebase for finding in findings}
    for (codebase, path, line), row in sorted((judged or {}).items()):
        if codebase in codebases:
            add(Entry(codebase, path, line, row.get("api", "")))
    outside = []
    extra = set(extra)
    order = {tool: rank for rank, tool in enumerate(COLUMN_ORDER)}
    for finding in sorted(
        findings,
        key=lambda f: (f.tool in extra, order.get(f.tool, 99), f.tool, f.codebase, f.path, f.line),
    ):
        entry = match(finding)
        if entry is None:
            if finding.tool in extra:
                outside.append(finding)
                continue
            entry = add(Entry(finding.codebase, finding.path, finding.line, finding.api))
        if not entry.api:
            entry.api = finding.api
        entry.found.setdefault(finding.tool, []).append(finding)
    kept = [entry for entry in entries.values() if entry.found or entry.key in (judged or {})]
    return sorted(kept, key=lambda entry: entry.key), outside


@dataclass
class Score:
    true: int = 0
    false: int = 0
    unjudged: int = 0
    all_true: int = 0

    @property
    def recall(self) -> float | None:
        return self.true / self.all_true if self.all_true else None

    @property
    def precision(self) -> float | None:
        judged = self.true + self.false
        return self.true / judged if judged else None


def score(
    entries: list[Entry], judged: dict[tuple[str, str, int], dict], tools: Iterable[str]
) -> dict[str, Score]:
    scores = {tool: Score() for tool in tools}
    all_true = sum(1 for e in entries if judged.get(e.key, {}).get("verdict") == "true")
    for tool, result in scores.items():
        result.all_true = all_true
        for entry in entries:
            if tool not in entry.found:
                continue
            verdict = judged.get(entry.key, {}).get("verdict")
            if verdict == "true":
                result.true += 1
            elif verdict == "false":
                result.false += 1
            else:
                result.unjudged += 1
    return scores


def load_judged(path: Path) -> dict[tuple[str, str, int], dict]:
    judged = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                judged[(row["codebase"], row["path"], row["line"])] = row
    return judged


def validate_judged_line(row: dict) -> list[str]:
    """What is wrong with one line of blocking.jsonl (empty when nothing)."""
    problems = []
    keys = set(row)
    if not keys >= JUDGED_KEYS:
        problems.append(f"missing keys {sorted(JUDGED_KEYS - keys)}")
    if keys - JUDGED_KEYS - OPTIONAL_KEYS:
        problems.append(f"unknown keys {sorted(keys - JUDGED_KEYS - OPTIONAL_KEYS)}")
    if row.get("verdict") not in VERDICTS:
        problems.append(f"verdict {row.get('verdict')!r}")
    if not isinstance(row.get("line"), int) or row.get("line", 0) < 1:
        problems.append("line is not a positive int")
    path = row.get("path", "")
    if not isinstance(path, str) or not path or path.startswith(("./", "/")):
        problems.append(f"path {path!r}")
    for key in ("codebase", "api", "why", "text"):
        if not isinstance(row.get(key), str) or not row.get(key):
            problems.append(f"empty {key}")
    if "miss" in row and row.get("verdict") != "true":
        problems.append("miss on a line that is not true")
    return problems


# --- running the tools ----------------------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-500:]}")
    return result.stdout


def _find(command: str) -> str | None:
    if os.sep in command:
        return command if os.access(command, os.X_OK) else None
    return shutil.which(command)


def tool_commands(args: argparse.Namespace) -> dict[str, list[str] | None]:
    """The command of each tool, or None (with a one-line message) when it is not there."""
    commands: dict[str, list[str] | None] = {}
    wanted = {
        "fastapi-fix": [
            *(args.python, "-m", "fastapi_fixer", "check", "--no-cache"),
            *("--select", "FF101,FF102,FF103,FF106", "--output-format", args.ff_format, "."),
        ],
        "blockpath": [args.blockpath, "check", "--json", "."],
        "hydroid": [args.hydroid, "--no-cache", "--format", "json", "."],
        "ruff": [
            *(args.ruff, "check", "--isolated", "--select", "ASYNC2"),
            *("--output-format", "json", "--exit-zero", "."),
        ],
    }
    for tool, command in wanted.items():
        if tool in args.skip:
            commands[tool] = None
            continue
        if _find(command[0]) is None:
            print(f"skipping {tool}: {command[0]} not found (pass --{tool}=PATH)", file=sys.stderr)
            commands[tool] = None
            continue
        commands[tool] = command
    return commands


def parse_output(tool: str, text: str, codebase: str, root: Path) -> list[Finding]:
    """One tool's raw output on one code base, normalised."""
    if tool == "fastapi-fix":
        items = parse_concise(text) if not text.lstrip().startswith("[") else json.loads(text)
        return normalise_fastapi_fix(items, codebase, SourceTree(root))
    payload = json.loads(text) if text.strip() else {}
    if tool == "blockpath":
        return normalise_blockpath(payload, codebase)
    if tool == "hydroid":
        return normalise_hydroid(payload, codebase)
    return normalise_ruff(payload or [], codebase, root)


def collect(args: argparse.Namespace) -> tuple[list[Finding], list[str]]:
    """Every tool's findings on every code base (``--jobs`` runs at a time); the tools seen."""
    commands = tool_commands(args) if args.from_raw is None else {}
    raw_dir = Path(args.from_raw or args.save_raw) if (args.from_raw or args.save_raw) else None
    if raw_dir is not None:
        raw_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(Path(args.fastapi_fix).resolve()))
    jobs: list[tuple[str, str, Path]] = []
    for codebase in args.codebases:
        root = args.corpus / codebase
        if not root.is_dir():
            print(f"skipping code base {codebase}: {root} not found", file=sys.stderr)
            continue
        jobs += [(codebase, tool, root) for tool in MAIN_TOOLS + EXTRA_TOOLS]

    def output(job: tuple[str, str, Path]) -> str | None:
        codebase, tool, root = job
        raw_file = raw_dir / f"{codebase}.{tool}.json" if raw_dir is not None else None
        if args.from_raw is not None:
            if raw_file is None or not raw_file.exists():
                return None
            return raw_file.read_text(encoding="utf-8")
        if args.reuse_raw and raw_file is not None and raw_file.exists():
            return raw_file.read_text(encoding="utf-8")
        command = commands.get(tool)
        if command is None:
            return None
        started = time.monotonic()
        text = _run(command, root, env if tool == "fastapi-fix" else None)
        print(f"  {codebase:<14} {tool:<12} {time.monotonic() - started:6.1f}s", file=sys.stderr)
        if raw_file is not None:
            raw_file.write_text(text, encoding="utf-8")
        return text

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        texts = list(pool.map(output, jobs))
    findings: list[Finding] = []
    tools_run: set[str] = set()
    for (codebase, tool, root), text in zip(jobs, texts, strict=True):
        if text is not None:
            tools_run.add(tool)
            findings += parse_output(tool, text, codebase, root)
    return findings, columns(tools_run)


def columns(tools_run: Iterable[str]) -> list[str]:
    """The report's columns for the tools that ran: fastapi-fix's run gives two."""
    ran = set(tools_run)
    if "fastapi-fix" in ran:
        ran.add(FF_METADATA)
    return [tool for tool in COLUMN_ORDER if tool in ran]


# --- the report -----------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "  -  " if value is None else f"{value:6.1%}"


def score_table(scores: dict[str, Score]) -> list[str]:
    lines = [
        f"{'tool':<24} {'found':>5} {'true':>5} {'false':>5} {'unjudged':>8} "
        f"{'recall':>7} {'precision':>9}"
    ]
    for tool, s in scores.items():
        found = s.true + s.false + s.unjudged
        lines.append(
            f"{LABELS.get(tool, tool):<24} {found:>5} {s.true:>5} {s.false:>5} {s.unjudged:>8} "
            f"{_pct(s.recall):>7} {_pct(s.precision):>9}"
        )
    return lines


def source_line(corpus: Path, codebase: str, path: str, line: int) -> str:
    try:
        lines = (corpus / codebase / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    rows = lines.splitlines()
    return rows[line - 1].strip() if 0 < line <= len(rows) else ""


_TITLES = {
    BLOCKING: "blocking-call sinks (headline: FF101-FF103; metadata sinks left out for every tool)",
    METADATA: "metadata sinks (FF106's catalogue; informational, judgements not consistent)",
}


def report(
    entries: list[Entry],
    outside: list[Finding],
    judged: dict[tuple[str, str, int], dict],
    tools: list[str],
    corpus: Path,
    metadata_apis: Sequence[str] = (),
) -> str:
    out = []
    n_true = sum(1 for e in entries if judged.get(e.key, {}).get("verdict") == "true")
    n_judged = sum(1 for e in entries if e.key in judged)
    out.append(f"union: {len(entries)} sinks, {n_judged} judged, {n_true} true")
    kinds: dict[str, list[Entry]] = {BLOCKING: [], METADATA: []}
    for entry in entries:
        kinds[sink_kind(entry, metadata_apis)].append(entry)
    other_kind = {BLOCKING: FF_METADATA, METADATA: FF_BLOCKING}
    for kind, mine in kinds.items():
        # fastapi-fix's column of the other kind only when it found something here
        shown = [t for t in tools if t != other_kind[kind] or any(t in e.found for e in mine)]
        kind_true = sum(1 for e in mine if judged.get(e.key, {}).get("verdict") == "true")
        kind_judged = sum(1 for e in mine if e.key in judged)
        out.append("")
        out.append(f"{_TITLES[kind]}: {len(mine)} sinks, {kind_judged} judged, {kind_true} true")
        out += score_table(score(mine, judged, shown))
        out.append("per code base (found true/false/unjudged; true sinks of the kind):")
        for codebase in sorted({e.codebase for e in entries}):
            scores = score([e for e in mine if e.codebase == codebase], judged, shown)
            cells = "  ".join(
                f"{LABELS.get(tool, tool)} {s.true}/{s.false}/{s.unjudged}"
                for tool, s in scores.items()
            )
            first = next(iter(scores.values()), Score())
            out.append(f"  {codebase:<14} true={first.all_true:<3} {cells}")
    crossed = [
        (entry, tool)
        for kind, tool in other_kind.items()
        for entry in kinds[kind]
        if tool in entry.found
    ]
    if crossed:
        out.append("")
        out.append(f"fastapi-fix findings at a sink of the other kind: {len(crossed)}")
        for entry, tool in crossed:
            out.append(f"  {LABELS[tool]}: {entry.codebase}/{entry.path}:{entry.line} {entry.api}")
    out.append("")
    misses = [
        e
        for e in kinds[BLOCKING]
        if judged.get(e.key, {}).get("verdict") == "true" and FF_BLOCKING not in e.found
    ]
    out.append(f"true blocking-call sinks FF101-FF103 miss: {len(misses)}")
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in misses:
        groups[judged[entry.key].get("miss", "unclassified")].append(entry)
    for why, group in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        out.append(f"  [{why}] ({len(group)})")
        for entry in group:
            found_by = ",".join(sorted(entry.found)) or "no tool on this run"
            out.append(f"    {entry.codebase}/{entry.path}:{entry.line} {entry.api} ({found_by})")
            out.append(f"        {judged[entry.key].get('why', '')}")
    metadata_misses = sum(
        1
        for e in kinds[METADATA]
        if judged.get(e.key, {}).get("verdict") == "true" and FF_METADATA not in e.found
    )
    out.append(f"true metadata sinks FF106 misses: {metadata_misses} (not listed)")
    unjudged = [e for e in entries if e.key not in judged]
    out.append("")
    out.append(f"unjudged union entries: {len(unjudged)}")
    for entry in unjudged:
        found_by = ",".join(sorted(entry.found))
        text = source_line(corpus, entry.codebase, entry.path, entry.line)
        out.append(f"  {entry.codebase}/{entry.path}:{entry.line} {entry.api} ({found_by}) {text}")
    stale = [e for e in entries if not e.found]
    if stale:
        out.append("")
        out.append(f"judged sinks no tool reports now: {len(stale)}")
        for entry in stale:
            out.append(f"  {entry.codebase}/{entry.path}:{entry.line} {entry.api}")
    if outside:
        out.append("")
        out.append(f"extra-column findings outside the union (not judged): {len(outside)}")
        counts: dict[str, int] = defaultdict(int)
        for finding in outside:
            counts[f"{finding.tool} {finding.codebase}"] += 1
        for name, count in sorted(counts.items()):
            out.append(f"  {name}: {count}")
    return "\n".join(out) + "\n"


def unjudged_lines(entries: list[Entry], judged: dict, corpus: Path) -> list[str]:
    lines = []
    for entry in entries:
        if entry.key in judged:
            continue
        routes = sorted({f.entry for fs in entry.found.values() for f in fs if f.entry})
        row = {
            "codebase": entry.codebase,
            "path": entry.path,
            "line": entry.line,
            "api": entry.api,
            "verdict": "",
            "why": "",
            "text": source_line(corpus, entry.codebase, entry.path, entry.line),
            "_found": sorted(entry.found),
            "_entries": routes[:6],
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fastapi-fix", default=str(REPO), help="fastapi-fix checkout to run")
    parser.add_argument("--python", default=sys.executable, help="python that has its deps")
    parser.add_argument(
        "--ff-format",
        choices=("concise", "json"),
        default="concise",
        help="fastapi-fix's output: json has each finding's chain, but is much slower",
    )
    parser.add_argument("--blockpath", default="blockpath")
    parser.add_argument("--hydroid", default="hydroid")
    parser.add_argument("--ruff", default="ruff")
    parser.add_argument("--skip", default="", help="comma-separated tools not to run")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--codebases", default=",".join(DEFAULT_CODEBASES))
    parser.add_argument("--judged", type=Path, default=JUDGED)
    parser.add_argument("--jobs", type=int, default=2, help="tool runs at a time")
    parser.add_argument("--save-raw", help="folder to keep each tool's raw output in")
    parser.add_argument(
        "--reuse-raw",
        action="store_true",
        help="with --save-raw: read a tool's output from there when it is there, else run it "
        "(delete the fastapi-fix files to measure another checkout against the same tools)",
    )
    parser.add_argument("--from-raw", help="score the raw outputs of an earlier --save-raw")
    parser.add_argument("--write-unjudged", help="write unjudged entries as JSON lines here")
    args = parser.parse_args(argv)
    args.codebases = [name for name in args.codebases.split(",") if name]
    args.skip = {name for name in args.skip.split(",") if name}
    findings, tools = collect(args)
    judged = load_judged(args.judged)
    entries, outside = build_union(findings, judged)
    metadata_apis, source = load_metadata_apis(Path(args.fastapi_fix))
    if source is None:
        print("no FF106 catalogue found: every sink counts as a blocking call", file=sys.stderr)
    else:
        print(f"metadata APIs: {len(metadata_apis)} patterns from {source}", file=sys.stderr)
    print(report(entries, outside, judged, tools, args.corpus, metadata_apis), end="")
    if args.write_unjudged:
        lines = unjudged_lines(entries, judged, args.corpus)
        Path(args.write_unjudged).write_text("".join(f"{line}\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
