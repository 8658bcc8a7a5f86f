"""## What it does
Finds `FastAPI(...)` apps that serve their OpenAPI document in every environment: `openapi_url`
is not passed, or is a string literal. Passing `openapi_url=None` or any expression
(`"/openapi.json" if SHOW_DOCS else None`, `settings.OPENAPI_URL`) counts as gating it; the
Swagger UI and ReDoc pages (`docs_url`, `redoc_url`) need the document, so gating it hides them
too. `docs_url=None, redoc_url=None` alone still serves `/openapi.json` and is reported.

Only apps meant to be served are checked: a `FastAPI(...)` bound to a name or returned by a
factory, not one passed as a value (a dummy request scope's `"app"`), built only in a debug
branch (`if settings.debug:`) or under `if __name__ == "__main__":`, nor an app given plain
Starlette routes only (`app.add_route("/metrics", ...)`, `app.mount("/log", StaticFiles(...))`:
its OpenAPI document is empty) or probe routes only (`@app.get("/health")`, `/status`, `/ping`,
`/metrics`, also through a local router it includes: a worker's health server) or catch-all
routes (`/{path:path}`: an app of its own serving a UI's static files and index page, also
through a router another module routes) by the function that builds it, or by its module when
no other module uses it; an app handed to other code (`init_plugins(app)`) may get routes there
and is checked, one handed to a server (`uvicorn.Config(app=app)`) or mounted under another
app (`app.mount("/", ui_app)`) is not. Nor is an app its module serves on a port the system picks
(`uvicorn.Config(app, port=0)`): a transient local server, such as a CLI's login callback. An
app that curates its documentation for readers (`description=`, `contact=`, `openapi_tags=`,
`swagger_ui_parameters=`, ...) is documented on purpose and not reported; so is one that
publishes its API to readers (`description=`, `contact=`, `license_info=`, `terms_of_service=`)
with its Swagger UI gated on configuration (`docs_url="/docs" if conf.enable_swagger_ui else
None`), unless the gate names the document itself (`enable_openapi`: the operator meant
`/openapi.json` too). With `docs_url=None` written literally, its still-public `/openapi.json`
is reported. An app given its own OpenAPI generator (`app.openapi = custom_openapi`) writes
its document for readers and is not reported. A module that sends visitors to the docs
(`RedirectResponse("/api/docs")`, `RedirectResponse(f"{base}docs")`: a path ending in `/docs`
or `/redoc`) publishes them on purpose, and its apps are not reported; so does a project whose
code treats requests for the docs pages apart (`request.url.path.startswith("/docs")` in a
middleware that lets the Swagger UI through, a list of system paths holding
`"/openapi.json"`). Documentation and example
folders (`docs_src/`, `docs/`, `examples/`) are skipped.

## Why is this bad?
The interactive docs list every route, parameter and schema of the API: a map for anyone probing
a production service that is not meant to be public.

## Example
```python
app = FastAPI(title="My API")
```

## Use instead
```python
SHOW_DOCS = settings.ENVIRONMENT in ("local", "staging")

app = FastAPI(
    title="My API",
    openapi_url="/openapi.json" if SHOW_DOCS else None,
    docs_url="/docs" if SHOW_DOCS else None,
    redoc_url="/redoc" if SHOW_DOCS else None,
)
```

## Fix safety
Unsafe: the docs disappear outside `local` and `staging`. The fix adds
`SHOW_DOCS = settings.ENVIRONMENT in ("local", "staging")` above the app and gates the three
URLs on it (a literal URL keeps its value, `None` stays `None`). The settings instance is the
project's `BaseSettings` class with a module-level instance that the app's module can import
(in its own top package or one its package already imports from); its `ENVIRONMENT` field (or
`environment`, `env`, `app_env`, `stage`) is reused, else `ENVIRONMENT: str = "production"` is
added: the app starts without new configuration, and docs stay hidden until `ENVIRONMENT` (after
the class's `env_prefix`) says `local` or `staging`. Without a settings class the fix creates
`config.py` next to the app's module, as the guide shows, only when the project depends on
`pydantic-settings`.

Reported without a fix: an app not built by a module-level assignment (`app = FastAPI(...)`),
or by one sharing its line with another statement, built with `**kwargs`, a module that already
binds `SHOW_DOCS`, a settings class without a module-level instance or in a package the app's
module does not import from, or a settings module that imports the app's module.

## Known problems
Apps in test modules are not checked. An API that is public on purpose but does not curate its
docs gets the report too: suppress it with `# noqa: FF603`. Apps built by a project subclass of
`FastAPI` are not checked. Sub-applications mounted under a public app are reported
like any app.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import serves, transient
from fastapi_fixer.analysis.facts import APP_CONSTRUCTORS, is_main_guard
from fastapi_fixer.analysis.paths import is_example_path
from fastapi_fixer.fixing.settings_fix import (
    apply_settings_edits,
    find_settings,
    is_test_path,
    reference,
    settings_edit,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

DOC_URLS = (("openapi_url", "/openapi.json"), ("docs_url", "/docs"), ("redoc_url", "/redoc"))
ENVIRONMENT_FIELDS = ("ENVIRONMENT", "ENV", "APP_ENV", "APP_ENVIRONMENT", "STAGE")
FLAG = "SHOW_DOCS"


class DocsExposed(Rule):
    CODE = "FF603"
    NAME = "docs-exposed"
    SEVERITY = Severity.WARNING
    MESSAGE = "`FastAPI()` serves its OpenAPI docs in every environment"
    FIX_TITLE = "Serve the docs only in the local and staging environments"
    FIX_SAFETY = FixSafety.UNSAFE
    # the docs paths: a module that treats requests for them apart must be analysed too
    TRIGGERS = ("FastAPI(", "BaseSettings", '"/docs', "'/docs", '"/redoc', "'/redoc")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path) or is_example_path(ctx.path) or "FastAPI(" not in ctx.text:
            return
        assignments = {
            id(statement.value): statement
            for statement in ctx.tree.body
            if isinstance(statement, ast.Assign)
        }
        if _redirects_to_docs(ctx):
            return  # the docs are a page the project sends its visitors to
        if ctx.index.memo("FF603.names_docs_paths", _names_docs_paths):
            return  # the project lets requests for its docs pages through on purpose
        resolvers = {id(node): resolver for node, _, resolver in ctx.functions()}

        def included(scope: ast.AST, router: str) -> tuple[str | None, ...] | None:
            resolver = resolvers.get(id(scope), ctx.resolver)
            qualified = resolver.qualify(ast.Name(id=router, ctx=ast.Load()))
            if qualified is None or qualified.startswith("builtins."):
                return None
            return ctx.index.ask(_router_paths, qualified)

        served = _served_apps(ctx.tree, lambda name: _used_elsewhere(ctx, name), included)
        for node in served:
            if not self._is_app(ctx, node):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            if None in keywords:
                continue  # **kwargs: unknown
            openapi = keywords.get("openapi_url")
            if openapi is not None and not (
                isinstance(openapi, ast.Constant) and isinstance(openapi.value, str)
            ):
                continue
            if _documented_on_purpose(keywords):
                continue
            if _custom_openapi(ctx.tree, node):
                continue  # `app.openapi = custom_openapi`: a document written for its readers
            name = _bound_name(ctx.tree, node)
            if name is not None and transient(ctx.index, f"{ctx.module}.{name}"):
                continue
            message = (
                "`FastAPI()` serves its OpenAPI document and docs in every environment; gate "
                "`openapi_url`, `docs_url` and `redoc_url` on the environment"
            )
            fix = self._fix(ctx, node, assignments.get(id(node)))
            if isinstance(fix, str):
                yield self.diagnostic(ctx, node, f"{message} (not fixed: {fix})")
            else:
                yield self.diagnostic(ctx, node, message, fix)

    @staticmethod
    def _is_app(ctx: FileContext, call: ast.Call) -> bool:
        return APP_CONSTRUCTORS.get(ctx.resolver.qualify(call.func) or "") == "app"

    def _fix(self, ctx: FileContext, call: ast.Call, statement: ast.Assign | None) -> Fix | str:
        if statement is None:
            return "the app is not built by a module-level `app = FastAPI(...)`"
        if statement.col_offset != 0:
            return "the app's assignment shares its line with another statement"
        if FLAG in ctx.scope.bindings:
            return f"`{FLAG}` already means something here"
        found = find_settings(ctx.index, ctx.path, ctx.module, ENVIRONMENT_FIELDS)
        if isinstance(found, str):
            return found
        if found.module == ctx.module and found.instance_line > statement.lineno:
            return "the app is built above the settings instance"
        ref = reference(ctx.index, ctx.scope.bindings, ctx.module, found)
        if isinstance(ref, str):
            return ref
        field = found.existing(*ENVIRONMENT_FIELDS) or found.field_name("ENVIRONMENT")
        keywords = {k.arg: k.value for k in call.keywords}
        urls = []
        for name, default in DOC_URLS:
            value = keywords.get(name)
            if value is None:
                urls.append((name, f'"{default}"', False))
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                urls.append((name, ctx.segment(value) or "", True))
        args = (f"{ref[0]}.{field}", ref[1] or (), FLAG, tuple(urls))
        edits = [Edit(ctx.path, "gate-docs", ctx.span(statement), args)]
        if field not in found.fields:
            edits.append(settings_edit(found, field, "str", '"production"'))
        return Fix(self.FIX_TITLE or "", FixSafety.UNSAFE, tuple(edits))

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import add_imports

        gates = [edit for edit in edits if edit.kind == "gate-docs"]
        imports = [tuple(edit.args[1]) for edit in gates if edit.args[1]]
        if gates:
            module = _gate(module, gates)
        module = apply_settings_edits(module, edits)
        return add_imports(module, sorted(set(imports)))  # type: ignore[arg-type]


def _served_apps(
    tree: ast.Module,
    referrers: Callable[[str], bool],
    included: Callable[[ast.AST, str], tuple[str | None, ...] | None],
) -> Iterator[ast.Call]:
    """The calls that build an app meant to be served: bound to a name or returned (a
    factory), and not only in a debug branch or under `if __name__ == "__main__":`. A
    `FastAPI()` passed as a value (a dummy request scope's `"app"`) serves nothing, nor does
    an app given plain Starlette routes only (a metrics side server, a mounted `StaticFiles`)
    by the function that builds it, or by its module when no other module uses it."""
    pending: list[tuple[ast.AST, ast.AST]] = [(tree, tree)]
    while pending:
        node, owner = pending.pop()
        if isinstance(node, ast.If) and (is_main_guard(node) or _mentions_debug(node.test)):
            pending.extend((child, owner) for child in node.orelse)
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)) and isinstance(
            node.value, ast.Call
        ):
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            name = targets[0] if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
            if name is None or not _non_api_server(owner, name.id, included):
                yield node.value
            elif owner is tree and referrers(name.id):
                yield node.value  # other modules use the app: they may add routes
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            owner = node
        if isinstance(node, (ast.stmt, ast.Module, ast.excepthandler, ast.match_case)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    pending.append((child, owner))


# what an app passes to curate its public documentation
CURATED_DOCS = frozenset(
    {"description", "contact", "license_info", "terms_of_service", "openapi_tags"}
    | {"swagger_ui_parameters", "swagger_ui_init_oauth", "servers"}
)


# what an app passes to publish its API to readers
PUBLISHED_DOCS = frozenset({"description", "contact", "license_info", "terms_of_service"})


REDIRECTS = frozenset(
    {"fastapi.responses.RedirectResponse", "starlette.responses.RedirectResponse"}
)


def _names_docs_paths(index: ProjectIndex) -> bool:
    """Some module of the project treats requests for the docs pages apart (`ModuleFacts.
    names_docs_paths`: a middleware that lets `/docs` through, a list of system paths)."""
    return any(module.names_docs_paths for module in index.modules.values())


def _redirects_to_docs(ctx: FileContext) -> bool:
    """The module answers a request with a redirect to a Swagger UI or ReDoc page."""
    if "RedirectResponse" not in ctx.text:
        return False
    for node in ast.walk(ctx.tree):
        if not isinstance(node, ast.Call) or ctx.resolver.qualify(node.func) not in REDIRECTS:
            continue
        url = (
            node.args[0]
            if node.args
            else next((k.value for k in node.keywords if k.arg == "url"), None)
        )
        if isinstance(url, ast.JoinedStr):  # f"{settings.base_url}api/v1/docs": its tail
            url = url.values[-1] if url.values else None
        if (
            isinstance(url, ast.Constant)
            and isinstance(url.value, str)
            and url.value.rstrip("/").rsplit("/", 1)[-1] in ("docs", "redoc")
        ):
            return True
    return False


def _documented_on_purpose(keywords: dict) -> bool:
    """The app curates its documentation (a description, contact, tags, ...) and does not
    switch the Swagger UI off: the docs are meant to be read. A `docs_url` gated on
    configuration (`"/docs" if conf.enable_swagger_ui else None`) is an operator's choice about
    the pages of a document published on purpose: a description, contact, license or terms
    written for its readers, and a gate that names only the pages (a gate on
    `enable_openapi` means the document itself, still served). A literal `docs_url=None` says
    the docs are not for readers, and the still-public `/openapi.json` is reported."""
    docs = keywords.get("docs_url")
    if isinstance(docs, ast.Constant) and docs.value is None:
        return False
    if docs is not None and not isinstance(docs, ast.Constant):
        return any(key in keywords for key in PUBLISHED_DOCS) and not _names_openapi(docs)
    return any(key in keywords for key in CURATED_DOCS)


def _names_openapi(gate: ast.expr) -> bool:
    """The gate's names or strings mention the OpenAPI document (`enable_openapi`)."""
    for node in ast.walk(gate):
        word = (
            node.value
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            else node.id
            if isinstance(node, ast.Name)
            else getattr(node, "attr", None)
        )
        if isinstance(word, str) and "openapi" in word.lower().replace("_", ""):
            return True
    return False


# what adds an operation to an app's OpenAPI document, or hands the app to code that may
API_ROUTES = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route"}
    | {"add_api_route", "include_router", "router", "routes", "openapi", "openapi_schema"}
)


# the last segment of a probe's path: a side server answering only these (a worker's health
# check, a status page) documents nothing in its OpenAPI document
PROBE_SEGMENTS = frozenset(
    {"health", "healthz", "healthcheck", "livez", "readyz", "ready", "live", "liveness"}
    | {"readiness", "status", "ping", "metrics"}
)


def _non_api_server(
    scope: ast.AST,
    name: str,
    included: Callable[[ast.AST, str], tuple[str | None, ...] | None],
) -> bool:
    """``scope`` (a function, or the module) gives the app ``name`` plain Starlette routes
    (`add_route`, `mount`) or probe and catch-all routes only (`@app.get("/health")`,
    `app.add_api_route("/status", ...)`, `/{path:path}`, a router of such routes included:
    ``included(scope, router)`` gives the paths of a router the scope does not route itself,
    None when unknown), so its OpenAPI document maps nothing worth hiding, and the app is not
    handed to other code (a call's argument, which could add routes) other than being
    returned or served (`uvicorn.Config(app=app)`)."""
    used: set[str] = set()
    routers: set[str] = set()
    for node in ast.walk(scope):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
        ):
            used.add(node.attr)
        elif isinstance(node, ast.Call) and _is_include(node, name):
            routers.add(node.args[0].id)  # type: ignore[attr-defined]
        elif (
            isinstance(node, ast.Call)
            and any(
                isinstance(arg, ast.Name) and arg.id == name
                for arg in [*node.args, *(k.value for k in node.keywords)]
            )
            and not serves(node)
            and not _mounted(node, name)
        ):
            return False  # `init_plugins(app)`: whatever it adds is unknown
    if not used & API_ROUTES:
        return bool(used & {"add_route", "mount"})
    if used & API_ROUTES - {"get", "api_route", "add_api_route", "include_router"}:
        return False
    paths = _route_paths(scope, {name, *routers})
    if "include_router" in used and not routers:
        return False
    for router in routers - _bound_in(scope):
        found = included(scope, router)  # a router routed elsewhere (imported)
        if found is None:
            return False
        paths.extend(found)
    return bool(paths) and all(_is_probe(path) or _is_catch_all(path) for path in paths)


def _mounted(call: ast.Call, name: str) -> bool:
    """`parent.mount("/", name)`: the app is served under another, which adds it no route."""
    func = call.func
    app = call.args[1] if len(call.args) > 1 else None
    app = app or next((k.value for k in call.keywords if k.arg == "app"), None)
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "mount"
        and isinstance(app, ast.Name)
        and app.id == name
    )


def _bound_in(scope: ast.AST) -> set[str]:
    """The names ``scope`` assigns itself (a local `router = APIRouter()`)."""
    return {
        target.id
        for node in ast.walk(scope)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _router_paths(index: ProjectIndex, router: str) -> tuple[str | None, ...] | None:
    """The paths of the routes the project gives the router ``router`` (None: not a router of
    the project, or one that includes other routers, whose routes are not followed here)."""
    target = index.resolve(router)
    paths: list[str | None] = []
    known = False
    for facts in dict.values(index.modules):
        routing = facts.extra.get("routing")
        if routing is not None:
            if target in routing.routers:
                known = True
            if any(index.resolve(call.receiver) == target for call in routing.includes):
                return None
        if any(index.resolve(r).startswith(target + ".") for r in facts.references):
            return None  # `router.add_api_route(...)`, `router.routes`: not followed here
        paths.extend(
            route.path
            for function in facts.functions.values()
            for route in function.routes
            if index.resolve(route.receiver) == target
        )
    return tuple(paths) if known or paths else None


def _is_include(call: ast.Call, name: str) -> bool:
    """`name.include_router(router)` with a plain local name."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "include_router"
        and isinstance(func.value, ast.Name)
        and func.value.id == name
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Name)
    )


def _route_paths(scope: ast.AST, receivers: set[str]) -> list[str | None]:
    """The paths of the API routes ``scope`` gives ``receivers`` (None: not a literal)."""
    paths: list[str | None] = []
    for node in ast.walk(scope):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in receivers
            and node.func.attr in API_ROUTES - {"include_router"}
        ):
            continue
        path = node.args[0] if node.args else None
        path = path or next((k.value for k in node.keywords if k.arg == "path"), None)
        literal = isinstance(path, ast.Constant) and isinstance(path.value, str)
        paths.append(path.value if literal else None)  # type: ignore[union-attr]
    return paths


def _is_catch_all(path: str | None) -> bool:
    """`/{path:path}`, `/static/{file_path:path}`: a route serving files or pages (or
    forwarding whatever it gets), one operation that maps nothing of an API."""
    if path is None:
        return False
    segments = [s for s in path.split("/") if s]
    return bool(segments) and re.fullmatch(r"\{\w+:path\}", segments[-1]) is not None


def _is_probe(path: str | None) -> bool:
    if path is None:
        return False
    segments = [s for s in path.split("/") if s]
    return bool(segments) and all(s.lower() in PROBE_SEGMENTS for s in segments)


def _custom_openapi(tree: ast.Module, call: ast.Call) -> bool:
    """The app ``call`` builds gets its own OpenAPI generator (`app.openapi = custom_openapi`,
    FastAPI's "Extending OpenAPI"): its document is written for readers, on purpose. The app
    is the name ``call`` is bound to, in the module or in the function that builds it."""
    names = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is call
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    return bool(names) and any(
        isinstance(node, ast.Assign)
        and any(
            isinstance(target, ast.Attribute)
            and target.attr == "openapi"
            and isinstance(target.value, ast.Name)
            and target.value.id in names
            for target in node.targets
        )
        for node in ast.walk(tree)
    )


def _bound_name(tree: ast.Module, call: ast.Call) -> str | None:
    """The module-level name ``call`` is bound to (`app = FastAPI()`, `app: FastAPI = ...`)."""
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and statement.value is call:
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is call:
            targets = [statement.target]
        else:
            continue
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
    return None


def _used_elsewhere(ctx: FileContext, name: str) -> bool:
    """Another module of the project uses the module-level app ``name`` (and may add routes)."""
    return ctx.index.ask(_app_referrers, ctx.module, name)


def _app_referrers(index: ProjectIndex, module: str, name: str) -> bool:
    app = f"{module}.{name}"
    for facts in dict.values(index.modules):
        if facts.module == module:
            continue
        if any(
            index.resolve(r) == app or r == app or r.startswith(app + ".") for r in facts.references
        ):
            return True
        if any(
            index.resolve(route.receiver) == app
            for function in facts.functions.values()
            for route in function.routes
        ):
            return True
    return False


def _mentions_debug(test: ast.expr) -> bool:
    for node in ast.walk(test):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
        if isinstance(name, str) and "debug" in name.lower():
            return True
    return False


def _gate(module: cst.Module, edits: list[Edit]) -> cst.Module:
    """Gate each app's URLs on the flag, defined once above the first of them."""
    import libcst as cst
    from libcst.metadata import PositionProvider

    from fastapi_fixer.fixing.cstutil import NodeNotFound, metadata

    wrapper = metadata(module)
    positions = wrapper.resolve(PositionProvider)
    body = list(wrapper.module.body)
    starts = {}
    for at, statement in enumerate(body):
        start = positions[statement].start
        starts[(start.line, start.column)] = at
    found = {}
    for edit in edits:
        assert edit.span is not None
        at = starts.get((edit.span.line, edit.span.col))
        if at is None:
            raise NodeNotFound("the app's assignment moved")
        found[at] = edit
    first = min(found)
    for at, edit in found.items():
        environment, _, flag, urls = edit.args
        line = body[at]
        assert isinstance(line, cst.SimpleStatementLine)
        assign = line.body[0]
        assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
        call = assign.value
        args = list(call.args)
        gated = {
            name: cst.parse_expression(f"{value} if {flag} else None") for name, value, _ in urls
        }
        for position, arg in enumerate(args):
            if arg.keyword is not None and arg.keyword.value in gated:
                args[position] = arg.with_changes(value=gated.pop(arg.keyword.value))
        added = [name for name, _, _ in urls if name in gated]
        if _is_one_line(call) and added:
            args = _one_per_line(args, module.default_indent)
            call = call.with_changes(
                whitespace_before_args=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(),
                    indent=True,
                    last_line=cst.SimpleWhitespace(module.default_indent),
                )
            )
        for name in added:
            _append_keyword(args, name, gated[name])
        new_line = line.with_changes(body=[assign.with_changes(value=call.with_changes(args=args))])
        if at == first:
            flag_line = cst.parse_statement(f'{flag} = {environment} in ("local", "staging")\n')
            flag_line = flag_line.with_changes(leading_lines=line.leading_lines)
            body[at] = cst.FlattenSentinel(
                [flag_line, new_line.with_changes(leading_lines=[cst.EmptyLine()])]
            )
        else:
            body[at] = new_line
    flat = []
    for statement in body:
        flat.extend(statement.nodes if isinstance(statement, cst.FlattenSentinel) else [statement])
    return wrapper.module.with_changes(body=flat)


def _is_one_line(call: cst.Call) -> bool:
    import libcst as cst

    return not any(
        isinstance(getattr(arg.comma, "whitespace_after", None), cst.ParenthesizedWhitespace)
        or isinstance(arg.whitespace_after_arg, cst.ParenthesizedWhitespace)
        for arg in call.args
    ) and not isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)


def _one_per_line(args: list, indent: str) -> list:
    """The arguments of a one-line call laid out one per line, with a trailing comma (as the
    guide writes `FastAPI(...)`)."""
    import libcst as cst

    def newline(last: bool) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(),
            indent=True,
            last_line=cst.SimpleWhitespace("" if last else indent),
        )

    laid = []
    for position, arg in enumerate(args):
        last = position == len(args) - 1
        laid.append(
            arg.with_changes(
                comma=cst.Comma(whitespace_after=newline(last)),
                whitespace_after_arg=cst.SimpleWhitespace(""),
            )
        )
    return laid


def _append_keyword(args: list, name: str, value) -> None:
    """Add ``name=value`` last, laid out like the call's own arguments (one per line stays one
    per line; a trailing comma stays last)."""
    import libcst as cst

    equal = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    new = cst.Arg(keyword=cst.Name(name), value=value, equal=equal)
    if not args:
        args.append(new)
        return
    last = args[-1]
    separator = next(
        (
            a.comma
            for a in reversed(args[:-1])
            if isinstance(a.comma, cst.Comma)
            and isinstance(a.comma.whitespace_after, cst.ParenthesizedWhitespace)
        ),
        None,
    )
    if separator is None and isinstance(last.comma, cst.Comma):
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace):
            separator = last.comma
    if separator is None:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args[-1] = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    args.append(new.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg))
