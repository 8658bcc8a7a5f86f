"""The pipeline: files → prefilter → `ast` facts → project index → rules → LibCST fixes → results.

Analysis runs on the standard library's `ast` (cheap); LibCST parses only files that a fix will
change. Per-file work is plain data in and out, so it spreads over a process pool.

Non-Python files that text rules read (`Rule.FILE_NAMES`: `alembic.ini`, `.env`) are discovered,
read, reported, suppressed and fixed alongside, but never parsed as Python: `check_text_file`
checks them in this process, and their fixes go through `apply_text_fix`.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import os
import re
import tokenize
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.blocking import BlockingCatalog
from fastapi_fixer.analysis.facts import SUPER, Analysis, ModuleFacts, module_name_for
from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.engine.cache import Cache, Checked
from fastapi_fixer.engine.discovery import (
    Discovered,
    PerFileIgnores,
    add_context,
    discover_run,
    is_excluded,
    project_folder,
)
from fastapi_fixer.engine.source import (
    SourceError,
    SourceFile,
    file_digest,
    read_source,
    text_source,
)
from fastapi_fixer.engine.workers import Job, Progress, WorkerPool, default_jobs
from fastapi_fixer.fixing.format import (
    FormatUnavailable,
    LayoutRequest,
    formatter_clean,
    prefetch,
    tidier,
)
from fastapi_fixer.fixing.imports import first_party_as_ruff
from fastapi_fixer.fixing.pipeline import FileFix, fix_file, laid_out_fix, split_lines
from fastapi_fixer.fixing.project_style import ProjectStyle, style_for
from fastapi_fixer.models import (
    Diagnostic,
    DroppedFix,
    Edit,
    FileError,
    Fix,
    RunResult,
    fix_allowed,
)
from fastapi_fixer.registry import select_rules
from fastapi_fixer.rule import FileContext, FixContext, Rule, TextContext
from fastapi_fixer.settings import Settings

if TYPE_CHECKING:
    from fastapi_fixer.reporting.progress import ProgressBar

MAX_FIX_ROUNDS = 10
# files whose text has none of these, and that no rule wants, are parsed only when a call leads
# into them (their facts are needed) — the text prefilter
ANALYSE_TRIGGERS = ("fastapi", "starlette", "Depends", "Security", "APIRouter", "FastAPI")
_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)


@dataclass(frozen=True)
class Mode:
    fix: bool = False  # compute fixes (in memory); writing is the caller's choice
    previews: bool = False  # one fix pass per file for the findings left (JSON, full)
    jobs: int = 0  # 0: all cores
    # (code, path): that rule's fixes are not applied in that file (`--verify` dropped them;
    # a fix spanning files is left out whole when one of its files is blocked)
    blocked: frozenset[tuple[str, str]] = frozenset()
    # absolute paths: only the findings in these files are fixed (every file is still checked,
    # and a fix may still write into another file); None: every file's (an editor's "fix all
    # in this file")
    fix_only: frozenset[str] | None = None
    # when the paths do not cover the project, its other Python files are context: analysed
    # so the index is the project's, never checked, reported or fixed (`discovery.add_context`;
    # `check` and `fix` on the command line)
    context: bool = False


@dataclass
class _File:
    source: SourceFile
    root: str
    text: str
    module: str
    is_package: bool
    facts: ModuleFacts | None = None
    failed: bool = False  # could not be parsed; reported once
    digest: str = ""
    is_text: bool = False  # a text rule's non-Python file: never analysed as Python
    context: bool = False  # the project's, read for the index alone (`Mode.context`)

    def __post_init__(self) -> None:
        self.digest = self.digest or self.source.digest

    def job(self, path: str) -> Job:
        return Job(path, self.text, self.root, self.module, self.is_package)

    def replace_text(self, text: str) -> None:
        self.text = text
        self.facts = None
        self.digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _count(result: RunResult, what: str, number: int) -> None:
    result.stats[what] = result.stats.get(what, 0) + number


_CLASS_BASES = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\(([^)]*)\)", re.MULTILINE)


def _abstract_class_names(modules: Iterable[ModuleFacts]) -> frozenset[str]:
    """The names of the loaded classes with an abstract method (a stub, `@abstractmethod`),
    and of the loaded classes deriving from one of them by name."""
    names: set[str] = set()
    bases: dict[str, tuple[str, ...]] = {}
    for facts in modules:
        for function in facts.functions.values():
            if function.is_method and function.is_stub:
                names.add(function.qualname.rpartition(".")[0].rpartition(".")[2])
        for cls, of in facts.class_bases.items():
            bases[cls.rpartition(".")[2]] = tuple(base.rpartition(".")[2] for base in of)
    grown = True
    while grown:
        grown = False
        for cls, of in bases.items():
            if cls not in names and not names.isdisjoint(of):
                names.add(cls)
                grown = True
    return frozenset(names)


def _module_to_load(
    target: str, loaded: dict[str, ModuleFacts], unloaded: dict[str, str]
) -> str | None:
    """The not-yet-analysed file a call target leads into, following re-exports of loaded
    modules (`from .audit import log_event` in a package's __init__)."""
    for _ in range(8):
        parts = target.split(".")
        for end in range(len(parts) - 1, 0, -1):
            name = ".".join(parts[:end])
            if name in unloaded:
                return unloaded[name]
            if name in loaded:
                binding = loaded[name].bindings.get(parts[end])
                if binding is None or binding.kind != "import":
                    return None
                target = ".".join([binding.target, *parts[end + 1 :]])
                break
        else:
            return None
    return None


def demand_targets(facts: ModuleFacts) -> set[str]:
    """The names a module's code leads into, whose modules' facts are loaded when the
    prefilter left them out (`Engine._demanded`)."""
    targets: set[str] = set()
    for function in facts.functions.values():
        targets.update(function.calls)
        targets.update(site.target for site in function.sites)  # awaited helpers too
        for site in function.sites:  # `super().method()`: the bases' modules
            if site.target.startswith(SUPER):
                cls, _, method = site.target[len(SUPER) :].rpartition(".")
                bases = facts.class_bases.get(cls, ())
                targets.update(f"{base}.{method}" for base in bases)
    # a collector's result may name more targets whose facts its rule needs
    for extra in facts.extra.values():
        targets.update(getattr(extra, "demands", ()))
    return targets


def parse(text: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(text, filename=path)


def syntax_reason(exc: SyntaxError) -> str:
    where = f" (line {exc.lineno})" if exc.lineno else ""
    return f"syntax error: {exc.msg}{where}"


def noqa_lines(text: str) -> dict[int, frozenset[str] | None]:
    """Line -> codes suppressed there (None: every code), from `# noqa` comments only."""
    if "noqa" not in text and "NOQA" not in text:
        return {}
    found: dict[int, frozenset[str] | None] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _NOQA.search(token.string)
        if match is None:
            continue
        codes = match.group("codes")
        found[token.start[0]] = (
            None if codes is None else frozenset(re.split(r"[,\s]+", codes.upper().strip()))
        )
    # a line inside a multi-line string or ending in a backslash cannot take a comment: a
    # suppression on the next line that can (the string's last line) covers it, as in ruff
    for line, target in noqa_targets(tokens).items():
        if target in found and line not in found:
            found[line] = found[target]
    return found


def noqa_targets(tokens: list[tokenize.TokenInfo]) -> dict[int, int]:
    """Line that cannot take a comment -> the next line that can (where its noqa comment goes)."""
    ends = sorted({t.start[0] for t in tokens if t.type in (tokenize.NEWLINE, tokenize.NL)})
    targets: dict[int, int] = {}
    previous = 0
    for end in ends:
        for line in range(previous + 1, end):
            targets[line] = end
        previous = end
    return targets


def noqa_usage(found: Iterable[Diagnostic], text: str) -> dict[int, set[str]]:
    """Noqa comment line -> codes of the findings it suppressed (for unused-noqa, FF000)."""
    noqa = noqa_lines(text)
    if not noqa:
        return {}
    try:
        targets = noqa_targets(list(tokenize.generate_tokens(io.StringIO(text).readline)))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        targets = {}
    used: dict[int, set[str]] = defaultdict(set)
    for diagnostic in found:
        if is_suppressed(diagnostic, noqa):
            used[targets.get(diagnostic.span.line, diagnostic.span.line)].add(diagnostic.code)
    return dict(used)


def is_suppressed(diagnostic: Diagnostic, noqa: dict[int, frozenset[str] | None]) -> bool:
    if diagnostic.span.line not in noqa:
        return False
    codes = noqa[diagnostic.span.line]
    return codes is None or diagnostic.code in codes


def check_file(
    path: str,
    text: str,
    facts: ModuleFacts,
    index: ProjectIndex,
    settings: Settings,
    rules: Sequence[type[Rule]],
    tree: ast.Module | None = None,
    analysis: Analysis | None = None,
) -> list[Diagnostic] | str:
    """Findings of the rules that want this file, without the suppressed ones; or the one-line
    reason the file cannot be checked."""
    wanted = [rule for rule in rules if rule.wants(text)]
    if not wanted:
        return []
    if tree is None:
        try:
            tree = parse(text, path)
        except SyntaxError as exc:
            return syntax_reason(exc)
    if analysis is not None and analysis.facts.module != facts.module:
        analysis = None
    ctx = FileContext(
        path=path,
        text=text,
        tree=tree,
        facts=facts,
        index=index,
        settings=settings,
        analysis=analysis,
    )
    found: list[Diagnostic] = []
    for rule in wanted:
        try:
            found.extend(rule().check(ctx))
        except RecursionError:
            return f"{rule.CODE}: code nested too deeply to analyse"
    noqa = noqa_lines(text)
    kept = [d for d in found if not is_suppressed(d, noqa)]
    # rules that audit the noqa comments themselves (FF000) see what each one suppressed
    for rule in wanted:
        if noqa and hasattr(rule, "check_noqa"):
            enabled = frozenset(r.CODE for r in rules)
            audited = rule().check_noqa(ctx, noqa_usage(found, text), enabled)  # type: ignore[attr-defined]
            kept.extend(d for d in audited if not is_suppressed(d, noqa))
    return kept


_TEXT_NOQA = re.compile(r"^\s*[#;]\s*(?P<directive>noqa\b.*)$", re.IGNORECASE)


def text_noqa(text: str) -> frozenset[str] | None:
    """Codes suppressed in a non-Python file by comment lines `# noqa: CODE` / `; noqa: CODE`
    (None: a bare `# noqa`, every code); the empty set when there is none."""
    if "noqa" not in text.lower():
        return frozenset()
    codes: set[str] = set()
    for line in text.splitlines():
        match = _TEXT_NOQA.match(line)
        found = _NOQA.match("# " + match.group("directive")) if match else None
        if found is None:
            continue
        if found.group("codes") is None:
            return None
        codes.update(re.split(r"[,\s]+", found.group("codes").upper().strip()))
    return frozenset(codes)


def check_text_file(
    path: str, text: str, settings: Settings, rules: Sequence[type[Rule]]
) -> list[Diagnostic] | str:
    """Findings of the text rules that read this non-Python file, without the suppressed ones;
    or the one-line reason it cannot be checked."""
    ctx = TextContext(path=path, text=text, settings=settings)
    found: list[Diagnostic] = []
    for rule in rules:
        if not rule.FILE_NAMES or not rule.reads_file(path):
            continue
        try:
            found.extend(rule().check_text(ctx))
        except (ValueError, UnicodeError, OSError) as exc:
            return f"{rule.CODE}: cannot check: {exc}"
    suppressed = text_noqa(text)
    return [d for d in found if suppressed is not None and d.code not in suppressed]


class Engine:
    def __init__(self, settings: Settings, mode: Mode, cache: Cache | None = None) -> None:
        self.settings = settings
        self.mode = mode
        self.rules = select_rules(settings.select, settings.ignore, settings.extend_select)
        self.catalog = BlockingCatalog.build(
            settings.extra_blocking_calls, settings.extra_sync_sdks, settings.extra_cpu_bound_calls
        )
        self.jobs = mode.jobs or default_jobs()
        self.cache = cache or Cache.disabled()
        self.per_file_ignores = PerFileIgnores(settings.per_file_ignores, settings.base)
        self.progress: Progress = lambda count: None
        self.bar: ProgressBar | None = None
        self._bases_by_digest: dict[str, frozenset[str]] = {}
        self._targets: dict[int, tuple[ModuleFacts, frozenset[str]]] = {}  # id -> targets
        self.overlaid: frozenset[str] = frozenset()  # absolute paths of the overlays of a run

    # --- stages ----------------------------------------------------------------------------

    def run(
        self,
        paths: Iterable[str],
        progress: ProgressBar | None = None,
        stdin: SourceFile | None = None,
        overlays: Mapping[str, str] | None = None,
    ) -> RunResult:
        """``stdin``: check that text as the one file of the run, under its path (an editor's
        buffer, `--stdin-filename`); ``paths`` are not read then.

        ``overlays``: path -> text to take instead of the file's content on disk, for the
        discovered files it names (matched by absolute path; the unsaved buffers of an editor,
        `fastapi-fix server`); the rest of the project is read from disk. An overlay is never
        stored in a cache on disk (an in-memory one keeps it), and a run with overlays stores
        no verdict (runcache.py)."""
        result = RunResult()
        overlaid = {os.path.abspath(path): text for path, text in (overlays or {}).items()}
        self.overlaid = frozenset(overlaid)
        text_rules = [rule for rule in self.rules if rule.FILE_NAMES]
        file_names = sorted({name for rule in text_rules for name in rule.FILE_NAMES})
        base = self.settings.base
        if stdin is not None:
            discovered = Discovered()
            excluded = self.settings.force_exclude and is_excluded(
                stdin.path, self.settings.exclude, base
            )
            if not excluded:
                discovered.files.append(stdin.path)
                discovered.roots[stdin.path] = os.path.dirname(stdin.path) or "."
                if self.mode.context and os.path.isfile(stdin.path):  # a file of the project
                    add_context(
                        discovered, (stdin.path,), self.settings.exclude, base, project_folder(base)
                    )
        else:
            discovered = discover_run(
                paths,
                self.settings.exclude,
                file_names,
                base,
                self.settings.force_exclude,
                self.mode.context,
            )
        result.errors.extend(discovered.errors)
        self.file_names = tuple(file_names)
        # what a stored verdict of this run is keyed on (runcache.py); None: do not store one
        digests: dict[str, str] | None = (
            {} if not discovered.errors and not stdin and not overlaid else None
        )
        files: dict[str, _File] = {}
        for path in discovered.files:
            context = path in discovered.context
            try:
                if stdin is not None and not context:
                    source = stdin
                elif overlaid and os.path.abspath(path) in overlaid:
                    source = text_source(path, overlaid[os.path.abspath(path)])
                else:
                    source = read_source(path)
            except SourceError as exc:
                if not context:  # a context file that cannot be read is left out, silently
                    result.errors.append(FileError(path, str(exc)))
                digest = file_digest(path)
                if digest is None or digests is None:
                    digests = None
                else:
                    digests[path] = digest
                continue
            if digests is not None:
                digests[path] = source.digest
            if any(rule.reads_file(path) for rule in text_rules):
                files[path] = _File(source, discovered.roots[path], source.text, "", False)
                files[path].is_text = True
                continue
            module, is_package = module_name_for(path, discovered.roots[path])
            files[path] = _File(source, discovered.roots[path], source.text, module, is_package)
            files[path].context = context
        result.files_seen = sum(not f.context for f in files.values())
        self.read_digests = digests
        self.text_files = tuple(path for path, f in files.items() if f.is_text)
        result.sources = {path: f.source for path, f in files.items() if not f.context}
        jobs = [f.job(path) for path, f in files.items() if not f.is_text]
        if progress is not None:
            self.bar = progress
            self.progress = progress.advance
        self._phase("analysing", len(jobs))
        with WorkerPool(jobs, self.jobs, self.progress) as pool:
            self.pool = pool
            self._analyse(files, self._to_analyse(files), result)
            self._check_syntax_of_the_rest(files, result)
            diagnostics = self._check(files, result)
            if self.mode.fix:
                diagnostics = self._fix_until_stable(files, diagnostics, result)
            if self.mode.previews:
                result.previews = self._previews(files, diagnostics)
        self.cache.save()
        result.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
        result.errors.sort(key=lambda e: e.path)
        return result

    def _phase(self, name: str, total: int) -> None:
        """The progress bar's phase (reporting/progress.py): each of its files counted once."""
        if self.bar is not None:
            self.bar.phase(name, total)

    def _stores(self, path: str) -> bool:
        """Whether what is learnt of ``path`` goes into the cache: not an overlay's, when the
        cache is on disk (an editor's unsaved text must not replace the file's entry there)."""
        return self.cache.path is None or os.path.abspath(path) not in self.overlaid

    def _check_syntax_of_the_rest(self, files: dict[str, _File], result: RunResult) -> None:
        """Files the prefilter left alone must still get their one-line error when they do not
        parse (cheaply: `compile`, and the cache remembers the ones that do)."""
        spared = [
            path
            for path, f in files.items()
            if f.facts is None and not f.failed and not f.is_text and not f.context
        ]
        rest = [path for path in spared if not self.cache.compiles(path, files[path].digest)]
        idle = sum(  # context files the prefilter left alone: nothing to tell about them
            f.context and f.facts is None and not f.failed for f in files.values()
        )
        self.progress(len(spared) - len(rest) + idle)
        failures = self.pool.syntax(rest) if rest else {}
        for path in rest:
            if path in failures:
                result.errors.append(FileError(path, failures[path]))
                files[path].failed = True
            elif self._stores(path):
                self.cache.store_compiles(path, files[path].digest, files[path].module)

    def _to_analyse(self, files: dict[str, _File]) -> list[str]:
        """The prefilter: only files a rule wants, or that can hold FastAPI objects and
        dependencies, are parsed at first; others only when their facts are needed. Every
        rule's wants count, not only the selected rules': what the index knows (which names a
        project reads, say) must not depend on `--select`, or a finding's fix would."""
        from fastapi_fixer.registry import all_rules

        every = list(all_rules().values())
        return [
            path
            for path, f in files.items()
            if not f.is_text
            and (
                any(trigger in f.text for trigger in ANALYSE_TRIGGERS)
                or any(rule.wants(f.text) for rule in every)
            )
        ]

    def _analyse(self, files: dict[str, _File], wanted: list[str], result: RunResult) -> None:
        """Facts for ``wanted`` (from the cache when the content is unchanged), then for the
        modules their calls lead into, until nothing more is needed; then the index."""
        pending = list(wanted)
        while pending:
            missing = []
            for path in pending:
                f = files[path]
                cached = self.cache.facts(path, f.digest, f.module)
                if cached is not None:
                    f.facts = cached
                else:
                    missing.append(path)
            self.progress(len(pending) - len(missing))
            _count(result, "facts_cached", len(pending) - len(missing))
            _count(result, "parsed", len(missing))
            for path, outcome in self.pool.facts(missing).items():
                f = files[path]
                if isinstance(outcome, str):
                    if not f.context:  # a context file's syntax error is not the run's
                        result.errors.append(FileError(path, outcome))
                    f.failed = True
                else:
                    f.facts = outcome
                    if self._stores(path):
                        self.cache.store_facts(path, f.digest, f.module, outcome)
            pending = self._demanded(files)
        loaded = [f.facts for f in files.values() if f.facts is not None]
        unloaded = [
            f.text for f in files.values() if f.facts is None and not f.failed and not f.is_text
        ]
        previous = getattr(self, "index", None)
        self.index = ProjectIndex.build(loaded, self.catalog, unloaded_texts=unloaded)
        if previous is not None:  # a fix round's: the digests of unchanged facts carry over
            self.index.inherit(previous)

    def _demanded(self, files: dict[str, _File]) -> list[str]:
        """Files not analysed yet whose module a loaded function calls into."""
        unloaded = {
            f.module: p
            for p, f in files.items()
            if f.facts is None and not f.failed and not f.is_text
        }
        if not unloaded:
            return []
        loaded = {f.module: f.facts for f in files.values() if f.facts is not None}
        targets: set[str] = set()  # most call targets repeat across functions and files
        for facts in loaded.values():
            targets.update(self._targets_of(facts))
        wanted = {_module_to_load(target, loaded, unloaded) for target in targets}
        wanted.discard(None)
        # a call of an abstract method runs the subclasses' implementations (`index._methods`):
        # the files that subclass a loaded class with abstract methods (by the base's name)
        abstract = _abstract_class_names(loaded.values())
        if abstract:
            for path in unloaded.values():
                if path not in wanted and not abstract.isdisjoint(self._text_bases(files[path])):
                    wanted.add(path)
        return sorted(wanted)  # type: ignore[type-var]

    def _targets_of(self, facts: ModuleFacts) -> frozenset[str]:
        """`demand_targets`, remembered per facts object (a fix round asks again of the
        modules it did not change)."""
        known = self._targets.get(id(facts))
        if known is not None and known[0] is facts:
            return known[1]
        found = frozenset(demand_targets(facts))
        self._targets[id(facts)] = (facts, found)
        return found

    def _text_bases(self, f: _File) -> frozenset[str]:
        """The last names of the bases of the classes a file defines, read from its text."""
        found = self._bases_by_digest.get(f.digest)
        if found is None:
            found = self._bases_by_digest[f.digest] = frozenset(
                base.split("=")[-1].strip().rpartition(".")[2].split("[")[0]
                for bases in _CLASS_BASES.findall(f.text)
                for base in bases.split(",")
            )
        return found

    def _check(
        self,
        files: dict[str, _File],
        result: RunResult,
        trusted: Mapping[str, str] | None = None,
    ) -> list[Diagnostic]:
        """Every file's findings: stored ones that still hold (`_still_holds`), the rest
        checked. ``trusted``: path -> digest of files whose findings an earlier check of this
        run validated; a fix round takes those without asking the new index again, unless
        they have a fix to apply (`_fix_until_stable` validates them all once at the end)."""
        diagnostics: list[Diagnostic] = []
        todo: list[tuple[str, ModuleFacts]] = []
        validated: dict[str, str] = {}
        wanted = [
            (path, f)
            for path, f in files.items()
            if f.facts is not None
            and not f.context
            and any(rule.wants(f.text) for rule in self.rules)
        ]
        texts = [path for path, f in files.items() if f.is_text]
        self._phase("checking", len(wanted) + len(texts))
        for path, f in wanted:
            cached = self.cache.diagnostics(path, f.digest)
            if cached is not None and (
                self._trusts(trusted, path, f.digest, cached[0])
                or self._still_holds(cached[1], files, cached[0])
            ):
                validated[path] = f.digest
                diagnostics.extend(cached[0])
                self.progress(1)
                _count(result, "checks_cached", 1)
            else:
                todo.append((path, f.facts))
        codes = [rule.CODE for rule in self.rules]
        _count(result, "checked", len(todo))
        # what a check read is recorded for a cache that outlives this round of checks
        record = self.cache.path is not None or self.cache.lasting or self.mode.fix
        outcomes = self.pool.check(todo, self.index, self.settings, codes, record)
        for path, outcome in outcomes.items():
            if isinstance(outcome, str):
                result.errors.append(FileError(path, outcome))
            else:
                found, reads, fingerprint = outcome
                validated[path] = files[path].digest
                diagnostics.extend(found)
                others = _other_files(path, found, files)
                checked = Checked(self.index.digest, reads, fingerprint, others)
                if self._stores(path):
                    self.cache.store_diagnostics(path, files[path].digest, checked, found)
        _count(result, "checked", len(texts))
        self.progress(len(texts))
        for path in texts:  # few and cheap; never cached (FF606 depends on git's state)
            found = check_text_file(path, files[path].text, self.settings, self.rules)
            if isinstance(found, str):
                result.errors.append(FileError(path, found))
            else:
                diagnostics.extend(found)
        self.validated = validated
        if self.per_file_ignores:  # after the cache: what it stores does not depend on them
            diagnostics = [
                d for d in diagnostics if not self.per_file_ignores.ignores(d.path, d.code)
            ]
        context = {path for path, f in files.items() if f.context}
        if context:  # after the cache too: what it stores does not depend on the run's paths
            diagnostics = [_without_context_fix(d, context) for d in diagnostics]
        return diagnostics

    def _trusts(
        self,
        trusted: Mapping[str, str] | None,
        path: str,
        digest: str,
        found: Iterable[Diagnostic],
    ) -> bool:
        """Whether an earlier check of this run validated the findings of ``path`` as it is,
        and none of them has a fix this run would apply on their word."""
        return (
            trusted is not None
            and trusted.get(path) == digest
            and not any(self.allowed(d.fix) and self._fixes_in(d.path) for d in found)
        )

    def _still_holds(
        self, checked: Checked, files: dict[str, _File], found: list[Diagnostic] = ()
    ) -> bool:
        """Whether stored findings are still right: the other files they point into are
        unchanged, and the index answers what their check asked as it did then (certainly so
        when no fact of the project changed, positions aside — unless a finding's chain names
        places in other files: their rows are in the answers, compared below)."""
        if any(_digest_of(path, files) != digest for path, digest in checked.others):
            return False
        if checked.project == self.index.digest and not _chains_elsewhere(found):
            return True
        return self.index.fingerprint(checked.reads) == checked.fingerprint

    # --- fixing ----------------------------------------------------------------------------

    def allowed(self, fix: Fix | None) -> bool:
        return fix_allowed(fix, self.settings.unsafe_fixes)

    def _fixes_in(self, path: str) -> bool:
        """Whether the findings of ``path`` are fixed in this run (`Mode.fix_only`)."""
        return self.mode.fix_only is None or os.path.abspath(path) in self.mode.fix_only

    def _fix_until_stable(
        self, files: dict[str, _File], diagnostics: list[Diagnostic], result: RunResult
    ) -> list[Diagnostic]:
        blocked = set(self.mode.blocked)  # (code, path) whose fixer failed, or was dropped
        # after a round, the findings of the files it left as they were are taken as the last
        # check validated them (unless they have a fix to apply); once nothing is left to fix,
        # all of them are checked against the project as the rounds left it, once
        trusted: dict[str, str] | None = None
        for _ in range(MAX_FIX_ROUNDS):
            pending = self._pending(files, diagnostics, blocked)
            if not pending and trusted is not None:
                trusted = None
                diagnostics = self._check(files, result)
                pending = self._pending(files, diagnostics, blocked)
            if not pending:
                return diagnostics
            self._phase("fixing", len({p for d in pending for p in d.fix.paths}))  # type: ignore[union-attr]
            outcomes, fixed_count, failures = self._apply_round(files, pending)
            _count(result, "fix_rounds", 1)
            _count(result, "fix_passes", len(outcomes))
            for code, path, reason in failures:
                blocked.add((code, path))
                result.dropped.append(DroppedFix(path, code, reason))
            rewritten = {
                path: outcome
                for path, outcome in outcomes.items()
                if outcome.text != files[path].text
            }
            for path, outcome in rewritten.items():
                before = files[path].text
                earlier = result.provenance.get(path)
                if earlier is None:
                    result.provenance[path] = outcome.provenance
                else:
                    result.provenance[path] = earlier.later(  # type: ignore[attr-defined]
                        split_lines(before), split_lines(outcome.text), outcome.provenance
                    )
                files[path].replace_text(outcome.text)
                result.fixed[path] = outcome.text
                result.sources.setdefault(path, files[path].source)  # a file a fix created
            for diagnostic in pending:  # a fix spanning files, applied: written together
                paths = diagnostic.fix.paths  # type: ignore[union-attr]
                if len(paths) > 1 and (diagnostic.path, diagnostic.code) in fixed_count:
                    result.linked.append(frozenset(paths))
            for (path, code), count in fixed_count.items():
                result.applied[code] = result.applied.get(code, 0) + count
                per_file = result.applied_by_file.setdefault(path, {})
                per_file[code] = per_file.get(code, 0) + count
            if not rewritten:
                continue  # only failures this round: the rest is pending again
            python = sorted(path for path in rewritten if not files[path].is_text)
            self._phase("analysing", len(python))
            self.pool.add([files[path].job(path) for path in python])
            trusted = dict(self.validated)
            read = self._memo_reads(python)  # before their new facts replace the entries
            self._analyse(files, python, result)
            self.index.warm(read)
            diagnostics = self._check(files, result, trusted)
        if trusted is not None:
            diagnostics = self._check(files, result)
        leftover = [
            d
            for d in diagnostics
            if self.allowed(d.fix)
            and self._fixes_in(d.path)
            and not any((d.code, p) in blocked for p in d.fix.paths)  # type: ignore[union-attr]
        ]
        for diagnostic in leftover:
            result.dropped.append(
                DroppedFix(diagnostic.path, diagnostic.code, "fixes did not converge")
            )
        return diagnostics

    def _memo_reads(self, paths: Iterable[str]) -> set[tuple]:
        """The project-wide values (`ProjectIndex.memo`) the last checks of ``paths`` read."""
        found: set[tuple] = set()
        for path in paths:
            entry = self.cache.entries.get(os.path.abspath(path))
            if entry is not None and entry.checked is not None:
                found.update(read for read in entry.checked.reads if read[0] == "memo")
        return found

    def _pending(
        self, files: dict[str, _File], diagnostics: list[Diagnostic], blocked: set[tuple[str, str]]
    ) -> list[Diagnostic]:
        """The findings whose fixes the next round applies."""
        return [
            d
            for d in diagnostics
            if self.allowed(d.fix)
            and d.path in files
            and self._fixes_in(d.path)
            and not any((d.code, p) in blocked for p in d.fix.paths)  # type: ignore[union-attr]
        ]

    def _apply_round(
        self, files: dict[str, _File], pending: list[Diagnostic]
    ) -> tuple[dict[str, FileFix], dict[tuple[str, str], int], list[tuple[str, str, str]]]:
        """One pass per file with every rule's edits (`fixing.pipeline.fix_file`); a fix that
        spans files is in all of them or in none. Returns each file's outcome, the number of
        fixed diagnostics per (path, code), and failures as (code, path, reason)."""
        edits: dict[str, dict[str, set[Edit]]] = defaultdict(lambda: defaultdict(set))
        for diagnostic in pending:
            for edit in diagnostic.fix.edits:  # type: ignore[union-attr]
                edits[edit.path][diagnostic.code].add(edit)
        failures: list[tuple[str, str, str]] = []
        for path in sorted(edits):
            if path not in files:
                created = _new_file(files, path, [e for es in edits[path].values() for e in es])
                if created is None:
                    for code in sorted(edits[path]):
                        failures.append((code, path, "fix targets a file that was not analysed"))
                    del edits[path]
                    continue
                files[path] = created
        left_out = {(path, code) for code, path, _ in failures}  # not in this round
        outcomes: dict[str, FileFix] = {}
        todo = set(edits)
        while todo:
            wanted = {
                path: {
                    code: sorted(found, key=_edit_key)
                    for code, found in edits[path].items()
                    if (path, code) not in left_out
                }
                for path in sorted(todo)
            }
            outcomes.update(self._passes(files, wanted))
            for path in wanted:
                for code in [*outcomes[path].deferred, *outcomes[path].failures]:
                    left_out.add((path, code))
            todo = set()
            for diagnostic in pending:  # a fix spanning files: whole or not at all
                paths = diagnostic.fix.paths  # type: ignore[union-attr]
                if len(paths) > 1 and any((p, diagnostic.code) in left_out for p in paths):
                    for p in paths:
                        if (p, diagnostic.code) not in left_out and p in outcomes:
                            left_out.add((p, diagnostic.code))
                            todo.add(p)
        for path, outcome in sorted(outcomes.items()):
            for code, reason in sorted(outcome.failures.items()):
                failures.append((code, path, reason))
        fixed_count: dict[tuple[str, str], int] = defaultdict(int)
        for diagnostic in pending:
            paths = diagnostic.fix.paths  # type: ignore[union-attr]
            if all(p in outcomes and (p, diagnostic.code) not in left_out for p in paths):
                fixed_count[(diagnostic.path, diagnostic.code)] += 1
        return outcomes, fixed_count, failures

    def _previews(self, files: dict[str, _File], found: list[Diagnostic]) -> dict[str, FileFix]:
        """Per file, one pass with the fixes of every finding (any safety) in it: what the
        previews of JSON and `full` cut each finding's hunks from (`GroupedFixPreview`)."""
        edits: dict[str, dict[str, set[Edit]]] = defaultdict(lambda: defaultdict(set))
        for diagnostic in found:
            if diagnostic.fix is None or not diagnostic.fix.edits:
                continue
            for edit in diagnostic.fix.edits:
                if edit.path in files and not files[edit.path].source.new:
                    edits[edit.path][diagnostic.code].add(edit)
        wanted = {
            path: {code: sorted(found, key=_edit_key) for code, found in codes.items()}
            for path, codes in sorted(edits.items())
        }
        self._phase("previewing", len(wanted))
        return self._passes(files, wanted, layout=False)

    def _passes(
        self, files: dict[str, _File], wanted: dict[str, dict[str, list[Edit]]], layout: bool = True
    ) -> dict[str, FileFix]:
        """One fix pass per file of ``wanted``: in the worker processes for the Python files
        they hold, in this process for text files and files a fix creates."""
        clean = self._formatter_clean(files, wanted) if layout else {}
        in_pool = [
            (path, edits, clean.get(path))
            for path, edits in wanted.items()
            if not files[path].is_text and not files[path].source.new and self.pool.knows(path)
        ]
        outcomes = self.pool.fix(in_pool, self.index, self.settings, layout=layout)
        for path, edits in wanted.items():
            if path not in outcomes:
                outcomes[path] = self._fix_file(files, path, edits, layout=layout)
                self.progress(1)
        return outcomes

    def _formatter_clean(
        self, files: dict[str, _File], wanted: dict[str, dict[str, list[Edit]]]
    ) -> dict[str, bool]:
        """Whether each Python file still as it is on disk is formatter-clean: one ruff call
        per project style instead of one per file in the tidy step (`fixing.format`)."""
        by_style: dict[ProjectStyle, list[str]] = defaultdict(list)
        for path in wanted:
            f = files[path]
            if not f.is_text and not f.source.new and f.digest == f.source.digest:
                by_style[style_for(path)].append(path)
        clean: dict[str, bool] = {}
        for style, paths in by_style.items():
            if len(paths) < 2:
                continue  # the tidy step asks ruff about the file's text itself
            try:
                clean.update(formatter_clean(paths, style))
            except FormatUnavailable:
                continue  # each file is asked in the tidy step, with its fallbacks
        return clean

    def _fix_file(
        self, files: dict[str, _File], path: str, edits: dict[str, list[Edit]], layout: bool = True
    ) -> FileFix:
        f = files[path]
        context = FixContext(path, f.facts.module if f.facts else "", self.index, self.settings)
        return fix_one_file(f.text, edits, context, is_text=f.is_text, layout=layout)


def fix_files(
    items: Sequence[tuple[str, dict[str, list[Edit]], FixContext, bool | None]],
    layout: bool = True,
    progress: Callable[[int], None] = lambda count: None,
) -> dict[str, FileFix]:
    """`fix_one_file` for each (text, edits, context, clean), by path, with the layout step's
    ruff calls made for all the files at once (`format.prefetch`: starting ruff costs more
    than formatting a file). Each pass first runs with its layout step recorded, not made;
    ruff then answers every recorded step in one process per project style, and each file's
    layout is finished with those answers. Where the recorded pass does not stand for the
    one `fix_one_file` makes (its composed text was tried more than once, or the laid-out
    text does not compile), the file's pass runs again as `fix_one_file` runs it. The recorded
    pass validates nothing either: the laid-out text is compiled once, as in `fix_one_file`."""
    out: dict[str, FileFix] = {}
    if not layout:
        for text, edits, context, _ in items:
            out[context.path] = fix_one_file(text, edits, context, layout=False)
            progress(1)
        return out
    recorded: dict[str, list[tuple[str, str]]] = {}
    checked: dict[str, list[str]] = {}  # the texts the pass asked to validate
    first: dict[str, FileFix] = {}
    for text, edits, context, clean in items:
        calls: list[tuple[str, str]] = []
        validated: list[str] = []
        recorded[context.path] = calls
        checked[context.path] = validated
        first[context.path] = fix_one_file(
            text,
            edits,
            context,
            clean=clean,
            tidy=_recorder(calls),
            validate=_validated(validated),
        )

    def stands(path: str) -> bool:
        """The recorded pass composed its text once, and took it: the pass `fix_one_file`
        makes, when that text laid out compiles."""
        calls, validated = recorded[path], checked[path]
        return len(calls) == 1 and validated == [calls[0][1]] == [first[path].text]

    requests = [
        LayoutRequest(context.path, *recorded[context.path][0], style_for(context.path), clean)
        for _, _, context, clean in items
        if stands(context.path)
    ]
    cleans, run = prefetch(requests)
    for text, edits, context, clean in items:
        path = context.path
        result = first[path]
        if not recorded[path] and not checked[path]:  # nothing to lay out or validate: final
            out[path] = result
        elif stands(path):
            before, after = recorded[path][0]
            tidy = tidier(path, style_for(path), clean=cleans.get(path, clean), run=run)
            laid_out = tidy(before, after)
            if compile_reason(text, laid_out, path) is None:
                out[path] = result if laid_out == after else laid_out_fix(result, after, laid_out)
        if path not in out:
            out[path] = fix_one_file(text, edits, context, clean=clean)
        progress(1)
    return out


def _validated(texts: list[str]) -> Callable[[str, str], str | None]:
    """A validation that records what it is asked and finds nothing wrong (`fix_files`)."""

    def validate(before: str, after: str) -> str | None:
        texts.append(after)
        return None

    return validate


def _recorder(calls: list[tuple[str, str]]) -> Callable[[str, str], str]:
    """A layout step that records what it is asked and lays out nothing (`fix_files`)."""

    def tidy(before: str, after: str) -> str:
        calls.append((before, after))
        return after

    return tidy


def fix_one_file(
    text: str,
    edits: dict[str, list[Edit]],
    context: FixContext,
    is_text: bool = False,
    layout: bool = True,
    clean: bool | None = None,
    tidy: Callable[[str, str], str] | None = None,
    validate: Callable[[str, str], str | None] | None = None,
) -> FileFix:
    """One pass of every rule's ``edits`` over one file (`fixing.pipeline.fix_file`); with
    ``layout``, what the fixes changed is laid out at the project's line length and with its
    formatter (`fixing.format`; previews skip it: a subprocess per file, and keep each rule's
    hunks apart, `fixing.pipeline.fix_file`'s ``join``). ``clean``: whether
    ``text`` is formatter-clean, when the caller asked ruff for many files at once. ``tidy``:
    the layout step instead of `format.tidier`'s, ``validate`` the check of the output instead
    of `compile_reason` (`fix_files` records both)."""
    from fastapi_fixer.registry import all_rules

    rules = all_rules()
    if is_text:

        def invalid(before: str, after: str) -> str | None:
            for code in edits:
                reason = rules[code]().validate_text(after)
                if reason is not None:
                    return f"fix produced an invalid file: {reason}"
            return None

        return fix_file(
            text,
            edits,
            lambda code, module, old, found: rules[code]().fix_text(old, list(found), context),
            None,
            invalid,
            python=False,
        )
    style = style_for(context.path)
    return fix_file(
        text,
        edits,
        lambda code, module, old, found: rules[code]().fix(module, list(found), context),
        style,
        validate or (lambda before, after: compile_reason(before, after, context.path)),
        tidy=tidy or (tidier(context.path, style, clean=clean) if layout else None),
        first_party=first_party_as_ruff(_ruff_root(style, context), context.module),
        run_text=lambda code, old, found: _text_fix(rules[code], old, list(found), context),
        join=layout,
    )


def _text_fix(rule: type[Rule], text: str, edits: list[Edit], context: FixContext) -> str | None:
    """The rule's fix written as text edits (`fixing.textedit`), when it can write it so."""
    fix_source = getattr(rule, "fix_source", None)
    return None if fix_source is None else fix_source(rule(), text, edits, context)


def _ruff_root(style: ProjectStyle, context: FixContext) -> str:
    """The folder ruff takes as the project's root for this file: its configuration's folder,
    else the folder that holds the file's top-level package (where ruff would be run)."""
    if style.sources:
        return style.root
    folder = os.path.dirname(os.path.abspath(context.path))
    depth = context.module.count(".") if context.module else 0
    if os.path.basename(context.path) == "__init__.py" and context.module:
        depth += 1
    for _ in range(depth):
        folder = os.path.dirname(folder)
    return folder


def _without_context_fix(diagnostic: Diagnostic, context: set[str]) -> Diagnostic:
    """``diagnostic`` without its fix when the fix also edits a context file (a file of the
    project the run was not given: `Mode.context`), saying why, as a rule says why it has no
    fix; the same finding with its fix in a run given that file too."""
    fix = diagnostic.fix
    if fix is None:
        return diagnostic
    others = sorted(fix.paths & context)
    if not others:
        return diagnostic
    named = ", ".join(f"`{path}`" for path in others)
    return dataclasses.replace(
        diagnostic,
        message=f"{diagnostic.message} (no fix in this run: it also edits {named}, "
        "which the run was not given)",
        fix=None,
    )


def _chains_elsewhere(found: list[Diagnostic]) -> bool:
    return any(hop.path != d.path for d in found for hop in (*d.chain, *d.more_sinks))


def _other_files(
    path: str, found: list[Diagnostic], files: dict[str, _File]
) -> tuple[tuple[str, str], ...]:
    """Files other than ``path`` that its findings or their fixes point into, with their
    content hashes: the positions in them are only right while they are unchanged."""
    others = {d.path for d in found} | {
        edit.path for d in found if d.fix is not None for edit in d.fix.edits
    }
    others.discard(path)
    return tuple(sorted((other, _digest_of(other, files)) for other in others))


def _digest_of(path: str, files: dict[str, _File]) -> str:
    f = files.get(path)
    return f.digest if f is not None else "absent"


def _new_file(files: dict[str, _File], path: str, edits: Iterable[Edit]) -> _File | None:
    """An empty Python file a fix may create: every edit is span-less, no such file exists,
    and it sits in the folder of an analysed file (whose root names its module)."""
    directory = os.path.dirname(path)
    if not path.endswith(".py") or os.path.lexists(path) or any(e.span for e in edits):
        return None
    sibling = next((f for p, f in files.items() if os.path.dirname(p) == directory), None)
    if sibling is None:
        return None
    source = SourceFile(path, "", "utf-8", hashlib.sha256(b"").hexdigest(), new=True)
    module, is_package = module_name_for(path, sibling.root)
    return _File(source, sibling.root, "", module, is_package)


def _edit_key(edit: Edit) -> tuple:
    span = edit.span
    where = (span.line, span.col, span.end_line, span.end_col) if span else (0, 0, 0, 0)
    return (where, edit.kind, repr(edit.args))


@dataclass(frozen=True)
class FixFailure:
    reason: str


def apply_rule_fix(
    rule: type[Rule], text: str, edits: list[Edit], context: FixContext
) -> str | FixFailure:
    """The fixed text, or a one-line reason the fix was dropped. The output must compile."""
    import libcst as cst

    try:
        module = cst.parse_module(text)
        new_text = rule().fix(module, edits, context).code
    except Exception as exc:  # a fixer bug must not lose the user's file
        return FixFailure(f"fix failed: {type(exc).__name__}: {exc}")
    if text.endswith("\r") and not new_text.endswith(("\r", "\n")):
        new_text += "\r"  # LibCST drops the last newline of a file with old-Mac "\r" endings
    if new_text == text:
        return new_text
    reason = compile_reason(text, new_text, context.path)
    return new_text if reason is None else FixFailure(reason)


def compile_reason(before: str, after: str, path: str) -> str | None:
    """Why a fix's output is not acceptable Python, or None. A file that did not compile before
    (`await` outside a function, which `ast` takes) need only still parse."""
    try:
        compile(after, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        try:
            compile(before, path, "exec", dont_inherit=True)
        except SyntaxError:
            try:
                parse(after, path)
                return None
            except SyntaxError:
                pass
        return f"fix produced invalid code: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"fix produced code that cannot be compiled: {type(exc).__name__}"
    return None


def apply_text_fix(
    rule: type[Rule], text: str, edits: list[Edit], context: FixContext
) -> str | FixFailure:
    """A text rule's fixed text, or a one-line reason the fix was dropped; the output must pass
    the rule's own `validate_text` (an ini must still parse, say)."""
    try:
        new_text = rule().fix_text(text, edits, context)
    except Exception as exc:  # a fixer bug must not lose the user's file
        return FixFailure(f"fix failed: {type(exc).__name__}: {exc}")
    if new_text == text:
        return new_text
    reason = rule().validate_text(new_text)
    if reason is not None:
        return FixFailure(f"fix produced an invalid file: {reason}")
    return new_text
