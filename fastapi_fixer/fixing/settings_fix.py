"""Where FF601-FF603 put what they move into settings: the project's `BaseSettings` class.

``find_settings(index, near)`` returns the `SettingsTarget` a fix adds fields to:

- the project's existing `BaseSettings` subclass (found through the project index, in any module,
  `pydantic_index.is_settings`) that has a module-level instance (``settings = Settings()``,
  from the ``module_instances`` collector) and that the fixed module can import as its project
  does (same import root; its own top package, or one its top package already imports from:
  never a sibling tutorial's); with several, the one in the shortest module name
  (``app.config`` before ``app.auth.config``), then by path;
- else a new ``config.py`` (``settings.py`` when a ``config.py`` already exists) next to the
  module that builds the app (a module-level ``FastAPI()`` outside tests, when there is exactly
  one), or next to the fixed module: a ``Settings(BaseSettings)`` class and ``settings =
  Settings()``, as the guide shows;
- or a reason why neither works (a settings class without a module-level instance, both file
  names taken).

``env_variable`` names the environment variable a field is read from (the class's
`env_prefix`, upper case unless `case_sensitive`): fixes say which variables to set.
``settings_edit`` is the edit that adds a field (applied with ``apply_settings_edits`` by the
rule's fixer, whatever rule it is); ``reference`` says how a module names the instance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.module_instances import KEY as INSTANCES_KEY
from fastapi_fixer.analysis.collectors.module_instances import ModuleInstances
from fastapi_fixer.analysis.paths import is_test_path
from fastapi_fixer.models import Edit

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.facts import Binding
    from fastapi_fixer.analysis.index import ProjectIndex

FIELD_EDIT = "settings-field"
NEW_CLASS = "Settings"
NEW_INSTANCE = "settings"


@dataclass(frozen=True)
class SettingsTarget:
    path: str  # the file that holds (or will hold) the class
    module: str
    class_name: str
    instance: str  # its module-level instance
    fields: tuple[str, ...]  # field names it has (inherited ones included)
    create: bool  # the file is created with the class
    instance_line: int = 0  # where the instance is built (0: created)

    @property
    def lowercase(self) -> bool:
        """Whether the class spells its fields in lower case (then new fields are too)."""
        return bool(self.fields) and all(name == name.lower() for name in self.fields)

    def field_name(self, name: str) -> str:
        if self.lowercase:
            return name.lower()
        if self.fields and all(f == f.upper() for f in self.fields):
            return name.upper()
        return name

    def existing(self, *names: str) -> str | None:
        """The class's field called one of ``names`` (case-insensitive, as environment
        variables are read), if any."""
        wanted = {n.lower() for n in names}
        return next((f for f in self.fields if f.lower() in wanted), None)


def app_modules(index: ProjectIndex) -> list[tuple[str, str]]:
    """(path, module) of every module that builds an app at module level, outside tests."""
    return index.memo("settings_fix.app_modules", _app_modules)


def _app_modules(index: ProjectIndex) -> list[tuple[str, str]]:
    return sorted(
        (module.path, module.module)
        for module in index.modules.values()
        if not is_test_path(module.path)
        and any(b.kind == "app" and b.detail == "app" for b in module.bindings.values())
    )


def find_settings(
    index: ProjectIndex, near: str, near_module: str, wanted: tuple[str, ...] = ()
) -> SettingsTarget | str:
    """The settings class to add fields to, or why there is none to use or create: among
    several, one that already has a field named like ``wanted`` (reused, not added twice)."""
    found, without_instance = index.memo("settings_fix.settings_targets", _settings_targets)
    if found:
        # only a class the fixed module can import as its project does: from its own top
        # package, or one its package already imports from (not another tutorial's next to it)
        usable = [item for item in found if _importable(index, item[2], near, near_module)]
        if not usable:
            return (
                f"the settings class `{found[0][2].class_name}` is in `{found[0][2].module}`, "
                "which this module's package does not import from"
            )
        return min(
            usable, key=lambda item: (wanted and not item[2].existing(*wanted), item[0], item[1])
        )[2]
    if len(without_instance) == 1:
        return f"the settings class `{next(iter(without_instance))}` has no module-level instance"
    if without_instance:
        return (
            f"none of the project's {len(without_instance)} settings classes has a module-level "
            "instance"
        )
    apps = app_modules(index)
    return _new_settings_target(index, near, near_module, apps)


def _import_root(path: str, module: str) -> str:
    """The folder that must be on `sys.path` for ``module`` (at ``path``) to import."""
    folder = os.path.dirname(path)
    depth = module.count(".") + (1 if os.path.basename(path) == "__init__.py" else 0)
    for _ in range(depth):
        folder = os.path.dirname(folder)
    return os.path.normpath(folder)


def _importable(index: ProjectIndex, target: SettingsTarget, near: str, near_module: str) -> bool:
    """The settings module is imported the way the fixed module imports its own project: both
    under one import root, and in the same top package, or in one the fixed module's top
    package (or top-level module) already imports from."""
    if _import_root(target.path, target.module) != _import_root(near, near_module):
        return False
    top, target_top = near_module.partition(".")[0], target.module.partition(".")[0]
    return top == target_top or target_top in index.memo(
        "settings_fix.top_imports", _top_imports
    ).get(top, frozenset())


def _top_imports(index: ProjectIndex) -> dict[str, frozenset[str]]:
    """For each top package (or top-level module) of the project, the other top packages its
    modules import from."""
    tops = {name.partition(".")[0] for name in index.modules}
    found: dict[str, set[str]] = {}
    for module in index.modules.values():
        top = module.module.partition(".")[0]
        for binding in module.bindings.values():
            if binding.kind == "import":
                other = binding.target.partition(".")[0]
                if other != top and other in tops:
                    found.setdefault(top, set()).add(other)
    return {top: frozenset(others) for top, others in found.items()}


def _settings_targets(
    index: ProjectIndex,
) -> tuple[list[tuple[int, str, SettingsTarget]], list[str]]:
    """Settings classes with a module-level instance, as targets (with their depth and path),
    and those without one; outside tests (once per run)."""
    from fastapi_fixer.analysis.pydantic_index import classes, fields_of, settings_classes

    found: list[tuple[int, str, SettingsTarget]] = []
    without_instance: list[str] = []
    for qualname in settings_classes(index):
        facts = classes(index)[qualname]
        module_name = qualname[: -len(facts.name) - 1]
        module = index.modules.get(module_name)
        if module is None or is_test_path(module.path):
            continue
        instances = module.extra.get(INSTANCES_KEY)
        instance = None
        if isinstance(instances, ModuleInstances):
            instance = next(
                (
                    (name, found_instance.line)
                    for name, found_instance in sorted(instances.items())
                    if index.resolve(found_instance.callee) == qualname
                ),
                None,
            )
        if instance is None:
            without_instance.append(qualname)
            continue
        fields = tuple(f.name for f in fields_of(index, qualname) if f.is_field)
        target = SettingsTarget(
            module.path, module_name, facts.name, instance[0], fields, False, instance[1]
        )
        found.append((module_name.count("."), module.path, target))
    return found, without_instance


def _new_settings_target(
    index: ProjectIndex, near: str, near_module: str, apps: list[tuple[str, str]]
) -> SettingsTarget | str:
    """A new settings module beside the only app (or beside ``near``), if the name is free and
    the project already depends on `pydantic-settings` (a fix adds no dependency)."""
    from fastapi_fixer.analysis.declared import depends_on

    if not depends_on(index, "pydantic-settings", "pydantic_settings"):
        return "no settings class, and the project does not depend on `pydantic-settings`"
    home_path, home_module = apps[0] if len(apps) == 1 else (near, near_module)
    home = index.modules.get(home_module)
    is_package = home.is_package if home is not None else home_path.endswith("__init__.py")
    package = home_module if is_package else home_module.rpartition(".")[0]
    directory = os.path.dirname(home_path)
    for name in ("config", "settings"):
        path = os.path.join(directory, f"{name}.py")
        module = f"{package}.{name}" if package else name
        if not os.path.lexists(path) and module not in index.modules:
            return SettingsTarget(path, module, NEW_CLASS, NEW_INSTANCE, (), True)
    return f"no settings class, and `config.py` and `settings.py` exist in `{directory}`"


def settings_edit(
    target: SettingsTarget, field: str, annotation: str, default: str | None = None
) -> Edit:
    """Adds ``field: annotation [= default]`` to the class (or creates the file with it)."""
    return Edit(
        target.path,
        FIELD_EDIT,
        None,
        (target.class_name, target.instance, field, annotation, default or "", target.create),
    )


def env_variable(index: ProjectIndex, target: SettingsTarget, field: str) -> str:
    """The environment variable pydantic-settings reads ``field`` of the class from."""
    if target.create:
        return field.upper()
    return class_env_variable(index, f"{target.module}.{target.class_name}", field)


def class_env_variable(index: ProjectIndex, qualname: str, field: str) -> str:
    """The environment variable of ``field`` of the settings class ``qualname``: its
    `env_prefix` (when a literal) and the field's name, upper case unless the class is
    `case_sensitive`."""
    from fastapi_fixer.analysis.pydantic_index import config_of

    config = config_of(index, qualname)
    prefix = config.get("env_prefix", "")
    prefix = prefix.strip("'\"") if prefix[:1] in "'\"" else ""
    name = f"{prefix}{field}"
    return name if config.get("case_sensitive") == "True" else name.upper()


def reference(
    index: ProjectIndex, bindings: dict[str, Binding], module: str, target: SettingsTarget
) -> tuple[str, tuple[str, str] | None] | str:
    """How ``module`` names the instance: (name, import to add or None), or why it cannot."""
    if module == target.module:
        return target.instance, None
    wanted = f"{target.module}.{target.instance}"
    for name, binding in sorted(bindings.items()):
        if binding.kind == "import" and index.resolve(binding.target) == wanted:
            return name, None
    if target.instance in bindings:
        return f"`{target.instance}` already means something else here"
    owner = index.modules.get(target.module)
    if owner is not None and any(
        b.kind == "import" and (b.target == module or b.target.startswith(module + "."))
        for b in owner.bindings.values()
    ):
        return f"`{target.module}` imports this module (the import would be circular)"
    return target.instance, (target.module, target.instance)


# --- applying (LibCST) --------------------------------------------------------------------------


def apply_settings_edits(module: cst.Module, edits: list[Edit]) -> cst.Module:
    """Apply the ``settings-field`` edits among ``edits`` to the settings module."""
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import add_imports

    wanted: dict[tuple[str, str, bool], dict[str, tuple[str, str]]] = {}
    for edit in edits:
        if edit.kind != FIELD_EDIT:
            continue
        class_name, instance, field, annotation, default, create = edit.args
        fields = wanted.setdefault((str(class_name), str(instance), bool(create)), {})
        fields.setdefault(str(field), (str(annotation), str(default)))
    for (class_name, instance, create), fields in sorted(wanted.items()):
        lines = [
            f"{field}: {annotation}" + (f" = {default}" if default else "")
            for field, (annotation, default) in fields.items()
        ]
        found = _class_index(module, class_name)
        if found is None:
            if not create:
                raise ValueError(f"no class `{class_name}` in the settings module")
            indent = module.default_indent
            body = "".join(f"{indent}{line}\n" for line in lines)
            code = f"class {class_name}(BaseSettings):\n{body}\n\n{instance} = {class_name}()\n"
            if not module.body:
                header = "from pydantic_settings import BaseSettings\n\n\n"
                module = cst.parse_module(header + code)
                continue
            new = list(cst.parse_module(code).body)
            new[0] = new[0].with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
            module = module.with_changes(body=[*module.body, *new])
            module = add_imports(module, [("pydantic_settings", "BaseSettings")])
            continue
        module = _add_fields(module, found, lines)
    return module


def _class_index(module: cst.Module, name: str) -> int | None:
    import libcst as cst

    for position, statement in enumerate(module.body):
        if isinstance(statement, cst.ClassDef) and statement.name.value == name:
            return position
    return None


def _add_fields(module: cst.Module, position: int, lines: list[str]) -> cst.Module:
    import libcst as cst

    statement = module.body[position]
    assert isinstance(statement, cst.ClassDef)
    block = statement.body
    if not isinstance(block, cst.IndentedBlock):
        raise ValueError("the settings class is written on one line")
    present = set()
    last_field = -1
    for at, inner in enumerate(block.body):
        if isinstance(inner, cst.SimpleStatementLine):
            for small in inner.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    present.add(small.target.value)
                    last_field = at
    new = [
        cst.parse_statement(line, config=module.config_for_parsing)
        for line in lines
        if line.split(":", 1)[0] not in present
    ]
    if not new:
        return module
    body = list(block.body)
    if last_field < 0:
        first = body[0] if body else None
        is_docstring = (
            isinstance(first, cst.SimpleStatementLine)
            and isinstance(first.body[0], cst.Expr)
            and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
        )
        last_field = 0 if is_docstring else -1
    body[last_field + 1 : last_field + 1] = new
    classdef = statement.with_changes(body=block.with_changes(body=body))
    return module.with_changes(
        body=[*module.body[:position], classdef, *module.body[position + 1 :]]
    )


def replace_expressions(
    module: cst.Module, replacements: list[tuple[tuple[str, ...], object, cst.BaseExpression]]
) -> cst.Module:
    """Replace, for each (node types, span, new expression), the node of one of those types at
    that span (a literal may be a `SimpleString` or a `ConcatenatedString`, a list a `List` or a
    `Tuple`), keeping its parentheses."""

    from fastapi_fixer.fixing.cstutil import NodeNotFound, visit_spans

    def replacer(new: cst.BaseExpression):
        def replace(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
            return new.with_changes(lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]

        return replace

    targets = {(kind, span): replacer(new) for kinds, span, new in replacements for kind in kinds}
    if not targets:
        return module
    result, found = visit_spans(module, targets)  # type: ignore[arg-type]
    if {span for _, span, _ in replacements} - {span for _, span in found}:
        raise NodeNotFound("an expression to replace moved")
    return result
