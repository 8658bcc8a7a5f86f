"""## What it does
Finds a `CORSMiddleware` that is not the outermost middleware of its app: an
`app.add_middleware(CORSMiddleware, ...)` followed by more `add_middleware` calls or
`@app.middleware("http")` functions on the same app, or `CORSMiddleware` inside
`FastAPI(middleware=[...])` when the app also gets `add_middleware` calls.

Middleware that never answers a request by itself cannot strip CORS headers and may sit
outside it: GZip, Sentry's, sessions, proxy headers, and project classes (with their project
bases) whose methods neither build a response (`JSONResponse(...)`, `HTTPException`) nor send
one (`send({"type": "http.response.start", ...})`), such as a middleware adding security
headers.

## Why is this bad?
In Starlette the middleware added **last** is the outermost. When CORS sits inside another
middleware, responses that middleware produces itself (an auth failure, an error page, a rate
limit) go out without CORS headers, and browsers report a CORS error instead of the real one.

## Example
```python
app.add_middleware(CORSMiddleware, allow_origins=ORIGINS)
app.add_middleware(AuthMiddleware)
```

## Use instead
```python
app.add_middleware(AuthMiddleware)
app.add_middleware(CORSMiddleware, allow_origins=ORIGINS)  # added last: outermost
```

## Fix safety
Unsafe: moving the CORS `add_middleware` statement after the last other middleware registration
of the same block changes which middleware sees which request first. The statement moves with
its comments. Offered only when every registration is a statement of the same block (usually
the module); otherwise report only.

## Known problems
Only registrations on an app object the project index knows (`FastAPI()` in any module, or a
`FastAPI`-annotated parameter) are followed, in the order of the statements of one block.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import KEY as ROUTING_KEY
from fastapi_fixer.analysis.collectors.routing import ModuleRouting
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

CORS = frozenset(
    {
        "fastapi.middleware.cors.CORSMiddleware",
        "starlette.middleware.cors.CORSMiddleware",
    }
)
_MIDDLEWARE = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})


class MiddlewareOrder(Rule):
    CODE = "FF901"
    NAME = "middleware-order"
    SEVERITY = Severity.WARNING
    MESSAGE = "`CORSMiddleware` is not the outermost middleware of `{app}`"
    FIX_TITLE = "Move the CORS `add_middleware` call after the other middleware"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("CORSMiddleware",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        for body in _blocks(ctx.tree):
            yield from self._check_block(ctx, body)

    def _check_block(self, ctx: FileContext, body: list[ast.stmt]) -> Iterator[Diagnostic]:
        # app -> [(statement index, statement, is_cors)] in execution order
        registrations: dict[str, list[tuple[int, ast.stmt, bool]]] = {}
        in_constructor: dict[str, ast.Call] = {}
        for position, statement in enumerate(body):
            for app, is_cors in self._registrations(ctx, statement):
                registrations.setdefault(app, []).append((position, statement, is_cors))
            constructed = _constructor_with_cors(ctx, statement)
            if constructed is not None:
                in_constructor[constructed[0]] = constructed[1]
        for app, found in registrations.items():
            last_other = max((p for p, _, cors in found if not cors), default=None)
            if app in in_constructor and any(not cors for _, _, cors in found):
                yield self.diagnostic(
                    ctx,
                    in_constructor[app],
                    f"`CORSMiddleware` in `{_short(app)}`'s `middleware=` list is inside the "
                    "middleware added with `add_middleware`; add CORS last instead",
                )
            if last_other is None:
                continue
            for position, statement, is_cors in found:
                if not is_cors or position > last_other:
                    continue
                fix = None
                if isinstance(statement, ast.Expr):
                    fix = Fix(
                        title=self.FIX_TITLE or "",
                        safety=FixSafety.UNSAFE,
                        edits=(
                            Edit(
                                ctx.path,
                                "move-after",
                                ctx.span(statement),
                                _target(ctx, body[last_other]),
                            ),
                        ),
                    )
                yield self.diagnostic(
                    ctx,
                    statement,
                    f"`CORSMiddleware` is not the outermost middleware of `{_short(app)}`: "
                    "middleware added after it wraps it",
                    fix,
                )

    @staticmethod
    def _registrations(ctx: FileContext, statement: ast.stmt) -> Iterator[tuple[str, bool]]:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "add_middleware" and call.args:
                app = _app(ctx, func.value)
                if app is not None:
                    middleware = ctx.resolver.qualify(call.args[0])
                    if middleware in CORS:
                        yield app, True
                    elif middleware is None or not passes_through(ctx.index, middleware):
                        yield app, False
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in statement.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "middleware"
                ):
                    app = _app(ctx, decorator.func.value)
                    if app is not None:
                        yield app, False

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import move_statements_after

        return move_statements_after(module, [(e.span, tuple(e.args)) for e in edits if e.span])


# library middleware that never answers a request itself: wrapping CORS, it loses nothing
PASS_THROUGH = frozenset(
    {"starlette.middleware.gzip.GZipMiddleware", "fastapi.middleware.gzip.GZipMiddleware"}
    | {"sentry_sdk.integrations.asgi.SentryAsgiMiddleware"}
    | {"uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware"}
    | {"starlette.middleware.sessions.SessionMiddleware"}
)
_PLAIN_BASES = frozenset(
    {"builtins.object", "starlette.middleware.base.BaseHTTPMiddleware"}
    | {"fastapi.middleware.base.BaseHTTPMiddleware"}
)
_RESPONSES = ("starlette.responses.", "fastapi.responses.", "fastapi.Response", "fastapi.HTTPEx")


def passes_through(index: ProjectIndex, middleware: str) -> bool:
    """The middleware never answers a request itself, so CORS inside it loses no headers: a
    known library one (GZip, Sentry, sessions), or a project class whose bases pass through
    too and whose methods neither build a response (`JSONResponse(...)`, `HTTPException`) nor
    send one (`send({"type": "http.response.start", ...})`). A project middleware adding
    security headers to every response is one."""
    return index.ask(_passes_through, index.resolve(middleware))


def _passes_through(index: ProjectIndex, middleware: str, depth: int = 0) -> bool:
    if middleware in PASS_THROUGH or middleware in _PLAIN_BASES:
        return True
    if depth > _MAX_DEPTH:
        return False
    module_name = middleware.rpartition(".")[0]
    module = index.modules.get(module_name)
    if module is None or middleware.rpartition(".")[2] not in module.bindings:
        return False  # not a class of the project
    routing = module.extra.get(ROUTING_KEY)
    if not isinstance(routing, ModuleRouting):
        return False
    methods = [(q, f) for q, f in routing.functions.items() if q.startswith(f"{middleware}.")]
    for _, function in methods:
        if function.starts_response:
            return False
        if any(index.resolve(used).startswith(_RESPONSES) for used in function.uses):
            return False
    bases = module.class_bases.get(middleware, ())
    return all(_passes_through(index, index.resolve(b), depth + 1) for b in bases)


_MAX_DEPTH = 4


def _app(ctx: FileContext, receiver: ast.expr) -> str | None:
    if not isinstance(receiver, ast.Name):
        return None
    local = ctx.resolver.local_app_kind(receiver)
    if local is not None:
        return f"<local>.{receiver.id}"
    qualified = ctx.resolver.qualify(receiver)
    if qualified is None or ctx.index.app_kind(qualified) != "app":
        return None
    return qualified


def _constructor_with_cors(ctx: FileContext, statement: ast.stmt) -> tuple[str, ast.Call] | None:
    if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
        return None
    if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
        return None
    app = _app(ctx, statement.targets[0])
    if app is None:
        return None
    for keyword in statement.value.keywords:
        if keyword.arg == "middleware" and isinstance(keyword.value, (ast.List, ast.Tuple)):
            for element in keyword.value.elts:
                if (
                    isinstance(element, ast.Call)
                    and ctx.resolver.qualify(element.func) in _MIDDLEWARE
                    and element.args
                    and ctx.resolver.qualify(element.args[0]) in CORS
                ):
                    return app, element
    return None


def _short(app: str) -> str:
    return app.rpartition(".")[2]


def _target(ctx: FileContext, statement: ast.stmt) -> tuple[int, int]:
    """Where the statement to move after starts (a function's `def`, not its decorators)."""
    span = ctx.span(statement)
    return span.line, span.col


def _blocks(tree: ast.Module) -> Iterator[list[ast.stmt]]:
    """Every statement list (module, function and class bodies, if/with/try branches)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for name in ("body", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value
        stack.extend(ast.iter_child_nodes(node))
