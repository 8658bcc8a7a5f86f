"""## What it does
Finds SQLAlchemy metadata without a constraint naming convention: `MetaData()` without
`naming_convention=`, `declarative_base()` without `metadata=`, and a
`class Base(DeclarativeBase)` whose body sets no `metadata`. Only module- and class-level
code is checked (a `MetaData()` inside a function is usually for reflection), and Alembic
migration scripts are skipped.

Not reported either: a base or metadata given a convention by a later statement of its module
(`Base.metadata.naming_convention = {...}`), and a frozen snapshot of an old schema that a
function creates and then upgrades with Alembic (`InitialBase.metadata.create_all(engine)`
followed by `alembic.command.upgrade`, directly or through a function it calls): its constraint
names are those of the databases created long ago, which the migrations expect.

## Why is this bad?
Without a convention, the database names constraints itself (`users_email_key`,
`fk_3f2a...`), differently on each backend. Alembic cannot drop or alter a constraint it cannot
name, so migrations break or need hand-written names, and downgrades fail.

## Example
```python
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
```

## Use instead
```python
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "%(column_0_label)s_idx",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
```

## Fix safety
Unsafe: constraints and indexes created from now on get new names, and Alembic's
autogenerate may propose renaming existing ones; review the next migration. The fix adds the
guide's `NAMING_CONVENTION` dict above the first statement that needs it (or reuses a
module-level `NAMING_CONVENTION` dict), passes it as `naming_convention=`, wraps it in
`MetaData(...)` for `declarative_base(metadata=...)` and `metadata = ...` in a `DeclarativeBase`
subclass, and imports `MetaData` when needed. When `MetaData` or `NAMING_CONVENTION` already
name something else in the module, the finding has no fix. Nor when the project declares a
CHECK constraint without a name, at module or class level outside migration scripts
(`CheckConstraint(expr)` in a model's `__table_args__` or a column,
`Boolean(create_constraint=True)`): the guide's `ck` template uses
`%(constraint_name)s`, and SQLAlchemy then refuses to declare that table
("Naming convention including %(constraint_name)s token requires that constraint is explicitly
named"), so the models' module would no longer import; name those constraints first.

## Known problems
`registry()`, `@as_declarative` and SQLModel's shared `SQLModel.metadata` are not checked. An
unnamed CHECK constraint anywhere in the project takes the fix away from every metadata of the
project, also one whose tables it does not belong to. A
convention that is incomplete (no `ck` template, say) is accepted. A convention set from
another module (`models.Base.metadata.naming_convention = ...` in `db.py`) is not seen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.check_constraints import KEY as UNNAMED_CHECKS
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

METADATA = frozenset(
    {"sqlalchemy.MetaData", "sqlalchemy.schema.MetaData", "sqlalchemy.sql.schema.MetaData"}
)
DECLARATIVE_BASE = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
    }
)
DECLARATIVE_BASE_CLASSES = frozenset(
    {"sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.decl_api.DeclarativeBase"}
)
CONVENTION = "NAMING_CONVENTION"
_ALEMBIC_UPGRADE = "alembic.command.upgrade"
CONVENTION_CODE = """NAMING_CONVENTION = {
    "ix": "%(column_0_label)s_idx",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
"""


class NoConstraintNamingConvention(Rule):
    CODE = "FF701"
    NAME = "no-constraint-naming-convention"
    SEVERITY = Severity.WARNING
    MESSAGE = "SQLAlchemy metadata without a constraint `naming_convention`"
    FIX_TITLE = "Add the naming convention"
    FIX_SAFETY = FixSafety.UNSAFE
    # `create_all`: the modules that create a baseline snapshot must be analysed to see it
    TRIGGERS = ("MetaData", "declarative_base", "DeclarativeBase", ".create_all(")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if any(name.startswith("alembic") for name in _imported(ctx)):
            return  # a migration script: its MetaData() is for reflection
        plan = _FixPlan.of(ctx)
        fixable = not unnamed_checks(ctx.index)
        configured = _configured_later(ctx.tree)
        for statement in ctx.tree.body:
            for node in _outside_functions(statement):
                if isinstance(node, ast.Call):
                    target = ctx.resolver.qualify(node.func)
                    if target in METADATA and not _has_keyword(node, "naming_convention"):
                        kind, what = "metadata", "`MetaData()` without `naming_convention=`"
                    elif target in DECLARATIVE_BASE and not _has_keyword(node, "metadata"):
                        kind, what = "declarative-base", "`declarative_base()` without `metadata=`"
                    else:
                        continue
                elif isinstance(node, ast.ClassDef) and _is_bare_declarative_base(ctx, node):
                    kind, what = "class-body", f"`{node.name}(DeclarativeBase)` sets no `metadata`"
                else:
                    continue
                name = _bound_name(statement, node)
                if name is not None and (
                    name in configured or f"{ctx.module}.{name}" in baseline_snapshots(ctx.index)
                ):
                    continue
                yield self.diagnostic(
                    ctx,
                    node,
                    f"{what}: constraints get backend-chosen names that Alembic cannot manage; "
                    f"pass `naming_convention=` (the guide's `{CONVENTION}`)",
                    plan.fix(ctx, kind, node, statement) if fixable else None,
                )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst
        from libcst.metadata import PositionProvider

        from fastapi_fixer.fixing.cstutil import add_imports, is_docstring, rewrite_at, start_only

        def add_keyword(name: str, value: str):
            def replace(node: cst.CSTNode, _primary: bool) -> cst.CSTNode:
                assert isinstance(node, cst.Call)
                args = list(node.args)
                if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
                    args[-1] = args[-1].with_changes(
                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    )
                keyword = cst.Arg(
                    value=cst.parse_expression(value),
                    keyword=cst.Name(name),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
                return node.with_changes(args=[*args, keyword])

            return replace

        def add_metadata(value: str):
            def replace(node: cst.CSTNode, _primary: bool) -> cst.CSTNode:
                assert isinstance(node, cst.ClassDef)
                line = cst.parse_statement(f"metadata = {value}\n")
                if not isinstance(node.body, cst.IndentedBlock):  # `class Base(...): pass`
                    node = node.with_changes(
                        body=cst.IndentedBlock(body=[cst.SimpleStatementLine(list(node.body.body))])
                    )
                body = list(node.body.body)
                at = 0
                if body and is_docstring(body[0]):
                    at = 1
                elif len(body) == 1 and _is_pass(body[0]):
                    body = []
                body.insert(at, line)
                return node.with_changes(body=node.body.with_changes(body=body))

            return replace

        targets = {}
        imports: set[tuple[str, str]] = set()
        dict_lines: list[int] = []
        for edit in edits:
            assert edit.span is not None
            value, import_needed, dict_line = edit.args
            if edit.kind == "class-body":
                targets[("ClassDef", start_only(edit.span))] = add_metadata(str(value))
            elif edit.kind == "metadata":
                targets[("Call", edit.span)] = add_keyword("naming_convention", str(value))
            else:
                targets[("Call", edit.span)] = add_keyword("metadata", str(value))
            if import_needed:
                imports.add(("sqlalchemy", "MetaData"))
            if dict_line:
                dict_lines.append(int(dict_line))  # type: ignore[call-overload]
        index = None
        if dict_lines:
            from fastapi_fixer.fixing.cstutil import metadata

            wrapper = metadata(module)
            positions = wrapper.resolve(PositionProvider)
            first = min(dict_lines)
            index = next(
                i
                for i, statement in enumerate(module.body)
                if positions[statement].start.line <= first <= positions[statement].end.line
            )
        module = rewrite_at(module, targets)
        if index is not None:
            body = list(module.body)
            statement = cst.parse_statement(CONVENTION_CODE)
            leading = list(body[index].leading_lines)
            if index and _is_import_line(body[index - 1]):
                # right after the imports: one blank line, as isort wants before a statement
                leading = [cst.EmptyLine(), *(line for line in leading if line.comment)]
            body.insert(index, statement.with_changes(leading_lines=leading))
            body[index + 1] = body[index + 1].with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine()]
                if isinstance(body[index + 1], (cst.ClassDef, cst.FunctionDef))
                else [cst.EmptyLine()]
            )
            module = module.with_changes(body=body)
        return add_imports(module, sorted(imports))


def _is_import_line(statement: cst.CSTNode) -> bool:
    import libcst as cst

    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


class _FixPlan:
    """How this module can name `MetaData` and the convention, decided once per file."""

    def __init__(self, metadata: str | None, import_needed: bool, dict_needed: bool, ok: bool):
        self.metadata = metadata
        self.import_needed = import_needed
        self.dict_needed = dict_needed
        self.ok = ok

    @classmethod
    def of(cls, ctx: FileContext) -> _FixPlan:
        bindings = ctx.scope.bindings
        metadata = next(
            (n for n, b in sorted(bindings.items()) if b.kind == "import" and b.target in METADATA),
            None,
        )
        import_needed = metadata is None
        ok = True
        if metadata is None:
            if "MetaData" in bindings:
                ok = False
            metadata = "MetaData"
        convention = bindings.get(CONVENTION)
        dict_needed = convention is None
        if convention is not None and not _module_dict(ctx, CONVENTION):
            ok = False
        return cls(metadata, import_needed, dict_needed, ok)

    def fix(self, ctx: FileContext, kind: str, node: ast.AST, statement: ast.stmt) -> Fix | None:
        if not self.ok:
            return None
        if kind == "metadata":
            value, import_needed = CONVENTION, False
        else:
            value, import_needed = (
                f"{self.metadata}(naming_convention={CONVENTION})",
                (self.import_needed),
            )
        dict_line = statement.lineno if self.dict_needed else 0
        edit = Edit(ctx.path, kind, ctx.span(node), (value, import_needed, dict_line))
        return Fix("Add the naming convention", FixSafety.UNSAFE, (edit,))


def _imported(ctx: FileContext) -> list[str]:
    return [b.target for b in ctx.scope.bindings.values() if b.kind == "import"]


def _module_dict(ctx: FileContext, name: str) -> bool:
    return any(
        isinstance(s, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in s.targets)
        and isinstance(s.value, ast.Dict)
        for s in ctx.tree.body
    )


def _bound_name(statement: ast.stmt, node: ast.AST) -> str | None:
    """The module-level name the metadata or base is bound to (`Base = declarative_base()`,
    `class Base(DeclarativeBase)`)."""
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(statement, ast.Assign) and statement.value is node:
        names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
        return names[0] if len(names) == 1 else None
    if isinstance(statement, ast.AnnAssign) and statement.value is node:
        return statement.target.id if isinstance(statement.target, ast.Name) else None
    return None


def _configured_later(tree: ast.Module) -> set[str]:
    """Names given a convention by a later statement of the module:
    `Base.metadata.naming_convention = {...}`, `metadata.naming_convention = ...`,
    `Base.metadata = MetaData(naming_convention=...)`."""
    found = set()
    for statement in tree.body:
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            chain = []
            while isinstance(target, ast.Attribute):
                chain.append(target.attr)
                target = target.value
            if not isinstance(target, ast.Name) or not chain:
                continue
            value = statement.value
            if chain[0] == "naming_convention" or (
                chain == ["metadata"]
                and isinstance(value, ast.Call)
                and _has_keyword(value, "naming_convention")
            ):
                found.add(target.id)
    return found


def baseline_snapshots(index: ProjectIndex) -> frozenset[str]:
    """Bases and metadata that only create a frozen initial schema which Alembic then upgrades:
    a function calls `<X>.metadata.create_all(...)` and `alembic.command.upgrade` (itself or
    through a function it calls). Their constraint names are those of the databases created
    long ago; a convention there would rename them under the migrations' feet. (Creating the
    *current* models and `stamp`ing them is the other recipe: those are still reported.)"""
    return index.memo("FF701.baseline_snapshots", _baseline_snapshots)


def _baseline_snapshots(index: ProjectIndex) -> frozenset[str]:
    found: set[str] = set()
    for function in index.functions.values():
        created = {
            call.removesuffix(".create_all").removesuffix(".metadata")
            for call in function.calls
            if call.endswith(".create_all")
        }
        if created and any(_upgrades(index, call) for call in function.calls):
            found.update(created)
    return frozenset(found)


def unnamed_checks(index: ProjectIndex) -> tuple[tuple[str, int], ...]:
    """The project's CHECK constraints declared without a name (module, line), outside Alembic
    migration scripts: with the guide's `ck` template, SQLAlchemy refuses to declare them."""
    return index.memo("FF701.unnamed_checks", _unnamed_checks)


def _unnamed_checks(index: ProjectIndex) -> tuple[tuple[str, int], ...]:
    found: list[tuple[str, int]] = []
    for facts in dict.values(index.modules):
        checks = facts.extra.get(UNNAMED_CHECKS)
        if not checks or any(
            b.kind == "import" and b.target.startswith("alembic") for b in facts.bindings.values()
        ):
            continue
        found.extend((facts.module, check.line) for check in checks)  # type: ignore[attr-defined]
    return tuple(sorted(found))


def _upgrades(index: ProjectIndex, call: str) -> bool:
    if call == _ALEMBIC_UPGRADE:
        return True
    callee = index.functions.get(call)
    return callee is not None and _ALEMBIC_UPGRADE in callee.calls


def _outside_functions(statement: ast.stmt) -> Iterator[ast.AST]:
    """The statement's nodes, in order, without function bodies."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _has_keyword(call: ast.Call, name: str) -> bool:
    return any(k.arg in (name, None) for k in call.keywords)


def _is_bare_declarative_base(ctx: FileContext, node: ast.ClassDef) -> bool:
    if not any(ctx.resolver.qualify(b) in DECLARATIVE_BASE_CLASSES for b in node.bases):
        return False
    for statement in node.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        if any(isinstance(t, ast.Name) and t.id in ("metadata", "registry") for t in targets):
            return False
    return True


def _is_pass(statement: cst.CSTNode) -> bool:
    import libcst as cst

    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Pass)
    )
