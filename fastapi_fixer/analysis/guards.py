"""Which calls of a function a caller's literal arguments rule out.

`get_secret_str("OPENAI_API_KEY")` runs `get_secret(secret_name)`, whose `open()` sits under
`if secret_name.startswith("oidc/"):`; `validate_url(url)` calls `is_blocked_host(host,
resolve_dns=False)`, whose DNS lookup follows `if not resolve_dns: return False`. Following
calls to what blocks (`ProjectIndex.blocking_chain`), a call that cannot run for the literal
arguments given is not a way to it.

Per function, on `ast` (cheap, cached with the facts):
- each call's *guards*: conditions on the function's parameters that hold whenever the call
  runs, from the `if` tests around it and the early exits before it (`if not p: return`);
  a guard is `(param, op, value, expect)`, `op` one of `truthy`, `none`, `eq`, `startswith`,
  `endswith`: the test `op(param, value)` is `expect` when the call runs;
- each call's *arguments* that are literals (`("0", "c", "OPENAI_API_KEY")`,
  `("resolve_dns", "c", False)`) or pass one of the function's parameters on
  (`("secret_name", "p", "secret_name")`);
- the parameters assigned in the body, each with the guards of the assignment: a parameter
  keeps the caller's literal only when no assignment to it can run.

Only necessary conditions are kept (an `or` in a test that must hold gives none), so a call is
ruled out only when a guard is certainly false.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field

Guard = tuple[str, str, object, bool]  # (param, op, value, expect)
ArgFact = tuple[str, str, object]  # (slot: position or keyword, "c" literal / "p" param, value)

_MAX_LITERAL = 120  # longer strings are not kept (a message, a template): no guard tests them
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class FunctionGuards:
    params: tuple[str, ...] = ()  # positional parameters, in order
    guards: dict[int, tuple[Guard, ...]] = field(default_factory=dict)  # id(call) -> guards
    args: dict[int, tuple[ArgFact, ...]] = field(default_factory=dict)  # id(call) -> args
    rebinds: list[tuple[str, tuple[Guard, ...]]] = field(default_factory=list)
    used: tuple[str, ...] = ()  # parameters a guard tests or a call passes on


def function_guards(node: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionGuards:
    arguments = node.args
    positional = tuple(arg.arg for arg in [*arguments.posonlyargs, *arguments.args])
    names = frozenset({*positional, *(arg.arg for arg in arguments.kwonlyargs)})
    found = FunctionGuards(params=positional)
    _walk(node.body, (), names, found)
    used: dict[str, None] = {}
    for guards in found.guards.values():
        for guard in guards:
            used.setdefault(guard[0])
    for args in found.args.values():
        for _slot, kind, value in args:
            if kind == "p":
                used.setdefault(str(value))
    found.used = tuple(used)
    return found


def _walk(
    body: list[ast.stmt], guards: tuple[Guard, ...], names: frozenset[str], out: FunctionGuards
) -> None:
    current = guards
    for statement in body:
        if isinstance(statement, _NESTED):
            continue  # its calls are its own
        if isinstance(statement, ast.If):
            _mark(statement.test, current, names, out)
            yes = current + conditions(statement.test, names, True)
            no = current + conditions(statement.test, names, False)
            _walk(statement.body, yes, names, out)
            _walk(statement.orelse, no, names, out)
            if _exits(statement.body):
                current = no
            elif statement.orelse and _exits(statement.orelse):
                current = yes
            continue
        for value in ast.iter_fields(statement):
            _visit_field(value[1], current, names, out)


def _visit_field(
    value: object, guards: tuple[Guard, ...], names: frozenset[str], out: FunctionGuards
) -> None:
    if isinstance(value, list):
        if value and isinstance(value[0], ast.stmt):
            _walk(value, guards, names, out)
            return
        for item in value:
            _visit_field(item, guards, names, out)
    elif isinstance(value, (ast.excepthandler, ast.match_case)):
        if isinstance(value, ast.match_case):
            _mark(value.pattern, guards, names, out)
            if value.guard is not None:
                _mark(value.guard, guards, names, out)
        elif value.type is not None:
            _mark(value.type, guards, names, out)
        if isinstance(value, ast.ExceptHandler) and value.name in names:
            out.rebinds.append((value.name, guards))
        _walk(value.body, guards, names, out)
    elif isinstance(value, ast.withitem):
        _mark(value.context_expr, guards, names, out)
        if value.optional_vars is not None:
            _mark(value.optional_vars, guards, names, out)
    elif isinstance(value, ast.AST):
        _mark(value, guards, names, out)


def _mark(
    expression: ast.AST, guards: tuple[Guard, ...], names: frozenset[str], out: FunctionGuards
) -> None:
    pending = [expression]
    while pending:
        node = pending.pop()
        if isinstance(node, _NESTED):
            continue
        if isinstance(node, ast.Call):
            out.guards[id(node)] = guards
            args = call_args(node, names)
            if args:
                out.args[id(node)] = args
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            if node.id in names:
                out.rebinds.append((node.id, guards))
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name in names:
            out.rebinds.append((node.name, guards))  # type: ignore[arg-type]
        pending.extend(ast.iter_child_nodes(node))


def _exits(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], _EXITS)


def call_args(call: ast.Call, names: frozenset[str] = frozenset()) -> tuple[ArgFact, ...]:
    """The literal arguments of ``call``, and those that pass one of ``names`` on."""
    found: list[ArgFact] = []
    for position, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break  # later positions are unknown
        fact = _arg(arg, names)
        if fact is not None:
            found.append((str(position), *fact))
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        fact = _arg(keyword.value, names)
        if fact is not None:
            found.append((keyword.arg, *fact))
    return tuple(found)


def _arg(expression: ast.expr, names: frozenset[str]) -> tuple[str, object] | None:
    if isinstance(expression, ast.Name) and expression.id in names:
        return ("p", expression.id)
    if isinstance(expression, ast.Constant) and _keepable(expression.value):
        return ("c", expression.value)
    return None


def _keepable(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= _MAX_LITERAL
    return value is None or isinstance(value, (bool, int))


def conditions(test: ast.expr, names: frozenset[str], truth: bool) -> tuple[Guard, ...]:
    """Conditions on ``names`` that hold whenever ``test`` evaluates to ``truth``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return conditions(test.operand, names, not truth)
    if isinstance(test, ast.BoolOp):
        if isinstance(test.op, ast.And) == truth:  # `a and b` true, `a or b` false: each part
            return tuple(g for part in test.values for g in conditions(part, names, truth))
        return ()
    atom = _atom(test, names)
    if atom is None:
        return ()
    param, op, value, positive = atom
    return ((param, op, value, truth == positive),)


def _atom(test: ast.expr, names: frozenset[str]) -> tuple[str, str, object, bool] | None:
    """`(param, op, value, positive)`: ``test`` is `op(param, value)` when ``positive``, its
    negation otherwise."""
    if isinstance(test, ast.Name) and test.id in names:
        return (test.id, "truthy", None, True)
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr in ("startswith", "endswith")
        and isinstance(test.func.value, ast.Name)
        and test.func.value.id in names
        and len(test.args) == 1
        and not test.keywords
    ):
        value = _literal(test.args[0])
        if isinstance(value, str) or (
            isinstance(value, tuple) and value and all(isinstance(v, str) for v in value)
        ):
            return (test.func.value.id, test.func.attr, value, True)
        return None
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and test.left.id in names
    ):
        operator, right = test.ops[0], test.comparators[0]
        if isinstance(operator, (ast.Is, ast.IsNot)):
            if isinstance(right, ast.Constant) and right.value is None:
                return (test.left.id, "none", None, isinstance(operator, ast.Is))
            return None
        if isinstance(operator, (ast.Eq, ast.NotEq)):
            value = _literal(right)
            if isinstance(value, (str, int)) and not isinstance(value, tuple):
                return (test.left.id, "eq", value, isinstance(operator, ast.Eq))
    return None


def _literal(expression: ast.expr) -> object:
    if isinstance(expression, ast.Constant):
        return expression.value
    if isinstance(expression, ast.Tuple):
        values = [_literal(item) for item in expression.elts]
        return tuple(values) if all(isinstance(v, str) for v in values) else None
    return None


# --- on the index's side: what a caller's literals rule out ---------------------------------


def holds(guard: Guard, value: object) -> bool | None:
    """Whether ``guard`` holds when its parameter is ``value`` (None: cannot tell)."""
    _param, op, expected, expect = guard
    if op == "truthy":
        result = bool(value)
    elif op == "none":
        result = value is None
    elif op == "eq":
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        result = value == expected
    elif isinstance(value, str):
        result = (
            value.startswith(expected)  # type: ignore[arg-type]
            if op == "startswith"
            else value.endswith(expected)  # type: ignore[arg-type]
        )
    else:
        return None
    return result == expect


def ruled_out(guards: tuple[Guard, ...], known: dict[str, object]) -> bool:
    """Some guard is certainly false for the ``known`` parameter values."""
    return any(guard[0] in known and holds(guard, known[guard[0]]) is False for guard in guards)


def encode_args(args: tuple[ArgFact, ...]) -> str:
    """``args`` as the index's questions take them: a plain string, recorded as is with the
    reads of a check (`ProjectIndex.blocking_chain`)."""
    return repr(args) if args else ""


@functools.lru_cache(maxsize=4096)
def decode_args(text: str) -> tuple[ArgFact, ...]:
    return ast.literal_eval(text) if text else ()
