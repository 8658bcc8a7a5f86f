"""## What it does
Finds routes with no `summary=`, no `description=` and no docstring, that appear in the OpenAPI
document. Routes with `include_in_schema=False`, routes of an `APIRouter(include_in_schema=False)`
or of an app built with `openapi_url=None`, websocket routes and routes in test modules are left
alone.

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
Decorators that pass `**options` are not reported (they may carry a summary). An
`include_router(..., include_in_schema=False)` is not looked at, nor summaries set later on
the route objects or through `openapi_extra`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.codemods.missing_response_model import has_keyword
from fastapi_fixer.collectors.routing import ROUTE_TRIGGERS, is_test_module, router_decl
from fastapi_fixer.facts import FunctionNode, RouteDecl
from fastapi_fixer.models import Diagnostic, FixSafety, Severity
from fastapi_fixer.rule import FileContext, Rule

if TYPE_CHECKING:
    from fastapi_fixer.index import ProjectIndex

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


def in_schema(index: ProjectIndex, receiver: str) -> bool:
    """False when the route's app or router is left out of the OpenAPI document."""
    declared = router_decl(index, receiver)
    return declared is None or declared.in_schema


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
            if not routes or ast.get_docstring(node) is not None:
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
