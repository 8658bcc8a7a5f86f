"""## What it does
Finds `Depends(f, use_cache=False)` / `Security(f, use_cache=False)` where `f` is a project
function without side effects: a module-level plain `def` (in any module) whose body only calls
pure functions (builtins, `json`, `re`, `jwt.decode`, str/dict/list methods of plain data, other
such project functions) and never a source of fresh values (`uuid.uuid4`, `secrets.*`,
`random.*`, `datetime.now`, `time.time`, ...).

## Why is this bad?
FastAPI runs a dependency once per request and shares the result with every route parameter
and sub-dependency that asks for it. `use_cache=False` makes it run again at each use: for a
function that computes the same value from the same inputs, that is only wasted work.
`use_cache=False` is for dependencies that must give each user a fresh value.

## Example
```python
def parse_filters(q: str | None = None) -> dict:
    return {"q": q}


@router.get("/items")
async def list_items(filters: Annotated[dict, Depends(parse_filters, use_cache=False)]): ...
```

## Use instead
```python
@router.get("/items")
async def list_items(filters: Annotated[dict, Depends(parse_filters)]): ...
```

## Fix safety
No fix: whether a fresh value is wanted is a design decision; the message suggests dropping
`use_cache=False`.

## Known problems
`async def` dependencies, classes, methods and decorated functions are not judged (never
reported). Attribute reads are assumed free of side effects; a dependency that mutates an
argument it receives (`request.state.x = ...`) through a pure-looking call is not recognised.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.analysis.collectors.pure_functions import KEY as PURE_KEY
from fastapi_fixer.analysis.collectors.pure_functions import Purity
from fastapi_fixer.analysis.collectors.routing import is_test_module
from fastapi_fixer.analysis.facts import DEPENDS_CALLS
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

# pure in FF104's sense (no I/O) but a new value at each call: a reason for `use_cache=False`
FRESH_VALUES = (
    "uuid.",
    "secrets.",
    "random.",
    "os.urandom",
    "time.",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "itertools.count",
    "builtins.next",
    "builtins.id",
)


class DependsUseCacheMisuse(Rule):
    CODE = "FF304"
    NAME = "depends-use-cache-misuse"
    SEVERITY = Severity.INFO
    MESSAGE = "`Depends({function}, use_cache=False)` on a dependency without side effects"
    TRIGGERS = ("use_cache",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return
        known: dict[str, bool] = {}
        for node in ast.walk(ctx.tree):
            if not isinstance(node, ast.Call) or not _no_cache(node):
                continue
            if ctx.resolver.qualify(node.func) not in DEPENDS_CALLS:
                continue
            target = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg == "dependency":
                    target = keyword.value
            qualified = ctx.resolver.qualify(target) if target is not None else None
            if qualified is None:
                continue
            function = ctx.index.resolve(qualified)
            if not self._side_effect_free(ctx, function, known):
                continue
            name = function.rpartition(".")[2]
            message = (
                f"`use_cache=False` on `{name}`, which has no side effects: it runs again at "
                "each use for the same result; drop `use_cache=False`"
            )
            yield self.diagnostic(ctx, node, message)

    def _side_effect_free(self, ctx: FileContext, qualname: str, known: dict[str, bool]) -> bool:
        if qualname in known:
            return known[qualname]
        known[qualname] = False  # cycles count as impure
        module = ctx.index.modules.get(qualname.rpartition(".")[0])
        purity = module.extra.get(PURE_KEY, {}).get(qualname) if module is not None else None
        facts = ctx.index.functions.get(qualname)
        result = (
            isinstance(purity, Purity)
            and facts is not None
            and purity.locally_pure
            and not purity.decorated
            and not any(call.startswith(FRESH_VALUES) for call in facts.calls)
            and all(self._side_effect_free(ctx, ctx.index.resolve(t), known) for t in purity.needs)
        )
        known[qualname] = result
        return result


def _no_cache(call: ast.Call) -> bool:
    return any(
        k.arg == "use_cache" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )
