"""Spreading the per-file work over the cores.

Each worker owns a fixed shard of the files for the whole run: it parses them for the facts pass
and keeps the trees, so the check pass that follows (once the project index exists) reuses them
instead of parsing again. With one job, or few files, the same worker runs in this process.
"""

from __future__ import annotations

import ast
import io
import multiprocessing
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi_fixer.analysis.blocking import BlockingCatalog
    from fastapi_fixer.analysis.facts import Analysis, ModuleFacts
    from fastapi_fixer.analysis.index import ProjectIndex, Read
    from fastapi_fixer.fixing.pipeline import FileFix
    from fastapi_fixer.models import Diagnostic, Edit
    from fastapi_fixer.settings import Settings

PARALLEL_THRESHOLD = 64  # below this many files a worker process costs more than it saves
_PROGRESS_EVERY = 25

Progress = Callable[[int], None]  # called with the number of files just done
_PENDING = object()


@dataclass(frozen=True)
class Job:
    path: str
    text: str
    root: str
    module: str
    is_package: bool


class ShardWorker:
    """The work for one shard; lives in a worker process or in this one."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self.jobs = {job.path: job for job in jobs}
        self.trees: dict[str, ast.Module] = {}
        self.analyses: dict[str, Analysis] = {}
        # in a worker process: the project index the parent last sent, and the module facts
        # (by path) and unloaded words it was built from (`WorkerPool._ship`)
        self.index: ProjectIndex | None = None
        self.held: dict[str, ModuleFacts] = {}
        self.words: frozenset[str] = frozenset()

    def set_index(
        self,
        catalog: BlockingCatalog | None,
        order: Sequence[str],
        new: dict[str, ModuleFacts],
        words: frozenset[str] | None,
        digest: str,
        answers: tuple[bytes, bytes] | None = None,
        own: frozenset[str] = frozenset(),
    ) -> bool:
        """Build the parent's new index from the module facts of ``order`` (by path): those
        in ``new``, those of ``own`` as this worker's facts pass made them (the parent's are
        copies of these), the others as the last index had them; ``catalog`` and ``words``
        None: as the last index; ``answers``: what the parent's index has answered so far
        (`_dump_answers`). False (and nothing changed) when the result is not the parent's."""
        from fastapi_fixer.analysis.index import ProjectIndex

        try:
            facts = [
                new[path]
                if path in new
                else self.analyses[path].facts
                if path in own
                else self.held[path]
                for path in order
            ]
        except KeyError:
            return False
        if catalog is None:
            if self.index is None:
                return False
            catalog = self.index.catalog
        words = self.words if words is None else words
        index = ProjectIndex.build(facts, catalog, unloaded_words=words)
        if index.digest != digest:
            return False
        self.index, self.held, self.words = index, dict(zip(order, facts, strict=True)), words
        if answers is not None:
            _load_answers(index, self.held, answers)
        return True

    def add(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            self.jobs[job.path] = job
            self.trees.pop(job.path, None)
            self.analyses.pop(job.path, None)

    def syntax(self, paths: Sequence[str], progress: Progress) -> dict[str, str]:
        """Files the prefilter spared from analysis are still checked to compile: `compile`
        builds no Python objects for the tree, so it costs a third of `ast.parse`. A file that
        `compile` rejects but `ast.parse` takes (`await` outside a function) is fine."""
        from fastapi_fixer.engine import parse, syntax_reason

        out: dict[str, str] = {}
        for path in paths:
            text = self.jobs[path].text
            try:
                compile(text, path, "exec", dont_inherit=True)
            except SyntaxError:
                try:
                    parse(text, path)
                except SyntaxError as exc:
                    out[path] = syntax_reason(exc)
            except (ValueError, RecursionError, MemoryError) as exc:
                out[path] = f"cannot parse: {type(exc).__name__}: {exc}"
        progress(len(paths))
        return out

    def facts(self, paths: Sequence[str], progress: Progress) -> dict[str, ModuleFacts | str]:
        from fastapi_fixer.analysis.facts import analyze
        from fastapi_fixer.analysis.index import semantic_digest
        from fastapi_fixer.engine import parse, syntax_reason

        out: dict[str, ModuleFacts | str] = {}
        for number, path in enumerate(paths, 1):
            job = self.jobs[path]
            try:
                tree = parse(job.text, path)
            except SyntaxError as exc:
                out[path] = syntax_reason(exc)
                continue
            except (ValueError, RecursionError, MemoryError) as exc:
                out[path] = f"cannot parse: {type(exc).__name__}: {exc}"
                continue
            try:
                analysis = analyze(tree, job.module, path, job.is_package)
            except RecursionError:
                out[path] = "code nested too deeply to analyse"
                continue
            analysis.facts.semantic_digest = semantic_digest(analysis.facts)
            out[path] = analysis.facts
            self.trees[path] = tree
            self.analyses[path] = analysis
            if number % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
        progress(len(paths) % _PROGRESS_EVERY)
        return out

    def check(
        self,
        items: Sequence[tuple[str, ModuleFacts | None]],
        index: ProjectIndex,
        settings: Settings,
        codes: Sequence[str],
        record: bool,
        progress: Progress,
    ) -> dict[str, tuple[list[Diagnostic], tuple[Read, ...], str] | str]:
        """Each file's findings, what its check read of the index (see `index.Read`) and the
        fingerprint of the answers (without ``record``, none: nothing will reuse the findings);
        or the one-line reason it cannot be checked."""
        from fastapi_fixer.engine import check_file
        from fastapi_fixer.registry import all_rules

        rules = [all_rules()[code] for code in codes]
        out: dict[str, list[Diagnostic] | str] = {}
        for number, (path, given) in enumerate(items, 1):
            job = self.jobs[path]
            facts = self.held[path] if given is None else given  # None: the index's own
            if record:
                index.start_reads()
            found = check_file(
                path,
                job.text,
                facts,
                index,
                settings,
                rules,
                tree=self.trees.get(path),
                analysis=self.analyses.get(path),
            )
            reads = index.stop_reads() if record else ()
            if isinstance(found, str):
                out[path] = found
            else:
                out[path] = (found, reads, index.fingerprint(reads) if record else "")
            if number % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
        progress(len(items) % _PROGRESS_EVERY)
        return out

    def fix(
        self,
        items: Sequence[tuple[str, dict[str, list[Edit]], bool | None]],
        index: ProjectIndex,
        settings: Settings,
        layout: bool,
        progress: Progress,
    ) -> dict[str, FileFix]:
        """One fix pass per file (`engine.fix_one_file`) on this shard's current texts; each
        item says whether its file is formatter-clean, when that was asked for many at once."""
        from fastapi_fixer.engine import fix_files
        from fastapi_fixer.fixing.textedit import given_trees
        from fastapi_fixer.rule import FixContext

        passes = [
            (
                self.jobs[path].text,
                edits,
                FixContext(path, self.jobs[path].module, index, settings),
                clean,
            )
            for path, edits, clean in items
        ]
        # the text fixes (`fixing.textedit`) read the trees the facts pass parsed
        trees = [(self.jobs[path].text, self.trees.get(path)) for path, _, _ in items]
        with given_trees(trees):
            # a pass takes long enough to be counted one by one
            return fix_files(passes, layout=layout, progress=progress)


def _serve(connection: Connection, worker: ShardWorker) -> None:
    """A worker process: answer requests until told to stop."""

    def progress(count: int) -> None:
        if count:
            connection.send(("progress", count))

    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        kind, args = request
        if kind == "stop":
            return
        try:
            if kind == "add":
                worker.add(args)
                result: Any = None
            elif kind == "facts":
                result = worker.facts(args, progress)
            elif kind == "syntax":
                result = worker.syntax(args, progress)
            elif kind == "index":
                result = worker.set_index(*args)
            elif kind == "check":  # the index: the one sent last (`WorkerPool._ship`)
                result = worker.check(args[0], worker.index, *args[1:], progress=progress)
            elif kind == "fix":
                result = worker.fix(args[0], worker.index, *args[1:], progress=progress)
            else:
                raise ValueError(kind)
            connection.send(("done", result))
        except BaseException as exc:  # report, never hang the parent
            import traceback

            connection.send(("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc())))


class WorkerError(RuntimeError):
    """An exception in a worker process: its ``summary`` (`Type: message`) and the
    ``traceback`` there (the CLI shows it with `--verbose`)."""

    def __init__(self, summary: str, traceback: str) -> None:
        super().__init__(f"worker failed: {summary}")
        self.summary = summary
        self.traceback = traceback


def _balanced(jobs: Sequence[Job], count: int) -> list[list[Job]]:
    shards: list[list[Job]] = [[] for _ in range(count)]
    sizes = [0] * count
    for job in sorted(jobs, key=lambda j: len(j.text), reverse=True):
        smallest = sizes.index(min(sizes))
        shards[smallest].append(job)
        sizes[smallest] += len(job.text) + 200
    return shards


class WorkerPool:
    """Shards in worker processes (forked, so the texts are not copied through pipes).

    The processes start with the first batch big enough to be worth them: a run that finds
    most files in the cache (one file edited) does its little work in this process, without
    forking or sending the project index anywhere."""

    def __init__(self, jobs: Sequence[Job], processes: int, progress: Progress) -> None:
        self.progress = progress
        # this process's own worker: all of it with one job, small batches otherwise
        self.nearby = ShardWorker(jobs)
        self.connections: list[Connection] = []
        self.owner: dict[str, int] = {}
        self.processes: list[Any] = []
        self.count = max(1, min(processes, len(jobs) // PARALLEL_THRESHOLD + 1))
        # the index the worker processes hold, and per process the module facts (by path) and
        # the catalog and unloaded words it was built from (`_ship`)
        self.shipped: ProjectIndex | None = None
        self.held: list[dict[str, ModuleFacts]] = []
        # path -> the module facts its owner's facts pass made of its current text (a copy:
        # the owner holds the original, so the index need not send them back to it)
        self.made: dict[str, ModuleFacts] = {}
        self.catalog: BlockingCatalog | None = None
        self.words: frozenset[str] | None = None
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        self.method = None if sys.platform == "win32" else method

    def _parallel(self, size: int) -> bool:
        """Whether a batch of ``size`` items goes to worker processes (started on demand)."""
        if self.count == 1 or self.method is None:
            return False
        if not self.processes and size < PARALLEL_THRESHOLD:
            return False
        if not self.processes:
            self._start()
        return size >= PARALLEL_THRESHOLD // 4

    def _start(self) -> None:
        context = multiprocessing.get_context(self.method)
        for number, shard in enumerate(_balanced(list(self.nearby.jobs.values()), self.count)):
            parent, child = context.Pipe()
            process = context.Process(target=_serve, args=(child, ShardWorker(shard)), daemon=True)
            process.start()
            child.close()
            self.connections.append(parent)
            self.processes.append(process)
            self.held.append({})
            for job in shard:
                self.owner[job.path] = number

    def add(self, jobs: Sequence[Job]) -> None:
        """More files, or new texts of files (after a fix)."""
        self.nearby.add(jobs)
        if not self.processes:
            return
        per_worker: dict[int, list[Job]] = {}
        for number, job in enumerate(jobs):
            target = self.owner.get(job.path, number % len(self.connections))
            self.owner[job.path] = target
            per_worker.setdefault(target, []).append(job)
        for job in jobs:
            self.made.pop(job.path, None)  # a new text: its owner's facts are gone
        for target, batch in per_worker.items():
            self.connections[target].send(("add", batch))
        for target in per_worker:
            self._receive(target)

    def facts(self, paths: Sequence[str]) -> dict[str, ModuleFacts | str]:
        if not self._parallel(len(paths)):
            return self.nearby.facts(paths, self.progress)
        found = self._scatter("facts", paths, lambda batch: batch)
        for path, facts in found.items():
            if not isinstance(facts, str):  # the owner keeps the original of this copy
                self.made[path] = facts
        return found

    def syntax(self, paths: Sequence[str]) -> dict[str, str]:
        if not self._parallel(len(paths)):
            return self.nearby.syntax(paths, self.progress)
        return self._scatter("syntax", paths, lambda batch: batch)

    def check(
        self,
        items: Sequence[tuple[str, ModuleFacts | None]],
        index: ProjectIndex,
        settings: Settings,
        codes: Sequence[str],
        record: bool = True,
    ) -> dict[str, tuple[list[Diagnostic], tuple[Read, ...], str] | str]:
        if not self._parallel(len(items)):
            return self.nearby.check(items, index, settings, codes, record, self.progress)
        self._ship(index)
        # the facts a process holds in its index do not travel again (None: those)
        sent = [
            (path, None if self.held[self.owner[path]].get(path) is facts else facts)
            for path, facts in items
        ]
        return self._scatter(
            "check",
            sent,
            lambda batch: (batch, settings, list(codes), record),
            key=lambda i: i[0],
        )

    def fix(
        self,
        items: Sequence[tuple[str, dict[str, list[Edit]], bool | None]],
        index: ProjectIndex,
        settings: Settings,
        layout: bool = True,
    ) -> dict[str, FileFix]:
        """Fix passes of files the pool knows (Python files analysed in this run)."""
        if not self._parallel(len(items)):
            return self.nearby.fix(items, index, settings, layout, self.progress)
        self._ship(index)
        return self._scatter(
            "fix", items, lambda batch: (batch, settings, layout), key=lambda i: i[0]
        )

    def _ship(self, index: ProjectIndex) -> None:
        """Give the worker processes ``index`` (once: a check and the fix passes that follow
        share it). Each builds it from the module facts it was built from (`ProjectIndex.build`
        costs a fraction of unpickling one); only the facts a process does not hold already
        (those the last fix round changed) travel."""
        if index is self.shipped:
            return
        facts, words = index.built_from
        order = [f.path for f in facts]
        if len(set(order)) != len(order) or len(facts) < len(dict.keys(index.modules)):
            raise ValueError("the index was not built by ProjectIndex.build")
        catalog = None if index.catalog is self.catalog else index.catalog
        changed_words = None if words == self.words else words
        answers = _dump_answers(index)
        for target, connection in enumerate(self.connections):
            held = self.held[target]
            new = {f.path: f for f in facts if held.get(f.path) is not f}
            own = frozenset(
                path
                for path, f in new.items()
                if self.made.get(path) is f and self.owner.get(path) == target
            )
            for path in own:
                del new[path]
            connection.send(
                ("index", (catalog, order, new, changed_words, index.digest, answers, own))
            )
        for target, connection in enumerate(self.connections):
            if not self._receive(target):  # not the same index: everything, from scratch
                whole = {f.path: f for f in facts}
                connection.send(
                    ("index", (index.catalog, order, whole, words, index.digest, answers))
                )
                if not self._receive(target):
                    raise RuntimeError("a worker process could not build the project index")
            self.held[target] = dict(zip(order, facts, strict=True))
        self.shipped, self.catalog, self.words = index, index.catalog, words

    def knows(self, path: str) -> bool:
        return path in self.nearby.jobs

    def _scatter(
        self,
        kind: str,
        items: Sequence[Any],
        make_args: Callable[[list[Any]], Any],
        key: Callable[[Any], str] = lambda item: item,
    ) -> dict[str, Any]:
        batches: dict[int, list[Any]] = {}
        for item in items:
            batches.setdefault(self.owner[key(item)], []).append(item)
        for target, batch in batches.items():
            self.connections[target].send((kind, make_args(batch)))
        merged: dict[str, Any] = {}
        waiting = {self.connections[target]: target for target in batches}
        while waiting:
            for ready in wait(list(waiting)):
                assert isinstance(ready, Connection)
                result = self._receive_one(ready)
                if result is not _PENDING:
                    merged.update(result)
                    del waiting[ready]
        return merged

    def _receive(self, target: int) -> Any:
        while (result := self._receive_one(self.connections[target])) is _PENDING:
            pass
        return result

    def _receive_one(self, connection: Connection) -> Any:
        try:
            kind, payload = connection.recv()
        except EOFError as exc:
            raise RuntimeError("a worker process died") from exc
        if kind == "progress":
            self.progress(payload)
            return _PENDING
        if kind == "done":
            return payload
        summary, remote = payload
        raise WorkerError(summary, remote)

    def close(self) -> None:
        for connection in self.connections:
            try:
                connection.send(("stop", None))
                connection.close()
            except OSError:
                pass
        for process in self.processes:
            process.join(timeout=5)
        self.connections.clear()
        self.processes.clear()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# what a project index has answered and memoised (`ProjectIndex` fields): the parent's
# answers (the findings it validated with) spare the workers computing them again
_PLAIN_ANSWERS = ("_resolved", "_chains", "_sinks", "_values")
_RULE_ANSWERS = ("_memo", "_asked")


# while a worker process loads the parent's answers: its index and the facts it holds
_LOADING: list[tuple[ProjectIndex, dict[str, Any]]] = []


def _own_index() -> ProjectIndex:
    return _LOADING[-1][0]


def _own_facts(path: str) -> Any:
    return _LOADING[-1][1][path]


def _own_function(path: str, name: str) -> Any:
    return _LOADING[-1][1][path].functions[name]


def _answer_pickler(file: io.BytesIO, index: ProjectIndex) -> pickle.Pickler:
    """Pickles rules' answers with the index, its module facts and their functions by name:
    the worker's own objects stand for them when loaded (as in the parent, the answers share
    them). A dispatch table, not `persistent_id`: no Python call for every object pickled."""
    from fastapi_fixer.analysis.facts import FunctionFacts, ModuleFacts
    from fastapi_fixer.analysis.index import ProjectIndex

    names: dict[int, tuple[str, ...]] = {}
    for facts in index.built_from[0]:
        names[id(facts)] = (facts.path,)
        for name, function in facts.functions.items():
            names[id(function)] = (facts.path, name)

    def by_name(obj: Any) -> Any:
        found = names.get(id(obj))
        if found is None:  # not the index's own object: a copy, as pickle makes
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        return (_own_facts if len(found) == 1 else _own_function, found)

    def index_reduce(obj: Any) -> Any:
        if obj is not index:
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        return (_own_index, ())

    pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {  # type: ignore[assignment]
        ProjectIndex: index_reduce,
        ModuleFacts: by_name,
        FunctionFacts: by_name,
    }
    return pickler


def _dump_answers(index: ProjectIndex) -> tuple[bytes, bytes] | None:
    plain = tuple(getattr(index, name) for name in _PLAIN_ANSWERS)
    rules = tuple(getattr(index, name) for name in _RULE_ANSWERS)
    if not any(rules) and not plain[-1]:  # nothing beyond what building it answers
        return None
    buffer = io.BytesIO()
    _answer_pickler(buffer, index).dump(rules)
    return pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL), buffer.getvalue()


def _load_answers(index: ProjectIndex, held: dict[str, Any], answers: tuple[bytes, bytes]) -> None:
    plain, rules = answers
    for name, value in zip(_PLAIN_ANSWERS, pickle.loads(plain), strict=True):
        setattr(index, name, value)
    _LOADING.append((index, held))
    try:
        values = pickle.loads(rules)
    finally:
        _LOADING.pop()
    for name, value in zip(_RULE_ANSWERS, values, strict=True):
        setattr(index, name, value)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
