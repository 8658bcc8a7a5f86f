"""## What it does
Reports, once per project, more than 20 plain `def` routes when nothing in the project changes
AnyIO's default thread limiter (`anyio.to_thread.current_default_thread_limiter()`). The report
sits on the first `FastAPI()` construction, or on the first sync route when no module builds
the app at its top level.

## Why is this bad?
FastAPI runs every plain `def` route and dependency in AnyIO's threadpool, which runs at most 40
at a time. With many sync routes doing slow I/O, the 41st request waits for a free thread even
though the server is otherwise idle.

## Example
```python
app = FastAPI()


@app.get("/reports/{report_id}")
def read_report(report_id: int):  # ...and 20 more plain `def` routes
    return load_report(report_id)
```

## Use instead
```python
@asynccontextmanager
async def lifespan(app: FastAPI):
    anyio.to_thread.current_default_thread_limiter().total_tokens = 100
    yield


app = FastAPI(lifespan=lifespan)
```
and monitor thread use; better still, move the routes' I/O to async libraries.

## Fix safety
No fix: the right pool size depends on the deployment.

## Known problems
Any use of `current_default_thread_limiter` counts as a change. Every sync route of the project
counts, whichever app it belongs to.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.analysis.facts import APP_CONSTRUCTORS, Binding
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

LIMITER = "anyio.to_thread.current_default_thread_limiter"
MAX_SYNC_ROUTES = 20


class ThreadpoolLimit(Rule):
    CODE = "FF105"
    NAME = "threadpool-limit"
    SEVERITY = Severity.INFO
    MESSAGE = "{count} sync routes share the default threadpool of 40 threads"
    TRIGGERS = ("FastAPI", "def ")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        index = ctx.index
        if LIMITER in index.references or not self._may_be_home(ctx):
            return
        app_modules = sorted(
            (module.path, module.module)
            for module in index.modules.values()
            if any(_is_app(binding) for binding in module.bindings.values())
        )
        if app_modules and app_modules[0][1] != ctx.module:
            return
        sync_routes = sorted(
            (module.path, function.line, function.qualname)
            for module in index.modules.values()
            for function in module.functions.values()
            if not function.is_async and index.is_route(function.qualname)
        )
        if len(sync_routes) <= MAX_SYNC_ROUTES:
            return
        node: ast.AST | None
        if app_modules:
            node = _first_app_construction(ctx)
        else:
            first_route = sync_routes[0][2]
            node = next((n for n, name, _ in ctx.functions() if name == first_route), None)
        if node is None:
            return
        message = (
            f"{len(sync_routes)} sync routes share the default threadpool of 40 threads; raise "
            f"`{LIMITER}().total_tokens` at startup or move their I/O to async libraries"
        )
        yield self.diagnostic(ctx, node, message)

    @staticmethod
    def _may_be_home(ctx: FileContext) -> bool:
        """Cheap test before the project-wide count: the file builds an app or has a sync
        route."""
        facts = ctx.facts
        return any(_is_app(binding) for binding in facts.bindings.values()) or any(
            not function.is_async and function.routes for function in facts.functions.values()
        )


def _is_app(binding: Binding) -> bool:
    """A module-level `name = FastAPI(...)` (imported apps are `import` bindings)."""
    return binding.kind == "app" and binding.detail == "app"


def _first_app_construction(ctx: FileContext) -> ast.Call | None:
    """The first `FastAPI(...)` call in the module's own statements (not in functions)."""
    stack: list[ast.AST] = list(reversed(ctx.tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call) and APP_CONSTRUCTORS.get(ctx.resolver.qualify(node.func)) == (
            "app"
        ):
            return node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return None
