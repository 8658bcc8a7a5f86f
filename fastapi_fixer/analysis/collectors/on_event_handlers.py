"""Startup/shutdown handler registrations, app constructions and module-level imports (FF706).

Stored as ``facts.extra["on_event_handlers"]``: an ``EventFacts`` with
- ``registrations``: every ``@<x>.on_event("startup"|...)`` decorator and every
  ``<x>.add_event_handler(event, fn)`` call, wherever it is;
- ``router_hooks``: the lower-level hooks a lifespan would silently disable
  (``<x>.router.on_startup.append(f)``, ``<x>.router.lifespan_context = ...``,
  ``FastAPI(on_startup=[...])``), report-only;
- ``apps``: module-level ``name = FastAPI(...)`` constructions and their keywords;
- ``steps``: the module's top-level imports and registrations in execution order, so the rule can
  replay the order the handlers are registered in when the app's module is imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes, walk
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver, resolve_relative

KEY = "on_event_handlers"

_APP_CONSTRUCTORS = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
_ACM = frozenset({"contextlib.asynccontextmanager"})
_TYPE_CHECKING = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})
# what `_Collector.run` looks at below the top level: handlers, calls, `router.on_startup = ...`
_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Call, ast.Assign, ast.AugAssign})


@dataclass(frozen=True)
class Registration:
    kind: str  # "decorator" | "call"
    receiver: str | None  # qualified name of the object `on_event` is called on
    receiver_text: str | None  # the receiver as written (`app`, `main.app`)
    event: str | None  # "startup" / "shutdown" / other literal; None when not a literal
    handler: str | None  # qualified name of the handler as this module sees it
    local_name: str | None  # the handler's name in this module (decorated function's name)
    line: int
    col: int
    end_line: int
    end_col: int
    top_level: bool  # a module-level function / a module-level expression statement
    other_decorators: int  # decorators of the function that are not `on_event` calls
    name_bindings: int  # how many module-level statements bind the handler's local name


@dataclass(frozen=True)
class RouterHook:
    owner: str | None  # qualified name of the app whose router is touched
    what: str  # e.g. "app.router.on_startup.append"
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class AppConstruction:
    name: str  # the module-level name bound to `FastAPI(...)`
    constructor: str  # source of the callee: "FastAPI" / "fastapi.FastAPI"
    line: int
    lifespan: str | None  # qualified name of the `lifespan=` value ("" when not a name)
    lifespan_name: str | None  # the `lifespan=` value's name in this module
    on_startup: bool  # `on_startup=`/`on_shutdown=` keywords
    star_kwargs: bool  # `**kwargs` in the call


@dataclass(frozen=True)
class EventFacts:
    registrations: tuple[Registration, ...]
    router_hooks: tuple[RouterHook, ...]
    apps: tuple[AppConstruction, ...]
    # ("import", modules) / ("maybe-import", modules) / ("register", index into registrations)
    steps: tuple[tuple[str, object], ...]
    future_annotations: bool

    @property
    def demands(self) -> tuple[str, ...]:
        """Handlers defined elsewhere, whose facts (sync or async?) the rule needs; the engine
        analyses their modules even when the text prefilter skipped them."""
        return tuple(r.handler for r in self.registrations if r.kind == "call" and r.handler)


def collect(tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes) -> EventFacts:
    collector = _Collector(facts, resolver)
    collector.run(tree)
    return EventFacts(
        tuple(collector.registrations),
        tuple(collector.hooks),
        tuple(collector.apps),
        tuple(collector.steps),
        collector.future,
    )


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_on_event(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr == "on_event"
    )


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _event_arg(call: ast.Call, keyword: str) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return None


def _bound_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in statement.names]
    names: list[str] = []
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    for target in targets:
        names.extend(n.id for n in walk(target) if isinstance(n, ast.Name))
    return names


class _Collector:
    def __init__(self, facts: ModuleFacts, resolver: Resolver) -> None:
        self.facts = facts
        self.resolver = resolver
        self.registrations: list[Registration] = []
        self.hooks: list[RouterHook] = []
        self.apps: list[AppConstruction] = []
        self.steps: list[tuple[str, object]] = []
        self.future = False
        self.name_counts: dict[str, int] = {}

    def run(self, tree: ast.Module) -> None:
        for statement in tree.body:
            for name in _bound_names(statement):
                self.name_counts[name] = self.name_counts.get(name, 0) + 1
            if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
                self.future = self.future or any(a.name == "annotations" for a in statement.names)
        top_level_nodes: set[int] = set()
        for statement in tree.body:
            self._top_statement(statement, top_level_nodes)
        for node in walk(tree):
            if type(node) not in _NESTED or id(node) in top_level_nodes:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if _is_on_event(decorator):
                        self._register_decorator(node, decorator, top_level=False)
            elif isinstance(node, ast.Call):
                self._nested_call(node)
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                self._hook_assignment(node)

    # --- module-level statements, in order ---------------------------------------------

    def _top_statement(self, statement: ast.stmt, seen: set[int]) -> None:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            self.steps.append(("import", self._imported_modules(statement)))
            return
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            on_events = [d for d in statement.decorator_list if _is_on_event(d)]
            # decorators apply bottom-up: the lowest registers first
            for decorator in reversed(on_events):
                index = self._register_decorator(statement, decorator, top_level=True)
                if index >= 0:
                    self.steps.append(("register", index))
                seen.add(id(decorator))
            seen.add(id(statement))  # nested functions are walked separately
            for decorator in statement.decorator_list:
                seen.add(id(decorator))
            return
        if (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute)
            and statement.value.func.attr == "add_event_handler"
        ):
            index = self._register_call(statement.value, top_level=True)
            self.steps.append(("register", index))
            seen.add(id(statement.value))
            return
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            self._app_construction(statement)
        if isinstance(statement, ast.If) and self._is_type_checking(statement.test):
            for node in walk(statement):
                seen.add(id(node))
            return
        if isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or (
            hasattr(ast, "TryStar") and isinstance(statement, ast.TryStar)
        ):
            for node in walk(statement):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    self.steps.append(("maybe-import", self._imported_modules(node)))

    def _is_type_checking(self, test: ast.expr) -> bool:
        return self.resolver.qualify(test) in _TYPE_CHECKING or (
            isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
        )

    def _imported_modules(self, node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
        """Modules the statement imports, parents first (`import a.b` runs `a`, then `a.b`)."""
        found: list[str] = []

        def add_with_parents(name: str) -> None:
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate and candidate not in found:
                    found.append(candidate)

        if isinstance(node, ast.Import):
            for alias in node.names:
                add_with_parents(alias.name)
            return tuple(found)
        base = (
            resolve_relative(self.facts.module, self.facts.is_package, node.level, node.module)
            if node.level
            else (node.module or "")
        )
        if base:
            add_with_parents(base)
        for alias in node.names:
            if alias.name != "*":
                add_with_parents(f"{base}.{alias.name}" if base else alias.name)
        return tuple(found)

    def _app_construction(self, statement: ast.Assign | ast.AnnAssign) -> None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        value = statement.value
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return
        if not isinstance(value, ast.Call) or self.resolver.qualify(value.func) not in (
            _APP_CONSTRUCTORS
        ):
            return
        constructor = _dotted(value.func)
        if constructor is None:
            return
        lifespan: str | None = None
        lifespan_name: str | None = None
        on_startup = star = False
        for keyword in value.keywords:
            if keyword.arg is None:
                star = True
            elif keyword.arg == "lifespan":
                lifespan = self.resolver.qualify(keyword.value) or ""
                if isinstance(keyword.value, ast.Name):
                    lifespan_name = keyword.value.id
                else:
                    lifespan = ""
            elif keyword.arg in ("on_startup", "on_shutdown"):
                on_startup = True
                self.hooks.append(
                    self._hook(
                        f"{self.facts.module}.{targets[0].id}",
                        f"FastAPI({keyword.arg}=...)",
                        keyword,
                    )
                )
        self.apps.append(
            AppConstruction(
                targets[0].id,
                constructor,
                statement.lineno,
                lifespan,
                lifespan_name,
                on_startup,
                star,
            )
        )

    # --- registrations -----------------------------------------------------------------

    def _register_decorator(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr, top_level: bool
    ) -> int:
        assert isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
        receiver_node = decorator.func.value
        event = _literal(_event_arg(decorator, "event_type"))
        self.registrations.append(
            Registration(
                kind="decorator",
                receiver=self._receiver(receiver_node),
                receiver_text=_dotted(receiver_node),
                event=event,
                handler=f"{self.facts.module}.{function.name}" if top_level else None,
                local_name=function.name,
                line=decorator.lineno,
                col=decorator.col_offset,
                end_line=decorator.end_lineno or decorator.lineno,
                end_col=decorator.end_col_offset or 0,
                top_level=top_level,
                other_decorators=sum(1 for d in function.decorator_list if not _is_on_event(d)),
                name_bindings=self.name_counts.get(function.name, 0) if top_level else 0,
            )
        )
        return len(self.registrations) - 1

    def _register_call(self, call: ast.Call, top_level: bool) -> int:
        assert isinstance(call.func, ast.Attribute)
        event = _literal(_event_arg(call, "event_type"))
        handler_node: ast.expr | None = call.args[1] if len(call.args) > 1 else None
        for keyword in call.keywords:
            if keyword.arg == "func":
                handler_node = keyword.value
        handler = local = None
        if isinstance(handler_node, ast.Name) and top_level:
            local = handler_node.id
            qualified = self.resolver.qualify(handler_node)
            if qualified is not None and not qualified.startswith("builtins."):
                handler = qualified
        self.registrations.append(
            Registration(
                kind="call",
                receiver=self._receiver(call.func.value),
                receiver_text=_dotted(call.func.value),
                event=event,
                handler=handler,
                local_name=local,
                line=call.lineno,
                col=call.col_offset,
                end_line=call.end_lineno or call.lineno,
                end_col=call.end_col_offset or 0,
                top_level=top_level,
                other_decorators=0,
                name_bindings=self.name_counts.get(local, 0) if local else 0,
            )
        )
        return len(self.registrations) - 1

    def _nested_call(self, call: ast.Call) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        if func.attr == "add_event_handler":
            self._register_call(call, top_level=False)
        elif func.attr in ("append", "extend", "insert") and isinstance(func.value, ast.Attribute):
            holder = func.value
            if holder.attr in ("on_startup", "on_shutdown") and self._router_owner(holder.value):
                self._add_hook(holder.value, f"router.{holder.attr}.{func.attr}", call)

    def _hook_assignment(self, node: ast.Assign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in ("on_startup", "on_shutdown", "lifespan_context")
                and self._router_owner(target.value)
            ):
                self._add_hook(target.value, f"router.{target.attr} = ...", node)

    # --- `<app>.router` hooks ----------------------------------------------------------

    def _receiver(self, node: ast.expr) -> str | None:
        """`app.router.on_event`/`app.router.add_event_handler` fill the same list as
        `app.on_event`: their receiver is the app."""
        if self._router_owner(node):
            assert isinstance(node, ast.Attribute)
            owner = self.resolver.qualify(node.value)
            return f"{owner}.router" if owner is not None else None
        return self.resolver.qualify(node)

    @staticmethod
    def _router_owner(node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "router"

    def _add_hook(self, router_node: ast.expr, what: str, node: ast.AST) -> None:
        assert isinstance(router_node, ast.Attribute)
        owner = self.resolver.qualify(router_node.value)
        name = _dotted(router_node.value) or "app"
        self.hooks.append(self._hook(owner, f"{name}.{what}", node))

    @staticmethod
    def _hook(owner: str | None, what: str, node: ast.AST) -> RouterHook:
        line = node.lineno  # type: ignore[attr-defined]
        return RouterHook(
            owner,
            what,
            line,
            node.col_offset,  # type: ignore[attr-defined]
            node.end_lineno or line,  # type: ignore[attr-defined]
            node.end_col_offset or 0,  # type: ignore[attr-defined]
        )
