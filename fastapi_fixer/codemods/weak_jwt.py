"""## What it does
Finds three JWT weaknesses (PyJWT's `jwt` and python-jose's `jose.jwt`):
- `jwt.encode(payload, ...)` whose payload is a dict literal, or a name built from dict literals
  in the same function, with no `"exp"` key;
- `jwt.decode(token, key)` with no `algorithms=` (unless signature checks are turned off, which
  is another matter);
- an access-token lifetime over 60 minutes: `timedelta(minutes=N)`/`hours=`/`days=` assigned to
  a name like `ACCESS_TOKEN_EXPIRE*`, or a number assigned to `ACCESS_TOKEN_EXPIRE_MINUTES`
  (`_HOURS`, `_DAYS`, `_SECONDS`), including settings fields (`ACCESS_TOKEN_EXPIRE_MINUTES: int =
  60 * 24 * 8`).

## Why is this bad?
A token without `exp` is valid forever: one leak is a permanent key to the account. Decoding
without a fixed list of algorithms lets the token pick its own (`none`, or HS256 signed with a
public key). Long-lived access tokens cannot be revoked in practice; keep them to 5-15 minutes
and refresh them.

## Example
```python
ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 7


def create_token(user_id: str) -> str:
    return jwt.encode({"sub": user_id}, SECRET, algorithm="HS256")


def read_token(token: str) -> dict:
    return jwt.decode(token, SECRET)
```

## Use instead
```python
ACCESS_TOKEN_EXPIRE_MINUTES = 15


def create_token(user_id: str) -> str:
    expire = datetime.now(timezone.utc) + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    return jwt.encode({"sub": user_id, "exp": expire}, SECRET, algorithm="HS256")


def read_token(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"])
```

## Fix safety
No fix: the lifetime and the algorithm are the project's decision.

## Known problems
An encoded token that is thrown away (`jwt.encode(...)` as a statement of its own: a start-up
check that the library accepts the key) is not reported. A payload built elsewhere (a
parameter, `data.copy()`, a helper's result) is not followed, and any `"exp"` string in the
function counts as setting it. Lifetimes are read from literals only
(not from the environment); a number with no unit in its name is not judged. Refresh tokens are
not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

ENCODERS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jose.jwt.encode"})
DECODERS = frozenset({"jwt.decode", "jwt.api_jwt.decode", "jose.jwt.decode"})
TIMEDELTA = frozenset({"datetime.timedelta"})
MAX_MINUTES = 60
_LIFETIME_NAMES = ("ACCESS_TOKEN_EXPIRE", "ACCESS_TOKEN_LIFETIME", "ACCESS_TOKEN_TTL")
_UNITS = {"MINUTES": 1, "MINS": 1, "HOURS": 60, "DAYS": 1440, "SECONDS": 1 / 60, "WEEKS": 10080}
_TIMEDELTA_UNITS = {
    "minutes": 1,
    "hours": 60,
    "days": 1440,
    "seconds": 1 / 60,
    "weeks": 10080,
    "milliseconds": 1 / 60000,
    "microseconds": 1 / 60000000,
}


class WeakJwt(Rule):
    CODE = "FF604"
    NAME = "weak-jwt"
    SEVERITY = Severity.WARNING
    MESSAGE = "JWT without expiry, decoded without `algorithms=`, or living over 60 minutes"
    TRIGGERS = ("jwt", "ACCESS_TOKEN_", "access_token_")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        # calls whose result is thrown away (`jwt.encode({"sub": "probe"}, KEY)` checking at
        # start-up that the library accepts the key): no token leaves them
        discarded = {
            id(node.value)
            for node in ast.walk(ctx.tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        }
        seen: set[int] = set()
        for node, _qualname, resolver in ctx.functions():
            for call in _own_calls(node):
                seen.add(id(call))
                yield from self._check_call(ctx, call, resolver.qualify(call.func), node, discarded)
        for call in (n for n in ast.walk(ctx.tree) if isinstance(n, ast.Call)):
            if id(call) not in seen:
                yield from self._check_call(
                    ctx, call, ctx.resolver.qualify(call.func), None, discarded
                )
        yield from self._check_lifetimes(ctx)

    def _check_call(
        self,
        ctx: FileContext,
        call: ast.Call,
        target: str | None,
        function: ast.AST | None,
        discarded: set[int],
    ) -> Iterator[Diagnostic]:
        if target in ENCODERS:
            if id(call) in discarded:
                return
            payload = _argument(call, 0, ("payload", "claims"))
            if payload is not None and _lacks_exp(payload, function):
                yield self.diagnostic(
                    ctx,
                    call,
                    "`jwt.encode` payload has no `exp` claim: the token never expires; add "
                    '`"exp": datetime.now(timezone.utc) + timedelta(minutes=15)`',
                )
        elif target in DECODERS and _lacks_algorithms(call):
            yield self.diagnostic(
                ctx,
                call,
                "`jwt.decode` without `algorithms=`: pass the one algorithm you sign with "
                '(`algorithms=["HS256"]`)',
            )

    def _check_lifetimes(self, ctx: FileContext) -> Iterator[Diagnostic]:
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            name = _target_name(target)
            if name is None or not any(n in name.upper() for n in _LIFETIME_NAMES):
                continue
            minutes = self._minutes(ctx, name, value)
            if minutes is not None and minutes > MAX_MINUTES:
                yield self.diagnostic(
                    ctx,
                    value,
                    f"Access tokens live {_duration(minutes)} (`{name}`); keep them to 5-15 "
                    "minutes and use refresh tokens",
                )

    @staticmethod
    def _minutes(ctx: FileContext, name: str, value: ast.expr) -> float | None:
        if isinstance(value, ast.Call) and _is_field(value):
            value = _argument(value, 0, ("default",))  # type: ignore[assignment]
            if value is None:
                return None
        if isinstance(value, ast.Call):
            if ctx.resolver.qualify(value.func) not in TIMEDELTA or value.args:
                return None
            total = 0.0
            for keyword in value.keywords:
                number = _number(keyword.value)
                if keyword.arg not in _TIMEDELTA_UNITS or number is None:
                    return None
                total += number * _TIMEDELTA_UNITS[keyword.arg]
            return total
        number = _number(value)
        if number is None:
            return None
        unit = name.upper().rsplit("_", 1)[-1]
        return number * _UNITS[unit] if unit in _UNITS else None


def _own_calls(function: ast.AST) -> Iterator[ast.Call]:
    """Calls in the function's own body, not in nested functions or classes."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _argument(call: ast.Call, position: int, names: tuple[str, ...]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    return None


def _dict_lacks_exp(node: ast.Dict) -> bool:
    if any(key is None for key in node.keys):
        return False  # `{**claims, ...}`: keys unknown
    return not any(isinstance(k, ast.Constant) and k.value == "exp" for k in node.keys)


def _lacks_exp(payload: ast.expr, function: ast.AST | None) -> bool:
    if isinstance(payload, ast.Dict):
        return _dict_lacks_exp(payload)
    if not isinstance(payload, ast.Name) or function is None:
        return False
    name = payload.id
    built = False
    for node in ast.walk(function):
        if isinstance(node, ast.Constant) and node.value == "exp":
            return False
        if isinstance(node, ast.keyword) and node.arg == "exp":
            return False
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
                continue
            if isinstance(node, ast.AugAssign) or not (
                isinstance(node.value, ast.Dict) and _dict_lacks_exp(node.value)
            ):
                return False  # built from something else: not followed
            built = True
        elif isinstance(node, ast.arg) and node.arg == name:
            return False  # a parameter: built by the caller
        elif isinstance(node, (ast.For, ast.With, ast.comprehension)):
            targets = [node.target] if not isinstance(node, ast.With) else []
            if isinstance(node, ast.With):
                targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
            if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)):
                return False
    return built


def _lacks_algorithms(call: ast.Call) -> bool:
    if len(call.args) >= 3 or any(isinstance(a, ast.Starred) for a in call.args):
        return False  # algorithms passed by position, or unknown
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg == "algorithms":
            return False
        if keyword.arg == "verify" and _is_false(keyword.value):
            return False  # PyJWT 1: no verification at all (another problem)
        if keyword.arg == "options" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "verify_signature"
                    and _is_false(value)
                ):
                    return False
        elif keyword.arg == "options":
            return False  # options we cannot read may turn verification off
    return True


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_field(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "Field"


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def _number(node: ast.expr) -> float | None:
    """The value of a numeric literal expression (`60 * 24 * 8`), else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.Sub)):
        left, right = _number(node.left), _number(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        return left + right if isinstance(node.op, ast.Add) else left - right
    return None


def _duration(minutes: float) -> str:
    if minutes >= 1440 and minutes % 1440 == 0:
        days = int(minutes // 1440)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes:g} minutes"
