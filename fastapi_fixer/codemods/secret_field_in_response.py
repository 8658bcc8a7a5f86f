"""## What it does
Finds response models — a Pydantic model a route declares as its `response_model=` or return
annotation (also inside `list[...]`, `... | None`), or returns as `Model(...)` when it declares
nothing else — with a field named like a credential: `password`, `hashed_password`,
`password_hash`, `*secret*`, `api_key`, `*token*`. The tokens an OAuth2-style token endpoint
exists to issue (`access_token`, `refresh_token` in the response of a route whose path ends in
`/token` or `/login`, or that takes `OAuth2PasswordRequestForm`) are allowed there; `token_type`
(`"bearer"`) and counters in the plural (`max_tokens`) are never secrets.

Not reported either:
- a token, secret or key in the response of a route that exists to hand it out:
  - a `POST` whose name or path says it creates, generates, rotates, refreshes, exchanges,
    verifies or adds one (`generate_api_key`, `create_webhook`, `rotate_signing_secret`, an MFA
    challenge), or queues a job (`enqueue_connection_test` answers with its polling token);
  - any route named after the field it returns (`get_user_access_token` → `access_token`);
  - any model named after it (`ApiKey.api_key`, `WebhookSecret.secret`), and a webhook model's
    `token` (the token of an incoming webhook's URL, which its managers copy into the sending
    service; the signing secret of an outgoing webhook is shown once, when it is made);
  - any route that takes the credential as a parameter and echoes it back
    (`connection_test_token` in a header, returned as `token`), or takes a list of them named
    as its plural (`api_keys` in the query, one `api_key` a row);
  - any route every `return` of which returns what it read from a secrets store (a value bound
    from `Connection.get_connection_from_secrets(...)`, `secrets_manager.get(...)`,
    `vault.read(...)`): it exists to deliver the stored credential, password included, to a
    caller entitled to it (a worker fetching a connection to use it).

  Passwords and their hashes are never handed out: they stay reported;
- fields that describe a credential rather than hold it: pagination cursors and version tokens
  (`next_page_token`, `version_token`), a request's own handles (`cancel_token`,
  `idempotency_token`), masked hints (`api_key_masked`), flags (`has_signing_secret`),
  lifetimes, limits and methods (`refresh_token_lifetime_seconds`, `token_thresholds`,
  `token_endpoint_auth_method`),
  and the model's own fields typed `bool`, `int`, `float`, `datetime` or `Literal[...]`;
- a field the model's own `field_validator`/`field_serializer` masks before it is sent: the hook
  returns a mask (`"***"`, `"[REDACTED]"`) or calls a masking function (`redact(v)`,
  `mask_secret(v)`);
- a field that defaults to `None` and that no `return` of the route sets: every return builds
  the model with keywords, none of them the field (`return SessionResponse(authenticated=True)`).

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
Unsafe: the responses of the reported routes no longer contain the secret fields (clients that read
them break), and their OpenAPI response schema becomes `<Name>Response`; requests, status codes and
the other routes are unchanged, and the routes that hand the credential out (see above) keep it. The
fix derives `<Name>Response` right after the model (same bases, config and validators; validators of
the dropped fields only are left out) and makes it the response model of every route that exposes a
secret (a model already named `...Response` gives `...PublicResponse`; the methods and properties
that read a dropped field, such as `verify_password` of a model without `password_hash`, are left
out of the copy): `response_model=` and return annotations are rewritten, and a route that only
returns `Model(...)` gets `response_model=<Name>Response` (the constructor stays; FastAPI filters
the output). The class is the very one FF203 derives when the model is also a request body, so the
two rules never create two different `<Name>Response` classes; when both apply, FF203's split runs
first (lower code) and FF204 then has nothing left to fix. The original class is kept. No fix is
offered when `<Name>Response` already exists or means something else where it is needed, when a
secret field is inherited from a base class, or when a member that reads it cannot be left out
(`__init__`, a `computed_field` or `model_serializer`: the response would change).

## Known problems
Fields are recognised by name (and, for the model's own fields, by type): a secret named
otherwise is not seen, and an inherited non-secret named like one is reported. A route that
echoes back a credential the client sent (a configuration `POST /config/update`) is not
reported when its name says it creates or adds. Only module-level classes and routes are looked at.
A masking hook is recognised by what it returns or calls (a mask string, a function named like
`redact`/`mask`): a hook that masks through a helper named otherwise is not seen.
A route annotated `-> UserResponse` after the fix may still return a `User` it builds: FastAPI
converts it (the secret fields are left out), but a type checker will object.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.schema_usage import KEY, SchemaUsage
from fastapi_fixer.fixing.schema_split import (
    RESPONSE,
    Conflict,
    EditSet,
    Model,
    ProjectSchemas,
    ResponseUse,
    apply_schema_edits,
    dropped_members,
    model_uses,
    project_schemas,
    response_derivation,
    snake,
    where_response,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

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
        for node in ctx.tree.body:
            if not isinstance(node, ast.ClassDef) or node.name not in usage.classes:
                continue
            qualname = f"{ctx.module}.{node.name}"
            uses = ctx.index.ask(model_uses, qualname)
            if uses is None or not uses.response:
                continue
            schemas = project_schemas(ctx.index)
            model = schemas.model(qualname)
            if model is None:
                continue
            plain = _non_text_fields(ctx, node) | masked_fields(node)
            by_use = [(u, _exposed(ctx, schemas, model, u, plain)) for u in uses.response]
            found = {f for _, fields in by_use for f in fields}
            exposed = tuple(f for f in schemas.all_fields(model) if f in found)
            if not exposed:
                continue
            route = next(u.route.name for u, fields in by_use if fields)
            names = ", ".join(f"`{f}`" for f in exposed)
            plural = "s" if len(exposed) > 1 else ""
            message = (
                f"Response model `{node.name}` exposes secret field{plural} {names} "
                f"(returned by `{route}`)"
            )
            try:
                fix = self._fix(schemas, model, node, [u for u, fields in by_use if fields])
            except Conflict as conflict:
                fix = None
                message += f"; no fix: {conflict}"
            yield self.diagnostic(ctx, node, message, fix)

    @staticmethod
    def _fix(
        schemas: ProjectSchemas, model: Model, node: ast.ClassDef, uses: list[ResponseUse]
    ) -> Fix:
        """`uses`: the responses that expose a secret (a route issuing its credential keeps the
        model)."""
        edits = EditSet(schemas, model)
        response = edits.new_name_free(RESPONSE)
        response_edit, dropped = response_derivation(schemas, model)
        dropped_members(node, dropped)
        edits.edits.append(response_edit)
        for use in uses:
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


# words of a route's name or path that say it hands out a credential (made, rotated or
# exchanged right there: the response must carry it, once)
ISSUING_WORDS = frozenset(
    {
        *("create", "generate", "issue", "rotate", "regenerate", "refresh", "renew", "new"),
        *("add", "register", "signup", "signin", "login", "token", "exchange", "verify"),
        *("confirm", "challenge", "reset", "enroll", "invite", "authorize", "callback"),
        *("start", "begin", "initiate", "replace", "recover"),
        # a job queued right there: the response is its polling handle
        *("enqueue", "queue", "submit", "schedule"),
    }
)
_NEVER_ISSUED = ("password", "passwd", "passphrase")  # a password is chosen, never handed out
# annotations that cannot hold a credential
_PLAIN_TYPES = frozenset({"bool", "int", "float", "datetime", "date", "timedelta", "Decimal"})
_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "ClassVar"})


def _exposed(
    ctx: FileContext,
    schemas: ProjectSchemas,
    model: Model,
    use: ResponseUse,
    plain: frozenset[str],
) -> list[str]:
    """The secret fields `use` really exposes: not the flags and numbers of its own fields
    (`plain`), and not the credential a route exists to issue (a `POST` whose name or path says
    it creates, rotates or exchanges one, or any route named after the field it returns)."""
    if use.route.from_secrets:
        return []  # the route exists to deliver what it read from the secrets store
    fields = [f for f in schemas.secrets_for(model, use) if f not in plain]
    if fields and use.constructors and use.route.built is not None:
        # every return builds the model and none passes the field: it keeps its None default
        unset = set(model.cls.none_defaults) - set(use.route.built)
        fields = [f for f in fields if f not in unset]
    if fields and (_carries(model, fields) or _issues(ctx, use, fields)):
        fields = [f for f in fields if any(w in f.lower() for w in _NEVER_ISSUED)]
    return fields


_HOOKS = frozenset({"webhook", "webhooks", "hook", "hooks"})


def _carries(model: Model, fields: list[str]) -> bool:
    """The model is named after the credential it carries (`ApiKey.api_key`,
    `WebhookSecret.secret`, `OAuthAccountAccessToken.access_token`): a route returning it
    returns it on purpose; so does a webhook model its `token` (the token of an incoming
    webhook's URL, which its managers copy into the sender). `Token.access_token` and
    `Session.session_token` are not."""
    named = set(_words(model.cls.name))
    if named & _HOOKS:
        # an incoming webhook's URL token; not the signing secret of an outgoing one, which is
        # shown once, when it is made
        named.add("token")
    return any(set(_words(field)) <= named for field in fields)


def _issues(ctx: FileContext, use: ResponseUse, fields: list[str]) -> bool:
    route = use.route
    words = set(_words(route.name))
    for path in route.paths:
        words.update(_words(path or ""))
    if any(set(_words(f)) <= words for f in fields):
        return True  # `get_user_access_token` returning `access_token`: its very purpose
    if _echoes(ctx, use, fields):
        return True
    facts = ctx.index.functions.get(route.function)
    methods = {declared.method.upper() for declared in facts.routes} if facts else set()
    return "POST" in methods and bool(ISSUING_WORDS & words)


def _echoes(ctx: FileContext, use: ResponseUse, fields: list[str]) -> bool:
    """The route takes the credential itself as a parameter (`connection_test_token` in a
    header, returned as `token`), or a list of them named as its plural (`api_keys` in the
    query, one `api_key` a row): the response echoes what the caller sent."""
    from fastapi_fixer.analysis.collectors.routing import function_routing

    facts = function_routing(ctx.index, use.route.function)
    if facts is None:
        return False
    for name in facts.params:
        words = _words(name)
        if not words:
            continue
        # `api_keys` -> `api_key`: the list the caller sent, one of them a row
        singular = [*words[:-1], words[-1].removesuffix("s")]
        for field in map(_words, fields):
            if set(field) <= set(words) or field == singular:
                return True
    return False


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", snake(text)) if w]


def _non_text_fields(ctx: FileContext, node: ast.ClassDef) -> frozenset[str]:
    """The class's own fields annotated with a type that holds no credential (`bool`, `int`,
    `datetime`, a `Literal`): `has_signing_secret: bool`, `token_count: int`."""
    found = set()
    for statement in node.body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and _is_plain(ctx, statement.annotation)
        ):
            found.add(statement.target.id)
    return frozenset(found)


_FIELD_HOOKS = frozenset({"field_validator", "validator", "field_serializer"})
_MASKING_WORDS = ("redact", "mask", "obfuscat", "censor", "scrub", "anonymi")
_MASK_CHARACTERS = frozenset("*•xX#-")


def masked_fields(node: ast.ClassDef) -> frozenset[str]:
    """The class's fields its own `field_validator`/`field_serializer` masks: the hook returns a
    mask (`"***"`, `"[REDACTED]"`) or calls a masking function (`redact(v)`,
    `mask_secret(v)`), so the response carries the mask, not the secret."""
    found: set[str] = set()
    for statement in node.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        fields: list[str] = []
        for decorator in statement.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            func = decorator.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _FIELD_HOOKS:
                fields.extend(
                    a.value
                    for a in decorator.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
        if fields and _masks(statement):
            found.update(fields)
    return frozenset(found)


def _masks(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for child in ast.walk(function):
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if any(word in name.lower() for word in _MASKING_WORDS):
                return True
        if (
            isinstance(child, ast.Return)
            and isinstance(child.value, ast.Constant)
            and isinstance(child.value.value, str)
        ):
            text = child.value.value.strip()
            if (len(text) >= 3 and set(text) <= _MASK_CHARACTERS) or any(
                word in text.lower() for word in ("redacted", "hidden", "masked")
            ):
                return True
    return False


def _is_plain(ctx: FileContext, annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _is_plain(ctx, annotation.left) and _is_plain(ctx, annotation.right)
    if isinstance(annotation, ast.Constant):
        return annotation.value is None
    qualified = ctx.resolver.qualify(
        annotation.value if isinstance(annotation, ast.Subscript) else annotation
    )
    last = (qualified or "").rsplit(".", 1)[-1]
    if isinstance(annotation, ast.Subscript):
        if last == "Literal":
            return True
        if last not in _WRAPPERS:
            return False
        inner = annotation.slice
        parts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if last in ("Annotated", "ClassVar"):
            parts = parts[:1]
        return all(_is_plain(ctx, part) for part in parts)
    return last in _PLAIN_TYPES
