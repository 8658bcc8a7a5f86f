"""Functions that catch `HTTPException` themselves (FF501).

Stored as ``facts.extra["http_exception_catchers"]``: the lines of the `def`s whose own body
holds an `except` naming `HTTPException` (alone or in a tuple): `try: user = await
get_current_user(...) except HTTPException: return None`, or `except HTTPException: raise`
before an `except Exception:` that answers 500. What such a function calls must keep raising
`HTTPException`: a domain exception in its place would pass the first handler and land in the
second. The line of a `def` is the key `FunctionFacts.line` gives.
"""

from __future__ import annotations

import ast

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.collectors.routing import HTTP_EXCEPTIONS
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "http_exception_catchers"

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> tuple[int, ...]:
    found: list[int] = []
    bodies: list[tuple[int, list[ast.stmt]]] = [(0, tree.body)]
    while bodies:
        line, body = bodies.pop()
        for node in own(body):
            if isinstance(node, _FUNCTIONS):
                bodies.append((node.lineno, node.body))
            elif isinstance(node, ast.ClassDef):
                bodies.append((0, node.body))
            elif line and isinstance(node, ast.ExceptHandler) and node.type is not None:
                types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                if any(_is_http_exception(t, resolver) for t in types):
                    found.append(line)
    return tuple(sorted(set(found)))


def _is_http_exception(node: ast.expr, resolver: Resolver) -> bool:
    qualified = resolver.qualify(node)
    if qualified is not None:
        return qualified in HTTP_EXCEPTIONS
    # imported inside the function (`from fastapi import HTTPException` in its body), which the
    # module's names do not show
    return isinstance(node, ast.Name) and node.id == "HTTPException"
