"""## What it does
Finds fields of request models — Pydantic models a route takes as its body, in any module, and
the models nested in their fields — that accept input of any size: a `str` with neither a
`max_length` nor a `pattern`, or a `list`/`set` with no `max_length`. A bound given by
`Field(max_length=...)`, `Field(pattern=...)`, `constr(...)`, `conlist(...)`,
`StringConstraints`, `annotated_types.MaxLen`, the model's `str_max_length` configuration or a
validator of the field that bounds it counts: one that checks `len()`, matches a regular
expression (`.match`/`.fullmatch`), tests membership in allowed values (`v not in (...)`) or
converts the value to an enumeration (`Backend(v)`), itself or through a module-level helper
it passes the value to.

Not reported: the bodies of routes only the instance's admins reach — a dependency named after
the admin role (`check_admin`, `get_current_active_superuser`) on the route, its router, the
`include_router` call that includes it, or behind another dependency. The operator editing their
own instance's settings is trusted. An admin of one tenant (the check depends on the current
workspace, tenant, organization or team) is a customer, not the operator: reported.

## Why is this bad?
Pydantic checks the type, not the size: a client can post a megabyte-long name or a list of a
million tags, and the application stores, logs or loops over it. Bounds are cheap protection
against abuse and accidental garbage, and they document the API in the OpenAPI schema.

## Example
```python
class CommentCreate(BaseModel):
    text: str
    tags: list[str] = []


@router.post("/comments")
async def create_comment(comment: CommentCreate): ...
```

## Use instead
```python
class CommentCreate(BaseModel):
    text: str = Field(max_length=2000)
    tags: list[str] = Field(default=[], max_length=20)
```

## Fix safety
No fix: the right bound depends on the data.

## Known problems
Only the models' annotated fields are looked at; bounds enforced elsewhere (a
`model_validator`, the web server's request size limit) are not seen. The items of a bounded
list are not checked. Models and routes in test modules (`tests/`, `test_*.py`,
`conftest.py`) are left out. An admin check is recognised by its name: one named otherwise
(`check_permissions("settings:write")`, a factory) is not seen, so its routes stay reported.
The bodies of an app served on a port the system picks (`uvicorn.Config(app, port=0)`, a
CLI's one-shot login callback) are not reported either.
A model's own file is checked only when its text mentions
`BaseModel`, `SQLModel`, `pydantic`, `Schema`, `Model)` or `Field(` (the text prefilter), so a
file of models that only subclass a project base named otherwise is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.model_field_details import KEY as DETAILS_KEY
from fastapi_fixer.analysis.collectors.model_field_details import (
    ClassDetail,
    FieldDetail,
    FieldDetails,
)
from fastapi_fixer.analysis.collectors.routing import admin_only, transient
from fastapi_fixer.analysis.paths import is_test_path
from fastapi_fixer.analysis.pydantic_index import config_of, is_model, is_settings, lineage
from fastapi_fixer.models import Diagnostic, Severity, Span
from fastapi_fixer.rule import FileContext, Rule

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex

# files that hold models: the classes' own files must be checked for their fields to be reported
MODEL_TRIGGERS = ("BaseModel", "SQLModel", "pydantic", "Schema", "Model)", "Field(")
_STR_LIMITS = ("str_max_length", "max_anystr_length")


@dataclass
class RequestModels:
    """The project's request models, computed once per index."""

    details: dict[str, ClassDetail] = field(default_factory=dict)
    # body model -> the (route function, parameter) taking it
    body: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # nested request model -> the body model it was reached from
    nested: dict[str, str] = field(default_factory=dict)
    # (class defining the field, field name) -> request models in which that field is in effect
    effective: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    body_examples: set[tuple[str, str]] = field(default_factory=set)

    def fields(self, model: str, index: ProjectIndex) -> list[tuple[str, FieldDetail]]:
        """Every field of the model with the class defining it, bases first."""
        merged: dict[str, tuple[str, FieldDetail]] = {}
        for name in reversed(list(lineage(index, model))):
            detail = self.details.get(name)
            if detail is not None:
                for item in detail.fields:
                    merged.pop(item.name, None)
                    merged[item.name] = (name, item)
        return list(merged.values())


def request_models(index: ProjectIndex) -> RequestModels:
    """Every route's body models, and the models nested in them (FF406 too)."""
    return index.memo("FF607.request_models", _every_body)


def untrusted_request_models(index: ProjectIndex) -> RequestModels:
    """As `request_models`, without the bodies of routes only the instance's admins reach."""
    return index.memo("FF607.untrusted_request_models", _untrusted_bodies)


def body_uses(index: ProjectIndex, model: str) -> tuple[tuple[str, str], ...]:
    """The (route function, parameter) pairs taking ``model`` as their body (`index.ask` it:
    a check that finds none for its models reads only this, not the whole table)."""
    return tuple(request_models(index).body.get(model, ()))


def untrusted_effective(index: ProjectIndex, owner: str, name: str) -> frozenset[str] | None:
    """The untrusted request models in which the field ``name`` that ``owner`` defines is in
    effect (`index.ask` it, as `body_uses`)."""
    found = untrusted_request_models(index).effective.get((owner, name))
    return frozenset(found) if found else None


def reached_through(index: ProjectIndex, *models: str) -> tuple[str, str]:
    """For a field in effect in the untrusted request ``models`` (in order): the body model it
    is reached through, and the name of a route taking that body (`index.ask` it: a check
    reads this, not the whole table)."""
    requests = untrusted_request_models(index)
    body = [m for m in models if m in requests.body]
    via = body[0] if body else requests.nested.get(models[0], models[0])
    return via, requests.body.get(via, [("?", "?")])[0][0].rpartition(".")[2]


def _every_body(index: ProjectIndex) -> RequestModels:
    return _compute(index, admins=True)


def _untrusted_bodies(index: ProjectIndex) -> RequestModels:
    return _compute(index, admins=False)


def _compute(index: ProjectIndex, admins: bool) -> RequestModels:
    found = RequestModels()
    for module in sorted(index.modules.values(), key=lambda m: m.module):
        details = module.extra.get(DETAILS_KEY)
        if not isinstance(details, FieldDetails):
            continue
        found.details.update(details.classes)
        if is_test_path(module.path):
            continue
        for param in details.bodies:
            routes = index.routes_of(param.function)
            if not routes or all(r.method == "websocket" for r in routes):
                continue
            if not admins and admin_only(index, param.function):
                continue  # the operator editing their own instance: trusted input
            if not admins and all(transient(index, r.receiver) for r in routes):
                continue  # a CLI's one-shot local callback server: not a service
            if param.examples:
                found.body_examples.add((param.function, param.name))
            for ref in param.refs:
                resolved = index.resolve(ref)
                if is_model(index, resolved) and not is_settings(index, resolved):
                    uses = found.body.setdefault(resolved, [])
                    if (param.function, param.name) not in uses:
                        uses.append((param.function, param.name))
    pending = sorted(found.body)
    seen = set(pending)
    while pending:
        model = pending.pop(0)
        origin = found.nested.get(model, model)
        for owner, item in found.fields(model, index):
            found.effective.setdefault((owner, item.name), set()).add(model)
            for ref in item.refs:
                resolved = index.resolve(ref)
                if resolved in seen or not is_model(index, resolved):
                    continue
                if is_settings(index, resolved):
                    continue
                seen.add(resolved)
                found.nested[resolved] = origin
                pending.append(resolved)
    return found


def field_span(detail: FieldDetail) -> Span:
    return Span(detail.line, detail.col, detail.line, detail.col + len(detail.name))


class UnboundedInput(Rule):
    CODE = "FF607"
    NAME = "unbounded-input"
    SEVERITY = Severity.WARNING
    MESSAGE = "Request field `{model}.{field}` is a `{kind}` with no `max_length`"
    TRIGGERS = MODEL_TRIGGERS

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        details = ctx.facts.extra.get(DETAILS_KEY)
        if not isinstance(details, FieldDetails) or not details.classes:
            return
        if is_test_path(ctx.path):
            return
        for qualname, detail in details.classes.items():
            for item in detail.fields:
                if item.bounded or item.kind not in ("str", "list"):
                    continue
                models = ctx.index.ask(untrusted_effective, qualname, item.name)
                if not models:
                    continue
                if item.kind == "str" and all(
                    any(key in config_of(ctx.index, model) for key in _STR_LIMITS)
                    for model in models
                ):
                    continue
                yield self._report(ctx, detail, item, set(models))

    def _report(
        self,
        ctx: FileContext,
        detail: ClassDetail,
        item: FieldDetail,
        models: set[str],
    ) -> Diagnostic:
        if item.kind == "str":
            what = "a `str` with no `max_length` or `pattern`"
            advice = "`Field(max_length=...)` or a `pattern`"
        else:
            what = "a list with no `max_length`"
            advice = "`Field(max_length=...)`"
        via, route = ctx.index.ask(reached_through, *sorted(models))
        context = f"the body of `{route}`"
        if via != detail.qualname:
            context += f" (through `{via.rpartition('.')[2]}`)"
        message = (
            f"Request field `{detail.name}.{item.name}` is {what}, so {context} accepts input of "
            f"any size; add {advice}"
        )
        return Diagnostic(
            code=self.CODE,
            name=self.NAME,
            severity=self.SEVERITY,
            message=message,
            path=ctx.path,
            span=field_span(item),
        )
