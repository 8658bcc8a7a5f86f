"""## What it does
Finds routes with no `summary=`, no `description=` and no docstring, that appear in the OpenAPI
document. Routes with `include_in_schema=False`, routes of an `APIRouter(include_in_schema=False)`
or of an app built with `openapi_url=None`, routes of a router every `include_router(...)` of
which (in any module) passes `include_in_schema=False` or includes it into such a hidden app or
router, routes of an app served on a port the system picks (`uvicorn.Config(app, port=0)`: a
CLI's one-shot login callback, whose docs nobody reads), websocket routes and routes in test
modules are left alone. So are web pages: a route that answers HTML (`-> HTMLResponse`,
`response_class=HTMLResponse`, or it returns `templates.TemplateResponse(...)` /
`HTMLResponse(...)`) is a page of the site, not an operation an API client calls.

## Why is this bad?
The summary and description are what Swagger UI and generated clients show for an operation.
Without them readers see only FastAPI's title-cased function name and have to guess what the
endpoint does, which errors it may answer, and how to call it. The guide asks for descriptions
on every route.

## Example
```python
@router.post("/animals", response_model=AnimalResponse)
async def create_animal(data: AnimalCreate) -> AnimalResponse: ...
```

## Use instead
```python
@router.post("/animals", response_model=AnimalResponse, summary="Create animal")
async def create_animal(data: AnimalCreate) -> AnimalResponse:
    \"\"\"Register a new animal in the system.\"\"\"
```

## Fix safety
No fix: a summary must say what the route does, which only a person can write; one made from
the function name (`create_animal` → "Create animal") restates what FastAPI already shows and is
not a fix. The message names the route.

## Known problems
Decorators that pass `**options` are not reported (they may carry a summary). Routers included
through a variable the collector cannot name are taken to be in the schema. Summaries set later
on the route objects or through `openapi_extra` are not seen.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import ROUTE_TRIGGERS, is_test_module, router_decl
from fastapi_fixer.analysis.facts import FunctionNode, RouteDecl
from fastapi_fixer.codemods.missing_response_model import has_keyword
from fastapi_fixer.models import Diagnostic, FixSafety, Severity
from fastapi_fixer.rule import FileContext, Rule

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex

_DOC_KEYWORDS = ("summary", "description")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def summary_of(function: str) -> str:
    """`create_animal` → "Create animal"; `getUser` → "Get user"."""
    words = [w.lower() for w in _WORDS.findall(function)]
    text = " ".join(words) or function.strip("_")
    return text[:1].upper() + text[1:]


def route_calls(
    node: FunctionNode, routes: tuple[RouteDecl, ...]
) -> list[tuple[ast.Call, RouteDecl]]:
    """Each route decorator with its `ast` call (kept even when it passes `**options`)."""
    found = []
    for route in routes:
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == route.method
                and decorator.lineno == route.line
            ):
                found.append((decorator, route))
                break
    return found


_PAGE_RESPONSES = frozenset({"HTMLResponse", "TemplateResponse", "_TemplateResponse"})


def serves_page(ctx: FileContext, node: FunctionNode) -> bool:
    """The route answers an HTML page (`-> HTMLResponse`, `response_class=HTMLResponse`, or it
    returns `templates.TemplateResponse(...)` / `HTMLResponse(...)`): a page of the site, not
    an operation API clients call (FF405), and a page shell for a client-side router reads its
    path in the browser, so the server ignoring a path parameter is intended (FF408)."""

    def names_page(expr: ast.AST | None) -> bool:
        if isinstance(expr, ast.Call):
            expr = expr.func
        if isinstance(expr, ast.Attribute):
            return expr.attr in _PAGE_RESPONSES
        return isinstance(expr, ast.Name) and expr.id in _PAGE_RESPONSES

    if names_page(node.returns):
        return True
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and any(
            k.arg == "response_class" and names_page(k.value) for k in decorator.keywords
        ):
            return True
    return any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and names_page(n.value)
        for n in ast.walk(node)
    )


def in_schema(index: ProjectIndex, receiver: str) -> bool:
    """False when the route's app or router is left out of the OpenAPI document: built with
    `include_in_schema=False` / `openapi_url=None`, or every `include_router(...)` of it (in any
    module) passes `include_in_schema=False` or includes it into such an app or router. An app
    served on a port the system picks (a CLI's login callback) has docs nobody reads: left out."""
    declared = router_decl(index, receiver)
    if declared is not None and (not declared.in_schema or declared.transient):
        return False
    return index.resolve(receiver) not in index.memo("FF405.hidden_routers", hidden_routers)


def hidden_routers(index: ProjectIndex) -> frozenset[str]:
    """Routers and apps every inclusion of which leaves them out of the OpenAPI document."""
    from fastapi_fixer.analysis.collectors.routing import KEY, UNKNOWN, ModuleRouting

    declared: dict[str, bool] = {}
    includes: dict[str, list[tuple[str, bool]]] = {}
    for facts in index.modules.values():
        routing = facts.extra.get(KEY)
        if not isinstance(routing, ModuleRouting):
            continue
        for name, decl in routing.routers.items():
            declared[name] = decl.in_schema and not decl.transient
        for call in routing.includes:
            if call.router != UNKNOWN and not call.has_star_kwargs:
                router = index.resolve(call.router)
                receiver = (
                    call.receiver if call.receiver == UNKNOWN else index.resolve(call.receiver)
                )
                includes.setdefault(router, []).append((receiver, call.in_schema))
    hidden = {name for name, shown in declared.items() if not shown}
    changed = True
    while changed:  # a router included only into hidden ones is hidden too
        changed = False
        for router, calls in includes.items():
            if router in hidden:
                continue
            if all(not shown or receiver in hidden for receiver, shown in calls):
                hidden.add(router)
                changed = True
    return frozenset(hidden)


class UndocumentedRoute(Rule):
    CODE = "FF405"
    NAME = "undocumented-route"
    SEVERITY = Severity.WARNING
    MESSAGE = "Route `{function}` has no summary, description or docstring"
    FIX_SAFETY = FixSafety.NONE
    TRIGGERS = ROUTE_TRIGGERS

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return
        for node, qualname, _ in ctx.functions():
            routes = ctx.index.routes_of(qualname)
            if not routes or ast.get_docstring(node) is not None or serves_page(ctx, node):
                continue
            for call, route in route_calls(node, routes):
                if route.method == "websocket" or not in_schema(ctx.index, route.receiver):
                    continue
                if any(has_keyword(call, k) for k in _DOC_KEYWORDS):
                    continue
                if any(k.arg is None for k in call.keywords):
                    continue  # `**options` may carry a summary
                keywords = {k.arg: k.value for k in call.keywords}
                hidden = keywords.get("include_in_schema")
                if hidden is not None and not (
                    isinstance(hidden, ast.Constant) and hidden.value is True
                ):
                    continue
                yield self._report(ctx, node, call)

    def _report(self, ctx: FileContext, node: FunctionNode, call: ast.Call) -> Diagnostic:
        message = (
            f"Route `{node.name}` has no summary, description or docstring, so its OpenAPI "
            "operation says nothing about what it does; write a `summary=` or a docstring "
            "that says what it does"
        )
        return self.diagnostic(ctx, call, message)
