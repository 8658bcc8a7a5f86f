"""The pytest fixtures of a test module or `conftest.py`, for FF801 and FF802: each fixture's
name, scope, whether it is autouse, the `dependency_overrides` it restores in its teardown, and
whether it builds a fresh object each time (`return create_app()`).

Stored as ``facts.extra["test_fixtures"]``: a `TestFixtures`, or None for modules that are not
test modules (`test_*.py`, `*_test.py`, `conftest.py`, or under a `tests/` folder).
Receivers are qualified as the module sees them (resolve them with ``index.resolve``); one the
collector cannot name is ``?`` (it matches any receiver).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes, walk
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "test_fixtures"
UNKNOWN = "?"
OVERRIDES = "dependency_overrides"
_TEST_FILE = re.compile(r"(^|/)tests/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")
_FIXTURES = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
_CLEANUP_CALLS = frozenset({"addfinalizer", "addCleanup", "add_cleanup", "callback"})


def is_test_path(path: str) -> bool:
    return bool(_TEST_FILE.search(path.replace("\\", "/")))


@dataclass(frozen=True)
class Fixture:
    name: str  # as tests request it (`name=` of the decorator, else the function's name)
    function: str  # the function's own name
    line: int
    scope: str  # "function" unless `scope=` says otherwise ("?" when not a literal)
    autouse: bool
    restores: tuple[str, ...]  # receivers whose `dependency_overrides` its teardown restores
    fresh: bool  # returns/yields a call's result built in the fixture (a new object per use)


@dataclass(frozen=True)
class TestFixtures:
    fixtures: tuple[Fixture, ...]
    module_teardown: tuple[str, ...]  # restored by `teardown_module`/`teardown_function`


def fixture_decorator(decorator: ast.expr, resolver: Resolver) -> ast.expr | None:
    """The decorator itself when it is `@pytest.fixture` / `@pytest.fixture(...)`."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return decorator if resolver.qualify(target) in _FIXTURES else None


def fixture_options(decorator: ast.expr) -> tuple[str | None, str, bool]:
    """(`name=`, `scope=`, `autouse=`) of a fixture decorator."""
    name, scope, autouse = None, "function", False
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            value = keyword.value
            literal = value.value if isinstance(value, ast.Constant) else UNKNOWN
            if keyword.arg == "name" and isinstance(literal, str):
                name = literal
            elif keyword.arg == "scope":
                scope = literal if isinstance(literal, str) else UNKNOWN
            elif keyword.arg == "autouse":
                autouse = literal is not False
    return name, scope, autouse


def overrides_receiver(node: ast.expr) -> ast.expr | None:
    """``R`` when ``node`` is `R.dependency_overrides`."""
    if isinstance(node, ast.Attribute) and node.attr == OVERRIDES:
        return node.value
    return None


def receiver_name(node: ast.expr, resolver: Resolver) -> str:
    qualified = resolver.qualify(node)
    if qualified is None or qualified.startswith("builtins."):
        return UNKNOWN
    return qualified


def restored_receivers(nodes: list[ast.stmt] | list[ast.AST]) -> Iterator[ast.expr]:
    """Receivers whose `dependency_overrides` these statements restore: `.clear()`, `.pop(k)`,
    `del ...[k]`, `... = <anything>`, or a cleanup callback that mentions them."""
    for statement in nodes:
        for node in walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = overrides_receiver(node.func.value)
                if receiver is not None and node.func.attr in ("clear", "pop"):
                    yield receiver
                elif node.func.attr in _CLEANUP_CALLS:
                    for argument in walk(node):
                        if isinstance(argument, ast.Attribute) and argument.attr == OVERRIDES:
                            yield argument.value
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    if isinstance(target, ast.Subscript):
                        receiver = overrides_receiver(target.value)
                        if receiver is not None:
                            yield receiver
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    receiver = overrides_receiver(target)
                    if receiver is not None:
                        yield receiver


def teardown_statements(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """What runs when a generator fixture (or context manager) is torn down: the statements after
    its first `yield`, plus every `finally:` block and cleanup callback of the function."""
    found: list[ast.AST] = []
    yield_line = None
    for node in walk(function):
        if isinstance(node, (ast.Yield, ast.YieldFrom)) and (
            yield_line is None or node.lineno < yield_line
        ):
            yield_line = node.lineno
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            found.extend(node.finalbody)  # type: ignore[attr-defined]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _CLEANUP_CALLS
        ):
            found.append(node)
    if yield_line is not None:
        for node in walk(function):
            if isinstance(node, ast.stmt) and node.lineno > yield_line:
                found.append(node)
    return found


def _fresh(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    built: set[str] = set()
    values: list[ast.expr] = []
    for node in walk(function):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            built.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    built.add(item.optional_vars.id)
        elif isinstance(node, (ast.Return, ast.Yield)) and node.value is not None:
            values.append(node.value)
    return bool(values) and all(
        isinstance(v, ast.Call) or (isinstance(v, ast.Name) and v.id in built) for v in values
    )


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> TestFixtures | None:
    if not is_test_path(facts.path):
        return None
    fixtures: list[Fixture] = []
    module_teardown: list[str] = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if node.name in ("teardown_module", "teardown_function"):
            module_teardown.extend(
                receiver_name(r, resolver) for r in restored_receivers(node.body)
            )
            continue
        decorator = next(
            (d for d in node.decorator_list if fixture_decorator(d, resolver) is not None), None
        )
        if decorator is None:
            continue
        name, scope, autouse = fixture_options(decorator)
        restores = tuple(
            dict.fromkeys(
                receiver_name(r, resolver)
                for r in restored_receivers(teardown_statements(node))  # type: ignore[arg-type]
            )
        )
        fixtures.append(
            Fixture(
                name=name or node.name,
                function=node.name,
                line=node.lineno,
                scope=scope,
                autouse=autouse,
                restores=restores,
                fresh=_fresh(node),
            )
        )
    return TestFixtures(tuple(fixtures), tuple(dict.fromkeys(module_teardown)))
