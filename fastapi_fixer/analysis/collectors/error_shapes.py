"""The shapes of the error responses a module builds, for FF502 (inconsistent-error-shape).

Stored as ``facts.extra["error_shapes"]``: a `ModuleErrorShapes` with one `ErrorShape` per
error response whose top-level keys are known:

- ``HTTPException(...)`` (FastAPI's or Starlette's), raised or not: FastAPI answers
  ``{"detail": ...}``; a literal dict as the detail adds its keys (``{detail: {code, message}}``);
- ``JSONResponse(...)`` (and ``ORJSONResponse``, ``UJSONResponse``) whose content is a dict
  literal with string keys, when its status is a literal >= 400 or it is built in a function
  decorated with ``@<app>.exception_handler(...)``.

``reshapes_http_exception`` says the module registers its own handler for ``HTTPException``
(decorator or ``add_exception_handler``): that handler's response is then the shape clients see.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from fastapi_fixer.analysis.astwalk import OwnNodes, children
from fastapi_fixer.analysis.collectors.routing import HTTP_EXCEPTIONS, status_of
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver, function_scope

KEY = "error_shapes"
JSON_RESPONSES = frozenset(
    {
        "fastapi.responses.JSONResponse",
        "fastapi.responses.ORJSONResponse",
        "fastapi.responses.UJSONResponse",
        "starlette.responses.JSONResponse",
        "fastapi.JSONResponse",
    }
)


_LEAVES = frozenset({ast.Name, ast.Constant})  # the commonest nodes: nothing in or under them


@dataclass(frozen=True)
class ErrorShape:
    shape: str  # `{detail}`, `{detail: {code, message}}`, `{error, code}`
    line: int
    col: int


@dataclass
class ModuleErrorShapes:
    shapes: list[ErrorShape] = field(default_factory=list)
    reshapes_http_exception: bool = False


def _keys(node: ast.expr | None) -> list[str] | None:
    if not isinstance(node, ast.Dict) or not node.keys:
        return None
    keys = []
    for key in node.keys:
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        keys.append(key.value)
    return sorted(set(keys))


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _is_handler_decorator(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "exception_handler"
    )


_PROBE_PATH = re.compile(
    r"(^|/)(health[\w-]*|ready|readyz|readiness|live|livez|liveness|ping|status)(/|$)"
)


def _is_probe_route(node: ast.expr) -> bool:
    """`@app.get("/health")`: a route serving a health or readiness probe."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    path = node.args[0] if node.args else None
    return (
        isinstance(path, ast.Constant)
        and isinstance(path.value, str)
        and bool(_PROBE_PATH.search(path.value))
    )


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> ModuleErrorShapes:
    found = ModuleErrorShapes()

    def visit(node: ast.AST, resolver: Resolver, in_handler: bool) -> None:
        kind = type(node)
        if kind in _LEAVES:
            return
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            handler = False
            for decorator in node.decorator_list:
                if _is_handler_decorator(decorator):
                    handler = True
                    target = decorator.args[0] if decorator.args else None  # type: ignore[attr-defined]
                    if target is not None and resolver.qualify(target) in HTTP_EXCEPTIONS:
                        found.reshapes_http_exception = True
            if any(_is_probe_route(d) for d in node.decorator_list):
                return  # a health probe's 503 body is a status document, not an API error
            inner = resolver.within(
                function_scope(
                    node, resolver.scope, facts.module, facts.module, facts.is_package, own=own
                )
            )
            for child in node.body:
                visit(child, inner, handler)
            return
        if kind is ast.Call:
            assert isinstance(node, ast.Call)
            callee = resolver.qualify(node.func)
            if callee in HTTP_EXCEPTIONS:
                keys = _keys(_argument(node, 1, "detail"))
                shape = f"{{detail: {{{', '.join(keys)}}}}}" if keys else "{detail}"
                found.shapes.append(ErrorShape(shape, node.lineno, node.col_offset))
            elif callee in JSON_RESPONSES:
                status = status_of(_argument(node, 1, "status_code"), resolver)
                keys = _keys(_argument(node, 0, "content"))
                if keys and (in_handler or (status is not None and status >= 400)):
                    found.shapes.append(
                        ErrorShape(f"{{{', '.join(keys)}}}", node.lineno, node.col_offset)
                    )
            elif (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_exception_handler"
                and node.args
                and resolver.qualify(node.args[0]) in HTTP_EXCEPTIONS
            ):
                found.reshapes_http_exception = True
        for child in children(node):
            visit(child, resolver, in_handler)

    for statement in tree.body:
        visit(statement, resolver, False)
    return found
