"""## What it does
Collects, across the project, the shape (the top-level keys) of every error response whose
keys are known, and reports once when there is more than one:

- `HTTPException(...)`: `{detail}` (FastAPI's body), or `{detail: {code, message}}` when the
  detail is a dict literal;
- `JSONResponse(...)` (also `ORJSONResponse`, `UJSONResponse`) with a dict literal as content,
  when the status is a literal >= 400 or it is built in an `@app.exception_handler` function.

When the project registers its own handler for `HTTPException`, `HTTPException`s are left out:
that handler's response is what clients see. The report lists each shape with how often it
appears and where first, and sits on the first occurrence of the first shape that is not the
most common one (test modules are left out).

## Why is this bad?
Clients should parse every error the same way. With `{"detail": ...}` from one route and
`{"error": ..., "code": ...}` from another, every client needs both code paths, and some error
will be shown to users as `undefined`.

## Example
```python
raise HTTPException(status_code=404, detail="Item not found")
...
return JSONResponse(status_code=409, content={"error": "Resource already exists"})
```

## Use instead
One shape everywhere, for instance the guide's:
```python
class ErrorResponse(BaseModel):
    error: str
    detail: str | None = None
    code: str | None = None
```
with exception handlers that all return it (a handler for `HTTPException` included).

## Fix safety
No fix: which shape to keep, and how to migrate clients, is a decision for the API's owners.

## Known problems
Only literal dicts are read: a response built from a model or a variable has no known shape
and is not counted. Optional keys (`{error}` and `{error, code}`) count as different shapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from fastapi_fixer.collectors.error_shapes import KEY, ErrorShape, ModuleErrorShapes
from fastapi_fixer.index import ProjectIndex
from fastapi_fixer.models import Diagnostic, Severity, Span
from fastapi_fixer.rule import FileContext, Rule
from fastapi_fixer.settings_fix import is_test_path

MAX_LISTED = 5


class InconsistentErrorShape(Rule):
    CODE = "FF502"
    NAME = "inconsistent-error-shape"
    SEVERITY = Severity.WARNING
    MESSAGE = "Error responses have {count} shapes across the project"
    TRIGGERS = ("HTTPException", "JSONResponse")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        own = ctx.facts.extra.get(KEY)
        if is_test_path(ctx.path) or not isinstance(own, ModuleErrorShapes) or not own.shapes:
            return
        found = ctx.index.memo("FF502.shapes", _project_shapes)
        counts = Counter(f[4].shape for f in found)
        if len(counts) < 2:
            return
        first = {}
        for item in found:
            first.setdefault(item[4].shape, item)
        ordered = sorted(counts, key=lambda s: (-counts[s], first[s][:3]))
        # `{detail, reason}` next to `{detail}` keeps every key clients read: an optional extra
        main = top_level_keys(ordered[0])
        odd = [shape for shape in ordered[1:] if not main <= top_level_keys(shape)]
        if not odd:
            return
        home = first[odd[0]]
        if home[0] != ctx.path:
            return
        listed = ", ".join(
            f"`{shape}` ({counts[shape]}x, first at {first[shape][3]}:{first[shape][1]})"
            for shape in ordered[:MAX_LISTED]
        )
        more = f" and {len(ordered) - MAX_LISTED} more" if len(ordered) > MAX_LISTED else ""
        message = (
            f"Error responses have {len(ordered)} shapes across the project: {listed}{more}; "
            "return one shape from every error (an exception handler per exception)"
        )
        line, col = home[1], home[2]
        yield Diagnostic(
            code=self.CODE,
            name=self.NAME,
            severity=self.SEVERITY,
            message=message,
            path=ctx.path,
            span=Span(line, ctx._char_col(line, col), line, ctx._char_col(line, col)),
        )


def top_level_keys(shape: str) -> frozenset[str]:
    """`{detail: {code, reason}}` -> {"detail"}; `{error, code}` -> {"error", "code"}."""
    inner = shape.strip()[1:-1]
    keys, depth, current = [], 0, ""
    for char in inner:
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        if char == "," and depth == 0:
            keys.append(current)
            current = ""
        else:
            current += char
    keys.append(current)
    return frozenset(k.split(":")[0].strip() for k in keys if k.strip())


def _project_shapes(index: ProjectIndex) -> list[tuple[str, int, int, str, ErrorShape]]:
    """Every error shape of the project's non-test code, by place (once per run)."""
    found: list[tuple[str, int, int, str, ErrorShape]] = []
    reshaped = False
    for module in index.modules.values():
        shapes = module.extra.get(KEY)
        if not isinstance(shapes, ModuleErrorShapes) or is_test_path(module.path):
            continue
        reshaped = reshaped or shapes.reshapes_http_exception
        for shape in shapes.shapes:
            found.append((module.path, shape.line, shape.col, module.module, shape))
    if reshaped:
        found = [f for f in found if not f[4].shape.startswith("{detail")]
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return found
