"""Every class of a module with its bases, annotated fields and configuration.

Stored as ``facts.extra["pydantic_models"]``: a `ModelClasses`, a plain
``dict[class qualname, ClassFacts]`` whose ``demands`` (the bases) make the engine analyse the
modules the bases live in, even when their text has nothing FastAPI in it. Classes at
module level and classes nested in them are recorded (not classes defined inside functions:
nothing outside the function can name them). Whether a class is a Pydantic model is a
cross-module question (its base may live in another module), so every class is recorded and
`fastapi_fixer.analysis.pydantic_index` answers it over the project index:
``is_model(index, qualname)``, ``fields_of(index, qualname)``, ``config_of(index, qualname)``.

- ``bases``: qualified names as the module sees them (through its imports, not yet followed
  through re-exports: resolve them with ``index.resolve``); a subscripted base
  (``Generic[T]``, ``Page[Item]``) is recorded by its subscripted object; ``"?"`` for a base
  that is not a (dotted) name.
- ``fields``: ``FieldFacts(name, annotation, has_default, line)`` for each ``name: T`` or
  ``name: T = v`` of the class body, in order; ``annotation`` is the source text (``ast.unparse``),
  ``ClassVar[...]`` and ``_private`` names included as written (filter with ``is_field``).
- ``config``: ``model_config = ConfigDict(k=v)`` / ``model_config = {"k": v}``, the v1
  ``class Config: k = v`` and class keywords (``class M(BaseModel, extra="forbid")``), as
  ``(key, value source)`` pairs in order.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "pydantic_models"


@dataclass(frozen=True)
class FieldFacts:
    name: str
    annotation: str  # source text of the annotation
    has_default: bool
    line: int

    @property
    def is_class_var(self) -> bool:
        return self.annotation.split("[", 1)[0].rsplit(".", 1)[-1] == "ClassVar"

    @property
    def is_field(self) -> bool:
        """A field of the model: not a `ClassVar`, nor a name with a leading underscore (a
        private attribute for Pydantic, never a field, `__dunder__` ones included)."""
        return not self.is_class_var and not self.name.startswith("_")


@dataclass(frozen=True)
class ClassFacts:
    qualname: str
    name: str
    line: int
    bases: tuple[str, ...]
    fields: tuple[FieldFacts, ...]
    config: tuple[tuple[str, str], ...]


class ModelClasses(dict[str, ClassFacts]):
    """Class qualname -> `ClassFacts` for one module."""

    @property
    def demands(self) -> tuple[str, ...]:
        return tuple(sorted({base for facts in self.values() for base in facts.bases}))


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> ModelClasses:
    found = ModelClasses()
    _collect_classes(tree.body, facts.module, resolver, found, own)
    return found


def _collect_classes(
    body: list[ast.stmt],
    prefix: str,
    resolver: Resolver,
    found: dict[str, ClassFacts],
    own: OwnNodes,
) -> None:
    for node in own(body):
        if not isinstance(node, ast.ClassDef):
            continue
        qualname = f"{prefix}.{node.name}"
        found[qualname] = ClassFacts(
            qualname=qualname,
            name=node.name,
            line=node.lineno,
            bases=tuple(_base_name(base, resolver) for base in node.bases),
            fields=tuple(_fields(node)),
            config=tuple(_config(node)),
        )
        _collect_classes(node.body, qualname, resolver, found, own)


def _base_name(base: ast.expr, resolver: Resolver) -> str:
    if isinstance(base, ast.Subscript):
        base = base.value
    return resolver.qualify(base) or "?"


def _fields(node: ast.ClassDef) -> list[FieldFacts]:
    fields = []
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            fields.append(
                FieldFacts(
                    name=statement.target.id,
                    annotation=ast.unparse(statement.annotation),
                    has_default=statement.value is not None,
                    line=statement.lineno,
                )
            )
    return fields


def _config(node: ast.ClassDef) -> list[tuple[str, str]]:
    config = [(k.arg, ast.unparse(k.value)) for k in node.keywords if k.arg is not None]
    for statement in node.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if not any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets):
                continue
            value = statement.value
            if isinstance(value, ast.Call):
                config.extend(
                    (k.arg, ast.unparse(k.value)) for k in value.keywords if k.arg is not None
                )
            elif isinstance(value, ast.Dict):
                config.extend(
                    (key.value, ast.unparse(item))
                    for key, item in zip(value.keys, value.values, strict=False)
                    if isinstance(key, ast.Constant) and isinstance(key.value, str)
                )
        elif isinstance(statement, ast.ClassDef) and statement.name == "Config":
            for inner in statement.body:
                if isinstance(inner, ast.Assign):
                    config.extend(
                        (target.id, ast.unparse(inner.value))
                        for target in inner.targets
                        if isinstance(target, ast.Name)
                    )
    return config
