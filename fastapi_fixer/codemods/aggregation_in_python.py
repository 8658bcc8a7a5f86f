"""## What it does
Finds Python code that sums, counts or filters database rows the database could have
aggregated:
- a `for` loop over query results whose body only adds up (`total += row.amount`,
  `count += 1`, `totals[row.kind] += 1`, `total += len(row.body)`) or filters
  (`if row.active: found.append(row)`);
- `sum(row.x for row in <results>)` and `len(<query>.all())`.

Not reported: the rows a write statement returns (`insert(...)`, `delete(...)`, `update(...)`
with `.returning(...)`: counting them counts what was written, which only the write knows), and
conditions on Python state (`if row.id not in visited`, `if row.key in set(missing)`: a
membership test against anything but a literal), which the query cannot see; nor rows the
database already aggregated: a query that selects aggregate functions or groups (`func.count()`,
`func.sum(...)`, `.group_by(...)`, SQL text with `COUNT(` or `GROUP BY`), directly or through a
name the function assigned it to (`stmt = select(T.state, func.count()).group_by(T.state)`):
adding up a few group totals saves a second query.

Query results are the value of a call chain through `.query(...)`, `.execute(...)`,
`.scalars(...)`, `.exec(...)` or `.fetchall()` on a receiver named like a database handle
(`db`, `session`, `conn`, `cursor`, `*_session`, ...), possibly awaited, or a name assigned
from one in the same function.

## Why is this bad?
Every row travels from the database and becomes a Python object just to be added up or thrown
away. `SUM`, `COUNT`, `GROUP BY` and `WHERE` do the same in the database, with its indexes,
and send back one number or only the rows wanted.

## Example
```python
total = 0
for order in db.query(Order).filter(Order.user_id == user_id).all():
    total += order.amount
```

## Use instead
```python
total = db.query(func.sum(Order.amount)).filter(Order.user_id == user_id).scalar() or 0
```

## Fix safety
No fix: the query to write depends on the model.

## Known problems
Receivers are recognised by name, not by type. A loop that also does anything else (calls,
logging, building new objects) is not reported, even when the aggregation in it could move to
SQL. A membership test against a Python list of ids (`if row.id in allowed`) could be SQL's
`IN` too, and is not reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

QUERY_METHODS = frozenset({"query", "execute", "scalars", "exec", "fetchall"})
_DB_NAMES = frozenset({"db", "session", "sess", "conn", "connection", "cursor", "cur", "database"})
_DB_PARTS = ("session", "db", "conn", "cursor")
_WRITE_STATEMENTS = frozenset({"insert", "delete", "update", "upsert"})


class AggregationInPython(Rule):
    CODE = "FF704"
    NAME = "aggregation-in-python"
    SEVERITY = Severity.WARNING
    MESSAGE = "Query results {what} in Python; let the database do it"
    TRIGGERS = (".query(", ".execute(", ".scalars(", ".exec(", ".fetchall(")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        for function, _qualname, _resolver in ctx.functions():
            results = _result_names(function)
            writes = _write_names(function)
            aggregated = _aggregated_names(function)
            for node in _own_nodes(function):
                if isinstance(node, (ast.For, ast.AsyncFor)) and not node.orelse:
                    if _is_results(node.iter, results, writes) and not _selects_aggregates(
                        node.iter, aggregated
                    ):
                        what = _loop_aggregation(node)
                        if what is not None:
                            yield self.diagnostic(
                                ctx,
                                node,
                                f"Loop {what} query results in Python; let the database do it "
                                "(`func.sum`, `func.count`, `GROUP BY`, `WHERE`)",
                            )
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if _selects_aggregates(node, aggregated):
                        continue  # the rows are already the database's aggregates
                    message = _builtin_aggregation(node, results, writes)
                    if message is not None:
                        yield self.diagnostic(ctx, node, message)


_AGGREGATES = frozenset({"count", "sum", "avg", "min", "max", "array_agg", "string_agg"})
_SQL_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max)\s*\(|\bgroup\s+by\b", re.IGNORECASE)


def _is_aggregate_call(node: ast.AST) -> bool:
    """`func.count(...)`, `sa.func.sum(...)`, `.group_by(...)`, or SQL text with `COUNT(`,
    `SUM(`, ... or `GROUP BY`: a query whose rows the database already aggregated."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(_SQL_AGGREGATE.search(node.value))
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    func = node.func
    if func.attr == "group_by":
        return True
    owner = func.value
    owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    return func.attr in _AGGREGATES and owner_name == "func"


def _selects_aggregates(node: ast.AST, aggregated: frozenset[str]) -> bool:
    return any(
        _is_aggregate_call(inner) or (isinstance(inner, ast.Name) and inner.id in aggregated)
        for inner in ast.walk(node)
    )


def _aggregated_names(function: ast.AST) -> frozenset[str]:
    """Names the function assigns a query of aggregates (`stmt = select(T.state,
    func.count()).group_by(T.state)`), or a value built from one (`rows =
    session.execute(stmt).all()`)."""
    assigned = [
        (target.id, node.value)
        for node in _own_nodes(function)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, value in assigned:
            if name not in found and _selects_aggregates(value, frozenset(found)):
                found.add(name)
                changed = True
    return frozenset(found)


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_db_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _DB_NAMES or any(
        part in lowered.split("_") or lowered.endswith(part) for part in _DB_PARTS
    )


def _is_query(
    node: ast.expr, results: frozenset[str] = frozenset(), writes: frozenset[str] = frozenset()
) -> bool:
    """A call chain through a query method rooted at a database-like name, or any call chain
    on query results (`result.scalars().all()`); not the rows a write statement returns
    (`session.execute(insert(T).values(...).returning(T.id))`: counting them counts the rows
    written, which only the write can tell)."""
    if isinstance(node, ast.Await):
        node = node.value
    seen_query = False
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr in QUERY_METHODS and node.args and _is_write(node.args[0], writes):
                    return False
                seen_query = seen_query or func.attr in QUERY_METHODS
                node = func.value
                continue
            return False
        if isinstance(node, ast.Attribute):
            if seen_query and _is_db_name(node.attr):
                return True  # `self.db.query(...)`
            node = node.value
            continue
        if isinstance(node, ast.Name):
            return (seen_query and _is_db_name(node.id)) or node.id in results
        return False


def _is_write(node: ast.expr, writes: frozenset[str]) -> bool:
    """`insert(T)...`, `sa.delete(T).where(...)`, `update(T)...returning(...)`, or a name bound
    to one."""
    if isinstance(node, ast.Name):
        return node.id in writes
    while isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _WRITE_STATEMENTS or name == "returning":
            return True
        if not isinstance(func, ast.Attribute):
            return False
        node = func.value
    return False


def _write_names(function: ast.AST) -> frozenset[str]:
    return frozenset(
        target.id
        for node in _own_nodes(function)
        if isinstance(node, ast.Assign) and _is_write(node.value, frozenset())
        for target in node.targets
        if isinstance(target, ast.Name)
    )


def _result_names(function: ast.AST) -> set[str]:
    """Names every assignment of which, in the function, is query results."""
    writes = _write_names(function)
    good: set[str] = set()
    bad: set[str] = set()
    nodes = sorted(
        (n for n in _own_nodes(function) if hasattr(n, "lineno")),
        key=lambda n: (n.lineno, n.col_offset),  # type: ignore[attr-defined]
    )
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    ok = _is_query(node.value, frozenset(good), writes)
                    (good if ok else bad).add(target.id)
                else:
                    bad.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            target = node.target
            if isinstance(target, ast.Name):
                value = node.value
                ok = (
                    not isinstance(node, ast.AugAssign)
                    and value is not None
                    and _is_query(value, frozenset(good), writes)
                )
                (good if ok else bad).add(target.id)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            bad.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    return good - bad


def _is_results(node: ast.expr, results: set[str], writes: frozenset[str]) -> bool:
    return (isinstance(node, ast.Name) and node.id in results) or _is_query(
        node, frozenset(results), writes
    )


def _loop_aggregation(loop: ast.For | ast.AsyncFor) -> str | None:
    """ "sums"/"counts"/"filters" when the body does nothing else, else None."""
    if not isinstance(loop.target, ast.Name):
        return None
    kinds: set[str] = set()
    if not _only_aggregates(loop.body, loop.target.id, kinds, conditional=False) or not kinds:
        return None
    return " and ".join(sorted(kinds))


def _only_aggregates(body: list[ast.stmt], var: str, kinds: set[str], conditional: bool) -> bool:
    for statement in body:
        if isinstance(statement, ast.AugAssign) and isinstance(statement.op, (ast.Add, ast.Sub)):
            target = statement.target
            if isinstance(target, ast.Subscript):
                target = target.value
            if not isinstance(target, ast.Name) or _has_call(statement.value, var):
                return False
            counts = isinstance(statement.value, ast.Constant)
            kinds.add("counts" if counts else "sums")
        elif isinstance(statement, ast.If):
            if _has_call(statement.test) or not _is_row_filter(statement.test):
                return False
            if not _only_aggregates(statement.body, var, kinds, True):
                return False
            if not _only_aggregates(statement.orelse, var, kinds, True):
                return False
        elif isinstance(statement, ast.Continue) and conditional:
            continue
        elif conditional and _appends(statement, var):
            kinds.add("filters")
        else:
            return False
    return True


def _appends(statement: ast.stmt, var: str) -> bool:
    """`found.append(row)` of the loop variable itself."""
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return False
    call = statement.value
    return (
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "append"
        and isinstance(call.func.value, ast.Name)
        and len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id == var
    )


def _has_call(node: ast.AST, var: str | None = None) -> bool:
    """A call or an await, other than `len(<var>.<attr>)` (a string's or array's length, which
    SQL has too: `func.length(...)`, `func.cardinality(...)`)."""
    return any(
        isinstance(n, ast.Await) or (isinstance(n, ast.Call) and not _is_length_of(n, var))
        for n in ast.walk(node)
    )


def _is_length_of(call: ast.Call, var: str | None) -> bool:
    if var is None or not (isinstance(call.func, ast.Name) and call.func.id == "len"):
        return False
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Attribute):
        return False
    root: ast.expr = call.args[0]
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id == var


def _is_row_filter(test: ast.expr) -> bool:
    """A condition the database could apply: no membership test against a Python collection
    (`if row.id not in visited`, `if row.key in set(missing)`: state the query cannot see);
    membership in a literal (`row.status in ("a", "b")`) is SQL's `IN`."""
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, (ast.In, ast.NotIn)) and not _is_literal_collection(right):
                    return False
    return True


def _is_literal_collection(node: ast.expr) -> bool:
    return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(
        isinstance(element, ast.Constant) for element in node.elts
    )


def _builtin_aggregation(call: ast.Call, results: set[str], writes: frozenset[str]) -> str | None:
    name = call.func.id  # type: ignore[attr-defined]
    if len(call.args) != 1 or call.keywords:
        return None
    arg = call.args[0]
    if name == "sum" and isinstance(arg, ast.GeneratorExp) and len(arg.generators) == 1:
        generator = arg.generators[0]
        var = generator.target.id if isinstance(generator.target, ast.Name) else None
        if (
            _is_results(generator.iter, results, writes)
            and not _has_call(arg.elt, var)
            and not any(_has_call(c) or not _is_row_filter(c) for c in generator.ifs)
        ):
            return (
                "`sum()` over query results in Python; let the database add them up "
                "(`func.sum(...)`)"
            )
    if name == "len" and isinstance(arg, ast.Call) and _is_query(arg, frozenset(results), writes):
        func = arg.func
        if isinstance(func, ast.Attribute) and func.attr in ("all", "fetchall"):
            return (
                "`len()` of all query results loads every row to count them; use "
                "`func.count()` / `.count()`"
            )
    return None
