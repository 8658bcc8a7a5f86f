"""The pipeline: files → prefilter → `ast` facts → project index → rules → LibCST fixes → results.

Analysis runs on the standard library's `ast` (cheap); LibCST parses only files that a fix will
change. Per-file work is plain data in and out, so it spreads over a process pool.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from fastapi_fixer.blocking import BlockingCatalog
from fastapi_fixer.discovery import discover
from fastapi_fixer.facts import ModuleFacts, analyze_module, module_name_for
from fastapi_fixer.index import ProjectIndex
from fastapi_fixer.models import (
    Diagnostic,
    DroppedFix,
    Edit,
    FileError,
    Fix,
    FixSafety,
    RunResult,
)
from fastapi_fixer.registry import select_rules
from fastapi_fixer.rule import FileContext, FixContext, Rule
from fastapi_fixer.settings import Settings
from fastapi_fixer.source import SourceError, SourceFile, read_source

MAX_FIX_ROUNDS = 10
PARALLEL_THRESHOLD = 48  # below this many files a process pool costs more than it saves
_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)


@dataclass(frozen=True)
class Mode:
    fix: bool = False  # compute fixes (in memory); writing is the caller's choice
    jobs: int = 0  # 0: all cores


@dataclass
class _File:
    source: SourceFile
    root: str
    text: str
    facts: ModuleFacts | None = None


def parse(text: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(text, filename=path)


def _syntax_reason(exc: SyntaxError) -> str:
    where = f" (line {exc.lineno})" if exc.lineno else ""
    return f"syntax error: {exc.msg}{where}"


def _facts_of(path: str, text: str, root: str) -> ModuleFacts | str:
    """Facts of one file, or the one-line reason it cannot be analysed."""
    try:
        tree = parse(text, path)
    except SyntaxError as exc:
        return _syntax_reason(exc)
    except (ValueError, RecursionError) as exc:
        return f"cannot parse: {exc}"
    module, is_package = module_name_for(path, root)
    return analyze_module(tree, module, path, is_package)


# --- worker state: the index and settings are sent once per worker, not once per file ------
_WORKER: dict[str, object] = {}


def _init_worker(index: ProjectIndex, settings: Settings, codes: list[str]) -> None:
    _WORKER["index"] = index
    _WORKER["settings"] = settings
    _WORKER["codes"] = codes


def _check_in_worker(item: tuple[str, str, ModuleFacts]) -> list[Diagnostic] | str:
    from fastapi_fixer.registry import all_rules

    rules = [all_rules()[code] for code in _WORKER["codes"]]  # type: ignore[union-attr]
    return _check_file(
        item[0],
        item[1],
        item[2],
        _WORKER["index"],  # type: ignore[arg-type]
        _WORKER["settings"],  # type: ignore[arg-type]
        rules,
    )


def _facts_in_worker(item: tuple[str, str, str]) -> ModuleFacts | str:
    return _facts_of(*item)


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


def noqa_comment_line(text: str, line: int) -> int:
    """The line whose noqa comment covers findings on ``line``."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return line
    return noqa_targets(tokens).get(line, line)


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


def _check_file(
    path: str,
    text: str,
    facts: ModuleFacts,
    index: ProjectIndex,
    settings: Settings,
    rules: Sequence[type[Rule]],
) -> list[Diagnostic] | str:
    wanted = [rule for rule in rules if rule.wants(text)]
    if not wanted:
        return []
    try:
        tree = parse(text, path)
    except SyntaxError as exc:
        return _syntax_reason(exc)
    ctx = FileContext(path=path, text=text, tree=tree, facts=facts, index=index, settings=settings)
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


class Engine:
    def __init__(self, settings: Settings, mode: Mode) -> None:
        self.settings = settings
        self.mode = mode
        self.rules = select_rules(settings.select, settings.ignore, settings.extend_select)
        self.catalog = BlockingCatalog.build(
            settings.extra_blocking_calls, settings.extra_sync_sdks, settings.extra_cpu_bound_calls
        )
        self.jobs = mode.jobs or os.cpu_count() or 1

    # --- stages ----------------------------------------------------------------------------

    def run(self, paths: Iterable[str]) -> RunResult:
        result = RunResult()
        discovered = discover(paths, self.settings.exclude)
        result.errors.extend(discovered.errors)
        files: dict[str, _File] = {}
        for path in discovered.files:
            try:
                source = read_source(path)
            except SourceError as exc:
                result.errors.append(FileError(path, str(exc)))
                continue
            files[path] = _File(source, discovered.roots[path], source.text)
        result.files_seen = len(files)
        result.sources = {path: f.source for path, f in files.items()}
        self._analyse(files, files, result)
        diagnostics = self._check(files, result)
        if self.mode.fix:
            diagnostics = self._fix_until_stable(files, diagnostics, result)
        result.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
        result.errors.sort(key=lambda e: e.path)
        return result

    def _pool(self, count: int) -> int:
        return min(self.jobs, count // PARALLEL_THRESHOLD + 1)

    def _analyse(
        self, files: dict[str, _File], targets: dict[str, _File], result: RunResult
    ) -> None:
        items = [(path, f.text, f.root) for path, f in targets.items()]
        workers = self._pool(len(items))
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                outcomes = list(pool.map(_facts_in_worker, items, chunksize=32))
        else:
            outcomes = [_facts_of(*item) for item in items]
        for (path, _, _), outcome in zip(items, outcomes, strict=False):
            if isinstance(outcome, str):
                result.errors.append(FileError(path, outcome))
                del files[path]
            else:
                files[path].facts = outcome
        self.index = ProjectIndex.build(
            (f.facts for f in files.values() if f.facts is not None), self.catalog
        )

    def _check(self, files: dict[str, _File], result: RunResult) -> list[Diagnostic]:
        items = [(path, f.text, f.facts) for path, f in files.items() if f.facts is not None]
        items = [item for item in items if any(rule.wants(item[1]) for rule in self.rules)]
        workers = self._pool(len(items))
        if workers > 1:
            with ProcessPoolExecutor(
                workers,
                initializer=_init_worker,
                initargs=(self.index, self.settings, [r.CODE for r in self.rules]),
            ) as pool:
                outcomes = list(pool.map(_check_in_worker, items, chunksize=16))
        else:
            outcomes = [
                _check_file(p, t, f, self.index, self.settings, self.rules)  # type: ignore[arg-type]
                for p, t, f in items
            ]
        diagnostics: list[Diagnostic] = []
        for (path, _, _), outcome in zip(items, outcomes, strict=False):
            if isinstance(outcome, str):
                result.errors.append(FileError(path, outcome))
            else:
                diagnostics.extend(outcome)
        return diagnostics

    # --- fixing ----------------------------------------------------------------------------

    def allowed(self, fix: Fix | None) -> bool:
        if fix is None or fix.safety is FixSafety.NONE:
            return False
        return fix.safety is FixSafety.SAFE or self.settings.unsafe_fixes

    def _fix_until_stable(
        self, files: dict[str, _File], diagnostics: list[Diagnostic], result: RunResult
    ) -> list[Diagnostic]:
        blocked: set[tuple[str, str]] = set()  # (code, path) whose fixer failed
        for _ in range(MAX_FIX_ROUNDS):
            pending = [
                d
                for d in diagnostics
                if self.allowed(d.fix)
                and d.path in files
                and not any((d.code, p) in blocked for p in d.fix.paths)  # type: ignore[union-attr]
            ]
            if not pending:
                return diagnostics
            rewritten, fixed_count, failures = self._apply_round(files, pending)
            if failures:
                for code, path, reason in failures:
                    blocked.add((code, path))
                    result.dropped.append(DroppedFix(path, code, reason))
                continue
            for path, text in rewritten.items():
                files[path].text = text
                result.fixed[path] = text
            for (path, code), count in fixed_count.items():
                result.applied[code] = result.applied.get(code, 0) + count
                per_file = result.applied_by_file.setdefault(path, {})
                per_file[code] = per_file.get(code, 0) + count
            changed = {path: files[path] for path in rewritten}
            self._analyse(files, changed, result)
            diagnostics = self._check(files, result)
        leftover = [d for d in diagnostics if self.allowed(d.fix)]
        for diagnostic in leftover:
            result.dropped.append(
                DroppedFix(diagnostic.path, diagnostic.code, "fixes did not converge")
            )
        return diagnostics

    def _apply_round(
        self, files: dict[str, _File], pending: list[Diagnostic]
    ) -> tuple[dict[str, str], dict[tuple[str, str], int], list[tuple[str, str, str]]]:
        """Apply, per file, the fixes of one rule at a time; returns new texts, the number of
        fixed diagnostics per (path, code), and failures as (code, path, reason)."""
        claimed: dict[str, str] = {}  # path -> the code whose fixes it takes this round
        edits: dict[tuple[str, str], set[Edit]] = defaultdict(set)
        fixed_count: dict[tuple[str, str], int] = defaultdict(int)
        for diagnostic in sorted(pending, key=lambda d: (d.code, d.sort_key)):
            fix = diagnostic.fix
            assert fix is not None
            if any(claimed.get(path, diagnostic.code) != diagnostic.code for path in fix.paths):
                continue
            for path in fix.paths:
                claimed[path] = diagnostic.code
            for edit in fix.edits:
                edits[(edit.path, diagnostic.code)].add(edit)
            fixed_count[(diagnostic.path, diagnostic.code)] += 1
        from fastapi_fixer.registry import all_rules

        rewritten: dict[str, str] = {}
        failures: list[tuple[str, str, str]] = []
        for (path, code), file_edits in sorted(edits.items()):
            rule = all_rules()[code]
            if path not in files:
                failures.append((code, path, "fix targets a file that was not analysed"))
                continue
            context = FixContext(
                path=path,
                module=files[path].facts.module if files[path].facts else "",
                index=self.index,
                settings=self.settings,
            )
            ordered = sorted(file_edits, key=_edit_key)
            outcome = apply_rule_fix(rule, files[path].text, ordered, context)
            if outcome is None or outcome == files[path].text:
                failures.append((code, path, "fix changed nothing"))
            elif isinstance(outcome, FixFailure):
                failures.append((code, path, outcome.reason))
            else:
                rewritten[path] = outcome
        return rewritten, fixed_count, failures


def _edit_key(edit: Edit) -> tuple:
    return (edit.span or (0, 0, 0, 0), edit.kind, repr(edit.args))


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
    if new_text == text:
        return new_text
    try:
        compile(new_text, context.path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        try:
            compile(text, context.path, "exec", dont_inherit=True)
        except SyntaxError:
            try:
                parse(new_text, context.path)
                return new_text
            except SyntaxError:
                pass
        return FixFailure(f"fix produced invalid code: {exc.msg} (line {exc.lineno})")
    return new_text
