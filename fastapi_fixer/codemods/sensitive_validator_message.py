"""## What it does
Finds `raise ValueError(...)` in a Pydantic validator (`@field_validator`, `@validator`,
`@model_validator`, `@root_validator`) whose message formats the value of a field named like a
secret (`password`, `hashed_password`, `*secret*`, `api_key`, `*token*`): the validated value of
such a field in an f-string, `.format()`, `%` or `+`, or `values["password"]`,
`data.get("api_key")`, `self.password` in a model validator. Formatting only its length or type
(`len(v)`) is not reported.

## Why is this bad?
FastAPI turns a `ValueError` raised while validating a request body into a 422 response that
carries the message — and the message is often logged too. A secret put in the message goes
back over the wire and into the logs.

## Example
```python
class Login(BaseModel):
    password: str

    @field_validator("password")
    @classmethod
    def strong(cls, v: str) -> str:
        if len(v) < 12:
            raise ValueError(f"password {v!r} is too short")
        return v
```

## Use instead
```python
            raise ValueError("password must have at least 12 characters")
```

## Fix safety
No fix: the message is the author's to reword.

## Known problems
A local variable the validator binds only to literals (`word = ", password" if ... else
""`) holds no secret, whatever its name, and is not reported.

Only the `ValueError` raised by the validator itself is looked at (not by functions it calls),
and only a message built in the `raise` statement (not a variable assigned before). Names are
recognised by the same patterns as FF204.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_fixer.fixing.schema_split import is_secret_name
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

FIELD_VALIDATORS = frozenset({"field_validator", "validator"})
MODEL_VALIDATORS = frozenset({"model_validator", "root_validator"})
_HARMLESS_CALLS = frozenset({"len", "type", "bool", "isinstance", "id", "hash"})


class SensitiveValidatorMessage(Rule):
    CODE = "FF206"
    NAME = "sensitive-validator-message"
    SEVERITY = Severity.INFO
    MESSAGE = "Validator error message includes the value of secret field `{field}`"
    TRIGGERS = ("validator",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        for node, _, resolver in ctx.functions():
            kind, fields = _validator(node, ctx)
            if kind is None:
                continue
            params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            if params and params[0] in ("cls", "self") and kind == "field":
                params = params[1:]
            value_names: set[str] = set()
            secret_fields = [f for f in fields if is_secret_name(f, False)]
            if kind == "field" and secret_fields and params:
                value_names.add(params[0])
            # model validators: `values`/`data` dicts and `self`
            containers = set(params[:2]) if kind == "model" else set()
            if kind == "model" and params and params[0] == "self":
                containers = {"self", *params[1:2]}
            for raised in _own_raises(node):
                exc = raised.exc
                if not (isinstance(exc, ast.Call) and exc.args):
                    continue
                if resolver.qualify(exc.func) != "builtins.ValueError":
                    continue
                leaked = _leak(exc.args[0], value_names, containers, _literal_locals(node))
                if leaked is None:
                    continue
                field = leaked if leaked not in value_names else secret_fields[0]
                message = (
                    f"Validator `{node.name}` raises a `ValueError` whose message includes the "
                    f"value of secret field `{field}`; FastAPI returns the message in the 422 "
                    "response: describe the problem without the value"
                )
                yield self.diagnostic(ctx, raised, message)


def _validator(node: ast.AST, ctx: FileContext) -> tuple[str | None, list[str]]:
    """("field", validated field names) or ("model", []) for a Pydantic validator."""
    for decorator in node.decorator_list:  # type: ignore[attr-defined]
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = ctx.resolver.qualify(target) or ""
        if not qualified.startswith("pydantic"):
            continue
        short = qualified.rsplit(".", 1)[-1]
        if short in FIELD_VALIDATORS and isinstance(decorator, ast.Call):
            fields = [
                a.value
                for a in decorator.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            return "field", fields
        if short in MODEL_VALIDATORS:
            return "model", []
    return None, []


def _own_raises(node: ast.AST) -> Iterator[ast.Raise]:
    stack = list(ast.iter_child_nodes(node))
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(current, ast.Raise):
            yield current
        stack.extend(ast.iter_child_nodes(current))


def _formatted_parts(message: ast.expr) -> Iterator[ast.expr]:
    """The expressions a message interpolates."""
    if isinstance(message, ast.JoinedStr):
        for value in message.values:
            if isinstance(value, ast.FormattedValue):
                yield value.value
    elif isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod):
        right = message.right
        yield from right.elts if isinstance(right, ast.Tuple) else [right]
        yield from _formatted_parts(message.left)
    elif isinstance(message, ast.BinOp) and isinstance(message.op, ast.Add):
        for side in (message.left, message.right):
            if isinstance(side, (ast.JoinedStr, ast.BinOp, ast.Constant)):
                yield from _formatted_parts(side)
            else:
                yield side
    elif (
        isinstance(message, ast.Call)
        and isinstance(message.func, ast.Attribute)
        and message.func.attr == "format"
    ):
        yield from message.args
        yield from (k.value for k in message.keywords)
    elif (
        isinstance(message, ast.Call)
        and isinstance(message.func, ast.Name)
        and message.func.id in ("str", "repr")
    ):
        yield from message.args


def _literal_locals(node: ast.AST) -> set[str]:
    """Names the validator binds only to text it writes itself (`word = ", password" if ...
    else ""`): whatever they are called, they hold no value of the model."""
    assigned: dict[str, bool] = {}
    for current in ast.walk(node):
        if isinstance(current, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = current.targets if isinstance(current, ast.Assign) else [current.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        literal = current.value is not None and _is_literal(current.value)
                        assigned[name.id] = assigned.get(name.id, True) and literal
        elif isinstance(current, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)):
            bound = [current.target] if isinstance(current, (ast.For, ast.AsyncFor)) else []
            if isinstance(current, ast.NamedExpr):
                bound = [current.target]
            if isinstance(current, (ast.With, ast.AsyncWith)):
                bound = [item.optional_vars for item in current.items if item.optional_vars]
            for target in bound:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        assigned[name.id] = False
    return {name for name, literal in assigned.items() if literal}


def _is_literal(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.IfExp):
        return _is_literal(expr.body) and _is_literal(expr.orelse)
    if isinstance(expr, ast.BinOp):
        return _is_literal(expr.left) and _is_literal(expr.right)
    if isinstance(expr, ast.JoinedStr):
        return all(isinstance(value, ast.Constant) for value in expr.values)
    return False


def _leak(
    message: ast.expr,
    value_names: set[str],
    containers: set[str],
    literals: frozenset[str] | set[str] = frozenset(),
) -> str | None:
    """The secret whose value the message formats: a value parameter's name, or the key or
    attribute read from a container; None when there is none. `literals`: local names bound
    only to literals, which hold no secret whatever their name."""
    for part in _formatted_parts(message):
        if isinstance(part, ast.Name) and part.id in literals and part.id not in value_names:
            continue
        found = _secret_in(part, value_names, containers)
        if found is not None:
            return found
    return None


def _secret_in(expr: ast.expr, value_names: set[str], containers: set[str]) -> str | None:
    if isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name) and expr.func.id in _HARMLESS_CALLS:
            return None
        if isinstance(expr.func, ast.Attribute):
            key = _container_key(expr, containers)
            if key is not None:
                return key
            return _secret_in(expr.func.value, value_names, containers)  # `v.strip()`
        for arg in expr.args:
            found = _secret_in(arg, value_names, containers)
            if found is not None:
                return found
        return None
    if isinstance(expr, ast.Name):
        if expr.id in value_names:
            return expr.id
        return expr.id if is_secret_name(expr.id, False) and expr.id not in containers else None
    if isinstance(expr, ast.Subscript):
        key = _container_key(expr, containers)
        if key is not None:
            return key
        return _secret_in(expr.value, value_names, containers)  # `v[:4]`
    if isinstance(expr, ast.Attribute):
        if (
            isinstance(expr.value, ast.Name)
            and expr.value.id in containers
            and is_secret_name(expr.attr, False)
        ):
            return expr.attr
        return _secret_in(expr.value, value_names, containers) if expr.attr == "value" else None
    return None


def _container_key(expr: ast.expr, containers: set[str]) -> str | None:
    """`values["password"]` / `values.get("password")` with a secret key."""
    key: ast.expr | None = None
    owner: ast.expr | None = None
    if isinstance(expr, ast.Subscript):
        owner, key = expr.value, expr.slice
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and expr.args
    ):
        owner, key = expr.func.value, expr.args[0]
    if not (isinstance(owner, ast.Name) and owner.id in containers):
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value if is_secret_name(key.value, False) else None
    return None
