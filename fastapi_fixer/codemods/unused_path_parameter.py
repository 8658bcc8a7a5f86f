"""## What it does
Finds `{param}`s in a route's path — its own path, and the `prefix=` of the module-level
`APIRouter(...)` it is declared on — that neither the route function nor any of its
dependencies accepts: no parameter of that name, no `Path(alias="param")`, no `**kwargs`, no
`Depends` function (in any module, through sub-dependencies, and the decorator's or router's
`dependencies=`) that takes it, and no read of `request.path_params`.

Not reported: a parameter that is missing from another path the same function is registered on
(`/blockexplorer/public` and `/blockexplorer/public/{resource}` on one function: the parameter
is optional by design), and a route that answers an HTML page (`-> HTMLResponse`,
`response_class=HTMLResponse`, `return templates.TemplateResponse(...)`): a page shell for a
client-side router reads the path in the browser.

## Why is this bad?
FastAPI matches the URL but the value is silently dropped: usually a typo (`{item_id}` against
`itemid`) or a forgotten parameter, so the route answers the same thing for every id. OpenAPI
still documents a required parameter the code never reads.

## Example
```python
@router.get("/items/{item_id}")
async def read_item():
    return {"ok": True}
```

## Use instead
```python
@router.get("/items/{item_id}")
async def read_item(item_id: str):
    return {"ok": True}
```

## Fix safety
Unsafe: the route now receives the value (its signature changes), and the OpenAPI operation gains
the path parameter with its type. The parameter is typed `str`, whatever its name: that is what
Starlette matched, so no request that matched before is rejected (an `int` for names ending in `_id`
would be a guess, and a wrong guess answers `422`). A path converter decides instead: `{n:int}` →
`int`, `{x:float}` → `float`, `{u:uuid}` → `uuid.UUID`. It is added before the first parameter with
a default (keyword-only after `*`). No fix when the function's body already uses the name (a global
or closure it would shadow), when the function is also called directly, or when it has a
positional-only parameter with a default. A required parameter is never added to a function
registered on a path without it (that URL would answer `422`): such a function is not reported.

## Known problems
A dependency that is a class, a library function or anything not analysed hides the route
(it might take the parameter). Prefixes given at `include_router(..., prefix=...)` and router
prefixes that are not module-level literals are not checked. Routes in test modules are not
checked.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import (
    ROUTE_TRIGGERS,
    UNKNOWN,
    dependencies_of,
    function_routing,
    is_test_module,
    router_decl,
)
from fastapi_fixer.analysis.facts import FunctionNode, RouteDecl
from fastapi_fixer.codemods.undocumented_route import route_calls, serves_page
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

_PARAMETER = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?}")
CONVERTER_TYPES = {"int": "int", "float": "float", "uuid": "UUID"}
_MAX_DEPTH = 8


def path_parameters(path: str) -> dict[str, str]:
    """Parameter name -> converter ("" when none)."""
    return {m.group(1): m.group(2) or "" for m in _PARAMETER.finditer(path)}


def accepted(index: ProjectIndex, functions: list[str], depth: int = 0) -> set[str] | None:
    """Names the functions (and their dependencies) take; None when any of them takes anything
    (`**kwargs`, `request.path_params`) or is not known."""
    names: set[str] = set()
    for function in functions:
        facts = function_routing(index, function)
        if facts is None or facts.takes_kwargs or facts.reads_path_params or depth > _MAX_DEPTH:
            return None
        names.update(facts.params)
        depends = dependencies_of(index, facts)
        if depends:
            deeper = accepted(index, depends, depth + 1)
            if deeper is None:
                return None
            names |= deeper
    return names


def _in_every_path(index: ProjectIndex, routes: tuple[RouteDecl, ...], name: str) -> bool:
    """Every path the function is registered on has `{name}` (its own path or its router's
    prefix): a parameter of one path of several (`/items` and `/items/{item_id}` on one
    function) is optional by design, and adding it would make the other URL answer `422`."""
    for route in routes:
        declared = router_decl(index, route.receiver)
        prefix = declared.prefix if declared is not None else ""
        if prefix == UNKNOWN or route.path is None:
            return False
        if name not in path_parameters((prefix or "") + (route.path or "")):
            return False
    return True


class UnusedPathParameter(Rule):
    CODE = "FF408"
    NAME = "unused-path-parameter"
    SEVERITY = Severity.WARNING
    MESSAGE = "Path parameter `{param}` is not accepted by route `{function}`"
    FIX_TITLE = "Add the parameter `{param}: str`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ROUTE_TRIGGERS

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return
        index = ctx.index
        for node, qualname, _ in ctx.functions():
            routes = index.routes_of(qualname)
            if not routes or serves_page(ctx, node):
                continue
            for call, route in route_calls(node, routes):
                if route.path is None:
                    continue
                wanted = path_parameters(route.path)
                full_path = route.path
                declared = router_decl(index, route.receiver)
                extra_dependencies: list[str] = []
                if declared is not None:
                    if declared.prefix == UNKNOWN or declared.dependencies is None:
                        continue
                    wanted = {**path_parameters(declared.prefix or ""), **wanted}
                    full_path = (declared.prefix or "") + route.path
                    extra_dependencies = list(declared.dependencies)
                if not wanted:
                    continue
                names = accepted(index, [qualname, *extra_dependencies])
                if names is None:
                    continue
                missing = {
                    name: kind
                    for name, kind in wanted.items()
                    if name not in names and _in_every_path(index, routes, name)
                }
                if missing:
                    yield self._report(ctx, node, qualname, call, full_path, missing)

    def _report(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        call: ast.Call,
        path: str,
        missing: dict[str, str],
    ) -> Diagnostic:
        listed = ", ".join(f"`{{{name}}}`" for name in missing)
        plural = "s" if len(missing) > 1 else ""
        message = (
            f"Path parameter{plural} {listed} of `{path}` not accepted by route `{node.name}` "
            "nor its dependencies: the value is dropped"
        )
        params = tuple((name, CONVERTER_TYPES.get(kind, "str")) for name, kind in missing.items())
        problem = self._no_fix(ctx, node, qualname, missing)
        if problem:
            return self.diagnostic(ctx, call, f"{message} (no fix: {problem})")
        rendered = ", ".join(f"{name}: {kind}" for name, kind in params)
        edits = [Edit(ctx.path, "parameter", ctx.span(node), params)]
        if any(kind == "UUID" for _, kind in params):
            edits.append(Edit(ctx.path, "import", None, ("uuid", "UUID")))
        fix = Fix(f"Add the parameter{plural} `{rendered}`", FixSafety.UNSAFE, tuple(edits))
        return self.diagnostic(ctx, call, message, fix)

    @staticmethod
    def _no_fix(
        ctx: FileContext, node: FunctionNode, qualname: str, missing: dict[str, str]
    ) -> str:
        if ctx.index.is_referenced(qualname):
            return f"`{node.name}` is also called directly"
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in missing} - {
            a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)
        }
        if used:
            return f"the body already uses `{sorted(used)[0]}`"
        args = node.args
        if args.posonlyargs and args.defaults and len(args.defaults) > len(args.args):
            return "a positional-only parameter has a default"
        if "UUID" in {CONVERTER_TYPES.get(k) for k in missing.values()}:
            binding = ctx.scope.bindings.get("UUID")
            if binding is not None and binding.target != "uuid.UUID":
                return "the name `UUID` is taken"
        return ""

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import (
            add_imports,
            insert_parameter,
            rewrite_at,
            start_only,
        )

        wanted: dict = {}
        imports = []
        for edit in edits:
            if edit.kind == "import":
                imports.append((str(edit.args[0]), str(edit.args[1])))
                continue
            assert edit.span is not None
            key = ("FunctionDef", start_only(edit.span))
            wanted.setdefault(key, {}).update(dict(edit.args))  # type: ignore[arg-type]

        def adder(params: dict[str, str]):
            def add(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
                assert isinstance(node, cst.FunctionDef)
                parameters = node.params
                for name, kind in params.items():  # in the path's order
                    param = cst.Param(
                        name=cst.Name(name),
                        annotation=cst.Annotation(annotation=cst.parse_expression(kind)),
                    )
                    parameters = insert_parameter(parameters, param)
                return node.with_changes(params=parameters)

            return add

        module = rewrite_at(module, {key: adder(params) for key, params in wanted.items()})
        return add_imports(module, imports)
