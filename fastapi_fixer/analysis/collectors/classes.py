"""Classes and the objects a module holds, for following method calls (FF101-FF106).

Stored as ``facts.extra["classes"]``: a `ClassFacts` with, for each class of the module (at
module level or nested in a class), its bases and the types of its attributes, and the classes
of the objects in module-level dicts (``BACKENDS = {"s3": S3Storage(), ...}``, or annotated
``SESSIONS: dict[str, Session] = {}``). Names are
qualified as the module sees them (resolve them with ``index.resolve``).

An attribute's type is known from a class-level annotation (``storage: Storage``) or
assignment (``storage = S3Storage()``), or from ``self.name = Class(...)``,
``self.name: Class = ...`` or ``self.name = param`` (``param: Class``) in a method; a known
library object (``self.s3 = boto3.client("s3")``) gets its catalogue type. An annotation naming
several classes (``session: Union[HTTPSession, WebsocketSession]``, ``A | B | None``) gives
them all, joined with ``|`` (`UNION`): a method called on the attribute may run any of theirs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import (
    LIST_OF,
    ModuleFacts,
    Resolver,
    _annotated_class,
    _looks_like_class,
    _module_name_of,
)

KEY = "classes"
UNION = "|"  # between the classes of an attribute annotated with several
_UNIONS = frozenset({"typing.Union", "typing_extensions.Union"})


@dataclass
class ClassInfo:
    bases: tuple[str, ...]
    attributes: dict[str, str] = field(default_factory=dict)  # name -> type


@dataclass
class ClassFacts:
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # qualified name -> info
    dicts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dict name -> value types
    instances: tuple[str, ...] = ()  # classes of module-level `name = Class(...)` objects
    made_by: dict[str, str] = field(default_factory=dict)  # `name = factory(...)` -> factory

    @property
    def demands(self) -> tuple[str, ...]:
        """Names whose modules must be analysed for the index to follow these classes."""
        found: set[str] = set()
        for info in self.classes.values():
            found.update(info.bases)
            for kind in info.attributes.values():  # `pkg.Element[list]`: `pkg.Element`
                found.update(k.removesuffix(LIST_OF) for k in kind.lstrip("=").split(UNION))
        for types in self.dicts.values():
            found.update(types)
        found.update(self.instances)
        return tuple(sorted(found))


def _value_type(value: ast.expr | None, resolver: Resolver) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    known = resolver.instance_type(value)
    if known is not None:
        return known
    callee = resolver.qualify(value.func)
    return callee if _looks_like_class(callee) else None


_MAPPINGS = frozenset(
    {
        "builtins.dict",
        "typing.Dict",
        "typing.Mapping",
        "typing.MutableMapping",
        "collections.abc.Mapping",
        "collections.abc.MutableMapping",
        "collections.OrderedDict",
        "collections.defaultdict",
        "typing.DefaultDict",
        "typing.OrderedDict",
    }
)


def _annotated_classes(annotation: ast.expr | None, resolver: Resolver) -> str | None:
    """The class an annotation names, or the classes of a union of several joined with
    `UNION` (`Union[A, B]`, `A | B | None`, `Optional[Union[A, B]]`); a list of a class
    (`Optional[List[Element]]`) is `pkg.Element[list]` (`facts.LIST_OF`)."""
    listed = _listed_class(annotation, resolver)
    if listed is not None:
        return listed
    members: list[ast.expr] = []
    pending = [annotation] if annotation is not None else []
    while pending and len(members) < 8:
        current = pending.pop(0)
        if isinstance(current, ast.Constant) and isinstance(current.value, str):
            try:  # a quoted annotation: `"A | B"`
                current = ast.parse(current.value.strip(), mode="eval").body
            except SyntaxError:
                return None
        if isinstance(current, ast.BinOp) and isinstance(current.op, ast.BitOr):
            pending[:0] = [current.left, current.right]
        elif isinstance(current, ast.Subscript) and resolver.qualify(current.value) in _UNIONS:
            inner = current.slice
            pending[:0] = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        elif isinstance(current, ast.Subscript) and resolver.qualify(current.value) in (
            "typing.Optional",
            "typing_extensions.Optional",
        ):
            pending.insert(0, current.slice)
        elif not (isinstance(current, ast.Constant) and current.value is None):
            members.append(current)
    if len(members) < 2:
        return _annotated_class(annotation, resolver)
    # the members that are classes (`str` in `Path | str` has no method a call would run)
    kinds = [kind for member in members if (kind := _annotated_class(member, resolver))]
    return UNION.join(dict.fromkeys(kinds)) or None


_LISTS = frozenset(
    {"builtins.list", "typing.List", "typing.Sequence", "collections.abc.Sequence"}
    | {"typing.Iterable", "collections.abc.Iterable", "builtins.tuple", "typing.Tuple"}
)


_TYPEVARS = frozenset({"typing.TypeVar", "typing_extensions.TypeVar"})


def _listed_class(annotation: ast.expr | None, resolver: Resolver) -> str | None:
    """`pkg.Element[list]` for `List[Element]`, `Optional[list[Element]]`, `tuple[Element,
    ...]`: a sequence whose items are of a class."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        rest = [
            side for side in sides if not (isinstance(side, ast.Constant) and side.value is None)
        ]
        return _listed_class(rest[0], resolver) if len(rest) == 1 else None
    if not isinstance(annotation, ast.Subscript):
        return None
    outer = resolver.qualify(annotation.value)
    if outer in ("typing.Optional", "typing_extensions.Optional"):
        return _listed_class(annotation.slice, resolver)
    if outer not in _LISTS:
        return None
    inner = annotation.slice
    if isinstance(inner, ast.Tuple):  # `tuple[Element, ...]` only
        if len(inner.elts) != 2 or not (
            isinstance(inner.elts[1], ast.Constant) and inner.elts[1].value is Ellipsis
        ):
            return None
        inner = inner.elts[0]
    kind = _annotated_class(inner, resolver)
    if kind is None and isinstance(inner, ast.Name):  # `List[T]`, a module-level TypeVar
        kind = _module_name_of(inner.id, resolver)
    return f"{kind}{LIST_OF}" if kind is not None else None


def _mapped_class(annotation: ast.expr, resolver: Resolver) -> str | None:
    """The project class of a mapping's values: `dict[str, Session]` -> `Session`."""
    if not isinstance(annotation, ast.Subscript) or resolver.qualify(annotation.value) not in (
        _MAPPINGS
    ):
        return None
    pair = annotation.slice
    if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2):
        return None
    return _annotated_class(pair.elts[1], resolver)


def _class_info(node: ast.ClassDef, resolver: Resolver, own: OwnNodes) -> ClassInfo:
    bases = tuple(
        name
        for name in (resolver.qualify(base) for base in node.bases)
        if name is not None and name != "builtins.object"
    )
    info = ClassInfo(bases)
    attributes = info.attributes
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            kind = resolver.instance_type(statement.value) if statement.value else None
            kind = kind or resolver.annotation_type(statement.annotation)
            kind = kind or _annotated_classes(statement.annotation, resolver)
            if kind is not None:
                attributes[statement.target.id] = kind
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            kind = _value_type(statement.value, resolver)
            if kind is not None:
                attributes[statement.targets[0].id] = kind
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        positional = [*method.args.posonlyargs, *method.args.args]
        if not positional:
            continue
        self_name = positional[0].arg
        params = {
            arg.arg: kind
            for arg in [*positional[1:], *method.args.kwonlyargs]
            if (
                kind := resolver.annotation_type(arg.annotation)
                or _annotated_classes(arg.annotation, resolver)
            )
            is not None
        }
        for statement in own(method.body):
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value, annotation = statement.targets[0], statement.value, None
            elif isinstance(statement, ast.AnnAssign):
                target, value, annotation = statement.target, statement.value, statement.annotation
            else:
                continue
            if not (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == self_name
            ):
                continue
            kind = _value_type(value, resolver)
            if isinstance(value, (ast.IfExp, ast.BoolOp)):
                # `self.items = items if items is not None else []`, `items or []`: the
                # parameter's type (the other side is an empty default)
                names = [
                    part.id
                    for part in (
                        [value.body, value.orelse] if isinstance(value, ast.IfExp) else value.values
                    )
                    if isinstance(part, ast.Name) and part.id in params
                ]
                if len(names) == 1:
                    value = ast.Name(id=names[0], ctx=ast.Load())
            if kind is None and isinstance(value, ast.Name):
                kind = params.get(value.id)
                if kind is None and value.id not in params:
                    other = resolver.qualify(value)  # another object: `self.store = storage`
                    if other is not None and not other.startswith("builtins."):
                        kind = f"={other}"
            if kind is None and annotation is not None:
                kind = resolver.annotation_type(annotation) or _annotated_classes(
                    annotation, resolver
                )
            if kind is not None:
                attributes.setdefault(target.attr, kind)
    return info


def collect(tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes) -> ClassFacts:
    found = ClassFacts()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                qualname = f"{prefix}.{statement.name}"
                found.classes[qualname] = _class_info(statement, resolver, own)
                visit(statement.body, qualname)

    visit(tree.body, facts.module)
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        types: set[str | None] = set()
        if isinstance(value, ast.Dict) and value.values:
            types = {_value_type(item, resolver) for item in value.values}
        if isinstance(statement, ast.AnnAssign):  # `SESSIONS: dict[str, Session] = {}`
            types.add(_mapped_class(statement.annotation, resolver))
        types.discard(None)
        if types:
            found.dicts[target.id] = tuple(sorted(types))  # type: ignore[arg-type]
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
        ):
            callee = resolver.qualify(statement.value.func)
            if callee in _TYPEVARS:  # `T = TypeVar("T", bound=Element)`: an object of T is one
                bound = next((k.value for k in statement.value.keywords if k.arg == "bound"), None)
                callee = _annotated_class(bound, resolver) if bound is not None else None
            if callee is not None and not callee.startswith("builtins."):
                found.made_by[statement.targets[0].id] = callee
        elif (
            isinstance(statement, ast.AnnAssign)
            and statement.value is not None
            and isinstance(statement.target, ast.Name)
        ):
            # `context: ChainlitContext = LazyProxy(...)`: the annotation says what it is
            declared = _annotated_class(statement.annotation, resolver)
            if declared is not None:
                found.made_by[statement.target.id] = declared
    found.instances = tuple(
        sorted(
            {
                kind
                for statement in tree.body
                if isinstance(statement, ast.Assign)
                and (kind := _value_type(statement.value, resolver)) is not None
            }
        )
    )
    return found
