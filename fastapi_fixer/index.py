"""The project index: cross-module facts built once from every module's `ModuleFacts`.

Rules ask it what a qualified name is (a route, a dependency, an app, a blocking function) and
never look at other files themselves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi_fixer.blocking import BlockingCatalog
from fastapi_fixer.facts import LOCAL_APP, LOCAL_ROUTER, FunctionFacts, ModuleFacts, RouteDecl

_MAX_HOPS = 8
T = TypeVar("T")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# fields that say where something is, not what it is: a change there alone (a line added above)
# does not change what other files' findings depend on
_POSITION_FIELDS = frozenset(
    {"line", "lineno", "col", "col_offset", "end_line", "end_lineno", "end_col", "end_col_offset"}
    | {"span", "path", "semantic_digest"}
)


@dataclass
class ProjectIndex:
    modules: dict[str, ModuleFacts]
    catalog: BlockingCatalog
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    dependencies: set[str] = field(default_factory=set)
    references: set[str] = field(default_factory=set)
    _by_suffix: dict[str, str | None] = field(default_factory=dict)
    _chains: dict[tuple[str, str], tuple[str, ...] | None] = field(default_factory=dict)

    unloaded_names: frozenset[str] = frozenset()
    digest: str = ""
    # the index never changes once built: answers are memoised (rules ask the same questions
    # for every file)
    _resolved: dict[str, str] = field(default_factory=dict)
    _memo: dict[str, object] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        facts: Iterable[ModuleFacts],
        catalog: BlockingCatalog,
        unloaded_texts: Iterable[str] = (),
    ) -> ProjectIndex:
        """``unloaded_texts``: files the prefilter did not analyse; the words in them keep
        `is_referenced` conservative."""
        index = cls(modules={}, catalog=catalog)
        words: set[str] = set()
        for text in unloaded_texts:
            words.update(_WORD.findall(text))
        index.unloaded_names = frozenset(words)
        for module in facts:
            index.modules[module.module] = module
        for name in index.modules:
            parts = name.split(".")
            for start in range(1, len(parts) - 1):
                suffix = ".".join(parts[start:])
                index._by_suffix[suffix] = None if suffix in index._by_suffix else name
        for module in index.modules.values():
            index.functions.update(module.functions)
        for module in index.modules.values():
            index.dependencies.update(index.resolve(t) for t in module.depends_targets)
            index.references.update(index.resolve(r) for r in module.references)
        index.digest = project_digest(index.modules.values(), index.unloaded_names)
        return index

    # --- names ---------------------------------------------------------------------------

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
        found = self._resolved.get(qualname)
        if found is None:
            found = self._resolved[qualname] = self._resolve(qualname)
        return found

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """A project-wide answer a rule computes once per run (per worker), not once per file."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]

    def referrers(self, qualname: str) -> frozenset[str]:
        """Modules that use ``qualname`` (as written, or after resolving) other than as a
        decorator or a `Depends` target."""
        table = self.memo("index.referrers", self._referrer_table)
        return table.get(qualname, frozenset())

    def _referrer_table(self) -> dict[str, frozenset[str]]:
        table: dict[str, set[str]] = {}
        for module in self.modules.values():
            for reference in module.references:
                table.setdefault(reference, set()).add(module.module)
                table.setdefault(self.resolve(reference), set()).add(module.module)
        return {name: frozenset(found) for name, found in table.items()}

    def _resolve(self, qualname: str) -> str:
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

    def _split(self, qualname: str) -> tuple[str | None, str]:
        parts = qualname.split(".")
        for end in range(len(parts) - 1, 0, -1):
            found = self.find_module(".".join(parts[:end]))
            if found is not None:
                return found, ".".join(parts[end:])
        return None, qualname

    def binding_of(self, qualname: str):
        module_name, attribute = self._split(self.resolve(qualname))
        if module_name is None or "." in attribute:
            return None
        return self.modules[module_name].bindings.get(attribute)

    # --- FastAPI objects -----------------------------------------------------------------

    def app_kind(self, receiver: str) -> str | None:
        """`app` or `router` when ``receiver`` is a FastAPI()/APIRouter() instance."""
        if receiver == LOCAL_APP:
            return "app"
        if receiver == LOCAL_ROUTER:
            return "router"
        if receiver.endswith(".router"):  # `app.router` is the app's APIRouter
            owner = self.app_kind(receiver[: -len(".router")])
            if owner == "app":
                return "router"
        binding = self.binding_of(receiver)
        if binding is None or binding.kind != "app":
            return None
        return binding.detail or None

    def routes_of(self, function: str) -> tuple[RouteDecl, ...]:
        facts = self.functions.get(function)
        if facts is None:
            return ()
        return tuple(r for r in facts.routes if self.app_kind(r.receiver) is not None)

    def is_route(self, function: str) -> bool:
        return bool(self.routes_of(function))

    def is_dependency(self, function: str) -> bool:
        return function in self.dependencies

    def is_referenced(self, function: str) -> bool:
        """True when code anywhere uses the function other than as a decorator target or a
        ``Depends``/``Security`` dependency: it might call or await it directly."""
        if function in self.references:
            return True
        return function.rpartition(".")[2] in self.unloaded_names

    # --- what blocks ---------------------------------------------------------------------

    def blocking_chain(self, target: str, category: str) -> tuple[str, ...] | None:
        """The chain from ``target`` to the API of ``category`` it ends in, or None.

        ``target`` is a call target as facts record it: a library API (`time.sleep`), a known
        object's method (`requests.Session.get`), or a project function, which blocks when it is
        a plain `def` that calls something blocking, directly or through other project functions.
        """
        key = (target, category)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = None  # cycle guard
        result = self._compute_chain(target, category)
        self._chains[key] = result
        return result

    def _compute_chain(self, target: str, category: str) -> tuple[str, ...] | None:
        resolved = self.resolve(target)
        function = self.functions.get(resolved)
        if function is not None:
            if function.is_async:
                return None
            for call in function.calls:
                chain = self.blocking_chain(call, category)
                if chain is not None:
                    return (resolved, *chain)
            return None
        if self.catalog.category_of_call(resolved) == category:
            return (resolved,)
        owner, _, method = resolved.rpartition(".")
        binding = self.binding_of(owner) if owner else None
        if binding is not None and binding.kind == "instance":
            if self.catalog.category_of_method(binding.target, method) == category:
                return (f"{binding.target}.{method}",)
            return None
        if owner and "." in owner and self.catalog.category_of_method(owner, method) == category:
            return (resolved,)
        return None


def _stable(value: object) -> object:
    """A deterministic, position-free form of facts, for hashing (sets have no stable order
    across processes, so they are sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _stable(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name not in _POSITION_FIELDS
            ),
        )
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), _stable(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted((_stable(v) for v in value), key=repr))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(v) for v in value)
    return value


def semantic_digest(facts: ModuleFacts) -> str:
    return hashlib.sha256(repr(_stable(facts)).encode()).hexdigest()


def project_digest(modules: Iterable[ModuleFacts], unloaded_names: frozenset[str]) -> str:
    """What every file's findings may depend on besides its own text: all facts, positions
    left out."""
    digest = hashlib.sha256()
    for module in sorted(modules, key=lambda m: m.module):
        digest.update(module.module.encode())
        digest.update((module.semantic_digest or semantic_digest(module)).encode())
    digest.update(repr(sorted(unloaded_names)).encode())
    return digest.hexdigest()
