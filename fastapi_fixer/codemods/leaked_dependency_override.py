"""## What it does
Finds `app.dependency_overrides[...] = ...` (and `app.dependency_overrides.update(...)`) in test
modules (`test_*.py`, `*_test.py`, `conftest.py`, or under a `tests/` folder) that nothing
restores in a teardown: after the `yield` of a fixture (or context manager), in a `finally:`
block, in a cleanup callback (`request.addfinalizer`, `addCleanup`), in a `teardown_method` /
`tearDown` of the test's class or a module's `teardown_module`/`teardown_function`, or in the
teardown of a fixture the test requests (or an autouse one) of the module or of a `conftest.py`
above it. A restore is `.clear()`, `.pop(k)`, `del ...[k]` or assigning the dict again
(`app.dependency_overrides = {}`). Overrides made at module level are always reported.

## Why is this bad?
`dependency_overrides` is a plain dict on the app object, which lives for the whole test
session. An override that is not undone leaks into every later test — and a restore written at
the end of the test body is skipped as soon as an assertion above it fails, so later tests fail
or, worse, pass against the fake.

## Example
```python
def test_items_with_fake_db():
    app.dependency_overrides[get_db] = fake_db
    response = client.get("/items")
    assert response.status_code == 200
    app.dependency_overrides.clear()  # skipped when the assert fails
```

## Use instead
```python
@pytest.fixture
def fake_db_override():
    app.dependency_overrides[get_db] = fake_db
    yield
    app.dependency_overrides.clear()


def test_items_with_fake_db(fake_db_override):
    response = client.get("/items")
    assert response.status_code == 200
```
or `monkeypatch.setitem(app.dependency_overrides, get_db, fake_db)`, which pytest undoes.

## Fix safety
No fix: where the teardown belongs (a fixture, `try`/`finally`, `monkeypatch`) is a choice.

## Known problems
Any restore of the same app's overrides counts, whatever keys it removes. Not reported: apps
built inside the test itself (`app = FastAPI()`), and apps that reach the test through a fixture
that builds a new one per test or that the tool cannot see (a pytest plugin, a `conftest.py` with
no FastAPI words in it). Fixtures requested by other fixtures are not followed.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator

from fastapi_fixer.analysis.collectors.test_fixtures import (
    KEY,
    OVERRIDES,
    UNKNOWN,
    Fixture,
    TestFixtures,
    is_test_path,
    overrides_receiver,
    receiver_name,
    restored_receivers,
    teardown_statements,
)
from fastapi_fixer.analysis.facts import Resolver
from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

_Function = ast.FunctionDef | ast.AsyncFunctionDef
_CLASS_TEARDOWNS = frozenset(
    {"teardown_method", "teardown_class", "tearDown", "tearDownClass", "asyncTearDown"}
)


class LeakedDependencyOverride(Rule):
    CODE = "FF802"
    NAME = "leaked-dependency-override"
    SEVERITY = Severity.WARNING
    MESSAGE = "Dependency override on `{app}` is never undone"
    TRIGGERS = ("dependency_overrides",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if not is_test_path(ctx.path):
            return
        self.ctx = ctx
        self.visible = _visible_fixtures(ctx)
        own = ctx.facts.extra.get(KEY)
        self.module_teardown = own.module_teardown if isinstance(own, TestFixtures) else ()
        self.resolvers = {id(node): resolver for node, _, resolver in ctx.functions()}
        yield from self._walk(ctx.tree.body, ctx.resolver, None, None, [])

    # --- walking the module ----------------------------------------------------------------

    def _walk(
        self,
        body: list[ast.stmt],
        resolver: Resolver,
        function: _Function | None,
        owner: ast.ClassDef | None,
        finals: list[list[ast.stmt]],
    ) -> Iterator[Diagnostic]:
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = self.resolvers.get(id(statement), resolver)
                yield from self._walk(statement.body, inner, statement, owner, [])
                continue
            if isinstance(statement, ast.ClassDef):
                yield from self._walk(statement.body, resolver, None, statement, [])
                continue
            receiver = _override_receiver(statement)
            if receiver is not None and self._leaks(receiver, resolver, function, owner, finals):
                name = ast.unparse(receiver)
                later = function is not None and any(
                    ast.unparse(r) == name for r in restored_receivers(function.body)
                )
                what = (
                    "is undone only at the end of the test body (skipped when an assertion fails)"
                    if later
                    else "is never undone"
                )
                yield self.diagnostic(
                    self.ctx,
                    statement,
                    f"Dependency override on `{name}` {what}; restore `{name}.{OVERRIDES}` in a "
                    "fixture teardown (after `yield`) or a `finally:` block, or use "
                    "`monkeypatch.setitem`",
                )
            if isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
                inner_finals = [*finals, statement.finalbody]  # type: ignore[attr-defined]
                for block in (statement.body, statement.orelse):  # type: ignore[attr-defined]
                    yield from self._walk(block, resolver, function, owner, inner_finals)
                for handler in statement.handlers:  # type: ignore[attr-defined]
                    yield from self._walk(handler.body, resolver, function, owner, inner_finals)
                yield from self._walk(
                    statement.finalbody,  # type: ignore[attr-defined]
                    resolver,
                    function,
                    owner,
                    finals,
                )
                continue
            for field in ("body", "orelse"):
                block = getattr(statement, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield from self._walk(block, resolver, function, owner, finals)
            if isinstance(statement, ast.Match):
                for case in statement.cases:
                    yield from self._walk(case.body, resolver, function, owner, finals)

    # --- is this override undone? ----------------------------------------------------------

    def _leaks(
        self,
        receiver: ast.expr,
        resolver: Resolver,
        function: _Function | None,
        owner: ast.ClassDef | None,
        finals: list[list[ast.stmt]],
    ) -> bool:
        if resolver.local_app_kind(receiver) is not None:
            return False  # an app built in this function dies with it
        wanted = self._name(receiver_name(receiver, resolver))
        if self._restores(self.module_teardown, wanted):
            return False
        if function is None:
            return True
        restored = [
            receiver_name(r, resolver) for block in finals for r in restored_receivers(block)
        ]
        restored += [
            receiver_name(r, resolver) for r in restored_receivers(teardown_statements(function))
        ]
        if owner is not None:
            for method in owner.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    method.name in _CLASS_TEARDOWNS
                ):
                    restored += [
                        receiver_name(r, resolver) for r in restored_receivers(method.body)
                    ]
        if self._restores(restored, wanted):
            return False
        requested = {a.arg for a in [*function.args.posonlyargs, *function.args.args]}
        requested |= {a.arg for a in function.args.kwonlyargs}
        if isinstance(receiver, ast.Name) and receiver.id in requested:
            # the app comes from a fixture: unknown, or built anew for each test, is no leak
            provider = self.visible.get(receiver.id)
            if provider is None or (provider.fresh and provider.scope == "function"):
                return False
        for fixture in self.visible.values():
            if (fixture.autouse or fixture.name in requested) and self._restores(
                fixture.restores, wanted
            ):
                return False
        return True

    def _name(self, qualified: str) -> str:
        return qualified if qualified == UNKNOWN else self.ctx.index.resolve(qualified)

    def _restores(self, restored: Iterator[str] | tuple[str, ...] | list[str], wanted: str) -> bool:
        return any(
            name == UNKNOWN or wanted == UNKNOWN or self._name(name) == wanted for name in restored
        )


def _override_receiver(statement: ast.stmt) -> ast.expr | None:
    """``R`` when the statement sets `R.dependency_overrides[k] = v`, `.update(...)`, or assigns
    a non-empty dict literal to it."""
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            if isinstance(target, ast.Subscript):
                receiver = overrides_receiver(target.value)
                if receiver is not None:
                    return receiver
            receiver = overrides_receiver(target)
            value = statement.value
            if receiver is not None and isinstance(value, ast.Dict) and value.keys:
                return receiver
    if (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Attribute)
        and statement.value.func.attr in ("update", "setdefault")
    ):
        return overrides_receiver(statement.value.func.value)
    return None


def _visible_fixtures(ctx: FileContext) -> dict[str, Fixture]:
    """Fixtures a test of this module can request: its own, then those of the `conftest.py`
    files in its folder and above (nearer ones win)."""
    conftests = ctx.index.memo("FF802.conftests", _conftests)
    found: dict[str, Fixture] = {}
    own = ctx.facts.extra.get(KEY)
    sources = [own]
    directory = os.path.dirname(os.path.abspath(ctx.path))
    while True:
        name = conftests.get(os.path.join(directory, "conftest.py"))
        conftest = ctx.index.modules[name] if name is not None else None
        if conftest is not None and conftest.path != ctx.path:
            sources.append(conftest.extra.get(KEY))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for source in sources:
        if isinstance(source, TestFixtures):
            for fixture in source.fixtures:
                found.setdefault(fixture.name, fixture)
    return found


def _conftests(index: ProjectIndex) -> dict[str, str]:
    """Absolute path -> module name of every `conftest.py` (once per run)."""
    return {
        os.path.abspath(m.path): m.module
        for m in index.modules.values()
        if os.path.basename(m.path) == "conftest.py"
    }
