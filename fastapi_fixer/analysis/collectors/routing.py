"""How a module wires its routes: apps and routers it builds (with their `prefix=`), the
`include_router`/`mount` calls it makes, and, per function, what FF302/FF304/FF402/FF405/FF407/
FF408 need to see across modules: the `HTTPException`s it raises itself, the `Depends` targets of
its parameters (and of its route decorators' `dependencies=`), its parameter names.

Stored as ``facts.extra["routing"]``: a `ModuleRouting`. Names are qualified as the module sees
them (resolve them with ``index.resolve``). Apps and routers built inside a function are named
``<function qualname>:<name>``; a receiver that is a parameter (`def setup(app: FastAPI)`) is
``?``. Also holds small helpers shared by those rules.
"""

from __future__ import annotations

import ast
import http
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from fastapi_fixer.analysis import astwalk
from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import (
    APP_CONSTRUCTORS,
    DEPENDS_CALLS,
    ModuleFacts,
    Resolver,
    function_scope,
)

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex

KEY = "routing"
UNKNOWN = "?"  # a receiver or prefix the collector cannot name
HTTP_EXCEPTIONS = frozenset(
    {"fastapi.HTTPException", "fastapi.exceptions.HTTPException"}
    | {"starlette.exceptions.HTTPException"}
)
STATUS_MODULES = ("fastapi.status.", "starlette.status.")
_STATUS_NAME = re.compile(r"HTTP_(\d{3})_")
_PATH_MARKERS = frozenset({"fastapi.Path", "fastapi.params.Path", "fastapi.param_functions.Path"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
# a route decorator is written `@<receiver>.<method>(`: the text prefilter of the route rules
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
ROUTE_TRIGGERS = (*(f".{method}(" for method in _METHODS), ".api_route(", ".websocket(")


@dataclass(frozen=True)
class RaisedError:
    status: int
    detail: str | None  # the literal `detail=`, when it is a plain string


@dataclass(frozen=True)
class FunctionRouting:
    raises: tuple[RaisedError, ...]  # `raise HTTPException(...)` in the function's own body
    depends: tuple[str, ...]  # Depends targets: parameters, and the decorators' `dependencies=`
    params: tuple[str, ...]  # parameter names, and `Path(alias=...)` aliases
    takes_kwargs: bool
    reads_path_params: bool  # `.path_params` read in the body
    # qualified names parameters are annotated with: `UserDep` may be an alias of
    # `Annotated[User, Depends(get_user)]` (see `dependencies_of`)
    annotations: tuple[str, ...] = ()
    # what the body calls, and the names it passes as arguments (callbacks), qualified as the
    # module sees them: who calls a helper (FF501)
    uses: tuple[str, ...] = ()
    # sends a response of its own: `send({"type": "http.response.start", ...})` (FF901)
    starts_response: bool = False
    # the HTTP status codes its body names (`404`, `status.HTTP_404_NOT_FOUND`): all a helper
    # building `responses=` can add of its own (FF407, `responses_bound`)
    statuses: tuple[int, ...] = ()


@dataclass(frozen=True)
class RouterDecl:
    """A `FastAPI(...)`/`APIRouter(...)` construction."""

    name: str
    kind: str  # "app" | "router"
    prefix: str | None  # literal `prefix=` (None: absent; UNKNOWN: not a literal)
    root_path: str | None
    responses: tuple[int, ...] | None  # status codes of a literal `responses=` (None: unknown)
    in_schema: bool  # `include_in_schema=False` and `openapi_url=None` make it False
    dependencies: tuple[str, ...] | None  # Depends targets of `dependencies=` (None: unknown)
    line: int
    col: int
    # a `responses=` that is not a literal: what may be in it (`responses_bound`)
    bound: ResponsesBound | None = None
    # a module-level app its module serves on a port the system picks (`uvicorn.Config(app,
    # port=0)`): a transient local server (a CLI's login callback), whose docs nobody reads
    transient: bool = False
    # the names a `prefix=` that is not a literal is built from (`API + VERSION_1 + ARTIFACTS`)
    prefix_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncludeCall:
    receiver: str
    router: str  # qualified name of the included router, or UNKNOWN
    prefix: str | None  # as RouterDecl.prefix
    responses: tuple[int, ...] | None
    in_schema: bool
    line: int  # where the call starts
    has_star_kwargs: bool
    bound: ResponsesBound | None = None  # as RouterDecl.bound
    dependencies: tuple[str, ...] = ()  # Depends targets of `dependencies=` (UNKNOWN: unnamed)


@dataclass(frozen=True)
class MountCall:
    receiver: str
    path: str | None  # None when not a literal
    app: str  # qualified name of the mounted app, or UNKNOWN
    line: int


@dataclass
class ModuleRouting:
    functions: dict[str, FunctionRouting] = field(default_factory=dict)
    routers: dict[str, RouterDecl] = field(default_factory=dict)
    includes: list[IncludeCall] = field(default_factory=list)
    mounts: list[MountCall] = field(default_factory=list)
    # module-level `Name = Annotated[T, Depends(f)]`: qualified alias -> its Depends targets
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # every module-level `Name = Annotated[...]` (and `type Name = Annotated[...]`), qualified
    annotated_aliases: frozenset[str] = frozenset()
    demands: tuple[str, ...] = ()


# --- helpers shared by the rules ------------------------------------------------------------


def is_test_module(module: str) -> bool:
    """Test code (`tests.test_api`, `app.tests.conftest`, `foo_test`): its apps are not APIs."""
    parts = module.split(".")
    last = parts[-1]
    return (
        any(part in ("test", "tests", "testing") for part in parts)
        or last.startswith("test_")
        or last.endswith("_test")
        or last == "conftest"
    )


def status_of(node: ast.expr | None, resolver: Resolver) -> int | None:
    """`404`, `status.HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND` as a number."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value if 100 <= node.value <= 599 else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isdigit():
        return int(node.value)
    qualified = resolver.qualify(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if qualified is None:
        return None
    if qualified.startswith(STATUS_MODULES):
        match = _STATUS_NAME.match(qualified.rpartition(".")[2])
        return int(match.group(1)) if match else None
    if qualified.startswith("http.HTTPStatus."):
        member = getattr(http.HTTPStatus, qualified.rpartition(".")[2], None)
        return int(member) if member is not None else None
    return None


def phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def http_exception_of(node: ast.Raise, resolver: Resolver) -> tuple[int, str | None] | bool | None:
    """(status, literal detail) of `raise HTTPException(...)`; True for an HTTPException whose
    status is not known; None when the raise is something else."""
    exc = node.exc
    if not isinstance(exc, ast.Call) or resolver.qualify(exc.func) not in HTTP_EXCEPTIONS:
        return None
    status_node = exc.args[0] if exc.args else None
    detail_node = exc.args[1] if len(exc.args) > 1 else None
    for keyword in exc.keywords:
        if keyword.arg == "status_code":
            status_node = keyword.value
        elif keyword.arg == "detail":
            detail_node = keyword.value
    status = status_of(status_node, resolver)
    if status is None:
        return True
    detail = (
        detail_node.value
        if isinstance(detail_node, ast.Constant) and isinstance(detail_node.value, str)
        else None
    )
    return status, detail


def literal_str(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return UNKNOWN


def responses_codes(node: ast.expr | None, resolver: Resolver) -> tuple[int, ...] | None:
    """Codes of a literal `responses=` dict; () when absent; None when they cannot be known."""
    if node is None:
        return ()
    if not isinstance(node, ast.Dict):
        return None
    codes = []
    for key in node.keys:
        if key is None:  # `{**common}`
            return None
        code = status_of(key, resolver)
        if code is None:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                continue  # "default", "4XX"
            return None
        codes.append(code)
    return tuple(codes)


# a `responses=` that is not a literal, bounded: (the status codes its expression names, the
# functions it calls to build the dict, as the module names them)
ResponsesBound = tuple[tuple[int, ...], tuple[str, ...]]


def responses_bound(node: ast.expr | None, resolver: Resolver) -> ResponsesBound | None:
    """What a `responses=` that is not a literal may list: the codes its expression names and
    the functions it calls (`add_errors_to_responses([403])`, `{**common_errors(), 404: ...}`);
    each such function adds only the codes its own body names (`FunctionRouting.statuses`, see
    FF407). None when a part of it can hold anything: a name (`responses=ERRORS`, `{**base}`),
    an attribute, a variable handed to the function (`make(errors)`)."""
    codes: list[int] = []
    calls: list[str] = []

    def visit(expr: ast.expr, as_argument: bool) -> bool:
        if isinstance(expr, ast.Dict):
            for key, value in zip(expr.keys, expr.values, strict=True):
                if key is None:  # `**part`
                    if not visit(value, False):
                        return False
                    continue
                code = status_of(key, resolver)
                if code is not None:
                    codes.append(code)
                elif not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    return False
                if as_argument and not visit(value, True):
                    return False
            return True
        if isinstance(expr, ast.Call):
            callee = resolver.qualify(expr.func)
            if callee is None or callee.startswith("builtins."):
                return False
            calls.append(callee)
            arguments = [*expr.args, *(k.value for k in expr.keywords)]
            return all(visit(argument, True) for argument in arguments)
        if not as_argument:
            return False
        # what a call is given: codes, and plain values (descriptions, media types)
        code = status_of(expr, resolver)
        if code is not None:
            codes.append(code)
            return True
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return all(visit(element, True) for element in expr.elts)
        return False

    if node is None or not visit(node, False):
        return None
    return tuple(dict.fromkeys(codes)), tuple(dict.fromkeys(calls))


def depends_targets_in(
    node: ast.expr | None, resolver: Resolver, local_defs: dict[str, str] | None = None
) -> list[str]:
    """Qualified `Depends(f)` / `Security(f)` targets written in an expression; UNKNOWN for a
    target that cannot be named (`Depends()`, a local variable, an attribute of an object)."""
    found: list[str] = []
    if node is None:
        return found
    local_defs = local_defs or {}
    for child in astwalk.walk(node):
        if isinstance(child, ast.Call) and resolver.qualify(child.func) in DEPENDS_CALLS:
            target = child.args[0] if child.args else None
            for keyword in child.keywords:
                if keyword.arg == "dependency":
                    target = keyword.value
            qualified = resolver.qualify(target) if target is not None else None
            unnamed = qualified is None or qualified.startswith("builtins.")
            if isinstance(target, ast.Name) and target.id in local_defs and unnamed:
                qualified = local_defs[target.id]
            found.append(
                UNKNOWN if qualified is None or qualified.startswith("builtins.") else qualified
            )
    return found


def path_alias(node: ast.expr | None, resolver: Resolver) -> str | None:
    """`alias=` of a `Path(...)` marker in a default or an `Annotated[...]`."""
    if node is None:
        return None
    candidates = [node]
    if isinstance(node, ast.Subscript) and resolver.qualify(node.value) in _ANNOTATED:
        inner = node.slice
        candidates = list(inner.elts[1:]) if isinstance(inner, ast.Tuple) else []
    for candidate in candidates:
        if isinstance(candidate, ast.Call) and resolver.qualify(candidate.func) in _PATH_MARKERS:
            for keyword in candidate.keywords:
                if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None


def module_routing(index: ProjectIndex, qualname: str) -> ModuleRouting | None:
    """The routing facts of the module that defines ``qualname`` (a function, app or router)."""
    parts = qualname.split(".")
    for end in range(len(parts) - 1, 0, -1):
        facts = index.modules.get(".".join(parts[:end]))
        if facts is not None:
            found = facts.extra.get(KEY)
            return found if isinstance(found, ModuleRouting) else None
    return None


def function_routing(index: ProjectIndex, qualname: str) -> FunctionRouting | None:
    qualname = index.resolve(qualname)
    found = module_routing(index, qualname)
    return found.functions.get(qualname) if found is not None else None


def dependencies_of(index: ProjectIndex, facts: FunctionRouting) -> list[str]:
    """A function's Depends targets, with those hidden in `Annotated` aliases."""
    found = list(facts.depends)
    for annotation in facts.annotations:
        resolved = index.resolve(annotation)
        routing = module_routing(index, resolved)
        if routing is not None and resolved in routing.aliases:
            found.extend(routing.aliases[resolved])
    return found


# what an admin check is named: the admin role (`admin`, `superuser`, `super_user`) and only
# words of checking who calls (`check_admin`, `get_current_active_superuser`, `AdminUser`,
# `is_authenticated_admin_api`); not a credential or a page of the admin (`require_admin_key`:
# a wallet's admin key; `get_admin_session_token`; `check_admin_ui`)
_ADMIN_WORDS = frozenset({"admin", "admins", "administrator", "superuser", "superadmin"})
_CHECK_WORDS = frozenset(
    {
        *("get", "current", "active", "check", "require", "required", "requires", "is", "has"),
        *("verify", "ensure", "only", "must", "be", "user", "account", "auth", "authenticated"),
        *("authorized", "dep", "dependency", "role", "permission", "permissions", "access"),
        *("privilege", "privileges", "api", "session", "guard", "validate", "valid", ""),
    }
)
_SCOPES = frozenset({"workspace", "tenant", "organization", "organisation", "org", "team"})
_GUARD_DEPTH = 4  # dependencies of dependencies followed to find the admin check


def admin_only(index: ProjectIndex, function: str) -> bool:
    """Every route of ``function`` runs an admin check first: a dependency named after admins
    (`check_admin`, `get_current_superuser`), reached from the route's parameters, its
    decorator's `dependencies=`, its router's `APIRouter(dependencies=...)` or the
    `include_router(..., dependencies=...)` that includes its router, or from the dependencies
    of those dependencies. Whoever calls such a route is the instance's operator, trusted with
    the configuration they edit — unless the check is scoped to a tenant (`_scoped`)."""
    return index.ask(_admin_only, function)


def _admin_only(index: ProjectIndex, function: str) -> bool:
    routes = index.routes_of(function)
    facts = function_routing(index, function)
    if not routes or facts is None:
        return False
    own = dependencies_of(index, facts)
    included = index.memo("routing.include_dependencies", _include_dependencies)
    for route in routes:
        receiver = index.resolve(route.receiver)
        found = list(own)
        decl = router_decl(index, receiver)
        if decl is not None and decl.dependencies:
            found.extend(decl.dependencies)
        found.extend(included.get(receiver, ()))
        if not _reaches_admin(index, found, _GUARD_DEPTH, set()):
            return False
    return True


def _reaches_admin(index: ProjectIndex, targets: list[str], depth: int, seen: set[str]) -> bool:
    return any(
        _is_admin_check(name.rpartition(".")[2], facts)
        and (facts is None or not _scoped(index, dependencies_of(index, facts), _GUARD_DEPTH))
        for name, facts in _dependencies_below(index, targets, depth, seen)
    )


def _scoped(index: ProjectIndex, targets: list[str], depth: int) -> bool:
    """An admin of one tenant, not of the instance: the check depends on the current workspace,
    tenant, organization or team (`is_authenticated_admin_api` → `get_current_workspace`). A
    tenant's admins are customers of the service, not its operators."""
    return any(
        _SCOPES & set(_name_words(name.rpartition(".")[2]))
        for name, _ in _dependencies_below(index, targets, depth, set())
    )


def _dependencies_below(
    index: ProjectIndex, targets: list[str], depth: int, seen: set[str]
) -> Iterator[tuple[str, FunctionRouting | None]]:
    """Each named dependency in ``targets`` and, ``depth`` levels down, the dependencies of
    those dependencies, once each (``seen``), with its routing facts when the project has them."""
    for target in targets:
        if target == UNKNOWN:
            continue
        target = index.resolve(target)
        if target in seen:
            continue
        seen.add(target)
        facts = function_routing(index, target)
        yield target, facts
        if depth > 1 and facts is not None:
            yield from _dependencies_below(index, dependencies_of(index, facts), depth - 1, seen)


def _name_words(name: str) -> list[str]:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().split("_")


def _is_admin_check(name: str, facts: FunctionRouting | None) -> bool:
    """Named after the admin role, and able to look at the caller: a function with no
    parameters (`check_admin_ui()`, a feature switch) cannot tell an admin from anyone."""
    words = _name_words(name)
    pairs = {a + b: (a, b) for a, b in itertools.pairwise(words)}  # super_user
    role = {w for w in words if w in _ADMIN_WORDS}
    role.update(w for p, pair in pairs.items() if p in _ADMIN_WORDS for w in pair)
    if not role or not set(words) - role <= _CHECK_WORDS:
        return False
    return facts is None or bool(facts.params)


def _include_dependencies(index: ProjectIndex) -> dict[str, tuple[str, ...]]:
    """Router -> the Depends targets of the `include_router(...)` calls that include it (only
    when every call including it has them: a router also included unguarded is not guarded)."""
    calls: dict[str, list[tuple[str, ...]]] = {}
    for module in index.modules.values():
        routing = module.extra.get(KEY)
        if not isinstance(routing, ModuleRouting):
            continue
        for include in routing.includes:
            if include.router != UNKNOWN:
                calls.setdefault(index.resolve(include.router), []).append(include.dependencies)
    found: dict[str, tuple[str, ...]] = {}
    for router, each in calls.items():
        common = set(each[0]).intersection(*each[1:])
        if common:
            found[router] = tuple(sorted(common))
    return found


def transient(index: ProjectIndex, receiver: str) -> bool:
    """The route's receiver is an app served on a port the system picks (`RouterDecl.transient`)."""
    declared = router_decl(index, receiver)
    return declared is not None and declared.transient


# libraries a module sends HTTP requests with
HTTP_CLIENTS = frozenset({"requests", "httpx", "aiohttp", "urllib3"})


def own_client(index: ProjectIndex, receiver: str, path_refs: tuple[str, ...] = ()) -> str | None:
    """A module of the project that calls a route of ``receiver`` whose path is built from
    ``path_refs``: it sends HTTP requests (imports `requests`, `httpx`, `aiohttp` or
    `urllib3`), defines no route, is no test, and uses every name the route's URL is built
    from, the router's `prefix=` and the route's path (zenml's REST store uses `TRIGGERS` of
    `@router.delete(TRIGGERS + "/{trigger_id}")` under `APIRouter(prefix=API + VERSION_1)`): a
    client of the project's own API, which reads what the route answers. Routes whose URL is
    all literals are not matched."""
    declared = router_decl(index, receiver)
    refs = {index.resolve(ref) for ref in (*(declared.prefix_refs if declared else ()), *path_refs)}
    if not refs:
        return None
    for module, used in index.memo("routing.client_modules", _client_modules):
        if refs <= used:
            return module
    return None


def names_in(node: ast.expr | None, resolver: Resolver) -> tuple[str, ...]:
    """The project names an expression that is not a literal is built from (`API + ARTIFACTS`,
    `f"{API}/items"`), qualified."""
    if node is None or isinstance(node, ast.Constant):
        return ()
    found: list[str] = []
    for child in ast.walk(node):
        if isinstance(child, (ast.Name, ast.Attribute)):
            qualified = resolver.qualify(child)
            if qualified is not None and not qualified.startswith("builtins."):
                found.append(qualified)
    return tuple(dict.fromkeys(found))


def _client_modules(index: ProjectIndex) -> tuple[tuple[str, frozenset[str]], ...]:
    """The modules that may call the project's own routes, with the names each one uses."""
    found = []
    for facts in sorted(index.modules.values(), key=lambda m: m.module):
        if is_test_module(facts.module) or any(f.routes for f in facts.functions.values()):
            continue
        if any(
            b.kind == "import" and b.target.partition(".")[0] in HTTP_CLIENTS
            for b in facts.bindings.values()
        ):
            found.append((facts.module, frozenset(index.resolve(r) for r in facts.references)))
    return tuple(found)


def router_decl(index: ProjectIndex, receiver: str) -> RouterDecl | None:
    """The construction of a route's receiver (module-level apps and routers only)."""
    receiver = index.resolve(receiver)
    found = module_routing(index, receiver)
    return found.routers.get(receiver) if found is not None else None


# --- the collector --------------------------------------------------------------------------

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# the nodes `_Collector.walk` looks at: a cheap test first, as most nodes are something else
_TYPE_ALIAS = getattr(ast, "TypeAlias", None)  # `type X = ...` (Python 3.12)
_WALKED = frozenset(
    {*_FUNCTIONS, ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Call}
    | ({_TYPE_ALIAS} if _TYPE_ALIAS is not None else set())
)


class _Collector:
    def __init__(self, facts: ModuleFacts, resolver: Resolver, own: OwnNodes) -> None:
        self.facts = facts
        self.resolver = resolver
        self.own = own
        self.found = ModuleRouting()
        self.demands: set[str] = set()
        self.annotated_aliases: set[str] = set()
        # functions defined inside functions, by name (last one wins: good enough for Depends)
        self.local_defs: dict[str, str] = {}

    def receiver(self, node: ast.expr, local: dict[str, str]) -> str:
        if isinstance(node, ast.Name) and node.id in local:
            return local[node.id]
        qualified = self.resolver.qualify(node)
        if qualified is None or qualified.startswith("builtins."):
            return UNKNOWN
        return qualified

    def walk(self, body: list[ast.stmt], prefix: str, local: dict[str, str] | None) -> None:
        """``local``: app/router names bound in the enclosing function (None at module level)."""
        names = {} if local is None else dict(local)
        if local is not None:
            for child in self.own(body):
                if isinstance(child, _FUNCTIONS):
                    self.local_defs[child.name] = f"{prefix}.{child.name}"
            for child in self.own(body):
                if isinstance(child, ast.Assign) and isinstance(child.value, ast.Call):
                    if APP_CONSTRUCTORS.get(self.resolver.qualify(child.value.func) or ""):
                        for target in child.targets:
                            if isinstance(target, ast.Name):
                                names[target.id] = f"{prefix}:{target.id}"
                elif isinstance(child, ast.arg):
                    pass
        for child in self.own(body):
            if type(child) not in _WALKED:
                continue
            if isinstance(child, _FUNCTIONS):
                qualname = f"{prefix}.{child.name}"
                self.function(child, qualname, names)
                inner = {n: v for n, v in names.items()}
                for arg in _all_args(child):
                    inner.pop(arg.arg, None)
                    if arg.annotation is not None and APP_CONSTRUCTORS.get(
                        self.resolver.qualify(arg.annotation) or ""
                    ):
                        inner[arg.arg] = UNKNOWN
                self.walk(child.body, qualname, inner)
            elif isinstance(child, ast.ClassDef):
                inner_local = names if local is not None else None
                self.walk(child.body, f"{prefix}.{child.name}", inner_local)
            elif isinstance(child, (ast.Assign, ast.AnnAssign)) and isinstance(
                child.value, ast.Call
            ):
                self.construction(child, prefix, local)  # `router: APIRouter = APIRouter()`
            elif (
                local is None
                and isinstance(child, (ast.Assign, ast.AnnAssign))
                and isinstance(child.value, ast.Subscript)
                and self.resolver.qualify(child.value.value) in _ANNOTATED
            ):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                depends = depends_targets_in(child.value, self.resolver)
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.annotated_aliases.add(f"{prefix}.{target.id}")
                    if isinstance(target, ast.Name) and depends:
                        self.found.aliases[f"{prefix}.{target.id}"] = tuple(depends)
                        self.demands.update(d for d in depends if d != UNKNOWN)
            elif (
                local is None
                and _TYPE_ALIAS is not None
                and isinstance(child, _TYPE_ALIAS)
                and isinstance(child.value, ast.Subscript)  # type: ignore[attr-defined]
                and self.resolver.qualify(child.value.value) in _ANNOTATED  # type: ignore[attr-defined]
            ):
                self.annotated_aliases.add(f"{prefix}.{child.name.id}")  # type: ignore[attr-defined]
            elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                if child.func.attr == "include_router":
                    self.include(child, names)
                elif child.func.attr == "mount":
                    self.mount(child, names)

    def construction(
        self, node: ast.Assign | ast.AnnAssign, prefix: str, local: dict[str, str] | None
    ) -> None:
        call = node.value
        assert isinstance(call, ast.Call)
        kind = APP_CONSTRUCTORS.get(self.resolver.qualify(call.func) or "")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if kind is None or len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return
        target = targets[0].id
        name = f"{prefix}.{target}" if local is None else f"{prefix}:{target}"
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        in_schema = not (
            _is_false(keywords.get("include_in_schema")) or _is_none(keywords.get("openapi_url"))
        )
        root = keywords.get("root_path")
        responses = responses_codes(keywords.get("responses"), self.resolver)
        bound = (
            responses_bound(keywords.get("responses"), self.resolver) if responses is None else None
        )
        self.found.routers[name] = RouterDecl(
            name=name,
            kind=kind,
            prefix=literal_str(keywords.get("prefix")),
            root_path=literal_str(root),
            responses=responses,
            in_schema=in_schema,
            dependencies=_dependencies(keywords.get("dependencies"), self.resolver),
            line=call.lineno,
            col=call.col_offset,
            bound=bound,
            prefix_refs=names_in(keywords.get("prefix"), self.resolver),
        )
        self.demands.update(self.found.routers[name].dependencies or ())
        self.demands.update(bound[1] if bound else ())

    def include(self, call: ast.Call, local: dict[str, str]) -> None:
        router_node = call.args[0] if call.args else None
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        router_node = keywords.get("router", router_node)
        router = self.receiver(router_node, local) if router_node is not None else UNKNOWN
        responses = responses_codes(keywords.get("responses"), self.resolver)
        bound = (
            responses_bound(keywords.get("responses"), self.resolver) if responses is None else None
        )
        self.found.includes.append(
            IncludeCall(
                receiver=self.receiver(call.func.value, local),  # type: ignore[attr-defined]
                router=router,
                prefix=literal_str(keywords.get("prefix")),
                responses=responses,
                in_schema=not _is_false(keywords.get("include_in_schema")),
                line=call.lineno,
                has_star_kwargs=any(k.arg is None for k in call.keywords),
                bound=bound,
                dependencies=tuple(depends_targets_in(keywords.get("dependencies"), self.resolver)),
            )
        )
        self.demands.update(self.found.includes[-1].dependencies)
        self.demands.discard(UNKNOWN)
        self.demands.update(bound[1] if bound else ())
        if router != UNKNOWN:
            self.demands.add(router)

    def mount(self, call: ast.Call, local: dict[str, str]) -> None:
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        path_node = keywords.get("path", call.args[0] if call.args else None)
        app_node = keywords.get("app", call.args[1] if len(call.args) > 1 else None)
        path = literal_str(path_node)
        self.found.mounts.append(
            MountCall(
                receiver=self.receiver(call.func.value, local),  # type: ignore[attr-defined]
                path=None if path in (None, UNKNOWN) else path,
                app=self.receiver(app_node, local) if app_node is not None else UNKNOWN,
                line=call.lineno,
            )
        )

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, local) -> None:
        resolver = self.resolver
        raises: list[RaisedError] = []
        reads_path_params = False
        uses: set[str] = set()
        statuses: set[int] = set()
        starts_response = False
        body_resolver = resolver
        if any(isinstance(c, (ast.Import, ast.ImportFrom)) for c in self.own(node.body)):
            # `from .helpers import check` inside the function: names as the body sees them
            scope = function_scope(
                node, resolver.scope, qualname, self.facts.module, self.facts.is_package, self.own
            )
            body_resolver = resolver.within(scope)
        for child in self.own(node.body):
            if isinstance(child, ast.Raise):
                found = http_exception_of(child, resolver)
                if isinstance(found, tuple):
                    raises.append(RaisedError(*found))
            elif isinstance(child, ast.Attribute) and child.attr == "path_params":
                reads_path_params = True
            elif type(child) is ast.Constant and type(child.value) is int:  # type: ignore[attr-defined]
                if 100 <= child.value <= 599:  # type: ignore[attr-defined]
                    statuses.add(child.value)  # type: ignore[attr-defined]
            elif type(child) is ast.Attribute and child.attr.isupper():  # type: ignore[attr-defined]
                code = status_of(child, body_resolver)  # type: ignore[arg-type]
                if code is not None:
                    statuses.add(code)
            elif isinstance(child, ast.Call):
                starts_response = starts_response or any(
                    _is_response_start(argument) for argument in child.args
                )
                for used in (child.func, *child.args, *(k.value for k in child.keywords)):
                    if isinstance(used, (ast.Name, ast.Attribute)):
                        qualified = body_resolver.qualify(used)
                        if qualified is not None and not qualified.startswith("builtins."):
                            uses.add(qualified)
        depends: list[str] = []
        params: list[str] = []
        annotations: list[str] = []
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults.extend(args.defaults)
        pairs = [
            *zip(positional, defaults, strict=True),
            *zip(args.kwonlyargs, args.kw_defaults, strict=True),
        ]
        for arg, default in pairs:
            params.append(arg.arg)
            if isinstance(arg.annotation, (ast.Name, ast.Attribute)):
                qualified = resolver.qualify(arg.annotation)
                # a module-level alias is an "other" binding the resolver does not name
                if (
                    qualified is None
                    and isinstance(arg.annotation, ast.Name)
                    and arg.annotation.id in self.facts.bindings
                ):
                    qualified = f"{self.facts.module}.{arg.annotation.id}"
                if qualified is not None and not qualified.startswith(("builtins.", "typing.")):
                    annotations.append(qualified)
            for where in (arg.annotation, default):
                depends.extend(depends_targets_in(where, resolver, self.local_defs))
                alias = path_alias(where, resolver)
                if alias is not None:
                    params.append(alias)
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "dependencies":
                        depends.extend(depends_targets_in(keyword.value, resolver, self.local_defs))
        self.demands.update(d for d in depends if d != UNKNOWN)
        self.found.functions[qualname] = FunctionRouting(
            raises=tuple(raises),
            depends=tuple(dict.fromkeys(depends)),
            params=tuple(params),
            takes_kwargs=args.kwarg is not None,
            reads_path_params=reads_path_params,
            annotations=tuple(annotations),
            uses=tuple(sorted(uses)),
            starts_response=starts_response,
            statuses=tuple(sorted(statuses)),
        )


def _is_response_start(node: ast.expr) -> bool:
    return isinstance(node, ast.Dict) and any(
        isinstance(k, ast.Constant)
        and k.value == "type"
        and isinstance(v, ast.Constant)
        and v.value == "http.response.start"
        for k, v in zip(node.keys, node.values, strict=True)
    )


def _all_args(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    args = node.args
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found.extend(a for a in (args.vararg, args.kwarg) if a is not None)
    return found


def _dependencies(node: ast.expr | None, resolver: Resolver) -> tuple[str, ...] | None:
    if node is None:
        return ()
    targets = depends_targets_in(node, resolver)
    if not isinstance(node, (ast.List, ast.Tuple)) or len(targets) != len(node.elts):
        return None
    if UNKNOWN in targets:
        return None
    return tuple(targets)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# calls that serve an app without adding routes to it
_SERVERS = frozenset({"Config", "Server", "run", "serve"})
_SERVER_MODULES = frozenset({"uvicorn", "hypercorn", "granian"})


def serves(call: ast.Call) -> bool:
    """`uvicorn.Config(app, ...)`, `uvicorn.run(app)`: the app is served, not extended."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _SERVERS
        and isinstance(func.value, ast.Name)
        and func.value.id in _SERVER_MODULES
    )


def _served_on_ephemeral_port(tree: ast.Module, name: str) -> bool:
    """The module serves the app ``name`` on a port the system picks (`uvicorn.Config(app,
    port=0)`): a transient local server (a CLI's login callback), not a deployed service."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and serves(node)):
            continue
        target = node.args[0] if node.args else None
        target = target or next((k.value for k in node.keywords if k.arg == "app"), None)
        port = next((k.value for k in node.keywords if k.arg == "port"), None)
        if (
            isinstance(target, ast.Name)
            and target.id == name
            and isinstance(port, ast.Constant)
            and port.value == 0
        ):
            return True
    return False


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> ModuleRouting:
    collector = _Collector(facts, resolver, own)
    collector.walk(tree.body, facts.module, None)
    found = collector.found
    found.demands = tuple(sorted(collector.demands))
    found.annotated_aliases = frozenset(collector.annotated_aliases)
    for name, decl in found.routers.items():
        short = name.rpartition(".")[2]
        if decl.kind == "app" and ":" not in name and _served_on_ephemeral_port(tree, short):
            found.routers[name] = replace(decl, transient=True)
    return found
