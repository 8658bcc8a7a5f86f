"""## What it does
Collects, per app, the shape (the top-level keys) of every error response whose keys are
known, and reports once when a shape lacks a key of the most common one:

- `HTTPException(...)`: `{detail}` (FastAPI's body), or `{detail: {code, message}}` when the
  detail is a dict literal;
- `JSONResponse(...)` (also `ORJSONResponse`, `UJSONResponse`) with a dict literal as content,
  when the status is a literal >= 400 or it is built in an `@app.exception_handler` function.

A shape that keeps every top-level key of the common one is consistent with it: `{detail,
reason}` next to `{detail}` adds an optional key, `{detail: {code, message}}` only a richer
detail. The bodies of health-probe routes (`/health`, `/healthcheck`, `/ready`, ...) are status
documents, not errors. With several apps in the project (not tests), each is checked on its
own: the modules of its routes (through included routers), the module that builds it, and
the modules without routes (services, handlers) that these import, directly or through other
project modules but not through another app's modules — two separate APIs may use different
shapes, and a side server (a worker's health server) answers none of the errors of the main
API's helpers.

When the project registers its own handler for `HTTPException`, `HTTPException`s are left out:
that handler's response is what clients see. The report lists each shape with how often it
appears and where first, and sits on the first occurrence of the first shape that is not the
most common one (test modules are left out).

## Why is this bad?
Clients should parse every error the same way. With `{"detail": ...}` from one route and
`{"error": ..., "code": ...}` from another, every client needs both code paths, and some error
will be shown to users as `undefined`.

## Example
```python
raise HTTPException(status_code=404, detail="Item not found")
...
return JSONResponse(status_code=409, content={"error": "Resource already exists"})
```

## Use instead
One shape everywhere, for instance the guide's:
```python
class ErrorResponse(BaseModel):
    error: str
    detail: str | None = None
    code: str | None = None
```
with exception handlers that all return it (a handler for `HTTPException` included).

## Fix safety
No fix: which shape to keep, and how to migrate clients, is a decision for the API's owners.

## Known problems
Only literal dicts are read: a response built from a model or a variable has no known shape
and is not counted. An odd shape that has the common keys and more is not reported, even if
its extra keys were meant as the new format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from fastapi_fixer.analysis.collectors.error_shapes import KEY, ErrorShape, ModuleErrorShapes
from fastapi_fixer.analysis.collectors.routing import UNKNOWN, is_test_module
from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.fixing.settings_fix import is_test_path
from fastapi_fixer.models import Diagnostic, Severity, Span
from fastapi_fixer.rule import FileContext, Rule

MAX_LISTED = 5


class InconsistentErrorShape(Rule):
    CODE = "FF502"
    NAME = "inconsistent-error-shape"
    SEVERITY = Severity.WARNING
    MESSAGE = "Error responses have {count} shapes across the project"
    TRIGGERS = ("HTTPException", "JSONResponse")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        own = ctx.facts.extra.get(KEY)
        if is_test_path(ctx.path) or not isinstance(own, ModuleErrorShapes) or not own.shapes:
            return
        everything = ctx.index.memo("FF502.shapes", _project_shapes)
        groups = ctx.index.memo("FF502.apps", _app_modules)
        reported: set[tuple[int, int]] = set()
        for app, modules in groups:
            found = [f for f in everything if modules is None or f[3] in modules]
            diagnostic = self._check_group(ctx, app, found)
            if (
                diagnostic is not None
                and (diagnostic.span.line, diagnostic.span.col) not in reported
            ):
                reported.add((diagnostic.span.line, diagnostic.span.col))
                yield diagnostic

    def _check_group(
        self, ctx: FileContext, app: str | None, found: list[tuple[str, int, int, str, ErrorShape]]
    ) -> Diagnostic | None:
        counts = Counter(f[4].shape for f in found)
        if len(counts) < 2:
            return None
        first = {}
        for item in found:
            first.setdefault(item[4].shape, item)
        ordered = sorted(counts, key=lambda s: (-counts[s], first[s][:3]))
        # `{detail, reason}` next to `{detail}` keeps every key clients read: an optional extra
        main = top_level_keys(ordered[0])
        odd = [shape for shape in ordered[1:] if not main <= top_level_keys(shape)]
        if not odd:
            return None
        home = first[odd[0]]
        if home[0] != ctx.path:
            return None
        listed = ", ".join(
            f"`{shape}` ({counts[shape]}x, first at {first[shape][3]}:{first[shape][1]})"
            for shape in ordered[:MAX_LISTED]
        )
        more = f" and {len(ordered) - MAX_LISTED} more" if len(ordered) > MAX_LISTED else ""
        where = "the project" if app is None else f"app `{app.rpartition('.')[2]}`"
        message = (
            f"Error responses have {len(ordered)} shapes across {where}: {listed}{more}; "
            "return one shape from every error (an exception handler per exception)"
        )
        line, col = home[1], home[2]
        return Diagnostic(
            code=self.CODE,
            name=self.NAME,
            severity=self.SEVERITY,
            message=message,
            path=ctx.path,
            span=Span(line, ctx._char_col(line, col), line, ctx._char_col(line, col)),
        )


def _app_modules(index: ProjectIndex) -> list[tuple[str | None, frozenset[str] | None]]:
    """The modules whose errors each app answers with: the modules of the routes that end up
    in it (through included routers), the module that builds it, and the modules without
    routes (services, handlers) that those modules import, directly or through others. With
    one app or none, the project as one group (None: every module)."""
    from fastapi_fixer.codemods.unversioned_api import _Project

    project = _Project.build(index)
    apps = sorted(
        name
        for name, decl in project.routers.items()
        if decl.kind == "app" and not is_test_module(_module_of(index, name))
    )
    if len(apps) < 2:
        return [(None, None)]
    owners: dict[str, set[str]] = {}  # route module -> apps
    routed: set[str] = set()
    for app in apps:
        for module in _route_modules(project, app, set()):
            owners.setdefault(module, set()).add(app)
    for module in dict.values(index.modules):
        if any(f.routes for f in module.functions.values()):
            routed.add(module.module)
    imports = _import_graph(index)
    homes = {_module_of(index, app) for app in apps}
    groups: list[tuple[str | None, frozenset[str] | None]] = []
    for app in apps:
        home = _module_of(index, app)
        modules = {m for m, found in owners.items() if app in found} | {home}
        # through the app's own modules and helpers, not through another app's
        others = (routed | homes) - modules
        modules |= {m for m in _reached(imports, modules, others) if m not in routed}
        groups.append((app, frozenset(modules)))
    return groups


def _import_graph(index: ProjectIndex) -> dict[str, set[str]]:
    """Project module -> the project modules it imports or names at module level."""
    graph: dict[str, set[str]] = {}
    for module in dict.values(index.modules):
        names = {b.target for b in module.bindings.values() if b.kind == "import" and b.target}
        names |= module.references
        targets = set()
        for name in names:
            owner = _module_of(index, name)
            if owner and owner != module.module:
                targets.add(owner)
        graph[module.module] = targets
    return graph


def _reached(graph: dict[str, set[str]], start: set[str], others: set[str]) -> set[str]:
    """The modules `start` imports, directly or through other project modules, not through
    `others` (the modules of other apps: a client that imports the server to run it in
    process does not make the server's helpers answer this app's errors)."""
    seen: set[str] = set()
    stack = list(start)
    while stack:
        current = stack.pop()
        if current in seen or current in others:
            continue
        seen.add(current)
        stack.extend(graph.get(current, ()))
    return seen


def _module_of(index: ProjectIndex, name: str) -> str:
    """The module of an app's name (`pkg.main.app`, `pkg.main.create_app:app`)."""
    current = name.partition(":")[0]
    while current and not dict.__contains__(index.modules, current):
        current = current.rpartition(".")[0]
    return current


def _route_modules(project, target: str, seen: set[str]) -> set[str]:
    """Modules declaring routes on ``target`` or on the routers included in it."""
    if target in seen:
        return set()
    seen.add(target)
    found = set(project.route_modules.get(target, ()))
    for _, include in project.includes.get(target, []):
        if include.router != UNKNOWN:
            found |= _route_modules(project, project.name(include.router), seen)
    return found


def top_level_keys(shape: str) -> frozenset[str]:
    """`{detail: {code, reason}}` -> {"detail"}; `{error, code}` -> {"error", "code"}."""
    inner = shape.strip()[1:-1]
    keys, depth, current = [], 0, ""
    for char in inner:
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        if char == "," and depth == 0:
            keys.append(current)
            current = ""
        else:
            current += char
    keys.append(current)
    return frozenset(k.split(":")[0].strip() for k in keys if k.strip())


def _project_shapes(index: ProjectIndex) -> list[tuple[str, int, int, str, ErrorShape]]:
    """Every error shape of the project's non-test code, by place (once per run)."""
    found: list[tuple[str, int, int, str, ErrorShape]] = []
    reshaped = False
    for module in index.modules.values():
        shapes = module.extra.get(KEY)
        if not isinstance(shapes, ModuleErrorShapes) or is_test_path(module.path):
            continue
        reshaped = reshaped or shapes.reshapes_http_exception
        for shape in shapes.shapes:
            found.append((module.path, shape.line, shape.col, module.module, shape))
    if reshaped:
        found = [f for f in found if not f[4].shape.startswith("{detail")]
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return found
