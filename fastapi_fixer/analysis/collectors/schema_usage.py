"""Facts for the schema rules (FF203, FF204): the module's top-level classes with their fields,
and for every top-level route-like function the models it takes as a body and returns.

Everything is recorded as written in this module (names qualified through this module's imports);
whether a class is a Pydantic model and whether a function is really a route is decided later,
across modules, by `fastapi_fixer.fixing.schema_split` with the project index.

Positions are kept for reporting only: the fixes find their nodes by function, role and text,
so that findings cached while another file merely moved stay applicable.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes, children, walk
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver, route_decl
from fastapi_fixer.models import Span

KEY = "schema_usage"

_FASTAPI_PARAMS = frozenset(
    {"Depends", "Security", "Query", "Path", "Header", "Cookie", "Form", "File"}
)
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_OAUTH2_FORMS = ("OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict")


@dataclass(frozen=True)
class Ref:
    """A Name or Attribute expression naming something (a model, hopefully)."""

    qualname: str  # as qualified in this module
    span: Span  # byte columns
    node: str  # "Name" | "Attribute"
    prefix: str | None = None  # for an Attribute: the qualified name of its object
    text: str = ""  # as written: `User`, `schemas.User`


@dataclass(frozen=True)
class ModelClass:
    name: str
    line: int
    col: int
    bases: tuple[str, ...]  # qualified base names ("" when not a plain name)
    fields: tuple[str, ...]  # annotated names of the class body, in order
    forbids_extra: bool  # `extra="forbid"` in its config
    # its own fields that default to None (`= None`, `= Field(None)`, `Field(default=None)`)
    none_defaults: tuple[str, ...] = ()


@dataclass(frozen=True)
class BodyParam:
    name: str
    refs: tuple[Ref, ...]
    attributes: frozenset[str]  # `param.<attr>` read or written in the function
    returned: bool  # `return param`


@dataclass(frozen=True)
class RouteUsage:
    function: str  # qualified name
    name: str
    line: int
    decorators: tuple[Span, ...]  # the route decorator calls (byte columns)
    paths: tuple[str | None, ...]
    token_endpoint: bool  # path ends in /token or /login, or it takes OAuth2PasswordRequestForm
    body: tuple[BodyParam, ...]
    # the effective response declaration: "response_model" | "return" | "constructor" | "none"
    response_kind: str
    response: tuple[Ref, ...]  # names in the response_model= value or the return annotation
    constructors: tuple[Ref, ...]  # callee of every `return X(...)`
    # when every `return` of the route builds the same `X(...)` with keyword arguments only:
    # the keywords any of them passes (a field no return passes keeps its default); else None
    built: tuple[str, ...] | None = None
    # every `return` of the route returns what it read from a secrets store (a value bound from
    # `Connection.get_connection_from_secrets(...)`, `vault.read_secret(...)`): delivering the
    # stored credential is the route's purpose
    from_secrets: bool = False


@dataclass(frozen=True)
class SchemaUsage:
    classes: dict[str, ModelClass]
    routes: dict[str, RouteUsage]
    # names whose modules must be analysed too (the engine's demand-driven analysis): the
    # classes' bases and the models routes use, wherever they live
    demands: tuple[str, ...] = ()
    # classes whose identity the module's code tests: `isinstance(x, C)`, `issubclass(t, C)`,
    # `case C(...)`, `type(x) is C` (qualified as this module sees them)
    class_checks: tuple[str, ...] = ()


def byte_span(node: ast.AST) -> Span:
    return Span(
        node.lineno,  # type: ignore[attr-defined]
        node.col_offset,  # type: ignore[attr-defined]
        node.end_lineno or node.lineno,  # type: ignore[attr-defined]
        node.end_col_offset or 0,  # type: ignore[attr-defined]
    )


def refs_in(expression: ast.expr | None, resolver: Resolver) -> Iterator[Ref]:
    """Names inside a type expression (`User`, `list[User]`, `User | None`, `schemas.User`);
    string annotations and calls are not looked into."""
    if expression is None:
        return
    if isinstance(expression, (ast.Name, ast.Attribute)):
        qualified = resolver.qualify(expression)
        if qualified is None or qualified.startswith("builtins."):
            return
        if isinstance(expression, ast.Attribute):
            prefix = resolver.qualify(expression.value)
            text = ast.unparse(expression)
            yield Ref(qualified, byte_span(expression), "Attribute", prefix, text)
        else:
            yield Ref(qualified, byte_span(expression), "Name", None, expression.id)
    elif isinstance(expression, ast.Subscript):
        yield from refs_in(expression.value, resolver)
        yield from refs_in(expression.slice, resolver)
    elif isinstance(expression, ast.BinOp):
        yield from refs_in(expression.left, resolver)
        yield from refs_in(expression.right, resolver)
    elif isinstance(expression, (ast.Tuple, ast.List)):
        for element in expression.elts:
            yield from refs_in(element, resolver)


def _call_name(node: ast.expr | None, resolver: Resolver) -> str | None:
    if isinstance(node, ast.Call):
        qualified = resolver.qualify(node.func)
        if qualified is not None and qualified.startswith("fastapi."):
            return qualified.rsplit(".", 1)[1]
    return None


def _body_param(
    arg: ast.arg, default: ast.expr | None, function: ast.AST, resolver: Resolver
) -> BodyParam | None:
    annotation = arg.annotation
    if annotation is None:
        return None
    if _call_name(default, resolver) in _FASTAPI_PARAMS:
        return None
    if isinstance(annotation, ast.Subscript) and resolver.qualify(annotation.value) in _ANNOTATED:
        inner = annotation.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if not elements:
            return None
        if any(_call_name(meta, resolver) in _FASTAPI_PARAMS for meta in elements[1:]):
            return None
        annotation = elements[0]
    refs = tuple(refs_in(annotation, resolver))
    if not refs:
        return None
    attributes: set[str] = set()
    returned = False
    for node in walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == arg.arg
        ):
            attributes.add(node.attr)
        elif (
            isinstance(node, ast.Return)
            and isinstance(node.value, ast.Name)
            and node.value.id == arg.arg
        ):
            returned = True
    return BodyParam(arg.arg, refs, frozenset(attributes), returned)


def _mentions_oauth2_form(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = function.args
    for node in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if node.annotation is None:
            continue
        for inner in walk(node.annotation):
            if isinstance(inner, ast.Name) and inner.id in _OAUTH2_FORMS:
                return True
            if isinstance(inner, ast.Attribute) and inner.attr in _OAUTH2_FORMS:
                return True
    return False


def _own_returns(function: ast.AST) -> Iterator[ast.Return]:
    stack = list(children(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return):
            yield node
        stack.extend(children(node))


def _route(
    function: ast.FunctionDef | ast.AsyncFunctionDef, module: str, resolver: Resolver
) -> RouteUsage | None:
    decorators = []
    for decorator in function.decorator_list:
        declared = route_decl(decorator, resolver)
        if declared is not None:
            decorators.append((decorator, declared))
    if not decorators:
        return None
    paths = tuple(declared.path for _, declared in decorators)
    token = any(
        path is not None and path.rstrip("/").endswith(("/token", "/login")) for path in paths
    ) or _mentions_oauth2_form(function)

    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    body = tuple(
        param
        for arg, default in pairs
        if (param := _body_param(arg, default, function, resolver)) is not None
    )

    response_model: ast.expr | None = None
    has_keyword = False
    for decorator, _ in decorators:
        assert isinstance(decorator, ast.Call)
        for keyword in decorator.keywords:
            if keyword.arg == "response_model":
                has_keyword = True
                response_model = keyword.value
    constructors = tuple(
        ref
        for statement in _own_returns(function)
        if isinstance(statement.value, ast.Call)
        for ref in refs_in(statement.value.func, resolver)
        if isinstance(statement.value.func, (ast.Name, ast.Attribute))
    )
    built = _built_keywords(function)
    if has_keyword:
        kind = "response_model"
        response = tuple(refs_in(response_model, resolver))
        if isinstance(response_model, ast.Constant) and response_model.value is None:
            kind = "none"
    elif function.returns is not None:
        kind, response = "return", tuple(refs_in(function.returns, resolver))
    elif constructors:
        kind, response = "constructor", ()
    else:
        kind, response = "none", ()
    return RouteUsage(
        function=f"{module}.{function.name}",
        name=function.name,
        line=function.lineno,
        decorators=tuple(byte_span(decorator) for decorator, _ in decorators),
        paths=paths,
        token_endpoint=token,
        body=body,
        response_kind=kind,
        response=response,
        constructors=constructors,
        built=built,
        from_secrets=_returns_stored_secret(function, resolver),
    )


_STORE_WORDS = frozenset({"secret", "secrets", "vault"})


def _returns_stored_secret(function: ast.AST, resolver: Resolver) -> bool:
    """Every `return` of the route returns a value read from a secrets store: a call named
    for one (`get_connection_from_secrets`, `secrets_manager.get(...)`, `vault.read(...)`; not
    the standard library's `secrets`, which makes new ones) or a name bound from one, or an
    expression built from them (`Model.model_validate(connection)`)."""

    def from_store(call: ast.expr) -> bool:
        if not isinstance(call, ast.Call):
            return False
        if (resolver.qualify(call.func) or "").startswith("secrets."):
            return False
        text = ast.unparse(call.func).lower()
        return bool(_STORE_WORDS & set(re.split(r"[^a-z0-9]+", text)))

    stored: set[str] = set()
    for node in walk(function):
        if isinstance(node, ast.Assign) and from_store(node.value):
            stored.update(t.id for t in node.targets if isinstance(t, ast.Name))
    returns = list(_own_returns(function))
    if not returns:
        return False
    for statement in returns:
        value = statement.value
        if value is None:
            return False
        if not any(
            (isinstance(n, ast.Name) and n.id in stored) or from_store(n) for n in ast.walk(value)
        ):
            return False
    return True


def _built_keywords(function: ast.AST) -> tuple[str, ...] | None:
    """The keywords of the route's `return X(a=..., b=...)` statements, when every return is a
    call of the same `X` with keyword arguments only; else None."""
    callee: str | None = None
    keywords: set[str] = set()
    for statement in _own_returns(function):
        call = statement.value
        if not isinstance(call, ast.Call) or call.args:
            return None
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            return None
        text = ast.unparse(call.func)
        if callee is not None and text != callee:
            return None
        callee = text
        for keyword in call.keywords:
            if keyword.arg is None:  # `X(**values)`
                return None
            keywords.add(keyword.arg)
    return tuple(sorted(keywords)) if callee is not None else None


def _none_default(value: ast.expr | None, resolver: Resolver) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is None
    if isinstance(value, ast.Call) and (resolver.qualify(value.func) or "").endswith(".Field"):
        if value.args:
            return isinstance(value.args[0], ast.Constant) and value.args[0].value is None
        for keyword in value.keywords:
            if keyword.arg == "default":
                return isinstance(keyword.value, ast.Constant) and keyword.value.value is None
    return False


def _forbids_extra(node: ast.ClassDef) -> bool:
    for inner in walk(node):
        if (isinstance(inner, ast.keyword) and inner.arg == "extra") or (
            isinstance(inner, ast.Assign)
            and len(inner.targets) == 1
            and isinstance(inner.targets[0], ast.Name)
            and inner.targets[0].id == "extra"
        ):
            value = inner.value
        else:
            continue
        if isinstance(value, ast.Constant) and value.value == "forbid":
            return True
        if isinstance(value, ast.Attribute) and value.attr == "forbid":
            return True
    return False


def _model_class(node: ast.ClassDef, resolver: Resolver) -> ModelClass:
    fields = []
    none_defaults = []
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if _none_default(statement.value, resolver):
                none_defaults.append(statement.target.id)
            annotation = statement.annotation
            if isinstance(annotation, ast.Subscript):
                annotation = annotation.value
            if resolver.qualify(annotation) in ("typing.ClassVar", "typing_extensions.ClassVar"):
                continue
            if statement.target.id != "model_config":
                fields.append(statement.target.id)
    return ModelClass(
        name=node.name,
        line=node.lineno,
        col=node.col_offset,
        bases=tuple(resolver.qualify(base) or "" for base in node.bases),
        fields=tuple(fields),
        forbids_extra=_forbids_extra(node),
        none_defaults=tuple(none_defaults),
    )


def collect(tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes) -> SchemaUsage:
    classes: dict[str, ModelClass] = {}
    routes: dict[str, RouteUsage] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.bases:
            classes[node.name] = _model_class(node, resolver)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            route = _route(node, facts.module, resolver)
            if route is not None:
                routes[route.function] = route
    demands = {base for model in classes.values() for base in model.bases if base}
    for route in routes.values():
        refs = [*route.response, *route.constructors]
        refs.extend(ref for param in route.body for ref in param.refs)
        demands.update(ref.qualname for ref in refs)
    checks = _class_checks(tree, resolver, own)
    return SchemaUsage(classes, routes, tuple(sorted(demands)), tuple(sorted(checks)))


_CHECKS = frozenset({"isinstance", "issubclass"})


def _class_checks(tree: ast.Module, resolver: Resolver, own: OwnNodes) -> set[str]:
    """The classes the module's code tests an object or a type against."""
    found: set[str] = set()

    def add(node: ast.expr) -> None:
        for item in node.elts if isinstance(node, ast.Tuple) else [node]:
            if isinstance(item, (ast.Name, ast.Attribute)):
                qualified = resolver.qualify(item)
                if qualified is not None and not qualified.startswith("builtins."):
                    found.add(qualified)

    pending: list[list[ast.stmt]] = [tree.body]
    while pending:
        for node in own(pending.pop()):
            kind = type(node)
            if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                pending.append(node.body)  # type: ignore[attr-defined]
            elif kind is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                args = node.args  # type: ignore[attr-defined]
                if isinstance(func, ast.Name) and func.id in _CHECKS and len(args) == 2:
                    add(args[1])
            elif kind is ast.MatchClass:
                add(node.cls)  # type: ignore[attr-defined]
            elif kind is ast.Compare and any(
                isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
                for op in node.ops  # type: ignore[attr-defined]
            ):
                sides = [node.left, *node.comparators]  # type: ignore[attr-defined]
                if any(
                    isinstance(side, ast.Call)
                    and isinstance(side.func, ast.Name)
                    and side.func.id == "type"
                    for side in sides
                ):
                    for side in sides:
                        add(side)
    return found
