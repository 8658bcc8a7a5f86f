"""## What it does
Finds tests that use the synchronous `TestClient` (`fastapi.testclient` or
`starlette.testclient`) in test modules (`test_*.py`, `*_test.py`, `conftest.py`, or under a
`tests/` folder), and converts a whole module to an `httpx.AsyncClient` over `ASGITransport`.
A client used for nothing but `websocket_connect` (inline, through a name, or through a fixture
returning it) is not reported: httpx has no WebSocket client to move it to.

## Why is this bad?
`TestClient` runs the app in a separate event loop on a worker thread. As soon as tests or
fixtures need async code of their own (an async database session, `await` on a service), the two
loops meet and fail with "attached to a different loop" errors that are painful to debug. An
async client from day one keeps the app and the tests on one loop.

## Example
```python
from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_read_items():
    response = client.get("/items")
    assert response.status_code == 200
    assert client.get("/items/1").json()["id"] == 1
```

## Use instead
```python
import pytest
from httpx import ASGITransport, AsyncClient

from app.main import app


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def client():
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url="http://test", follow_redirects=True
    ) as ac:
        yield ac


@pytest.mark.anyio
async def test_read_items(client):
    response = await client.get("/items")
    assert response.status_code == 200
    assert (await client.get("/items/1")).json()["id"] == 1
```

## Fix safety
Unsafe: the tests change shape (async, a new fixture, a marker). The fix converts a module
completely or not at all:

- a module-level `client = TestClient(app)` becomes a fixture of the same name, and every test
  (or fixture) that used it requests it as a parameter;
- a fixture returning `TestClient(app)` (or yielding it) becomes an async fixture yielding the
  `AsyncClient`; a local `c = TestClient(app)` becomes `c = AsyncClient(...)`;
- `with TestClient(app) as c:` ran the app's lifespan (startup/shutdown); `ASGITransport` does
  not, so it becomes `async with app.router.lifespan_context(app), AsyncClient(...) as c:`;
- tests become `async def` with `@pytest.mark.anyio`; every `get`/`post`/`put`/`patch`/
  `delete`/`request`/`options`/`head` call on a client is awaited (`(await client.get(u)).json()`
  where a call is chained); module helpers that receive a client become `async def` and their
  calls are awaited;
- the anyio plugin's `anyio_backend` fixture (returning `"asyncio"`) is added unless the module
  or a `conftest.py` the tool sees defines one.

`TestClient`'s defaults are kept: `follow_redirects=True`, `raise_server_exceptions=` becomes
`raise_app_exceptions=`, `root_path=` moves to the transport, the base URL is
`http://testserver` when the module mentions `testserver` (else `http://test`), and the client
address `("testclient", 50000)` is passed when the module mentions `"testclient"`.

Report only (no fix for the whole module): `websocket_connect` (httpx has no WebSocket
support), `client.stream(...)`, clients used as context managers through a name, passed to
anything but a module helper, stored, or used at module level, inside lambdas, nested
functions or generator expressions; helpers reading the module-level client, called other than
directly or from other modules; `conftest.py` and modules whose fixtures or clients other
modules import; fixtures with a scope wider than `function`; tests that are already `async`,
methods of classes with bases, `usefixtures`/`getfixturevalue`; `TestClient` options without
an httpx equivalent (`backend=`, `client=`, `**kwargs`).

## Known problems
`app.router.lifespan_context(app)` runs the app's lifespan but not through its middleware, and
a lifespan that yields a state dict does not reach `request.state` (httpx's transport has no
lifespan state). Apps passed to `TestClient` that are not Starlette/FastAPI apps have no
`router.lifespan_context`. Fixtures that use a client fixture through another fixture are
followed only inside the module.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from fastapi_fixer.analysis import astwalk
from fastapi_fixer.analysis.collectors.test_fixtures import (
    KEY,
    TestFixtures,
    fixture_decorator,
    fixture_options,
    is_test_path,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity, Span, start_only
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

TEST_CLIENTS = frozenset({"fastapi.testclient.TestClient", "starlette.testclient.TestClient"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "request", "options", "head"})
SAFE_ATTRIBUTES = frozenset({"headers", "cookies", "base_url", "auth", "params"})
_Function = ast.FunctionDef | ast.AsyncFunctionDef


class _NoFix(Exception):
    """The module cannot be converted completely; the message says why."""


@dataclass
class _Func:
    node: _Function
    kind: str  # "test" | "fixture" | "helper"
    owner: str  # class name or ""
    fixture_name: str = ""
    scope: str = "function"
    clients: set[str] = field(default_factory=set)  # local names bound to a client
    add_params: list[str] = field(default_factory=list)
    awaits: list[ast.Call] = field(default_factory=list)
    inline: list[ast.Call] = field(default_factory=list)  # `TestClient(app).get(...)`
    convert: bool = False
    # every node of the function, in `ast.walk` order (from `_Tree.subtrees`)
    nodes: list[ast.AST] = field(default_factory=list, repr=False)

    # The planner asks the same questions of a function on every round of `_propagate`: the
    # answers are kept.

    @cached_property
    def names(self) -> list[ast.Name]:
        return [n for n in self.nodes if isinstance(n, ast.Name)]

    @cached_property
    def loads(self) -> list[ast.Name]:
        """The names the function reads, in `ast.walk` order."""
        return [n for n in self.names if isinstance(n.ctx, ast.Load)]

    @cached_property
    def loaded(self) -> frozenset[str]:
        return frozenset(n.id for n in self.loads)

    @cached_property
    def stored(self) -> frozenset[str]:
        """Names the function (or anything nested in it) assigns."""
        return frozenset(n.id for n in self.names if isinstance(n.ctx, ast.Store))


class _Tree:
    """What the rule needs of the whole module, found with one walk of it: its nodes, their
    parents (one map serves every function) and the `TestClient` constructions."""

    def __init__(self, ctx: FileContext) -> None:
        self.nodes, self.parents = _walk(ctx.tree)
        self.clients = [
            node
            for node in self.nodes
            if isinstance(node, ast.Call) and ctx.resolver.qualify(node.func) in TEST_CLIENTS
        ]
        self.client_ids = {id(node) for node in self.clients}

    def subtrees(self, roots: list[ast.AST]) -> dict[int, list[ast.AST]]:
        """The nodes of each of ``roots`` (which must not nest) by the root's id, each list in
        the order `ast.walk(root)` gives: a breadth-first walk of the module meets a subtree's
        nodes in the order a breadth-first walk of the subtree does."""
        found: dict[int, list[ast.AST]] = {id(root): [] for root in roots}
        home: dict[int, list[ast.AST]] = {}  # node id -> the list of the root above it
        for node in self.nodes:
            mine = found.get(id(node))
            if mine is None:
                parent = self.parents.get(id(node))
                mine = home.get(id(parent)) if parent is not None else None
            if mine is not None:
                home[id(node)] = mine
                mine.append(node)
        return found


class SyncTestClient(Rule):
    CODE = "FF801"
    NAME = "sync-test-client"
    SEVERITY = Severity.ERROR
    MESSAGE = "Synchronous `TestClient` in tests"
    FIX_TITLE = "Convert the module's tests to `httpx.AsyncClient`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("TestClient",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if not is_test_path(ctx.path):
            return
        tree = _Tree(ctx)
        websocket_only = _websocket_only(ctx, tree)
        if all(id(node) in websocket_only for node in tree.clients):
            return
        fix: Fix | None = None
        reason = ""
        try:
            fix = _Planner(ctx, tree).plan()
        except _NoFix as exc:
            reason = str(exc)
        for node in tree.clients:
            if id(node) in websocket_only:  # httpx has no WebSocket client to move to
                continue
            message = (
                "Synchronous `TestClient` in tests; use `httpx.AsyncClient` with `ASGITransport`"
            )
            if reason:
                message += f" (no automatic fix: {reason})"
            yield self.diagnostic(ctx, node, message, fix)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return _apply(module, edits)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits at `ast`'s positions (the fix pass then needs
        no LibCST parse of the module); None where that is not certain to be what `fix`
        writes, and outside a fix pass."""
        from fastapi_fixer.fixing.textedit import recorded_fix

        return recorded_fix(_apply_text, text, edits)


# --- planning --------------------------------------------------------------------------------


class _Planner:
    def __init__(self, ctx: FileContext, tree: _Tree) -> None:
        self.ctx = ctx
        self.tree = tree
        self.text = ctx.text
        self.funcs: dict[int, _Func] = {}
        self.by_name: dict[str, _Func] = {}  # module-level functions by name
        self.globals: dict[str, ast.Assign] = {}  # module-level `name = TestClient(...)`
        self.client_fixtures: set[str] = set()
        self.edits: list[Edit] = []
        self.handled: set[int] = set()  # TestClient calls the plan converts

    def plan(self) -> Fix:
        ctx = self.ctx
        base = os.path.basename(ctx.path)
        if base == "conftest.py":
            raise _NoFix("fixtures of `conftest.py` serve other modules; convert them by hand")
        for word in ("usefixtures", "getfixturevalue"):
            if word in self.text:
                raise _NoFix(f"`{word}` requests fixtures the tool cannot follow")
        self._check_names()
        self._collect_functions()
        self._collect_globals()
        self._collect_local_constructions()
        self._propagate()
        for call in self.tree.clients:
            if id(call) not in self.handled:
                raise _NoFix(
                    f"`TestClient(...)` on line {call.lineno} is used in a way the fix "
                    "does not convert"
                )
        self._check_exports()
        return self._fix()

    # names the fix writes must be free (or already the right imports)

    def _check_names(self) -> None:
        bindings = self.ctx.facts.bindings
        wanted = {
            "pytest": "pytest",
            "AsyncClient": "httpx.AsyncClient",
            "ASGITransport": "httpx.ASGITransport",
        }
        for name, target in wanted.items():
            binding = bindings.get(name)
            if binding is not None and not (binding.kind == "import" and binding.target == target):
                raise _NoFix(f"`{name}` means something else in this module")

    def _is_test_client(self, node: ast.AST) -> bool:
        """(Asked only of nodes of this module, whose constructions `_Tree` found.)"""
        return id(node) in self.tree.client_ids

    def _collect_functions(self) -> None:
        for statement in self.ctx.tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._add_function(statement, "")
            elif isinstance(statement, ast.ClassDef):
                plain = not statement.bases and not statement.keywords
                for item in statement.body:
                    if (
                        isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and plain
                        and statement.name.startswith("Test")
                        and item.name.startswith("test")
                    ):
                        self._add_function(item, statement.name)
        subtrees = self.tree.subtrees([func.node for func in self.funcs.values()])
        for root, nodes in subtrees.items():
            self.funcs[root].nodes = nodes

    def _add_function(self, node: _Function, owner: str) -> None:
        decorator = next(
            (d for d in node.decorator_list if fixture_decorator(d, self.ctx.resolver)), None
        )
        if decorator is not None and not owner:
            name, scope, _ = fixture_options(decorator)
            func = _Func(node, "fixture", owner, name or node.name, scope)
        elif node.name.startswith("test"):
            func = _Func(node, "test", owner)
        elif not owner and not node.decorator_list:
            func = _Func(node, "helper", owner)
        else:
            return
        self.funcs[id(node)] = func
        if not owner:
            self.by_name[node.name] = func

    def _collect_globals(self) -> None:
        for statement in self.ctx.tree.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and self._is_test_client(statement.value)
            ):
                name = statement.targets[0].id
                if name in self.globals or name in self.by_name:
                    raise _NoFix(f"`{name}` is bound more than once")
                self.globals[name] = statement
                self.client_fixtures.add(name)
                self.handled.add(id(statement.value))
        bound = [
            target.id
            for node in self.ctx.tree.body
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for target in _assigned_names(node)
            if target.id in self.globals
        ]
        if len(bound) != len(self.globals):
            raise _NoFix("a module-level client name is bound more than once")

    def _collect_local_constructions(self) -> None:
        for func in self.funcs.values():
            node = func.node
            parents = self.tree.parents
            for call in func.nodes:
                # `TestClient(app).get(...)`: a client for one call
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in HTTP_METHODS
                    and self._is_test_client(call.func.value)
                ):
                    continue
                if _in_nested_scope(call, node, parents) or _in_generator(call, node, parents):
                    continue  # left unhandled: reported without a fix
                inner = call.func.value
                self.handled.add(id(inner))
                self.edits.append(
                    Edit(
                        self.ctx.path,
                        "client-call",
                        self.ctx.span(inner),
                        (self._client_source(inner, lifespan=False),),  # type: ignore[arg-type]
                    )
                )
                func.inline.append(call)
                func.convert = True
            last = node.body[-1] if node.body else None
            for statement in _own_statements(node):
                if (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)
                    and self._is_test_client(statement.value)
                ):
                    func.clients.add(statement.targets[0].id)
                    func.convert = True
                    self.handled.add(id(statement.value))
                    self.edits.append(
                        Edit(
                            self.ctx.path,
                            "client-call",
                            self.ctx.span(statement.value),
                            (self._client_source(statement.value, lifespan=False),),
                        )
                    )
                elif isinstance(statement, ast.With) and any(
                    self._is_test_client(item.context_expr) for item in statement.items
                ):
                    items = []
                    for item in statement.items:
                        target = item.optional_vars
                        if not self._is_test_client(item.context_expr) or not isinstance(
                            target, ast.Name
                        ):
                            raise _NoFix(
                                f"`with TestClient(...)` on line {statement.lineno} mixes other "
                                "context managers or binds no name"
                            )
                        app = self._app_argument(item.context_expr)  # type: ignore[arg-type]
                        if not _is_dotted(app):
                            raise _NoFix(
                                f"the app of `with TestClient(...)` on line {statement.lineno} "
                                "is not a plain name (its lifespan needs it twice)"
                            )
                        app_text = self._source(app)
                        items.append(
                            (
                                f"{app_text}.router.lifespan_context({app_text})",
                                self._client_source(item.context_expr, lifespan=True),  # type: ignore[arg-type]
                                target.id,
                            )
                        )
                        func.clients.add(target.id)
                        self.handled.add(id(item.context_expr))
                    func.convert = True
                    self.edits.append(
                        Edit(
                            self.ctx.path,
                            "async-with",
                            start_only(self.ctx.span(statement)),
                            tuple(items),
                        )
                    )
                elif isinstance(statement, (ast.Return, ast.Expr)) and func.kind == "fixture":
                    value = statement.value
                    if isinstance(statement, ast.Expr) and isinstance(value, ast.Yield):
                        value = value.value
                    elif isinstance(statement, ast.Expr):
                        continue
                    if value is None or not self._is_test_client(value):
                        continue
                    if isinstance(statement, ast.Return) and statement is not last:
                        raise _NoFix(f"the fixture `{node.name}` returns early")
                    func.convert = True
                    self.handled.add(id(value))
                    self.edits.append(
                        Edit(
                            self.ctx.path,
                            "yield-client",
                            start_only(self.ctx.span(statement)),
                            (self._client_source(value, lifespan=False), "ac"),  # type: ignore[arg-type]
                        )
                    )
                    self.client_fixtures.add(func.fixture_name)

    # --- following the clients ---------------------------------------------------------------

    def _propagate(self) -> None:
        """Until nothing changes: which functions hold a client, which must become async."""
        for _ in range(50):
            before = self._state()
            for func in list(self.funcs.values()):
                self._scan(func)
            if self._state() == before:
                return
        raise _NoFix("the clients are passed around too much to follow")

    def _state(self) -> tuple:
        return (
            tuple(
                (sorted(f.clients), tuple(f.add_params), f.convert, len(f.awaits))
                for f in self.funcs.values()
            ),
            tuple(sorted(self.client_fixtures)),
        )

    def _params(self, node: _Function) -> list[str]:
        args = node.args
        return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]

    def _scan(self, func: _Func) -> None:
        node = func.node
        params = self._params(node)
        locals_ = func.stored
        if func.kind in ("test", "fixture"):
            for param in params:
                if param in self.client_fixtures:
                    func.clients.add(param)
                    func.convert = True
            for name in self.globals:
                if name not in params and name not in locals_ and name in func.loaded:
                    if name not in func.add_params:
                        func.add_params.append(name)
                    func.clients.add(name)
                    func.convert = True
        else:
            for name in self.globals:
                if name not in params and name not in locals_ and name in func.loaded:
                    raise _NoFix(
                        f"the helper `{node.name}` reads the module-level `{name}`; pass the "
                        "client as a parameter"
                    )
        func.awaits = list(func.inline)
        self._uses(func)
        if func.kind == "fixture" and func.clients:
            for statement in _own_statements(node):
                if (
                    isinstance(statement, (ast.Return, ast.Expr))
                    and isinstance(_returned(statement), ast.Name)
                    and _returned(statement).id in func.clients  # type: ignore[union-attr]
                ):
                    self.client_fixtures.add(func.fixture_name)

    def _uses(self, func: _Func) -> None:
        """Every read of a client name in the function: awaits what must be awaited, marks
        helpers that receive a client, and refuses what cannot be converted."""
        node = func.node
        parents = self.tree.parents
        for name_node in func.loads:
            if name_node.id not in func.clients:
                continue
            where = f"line {name_node.lineno}"
            if _in_nested_scope(name_node, node, parents):
                raise _NoFix(f"a client is used inside a nested function or lambda ({where})")
            parent = parents.get(id(name_node))
            if isinstance(parent, ast.Attribute):
                grand = parents.get(id(parent))
                attr = parent.attr
                if attr in HTTP_METHODS and isinstance(grand, ast.Call) and grand.func is parent:
                    if _in_generator(grand, node, parents):
                        raise _NoFix(f"a client call in a generator expression ({where})")
                    func.awaits.append(grand)
                    func.convert = True
                    continue
                if attr == "websocket_connect":
                    raise _NoFix(f"`websocket_connect` has no httpx equivalent ({where})")
                if attr in SAFE_ATTRIBUTES:
                    continue
                raise _NoFix(f"`{name_node.id}.{attr}` has no httpx equivalent here ({where})")
            if isinstance(parent, ast.Call) and name_node in parent.args + [
                k.value for k in parent.keywords
            ]:
                helper = (
                    self.by_name.get(parent.func.id) if isinstance(parent.func, ast.Name) else None
                )
                if helper is None or helper.kind != "helper":
                    raise _NoFix(f"a client is passed to something the fix cannot follow ({where})")
                if _in_generator(parent, node, parents):
                    raise _NoFix(f"a helper call in a generator expression ({where})")
                param = self._bound_parameter(helper.node, parent, name_node)
                if param is None:
                    raise _NoFix(f"a client is passed to `{helper.node.name}` by `*` ({where})")
                helper.clients.add(param)
                helper.convert = True
                func.convert = True
                continue
            if (
                func.kind == "fixture"
                and isinstance(parent, (ast.Return, ast.Yield))
                and parent.value is name_node
            ):
                continue
            raise _NoFix(f"a client is used in a way the fix does not convert ({where})")

    def _bound_parameter(self, helper: _Function, call: ast.Call, value: ast.AST) -> str | None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return None
        positional = [a.arg for a in [*helper.args.posonlyargs, *helper.args.args]]
        for position, argument in enumerate(call.args):
            if argument is value:
                return positional[position] if position < len(positional) else None
        for keyword in call.keywords:
            if keyword.value is value:
                return keyword.arg
        return None

    # --- whole-module checks -----------------------------------------------------------------

    def _check_exports(self) -> None:
        ctx = self.ctx
        mine = {f"{ctx.module}.{name}" for name in self.globals}
        mine |= {f"{ctx.module}.{f.node.name}" for f in self.funcs.values() if f.convert}
        for name in sorted(mine):
            others = sorted(ctx.index.referrers(name) - {ctx.module})
            if others:
                raise _NoFix(f"`{others[0]}` imports `{name.rpartition('.')[2]}`")
        tracked = {id(child) for func in self.funcs.values() for child in func.names}
        for node in self.tree.nodes:
            if (
                isinstance(node, ast.Name)
                and node.id in self.globals
                and isinstance(node.ctx, ast.Load)
                and id(node) not in tracked
            ):
                raise _NoFix(
                    f"`{node.id}` is used outside the tests and fixtures the fix converts "
                    f"(line {node.lineno})"
                )
        for name in self.globals:
            for statement in ctx.tree.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if statement is self.globals[name]:
                    continue
                if _reads(statement, name):
                    raise _NoFix(f"`{name}` is used at module level (line {statement.lineno})")
        # calls of helpers that become async: direct calls from converted functions only
        helpers = {f.node.name for f in self.funcs.values() if f.kind == "helper" and f.convert}
        for name in helpers:
            if name in ctx.index.unloaded_names:
                raise _NoFix(f"`{name}` may be used by a file the tool did not analyse")
        if helpers:
            called: set[int] = set()
            for func in self.funcs.values():
                if not func.convert:
                    continue
                parents = self.tree.parents
                for call in func.nodes:
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id in helpers
                    ):
                        if _in_nested_scope(call, func.node, parents) or _in_generator(
                            call, func.node, parents
                        ):
                            raise _NoFix(f"`{call.func.id}` is called where it cannot be awaited")
                        called.add(id(call.func))
                        func.awaits.append(call)
            for node in self.tree.nodes:
                if (
                    isinstance(node, ast.Name)
                    and node.id in helpers
                    and id(node) not in called
                    and isinstance(node.ctx, ast.Load)
                ):
                    raise _NoFix(
                        f"`{node.id}` is used other than called from a converted test "
                        f"(line {node.lineno})"
                    )
        for func in self.funcs.values():
            if not func.convert:
                continue
            node = func.node
            if isinstance(node, ast.AsyncFunctionDef):
                raise _NoFix(f"`{node.name}` is already `async`")
            if func.kind == "fixture" and func.scope != "function":
                raise _NoFix(f"the fixture `{node.name}` has `scope={func.scope!r}`")
            if func.kind == "helper" and any(
                isinstance(n, (ast.Yield, ast.YieldFrom)) for n in func.nodes
            ):
                raise _NoFix(f"the helper `{node.name}` is a generator")

    # --- the edits ---------------------------------------------------------------------------

    def _fix(self) -> Fix:
        ctx = self.ctx
        edits = list(self.edits)
        for name, statement in self.globals.items():
            edits.append(
                Edit(
                    ctx.path,
                    "client-fixture",
                    start_only(ctx.span(statement)),
                    (name, self._client_source(statement.value, lifespan=False)),  # type: ignore[arg-type]
                )
            )
        for func in self.funcs.values():
            if not func.convert:
                continue
            for call in func.awaits:
                edits.append(Edit(ctx.path, "await", ctx.span(call)))
            mark = func.kind == "test" and not _has_anyio_mark(func.node)
            edits.append(
                Edit(
                    ctx.path,
                    "async-def",
                    start_only(ctx.span(func.node)),
                    (func.node.name, mark, tuple(func.add_params)),
                )
            )
        if not self._has_anyio_backend():
            edits.append(Edit(ctx.path, "anyio-backend"))
        edits.append(Edit(ctx.path, "imports"))
        return Fix(SyncTestClient.FIX_TITLE, FixSafety.UNSAFE, tuple(sorted(set(edits), key=repr)))

    def _has_anyio_backend(self) -> bool:
        ctx = self.ctx
        if "anyio_backend" in ctx.facts.bindings or "anyio_backend" in ctx.index.unloaded_names:
            return True
        directory = os.path.dirname(os.path.abspath(ctx.path))
        folders = ctx.index.memo("FF801.anyio_backend_folders", _anyio_folders)
        return any(directory.startswith(folder) for folder in folders)

    def _source(self, node: ast.AST) -> str:
        segment = self.ctx.segment(node)
        return segment if segment is not None else ast.unparse(node)

    def _app_argument(self, call: ast.Call) -> ast.expr:
        if call.args and not isinstance(call.args[0], ast.Starred):
            return call.args[0]
        for keyword in call.keywords:
            if keyword.arg == "app":
                return keyword.value
        raise _NoFix(f"`TestClient(...)` on line {call.lineno} has no app argument")

    def _client_source(self, call: ast.Call, lifespan: bool) -> str:
        app = self._source(self._app_argument(call))
        transport = [f"app={app}"]
        client: list[str] = []
        base_url = '"http://testserver"' if "testserver" in self.text else '"http://test"'
        follow = "True"
        if len(call.args) > 1:
            raise _NoFix(f"`TestClient(...)` on line {call.lineno} has positional options")
        for keyword in call.keywords:
            value = self._source(keyword.value)
            if keyword.arg == "app":
                continue
            if keyword.arg == "raise_server_exceptions":
                transport.append(f"raise_app_exceptions={value}")
            elif keyword.arg == "root_path":
                transport.append(f"root_path={value}")
            elif keyword.arg == "base_url":
                base_url = value
            elif keyword.arg == "follow_redirects":
                follow = value
            elif keyword.arg in ("headers", "cookies"):
                client.append(f"{keyword.arg}={value}")
            else:
                raise _NoFix(
                    f"`TestClient({keyword.arg or '**'}=...)` on line {call.lineno} has no "
                    "httpx equivalent"
                )
        if '"testclient"' in self.text or "'testclient'" in self.text:
            transport.append('client=("testclient", 50000)')
        del lifespan
        return (
            f"AsyncClient(transport=ASGITransport({', '.join(transport)}), "
            f"base_url={base_url}, follow_redirects={follow}"
            + "".join(f", {option}" for option in client)
            + ")"
        )


def _client_with(indent: str, unit: str, client: str, target: str) -> str:
    """`async with <client> as <target>:` at ``indent``, with its line end: over the project's
    line length, the client's arguments go on a line of their own, as ruff and black lay the
    statement out (the layout step then has nothing to redo); where even that line is too long,
    on one line, for the layout step."""
    from fastapi_fixer.fixing.context import current_style

    line = f"{indent}async with {client} as {target}:"
    style = current_style()
    if (
        style is None
        or len(line) <= style.line_length
        or not client.endswith(")")
        or "\n" in client
    ):
        return line + "\n"
    head, _, rest = client.partition("(")
    middle = f"{indent}{unit}{rest[:-1]}"
    if len(middle) > style.line_length:
        return line + "\n"
    return f"{indent}async with {head}(\n{middle}\n{indent}) as {target}:\n"


# --- ast helpers -----------------------------------------------------------------------------


def _websocket_only(ctx: FileContext, tree: _Tree) -> set[int]:
    """Ids of the `TestClient(...)` calls whose client serves nothing but `websocket_connect`:
    `TestClient(app).websocket_connect(...)`, a name bound to it (`=`, `with ... as`) in a
    function or the module whose every read is `.websocket_connect(...)`, or a fixture returning
    it whose every requester does only that. A client with no use, or any other use, is not."""
    parents = tree.parents
    found: set[int] = set()
    for call in tree.clients:
        uses = _client_uses(ctx, tree, call)
        if uses and all(_is_websocket_use(use, parents) for use in uses):
            found.add(id(call))
    return found


def _client_uses(ctx: FileContext, tree: _Tree, value: ast.expr, depth: int = 0) -> list[ast.expr]:
    """The expressions through which the client ``value`` evaluates to is used, following names
    it is bound to and fixtures that return or yield it ([] when unknown)."""
    parents = tree.parents
    parent = parents.get(id(value))
    if depth > 3 or parent is None:
        return []
    name = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        name = target.id if isinstance(target, ast.Name) else None
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and isinstance(parent.target, ast.Name):
        name = parent.target.id
    elif isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name):
        name = parent.optional_vars.id
    scope = _enclosing_function(value, parents)
    if name is not None:
        uses: list[ast.expr] = []
        for load in _loads(scope if scope is not None else ctx.tree, name):
            uses += (
                _client_uses(ctx, tree, load, depth + 1) if _returned_by(load, parents) else [load]
            )
        return uses
    if not _returned_by(value, parents):
        return [value]
    fixture = scope and next(
        (d for d in scope.decorator_list if fixture_decorator(d, ctx.resolver) is not None), None
    )
    if scope is None or fixture is None:
        return []
    fixture_name = fixture_options(fixture)[0] or scope.name
    requested: list[ast.expr] = []
    for node in tree.nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and fixture_name in {
            a.arg for a in node.args.args + node.args.kwonlyargs
        }:
            requested += _loads(node, fixture_name)
    return requested


def _loads(root: ast.AST, name: str) -> list[ast.expr]:
    return [
        n
        for n in ast.walk(root)
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
    ]


def _returned_by(value: ast.expr, parents: dict[int, ast.AST]) -> bool:
    """``value`` is what a `return` or `yield` hands out."""
    parent = parents.get(id(value))
    return isinstance(parent, (ast.Return, ast.Yield)) and parent.value is value


def _enclosing_function(node: ast.AST, parents: dict[int, ast.AST]) -> _Function | None:
    current = parents.get(id(node))
    while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
        current = parents.get(id(current))
    return current


def _is_websocket_use(use: ast.expr, parents: dict[int, ast.AST]) -> bool:
    attribute = parents.get(id(use))
    call = parents.get(id(attribute))
    return (
        isinstance(attribute, ast.Attribute)
        and attribute.attr == "websocket_connect"
        and isinstance(call, ast.Call)
        and call.func is attribute
    )


def _own_statements(node: _Function) -> Iterator[ast.stmt]:
    """Statements of the function itself, not of functions or classes nested in it."""
    stack: list[ast.stmt] = list(reversed(node.body))
    while stack:
        statement = stack.pop()
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for child in reversed(list(ast.iter_child_nodes(statement))):
            if isinstance(child, ast.stmt):
                stack.append(child)
            elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                stack.extend(reversed(child.body))


def _assigned_names(node: ast.stmt) -> list[ast.Name]:
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            found.append(child)
    return found


def _walk(root: ast.AST) -> tuple[list[ast.AST], dict[int, ast.AST]]:
    """The nodes under ``root`` in `ast.walk`'s order (breadth first) and each one's parent by
    id, in one pass (reading the fields directly: faster than `ast.iter_child_nodes`)."""
    nodes = [root]
    parents: dict[int, ast.AST] = {}
    for node in nodes:  # grows as it is read: a breadth-first queue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                parents[id(value)] = node
                nodes.append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        parents[id(item)] = node
                        nodes.append(item)
    return nodes, parents


def _reads(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(child, ast.Name) and child.id == name and isinstance(child.ctx, ast.Load)
        for child in ast.walk(node)
    )


def _returned(statement: ast.stmt) -> ast.expr | None:
    if isinstance(statement, ast.Return):
        return statement.value
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Yield):
        return statement.value.value
    return None


def _in_nested_scope(node: ast.AST, root: ast.AST, parents: dict[int, ast.AST]) -> bool:
    current = parents.get(id(node))
    while current is not None and current is not root:
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return True
        current = parents.get(id(current))
    return False


def _in_generator(node: ast.AST, root: ast.AST, parents: dict[int, ast.AST]) -> bool:
    current = parents.get(id(node))
    while current is not None and current is not root:
        if isinstance(current, ast.GeneratorExp):
            return True
        current = parents.get(id(current))
    return False


def _is_dotted(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return True
    return isinstance(node, ast.Attribute) and _is_dotted(node.value)


def _has_anyio_mark(node: _Function) -> bool:
    return any("mark.anyio" in ast.unparse(d) for d in node.decorator_list)


# --- applying the edits (LibCST) ------------------------------------------------------------


def _apply(module: cst.Module, edits: list[Edit]) -> cst.Module:
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import (
        add_imports,
        insert_parameter,
        remove_unused_imports,
        rewrite_at,
    )

    config = module.config_for_parsing
    indent = module.default_indent
    targets: dict = {}

    def awaited(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
        if primary:
            return cst.Await(
                expression=node,  # type: ignore[arg-type]
                lpar=[cst.LeftParen()],
                rpar=[cst.RightParen()],
            )
        return cst.Await(expression=node)  # type: ignore[arg-type]

    def replace_call(source: str):
        def replacer(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
            return cst.parse_expression(source, config=config)

        return replacer

    def async_with(items: tuple) -> object:
        def replacer(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
            assert isinstance(node, cst.With)
            new_items = []
            for lifespan, client, name in items:
                new_items.append(cst.WithItem(item=cst.parse_expression(lifespan, config=config)))
                new_items.append(
                    cst.WithItem(
                        item=cst.parse_expression(client, config=config),
                        asname=cst.AsName(name=cst.Name(name)),
                    )
                )
            commas = [
                item.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                for item in new_items[:-1]
            ]
            return node.with_changes(
                asynchronous=cst.Asynchronous(), items=[*commas, new_items[-1]]
            )

        return replacer

    def yield_client(client: str, name: str) -> object:
        def replacer(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
            statement = cst.parse_statement(
                f"async with {client} as {name}:\n{indent}yield {name}\n", config=config
            )
            return statement.with_changes(leading_lines=node.leading_lines)  # type: ignore[attr-defined]

        return replacer

    def client_fixture(name: str, client: str) -> object:
        def replacer(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
            statement = cst.parse_statement(
                f"@pytest.fixture\nasync def {name}():\n"
                + _client_with(indent, indent, client, "ac")
                + f"{indent}{indent}yield ac\n",
                config=config,
            )
            comments = [line for line in node.leading_lines if line.comment is not None]  # type: ignore[attr-defined]
            return statement.with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *comments]
            )

        return replacer

    def async_def(name: str, mark: bool, params: tuple) -> object:
        def replacer(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
            assert isinstance(node, cst.FunctionDef) and node.name.value == name
            changes: dict = {"asynchronous": cst.Asynchronous()}
            if mark:
                decorator = cst.Decorator(
                    decorator=cst.parse_expression("pytest.mark.anyio", config=config)
                )
                changes["decorators"] = [decorator, *node.decorators]
            parameters = node.params
            for param in params:
                parameters = insert_parameter(parameters, cst.Param(name=cst.Name(param)))
            changes["params"] = parameters
            return node.with_changes(**changes)

        return replacer

    add_backend = False
    for edit in edits:
        if edit.kind == "await":
            targets[("Call", edit.span)] = awaited
        elif edit.kind == "client-call":
            targets[("Call", edit.span)] = replace_call(str(edit.args[0]))
        elif edit.kind == "async-with":
            targets[("With", edit.span)] = async_with(edit.args)
        elif edit.kind == "yield-client":
            targets[("SimpleStatementLine", edit.span)] = yield_client(*edit.args)  # type: ignore[arg-type]
        elif edit.kind == "client-fixture":
            targets[("SimpleStatementLine", edit.span)] = client_fixture(*edit.args)  # type: ignore[arg-type]
        elif edit.kind == "async-def":
            targets[("FunctionDef", edit.span)] = async_def(*edit.args)  # type: ignore[arg-type]
        elif edit.kind == "anyio-backend":
            add_backend = True
    module = rewrite_at(module, targets)
    if add_backend:
        module = _insert_backend(module)
    module = add_imports(
        module, [("pytest", None), ("httpx", "ASGITransport"), ("httpx", "AsyncClient")]
    )
    unused: list[tuple[str, str | None, str | None]] = []
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                continue
            source = _dotted(small.module) if small.module is not None else None
            if source not in ("fastapi.testclient", "starlette.testclient"):
                continue
            for alias in small.names:
                if alias.evaluated_name == "TestClient":
                    unused.append((source, "TestClient", alias.evaluated_alias))
    return remove_unused_imports(module, unused)


def _apply_text(
    text: str, edits: list[Edit]
) -> tuple[str, list[tuple[str, str | None]], list[tuple[str, str | None, str | None]]]:
    """What `_apply` writes, as text edits, and the imports it asks for and would remove;
    raises `textedit.Unsure` where the text does not say for certain."""
    from fastapi_fixer.fixing.textedit import Source, TextEdit, Unsure, splice

    source = Source(text)
    tree = source.tree
    calls: dict[tuple[int, int, int, int], ast.Call] = {}
    statements: dict[tuple[int, int], ast.stmt] = {}
    parents = source.parents  # filled for the calls by this walk
    for node in _walk_calls(tree, parents, [e.span for e in edits if e.span is not None]):
        if isinstance(node, ast.Call):
            key = (
                node.lineno,
                source.char_col(node.lineno, node.col_offset),
                node.end_lineno or node.lineno,
                source.char_col(node.end_lineno or node.lineno, node.end_col_offset or 0),
            )
            calls[key] = node
        elif isinstance(node, ast.stmt):
            statements[(node.lineno, source.char_col(node.lineno, node.col_offset))] = node
    indent = ""  # the module's indentation unit, found when first needed
    out: list[TextEdit] = []
    fixtures: dict[int, tuple[int, str]] = {}  # module statement index -> (start, new code)
    add_backend = False

    def call_at(edit: Edit) -> ast.Call:
        span = edit.span
        found = calls.get((span.line, span.col, span.end_line, span.end_col)) if span else None
        if found is None or source.parenthesized(found):
            raise Unsure("no call at the span, or a parenthesized one")
        return found

    def statement_at(edit: Edit, kind: type | tuple[type, ...]) -> ast.stmt:
        span = edit.span
        found = statements.get((span.line, span.col)) if span else None
        if not isinstance(found, kind):
            raise Unsure("no such statement at the span")
        return found

    def unit() -> str:
        nonlocal indent
        if not indent:
            indent = source.default_indent()
        return indent

    seen: set[tuple[str, object]] = set()
    call_spans: set[object] = set()
    for edit in edits:
        key = (edit.kind, edit.span)
        if key in seen:
            raise Unsure("two edits at one place")
        seen.add(key)
        if edit.kind in ("await", "client-call"):
            if edit.span in call_spans:
                raise Unsure("two replacements of one call")
            call_spans.add(edit.span)
        if edit.kind == "await":
            call = call_at(edit)
            parent = source.parents.get(id(call))
            primary = (
                isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is call
            ) or (isinstance(parent, ast.Call) and parent.func is call)
            start, end = source.start_of(call), source.end_of(call)
            if primary:
                out.append(TextEdit(start, start, "(await ", 0))
                out.append(TextEdit(end, end, ")", 2))
            else:
                out.append(TextEdit(start, start, "await ", 0))
        elif edit.kind == "client-call":
            call = call_at(edit)
            out.append(TextEdit(source.start_of(call), source.end_of(call), str(edit.args[0])))
        elif edit.kind == "async-with":
            statement = statement_at(edit, ast.With)
            assert isinstance(statement, ast.With)
            start = source.start_of(statement)
            first = source.start_of(statement.items[0].context_expr)
            gap = text[start + 4 : first]
            if not text.startswith("with", start) or not gap or gap.strip(" "):
                raise Unsure("a `with` whose items are not plainly after it")
            last = statement.items[-1]
            end = source.end_of(last.optional_vars or last.context_expr)
            if text[end : text.find(":", end)].strip(" ") or text.find(":", end) < 0:
                raise Unsure("something between the last item and the colon")
            items = ", ".join(
                f"{lifespan}, {client} as {name}" for lifespan, client, name in edit.args
            )
            out.append(TextEdit(start, end, f"async with{gap}{items}"))
        elif edit.kind == "yield-client":
            statement = statement_at(edit, (ast.Return, ast.Expr))
            begin, finish = source.statement_line(statement)
            client, name = edit.args
            ws = source.indentation(statement.lineno)
            code = f"{ws}async with {client} as {name}:\n{ws}{unit()}yield {name}\n"
            out.append(TextEdit(begin, finish, code))
        elif edit.kind == "client-fixture":
            statement = statement_at(edit, ast.stmt)
            if statement not in tree.body:
                raise Unsure("a module-level client that is not at the top level")
            index = tree.body.index(statement)
            begin, finish = source.statement_line(statement)
            region, comments = source.leading_lines(tree.body, index)
            name, client = edit.args
            ind = unit()
            code = (
                "".join(comments)
                + f"@pytest.fixture\nasync def {name}():\n"
                + _client_with(ind, ind, client, "ac")
                + f"{ind}{ind}yield ac\n"
            )
            fixtures[index] = (region, finish, code)  # type: ignore[assignment]
        elif edit.kind == "async-def":
            statement = statement_at(edit, ast.FunctionDef)
            assert isinstance(statement, ast.FunctionDef)
            name, mark, params = edit.args
            if statement.name != name:
                raise Unsure("another function at the span")
            out.extend(_async_def_edits(source, statement, bool(mark), tuple(params)))  # type: ignore[arg-type]
        elif edit.kind == "anyio-backend":
            add_backend = True
        elif edit.kind != "imports":
            raise Unsure(f"an edit of kind {edit.kind}")
    if add_backend:
        position = _backend_position(tree.body)
        if position >= len(tree.body):
            raise Unsure("the backend would go before the module's footer")
        region, comments = source.leading_lines(tree.body, position)
        fixture = f'@pytest.fixture\ndef anyio_backend():\n{unit()}return "asyncio"\n'
        if position in fixtures:
            _, finish, code = fixtures.pop(position)  # type: ignore[misc]
            out.append(TextEdit(region, finish, f"\n\n{fixture}\n\n{code}"))
        else:
            following = tree.body[position]
            decorators = getattr(following, "decorator_list", ())
            first = min([following.lineno, *(d.lineno for d in decorators)])
            code = f"\n\n{fixture}\n\n" + "".join(comments)
            out.append(TextEdit(region, source.line_start(first), code))
    for region, finish, code in fixtures.values():  # type: ignore[misc]
        out.append(TextEdit(region, finish, f"\n\n{code}"))
    new_text = splice(text, out)
    present: set[tuple[str, str | None]] = set()
    unused: list[tuple[str, str | None, str | None]] = []
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            present.update((a.name, None) for a in statement.names if a.asname is None)
        elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
            if any(a.name == "*" for a in statement.names):
                continue
            present.update((statement.module, a.name) for a in statement.names if a.asname is None)
            if statement.module in ("fastapi.testclient", "starlette.testclient"):
                unused.extend(
                    (statement.module, "TestClient", a.asname)
                    for a in statement.names
                    if a.name == "TestClient"
                )
    wanted: list[tuple[str, str | None]] = [
        ("pytest", None),
        ("httpx", "ASGITransport"),
        ("httpx", "AsyncClient"),
    ]
    return new_text, [item for item in wanted if item not in present], unused


_PRIMARIES = frozenset({ast.Call, ast.Attribute, ast.Subscript})


def _walk_calls(
    tree: ast.AST, parents: dict[int, ast.AST], spans: Sequence[Span]
) -> Iterator[ast.AST]:
    """The nodes of ``tree`` whose lines meet one of the ``spans``' lines, with their ancestors
    (as `ast.walk`, in another order), recording the parent of each call, attribute and
    subscript among them in ``parents``: every node an edit at a span may name, and what
    `textedit.Source.parenthesized` walks up through."""
    ranges = sorted((span.line, max(span.end_line, span.line)) for span in spans)
    starts = [start for start, _ in ranges]
    reach = list(itertools.accumulate((end for _, end in ranges), max))  # furthest end so far

    def meets(node: ast.AST) -> bool:
        first = getattr(node, "lineno", None)
        if first is None:
            return True  # no position (`arguments`, `comprehension`): look inside
        at = bisect.bisect_right(starts, node.end_lineno or first)  # spans starting by its end
        return at > 0 and reach[at - 1] >= first

    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in astwalk.children(node):  # (no `ctx` or operator nodes: none is a call)
            if not meets(child):
                continue
            if type(child) in _PRIMARIES:
                parents[id(child)] = node
            stack.append(child)


def _async_def_edits(source, statement: ast.FunctionDef, mark: bool, params: tuple) -> list:  # type: ignore[no-untyped-def]
    """`async` before the `def`, `@pytest.mark.anyio` above its decorators, ``params`` added to
    a parameter list as `cstutil.insert_parameter` adds them (simple lists only)."""
    from fastapi_fixer.fixing.textedit import TextEdit, Unsure

    text = source.text
    out = []
    start = source.start_of(statement)
    if not text.startswith("def ", start):
        raise Unsure("no plain `def` at the span")
    ws = source.indentation(statement.lineno)
    if text[source.line_start(statement.lineno) : start] != ws:
        raise Unsure("the `def` does not start its line")
    if mark:
        decorators = statement.decorator_list
        line = decorators[0].lineno if decorators else statement.lineno
        at = source.line_start(line)
        if decorators and text[at : source.start_of(decorators[0])] != ws + "@":
            raise Unsure("a decorator not alone at the start of its line")
        out.append(TextEdit(at, at, f"{ws}@pytest.mark.anyio\n", -1))
    out.append(TextEdit(start, start, "async ", 0))
    if params:
        args = statement.args
        opening = text.find("(", start + 4 + len(statement.name))
        if opening < 0 or text[start + 4 : opening].strip(" ") != statement.name:
            raise Unsure("no plain parameter list")
        if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults:
            raise Unsure("a parameter list other than plain positional parameters")
        new = ", ".join(params)
        if not args.args:
            if not text.startswith("()", opening):
                raise Unsure("an empty parameter list with something in it")
            out.append(TextEdit(opening + 1, opening + 1, new))
        else:
            last = args.args[-1]
            end = source.end_of(last)
            if last.end_lineno != statement.lineno or not text.startswith(")", end):
                raise Unsure("a parameter list over lines, or with a trailing comma")
            out.append(TextEdit(end, end, f", {new}"))
    return out


def _backend_position(body: list[ast.stmt]) -> int:
    """Where `_insert_backend` puts `anyio_backend`: after the module's leading imports."""
    from fastapi_fixer.fixing.textedit import Unsure

    position = 0
    for index, statement in enumerate(body):
        if index and body[index - 1].end_lineno == statement.lineno:
            raise Unsure("statements sharing a line")
        if isinstance(statement, (ast.Import, ast.ImportFrom, ast.Expr)):
            position = index + 1
            continue
        if isinstance(statement, (ast.If, ast.Try)) and index == position:
            position = index + 1
            continue
        break
    return position


def _dotted(node: cst.BaseExpression) -> str | None:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _insert_backend(module: cst.Module) -> cst.Module:
    """`anyio_backend` after the module's leading imports."""
    import libcst as cst

    fixture = cst.parse_statement(
        f'@pytest.fixture\ndef anyio_backend():\n{module.default_indent}return "asyncio"\n',
        config=module.config_for_parsing,
    )
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom, cst.Expr)) for s in statement.body
        ):
            position = index + 1
            continue
        if isinstance(statement, (cst.If, cst.Try)) and index == position:
            position = index + 1  # `try: import x` / `if TYPE_CHECKING:` blocks
            continue
        break
    fixture = fixture.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    following = body[position] if position < len(body) else None
    if following is not None:
        lines = [line for line in following.leading_lines if line.comment is not None]  # type: ignore[attr-defined]
        body[position] = following.with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *lines]
        )
    body.insert(position, fixture)
    return module.with_changes(body=body)


def _anyio_folders(index: ProjectIndex) -> tuple[str, ...]:
    """Folders whose `conftest.py` defines an `anyio_backend` fixture (computed once a run)."""
    folders = []
    for module in index.modules.values():
        if os.path.basename(module.path) != "conftest.py":
            continue
        fixtures = module.extra.get(KEY)
        if isinstance(fixtures, TestFixtures) and any(
            f.name == "anyio_backend" for f in fixtures.fixtures
        ):
            folders.append(os.path.dirname(os.path.abspath(module.path)))
    return tuple(folders)
