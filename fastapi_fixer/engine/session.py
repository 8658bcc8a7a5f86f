"""A project kept in memory between runs, for `fastapi-fix server`: its files (texts, hashes,
facts), its project index with the answers the rules asked it (`memo`, `ask`, chains), and each
file's findings with what their check read (the in-memory `Cache`).

`Session.start` is one `Engine` run of the folder (`check .`). `Session.update` takes the texts
that changed (an editor's buffer, a file changed on disk, created or deleted) and recomputes
only what they can change:

- the changed files' facts (parsed again, or found in the cache by content);
- when their cross-module facts are the same (`ModuleFacts.semantic_digest`: an edit inside a
  function body, positions aside) and the set of analysed files cannot change, the index is
  kept: the changed modules' facts are put in place of the old ones, and the answers it stored
  that hold positions (a rule's `memo` table with line numbers, the blocking sinks' hops) are
  dropped; every other answer stays, since the facts it was computed from say the same;
- else the analysed files are found again (the prefilter and the modules calls lead into, from
  the facts in memory) and the index is built again.

Findings are computed when asked for (`Session.findings`, for the files an editor has open): a
file's stored findings are reused when the cache contract says they still hold (the files they
point into are unchanged, and what their check read of the index gets the same answers,
`Engine._still_holds`), else the file is checked again. So an edit that changes a cross-module
fact re-checks the open files whose recorded reads see it; the other files are validated the
same way when they are asked for.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import types
from collections.abc import Iterable, Mapping

from fastapi_fixer.analysis.facts import ModuleFacts, module_name_for
from fastapi_fixer.analysis.index import _POSITION_FIELDS, ProjectIndex, Read, _function
from fastapi_fixer.engine import (
    Engine,
    Mode,
    _abstract_class_names,
    _digest_of,
    _File,
    _module_to_load,
    _other_files,
    check_text_file,
)
from fastapi_fixer.engine.cache import Cache, Checked
from fastapi_fixer.engine.discovery import (
    PYTHON_SUFFIXES,
    SKIPPED_DIRS,
    _excluded,
    _gitignores_above,
    _ignored,
    _is_virtualenv,
    _load_gitignore,
    discover,
)
from fastapi_fixer.engine.source import SourceError, SourceFile, read_source, text_source
from fastapi_fixer.engine.workers import WorkerPool
from fastapi_fixer.models import Diagnostic, FileError, RunResult
from fastapi_fixer.settings import Settings

# fields that place something in a file (besides `_POSITION_FIELDS`): a `Hop`'s
_PLACE_FIELDS = (_POSITION_FIELDS - {"path", "semantic_digest"}) | {"row", "column"}
_ATOMS = (str, bytes, int, float, bool, type(None), type, enum.Enum)
_CODE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)


class Session(Engine):
    """One folder's project in memory (runs happen with that folder as the current one, on
    `.`, as `fastapi-fix check .` there). Paths are the engine's (`app/main.py`); the methods
    that take paths from outside take absolute ones."""

    def __init__(self, settings: Settings, cache: Cache) -> None:
        super().__init__(settings, Mode(jobs=0), cache)
        self.files: dict[str, _File] = {}
        self.by_abs: dict[str, str] = {}  # absolute path -> the engine's path
        self.general_errors: list[FileError] = []  # discovery's
        self.file_errors: dict[str, str] = {}  # path -> why it cannot be read or parsed
        self.check_errors: dict[str, str] = {}  # path -> why its check failed
        self.text_found: dict[str, list[Diagnostic]] = {}  # non-Python files' findings
        self.stats: dict[str, int] = {}  # what the last update did (for tests and benchmarks)
        self._prefiltered: dict[str, bool] = {}  # content hash -> whether the prefilter takes it
        self._placed: dict[int, tuple[object, bool]] = {}  # id -> (value, holds positions)
        # path -> the index its stored findings were last known right with (`findings`), and
        # those known before the last update, with the index then
        self.valid: dict[str, ProjectIndex] = {}
        self.valid_before: dict[str, ProjectIndex] = {}
        self.previous: ProjectIndex | None = None
        self.last_reads: dict[str, tuple[Read, ...]] = {}  # path -> what its last check read

    # --- the first run ---------------------------------------------------------------------

    def _check(self, files: dict[str, _File], result: RunResult) -> list[Diagnostic]:
        self.files = files  # the run's files, kept
        return super()._check(files, result)

    def start(self, overlays: Mapping[str, str]) -> RunResult:
        """The first run: `check .` with ``overlays`` (absolute path -> text) for the files on
        disk, then the overlays of files not on disk yet."""
        result = self.run(["."], overlays=overlays)
        self.by_abs = {os.path.abspath(path): path for path in self.files}
        self.general_errors = [e for e in result.errors if e.path not in self.files]
        self.file_errors = {e.path: e.reason for e in result.errors if e.path in self.files}
        self.text_found = {path: [] for path in self.text_files}
        for d in result.diagnostics:
            if d.path in self.text_found:
                self.text_found[d.path].append(d)
        # from now on, one file at a time in this process (no worker processes: an edit
        # touches a few files), with the trees of the files it parsed
        jobs = [f.job(path) for path, f in self.files.items() if not f.is_text]
        self.pool = WorkerPool(jobs, 1, self.progress)
        new = {path: text for path, text in overlays.items() if path not in self.by_abs}
        if new:
            self.update(new)
        return result

    # --- edits -----------------------------------------------------------------------------

    def update(self, changes: Mapping[str, str | None]) -> set[str]:
        """``changes``: absolute path -> its text now (an editor's buffer), or None: as it is
        on disk (read again; a file that is gone is removed, a new one added when `check .`
        would find it). Returns the engine's paths of the files whose text changed."""
        self._begin()
        changed: list[str] = []
        structural = False
        old: dict[str, _File] = {}
        for absolute, text in changes.items():
            absolute = os.path.abspath(absolute)
            path = self.by_abs.get(absolute)
            name = path if path is not None else self._relative(absolute)
            if name is None:
                continue
            try:
                if text is not None:
                    source: SourceFile | None = text_source(name, text)
                elif os.path.isfile(absolute):
                    source = read_source(name)
                else:
                    source = None
            except SourceError as exc:
                if path is not None:
                    self.file_errors[path] = str(exc)
                source = None
            if source is None:
                if path is not None and text is None and not os.path.lexists(absolute):
                    self._remove(path)
                    structural = True
                continue
            if path is None:
                if not self._admits(name):
                    continue
                self._add(name, source)
                changed.append(name)
                structural = True
                continue
            f = self.files[path]
            if source.digest == f.digest and source.text == f.text:
                continue
            entry = self.cache.entries.get(absolute)
            if entry is not None and entry.checked is not None:
                self.last_reads[path] = entry.checked.reads  # its next check's, mostly
            old[path] = f
            new = _File(source, f.root, source.text, f.module, f.is_package, is_text=f.is_text)
            self.files[path] = new
            self.file_errors.pop(path, None)
            self.check_errors.pop(path, None)
            if not new.is_text:
                self.pool.add([new.job(path)])
            changed.append(path)
        for path in changed:
            if self.files[path].is_text:
                self._check_text(path)
        python = [path for path in changed if not self.files[path].is_text]
        same = [self._same_facts(path, old[path]) for path in python] if not structural else []
        if structural or None in same:
            self._reanalyse()
            self.stats["index"] = 2
        elif not all(same):
            if self._same_files_analysed({path: old[path] for path in python}):
                self._build_index()
                self.stats["index"] = 1
            else:
                self._reanalyse()
                self.stats["index"] = 2
        elif python:
            self._put_in_place(
                {path: old[path].facts for path in python if old[path].facts is not None}  # type: ignore[misc]
            )
        self._forget()
        return set(changed)

    def _forget(self) -> None:
        """What is remembered by object or content, for the current ones only."""
        current = {id(f.facts) for f in self.files.values() if f.facts is not None}
        self._targets = {key: known for key, known in self._targets.items() if key in current}
        digests = {f.digest for f in self.files.values()}
        self._prefiltered = {
            key: known for key, known in self._prefiltered.items() if key in digests
        }
        answers = {id(value) for value in (*self.index._memo.values(), *self.index._asked.values())}
        self._placed = {key: known for key, known in self._placed.items() if key in answers}

    def _begin(self) -> None:
        """An update starts: what was known right is known right with the index until now."""
        self.stats = {}
        self.valid_before, self.valid = self.valid, {}
        self.previous = self.index

    def rediscover(self) -> None:
        """Find the files again (a `.gitignore` or the folder's layout changed on disk)."""
        self._begin()
        found = discover(["."], self.settings.exclude, self.file_names, self.settings.base, False)
        now = set(found.files)
        # a file not on disk is an editor's buffer never saved: kept
        for path in [p for p in self.files if p not in now and os.path.lexists(p)]:
            self._remove(path)
        for path in found.files:
            if path not in self.files:
                try:
                    self._add(path, read_source(path))
                except SourceError as exc:
                    self.file_errors[path] = str(exc)
                    continue
                if self.files[path].is_text:
                    self._check_text(path)
        self._reanalyse()
        self._forget()

    def _relative(self, absolute: str) -> str | None:
        relative = os.path.relpath(absolute)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return None
        return relative

    def _admits(self, path: str) -> bool:
        """Whether `check .` would take the file ``path`` (relative): a Python file, in no
        skipped, ignored or excluded folder, not ignored or excluded itself (a buffer not saved
        yet is taken as if it were)."""
        if not path.endswith(PYTHON_SUFFIXES):
            return False
        base = self.settings.base
        exclude = tuple(self.settings.exclude)
        specs = _gitignores_above(".")
        directory = "."
        parts = path.split(os.sep)
        for name in parts[:-1]:
            own = _load_gitignore(directory)
            if own is not None:
                specs = [*specs, (directory, own)]
            full = os.path.join(directory, name)
            if name in SKIPPED_DIRS or name.endswith(".egg-info") or _is_virtualenv(full):
                return False
            if _ignored(full, True, specs) or _excluded(full, exclude, base):
                return False
            directory = full
        own = _load_gitignore(directory)
        if own is not None:
            specs = [*specs, (directory, own)]
        full = os.path.join(directory, parts[-1])
        return not _excluded(full, exclude, base) and not _ignored(full, False, specs)

    def _add(self, path: str, source: SourceFile) -> None:
        self.by_abs[os.path.abspath(path)] = path
        if any(rule.reads_file(path) for rule in self.rules if rule.FILE_NAMES):
            self.files[path] = _File(source, ".", source.text, "", False, is_text=True)
            return
        module, is_package = module_name_for(path, ".")
        self.files[path] = _File(source, ".", source.text, module, is_package)
        self.pool.add([self.files[path].job(path)])

    def _remove(self, path: str) -> None:
        self.files.pop(path, None)
        self.by_abs.pop(os.path.abspath(path), None)
        for errors in (self.file_errors, self.check_errors, self.text_found, self.last_reads):
            errors.pop(path, None)

    def _check_text(self, path: str) -> None:
        found = check_text_file(path, self.files[path].text, self.settings, self.rules)
        if isinstance(found, str):
            self.check_errors[path] = found
            self.text_found[path] = []
        else:
            self.text_found[path] = found

    def _to_analyse(self, files: dict[str, _File]) -> list[str]:
        """The engine's prefilter, remembered by content."""
        wanted = []
        for path, f in files.items():
            if f.is_text:
                continue
            taken = self._prefiltered.get(f.digest)
            if taken is None:
                taken = self._prefiltered[f.digest] = bool(super()._to_analyse({path: f}))
            if taken:
                wanted.append(path)
        return wanted

    def _same_facts(self, path: str, before: _File) -> bool | None:
        """Whether the file's new text leaves the index as it is, positions aside: analysed (or
        failing to parse) before and now, with the same prefilter verdict, and its cross-module
        facts the same (True), or other ones (False); None when it is not analysed now or was
        not before (its words are in the index). Computes the new facts."""
        f = self.files[path]
        if before.facts is None and not before.failed:
            return None
        if bool(self._to_analyse({path: before})) != bool(self._to_analyse({path: f})):
            return None
        facts = self.cache.facts(path, f.digest, f.module)
        if facts is None:
            outcome = self.pool.facts([path]).get(path)
            self.stats["parsed"] = self.stats.get("parsed", 0) + 1
            if isinstance(outcome, str):  # does not parse: not in the index (as before?)
                f.failed = True
                self.file_errors[path] = outcome
                return before.failed
            assert outcome is not None
            facts = outcome
            self.cache.store_facts(path, f.digest, f.module, facts)
        f.facts = facts
        if before.facts is None:
            return False
        return facts.semantic_digest == before.facts.semantic_digest

    def _demands(self, facts: ModuleFacts | None) -> frozenset[str]:
        return self._targets_of(facts) if facts is not None else frozenset()

    def _same_files_analysed(self, before: dict[str, _File]) -> bool:
        """Whether the files the engine analyses are the same with the changed files' new
        facts (each analysed before and now, with the same prefilter verdict): no call target
        they gained or lost leads into a file analysed only because a call leads into it, or
        into one not analysed; their classes' bases and abstract methods are the same."""
        unloaded = {
            f.module: path
            for path, f in self.files.items()
            if not f.is_text
            and not f.failed
            and (f.facts is None or not self._to_analyse({path: f}))
        }
        loaded = {f.module: f.facts for f in self.files.values() if f.facts is not None}
        for path, old in before.items():
            new = self.files[path].facts
            if (new.class_bases if new else {}) != (old.facts.class_bases if old.facts else {}):
                return False
            if _abstract_class_names([new] if new else []) != _abstract_class_names(
                [old.facts] if old.facts else []
            ):
                return False
            moved = self._demands(new) ^ self._demands(old.facts)
            if any(_module_to_load(t, loaded, unloaded) is not None for t in moved):  # type: ignore[arg-type]
                return False
        return True

    def _build_index(self) -> None:
        """The index again from the facts in memory (the analysed files are the same)."""
        loaded = [f.facts for f in self.files.values() if f.facts is not None]
        unloaded = [
            f.text
            for f in self.files.values()
            if f.facts is None and not f.failed and not f.is_text
        ]
        self.index = ProjectIndex.build(loaded, self.catalog, unloaded_texts=unloaded)

    def _reanalyse(self) -> None:
        """The analysed files and the index again, from the facts in memory (a file whose
        content is new is parsed)."""
        result = RunResult()
        for path, f in self.files.items():
            if not f.is_text:
                f.facts = None
                f.failed = False
                self.file_errors.pop(path, None)
        self._analyse(self.files, self._to_analyse(self.files), result)
        self._check_syntax_of_the_rest(self.files, result)
        for error in result.errors:
            self.file_errors[error.path] = error.reason
        self.stats["parsed"] = self.stats.get("parsed", 0) + result.stats.get("parsed", 0)

    def _put_in_place(self, before: dict[str, ModuleFacts]) -> None:
        """The changed modules' new facts in the index, whose answers stay (the facts they were
        computed from say the same), except the ones that hold positions."""
        index = self.index
        for path, old in before.items():
            new = self.files[path].facts
            assert new is not None
            if dict.get(index.modules, old.module) is not old:
                continue  # not the module's file in the index (a stub beside its `.py`)
            dict.__setitem__(index.modules, new.module, new)
            for name, function in new.functions.items():
                dict.__setitem__(index.functions, name, function)
        index._sinks.clear()  # hops, with rows
        dropped: set[tuple] = set()
        for key, value in list(index._memo.items()):
            if self._holds_positions(value):
                del index._memo[key]
                dropped.add(("memo", key))
        for key, value in list(index._asked.items()):
            if self._holds_positions(value):
                del index._asked[key]
                dropped.add(("ask", *key))
        functions = {name for old in before.values() for name in old.functions}
        index._values = {
            read: value
            for read, value in index._values.items()
            if not (
                read[0] == "q"
                or (read[0] == "memo" and read[:2] in dropped)
                or (read[0] == "ask" and read in dropped)
                or (read[0] == "f" and read[1] in functions)
            )
        }
        self.stats["memos_dropped"] = len(dropped)

    def _holds_positions(self, value: object) -> bool:
        """Whether an answer the index stored holds a place in a file (a line, a span, a hop):
        conservatively yes for an object of a kind it does not know. Remembered per object."""
        known = self._placed.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        found = _holds_positions(value)
        self._placed[id(value)] = (value, found)
        return found

    # --- findings --------------------------------------------------------------------------

    def findings(self, paths: Iterable[str]) -> dict[str, list[Diagnostic]]:
        """The findings of the files ``paths`` (the engine's), as `check .` would report them
        now (per-file ignores applied): stored ones that still hold, the rest checked again."""
        found: dict[str, list[Diagnostic]] = {}
        todo: list[tuple[str, ModuleFacts]] = []
        checked = 0
        for path in paths:
            f = self.files.get(path)
            if f is None:
                found[path] = []
            elif f.is_text:
                found[path] = list(self.text_found.get(path, []))
            elif f.facts is None or not any(rule.wants(f.text) for rule in self.rules):
                found[path] = []
            else:
                cached = self.cache.diagnostics(path, f.digest)
                if cached is not None and self._holds(path, cached[1], cached[0]):
                    found[path] = list(cached[0])
                else:
                    todo.append((path, f.facts))
        for path, _ in todo:
            if not self.pool.knows(path):
                self.pool.add([self.files[path].job(path)])
            self._carry_digests(path)
        codes = [rule.CODE for rule in self.rules]
        outcomes = self.pool.check(todo, self.index, self.settings, codes, True)
        for path, outcome in outcomes.items():
            checked += 1
            if isinstance(outcome, str):
                self.check_errors[path] = outcome
                found[path] = []
                continue
            self.check_errors.pop(path, None)
            diagnostics, reads, fingerprint = outcome
            others = _other_files(path, diagnostics, self.files)
            self.cache.store_diagnostics(
                path,
                self.files[path].digest,
                Checked(self.index.digest, reads, fingerprint, others),
                diagnostics,
            )
            found[path] = list(diagnostics)
        for path in found:
            self.valid[path] = self.index
        self.stats["checked"] = self.stats.get("checked", 0) + checked
        for path, diagnostics in found.items():
            if self.per_file_ignores:
                diagnostics = [
                    d for d in diagnostics if not self.per_file_ignores.ignores(d.path, d.code)
                ]
            found[path] = sorted(diagnostics, key=lambda d: d.sort_key)
        return found

    def _holds(self, path: str, checked: Checked, found: list[Diagnostic]) -> bool:
        """Whether stored findings are still right. Those known right with the index the last
        update replaced are when the other files they point into are unchanged and each thing
        their check read of the index gets the same answer from both indexes (compared as
        values first: the answers recomputed since need no digest when they are equal); else
        as the engine decides (`Engine._still_holds`)."""
        if self.valid.get(path) is self.index:
            return True  # checked or validated since the last update
        before = self.previous
        if before is None or before is self.index or self.valid_before.get(path) is not before:
            return self._still_holds(checked, self.files, found)
        if any(_digest_of(other, self.files) != digest for other, digest in checked.others):
            return False
        return all(self._same_answer(read, before, self.index) for read in checked.reads)

    def _carry_digests(self, path: str) -> None:
        """Before a file is checked again with a new index: the digests of the answers its
        last check read that the new index answers the same (compared as values), so the
        fingerprint of the new check need not compute them again (its reads are mostly the
        same)."""
        before, now = self.previous, self.index
        entry = self.cache.entries.get(os.path.abspath(path))
        reads = entry.checked.reads if entry is not None and entry.checked is not None else None
        if reads is None:
            reads = self.last_reads.get(path)  # the check of the text before an edit
        if before is None or before is now or reads is None:
            return
        for read in reads:
            if read[0] in ("f", "q", "memo", "ask") and read not in now._values:
                known = before._values.get(read)
                if known is not None and _same_value(read, before, now):
                    now._values[read] = known

    def _same_answer(self, read: Read, before: ProjectIndex, now: ProjectIndex) -> bool:
        kind = read[0]
        if kind not in ("f", "q", "memo", "ask"):
            return before._answer(read) == now._answer(read)  # a digest, a yes or no
        if _same_value(read, before, now):
            known = before._values.get(read)
            if known is not None:
                now._values.setdefault(read, known)  # its digest, for the fingerprints
            return True
        return before.fingerprint([read]) == now.fingerprint([read])

    def prepare(self, paths: Iterable[str]) -> None:
        """In idle time, what the next edit of these files (the engine's paths; the open ones)
        will ask for: the answers their last checks read and the digests of those answers (a
        check records them), and which stored answers hold positions."""
        for path in paths:
            entry = self.cache.entries.get(os.path.abspath(path))
            if entry is not None and entry.checked is not None:
                self.index.fingerprint(entry.checked.reads)
        for value in (*self.index._memo.values(), *self.index._asked.values()):
            self._holds_positions(value)

    def all_findings(self) -> list[Diagnostic]:
        """Every file's findings, sorted as a run sorts them."""
        found = self.findings(list(self.files))
        return sorted((d for ds in found.values() for d in ds), key=lambda d: d.sort_key)

    def errors(self) -> list[FileError]:
        found = [*self.general_errors]
        for errors in (self.file_errors, self.check_errors):
            found.extend(FileError(path, reason) for path, reason in errors.items())
        return sorted(found, key=lambda e: e.path)

    def path_of(self, absolute: str) -> str | None:
        return self.by_abs.get(os.path.abspath(absolute))


def _same_value(read: Read, before: ProjectIndex, now: ProjectIndex) -> bool:
    try:
        return bool(_value(before, read) == _value(now, read))
    except Exception:  # an answer that cannot be compared as a value
        return False


def _value(index: ProjectIndex, read: Read) -> object:
    """The answer ``index`` gives to a read of kind "f", "q", "memo" or "ask"."""
    kind = read[0]
    if kind == "f":
        return dict.get(index.functions, read[1])
    index._depth += 1  # its own lookups are not a check's reads
    try:
        if kind == "q":
            return getattr(index, read[1])(*read[2:])
        if kind == "memo":
            return index.memo(read[1], _function(read[2], read[3]))
        return index.ask(_function(read[1], read[2]), *read[3:])
    finally:
        index._depth -= 1


def _holds_positions(value: object) -> bool:
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, _ATOMS) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (ProjectIndex, *_CODE)):
            continue
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif dataclasses.is_dataclass(item):
            for field in dataclasses.fields(item):
                if field.name in _PLACE_FIELDS:
                    return True
                stack.append(getattr(item, field.name))
        else:
            return True  # an object of another kind: it may hold anything
    return False


__all__ = ["Session"]
