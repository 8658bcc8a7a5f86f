"""## What it does
Finds routes whose body fetches an entity by a path parameter and raises `404` when it is
missing —

```python
post = await service.get_post(post_id)
if not post:  # or `if post is None:`
    raise HTTPException(status_code=404, detail="Post not found")
```

— when the same fetch-then-404 (same call, same path parameter, same exception) appears in two
or more routes of the module. The report sits on each route's fetch.

## Why is this bad?
Each copy of the check must be kept in sync by hand, and the route bodies mix validation with
their real work. A dependency validates once, can be chained and overridden in tests, and
FastAPI caches it per request.

## Example
```python
@router.get("/posts/{post_id}")
async def get_post(post_id: int):
    post = await service.get_post(post_id)
    if not post:
        raise HTTPException(status_code=404)
    return post


@router.delete("/posts/{post_id}")
async def delete_post(post_id: int):
    post = await service.get_post(post_id)
    if not post:
        raise HTTPException(status_code=404)
    await service.delete(post)
```

## Use instead
```python
async def valid_post_id(post_id: int):
    post = await service.get_post(post_id)
    if not post:
        raise HTTPException(status_code=404)
    return post


@router.get("/posts/{post_id}")
async def get_post(post: Annotated[Any, Depends(valid_post_id)]):
    return post


@router.delete("/posts/{post_id}")
async def delete_post(post: Annotated[Any, Depends(valid_post_id)]):
    await service.delete(post)
```

## Fix safety
No fix when the project declares support for FastAPI before 0.95 (`fastapi>=0.69`), which does
not read `Annotated`: it would take the new entity parameter for a query parameter.
Unsafe: the lookup and its 404 now run as a dependency, before the route body (any work the body did
before the fetch now happens only for an existing entity, and a 404 from a missing entity wins over
errors the body would have raised first, and over the 422 of the route's own invalid query or body
parameters, which FastAPI validates after solving the dependencies). The entity parameter is added
after every other parameter (keyword-only, after a new `*`, when one before it has a default):
FastAPI solves the decorator's and the routers' `dependencies=[...]` first and then the parameters
in order, so the route's authentication still runs before the lookup, and an unauthenticated request
for a missing id still gets the 401, not a 404 that tells which ids exist. The fix adds
`valid_<parameter>` (`post_id` → `valid_post_id`, `provider` → `valid_provider`; a generic name
such as `id` or `slug` is prefixed by the entity: `valid_post_id`) above the first such route,
taking the path parameter (with the first route's annotation and default) and any other route
parameter the fetch uses (a `db: Session = Depends(get_db)` is copied: the cached session is
shared). In each route the two statements go, the entity becomes a parameter `Annotated[<Type>,
Depends(...)]`, and the path parameter goes when nothing else uses it, as does a dependency
parameter only the fetch used (`db: Session = Depends(get_db)`, `Annotated[..., Depends(...)]` or an
alias of one): the new dependency asks for it, and FastAPI solves it once per request. `<Type>` is
what the fetch gives once the check ruled out `None`: the model of `session.get(Model, id)`,
`session.scalar(select(Model)...)`, `session.scalars(select(Model)...).one_or_none()` (or
`.first()`), `session.execute(select(Model)...).scalar_one_or_none()`,
`session.query(Model)...first()`, or the return annotation of the project function it calls
(`-> Post | None` gives `Post`, imported when the module does not have it and the import is safe);
the new dependency is annotated `-> <Type>` too. When it is unknown the parameter is
`Annotated[Any, ...]` and the dependency has no return annotation. One module gets one dependency
of a name: when two groups of routes check the same parameter differently (another 404 message),
the biggest group gets it and the other is reported without a fix (two definitions would be a
redefinition). No fix when the name is taken, `Annotated`, `Depends` or `Any` mean something else
in the module, or a route already has a parameter named like the entity. A route that
checks something before the fetch (a `raise` or `assert` above it: a permission check in the body)
is reported without a fix, since the lookup's 404 would then come before that check's error; the
other routes of the group still get the dependency.

## Known problems
Only two adjacent top-level statements are recognised (not `if (post := ...) is None`, nor
checks inside `try`), in routes of one module; a fetch that uses local variables of the route
is not extracted.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import (
    http_exception_of,
    is_test_module,
)
from fastapi_fixer.analysis.facts import FunctionNode, Resolver
from fastapi_fixer.codemods.global_resource_in_route import name_or_import
from fastapi_fixer.codemods.undocumented_route import route_calls
from fastapi_fixer.codemods.unused_path_parameter import path_parameters
from fastapi_fixer.fixing.dependency_types import (
    Written,
    annotated_name,
    annotated_unread,
    bound_before,
    call_type,
)
from fastapi_fixer.fixing.dependency_types import (
    guarded_names as _guarded_names,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

_DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
_ANY = frozenset({"typing.Any", "typing_extensions.Any"})


@dataclass(frozen=True)
class _Check:
    node: FunctionNode
    position: int  # index of the fetch in the body
    entity: str  # the variable the fetch binds
    parameter: str  # the path parameter it fetches by
    uses: tuple[str, ...]  # other route parameters the fetch needs
    model: str  # `Model` of `session.get(Model, id)`, else ""
    key: str


def _arguments(node: FunctionNode) -> dict[str, tuple[ast.arg, ast.expr | None]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    found = dict(
        zip((a.arg for a in positional), zip(positional, defaults, strict=True), strict=True)
    )
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        found[arg.arg] = (arg, default)
    return found


def _is_missing_test(test: ast.expr, name: str) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Name) and test.operand.id == name
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == name
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Is, ast.Eq))
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _guard_before(check: _Check) -> int:
    """The line of a `raise` or `assert` in the statements before the fetch (an authorization
    check, a validation), or 0."""
    for statement in check.node.body[: check.position]:
        for child in ast.walk(statement):
            if isinstance(child, (ast.Raise, ast.Assert)):
                return child.lineno
    return 0


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def find_check(node: FunctionNode, resolver: Resolver, parameters: set[str]) -> _Check | None:
    body = node.body
    starts = [s.lineno for s in body]
    if len(set(starts)) != len(starts):
        return None  # `a; b`: statements would not map one to one
    arguments = _arguments(node)
    bound_before: set[str] = set()
    for position, statement in enumerate(body[:-1]):
        following = body[position + 1]
        found = _match(statement, following, resolver)
        if found is not None:
            entity, value = found
            used = _names(value) | _names(following)
            by = sorted(used & parameters & set(arguments))
            if len(by) == 1 and not (used & bound_before) and entity not in arguments:
                parameter = by[0]
                uses = tuple(sorted((used & set(arguments)) - {parameter}))
                model = _queried_model(value, resolver)
                key = repr((ast.dump(value), ast.dump(following.body[0]), parameter, uses))  # type: ignore[attr-defined]
                return _Check(node, position, entity, parameter, uses, model, key)
        for child in ast.walk(statement):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                bound_before.add(child.id)
    return None


_SELECTS = frozenset(
    {
        "sqlalchemy.select",
        "sqlalchemy.sql.select",
        "sqlalchemy.sql.expression.select",
        "sqlalchemy.future.select",
        "sqlmodel.select",
        "sqlmodel.sql.expression.select",
    }
)
# methods that narrow a statement or a query and keep what it selects
_CHAINED = frozenset(
    {"where", "filter", "filter_by", "options", "join", "outerjoin", "order_by", "limit"}
)
_ONE_ROW = frozenset({"one_or_none", "first", "one"})


def _chain_root(node: ast.expr) -> ast.expr:
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _CHAINED
    ):
        node = node.func.value
    return node


def _selected(node: ast.expr, resolver: Resolver) -> str:
    """`Model` of `select(Model).where(...)...`, else ""."""
    root = _chain_root(node)
    if (
        isinstance(root, ast.Call)
        and len(root.args) == 1
        and not root.keywords
        and isinstance(root.args[0], ast.Name)
        and resolver.qualify(root.func) in _SELECTS
    ):
        return root.args[0].id
    return ""


def _queried_model(value: ast.expr, resolver: Resolver) -> str:
    """The model class one row of the fetch is: `session.get(Model, id)`,
    `session.scalar(select(Model)...)`, `session.scalars(select(Model)...).one_or_none()`,
    `session.execute(select(Model)...).scalar_one_or_none()`,
    `session.query(Model).filter(...).first()`; else ""."""
    call = value.value if isinstance(value, ast.Await) else value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return ""
    method, receiver = call.func.attr, call.func.value
    if method == "get" and len(call.args) == 2 and isinstance(call.args[0], ast.Name):
        return call.args[0].id
    if method == "scalar" and len(call.args) == 1:
        return _selected(call.args[0], resolver)
    if call.args or not (
        isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
    ):
        return ""
    inner = receiver.func.attr
    if method in _ONE_ROW and inner == "scalars" and len(receiver.args) == 1:
        return _selected(receiver.args[0], resolver)
    if method in {"scalar_one_or_none", "scalar_one"} and inner == "execute" and receiver.args:
        return _selected(receiver.args[0], resolver)
    if method in _ONE_ROW:
        root = _chain_root(receiver)
        if (
            isinstance(root, ast.Call)
            and isinstance(root.func, ast.Attribute)
            and root.func.attr == "query"
            and len(root.args) == 1
            and isinstance(root.args[0], ast.Name)
        ):
            return root.args[0].id
    return ""


def _match(statement: ast.stmt, following: ast.stmt, resolver: Resolver):
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    else:
        return None
    call = value.value if isinstance(value, ast.Await) else value
    if not (isinstance(target, ast.Name) and isinstance(call, ast.Call)):
        return None
    if not (
        isinstance(following, ast.If)
        and not following.orelse
        and len(following.body) == 1
        and isinstance(following.body[0], ast.Raise)
        and _is_missing_test(following.test, target.id)
    ):
        return None
    raised = http_exception_of(following.body[0], resolver)
    if not (isinstance(raised, tuple) and raised[0] == 404):
        return None
    return target.id, value


_GENERIC = frozenset({"id", "pk", "key", "name", "slug", "uuid", "code"})


def dependency_name(parameter: str, entity: str) -> str:
    """`valid_<parameter>` (`post_id` → `valid_post_id`, `provider` → `valid_provider`); a
    generic parameter name says which entity: `id` of `user` → `valid_user_id`."""
    if parameter.lower() in _GENERIC:
        return f"valid_{entity}_{parameter}"
    return f"valid_{parameter}"


class InlineEntityCheck(Rule):
    CODE = "FF302"
    NAME = "inline-entity-check"
    SEVERITY = Severity.ERROR
    MESSAGE = (
        "Route `{function}` fetches `{entity}` and raises 404 inline, like {count} other routes"
    )
    FIX_TITLE = "Extract the check into a `valid_{parameter}` dependency"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("404",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return
        groups: dict[str, list[_Check]] = {}
        for node, qualname, resolver in ctx.functions():
            calls = route_calls(node, ctx.index.routes_of(qualname))
            parameters = {
                name for _, route in calls if route.path for name in path_parameters(route.path)
            }
            if not parameters:
                continue
            found = find_check(node, resolver, parameters)
            if found is not None:
                groups.setdefault(found.key, []).append(found)
        # one dependency name per module: the biggest group gets it, another group that would
        # define the same name (another message, another fetch) is left without a fix
        claimed: set[str] = set()
        ordered = sorted(
            (checks for checks in groups.values() if len(checks) >= 2),
            key=lambda checks: (-len(checks), min(c.node.lineno for c in checks)),
        )
        names = {}
        for checks in ordered:
            first = min(checks, key=lambda c: c.node.lineno)
            name = dependency_name(first.parameter, first.entity)
            names[id(checks)] = (name, name in claimed)
            if any(not _guard_before(check) for check in checks):
                claimed.add(name)
        for checks in sorted(ordered, key=lambda checks: min(c.node.lineno for c in checks)):
            # a route that checks something before the fetch keeps its check inline: the
            # lookup's 404 would come first (the others still share the new dependency)
            guards = {id(check): _guard_before(check) for check in checks}
            fixable = [check for check in checks if not guards[id(check)]]
            name, twice = names[id(checks)]
            if twice:
                fix, problem = (
                    None,
                    f"another group of routes here gets a `{name}` that checks differently",
                )
            else:
                fix, problem = self._fix(ctx, fixable, name) if fixable else (None, "")
            for check in checks:
                others = len(checks) - 1
                statement = check.node.body[check.position]
                message = (
                    f"Route `{check.node.name}` fetches `{check.entity}` by `{check.parameter}` "
                    f"and raises 404 inline, like {others} other route{'s' if others > 1 else ''}"
                    f"; validate it once in a dependency"
                )
                guard = guards[id(check)]
                if guard:
                    message += (
                        f" (no fix: the route checks something before the fetch, line {guard}: "
                        "the lookup's 404 would come first and tell who fails that check which "
                        "ids exist)"
                    )
                    yield self.diagnostic(ctx, statement, message)
                    continue
                if problem:
                    message += f" (no fix: {problem})"
                yield self.diagnostic(ctx, statement, message, fix)

    def _fix(self, ctx: FileContext, checks: list[_Check], name: str) -> tuple[Fix | None, str]:
        first = min(checks, key=lambda c: c.node.lineno)
        if name in ctx.scope.bindings:
            return None, f"the name `{name}` is taken"
        for check in checks:
            if ctx.index.is_referenced(f"{ctx.module}.{check.node.name}"):
                return None, f"`{check.node.name}` is also called directly"
        arguments = _arguments(first.node)
        signature = []
        for wanted in (first.parameter, *first.uses):
            arg, default = arguments[wanted]
            text = arg.arg
            if arg.annotation is not None:
                text += f": {ctx.segment(arg.annotation)}"
            if default is not None:  # PEP 8: `x: int = 1`, but `x=1` without annotation
                equals = " = " if arg.annotation is not None else "="
                text += f"{equals}{ctx.segment(default)}"
            signature.append((default is not None, text))
        signature.sort(key=lambda item: item[0])
        fetch, test = first.node.body[first.position], first.node.body[first.position + 1]
        block = "\n".join(ctx.lines[fetch.lineno - 1 : test.end_lineno])  # type: ignore[operator]
        block = textwrap.dedent(block)
        keyword = "async def" if isinstance(first.node, ast.AsyncFunctionDef) else "def"
        params = ", ".join(text for _, text in signature)

        # the names the new annotations use
        module_resolver = Resolver(ctx.scope, ctx.module)
        imports: list[tuple[str, str]] = []
        unread = annotated_unread(ctx)
        if unread is not None:
            return None, unread
        annotated = annotated_name(ctx, module_resolver)
        depends = name_or_import(ctx.index, ctx.scope.bindings, "fastapi.Depends", _DEPENDS)
        if annotated is None or depends is None:
            taken = "Annotated" if annotated is None else "Depends"
            return None, f"the name `{taken}` means something else here"
        for got in (annotated, depends):
            if got[1]:
                imports.append(got[1])
        entity_type = self._entity_type(ctx, first, module_resolver)
        if entity_type is not None:
            imports.extend(entity_type.imports)
            model = entity_type.text
        else:
            got = name_or_import(ctx.index, ctx.scope.bindings, "typing.Any", _ANY)
            if got is None:
                return None, "the name `Any` means something else here"
            model = got[0]
            if got[1]:
                imports.append(got[1])
        returns = f" -> {model}" if entity_type is not None else ""
        code = f"{keyword} {name}({params}){returns}:\n" + textwrap.indent(
            f"{block}\nreturn {first.entity}\n", "    "
        )
        edits = [Edit(ctx.path, "dependency", ctx.span(first.node), (code,))]
        annotation = f"{annotated[0]}[{model}, {depends[0]}({name})]"
        for check in checks:
            rest = [
                s
                for i, s in enumerate(check.node.body)
                if i not in (check.position, check.position + 1)
            ]
            left = set().union(*(_names(s) for s in rest)) if rest else set()
            drop = [] if check.parameter in left else [check.parameter]
            # a dependency only the fetch needed: the new dependency asks for it (FastAPI
            # solves it once per request), the route no longer does
            drop.extend(
                u for u in check.uses if u not in left and self._is_dependency(ctx, check.node, u)
            )
            edits.append(
                Edit(
                    ctx.path,
                    "route",
                    ctx.span(check.node),
                    (
                        check.position,
                        check.entity,
                        annotation,
                        tuple(drop),
                    ),
                )
            )
        edits.extend(Edit(ctx.path, "import", None, item) for item in sorted(set(imports)))
        return Fix(f"Extract the check into `{name}`", FixSafety.UNSAFE, tuple(edits)), ""

    @staticmethod
    def _is_dependency(ctx: FileContext, node: FunctionNode, name: str) -> bool:
        """The parameter is a dependency: `= Depends(...)`, `Annotated[..., Depends(...)]` or
        a module-level `Annotated` alias of one (`session: SessionDep`)."""
        from fastapi_fixer.analysis.collectors.routing import module_routing

        arg, default = _arguments(node)[name]
        resolver = Resolver(ctx.scope, ctx.module)
        markers = {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
        if isinstance(default, ast.Call) and resolver.qualify(default.func) in markers:
            return True
        annotation = arg.annotation
        if isinstance(annotation, ast.Subscript):
            return any(
                isinstance(n, ast.Call) and resolver.qualify(n.func) in markers
                for n in ast.walk(annotation.slice)
            )
        if isinstance(annotation, (ast.Name, ast.Attribute)):
            qualified = resolver.qualify(annotation)
            if qualified is None and isinstance(annotation, ast.Name):
                qualified = f"{ctx.module}.{annotation.id}"  # an alias assigned here
            if qualified is None:
                return False
            resolved = ctx.index.resolve(qualified)
            routing = module_routing(ctx.index, resolved)
            return routing is not None and resolved in routing.aliases
        return False

    @staticmethod
    def _entity_type(ctx: FileContext, check: _Check, resolver: Resolver) -> Written | None:
        """The entity's type, once the check ruled out `None`, written at module level: the
        model of `session.get(Model, id)`, the fetch's own annotation, or what the function it
        calls returns."""
        statement = check.node.body[check.position]
        node = check.node
        before = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if check.model:
            qualified = resolver.qualify(ast.Name(id=check.model))
            if (
                qualified is not None
                and not qualified.startswith("builtins.")
                and check.model not in _guarded_names(ctx)
                and bound_before(ctx, check.model, before)
            ):
                return Written(check.model)
            return None
        if isinstance(statement, ast.AnnAssign):
            return None  # its annotation may use names only type checkers see
        assert isinstance(statement, ast.Assign)
        return call_type(ctx, resolver, statement.value, before)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import (
            add_imports,
            append_parameter,
            rewrite_at,
            start_only,
        )

        dependencies = []
        targets = {}
        imports = []
        for edit in edits:
            if edit.kind == "import":
                imports.append((str(edit.args[0]), str(edit.args[1])))
            elif edit.kind == "dependency":
                assert edit.span is not None
                dependencies.append((edit.span, str(edit.args[0])))
            else:
                assert edit.span is not None
                position, entity, annotation, drop = edit.args
                targets[("FunctionDef", start_only(edit.span))] = _route_rewriter(
                    int(position),
                    str(entity),
                    str(annotation),
                    tuple(str(d) for d in drop),  # type: ignore[union-attr]
                    append_parameter,  # type: ignore[arg-type]
                )
        # where each dependency goes, found before the routes change (their lines shift)
        at = sorted(
            ((_statement_index(module, span.line), code) for span, code in dependencies),
            reverse=True,
        )
        module = rewrite_at(module, targets)
        body = list(module.body)
        for index, code in at:
            new = cst.parse_statement(code)
            blank = [line for line in body[index].leading_lines if line.comment is None]
            body.insert(index, new.with_changes(leading_lines=blank))
        module = module.with_changes(body=body)
        return add_imports(module, imports)


def _route_rewriter(
    position: int, entity: str, annotation: str, drop: tuple[str, ...], insert_parameter
):
    def rewrite(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.FunctionDef) and isinstance(node.body, cst.IndentedBlock)
        body = [s for i, s in enumerate(node.body.body) if i not in (position, position + 1)]
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()])]
        elif position == 0:
            # the body now starts with what followed the check: not with the blank line that
            # set it apart (its comments stay)
            lines = list(body[0].leading_lines)
            while lines and lines[0].comment is None:
                lines.pop(0)
            body[0] = body[0].with_changes(leading_lines=lines)
        params = node.params
        for name in drop:
            params = _drop_parameter(params, name)
        param = cst.Param(
            name=cst.Name(entity),
            annotation=cst.Annotation(annotation=cst.parse_expression(annotation)),
        )
        if _no_parameters(params):
            # every parameter went into the dependency: the entity takes the place of the last
            # one, with its comma and the line break before `)`, so a signature laid out a
            # parameter a line stays so
            last = _last_parameter(node.params)
            param = param.with_changes(
                comma=last.comma, whitespace_after_param=last.whitespace_after_param
            )
            params = params.with_changes(params=[param])
        else:
            params = insert_parameter(params, param)
        return node.with_changes(params=params, body=node.body.with_changes(body=body))

    return rewrite


def _no_parameters(params: cst.Parameters) -> bool:
    import libcst as cst

    return not (
        params.posonly_params
        or params.params
        or params.kwonly_params
        or isinstance(params.star_arg, (cst.Param, cst.ParamStar))
        or params.star_kwarg is not None
    )


def _last_parameter(params: cst.Parameters) -> cst.Param:
    """The last of the signature's parameters (a route's parameters are plain ones)."""
    return [*params.posonly_params, *params.params, *params.kwonly_params][-1]


def _drop_parameter(params: cst.Parameters, name: str) -> cst.Parameters:
    import libcst as cst

    changes = {}
    for field in ("posonly_params", "params", "kwonly_params"):
        items = list(getattr(params, field))
        kept = [p for p in items if p.name.value != name]
        if len(kept) != len(items):
            if kept and items[-1].name.value == name:
                kept[-1] = kept[-1].with_changes(comma=items[-1].comma)
            changes[field] = kept
    if not changes:
        return params
    result = params.with_changes(**changes)
    if (
        not result.params
        and not result.posonly_params
        and isinstance(result.star_arg, cst.ParamStar)
        and not result.kwonly_params
    ):
        result = result.with_changes(star_arg=cst.MaybeSentinel.DEFAULT)
    return result


def _statement_index(module: cst.Module, line: int) -> int:
    """The index of the module-level statement that holds ``line``."""
    from libcst.metadata import PositionProvider

    from fastapi_fixer.fixing import statements
    from fastapi_fixer.fixing.cstutil import NodeNotFound, metadata

    lines = statements.lines_of(module)
    if lines is not None and 0 <= (index := lines.statement_at(line)) < len(module.body):
        return index
    wrapper = metadata(module)
    positions = wrapper.resolve(PositionProvider)
    for index, statement in enumerate(wrapper.module.body):
        position = positions[statement]
        if position.start.line <= line <= position.end.line:
            return index
    raise NodeNotFound(f"no statement at line {line}")
