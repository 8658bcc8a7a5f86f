"""What the request-model rules (FF406 model-without-examples, FF607 unbounded-input) need to know
about each class field beyond `pydantic_models`: its kind of type, whether it is bounded, whether
it carries examples; and, per route parameter, whether `Body()` gives examples.

Stored as ``facts.extra["model_field_details"]``: a `FieldDetails` with

- ``classes``: ``dict[class qualname, ClassDetail]`` for module-level classes and classes nested
  in them (the classes `pydantic_models` records), each field a `FieldDetail`:
  ``kind`` is ``"str"`` (`str`, `constr(...)`, also optional or `Annotated`), ``"list"`` (`list`,
  `List`, `set`, `Set`, `conlist(...)`) or ``"other"``; ``bounded`` is True when `Field()`,
  `constr()`/`conlist()`, `StringConstraints`, `annotated_types.MaxLen`/`Len` give a
  `max_length` (or `max_items`, v1) or, for strings, a `pattern`/`regex`, or when a validator of
  that field bounds it (`len()`, a regular expression's `match`, membership in allowed values,
  conversion to an enumeration, directly or through a module-level helper); ``examples`` when
  `Field(examples=|example=)` or `json_schema_extra` with an example is given; ``refs`` are the
  qualified names (as this module sees them) the annotation mentions, to follow nested models.
- ``class_examples``: the class configuration (`model_config`, `class Config`) has an example
  (`json_schema_extra`/`schema_extra` mentioning `example`).
- ``bodies``: every parameter of a route-like function (`@<x>.<method>(...)`, at any depth,
  whether the receiver is an app is decided later with the index) that FastAPI would read from
  the body when it is a model: annotated, no `Depends`/`Query`/`Path`/`Header`/`Cookie`/`Form`/
  `File`/`Security` marker; with the names its annotation mentions and whether its `Body(...)`
  gives examples (`examples=`, `example=`, `openapi_examples=`). ``demands`` are those names and
  the names field annotations mention (nested models), so their modules get analysed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes, walk
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver, route_decl

KEY = "model_field_details"

_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_OPTIONAL = frozenset({"typing.Optional", "typing.Union", "typing_extensions.Optional"})
_STR = frozenset({"builtins.str"})
_LISTS = frozenset(
    {"builtins.list", "typing.List", "builtins.set", "typing.Set", "builtins.frozenset"}
)
_CONSTR = frozenset({"pydantic.constr", "pydantic.types.constr", "pydantic.v1.constr"})
_CONLIST = frozenset(
    {
        "pydantic.conlist",
        "pydantic.types.conlist",
        "pydantic.v1.conlist",
        "pydantic.conset",
        "pydantic.types.conset",
    }
)
_LENGTH_KEYS = frozenset({"max_length", "max_items", "max_size"})
_PATTERN_KEYS = frozenset({"pattern", "regex"})
_EXAMPLE_KEYS = frozenset({"examples", "example"})
_BODY_EXAMPLE_KEYS = frozenset({"examples", "example", "openapi_examples"})
_VALIDATORS = frozenset({"validator", "field_validator"})


@dataclass(frozen=True)
class FieldDetail:
    name: str
    line: int
    col: int
    kind: str  # "str" | "list" | "other"
    bounded: bool
    examples: bool
    refs: tuple[str, ...]
    # the type is a closed set of values the schema lists itself: "bool", "literal"
    # (`Literal[...]`), or the qualified name of a bare class (an `Enum` subclass when the
    # index says so); `Optional`/`Annotated` unwrapped; "" otherwise
    choice: str = ""


@dataclass(frozen=True)
class ClassDetail:
    qualname: str
    name: str
    line: int
    fields: tuple[FieldDetail, ...]
    class_examples: bool


@dataclass(frozen=True)
class BodyParam:
    function: str  # qualified name of the route-like function (any depth)
    name: str
    refs: tuple[str, ...]  # names in its annotation, qualified as this module sees them
    examples: bool  # `Body(examples=...)` / `openapi_examples=` / `example=`


@dataclass(frozen=True)
class FieldDetails:
    classes: dict[str, ClassDetail]
    bodies: tuple[BodyParam, ...]

    @property
    def demands(self) -> tuple[str, ...]:
        """The models bodies and fields name: their modules must be analysed too."""
        found = {ref for body in self.bodies for ref in body.refs}
        found.update(
            ref for detail in self.classes.values() for item in detail.fields for ref in item.refs
        )
        return tuple(sorted(found))


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> FieldDetails:
    classes: dict[str, ClassDetail] = {}
    helpers = {
        statement.name: statement
        for statement in tree.body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    _collect_classes(tree.body, facts.module, resolver, classes, own, helpers)
    bodies = tuple(
        param
        for qualname, node in _route_functions(tree.body, facts.module, resolver, own)
        for param in _body_params(qualname, node, resolver)
    )
    return FieldDetails(classes, bodies)


def _collect_classes(
    body: list[ast.stmt],
    prefix: str,
    resolver: Resolver,
    found: dict[str, ClassDetail],
    own: OwnNodes,
    helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> None:
    for node in own(body):
        if not isinstance(node, ast.ClassDef):
            continue
        qualname = f"{prefix}.{node.name}"
        measured = _measured_fields(node, resolver, helpers)
        fields = tuple(
            _field(statement, resolver, measured)
            for statement in node.body
            if isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id != "model_config"
            and not statement.target.id.startswith("_")  # a private attribute, not a field
            and not _is_class_var(statement.annotation, resolver)
        )
        found[qualname] = ClassDetail(qualname, node.name, node.lineno, fields, _has_examples(node))
        _collect_classes(node.body, qualname, resolver, found, own, helpers)


def _is_class_var(annotation: ast.expr, resolver: Resolver) -> bool:
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    return resolver.qualify(annotation) in ("typing.ClassVar", "typing_extensions.ClassVar")


def _keywords(call: ast.Call) -> set[str]:
    return {k.arg for k in call.keywords if k.arg is not None and not _is_none(k.value)}


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _mentions_example(node: ast.AST) -> bool:
    return any(
        isinstance(inner, ast.Constant)
        and isinstance(inner.value, str)
        and "example" in inner.value
        for inner in walk(node)
    )


def _field(statement: ast.AnnAssign, resolver: Resolver, measured: set[str]) -> FieldDetail:
    name = statement.target.id  # type: ignore[union-attr]
    calls: list[ast.Call] = []  # Field(...), StringConstraints(...), MaxLen(...), ...
    if isinstance(statement.value, ast.Call):
        calls.append(statement.value)
    kind, type_calls = _kind(statement.annotation, resolver, calls, depth=0)
    keys: set[str] = set()
    examples = False
    for call in [*calls, *type_calls]:
        callee = resolver.qualify(call.func) or ""
        short = callee.rsplit(".", 1)[-1]
        keys |= _keywords(call)
        if short in ("MaxLen",) or (short == "Len" and len(call.args) >= 2):
            keys.add("max_length")
        for keyword in call.keywords:
            value = keyword.value
            if keyword.arg in _EXAMPLE_KEYS:
                examples = examples or not _is_none(value)
            elif keyword.arg == "json_schema_extra":
                examples = examples or _mentions_example(value)
    bounded = bool(keys & _LENGTH_KEYS) or (kind == "str" and bool(keys & _PATTERN_KEYS))
    if name in measured or "*" in measured:
        bounded = True
    refs = _refs(statement.annotation, resolver)
    return FieldDetail(
        name,
        statement.lineno,
        statement.col_offset,
        kind,
        bounded,
        examples,
        refs,
        _choice(statement.annotation, resolver, depth=0),
    )


_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})


def _choice(annotation: ast.expr, resolver: Resolver, depth: int) -> str:
    """`FieldDetail.choice` of an annotation."""
    if depth > 8:
        return ""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return ""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
        return _choice(sides[0], resolver, depth + 1) if len(sides) == 1 else ""
    if isinstance(annotation, ast.Subscript):
        outer = resolver.qualify(annotation.value)
        if outer in _LITERAL:
            return "literal"
        inner = annotation.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if outer in _ANNOTATED and elements:
            return _choice(elements[0], resolver, depth + 1)
        if outer in _OPTIONAL:
            kept = [e for e in elements if not _is_none(e)]
            return _choice(kept[0], resolver, depth + 1) if len(kept) == 1 else ""
        return ""
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        qualified = resolver.qualify(annotation) or ""
        if qualified == "builtins.bool":
            return "bool"
        return "" if qualified.startswith("builtins.") else qualified
    return ""


def _kind(
    annotation: ast.expr, resolver: Resolver, calls: list[ast.Call], depth: int
) -> tuple[str, list[ast.Call]]:
    """The field's kind of type, unwrapping `Optional`, `X | None` and `Annotated` (whose
    metadata calls go to ``calls``); also the constrained-type calls (`constr(...)`)."""
    if depth > 8:
        return "other", []
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return "other", []
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
        if len(sides) == 1:
            return _kind(sides[0], resolver, calls, depth + 1)
        return "other", []
    if isinstance(annotation, ast.Call):
        callee = resolver.qualify(annotation.func)
        if callee in _CONSTR:
            return "str", [annotation]
        if callee in _CONLIST:
            return "list", [annotation]
        return "other", []
    if isinstance(annotation, ast.Subscript):
        outer = resolver.qualify(annotation.value)
        inner = annotation.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if outer in _ANNOTATED and elements:
            calls.extend(e for e in elements[1:] if isinstance(e, ast.Call))
            return _kind(elements[0], resolver, calls, depth + 1)
        if outer in _OPTIONAL:
            kept = [e for e in elements if not _is_none(e)]
            if len(kept) == 1:
                return _kind(kept[0], resolver, calls, depth + 1)
            return "other", []
        if outer in _LISTS:
            return "list", []
        return "other", []
    qualified = resolver.qualify(annotation)
    if qualified in _STR:
        return "str", []
    if qualified in _LISTS:
        return "list", []
    return "other", []


def _measured_fields(
    node: ast.ClassDef,
    resolver: Resolver,
    helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> set[str]:
    """Fields a `validator`/`field_validator` of the class bounds: it measures the value with
    `len()`, matches it against a regular expression (`.match`/`.fullmatch`), tests it against
    a set of allowed values (`v not in (...)`), or converts it to a class (`BackendType(v)`: an
    enumeration), itself or through a module-level helper it calls with the value."""
    measured: set[str] = set()
    for statement in node.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names: list[str] = []
        for decorator in statement.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            callee = resolver.qualify(decorator.func) or ""
            if callee.rsplit(".", 1)[-1] in _VALIDATORS:
                names.extend(
                    a.value
                    for a in decorator.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
        if names and _bounds_value(statement, helpers, depth=1):
            measured.update(names)
    return measured


def _value_param(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    params = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    params = [p for p in params if p not in ("cls", "self")]
    return params[0] if params else None


def _bounds_value(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    depth: int,
) -> bool:
    value = _value_param(function)
    for inner in walk(function):
        if isinstance(inner, ast.Call):
            func = inner.func
            if isinstance(func, ast.Name) and func.id == "len":
                return True
            if isinstance(func, ast.Attribute) and func.attr in ("match", "fullmatch"):
                return True
            passes_value = any(isinstance(a, ast.Name) and a.id == value for a in inner.args)
            if isinstance(func, ast.Name) and passes_value:
                if func.id[:1].isupper() and len(inner.args) == 1:
                    return True  # `BackendType(value)`: one of an enumeration's values
                helper = helpers.get(func.id)
                if helper is not None and depth > 0 and _bounds_value(helper, helpers, depth - 1):
                    return True
        elif isinstance(inner, ast.Compare) and value is not None:
            left = inner.left
            if (
                isinstance(left, ast.Name)
                and left.id == value
                and any(isinstance(op, (ast.In, ast.NotIn)) for op in inner.ops)
            ):
                return True
    return False


def _has_examples(node: ast.ClassDef) -> bool:
    for keyword in node.keywords:
        if keyword.arg == "json_schema_extra" and _mentions_example(keyword.value):
            return True
    for statement in node.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets) and (
                statement.value is not None and _mentions_example(statement.value)
            ):
                return True
        elif isinstance(statement, ast.ClassDef) and statement.name == "Config":
            for inner in statement.body:
                if (
                    isinstance(inner, (ast.Assign, ast.FunctionDef))
                    and "schema_extra" in ast.unparse(inner)
                    and _mentions_example(inner)
                ):
                    return True
                if isinstance(inner, ast.FunctionDef) and inner.name == "schema_extra":
                    return True
    return False


_NOT_BODY = frozenset({"Depends", "Security", "Query", "Path", "Header", "Cookie", "Form", "File"})


def _route_functions(
    body: list[ast.stmt], prefix: str, resolver: Resolver, own: OwnNodes
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function with a route-like decorator (`@x.get(...)`), at any depth, with the
    qualified name the facts give it."""
    for node in own(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qualname = f"{prefix}.{node.name}"
            if any(route_decl(d, resolver) is not None for d in node.decorator_list):
                yield qualname, node
            yield from _route_functions(node.body, qualname, resolver, own)
        elif isinstance(node, ast.ClassDef):
            yield from _route_functions(node.body, f"{prefix}.{node.name}", resolver, own)


def _marker(call: ast.expr | None, resolver: Resolver) -> str | None:
    if isinstance(call, ast.Call):
        qualified = resolver.qualify(call.func) or ""
        if qualified.startswith(("fastapi.", "starlette.")):
            return qualified.rsplit(".", 1)[1]
    return None


def _body_params(
    function: str, node: ast.FunctionDef | ast.AsyncFunctionDef, resolver: Resolver
) -> Iterator[BodyParam]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    for arg, default in pairs:
        annotation = arg.annotation
        if annotation is None:
            continue
        markers = [default]
        if (
            isinstance(annotation, ast.Subscript)
            and resolver.qualify(annotation.value) in _ANNOTATED
            and isinstance(annotation.slice, ast.Tuple)
            and annotation.slice.elts
        ):
            markers.extend(annotation.slice.elts[1:])
            annotation = annotation.slice.elts[0]
        names = [_marker(m, resolver) for m in markers]
        if any(name in _NOT_BODY for name in names):
            continue
        examples = any(
            name == "Body" and any(k.arg in _BODY_EXAMPLE_KEYS for k in marker.keywords)  # type: ignore[union-attr]
            for name, marker in zip(names, markers, strict=True)
        )
        refs = _refs(annotation, resolver)
        if refs:
            yield BodyParam(function, arg.arg, refs, examples)


def _refs(annotation: ast.expr, resolver: Resolver) -> tuple[str, ...]:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return ()
    return tuple(
        sorted(
            {
                q
                for inner in walk(annotation)
                if isinstance(inner, (ast.Name, ast.Attribute))
                and (q := resolver.qualify(inner)) is not None
                and not q.startswith("builtins.")
            }
        )
    )
