"""## What it does
Finds route paths whose fixed segments break REST naming: upper case or camelCase
(`/userProfiles`), underscores (`/user_profiles`), a verb (`/get-users`, `/items/create`,
`/items/{item_id}/delete`, with the verbs `get`, `create`, `update`, `delete`, `list`, `fetch`),
or a singular collection before a path parameter that names one of its items (`/user/{user_id}`,
`/trade/{tradeid}`, `/file/{id}`).

Path parameters (`{item_id}`: underscores inside braces are fine), version and API segments
(`/v1`, `/api`), well-known segments (`/docs`, `/redoc`, `/openapi.json`, `/health`, `/healthz`,
`/login`, `/logout`, `/token`, `/me`, `/search`, `/metrics`, `/static`), file-like segments
(`/favicon.ico`, anything with a dot, `/.well-known/...`), private segments starting with `_`,
segments mixing text and a parameter (`/file={path}`), nouns that merely look like verbs
(`/updates`, `/listings`, `/deletions`, the idiom `/get-started`) and catch-all parameters
(`/files/{path:path}`) are left alone. A singular segment is not taken for a collection when it
is a lookup key (`/name/{name}`, `/slug/{slug}`), an adjective (`/shared/{id}`), a qualifier
of a plural collection before it (`/messages/session/{session_id}`), the key the function looks
up by (`get_chats_by_folder_id` on `/folder/{folder_id}`) or the value it writes
(`update_step_transaction_id` on `/{step_id}/transaction/{transaction_id}`), or when the
parameter belongs to something else (`/stop/{task_id}`, `/version/{url_idx}`). Endpoint names
fixed by a protocol
are left alone: OAuth 2.0 / OpenID Connect (`/authorize`, `/userinfo`, `/jwks`, `/introspect`,
`/revoke`, `/device_authorization`, `/end_session`), in a module that serves SCIM, the SCIM 2.0
resources (`/Users`, `/Groups`, `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`), and the
paths of public APIs that a server compatible with them must answer as spelled (OpenAI's
`/v1/vector_stores/{id}/files`, `/v1/fine_tuning/jobs`, `/v1/responses/{id}/input_items`,
Anthropic's `/v1/messages/count_tokens`), under any prefix.
Web pages are not checked: routes with `response_class=HTMLResponse` or `-> HTMLResponse`, or
every `return` of which renders a template (`templates.TemplateResponse(...)`); and every route
of a module that renders templates (`Jinja2Templates`, `.TemplateResponse`) or holds a browser
form (a route serving `GET` and `POST` on one path that answers with a `RedirectResponse`) when
none of its routes answers data (`response_model=`, a return annotation other than a page's, a
dict or list, a `JSONResponse`). Websocket routes and test modules are not checked.

## Why is this bad?
Consumers guess URLs from conventions: plural nouns for collections, HTTP methods for actions,
lowercase hyphen-separated words. Mixed styles make an API harder to learn and to generate
clients for.

## Example
```python
@router.get("/getUsers")
async def get_users(): ...


@router.delete("/user/{user_id}/delete")
async def delete_user(user_id: int): ...
```

## Use instead
```python
@router.get("/users")
async def get_users(): ...


@router.delete("/users/{user_id}")
async def delete_user(user_id: int): ...
```

## Fix safety
Unsafe: the OpenAPI document shows a new path. The old path keeps answering: the fix serves the new
path and adds the same route decorator on the old path with `include_in_schema=False,
deprecated=True`, so existing clients keep working until they move. The new path lowercases and
hyphenates each segment, drops a leading verb word (and a segment that is only a verb), and
pluralises a singular collection before a parameter (`y` → `ies`, `s`/`x`/`ch`/`sh` → `es`, else
`s`). No fix when the new path overlaps another route of the same method in the module (or another
fix's new path) in the order Starlette tries them: a route registered before it that would answer
the new path (`/items/{item_id}` above a new `/items/recent`), or one registered after it whose
requests the new path would answer (a new `/items/{item_id}` above `/items/recent`); nor when
dropping verbs leaves nothing, when the route's method does not say the verb it would drop (`GET`
says get, list and fetch, `POST` and `PUT` create, `PUT` and `PATCH` update, `DELETE` delete: an
RPC-style `POST /list_types` would become `POST /types`, which reads as creating one), or when the
path literal is not a plain string. The alias is registered by the same function definition as the
new path, so both sit where the old route sat in the routing order: before any catch-all route
registered later (`/{full_path:path}` serving a front end), which keeps answering only what it
answered.

A decorator with `include_in_schema=False, deprecated=True` (an old path kept answering, as the
fix leaves it) is not checked. A proxy route that forwards to the same path on another server
(`f"{url}/api/create"` in a route at `/api/create/{url_idx}`) keeps the upstream API's paths
and is not checked.

## Known problems
Only literal paths in route decorators are checked, not router prefixes. Pages of a
server-rendered UI whose module renders no template itself (a form helper does it) and holds no
`GET`+`POST` form route are still checked. Verbs are recognised by the
first word of a segment only, and singular nouns by the missing plural `s`: words such as
`data`, `info`, `status` or `config` are taken as uncountable and left alone; other irregular
nouns may be pluralised naively.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.astwalk import own_nodes
from fastapi_fixer.analysis.collectors.routing import ROUTE_TRIGGERS, is_test_module
from fastapi_fixer.codemods.missing_response_model import route_decorators
from fastapi_fixer.codemods.missing_status_code import ACTION_WORDS
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

# verbs of a path, each with the methods that say what it says: dropping the verb from a path
# of one of those methods leaves its meaning
VERB_METHODS = {
    "get": ("get", "head"),
    "list": ("get", "head"),
    "fetch": ("get", "head"),
    "create": ("post", "put"),
    "update": ("put", "patch"),
    "delete": ("delete",),
}
VERBS = frozenset(VERB_METHODS)
WELL_KNOWN = frozenset(
    {
        "api", "docs", "redoc", "openapi.json", "health", "healthz", "livez", "readyz", "ready",
        "live", "login", "logout", "token", "me", "search", "metrics", "static", "ws", "auth",
        "admin", "callback", "webhook", "webhooks", "oauth", "oauth2", "graphql", "root",
        # OAuth 2.0 / OpenID Connect endpoints named by their RFCs and specifications
        "authorize", "userinfo", "jwks", "introspect", "revoke", "device_authorization",
        "end_session", "check_session_iframe", "par",
    }
)  # fmt: skip
# SCIM 2.0 (RFC 7644) endpoints: their names and case are fixed by the protocol
SCIM_SEGMENTS = frozenset(
    {"Users", "Groups", "Me", "ServiceProviderConfig", "ServiceProviderConfigs",
     "ResourceTypes", "Schemas", "Bulk"}
)  # fmt: skip
# attributes a resource is looked up by: `/name/{name}` is a key, not a collection
LOOKUP_KEYS = frozenset(
    {"name", "email", "slug", "username", "key", "code", "title", "hash", "path", "url",
     "handle", "domain", "token", "uuid", "id", "date", "type", "kind", "label", "tag",
     "version", "revision", "hostname", "phone", "sha", "digest", "alias", "locale", "lang"}
)  # fmt: skip
_GENERIC_IDS = frozenset({"id", "uuid", "pk", "guid", "oid"})
# nouns with no useful plural, or adjectives used as a collection's qualifier
UNCOUNTABLE = frozenset(
    {
        "data", "metadata", "info", "status", "config", "configuration", "health", "media",
        "news", "feedback", "equipment", "software", "hardware", "content", "history", "me",
        "auth", "staff", "public", "private", "internal", "latest", "current", "default",
        "settings", "debug", "static", "search", "v", "api", "admin", "stream",
        "download", "upload", "preview", "storage", "cache", "legacy", "by",
    }
)  # fmt: skip
IDIOMS = frozenset({"get-started", "getting-started"})
# single words before a parameter that name an action, not a collection (`/run/{name}`)
ACTIONS = ACTION_WORDS | frozenset(
    {"run", "call", "share", "send", "heartbeat", "invoke", "predict", "infer", "join", "proxy"}
)
# paths of public APIs that servers compatible with them must answer as spelled (`*`: a path
# parameter): OpenAI's and Anthropic's; the last segments of a path are compared. Not Ollama's
# `/api/create` and `/api/delete`: a project's own path may end so too
PUBLIC_API_PATHS = frozenset(
    tuple(path.split("/"))
    for path in (
        # OpenAI
        "vector_stores", "vector_stores/*", "vector_stores/*/search", "vector_stores/*/files",
        "vector_stores/*/files/*", "vector_stores/*/files/*/content",
        "vector_stores/*/file_batches", "vector_stores/*/file_batches/*",
        "vector_stores/*/file_batches/*/cancel", "vector_stores/*/file_batches/*/files",
        "responses/*/input_items", "responses/input_tokens", "realtime/client_secrets",
        "realtime/transcription_sessions", "realtime/translations/client_secrets",
        "fine_tuning/jobs", "fine_tuning/jobs/*", "fine_tuning/jobs/*/cancel",
        "fine_tuning/jobs/*/events", "fine_tuning/jobs/*/checkpoints",
        "fine_tuning/jobs/*/pause", "fine_tuning/jobs/*/resume",
        "fine_tuning/checkpoints/*/permissions", "threads/*/runs/*/submit_tool_outputs",
        "organization/admin_api_keys", "organization/audit_logs",
        # Anthropic (and Claude Code's event log)
        "messages/count_tokens", "api/event_logging/batch",
    )
)  # fmt: skip
_NOT_A_NOUN = VERBS | frozenset({"or", "and", "by", "to", "for", "from", "of", "with", "all"})
_VERSION = re.compile(r"^v\d+(\.\d+)*([a-z]+\d*)?$")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@dataclass(frozen=True)
class Segment:
    text: str
    problems: tuple[str, ...]
    fixed: str  # "" when the segment goes away
    fixable: bool = True  # False: the words left after the verb make no noun
    verb: str = ""  # the verb the fixed segment drops


def _words(segment: str) -> list[str]:
    return [w.lower() for part in re.split(r"[-_]+", segment) for w in _WORDS.findall(part)]


def pluralise(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}") and segment.count("{") == 1


def _skipped(segment: str) -> bool:
    lowered = segment.lower()
    return (
        not segment
        or "{" in segment
        or "}" in segment
        or "." in segment
        or segment.startswith(("_", "~", "@", "*", ":"))
        or lowered in WELL_KNOWN
        or bool(_VERSION.match(lowered))
        or not re.fullmatch(r"[A-Za-z0-9_-]+", segment)
    )


def identifies(segment: str, parameter: str, previous: list[str], function: str) -> bool:
    """`{parameter}` names one item of a collection called `segment`: `/user/{user_id}`,
    `/trade/{tradeid}`, `/file/{id}`; not a lookup key (`/name/{name}`), a parameter of
    something else (`/stop/{task_id}`, `/version/{url_idx}`), a qualifier of the collection
    before it (`/messages/session/{session_id}`, `/messages/shared/session/{id}`: `previous` are
    the fixed segments since the last parameter) or a key the function looks up by
    (`get_chats_by_folder_id` on `/folder/{folder_id}`), or the value the function writes
    (`update_step_transaction_id` on `/{step_id}/transaction/{transaction_id}`)."""
    word = segment.lower()
    name = parameter.strip("{}").split(":", 1)[0].lstrip("_").lower()
    if word in LOOKUP_KEYS or word.endswith("ed"):
        return False
    if any(p.lower().endswith("s") and p.lower() not in UNCOUNTABLE for p in previous):
        return False
    if re.search(rf"(^|_)by_{re.escape(word)}(_|$)", function.lower()):
        return False
    if re.fullmatch(rf"(update|set|change|assign)_(\w+_)?{re.escape(name)}", function.lower()):
        return False  # `update_step_transaction_id`: the parameter is the value written
    stem = name.replace("-", "_")
    return stem in _GENERIC_IDS or stem == word or stem.startswith((word + "_", word + "id"))


def analyse_segment(segment: str, before_parameter: bool) -> Segment:
    if _skipped(segment):
        return Segment(segment, (), segment)
    problems = []
    words = _words(segment)
    if not words:
        return Segment(segment, (), segment)
    if any(c.isupper() for c in segment):
        problems.append("upper case")
    if "_" in segment:
        problems.append("`_`")
    joined = "-".join(words)
    fixable = True
    verb = ""
    if words[0] in VERBS and joined not in IDIOMS:
        verb = words[0]
        problems.append(f"the verb `{verb}`")
        words = words[1:]
        fixable = not words or words[0] not in _NOT_A_NOUN
    elif (
        before_parameter
        and len(words) == 1
        and not words[0].endswith("s")
        and words[0] not in UNCOUNTABLE
        and words[0] not in ACTIONS
        and words[0].isalpha()
        and len(words[0]) > 2
    ):
        problems.append("a singular collection")
        words = [pluralise(words[0])]
    return Segment(segment, tuple(problems), "-".join(words), fixable, verb)


def rest_path(path: str, function: str = "", scim: bool = False) -> tuple[list[Segment], str]:
    """The segments with their problems, and the path rewritten (`function`: the route's
    name; `scim`: the module serves SCIM, whose endpoint names are fixed)."""
    parts = path.split("/")
    segments = []
    for position, part in enumerate(parts):
        if scim and part in SCIM_SEGMENTS:
            segments.append(Segment(part, (), part))
            continue
        following = parts[position + 1] if position + 1 < len(parts) else ""
        previous: list[str] = []
        for earlier in reversed(parts[:position]):
            if "{" in earlier:
                break
            if earlier and not _skipped(earlier):
                previous.append(earlier)
        before_parameter = (
            _is_parameter(following)
            and ":path}" not in following
            and identifies(part, following, previous, function)
        )
        segments.append(analyse_segment(part, before_parameter))
    kept = [s.fixed for s in segments if s.fixed or not s.problems]
    new = "/".join(kept)
    if path.startswith("/") and not new.startswith("/"):
        new = "/" + new
    if not all(s.fixable for s in segments):
        new = ""
    return [s for s in segments if s.problems], new


_HTML_RESPONSES = frozenset({"fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse"})


def _renders_pages(ctx: FileContext) -> bool:
    """The module renders HTML templates (`Jinja2Templates`, `.TemplateResponse(...)`): when
    none of its routes answers data either, its paths are the URLs of web pages
    (`/tenants/create`, `/{id}/delete` forms), not of a REST API."""
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Attribute) and node.attr == "TemplateResponse":
            return True
        if isinstance(node, (ast.Name, ast.Attribute)) and (
            ctx.resolver.qualify(node) or ""
        ).endswith("templating.Jinja2Templates"):
            return True
    return False


_REDIRECTS = frozenset(
    {"fastapi.responses.RedirectResponse", "starlette.responses.RedirectResponse"}
)


def _form_route(ctx: FileContext, node: ast.AST, calls: list) -> bool:
    """A browser form: one route serves `GET` and `POST` on the same path (show the form,
    take it back) and answers with a redirect."""
    both = any(
        k.arg == "methods"
        and isinstance(k.value, (ast.List, ast.Tuple))
        and {"GET", "POST"}
        <= {
            e.value.upper()
            for e in k.value.elts
            if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
        for call, _ in calls
        for k in call.keywords
    )
    redirects = any(
        isinstance(child, ast.Return)
        and isinstance(child.value, ast.Call)
        and ctx.resolver.qualify(child.value.func) in _REDIRECTS
        for child in ast.walk(node)
    )
    return both and redirects


def _answers_json(ctx: FileContext, node: ast.AST, calls: list) -> bool:
    """The route answers data: `response_model=`, a return annotation other than a page's
    (`-> HTMLResponse`), `return {...}` / `[...]`, or a `JSONResponse`."""
    if _page_route(ctx, node, calls):
        return False
    if getattr(node, "returns", None) is not None:
        return True
    if any(k.arg == "response_model" for call, _ in calls for k in call.keywords):
        return True
    for child in ast.walk(node):
        if isinstance(child, ast.Return) and isinstance(
            child.value, (ast.Dict, ast.List, ast.DictComp, ast.ListComp)
        ):
            return True
        if isinstance(child, ast.Call) and (ctx.resolver.qualify(child.func) or "").endswith(
            "JSONResponse"
        ):
            return True
    return False


def _mirrors_upstream(node: ast.AST, path: str) -> bool:
    """The route forwards to the same path on another server (`f"{url}/api/create"` in a route
    at `/api/create/{url_idx}`): a proxy whose paths are the upstream API's, not its own."""
    fixed = path.split("{", 1)[0].rstrip("/")
    if fixed.count("/") < 1 or len(fixed) < 4:
        return False
    for child in ast.walk(node):
        if isinstance(child, ast.JoinedStr):
            for before, value in zip(child.values, child.values[1:], strict=False):
                if (
                    isinstance(before, ast.FormattedValue)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value.startswith(fixed)
                ):
                    return True  # `f"{base_url}/api/create"`
        elif (
            isinstance(child, ast.Constant)
            and isinstance(child.value, str)
            and "://" in child.value
            and fixed in child.value
        ):
            return True
    return False


def public_api_path(path: str) -> bool:
    """The path ends like one of a public API's that the app is compatible with (OpenAI's
    `/v1/vector_stores/{id}/files`): clients of that API call it as that API spells it."""
    segments = tuple("*" if _is_parameter(part) else part for part in path.split("/") if part)
    return any(segments[-length:] in PUBLIC_API_PATHS for length in range(1, 6))


def _deprecated_alias(call: ast.Call) -> bool:
    """`include_in_schema=False, deprecated=True`: an old path kept answering for old clients
    (what the fix leaves behind), not a path anyone is told to use."""
    keywords = {k.arg: k.value for k in call.keywords}
    hidden, deprecated = keywords.get("include_in_schema"), keywords.get("deprecated")
    return (
        isinstance(hidden, ast.Constant)
        and hidden.value is False
        and isinstance(deprecated, ast.Constant)
        and deprecated.value is True
    )


def _page_route(ctx: FileContext, node: ast.AST, calls: list) -> bool:
    """The route serves a web page: `response_class=HTMLResponse`, `-> HTMLResponse`, or every
    `return` of its own renders a template (`templates.TemplateResponse(...)`) or builds an
    `HTMLResponse(...)`."""
    if any(
        k.arg == "response_class" and ctx.resolver.qualify(k.value) in _HTML_RESPONSES
        for call, _ in calls
        for k in call.keywords
    ):
        return True
    returns = getattr(node, "returns", None)
    if returns is not None:
        return ctx.resolver.qualify(returns) in _HTML_RESPONSES
    body = getattr(node, "body", [])
    values = [n.value for n in own_nodes(body) if isinstance(n, ast.Return)]
    return bool(values) and all(
        isinstance(value, ast.Call)
        and (
            (isinstance(value.func, ast.Attribute) and value.func.attr == "TemplateResponse")
            or ctx.resolver.qualify(value.func) in _HTML_RESPONSES
        )
        for value in values
    )


class NonRestPath(Rule):
    CODE = "FF401"
    NAME = "non-rest-path"
    SEVERITY = Severity.ERROR
    MESSAGE = "Path `{path}` is not RESTful: {problems}"
    FIX_TITLE = "Rewrite the path to `{new}`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ROUTE_TRIGGERS

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return
        routes = []
        decorated = [
            (node, qualname, route_decorators(ctx, node, qualname))
            for node, qualname, _ in ctx.functions()
        ]
        routed = [(node, calls) for node, _, calls in decorated if calls]
        if (
            _renders_pages(ctx) or any(_form_route(ctx, node, calls) for node, calls in routed)
        ) and not any(_answers_json(ctx, node, calls) for node, calls in routed):
            return
        for node, _qualname, calls in decorated:
            for call, route in calls:
                if (
                    route.path is not None
                    and route.method != "websocket"
                    and not _page_route(ctx, node, [(call, route)])
                    and not _deprecated_alias(call)
                    and not _mirrors_upstream(node, route.path)
                    and not public_api_path(route.path)
                ):
                    routes.append((call, route, node))
        # every path a route of the module answers, hidden ones included: a new path must not
        # catch another route's requests, nor be caught by one
        served = [
            (route.receiver, route.method, route.path, call.lineno)
            for _, _, calls in decorated
            for call, route in calls
            if route.path is not None
        ]
        scim = "scim" in ctx.text.lower()
        for call, route, function_node in routes:
            assert route.path is not None
            bad, new = rest_path(route.path, function_node.name, scim)
            if not bad:
                continue
            problems = "; ".join(f"`{s.text}` has {' and '.join(s.problems)}" for s in bad)
            message = f"Path `{route.path}` is not RESTful: {problems}"
            literal = _path_literal(call)
            fix = None
            clash = _verb_clash(bad, route.method)
            if new == "" or (new.strip("/") == "" and route.path.strip("/") != ""):
                message += "; name the resource and let the HTTP method say the action"
            elif clash is not None:
                method = (
                    "`api_route(methods=...)`"
                    if route.method == "api_route"
                    else f"`{route.method.upper()}`"
                )
                message += (
                    f"; {method} does not {clash}: name the resource and serve it with the "
                    "method that does"
                )
            elif any(
                (receiver, method) == (route.receiver, route.method)
                and path != route.path
                and (catches(path, new) if line <= call.lineno else catches(new, path))
                for receiver, method, path, line in served
            ):
                message += f"; `{new}` overlaps another `{route.method}` route of this module"
            elif literal is None or not _plain_literal(ctx, literal):
                message += f"; use `{new}`"
            else:
                message += f"; use `{new}`"
                position = next(i for i, d in enumerate(function_node.decorator_list) if d is call)
                edit = Edit(ctx.path, "path", ctx.span(function_node), (new, route.path, position))
                fix = Fix(
                    f"Serve `{new}` and keep `{route.path}` answering as a hidden, deprecated "
                    "alias",
                    FixSafety.UNSAFE,
                    (edit,),
                )
                served.append((route.receiver, route.method, new, call.lineno))
            yield self.diagnostic(ctx, call, message, fix)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import rewrite_at

        by_function: dict = {}
        for edit in edits:
            assert edit.span is not None
            new, old, position = edit.args
            by_function.setdefault(edit.span, []).append((int(position), str(new), str(old)))  # type: ignore[call-overload]
        targets = {
            ("FunctionDef", span): _aliasing_replacer(changes)
            for span, changes in by_function.items()
        }
        return rewrite_at(module, targets)


def _verb_clash(bad: list[Segment], method: str) -> str | None:
    """The verb the new path would drop although `method` does not say it (`POST /list_types`
    would become `POST /types`, which reads as creating one); None when every dropped verb
    agrees with the method."""
    return next(
        (s.verb for s in bad if s.verb and method.lower() not in VERB_METHODS[s.verb]), None
    )


def _path_pattern(path: str) -> re.Pattern[str]:
    """The requests a route path answers, as Starlette matches them."""
    parts = re.split(r"(\{[^}]*\})", path)
    regex = "".join(
        (".*" if part.endswith(":path}") else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{regex}$")


def _path_sample(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "x", path)


def catches(first: str, second: str) -> bool:
    """Whether a route at `first`, registered before one at `second`, answers requests meant
    for it."""
    return bool(_path_pattern(first).match(_path_sample(second)))


def _path_literal(call: ast.Call) -> ast.Constant | None:
    node = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "path":
            node = keyword.value
    return node if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _plain_literal(ctx: FileContext, node: ast.Constant) -> bool:
    """One plain string token, no prefix, no escapes: safe to rewrite by value."""
    if node.lineno != node.end_lineno:
        return False
    line = ctx.lines[node.lineno - 1]
    span = ctx.span(node)
    text = line[span.col : span.end_col]
    return len(text) >= 2 and text[0] in "'\"" and text[1:-1] == node.value


def _aliasing_replacer(changes: list[tuple[int, str, str]]):
    """Point each listed route decorator at its new path and add, right after it, the same
    decorator on the old path with `include_in_schema=False, deprecated=True`: old clients
    keep working while the OpenAPI document shows only the new path."""

    def replace(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.FunctionDef)
        decorators = list(node.decorators)
        for position, new, old in sorted(changes, reverse=True):
            decorator = decorators[position]
            call = decorator.decorator
            assert isinstance(call, cst.Call)
            renamed = _with_path(call, new)
            alias = _with_path(call, old)
            wanted = {"include_in_schema": "False", "deprecated": "True"}
            alias = alias.with_changes(
                args=[
                    a.with_changes(value=cst.Name(wanted[a.keyword.value]))
                    if a.keyword is not None and a.keyword.value in wanted
                    else a
                    for a in alias.args
                ]
            )
            present = {a.keyword.value for a in alias.args if a.keyword is not None}
            extra = [
                cst.Arg(
                    keyword=cst.Name(name),
                    value=cst.Name(value),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
                for name, value in (("include_in_schema", "False"), ("deprecated", "True"))
                if name not in present
            ]
            args = list(alias.args)
            last = args[-1].comma if args else None
            if args and extra and _breaks_line(last):
                # one argument a line, the closing parenthesis on its own: keep that layout
                inner = args[-2].comma if len(args) >= 2 else last
                if not _breaks_line(inner):
                    inner = last
                args[-1] = args[-1].with_changes(comma=inner)
                extra = [
                    arg.with_changes(comma=inner if index < len(extra) - 1 else last)
                    for index, arg in enumerate(extra)
                ]
            elif args and extra:
                args[-1] = args[-1].with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
            alias = alias.with_changes(args=[*args, *extra])
            decorators[position] = decorator.with_changes(decorator=renamed)
            decorators.insert(position + 1, cst.Decorator(decorator=alias))
        return node.with_changes(decorators=decorators)

    return replace


def _breaks_line(comma: object) -> bool:
    """A comma followed by a line break (`ParenthesizedWhitespace`)."""
    import libcst as cst

    return isinstance(comma, cst.Comma) and isinstance(
        comma.whitespace_after, cst.ParenthesizedWhitespace
    )


def _with_path(call: cst.Call, value: str) -> cst.Call:
    """The call with its path argument (first positional, or `path=`) set to `value`."""
    import libcst as cst

    args = list(call.args)
    for index, arg in enumerate(args):
        if (arg.keyword is None and index == 0) or (
            arg.keyword is not None and arg.keyword.value == "path"
        ):
            if isinstance(arg.value, cst.SimpleString):
                quote = arg.value.value[0]
                args[index] = arg.with_changes(
                    value=arg.value.with_changes(value=f"{quote}{value}{quote}")
                )
            break
    return call.with_changes(args=args)
