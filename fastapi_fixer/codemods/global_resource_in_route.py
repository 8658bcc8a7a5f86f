"""## What it does
Finds routes and dependencies that read a module-level *resource* — a name bound once, at module
level, to a constructed connection pool, engine, client or session factory — instead of
receiving it through `Depends`. The resource may live in the same module or be imported
(`from app.db import db`, `import app.db as dbmod; dbmod.db`).

A call builds a resource when it is one of:
- a known factory: `sqlalchemy.create_engine`, `sqlalchemy.ext.asyncio.create_async_engine`,
  `sqlalchemy.orm.sessionmaker`/`scoped_session`, `sqlalchemy.ext.asyncio.async_sessionmaker`,
  `redis.Redis`/`StrictRedis`/`from_url`/`Redis.from_url` (and `redis.asyncio.*`),
  `asyncpg.create_pool`,
  `elasticsearch.Elasticsearch`/`AsyncElasticsearch`, `boto3.client`/`boto3.resource`;
- a class, from a library or from the project, whose name ends in `Pool`, `Client`, `Engine`,
  `Session` or `Database` (`DatabasePool()`, `httpx.AsyncClient()`, `aiohttp.ClientSession()`,
  `databases.Database()`, `pymongo.MongoClient()`), except test clients (`TestClient`);
- a call of another resource (`db = SessionLocal()` where `SessionLocal = sessionmaker()`);
- any call named in `resource-factories` of `[tool.fastapi-fix]` (qualified names, `*`
  wildcards).

Dependencies without parameters (`def get_db(): return db`, or the guide's
`async def get_db(): async with async_session() as session: yield session`) are the providers
themselves and are not reported; module-level code, startup handlers and other functions are not
reported either.

## Why is this bad?
A route that reads a global is tied to it: tests must monkeypatch the module instead of using
`app.dependency_overrides`, and the route's signature hides what it needs.

## Example
```python
# app/db.py
db = DatabasePool()

# app/routes.py
from app.db import db

@router.get("/items")
async def list_items():
    return await db.fetch_all("SELECT * FROM items")
```

## Use instead
```python
# app/db.py
db = DatabasePool()


async def get_db() -> DatabasePool:
    return db

# app/routes.py
from typing import Annotated

from fastapi import Depends

from app.db import db, get_db

@router.get("/items")
async def list_items(db: Annotated[DatabasePool, Depends(get_db)]):
    return await db.fetch_all("SELECT * FROM items")
```

## Fix safety
Safe. One provider `async def get_<name>() -> <Type>: return <name>` is added right after the
resource's assignment, in the resource's module (once, however many functions use it; an
existing `def get_<name>(): return <name>` is reused). Each function that reads the resource gets
a parameter `<name>: Annotated[<Type>, Depends(get_<name>)]` — keyword-only when the function has
`*`/`*args`, else before its first parameter with a default — and the imports it needs. The body
is unchanged (an attribute read `dbmod.db` becomes `db`): it reads the same object, which is now
overridable. The import the function read it through goes when nothing else uses it.
Dependencies are not part of the OpenAPI document, so it stays the same. The fix
is unsafe when the function has decorators besides the route's: such a wrapper might not pass
the new keyword argument through.
`<Type>` is the constructed class (or the assignment's annotation, or the known return type of a
factory: `create_engine` → `Engine`, `SessionLocal()` → `Session`, or the return annotation of an
existing provider); when it is unknown the provider has no return annotation and the parameter
is `Annotated[Any, ...]`. `Annotated` comes from `typing_extensions` in a project that supports
Python before 3.9.

Reported without a fix: the function already has a parameter or a name the parameter would
take, declares the resource `global`, reads it only inside a nested function or lambda, has a
positional-only parameter with a default, is called directly somewhere (a new required
parameter would break that call), is defined above the resource in its module, or the provider
name is taken by something else.
No fix when the project declares support for FastAPI before 0.95, which does not read
`Annotated`.

## Known problems
A class of the project named `...Engine` that holds no resource (no library base, no `async
def` method, no method that builds a resource: a template or prompt engine) is not one.
Only routes and dependencies defined at module level are checked (not methods, not functions
nested in app factories). Resources rebound anywhere at module level are ignored, as are
resources built inside `if`/`try` blocks. The provider is imported by the resource module's
absolute name, unless the file already imports from that module relatively (`from .db import
...`, which it then joins). Dependencies are checked in files that contain `@`, `Depends` or
`Security`.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.resources import KEY, ConstructedGlobal, ModuleResources
from fastapi_fixer.analysis.facts import (
    Binding,
    FunctionNode,
    Resolver,
    Scope,
    function_scope,
    resolve_relative,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity, Span
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

# factory -> the type of what it returns (None: unknown)
KNOWN_FACTORIES: dict[str, str | None] = {
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "sqlalchemy.ext.asyncio.AsyncEngine",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.async_sessionmaker",
    "sqlalchemy.ext.asyncio.async_scoped_session": "sqlalchemy.ext.asyncio.async_scoped_session",
    "redis.Redis": "redis.Redis",
    "redis.StrictRedis": "redis.StrictRedis",
    "redis.from_url": "redis.Redis",
    "redis.asyncio.Redis": "redis.asyncio.Redis",
    "redis.asyncio.from_url": "redis.asyncio.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.asyncio.Redis.from_url": "redis.asyncio.Redis",
    "asyncpg.create_pool": "asyncpg.Pool",
    "elasticsearch.Elasticsearch": "elasticsearch.Elasticsearch",
    "elasticsearch.AsyncElasticsearch": "elasticsearch.AsyncElasticsearch",
    "boto3.client": None,
    "boto3.resource": None,
}
# the type of what calling a resource of this type returns
PRODUCTS: dict[str, str] = {
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.Session",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.AsyncSession",
}
_RESOURCE_CLASS = re.compile(r"^_*[A-Z]\w*(Pool|Client|Engine|Session|Database)$")
_NOT_RESOURCES = frozenset(
    {"fastapi.testclient.TestClient", "starlette.testclient.TestClient", "builtins.object"}
)
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
_ANY = frozenset({"typing.Any", "typing_extensions.Any"})
_MAX_DEPTH = 4

Import = tuple[str, str]


@dataclass(frozen=True)
class Resource:
    module: str  # where it is defined
    path: str
    facts: ConstructedGlobal
    type: str | None  # qualified name of its type, when known


@dataclass
class Reads:
    """How one function reads one resource."""

    resource: Resource
    first: ast.expr
    names: set[str] = field(default_factory=set)  # local names read (`db`, an import alias)
    attributes: list[ast.Attribute] = field(default_factory=list)  # `dbmod.db`
    nested_only: bool = True


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return name.lower().strip("_")


def provider_name(resource: str) -> str:
    return f"get_{_snake(resource)}"


def resources_of(index: ProjectIndex, module: str) -> ModuleResources | None:
    facts = index.modules.get(module)
    found = facts.extra.get(KEY) if facts is not None else None
    return found if isinstance(found, ModuleResources) else None


class ResourceFinder:
    """Decides, with the settings and the project index, which constructed globals are
    resources, and what type they have."""

    def __init__(self, index: ProjectIndex, factories: tuple[str, ...]) -> None:
        self.index = index
        self.factories = factories
        self._cache: dict[tuple[str, str], Resource | None] = {}

    def at(self, qualname: str, depth: int = 0) -> Resource | None:
        """The resource a qualified name (after imports and re-exports) is, if any."""
        resolved = self.index.resolve(qualname)
        if resolved in self.index.modules:
            return None
        module, _, name = resolved.rpartition(".")
        found = resources_of(self.index, module)
        if found is None or name not in found.constructed:
            return None
        key = (module, name)
        if key not in self._cache:
            self._cache[key] = None  # cycle guard
            self._cache[key] = self._decide(module, found.constructed[name], depth)
        return self._cache[key]

    def _inert_project_class(self, name: str) -> bool:
        """``name`` is a class of the project that holds no resource: no base from a library,
        no `async def` method, and no method that builds a resource (a known factory, or a
        class named like one). "Engine" names template and rule engines as well as database
        engines; those hold nothing to swap in a test."""
        module_name = name.rpartition(".")[0]
        module = self.index.modules.get(module_name)
        if module is None:
            return False
        prefix = f"{name}."
        methods = [f for qualname, f in module.functions.items() if qualname.startswith(prefix)]
        if not methods:
            return False
        for base in module.class_bases.get(name, ()):
            resolved = self.index.resolve(base)
            if (
                resolved != "builtins.object"
                and resolved.rpartition(".")[0] not in self.index.modules
            ):
                return False
        for method in methods:
            if method.is_async:
                return False
            for site in method.sites:
                target = self.index.resolve(site.target)
                if target in KNOWN_FACTORIES or _RESOURCE_CLASS.match(target.rpartition(".")[2]):
                    return False
        return True

    def _decide(self, module: str, constructed: ConstructedGlobal, depth: int) -> Resource | None:
        if constructed.callee is None:
            return None
        callee = self.index.resolve(constructed.callee)
        if callee in _NOT_RESOURCES:
            return None
        kind: str | None
        last = callee.rpartition(".")[2]
        if any(fnmatch.fnmatchcase(callee, pattern) for pattern in self.factories):
            kind = callee if last[:1].isupper() and callee not in self.index.functions else None
        elif callee in KNOWN_FACTORIES:
            kind = KNOWN_FACTORIES[callee]
        elif _RESOURCE_CLASS.match(last) and callee not in self.index.functions:
            if last.endswith("Engine") and self._inert_project_class(callee):
                return None  # a template or rule engine of the project (`PromptEngine`)
            kind = callee
        elif depth < _MAX_DEPTH and (factory := self.at(callee, depth + 1)) is not None:
            kind = PRODUCTS.get(factory.type or "")
        else:
            return None
        if constructed.annotation:
            kind = self.index.resolve(constructed.annotation)
        path = self.index.modules[module].path
        return Resource(module, path, constructed, kind)


# --- names available in a module ------------------------------------------------------------


def name_for(
    index: ProjectIndex, bindings: dict[str, Binding], targets: frozenset[str] | str
) -> str | None:
    """How a module can write a qualified name through what it binds at module level."""
    wanted = {targets} if isinstance(targets, str) else set(targets)
    for name, binding in bindings.items():
        if binding.kind in ("import", "def") and index.resolve(binding.target) in wanted:
            return name
    # `import httpx` -> `httpx.AsyncClient`; not through a project module's re-exports
    for name, binding in bindings.items():
        if binding.kind != "import":
            continue
        for target in sorted(wanted):
            module, _, attribute = target.rpartition(".")
            if binding.target == module:
                return f"{name}.{attribute}"
    return None


def name_or_import(
    index: ProjectIndex, bindings: dict[str, Binding], target: str, choices: frozenset[str] = ()
) -> tuple[str, Import | None] | None:
    """A name for ``target`` (or one of ``choices``) in a module, and the import to add for it;
    None when the short name is taken by something else."""
    found = name_for(index, bindings, choices or target)
    if found is not None:
        return found, None
    module, _, short = target.rpartition(".")
    if short in bindings or not module:
        return None
    return short, (module, short)


# --- the rule -------------------------------------------------------------------------------


class GlobalResourceInRoute(Rule):
    CODE = "FF301"
    NAME = "global-resource-in-route"
    SEVERITY = Severity.WARNING
    MESSAGE = "Global resource `{name}` read in {kind} `{function}`"
    FIX_TITLE = "Inject the resource with `Depends`"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("@", "Depends", "Security")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        finder = ResourceFinder(ctx.index, ctx.settings.resource_factories)
        for node, qualname, resolver in ctx.functions():
            facts = ctx.index.functions.get(qualname)
            if facts is None or facts.is_method or facts.is_nested:
                continue
            is_route = ctx.index.is_route(qualname)
            if not is_route:
                args = node.args
                has_params = any(
                    [args.posonlyargs, args.args, args.kwonlyargs, args.vararg, args.kwarg]
                )
                if not ctx.index.is_dependency(qualname) or not has_params:
                    continue
            kind = "route" if is_route else "dependency"
            for reads in self._reads(ctx, node, resolver, finder):
                yield self._report(ctx, node, qualname, resolver, kind, reads)

    # --- finding the reads ----------------------------------------------------------------

    def _reads(
        self, ctx: FileContext, node: FunctionNode, resolver: Resolver, finder: ResourceFinder
    ) -> list[Reads]:
        found: dict[tuple[str, str], Reads] = {}

        def note(expr: ast.expr, resource: Resource, nested: bool) -> None:
            key = (resource.module, resource.facts.name)
            reads = found.setdefault(key, Reads(resource, expr))
            if nested:
                return
            if reads.nested_only:
                reads.first, reads.nested_only = expr, False
            if isinstance(expr, ast.Name):
                reads.names.add(expr.id)
            else:
                reads.attributes.append(expr)  # type: ignore[arg-type]

        def visit(body: list[ast.AST], scope: Scope, nested: bool) -> None:
            from fastapi_fixer.analysis.facts import _own_statements

            for child in _own_statements(body):  # type: ignore[arg-type]
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    inner = function_scope(
                        child, scope, scope.qualprefix, ctx.facts.module, ctx.facts.is_package
                    )
                    inner_body = child.body
                    visit(
                        [inner_body] if isinstance(inner_body, ast.expr) else inner_body,
                        inner,
                        True,
                    )
                    continue
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                    resource = self._global_name(ctx, scope, child.id, finder)
                    if resource is not None:
                        note(child, resource, nested)
                elif isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Load):
                    qualified = Resolver(scope, ctx.facts.module).qualify(child)
                    base = Resolver(scope, ctx.facts.module).qualify(child.value)
                    if (
                        qualified is not None
                        and base is not None
                        and ctx.index.resolve(base) in ctx.index.modules
                    ):
                        resource = finder.at(qualified)
                        if resource is not None:
                            note(child, resource, nested)

        visit(node.body, resolver.scope, False)  # type: ignore[arg-type]
        return list(found.values())

    @staticmethod
    def _global_name(
        ctx: FileContext, scope: Scope, name: str, finder: ResourceFinder
    ) -> Resource | None:
        """The resource ``name`` reads, when it reaches the module scope."""
        current: Scope | None = scope
        while current is not None and current is not ctx.scope:
            if not current.is_class and name in current.bindings:
                return None
            current = current.parent
        binding = ctx.scope.bindings.get(name)
        if binding is None:
            return None
        if binding.kind == "import":
            return finder.at(binding.target)
        return finder.at(f"{ctx.facts.module}.{name}")

    # --- the report and its fix -----------------------------------------------------------

    def _report(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        resolver: Resolver,
        kind: str,
        reads: Reads,
    ) -> Diagnostic:
        resource = reads.resource
        name = resource.facts.name
        message = f"Global resource `{name}` read in {kind} `{node.name}`"
        fix_or_reason = self._fix(ctx, node, qualname, resolver, kind, reads)
        if isinstance(fix_or_reason, str):
            return self.diagnostic(ctx, reads.first, f"{message}; not fixed: {fix_or_reason}")
        return self.diagnostic(ctx, reads.first, message, fix_or_reason)

    def _fix(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        resolver: Resolver,
        kind: str,
        reads: Reads,
    ) -> Fix | str:
        resource = reads.resource
        index = ctx.index
        if reads.nested_only:
            return "read only in a nested function"
        if any(
            isinstance(n, ast.Global) and resource.facts.name in n.names for n in ast.walk(node)
        ):
            return f"the {kind} declares it `global`"
        if len(reads.names) > 1:
            return "read under several names"
        param = next(iter(reads.names)) if reads.names else resource.facts.name
        if reads.attributes and self._name_used(node, resolver, param):
            return f"the name `{param}` is taken in the {kind}"
        if index.is_referenced(qualname):
            return f"the {kind} is also called directly"
        if any(d is not None for d in node.args.defaults[: len(node.args.posonlyargs)]):
            return f"the {kind} has a positional-only parameter with a default"
        same_module = resource.module == ctx.module
        if same_module and node.lineno < resource.facts.line:
            return f"the {kind} is defined above the resource"
        if not same_module and resource.path == ctx.path:
            return "the resource's module is not known"

        owner = index.modules[resource.module]
        existing = resources_of(index, resource.module)
        provider = existing.providers.get(resource.facts.name) if existing else None
        edits: list[Edit] = []
        if provider is not None:
            provider_name_ = provider.name
            if same_module and provider.line > node.lineno:
                return f"`{provider.name}` is defined below the {kind}"
        else:
            provider_name_ = provider_name(resource.facts.name)
            if provider_name_ in owner.bindings:
                return f"`{provider_name_}` already means something else in `{resource.module}`"
            edits.append(self._provider_edit(index, resource, owner.bindings, provider_name_))

        # the parameter's annotation, in this module's names
        imports: list[Import] = []
        bindings = ctx.scope.bindings
        if same_module:
            provider_ref = provider_name_
        else:
            provider_target = f"{resource.module}.{provider_name_}"
            if provider_name_ in bindings:
                if index.resolve(bindings[provider_name_].target) != provider_target:
                    return f"`{provider_name_}` already means something else here"
            else:
                imports.append((_import_source(ctx, resource.module), provider_name_))
            provider_ref = provider_name_
        from fastapi_fixer.fixing.dependency_types import (
            annotated_name,
            annotated_unread,
            bound_before,
            returned_type,
        )

        unread = annotated_unread(ctx)
        if unread is not None:
            return unread
        names: list[str] = []
        for target, got in (
            ("typing.Annotated", annotated_name(ctx, resolver)),
            ("fastapi.Depends", name_or_import(index, bindings, "fastapi.Depends", _DEPENDS)),
        ):
            if got is None:
                return f"`{target.rpartition('.')[2]}` means something else here"
            names.append(got[0])
            if got[1]:
                imports.append(got[1])
        first_line = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        type_name = None
        if resource.type is not None:
            got = name_or_import(index, bindings, resource.type)
            if (
                got is not None
                and got[0] != provider_ref
                and got[0] != param
                and (got[1] is not None or bound_before(ctx, got[0], first_line))
            ):
                type_name = got[0]
                if got[1]:
                    imports.append(got[1])
        elif provider is not None:  # an existing provider: what it is annotated to return
            known = returned_type(ctx, resolver, f"{resource.module}.{provider_name_}", first_line)
            if known is not None and param not in known.text.replace(".", " ").split():
                type_name = known.text
                imports.extend(known.imports)
        if type_name is None:
            got = name_or_import(index, bindings, "typing.Any", _ANY)
            if got is None:
                return "`Any` means something else here"
            type_name = got[0]
            if got[1]:
                imports.append(got[1])
        annotation = f"{names[0]}[{type_name}, {names[1]}({provider_ref})]"
        # the imports the function read the resource through may be unused once it has the
        # parameter (removed only when nothing else in the module uses them)
        through = set(reads.names) | {_root(a) for a in reads.attributes}
        unused = tuple(sorted(_imports_binding(ctx.tree, through)))
        edits.append(
            Edit(
                ctx.path,
                "param",
                ctx.span(node),
                (param, annotation, tuple(sorted(imports)), unused),
            )
        )
        edits.extend(Edit(ctx.path, "rename", ctx.span(a), (param,)) for a in reads.attributes)
        # another decorator might not pass the new keyword argument through
        facts = index.functions[qualname]
        return Fix(
            title=f"Inject `{param}` with `Depends({provider_name_})`",
            safety=FixSafety.UNSAFE if facts.other_decorators else FixSafety.SAFE,
            edits=tuple(edits),
        )

    @staticmethod
    def _name_used(node: FunctionNode, resolver: Resolver, name: str) -> bool:
        if name in resolver.scope.bindings:
            return True
        return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))

    @staticmethod
    def _provider_edit(
        index: ProjectIndex, resource: Resource, bindings: dict[str, Binding], provider: str
    ) -> Edit:
        """The same edit for every function that needs this provider (the engine applies it
        once)."""
        facts = resource.facts
        returns = ""
        imports: tuple[Import, ...] = ()
        if facts.annotation_text:
            returns = facts.annotation_text
        elif resource.type is not None:
            if facts.callee and index.resolve(facts.callee) == resource.type and facts.callee_text:
                returns = facts.callee_text
            else:
                got = name_or_import(index, bindings, resource.type)
                if got is not None:
                    returns = got[0]
                    imports = (got[1],) if got[1] else ()
        return Edit(
            resource.path,
            "provider",
            Span(facts.line, facts.col, -1, -1),
            (provider, facts.name, returns, imports),
        )

    # --- applying (LibCST) ----------------------------------------------------------------

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst
        from libcst.metadata import PositionProvider

        from fastapi_fixer.fixing.cstutil import (
            add_imports,
            insert_parameter,
            metadata,
            remove_unused_imports,
            rewrite_at,
            start_only,
        )

        positions = metadata(module).resolve(PositionProvider)
        starts = {
            (positions[s].start.line, positions[s].start.column): i
            for i, s in enumerate(module.body)
        }
        providers: dict[int, list[cst.BaseStatement]] = {}
        params: dict[Span, list[cst.Param]] = {}
        targets = {}
        imports: set[Import] = set()
        removals: set[tuple[str, str | None, str | None]] = set()
        for edit in edits:
            assert edit.span is not None
            if edit.kind == "provider":
                name, resource, returns, needed = edit.args
                at = starts.get((edit.span.line, edit.span.col))
                if at is None:
                    raise ValueError(f"no statement at line {edit.span.line}")
                arrow = f" -> {returns}" if returns else ""
                # `async def`: returning an object does no I/O, so the threadpool hop a plain
                # `def` costs would be waste (FF104)
                code = f"async def {name}(){arrow}:\n{module.default_indent}return {resource}\n"
                statement = cst.parse_statement(code, config=module.config_for_parsing)
                providers.setdefault(at, []).append(statement)
                imports.update(needed)  # type: ignore[arg-type]
            elif edit.kind == "param":
                name, annotation, needed, unused = edit.args
                removals.update(unused)  # type: ignore[arg-type]
                param = cst.Param(
                    name=cst.Name(str(name)),
                    annotation=cst.Annotation(cst.parse_expression(str(annotation))),
                )
                params.setdefault(start_only(edit.span), []).append(param)
                imports.update(needed)  # type: ignore[arg-type]
            elif edit.kind == "rename":
                targets[("Attribute", edit.span)] = _renamer(str(edit.args[0]))
            else:
                raise ValueError(f"unknown edit kind {edit.kind}")
        for span, new in params.items():
            targets[("FunctionDef", span)] = _adder(new, insert_parameter)
        module = rewrite_at(module, targets)
        body = list(module.body)
        for at in sorted(providers, reverse=True):
            blank = [cst.EmptyLine(), cst.EmptyLine()]
            added = [s.with_changes(leading_lines=blank) for s in providers[at]]
            if at + 1 < len(body):
                body[at + 1] = _two_blank_lines_before(body[at + 1])
            body[at + 1 : at + 1] = added
        module = module.with_changes(body=body)
        module = add_imports(module, sorted(imports))
        if removals:
            module = remove_unused_imports(module, sorted(removals, key=str))
        return module


def _root(expr: ast.expr) -> str:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else ""


def _import_source(ctx: FileContext, module: str) -> str:
    """How the file names ``module`` in a from-import: as its top-level relative imports
    already do (`.db`, so the provider joins `from .db import ...`), else absolutely."""
    for statement in ctx.tree.body:
        if (
            isinstance(statement, ast.ImportFrom)
            and statement.level
            and resolve_relative(
                ctx.module, ctx.facts.is_package, statement.level, statement.module
            )
            == module
        ):
            return "." * statement.level + (statement.module or "")
    return module


def _imports_binding(tree: ast.Module, names: set[str]) -> set[tuple[str, str | None, str | None]]:
    """`(module, name, asname)` of the module-level imports that bind ``names`` (`import
    app.db as dbmod` binds `dbmod`, `import app.db` binds `app`; a relative import's module is
    written with its dots: `.db`)."""
    found: set[tuple[str, str | None, str | None]] = set()
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and (statement.module or statement.level):
            source = "." * statement.level + (statement.module or "")
            for alias in statement.names:
                if (alias.asname or alias.name) in names:
                    found.add((source, alias.name, alias.asname))
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in names:
                    found.add((alias.name, None, alias.asname))
    return found


def _renamer(name: str):
    def rename(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.Attribute)
        return cst.Name(name, lpar=node.lpar, rpar=node.rpar)

    return rename


def _adder(new: list[cst.Param], insert_parameter):
    def add(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.FunctionDef)
        params = node.params
        for param in sorted(new, key=lambda p: p.name.value):
            params = insert_parameter(params, param)
        return node.with_changes(params=params)

    return add


def _two_blank_lines_before(statement: cst.BaseStatement) -> cst.BaseStatement:
    import libcst as cst

    lines = list(statement.leading_lines)
    blank = 0
    for line in lines:
        if line.comment is not None:
            break
        blank += 1
    if blank >= 2:
        return statement
    return statement.with_changes(leading_lines=[cst.EmptyLine()] * (2 - blank) + lines)
