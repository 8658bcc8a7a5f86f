"""## What it does
Reports, once per project, 5 or more classes that subclass `pydantic.BaseModel` directly when the
project has no base model of its own: a model that at least two project classes subclass and that
sets configuration (`model_config`, `class Config`, class keywords) or declares no fields (a
pure base for shared validators or methods). The report sits on the first direct subclass of the
module that holds most of them. Models in test modules (`tests/`, `test_*.py`, `conftest.py`) do
not count.

## Why is this bad?
Without a shared base, project-wide defaults — aliasing, `from_attributes`, datetime
serialization, `extra` handling — must be repeated in every model, and they drift: one model
accepts field names, the next only aliases. A base model is the one place to change them.

## Example
```python
class UserCreate(BaseModel): ...


class UserResponse(BaseModel): ...


class ItemCreate(BaseModel): ...  # ...and more
```

## Use instead
```python
class AppBaseModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


class UserCreate(AppBaseModel): ...
```

## Fix safety
Unsafe: the models gain `populate_by_name` and `from_attributes`, so they accept input they rejected
before (a field with an alias also under its own name; any object with the right attributes where a
dict was required); responses and the OpenAPI document do not change. The fix defines `AppBaseModel`
in "the schemas package": the module that holds most of the direct subclasses (ties: the first by
module name) — fastapi-fix does not create files, so it goes there rather than into a new `base.py`
— right above that module's first model, and re-parents every direct subclass of the project defined
at a module's top level on it, importing `AppBaseModel` from that module where needed and dropping
`BaseModel` imports that are no longer used. A project on Pydantic v1 gets `class Config:
allow_population_by_field_name = True; orm_mode = True` instead (on v1, `model_config = ...` would
be a field, sent in every response): one whose declared dependencies pin it there (`pydantic<2`,
`pydantic==1.10.*`, Poetry's `^1.10`, or `fastapi<0.100`, which requires v1; pyproject.toml,
setup.cfg, setup.py or requirements files), or, when they say nothing, whose code uses v1's API
(`class Config` keys such as `orm_mode`, `validator` imports) and none of v2's. Models of a module
that the schemas module itself imports (directly or through other project modules) are left on
`BaseModel`: importing `AppBaseModel` there would make a circular import. No fix when `AppBaseModel`
is already defined, `BaseModel` means something else in the schemas module, or that module builds
an app, a router or routes while other modules have models to re-parent (they would import it for
their base, registering its routes and needing what they need).

## Known problems
Only classes at module level and nested in classes are seen, and a base that lives outside the
analysed files (a library's `CamelModel`) is not a direct `BaseModel` subclass, so its
subclasses do not count. Subclasses of a base in files the analysis did not load may be missed
when deciding whether a project base exists. The cache does not notice an edit of the declared
dependencies alone: after changing the declared Pydantic version, run once with `--no-cache`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.pydantic_models import KEY as MODELS_KEY
from fastapi_fixer.analysis.collectors.pydantic_models import ClassFacts
from fastapi_fixer.analysis.paths import is_test_path
from fastapi_fixer.analysis.pydantic_index import classes, is_model
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity, Span
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.facts import ModuleFacts
    from fastapi_fixer.analysis.index import ProjectIndex

BASE_MODEL = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
MIN_DIRECT = 5
BASE_NAME = "AppBaseModel"
V1_CONFIG_KEYS = frozenset(
    {"orm_mode", "allow_population_by_field_name", "schema_extra", "allow_mutation"}
)
V2_API = frozenset(
    {
        "pydantic.ConfigDict",
        "pydantic.field_validator",
        "pydantic.model_validator",
        "pydantic.field_serializer",
        "pydantic.computed_field",
        "pydantic.TypeAdapter",
    }
)
V1_API = frozenset({"pydantic.validator", "pydantic.root_validator"})


@dataclass(frozen=True)
class Direct:
    module: str
    path: str
    facts: ClassFacts


def direct_subclasses(index: ProjectIndex) -> list[Direct]:
    """Project models that subclass pydantic's BaseModel directly (once per run)."""
    return index.memo("FF202.direct_subclasses", _direct_subclasses)


def direct_home(index: ProjectIndex) -> tuple[int, str]:
    """How many project models subclass BaseModel directly, and the module holding most of
    them (the first by name among equals)."""
    return index.memo("FF202.direct_home", _direct_home)


def is_home(index: ProjectIndex, module: str) -> bool:
    """Whether enough models subclass BaseModel directly and ``module`` holds most of them:
    what every model file's check asks (`index.ask`: a fix that adds a model elsewhere does
    not change the answer), the rest only the home's."""
    count, home = direct_home(index)
    return count >= MIN_DIRECT and home == module


def _direct_home(index: ProjectIndex) -> tuple[int, str]:
    counts = _counts(direct_subclasses(index))
    return sum(counts.values()), min(counts, key=lambda m: (-counts[m], m), default="")


def _counts(direct: list[Direct]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in direct:
        counts[item.module] = counts.get(item.module, 0) + 1
    return counts


def _direct_subclasses(index: ProjectIndex) -> list[Direct]:
    found = []
    for module in sorted(index.modules.values(), key=lambda m: m.module):
        if is_test_path(module.path):
            continue
        table = module.extra.get(MODELS_KEY)
        if not isinstance(table, dict):
            continue
        for facts in table.values():
            if any(index.resolve(base) in BASE_MODEL for base in facts.bases):
                found.append(Direct(module.module, module.path, facts))
    return found


def project_base(index: ProjectIndex) -> str | None:
    """A model that 2+ project classes subclass and that sets configuration or has no fields."""
    table = classes(index)
    children: dict[str, int] = {}
    for facts in table.values():
        for base in {index.resolve(b) for b in facts.bases}:
            if base in table:
                children[base] = children.get(base, 0) + 1
    for name in sorted(children):
        facts = table[name]
        if children[name] < 2 or not is_model(index, name):
            continue
        path = (
            index.modules[name.rpartition(".")[0]].path
            if name.rpartition(".")[0] in (index.modules)
            else ""
        )
        if path and is_test_path(path):
            continue
        own_fields = [f for f in facts.fields if f.is_field and f.name != "model_config"]
        if facts.config or not own_fields:
            return name
    return None


def uses_pydantic_v1(index: ProjectIndex) -> bool:
    """The project runs on Pydantic v1: its declared dependencies pin it there (`pydantic<2`,
    `fastapi<0.100`), else its code uses v1's API and none of v2's."""
    from fastapi_fixer.analysis.declared import declared_pydantic_major

    declared = index.memo("declared.pydantic_major", declared_pydantic_major)
    if declared is not None:
        return declared == 1
    imported = {
        binding.target
        for module in index.modules.values()
        for binding in module.bindings.values()
        if binding.kind == "import"
    }
    if imported & V2_API or any(t.startswith("pydantic_settings") for t in imported):
        return False
    v1_config = any(
        key in V1_CONFIG_KEYS for facts in classes(index).values() for key, _ in facts.config
    )
    return v1_config or bool(imported & V1_API)


def imported_by(index: ProjectIndex, module: str) -> set[str]:
    """Project modules ``module`` imports at its top level, directly or through others."""
    seen: set[str] = set()
    stack = [module]
    while stack:
        current = stack.pop()
        facts = index.modules.get(current)
        if facts is None:
            continue
        for binding in facts.bindings.values():
            if binding.kind != "import":
                continue
            parts = binding.target.split(".")
            for end in range(len(parts), 0, -1):
                found = index.find_module(".".join(parts[:end]))
                if found is not None:
                    if found not in seen:
                        seen.add(found)
                        stack.append(found)
                    break
    return seen


class NoProjectBaseModel(Rule):
    CODE = "FF202"
    NAME = "no-project-base-model"
    SEVERITY = Severity.WARNING
    MESSAGE = "{count} models subclass `BaseModel` directly and the project has no base model"
    FIX_TITLE = "Create `AppBaseModel` and re-parent the models on it"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("BaseModel",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        table = ctx.facts.extra.get(MODELS_KEY)
        if not isinstance(table, dict) or is_test_path(ctx.path):
            return
        index = ctx.index
        mine = [f for f in table.values() if any(index.resolve(b) in BASE_MODEL for b in f.bases)]
        if not mine:
            return
        if not index.ask(is_home, ctx.module) or project_base(index) is not None:
            return
        direct = direct_subclasses(index)
        counts = _counts(direct)
        home = ctx.module
        first = min(mine, key=lambda f: f.line)
        modules = len(counts)
        message = (
            f"{len(direct)} models in {modules} module{'s' if modules > 1 else ''} subclass "
            f"`BaseModel` directly and the project has no base model of its own: project-wide "
            f"defaults (aliases, `from_attributes`, serialization) must be repeated in each; "
            f"create `{BASE_NAME}` here and subclass it"
        )
        fix, problem = self._fix(ctx, direct, home)
        if problem:
            message += f" (no fix: {problem})"
        line = ctx.lines[first.line - 1] if first.line <= len(ctx.lines) else ""
        col = len(line) - len(line.lstrip())
        span = Span(first.line, col, first.line, len(line.rstrip()))
        yield Diagnostic(self.CODE, self.NAME, self.SEVERITY, message, ctx.path, span, fix)

    def _fix(self, ctx: FileContext, direct: list[Direct], home: str) -> tuple[Fix | None, str]:
        index = ctx.index
        for module in index.modules.values():
            table = module.extra.get(MODELS_KEY)
            if BASE_NAME in module.bindings and module.module == home:
                return None, f"`{BASE_NAME}` is already defined here"
            if isinstance(table, dict) and f"{module.module}.{BASE_NAME}" in table:
                return None, f"`{BASE_NAME}` is already defined in `{module.module}`"
        binding = ctx.scope.bindings.get("BaseModel")
        if binding is not None and binding.target not in BASE_MODEL:
            return None, "`BaseModel` means something else in this module"
        cycle = imported_by(index, home)
        # a module that builds an app, a router or routes is not one other modules should
        # import for a base class: importing it registers its routes and needs what they need
        # (python-multipart for a form), and ties independent apps together (fastapi's docs)
        serving = _builds_routes(index, index.modules[home])
        form = "v1" if uses_pydantic_v1(index) else "v2"
        by_module: dict[str, list[Direct]] = {}
        for item in direct:
            if item.facts.qualname.count(".") != item.module.count(".") + 1:
                continue  # nested in a class
            if item.module != home and item.module in cycle:
                continue
            by_module.setdefault(item.module, []).append(item)
        mine = by_module.get(home, [])
        if not mine:
            return None, "no model of this module can be re-parented"
        if serving and any(item.module != home for item in direct):
            return None, (
                "this module builds routes: other modules' models would import it for their "
                "base, registering its routes and needing what they need"
            )
        first = min(mine, key=lambda item: item.facts.line)
        edits = [Edit(ctx.path, "define", None, (first.facts.name, form))]
        for module, items in sorted(by_module.items()):
            path = items[0].path
            if module != home:
                local = index.modules[module].bindings.get(BASE_NAME)
                if local is not None:
                    continue
                edits.append(Edit(path, "import", None, (home,)))
            edits.extend(Edit(path, "reparent", None, (item.facts.name,)) for item in items)
        count = sum(len(items) for items in by_module.values())
        where = os.path.basename(ctx.path)
        title = f"Create `{BASE_NAME}` in `{where}` and re-parent {count} models on it"
        return Fix(title, FixSafety.UNSAFE, tuple(edits)), ""

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.codemods.missing_response_model import apply_route_edits
        from fastapi_fixer.fixing.cstutil import remove_unused_imports

        reparent = {str(e.args[0]) for e in edits if e.kind == "reparent"}
        define = next((e for e in edits if e.kind == "define"), None)
        imports: list[tuple[str, str | None]] = [
            (str(e.args[0]), BASE_NAME) for e in edits if e.kind == "import"
        ]
        body = list(module.body)
        for position, statement in enumerate(body):
            if isinstance(statement, cst.ClassDef) and statement.name.value in reparent:
                body[position] = statement.with_changes(
                    bases=[
                        arg.with_changes(value=cst.Name(BASE_NAME))
                        if _is_base_model(arg.value)
                        else arg
                        for arg in statement.bases
                    ]
                )
        if define is not None:
            before, form = str(define.args[0]), str(define.args[1])
            position = next(
                i
                for i, s in enumerate(body)
                if isinstance(s, cst.ClassDef) and s.name.value == before
            )
            anchor = body[position]
            new_class = cst.parse_statement(_base_source(form)).with_changes(
                leading_lines=anchor.leading_lines
            )
            body[position] = anchor.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
            body.insert(position, new_class)
            imports.append(("pydantic", "BaseModel"))
            if form == "v2":
                imports.append(("pydantic", "ConfigDict"))
        module = module.with_changes(body=body)
        module = apply_route_edits(
            module, [Edit(ctx.path, "import", None, (source, name)) for source, name in imports]
        )
        if define is None:
            module = remove_unused_imports(module, [("pydantic", "BaseModel", None)])
        return module


def _builds_routes(index: ProjectIndex, facts: ModuleFacts) -> bool:
    """The module builds an app or a router, or defines a route."""
    if any(binding.kind == "app" for binding in facts.bindings.values()):
        return True
    return any(f.routes and index.is_route(q) for q, f in facts.functions.items())


def _is_base_model(expression: cst.BaseExpression) -> bool:
    import libcst as cst

    if isinstance(expression, cst.Name):
        return expression.value == "BaseModel"
    if isinstance(expression, cst.Attribute):
        return expression.attr.value == "BaseModel"
    return False


def _base_source(form: str) -> str:
    if form == "v1":
        return (
            f"class {BASE_NAME}(BaseModel):\n"
            '    """Project-wide defaults for every model."""\n\n'
            "    class Config:\n"
            "        allow_population_by_field_name = True\n"
            "        orm_mode = True\n"
        )
    return (
        f"class {BASE_NAME}(BaseModel):\n"
        '    """Project-wide defaults for every model."""\n\n'
        "    model_config = ConfigDict(populate_by_name=True, from_attributes=True)\n"
    )
