"""Which module-level plain `def` functions do no I/O of their own (FF104).

Stored as ``facts.extra["pure_functions"]``: qualified name -> ``Purity``. A body is *locally
pure* when every call in it is on the allow-list below (pure builtins, exceptions, `jwt.decode`,
`json`, `re`, ...) or is a str/dict/list method called on a value known to be plain data (a
literal, a parameter annotated `str`/`dict`/..., the result of an allowed call, `request.headers`),
and it has no `with`, no import, no nested function or lambda and no loop over an object of
unknown type. Calls to anything else are kept in ``needs``: the rule accepts them only when they
resolve to project functions that are pure in turn.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import (
    ModuleFacts,
    Resolver,
    _target_names,
    function_scope,
)

KEY = "pure_functions"

_PURE_BUILTINS = frozenset(
    {
        "abs", "all", "any", "ascii", "bin", "bool", "bytes", "callable", "chr", "dict",
        "divmod", "enumerate", "float", "format", "frozenset", "getattr", "hasattr", "hash",
        "hex", "id", "int", "isinstance", "issubclass", "len", "list", "max", "min", "oct",
        "ord", "pow", "range", "repr", "reversed", "round", "set", "slice", "sorted", "str",
        "sum", "tuple", "type", "zip",
    }
)  # fmt: skip
_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
PURE_CALLS = frozenset(
    {
        *(f"builtins.{name}" for name in _PURE_BUILTINS | _EXCEPTIONS),
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
        "fastapi.WebSocketException",
        "fastapi.exceptions.WebSocketException",
        "starlette.exceptions.WebSocketException",
        "jwt.decode",
        "jwt.encode",
        "jwt.get_unverified_header",
        "jose.jwt.decode",
        "jose.jwt.encode",
        "jose.jwt.get_unverified_claims",
        "jose.jwt.get_unverified_header",
        "json.loads",
        "json.dumps",
        "base64.b64decode",
        "base64.b64encode",
        "base64.urlsafe_b64decode",
        "base64.urlsafe_b64encode",
        "binascii.Error",
        "hmac.compare_digest",
        "secrets.compare_digest",
        "secrets.token_hex",
        "secrets.token_urlsafe",
        "hashlib.md5",
        "hashlib.sha1",
        "hashlib.sha256",
        "hashlib.sha512",
        "uuid.uuid4",
        "uuid.UUID",
        "re.compile",
        "re.match",
        "re.fullmatch",
        "re.search",
        "re.sub",
        "re.split",
        "re.findall",
        "datetime.datetime",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.fromtimestamp",
        "datetime.date",
        "datetime.date.today",
        "datetime.timedelta",
        "datetime.timezone",
        "time.time",
        "time.monotonic",
        "os.getenv",
        "os.environ.get",
        "typing.cast",
    }
)
# results that are an argument or an element of one, not fresh plain data
_OPAQUE_RESULTS = frozenset(
    {"builtins.getattr", "builtins.max", "builtins.min", "builtins.type", "typing.cast"}
)
PURE_METHODS = frozenset(
    {
        # str / bytes
        "capitalize", "casefold", "count", "decode", "encode", "endswith", "find", "format",
        "index", "isalnum", "isalpha", "isdigit", "islower", "isspace", "isupper", "join",
        "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind",
        "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "title",
        "upper", "zfill",
        # dict / list / set
        "add", "append", "clear", "copy", "difference", "discard", "extend", "get", "insert",
        "intersection", "issubset", "issuperset", "items", "keys", "pop", "remove", "reverse",
        "setdefault", "sort", "union", "update", "values",
        # hashes, dates, regular expressions
        "digest", "hexdigest", "isoformat", "timestamp", "total_seconds", "group", "groups",
    }
)  # fmt: skip
_PLAIN_TYPES = frozenset(
    {
        *(f"builtins.{name}" for name in ("str", "int", "float", "bool", "bytes", "dict")),
        *(f"builtins.{name}" for name in ("list", "set", "tuple", "frozenset")),
        *(f"typing.{name}" for name in ("Dict", "List", "Set", "Tuple", "FrozenSet")),
        "typing.Optional",
        "typing.Union",
        "typing.Annotated",
        "typing_extensions.Annotated",
        "builtins.None",
    }
)
_REQUEST_TYPES = frozenset(
    {
        "fastapi.Request",
        "fastapi.WebSocket",
        "fastapi.requests.Request",
        "starlette.requests.Request",
        "starlette.requests.HTTPConnection",
        "starlette.websockets.WebSocket",
    }
)
_REQUEST_DATA = frozenset({"headers", "cookies", "query_params", "path_params"})
_PLAIN_NODES = (
    ast.Constant,
    ast.JoinedStr,
    ast.Dict,
    ast.List,
    ast.Set,
    ast.Tuple,
    ast.Compare,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
)
_IMPURE_NODES = (
    ast.With,
    ast.AsyncWith,
    ast.Import,
    ast.ImportFrom,
    ast.Lambda,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)


@dataclass(frozen=True)
class Purity:
    locally_pure: bool  # no I/O of its own, `needs` aside
    needs: tuple[str, ...]  # call targets that must be pure project functions
    decorated: bool
    asyncable: bool  # `def` -> `async def` keeps it valid: no `yield from`, no generator `return x`


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> dict[str, Purity]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            qualname = f"{facts.module}.{node.name}"
            scope = function_scope(
                node, resolver.scope, qualname, facts.module, facts.is_package, own=own
            )
            values = _Values(node, Resolver(scope, facts.module), own(node.body))
            found[qualname] = _purity(node, values, own(node.body))
    return found


def _purity(node: ast.FunctionDef, values: _Values, nodes: list[ast.AST]) -> Purity:
    yields = [n for n in nodes if isinstance(n, (ast.Yield, ast.YieldFrom))]
    is_generator = bool(yields)
    asyncable = not any(isinstance(n, ast.YieldFrom) for n in yields) and not (
        is_generator and any(isinstance(n, ast.Return) and n.value is not None for n in nodes)
    )
    needs: list[str] = []
    pure = True
    for current in nodes:
        if isinstance(current, _IMPURE_NODES) or _loops_over_unknown(current, values):
            pure = False
        elif isinstance(current, ast.Call):
            target = values.resolver.call_target(current)
            if target in PURE_CALLS or _is_pure_method(current, values):
                continue
            if target is None or target.startswith("builtins."):
                pure = False
            else:
                needs.append(target)
    return Purity(pure, tuple(dict.fromkeys(needs)), bool(node.decorator_list), asyncable)


def _loops_over_unknown(node: ast.AST, values: _Values) -> bool:
    """Iterating an object of unknown type runs its code (a cursor, a lazy relationship)."""
    return isinstance(node, (ast.For, ast.comprehension)) and not values.is_plain(node.iter)


def _is_pure_method(call: ast.Call, values: _Values) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in PURE_METHODS
        and values.is_plain(func.value)
    )


class _Values:
    """Which expressions of one function are plain data (str, numbers, containers, JSON): their
    methods cannot do I/O."""

    def __init__(self, node: ast.FunctionDef, resolver: Resolver, nodes: list[ast.AST]) -> None:
        self.resolver = resolver
        self.requests: set[str] = set()
        assigned: dict[str, list[ast.expr | None]] = {}
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            kind = self._annotation_kind(arg.annotation)
            if kind == "request":
                self.requests.add(arg.arg)
            assigned.setdefault(arg.arg, []).append(
                ast.Constant(value=None) if kind == "plain" else None
            )
        for star in (args.vararg, args.kwarg):
            if star is not None:
                assigned.setdefault(star.arg, []).append(ast.Tuple(elts=[], ctx=ast.Load()))
        for current in nodes:
            if type(current) not in _BINDERS:
                continue
            for target, value in _bindings(current):
                for name in _target_names(target):
                    assigned.setdefault(name, []).append(value)
        # greatest fixed point: drop names bound to anything that is not plain, until stable
        self.plain = set(assigned)
        changed = True
        while changed:
            changed = False
            for name, bound in assigned.items():
                if name in self.plain and not all(
                    v is not None and self.is_plain(v) for v in bound
                ):
                    self.plain.discard(name)
                    changed = True

    def _annotation_kind(self, annotation: ast.expr | None) -> str | None:
        if annotation is None:
            return None
        if isinstance(annotation, ast.Constant) and annotation.value is None:
            return "plain"
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = {
                self._annotation_kind(annotation.left),
                self._annotation_kind(annotation.right),
            }
            return "plain" if sides == {"plain"} else None
        if isinstance(annotation, ast.Subscript):
            outer = self.resolver.qualify(annotation.value)
            if outer in ("typing.Annotated", "typing_extensions.Annotated"):
                inner = annotation.slice
                first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
                return self._annotation_kind(first)
            if outer in ("typing.Optional", "typing.Union"):
                inner = annotation.slice
                members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                kinds = {self._annotation_kind(m) for m in members}
                return "plain" if kinds == {"plain"} else None
            return "plain" if outer in _PLAIN_TYPES else None
        qualified = self.resolver.qualify(annotation)
        if qualified in _REQUEST_TYPES:
            return "request"
        return "plain" if qualified in _PLAIN_TYPES else None

    def is_plain(self, node: ast.expr) -> bool:
        if isinstance(node, _PLAIN_NODES):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.plain
        if isinstance(node, ast.Attribute):
            return (
                isinstance(node.value, ast.Name)
                and node.value.id in self.requests
                and node.attr in _REQUEST_DATA
            )
        if isinstance(node, ast.Subscript):
            return self.is_plain(node.value)
        if isinstance(node, ast.Starred):
            return self.is_plain(node.value)
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, ast.Not) or self.is_plain(node.operand)
        if isinstance(node, ast.BinOp):
            return self.is_plain(node.left) and self.is_plain(node.right)
        if isinstance(node, ast.BoolOp):
            return all(self.is_plain(value) for value in node.values)
        if isinstance(node, ast.IfExp):
            return self.is_plain(node.body) and self.is_plain(node.orelse)
        if isinstance(node, ast.Call):
            target = self.resolver.call_target(node)
            if target in PURE_CALLS:
                return target not in _OPAQUE_RESULTS
            return _is_pure_method(node, self)
        return False


# the nodes `_bindings` finds bindings in: the others are skipped without a call
_BINDERS = frozenset(
    {ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.comprehension}
    | {ast.ExceptHandler, ast.Global, ast.Nonlocal, ast.MatchAs, ast.MatchStar}
)


def _bindings(node: ast.AST) -> Iterator[tuple[ast.expr, ast.expr | None]]:
    """(target, value) for each name binding; value None when the bound value is unknown."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target, node.value
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        yield node.target, node.value
    elif isinstance(node, (ast.For, ast.comprehension)):
        yield node.target, ast.Subscript(value=node.iter, slice=ast.Constant(0), ctx=ast.Load())
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield ast.Name(id=node.name), None
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        for name in node.names:
            yield ast.Name(id=name), None
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        yield ast.Name(id=node.name), None
