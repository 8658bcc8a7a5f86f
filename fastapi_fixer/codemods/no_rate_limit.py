"""## What it does
Reports, once per project, an authentication route — a route whose path has a `login`,
`signin`, `sign-in` or `token` segment (`/login`, `/auth/token`) — when the project has no rate
limiter. The report sits on the first such route (by file and line).

A rate limiter is any import, reference, decorator, `Depends` target or middleware whose
qualified name comes from `slowapi`, `fastapi_limiter`, `limits` or `ratelimit`, or contains
`limiter`, `ratelimit`, `rate_limit` or `throttl` (case-insensitive) — AnyIO's thread and
capacity limiters excepted. Words like these in files that were not analysed count too.

Only projects that build an app (a `FastAPI()` outside tests and documentation/example folders)
are checked: a library that ships login routers (`fastapi-users`) leaves rate limiting to the
application that includes them.

## Why is this bad?
Without a limit, a login or token endpoint takes as many password guesses as an attacker can
send: credential stuffing and brute force cost nothing, and each guess burns a password hash.

## Example
```python
@router.post("/token")
async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    ...
```

## Use instead
```python
limiter = Limiter(key_func=get_remote_address)


@router.post("/token")
@limiter.limit("5/minute")
async def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    ...
```

## Fix safety
No fix: limits, keys and storage are deployment decisions.

## Known problems
Limits enforced outside the app (a reverse proxy, an API gateway) are not seen: suppress the
finding with `# noqa: FF605`. Authentication routes made by router factories
(`fastapi_users.get_auth_router()`) are not seen. Any limiter anywhere counts, whatever it
guards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi_fixer.analysis.collectors.routing import KEY as ROUTING_KEY
from fastapi_fixer.analysis.collectors.routing import ModuleRouting
from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.analysis.paths import is_example_path, is_test_path
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

AUTH_SEGMENTS = frozenset({"login", "signin", "sign-in", "sign_in", "token"})
LIMITER_PACKAGES = ("slowapi", "fastapi_limiter", "limits", "ratelimit")
_LIMITER = re.compile(r"limiter|rate_?limit|throttl", re.IGNORECASE)
_NOT_A_RATE_LIMITER = re.compile(r"thread_?limiter|capacity_?limiter", re.IGNORECASE)


class NoRateLimit(Rule):
    CODE = "FF605"
    NAME = "no-rate-limit"
    SEVERITY = Severity.INFO
    MESSAGE = "Authentication route `{path}` and no rate limiter in the project"
    TRIGGERS = ("login", "token", "signin", "sign-in", "sign_in")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        index = ctx.index
        if not any(_auth_path(f.routes) for f in ctx.facts.functions.values()):
            return
        first = index.ask(_first_auth_route)
        if first is None or first[0] != ctx.facts.path or has_rate_limiter(index):
            return
        if not index.memo("FF605.builds_app", _builds_app):
            return  # a library's routers: the application that includes them limits requests
        _, qualname, path = first
        node = next((n for n, name, _ in ctx.functions() if name == qualname), None)
        if node is None:
            return
        yield self.diagnostic(
            ctx,
            node,
            f"Authentication route `{path}` and no rate limiter in the project: add one "
            '(slowapi `@limiter.limit("5/minute")`, a dependency or a middleware) against '
            "password guessing",
        )


def _builds_app(index: ProjectIndex) -> bool:
    """Some application code (not a test, not an example) builds a `FastAPI` app."""
    for module in index.modules.values():
        if is_test_path(module.path) or is_example_path(module.path):
            continue
        routing = module.extra.get(ROUTING_KEY)
        if isinstance(routing, ModuleRouting) and any(
            d.kind == "app" for d in routing.routers.values()
        ):
            return True
        if any(
            index.app_kind(route.receiver) == "app"
            for function in module.functions.values()
            for route in function.routes
        ):
            return True
    return False


def _first_auth_route(index: ProjectIndex) -> tuple[str, str, str] | None:
    """(path, function, route path) of the first authentication route (`_auth_routes`), the one
    the finding goes to: asked, not read from the table, so a check does not depend on the
    routes' lines (lines added above one elsewhere do not make every such file checked again)."""
    routes = index.memo("FF605.auth_routes", _auth_routes)
    if not routes:
        return None
    path, _, qualname, route_path = routes[0]
    return path, qualname, route_path


def _auth_routes(index: ProjectIndex) -> list[tuple[str, int, str, str]]:
    """(path, line, function, route path) of every authentication route, sorted (once per run)."""
    return sorted(
        (module.path, function.line, function.qualname, path)
        for module in index.modules.values()
        for function in module.functions.values()
        if (path := _auth_path(index.routes_of(function.qualname))) is not None
    )


def _auth_path(routes: tuple) -> str | None:
    for route in routes:
        path = route.path or ""
        if any(segment.lower() in AUTH_SEGMENTS for segment in path.split("/")):
            return path
    return None


def _is_limiter(name: str) -> bool:
    # IGNORECASE also matches a few non-ASCII letters (dotless i, long s): ASCII only skips
    if name.isascii():
        lowered = name.lower()
        if "limit" not in lowered and "throttl" not in lowered:  # in every pattern below
            return name.split(".")[0] in LIMITER_PACKAGES
    if _NOT_A_RATE_LIMITER.search(name):
        return False
    return name.split(".")[0] in LIMITER_PACKAGES or bool(_LIMITER.search(name))


def has_rate_limiter(index: ProjectIndex) -> bool:
    """Whether any code of the project names a rate limiter (once per run)."""
    return index.memo("FF605.has_rate_limiter", _has_rate_limiter)


def _has_rate_limiter(index: ProjectIndex) -> bool:
    for module in index.modules.values():
        names = [
            *module.references,
            *module.depends_targets,
            *(b.target for b in module.bindings.values() if b.kind in ("import", "instance")),
            *(d for f in module.functions.values() for d in f.other_decorators),
            *(f.qualname for f in module.functions.values()),
        ]
        if any(_is_limiter(name) for name in names):
            return True
    return any(_is_limiter(word) for word in index.unloaded_names)
