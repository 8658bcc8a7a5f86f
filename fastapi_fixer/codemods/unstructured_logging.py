"""## What it does
Finds `print(...)` calls in application modules (modules that define FastAPI routes or
dependencies, or build an app), and `logging.basicConfig(...)` without a `format=`.

Console output of startup and command-line code is not reported: prints in `main`, `lifespan`,
`configure_*`/`setup_*`/`init_*`/`start*` functions (and functions nested in them), in
`on_event("startup")` handlers, under `if __name__ == "__main__":`, or under an `if` that tests
the logging setup (`if LOG_FORMAT != "json": print(banner)`). Documentation and example folders
are skipped.

## Why is this bad?
`print` output has no level, no logger name and no timestamp, bypasses log configuration and
cannot be parsed by log aggregators. Production services should log structured (for example JSON)
records through `logging`.

## Example
```python
@router.post("/orders")
async def create_order(order: OrderCreate):
    print("creating order", order.id)
```

## Use instead
```python
logger = logging.getLogger(__name__)


@router.post("/orders")
async def create_order(order: OrderCreate):
    logger.info("creating order", extra={"order_id": order.id})
```
with a JSON formatter configured once at startup.

## Fix safety
No fix: choosing the level and the fields of each record needs a human.

## Known problems
Only modules that hold routes, dependencies or an app count as application modules; `print` in
`if __name__ == "__main__":` blocks and in tests is ignored, and so is a `print` the project
allows on its line with `# noqa: T201` (ruff's and flake8-print's code for the same practice).
`print(..., file=...)` to a file other than standard output is not reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from fastapi_fixer.analysis.facts import _own_statements, is_main_guard
from fastapi_fixer.analysis.paths import is_example_path, is_test_path
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule


class UnstructuredLogging(Rule):
    CODE = "FF903"
    NAME = "unstructured-logging"
    SEVERITY = Severity.WARNING
    MESSAGE = "`print()` in application module; use a `logging` logger"
    TRIGGERS = ("print(", "basicConfig")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path) or is_example_path(ctx.path) or not self._is_application(ctx):
            return
        aware = _log_aware_prints(ctx.tree)
        aware |= _allowed_prints(ctx)
        for statement in _statements_outside_main(ctx.tree):
            for node in _own_statements([statement]) if not _is_scope(statement) else []:
                yield from self._check_node(ctx, node, aware)
        for function, qualname, _ in ctx.functions():
            startup = _is_startup(qualname[len(ctx.module) + 1 :], ctx.index, qualname)
            for node in _own_statements(function.body):
                yield from self._check_node(ctx, node, aware, prints=not startup)

    def _check_node(
        self, ctx: FileContext, node: ast.AST, aware: set[int], prints: bool = True
    ) -> Iterator[Diagnostic]:
        if not isinstance(node, ast.Call):
            return
        callee = ctx.resolver.qualify(node.func) if isinstance(node.func, ast.Name) else None
        if callee is None and isinstance(node.func, ast.Attribute):
            callee = ctx.resolver.qualify(node.func)
        if callee == "builtins.print":
            if not prints or any(k.arg == "file" for k in node.keywords):
                return
            if id(node) in aware:
                return
            yield self.diagnostic(
                ctx, node, "`print()` in an application module; log through `logging` instead"
            )
        elif callee == "logging.basicConfig" and not any(
            k.arg in ("format", "handlers") for k in node.keywords
        ):
            yield self.diagnostic(
                ctx,
                node,
                "`logging.basicConfig()` without a `format=`; configure a structured (JSON) "
                "formatter",
            )

    @staticmethod
    def _is_application(ctx: FileContext) -> bool:
        facts = ctx.facts
        if any(b.kind == "app" and not b.target.startswith("<") for b in facts.bindings.values()):
            return True
        return any(
            (function.routes and ctx.index.is_route(qualname)) or ctx.index.is_dependency(qualname)
            for qualname, function in facts.functions.items()
        )


# startup and command-line code: its console output is for the operator, not a request's log
_STARTUP = re.compile(
    r"^_*(main|cli|run|serve|start|startup|lifespan|banner|welcome|configure|setup|install"
    r"|init|bootstrap|print)(_|$)|_(lifespan|banner|startup|main)$",
    re.IGNORECASE,
)


def _is_startup(local_name: str, index, qualname: str) -> bool:
    """The function, or a function it is nested in, runs at startup: `main`, `lifespan`,
    `configure_logging`, an `on_event("startup")` handler, or `__init__`/`__main__`."""
    for part in local_name.split("."):
        if _STARTUP.search(part):
            return True
    facts = index.functions.get(qualname)
    return facts is not None and any(d.endswith(".on_event") for d in facts.other_decorators)


def _log_aware_prints(tree: ast.Module) -> set[int]:
    """Calls under an `if` that tests the logging setup (`if LOG_FORMAT != "json":`): the
    project prints there only when logs are not structured, on purpose."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(
            "log" in (n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")).lower()
            for n in ast.walk(node.test)
            if isinstance(n, (ast.Name, ast.Attribute))
        ):
            for statement in node.body:
                found.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))
    return found


def _is_scope(node: ast.AST) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))


def _statements_outside_main(tree: ast.Module) -> Iterator[ast.stmt]:
    for statement in tree.body:
        if not is_main_guard(statement):
            yield statement


# ruff's and flake8-print's code for `print` (`T201`, or the family `T20`)
_PRINT_NOQA = re.compile(r"#\s*noqa\s*:[^#\n]*\bT20(1)?\b", re.I)


def _allowed_prints(ctx: FileContext) -> set[int]:
    """The `print` calls the project allows by name: a `# noqa: T201` on one of their lines
    (ruff's flake8-print rule, which the team silenced there on purpose)."""
    if "T20" not in ctx.text:
        return set()
    lines = ctx.text.splitlines()
    allowed = {number for number, line in enumerate(lines, 1) if _PRINT_NOQA.search(line)}
    return {
        id(node)
        for node in ast.walk(ctx.tree)
        if isinstance(node, ast.Call)
        and allowed.intersection(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    }
