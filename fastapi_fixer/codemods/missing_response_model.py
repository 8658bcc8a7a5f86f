"""## What it does
Finds routes that declare neither `response_model=` nor a return annotation although every
`return` hands back a known Pydantic model: a constructor call (`ItemOut(**row)`,
`ItemOut.model_validate(row)`), a list comprehension or list display of them (`list[ItemOut]`),
a name bound to one (an assignment, an annotated variable or parameter), or the result of a
project function in any module annotated to return one (`-> ItemOut`, `-> list[ItemOut]`).

## Why is this bad?
Without a declared response model the OpenAPI document says nothing about the response body,
so generated clients and the docs show an empty schema, and FastAPI does not check or filter
what the route returns. The guide asks for `response_model` on every route.

## Example
```python
@router.get("/items/{item_id}")
async def get_item(item_id: int):
    row = await db.fetch_item(item_id)
    return ItemOut(**row)
```

## Use instead
```python
@router.get("/items/{item_id}", response_model=ItemOut)
async def get_item(item_id: int):
    row = await db.fetch_item(item_id)
    return ItemOut(**row)
```
or, with `response-model-style = "annotation"` in `[tool.fastapi-fix]`,
`async def get_item(item_id: int) -> ItemOut:`. When the model lives in another module and the
route's module cannot name it yet, `from <module> import <Model>` is added.

## Fix safety
Unsafe: the JSON of the responses stays the same for the returned model itself, but the
OpenAPI document gains the schema, and FastAPI now validates and filters the response against
the model: an instance of a subclass (a project function annotated `-> ItemOut` may return one)
loses the subclass's extra fields. Note FastAPI's double serialization: the returned model is
dumped and validated again against `response_model`; for hot routes that return large lists,
consider returning plain dicts with `response_model_exclude_unset=True`.
No fix (report only) for a route nested in a function or class, a model defined below the
route in the same module (the decorator would run before the class exists), a model the
module cannot import under its own name, or a model that is also the route's request body and
has fields FF203 drops from one half (`id`, timestamps, secrets) while the route returns
something else than its body: FF203 splits it first, and the response model is then the
response half, named in a later round.

## Known problems
Routes in test modules (`tests/`, `test_*.py`, `conftest.py`) are not reported.
Routes that return `Response` objects, dicts, `None`, values of unknown type, different models
on different paths, or that can fall off the end, and generators are not reported. Only names
assigned in the route itself are followed (not module globals or attributes), and only calls of
module-level project functions (not methods). Imports are added by absolute module name.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import is_test_module
from fastapi_fixer.analysis.facts import FunctionNode, RouteDecl
from fastapi_fixer.analysis.pydantic_index import ModelShape, class_facts, route_returns
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

STYLE_ANNOTATION = "annotation"


class MissingResponseModel(Rule):
    CODE = "FF403"
    NAME = "missing-response-model"
    SEVERITY = Severity.WARNING
    MESSAGE = "Route `{function}` returns `{model}` without a declared response model"
    FIX_TITLE = "Add `response_model={model}`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("return",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return  # test apps are written to exercise the framework, not to document an API
        for node, qualname, resolver in ctx.functions():
            decorators = route_decorators(ctx, node, qualname)
            if not decorators or node.returns is not None:
                continue
            if any(route.method == "websocket" for _, route in decorators):
                continue
            if any(has_keyword(call, "response_model") for call, _ in decorators):
                continue
            shape = route_returns(ctx.index, node, resolver)
            if shape is None:
                continue
            yield self._report(ctx, node, qualname, decorators, shape, resolver)

    def _report(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        decorators: list[tuple[ast.Call, RouteDecl]],
        shape: ModelShape,
        resolver,
    ) -> Diagnostic:
        short = shape.render(shape.model.rpartition(".")[2])
        message = (
            f"Route `{node.name}` returns `{short}` but declares no response model, so the "
            "OpenAPI document has no response schema (once declared, FastAPI validates the "
            "returned model again: double serialization)"
        )
        fix, problem = self._fix(ctx, node, qualname, decorators, shape, resolver)
        if problem:
            message += f"; {problem}"
        return self.diagnostic(ctx, decorators[0][0], message, fix)

    def _fix(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        decorators: list[tuple[ast.Call, RouteDecl]],
        shape: ModelShape,
        resolver,
    ) -> tuple[Fix | None, str]:
        facts = ctx.index.functions.get(qualname)
        if facts is None or facts.is_nested or facts.is_method:
            return None, "no fix for a route nested in a function or class"
        defined = class_facts(ctx.index, shape.model)
        if (
            defined is not None
            and shape.model.rpartition(".")[0] == ctx.module
            and defined.line > decorators[0][0].lineno
        ):
            return None, f"move `{defined.name}` above the route to declare it"
        if _split_first(ctx, node, resolver, shape.model):
            # FF203 splits the model in the same round and the route then returns the response
            # half, which is what the response model must name: wait for it
            return None, (
                f"no fix while `{shape.model.rpartition('.')[2]}` is also the route's request "
                "body (its response half, once split, is the response model)"
            )
        visible = visible_name(ctx, shape.model)
        if visible is None:
            return None, f"no fix: `{shape.model}` cannot be imported under its own name here"
        if shape.many and ctx.scope.bindings.get("list") is not None:
            return None, "no fix: the name `list` is rebound in this module"
        name, import_from = visible
        rendered = shape.render(name)
        edits: list[Edit] = []
        if ctx.settings.response_model_style == STYLE_ANNOTATION:
            title = f"Annotate the return type `-> {rendered}`"
            edits.append(Edit(ctx.path, "annotate", ctx.span(node), (rendered,)))
        else:
            title = f"Add `response_model={rendered}`"
            edits.extend(
                Edit(ctx.path, "keyword", ctx.span(call), ("response_model", rendered))
                for call, _ in decorators
            )
        if import_from is not None:
            edits.append(Edit(ctx.path, "import", None, (import_from, name)))
        return Fix(title=title, safety=FixSafety.UNSAFE, edits=tuple(edits)), ""

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_route_edits(module, edits)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`route_keywords_text`); None where that is
        not certain to be what `fix` writes (an annotation to add), and outside a fix pass."""
        return route_keywords_fix(text, edits, keyword_of_edit)


# --- shared with FF404 ------------------------------------------------------------------------


def route_decorators(
    ctx: FileContext, node: FunctionNode, qualname: str
) -> list[tuple[ast.Call, RouteDecl]]:
    """The route decorators of a function (receiver is a known app/router), with their `ast`
    calls; empty when the function is not a route or a decorator cannot be matched."""
    routes = ctx.index.routes_of(qualname)
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
        else:
            return []
    # `**options` may carry the keyword a rule would add
    if any(k.arg is None for call, _ in found for k in call.keywords):
        return []
    return found


def has_keyword(call: ast.Call, name: str) -> bool:
    return any(keyword.arg == name for keyword in call.keywords)


def visible_name(ctx: FileContext, qualname: str) -> tuple[str, str | None] | None:
    """How the route's module can name a class: ``(name, None)`` when a module-level name
    already refers to it (``ItemOut``, ``schemas.ItemOut``), ``(name, module)`` when
    ``from module import name`` must be added, None when the short name is taken."""
    index = ctx.index
    short = qualname.rpartition(".")[2]
    direct = sorted(
        name
        for name, binding in ctx.scope.bindings.items()
        if binding.kind in ("import", "def") and index.resolve(binding.target) == qualname
    )
    if direct:
        return (short if short in direct else direct[0]), None
    homes = public_homes(ctx, qualname)
    for name, binding in sorted(ctx.scope.bindings.items()):
        if binding.kind == "import" and binding.target in homes:
            return f"{name}.{short}", None
    # `import app.schemas` binds `app`; `app.schemas.ItemOut` works
    for path in sorted(_imported_module_paths(ctx), key=len):
        top = path.split(".")[0]
        binding = ctx.scope.bindings.get(top)
        if (
            binding is not None
            and binding.kind == "import"
            and binding.target == top
            and path in homes
        ):
            return f"{path}.{short}", None
    if not homes or short in ctx.scope.bindings or ctx.module in homes:
        return None
    return short, homes[0]


def public_homes(ctx: FileContext, qualname: str) -> list[str]:
    """Modules to import a class from, best first: the packages above its module that re-export
    it (`app.schemas` for `app.schemas.items.ItemOut`), shortest first, then its own module. Not
    any module that merely imports it (`app.services`)."""
    module, _, short = qualname.rpartition(".")
    if module not in ctx.index.modules:
        return []
    homes = [module]
    parts = module.split(".")
    for end in range(len(parts) - 1, 0, -1):
        package = ".".join(parts[:end])
        facts = ctx.index.modules.get(package)
        if (
            facts is not None
            and facts.is_package
            and ctx.index.resolve(f"{package}.{short}") == qualname
        ):
            homes.insert(0, package)
    return homes


def _imported_module_paths(ctx: FileContext) -> set[str]:
    """Dotted paths that plain `import a.b.c` statements at module level make reachable."""
    paths = set()
    for statement in ctx.tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname is None:
                    parts = alias.name.split(".")
                    paths.update(".".join(parts[:end]) for end in range(2, len(parts) + 1))
    return paths


# --- applying the edits (LibCST) ------------------------------------------------------------


def apply_route_edits(module: cst.Module, edits: list[Edit]) -> cst.Module:
    """``keyword`` (append ``name=value`` to the call at the span), ``annotate`` (add a return
    annotation to the function at the span), ``import`` (``from module import name``, or
    ``import module`` when name is None)."""
    from fastapi_fixer.fixing.cstutil import add_imports, rewrite_at, start_only

    targets = {}
    imports: set[tuple[str, str | None]] = set()
    for edit in edits:
        if edit.kind == "keyword":
            assert edit.span is not None
            keyword, value = edit.args
            targets[("Call", edit.span)] = _keyword_adder(str(keyword), str(value))
        elif edit.kind == "annotate":
            assert edit.span is not None
            targets[("FunctionDef", start_only(edit.span))] = _annotator(str(edit.args[0]))
        elif edit.kind == "import":
            source, name = edit.args
            imports.add((str(source), None if name is None else str(name)))
        else:
            raise ValueError(f"unknown edit kind {edit.kind}")
    module = rewrite_at(module, targets)
    # the fix pass's import step puts each name at its sorted place (order-by-type included)
    return add_imports(module, sorted(imports, key=lambda item: (item[0], item[1] or "")))


def keyword_of_edit(edit: Edit) -> tuple[str, str]:
    """The keyword argument a `keyword` edit of `apply_route_edits` adds."""
    from fastapi_fixer.fixing.textedit import Unsure

    if edit.kind != "keyword":
        raise Unsure(f"a {edit.kind} edit")
    keyword, value = edit.args
    return str(keyword), str(value)


def route_keywords_fix(
    text: str, edits: list[Edit], keyword_of: Callable[[Edit], tuple[str, str]]
) -> str | None:
    """A route rule's `fix_source`: `route_keywords_text`, with the imports it asks for
    recorded for the fix pass (`textedit.recorded_fix`)."""
    from fastapi_fixer.fixing.textedit import recorded_fix

    return recorded_fix(
        lambda text, edits: route_keywords_text(text, edits, keyword_of), text, edits
    )


def route_keywords_text(
    text: str, edits: list[Edit], keyword_of: Callable[[Edit], tuple[str, str]]
) -> tuple[str, list[tuple[str, str | None]], list]:
    """`apply_route_edits` as text edits (`textedit.keyword_edit`) for the edits that add a
    keyword argument to a route decorator's call (``keyword_of`` says which, or raises
    `Unsure`) and those that add an import; with the imports to ask for. Raises `Unsure` for
    a call that is not a decorator of its own line, or that two edits target."""
    from fastapi_fixer.fixing.textedit import (
        Source,
        TextEdit,
        Unsure,
        imports_to_ask,
        keyword_edit,
        splice,
    )

    source = Source(text)
    calls = {
        source.span_key(node): node for node in ast.walk(source.tree) if isinstance(node, ast.Call)
    }
    imports: set[tuple[str, str | None]] = set()
    changes: list[TextEdit] = []
    seen: set[int] = set()
    for edit in edits:
        if edit.kind == "import":
            source_module, name = edit.args
            imports.add((str(source_module), None if name is None else str(name)))
            continue
        span = edit.span
        call = (
            None if span is None else calls.get((span.line, span.col, span.end_line, span.end_col))
        )
        if call is None or id(call) in seen:
            raise Unsure("no call, or a call two edits target, at the edit's place")
        seen.add(id(call))
        line = source.lines[call.lineno - 1]
        if line[: source.char_col(call.lineno, call.col_offset)].strip(" ") != "@":
            raise Unsure("not a decorator of its own line")
        keyword, value = keyword_of(edit)
        changes.append(keyword_edit(source, call, keyword, value, source.indentation(call.lineno)))
    return splice(text, changes), imports_to_ask(source.tree, imports), []


def _keyword_adder(keyword: str, value: str):
    def add(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.Call)
        return append_keyword(node, keyword, cst.parse_expression(value))

    return add


def _annotator(annotation: str):
    def annotate(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.FunctionDef)
        return node.with_changes(
            returns=cst.Annotation(annotation=cst.parse_expression(annotation))
        )

    return annotate


def append_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """``f(a, b=1)`` -> ``f(a, b=1, keyword=value)``, keeping a one-argument-per-line layout
    and a trailing comma."""
    import libcst as cst

    new = cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    separator: cst.BaseParenthesizableWhitespace = (
        args[-2].comma.whitespace_after  # type: ignore[union-attr]
        if len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
        else call.whitespace_before_args
    )
    if isinstance(separator, cst.ParenthesizedWhitespace):
        separator = separator.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    else:
        separator = cst.SimpleWhitespace(" ")
    comma = last.comma
    if isinstance(comma, cst.Comma):
        after = comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(
            separator, cst.ParenthesizedWhitespace
        ):
            # `a,  # note⏎)` -> `a,  # note⏎    keyword=value,⏎)`
            args[-1] = last.with_changes(
                comma=comma.with_changes(
                    whitespace_after=after.with_changes(last_line=separator.last_line)
                )
            )
            new = new.with_changes(
                comma=cst.Comma(
                    whitespace_after=cst.ParenthesizedWhitespace(
                        first_line=cst.TrailingWhitespace(),
                        empty_lines=[],
                        indent=after.indent,
                        last_line=after.last_line,
                    )
                )
            )
        else:
            args[-1] = last.with_changes(comma=comma.with_changes(whitespace_after=separator))
            new = new.with_changes(comma=cst.Comma(whitespace_after=after))
    else:
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=separator),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    return call.with_changes(args=[*args, new])


def _split_first(ctx: FileContext, node: FunctionNode, resolver, model: str) -> bool:
    """The returned model is also the route's request body, the route does not return the
    body itself, and the model has fields FF203 drops from one half (server-generated or
    secret): FF203's split changes what the route returns."""
    from fastapi_fixer.analysis.pydantic_index import fields_of
    from fastapi_fixer.fixing.schema_split import is_secret_name, server_fields

    arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    bodies = {
        arg.arg
        for arg in arguments
        if arg.annotation is not None
        and any(
            resolver.qualify(part) == model
            for part in ast.walk(arg.annotation)
            if isinstance(part, (ast.Name, ast.Attribute))
        )
    }
    if not bodies:
        return False
    returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
    if returns and all(isinstance(v, ast.Name) and v.id in bodies for v in returns):
        return False  # an echo: FF203 leaves a route returning its body alone
    fields = [f.name for f in fields_of(ctx.index, model)]
    short = model.rpartition(".")[2]
    return bool(server_fields(short, fields)) or any(is_secret_name(f, False) for f in fields)
