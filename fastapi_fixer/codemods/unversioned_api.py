"""## What it does
Reports, once per app, a `FastAPI()` app whose routes carry no version anywhere on their way:
no `/v<N>` segment in its `root_path`, in the `prefix=` of an `include_router(...)` (of the app
or of a router included in it), in an `APIRouter(prefix=...)`, in a route path, and the app is
not itself mounted in another app (`parent.mount("/v1", app)`). The report sits on the
`FastAPI(...)` construction.

Apps with fewer than two API routes (a status or metrics side server, an outer app with a
redirect next to mounted sub-apps), or only non-API ones (`/`, `/health`, `/healthz`,
`/metrics`, websockets), apps built in test modules or documentation/example folders
(`docs_src/`, `docs/`, `examples/`), and apps that reach routers the project cannot follow
(an included router that is not a literal module-level name, a prefix that is not a literal)
are not reported; nor is an app its module serves on a port the system picks
(`uvicorn.Config(app, port=0)`): a transient local server, such as a CLI's login callback.

## Why is this bad?
Without a version in the URL, the first breaking change breaks every client at once. A
`/api/v1` prefix lets `v2` routes live next to the old ones while clients migrate.

## Example
```python
app = FastAPI()
app.include_router(items.router)
app.include_router(users.router, prefix="/users")
```

## Use instead
```python
app = FastAPI()
app.include_router(items.router, prefix="/api/v1")
app.include_router(users.router, prefix="/api/v1/users")
```

## Fix safety
Unsafe: the OpenAPI document shows new URLs. The old ones keep answering: the fix adds
`prefix="/api/v1"` to each `include_router(...)` call of the app (in any module), or puts `/api/v1`
in front of its literal `prefix=` (when every router of the app is under `/api`, `/v1` goes after
it: `/api/auth` becomes `/api/v1/auth`), and right after it includes the same router again with its
old prefix and `include_in_schema=False, deprecated=True` — a hidden, deprecated alias at the same
place in the routing order (before a catch-all router included later), so the project's own front
end and clients keep working until they move. No fix when routes are declared on the app itself
(move them to a router first), when an `include_router` call passes `**options` or a prefix that is
not a literal, or is not a statement of its own (its value is used), or when a router below the app
has startup or shutdown handlers (`@router.on_event(...)`: a second include would run them twice).

## Known problems
Versioning by header or media type is not recognised. Routers included through loops or
helper functions are not followed (and keep the app from being reported). A version anywhere
below the app counts, even if only some routes have one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import (
    KEY,
    UNKNOWN,
    IncludeCall,
    ModuleRouting,
    RouterDecl,
    is_test_module,
)
from fastapi_fixer.analysis.facts import LOCAL_APP, LOCAL_ROUTER
from fastapi_fixer.analysis.paths import is_example_path
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity, Span
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

VERSION_PREFIX = "/api/v1"
_VERSIONED = re.compile(r"(^|/)v\d+([._]\d+)*([a-z]+\d*)?(/|$)", re.IGNORECASE)
MIN_API_ROUTES = 2
NON_API_PATHS = frozenset(
    {"", "/", "/health", "/healthz", "/metrics", "/ready", "/readyz", "/live", "/livez"}
    | {"/favicon.ico", "/robots.txt", "/ping"}
)


@dataclass
class _Project:
    """Who includes what, and the routes declared on each app or router."""

    index: ProjectIndex
    routers: dict[str, RouterDecl] = field(default_factory=dict)
    includes: dict[str, list[tuple[str, IncludeCall]]] = field(default_factory=dict)
    unknown_includes: list[IncludeCall] = field(default_factory=list)
    mounted: set[str] = field(default_factory=set)
    mounts: dict[str, list[str | None]] = field(default_factory=dict)
    mounted_apps: dict[str, list[str]] = field(default_factory=dict)
    routes: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    route_modules: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, index: ProjectIndex) -> _Project:
        project = cls(index)
        for module in index.modules.values():
            routing = module.extra.get(KEY)
            if not isinstance(routing, ModuleRouting):
                continue
            project.routers.update(routing.routers)
            for include in routing.includes:
                receiver = project.name(include.receiver)
                if receiver == UNKNOWN:
                    project.unknown_includes.append(include)
                else:
                    project.includes.setdefault(receiver, []).append((module.path, include))
            for mount in routing.mounts:
                if mount.app != UNKNOWN:
                    project.mounted.add(project.name(mount.app))
                    project.mounted_apps.setdefault(project.name(mount.receiver), []).append(
                        project.name(mount.app)
                    )
                project.mounts.setdefault(project.name(mount.receiver), []).append(mount.path)
            for function in module.functions.values():
                for route in function.routes:
                    owner = project.owner(route.receiver, function.qualname, routing)
                    if owner is not None:
                        project.routes.setdefault(owner, []).append((route.method, route.path))
                        project.route_modules.setdefault(owner, set()).add(module.module)
        return project

    def name(self, qualname: str) -> str:
        if qualname == UNKNOWN or ":" in qualname:
            return qualname
        return self.index.resolve(qualname)

    def owner(self, receiver: str, function: str, routing: ModuleRouting) -> str | None:
        """The app or router a route is declared on (a local one: the only one of its kind in
        an enclosing function)."""
        if receiver in (LOCAL_APP, LOCAL_ROUTER):
            kind = "app" if receiver == LOCAL_APP else "router"
            scope = function.rpartition(".")[0]
            while scope:
                local = [
                    d.name
                    for d in routing.routers.values()
                    if d.kind == kind and d.name.startswith(f"{scope}:")
                ]
                if local:
                    return local[0] if len(local) == 1 else None
                scope = scope.rpartition(".")[0]
            return None
        if self.index.app_kind(receiver) is None:
            return None
        if receiver.endswith(".router") and self.index.app_kind(receiver[:-7]) == "app":
            return self.name(receiver[:-7])
        return self.name(receiver)

    def paths_below(self, target: str, seen: set[str]) -> tuple[list[str | None], bool]:
        """The route paths (as written) of everything that ends up in ``target``: its own
        routes, included routers, mounted apps; and whether some part cannot be followed."""
        if target in seen:
            return [], False
        seen.add(target)
        paths = [path for _, path in self.routes.get(target, [])]
        unknown = False
        below = [*self.mounted_apps.get(target, [])]
        for _, include in self.includes.get(target, []):
            if include.router == UNKNOWN:
                unknown = True
            else:
                below.append(self.name(include.router))
        for child in below:
            if child not in self.routers and self.index.app_kind(child) is None:
                unknown = True
                continue
            found, lost = self.paths_below(child, seen)
            paths.extend(found)
            unknown = unknown or lost
        return paths, unknown

    def routers_below(self, target: str, seen: set[str]) -> set[str]:
        """The routers included, directly or not, in ``target``."""
        found: set[str] = set()
        for _, include in self.includes.get(target, []):
            child = self.name(include.router)
            if include.router != UNKNOWN and child not in seen:
                seen.add(child)
                found |= {child, *self.routers_below(child, seen)}
        return found

    def survey(self, target: str, seen: set[str]) -> tuple[bool, int, bool]:
        """(versioned, how many API routes, unknown parts) of everything below ``target``."""
        if target in seen:
            return False, 0, False
        seen.add(target)
        declared = self.routers.get(target)
        versioned = any(
            _is_versioned(p)
            for p in (
                declared.prefix if declared else None,
                declared.root_path if declared else None,
            )
        )
        unknown = declared is not None and UNKNOWN in (declared.prefix, declared.root_path)
        has_routes = 0
        for method, path in self.routes.get(target, []):
            if path is None:
                unknown = True
            elif _is_versioned(path):
                versioned = True
            elif method != "websocket" and path not in NON_API_PATHS:
                has_routes += 1
        for path in self.mounts.get(target, []):
            versioned = versioned or _is_versioned(path)
        for _, include in self.includes.get(target, []):
            if include.router == UNKNOWN or include.prefix == UNKNOWN:
                unknown = True
                continue
            versioned = versioned or _is_versioned(include.prefix)
            child = self.name(include.router)
            if child not in self.routers:
                unknown = True
                continue
            below = self.survey(child, seen)
            versioned, has_routes, unknown = (
                versioned or below[0],
                has_routes + below[1],
                unknown or below[2],
            )
        return versioned, has_routes, unknown


def _is_versioned(path: str | None) -> bool:
    return bool(path) and path != UNKNOWN and bool(_VERSIONED.search(path))  # type: ignore[arg-type]


class UnversionedApi(Rule):
    CODE = "FF402"
    NAME = "unversioned-api"
    SEVERITY = Severity.WARNING
    MESSAGE = "App `{app}` serves its API without a version prefix"
    FIX_TITLE = 'Add `prefix="/api/v1"` to each `include_router` of the app'
    FIX_SAFETY = FixSafety.UNSAFE
    # `.include_router(`/`.mount(`: so that the files wiring an app elsewhere are analysed
    TRIGGERS = ("FastAPI(", ".include_router(", ".mount(")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        routing = ctx.facts.extra.get(KEY)
        if (
            not isinstance(routing, ModuleRouting)
            or is_test_module(ctx.module)
            or is_example_path(ctx.path)
        ):
            return
        apps = [d for d in routing.routers.values() if d.kind == "app"]
        if not apps:
            return
        project = ctx.index.memo("FF402.project", _Project.build)
        # `def setup(app: FastAPI): app.include_router(api, prefix="/v1")` may version any app
        for include in project.unknown_includes:
            if _is_versioned(include.prefix):
                return
            if include.router != UNKNOWN:
                child = project.name(include.router)
                if child in project.routers and any(project.survey(child, set())[::2]):
                    return
        for app in apps:
            if app.name in project.mounted:
                continue
            versioned, has_routes, unknown = project.survey(app.name, set())
            # one API route (a status or metrics side server, a redirect next to mounted
            # sub-apps) is not an API clients build on
            if versioned or unknown or has_routes < MIN_API_ROUTES:
                continue
            if app.transient:
                continue  # a transient local server (a CLI's login callback): no API clients
            node = _construction(ctx, app)
            if node is not None:
                yield self._report(ctx, project, app, node)

    def _report(
        self, ctx: FileContext, project: _Project, app: RouterDecl, node: ast.Call
    ) -> Diagnostic:
        short = app.name.rpartition(":")[2].rpartition(".")[2]
        message = (
            f"App `{short}` serves its API without a version prefix (`/v1`): a breaking change "
            "would break every client at once"
        )
        direct = [
            path
            for method, path in project.routes.get(app.name, [])
            if method != "websocket" and path not in NON_API_PATHS
        ]
        includes = project.includes.get(app.name, [])
        if direct:
            message += "; move the routes declared on the app into a router, then include it "
            message += f'with `prefix="{VERSION_PREFIX}"`'
            return self.diagnostic(ctx, node, message)
        if any(i.has_star_kwargs or i.prefix == UNKNOWN for _, i in includes):
            message += f'; include its routers with `prefix="{VERSION_PREFIX}"`'
            return self.diagnostic(ctx, node, message)
        if any(include.line not in _include_statements(path) for path, include in includes):
            # the alias is a second statement after the include: the call must be one
            message += f'; include its routers with `prefix="{VERSION_PREFIX}"`'
            return self.diagnostic(ctx, node, message)
        hooked = ctx.index.memo("FF402.hooked", _hooked_receivers)
        if any(project.name(r) in hooked for r in project.routers_below(app.name, set())):
            # the old prefix is kept by including each router a second time, which would run
            # its startup and shutdown handlers twice
            message += f'; include its routers with `prefix="{VERSION_PREFIX}"`'
            return self.diagnostic(ctx, node, message)
        # `/api/auth` -> `/api/v1/auth` only when every router is under `/api`: beside a
        # router at `/auth`, both would land on `/api/v1/auth`
        under_api = all(_under_api(include.prefix) for _, include in includes)
        edits = tuple(
            Edit(
                path,
                "prefix",
                Span(include.line, 0, include.line, 0),
                (_versioned_prefix(include.prefix, under_api), include.prefix is not None),
            )
            for path, include in sorted(includes, key=lambda item: (item[0], item[1].line))
        )
        fix = Fix(
            f'Add `prefix="{VERSION_PREFIX}"` to each `include_router` of `{short}` and keep '
            "the old paths answering as hidden, deprecated aliases",
            FixSafety.UNSAFE,
            edits,
        )
        return self.diagnostic(ctx, node, message, fix)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst
        from libcst.metadata import PositionProvider

        from fastapi_fixer.fixing.cstutil import NodeNotFound, metadata

        wanted = {edit.span.line: edit.args for edit in edits if edit.span is not None}
        done: set[int] = set()

        class Prefixer(cst.CSTTransformer):
            """Each wanted `include_router(...)` statement serves its routes under the versioned
            prefix, and is followed by the same call with the old prefix, hidden and
            deprecated: the old URLs keep answering, at the same place in the routing order."""

            METADATA_DEPENDENCIES = (PositionProvider,)

            def leave_SimpleStatementLine(
                self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
            ) -> cst.SimpleStatementLine:
                body: list[cst.BaseSmallStatement] = []
                for before, after in zip(original.body, updated.body, strict=True):
                    body.append(after)
                    if not (
                        isinstance(before, cst.Expr)
                        and isinstance(after, cst.Expr)
                        and isinstance(before.value, cst.Call)
                        and isinstance(after.value, cst.Call)
                    ):
                        continue
                    func = before.value.func
                    if not (
                        isinstance(func, cst.Attribute) and func.attr.value == "include_router"
                    ):
                        continue
                    line = self.get_metadata(PositionProvider, before.value).start.line
                    if line not in wanted or line in done:
                        continue
                    done.add(line)
                    prefix = wanted[line][0]
                    body[-1] = after.with_changes(
                        value=_set_keyword(after.value, "prefix", cst.SimpleString(f'"{prefix}"'))
                    )
                    alias = after.value
                    for keyword, value in (("include_in_schema", "False"), ("deprecated", "True")):
                        alias = _set_keyword(alias, keyword, cst.Name(value))
                    body.append(
                        after.with_changes(value=alias, semicolon=cst.MaybeSentinel.DEFAULT)
                    )
                if len(body) == len(updated.body):
                    return updated
                if len(updated.body) == 1:
                    # one statement per line: the alias goes on a line of its own
                    return cst.FlattenSentinel(  # type: ignore[return-value]
                        [
                            updated.with_changes(body=[body[0]]),
                            updated.with_changes(body=[body[1]], leading_lines=[]),
                        ]
                    )
                return updated.with_changes(body=body)

        result = metadata(module).visit(Prefixer())
        if done != set(wanted):
            raise NodeNotFound("an include_router statement was not found")
        return result


def _set_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """The call with `keyword=value`: replaced when present, else appended."""
    from fastapi_fixer.codemods.missing_response_model import append_keyword

    if any(a.keyword is not None and a.keyword.value == keyword for a in call.args):
        return call.with_changes(
            args=[
                a.with_changes(value=value)
                if a.keyword is not None and a.keyword.value == keyword
                else a
                for a in call.args
            ]
        )
    return append_keyword(call, keyword, value)


def _include_statements(path: str) -> frozenset[int]:
    """Lines where an `x.include_router(...)` call is a statement of its own (where the fix can
    put the alias include after it)."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return frozenset()
    return frozenset(
        node.value.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "include_router"
    )


def _hooked_receivers(index: ProjectIndex) -> frozenset[str]:
    """The routers with startup or shutdown handlers (`@router.on_event(...)`)."""
    from fastapi_fixer.analysis.collectors.on_event_handlers import KEY as EVENTS
    from fastapi_fixer.analysis.collectors.on_event_handlers import EventFacts

    found: set[str] = set()
    for module in index.modules.values():
        events = module.extra.get(EVENTS)
        if isinstance(events, EventFacts):
            found.update(index.resolve(r.receiver) for r in events.registrations if r.receiver)
    return frozenset(found)


def _under_api(prefix: str | None) -> bool:
    prefix = "/" + (prefix or "").lstrip("/")
    return prefix == "/api" or prefix.startswith("/api/")


def _versioned_prefix(prefix: str | None, under_api: bool = False) -> str:
    """`/users` -> `/api/v1/users`; when every router of the app is under `/api`
    (`under_api`), the version goes after it (`/api/auth` -> `/api/v1/auth`, not
    `/api/v1/api/auth`)."""
    if not prefix or prefix == "/":
        return VERSION_PREFIX
    prefix = prefix if prefix.startswith("/") else f"/{prefix}"
    if under_api:
        return VERSION_PREFIX + prefix[len("/api") :]
    return VERSION_PREFIX + prefix


def _construction(ctx: FileContext, app: RouterDecl) -> ast.Call | None:
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Call) and (node.lineno, node.col_offset) == (app.line, app.col):
            return node
    return None
