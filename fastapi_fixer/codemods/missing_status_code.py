"""## What it does
Finds `POST` routes that create a resource but answer `200 OK`, and `DELETE` routes that return
nothing but answer `200 OK` with a `null` body, because the decorator sets no `status_code`.
A `POST` route creates when it returns a model (a constructor call, a name bound to one, a call
of a project function annotated to return one) or declares one (`response_model=ItemOut`,
`-> ItemOut`), and there is evidence of a creation: the function name or the path's last
segment says so (`create_item`, `add_user`, `register`, `upload_file`, `/new`), or the path is a
collection (`/items`, `""`) and the body inserts (`session.add(...)`, `.insert(...)`,
`repo.create_user(...)`). It is not a creation when the path ends in a parameter, or the
function name or the path's last segment names an action or a change to what exists
(`/login`, `/search`, `/list`, `update_item`, `/replace`, `set_config`, `upsert`, `annotate`,
`start`, `add_user_to_group`, `team_member_add`...), when the body is a list (a batch), or when
the returned model only reports an outcome (fields such as `status`, `message`, `track_id`).
A `DELETE` route qualifies when no `return` in it has a value.

## Why is this bad?
REST clients and the OpenAPI document rely on the status code: `201 Created` says a resource
now exists, `204 No Content` says there is no body to read. The guide asks for an explicit
`status_code` on every route.

## Example
```python
@router.post("/items")
async def create_item(data: ItemCreate):
    return ItemOut(id=1, **data.model_dump())


@router.delete("/items/{item_id}")
async def delete_item(item_id: int):
    await db.delete(item_id)
```

## Use instead
```python
from fastapi import status


@router.post("/items", status_code=status.HTTP_201_CREATED)
async def create_item(data: ItemCreate):
    return ItemOut(id=1, **data.model_dump())


@router.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: int):
    await db.delete(item_id)
```

## Fix safety
Unsafe: clients see a new status code (and, for `204`, an empty body instead of `null`).
The constant is written through an existing `status` import from `fastapi` or `starlette` (any
alias), or `import fastapi` as `fastapi.status`; otherwise `from fastapi import status` is
added. When the module binds the name `status` to something else, `import starlette.status`
is added and `starlette.status.HTTP_...` is used; when `starlette` is taken too, no fix.
When the decorator's `responses=` documents the success as `200` (`200`, `"200"` or
`status.HTTP_200_OK`) and has no entry for the new code, that entry becomes the new code's, so
the document does not list a `200` the route no longer answers.
No fix for routes nested in a function or a class. No `204` fix for a `DELETE` route the
project's own client calls (a module that sends requests with `requests`, `httpx`, `aiohttp`
or `urllib3`, defines no route, and uses every name the route's URL is built from, such as
zenml's REST store using `ARTIFACTS` of `APIRouter(prefix=API + VERSION_1 + ARTIFACTS)`): a
client that decodes every answer as JSON breaks on an empty body, so the two change together.
A client that spells the URL as a string literal is not recognised.

## Known problems
Routes in test modules (`tests/`, `test_*.py`, `conftest.py`) are not reported.
Not reported: routes declared `deprecated=True` (kept answering for the clients written
against them: a new status code changes what those clients see, for a route on its way out),
routes that take a `Response` parameter (they may set the code themselves),
`POST` routes that take an `OAuth2PasswordRequestForm` (a login) or return a parameter as it
came in (an echo),
routes that return `Response` objects (also of a project subclass of a response class, such as
`class CustomJSONResponse(Response)`: the object's status is what the client gets, whatever
the decorator says), `POST` routes that return dicts without a declared
model, lists, or `None`, `POST` paths ending in a parameter (`/items/{id}`), `DELETE` routes
that return a value, and `api_route` unless `methods=` lists exactly one of `POST`/`DELETE`.
Actions and creations are recognised by words in the function name and the path's last
segment, so a creating route named without a creation word (`def orders_post`) whose body does
not visibly insert is not reported; a router prefix (`APIRouter(prefix="/login")`,
`include_router(..., prefix=...)`) is not looked at.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.return_annotations import annotation_shape
from fastapi_fixer.analysis.collectors.routing import is_test_module, names_in, own_client
from fastapi_fixer.analysis.facts import FunctionNode, Resolver, _own_statements
from fastapi_fixer.analysis.pydantic_index import (
    ModelShape,
    always_exits,
    fields_of,
    returns_nothing,
    route_returns,
    shape_of_type,
)
from fastapi_fixer.codemods.missing_response_model import (
    apply_route_edits,
    has_keyword,
    keyword_of_edit,
    route_decorators,
    route_keywords_fix,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

STATUS_MODULES = frozenset({"fastapi.status", "starlette.status"})
RESPONSE_TYPES = frozenset(
    {"fastapi.Response", "fastapi.responses.Response", "starlette.responses.Response"}
)
LOGIN_FORMS = frozenset(
    {
        "fastapi.security.OAuth2PasswordRequestForm",
        "fastapi.security.OAuth2PasswordRequestFormStrict",
        "fastapi.security.oauth2.OAuth2PasswordRequestForm",
        "fastapi.security.oauth2.OAuth2PasswordRequestFormStrict",
    }
)
# words that make a POST an action rather than the creation of a resource
ACTION_WORDS = frozenset(
    {
        "login", "logout", "signin", "signout", "auth", "authenticate", "authorize", "token",
        "refresh", "search", "query", "find", "filter", "lookup", "verify", "validate", "check",
        "send", "run", "execute", "trigger", "calculate", "compute", "preview", "export",
        "reset", "confirm", "activate", "deactivate", "archive", "restore", "publish",
        "approve", "reject", "cancel", "retry", "sync", "convert", "render", "process",
        "ping", "echo", "test", "estimate", "quote", "count", "batch", "bulk", "revoke",
        "oauth", "oauth2",
    }
)  # fmt: skip
# words that make a POST a change to what exists, not the creation of a resource
CHANGE_WORDS = frozenset(
    {
        # changes to what exists, not a new resource
        "update", "set", "edit", "modify", "patch", "replace", "upsert", "save", "toggle",
        "remove", "delete", "clear", "pin", "unpin", "share", "unshare", "fork", "clone",
        "copy", "move", "rename", "start", "stop", "pause", "resume", "reload", "restart",
        "evaluate", "annotate", "resolve", "install", "uninstall", "connect", "disconnect",
        "scan", "repair", "reprocess", "retrieve", "get", "list", "detect", "refuse",
        "transfer", "compact", "enroll", "enrollment", "regenerate", "mute", "unmute",
        "mark", "import", "analysis", "analyze",
        "assign", "unassign", "link", "unlink", "attach", "detach", "join", "leave", "accept",
        "decline", "subscribe", "unsubscribe", "vote", "rate", "apply", "merge", "upgrade",
        "download", "exit", "reorder", "paginated", "status",
        # `add_user_to_group`: a change to the group, not a new resource
        "to", "from", "into",
    }
)  # fmt: skip
# with `add`, a change to a group (`/team/member_add`, `add_project_members`): existing users join
MEMBER_WORDS = frozenset({"member", "members", "membership", "memberships"})
# words that say a POST makes a new resource
CREATE_WORDS = frozenset({"create", "new", "add", "insert", "register", "signup", "upload"})
# a returned model with only these fields reports an outcome, not a resource
OUTCOME_FIELDS = frozenset(
    {"status", "message", "success", "ok", "detail", "result", "track_id", "task_id", "job_id"}
)
CREATED = "HTTP_201_CREATED"
NO_CONTENT = "HTTP_204_NO_CONTENT"
_WORDS = re.compile(r"[a-z0-9]+")


class MissingStatusCode(Rule):
    CODE = "FF404"
    NAME = "missing-status-code"
    SEVERITY = Severity.WARNING
    MESSAGE = "`{method}` route `{function}` answers `200 OK`; use `{status}`"
    FIX_TITLE = "Add `status_code=status.{status}`"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("post", "delete", "api_route")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return  # test apps are written to exercise the framework, not to document an API
        for node, qualname, resolver in ctx.functions():
            decorators = route_decorators(ctx, node, qualname)
            if not decorators or _takes_response(node, resolver):
                continue
            for call, route in decorators:
                if has_keyword(call, "status_code") or _deprecated(call):
                    continue
                method = _method_of(call, route.method)
                if method == "post" and self._creates(ctx, node, resolver, call, route.path):
                    yield self._report(ctx, node, qualname, call, "POST", CREATED)
                elif method == "delete" and self._deletes(ctx, node, resolver, call):
                    yield self._report(ctx, node, qualname, call, "DELETE", NO_CONTENT)

    def _creates(
        self,
        ctx: FileContext,
        node: FunctionNode,
        resolver: Resolver,
        call: ast.Call,
        path: str | None,
    ) -> bool:
        if path is None or _is_action(node.name, path):
            return False
        if _parameter_types(node, resolver) & LOGIN_FORMS or _echoes_parameter(node):
            return False
        if _takes_list(node):
            return False  # a bulk operation: no one created resource to answer with
        if not (_says_create(node.name, path) or _inserts(node, path)):
            return False
        if _returns_response(ctx.index, node, resolver):
            return False  # the response object sets the status, not the decorator
        returned = route_returns(ctx.index, node, resolver)
        if returned is None:
            returned = _declared_model(ctx, node, resolver, call)
            if returned is None or not _returns_values(node):
                return False
        return not returned.many and not _reports_outcome(ctx, returned.model)

    def _deletes(
        self, ctx: FileContext, node: FunctionNode, resolver: Resolver, call: ast.Call
    ) -> bool:
        if not returns_nothing(node):
            return False
        for keyword in call.keywords:
            if keyword.arg == "response_model" and not _is_none(keyword.value):
                return False
        return node.returns is None or _is_none(node.returns)

    def _report(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        call: ast.Call,
        method: str,
        constant: str,
    ) -> Diagnostic:
        if constant == CREATED:
            message = (
                f"`POST` route `{node.name}` creates a resource but answers `200 OK`; "
                "answer `201 Created` with `status_code=status.HTTP_201_CREATED`"
            )
        else:
            message = (
                f"`DELETE` route `{node.name}` returns nothing but answers `200 OK` with a "
                "`null` body; answer `204 No Content` with "
                "`status_code=status.HTTP_204_NO_CONTENT`"
            )
        fix = None
        facts = ctx.index.functions.get(qualname)
        reference = status_reference(ctx)
        client = None
        if constant == NO_CONTENT and facts is not None and facts.routes:
            path = next((k.value for k in call.keywords if k.arg == "path"), None)
            refs = names_in(call.args[0] if call.args else path, ctx.resolver)
            client = next(
                (c for r in facts.routes if (c := own_client(ctx.index, r.receiver, refs))), None
            )
        if reference is None:
            message += " (no fix: the names `status` and `starlette` are both taken)"
        elif client is not None:
            # `204` sends no body: a client that decodes every answer as JSON would break
            message += (
                f" (no fix: `{client}`, the project's own client of this route, reads its "
                "answers; change both together)"
            )
        elif facts is not None and not facts.is_nested and not facts.is_method:
            name, needed = reference
            value = f"{name}.{constant}"
            edits = [Edit(ctx.path, "keyword", ctx.span(call), ("status_code", value))]
            if needed is not None:
                edits.append(Edit(ctx.path, "import", None, needed))
            success = _documented_success(call, constant)
            if success is not None:  # `responses={200: {"description": "Created"}}`
                rekey = (_new_key(success, value), _node_type(success))
                edits.append(Edit(ctx.path, "rekey", ctx.span(success), rekey))
            fix = Fix(f"Add `status_code={value}`", FixSafety.UNSAFE, tuple(edits))
        return self.diagnostic(ctx, call, message, fix)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import rewrite_at

        keys = {}
        for edit in edits:
            if edit.kind == "rekey":
                assert edit.span is not None
                keys[(str(edit.args[1]), edit.span)] = _replacer(str(edit.args[0]))
        if keys:
            module = rewrite_at(module, keys)
        return apply_route_edits(module, [edit for edit in edits if edit.kind != "rekey"])

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`route_keywords_text`); None where that is
        not certain to be what `fix` writes (a `responses=` key to change), and outside a fix
        pass."""
        return route_keywords_fix(text, edits, keyword_of_edit)


def _node_type(key: ast.expr) -> str:
    """The LibCST node a `responses=` key is: `200`, `"200"`, `status.HTTP_200_OK`."""
    if isinstance(key, ast.Constant):
        return "SimpleString" if isinstance(key.value, str) else "Integer"
    return "Attribute"


def _replacer(text: str):
    def replace(node, as_operand):
        import libcst as cst

        return cst.parse_expression(text)

    return replace


def _status_of(key: ast.expr) -> int | None:
    if isinstance(key, ast.Constant) and isinstance(key.value, (int, str)):
        text = str(key.value)
        return int(text) if text.isdigit() else None
    if isinstance(key, ast.Attribute) and key.attr.startswith("HTTP_"):
        number = key.attr.split("_")[1]
        return int(number) if number.isdigit() else None
    return None


def _documented_success(call: ast.Call, constant: str) -> ast.expr | None:
    """The `200` key of the decorator's `responses=` dict, when it documents the success the
    new status code replaces and the dict has no entry for the new code yet."""
    new = int(constant.split("_")[1])
    for keyword in call.keywords:
        if keyword.arg != "responses" or not isinstance(keyword.value, ast.Dict):
            continue
        keys = [key for key in keyword.value.keys if key is not None]
        codes = [_status_of(key) for key in keys]
        if new in codes:
            return None
        for key, code in zip(keys, codes, strict=True):
            if code == 200:
                return key
    return None


def _new_key(key: ast.expr, value: str) -> str:
    """The new code written as the old key was: `201`, `"201"` or `status.HTTP_201_CREATED`."""
    code = value.rpartition(".")[2].split("_")[1]
    if isinstance(key, ast.Constant):
        return f'"{code}"' if isinstance(key.value, str) else code
    return value


def status_reference(ctx: FileContext) -> tuple[str, tuple[str, str | None] | None] | None:
    """How to write ``status`` in this module, and the import to add for it (or None)."""
    bindings = ctx.scope.bindings
    for name, binding in sorted(bindings.items()):
        if binding.kind == "import" and binding.target in STATUS_MODULES:
            return name, None
    for name, binding in sorted(bindings.items()):
        if binding.kind == "import" and binding.target == "fastapi":
            return f"{name}.status", None
    if "status" not in bindings:
        return "status", ("fastapi", "status")
    if "starlette" not in bindings:
        return "starlette.status", ("starlette.status", None)
    return None


def _method_of(call: ast.Call, method: str) -> str | None:
    """The one HTTP method a decorator routes: `api_route` only with a one-method literal."""
    if method != "api_route":
        return method
    for keyword in call.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, (ast.List, ast.Tuple, ast.Set)):
            names = [
                e.value.lower()
                for e in keyword.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            if len(names) == len(keyword.value.elts) == 1:
                return names[0]
    return None


def _is_action(function: str, path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    if last.startswith("{"):
        return True  # `POST /items/{id}` is not a collection: not a creation
    words = {*_WORDS.findall(function.lower()), *_WORDS.findall(last.lower())}
    if "add" in words and words & MEMBER_WORDS:
        return True  # `team_member_add`: existing users join an existing group
    return bool(words & (ACTION_WORDS | CHANGE_WORDS))


def _last_words(function: str, path: str) -> tuple[set[str], set[str]]:
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    return set(_WORDS.findall(function.lower())), set(_WORDS.findall(last.lower()))


def _says_create(function: str, path: str) -> bool:
    """The function name or the path's last segment names a creation (`create_item`, `/new`)."""
    name, last = _last_words(function, path)
    return bool((name | last) & CREATE_WORDS)


def _is_collection(path: str) -> bool:
    """`""`, `/` or a path whose last segment is a plural noun (`/items`, `/users/{id}/orders`)."""
    segments = [s for s in path.split("/") if s]
    return not segments or (segments[-1].endswith("s") and not segments[-1].endswith("ss"))


def _inserts(node: FunctionNode, path: str) -> bool:
    """A `POST` to a collection whose body inserts: `session.add(x)`, `db.insert(...)`,
    `repo.create_user(...)`, `Items.insert_new_item(...)`."""
    if not _is_collection(path):
        return False
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            name = child.func.attr.lower()
            if name in {"add", "insert", "create"} or name.startswith(
                ("create_", "insert_", "add_")
            ):
                return True
    return False


def _reports_outcome(ctx: FileContext, model: str) -> bool:
    """The returned model only reports how an operation went (`status`, `message`, a
    `track_id` to follow it): an acknowledgement, not the created resource."""
    names = {f.name.lower() for f in fields_of(ctx.index, model)}
    return bool(names) and names <= OUTCOME_FIELDS


def _takes_list(node: FunctionNode) -> bool:
    """A parameter typed `list[...]` / `List[...]`: the body is a batch."""
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        annotation = arg.annotation
        if isinstance(annotation, ast.Subscript):
            base = annotation.value
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name in {"list", "List", "Sequence"}:
                return True
    return False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _parameter_types(node: FunctionNode, resolver: Resolver) -> set[str]:
    """Qualified types of the parameters (`Annotated[T, ...]` as T; `x: T = Depends()` as T)."""
    found = set()
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        annotation = arg.annotation
        if isinstance(annotation, ast.Subscript):  # Annotated[Response, ...]
            inner = annotation.slice
            annotation = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        qualified = resolver.qualify(annotation) if annotation is not None else None
        if qualified is not None:
            found.add(qualified)
    return found


def _takes_response(node: FunctionNode, resolver: Resolver) -> bool:
    """A `Response` parameter lets the route set its own status code."""
    return bool(_parameter_types(node, resolver) & RESPONSE_TYPES)


def _echoes_parameter(node: FunctionNode) -> bool:
    """Every `return` hands back a parameter as it came in: an echo, not a creation."""
    args = node.args
    parameters = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    values = [n.value for n in _own_statements(node.body) if isinstance(n, ast.Return)]
    return bool(values) and all(isinstance(v, ast.Name) and v.id in parameters for v in values)


def _declared_model(
    ctx: FileContext, node: FunctionNode, resolver: Resolver, call: ast.Call
) -> ModelShape | None:
    for keyword in call.keywords:
        if keyword.arg == "response_model":
            return shape_of_type(ctx.index, annotation_shape(keyword.value, ctx.resolver))
    if node.returns is not None:
        return shape_of_type(ctx.index, annotation_shape(node.returns, ctx.resolver))
    return None


def _returns_values(node: FunctionNode) -> bool:
    """Every path returns a value that is not a literal `None` (and the function is not a
    generator)."""
    own = list(_own_statements(node.body))
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own):
        return False
    values = [n.value for n in own if isinstance(n, ast.Return)]
    return (
        bool(values)
        and all(v is not None and not _is_none(v) for v in values)
        and always_exits(node.body)
    )


def _returns_response(index: ProjectIndex, node: FunctionNode, resolver: Resolver) -> bool:
    """A `return` builds a response object: its status code is the one the route answers with,
    whatever the decorator says."""
    for child in _own_statements(node.body):
        if isinstance(child, ast.Return) and isinstance(child.value, ast.Call):
            callee = resolver.qualify(child.value.func)
            if callee and index.ask(is_response_class, callee):
                return True
    return False


def is_response_class(index: ProjectIndex, name: str) -> bool:
    """``name`` is a FastAPI/Starlette response class, or a project class deriving from one
    (`class CustomJSONResponse(Response)`), through any number of project classes."""
    seen: set[str] = set()
    pending = [name]
    while pending and len(seen) < 16:
        current = index.resolve(pending.pop())
        if current.startswith(("fastapi.", "starlette.")) and current.endswith("Response"):
            return True
        if current in seen:
            continue
        seen.add(current)
        module_name = index.find_module(current.rpartition(".")[0])
        if module_name is not None:
            pending.extend(index.modules[module_name].class_bases.get(current, ()))
    return False


def _deprecated(call: ast.Call) -> bool:
    """`deprecated=True` on the decorator: a route kept answering for its old clients, whose
    status code is part of what they were written against."""
    return any(
        keyword.arg == "deprecated"
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True
        for keyword in call.keywords
    )
