"""## What it does
Finds `uvicorn.run(..., reload=True)` at module level outside an
`if __name__ == "__main__":` block.

## Why is this bad?
A module-level `uvicorn.run` starts a server whenever the module is imported — by a test, by a
process manager, by another module — and `reload=True` watches the file system and restarts
on changes: a development convenience that costs CPU and restarts workers in production.

## Example
```python
app = FastAPI()
uvicorn.run("main:app", reload=True)
```

## Use instead
```python
app = FastAPI()

if __name__ == "__main__":
    uvicorn.run("main:app", reload=True)
```
and in production `gunicorn main:app -k uvicorn.workers.UvicornWorker` or `uvicorn main:app`
under a process manager.

## Fix safety
No fix: whether the module is meant to be run as a script is the author's call.

## Known problems
Calls inside functions (a `dev` command of a command-line tool, say) are not reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.analysis.facts import _own_statements, is_main_guard
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule


class DevServerInProduction(Rule):
    CODE = "FF905"
    NAME = "dev-server-in-production"
    SEVERITY = Severity.WARNING
    MESSAGE = '`uvicorn.run(..., reload=True)` outside `if __name__ == "__main__":`'
    TRIGGERS = ("reload",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        body = [s for s in ctx.tree.body if not is_main_guard(s)]
        for node in _own_statements(body):
            if (
                isinstance(node, ast.Call)
                and ctx.resolver.qualify(node.func) in ("uvicorn.run", "uvicorn.main.run")
                and any(
                    k.arg == "reload"
                    and not (isinstance(k.value, ast.Constant) and not k.value.value)
                    for k in node.keywords
                )
            ):
                yield self.diagnostic(
                    ctx,
                    node,
                    "`uvicorn.run(..., reload=True)` runs whenever this module is imported; "
                    'put it under `if __name__ == "__main__":`',
                )
