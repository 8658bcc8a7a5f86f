"""The project index: cross-module facts built once from every module's `ModuleFacts`.

Rules ask it what a qualified name is (a route, a dependency, an app, a blocking function) and
never look at other files themselves.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi_fixer.analysis.blocking import ANNOTATED_TYPES, CHAINS, BlockingCatalog
from fastapi_fixer.analysis.collectors.classes import UNION
from fastapi_fixer.analysis.facts import (
    APP_CONSTRUCTORS,
    CONSTRUCTED,
    ITEM_OF,
    LIST_OF,
    LOCAL_APP,
    LOCAL_BUILT,
    LOCAL_ROUTER,
    SUPER,
    CallFact,
    FunctionFacts,
    ModuleFacts,
    RouteDecl,
)
from fastapi_fixer.analysis.guards import ArgFact, decode_args, ruled_out
from fastapi_fixer.models import Hop

_MAX_HOPS = 8
_DICT_READS = frozenset({"get", "pop", "setdefault"})  # methods giving one value of a dict
_CACHED = frozenset({"functools.lru_cache", "functools.cache"})
_PROPERTY = "builtins.property"
_RUNS = frozenset({"call", "read"})  # sites that run what they name (a read: a property's)
MAX_SINKS = 30  # blocking calls listed behind one call (`blocking_sinks`)
_UNANSWERED = object()
T = TypeVar("T")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ITEM = re.compile(r"(?<=\(\))\[(\d+)\]")  # `make()[0]`: an element of a returned tuple
# `pkg.B.m@pkg.K`: the method `B.m` run with `self` a `K` object, when `K` defines its own `m`
# (`K.m` calls `super().m()`); a method `K` inherits is named `pkg.K.m` (`_seen_from`)
VIEW = "@"
# fields that say where something is, not what it is: a change there alone (a line added above)
# does not change what other files' findings depend on
_POSITION_FIELDS = frozenset(
    {"line", "lineno", "col", "col_offset", "end_line", "end_lineno", "end_col", "end_col_offset"}
    | {"span", "path", "semantic_digest"}
)


# What a file's check read of the index (recorded while it runs, see `ProjectIndex.start_reads`):
#   ("m", module)    the facts of a module (`index.modules[...]`, `.get`, `in`)
#   ("f", qualname)  a function's facts (`index.functions[...]`)
#   ("r" | "d" | "u", name)  membership in references, dependencies, unloaded names
#   ("q", method, *args)     the answer of a query method (`resolve`, `routes_of`, ...)
#   ("memo", key, module, function)  a project-wide value a rule computes with `memo`
#   ("ask", module, function, *args)  the answer to a question a rule asks with `ask`
#   ("all",)         anything project-wide (iterating every module): the whole project digest
Read = tuple


def _query(method: Callable[..., T]) -> Callable[..., T]:
    """A question rules ask the index: while a check records its reads, the question and its
    arguments are recorded (its answer is compared later), not the lookups answering it."""
    name = method.__name__

    @functools.wraps(method)
    def asked(self: ProjectIndex, *args: Any) -> T:
        reads = self._reads
        if reads is not None and not self._depth:
            reads.add(("q", name, *args))
        self._depth += 1
        try:
            return method(self, *args)
        finally:
            self._depth -= 1

    return asked


class _TrackedDict(dict):
    """`index.modules` / `index.functions`: lookups record one key, iteration everything."""

    __slots__ = ("_index", "_kind")

    def __init__(self, index: ProjectIndex, kind: str) -> None:
        super().__init__()
        self._index = index
        self._kind = kind

    def __reduce__(self):  # to worker processes: the index and kind travel along
        return (_tracked_dict, (self._index, self._kind, dict(self)))

    def __getitem__(self, key: str) -> Any:
        self._index._note((self._kind, key))
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._index._note((self._kind, key))
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._index._note((self._kind, key))
        return dict.__contains__(self, key)

    def __iter__(self):
        self._index._note(("all",))
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._index._note(("all",))
        return dict.__len__(self)

    def keys(self):
        self._index._note(("all",))
        return dict.keys(self)

    def values(self):
        self._index._note(("all",))
        return dict.values(self)

    def items(self):
        self._index._note(("all",))
        return dict.items(self)


def _tracked_dict(index: ProjectIndex, kind: str, items: dict[str, Any]) -> _TrackedDict:
    tracked = _TrackedDict(index, kind)
    dict.update(tracked, items)
    return tracked


class _TrackedSet(set):
    """`index.references` and friends: membership records one name, iteration everything."""

    __slots__ = ("_index", "_kind")

    def __init__(self, index: ProjectIndex, kind: str, items: Iterable[str] = ()) -> None:
        super().__init__(items)
        self._index = index
        self._kind = kind

    def __reduce__(self):
        return (_TrackedSet, (self._index, self._kind, set(set.__iter__(self))))

    def __contains__(self, key: object) -> bool:
        self._index._note((self._kind, key))
        return set.__contains__(self, key)

    def __iter__(self):
        self._index._note(("all",))
        return set.__iter__(self)

    def __len__(self) -> int:
        self._index._note(("all",))
        return set.__len__(self)


@dataclass(eq=False)
class ProjectIndex:
    catalog: BlockingCatalog
    modules: dict[str, ModuleFacts] = field(init=False)
    functions: dict[str, FunctionFacts] = field(init=False)
    dependencies: set[str] = field(init=False)
    references: set[str] = field(init=False)
    unloaded_names: set[str] = field(init=False)
    _by_suffix: dict[str, str | None] = field(default_factory=dict)
    _chains: dict[tuple[str, str], tuple[str, ...] | None] = field(default_factory=dict)
    _sinks: dict[tuple[str, str], tuple[Hop, ...]] = field(default_factory=dict)
    digest: str = ""
    # the index never changes once built: answers are memoised (rules ask the same questions
    # for every file)
    _resolved: dict[str, str] = field(default_factory=dict)
    _memo: dict[str, object] = field(default_factory=dict)
    _asked: dict[tuple, object] = field(default_factory=dict)
    # recording what one file's check reads (None: not recording), and how deep in a query
    _reads: set[Read] | None = None
    _depth: int = 0
    _values: dict[Read, bytes] = field(default_factory=dict)
    _value_refs: set[str] | None = None  # `only_called`'s names used as values, resolved
    # the index this one replaced in a fix round, whose digests of unchanged function facts
    # this one takes (`inherit`); never sent to a worker process
    _previous: ProjectIndex | None = field(default=None, repr=False)
    # what `build` made it of: the module facts in order and the unloaded files' words (a
    # worker process given the facts that changed builds the same index: `engine.workers`)
    built_from: tuple[tuple[ModuleFacts, ...], frozenset[str]] = field(
        default=((), frozenset()), repr=False
    )

    def __post_init__(self) -> None:
        self.modules = _TrackedDict(self, "m")
        self.functions = _TrackedDict(self, "f")
        self.dependencies = _TrackedSet(self, "d")
        self.references = _TrackedSet(self, "r")
        self.unloaded_names = _TrackedSet(self, "u")

    @classmethod
    def build(
        cls,
        facts: Iterable[ModuleFacts],
        catalog: BlockingCatalog,
        unloaded_texts: Iterable[str] = (),
        unloaded_words: Iterable[str] = (),
    ) -> ProjectIndex:
        """``unloaded_texts``: files the prefilter did not analyse; the words in them keep
        `is_referenced` conservative (``unloaded_words``: those words, already found)."""
        index = cls(catalog=catalog)
        facts = tuple(facts)
        set.update(index.unloaded_names, unloaded_words)
        for text in unloaded_texts:
            set.update(index.unloaded_names, _WORD.findall(text))
        index.built_from = (facts, frozenset(set.__iter__(index.unloaded_names)))
        for module in facts:
            known = index.modules.get(module.module)
            if known is None or known.path.endswith(".pyi"):
                # a module with both `x.py` and a stub `x.pyi`: the `.py` is the code that runs
                index.modules[module.module] = module
        for name in dict.keys(index.modules):
            parts = name.split(".")
            for start in range(1, len(parts) - 1):
                suffix = ".".join(parts[start:])
                index._by_suffix[suffix] = None if suffix in index._by_suffix else name
        for module in index.modules.values():
            index.functions.update(module.functions)
        for module in index.modules.values():
            index.dependencies.update(index.resolve(t) for t in module.depends_targets)
            index.references.update(index.resolve(r) for r in module.references)
            for factory in module.depends_factories:
                set.update(index.dependencies, index._made_by_factory(index.resolve(factory)))
        index.digest = project_digest(dict.values(index.modules), set(index.unloaded_names))
        return index

    # --- what a check depends on ---------------------------------------------------------

    def start_reads(self) -> None:
        """Record what the index is asked from now on (one file's check)."""
        self._reads = set()
        self._depth = 0

    def stop_reads(self) -> tuple[Read, ...]:
        """What was asked since `start_reads`, in a stable order."""
        reads, self._reads = self._reads or set(), None
        return tuple(sorted(reads, key=repr))

    def _note(self, read: Read) -> None:
        if self._reads is not None and not self._depth:
            self._reads.add(read)

    def fingerprint(self, reads: Iterable[Read]) -> str:
        """The answers this index gives to ``reads``: a check that read them is still right
        when the fingerprint is the same as when it ran."""
        values = self._values
        parts = []
        for read in reads:
            part = values.get(read)
            if part is None:
                part = self._carried(read) if self._previous is not None else None
                if part is None:
                    part = f"{read!r}\0{self._answer(read)}\n".encode()
                values[read] = part
            parts.append(part)
        return hashlib.sha256(b"".join(parts)).hexdigest()

    def inherit(self, previous: ProjectIndex) -> None:
        """Take the digests of the answers ``previous`` (the index this one replaces: a fix
        round's) gave about function facts this index holds too, the same objects (a module
        that did not change keeps its facts): the same facts, the same digest."""
        previous._previous = None  # one index back, never a chain of them
        self._previous = previous

    def _carried(self, read: Read) -> bytes | None:
        """The digest of the answer to ``read`` that the previous index gave, when it is the
        answer this index gives: a function's facts, the very same object in both."""
        previous = self._previous
        assert previous is not None
        if read[0] != "f":
            return None
        known = previous._values.get(read)
        if known is None or b"\0unstable " in known:
            return None  # an answer digested with the project's digest stands for it
        now = dict.get(self.functions, read[1])
        return known if now is not None and now is dict.get(previous.functions, read[1]) else None

    def _answer(self, read: Read) -> str:
        self._depth += 1
        try:
            kind = read[0]
            if kind == "m":
                module = dict.get(self.modules, read[1])
                return "-" if module is None else module.semantic_digest or semantic_digest(module)
            if kind == "f":
                function = dict.get(self.functions, read[1])
                known = None if function is None else function.__dict__.get(_DIGEST)
                return known if known is not None else _value_digest(function, self.digest)
            if kind in ("r", "d", "u"):
                found = {"r": self.references, "d": self.dependencies, "u": self.unloaded_names}
                return str(set.__contains__(found[kind], read[1]))
            if kind == "q":
                return _value_digest(getattr(self, read[1])(*read[2:]), self.digest)
            if kind == "memo":
                return _value_digest(self.memo(read[1], _function(read[2], read[3])), self.digest)
            if kind == "ask":
                answer = self.ask(_function(read[1], read[2]), *read[3:])
                return _value_digest(answer, self.digest)
            return self.digest
        finally:
            self._depth -= 1

    # --- names ---------------------------------------------------------------------------

    @_query
    def find_module(self, name: str) -> str | None:
        if name in self.modules:
            return name
        parts = name.split(".")
        for start in range(1, len(parts) - 1):
            found = self._by_suffix.get(".".join(parts[start:]))
            if found is not None:
                return found
        return None

    def resolve(self, qualname: str) -> str:
        """Follow imports and re-exports to where a name is defined; unknown names stay as they
        are (they are library names)."""
        reads = self._reads
        if reads is not None and not self._depth:
            reads.add(("q", "resolve", qualname))
        found = self._resolved.get(qualname)
        if found is None:
            self._depth += 1
            try:
                found = self._resolved[qualname] = self._resolve(qualname)
            finally:
                self._depth -= 1
        return found

    def warm(self, reads: Iterable[Read]) -> None:
        """Compute now the project-wide values (`memo`) that ``reads`` name (what earlier
        checks of the files about to be checked again read): a fix round's index then goes to
        the worker processes with them, instead of each process computing them."""
        self._depth += 1  # not a read of the check that may be recording
        try:
            for read in reads:
                if read[0] == "memo" and read[1] not in self._memo:
                    self.memo(read[1], _function(read[2], read[3]))
        finally:
            self._depth -= 1

    def memo(self, key: str, compute: Callable[[ProjectIndex], T]) -> T:
        """A project-wide answer a rule computes once per run (per worker), not once per file.

        ``compute`` must be a module-level function of the index: a check that used the answer
        records it, and a later run computes it again to see whether the answer changed."""
        if self._reads is not None and not self._depth:
            self._reads.add(("memo", key, compute.__module__, compute.__qualname__))
        if key not in self._memo:
            self._depth += 1
            try:
                self._memo[key] = compute(self)
            finally:
                self._depth -= 1
        return self._memo[key]  # type: ignore[return-value]

    def ask(self, compute: Callable[..., T], *args: Hashable) -> T:
        """``compute(index, *args)``, answered once per run (per worker) for each ``args``: a
        question rules ask about many names, such as whether a class is a model. ``compute``
        must be a module-level function: a check that asked records the question, and a later
        run asks it again to see whether the answer changed."""
        key = (compute.__module__, compute.__qualname__, *args)
        if self._reads is not None and not self._depth:
            self._reads.add(("ask", *key))
        found = self._asked.get(key, _UNANSWERED)
        if found is _UNANSWERED:
            self._depth += 1
            try:
                found = self._asked[key] = compute(self, *args)
            finally:
                self._depth -= 1
        return found  # type: ignore[return-value]

    @_query
    def referrers(self, qualname: str) -> frozenset[str]:
        """Modules that use ``qualname`` (as written, or after resolving) other than as a
        decorator or a `Depends` target."""
        table = self.memo("index.referrers", ProjectIndex._referrer_table)
        return table.get(qualname, frozenset())

    def _referrer_table(self) -> dict[str, frozenset[str]]:
        table: dict[str, set[str]] = {}
        for module in dict.values(self.modules):
            for reference in module.references:
                table.setdefault(reference, set()).add(module.module)
                table.setdefault(self.resolve(reference), set()).add(module.module)
        return {name: frozenset(found) for name, found in table.items()}

    def _resolve(self, qualname: str) -> str:
        if qualname.startswith(SUPER):  # `super().method()`: the method a base defines
            return self._super_method(qualname[len(SUPER) :]) or qualname
        for _ in range(_MAX_HOPS):
            if qualname in self.functions:
                return qualname
            module_name, attribute = self._split(qualname)
            if module_name is None:
                return qualname
            module = self.modules[module_name]
            head, _, rest = attribute.partition(".")
            binding = module.bindings.get(head)
            if binding is None or binding.kind != "import":
                canonical = f"{module_name}.{attribute}"
                return canonical
            qualname = f"{binding.target}.{rest}" if rest else binding.target
        return qualname

    def _super_method(self, name: str) -> str | None:
        """`pkg.Base.method` for `pkg.C.method` called as `super().method()` in `C`: the first
        project class after `C` in its MRO that defines it; None when none does (a library's)."""
        cls, _, method = name.rpartition(".")
        for base in self._mro(self.resolve(cls))[1:]:
            found = f"{base}.{method}"
            if dict.__contains__(self.functions, found):
                return found
        return None

    def _split(self, qualname: str) -> tuple[str | None, str]:
        parts = qualname.split(".")
        for end in range(len(parts) - 1, 0, -1):
            found = self.find_module(".".join(parts[:end]))
            if found is not None:
                return found, ".".join(parts[end:])
        return None, qualname

    @_query
    def binding_of(self, qualname: str):
        module_name, attribute = self._split(self.resolve(qualname))
        if module_name is None or "." in attribute:
            return None
        return self.modules[module_name].bindings.get(attribute)

    def _made_by_factory(self, factory: str) -> tuple[str, ...]:
        """The dependencies `Depends(factory(...))` gives: the functions the factory returns
        (`def require_role(role): def check(...): ...; return check`), or the `__call__` of a
        class (`Depends(RoleChecker("admin"))`)."""
        if factory in self.functions:
            module_name, _ = self._split(factory)
            if module_name is None:
                return ()
            module = dict.__getitem__(self.modules, module_name)
            return module.returned_functions.get(factory, ())
        call = f"{factory}.__call__"
        return (call,) if call in self.functions else ()

    # --- FastAPI objects -----------------------------------------------------------------

    @_query
    def app_kind(self, receiver: str) -> str | None:
        """`app` or `router` when ``receiver`` is a FastAPI()/APIRouter() instance, or an
        instance of a project subclass of either (`class AppRouter(APIRouter)`)."""
        if receiver == LOCAL_APP:
            return "app"
        if receiver == LOCAL_ROUTER:
            return "router"
        if receiver.startswith(LOCAL_BUILT):
            return self.class_kind(receiver[len(LOCAL_BUILT) : -1])
        if receiver.endswith(".router"):  # `app.router` is the app's APIRouter
            owner = self.app_kind(receiver[: -len(".router")])
            if owner == "app":
                return "router"
        binding = self.binding_of(receiver)
        if binding is None:
            return None
        if binding.kind == "other" and binding.target.startswith(CONSTRUCTED):
            return self.class_kind(binding.target[len(CONSTRUCTED) :])
        if binding.kind != "app":
            return None
        return binding.detail or None

    @_query
    def class_kind(self, name: str) -> str | None:
        """`app` or `router` when the class ``name`` is `FastAPI`/`APIRouter` or a project
        class deriving from one of them (through any number of project classes)."""
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = self.resolve(pending.pop())
            if current in APP_CONSTRUCTORS:
                return APP_CONSTRUCTORS[current]
            if current in seen or len(seen) > _MAX_HOPS:
                continue
            seen.add(current)
            module_name, _ = self._split(current)
            if module_name is None:
                continue
            module = self.modules[module_name]
            pending.extend(module.class_bases.get(current, ()))
        return None

    @_query
    def routes_of(self, function: str) -> tuple[RouteDecl, ...]:
        facts = self.functions.get(function)
        if facts is None:
            return ()
        return tuple(r for r in facts.routes if self.app_kind(r.receiver) is not None)

    @_query
    def is_route(self, function: str) -> bool:
        return bool(self.routes_of(function))

    @_query
    def is_dependency(self, function: str) -> bool:
        return function in self.dependencies

    @_query
    def is_referenced(self, function: str) -> bool:
        """True when code anywhere uses the function other than as a decorator target or a
        ``Depends``/``Security`` dependency: it might call or await it directly. A file the
        prefilter did not analyse counts when it holds the function's name as a word (so the
        answer may depend on the rules selected), except for a function nested in another."""
        if function in self.references:
            return True
        facts = self.functions.get(function)
        if facts is not None and facts.is_nested:
            # only its own module can name a function nested in another one (a factory's
            # route): a file the prefilter skipped cannot, whatever words it holds
            return False
        return function.rpartition(".")[2] in self.unloaded_names

    @_query
    def only_called(self, function: str) -> bool:
        """True when the project names ``function`` and every use is a direct call of it
        (`f(...)`): never the function as a value (handed to `Depends`, a decorator,
        `add_api_route`, a list, returned), and no file the prefilter did not analyse holds
        its name. Nothing can then hand it to FastAPI, which never reads its parameters."""
        if function not in self.references or function in self.dependencies:
            return False
        if function.rpartition(".")[2] in self.unloaded_names:
            return False
        if self._value_refs is None:
            self._value_refs = {
                self.resolve(name)
                for module in dict.values(self.modules)
                for name in module.value_references
            }
        return function not in self._value_refs

    # --- what blocks ---------------------------------------------------------------------

    @_query
    def blocking_chain(self, target: str, category: str, args: str = "") -> tuple[str, ...] | None:
        """The chain from ``target`` to the API of ``category`` it ends in, or None.

        ``target`` is a call target as facts record it: a library API (`time.sleep`), a known
        object's method (`requests.Session.get`), or a project function, which blocks when it is
        a plain `def` that calls something blocking, directly or through other project functions.
        ``args``: the call's literal arguments (`guards.call_args`, as `guards.encode_args`
        writes them); a call in a project function that cannot run for them (`if
        name.startswith("oidc/"):` given `"OPENAI_API_KEY"`) is not a way to what blocks
        (`analysis.guards`).
        """
        return self._blocking(target, category, decode_args(args))

    def _blocking(
        self, target: str, category: str, args: tuple[ArgFact, ...] = ()
    ) -> tuple[str, ...] | None:
        return self._chain(target, category, self._bound(target, args) if args else ())

    def _chain(
        self, target: str, category: str, known: tuple[tuple[str, object], ...]
    ) -> tuple[str, ...] | None:
        key = (target, category, known) if known else (target, category)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = None  # cycle guard
        result = self._compute_chain(target, category, known)
        self._chains[key] = result
        return result

    def _bound(self, target: str, args: tuple[ArgFact, ...]) -> tuple[tuple[str, object], ...]:
        """The parameters of the project function ``target`` runs that its guards test or it
        passes on, with the literal values ``args`` give them (by keyword; by position, for a
        function that is not a method)."""
        function = self.functions.get(self.resolve(target))
        if function is None or not function.guarded_params:
            return ()
        bound: dict[str, object] = {}
        for slot, kind, value in args:
            if kind != "c":
                continue
            if slot.isdigit():
                if function.is_method or int(slot) >= len(function.positional_params):
                    continue
                name = function.positional_params[int(slot)]
            else:
                name = slot
            if name in function.guarded_params:
                bound[name] = value
        return tuple(sorted(bound.items(), key=lambda item: item[0]))

    @staticmethod
    def _live(function: FunctionFacts, known: tuple[tuple[str, object], ...]) -> dict[str, object]:
        """``known`` less the parameters an assignment in ``function`` may change."""
        values = dict(known)
        if values:
            for name, guards in function.rebinds:
                if name in values and not ruled_out(guards, dict(known)):
                    del values[name]
        return values

    @staticmethod
    def _passed(site: CallFact, values: dict[str, object]) -> tuple[ArgFact, ...]:
        """``site``'s arguments as literals: its own, and the parameters it passes on whose
        values are known."""
        if not site.args:
            return ()
        found: list[ArgFact] = []
        for slot, kind, value in site.args:
            if kind == "c":
                found.append((slot, kind, value))
            elif value in values:
                found.append((slot, "c", values[str(value)]))
        return tuple(found)

    def _compute_chain(
        self, target: str, category: str, known: tuple[tuple[str, object], ...] = ()
    ) -> tuple[str, ...] | None:
        resolved = self.resolve(target)
        function = self.functions.get(resolved)
        if function is not None and not (function.is_stub and function.is_method):
            chain = self._function_chain(resolved, function, category, known)
            if chain is None and not target.startswith(SUPER):
                for name, found in self._subclass_runs(resolved):
                    chain = self._function_chain(name, found, category)
                    if chain is not None:
                        break
            return chain
        if self.catalog.category_of_call(resolved) == category:
            return (resolved,)
        owner, _, method = resolved.rpartition(".")
        binding = self.binding_of(owner) if owner else None
        if binding is not None and binding.kind == "instance":
            if self.catalog.category_of_method(binding.target, method) == category:
                return (f"{binding.target}.{method}",)
        elif owner and "." in owner and self.catalog.category_of_method(owner, method) == category:
            return (resolved,)
        # methods of project classes and of the objects the project holds
        for kind, name in self._dispatch_on(resolved, virtual=True):
            found = self.functions.get(name)
            if found is not None:
                chain = self._function_chain(self._seen_from(name, kind), found, category)
                if chain is not None:
                    return chain
            else:
                kind, _, api = name.rpartition(".")
                if self.catalog.category_of_method(kind, api) == category:
                    return (name,)
        # functions stored in an attribute: `config.hooks.on_message = handler`
        for name in self._stored(resolved):
            chain = self._function_chain(name, self.functions[name], category)
            if chain is not None:
                return chain
        return None

    def _function_chain(
        self,
        name: str,
        function: FunctionFacts,
        category: str,
        known: tuple[tuple[str, object], ...] = (),
    ) -> tuple[str, ...] | None:
        """``name``'s chain: a project function, or `Sub.method` for a method ``function``
        that `Sub` inherits (`_seen_from`), whose `self.x()` calls are `Sub`'s. ``known``: its
        parameters' literal values, which may rule some of its calls out."""
        if function.is_async or _CACHED.intersection(function.other_decorators):
            return None  # a memoised function blocks once, not on every request
        values = self._live(function, known)
        for site in function.sites:
            if values and ruled_out(site.guards, values):
                continue
            target = _as_seen(site.target, function.qualname, name)
            if site.how != "call" and (site.how != "read" or not self._is_getter(target)):
                continue
            chain = self._blocking(target, category, self._passed(site, values))
            if chain is not None:
                return (name, *chain)
        return None

    @_query
    def is_getter(self, target: str) -> bool:
        """Whether reading the attribute ``target`` (`pkg.C.headers`, a `read` site) runs a
        project property's getter: `C`'s, a base's, or (abstract in `C`) its subclasses'.
        A `functools.cached_property` runs once per object: not counted."""
        return self._is_getter(target)

    def _is_getter(self, target: str) -> bool:
        owner, _, attribute = target.rpartition(".")
        if attribute not in self.memo("index.property_names", ProjectIndex._property_names):
            return False
        kind = self.resolve(owner)
        if self._class_info(kind) is None:
            return False
        methods = self._methods(kind, attribute)
        return bool(methods) and all(
            _PROPERTY in self.functions[name].other_decorators for name in methods
        )

    def _property_names(self) -> frozenset[str]:
        return frozenset(
            function.name
            for module in dict.values(self.modules)
            for function in module.functions.values()
            if _PROPERTY in function.other_decorators
        )

    def _seen_from(self, name: str, kind: str | None) -> str:
        """`Sub.method` when the project method ``name`` runs on a ``kind`` object that
        inherits it from a base (`BaseDeployer.deploy` on an `AzureDeployer`): there its
        `self._upload()` is `AzureDeployer._upload`, which may override the base's. Else
        ``name``."""
        owner, _, method = name.rpartition(".")
        if kind is None or kind == owner or self._class_info(kind) is None:
            return name
        if self._class_info(owner) is None or owner not in self._mro(kind):
            return name  # not inherited: a subclass's implementation of an abstract method
        return f"{kind}.{method}"

    @_query
    def facts_of(self, name: str) -> FunctionFacts | None:
        """The facts of a project function, of a method as a subclass inherits it (`Sub.m`,
        `_seen_from`) or of a method run with `self` a subclass's object (`B.m@K`, `VIEW`)."""
        found = self.functions.get(name)
        if found is not None:
            return found
        if VIEW in name:
            return self.functions.get(name.partition(VIEW)[0])
        return self._inherited(name)

    def _inherited(self, name: str) -> FunctionFacts | None:
        """The facts of the method `Sub.method` names when `Sub` inherits it (`_seen_from`)."""
        kind, _, method = name.rpartition(".")
        if self._class_info(kind) is None:
            return None
        for cls in self._mro(kind)[1:]:
            found = self.functions.get(f"{cls}.{method}")
            if found is not None:
                return found
        return None

    @_query
    def chain_hops(self, target: str, category: str, args: str = "") -> tuple[Hop, ...]:
        """Where each later step of ``blocking_chain(target, category, args)`` is called: one
        `Hop` per call made inside the chain's project functions."""
        literals = decode_args(args)
        chain = self._blocking(target, category, literals)
        if chain is None:
            return ()
        hops = []
        known = self._bound(target, literals) if literals else ()
        values: dict[str, object] = {}  # the literal values of the current function's params
        for index, name in enumerate(chain[:-1]):
            function = self.facts_of(name)
            if function is None:
                break
            rest = chain[index + 1 :]
            if index == 0:
                values = self._live(function, known)
            for site in function.sites:
                if values and ruled_out(site.guards, values):
                    continue
                target = _as_seen(site.target, function.qualname, name)
                if site.how == "read" and not self._is_getter(target):
                    continue
                passed = self._passed(site, values)
                if site.how in _RUNS and self._blocking(target, category, passed) == rest:
                    hops.append(Hop(rest[0], self.path_of(function.qualname), site.line, site.col))
                    following = self.facts_of(rest[0])
                    values = (
                        self._live(following, self._bound(target, passed))
                        if following is not None and passed
                        else {}
                    )
                    break
            else:
                break
        return tuple(hops)

    @_query
    def blocking_sinks(self, target: str, category: str, args: str = "") -> tuple[Hop, ...]:
        """Every call of an API of ``category`` that calling ``target`` may run, each placed
        where it is made (``blocking_chain`` follows only the first one, in source order):
        through every plain `def` project function on the way and every implementation a call
        may dispatch to. At most ``MAX_SINKS``, in the order they are met. ``args`` as for
        ``blocking_chain``."""
        literals = decode_args(args)
        return self._sinks_of(target, category, self._bound(target, literals) if literals else ())

    def _sinks_of(
        self, target: str, category: str, known: tuple[tuple[str, object], ...] = ()
    ) -> tuple[Hop, ...]:
        key = (target, category, known) if known else (target, category)
        if key in self._sinks:
            return self._sinks[key]
        self._sinks[key] = ()  # cycle guard
        found: dict[tuple[str, int, int], Hop] = {}
        resolved = self.resolve(target)
        function = self.functions.get(resolved)
        runs: list[tuple[str, FunctionFacts, tuple[tuple[str, object], ...]]]
        if function is not None and not (function.is_stub and function.is_method):
            runs = [(resolved, function, known)]
            if not target.startswith(SUPER):
                runs += [(name, facts, ()) for name, facts in self._subclass_runs(resolved)]
        else:
            runs = [
                (self._seen_from(name, kind), self.functions[name], ())
                for kind, name in self._dispatch_on(resolved, virtual=True)
                if name in self.functions
            ]
            runs += [(name, self.functions[name], ()) for name in self._stored(resolved)]
        for name, facts, bound in runs:
            for hop in self._function_sinks(name, facts, category, bound):
                found.setdefault((hop.path, hop.row, hop.column), hop)
        result = tuple(found.values())[:MAX_SINKS]
        self._sinks[key] = result
        return result

    def _function_sinks(
        self,
        name: str,
        function: FunctionFacts,
        category: str,
        known: tuple[tuple[str, object], ...] = (),
    ) -> Iterator[Hop]:
        if function.is_async or _CACHED.intersection(function.other_decorators):
            return
        opened = False
        values = self._live(function, known)
        for site in function.sites:
            if values and ruled_out(site.guards, values):
                continue
            target = _as_seen(site.target, function.qualname, name)
            if site.how != "call" and (site.how != "read" or not self._is_getter(target)):
                continue
            passed = self._passed(site, values)
            chain = self._blocking(target, category, passed)
            if chain is None:
                continue
            if len(chain) == 1:  # the API itself, called here
                if opened and chain[0].startswith("io."):
                    continue  # a read or write of the file this function opened: the same I/O
                opened = opened or chain[0].endswith((".open", ".fdopen"))
                yield Hop(chain[0], self.path_of(function.qualname), site.line, site.col)
            else:
                yield from self._sinks_of(
                    target, category, self._bound(target, passed) if passed else ()
                )

    @_query
    def is_generator(self, target: str) -> bool:
        """Whether calling ``target`` only builds a generator (a project `def` with `yield`)."""
        function = self.functions.get(self.resolve(target))
        return function is not None and function.is_generator and not function.is_async

    @_query
    def path_of(self, qualname: str) -> str:
        """The file that defines a project function ("" when unknown)."""
        module, _ = self._split(qualname)
        return self.modules[module].path if module is not None else ""

    # --- project classes ------------------------------------------------------------------

    @_query
    def implementations(self, target: str) -> tuple[str, ...]:
        """The project functions a call target may run: the function itself, a method looked up
        through the classes of the object it is called on (an abstract method: its subclasses'
        implementations), a class's `__init__`."""
        resolved = self.resolve(target)
        function = self.functions.get(resolved)
        if function is not None and not (function.is_stub and function.is_method):
            if target.startswith(SUPER):
                return (resolved,)
            return tuple(dict.fromkeys((resolved, *self._subclass_functions(resolved))))
        found = tuple(
            name for name in self._dispatch(resolved, virtual=True) if name in self.functions
        )
        return found or self._stored(resolved)

    @_query
    def loop_callees(self, target: str, self_class: str) -> tuple[str, ...]:
        """What a call ``target`` made in a function that runs with `self` a ``self_class``
        object ("" outside methods) may run, each named as it runs (`facts_of`): the project
        function, `Sub.m` for a method `Sub` inherits (its `self.x()` calls are `Sub`'s),
        `B.m@K` for a base's method `K` calls through `super()`, and on an object of a class
        the project never builds by name (`_open`), each subclass's method."""
        if target.startswith(SUPER):
            base = self.resolve(target)
            if base == target:
                return ()  # a library's method
            return (self._view(base, self_class),)
        resolved = self.resolve(target)
        function = self.functions.get(resolved)
        if function is not None and not (function.is_stub and function.is_method):
            return tuple(
                dict.fromkeys((resolved, *(name for name, _ in self._subclass_runs(resolved))))
            )
        found = tuple(
            self._seen_from(name, kind)
            for kind, name in self._dispatch_on(resolved, virtual=True)
            if name in self.functions
        )
        return tuple(dict.fromkeys(found)) or self._stored(resolved)

    def _view(self, function: str, self_class: str) -> str:
        """``function`` (a method) as it runs with `self` a ``self_class`` object."""
        owner, _, method = function.rpartition(".")
        if not self_class or self_class == owner or self._class_info(self_class) is None:
            return function
        if owner not in self._mro(self_class):
            return function
        if self._methods(self_class, method) == (function,):
            return f"{self_class}.{method}"  # inherited: `_seen_from`'s name
        return f"{function}{VIEW}{self_class}"

    @_query
    def calls_argument(self, via: str, argument: str) -> bool:
        """Whether a project function ``via`` names calls the function handed to it as
        ``argument`` (a position, "0" for the first argument after `self`, or a keyword;
        `CallFact.arg`): `await self._trace("chat", self._chat, payload)` with `async def
        _trace(self, name, method, *args): return await method(*args)`."""
        if not argument:
            return False
        for name in self.implementations(via):
            function = self.functions[name]
            if not function.called_params:
                continue
            if not argument.isdigit():
                if argument in function.called_params:
                    return True
                continue
            bound = function.is_method and "builtins.staticmethod" not in function.other_decorators
            position = int(argument) + (1 if bound else 0)
            params = function.params
            if position < len(params) and params[position] in function.called_params:
                return True
        return False

    def _stored(self, attribute: str) -> tuple[str, ...]:
        """The project functions stored in the attribute ``attribute`` names (resolved)."""
        if "." not in attribute:
            return ()
        table = self.memo("index.stored_callables", ProjectIndex._stored_table)
        return table.get(attribute, ())

    def _stored_table(self) -> dict[str, tuple[str, ...]]:
        table: dict[str, list[str]] = {}
        for module in dict.values(self.modules):
            for attribute, function in module.stored_callables:
                table.setdefault(self.resolve(attribute), []).append(self.resolve(function))
        return {name: tuple(sorted(set(found))) for name, found in table.items()}

    def _class_info(self, qualname: str) -> Any:
        module_name, _ = self._split(qualname)
        if module_name is None:
            return None
        classes = self.modules[module_name].extra.get("classes")
        return classes.classes.get(qualname) if classes is not None else None

    def _dispatch(self, resolved: str, virtual: bool = False) -> tuple[str, ...]:
        """Project methods (or `<library type>.<method>` names) a call of ``resolved`` runs."""
        return tuple(dict.fromkeys(name for _, name in self._dispatch_on(resolved, virtual)))

    def _dispatch_on(
        self, resolved: str, virtual: bool = False
    ) -> tuple[tuple[str | None, str], ...]:
        """`_dispatch`'s names, each with the project class of the object it runs on (None
        for a library type's method). ``virtual``: on an object of a class the project never
        builds by name, also what each subclass runs (`_subclass_runs`)."""
        if self._class_info(resolved) is not None:  # a constructor
            return tuple((resolved, name) for name in self._methods(resolved, "__init__"))
        owner, _, method = resolved.rpartition(".")
        if not owner:
            return ()
        found: list[tuple[str | None, str]] = []
        for kind in self._types_of(owner):
            if self._class_info(kind) is not None:
                methods = self._methods(kind, method)
                found.extend((kind, name) for name in methods)
                if virtual and len(methods) == 1 and not self.functions[methods[0]].is_stub:
                    found.extend(self._subclass_methods(kind, method))
            else:
                found.append((None, f"{kind}.{method}"))
        return tuple(dict.fromkeys(found))

    def _types_of(self, owner: str) -> tuple[str, ...]:
        """The classes (project or library) the object ``owner`` names may be: a class itself,
        a module-level instance, an attribute of a class, the values of a module-level dict."""
        if owner.endswith(ITEM_OF):  # `for element in self.elements`: one of its items
            found: list[str] = []
            for kind in self._types_of(owner[: -len(ITEM_OF)]):
                if kind.endswith(LIST_OF):  # `elements: List[ElementBased]`
                    found.extend(self._types_of(kind[: -len(LIST_OF)]))
            return tuple(dict.fromkeys(found))
        item = _ITEM.search(owner)
        if item is not None:  # `provider, config = make()`: an element of what it returns
            kinds = self._item_types(owner[: item.start() - 2], int(item.group(1)))
            for attribute_name in filter(None, owner[item.end() :].split(".")):
                kinds = self._attributes_types(kinds, attribute_name)
            return kinds
        if owner.endswith("[]"):
            name = self.resolve(owner[:-2])
            module_name, attribute = self._split(name)
            if module_name is None:
                return ()
            classes = self.modules[module_name].extra.get("classes")
            values = classes.dicts.get(attribute, ()) if classes is not None else ()
            return tuple(self.resolve(value) for value in values)
        if owner.endswith("()"):  # the result of a factory: its return annotation
            callee = owner[:-2]
            head, found, method = callee.rpartition("().")
            if found and "." not in method:  # `_path(x).with_suffix()`: a method of a result
                return tuple(
                    dict.fromkeys(
                        kind
                        for base in self._types_of(head + "()")
                        if (kind := self._returned_by(base, method)) is not None
                    )
                )
            base, _, read = callee.rpartition(".")
            if read in _DICT_READS and base and not base.endswith(")"):
                values = self._types_of(base + "[]")  # `SESSIONS.get(key)`: a value of it
                if values:
                    return values
            return self._made_by_types(callee)
        if "()." in owner:  # `get_config_path().parent`: attributes of a result
            head, _, rest = owner.rpartition("().")
            kinds: tuple[str, ...] = self._types_of(head + "()")
            for attribute_name in rest.split("."):
                kinds = self._attributes_types(kinds, attribute_name)
            return kinds
        resolved = self.resolve(owner)
        if self._class_info(resolved) is not None:
            return (resolved,)
        module_name, attribute = self._split(resolved)
        if module_name is None:
            return ()
        head, *rest = attribute.split(".")
        start = f"{module_name}.{head}"
        kinds = ()
        if self._class_info(start) is not None:
            kinds = (start,)  # `Class.attribute...`: rest names attributes
        else:
            binding = self.modules[module_name].bindings.get(head)
            if binding is not None and binding.kind == "instance":
                kinds = (binding.target,)
            else:
                classes = self.modules[module_name].extra.get("classes")
                callee = classes.made_by.get(head) if classes is not None else None
                kinds = self._made_by_types(callee) if callee is not None else ()
        for attribute_name in rest:
            kinds = self._attributes_types(kinds, attribute_name)
        return kinds

    def _made_by(self, callee: str) -> str | None:
        """The class of what calling ``callee`` returns, when it is one (`_made_by_types`)."""
        kinds = self._made_by_types(callee)
        return kinds[0] if len(kinds) == 1 else None

    def _made_by_types(self, callee: str) -> tuple[str, ...]:
        """The classes of what calling ``callee`` returns: the class itself, the class a
        project function's return annotation names, or each class an unannotated factory
        builds (`return AzureDeployer(...)` in one branch, `return GCPDeployer()` in another)."""
        resolved = self.resolve(callee)
        if self._class_info(resolved) is not None:
            return (resolved,)
        function = self.functions.get(resolved)
        if function is None:  # a method of an object whose class is known: `app.get_blocks`
            methods = [name for name in self._dispatch(resolved) if name in self.functions]
            if len(methods) == 1:
                resolved, function = methods[0], self.functions[methods[0]]
        if function is None or not function.returns:
            return ()
        if function.returns.endswith("[]"):  # `return SESSIONS.get(key)`: a value of that dict
            values = self._types_of(function.returns)
            return values if len(values) == 1 else ()
        found: list[str] = []
        for name in function.returns.split(UNION):
            returned = self.resolve(name)  # qualified as its module sees it
            if self._class_info(returned) is not None:
                found.append(returned)
            elif returned in ANNOTATED_TYPES:  # a library type: `-> Path`
                found.append(ANNOTATED_TYPES[returned])
            else:
                return ()  # a class the index does not know: what runs is not known
        return tuple(dict.fromkeys(found))

    def _item_types(self, callee: str, position: int) -> tuple[str, ...]:
        """The class of element ``position`` of what calling ``callee`` returns, when its
        return annotation is a fixed-length tuple (`-> tuple[BaseProvider, Config]`)."""
        resolved = self.resolve(callee)
        function = self.functions.get(resolved)
        if function is None:  # a method of an object whose class is known
            methods = [name for name in self._dispatch(resolved) if name in self.functions]
            if len(methods) != 1:
                return ()
            resolved, function = methods[0], self.functions[methods[0]]
        items = function.returns_items
        if position >= len(items) or not items[position]:
            return ()
        found = []
        for name in items[position].split(UNION):
            returned = self.resolve(name)
            if self._class_info(returned) is not None:
                found.append(returned)
            elif returned in ANNOTATED_TYPES:
                found.append(ANNOTATED_TYPES[returned])
            else:
                return ()
        return tuple(dict.fromkeys(found))

    def _returned_by(self, kind: str, method: str) -> str | None:
        """The class of what ``kind``'s ``method`` returns: a library chain (`Path.parent`), or
        the return annotation of the project method."""
        if self._class_info(kind) is None:
            return CHAINS.get((kind, method))
        methods = self._methods(kind, method)
        return self._made_by(methods[0]) if len(methods) == 1 else None

    def _attributes_types(self, kinds: tuple[str, ...], attribute: str) -> tuple[str, ...]:
        """The classes ``attribute`` of an object of one of ``kinds`` may be."""
        found: list[str] = []
        for kind in kinds:
            found.extend(self._attribute_types(kind, attribute))
        return tuple(dict.fromkeys(found))

    def _attribute_types(self, kind: str, attribute: str) -> tuple[str, ...]:
        """The classes ``attribute`` of a ``kind`` object may be: one, or each class of an
        attribute annotated with a union (`session: Union[HTTPSession, WebsocketSession]`)."""
        if self._class_info(kind) is None:
            found = CHAINS.get((kind, attribute))
            return (found,) if found is not None else ()
        for cls in self._mro(kind):
            info = self._class_info(cls)
            if info is not None and attribute in info.attributes:
                found = info.attributes[attribute]
                if found.startswith("="):  # `self.store = storage`: what that object is
                    kinds = self._types_of(found[1:])
                    return kinds if len(kinds) == 1 else ()
                names = []
                for name in found.split(UNION):
                    resolved = self.resolve(name)
                    names.append(resolved if self._class_info(resolved) is not None else name)
                return tuple(names)
        return ()

    def _mro(self, cls: str) -> list[str]:
        order: list[str] = []
        pending = [cls]
        while pending and len(order) < 32:
            current = pending.pop(0)
            if current in order:
                continue
            order.append(current)
            info = self._class_info(current)
            if info is not None:
                pending.extend(self.resolve(base) for base in info.bases)
        return order

    def _methods(self, cls: str, method: str) -> tuple[str, ...]:
        found = None
        for current in self._mro(cls):
            name = f"{current}.{method}"
            if name in self.functions:
                found = name
                break
        if found is not None and not self.functions[found].is_stub:
            return (found,)
        if method.startswith("__"):
            return ()
        # abstract or missing here: what the project's subclasses implement
        implementations = []
        for sub in self._subclasses(cls):
            name = f"{sub}.{method}"
            function = self.functions.get(name)
            if function is not None and not function.is_stub:
                implementations.append(name)
        return tuple(sorted(implementations))

    def _subclasses(self, cls: str) -> list[str]:
        """The project's subclasses of ``cls`` at any depth, nearest first."""
        table = self.memo("index.subclasses", ProjectIndex._subclass_table)
        found: list[str] = []
        pending, seen = list(table.get(cls, ())), {cls}
        while pending:
            sub = pending.pop(0)
            if sub in seen:
                continue
            seen.add(sub)
            found.append(sub)
            pending.extend(table.get(sub, ()))
        return found

    def _open(self, cls: str) -> bool:
        """Whether an object typed ``cls`` is always one of its project subclasses' objects:
        the project never builds a ``cls`` by name (an abstract base, a base whose subclass
        configuration picks: `provider_class = registry.get(name); provider_class(config)`)."""
        table = self.memo("index.subclasses", ProjectIndex._subclass_table)
        if not table.get(cls):
            return False
        return cls not in self.memo("index.built", ProjectIndex._built_table)

    def _built_table(self) -> frozenset[str]:
        """The project classes built by name somewhere: called (`C(...)`, `Depends(C)`), or
        bound at module level (`client = C(...)`)."""
        built: set[str] = set()
        for module in dict.values(self.modules):
            for function in module.functions.values():
                built.update(self.resolve(site.target) for site in function.sites)
            built.update(self.resolve(target) for target in module.depends_targets)
            classes = module.extra.get("classes")
            if classes is not None:
                built.update(self.resolve(callee) for callee in classes.made_by.values())
        return frozenset(name for name in built if self._class_info(name) is not None)

    def _subclass_methods(self, cls: str, method: str) -> list[tuple[str | None, str]]:
        """(subclass, the method it runs) for each project subclass of ``cls``, at any depth,
        when ``cls`` is `_open` (not for dunder methods: `__init__` runs through `super()`)."""
        if method.startswith("__") or not self._open(cls):
            return []
        return [(sub, name) for sub in self._subclasses(cls) for name in self._methods(sub, method)]

    def _subclass_runs(self, function: str) -> list[tuple[str, FunctionFacts]]:
        """The method ``function`` (`pkg.B.m`, called as `self.m()` in `B`) as each subclass of
        an `_open` `B` runs it, named as it runs (`Sub.m` inherited, or `Sub`'s override)."""
        owner, _, method = function.rpartition(".")
        if not owner or self._class_info(owner) is None:
            return []
        return [
            (self._seen_from(name, sub), self.functions[name])
            for sub, name in self._subclass_methods(owner, method)
            if name in self.functions
        ]

    def _subclass_functions(self, function: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(found.qualname for _, found in self._subclass_runs(function)))

    def _subclass_table(self) -> dict[str, tuple[str, ...]]:
        table: dict[str, set[str]] = {}
        for module in dict.values(self.modules):
            classes = module.extra.get("classes")
            if classes is None:
                continue
            for name, info in classes.classes.items():
                for base in info.bases:
                    table.setdefault(self.resolve(base), set()).add(name)
        return {base: tuple(sorted(subs)) for base, subs in table.items()}


def _as_seen(target: str, defined: str, seen: str) -> str:
    """A call target of the method ``defined`` as it runs as ``seen`` (`Sub.method`, see
    `ProjectIndex._seen_from`): `Base.x` (a `self.x()` call) is `Sub.x`."""
    if defined == seen:
        return target
    base = defined.rpartition(".")[0] + "."
    if not target.startswith(base):
        return target
    if VIEW in seen:  # `B.m@K`: `self` is a `K`
        return seen.partition(VIEW)[2] + "." + target[len(base) :]
    return seen.rpartition(".")[0] + "." + target[len(base) :]


def as_seen(target: str, defined: str, seen: str) -> str:
    """A call target of the function ``defined`` as it runs as ``seen`` (`facts_of`)."""
    return _as_seen(target, defined, seen)


def self_class(name: str, function: FunctionFacts) -> str:
    """The class of `self` in the function ``name`` runs as (`facts_of`); "" outside methods."""
    if VIEW in name:
        return name.partition(VIEW)[2]
    return name.rpartition(".")[0] if function.is_method else ""


def _stable(value: object) -> object:
    """A deterministic, position-free form of facts, for hashing (sets have no stable order
    across processes, so they are sorted). An index inside a value is a handle, not content:
    what a check asks it through the handle is recorded as its own read. Hot (every module's
    digest, every answer a cached check is validated with): dispatches on the type, once."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    how = _HOW.get(kind)
    if how is None:
        how = _HOW[kind] = _how(kind)
    if how is _SAME:
        return value
    if how is _INDEX:
        return "ProjectIndex"
    if how is _OWN:
        return _stable(kind.__stable__(value))  # type: ignore[attr-defined]
    if how is _DICT:
        return tuple(sorted(((repr(k), _stable(v)) for k, v in value.items()), key=repr))  # type: ignore[attr-defined]
    if how is _SET:
        return tuple(sorted((_stable(v) for v in value), key=repr))  # type: ignore[attr-defined]
    if how is _SEQUENCE:
        return tuple(_stable(v) for v in value)  # type: ignore[attr-defined]
    name, fields = how  # a dataclass: its name and the fields that are not positions
    return (name, tuple((f, _stable(getattr(value, f))) for f in fields))


def _stable_repr(value: object) -> str:
    """``repr(_stable(value))``, written directly: each part's text is made once (sorting by
    `repr` of the tuples `_stable` builds made every level of a nested value again)."""
    kind = type(value)
    if kind in _ATOMS:
        return repr(value)
    how = _HOW.get(kind)
    if how is None:
        how = _HOW[kind] = _how(kind)
    if how is _SAME:
        return repr(value)
    if how is _INDEX:
        return "'ProjectIndex'"
    if how is _OWN:
        return _stable_repr(kind.__stable__(value))  # type: ignore[attr-defined]
    if how is _DICT:
        parts = sorted(
            f"({repr(k)!r}, {_stable_repr(v)})"
            for k, v in value.items()  # type: ignore[attr-defined]
        )
    elif how is _SET:
        parts = sorted(_stable_repr(v) for v in value)  # type: ignore[attr-defined]
    elif how is _SEQUENCE:
        parts = [_stable_repr(v) for v in value]  # type: ignore[attr-defined]
    else:
        name, fields = how  # type: ignore[misc]
        parts = [f"({f!r}, {_stable_repr(getattr(value, f))})" for f in fields]
        text = f"({name!r}, {_tuple_repr(parts)})"
        if kind is FunctionFacts and " at 0x" not in text:
            # a function's answer to an "f" read, kept with it (the facts pass's module digest
            # writes every function's text): a fingerprint need not write it again
            value.__dict__[_DIGEST] = hashlib.sha256(text.encode()).hexdigest()
        return text
    return _tuple_repr(parts)


# the attribute a function's facts keep their `_value_digest` in, once `_stable_repr` wrote them
# (not a field: `dataclasses.replace` and equality leave it out; pickling keeps it)
_DIGEST = "_stable_digest"


def _tuple_repr(parts: list[str]) -> str:
    """The `repr` of a tuple whose items' reprs are ``parts``."""
    if len(parts) == 1:
        return f"({parts[0]},)"
    return f"({', '.join(parts)})"


_ATOMS = frozenset({str, int, bool, float, type(None), bytes})
_SAME, _INDEX, _OWN, _DICT, _SET, _SEQUENCE = (
    ("same",),
    ("index",),
    ("own",),
    ("d",),
    ("s",),
    ("q",),
)
_HOW: dict[type, object] = {}


def _how(kind: type) -> object:
    if issubclass(kind, ProjectIndex):
        return _INDEX
    if getattr(kind, "__stable__", None) is not None:  # an object that says what its content is
        return _OWN
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind) if f.name not in _POSITION_FIELDS)
        return (kind.__name__, names)
    if issubclass(kind, dict):
        return _DICT
    if issubclass(kind, (set, frozenset)):
        return _SET
    if issubclass(kind, (list, tuple)):
        return _SEQUENCE
    return _SAME


_PLAIN = frozenset({str, bool, int})


@functools.lru_cache(maxsize=512)
def _function(module: str, qualname: str) -> Callable[..., Any]:
    """The module-level function (or class method) a recorded `memo`/`ask` read names."""
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _value_digest(value: object, unstable: str) -> str:
    """A digest of an answer, positions left out; an answer that has no stable form (it holds
    objects printed with their address) stands for the whole project (``unstable``)."""
    if value is None or type(value) in _PLAIN:  # most answers: a name, a yes or no
        return repr(value)
    if type(value) is tuple and all(type(item) is str for item in value):
        return repr(value)
    text = _stable_repr(value)
    if " at 0x" in text:
        return "unstable " + unstable
    return hashlib.sha256(text.encode()).hexdigest()


def semantic_digest(facts: ModuleFacts) -> str:
    return hashlib.sha256(_stable_repr(facts).encode()).hexdigest()


def project_digest(modules: Iterable[ModuleFacts], unloaded_names: set[str]) -> str:
    """What every file's findings may depend on besides its own text: all facts, positions
    left out."""
    digest = hashlib.sha256()
    for module in sorted(modules, key=lambda m: m.module):
        digest.update(module.module.encode("utf-8", "surrogatepass"))
        digest.update((module.semantic_digest or semantic_digest(module)).encode())
    digest.update(repr(sorted(unloaded_names)).encode())
    return digest.hexdigest()
