"""Cheap per-module analysis on the standard library's `ast`: names, imports, functions, routes.

Everything here is computed from one file alone, so it can be cached by the file's content and
computed in parallel. Cross-module meaning (is this name an app? does this function block?) is
the project index's job (`index.py`).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

from fastapi_fixer.analysis.astwalk import SCOPE_TYPES, OwnNodes, children, own_nodes
from fastapi_fixer.analysis.blocking import (
    ANNOTATED_TYPES,
    CHAINS,
    ENTERS_AS_OTHER,
    EXIT_BLOCKS,
    FACTORIES,
    THREADPOOL_WRAPPERS,
)
from fastapi_fixer.analysis.guards import ArgFact, FunctionGuards, Guard, function_guards

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket"}
)
APP_CONSTRUCTORS = {
    "fastapi.FastAPI": "app",
    "fastapi.applications.FastAPI": "app",
    "fastapi.APIRouter": "router",
    "fastapi.routing.APIRouter": "router",
}
# `fastapi.Depends` is `fastapi.param_functions.Depends`, which builds a `fastapi.params.Depends`
DEPENDS_CALLS = frozenset(
    f"{module}.{name}"
    for module in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in ("Depends", "Security")
)
LOCAL_APP = "<local-app>"
LOCAL_ROUTER = "<local-router>"
# `Binding("other", CONSTRUCTED + callee)`: a name bound to the result of calling ``callee``
CONSTRUCTED = "call:"
# the receiver of a route on an object built by a project class, bound in a function
LOCAL_BUILT = "<local:"
# `super().method()` in a method of `pkg.C`: the call target `super:pkg.C.method`, the first
# class after `C` in its MRO that defines `method` (`ProjectIndex.resolve`)
SUPER = "super:"
# a class attribute's type `pkg.Element[list]`: a sequence of `Element` objects
# (`elements: List[Element]`); an owner `pkg.Message.elements[*]`: one item of that attribute
# (`for element in self.elements`), see `ProjectIndex._types_of`
LIST_OF = "[list]"
ITEM_OF = "[*]"

Scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


# --- module names --------------------------------------------------------------------------


def module_name_for(path: str, root: str) -> tuple[str, bool]:
    """Dotted module name of ``path``: package-qualified when it sits in a package, else relative
    to ``root``. Returns (name, is_package)."""
    path = os.path.abspath(path)
    directory, filename = os.path.split(path)
    stem = filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    if os.path.isfile(os.path.join(directory, "__init__.py")):
        while os.path.isfile(os.path.join(directory, "__init__.py")):
            parts.append(os.path.basename(directory))
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    else:
        root = os.path.abspath(root if os.path.isdir(root) else os.path.dirname(root))
        relative = os.path.relpath(directory, root)
        if not relative.startswith(".."):
            parts.extend(reversed([p for p in relative.split(os.sep) if p not in ("", ".")]))
    name = ".".join(reversed(parts)) or stem
    return name, is_package


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
    parts = [*base, *(target.split(".") if target else [])]
    return ".".join(parts)


# --- scopes and name resolution -------------------------------------------------------------


@dataclass
class Binding:
    kind: str  # "import" | "def" | "app" | "instance" | "other"
    target: str = ""  # qualified name (import, def, app) or instance type
    detail: str = ""  # for "app": "app" or "router"


@dataclass
class Scope:
    """Names bound in one scope; lookups walk outwards, skipping class scopes like Python."""

    qualprefix: str
    parent: Scope | None = None
    is_class: bool = False
    bindings: dict[str, Binding] = field(default_factory=dict)
    # module scope: its functions annotated `-> FastAPI`/`-> APIRouter` (qualified -> kind)
    app_factories: dict[str, str] = field(default_factory=dict)
    # a function's scope: the function (closures nested in it type its names, `_outer_types`)
    node: FunctionNode | None = field(default=None, compare=False, repr=False)

    def root(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def bind(self, name: str, binding: Binding) -> None:
        previous = self.bindings.get(name)
        if previous is None or previous == binding:
            self.bindings[name] = binding
        elif binding.kind == "import" and previous.kind == "import":
            pass  # `try: import ujson as json / except: import json`: keep the first
        else:
            self.bindings[name] = Binding("other")

    def lookup(self, name: str, from_inner: bool = False) -> Binding | None:
        if not (from_inner and self.is_class) and name in self.bindings:
            return self.bindings[name]
        if self.parent is not None:
            return self.parent.lookup(name, from_inner=True)
        return None


class Resolver:
    """Turns expressions into fully qualified names and known instance types."""

    def __init__(self, scope: Scope, module: str) -> None:
        self.scope = scope
        self.module = module

    def within(self, scope: Scope) -> Resolver:
        return Resolver(scope, self.module)

    def qualify(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            binding = self.scope.lookup(node.id)
            if binding is None:
                return f"builtins.{node.id}"
            if binding.kind in ("import", "def", "app"):
                return binding.target
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            if base is None or base.startswith("builtins."):
                return None
            return f"{base}.{node.attr}"
        return None

    def local_app_kind(self, node: ast.expr) -> str | None:
        """`app`/`router` when ``node`` names an app/router bound in a function scope."""
        if isinstance(node, ast.Name):
            binding = self.scope.lookup(node.id)
            if binding is not None and binding.kind == "app" and binding.target.startswith("<"):
                return binding.target
        return None

    def constructed_receiver(self, node: ast.expr) -> str | None:
        """For a name bound to ``SomeClass(...)``: its qualified name at module level, else
        `<local:SomeClass>` (the index decides whether the class is an app or a router)."""
        if not isinstance(node, ast.Name):
            return None
        scope: Scope | None = self.scope
        from_inner = False
        while scope is not None:
            if not (from_inner and scope.is_class) and node.id in scope.bindings:
                binding = scope.bindings[node.id]
                if binding.kind != "other" or not binding.target.startswith(CONSTRUCTED):
                    return None
                if scope.parent is None:
                    return f"{scope.qualprefix}.{node.id}"
                return f"{LOCAL_BUILT}{binding.target[len(CONSTRUCTED) :]}>"
            scope, from_inner = scope.parent, True
        return None

    def instance_type(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            binding = self.scope.lookup(node.id)
            if binding is not None and binding.kind == "instance":
                return binding.target
            return None
        if isinstance(node, ast.Call):
            callee = self.qualify(node.func)
            if callee is not None and callee in FACTORIES:
                if (callee in _OPENERS or callee in _PATHS) and pseudo_file(node):
                    return None  # `Path(f"/proc/{pid}/stat")`: read from kernel memory
                return FACTORIES[callee]
            if isinstance(node.func, ast.Attribute):
                owner = self.instance_type(node.func.value)
                if owner is not None:
                    return CHAINS.get((owner, node.func.attr))
            return None
        if isinstance(node, ast.Attribute):
            owner = self.instance_type(node.value)
            return CHAINS.get((owner, node.attr)) if owner else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = self.instance_type(node.left)
            return left if left == "pathlib.Path" else None
        return None

    def annotation_type(self, annotation: ast.expr | None) -> str | None:
        if annotation is None:
            return None
        annotation = _unquoted(annotation)
        if isinstance(annotation, ast.Subscript) and self.qualify(annotation.value) in (
            "typing.Annotated",
            "typing_extensions.Annotated",
        ):
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return self.annotation_type(first)
        qualified = self.qualify(annotation)
        if qualified is None:
            return None
        if qualified in ("fastapi.FastAPI", "fastapi.applications.FastAPI"):
            return LOCAL_APP
        if qualified in ("fastapi.APIRouter", "fastapi.routing.APIRouter"):
            return LOCAL_ROUTER
        return ANNOTATED_TYPES.get(qualified)

    def call_target(self, call: ast.Call) -> str | None:
        """What a call calls: a qualified name, or `<instance type>.<method>` for known objects."""
        func = call.func
        if isinstance(func, ast.Attribute):
            owner = self.instance_type(func.value)
            if owner is not None:
                return f"{owner}.{func.attr}"
        target = self.qualify(func)
        if target in _OPENERS and pseudo_file(call):
            return None  # `/proc/<pid>/stat`: served from kernel memory, not a disk
        return target


_OPENERS = frozenset({"builtins.open", "io.open"})  # `os.fdopen` takes a descriptor
_PATHS = frozenset({"pathlib.Path", "pathlib.PurePath"})
_PSEUDO_FILES = ("/proc/", "/sys/")


def pseudo_file(call: ast.Call) -> bool:
    """`open("/proc/...")` or `open(f"/sys/...")`: a kernel pseudo-file, read from memory."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.JoinedStr) and first.values:
        first = first.values[0]
    return (
        isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and first.value.startswith(_PSEUDO_FILES)
    )


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


# the nodes of a scope's own statements; rules and collectors import it under this name
_own_statements = own_nodes
# the statements and patterns that bind names: `collect_bindings` looks no further at the rest
_BINDERS = frozenset(
    {ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef}
    | {ast.ClassDef, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor}
    | {ast.NamedExpr, ast.With, ast.AsyncWith, ast.ExceptHandler, ast.MatchAs, ast.MatchStar}
    | {ast.MatchMapping}
)


def collect_bindings(
    scope: Scope,
    body: list[ast.stmt],
    resolver: Resolver,
    module: str,
    is_package: bool,
    local: bool,
    own: Callable[[list[ast.stmt]], list[ast.AST]] = own_nodes,
) -> None:
    """Fill ``scope`` with the names ``body`` binds. ``local`` is True for function scopes.
    ``own`` gives a body's own nodes (an `OwnNodes` shares them with later walks)."""
    declared_global: set[str] = set()
    for node in own(body):
        if type(node) not in _BINDERS:
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared_global.update(node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(alias.asname, Binding("import", alias.name))
                else:
                    top = alias.name.split(".")[0]
                    scope.bind(top, Binding("import", top))
        elif isinstance(node, ast.ImportFrom):
            base = (
                resolve_relative(module, is_package, node.level, node.module)
                if node.level
                else (node.module or "")
            )
            for alias in node.names:
                if alias.name == "*":
                    continue
                name = alias.asname or alias.name
                scope.bind(name, Binding("import", f"{base}.{alias.name}" if base else alias.name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope.bind(node.name, Binding("def", f"{scope.qualprefix}.{node.name}"))
            if not local and scope.parent is None and not isinstance(node, ast.ClassDef):
                made = resolver.annotation_type(node.returns)
                if made in (LOCAL_APP, LOCAL_ROUTER):  # `def _create_base_app() -> FastAPI`
                    scope.app_factories[f"{scope.qualprefix}.{node.name}"] = made
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            for target in targets:
                for name in _target_names(target):
                    scope.bind(name, _binding_for_value(value, resolver, scope, name, local))
            if isinstance(node, ast.AnnAssign) and value is None:
                for name in _target_names(node.target):
                    kind = resolver.annotation_type(node.annotation)
                    scope.bind(name, Binding("instance", kind) if kind else Binding("other"))
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            # `for path in folder.glob("*.json")`: the items of a known listing
            kind = resolver.instance_type(node.iter)
            if kind is not None and kind.endswith("[]"):
                scope.bind(node.target.id, Binding("instance", kind[:-2]))
            else:
                scope.bind(node.target.id, Binding("other"))
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
            for name in _target_names(node.target):
                scope.bind(name, Binding("other"))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    kind = resolver.instance_type(item.context_expr)
                    if isinstance(node, ast.AsyncWith) or kind in ENTERS_AS_OTHER:
                        kind = None  # `as d`: the directory's name
                    for name in _target_names(item.optional_vars):
                        scope.bind(name, Binding("instance", kind) if kind else Binding("other"))
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            scope.bind(node.name, Binding("other"))
        elif isinstance(node, ast.MatchMapping) and node.rest:
            scope.bind(node.rest, Binding("other"))
    for name in declared_global:
        scope.bindings.pop(name, None)


def _binding_for_value(
    value: ast.expr | None, resolver: Resolver, scope: Scope, name: str, local: bool
) -> Binding:
    if isinstance(value, ast.Call):
        callee = resolver.qualify(value.func)
        if callee in APP_CONSTRUCTORS:
            kind = APP_CONSTRUCTORS[callee]
            if local:
                return Binding("app", LOCAL_APP if kind == "app" else LOCAL_ROUTER, kind)
            return Binding("app", f"{scope.qualprefix}.{name}", kind)
        made = scope.root().app_factories.get(callee or "") if local else None
        if made is not None:  # `app = _create_base_app()` in an app factory
            return Binding("app", made, "app" if made == LOCAL_APP else "router")
    instance = resolver.instance_type(value) if value is not None else None
    if instance is not None:
        return Binding("instance", instance)
    if isinstance(value, ast.Call):
        callee = resolver.qualify(value.func)
        if callee is not None and not callee.startswith("builtins."):
            # what built it: a project subclass of `FastAPI`/`APIRouter` is known only to the
            # index (`ProjectIndex.app_kind`)
            return Binding("other", f"{CONSTRUCTED}{callee}")
    return Binding("other")


def function_scope(
    node: FunctionNode | ast.Lambda,
    parent: Scope,
    qualprefix: str,
    module: str,
    is_package: bool,
    own: Callable[[list[ast.stmt]], list[ast.AST]] = own_nodes,
) -> Scope:
    scope = Scope(qualprefix=qualprefix, parent=parent)
    if not isinstance(node, ast.Lambda):
        scope.node = node
    resolver = Resolver(scope, module)
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is None:
            continue
        kind = resolver.within(parent).annotation_type(arg.annotation)
        if kind in (LOCAL_APP, LOCAL_ROUTER):
            scope.bind(arg.arg, Binding("app", kind, "app" if kind == LOCAL_APP else "router"))
        elif kind is not None:
            scope.bind(arg.arg, Binding("instance", kind))
        else:
            scope.bind(arg.arg, Binding("other"))
    if isinstance(node, ast.Lambda):
        return scope
    collect_bindings(scope, node.body, resolver, module, is_package, local=True, own=own)
    return scope


# --- calls inside one function body ---------------------------------------------------------


@dataclass
class CallSite:
    node: ast.Call
    target: str | None  # qualified callee, or `<instance type>.<method>`
    awaited: bool
    in_threadpool: bool  # inside the arguments of run_in_threadpool/to_thread/...
    in_generator: bool  # inside a generator expression (an `await` there changes its meaning)
    in_with_item: bool  # the context expression of a plain `with`
    in_stream: bool = False  # inside the arguments of StreamingResponse/EventSourceResponse
    # a lazy directory listing (`d.iterdir()`) consumed here: the `list(...)`-like call that
    # consumes it, or the listing call itself when a `for` or a comprehension iterates it
    consumer: ast.Call | None = None
    # a function handed to an awaited call (`BodyFacts.passed`): that call
    handed_to: ast.Call | None = None
    # ... and which argument of it: its position ("0", "1", ...) or keyword ("" when a `*args`
    # before it hides the position)
    handed_as: str = ""
    # a `self.name` read, not a call (`node` is a call made up at the read): it runs a getter
    # only when `name` is a property (`ProjectIndex.is_getter`), and has no call to wrap
    read: bool = False


# lazy directory listings: the directory is read while their iterator is consumed
LAZY_LISTING_METHODS = frozenset({"glob", "rglob", "iterdir"})  # of `pathlib.Path`
LAZY_LISTING_CALLS = frozenset({"glob.iglob", "os.scandir"})
ITERATED = (
    "[iterated]"  # appended to a consumed listing's call target: `pathlib.Path.glob[iterated]`
)
# builtins that consume the iterable they are given, all of it before returning
_CONSUMERS = frozenset(
    f"builtins.{name}"
    for name in ("list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max")
)
# short-circuiting consumers (they may stop early) and lazy wrappers (consumed when they are)
_PARTIAL_CONSUMERS = frozenset({"builtins.any", "builtins.all", "builtins.next"})
_PASS_THROUGH = frozenset(
    f"builtins.{name}" for name in ("enumerate", "zip", "filter", "map", "reversed")
)


WITH_EXIT = "[with]"  # marks the call target of a `with` item whose exit blocks


def iterated_target(target: str) -> str:
    return target + ITERATED


def plain_target(target: str) -> str:
    """A call target without the consumed-listing or `with` mark, for messages."""
    return target.replace(ITERATED, "").replace(WITH_EXIT, "")


def _is_lazy_listing(call: ast.Call, target: str | None) -> bool:
    if target in LAZY_LISTING_CALLS:
        return True
    if target == "glob.glob":  # the module's function reads the directory when called
        return False
    return isinstance(call.func, ast.Attribute) and call.func.attr in LAZY_LISTING_METHODS


# responses whose body iterator Starlette consumes on the event loop (by the class's own name)
STREAMING_RESPONSES = frozenset({"StreamingResponse", "EventSourceResponse"})

# nested scopes (their calls are their own) and leaves: nothing below them for `walk_body`
_NO_CALLS = SCOPE_TYPES | {ast.Name, ast.Constant}


@dataclass
class BodyFacts:
    calls: list[CallSite]
    has_await: bool  # await, async for, async with or an async comprehension of its own
    has_yield: bool
    # functions handed to an awaited call, as calls of them (`await run(handler)`, `await
    # adapter.process_activity(req, bot.on_turn)`): the awaited callee (a library's, often) is
    # given them to call; an `async def` one then runs on the loop while the caller waits
    passed: list[CallSite] = field(default_factory=list)


def walk_body(node: FunctionNode, resolver: Resolver) -> BodyFacts:
    """Calls made by the function itself (not by functions or lambdas nested in it)."""
    calls: list[CallSite] = []
    passed: list[CallSite] = []
    has_await = False
    has_yield = False
    # expressions iterated to the end here -> the call consuming them (the node itself for
    # a `for` or a comprehension)
    iterated: dict[int, ast.Call | None] = {}
    exits: set[int] = set()  # the context expressions of plain `with` statements

    def visit(
        current: ast.AST,
        awaited: bool,
        wrapped: bool,
        in_gen: bool,
        with_item: bool,
        stream: bool = False,
    ) -> None:
        nonlocal has_await, has_yield
        # one test of the node's type per case: this runs on every node of every function
        kind = type(current)
        if kind in _NO_CALLS:
            return
        if kind is ast.Await:
            has_await = True
            visit(current.value, True, wrapped, in_gen, with_item, stream)  # type: ignore[attr-defined]
            return
        if kind is ast.With:
            for item in current.items:  # type: ignore[attr-defined]
                exits.add(id(item.context_expr))
                visit(item.context_expr, False, wrapped, in_gen, True)
                if item.optional_vars is not None:
                    visit(item.optional_vars, False, wrapped, in_gen, False)
            for statement in current.body:  # type: ignore[attr-defined]
                visit(statement, False, wrapped, in_gen, False)
            return
        if kind is ast.AsyncFor or kind is ast.AsyncWith:
            has_await = True
        elif kind is ast.Yield or kind is ast.YieldFrom:
            has_yield = True
        elif kind is ast.comprehension and current.is_async:  # type: ignore[attr-defined]
            has_await = True
        elif kind is ast.GeneratorExp:
            in_gen = True
            if id(current) in iterated:  # `any(p.is_dir() for p in d.iterdir())`
                for generator in current.generators:  # type: ignore[attr-defined]
                    iterated.setdefault(id(generator.iter), None)
        elif kind is ast.For:
            iterated.setdefault(id(current.iter), None)  # type: ignore[attr-defined]
        elif kind is ast.ListComp or kind is ast.SetComp or kind is ast.DictComp:
            for generator in current.generators:  # type: ignore[attr-defined]
                iterated.setdefault(id(generator.iter), None)
        elif kind is ast.Call:
            assert isinstance(current, ast.Call)
            target = resolver.call_target(current)
            consumer: ast.Call | None = None
            if id(current) in iterated and _is_lazy_listing(current, target):
                consumer = iterated[id(current)] or current
                if target is not None:
                    target = iterated_target(target)
            elif id(current) in exits and target in EXIT_BLOCKS:
                target += WITH_EXIT
            calls.append(
                CallSite(current, target, awaited, wrapped, in_gen, with_item, stream, consumer)
            )
            if current.args and target is not None and target.startswith("builtins."):
                if target in _CONSUMERS:  # the fix may run the consumer in the threadpool
                    iterated.setdefault(id(current.args[0]), current)
                elif target in _PARTIAL_CONSUMERS:
                    iterated.setdefault(id(current.args[0]), None)
                elif target in _PASS_THROUGH and id(current) in iterated:
                    for argument in current.args:
                        iterated.setdefault(id(argument), None)
            is_wrapper = target in THREADPOOL_WRAPPERS or (
                isinstance(current.func, ast.Attribute) and current.func.attr == "run_in_executor"
            )
            streams = stream or (
                target is not None and target.rpartition(".")[2] in STREAMING_RESPONSES
            )
            if awaited and type(current.func) is ast.Call and not wrapped:
                # `await traced(handler, config)(payload)`: what `traced` returns is called
                inner = current.func
                for child, handed_as in _arguments(inner):  # type: ignore[arg-type]
                    if type(child) in _CALLABLE_REFS:
                        passed.append(
                            _passed_site(
                                child,
                                inner,
                                resolver,
                                in_gen,
                                with_item,
                                stream,
                                handed_as,  # type: ignore[arg-type]
                            )
                        )
            visit(current.func, False, wrapped, in_gen, with_item, stream)
            for child, handed_as in _arguments(current):
                if awaited and not (wrapped or is_wrapper) and type(child) in _CALLABLE_REFS:
                    passed.append(
                        _passed_site(child, current, resolver, in_gen, with_item, stream, handed_as)
                    )
                visit(child, False, wrapped or is_wrapper, in_gen, with_item, streams)
            return
        for child in children(current):
            visit(child, False, wrapped, in_gen, with_item, stream)

    for statement in node.body:
        visit(statement, False, False, False, False)
    _consumed_through_names(node, calls, iterated)
    return BodyFacts(calls, has_await, has_yield, passed)


_CALLABLE_REFS = (ast.Name, ast.Attribute)


def _arguments(call: ast.Call) -> Iterator[tuple[ast.expr, str]]:
    """Each argument of ``call`` with the parameter it goes to: its position ("0", "1", ...),
    its keyword, or "" (after a `*args`, or a `**kwargs` itself)."""
    known = True
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            known = False
        yield argument, str(position) if known else ""
    for keyword in call.keywords:
        yield keyword.value, keyword.arg or ""


def _passed_site(
    reference: ast.expr,
    awaited: ast.Call,
    resolver: Resolver,
    in_gen: bool,
    with_item: bool,
    stream: bool,
    handed_as: str = "",
) -> CallSite:
    """A function handed to the awaited call ``awaited``, as a call of it (at the reference)."""
    call = ast.Call(func=reference, args=[], keywords=[])
    ast.copy_location(call, reference)
    target = resolver.call_target(call)
    return CallSite(
        call,
        target,
        False,
        False,
        in_gen,
        with_item,
        stream,
        handed_to=awaited,
        handed_as=handed_as,
    )


_NESTED_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def called_parameters(
    node: FunctionNode, own: Callable[[list[ast.stmt]], list[ast.AST]] = own_nodes
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The function's parameters that can be given by position (in order), and those of its
    parameters it calls (`await method(*args)`, also in a function nested in it: a wrapper it
    returns) or returns (`return func`: its caller calls what it returns, `await
    traced(handler)(payload)`), in order: a function handed to it for that parameter runs
    when it runs (`eventloop.reach_table`)."""
    args = node.args
    positional = tuple(arg.arg for arg in [*args.posonlyargs, *args.args])
    names = {*positional, *(arg.arg for arg in args.kwonlyargs)}
    called: dict[str, None] = {}
    nodes = own(node.body)
    for child in nodes:
        if type(child) in _NESTED_DEFS:  # a wrapper it returns calls the parameter
            nested = ast.walk(child)
            next(nested)  # the nested def itself: its decorators and defaults are its own
            found = [n for n in nested if type(n) is ast.Call]
        elif type(child) is ast.Call:
            found = [child]
        elif type(child) is ast.Return and type(child.value) is ast.Name:  # type: ignore[attr-defined]
            if child.value.id in names:  # type: ignore[attr-defined]
                called.setdefault(child.value.id)  # type: ignore[attr-defined]
            continue
        else:
            continue
        for call in found:
            func = call.func  # type: ignore[attr-defined]
            if type(func) is ast.Name and func.id in names:
                called.setdefault(func.id)
    if not called:
        return positional, ()
    # assigned in the body: a call of it may not call what was given
    rebound = {
        child.id  # type: ignore[attr-defined]
        for child in nodes
        if type(child) is ast.Name and type(child.ctx) is ast.Store  # type: ignore[attr-defined]
    }
    return positional, tuple(name for name in called if name not in rebound)


_GUARDS: dict[int, tuple[ast.AST, FunctionGuards]] = {}


def guards_of(node: FunctionNode) -> FunctionGuards:
    """`function_guards(node)`, computed once for the facts of one function."""
    known = _GUARDS.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    if len(_GUARDS) > 64:
        _GUARDS.clear()
    found = function_guards(node)
    _GUARDS[id(node)] = (node, found)
    return found


def _parameter_facts(
    node: FunctionNode, own: Callable[[list[ast.stmt]], list[ast.AST]]
) -> dict[str, tuple]:
    params, called = called_parameters(node, own)
    found: dict[str, tuple] = {"params": params if called else (), "called_params": called}
    guarded = guards_of(node)
    if guarded.used:
        used = set(guarded.used)
        found["guarded_params"] = guarded.used
        found["positional_params"] = guarded.params
        found["rebinds"] = tuple(r for r in guarded.rebinds if r[0] in used)
    return found


def _consumed_through_names(
    node: FunctionNode, calls: list[CallSite], iterated: dict[int, ast.Call | None]
) -> None:
    """`files = d.glob(p)` then `for f in files` / `next(files, None)` in the same function:
    the listing is consumed here too (through a name bound once)."""
    consumed = {
        child.id
        for child in own_nodes(node.body)
        if isinstance(child, ast.Name) and id(child) in iterated
    }
    if not consumed:
        return
    bound: dict[str, list[ast.expr]] = {}
    for child in own_nodes(node.body):
        if isinstance(child, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.NamedExpr)):
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            for target in targets:
                for name in _target_names(target):
                    value = child.value if isinstance(child, (ast.Assign, ast.NamedExpr)) else None
                    bound.setdefault(name, []).append(
                        value if isinstance(target, ast.Name) and value is not None else target
                    )
    sources = {id(values[0]) for name in consumed if len(values := bound.get(name, [])) == 1}
    for site in calls:
        if (
            id(site.node) in sources
            and site.consumer is None
            and _is_lazy_listing(site.node, site.target)
        ):
            site.consumer = site.node  # no call to move into the threadpool here
            if site.target is not None:
                site.target = iterated_target(site.target)


# --- call facts: what a function calls, for following the event loop ----------------------

_NOT_CLASSES = ("builtins.", "typing.", "typing_extensions.", "collections.", "pydantic.")


def _looks_like_class(qualified: str | None) -> bool:
    if not qualified or qualified.startswith(_NOT_CLASSES):
        return False
    return qualified.rpartition(".")[2][:1].isupper()


def _unquoted(annotation: ast.expr) -> ast.expr:
    """The expression a string annotation holds (`emitter: "BaseEmitter"`), else itself."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return annotation
    return annotation


def _annotated_class(annotation: ast.expr | None, resolver: Resolver) -> str | None:
    """The class a parameter is annotated with (`svc: Service`, `Annotated[Service, ...]`,
    `Service | None`, `Optional[Service]`), as the module sees it."""
    if annotation is None:
        return None
    annotation = _unquoted(annotation)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return _annotated_class(side, resolver)
        return None
    if isinstance(annotation, ast.Subscript):
        outer = resolver.qualify(annotation.value)
        inner = annotation.slice
        if outer in ("typing.Annotated", "typing_extensions.Annotated", "typing.Optional"):
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return _annotated_class(first, resolver)
        return None
    qualified = resolver.qualify(annotation)
    return qualified if _looks_like_class(qualified) else None


_TUPLES = frozenset({"builtins.tuple", "typing.Tuple", "typing_extensions.Tuple"})


def _annotated_items(annotation: ast.expr | None, resolver: Resolver) -> tuple[str, ...]:
    """The class each element of a fixed-length tuple annotation names (`tuple[Provider,
    Config]`, `Tuple[...]`, quoted), "" for an element that names none; () for any other
    annotation, or when no element names a class."""
    if annotation is None:
        return ()
    annotation = _unquoted(annotation)
    if not isinstance(annotation, ast.Subscript) or resolver.qualify(annotation.value) not in (
        _TUPLES
    ):
        return ()
    inner = annotation.slice
    elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
    if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elements):
        return ()  # `tuple[Item, ...]`: any length
    found = tuple(_annotated_class(element, resolver) or "" for element in elements)
    return found if any(found) else ()


def _local_types(
    node: FunctionNode,
    resolver: Resolver,
    parent: Resolver,
    owner_class: str | None = None,
    selves: frozenset[str] | set[str] = frozenset(),
) -> dict[str, str]:
    """Local names whose class is known: parameters annotated with a class, and names bound
    once, to `Class(...)`, to what a function returns (`make(...)`, `await to_thread(make)`) or
    a method of a typed object (`self.detach()`)."""
    found: dict[str, str] = {}
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        kind = _annotated_class(arg.annotation, parent)
        if kind is not None:
            found[arg.arg] = kind
    seen: set[str] = set()
    looped: dict[str, str] = {}  # names bound by loops over a sequence: the item they are
    for statement in own_nodes(node.body):
        if isinstance(statement, ast.NamedExpr):  # `if session := Session.get(sid):`
            targets: list[ast.expr] = [statement.target]
        elif isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, (ast.For, ast.comprehension)) and not (
            isinstance(statement, ast.comprehension) and statement.is_async
        ):
            # `for element in self.elements`: an item of a sequence attribute
            item = None
            if isinstance(statement.target, ast.Name):
                owner = _loose_owner(statement.iter, resolver, owner_class, selves, found)
                if owner is not None and "." in owner and not owner.endswith(")"):
                    item = f"{owner}{ITEM_OF}"
            for name in _target_names(statement.target):
                if name in seen:  # bound again: kept when it is an item of the same again
                    if item is None or looped.get(name) != item:
                        found.pop(name, None)
                        looped.pop(name, None)
                    continue
                seen.add(name)
                if item is not None:
                    found[name] = looped[name] = item
            continue
        else:
            continue
        for target in targets:
            for name in _target_names(target):
                if name in seen:
                    found.pop(name, None)
                    continue
                seen.add(name)
                value = statement.value
                if isinstance(value, ast.Await):  # `path = await get_config_path(...)`
                    value = value.value
                if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Call):
                    # `provider, config = make(...)` with `-> tuple[Provider, Config]`
                    result = _call_result(value, resolver, owner_class, selves, found)
                    position = next(
                        i for i, e in enumerate(target.elts) if name in _target_names(e)
                    )
                    element = target.elts[position]
                    starred = any(isinstance(e, ast.Starred) for e in target.elts)
                    if result is not None and isinstance(element, ast.Name) and not starred:
                        found[name] = f"{result}[{position}]"
                    continue
                if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                    callee = resolver.qualify(value.func)
                    if callee in THREADPOOL_WRAPPERS and value.args:
                        # `x = await asyncio.to_thread(make, ...)`: what `make` returns
                        callee = resolver.qualify(value.args[0])
                        if callee is None:
                            continue
                    if _looks_like_class(callee):
                        found[name] = callee  # type: ignore[assignment]
                    elif callee is not None and not callee.startswith("builtins."):
                        found[name] = f"{callee}()"  # what a factory returns (index.py)
                    elif callee is None and isinstance(value.func, ast.Attribute):
                        # `partial = path.with_suffix(".tmp")` with `path` typed above
                        owner = _loose_owner(value, resolver, owner_class, selves, found)
                        if owner is not None:
                            found[name] = owner
    return found


def _call_result(
    value: ast.Call, resolver: Resolver, owner_class: str | None, selves: set[str], local: dict
) -> str | None:
    """What a call returns, as an owner the index types (`pkg.make()`, `pkg.C.method()`): a
    project function or method, not a class (its object is no tuple) nor a builtin."""
    callee = resolver.qualify(value.func)
    if callee in THREADPOOL_WRAPPERS and value.args:  # `await asyncio.to_thread(make)`
        callee = resolver.qualify(value.args[0])
        if callee is None:
            return None
    if callee is not None:
        if _looks_like_class(callee) or callee.startswith("builtins."):
            return None
        return f"{callee}()"
    if isinstance(value.func, ast.Attribute):
        found = _loose_owner(value, resolver, owner_class, selves, local)
        return found if found is not None and found.endswith("()") else None
    return None


def _module_name_of(name: str, resolver: Resolver) -> str | None:
    """`pkg.mod.name` when ``name`` is bound at module level to something not imported."""
    scope: Scope | None = resolver.scope
    while scope is not None:
        if name in scope.bindings and not (scope.is_class and scope is not resolver.scope):
            if scope.parent is None and scope.bindings[name].kind in ("other", "instance"):
                return f"{scope.qualprefix}.{name}"
            return None
        scope = scope.parent
    return None


def _loose_owner(
    node: ast.expr, resolver: Resolver, owner_class: str | None, selves: set[str], local: dict
) -> str | None:
    if isinstance(node, ast.Name):
        if node.id in selves:
            return owner_class
        if node.id in local:
            return local[node.id]
        found = _module_name_of(node.id, resolver)
        if found is None:  # `(CACHE_DIR / name)` with `from .config import CACHE_DIR`
            binding = resolver.scope.lookup(node.id)
            if binding is not None and binding.kind == "import":
                found = binding.target
        return found
    if isinstance(node, ast.Attribute):  # `self.client.messages`: attributes of attributes
        base = _loose_owner(node.value, resolver, owner_class, selves, local)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, ast.Subscript):
        value = node.value
        name = resolver.qualify(value)
        if name is None and isinstance(value, ast.Name):
            name = _module_name_of(value.id, resolver)
        return f"{name}[]" if name and not name.startswith("builtins.") else None
    if isinstance(node, ast.Call):
        callee = resolver.qualify(node.func)
        if callee == "builtins.super":  # `super().method()`, `super(C, self).method()`
            return _super_owner(node, resolver, owner_class, selves)
        if callee in _PATHS and pseudo_file(node):
            return None
        if _looks_like_class(callee):
            return callee
        if callee is not None and not callee.startswith("builtins."):
            return f"{callee}()"  # `_path(run_id).read_text()`: what a factory returns
        if callee is None and isinstance(node.func, ast.Attribute):
            # `app.get_blocks().process_api()`: what a method of a typed object returns
            base = _loose_owner(node.func.value, resolver, owner_class, selves, local)
            if base is not None:
                return f"{base}.{node.func.attr}()"
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # `self.root / name`
        left = _loose_owner(node.left, resolver, owner_class, selves, local)
        return f"{left}.__truediv__" if left is not None else None
    return None


def _super_owner(
    node: ast.Call, resolver: Resolver, owner_class: str | None, selves: set[str]
) -> str | None:
    """`super:pkg.C` for `super()` (or `super(C, self)`) in a method of ``owner_class``."""
    if owner_class is None or not selves or node.keywords:
        return None
    if node.args:
        if len(node.args) != 2 or resolver.qualify(node.args[0]) != owner_class:
            return None
        second = node.args[1]
        if not (isinstance(second, ast.Name) and second.id in selves):
            return None
    return f"{SUPER}{owner_class}"


def site_targets(
    node: FunctionNode, body: BodyFacts, resolver: Resolver, scope: Scope, decorators: list[str]
) -> list[tuple[CallSite, str | None]]:
    """Each call of the function with what it calls: `CallSite.target`, else the looser guess
    `CallFact` describes. ``scope`` is the scope the function is defined in."""
    owner_class = scope.qualprefix if scope.is_class else None
    selves: set[str] = set()
    positional = [*node.args.posonlyargs, *node.args.args]
    if owner_class and positional and "builtins.staticmethod" not in decorators:
        selves.add(positional[0].arg)
    local: dict[str, str] | None = None
    narrowed: dict[int, dict[str, str]] | None = None
    found: list[tuple[CallSite, str | None]] = []
    once = _lazy_init_calls(node, resolver.scope.bindings, selves)
    for site in body.calls:
        if once and id(site.node) in once:
            found.append((site, None))  # runs once, to fill a module-level cache
            continue
        target = site.target
        if target is None and isinstance(site.node.func, ast.Attribute):
            if local is None:
                local = _local_types(node, resolver, resolver.within(scope), owner_class, selves)
                if scope.node is not None:  # a closure: the enclosing functions' names too
                    local = {**_outer_types(scope, resolver), **local}
                narrowed = _narrowed_calls(node, resolver)
            names = narrowed.get(id(site.node)) if narrowed else None
            owner = _loose_owner(
                site.node.func.value,
                resolver,
                owner_class,
                selves,
                {**local, **names} if names else local,
            )
            if owner is not None:
                target = f"{owner}.{site.node.func.attr}"
                if site.consumer is not None:
                    target = iterated_target(target)
        found.append((site, target))
    return found


def _outer_types(scope: Scope, resolver: Resolver) -> dict[str, str]:
    """The names a closure defined in ``scope`` (a function's) uses from the functions
    enclosing it, whose class is known there (`_local_types`; `self` of an enclosing method):
    `provider` in an `async def stream()` nested in the route that bound it. Names the
    closure binds itself, or a function between, are not."""
    found: dict[str, str] = {}
    shadowed = set(resolver.scope.bindings)
    current: Scope | None = scope
    while current is not None and current.node is not None and current.parent is not None:
        enclosing, parent = current.node, current.parent
        owner_class = parent.qualprefix if parent.is_class else None
        selves: set[str] = set()
        positional = [*enclosing.args.posonlyargs, *enclosing.args.args]
        if owner_class and positional and not enclosing.decorator_list:
            selves.add(positional[0].arg)
        inner = resolver.within(current)
        types = _local_types(enclosing, inner, resolver.within(parent), owner_class, selves)
        for name in selves:
            types.setdefault(name, owner_class)  # type: ignore[arg-type]
        for name, kind in types.items():
            if name not in shadowed:
                found.setdefault(name, kind)
        shadowed.update(current.bindings)
        current = parent
    return found


def _isinstance_types(test: ast.expr, resolver: Resolver) -> dict[str, str]:
    """`isinstance(x, Cls)` (alone or among the operands of `and`): {"x": Cls}."""
    found: dict[str, str] = {}
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for part in tests:
        if (
            isinstance(part, ast.Call)
            and resolver.qualify(part.func) == "builtins.isinstance"
            and len(part.args) == 2
            and isinstance(part.args[0], ast.Name)
        ):
            kind = resolver.qualify(part.args[1])
            if _looks_like_class(kind):
                found[part.args[0].id] = kind  # type: ignore[assignment]
    return found


def _narrowed_calls(node: FunctionNode, resolver: Resolver) -> dict[int, dict[str, str]]:
    """The calls inside `if isinstance(x, Cls): ...` blocks, with the names typed there."""
    found: dict[int, dict[str, str]] = {}
    for statement in own_nodes(node.body):
        if not isinstance(statement, ast.If):
            continue
        types = _isinstance_types(statement.test, resolver)
        if not types:
            continue
        for part in statement.body:
            for child in ast.walk(part):
                if isinstance(child, ast.Call):
                    found.setdefault(id(child), {}).update(types)
    return found


def _after_memo_guard(body: list[ast.stmt], local: dict[str, Binding]) -> list[ast.stmt]:
    """The statements after `if CACHE: return` (or `if CACHE is not None: return ...`) where
    ``CACHE`` is not local: they run only while the module-level cache is empty. Also after
    `if key in cache: return ...` when the statements after it store into ``cache`` and
    ``cache`` is not a fresh local container (a module-level one, or one a call gave): they
    run on a cache miss."""
    for number, statement in enumerate(body):
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            rest = _after_memo_guard(statement.body, local)
            if rest:
                return rest
            continue
        if not _is_early_return(statement):
            continue
        test = _compared_with_none(statement.test, ast.IsNot) or statement.test
        if isinstance(test, ast.Name) and test.id not in local:
            rest = body[number + 1 :]
            if _fills(rest, test.id):
                return rest
        elif (  # `if key in cache: return cache[key]` ... `cache[key] = value`
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.In)
            and isinstance(test.comparators[0], ast.Name)
        ):
            cache = test.comparators[0].id
            binding = local.get(cache)
            # a cache that outlives the call: not a fresh local container
            shared = binding is None or binding.target.startswith(CONSTRUCTED)
            rest = body[number + 1 :]
            if shared and _fills(rest, cache):
                return rest
    return []


def _after_configured(body: list[ast.stmt], local: dict[str, Binding]) -> list[ast.stmt]:
    """The statements after `if SETTING is not None: return SETTING` (or `if SETTING: return
    SETTING`) where ``SETTING`` is a module-level name the function neither binds nor fills:
    the configured value wins, and what follows (the `else`/`elif` chain, then the rest) only
    computes a default while nothing is configured (mlflow's `get_tracking_uri`, which looks
    for a local `mlruns` folder unless the server set the tracking URI)."""
    for number, statement in enumerate(body):
        if not (
            isinstance(statement, ast.If)
            and len(statement.body) == 1
            and isinstance(statement.body[0], ast.Return)
        ):
            continue
        test = _compared_with_none(statement.test, ast.IsNot) or statement.test
        returned = statement.body[0].value
        if (
            isinstance(test, ast.Name)
            and test.id not in local
            and isinstance(returned, ast.Name)
            and returned.id == test.id
        ):
            return [*statement.orelse, *body[number + 1 :]]
    return []


_BLOCKS = (ast.If, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While, ast.Try)


def _if_statements(body: list[ast.stmt]) -> Iterator[ast.If]:
    """The `if` statements of a body and of the blocks in it (statements only, no expressions
    and no nested scopes: cheaper than a walk of every node)."""
    pending = list(body)
    while pending:
        statement = pending.pop()
        if not isinstance(statement, _BLOCKS) and type(statement).__name__ != "TryStar":
            continue
        if isinstance(statement, ast.If):
            yield statement
        for part in ("body", "orelse", "finalbody"):
            pending.extend(getattr(statement, part, ()))
        for handler in getattr(statement, "handlers", ()):
            pending.extend(handler.body)


def _attribute_init_calls(node: FunctionNode, selves: frozenset[str]) -> set[int]:
    """The calls in `if self.x is None:` / `if not self.x:` blocks (of the method's own
    statements) whose body stores `self.x`: a value the object computes once and keeps."""
    found: set[int] = set()
    for child in _if_statements(node.body):
        test = child.test
        subject = (
            test.operand
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            else _compared_with_none(test, ast.Is)
        )
        if not (
            isinstance(subject, ast.Attribute)
            and isinstance(subject.value, ast.Name)
            and subject.value.id in selves
        ):
            continue
        stored = any(
            isinstance(target, ast.Attribute)
            and target.attr == subject.attr
            and isinstance(target.value, ast.Name)
            and target.value.id == subject.value.id
            for statement in child.body
            for assign in ast.walk(statement)
            if isinstance(assign, (ast.Assign, ast.AnnAssign))
            for target in (assign.targets if isinstance(assign, ast.Assign) else [assign.target])
        )
        if stored:
            for statement in child.body:
                found.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))
    return found


def _self_attribute(node: ast.expr, selves: frozenset[str]) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in selves
    )


def _is_early_return(statement: ast.stmt) -> TypeGuard[ast.If]:
    """`if <test>: return ...` with nothing else in either branch."""
    return (
        isinstance(statement, ast.If)
        and len(statement.body) == 1
        and isinstance(statement.body[0], ast.Return)
        and not statement.orelse
    )


def _after_attribute_key_guard(node: FunctionNode, selves: frozenset[str]) -> set[int]:
    """The calls after `if self._cached_key == self.key: return` (an early return on the
    object's own attributes, one of its terms comparing two of them for equality, the others
    `self.x` / `not self.x`: `if not self._dirty and self._cached_mode == self.mode: return`):
    the object refreshes what it keeps only when the key it remembers changed. A guard on a
    flag alone (`if not self.enabled: return`) does not count."""
    for number, statement in enumerate(node.body):
        if not _is_early_return(statement):
            continue
        test = statement.test
        terms = (
            test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        )
        keyed = False
        for term in terms:
            if isinstance(term, ast.UnaryOp) and isinstance(term.op, ast.Not):
                term = term.operand
            if (
                isinstance(term, ast.Compare)
                and len(term.ops) == 1
                and isinstance(term.ops[0], (ast.Eq, ast.Is))
                and _self_attribute(term.left, selves)
                and _self_attribute(term.comparators[0], selves)
            ):
                keyed = True
            elif not _self_attribute(term, selves):
                break
        else:
            if keyed:
                return {
                    id(child)
                    for later in node.body[number + 1 :]
                    for child in ast.walk(later)
                    if isinstance(child, ast.Call)
                }
    return set()


def _compared_with_none(test: ast.expr, op: type[ast.cmpop]) -> ast.expr | None:
    """``x`` of `x is None` (``op`` `ast.Is`) or `x is not None` (`ast.IsNot`), else None."""
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.ops[0], op)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return test.left
    return None


_FILLING_METHODS = frozenset({"update", "append", "extend", "setdefault", "add"})


def _fills(statements: list[ast.stmt], name: str) -> bool:
    """Whether ``statements`` store into ``name`` (`name[k] = v`, `name.update(...)`,
    `name = ...`): the guard before them is a cache's, not a feature flag's."""
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for element in _target_names_and_bases(target):
                        if element == name:
                            return True
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _FILLING_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                return True
    return False


def _target_names_and_bases(target: ast.expr) -> Iterator[str]:
    """The names an assignment target stores into: `a`, `a[k]` and each of `a, b = ...`."""
    if isinstance(target, ast.Subscript):
        target = target.value
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names_and_bases(element)


def _cache_miss_calls(node: FunctionNode, local: dict[str, Binding]) -> set[int]:
    """The calls in `if cached is None or cached[0] != sig:` blocks after `cached =
    CACHE.get(key)`, when the block stores into ``CACHE`` and ``CACHE`` outlives the call (a
    module-level dict, or one a call gave): work done on a cache miss, not per request."""
    got: dict[str, str] = {}  # local name -> the cache its value was read from
    for statement in node.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute)
            and statement.value.func.attr == "get"
            and isinstance(statement.value.func.value, ast.Name)
        ):
            cache = statement.value.func.value.id
            binding = local.get(cache)
            if binding is None or binding.target.startswith(CONSTRUCTED):
                got[statement.targets[0].id] = cache
    found: set[int] = set()
    if not got:
        return found
    for child in _if_statements(node.body):
        test = child.test
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            test = test.values[0]
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            subject: ast.expr | None = test.operand
        else:
            subject = _compared_with_none(test, ast.Is)
        if (
            isinstance(subject, ast.Name)
            and subject.id in got
            and _fills(child.body, got[subject.id])
        ):
            for statement in child.body:
                found.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))
    return found


def _lazy_init_calls(
    node: FunctionNode, local: dict[str, Binding], selves: Iterable[str] = ()
) -> set[int]:
    """The calls in `if CACHE is None:` / `if not CACHE:` blocks where ``CACHE`` is declared
    `global` in the function, or after an `if CACHE: return` guard on a module-level
    ``CACHE``: a one-time initialisation, not work done per request. Also the calls in
    `if key != SEEN:` blocks that store into the global ``SEEN``: a cache refreshed only when a
    cheap key (a file's `stat()`, a version) changes. And in a method, the calls in
    `if self._key is None:` / `if not self._key:` blocks that store `self._key`: the object
    fills it once (`selves`: the names of the method's `self`)."""
    found: set[int] = set()
    for statement in [*_after_memo_guard(node.body, local), *_after_configured(node.body, local)]:
        found.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))
    found.update(_cache_miss_calls(node, local))
    if selves:
        found.update(_attribute_init_calls(node, frozenset(selves)))
        found.update(_after_attribute_key_guard(node, frozenset(selves)))
    names = {
        name
        for statement in node.body[:8]
        if isinstance(statement, ast.Global)
        for name in statement.names
    }
    if not names:
        return found
    for child in ast.walk(node):
        if not isinstance(child, ast.If):
            continue
        test = child.test
        if isinstance(test, ast.BoolOp):
            test = test.values[0]
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            subject = test.operand
        elif (left := _compared_with_none(test, ast.Is)) is not None:
            subject = left
        elif (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.NotEq)
        ):
            # `if seen != _seen:` refilling the global `_seen` it compares with
            operands = (test.left, *test.comparators)
            keys = [o for o in operands if isinstance(o, ast.Name) and o.id in names]
            if not keys or not _fills(child.body, keys[0].id):
                continue
            subject = keys[0]
        else:
            continue
        if isinstance(subject, ast.Name) and subject.id in names:
            for statement in child.body:
                found.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))
    return found


_NOT_SELF = frozenset({"builtins.staticmethod", "builtins.classmethod"})


def _self_reads(
    node: FunctionNode,
    scope: Scope,
    decorators: list[str],
    own: Callable[[list[ast.stmt]], list[ast.AST]],
) -> list[ast.Attribute]:
    """The first read of each `self.name` in a method (not called, not assigned)."""
    positional = [*node.args.posonlyargs, *node.args.args]
    if not scope.is_class or not positional or not _NOT_SELF.isdisjoint(decorators):
        return []
    me = positional[0].arg
    called = set()
    found: dict[str, ast.Attribute] = {}
    for child in own(node.body):
        kind = type(child)
        if kind is ast.Call:
            called.add(id(child.func))  # type: ignore[attr-defined]
        elif (
            kind is ast.Attribute
            and type(child.ctx) is ast.Load  # type: ignore[attr-defined]
            and type(child.value) is ast.Name  # type: ignore[attr-defined]
            and child.value.id == me  # type: ignore[attr-defined]
            and id(child) not in called
            and child.attr not in found  # type: ignore[attr-defined]
        ):
            found[child.attr] = child  # type: ignore[attr-defined,assignment]
    return list(found.values())


def _property_reads(
    node: FunctionNode,
    scope: Scope,
    decorators: list[str],
    own: Callable[[list[ast.stmt]], list[ast.AST]],
) -> list[CallFact]:
    """`self.headers` read in a plain `def` method of `pkg.C` (not called, not assigned):
    `CallFact("pkg.C.headers", "read", ...)`, once per attribute. When the attribute is a
    property, reading it runs its getter (`ProjectIndex` follows it only then)."""
    return [
        CallFact(f"{scope.qualprefix}.{read.attr}", "read", read.lineno, read.col_offset)
        for read in _self_reads(node, scope, decorators, own)
    ]


def read_sites(
    node: FunctionNode,
    scope: Scope,
    decorators: list[str],
    own: Callable[[list[ast.stmt]], list[ast.AST]] = own_nodes,
) -> list[tuple[CallSite, str]]:
    """`self.headers` read in a method of `pkg.C` (an `async def` one too), as `site_targets`
    gives calls: a made-up call at the read (`CallSite.read`) with the target `pkg.C.headers`.
    Reading runs a getter only when the attribute is a property (`ProjectIndex.is_getter`)."""
    found = []
    for read in _self_reads(node, scope, decorators, own):
        call = ast.Call(func=read, args=[], keywords=[])
        ast.copy_location(call, read)
        site = CallSite(call, None, False, False, False, False, read=True)
        found.append((site, f"{scope.qualprefix}.{read.attr}"))
    return found


def _merged(calls: list[CallFact], reads: list[CallFact]) -> list[CallFact]:
    """``reads`` put among ``calls`` (kept in their order) before the first call after them."""
    merged: list[CallFact] = []
    pending = iter(reads)
    read = next(pending, None)
    for call in calls:
        while read is not None and (read.line, read.col) < (call.line, call.col):
            merged.append(read)
            read = next(pending, None)
        merged.append(call)
    while read is not None:
        merged.append(read)
        read = next(pending, None)
    return merged


def call_facts(
    node: FunctionNode,
    body: BodyFacts,
    resolver: Resolver,
    scope: Scope,
    decorators: list[str],
    own: Callable[[list[ast.stmt]], list[ast.AST]] = own_nodes,
) -> tuple[CallFact, ...]:
    found = []
    targets: dict[int, str] = {}  # call node -> its target, for the functions handed to it
    guarded = guards_of(node)
    for site, target in site_targets(node, body, resolver, scope, decorators):
        if target is None:
            continue
        targets[id(site.node)] = target
        if site.awaited:
            how = "await"
        elif site.in_threadpool:
            how = "thread"
        elif site.in_stream:
            how = "stream"
        else:
            how = "call"
        guards = guarded.guards.get(id(site.node), ()) if guarded.used else ()
        args = guarded.args.get(id(site.node), ())
        line, col = site.node.lineno, site.node.col_offset
        found.append(CallFact(target, how, line, col, guards=guards, args=args))
    if isinstance(node, ast.FunctionDef):  # a blocking getter blocks the plain `def` reading it
        reads = _property_reads(node, scope, decorators, own)
        if reads:
            found = _merged(found, reads)
    if body.passed:  # after the calls: a path through calls is preferred
        handed = BodyFacts(body.passed, body.has_await, body.has_yield)
        for site, target in site_targets(node, handed, resolver, scope, decorators):
            via = targets.get(id(site.handed_to))
            if target is not None and via is not None:
                line, col = site.node.lineno, site.node.col_offset
                found.append(CallFact(target, "passed", line, col, via, site.handed_as))
    return tuple(found)


def _is_stub(node: FunctionNode) -> bool:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 and body:
        return False
    if not body:
        return True
    only = body[0]
    if isinstance(only, ast.Pass):
        return True
    if isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant):
        return only.value.value is Ellipsis
    if isinstance(only, ast.Raise) and only.exc is not None:
        exc = only.exc.func if isinstance(only.exc, ast.Call) else only.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


# --- module facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteDecl:
    receiver: str  # qualified name of the app/router object, or LOCAL_APP / LOCAL_ROUTER
    method: str
    path: str | None
    line: int
    hidden: bool = False  # the decorator's own `include_in_schema=False`


@dataclass(frozen=True)
class CallFact:
    """One call a function makes itself, for following what runs on the event loop (FF101-FF106).

    ``how``: "call" (runs here, now), "await" (awaited), "thread" (inside the arguments of a
    threadpool wrapper), "stream" (inside the arguments of a StreamingResponse or
    EventSourceResponse, whose body Starlette iterates on the event loop), "passed" (a function
    handed to an awaited call, not called here: `await adapter.process_activity(req, bot.on_turn)`;
    ``via`` is that call's target; the loop runs it when it is an `async def` and the call is a
    library's, see `eventloop.reach_table`). ``target`` is what
    `CallSite.target` says, else a looser guess the index checks against the project's classes:
    `pkg.mod.Class.method` for `self.method()`, `obj.method()` on an instance of a project class
    (built in the function, or a parameter annotated with the class), `pkg.mod.Class.attr.method`
    for `self.attr.method()`, `pkg.mod.name.method` for a module-level object,
    `pkg.mod.NAME[].method` for `NAME[key].method()`."""

    target: str
    how: str
    line: int
    col: int  # where the call starts (`ast`'s col_offset)
    via: str = ""  # "passed": the target of the awaited call the function is handed to
    arg: str = ""  # "passed": which argument of that call it is (`CallSite.handed_as`)
    # conditions on the function's parameters that hold whenever the call runs, and the call's
    # literal arguments and the parameters it passes on (`analysis.guards`)
    guards: tuple[Guard, ...] = ()
    args: tuple[ArgFact, ...] = ()


@dataclass
class FunctionFacts:
    qualname: str
    name: str
    line: int
    is_async: bool
    is_method: bool
    is_nested: bool
    calls: tuple[str, ...]  # targets called without await and outside threadpool wrappers
    routes: tuple[RouteDecl, ...]
    other_decorators: tuple[str, ...]  # resolved names of decorators that are not routes
    sites: tuple[CallFact, ...] = ()  # every call with a target, in source order
    col: int = 0  # where the `def` starts
    # body is only a docstring, `...`, `pass` or `raise NotImplementedError`, or the method is
    # decorated with `abc.abstractmethod`
    is_stub: bool = False
    is_generator: bool = False  # has a `yield` of its own
    # the class its return annotation names (as the module sees it), if any; unannotated, the
    # classes every `return` builds, joined with `|` (`_returned_classes`)
    returns: str = ""
    # `-> tuple[A, B]`: the class each element names ("" for none), as the module sees them
    returns_items: tuple[str, ...] = ()
    # the parameters that can be given by position, in order (`self` included), and the
    # parameters it calls (`called_parameters`)
    params: tuple[str, ...] = ()
    called_params: tuple[str, ...] = ()
    # the parameters a call's guard tests or a call passes on (`analysis.guards`), the
    # positional ones in order, and the guards of each assignment to one of them
    guarded_params: tuple[str, ...] = ()
    positional_params: tuple[str, ...] = ()
    rebinds: tuple[tuple[str, tuple[Guard, ...]], ...] = ()


@dataclass
class ModuleFacts:
    module: str
    path: str
    is_package: bool
    bindings: dict[str, Binding]
    functions: dict[str, FunctionFacts]
    depends_targets: set[str]
    references: set[str]  # qualified names used other than as a decorator or a Depends target
    extra: dict[str, object] = field(default_factory=dict)  # from fastapi_fixer.analysis.collectors
    # class qualname -> its bases, qualified as the module sees them
    class_bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # `Depends(factory(...))`: the factories called (qualified as the module sees them)
    depends_factories: set[str] = field(default_factory=set)
    # function qualname -> the functions nested in it that it returns (`return inner`)
    returned_functions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # async functions registered with a server that runs them on the event loop, as
    # (function qualname, receiver, API): `@sio.on("x")`, `@mcp.tool`, `Tool.from_function(f)`
    # (`eventloop.loop_entries` decides which servers count); see `registration_receiver`
    loop_handlers: tuple[tuple[str, str, str], ...] = ()
    # servers made into ASGI apps, as (receiver, API): `socketio.ASGIApp(sio)`, `mcp.http_app()`
    served: tuple[tuple[str, str], ...] = ()
    # project functions stored in an attribute of a module-level object, as (attribute,
    # function): `config.code.on_message = handler` (or `= wrap(handler)`); a call of that
    # attribute runs the function (`ProjectIndex.implementations`)
    stored_callables: tuple[tuple[str, str], ...] = ()
    # the module's code treats requests for the docs pages apart: it compares a path with
    # `"/docs"`, `"/redoc"` or `"/openapi.json"`, or lists them (a middleware letting the Swagger
    # UI through): the project serves its docs on purpose (FF603)
    names_docs_paths: bool = False
    semantic_digest: str = ""  # what other files may depend on, positions left out (index.py)
    # the `references` used as a value somewhere (passed, stored, returned, decorating), not
    # only as the callee of a direct call `f(...)`: a function never named so is never handed
    # to FastAPI (`ProjectIndex.only_called`)
    value_references: set[str] = field(default_factory=set)


def _depends_target(call: ast.Call, resolver: Resolver) -> ast.expr | None:
    if resolver.qualify(call.func) not in DEPENDS_CALLS:
        return None
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "dependency":
            return keyword.value
    return None


def route_decl(decorator: ast.expr, resolver: Resolver) -> RouteDecl | None:
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    method = decorator.func.attr
    if method not in ROUTE_METHODS:
        return None
    receiver_node = decorator.func.value
    receiver = (
        resolver.local_app_kind(receiver_node)
        or resolver.qualify(receiver_node)
        or resolver.constructed_receiver(receiver_node)
    )
    if receiver is None or receiver.startswith("builtins."):
        return None
    path_node = decorator.args[0] if decorator.args else None
    hidden = False
    for keyword in decorator.keywords:
        if keyword.arg == "path":
            path_node = keyword.value
        elif keyword.arg == "include_in_schema":
            hidden = isinstance(keyword.value, ast.Constant) and keyword.value.value is False
    path = (
        path_node.value
        if isinstance(path_node, ast.Constant) and isinstance(path_node.value, str)
        else None
    )
    return RouteDecl(receiver, method, path, decorator.lineno, hidden)


# Registering an async function with a server that runs it on the event loop (socket.io, MCP):
# decorator APIs (`@sio.on("x")`, `@sio.event`, `@mcp.tool()`, `@server.call_tool()`) and call
# APIs taking the function (API -> its position and keyword). Which receivers are such servers,
# and which servers are served in the app's loop, is the index's question
# (`eventloop.loop_entries`): facts only record what was registered on what.
HANDLER_DECORATORS = frozenset(
    {"on", "event", "tool", "resource", "prompt", "call_tool", "read_resource", "get_prompt"}
)
HANDLER_CALLS = {
    "on": (1, "handler"),  # `sio.on("event", handler)`
    "event": (0, "handler"),
    "tool": (0, "fn"),  # `mcp.tool(fn)`
    "add_tool": (0, "fn"),  # `mcp.add_tool(fn)` (the MCP SDK's FastMCP)
    "from_function": (0, "fn"),  # `Tool.from_function(fn, ...)` (fastmcp)
}
# making a server an ASGI app: `mcp.http_app()` (by method), `socketio.ASGIApp(sio)` (by callee,
# with the argument that is the server)
SERVING_METHODS = frozenset({"http_app", "streamable_http_app", "sse_app"})
SERVING_CALLS = {"ASGIApp": (0, "socketio_server"), "StreamableHTTPSessionManager": (0, "app")}
_SERVER_APIS = frozenset({*HANDLER_CALLS, *SERVING_METHODS, *SERVING_CALLS})
# an abstract method's own body runs only through `super()`: calls dispatch to the subclasses'
ABSTRACT_METHOD = "abc.abstractmethod"
# a receiver typed by where it comes from rather than by a name the index can look up
RECEIVER_TYPE = "type:"


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


class _ModuleAnalyzer:
    def __init__(self, tree: ast.Module, module: str, path: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.scope = Scope(qualprefix=module)
        self.resolver = Resolver(self.scope, module)
        self.own = OwnNodes()  # each scope's nodes, walked again by most collectors
        collect_bindings(
            self.scope, tree.body, self.resolver, module, is_package, local=False, own=self.own
        )
        self.facts = ModuleFacts(
            module=module,
            path=path,
            is_package=is_package,
            bindings=self.scope.bindings,
            functions={},
            depends_targets=set(),
            references=set(),
        )
        self._skip_refs: set[int] = set()
        self._callees: set[int] = set()  # the `func` of each call: `f` in `f(...)`
        self._scope_functions: dict[int, tuple[FunctionNode, Resolver]] = {}
        self._loop_handlers: list[tuple[str, str, str]] = []
        self._served: list[tuple[str, str]] = []
        self._stored: list[tuple[str, str]] = []
        # what rules would otherwise compute again: each function with its scope and body facts
        self.functions: list[tuple[FunctionNode, str, Resolver]] = []
        self.bodies: dict[int, BodyFacts] = {}
        self._visit_scope_body(tree.body, self.scope, self.resolver)
        self.facts.loop_handlers = tuple(self._loop_handlers)
        self.facts.served = tuple(self._served)
        self.facts.stored_callables = tuple(self._stored)

    def _visit_scope_body(self, body: list[ast.stmt], scope: Scope, resolver: Resolver) -> None:
        for node in self.own(body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._visit_function(node, scope, resolver)
            elif isinstance(node, ast.ClassDef):
                self._visit_class(node, scope, resolver)
            elif isinstance(node, ast.Lambda):
                inner = function_scope(
                    node, scope, scope.qualprefix, self.module, self.is_package, own=self.own
                )
                self._visit_expressions(node.body, resolver.within(inner))
            else:
                self._note_expression(node, resolver)

    def _visit_class(self, node: ast.ClassDef, scope: Scope, resolver: Resolver) -> None:
        for expression in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self._visit_expressions(expression, resolver)
        bases = tuple(b for b in map(resolver.qualify, node.bases) if b is not None)
        if bases:
            self.facts.class_bases[f"{scope.qualprefix}.{node.name}"] = bases
        inner = Scope(qualprefix=f"{scope.qualprefix}.{node.name}", parent=scope, is_class=True)
        collect_bindings(
            inner,
            node.body,
            resolver.within(inner),
            self.module,
            self.is_package,
            local=True,
            own=self.own,
        )
        self._visit_scope_body(node.body, inner, resolver.within(inner))

    def _visit_function(self, node: FunctionNode, scope: Scope, resolver: Resolver) -> None:
        qualname = f"{scope.qualprefix}.{node.name}"
        routes: list[RouteDecl] = []
        others: list[str] = []
        for decorator in node.decorator_list:
            declared = route_decl(decorator, resolver)
            if declared is not None:
                routes.append(declared)
                self._skip_refs.add(id(decorator.func))
            else:
                name = resolver.qualify(
                    decorator.func if isinstance(decorator, ast.Call) else decorator
                )
                others.append(name or "?")
            self._visit_expressions(decorator, resolver)
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self._visit_expressions(default, resolver)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self._visit_expressions(arg.annotation, resolver)
        if node.returns is not None:
            self._visit_expressions(node.returns, resolver)
        inner = function_scope(node, scope, qualname, self.module, self.is_package, own=self.own)
        self._scope_functions[id(inner)] = (node, resolver)
        if isinstance(node, ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(func, ast.Attribute) and func.attr in HANDLER_DECORATORS:
                    receiver = self._receiver(func.value, resolver)
                    if receiver is not None:
                        self._loop_handlers.append((qualname, receiver, func.attr))
        inner_resolver = resolver.within(inner)
        body = walk_body(node, inner_resolver)
        self.functions.append((node, qualname, inner_resolver))
        self.bodies[id(node)] = body
        self.facts.functions[qualname] = FunctionFacts(
            qualname=qualname,
            name=node.name,
            line=node.lineno,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            is_method=scope.is_class,
            is_nested=scope.parent is not None and not scope.is_class,
            calls=tuple(
                site.target
                for site in body.calls
                if site.target is not None and not site.awaited and not site.in_threadpool
            ),
            routes=tuple(routes),
            other_decorators=tuple(others),
            sites=call_facts(node, body, inner_resolver, scope, others, self.own),
            col=node.col_offset,
            is_stub=_is_stub(node) or ABSTRACT_METHOD in others,
            is_generator=body.has_yield,
            returns=_annotated_class(node.returns, resolver)
            or (node.returns is None and _returned_dict_value(node, inner_resolver, self.own))
            or (node.returns is None and _returned_classes(node, inner_resolver, self.own))
            or "",
            returns_items=_annotated_items(node.returns, resolver),
            **_parameter_facts(node, self.own),
        )
        returned = _returned_functions(node, inner, qualname, self.own)
        if returned:
            self.facts.returned_functions[qualname] = returned
        self._visit_scope_body(node.body, inner, inner_resolver)

    def _visit_expressions(self, node: ast.AST, resolver: Resolver) -> None:
        for child in own_nodes([node]):  # type: ignore[list-item]
            if isinstance(child, ast.Lambda):
                scope = function_scope(
                    child, resolver.scope, resolver.scope.qualprefix, self.module, self.is_package
                )
                self._visit_expressions(child.body, resolver.within(scope))
            else:
                self._note_expression(child, resolver)

    def _receiver(self, node: ast.expr, resolver: Resolver) -> str | None:
        """What the object a handler is registered on is: a name the index can type (bound at
        module level, imported), `call:<callee>` when built in the function, `type:<class>`
        for a parameter annotated with its class; None when unknown."""
        if isinstance(node, ast.Attribute):
            return resolver.qualify(node)
        if not isinstance(node, ast.Name):
            return None
        scope: Scope | None = resolver.scope
        from_inner = False
        while scope is not None:
            if not (from_inner and scope.is_class) and node.id in scope.bindings:
                binding = scope.bindings[node.id]
                if binding.kind == "import":
                    return binding.target
                if scope.parent is None:
                    return f"{scope.qualprefix}.{node.id}"
                if binding.kind == "other" and binding.target.startswith(CONSTRUCTED):
                    return binding.target
                function = self._scope_functions.get(id(scope))
                if function is None:
                    return None
                args = function[0].args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    if arg.arg == node.id:
                        kind = _annotated_class(arg.annotation, function[1])
                        return f"{RECEIVER_TYPE}{kind}" if kind is not None else None
                return None
            scope, from_inner = scope.parent, True
        return None

    def _note_server_call(self, node: ast.Call, resolver: Resolver) -> None:
        """A handler registered by a call (`sio.on("x", handler)`), or a server made into an
        ASGI app (`socketio.ASGIApp(sio)`, `mcp.http_app()`)."""
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SERVING_CALLS:
            callee = resolver.qualify(func)
            server = _argument(node, *SERVING_CALLS[name])
            receiver = self._receiver(server, resolver) if server is not None else None
            if callee is not None and receiver is not None:
                self._served.append((receiver, callee))
            return
        if not isinstance(func, ast.Attribute):
            return
        if name in SERVING_METHODS:  # on an object of unknown type: the index looks at imports
            self._served.append((self._receiver(func.value, resolver) or "", name))
            return
        handler = _argument(node, *HANDLER_CALLS[name])
        if not isinstance(handler, ast.Name):
            return
        function = resolver.qualify(handler)
        if function is None or function.startswith("builtins."):
            return
        if name == "from_function":  # a classmethod: the receiver is the class
            cls = resolver.qualify(func.value)
            receiver = f"{RECEIVER_TYPE}{cls}" if cls is not None else None
        else:
            receiver = self._receiver(func.value, resolver)
        if receiver is not None:
            self._loop_handlers.append((function, receiver, name))

    def _note_stored_callable(self, node: ast.Assign, resolver: Resolver) -> None:
        """`config.hooks.on_message = handler` (or `= wrap(handler)`, a wrapper taken to call
        it) on a module-level or imported object: a later `config.hooks.on_message(...)` runs
        ``handler``."""
        target = node.targets[0]
        value = node.value
        if isinstance(value, ast.Call) and value.args:  # `wrap_user_function(handler)`
            value = value.args[0]
        if not isinstance(value, ast.Name):
            return
        binding = resolver.scope.lookup(value.id)
        if binding is None or binding.kind != "def":
            return
        attributes: list[str] = []
        base: ast.expr = target
        while isinstance(base, ast.Attribute):
            attributes.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return
        owner = resolver.qualify(base) or _module_name_of(base.id, resolver)
        if owner is None or owner.startswith("builtins."):
            return
        self._stored.append((".".join([owner, *reversed(attributes)]), binding.target))

    def _note_expression(self, node: ast.AST, resolver: Resolver) -> None:
        if not self.facts.names_docs_paths and type(node) in _DOCS_HOLDERS:
            self.facts.names_docs_paths = _names_docs_path(node)
        if type(node) is ast.Assign:
            if len(node.targets) == 1 and type(node.targets[0]) is ast.Attribute:  # type: ignore[attr-defined]
                self._note_stored_callable(node, resolver)  # type: ignore[arg-type]
            return
        if isinstance(node, ast.Call):
            func = node.func
            self._callees.add(id(func))
            if isinstance(func, ast.Attribute):
                if func.attr in _SERVER_APIS:
                    self._note_server_call(node, resolver)
            elif isinstance(func, ast.Name) and func.id in SERVING_CALLS:
                self._note_server_call(node, resolver)
            target = _depends_target(node, resolver)
            if isinstance(target, ast.Call):  # `Depends(require_role("admin"))`
                factory = resolver.qualify(target.func)
                if factory is not None and not factory.startswith("builtins."):
                    self.facts.depends_factories.add(factory)
            elif target is not None:
                qualified = resolver.qualify(target)
                if qualified is not None:
                    self.facts.depends_targets.add(qualified)
                    self._skip_refs.add(id(target))
        elif (
            isinstance(node, (ast.Name, ast.Attribute))
            and isinstance(node.ctx, ast.Load)
            and id(node) not in self._skip_refs
        ):
            qualified = resolver.qualify(node)
            if qualified is not None and not qualified.startswith("builtins."):
                self.facts.references.add(qualified)
                if id(node) not in self._callees:
                    self.facts.value_references.add(qualified)


DOCS_PATHS = frozenset({"/docs", "/redoc", "/openapi.json", "/docs/", "/redoc/"})
_DOCS_HOLDERS = frozenset({ast.Compare, ast.Call, ast.List, ast.Tuple, ast.Set})


def _names_docs_path(node: ast.AST) -> bool:
    """`path == "/docs"`, `path in ("/docs", "/redoc")`, `path.startswith("/docs")`, or a list
    of paths holding one; not `FastAPI(docs_url="/docs")`."""
    if isinstance(node, ast.Compare):
        values = [node.left, *node.comparators]
    elif isinstance(node, ast.Call):
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("startswith", "endswith")):
            return False
        values = list(node.args[:1])
        if values and isinstance(values[0], ast.Tuple):
            values = list(values[0].elts)
    else:
        values = list(node.elts)  # type: ignore[attr-defined]
    return any(isinstance(value, ast.Constant) and value.value in DOCS_PATHS for value in values)


def _returned_dict_value(
    node: FunctionNode, resolver: Resolver, own: Callable[[list[ast.stmt]], list[ast.AST]]
) -> str:
    """`pkg.mod.SESSIONS[]` when every `return` of an unannotated function gives a value of the
    same module-level dict (`return SESSIONS.get(key)`, `SESSIONS[key]`, `.pop(key)`): the
    index types it by that dict's values."""
    found = ""
    for child in own(node.body):
        if not isinstance(child, ast.Return):
            continue
        value = child.value
        if isinstance(value, ast.Subscript):
            mapping = value.value
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in ("get", "pop", "setdefault")
        ):
            mapping = value.func.value
        else:
            return ""
        if not isinstance(mapping, ast.Name):
            return ""
        name = _module_name_of(mapping.id, resolver)
        if name is None or (found and found != name):
            return ""
        found = name
    return f"{found}[]" if found else ""


def _returned_classes(
    node: FunctionNode, resolver: Resolver, own: Callable[[list[ast.stmt]], list[ast.AST]]
) -> str:
    """`pkg.A|pkg.B` when every `return` of an unannotated function builds an object of a
    class (`return AzureDeployer(endpoint)`; `return None` aside): a factory choosing one by
    its arguments. The index types what it returns by each of them."""
    found: list[str] = []
    for child in own(node.body):
        if not isinstance(child, ast.Return):
            continue
        value = child.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            continue
        if not isinstance(value, ast.Call):
            return ""
        callee = resolver.qualify(value.func)
        if not _looks_like_class(callee):
            return ""
        found.append(callee)  # type: ignore[arg-type]
    return "|".join(dict.fromkeys(found))


def _returned_functions(
    node: FunctionNode, scope: Scope, qualname: str, own: Callable[[list[ast.stmt]], list[ast.AST]]
) -> tuple[str, ...]:
    """The functions defined in ``node`` that it returns by name (a dependency factory's
    dependency)."""
    found: list[str] = []
    for child in own(node.body):
        if isinstance(child, ast.Return) and isinstance(child.value, ast.Name):
            binding = scope.bindings.get(child.value.id)
            if (
                binding is not None
                and binding.kind == "def"
                and binding.target == f"{qualname}.{child.value.id}"
            ):
                found.append(binding.target)
    return tuple(dict.fromkeys(found))


@dataclass
class Analysis:
    """The facts of a module plus what was computed on the way (scopes, function bodies), kept
    in memory so the rules that check the same tree need not compute it again."""

    facts: ModuleFacts
    scope: Scope
    functions: list[tuple[FunctionNode, str, Resolver]]
    bodies: dict[int, BodyFacts]


def analyze(tree: ast.Module, module: str, path: str, is_package: bool) -> Analysis:
    from fastapi_fixer.analysis.collectors import all_collectors

    analyzer = _ModuleAnalyzer(tree, module, path, is_package)
    for key, collect in all_collectors():
        analyzer.facts.extra[key] = collect(tree, analyzer.facts, analyzer.resolver, analyzer.own)
    return Analysis(analyzer.facts, analyzer.scope, analyzer.functions, analyzer.bodies)


def module_scope(tree: ast.Module, module: str, is_package: bool) -> Scope:
    scope = Scope(qualprefix=module)
    collect_bindings(scope, tree.body, Resolver(scope, module), module, is_package, local=False)
    return scope


def is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`"""
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )
