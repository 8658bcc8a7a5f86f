"""## What it does
Finds `CORSMiddleware` configured with a wildcard: `allow_origins=["*"]`, `allow_methods=["*"]`
or `allow_headers=["*"]` (a list, tuple or set literal holding `"*"`), whether it is added with
`app.add_middleware(CORSMiddleware, ...)`, listed as `Middleware(CORSMiddleware, ...)` or wraps
an app directly (`CORSMiddleware(app, ...)`). Any origin together with
`allow_credentials=True` is an error: Starlette then echoes whatever origin asks, so every web
site can make authenticated requests with the user's cookies. Other wildcards are warnings.

## Why is this bad?
CORS is what stops a page on another site from reading your API's responses in the user's
browser. Allowing every origin turns that off; with credentials it hands any site the user's
session.

## Example
```python
app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
```

## Use instead
```python
app.add_middleware(
    CORSMiddleware,
    allow_origins=settings.CORS_ORIGINS,  # explicit list
    allow_credentials=True,
    allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    allow_headers=["Authorization", "Content-Type"],
)
```

## Fix safety
Unsafe: the allowed origins then come from the environment. The fix adds a `CORS_ORIGINS:
list[str]` field whose default is today's literal (`["*"]`), so the app starts and answers as
before until the operator sets the variable the fix's title names, as JSON
(`CORS_ORIGINS='["https://app.example.com"]'`, after the class's `env_prefix`), to the project's
`BaseSettings` class (the one with a module-level instance that the module can import, in its
own top package or one its package imports from; an existing `CORS_ORIGINS` field is reused) or
to a new `config.py` next to the module that builds the app (only when the project depends on
`pydantic-settings`), and passes `allow_origins=settings.CORS_ORIGINS`. No fix when the origins
are not a one-line literal. Wildcard methods and headers are reported
without a fix: the list the app needs is a human decision.

Reported without a fix: a settings class without a module-level instance, a middleware set up
above the settings instance in the settings module itself, a settings module that imports this
one.

A wildcard inside `if "*" in allowed_origins:` is what the operator configured, not a literal
the code imposes, and is not reported; documentation and example folders are skipped.

## Known problems
Only literal wildcards are seen (not a name bound to `["*"]`, not `allow_origin_regex=".*"`).
Test modules are not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.paths import is_example_path
from fastapi_fixer.fixing.settings_fix import (
    apply_settings_edits,
    env_variable,
    find_settings,
    is_test_path,
    reference,
    settings_edit,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

CORS = frozenset(
    {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
)
MIDDLEWARE = frozenset(
    {
        "starlette.middleware.Middleware",
        "fastapi.middleware.Middleware",
        "starlette.middleware.base.Middleware",
    }
)
WILDCARD_KEYWORDS = ("allow_origins", "allow_methods", "allow_headers")
FIELD = "CORS_ORIGINS"


def _configured_wildcards(tree: ast.Module) -> set[int]:
    """Calls in the branch of `if "*" in settings.allowed_origins:`: the wildcard is what the
    operator configured, not a literal the code imposes."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _tests_for_star(node.test):
            for statement in node.body:
                found.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))
    return found


def _tests_for_star(test: ast.expr) -> bool:
    for node in ast.walk(test):
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and node.left.value == "*"
            and any(isinstance(op, ast.In) for op in node.ops)
        ):
            return True
    return False


def _is_wildcard(node: ast.expr | None) -> bool:
    return isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(
        isinstance(e, ast.Constant) and e.value == "*" for e in node.elts
    )


class WildcardCors(Rule):
    CODE = "FF602"
    NAME = "wildcard-cors"
    SEVERITY = Severity.ERROR
    MESSAGE = "`CORSMiddleware` allows any origin"
    FIX_TITLE = "Read the allowed origins from a `CORS_ORIGINS` setting"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("CORSMiddleware", "BaseSettings")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path) or is_example_path(ctx.path) or "CORSMiddleware" not in ctx.text:
            return
        configured = _configured_wildcards(ctx.tree)
        from fastapi_fixer.analysis.facts import _own_statements

        scopes = [(ctx.tree.body, ctx.resolver)]
        scopes += [(node.body, resolver) for node, _, resolver in ctx.functions()]
        calls = []
        for body, resolver in scopes:  # each call with the names of its own scope
            for node in _own_statements(body):
                if isinstance(node, ast.Call) and self._is_cors(resolver, node):
                    calls.append(node)
        for node in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
            if id(node) in configured:
                continue
            found = self._report(ctx, node)
            if found is not None:
                yield found

    @staticmethod
    def _is_cors(resolver, call: ast.Call) -> bool:
        qualify = resolver.qualify
        if qualify(call.func) in CORS:
            return True
        first = call.args[0] if call.args else None
        if first is None or qualify(first) not in CORS:
            return False
        if isinstance(call.func, ast.Attribute) and call.func.attr == "add_middleware":
            return True
        return qualify(call.func) in MIDDLEWARE

    def _report(self, ctx: FileContext, call: ast.Call) -> Diagnostic | None:
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        wild = [name for name in WILDCARD_KEYWORDS if _is_wildcard(keywords.get(name))]
        if not wild:
            return None
        credentials = (
            isinstance(keywords.get("allow_credentials"), ast.Constant)
            and keywords["allow_credentials"].value is True  # type: ignore[union-attr]
        )
        shown = ", ".join(f'`{name}=["*"]`' for name in wild)
        if "allow_origins" in wild and credentials:
            message = (
                f"`CORSMiddleware` allows any origin with credentials ({shown}, "
                "`allow_credentials=True`): every web site can make authenticated requests"
            )
            severity = Severity.ERROR
        elif "allow_origins" in wild:
            message = f"`CORSMiddleware` allows any origin ({shown}); list the allowed origins"
            severity = Severity.WARNING
        else:
            message = f"`CORSMiddleware` allows any {' and '.join(w[6:] for w in wild)} ({shown})"
            severity = Severity.WARNING
        fix: Fix | str | None = None
        if "allow_origins" in wild:
            origins = next(k for k in call.keywords if k.arg == "allow_origins")
            fix = self._fix(ctx, call, origins)
            if isinstance(fix, str):
                message += f" (not fixed: {fix})"
                fix = None
        diagnostic = self.diagnostic(ctx, call, message, fix)
        from dataclasses import replace

        return replace(diagnostic, severity=severity)

    def _fix(self, ctx: FileContext, call: ast.Call, origins: ast.keyword) -> Fix | str:
        found = find_settings(ctx.index, ctx.path, ctx.module, (FIELD,))
        if isinstance(found, str):
            return found
        if found.module == ctx.module and found.instance_line > call.lineno:
            return "the middleware is set up above the settings instance"
        ref = reference(ctx.index, ctx.scope.bindings, ctx.module, found)
        if isinstance(ref, str):
            return ref
        field = found.existing(FIELD) or found.field_name(FIELD)
        edits = [
            Edit(ctx.path, "use-setting", ctx.span(origins), (f"{ref[0]}.{field}", ref[1] or ()))
        ]
        if field not in found.fields:
            # the app keeps answering the origins it answers today until the operator sets
            # the variable: the current literal is the field's default
            try:
                ast.literal_eval(origins.value)
            except ValueError:
                return "the allowed origins are not a literal"
            default = ctx.segment(origins.value)
            if default is None or "\n" in default:
                return "the allowed origins are not a one-line literal"
            edits.append(settings_edit(found, field, "list[str]", default))
        env = env_variable(ctx.index, found, field)
        return Fix(
            f"Read the allowed origins from `{field}`; set the environment variable `{env}` "
            """(a JSON list) to the origins the app serves""",
            FixSafety.UNSAFE,
            tuple(edits),
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import add_imports, rewrite_at

        targets = {}
        imports = []
        for edit in edits:
            if edit.kind == "use-setting":
                expression, needed = edit.args
                targets[("Arg", edit.span)] = _value(cst.parse_expression(str(expression)))
                if needed:
                    imports.append(tuple(needed))
        module = rewrite_at(module, targets)
        module = apply_settings_edits(module, edits)
        return add_imports(module, imports)  # type: ignore[arg-type]


def _value(new: cst.BaseExpression):
    def replace(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        return node.with_changes(value=new)

    return replace
