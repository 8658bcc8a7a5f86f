"""## What it does
Finds routes that raise `HTTPException(status_code=N)` — in their own body, or in their own
dependencies (parameters' `Depends(...)`/`Security(...)`, the decorator's `dependencies=`, and
their sub-dependencies, in any module) — while `responses=` on the decorator, on the route's
`APIRouter(...)`, at an `include_router(...)` of it, or on any router or app it is included into
(up to `FastAPI(responses=...)`) does not list `N`. The status may be a
number, a `status.HTTP_404_NOT_FOUND` constant (`fastapi` or `starlette`) or an
`http.HTTPStatus` member. A `responses=` that is not a dict literal counts with every code it may
list: the codes its expression names and those named in the body of each project function it
calls to build the dict (`responses=add_errors_to_responses([403])`, `{**errors([404]), 409:
...}`).

## Why is this bad?
FastAPI documents only the success response and the `422` validation error. Clients reading the
OpenAPI document cannot know that the route answers `404` or `409`, and generated clients have
no type for those bodies.

## Example
```python
@router.get("/items/{item_id}")
async def read_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return ITEMS[item_id]
```

## Use instead
```python
@router.get("/items/{item_id}", responses={404: {"description": "Item not found"}})
async def read_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return ITEMS[item_id]
```

## Fix safety
Unsafe: the OpenAPI document changes (the operation lists the new status codes with their
descriptions); the responses themselves do not. The fix adds `responses={N: {"description": ...}}`,
or adds the entries to an existing `responses=` dict literal. The description is the exception's
literal `detail=` when there is exactly one for that status, else the HTTP reason phrase
(`http.HTTPStatus(N).phrase`). No fix when the decorator passes `**options`, or when its own
`responses=` is not a plain dict literal (built by a call, or with `**`).

## Known problems
Only `raise HTTPException(...)` statements count: exceptions raised by helpers the route calls,
`HTTPException` subclasses and exception handlers are not followed, and a status that is not a
literal or a constant is ignored. `422` is ignored for routes that take parameters (FastAPI
documents it already). Routes whose `responses=` (or that of a router or app above them) may
hold any code — a name (`responses=ERRORS`, `{**COMMON}`), a library's function, a project
function that calls another project function, or one given a variable — whose dependencies are
classes or cannot be followed, and routes in test modules or out of the schema are not
reported. Router-level `dependencies=` are not followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import (
    KEY,
    ROUTE_TRIGGERS,
    ModuleRouting,
    RaisedError,
    ResponsesBound,
    dependencies_of,
    function_routing,
    is_test_module,
    phrase,
    responses_bound,
    responses_codes,
    router_decl,
)
from fastapi_fixer.analysis.facts import FunctionNode
from fastapi_fixer.codemods.missing_response_model import append_keyword, route_keywords_fix
from fastapi_fixer.codemods.undocumented_route import in_schema, route_calls
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

_MAX_DEPTH = 8


def raised_by(
    index: ProjectIndex, function: str, seen: set[str] | None = None
) -> list[RaisedError] | None:
    """The HTTP errors a function and its dependencies raise; None when a dependency cannot be
    followed."""
    seen = set() if seen is None else seen
    resolved = index.resolve(function)
    if resolved in seen:
        return []
    seen.add(resolved)
    facts = function_routing(index, resolved)
    if facts is None or len(seen) > 64:
        return None
    found = list(facts.raises)
    for dependency in dependencies_of(index, facts):
        deeper = raised_by(index, dependency, seen)
        if deeper is None:
            return None
        found.extend(deeper)
    return found


def documented_elsewhere(
    index: ProjectIndex, receiver: str, seen: frozenset[str] = frozenset()
) -> set[int] | None:
    """Codes listed by the route's router (`APIRouter(responses=...)`), where it is included
    (`include_router(..., responses=...)`), and, the same way, by every router or app it is
    included into, up to the app (`FastAPI(responses=...)`). A `responses=` that is not a
    literal counts with every code it may list (`bounded_codes`); None when that is not known
    (`responses=ERRORS`)."""
    resolved = index.resolve(receiver)
    if resolved in seen or len(seen) > _MAX_DEPTH:
        return set()
    seen = seen | {resolved}
    codes: set[int] = set()
    declared = router_decl(index, receiver)
    if declared is not None:
        listed = _listed(index, declared.responses, declared.bound)
        if listed is None:
            return None
        codes.update(listed)
    for parent, responses, bound in index.memo("FF407.includes", _included_responses).get(
        resolved, ()
    ):
        listed = _listed(index, responses, bound)
        if listed is None:
            return None
        codes.update(listed)
        if parent != "?":
            above = documented_elsewhere(index, parent, seen)
            if above is None:
                return None
            codes.update(above)
    return codes


def _listed(
    index: ProjectIndex, responses: tuple[int, ...] | None, bound: ResponsesBound | None
) -> set[int] | None:
    if responses is not None:
        return set(responses)
    return bounded_codes(index, bound)


def bounded_codes(index: ProjectIndex, bound: ResponsesBound | None) -> set[int] | None:
    """Every code a `responses=` that is not a literal may list (`responses_bound`): those its
    expression names, and those named in the body of each project function it calls to
    build the dict (`add_errors_to_responses([403])`: 403, and any code the helper adds of its
    own). None when that is not known: no bound, a library's function, or a helper calling
    another project function."""
    if bound is None:
        return None
    named, calls = bound
    codes = set(named)
    for call in calls:
        name = index.resolve(call)
        routing = function_routing(index, name) if name in index.functions else None
        if routing is None:
            return None
        if any(index.resolve(used) in index.functions for used in routing.uses):
            return None
        codes.update(routing.statuses)
    return codes


def _included_responses(
    index: ProjectIndex,
) -> dict[str, list[tuple[str, tuple[int, ...] | None, ResponsesBound | None]]]:
    """Router -> (the receiver, the `responses=` codes (None: not a literal), what a
    non-literal one may list) of each `include_router` of it."""
    table: dict[str, list[tuple[str, tuple[int, ...] | None, ResponsesBound | None]]] = {}
    for module in index.modules.values():
        routing = module.extra.get(KEY)
        if not isinstance(routing, ModuleRouting):
            continue
        for include in routing.includes:
            if include.router != "?":
                responses = None if include.responses is None else tuple(include.responses)
                parent = (
                    include.receiver if include.receiver == "?" else index.resolve(include.receiver)
                )
                table.setdefault(index.resolve(include.router), []).append(
                    (parent, responses, include.bound)
                )
    return table


class UndocumentedErrorResponse(Rule):
    CODE = "FF407"
    NAME = "undocumented-error-response"
    SEVERITY = Severity.INFO
    MESSAGE = "Route `{function}` raises `HTTPException({status})` but `responses=` omits it"
    FIX_TITLE = "Add `responses={{status}: ...}`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ROUTE_TRIGGERS

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return
        index = ctx.index
        for node, qualname, _ in ctx.functions():
            routes = index.routes_of(qualname)
            if not routes:
                continue
            raised = raised_by(index, qualname)
            if not raised:
                continue
            takes_parameters = bool(node.args.args or node.args.kwonlyargs or node.args.posonlyargs)
            for call, route in route_calls(node, routes):
                if route.method == "websocket" or not in_schema(index, route.receiver):
                    continue
                keywords = {k.arg: k.value for k in call.keywords}
                hidden = keywords.get("include_in_schema")
                if hidden is not None and not (
                    isinstance(hidden, ast.Constant) and hidden.value is True
                ):
                    continue
                responses = keywords.get("responses")
                listed = responses_codes(responses, ctx.resolver)
                literal = listed is not None
                if listed is None:  # `responses=add_errors([404])`: all it may list
                    found = bounded_codes(index, responses_bound(responses, ctx.resolver))
                    listed = tuple(found) if found is not None else None
                elsewhere = documented_elsewhere(index, route.receiver)
                if listed is None or elsewhere is None:
                    continue
                missing: dict[int, list[str | None]] = {}
                for error in raised:
                    if error.status < 400 or error.status in listed or error.status in elsewhere:
                        continue
                    if error.status == 422 and takes_parameters:
                        continue
                    missing.setdefault(error.status, []).append(error.detail)
                if missing:
                    yield self._report(ctx, node, call, responses, missing, literal)

    def _report(
        self,
        ctx: FileContext,
        node: FunctionNode,
        call: ast.Call,
        responses: ast.expr | None,
        missing: dict[int, list[str | None]],
        literal: bool = True,
    ) -> Diagnostic:
        codes = sorted(missing)
        listed = ", ".join(f"`{code}`" for code in codes)
        message = (
            f"Route `{node.name}` can answer {listed} (`HTTPException`) but its `responses=` "
            "does not document it"
        )
        entries = tuple((code, _description(missing[code])) for code in codes)
        if any(k.arg is None for k in call.keywords):
            return self.diagnostic(ctx, call, message + " (no fix: the decorator passes `**`)")
        if not literal:
            return self.diagnostic(
                ctx, call, message + " (no fix: its `responses=` is not a plain dict literal)"
            )
        span = ctx.span(responses if responses is not None else call)
        kind = "merge" if responses is not None else "add"
        edit = Edit(ctx.path, kind, span, entries)
        shown = ", ".join(f"{code}: ..." for code in codes)
        fix = Fix(f"Add `responses={{{shown}}}`", FixSafety.UNSAFE, (edit,))
        return self.diagnostic(ctx, call, message, fix)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import rewrite_at

        targets = {}
        for edit in edits:
            assert edit.span is not None
            entries = [(int(code), str(text)) for code, text in edit.args]  # type: ignore[misc]
            if edit.kind == "merge":
                targets[("Dict", edit.span)] = _merger(entries)
            else:
                targets[("Call", edit.span)] = _adder(entries)
        return rewrite_at(module, targets)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`route_keywords_text`) when every edit adds
        `responses=`; None where one merges entries into a dict, and outside a fix pass."""
        return route_keywords_fix(text, edits, _responses_keyword)


def _responses_keyword(edit: Edit) -> tuple[str, str]:
    from fastapi_fixer.fixing.textedit import Unsure

    if edit.kind != "add":
        raise Unsure(f"a {edit.kind} edit")
    entries = [(int(code), str(text)) for code, text in edit.args]  # type: ignore[misc]
    return "responses", _dict_code(entries)


def _description(details: list[str | None]) -> str:
    distinct = set(details)
    if len(distinct) == 1 and None not in distinct:
        return str(details[0])
    return ""


def _entry_code(code: int, description: str) -> str:
    return f'{code}: {{"description": {_quote(description or phrase(code))}}}'


_PART = 40  # a long description is written as parts this long, so nested lines stay short


def _quote(text: str) -> str:
    """The description as a string literal; a long one as implicitly concatenated parts in
    parentheses, split between words (the formatter puts them one per line)."""
    import json

    quoted = json.dumps(text, ensure_ascii=False)
    if len(quoted) <= _PART:
        return quoted
    parts: list[str] = []
    for word in text.split(" "):
        if parts and len(json.dumps(parts[-1] + " " + word, ensure_ascii=False)) <= _PART:
            parts[-1] += " " + word
        else:
            parts.append(word)
    parts = [part + " " for part in parts[:-1]] + parts[-1:]
    return "(" + " ".join(json.dumps(part, ensure_ascii=False) for part in parts) + ")"


def _dict_code(entries: list[tuple[int, str]]) -> str:
    return "{" + ", ".join(_entry_code(code, text) for code, text in entries) + "}"


def _adder(entries: list[tuple[int, str]]):
    def add(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.Call)
        return append_keyword(node, "responses", cst.parse_expression(_dict_code(entries)))

    return add


def _merger(entries: list[tuple[int, str]]):
    def merge(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.Dict)
        new = cst.parse_expression(_dict_code(entries))
        assert isinstance(new, cst.Dict)
        elements = list(node.elements)
        added = list(new.elements)
        if not elements:
            return node.with_changes(elements=added)
        last = elements[-1]
        comma = last.comma
        between = elements[-2].comma if len(elements) > 1 else None
        lead = node.lbrace.whitespace_after
        if not isinstance(between, cst.Comma):
            between = cst.Comma(
                whitespace_after=lead
                if isinstance(lead, cst.ParenthesizedWhitespace)
                else cst.SimpleWhitespace(" ")
            )
        if isinstance(comma, cst.Comma):
            # `{a: b,⏎}`: keep the layout and the trailing comma
            added = [element.with_changes(comma=between) for element in added]
            elements[-1] = last.with_changes(comma=between)
            added[-1] = added[-1].with_changes(comma=comma)
        else:
            separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            elements[-1] = last.with_changes(comma=separator)
            added = [element.with_changes(comma=separator) for element in added[:-1]] + [
                added[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            ]
        return node.with_changes(elements=[*elements, *added])

    return merge
