"""## What it does
Checks the names of SQLAlchemy date and time columns: a `DateTime` (or `TIMESTAMP`) column should
end in `_at` (`created_at`), a `Date` column in `_date` (`birth_date`). Columns are
`Column(...)` and `mapped_column(...)` calls with such a type (the column's own name when it is
given as a string, else the attribute's), `Mapped[datetime]` / `Mapped[date]` annotations, and
`datetime`/`date` fields of SQLModel `table=True` models.

## Why is this bad?
The suffix tells the type at a glance in every query and payload: `expires_at` is a moment,
`expiry_date` is a day, while `expires`, `updated` or `timestamp` leave readers to guess (and
to get time zones wrong).

## Example
```python
class Post(Base):
    created: Mapped[datetime]
    published = mapped_column(Date)
```

## Use instead
```python
class Post(Base):
    created_at: Mapped[datetime]
    published_date = mapped_column(Date)
```

## Fix safety
No fix: renaming a column needs a migration and changes the model's public attributes.

Not reported: a `Date` column with the word `date` anywhere in its name (`date_of_birth`), a
`DateTime` column with the word `datetime` (`datetime_value`, a typed slot next to
`string_value`) or ending in `_until`, `_after`, `_before` or `_since` (`valid_until`: already a
moment), and Alembic migration scripts (history: renaming there renames nothing; name the
column in the model and a new migration).

## Known problems
Types are recognised by name through imports (`sqlalchemy.DateTime`, `sqlalchemy.Date`, their
dialect variants); custom `TypeDecorator`s are not. A `Time` or `Interval` column is not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.analysis.alembic import is_migration_script
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_SUFFIX = {"datetime": "_at", "date": "_date"}
_KINDS = {"DateTime": "datetime", "TIMESTAMP": "datetime", "DATETIME": "datetime", "Date": "date",
          "DATE": "date"}  # fmt: skip
# a last word that makes a name read as a moment already
_MOMENT_WORDS = frozenset({"until", "after", "before", "since"})
_PYTHON_TYPES = {"datetime.datetime": "datetime", "datetime.date": "date"}


class TemporalColumnNaming(Rule):
    CODE = "FF703"
    NAME = "temporal-column-naming"
    SEVERITY = Severity.WARNING
    MESSAGE = "`DateTime` column `{name}` does not end in `_at` (`Date`: `_date`)"
    TRIGGERS = ("DateTime", "Date", "TIMESTAMP", "Mapped[", "table=True")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_migration_script(ctx.tree):
            return  # history: renaming a column there renames nothing
        seen: set[int] = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.ClassDef):
                sqlmodel_table = _is_sqlmodel_table(ctx, node)
                for statement in node.body:
                    found = self._attribute_column(ctx, statement, sqlmodel_table)
                    if found is not None:
                        seen.add(id(getattr(statement, "value", None)))
                        yield from self._report(ctx, *found)
        for node in ast.walk(ctx.tree):  # `Table("t", metadata, Column("created", DateTime))`
            if isinstance(node, ast.Call) and id(node) not in seen and _is_column_call(node):
                name = _explicit_name(node)
                kind = _column_kind(ctx, node)
                if name is not None and kind is not None:
                    yield from self._report(ctx, node.args[0], name, kind)

    def _attribute_column(
        self, ctx: FileContext, statement: ast.stmt, sqlmodel_table: bool
    ) -> tuple[ast.AST, str, str] | None:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value, annotation = statement.targets[0], statement.value, None
        elif isinstance(statement, ast.AnnAssign):
            target, value, annotation = statement.target, statement.value, statement.annotation
        else:
            return None
        if not isinstance(target, ast.Name) or target.id.startswith("__"):
            return None
        kind = None
        name = target.id
        if isinstance(value, ast.Call) and _is_column_call(value):
            kind = _column_kind(ctx, value)
            name = _explicit_name(value) or name
            if kind is None and _has_explicit_type(value):
                return None  # typed as something else: the annotation does not decide
        if kind is None and annotation is not None:
            mapped = _mapped_argument(annotation)
            if mapped is not None:
                kind = _python_kind(ctx, mapped)
            elif sqlmodel_table:
                kind = _python_kind(ctx, annotation)
        if kind is None:
            return None
        return (target, name, kind)

    def _report(
        self, ctx: FileContext, node: ast.AST, name: str, kind: str
    ) -> Iterator[Diagnostic]:
        suffix = _SUFFIX[kind]
        if name.endswith(suffix) or _says_its_kind(name, kind):
            return
        label = "DateTime" if kind == "datetime" else "Date"
        stem = name
        for ending in ("_timestamp", "_datetime", "_time", "_date", "_on", "_at"):
            stem = stem.removesuffix(ending)
        yield self.diagnostic(
            ctx,
            node,
            f"`{label}` column `{name}` does not end in `{suffix}`; name it like `{stem}{suffix}`",
        )


def _says_its_kind(name: str, kind: str) -> bool:
    """A name that already reads as its kind: a `Date` column with the word `date` anywhere
    (`date_of_birth`), a `DateTime` column with the word `datetime` (`datetime_value`), a moment
    named by a closing preposition (`valid_until`, `retry_after`, `active_since`), where `_at`
    would add nothing."""
    words = name.lower().strip("_").split("_")
    if kind == "date":
        return "date" in words
    if "datetime" in words:
        return True  # a typed slot (`datetime_value` next to `string_value`), not a moment
    return len(words) > 1 and words[-1] in _MOMENT_WORDS


def _callee(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_column_call(call: ast.Call) -> bool:
    return _callee(call.func) in COLUMN_CALLS


def _explicit_name(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for keyword in call.keywords:
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _type_argument(call: ast.Call) -> ast.expr | None:
    args = list(call.args)
    if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        args = args[1:]
    for keyword in call.keywords:
        if keyword.arg in ("type_", "type"):
            return keyword.value
    return args[0] if args else None


def _has_explicit_type(call: ast.Call) -> bool:
    arg = _type_argument(call)
    return arg is not None and _callee(arg) not in ("ForeignKey", "Sequence", "Identity", "")


def _column_kind(ctx: FileContext, call: ast.Call) -> str | None:
    arg = _type_argument(call)
    if arg is None:
        return None
    qualified = ctx.resolver.qualify(arg.func if isinstance(arg, ast.Call) else arg) or ""
    if not qualified.startswith("sqlalchemy") and not qualified.startswith("sqlmodel"):
        return None
    return _KINDS.get(qualified.rsplit(".", 1)[-1])


def _mapped_argument(annotation: ast.expr) -> ast.expr | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Subscript) and _callee(annotation.value) == "Mapped":
        return annotation.slice
    return None


def _python_kind(ctx: FileContext, annotation: ast.expr) -> str | None:
    """`datetime` / `date` for `datetime`, `datetime | None`, `Optional[date]`; else None."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        kinds = {_python_kind(ctx, annotation.left), _python_kind(ctx, annotation.right)}
        kinds.discard(None)
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(annotation, ast.Subscript) and _callee(annotation.value) == "Optional":
        return _python_kind(ctx, annotation.slice)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return None
    return _PYTHON_TYPES.get(ctx.resolver.qualify(annotation) or "")


def _is_sqlmodel_table(ctx: FileContext, node: ast.ClassDef) -> bool:
    """`class Hero(SQLModel, table=True)`: its annotated fields are columns."""
    return any(
        k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords
    )
