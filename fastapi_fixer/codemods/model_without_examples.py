"""## What it does
Finds request models — Pydantic models a route takes as its body, in any module — whose fields
give no examples: no `Field(examples=[...])` (or v1 `example=`), no example in the model's
configuration (`json_schema_extra`, v1 `schema_extra`), and no `Body(examples=...)` /
`openapi_examples=` on the routes that take it. Reported once per model, on the class, listing
the fields without examples. A field whose type is a closed set of values — `bool`,
`Literal[...]`, an `Enum` subclass, also optional — needs no example (the schema already lists
every allowed value): it is not counted, and a model with only such fields is not reported.
Neither is a field whose type is another Pydantic model (`name: NameFilter | None`): the nested
model's own fields carry the examples, and the docs show them inside this model's schema.

## Why is this bad?
Swagger UI shows the examples next to the schema and pre-fills "Try it out" with them. Without
them consumers see `"string"` and `0` and must guess the expected formats.

## Example
```python
class AnimalCreate(BaseModel):
    name: str = Field(min_length=2)
    date_of_birth: date


@router.post("/animals")
async def create_animal(animal: AnimalCreate): ...
```

## Use instead
```python
class AnimalCreate(BaseModel):
    name: str = Field(min_length=2, examples=["Simba", "Nala"])
    date_of_birth: date = Field(examples=["2020-01-15"])
```

## Fix safety
No fix: examples are the author's to write.

## Known problems
Models nested in a request model's fields are not reported. An example built outside the
class body or its configuration (a `json_schema_extra` function defined elsewhere, a
`model_json_schema` override) is not seen. Models and routes in test modules (`tests/`, `test_*.py`,
`conftest.py`) are left out, and so are routes that appear in no OpenAPI document (their app is
built with `openapi_url=None` or served on a port the system picks, their router with
`include_in_schema=False` or included only that way, or every decorator of the route passes
`include_in_schema=False`). A model's own file is checked only when its text mentions
`BaseModel`, `SQLModel`, `pydantic`, `Schema`, `Model)` or `Field(` (the text prefilter), so a
file of models that only subclass a project base named otherwise is not reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.model_field_details import KEY as DETAILS_KEY
from fastapi_fixer.analysis.collectors.model_field_details import FieldDetail, FieldDetails
from fastapi_fixer.analysis.pydantic_index import is_model, lineage
from fastapi_fixer.codemods.unbounded_input import (
    MODEL_TRIGGERS,
    body_uses,
    is_test_path,
    request_models,
)
from fastapi_fixer.codemods.undocumented_route import in_schema
from fastapi_fixer.models import Diagnostic, Severity, Span
from fastapi_fixer.rule import FileContext, Rule

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex

_SHOWN = 4


class ModelWithoutExamples(Rule):
    CODE = "FF406"
    NAME = "model-without-examples"
    SEVERITY = Severity.INFO
    MESSAGE = "Request model `{model}` has no examples for {count} fields"
    TRIGGERS = MODEL_TRIGGERS

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        details = ctx.facts.extra.get(DETAILS_KEY)
        if not isinstance(details, FieldDetails) or not details.classes:
            return
        if is_test_path(ctx.path):
            return
        index = ctx.index
        for qualname, detail in details.classes.items():
            found = index.ask(missing_examples, qualname)
            if found is None:
                continue
            route, missing, count = found
            shown = ", ".join(f"`{name}`" for name in missing[:_SHOWN])
            if len(missing) > _SHOWN:
                shown += f" and {len(missing) - _SHOWN} more"
            message = (
                f"Request model `{detail.name}` (the body of `{route}`) gives no examples for "
                f"{len(missing)} of {count} fields ({shown}): add "
                "`Field(examples=[...])` so the docs show realistic values"
            )
            yield Diagnostic(
                code=self.CODE,
                name=self.NAME,
                severity=self.SEVERITY,
                message=message,
                path=ctx.path,
                span=_class_span(ctx, detail.line, detail.name),
            )


def missing_examples(index: ProjectIndex, qualname: str) -> tuple[str, tuple[str, ...], int] | None:
    """For a request model documented without examples: the first route taking it, the
    fields without examples and how many fields it has; None when there is nothing to say
    (`index.ask` it: a check reads this answer per model, not the project's request table,
    which a fix of any model changes)."""
    uses = [use for use in body_uses(index, qualname) if _documented(index, use[0])]
    if not uses:
        return None
    requests = request_models(index)
    if all(use in requests.body_examples for use in uses):
        return None
    if any(
        requests.details[name].class_examples
        for name in lineage(index, qualname)
        if name in requests.details
    ):
        return None
    fields = requests.fields(qualname, index)
    missing = tuple(
        item.name
        for _, item in fields
        if not item.examples and not _closed(index, item) and not _nested(index, item)
    )
    if not fields or not missing:
        return None
    return uses[0][0].rpartition(".")[2], missing, len(fields)


_ENUM_ROOTS = frozenset({"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"})


def _closed(index: ProjectIndex, item: FieldDetail) -> bool:
    """The field's type is a closed set of values the schema already lists (`bool`,
    `Literal[...]`, an `Enum` subclass, also optional): an example adds nothing."""
    if item.choice in ("bool", "literal"):
        return True
    return bool(item.choice) and any(
        base.startswith("enum.") or base.rpartition(".")[2] in _ENUM_ROOTS
        for base in list(lineage(index, item.choice))[1:]
    )


def _nested(index: ProjectIndex, item: FieldDetail) -> bool:
    """The field's type is a Pydantic model (also optional): its own fields carry the
    examples, and Swagger UI shows them inside this model's schema."""
    if not item.choice or item.choice in ("bool", "literal"):
        return False
    return is_model(index, index.resolve(item.choice) or item.choice)


def _documented(index: ProjectIndex, function: str) -> bool:
    """Some route of the function appears in an OpenAPI document (its decorator does not pass
    `include_in_schema=False`, its app or router is not built with `openapi_url=None` /
    `include_in_schema=False` nor included only hidden)."""
    return any(
        route.method != "websocket" and not route.hidden and in_schema(index, route.receiver)
        for route in index.routes_of(function)
    )


def _class_span(ctx: FileContext, line: int, name: str) -> Span:
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.ClassDef) and node.lineno == line and node.name == name:
            return ctx.span(node)
    return Span(line, 0, line, 0)
