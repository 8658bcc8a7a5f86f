"""## What it does
Finds plain `def` dependencies (functions reached through `Depends(...)`/`Security(...)`) whose
body does no I/O: every call is on a pure allow-list — builtins such as `len`/`int`/`str`,
exceptions including `HTTPException`, `jwt.decode`, `json`, `re`, `base64`, `hmac`, `secrets`,
`datetime` — a str/dict/list method of plain data, or a project function that is pure in turn
(in any module). Dependencies defined in test modules (`test_*.py`, `*_test.py`,
`conftest.py`, or under a `tests/` folder) are not reported: a test app serves no production
traffic, and its sync dependencies often exist to exercise FastAPI's sync path.

## Why is this bad?
FastAPI runs every plain `def` dependency in its threadpool: a thread hand-off per request for
work that takes microseconds, and threads taken from the pool that blocking routes need.

## Example
```python
def get_current_user_id(token: Annotated[str, Depends(oauth2_scheme)]) -> int:
    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    return payload["user_id"]
```

## Use instead
```python
async def get_current_user_id(token: Annotated[str, Depends(oauth2_scheme)]) -> int:
    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    return payload["user_id"]
```

## Fix safety
Safe when the function is used only through `Depends`/`Security` anywhere in the project: FastAPI
then awaits it instead of running it in a thread, with the same result. When code also calls it,
passes it around or uses it as a `dependency_overrides` key, the fix is not offered: a direct call
would get a coroutine. Generator dependencies are changed only when the result is a valid async
generator (no `yield from`, no `return value`).

## Known problems
Only module-level functions without decorators are checked. A call whose target is unknown makes
the dependency impure, so does a loop over an object of unknown type, a `with` statement or a
nested function: many pure dependencies are not reported. Attribute reads are assumed pure: a
property or an ORM relationship that loads lazily (`user.organization`) does I/O unseen.
Direct uses in files that are not checked (tests outside the given paths) are not seen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.pure_functions import KEY, Purity
from fastapi_fixer.analysis.paths import is_test_path
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst


class SyncDependencyWithoutIo(Rule):
    CODE = "FF104"
    NAME = "sync-dependency-without-io"
    SEVERITY = Severity.WARNING
    MESSAGE = "Plain `def` dependency `{function}` does no I/O but runs in the threadpool"
    FIX_TITLE = "Make `{function}` an `async def`"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("def ",)  # the dependency's own module need not mention `Depends`

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path):  # a test app's dependencies serve no production traffic
            return
        purity: dict[str, Purity] = ctx.facts.extra.get(KEY, {})  # type: ignore[assignment]
        nodes = {node.name: node for node in ctx.tree.body if isinstance(node, ast.FunctionDef)}
        known: dict[str, bool] = {}
        for qualname, facts in purity.items():
            if not (facts.asyncable and ctx.index.is_dependency(qualname)):
                continue
            if ctx.index.is_route(qualname) or not self._is_pure(ctx, qualname, known):
                continue
            node = nodes[qualname.rpartition(".")[2]]
            name = node.name
            message = f"Plain `def` dependency `{name}` does no I/O but runs in the threadpool"
            if ctx.index.is_referenced(qualname):
                message += f"; `{name}` is also used outside `Depends`: make those uses await it"
                yield self.diagnostic(ctx, node, message + ", then declare it `async def`")
                continue
            fix = Fix(
                title=f"Make `{name}` an `async def`",
                safety=FixSafety.SAFE,
                edits=(Edit(ctx.path, "asyncify", ctx.span(node)),),
            )
            yield self.diagnostic(ctx, node, message, fix)

    def _is_pure(self, ctx: FileContext, qualname: str, known: dict[str, bool]) -> bool:
        """No I/O in the function nor in the project functions it calls (cycles count as
        impure)."""
        if qualname in known:
            return known[qualname]
        known[qualname] = False
        module = ctx.index.modules.get(qualname.rpartition(".")[0])
        facts = module.extra.get(KEY, {}).get(qualname) if module is not None else None
        pure = (
            isinstance(facts, Purity)
            and facts.locally_pure
            and not facts.decorated
            and all(self._is_pure(ctx, ctx.index.resolve(t), known) for t in facts.needs)
        )
        known[qualname] = pure
        return pure

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import rewrite_at, start_only

        def asyncify(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
            assert isinstance(node, cst.FunctionDef)
            return node.with_changes(asynchronous=cst.Asynchronous())

        targets = {("FunctionDef", start_only(e.span)): asyncify for e in edits if e.span}
        return rewrite_at(module, targets)
