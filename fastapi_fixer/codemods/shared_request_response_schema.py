"""## What it does
Finds Pydantic models (subclasses of `pydantic.BaseModel`, also through project base classes) that
one route takes as its request body and a route returns as its response — `response_model=User`,
`-> User`, `list[User]`, or a returned `User(...)` when the route declares nothing else — in any
module of the project.

## Why is this bad?
A request schema describes what a client may send; a response schema what the server shows. One
class for both lets clients send server-generated fields (`id`, `created_at`) and makes every
field a client sends part of the response — a `password` in a create request comes back out.
The two cannot evolve separately.

## Example
```python
class User(BaseModel):
    id: int
    email: str
    password: str


@router.post("/users", response_model=User)
def create_user(user: User): ...
```

## Use instead
```python
class UserCreate(BaseModel):
    email: str
    password: str


class UserResponse(BaseModel):
    id: int
    email: str


@router.post("/users", response_model=UserResponse)
def create_user(user: UserCreate): ...
```

## Fix safety
Unsafe. The fix derives `<Name>Create` (without the server-generated fields: `id`, the model's own
key `<snake_name>_id` — other `*_id` fields such as `owner_id` are the client's to send — and
`created_at`, `updated_at`) and `<Name>Response` (without the secret fields FF204 looks for; a
name already ending in `Response` gives `<Base>PublicResponse`), both right after the original
class, copied from it with the same bases, config and validators (validators of dropped fields
only are left out, and so are the methods and properties that read a dropped field, e.g.
`verify_password` of a model without `password_hash`). Every route in every module then takes the
Create model as its body and declares the Response model as its response (`response_model=`,
return annotation, returned constructors), importing the new names where needed. The original
class is kept: services, tests or other projects may still use it. What changes for clients:
requests no longer require the dropped fields and ignore them when sent (reject them when the
model forbids extra fields), responses no longer contain the secret fields, and the OpenAPI
document has the two new schemas in place of the shared one. No fix is offered when no field
looks server-generated (the Create model would be a copy of the original), when a method that
reads a dropped field cannot be left out (`__init__`, a `computed_field` or `model_serializer`),
when `<Name>Create`/`<Name>Response` already exist or mean something else where they are needed,
when a route reads a dropped field of its body (`user.id`) or returns its body as the response,
when a dropped field is inherited from a base class, when the model forbids extra fields and a
route builds the response with its constructor, or when code of the project tests objects against
the model (`isinstance(x, User)`, `issubclass`, `case User()`, `type(x) is User`): the split
models are siblings of it, not subclasses (a subclass cannot drop fields), so such a test would
turn false for the request bodies and constructed responses.

## Known problems
Only module-level classes and module-level route functions are looked at; names in string
annotations are not seen. A method that reads a dropped field through a helper of another
class, or through `getattr(self, name)`, is kept. Fields are recognised by name only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.schema_usage import KEY, SchemaUsage
from fastapi_fixer.fixing.schema_split import (
    CREATE,
    RESPONSE,
    Conflict,
    EditSet,
    Model,
    ProjectSchemas,
    Usages,
    apply_schema_edits,
    check_inherited,
    derive_edit,
    dropped_members,
    model_uses,
    project_schemas,
    response_derivation,
    server_fields,
    where_body,
    where_constructor,
    where_response,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex


def class_checks(index: ProjectIndex) -> dict[str, str]:
    """Every class the project's code tests objects or types against (`isinstance(x, User)`,
    `issubclass`, `case User()`, `type(x) is User`), resolved: class -> the first module that
    does."""
    found: dict[str, str] = {}
    for module in sorted(index.modules.values(), key=lambda m: m.module):
        usage = module.extra.get(KEY)
        if isinstance(usage, SchemaUsage):
            for name in getattr(usage, "class_checks", ()):
                found.setdefault(index.resolve(name), module.module)
    return found


class SharedRequestResponseSchema(Rule):
    CODE = "FF203"
    NAME = "shared-request-response-schema"
    SEVERITY = Severity.WARNING
    MESSAGE = "Model `{model}` is both a request body and a response"
    FIX_TITLE = "Split `{model}` into `{model}Create` and `{model}Response`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("class ",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        usage = ctx.facts.extra.get(KEY)
        if not isinstance(usage, SchemaUsage) or not usage.classes:
            return
        for node in ctx.tree.body:
            if not isinstance(node, ast.ClassDef) or node.name not in usage.classes:
                continue
            qualname = f"{ctx.module}.{node.name}"
            uses = ctx.index.ask(model_uses, qualname)
            if uses is None or not uses.body or not uses.response:
                continue
            schemas = project_schemas(ctx.index)
            model = schemas.model(qualname)
            if model is None:
                continue
            message = (
                f"Model `{node.name}` is both a request body (`{uses.body[0].route.name}`) "
                f"and a response (`{uses.response[0].route.name}`)"
            )
            try:
                checks = ctx.index.memo("FF203.class_checks", class_checks)
                fix = self._fix(schemas, model, node, uses, checks.get(qualname))
            except Conflict as conflict:
                fix = None
                message += f"; no fix: {conflict}"
            yield self.diagnostic(ctx, node, message, fix)

    @staticmethod
    def _fix(
        schemas: ProjectSchemas,
        model: Model,
        node: ast.ClassDef,
        uses: Usages,
        checked: str | None,
    ) -> Fix:
        name = model.cls.name
        if checked is not None:
            raise Conflict(
                f"module `{checked}` tests objects against `{name}` (isinstance, issubclass, a "
                "class pattern or type()): the split models are not subclasses of it"
            )
        edits = EditSet(schemas, model)
        create = edits.new_name_free(CREATE)
        response = edits.new_name_free(RESPONSE)
        check_inherited(schemas, model, server_fields(name, schemas.all_fields(model)))
        create_drop = server_fields(name, model.cls.fields)
        if not create_drop:
            raise Conflict(
                "no field of it looks server-generated (`id`, `created_at`, ...): "
                f"`{create}` would be a copy of `{name}`"
            )
        response_edit, secrets = response_derivation(schemas, model)
        dropped_members(node, create_drop)
        dropped_members(node, secrets)
        edits.edits.extend([derive_edit(model, CREATE, create_drop), response_edit])
        for body in uses.body:
            read = sorted(set(create_drop) & body.param.attributes)
            if read:
                raise Conflict(f"`{body.route.name}` uses `{body.param.name}.{read[0]}`")
            if create_drop and body.param.returned:
                raise Conflict(f"`{body.route.name}` returns its request body")
            edits.rename(body.module, where_body(body), body.ref, CREATE)
        constructed = False
        for use in uses.response:
            for ref in use.refs:
                edits.rename(use.module, where_response(use), ref, RESPONSE)
            for ref in use.constructors:
                edits.rename(use.module, where_constructor(use), ref, RESPONSE)
            constructed = constructed or bool(use.constructors)
        if constructed and model.cls.forbids_extra:
            raise Conflict(f"`{name}` forbids extra fields and a route constructs it")
        return Fix(
            title=f"Split `{name}` into `{create}` (request) and `{response}` (response)",
            safety=FixSafety.UNSAFE,
            edits=tuple(dict.fromkeys(edits.edits)),
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_schema_edits(module, edits)
