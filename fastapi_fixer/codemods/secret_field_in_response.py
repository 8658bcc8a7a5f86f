"""## What it does
Finds response models — a Pydantic model a route declares as its `response_model=` or return
annotation (also inside `list[...]`, `... | None`), or returns as `Model(...)` when it declares
nothing else — with a field named like a credential: `password`, `hashed_password`,
`password_hash`, `*secret*`, `api_key`, `*token*`. The tokens an OAuth2-style token endpoint
exists to issue (`access_token`, `refresh_token` in the response of a route whose path ends in
`/token` or `/login`, or that takes `OAuth2PasswordRequestForm`) are allowed there; `token_type`
(`"bearer"`) and counters in the plural (`max_tokens`) are never secrets.

## Why is this bad?
Everything in a response model is sent to the client and published in the OpenAPI schema. A
password hash, an API key or a session token in a response leaks a credential to whoever can call
the route, and to every log and cache the response passes through.

## Example
```python
class User(BaseModel):
    id: int
    email: str
    hashed_password: str


@router.get("/users/{user_id}", response_model=User)
def read_user(user_id: int): ...
```

## Use instead
```python
class UserResponse(BaseModel):
    id: int
    email: str


@router.get("/users/{user_id}", response_model=UserResponse)
def read_user(user_id: int): ...
```

## Fix safety
Unsafe: the response loses fields clients may read. The fix derives `<Name>Response` right after
the model (same bases, config and validators; validators of the dropped fields only are left out)
and makes it the response model of every route that exposes a secret: `response_model=` and
return annotations are rewritten, and a route that only returns `Model(...)` gets
`response_model=<Name>Response` (the constructor stays; FastAPI filters the output). The class is
the very one FF203 derives when the model is also a request body, so the two rules never create
two different `<Name>Response` classes; when both apply, FF203's split runs first (lower code)
and FF204 then has nothing left to fix. The original class is kept. No fix is offered when
`<Name>Response` already exists or means something else where it is needed, or when a secret
field is inherited from a base class.

## Known problems
Fields are recognised by name only: a secret named otherwise is not seen, and a non-secret named
like one (`token_count`) is reported. Only module-level classes and routes are looked at.
A route annotated `-> UserResponse` after the fix may still return a `User` it builds: FastAPI
converts it (the secret fields are left out), but a type checker will object.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.collectors.schema_usage import KEY, SchemaUsage
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule
from fastapi_fixer.schema_split import (
    RESPONSE,
    Conflict,
    EditSet,
    Model,
    ProjectSchemas,
    Usages,
    apply_schema_edits,
    project_schemas,
    response_derivation,
    where_response,
)

if TYPE_CHECKING:
    import libcst as cst


class SecretFieldInResponse(Rule):
    CODE = "FF204"
    NAME = "secret-field-in-response"
    SEVERITY = Severity.ERROR
    MESSAGE = "Response model `{model}` exposes secret field `{field}`"
    FIX_TITLE = "Respond with `{model}Response`, without the secret fields"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = (
        "assword",
        "ASSWORD",
        "passwd",
        "ecret",
        "ECRET",
        "oken",
        "OKEN",
        "pi_key",
        "piKey",
        "PI_KEY",
        "pikey",
    )

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        usage = ctx.facts.extra.get(KEY)
        if not isinstance(usage, SchemaUsage) or not usage.classes:
            return
        schemas = project_schemas(ctx.index)
        for node in ctx.tree.body:
            if not isinstance(node, ast.ClassDef) or node.name not in usage.classes:
                continue
            qualname = f"{ctx.module}.{node.name}"
            uses = schemas.usages.get(qualname)
            model = schemas.model(qualname)
            if uses is None or not uses.response or model is None:
                continue
            exposed = schemas.response_secrets(model)
            if not exposed:
                continue
            route = next(u.route.name for u in uses.response if schemas.secrets_for(model, u))
            names = ", ".join(f"`{f}`" for f in exposed)
            plural = "s" if len(exposed) > 1 else ""
            message = (
                f"Response model `{node.name}` exposes secret field{plural} {names} "
                f"(returned by `{route}`)"
            )
            try:
                fix = self._fix(schemas, model, uses)
            except Conflict as conflict:
                fix = None
                message += f"; no fix: {conflict}"
            yield self.diagnostic(ctx, node, message, fix)

    @staticmethod
    def _fix(schemas: ProjectSchemas, model: Model, uses: Usages) -> Fix:
        edits = EditSet(schemas, model)
        response = edits.new_name_free(RESPONSE)
        response_edit, _ = response_derivation(schemas, model)
        edits.edits.append(response_edit)
        for use in uses.response:
            if not schemas.secrets_for(model, use):
                continue  # a token endpoint issuing its tokens keeps the model
            if use.refs:
                for ref in use.refs:
                    edits.rename(use.module, where_response(use), ref, RESPONSE)
            else:
                edits.add_response_model(use.module, use.route, RESPONSE)
        return Fix(
            title=f"Respond with `{response}`, without the secret fields",
            safety=FixSafety.UNSAFE,
            edits=tuple(dict.fromkeys(edits.edits)),
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_schema_edits(module, edits)
