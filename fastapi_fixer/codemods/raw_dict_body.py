"""## What it does
Finds routes that take their request body as a raw dictionary: a parameter typed `dict`,
`Dict`, `Mapping`, or one of them with values of any type (`dict[str, Any]`), also optional or in
`Annotated`; a `Body()` parameter typed `Any` or not typed at all; and `await request.json()` on
the route's `Request`. Not reported: a `dict` parameter marked `Query()`, `Depends()` (or any
other non-body marker) or named in the path, a dict whose values are typed (`dict[str, Item]`,
`dict[int, float]`: validated and documented), a `TypedDict` body, `Body()` with a model or a
scalar, a `Request` used for anything but `.json()`, JSON handed whole to a validating
constructor (`Model.model_validate(body)`, `Model(**body)`, `Activity().deserialize(body)`) or
read only with keys that are not constants (a webhook whose key is configured), and routes in
test modules. A `dict` parameter is not reported either when the route never reads it (a
deprecated route that only answers `410`), when the route validates it (handed to
`Model(**data)` or `Model.model_validate(data)`, also after `data.pop(...)` or a filtering
comprehension), or when it is free-form data the route hands on whole without reading a key
by a constant (stored, forwarded, merged as `{**old, **data}`). `await request.json()` is not
reported when the route also takes a Pydantic model body (FastAPI validates the body already),
also reads the request as a form or raw bytes (a body whose format depends on its content type),
or answers only `GET`/`HEAD` (a body there is an optional extra a client may send, which a body
model would not make part of the contract).

## Why is this bad?
A raw dict is not validated: missing keys become `KeyError`s (500s) deep in the code, wrong types
travel into the database, and the OpenAPI document says nothing about the body, so clients and
the docs must guess it. The guide: use Pydantic models for all request data.

## Example
```python
@router.post("/users")
async def create_user(data: dict):
    return await users.create(data["email"], data.get("name"))
```

## Use instead
```python
class CreateUserRequest(BaseModel):
    email: EmailStr
    name: str | None = None


@router.post("/users")
async def create_user(data: CreateUserRequest):
    return await users.create(data.email, data.name)
```

## Fix safety
Unsafe. The fix scaffolds `<Route>Request(BaseModel)` above the route with one field per key the
body reads — required for `data["k"]`, defaulting to `None` (or to the literal default) for
`data.get("k"[, default])` — each typed `Any` for the author to tighten, retypes the parameter,
and turns the key reads into attribute reads (`data.k`). Requests missing a required key now get a
422 instead of a 500, and the OpenAPI document gains the schema.
No fix (report only) for `await request.json()`, a route nested in a function or class, a parameter
used other than by reading constant keys (passed on, iterated, `**data`, `"k" in data`, written),
a key that is not a plain identifier or clashes with a `BaseModel` attribute, an optional
parameter, a default other than `Body(...)`, or when the model's name is taken.

## Known problems
The scaffolded fields are typed `Any`: the model documents the keys but validates nothing until
the types are written. Keys read in functions the body is passed to are not seen: a route that
reads no key itself and hands the dict whole to a service (`users.create(data)`) is taken for a
free-form pass-through and not reported.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.facts import FunctionNode, Resolver
from fastapi_fixer.codemods.unbounded_input import is_test_path
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_OPTIONAL = frozenset({"typing.Optional", "typing.Union"})
DICT_TYPES = frozenset(
    {
        "builtins.dict",
        "typing.Dict",
        "typing.Mapping",
        "typing.MutableMapping",
        "collections.abc.Mapping",
        "collections.abc.MutableMapping",
        "typing_extensions.Mapping",
    }
)
PYDANTIC_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
ANY_TYPES = frozenset({"typing.Any", "typing_extensions.Any", "builtins.object"})
REQUEST_TYPES = frozenset(
    {"fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request"}
)
NOT_BODY = frozenset({"Depends", "Security", "Query", "Path", "Header", "Cookie", "Form", "File"})
# names a field of a BaseModel subclass may not take (methods and pydantic's own attributes)
_RESERVED = frozenset(
    {
        "dict",
        "json",
        "copy",
        "parse_obj",
        "parse_raw",
        "parse_file",
        "from_orm",
        "construct",
        "schema",
        "schema_json",
        "validate",
        "update_forward_refs",
        "fields",
        "Config",
    }
)


class RawDictBody(Rule):
    CODE = "FF201"
    NAME = "raw-dict-body"
    SEVERITY = Severity.ERROR
    MESSAGE = "Route `{function}` takes its body `{param}` as a raw `dict`"
    FIX_TITLE = "Scaffold a `<Route>Request` model from the keys read and retype the parameter"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("dict", "Dict", "Mapping", "Body(", ".json()")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        index = ctx.index
        if is_test_path(ctx.path):
            return
        for node, qualname, resolver in ctx.functions():
            routes = index.routes_of(qualname)
            if not routes or all(r.method == "websocket" for r in routes):
                continue
            path_params = {
                name
                for route in routes
                for name in re.findall(r"{(\w+)(?::\w+)?}", route.path or "")
            }
            requests: set[str] = set()
            for arg, default in _params(node):
                if arg.arg in path_params:
                    continue
                kind, plain = _body_kind(arg, default, resolver)
                if kind == "request":
                    requests.add(arg.arg)
                if kind not in ("dict", "any"):
                    continue
                if _unread(node, arg.arg) or _validated_or_passed_on(node, arg.arg):
                    continue
                what = "a raw `dict`" if kind == "dict" else "a `Body()` of any type"
                message = (
                    f"Route `{node.name}` takes its body `{arg.arg}` as {what}: nothing "
                    "validates it and the OpenAPI document does not describe it; declare a "
                    "Pydantic model"
                )
                fix, problem = self._fix(ctx, node, qualname, arg, default, plain)
                if problem:
                    message += f" (no fix: {problem})"
                yield self.diagnostic(ctx, arg, message, fix)
            if _has_model_body(ctx, node, resolver) or _reads_other_formats(node, requests):
                requests = set()
            if all(r.method in ("get", "head") for r in routes):
                requests = set()  # a GET's body is no part of its contract: no model to take
            for call in _json_reads(node, requests):
                receiver = call.value.func.value  # type: ignore[attr-defined]
                message = (
                    f"Route `{node.name}` reads its body with `await {receiver.id}.json()`: "
                    "nothing validates it and the OpenAPI document does not describe it; take a "
                    "Pydantic model parameter instead"
                )
                yield self.diagnostic(ctx, call, message)

    def _fix(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        arg: ast.arg,
        default: ast.expr | None,
        plain: bool,
    ) -> tuple[Fix | None, str]:
        facts = ctx.index.functions.get(qualname)
        if facts is None or facts.is_nested or facts.is_method:
            return None, "the route is nested in a function or class"
        if not plain:
            return None, f"`{arg.arg}` is optional"
        if default is not None and not (
            isinstance(default, ast.Call)
            and (ctx.resolver.qualify(default.func) or "").rsplit(".", 1)[-1] == "Body"
        ):
            return None, f"`{arg.arg}` has a default"
        keys, problem = _key_reads(node, arg.arg, ctx.text)
        if problem:
            return None, problem
        model = _camel(node.name) + "Request"
        if (
            model in ctx.scope.bindings
            or sum(1 for n in ctx.tree.body if getattr(n, "name", None) == node.name) != 1
        ):
            return None, f"`{model}` or `{node.name}` is already defined in this module"
        base = ctx.scope.bindings.get("BaseModel")
        if base is not None and base.target not in (
            "pydantic.BaseModel",
            "pydantic.main.BaseModel",
        ):
            return None, "`BaseModel` means something else in this module"
        any_binding = ctx.scope.bindings.get("Any")
        if any_binding is not None and any_binding.target not in ("typing.Any",):
            return None, "`Any` means something else in this module"
        fields = tuple(
            (key, required, default_src) for key, (required, default_src) in keys.items()
        )
        edit = Edit(ctx.path, "scaffold", None, (node.name, arg.arg, model, fields))
        title = f"Scaffold `{model}` from the keys `{arg.arg}` reads and retype `{arg.arg}`"
        return Fix(title, FixSafety.UNSAFE, (edit,)), ""

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import add_imports

        for edit in edits:
            function, param, model, fields = edit.args
            module = _scaffold(module, str(function), str(param), str(model), fields)  # type: ignore[arg-type]
        return add_imports(module, [("pydantic", "BaseModel"), ("typing", "Any")])


# --- detection ------------------------------------------------------------------------------


def _params(node: FunctionNode) -> list[tuple[ast.arg, ast.expr | None]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    return [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]


def _marker(call: ast.expr | None, resolver: Resolver) -> str | None:
    if isinstance(call, ast.Call):
        qualified = resolver.qualify(call.func) or ""
        if qualified.startswith(("fastapi.", "starlette.")):
            return qualified.rsplit(".", 1)[1]
    return None


def _body_kind(
    arg: ast.arg, default: ast.expr | None, resolver: Resolver
) -> tuple[str | None, bool]:
    """("dict" | "any" | "request" | None, whether the annotation is the plain type)."""
    annotation = arg.annotation
    markers: list[ast.expr | None] = [default]
    if (
        isinstance(annotation, ast.Subscript)
        and resolver.qualify(annotation.value) in _ANNOTATED
        and isinstance(annotation.slice, ast.Tuple)
        and annotation.slice.elts
    ):
        markers.extend(annotation.slice.elts[1:])
        annotation = annotation.slice.elts[0]
    if isinstance(default, (ast.Name, ast.Attribute, ast.Subscript)):
        return None, False  # a marker held in a variable (`Depends` object)?
    if any(not isinstance(m, (ast.Call, ast.Constant)) for m in markers[1:]):
        return None, False
    names = {_marker(m, resolver) for m in markers}
    if names & NOT_BODY:
        return None, False
    body = "Body" in names
    if annotation is None:
        return ("any" if body else None), True
    inner, plain = _unwrap_optional(annotation, resolver)
    target = inner.value if isinstance(inner, ast.Subscript) else inner
    qualified = resolver.qualify(target)
    if qualified in DICT_TYPES and _untyped_values(inner, resolver):
        return "dict", plain
    if qualified in ANY_TYPES and body and not isinstance(inner, ast.Subscript):
        return "any", plain
    if qualified in REQUEST_TYPES:
        return "request", plain
    return None, plain


def _untyped_values(annotation: ast.expr, resolver: Resolver) -> bool:
    """`dict`, `Dict`, `dict[str, Any]`, `Mapping[str, object]`: values of any type (not
    `dict[str, Item]` or `dict[int, float]`, which FastAPI validates and documents)."""
    if not isinstance(annotation, ast.Subscript):
        return True
    inner = annotation.slice
    elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
    if len(elements) != 2:
        return False
    return resolver.qualify(elements[1]) in ANY_TYPES


def _unwrap_optional(annotation: ast.expr, resolver: Resolver) -> tuple[ast.expr, bool]:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [
            s
            for s in (annotation.left, annotation.right)
            if not (isinstance(s, ast.Constant) and s.value is None)
        ]
        if len(sides) == 1:
            return sides[0], False
    if isinstance(annotation, ast.Subscript) and resolver.qualify(annotation.value) in _OPTIONAL:
        inner = annotation.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        kept = [e for e in elements if not (isinstance(e, ast.Constant) and e.value is None)]
        if len(kept) == 1:
            return kept[0], False
    return annotation, True


def _own_nodes(node: FunctionNode) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(current))


_VALIDATING = frozenset({"deserialize", "model_validate", "parse_obj", "validate", "from_dict"})


def _handled(node: FunctionNode, await_node: ast.Await) -> bool:
    """The JSON bound by `name = await request.json()` is not used as a raw dict: it is handed
    whole to a validating constructor (`Activity().deserialize(body)`,
    `Model.model_validate(body)`, `Model(**body)`), or read only with keys that are not
    constants (a webhook whose key is configured)."""
    assign = next(
        (
            child
            for child in _own_nodes(node)
            if isinstance(child, ast.Assign)
            and child.value is await_node
            and len(child.targets) == 1
            and isinstance(child.targets[0], ast.Name)
        ),
        None,
    )
    if assign is None:
        return False
    name = assign.targets[0].id  # type: ignore[attr-defined]
    uses: list[str] = []
    for child in _own_nodes(node):
        if isinstance(child, ast.Call):
            whole = [a for a in child.args if isinstance(a, ast.Name) and a.id == name]
            spread = [
                k
                for k in child.keywords
                if k.arg is None and isinstance(k.value, ast.Name) and k.value.id == name
            ]
            func = child.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (whole and callee in _VALIDATING) or (spread and callee[:1].isupper()):
                uses.append("validated")
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Name)
                and func.value.id == name
            ):
                constant = bool(child.args) and isinstance(child.args[0], ast.Constant)
                uses.append("key" if constant else "dynamic")
        elif (
            isinstance(child, ast.Subscript)
            and isinstance(child.value, ast.Name)
            and child.value.id == name
        ):
            uses.append("key" if isinstance(child.slice, ast.Constant) else "dynamic")
    return bool(uses) and ("validated" in uses or all(use == "dynamic" for use in uses))


def _unread(node: FunctionNode, name: str) -> bool:
    """The route never reads the parameter `name` (a deprecated route that only answers 410,
    a webhook that acknowledges whatever it gets): no unvalidated value goes anywhere, and a
    model would describe a body nothing uses."""
    return not any(
        isinstance(child, ast.Name) and child.id == name
        for statement in node.body
        for child in ast.walk(statement)  # nested functions too: a closure may read it
    )


def _validated_or_passed_on(node: FunctionNode, name: str) -> bool:
    """The dict parameter `name` is validated in the route (`Model(**name)`,
    `Model.model_validate(name)`, also after `name.pop(...)` or a filtering comprehension), or
    it is free-form: the route reads none of its keys by a constant and only hands it on whole
    (to a call, into a merge `{**old, **name}`), as a proxy or a store of user data does."""
    keys = whole = False
    for child in _own_nodes(node):
        if isinstance(child, ast.Call):
            func = child.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            passed = any(isinstance(a, ast.Name) and a.id == name for a in child.args) or any(
                isinstance(k.value, ast.Name) and k.value.id == name and k.arg is not None
                for k in child.keywords
            )
            spread = any(
                k.arg is None and isinstance(k.value, ast.Name) and k.value.id == name
                for k in child.keywords
            )
            if (passed and callee in _VALIDATING) or (spread and callee[:1].isupper()):
                return True
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == name
                and func.attr in ("get", "pop", "setdefault")
                and child.args
                and isinstance(child.args[0], ast.Constant)
            ):
                keys = True
            elif passed or spread:
                whole = True
        elif isinstance(child, ast.Dict):
            if any(
                k is None and isinstance(v, ast.Name) and v.id == name
                for k, v in zip(child.keys, child.values, strict=True)
            ):
                whole = True
        elif (
            isinstance(child, ast.Subscript)
            and isinstance(child.value, ast.Name)
            and child.value.id == name
            and isinstance(child.slice, ast.Constant)
        ):
            keys = True
    return whole and not keys


def _has_model_body(ctx: FileContext, node: FunctionNode, resolver: Resolver) -> bool:
    """A parameter typed with a Pydantic model: FastAPI validates the body already."""
    from fastapi_fixer.analysis.pydantic_index import is_model

    for arg in _all_args(node):
        annotation = arg.annotation
        if annotation is None:
            continue
        annotation, _ = _unwrap_optional(annotation, resolver)
        qualified = resolver.qualify(annotation)
        if qualified is None:
            continue
        resolved = ctx.index.resolve(qualified) or qualified
        if is_model(ctx.index, resolved):
            return True
    return False


def _reads_other_formats(node: FunctionNode, requests: set[str]) -> bool:
    """The route also reads the request as a form or raw bytes: it negotiates the body's
    format by content type, which one body model cannot declare."""
    for child in _own_nodes(node):
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr in ("form", "body", "stream")
            and isinstance(child.func.value, ast.Name)
            and child.func.value.id in requests
        ):
            return True
    return False


def _json_reads(node: FunctionNode, requests: set[str]) -> Iterator[ast.Await]:
    if not requests:
        return
    for child in _own_nodes(node):
        if (
            isinstance(child, ast.Await)
            and isinstance(child.value, ast.Call)
            and not child.value.args
            and isinstance(child.value.func, ast.Attribute)
            and child.value.func.attr == "json"
            and isinstance(child.value.func.value, ast.Name)
            and child.value.func.value.id in requests
            and not _handled(node, child)
        ):
            yield child


def _valid_key(key: object) -> bool:
    return (
        isinstance(key, str)
        and key.isidentifier()
        and not keyword.iskeyword(key)
        and not key.startswith(("_", "model_"))
        and key not in _RESERVED
    )


def _key_reads(
    node: FunctionNode, param: str, text: str
) -> tuple[dict[str, tuple[bool, str | None]], str | None]:
    """Key -> (required, default source) for every read of ``param``; or a reason no fix can be
    made (the parameter is used some other way)."""
    allowed: set[int] = set()
    keys: dict[str, tuple[bool, str | None]] = {}
    for child in ast.walk(node):
        if child is node:
            continue
        key_node: ast.expr | None = None
        default_src: str | None = None
        required = False
        if (
            isinstance(child, ast.Subscript)
            and isinstance(child.value, ast.Name)
            and child.value.id == param
        ):
            if not isinstance(child.ctx, ast.Load):
                return {}, f"`{param}` is written to"
            key_node, required = child.slice, True
            allowed.add(id(child.value))
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr == "get"
            and isinstance(child.func.value, ast.Name)
            and child.func.value.id == param
            and not child.keywords
            and len(child.args) in (1, 2)
        ):
            key_node = child.args[0]
            if len(child.args) == 2:
                value = child.args[1]
                if not isinstance(value, ast.Constant):
                    return {}, "a `.get()` default is not a literal"
                default_src = ast.get_source_segment(text, value) or ast.unparse(value)
            allowed.add(id(child.func.value))
        else:
            continue
        if not (isinstance(key_node, ast.Constant) and _valid_key(key_node.value)):
            return {}, f"`{param}` is read with a key that cannot be a field name"
        key = key_node.value  # type: ignore[union-attr]
        previous = keys.get(key)
        if previous is not None and not previous[0] and not required and previous[1] != default_src:
            return {}, f"`{key}` is read with different defaults"
        if previous is None or (previous[0] and not required):
            keys[key] = (required, default_src)
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id == param and id(child) not in allowed:
            return {}, f"`{param}` is used other than by reading its keys"
        if isinstance(child, ast.arg) and child.arg == param and child not in _all_args(node):
            return {}, f"`{param}` is rebound in a nested function"
    if not keys:
        return {}, f"no key of `{param}` is read in the route"
    return keys, None


def _all_args(node: FunctionNode) -> list[ast.arg]:
    args = node.args
    return [
        a
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        if a is not None
    ]


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


# --- the fix (LibCST) -----------------------------------------------------------------------


def _scaffold(
    module: cst.Module,
    function: str,
    param: str,
    model: str,
    fields: tuple[tuple[str, bool, str | None], ...],
) -> cst.Module:
    import libcst as cst

    lines = [f"class {model}(BaseModel):"]
    for key, required, default_src in fields:
        if required:
            lines.append(f"    {key}: Any")
        else:
            lines.append(f"    {key}: Any = {default_src or 'None'}")
    new_class = cst.parse_statement("\n".join(lines) + "\n")

    body = list(module.body)
    position = next(
        (
            i
            for i, statement in enumerate(body)
            if isinstance(statement, cst.FunctionDef) and statement.name.value == function
        ),
        None,
    )
    if position is None:
        raise ValueError(f"no module-level function `{function}`")
    statement = body[position]
    assert isinstance(statement, cst.FunctionDef)
    rewritten = statement.with_changes(
        params=_retype(statement.params, param, model),
        body=statement.body.visit(_KeyReads(param)),
    )
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    new_class = new_class.with_changes(leading_lines=statement.leading_lines)
    body[position] = rewritten.with_changes(leading_lines=blank)
    body.insert(position, new_class)
    return module.with_changes(body=body)


def _retype(params: cst.Parameters, name: str, model: str) -> cst.Parameters:
    import libcst as cst

    def retype(param: cst.Param) -> cst.Param:
        if param.name.value != name:
            return param
        annotation = param.annotation
        new_type = cst.Name(model)
        if annotation is None:
            spaced = cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(" "),
                whitespace_after=cst.SimpleWhitespace(" "),
            )
            return param.with_changes(
                annotation=cst.Annotation(new_type),
                equal=spaced if param.default is not None else param.equal,
            )
        inner = annotation.annotation
        if (
            isinstance(inner, cst.Subscript)
            and isinstance(inner.value, (cst.Name, cst.Attribute))
            and cst.Module([]).code_for_node(inner.value).rsplit(".", 1)[-1] == "Annotated"
        ):
            elements = list(inner.slice)
            first = elements[0]
            elements[0] = first.with_changes(slice=cst.Index(value=new_type))
            return param.with_changes(
                annotation=annotation.with_changes(annotation=inner.with_changes(slice=elements))
            )
        return param.with_changes(annotation=annotation.with_changes(annotation=new_type))

    return params.with_changes(
        posonly_params=[retype(p) for p in params.posonly_params],
        params=[retype(p) for p in params.params],
        kwonly_params=[retype(p) for p in params.kwonly_params],
    )


def _key_reads_transformer():
    import libcst as cst

    class KeyReads(cst.CSTTransformer):
        def __init__(self, param: str) -> None:
            super().__init__()
            self.param = param

        def _attribute(self, key_node: cst.BaseExpression) -> cst.Attribute | None:
            if isinstance(key_node, cst.SimpleString):
                return cst.Attribute(
                    value=cst.Name(self.param), attr=cst.Name(key_node.evaluated_value)
                )  # type: ignore[arg-type]
            return None

        def leave_Subscript(self, original_node, updated_node):  # type: ignore[no-untyped-def]
            if (
                isinstance(updated_node.value, cst.Name)
                and updated_node.value.value == self.param
                and len(updated_node.slice) == 1
                and isinstance(updated_node.slice[0].slice, cst.Index)
            ):
                found = self._attribute(updated_node.slice[0].slice.value)
                if found is not None:
                    return found
            return updated_node

        def leave_Call(self, original_node, updated_node):  # type: ignore[no-untyped-def]
            func = updated_node.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value == "get"
                and isinstance(func.value, cst.Name)
                and func.value.value == self.param
                and updated_node.args
            ):
                found = self._attribute(updated_node.args[0].value)
                if found is not None:
                    return found
            return updated_node

    return KeyReads


def _KeyReads(param: str):  # a class made on demand (libcst imported lazily)
    return _key_reads_transformer()(param)
