"""## What it does
Finds one settings class (a subclass of `pydantic_settings.BaseSettings`, or v1
`pydantic.BaseSettings`, also through project classes) that holds the configuration of several
domains: 15 or more fields of its own, or fields of 3 or more name prefixes shared by at least
two fields each (`JWT_SECRET` and `JWT_ALG`, `DATABASE_URL` and `DATABASE_POOL_SIZE`,
`SMTP_HOST` and `SMTP_PORT`). Generic words (`MAX_`, `DEFAULT_`, `ENABLE_`, `IS_`...) are not
domains.

Not reported: fields typed by another settings class or model (`db: DatabaseSettings`) do not
count, since that domain is already split out and only composed here; a class scoped to one
domain by its name and an `env_prefix` (`AuthSettings` with `env_prefix="AUTH_"`: its `JWT_`,
`OAUTH_` and `SESSION_` fields are parts of one domain). A generic name (`Settings`,
`AppSettings`) with the product's prefix is still reported. Nor are the name prefixes of a
class that names a domain and that another settings class composes as a field (`api:
ServerAPISettings` in `ServerSettings`): the configuration is already split by domain, and
`CORS_`, `CSRF_` and `WEBSOCKET_` fields of the API server's section are parts of that
domain (15 or more fields are still reported).

## Why is this bad?
A single settings class grows with every feature: every module depends on all of the
configuration, tests must provide all of it, and one domain's environment variables cannot be
validated or documented on their own.

## Example
```python
class Settings(BaseSettings):
    DATABASE_URL: PostgresDsn
    DATABASE_POOL_SIZE: int = 5
    JWT_SECRET: str
    JWT_ALG: str = "HS256"
    SMTP_HOST: str
    SMTP_PORT: int = 25
```

## Use instead
```python
class DatabaseConfig(BaseSettings):
    DATABASE_URL: PostgresDsn
    DATABASE_POOL_SIZE: int = 5


class AuthConfig(BaseSettings):
    JWT_SECRET: str
    JWT_ALG: str = "HS256"
```
each in its domain's package (`src/auth/config.py`), instantiated there.

## Fix safety
No fix: the split is a design decision; the message suggests one class per prefix.

## Known problems
A class that names a domain (not `Settings` or `AppSettings`) and whose fields mostly (two thirds)
read environment variables of one domain word, by their names or their `validation_alias`
(`DatabaseURLSettings` of `DATABASE_*`, an OpenTelemetry config of `OTEL_*` and the product's
`LITELLM_OTEL_*`), is one domain and is not reported, however many fields it has. Only the
class's own annotated fields count (a class assembled from domain classes by multiple inheritance
is not reported). A domain-named class with an `env_prefix` is trusted to be one domain, however
many fields it has. Prefixes are the text before the first underscore, so fields of one domain
named without a common prefix are not grouped.
Classes in test modules are left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.pydantic_models import KEY as MODELS_KEY
from fastapi_fixer.analysis.pydantic_index import is_settings
from fastapi_fixer.codemods.unbounded_input import is_test_path
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

if TYPE_CHECKING:
    from fastapi_fixer.analysis.index import ProjectIndex

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
# words of a settings class's name that name no domain
_GENERIC_CLASS_WORDS = frozenset(
    {
        *("settings", "setting", "config", "configuration", "conf", "base", "app", "application"),
        *("project", "global", "main", "core", "common", "default", "env", "environment", "all"),
    }
)
MAX_FIELDS = 15
MAX_PREFIXES = 3
# first words that say how, not what: not a domain
GENERIC_PREFIXES = frozenset(
    {
        "MAX",
        "MIN",
        "DEFAULT",
        "ENABLE",
        "ENABLED",
        "DISABLE",
        "DISABLED",
        "IS",
        "USE",
        "ALLOW",
        "HAS",
        "NUM",
        "SHOW",
        "INCLUDE",
        "EXCLUDE",
        "SKIP",
        "FORCE",
        "AUTO",
        "NO",
        "ALLOWED",
        "TIMEOUT",
    }
)


def prefix_groups(names: list[str]) -> dict[str, list[str]]:
    """Name prefix (upper case) -> the fields sharing it, for prefixes of 2+ fields."""
    groups: dict[str, list[str]] = {}
    for name in names:
        head, sep, rest = name.strip("_").partition("_")
        if not sep or not rest or head.upper() in GENERIC_PREFIXES:
            continue
        groups.setdefault(head.upper(), []).append(name)
    return {prefix: fields for prefix, fields in groups.items() if len(fields) >= 2}


class MonolithicSettings(Rule):
    CODE = "FF205"
    NAME = "monolithic-settings"
    SEVERITY = Severity.WARNING
    MESSAGE = "Settings class `{name}` mixes {count} domains"
    TRIGGERS = ("Settings",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        found = ctx.facts.extra.get(MODELS_KEY)
        if not isinstance(found, dict) or is_test_path(ctx.path):
            return
        nodes = {
            (node.lineno, node.name): node
            for node in ast.walk(ctx.tree)
            if isinstance(node, ast.ClassDef)
        }
        for qualname, facts in found.items():
            node = nodes.get((facts.line, facts.name))
            if node is None or not is_settings(ctx.index, qualname):
                continue
            if _domain_scoped(facts.name, dict(facts.config)):
                continue
            if _one_domain_by_names(facts.name, node):
                continue
            nested = _nested_model_fields(ctx, node)
            names = [f.name for f in facts.fields if f.is_field]
            names = [n for n in names if n != "model_config" and n not in nested]
            groups = prefix_groups(names)
            if len(groups) >= MAX_PREFIXES and _domain_section(ctx.index, qualname, facts.name):
                groups = {}  # one domain's section: its prefixes are parts of that domain
            if len(names) < MAX_FIELDS and len(groups) < MAX_PREFIXES:
                continue
            ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
            if len(groups) >= MAX_PREFIXES:
                shown = ", ".join(f"`{prefix}_` ({len(fields)})" for prefix, fields in ranked[:5])
                more = f" and {len(groups) - 5} more" if len(groups) > 5 else ""
                classes = ", ".join(f"`{_class_name(p)}`" for p, _ in ranked[:3])
                message = (
                    f"Settings class `{facts.name}` has {len(names)} fields of "
                    f"{len(groups)} domains: {shown}{more}; split it by domain "
                    f"({classes}, ...), each in its own module"
                )
            else:
                message = (
                    f"Settings class `{facts.name}` has {len(names)} fields; split it into "
                    "domain settings classes (database, auth, mail, ...), each in its own module"
                )
            yield self.diagnostic(ctx, node, message)


def _domain_scoped(name: str, config: dict[str, str]) -> bool:
    """A class of one domain by its own say-so: an `env_prefix` and a name that names the
    domain (`AuthSettings` with `env_prefix="AUTH_"`: its `JWT_`, `OAUTH_`, `SESSION_` fields are
    parts of one domain). `Settings` or `AppSettings` with the product's prefix is not."""
    prefix = config.get("env_prefix", "").strip("'\"")
    if not prefix:
        return False
    words = {w.lower() for w in _CAMEL.findall(name)} - _GENERIC_CLASS_WORDS
    return bool(words)


def _one_domain_by_names(name: str, node: ast.ClassDef) -> bool:
    """A class that names a domain (`DatabaseURLSettings`, `OpenTelemetryConfig`) whose fields
    are that domain's by their environment variables: two thirds or more of them share one
    domain word, first or after the product's prefix (`DATABASE_HOST`, `DATABASE_PORT`, ...;
    `OTEL_ENDPOINT` and `LITELLM_OTEL_ENABLE_METRICS` read through
    `validation_alias=AliasChoices(...)`, any of its choices)."""
    words = {w.lower() for w in _CAMEL.findall(name)} - _GENERIC_CLASS_WORDS
    if not words:
        return False
    prefixes: dict[str, int] = {}
    count = 0
    for statement in node.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        if statement.target.id == "model_config":
            continue
        count += 1
        heads: set[str] = set()
        for variable in _environment_names(statement) or [statement.target.id]:
            parts = variable.strip("_").upper().split("_")
            # the domain word, first (`OTEL_ENDPOINT`) or after the product's prefix
            # (`LITELLM_OTEL_ENABLE_METRICS`)
            heads.update(parts[: 2 if len(parts) >= 3 else 1] if len(parts) >= 2 else [])
        for head in heads - GENERIC_PREFIXES:
            prefixes[head] = prefixes.get(head, 0) + 1
    return count > 0 and 3 * max(prefixes.values(), default=0) >= 2 * count


def _environment_names(statement: ast.AnnAssign) -> list[str]:
    """The environment variables a field reads by its `Field(validation_alias=...)` or
    `alias=` (a string, or each string of `AliasChoices(...)`)."""
    value = statement.value
    if not isinstance(value, ast.Call):
        return []
    for keyword in value.keywords:
        if keyword.arg not in ("validation_alias", "alias", "env"):
            continue
        alias = keyword.value
        choices = alias.args if isinstance(alias, ast.Call) else [alias]
        return [
            choice.value
            for choice in choices
            if isinstance(choice, ast.Constant) and isinstance(choice.value, str)
        ]
    return []


def _domain_section(index: ProjectIndex, qualname: str, name: str) -> bool:
    """A class that names a domain (`ServerAPISettings`) and that another settings class
    composes as a field (`api: ServerAPISettings`): the configuration is already split by
    domain, and this is one of the parts."""
    words = {w.lower() for w in _CAMEL.findall(name)} - _GENERIC_CLASS_WORDS
    return bool(words) and index.resolve(qualname) in index.memo("FF205.sections", _sections)


def _sections(index: ProjectIndex) -> frozenset[str]:
    """Settings classes that a field of another settings class is typed by."""
    found: set[str] = set()
    for module, facts in sorted(index.modules.items()):
        classes = facts.extra.get(MODELS_KEY)
        if not isinstance(classes, dict):
            continue
        for qualname, owner in classes.items():
            if not is_settings(index, qualname):
                continue
            for item in owner.fields:
                for node in _annotation_nodes(item.annotation):
                    dotted = _dotted(node)
                    if dotted is None:
                        continue
                    target = index.resolve(f"{module}.{dotted}")
                    if target != index.resolve(qualname) and is_settings(index, target):
                        found.add(target)
    return frozenset(found)


def _annotation_nodes(text: str, depth: int = 0) -> Iterator[ast.AST]:
    """The nodes of an annotation's source text, string annotations (`"X | None"`) parsed."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and depth < 2:
            yield from _annotation_nodes(node.value, depth + 1)
        else:
            yield node


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _nested_model_fields(ctx: FileContext, node: ast.ClassDef) -> set[str]:
    """Fields typed by another settings class or model (`db: DatabaseSettings`): a domain
    already split out, composed here."""
    from fastapi_fixer.analysis.pydantic_index import is_model

    nested = set()
    for statement in node.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        annotation = statement.annotation
        while True:  # `X | None`, `Optional[X]`, `Annotated[X, ...]`
            if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
                left, right = annotation.left, annotation.right
                annotation = right if isinstance(left, ast.Constant) else left
            elif isinstance(annotation, ast.Subscript) and (
                (ctx.resolver.qualify(annotation.value) or "").rsplit(".", 1)[-1]
                in ("Optional", "Annotated")
            ):
                inner = annotation.slice
                annotation = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
            else:
                break
        qualified = ctx.resolver.qualify(annotation)
        if qualified and is_model(ctx.index, qualified):
            nested.add(statement.target.id)
    return nested


def _class_name(prefix: str) -> str:
    return prefix.capitalize() + "Settings"
