"""## What it does
Finds routes that read a whole file or query result into memory to return it: a returned value
(directly, inside a `Response(...)`, or through a name assigned in the route) that comes from
`.read()`, `.read_bytes()`, `.read_text()`, `.fetchall()` or `.getvalue()` of a CSV/`StringIO`
buffer built in the route.

## Why is this bad?
The whole payload sits in memory before the first byte goes out: a large export or download
makes the worker's memory grow with the file, and the client waits for all of it.

## Example
```python
@router.get("/export")
def export():
    rows = db.execute(query).fetchall()
    return Response(to_csv(rows), media_type="text/csv")
```

## Use instead
```python
@router.get("/export")
async def export():
    async def generate():
        async for row in db.stream(query):
            yield to_csv_line(row)

    return StreamingResponse(generate(), media_type="text/csv")
```
or `FileResponse(path)` for a file on disk.

## Fix safety
No fix: streaming needs a generator that fits the data source.

## Known problems
Only the route's own statements are followed; a helper that reads everything and returns it is
not seen. `await upload.read()` of a request's `UploadFile` is not a response and is not reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.analysis.facts import Resolver, _own_statements
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

_READ_ALL = frozenset({"read", "read_bytes", "read_text", "fetchall", "getvalue"})
_STREAMING = frozenset(
    {
        "fastapi.responses.StreamingResponse",
        "starlette.responses.StreamingResponse",
        "fastapi.responses.FileResponse",
        "starlette.responses.FileResponse",
    }
)


class UnstreamedLargeResponse(Rule):
    CODE = "FF902"
    NAME = "unstreamed-large-response"
    SEVERITY = Severity.WARNING
    MESSAGE = "Route `{route}` reads the whole payload into memory (`.{call}()`) to return it"
    TRIGGERS = ("read", "fetchall", "getvalue")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        for node, qualname, resolver in ctx.functions():
            if not ctx.index.is_route(qualname):
                continue
            statements = _own_statements(node.body)
            reads: dict[str, str] = {}  # name -> the reading method it was assigned from
            for statement in statements:
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target = statement.targets[0]
                    method = _read_all_call(statement.value)
                    if isinstance(target, ast.Name) and method is not None:
                        reads[target.id] = method
            for statement in statements:
                if not isinstance(statement, ast.Return) or statement.value is None:
                    continue
                method = self._returned_read(statement.value, reads, resolver)
                if method is not None:
                    yield self.diagnostic(
                        ctx,
                        statement,
                        f"Route `{node.name}` reads the whole payload into memory "
                        f"(`.{method}()`) to return it; stream it with `StreamingResponse` "
                        "or `FileResponse`",
                    )

    def _returned_read(
        self, value: ast.expr, reads: dict[str, str], resolver: Resolver
    ) -> str | None:
        if isinstance(value, ast.Call) and resolver.qualify(value.func) in _STREAMING:
            return None
        candidates = [value]
        if isinstance(value, ast.Call) and _read_all_call(value) is None:
            # Response(content=...), Response(data, ...)
            candidates = [*value.args[:1], *(k.value for k in value.keywords if k.arg == "content")]
        for candidate in candidates:
            method = _read_all_call(candidate)
            if method is None and isinstance(candidate, ast.Name):
                method = reads.get(candidate.id)
            if method is not None:
                return method
        return None


def _read_all_call(value: ast.expr | None) -> str | None:
    """`x.read()` and friends without a size argument (an `await` of one is an upload read)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in _READ_ALL
        and not value.args
        and not value.keywords
    ):
        return value.func.attr
    return None
