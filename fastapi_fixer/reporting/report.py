"""`fastapi-fix report`: one page a team reads before anything is changed — how far the code
base is from the guide, what the tool would change (safe fixes, then behaviour changes), what it
leaves to a person, and in which order to review it (the migration plan, `reporting/plan.py`).

One engine run makes it: the fix run of `--dry-run --unsafe-fixes`, in memory. `ReportEngine`
keeps the findings its check found before the fix loop started (what `check` reports) and the
project's inventory (apps, routers, routes) from the index of the untouched code; the fix loop
then gives each changed file its fixed text and which rules wrote each line (the hunks of the
per-module view and the size of each plan step).

The page is rendered with Jinja2 from `templates/` (autoescaped HTML: every piece of the user's
code and every message goes through an escape), self-contained (inline CSS and JS, nothing
loaded from the network); `--format markdown` renders the same data for a pull request or a
wiki.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi_fixer import __version__
from fastapi_fixer.engine import Engine
from fastapi_fixer.fixing.pipeline import split_lines
from fastapi_fixer.models import Diagnostic, Hop, RunResult
from fastapi_fixer.reporting.console import diff_groups, shows_chain
from fastapi_fixer.reporting.plan import PlanStep, build_plan, kind_of, section_of, section_order

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex
    from fastapi_fixer.reporting.progress import ProgressBar

FORMATS = ("html", "markdown")
SEVERITIES = ("error", "warning", "info")
_CONTEXT = 3  # lines of context around a hunk, as `--diff`


# --- the engine run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Inventory:
    """What the project holds, from the index of the code as it is (before any fix)."""

    files: int = 0
    apps: int = 0
    routers: int = 0
    routes: int = 0


def inventory(index: ProjectIndex, files: int) -> Inventory:
    """Apps and routers bound at module level (instances of `FastAPI`/`APIRouter` or of a
    project subclass), and route operations (one per route decorator whose receiver is an app
    or a router, wherever it was made)."""
    apps = routers = 0
    for module in index.modules.values():
        for name, binding in module.bindings.items():
            if binding.kind not in ("app", "other"):
                continue  # an import names an object counted where it is made
            kind = index.app_kind(f"{module.module}.{name}")
            apps += kind == "app"
            routers += kind == "router"
    routes = sum(len(index.routes_of(qualname)) for qualname in list(index.functions))
    return Inventory(files=files, apps=apps, routers=routers, routes=routes)


class ReportEngine(Engine):
    """The engine of `--dry-run --unsafe-fixes` that also keeps what `check` would report: the
    findings of the check before the fix loop (per-file ignores already applied), and the
    project's inventory from the index of the untouched code."""

    found: list[Diagnostic] | None = None
    inventory: Inventory | None = None

    def _fix_until_stable(self, files: Any, diagnostics: list[Diagnostic], result: RunResult):
        self.found = sorted(diagnostics, key=lambda d: d.sort_key)
        python = sum(1 for f in files.values() if not f.is_text)
        self.inventory = inventory(self.index, python)
        return super()._fix_until_stable(files, diagnostics, result)


# --- the data the templates read -----------------------------------------------------------------


@dataclass
class DiffLine:
    tag: str  # " ", "-", "+"
    old: int | None  # 1-based line numbers, None on the side the line is not on
    new: int | None
    text: str  # without its line ending
    # a changed line: the rules that wrote (or removed) it, the old line its change is at, and
    # the plan step it belongs to
    codes: frozenset[str] = frozenset()
    at: int = 0
    step: int | None = None


@dataclass
class Hunk:
    path: str
    old_start: int  # 1-based
    old_count: int
    new_start: int
    new_count: int
    codes: tuple[str, ...]  # the rules that wrote it (the fix pass's provenance)
    lines: list[DiffLine]
    steps: tuple[int, ...] = ()  # the plan steps its changed lines belong to

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"

    @property
    def changed(self) -> int:
        return sum(1 for line in self.lines if line.tag != " ")

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.tag == "+")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.tag == "-")

    def unified(self) -> str:
        """The hunk as `--diff` prints it, the rules that wrote it after the header."""
        codes = f" {', '.join(self.codes)}" if self.codes else ""
        body = "".join(f"{line.tag}{line.text}\n" for line in self.lines)
        return f"{self.header}{codes}\n{body}"


@dataclass
class ModuleView:
    path: str
    findings: list[Diagnostic]
    hunks: list[Hunk]
    new: bool = False  # a file a fix creates

    @property
    def codes(self) -> list[str]:
        """The rules that find something here or whose fixes change it."""
        return sorted({d.code for d in self.findings}.union(*(h.codes for h in self.hunks)))

    @property
    def kinds(self) -> Counter[str]:
        return Counter(kind_of(d) for d in self.findings)

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)


@dataclass(frozen=True)
class RuleRow:
    code: str
    name: str
    section: str
    severity: str
    findings: int
    safe: int
    unsafe: int
    manual: int
    applied: int  # fixes the preview run applied
    modules: int
    why: str
    url: str
    summary: str


@dataclass(frozen=True)
class StepSize:
    files: int
    added: int
    removed: int

    @property
    def lines(self) -> int:
        return self.added + self.removed


@dataclass(frozen=True)
class Chain:
    diagnostic: Diagnostic
    hops: tuple[Hop, ...]
    more: tuple[Hop, ...]


@dataclass
class Report:
    project: str
    command: str
    inventory: Inventory
    findings: list[Diagnostic]
    plan: list[PlanStep]
    sizes: dict[int, StepSize]
    rules: list[RuleRow]
    modules: list[ModuleView]
    chains: list[Chain]
    by_section: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    kinds: dict[str, int]
    applied: int  # fixes the preview run applied
    changed_files: int
    left_after: int  # findings left once every fix is applied
    # changed lines no step accounts for: rules whose findings appear only once other fixes
    # are applied (FF202 when FF203 adds models), or the layout around a fix
    unplanned: int = 0
    unplanned_codes: tuple[str, ...] = ()
    errors: list[Any] = field(default_factory=list)
    dropped: list[Any] = field(default_factory=list)
    verification: Any = None
    unsafe_previewed: bool = True  # False: --no-unsafe-fixes, the unsafe steps have no diff
    version: str = __version__

    @property
    def total(self) -> int:
        return len(self.findings)


def _hunks(path: str, before: str, after: str, provenance: Any) -> list[Hunk]:
    """The diff of a fixed file as `--diff` cuts it, each changed line with the rules that
    wrote it (``provenance``: `fixing.pipeline.Provenance` of ``after``)."""
    old, new = split_lines(before), split_lines(after)
    written = provenance.lines if provenance is not None else []
    removed = provenance.removed if provenance is not None else []
    hunks = []
    for group in diff_groups(old, new, provenance, _CONTEXT):  # as `--diff` cuts it
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine(" ", i + 1, j + 1, old[i].rstrip("\r\n"))
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            added = [written[j] if j < len(written) else frozenset() for j in range(j1, j2)]
            # what was removed here, and by a replacement, the rules that wrote its lines
            gone = (removed[j1] if j1 < len(removed) else frozenset()).union(*added)
            lines += [
                DiffLine("-", i + 1, None, old[i].rstrip("\r\n"), gone, i + 1)
                for i in range(i1, i2)
            ]
            lines += [
                DiffLine("+", None, j + 1, new[j].rstrip("\r\n"), codes, i1 + 1)
                for j, codes in zip(range(j1, j2), added, strict=True)
            ]
        first, last = group[0], group[-1]
        new_start, new_end = first[3], last[4]
        hunks.append(
            Hunk(
                path=path,
                old_start=first[1] + 1 if last[2] > first[1] else first[1],
                old_count=last[2] - first[1],
                new_start=new_start + 1 if new_end > new_start else new_start,
                new_count=new_end - new_start,
                codes=tuple(sorted(frozenset().union(*(line.codes for line in lines)))),
                lines=lines,
            )
        )
    return hunks


def _assign_steps(plan: list[PlanStep], hunks: Iterable[Hunk]) -> None:
    """Each changed line to the plan step whose fix wrote it: a fix step with a finding of one
    of the line's rules whose fix edits the line's file; the nearest such finding when a rule's
    findings are split between a safe and an unsafe step (FF101's sleep and its offload)."""
    by_key: dict[tuple[str, str], list[tuple[PlanStep, Diagnostic]]] = defaultdict(list)
    for step in plan:
        if step.kind == "manual":
            continue
        for diagnostic in step.findings:
            assert diagnostic.fix is not None
            for path in diagnostic.fix.paths:
                by_key[(path, diagnostic.code)].append((step, diagnostic))
    for hunk in hunks:
        chosen: dict[tuple[frozenset[str], int], int | None] = {}
        for line in hunk.lines:
            if line.tag == " " or not line.codes:
                continue
            key = (line.codes, line.at)
            if key not in chosen:
                candidates = [
                    pair
                    for code in sorted(line.codes)
                    for pair in by_key.get((hunk.path, code), [])
                ]
                chosen[key] = (
                    min(candidates, key=functools.partial(_distance, hunk.path, line.at))[0].number
                    if candidates
                    else None
                )
            line.step = chosen[key]
        hunk.steps = tuple(sorted({line.step for line in hunk.lines if line.step is not None}))


def _distance(path: str, at: int, pair: tuple[PlanStep, Diagnostic]) -> int:
    """How far a finding is from a changed line (a finding in another file: far)."""
    diagnostic = pair[1]
    if diagnostic.path != path:
        return 1_000_000
    return abs(diagnostic.span.line - at)


def _sizes(plan: list[PlanStep], hunks: list[Hunk]) -> dict[int, StepSize]:
    sizes = {}
    for step in plan:
        if step.kind == "manual":
            paths = {d.path for d in step.findings}
        else:
            paths = {p for d in step.findings if d.fix is not None for p in d.fix.paths}
        added = removed = 0
        for hunk in hunks:
            for line in hunk.lines:
                if line.step == step.number:
                    paths.add(hunk.path)
                    added += line.tag == "+"
                    removed += line.tag == "-"
        sizes[step.number] = StepSize(files=len(paths), added=added, removed=removed)
    return sizes


def _rules(findings: list[Diagnostic], applied: dict[str, int]) -> list[RuleRow]:
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting import ruledocs

    by_code: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in findings:
        by_code[diagnostic.code].append(diagnostic)
    rules = all_rules()
    rows = []
    for code in sorted(by_code):
        group = by_code[code]
        kinds = Counter(kind_of(d) for d in group)
        rule = rules.get(code)
        rows.append(
            RuleRow(
                code=code,
                name=group[0].name,
                section=section_of(code),
                severity=group[0].severity.value,
                findings=len(group),
                safe=kinds["safe"],
                unsafe=kinds["unsafe"],
                manual=kinds["manual"],
                applied=applied.get(code, 0),
                modules=len({d.path for d in group}),
                why=ruledocs.why(rule) if rule is not None else "",
                url=ruledocs.rule_url(code),
                summary=ruledocs.summary(rule) if rule is not None else "",
            )
        )
    return rows


def build_report(
    found: list[Diagnostic],
    result: RunResult,
    inventory: Inventory,
    project: str,
    command: str,
    verification: Any = None,
    progress: ProgressBar | None = None,
) -> Report:
    """The page's data from one fix run (``result``, with unsafe fixes) and the findings its
    check found (``found``, what `check` reports)."""
    plan = build_plan(found)
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in found:
        by_path[diagnostic.path].append(diagnostic)
    changed = result.changed_paths
    if progress is not None:
        progress.phase("diffing", len(changed))
    hunks_of: dict[str, list[Hunk]] = {}
    for path in changed:
        source = result.sources[path]
        hunks_of[path] = _hunks(path, source.text, result.fixed[path], result.provenance.get(path))
        if progress is not None:
            progress.advance(1)
    every_hunk = [h for hs in hunks_of.values() for h in hs]
    _assign_steps(plan, every_hunk)
    modules = [
        ModuleView(
            path=path,
            findings=by_path.get(path, []),
            hunks=hunks_of.get(path, []),
            new=bool(getattr(result.sources.get(path), "new", False)),
        )
        for path in sorted(set(by_path) | set(hunks_of))
    ]
    unplanned = [
        line for h in every_hunk for line in h.lines if line.tag != " " and line.step is None
    ]
    sections = Counter(section_of(d.code) for d in found)
    severities = Counter(d.severity.value for d in found)
    kinds = Counter(kind_of(d) for d in found)
    chains = [
        Chain(d, d.chain, d.more_sinks)
        for d in found
        if shows_chain(d) or (d.chain and d.more_sinks)
    ]
    return Report(
        project=project,
        command=command,
        inventory=inventory,
        findings=found,
        plan=plan,
        sizes=_sizes(plan, every_hunk),
        rules=_rules(found, result.applied),
        modules=modules,
        chains=chains,
        by_section=[(s, sections[s]) for s in section_order() if sections[s]],
        by_severity=[(s, severities[s]) for s in SEVERITIES if severities[s]],
        kinds={kind: kinds[kind] for kind in ("safe", "unsafe", "manual")},
        applied=sum(result.applied.values()),
        changed_files=len(changed),
        left_after=len(result.diagnostics),
        unplanned=len(unplanned),
        unplanned_codes=tuple(sorted(frozenset().union(*(line.codes for line in unplanned)))),
        errors=list(result.errors),
        dropped=list(result.dropped),
        verification=verification,
    )


# --- rendering ---------------------------------------------------------------------------------


_PYTHON_CLASSES = {
    "Keyword": "hk",
    "Name.Builtin": "hb",
    "Name.Builtin.Pseudo": "hb",
    "Name.Function": "hf",
    "Name.Class": "hf",
    "Name.Decorator": "hd",
    "Literal.String": "hs",
    "Comment": "hc",
    "Literal.Number": "hn",
    "Operator.Word": "hk",
}


def _token_class(token: Any) -> str | None:
    while token is not None and token.parent is not None:
        found = _PYTHON_CLASSES.get(".".join(token))
        if found is not None:
            return found
        token = token.parent
    return None


class Highlighter:
    """Python lines as escaped HTML with a few token classes (pygments' lexer, our markup: each
    token's text goes through markupsafe's escape). A hunk's two sides are lexed as runs of
    lines, once each, so a line inside a multi-line string reads as a string."""

    def __init__(self) -> None:
        from pygments.lexers import PythonLexer

        self.lexer = PythonLexer(stripnl=False, ensurenl=False)
        self._css: dict[Any, str | None] = {}

    def lines(self, texts: list[str]) -> list[Any]:
        """Each of ``texts`` (consecutive lines, without line endings) as markup."""
        from markupsafe import Markup, escape

        pieces: list[list[list[Any]]] = [[]]  # per line: [class, text] runs
        for token, value in self.lexer.get_tokens("\n".join(texts)):
            css = self._css.get(token, "")
            if css == "":
                css = self._css[token] = _token_class(token)
            for number, piece in enumerate(value.split("\n")):
                if number:
                    pieces.append([])
                if not piece:
                    continue
                runs = pieces[-1]
                if runs and runs[-1][0] == css:  # one span for `"/x"`, not three
                    runs[-1][1] += piece
                else:
                    runs.append([css, piece])
        return [
            Markup("").join(
                Markup(f'<span class="{css}">{escape(text)}</span>') if css else escape(text)
                for css, text in runs
            )
            for runs in pieces[: len(texts)]
        ]

    def hunk(self, hunk: Hunk, python: bool) -> list[Any]:
        """The markup of each line of ``hunk``, in order."""
        from markupsafe import escape

        if not python:
            return [escape(line.text) for line in hunk.lines]
        old = [i for i, line in enumerate(hunk.lines) if line.tag != "+"]
        new = [i for i, line in enumerate(hunk.lines) if line.tag != "-"]
        shown: list[Any] = [None] * len(hunk.lines)
        for side in (old, new):
            for i, markup in zip(side, self.lines([hunk.lines[i].text for i in side]), strict=True):
                shown[i] = markup
        return shown


def _environment(markdown: bool) -> Any:
    import jinja2
    from markupsafe import escape

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fastapi_fixer.reporting", "templates"),
        autoescape=not markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["plural"] = plural
    env.filters["code"] = inline_code
    env.filters["without_chain"] = without_chain
    env.filters["md"] = md_text
    env.filters["mdcode"] = md_code
    env.filters["h"] = lambda text: str(escape(text))
    env.filters["unified_with_codes"] = lambda hunk: hunk.unified()
    env.globals["fence"] = fence
    env.globals["slug"] = anchor
    env.globals["location"] = location
    env.globals["kind_of"] = kind_of
    env.globals["zip"] = zip
    env.globals["section_rank"] = {name: rank for rank, name in enumerate(section_order())}
    return env


_ENTITY = re.compile(r"&(?=#?\w+;)")  # an `&` that would start an entity
_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Any:
    """``text`` escaped, its `backticked` spans as <code> (HTML)."""
    from markupsafe import Markup, escape

    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


_CHAIN_TEXT = re.compile(r" \([^()`]*\u2192[^()`]*\)|; \d+ more such calls? behind it: .*$")


def without_chain(message: str) -> str:
    """A blocking finding's message without the chain it spells out (`(a → b → c)`, "2 more
    such calls behind it: ..."), where the page draws them."""
    return _CHAIN_TEXT.sub("", message)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def anchor(path: str) -> str:
    """An id for a module's section (letters, digits, `-`)."""
    return "m-" + "".join(c if c.isalnum() else "-" for c in path)


def location(hop: Hop) -> str:
    return f"{hop.path}:{hop.row}:{hop.column + 1}"


def md_text(text: str) -> str:
    """Text for a Markdown table cell or paragraph: no raw HTML (`<` is an entity outside code
    spans), no cell break (`|` escaped, which GitHub also honours inside code spans), one line."""
    out = []
    for number, part in enumerate(str(text).replace("\r", " ").replace("\n", " ").split("`")):
        part = part.replace("|", "\\|")
        if number % 2 == 0:
            part = _ENTITY.sub("&amp;", part).replace("<", "&lt;").replace(">", "&gt;")
        out.append(part)
    return "`".join(out)


def md_code(text: str) -> str:
    """``text`` as one Markdown code span (longer ticks than any run in it; `|` escaped)."""
    text = str(text).replace("\n", " ").replace("|", "\\|")
    ticks = "`" * (max((len(run) for run in _runs(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return ticks + pad + text + pad + ticks


def _runs(text: str) -> list[str]:
    return re.findall(r"`+", text)


def fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    return "`" * max(3, max((len(run) for run in _runs(text)), default=0) + 1)


def render(report: Report, fmt: str, progress: ProgressBar | None = None) -> str:
    """The page (``fmt``: "html" or "markdown"); ``progress`` counts the modules rendered."""
    env = _environment(markdown=fmt == "markdown")

    def tick() -> str:
        if progress is not None:
            progress.advance(1)
        return ""

    if progress is not None:
        progress.phase("rendering", len(report.modules))
    if fmt == "markdown":
        return env.get_template("report.md.j2").render(r=report, tick=tick)
    highlighter = Highlighter()
    return env.get_template("report.html.j2").render(
        r=report,
        tick=tick,
        highlight=highlighter.hunk,
        is_python=lambda path: path.endswith((".py", ".pyi")),
    )


def project_name(paths: tuple[str, ...]) -> str:
    first = os.path.abspath(paths[0] if paths else ".")
    return os.path.basename(first.rstrip(os.sep)) or first


def run_engine(
    settings: Any, paths: tuple[str, ...], jobs: int, cache: Any, progress: ProgressBar | None
) -> tuple[ReportEngine, RunResult]:
    """The one engine run of a report: `--dry-run --unsafe-fixes` (as ``settings`` say), in
    memory."""
    from fastapi_fixer.engine import Mode

    engine = ReportEngine(settings, Mode(fix=True, jobs=jobs), cache)
    result = engine.run(paths or (".",), progress=progress)
    if engine.found is None or engine.inventory is None:  # the engine's fix loop was renamed
        raise RuntimeError("ReportEngine did not see the check's findings")
    return engine, result


def write_atomically(path: str, text: str) -> None:
    """``text`` to ``path`` through a temporary file in its folder: a failed run leaves no half
    page (OSError for the caller)."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(prefix=".fastapi-fix-report-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
