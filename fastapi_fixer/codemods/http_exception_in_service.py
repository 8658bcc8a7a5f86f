"""## What it does
Finds `raise HTTPException(...)` (FastAPI's or Starlette's) in modules outside the HTTP layer:
services, repositories, utilities. A module belongs to the HTTP layer, and is not checked, when
it defines a route (also on an instance of a project subclass of `APIRouter`/`FastAPI`), builds
an app or a router, has a function used as a dependency (`Depends(f)`/`Security(f)` anywhere in
the project, and the function a factory returns in `Depends(require_role("admin"))`: a
dependency's job is to turn a request into values or an HTTP error), or imports what only the
HTTP layer needs: `Request`,
`WebSocket`, `Response` or a response class, `Depends`/`Security`, a request parameter marker
(`Query`, `Path`, `Body`, `Header`, `Cookie`, `Form`, `File`, `fastapi.params`: the module
declares what a request carries), `fastapi.security`, Starlette's routing, middleware or ASGI
types. Raises inside a function that takes the
`Request`/`WebSocket` (middleware, handlers) or inside a callable class (`__call__`: a
class-based dependency) count as HTTP layer too. Re-raising (`raise`, `raise exc`) and
importing `HTTPException` are not reported.

Helpers the project placed in the HTTP layer are not reported either: functions of a module that
sits in a package holding route modules (`api/routes/validators.py` next to
`api/routes/items.py`), or below an `api`/`routers`/`routes`/`endpoints` package holding routes
(`api/v1/mappers/items.py`), as long as nothing outside the HTTP layer calls them — unless the
module's name says it is business logic (`services`, `crud`, `repository`, `models`, `db`,
`storage`, `domain`). A raise whose status is a parameter of its function
(`fetchone(rows, not_found_code=404)`) is a get-or-404 helper: its callers choose the status.

## Why is this bad?
A service that raises `HTTPException` knows about HTTP: it cannot be reused from a CLI, a worker
or another transport, and its tests assert status codes instead of domain outcomes. Raise a
domain exception and map it to a response once, at the application layer.

## Example
```python
# app/services/items.py
from fastapi import HTTPException


def get_item(item_id: int) -> Item:
    item = ITEMS.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item
```

## Use instead
```python
# app/services/exceptions.py
class NotFoundError(Exception):
    def __init__(self, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = "Not Found" if detail is None else detail
        self.headers = headers

# app/services/items.py
from app.services.exceptions import NotFoundError


def get_item(item_id: int) -> Item:
    item = ITEMS.get(item_id)
    if item is None:
        raise NotFoundError("Item not found")
    return item

# app/main.py
@app.exception_handler(NotFoundError)
async def not_found_error_handler(request: Request, exc: NotFoundError) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": exc.detail}, headers=exc.headers)
```

## Fix safety
Unsafe: code outside the project that catches `HTTPException` around the service no longer sees
it (a project function that does so keeps the raise as it is, see below). Clients see the same
status, body (`{"detail": ...}`, the status phrase when no detail is given) and headers.
The fix edits three files: one exception class per status (named after the status phrase:
`NotFoundError`, `ConflictError`, annotated so that the oldest Python the project declares
evaluates them: `Optional[...]` before 3.10, `Dict` before 3.9) in the project's one exceptions
module, shared by every fix of every service (one class per status, one handler per class):
the `exceptions` module of the app's top package (`app/exceptions.py` for `app/main.py`), or
the only `exceptions` module below that package when there is one, else a new `exceptions.py`
in the app's top package; the raise,
which becomes `raise NotFoundError(detail, headers=...)` (the `HTTPException` import goes when
nothing else uses it); and the module that builds the app, which gets an
`@app.exception_handler` for the class right after `app = FastAPI(...)` (or
`app: FastAPI = FastAPI(...)`).

Reported without a fix: no module builds the app at module level, or several do (the app cannot
be found unambiguously); an app is also built inside a function (a factory the server may run
instead, while the module-level app belongs to a helper such as a CLI), also one a method
stores on an object (`self.app = FastAPI()` in a class that includes the routers and serves it,
while the module-level app only copies its routes at startup); the app is bound elsewhere than
by a statement of its module's body (inside an `if` or `try`); the app module replaces the
app's `exception_handlers` (a handler the fix adds would go with them); the app's package has
several `exceptions` modules; the project has its own `HTTPException` handler (the new
handler would bypass it); the module catches `HTTPException` itself, or a function that does
calls the raising one, at any depth (`except HTTPException: raise` before an `except Exception:`
that answers 500, `except HTTPException: return None` in an optional-user dependency: the domain
exception would pass that handler); the status is not a
literal or has no body (204, 304, 1xx); the call passes anything but the status, `detail` and
`headers`; a name the fix needs is taken.

## Known problems
The HTTP layer is decided per module: a module mixing dependencies and service functions is not
checked at all. Where a helper sits is read from package names; a helper that only the routes
call but that lives in a `utils` package next to the services is still reported. Calls from
files the prefilter did not analyse are only seen by name. Subclasses of `HTTPException` are
not recognised. Apps built by a factory function get no fix.
"""

from __future__ import annotations

import ast
import http
import os
import re
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.http_catchers import KEY as CATCHERS_KEY
from fastapi_fixer.analysis.collectors.routing import (
    HTTP_EXCEPTIONS,
    FunctionRouting,
    ModuleRouting,
    status_of,
)
from fastapi_fixer.analysis.collectors.routing import KEY as ROUTING_KEY
from fastapi_fixer.analysis.facts import FunctionNode, ModuleFacts
from fastapi_fixer.fixing.settings_fix import app_modules, is_test_path
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

HTTP_OBJECTS = frozenset(
    {
        "fastapi.Request",
        "fastapi.WebSocket",
        "fastapi.requests.Request",
        "fastapi.websockets.WebSocket",
        "starlette.requests.Request",
        "starlette.requests.HTTPConnection",
        "starlette.websockets.WebSocket",
    }
)
# importing one of these makes a module part of the HTTP layer: it handles requests, builds
# responses or dependencies itself
HTTP_LAYER_IMPORTS = HTTP_OBJECTS | {
    "fastapi.Response",
    "fastapi.Depends",
    "fastapi.Security",
    "fastapi.params.Depends",
    "fastapi.APIRouter",
    "fastapi.FastAPI",
    "starlette.requests",
    "starlette.responses",
    # request parameter markers: a function declaring one is a route or a dependency
    "fastapi.Query",
    "fastapi.Path",
    "fastapi.Body",
    "fastapi.Header",
    "fastapi.Cookie",
    "fastapi.Form",
    "fastapi.File",
}
HTTP_PREFIXES = (
    "fastapi.params.",
    "fastapi.responses.",
    "fastapi.security.",
    "fastapi.routing.",
    "starlette.requests.",
    "starlette.responses.",
    "starlette.websockets.",
    "starlette.routing.",
    "starlette.types.",
    "starlette.middleware.",
)
REQUEST_NAMES = frozenset({"fastapi.Request", "starlette.requests.Request"})
JSON_RESPONSE_NAMES = frozenset(
    {"fastapi.responses.JSONResponse", "starlette.responses.JSONResponse"}
)
_OWN_HANDLER = re.compile(r"exception_handler\(\s*(\w+\.)*HTTPException\b")
EXCEPTIONS_FILE = "exceptions.py"


def exception_name(status: int) -> str:
    phrase = http.HTTPStatus(status).phrase
    words = re.findall(r"[A-Za-z0-9]+", phrase)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name.endswith("Error") else f"{name}Error"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class HttpExceptionInService(Rule):
    CODE = "FF501"
    NAME = "http-exception-in-service"
    SEVERITY = Severity.ERROR
    MESSAGE = "`HTTPException` raised in `{module}`, which is not part of the HTTP layer"
    FIX_TITLE = "Raise a domain exception and map it in an exception handler"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("HTTPException",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path) or self._is_http_layer(ctx):
            return
        helpers = ctx.index.memo("FF501.http_helpers", http_helpers)
        for node, qualname, resolver in ctx.functions():
            if self._handles_http(ctx, node, resolver) or qualname in helpers:
                continue
            params = {a.arg for a in [*node.args.posonlyargs, *node.args.args]}
            params.update(a.arg for a in node.args.kwonlyargs)
            for child in _own_raises(node):
                exc = child.exc
                if isinstance(exc, ast.Call) and resolver.qualify(exc.func) in HTTP_EXCEPTIONS:
                    if _status_from_caller(exc, params):
                        continue  # `fetchone(rows, not_found_code=404)`: an HTTP helper
                    yield self._report(ctx, exc, resolver, qualname)

    # --- what is the HTTP layer -----------------------------------------------------------

    @staticmethod
    def _is_http_layer(ctx: FileContext) -> bool:
        return is_http_module(ctx.index, ctx.facts)

    @staticmethod
    def _handles_http(ctx: FileContext, node: FunctionNode, resolver) -> bool:
        """A function that takes the request or websocket, or a callable class's method."""
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.annotation is not None and resolver.qualify(arg.annotation) in HTTP_OBJECTS:
                return True
        qualname = next((q for n, q, _ in ctx.functions() if n is node), "")
        owner = qualname.rpartition(".")[0]
        facts = ctx.index.functions.get(qualname)
        return facts is not None and facts.is_method and f"{owner}.__call__" in ctx.facts.functions

    # --- the report and its fix -----------------------------------------------------------

    def _report(self, ctx: FileContext, call: ast.Call, resolver, function: str) -> Diagnostic:
        message = (
            f"`HTTPException` raised in `{ctx.module}`, which is not part of the HTTP layer; "
            "raise a domain exception and map it to a response in an exception handler"
        )
        fix = self._fix(ctx, call, resolver, function)
        if isinstance(fix, str):
            return self.diagnostic(ctx, call, f"{message} (not fixed: {fix})")
        return self.diagnostic(ctx, call, message, fix)

    def _fix(self, ctx: FileContext, call: ast.Call, resolver, function: str) -> Fix | str:
        index = ctx.index
        status_node = call.args[0] if call.args else None
        allowed = {"status_code", "detail", "headers"}
        if len(call.args) > 3 or any(k.arg not in allowed for k in call.keywords):
            return "the call passes more than the status, `detail` and `headers`"
        for keyword in call.keywords:
            if keyword.arg == "status_code":
                status_node = keyword.value
        status = status_of(status_node, resolver)
        if status is None:
            return "the status is not a literal"
        if status < 200 or status in (204, 304):
            return f"a {status} response has no body"
        if _catches(ctx):
            return "this module catches `HTTPException` itself"
        catcher = ctx.index.memo("FF501.caught", _caught).get(function)
        if catcher is not None:
            return f"`{catcher}` catches `HTTPException` around a call that reaches it"
        apps = app_modules(index)
        if len(apps) != 1:
            return "the app cannot be found unambiguously" if apps else "no module builds the app"
        app_path, app_module = apps[0]
        app_text = _read(app_path)
        if app_text is None or _OWN_HANDLER.search(app_text):
            return "the project has its own `HTTPException` handler"
        name = exception_name(status)
        if ctx.index.memo("FF501.app_factories", _app_factories):
            return "an app is also built in a function (the served app cannot be told apart)"
        found = self._exceptions_module(ctx, name, app_path, app_module)
        if isinstance(found, str):
            return found
        exc_path, exc_module = found
        edits = [
            Edit(ctx.path, "raise", ctx.span(call), (name, exc_module)),
            Edit(exc_path, "exception-class", None, (name, http.HTTPStatus(status).phrase)),
        ]
        handler = self._handler_edit(index, app_path, app_module, name, exc_module, status)
        if isinstance(handler, str):
            return handler
        if handler is not None:
            edits.append(handler)
        return Fix(
            f"Raise `{name}` and map it to {status} in `{app_module}`",
            FixSafety.UNSAFE,
            tuple(edits),
        )

    def _exceptions_module(
        self, ctx: FileContext, name: str, app_path: str, app_module: str
    ) -> tuple[str, str] | str:
        """The one exceptions module of the project to hold ``name``, the same for every
        finding and every round of fixes (one class per status, one handler): the app's top
        package's `exceptions` module, or the only `exceptions` module below that package,
        else a new `exceptions.py` in the app's top package (next to the app module when it
        sits at the project's root)."""
        found = ctx.index.memo("FF501.exceptions_module", _project_exceptions_module)
        if found is None:
            return "the app's package has several `exceptions` modules"
        path, module = found
        if module == ctx.module:
            return "the module is itself the exceptions module"
        if os.path.isfile(path):
            text = _read(path)
            if text is None:
                return f"`{path}` cannot be read"
            if _taken(text, name):
                return f"`{name}` already means something else in `{module}`"
        return path, module

    @staticmethod
    def _handler_edit(
        index: ProjectIndex, app_path: str, app_module: str, name: str, exc_module: str, status: int
    ) -> Edit | str | None:
        facts = index.modules[app_module]
        bindings = facts.bindings
        wanted = f"{exc_module}.{name}"
        if any(b.kind == "import" and index.resolve(b.target) == wanted for b in bindings.values()):
            return None  # registered by an earlier fix
        handler = f"{_snake(name)}_handler"
        if name in bindings or handler in bindings:
            return f"`{name}` or `{handler}` already means something else in `{app_module}`"
        for short, choices in (("Request", REQUEST_NAMES), ("JSONResponse", JSON_RESPONSE_NAMES)):
            binding = bindings.get(short)
            if binding is not None and (binding.kind != "import" or binding.target not in choices):
                return f"`{short}` means something else in `{app_module}`"
        app = next(
            ((n, b) for n, b in sorted(bindings.items()) if b.kind == "app" and b.detail == "app"),
            None,
        )
        if app is None:
            return "no module builds the app"
        text = _read(app_path)
        if text is None or not _assigned_at_top(text, app[0]):
            return f"`{app[0]}` is not built by a module-level `{app[0]} = FastAPI(...)`"
        if re.search(rf"\b{re.escape(app[0])}\.exception_handlers\s*=(?!=)", text):
            return f"`{app[0]}.exception_handlers` is replaced, and a new handler with it"
        return Edit(app_path, "handler", None, (app[0], name, exc_module, status, handler))

    # --- applying (LibCST) ----------------------------------------------------------------

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        raises = [e for e in edits if e.kind == "raise"]
        classes = [e for e in edits if e.kind == "exception-class"]
        handlers = [e for e in edits if e.kind == "handler"]
        if raises:
            module = _rewrite_raises(module, raises)
        if classes:
            from fastapi_fixer.fixing.dependency_types import declared_python_minimum

            minimum = ctx.index.memo("types.python_minimum", declared_python_minimum)
            module = _add_classes(module, classes, minimum)
        if handlers:
            module = _add_handlers(module, handlers)
        return module


def is_http_module(index: ProjectIndex, facts: ModuleFacts) -> bool:
    """The module belongs to the HTTP layer: it builds an app or a router, imports what only
    the HTTP layer needs, defines a route, a dependency, an exception handler or middleware."""
    for binding in facts.bindings.values():
        if binding.kind == "app":
            return True
        if binding.kind == "import" and (
            binding.target in HTTP_LAYER_IMPORTS or binding.target.startswith(HTTP_PREFIXES)
        ):
            return True
    for qualname, function in facts.functions.items():
        if function.routes and index.is_route(qualname):
            return True
        if index.is_dependency(qualname):
            return True
        if any(
            d.endswith((".exception_handler", ".middleware")) for d in function.other_decorators
        ):
            return True
    return False


def http_helpers(index: ProjectIndex) -> frozenset[str]:
    """Functions that sit in the HTTP layer by where the project put them, and that nothing
    outside the HTTP layer uses.

    Where: a module in a package (or a sub-package of one, below the top-level package) that
    holds route modules — `api/routes/validators.py` next to `api/routes/items.py`,
    `api/v1/mappers/items.py` under `api/v1/` — unless the project names the module as business
    logic (`services`, `crud`, `repository`, `models`, `db`, ...). Used: every function that
    calls it (or passes it as an argument) is in such a place or in an HTTP-layer module, or is
    a route, a dependency, or takes the request."""
    modules = dict.values(index.modules)
    http_modules = {m.module for m in modules if is_http_module(index, m)}
    routed_packages = {
        _package(m)
        for m in modules
        if any(b.kind == "app" for b in m.bindings.values())
        or any(f.routes and index.is_route(q) for q, f in m.functions.items())
    }

    def in_routed_package(module: str) -> bool:
        if _SERVICE_WORDS.search(module.rpartition(".")[2]):
            return False
        package = _package(dict.__getitem__(index.modules, module))
        if "." in package and package in routed_packages:
            return True
        # below an `api`/`routers` package that holds routes (`api/v1/mappers/items.py`)
        package = package.rpartition(".")[0]
        while "." in package:  # the top-level package holds everything: it does not count
            if package.rpartition(".")[2] in _HTTP_PACKAGES and any(
                p == package or p.startswith(f"{package}.") for p in routed_packages
            ):
                return True
            package = package.rpartition(".")[0]
        return False

    located = {
        m.module for m in modules if m.module not in http_modules and in_routed_package(m.module)
    }
    if not located:
        return frozenset()
    function_routing: dict[str, FunctionRouting] = {}
    callers: dict[str, set[str]] = {}
    for module in modules:
        routing = module.extra.get(ROUTING_KEY)
        if not isinstance(routing, ModuleRouting):
            continue
        for qualname, function in routing.functions.items():
            function_routing[qualname] = function
            for used in function.uses:
                callers.setdefault(index.resolve(used), set()).add(qualname)

    def module_of(qualname: str) -> str:
        name = qualname
        while name and not dict.__contains__(index.modules, name):
            name = name.rpartition(".")[0]
        return name

    def serves_http(caller: str) -> bool:
        module = module_of(caller)
        if module in http_modules or module in located:
            return True
        if index.is_route(caller) or index.is_dependency(caller):
            return True
        routing = function_routing.get(caller)
        return routing is not None and any(
            index.resolve(a) in HTTP_OBJECTS for a in routing.annotations
        )

    return frozenset(
        name
        for name, function in dict.items(index.functions)
        if module_of(name) in located
        and all(serves_http(c) for c in callers.get(name, ()))
        # a file the prefilter left out may use it: unknown
        and not set.__contains__(index.unloaded_names, name.rpartition(".")[2])
    )


# a module its project names as business logic is not HTTP layer, wherever it sits
_SERVICE_WORDS = re.compile(r"service|crud|repositor|domain|model|storage|db|database|store")


_HTTP_PACKAGES = frozenset(
    {"api", "apis", "routers", "routes", "endpoints", "views", "rest", "http", "web"}
)


def _project_exceptions_module(index: ProjectIndex) -> tuple[str, str] | None:
    """(path, module) of the exceptions module FF501's fixes share (see
    `HttpExceptionInService._exceptions_module`); None when several could be meant."""
    apps = app_modules(index)
    if len(apps) != 1:
        return None
    app_path, app_module = apps[0]
    facts = index.modules[app_module]
    top = app_module.partition(".")[0] if "." in app_module or facts.is_package else ""
    own = f"{top}.exceptions" if top else "exceptions"
    existing = index.modules.get(own)
    if existing is not None:
        return existing.path, own
    below = sorted(
        (m.path, m.module)
        for m in index.modules.values()
        if m.module.rpartition(".")[2] == "exceptions"
        and not m.is_package
        and (m.module.startswith(f"{top}.") if top else "." not in m.module)
        and not is_test_path(m.path)
    )
    if len(below) > 1:
        return None
    if below:
        return below[0]
    folder = os.path.dirname(app_path)
    # from the app module's folder up to its top package's
    for _ in range(app_module.count(".") - (0 if facts.is_package else 1)):
        folder = os.path.dirname(folder)
    return os.path.join(folder, EXCEPTIONS_FILE), own


def _app_factories(index: ProjectIndex) -> bool:
    """An app is built inside a function of the project (outside tests and examples): a
    factory the server may run instead of the module-level app, also one stored on an object
    (`self.app = FastAPI()` in a class that includes the routers and serves its app)."""
    from fastapi_fixer.analysis.paths import is_example_path

    for module in index.modules.values():
        if is_test_path(module.path) or is_example_path(module.path):
            continue
        routing = module.extra.get(ROUTING_KEY)
        if isinstance(routing, ModuleRouting) and any(
            d.kind == "app" and ":" in d.name for d in routing.routers.values()
        ):
            return True
        for function in module.functions.values():
            if any(
                site.how == "call" and index.class_kind(site.target) == "app"
                for site in function.sites
            ):
                return True
    return False


def _package(facts: ModuleFacts) -> str:
    return facts.module if facts.is_package else facts.module.rpartition(".")[0]


def _status_from_caller(call: ast.Call, params: set[str]) -> bool:
    """The status is one of the function's parameters: its callers choose the HTTP status."""
    status = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "status_code":
            status = keyword.value
    return isinstance(status, ast.Name) and status.id in params


def _own_raises(node: FunctionNode) -> Iterator[ast.Raise]:
    from fastapi_fixer.analysis.facts import _own_statements

    for child in _own_statements(node.body):
        if isinstance(child, ast.Raise):
            yield child


def _caught(index: ProjectIndex) -> dict[str, str]:
    """The project functions that a function catching `HTTPException` itself calls, at any
    depth, each with such a catcher (`except HTTPException: raise` before an `except
    Exception:` that answers 500, or `except HTTPException: return None` in an optional-user
    dependency): a domain exception raised there in place of `HTTPException` would pass that
    handler, and the client would see another answer."""
    queue: deque[tuple[str, str]] = deque()
    for module in dict.values(index.modules):
        lines = module.extra.get(CATCHERS_KEY)
        if lines:
            by_line = {facts.line: name for name, facts in module.functions.items()}
            queue.extend((by_line[line], by_line[line]) for line in lines if line in by_line)
    found: dict[str, str] = {}
    while queue:
        function, catcher = queue.popleft()
        facts = index.functions.get(function)
        for site in facts.sites if facts is not None else ():
            for callee in index.implementations(site.target):
                if callee not in found:
                    found[callee] = catcher
                    queue.append((callee, catcher))
    return found


def _catches(ctx: FileContext) -> bool:
    """An `except` of the module names `HTTPException` (alone or in a tuple)."""
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(ctx.resolver.qualify(t) in HTTP_EXCEPTIONS for t in types):
                return True
    return False


def _assigned_at_top(text: str, name: str) -> bool:
    """A statement of the module's body binds ``name`` (`app = FastAPI()`, `app: FastAPI =
    FastAPI()`): where `_add_handlers` puts the handlers."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in statement.targets
        ):
            return True
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == name
            and statement.value is not None
        ):
            return True
    return False


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _taken(text: str, name: str) -> bool:
    """``name`` is bound in the module to something else than the class the fix writes."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and statement.name == name:
            return "self.headers = headers" not in (ast.get_source_segment(text, statement) or "")
        if isinstance(statement, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name.split(".")[0]) == name for a in statement.names
        ):
            return True
        if isinstance(statement, (ast.Assign, ast.FunctionDef, ast.AsyncFunctionDef)):
            names = (
                [statement.name]
                if not isinstance(statement, ast.Assign)
                else [t.id for t in statement.targets if isinstance(t, ast.Name)]
            )
            if name in names:
                return True
    return False


def _rewrite_raises(module: cst.Module, edits: list[Edit]) -> cst.Module:
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import add_imports, remove_unused_imports, rewrite_at

    def replacer(name: str):
        def replace(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
            """Drop the status argument: `(detail, headers)` keep their places and layout, as
            the exception's parameters are in the same order."""
            assert isinstance(node, cst.Call)
            args = list(node.args)
            status_at = next(
                (
                    i
                    for i, a in enumerate(args)
                    if a.keyword is not None and a.keyword.value == "status_code"
                ),
                0,
            )
            dropped = args.pop(status_at)
            if args and status_at == len(args):
                args[-1] = args[-1].with_changes(comma=dropped.comma)
            if not args:
                return node.with_changes(func=cst.Name(name), args=[])
            return node.with_changes(func=cst.Name(name), args=args)

        return replace

    targets = {("Call", e.span): replacer(str(e.args[0])) for e in edits}
    module = rewrite_at(module, targets)  # type: ignore[arg-type]
    module = add_imports(module, sorted({(str(e.args[1]), str(e.args[0])) for e in edits}))
    # `status` too: `status_code=status.HTTP_404_NOT_FOUND` was often its only use
    return remove_unused_imports(
        module,
        [
            *(
                (source, "HTTPException", None)
                for source in ("fastapi", "fastapi.exceptions", "starlette.exceptions")
            ),
            ("fastapi", "status", None),
            ("starlette", "status", None),
        ],
    )


_CLASS = '''class {name}(Exception):
    """{doc}"""

    def __init__(self, detail: Any = None, headers: {headers} = None) -> None:
        super().__init__(detail)
        self.detail = "{phrase}" if detail is None else detail
        self.headers = headers
'''


def _class_doc(phrase: str) -> str:
    """The class's one-line docstring, the longest that fits the project's line length (a
    formatter does not wrap a docstring)."""
    from fastapi_fixer.fixing import context

    style = context.current_style()
    limit = style.line_length if style is not None else 88
    for doc in (
        f"{phrase}: mapped to an HTTP response by the app's exception handler.",
        f"{phrase}: answered by the app's exception handler.",
    ):
        if len(f'    """{doc}"""') <= limit:
            return doc
    return f"{phrase}."


def _add_classes(
    module: cst.Module, edits: list[Edit], minimum: tuple[int, ...] | None
) -> cst.Module:
    """The exception classes, with annotations the project's oldest Python evaluates: `X | None`
    in a `def` fails before 3.10 and `dict[...]` before 3.9 (``minimum``: the declared lowest
    version; unknown is taken as 3.9)."""
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import add_imports

    typing_names = ["Any"]
    headers = "dict[str, str] | None"
    if minimum is None or minimum < (3, 10):
        headers, typing_names = "Optional[dict[str, str]]", ["Any", "Optional"]
        if minimum is not None and minimum < (3, 9):
            headers, typing_names = "Optional[Dict[str, str]]", ["Any", "Dict", "Optional"]
    present = {s.name.value for s in module.body if isinstance(s, cst.ClassDef)}
    codes = [
        _CLASS.format(name=name, phrase=phrase, doc=_class_doc(phrase), headers=headers)
        for name, phrase in sorted({(str(e.args[0]), str(e.args[1])) for e in edits})
        if name not in present
    ]
    if not codes:
        return module
    if not module.body:
        header = f"from typing import {', '.join(typing_names)}\n\n\n"
        return cst.parse_module(header + "\n\n".join(codes))
    new = [
        cst.parse_statement(code, config=module.config_for_parsing).with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()]
        )
        for code in codes
    ]
    return add_imports(
        module.with_changes(body=[*module.body, *new]), [("typing", n) for n in typing_names]
    )


def _add_handlers(module: cst.Module, edits: list[Edit]) -> cst.Module:
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import NodeNotFound, add_imports

    wanted = sorted({tuple(e.args) for e in edits}, key=lambda a: (a[3], a[1]))
    app_name = str(wanted[0][0])
    position = None
    for at, statement in enumerate(module.body):
        if isinstance(statement, cst.SimpleStatementLine):
            targets = [
                target
                for small in statement.body
                for target in (
                    [t.target for t in small.targets]
                    if isinstance(small, cst.Assign)
                    else [small.target]
                    if isinstance(small, cst.AnnAssign) and small.value is not None
                    else []
                )
            ]
            if any(isinstance(t, cst.Name) and t.value == app_name for t in targets):
                position = at
                break
    if position is None:
        raise NodeNotFound("the app's assignment moved")
    new = []
    imports: list[tuple[str, str | None]] = [
        ("fastapi", "Request"),
        ("fastapi.responses", "JSONResponse"),
    ]
    for app, name, exc_module, status, handler in wanted:
        code = (
            f"@{app}.exception_handler({name})\n"
            f"async def {handler}(request: Request, exc: {name}) -> JSONResponse:\n"
            f"{module.default_indent}return JSONResponse(\n"
            f"{module.default_indent * 2}status_code={status},\n"
            f'{module.default_indent * 2}content={{"detail": exc.detail}},\n'
            f"{module.default_indent * 2}headers=exc.headers,\n"
            f"{module.default_indent})\n"
        )
        statement = cst.parse_statement(code, config=module.config_for_parsing)
        new.append(statement.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()]))
        imports.append((str(exc_module), str(name)))
    body = list(module.body)
    following = body[position + 1] if position + 1 < len(body) else None
    if following is not None:
        lines = list(following.leading_lines)
        blank = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
        if blank < 2:
            body[position + 1] = following.with_changes(
                leading_lines=[cst.EmptyLine()] * (2 - blank) + lines
            )
    body[position + 1 : position + 1] = new
    return add_imports(module.with_changes(body=body), imports)
