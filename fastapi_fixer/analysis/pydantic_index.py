"""Pydantic models across the project, asked of the project index.

A class is a model when it subclasses `pydantic.BaseModel` (or `RootModel`, `SQLModel`),
directly or through project classes in any module. Facts come from the ``pydantic_models`` and
``return_annotations`` collectors; every function takes the `ProjectIndex` first:

- ``is_model(index, qualname)``, ``is_settings(index, qualname)``, ``all_models(index)``;
- ``fields_of(index, qualname)`` (inherited fields first, overridden ones replaced),
  ``config_of(index, qualname)`` (merged along the bases);
- ``returned_by(index, function)``: the `ModelShape` a project function is annotated to return;
- ``route_returns(index, node, resolver)``: the one `ModelShape` every ``return`` of a function
  produces (a model constructor, a list of them, a name bound to one, a call of a project
  function annotated to return one), or None when any path returns something else or nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.pydantic_models import KEY as MODELS_KEY
from fastapi_fixer.analysis.collectors.pydantic_models import ClassFacts, FieldFacts
from fastapi_fixer.analysis.collectors.return_annotations import KEY as RETURNS_KEY
from fastapi_fixer.analysis.collectors.return_annotations import ReturnAnnotations, annotation_shape
from fastapi_fixer.analysis.facts import FunctionNode, Resolver, Scopes, _own_statements

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex

MODEL_ROOTS = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.root_model.RootModel",
        "pydantic.v1.BaseModel",
        "sqlmodel.SQLModel",
        "sqlmodel.main.SQLModel",
    }
)
SETTINGS_ROOTS = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
    }
)
# classmethods that build an instance of their class
MODEL_BUILDERS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "model_construct",
        "parse_obj",
        "parse_raw",
        "from_orm",
        "construct",
    }
)
_MAX_DEPTH = 16


@dataclass(frozen=True)
class ModelShape:
    """What a route returns: one instance of ``model`` or a list of them."""

    model: str  # qualified name where the class is defined
    many: bool = False

    def render(self, name: str) -> str:
        return f"list[{name}]" if self.many else name


# --- the class table, built once per index ----------------------------------------------------


def classes(index: ProjectIndex) -> dict[str, ClassFacts]:
    """Every class of the project by qualified name (models or not)."""
    return index.memo("pydantic.classes", _class_table)


def _class_table(index: ProjectIndex) -> dict[str, ClassFacts]:
    table: dict[str, ClassFacts] = {}
    for module in index.modules.values():
        found = module.extra.get(MODELS_KEY)
        if isinstance(found, dict):
            table.update(found)
    return table


def class_of(index: ProjectIndex, qualname: str) -> ClassFacts | None:
    """The class ``qualname`` names (resolved), asked by name: a check reads the classes it
    looks at, not the whole table a fix in any model file changes."""
    return index.ask(_class_of, qualname)


def _class_of(index: ProjectIndex, qualname: str) -> ClassFacts | None:
    return classes(index).get(qualname)


def class_facts(index: ProjectIndex, qualname: str) -> ClassFacts | None:
    return class_of(index, index.resolve(qualname))


def lineage(index: ProjectIndex, qualname: str) -> Iterator[str]:
    """The class and its bases, depth first, each once; library bases as qualified names."""
    seen: set[str] = set()
    stack = [index.resolve(qualname)]
    while stack:
        current = stack.pop()
        if current in seen or len(seen) > 64:
            continue
        seen.add(current)
        yield current
        facts = class_of(index, current)
        if facts is not None:
            stack.extend(index.resolve(base) for base in reversed(facts.bases))


def is_model(index: ProjectIndex, qualname: str) -> bool:
    """A project class that subclasses a Pydantic model base, through any project classes
    (answered once per name and run: rules ask it of the same names for every file)."""
    return index.ask(_is_model, qualname)


def _is_model(index: ProjectIndex, qualname: str) -> bool:
    return _has_root(index, qualname, MODEL_ROOTS | SETTINGS_ROOTS)


def is_settings(index: ProjectIndex, qualname: str) -> bool:
    return index.ask(_is_settings, qualname)


def _is_settings(index: ProjectIndex, qualname: str) -> bool:
    return _has_root(index, qualname, SETTINGS_ROOTS)


def _has_root(index: ProjectIndex, qualname: str, roots: frozenset[str]) -> bool:
    resolved = index.resolve(qualname)
    return resolved in classes(index) and any(name in roots for name in lineage(index, resolved))


def settings_classes(index: ProjectIndex) -> list[str]:
    """The project's settings classes, in `classes` order (found once per run)."""
    return index.memo("pydantic.settings_classes", _settings_classes)


def _settings_classes(index: ProjectIndex) -> list[str]:
    return [name for name in classes(index) if is_settings(index, name)]


def all_models(index: ProjectIndex) -> list[str]:
    return sorted(name for name in classes(index) if is_model(index, name))


def fields_of(index: ProjectIndex, qualname: str) -> list[FieldFacts]:
    """Fields of the model with inherited ones, in definition order (bases first)."""
    merged: dict[str, FieldFacts] = {}
    for name in reversed(list(lineage(index, qualname))):
        facts = class_of(index, name)
        if facts is not None:
            for field in facts.fields:
                if field.is_field:
                    merged.pop(field.name, None)
                    merged[field.name] = field
    return list(merged.values())


def config_of(index: ProjectIndex, qualname: str) -> dict[str, str]:
    """Configuration keys (value source text), the class's own winning over its bases'."""
    merged: dict[str, str] = {}
    for name in reversed(list(lineage(index, qualname))):
        facts = class_of(index, name)
        if facts is not None:
            merged.update(facts.config)
    return merged


def shape_of_type(index: ProjectIndex, shape: tuple[str, str] | None) -> ModelShape | None:
    """A collector's ``(shape, type)`` as a `ModelShape` when the type is a (non-settings)
    model."""
    if shape is None:
        return None
    resolved = index.resolve(shape[1])
    if not is_model(index, resolved) or is_settings(index, resolved):
        return None
    return ModelShape(resolved, many=shape[0] == "list")


def returned_by(index: ProjectIndex, function: str) -> ModelShape | None:
    """What a project function is annotated to return, when it is a model or a list of one."""
    resolved = index.resolve(function)
    module = index.modules.get(resolved.rpartition(".")[0])
    if module is None:
        return None
    found = module.extra.get(RETURNS_KEY)
    if not isinstance(found, ReturnAnnotations):
        return None
    return shape_of_type(index, found.returns.get(resolved))


# --- what a function returns ------------------------------------------------------------------


def route_returns(index: ProjectIndex, node: FunctionNode, resolver: Resolver) -> ModelShape | None:
    """The one model shape every path of ``node`` returns, or None."""
    returns: list[ast.Return] = []
    for child in _own_statements(node.body):
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(child, ast.Return):
            if child.value is None:
                return None
            returns.append(child)
    if not returns or not always_exits(node.body):
        return None
    reader = _ReturnReader(index, node, resolver)
    shapes = {reader.shape_of(r.value) for r in returns}  # type: ignore[arg-type]
    if len(shapes) != 1:
        return None
    return shapes.pop()


def returns_nothing(node: FunctionNode) -> bool:
    """No ``return`` with a value and no ``yield`` in the function's own body."""
    for child in _own_statements(node.body):
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(child, ast.Return) and child.value is not None:
            return False
    return True


def always_exits(body: list[ast.stmt]) -> bool:
    """True when control cannot fall off the end of ``body`` (it returns or raises)."""
    return any(_statement_exits(statement) for statement in body)


def _statement_exits(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Return, ast.Raise)):
        return True
    if isinstance(statement, ast.If):
        return always_exits(statement.body) and always_exits(statement.orelse)
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return always_exits(statement.body)
    if isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
        if always_exits(statement.finalbody):  # type: ignore[attr-defined]
            return True
        normal = always_exits(statement.body) or always_exits(statement.orelse)  # type: ignore[attr-defined]
        return normal and all(always_exits(h.body) for h in statement.handlers)  # type: ignore[attr-defined]
    if isinstance(statement, ast.Match):
        irrefutable = any(
            isinstance(case.pattern, ast.MatchAs)
            and case.pattern.pattern is None
            and not case.guard
            for case in statement.cases
        )
        return irrefutable and all(always_exits(case.body) for case in statement.cases)
    if isinstance(statement, ast.While):
        endless = isinstance(statement.test, ast.Constant) and statement.test.value is True
        return endless and not any(
            isinstance(n, ast.Break) for n in _own_statements(statement.body)
        )
    return False


_OPAQUE = None  # a binding whose value we do not follow (loop target, import, augmented...)


class _ReturnReader:
    """Follows returned expressions to the model they build, within one function."""

    def __init__(self, index: ProjectIndex, node: FunctionNode, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self.bindings = _local_bindings(node)

    def shape_of(self, expr: ast.expr, depth: int = 0) -> ModelShape | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Await):
            return self._call_shape(expr.value, awaited=True)
        if isinstance(expr, ast.Call):
            return self._call_shape(expr, awaited=False)
        if isinstance(expr, ast.ListComp):
            element = self.shape_of(expr.elt, depth + 1)
            return ModelShape(element.model, many=True) if element and not element.many else None
        if isinstance(expr, ast.List):
            if not expr.elts or any(isinstance(e, ast.Starred) for e in expr.elts):
                return None
            elements = {self.shape_of(e, depth + 1) for e in expr.elts}
            element = elements.pop() if len(elements) == 1 else None
            return ModelShape(element.model, many=True) if element and not element.many else None
        if isinstance(expr, ast.IfExp):
            body = self.shape_of(expr.body, depth + 1)
            return body if body == self.shape_of(expr.orelse, depth + 1) else None
        if isinstance(expr, ast.Name):
            return self._name_shape(expr.id, depth)
        return None

    def _name_shape(self, name: str, depth: int) -> ModelShape | None:
        records = self.bindings.get(name)
        if not records or any(record is _OPAQUE for record in records):
            return None
        shapes = set()
        for kind, value in records:  # type: ignore[misc]
            if kind == "annotation":
                shapes.add(shape_of_type(self.index, annotation_shape(value, self.resolver)))
            else:
                shapes.add(self.shape_of(value, depth + 1))
        return shapes.pop() if len(shapes) == 1 else None

    def _call_shape(self, expr: ast.expr, awaited: bool) -> ModelShape | None:
        if not isinstance(expr, ast.Call):
            return None
        func = expr.func
        callee = self.resolver.qualify(func)
        if callee is not None and not callee.startswith("builtins."):
            resolved = self.index.resolve(callee)
            if is_model(self.index, resolved) and not is_settings(self.index, resolved):
                return None if awaited else ModelShape(resolved)
            function = self.index.functions.get(resolved)
            if function is not None and function.is_async == awaited:
                return returned_by(self.index, resolved)
        if isinstance(func, ast.Attribute) and func.attr in MODEL_BUILDERS and not awaited:
            owner = self.resolver.qualify(func.value)
            if owner is not None:
                resolved = self.index.resolve(owner)
                if is_model(self.index, resolved) and not is_settings(self.index, resolved):
                    return ModelShape(resolved)
        return None


def _local_bindings(node: FunctionNode) -> dict[str, list[tuple[str, ast.expr] | None]]:
    """Each name bound in the function's own scope with how: ``("value", expr)`` for
    ``name = expr``, ``("annotation", T)`` for ``name: T [= v]`` and annotated parameters,
    `_OPAQUE` for anything else (loop targets, imports, ``+=``, ``with ... as``, ``del``...)."""
    found: dict[str, list[tuple[str, ast.expr] | None]] = {}
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        found.setdefault(arg.arg, []).append(
            ("annotation", arg.annotation) if arg.annotation is not None else _OPAQUE
        )
    for arg in (args.vararg, args.kwarg):
        if arg is not None:
            found.setdefault(arg.arg, []).append(_OPAQUE)
    nodes = list(_own_statements(node.body))
    simple: dict[int, tuple[str, ast.expr]] = {}
    comprehension_targets: set[int] = set()
    for child in nodes:
        if isinstance(child, ast.Assign) and len(child.targets) == 1:
            target = child.targets[0]
            if isinstance(target, ast.Name):
                simple[id(target)] = ("value", child.value)
        elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            simple[id(child.target)] = ("annotation", child.annotation)
        elif isinstance(child, ast.comprehension):
            comprehension_targets.update(id(n) for n in ast.walk(child.target))
    for child in nodes:
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            if id(child) in comprehension_targets:
                continue
            found.setdefault(child.id, []).append(simple.get(id(child), _OPAQUE))
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            for alias in child.names:
                name = alias.asname or alias.name.split(".")[0]
                found.setdefault(name, []).append(_OPAQUE)
        elif isinstance(child, (*Scopes, ast.ExceptHandler)) and getattr(child, "name", None):
            found.setdefault(child.name, []).append(_OPAQUE)  # type: ignore[union-attr]
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            for name in child.names:
                found.setdefault(name, []).append(_OPAQUE)
        elif isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
            found.setdefault(child.name, []).append(_OPAQUE)
        elif isinstance(child, ast.MatchMapping) and child.rest:
            found.setdefault(child.rest, []).append(_OPAQUE)
    return found
