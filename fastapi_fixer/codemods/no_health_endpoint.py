"""## What it does
Reports an app (a module-level `FastAPI()`) when none of its routes serves a health check
(`/health`, `/healthz`, `/healthcheck`, a path under `/health/`, `/readyz`, `/livez`). Its
routes are those declared on it, on the routers it includes (also instances of project
subclasses of `APIRouter`) and on the apps mounted in it; an app mounted in another app is left
to that app. When part of the app cannot be followed (a router included through a variable or
a loop), any health route of the project counts.

## Why is this bad?
Load balancers and orchestrators (Kubernetes probes, ECS, Cloud Run) need a cheap endpoint to
decide whether an instance should get traffic. Without one they probe a real route — slow, with
side effects, or behind authentication — or none at all.

## Example
```python
app = FastAPI()
app.include_router(items.router)
```

## Use instead
```python
app = FastAPI()
app.include_router(items.router)


@app.get("/health", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}
```

## Fix safety
Unsafe: it adds an endpoint. The fix adds `GET /health` right after the app is built (kept out of
the OpenAPI document with `include_in_schema=False`), and `GET /health/ready`, which resolves
the database dependency (`get_db`, `get_session`, ...) that this app's routes use, directly or
through other dependencies (never another app's), when there is one: its parameter is
`Annotated[<T>, Depends(get_db)]`, `<T>` what the dependency gives (its return annotation, a
generator's yielded type) or `object`; a dependency the app's module already imports is reused.
With a declared FastAPI before 0.95 (which does not read `Annotated`), no readiness route.
No readiness route when that dependency is defined below the app in the same module (the route
could not name it yet), when its module imports the app's module (an import cycle), or when
`Annotated`/`Depends` mean something else. No fix when the app's assignment shares its line with
another statement.

## Known problems
Paths are read from route decorators as written; a health route whose path comes from a router
prefix alone (`APIRouter(prefix="/health")` with a `""` route) is not recognised. Apps built in
test modules or documentation/example folders are ignored, and so are apps built inside
functions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.facts import APP_CONSTRUCTORS
from fastapi_fixer.analysis.paths import is_example_path, is_test_path
from fastapi_fixer.codemods.unversioned_api import _Project
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex


_HEALTH = re.compile(r"(^|/)(health[\w-]*|readyz|livez|readiness|liveness)(/|$)")
_DB_DEPENDENCY = re.compile(r"^get_(db|database|session|db_session|conn|connection)$")


class NoHealthEndpoint(Rule):
    CODE = "FF904"
    NAME = "no-health-endpoint"
    SEVERITY = Severity.INFO
    MESSAGE = "No health-check route (`/health`) in app `{app}`"
    FIX_TITLE = "Add `GET /health` (and `/health/ready` when a database dependency exists)"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("FastAPI(",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path) or is_example_path(ctx.path):
            return
        assignment = _app_assignment(ctx)
        if assignment is None:
            return
        name = f"{ctx.module}.{assignment.targets[0].id}"  # type: ignore[attr-defined]
        project = ctx.index.memo("FF402.project", _Project.build)
        if name in project.mounted:
            return  # a sub-app: the app it is mounted in answers the probes
        paths, unknown = project.paths_below(name, set())
        if not paths or any(p is not None and _HEALTH.search(p) for p in paths):
            return
        if (unknown or None in paths) and _project_has_health(ctx.index):
            return  # a part of the app that cannot be followed may hold the project's one
        app_name = assignment.targets[0].id  # type: ignore[attr-defined]
        taken = set(ctx.scope.bindings)
        health = _free_name("health", taken)
        edits_args: tuple[object, ...] = (app_name, health, None, None, None, None)
        database = self._database_dependency(ctx, project, name)
        if database is not None:
            readiness = self._readiness(ctx, assignment, database, taken | {health})
            if readiness is not None:
                edits_args = (app_name, health, *readiness)
        fix = None
        if (
            assignment.col_offset == 0
        ):  # not after another statement on its line (`x = 1; app = ...`)
            fix = Fix(
                title=self.FIX_TITLE or "",
                safety=FixSafety.UNSAFE,
                edits=(Edit(ctx.path, "add-health", ctx.span(assignment), edits_args),),
            )
        yield self.diagnostic(
            ctx,
            assignment.value,
            f"No health-check route (`/health`) in app `{app_name}`; load balancers and "
            "orchestrators need one"
            + ("" if fix else " (not fixed: the app's assignment shares its line with another)"),
            fix,
        )

    @staticmethod
    def _database_dependency(
        ctx: FileContext, project: _Project, app: str
    ) -> tuple[str, str] | None:
        """The database dependency this app's routes use (directly or through other
        dependencies), not another app's."""
        used = _dependencies_of(ctx.index, project, app)
        found = sorted(
            q
            for q in ctx.index.dependencies
            if _DB_DEPENDENCY.match(q.rpartition(".")[2]) and q in used
        )
        for qualname in found:
            function = ctx.index.functions.get(qualname)
            if function is None or function.is_method or function.is_nested:
                continue
            module = qualname[: -len(function.name) - 1]
            return module, function.name
        return None

    @staticmethod
    def _readiness(
        ctx: FileContext, assignment: ast.Assign, database: tuple[str, str], taken: set[str]
    ) -> tuple[str, str | None, str, tuple[str, tuple[tuple[str, str], ...]]] | None:
        """The readiness route's name, the dependency's module to import it from (None: this
        one), its name, and the parameter's annotation with the imports it needs; None when
        the route cannot use the dependency here."""
        from fastapi_fixer.analysis.facts import Resolver
        from fastapi_fixer.codemods.global_resource_in_route import name_or_import
        from fastapi_fixer.fixing.dependency_types import (
            annotated_name,
            annotated_unread,
            bound_before,
            imports_module,
            returned_type,
        )

        if annotated_unread(ctx) is not None:
            return None  # the project supports FastAPI versions that do not read `Annotated`

        dep_module, dep_name = database
        after = (assignment.end_lineno or assignment.lineno) + 1  # where the routes go
        binding = ctx.scope.bindings.get(dep_name)
        imported = (
            binding is not None
            and binding.kind == "import"
            and ctx.index.resolve(binding.target) == f"{dep_module}.{dep_name}"
        )
        if dep_module == ctx.module or imported:
            if not bound_before(ctx, dep_name, after):
                return None  # defined below the app: not there yet when the route is defined
        elif dep_name in taken or ctx.index.ask(imports_module, dep_module, ctx.module):
            return None
        resolver = Resolver(ctx.scope, ctx.module)
        imports: list[tuple[str, str]] = []
        annotated = annotated_name(ctx, resolver)
        depends = name_or_import(
            ctx.index,
            ctx.scope.bindings,
            "fastapi.Depends",
            frozenset({"fastapi.Depends", "fastapi.params.Depends"}),
        )
        if annotated is None or depends is None:
            return None
        imports.extend(got[1] for got in (annotated, depends) if got[1])
        kind = "object"
        known = returned_type(ctx, resolver, f"{dep_module}.{dep_name}", after)
        if known is not None:
            kind = known.text
            imports.extend(known.imports)
        annotation = f"{annotated[0]}[{kind}, {depends[0]}({dep_name})]"
        readiness = _free_name("readiness", taken)
        module = None if dep_module == ctx.module or imported else dep_module
        return readiness, module, dep_name, (annotation, tuple(sorted(set(imports))))

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import add_imports, start_only

        edit = edits[0]
        assert edit.span is not None
        app_name, health, readiness, dep_module, dep_name, *rest = edit.args
        code = (
            f'\n\n@{app_name}.get("/health", include_in_schema=False)\n'
            f"async def {health}() -> dict[str, str]:\n"
            '    return {"status": "ok"}\n'
        )
        imports: list[tuple[str, str | None]] = []
        if readiness is not None:
            annotation, needed = rest[0]  # type: ignore[misc]
            code += (
                f'\n\n@{app_name}.get("/health/ready", include_in_schema=False)\n'
                f"async def {readiness}(_db: {annotation}) -> dict[str, str]:\n"
                '    return {"status": "ready"}\n'
            )
            imports += list(needed)
            if dep_module is not None:
                imports.append((str(dep_module), str(dep_name)))
        new_statements = list(cst.parse_module(code).body)
        new_statements[0] = new_statements[0].with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()]
        )
        target = start_only(edit.span)
        body = list(module.body)
        from fastapi_fixer.fixing.cstutil import metadata

        wrapper = metadata(module)
        positions = wrapper.resolve(cst.metadata.PositionProvider)
        for index, statement in enumerate(wrapper.module.body):
            position = positions[statement].start
            if (position.line, position.column) == (target.line, target.col):
                body[index + 1 : index + 1] = new_statements
                break
        else:
            from fastapi_fixer.fixing.cstutil import NodeNotFound

            raise NodeNotFound("the app's assignment moved")
        return add_imports(wrapper.module.with_changes(body=body), imports)


def _dependencies_of(index: ProjectIndex, project: _Project, app: str) -> set[str]:
    """The dependencies named in the modules that declare the app's routes, and in the
    modules of those dependencies, and so on."""
    modules = set(project.route_modules.get(app, ()))
    for router in project.routers_below(app, set()):
        modules |= project.route_modules.get(router, set())
    used: set[str] = set()
    pending = sorted(modules)
    while pending:
        facts = index.modules.get(pending.pop())
        if facts is None:
            continue
        for target in facts.depends_targets:
            qualname = index.resolve(target)
            if qualname in used:
                continue
            used.add(qualname)
            owner = qualname.rpartition(".")[0]
            while owner and owner not in index.modules:  # a method's class, a nested function
                owner = owner.rpartition(".")[0]
            if owner and owner not in modules:
                modules.add(owner)
                pending.append(owner)
    return used


def _project_has_health(index: ProjectIndex) -> bool:
    return index.memo("FF904.project_has_health", _any_health_route)


def _any_health_route(index: ProjectIndex) -> bool:
    return any(
        route.path is None or _HEALTH.search(route.path)
        for function in index.functions.values()
        for route in index.routes_of(function.qualname)
    )


def _app_assignment(ctx: FileContext) -> ast.Assign | None:
    for statement in ctx.tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
            and APP_CONSTRUCTORS.get(ctx.resolver.qualify(statement.value.func) or "") == "app"
        ):
            return statement
    return None


def _free_name(base: str, taken: set[str]) -> str:
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name
