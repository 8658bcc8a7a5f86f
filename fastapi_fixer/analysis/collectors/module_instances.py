"""Module-level objects built by calling a class: ``name = Callee(...)``.

Stored as ``facts.extra["module_instances"]``: a `ModuleInstances`, a plain
``dict[name, Instance]`` for each module-level statement ``name = Callee(...)`` (one plain name
target, the callee a dotted name starting with an upper-case letter, qualified as the module
sees it). FF601-FF603 (`fastapi_fixer.fixing.settings_fix`) use it to find the module-level
instance of the project's `BaseSettings` class (``settings = Settings()``). Names bound more
than once are left out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "module_instances"


@dataclass(frozen=True)
class Instance:
    callee: str  # qualified as the module sees it (resolve with ``index.resolve``)
    line: int


class ModuleInstances(dict[str, Instance]):
    """Name -> `Instance` for one module."""


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> ModuleInstances:
    found = ModuleInstances()
    twice: set[str] = set()
    for statement in tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
        ):
            continue
        func = statement.value.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not last[:1].isupper():
            continue
        callee = resolver.qualify(func)
        name = statement.targets[0].id
        if name in found:
            twice.add(name)
        if callee is not None and not callee.startswith("builtins."):
            found[name] = Instance(callee, statement.lineno)
    for name in twice:
        found.pop(name, None)
    return found
