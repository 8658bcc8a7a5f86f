"""SQLAlchemy CHECK constraints declared without a name, at module or class level (FF701).

Stored as ``facts.extra["unnamed_check_constraints"]``: a tuple of `UnnamedCheck`, one for each
call, in the module's top level or a class body (where tables and models are declared, run at
import), that makes a CHECK constraint with no name: `CheckConstraint(expr)` without `name=`
(or a second positional argument), and `Boolean(create_constraint=True)` /
`Enum(..., create_constraint=True)` without `name=`. A naming convention whose `ck` template
uses `%(constraint_name)s` (the guide's) needs every CHECK constraint of its metadata named:
SQLAlchemy raises `InvalidRequestError` when such a table is declared (at import) or created.
Modules that import nothing from SQLAlchemy are not walked.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "unnamed_check_constraints"

_CHECK = frozenset(
    {"sqlalchemy.CheckConstraint", "sqlalchemy.schema.CheckConstraint"}
    | {"sqlalchemy.sql.schema.CheckConstraint"}
)
# types that make a CHECK constraint of their own with `create_constraint=True`
_TYPES = frozenset(
    f"{module}.{name}"
    for module in ("sqlalchemy", "sqlalchemy.types", "sqlalchemy.sql.sqltypes")
    for name in ("Boolean", "Enum")
)


@dataclass(frozen=True)
class UnnamedCheck:
    what: str  # the callee, qualified: `sqlalchemy.CheckConstraint`
    line: int


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> tuple[UnnamedCheck, ...]:
    if not any(
        b.kind == "import" and (b.target == "sqlalchemy" or b.target.startswith("sqlalchemy."))
        for b in facts.bindings.values()
    ):
        return ()
    found: list[UnnamedCheck] = []
    bodies: list[list[ast.stmt]] = [tree.body]
    while bodies:
        for node in own(bodies.pop()):
            if isinstance(node, ast.ClassDef):
                bodies.append(node.body)
            elif isinstance(node, ast.Call) and _unnamed(node, resolver):
                found.append(UnnamedCheck(str(resolver.qualify(node.func)), node.lineno))
    return tuple(sorted(found, key=lambda c: c.line))


def _unnamed(call: ast.Call, resolver: Resolver) -> bool:
    if any(k.arg is None or k.arg == "name" for k in call.keywords):
        return False  # named, or `**options` that may name it
    target = resolver.qualify(call.func)
    if target in _CHECK:
        return len(call.args) < 2 and not any(isinstance(a, ast.Starred) for a in call.args)
    if target in _TYPES:
        return any(
            k.arg == "create_constraint"
            and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in call.keywords
        )
    return False
