"""Recognising Alembic migration scripts.

A migration script records how the schema was at one revision: it is history. Naming rules
(table names, column names, constraint names, secrets in `CHECK` constraint names...) have
nothing to ask of it, since renaming something there would not rename it in the database; the
place to apply a naming practice is the model and a *new* migration.
"""

from __future__ import annotations

import ast

# the module-level names every Alembic revision file assigns (`script.py.mako`)
_REVISION_NAMES = frozenset({"revision", "down_revision"})


def is_migration_script(tree: ast.Module) -> bool:
    """True when the module assigns both `revision` and `down_revision` at module level and
    defines `upgrade()`: the shape of every file `alembic revision` writes, wherever the
    project keeps its `versions/` folder."""
    assigned: set[str] = set()
    upgrade = False
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            assigned.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            assigned.add(statement.target.id)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            upgrade = upgrade or statement.name == "upgrade"
    return upgrade and assigned >= _REVISION_NAMES
