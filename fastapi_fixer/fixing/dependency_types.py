"""The type a fix writes in `Annotated[T, Depends(f)]`, valid in the module it goes into.

`dependency_type` gives what FastAPI injects for `Depends(f)`: the class for a class dependency,
else `f`'s return annotation (a generator's yielded type) as the project index recorded it
(`fastapi_fixer.analysis.collectors.return_types`), rewritten with the names the target module
has, or with the imports it needs. An import is asked for only when it is safe: the name is free
in the target module, it was not imported only under `if TYPE_CHECKING:`, and a project module
it comes from does not import the target module back (an import cycle). Anything else gives
None, and the fix writes `Any`.

`annotated_name` is how the module writes `Annotated`: an existing import (from `typing` or
`typing_extensions`), else `typing`'s, or `typing_extensions`'s for a project that supports
Python before 3.9 (`requires-python` in pyproject.toml, `python_requires` in
setup.cfg/setup.py).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.return_types import KEY, ReturnTypes, TypeText

if TYPE_CHECKING:
    from fastapi_fixer.analysis.facts import Binding, Resolver
    from fastapi_fixer.analysis.index import ProjectIndex
    from fastapi_fixer.rule import FileContext

Import = tuple[str, str]

_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
# what a type variable is made with: `-> T` says nothing about what the dependency gives
_TYPE_VARIABLES = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions")
    for name in ("TypeVar", "ParamSpec", "TypeVarTuple")
)


@dataclass(frozen=True)
class Written:
    text: str
    imports: tuple[Import, ...] = ()


# --- the project's declarations -------------------------------------------------------------

_REQUIRES_PYTHON = re.compile(
    r"(?:requires-python|python_requires|Requires-Python)\s*[=:]\s*[\"']?([^\"'\n]+)"
)
_LOWER = re.compile(r"(>=|==|~=|>)\s*(\d+(?:\.\d+)*)")


def declared_python_minimum(index: ProjectIndex) -> tuple[int, ...] | None:
    """The lowest Python version the project declares it supports, or None."""
    from fastapi_fixer.analysis.declared import declaration_texts

    bounds = []
    for text in declaration_texts(index):
        for match in _REQUIRES_PYTHON.finditer(text):
            for _, version in _LOWER.findall(match.group(1)):
                bounds.append(tuple(int(part) for part in version.split(".")))
    return min(bounds) if bounds else None


def python_minimum(ctx: FileContext) -> tuple[int, ...] | None:
    return ctx.index.memo("types.python_minimum", declared_python_minimum)


# --- names ----------------------------------------------------------------------------------


def _name_for(index: ProjectIndex, bindings: dict[str, Binding], targets: set[str]) -> str | None:
    for name, binding in bindings.items():
        if binding.kind in ("import", "def") and (
            binding.target in targets or index.resolve(binding.target) in targets
        ):
            return name
    for name, binding in bindings.items():  # `import httpx` -> `httpx.AsyncClient`
        if binding.kind != "import":
            continue
        for target in sorted(targets):
            module, _, attribute = target.rpartition(".")
            if binding.target == module:
                return f"{name}.{attribute}"
    return None


def guarded_names(ctx: FileContext) -> tuple[str, ...]:
    """The current module's names imported only under `if TYPE_CHECKING:`."""
    return _guarded(ctx, ctx.module)


def _guarded(ctx: FileContext, module: str) -> tuple[str, ...]:
    facts = ctx.index.modules.get(module)
    found = facts.extra.get(KEY) if facts is not None else None
    return found.guarded if isinstance(found, ReturnTypes) else ()


def _free(ctx: FileContext, outer: Resolver, name: str) -> bool:
    """Nothing binds ``name`` where the annotation is evaluated, nor at module level."""
    return name not in ctx.scope.bindings and outer.scope.lookup(name) is None


def _module_level(ctx: FileContext, outer: Resolver, written: str) -> bool:
    """``written``'s first name means, where the annotation is evaluated, the module-level
    binding, and that binding exists when the module runs."""
    root = written.split(".")[0]
    binding = ctx.scope.bindings.get(root)
    return (
        binding is not None
        and outer.scope.lookup(root) is binding
        and root not in _guarded(ctx, ctx.module)
    )


def bound_before(ctx: FileContext, written: str, line: int) -> bool:
    """The module binds ``written``'s first name in a statement that ends above ``line``
    (annotations are evaluated when the `def` runs)."""
    bound = _first_bindings(ctx).get(written.split(".")[0])
    return bound is not None and bound < line


def _first_bindings(ctx: FileContext) -> dict[str, int]:
    """Each module-level name, and the last line of the statement that first binds it (worked
    out once per file and kept on its context)."""
    found: dict[str, int] | None = ctx.__dict__.get("_first_bindings")
    if found is not None:
        return found
    from fastapi_fixer.analysis.astwalk import own_nodes

    found = {}
    for node in own_nodes(ctx.tree.body):  # module scope, in source order
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names = [node.id]
        else:
            continue
        for name in names:
            found.setdefault(name, node.end_lineno or node.lineno)
    ctx.__dict__["_first_bindings"] = found
    return found


def imports_module(index: ProjectIndex, start: str, goal: str) -> bool:
    """Whether project module ``start`` imports ``goal``, directly or through other project
    modules (any import at module level counts, `TYPE_CHECKING` ones too)."""
    seen = {start}
    pending = [start]
    while pending:
        facts = index.modules.get(pending.pop())
        if facts is None:
            continue
        for binding in facts.bindings.values():
            if binding.kind != "import":
                continue
            module = index.find_module(binding.target) or index.find_module(
                binding.target.rpartition(".")[0]
            )
            if module == goal:
                return True
            if module is not None and module not in seen:
                seen.add(module)
                pending.append(module)
    return False


def write_type(
    ctx: FileContext,
    outer: Resolver,
    found: TypeText,
    source: str,
    before: int,
    paths: dict[str, str] | None = None,
) -> Written | None:
    """``found`` (from module ``source``) as code of the current module, evaluated at line
    ``before``: each name written as this module binds it (above that line), or imported; None
    when that cannot be done safely. ``paths`` maps an index module name to how this module
    imports it (its own imports' spelling)."""
    index = ctx.index
    minimum = python_minimum(ctx)
    if found.needs and (minimum is None or minimum < found.needs):
        return None
    source_guarded = _guarded(ctx, source)
    pieces: list[str] = []
    imports: dict[str, Import] = {}
    last = 0
    for start, end, qualified in found.refs:
        original = found.text[start:end]
        if qualified.startswith("builtins."):
            short = qualified.removeprefix("builtins.")
            if "." in short or not _free(ctx, outer, short):
                return None
            written = short
        else:
            resolved = index.resolve(qualified)
            if _is_type_variable(index, resolved):
                return None
            written = _name_for(index, ctx.scope.bindings, {qualified, resolved})
            if written is not None and not (
                _module_level(ctx, outer, written) and bound_before(ctx, written, before)
            ):
                return None
            if written is None:
                if original.split(".")[0] in source_guarded:
                    return None  # imported only for type checkers there
                got = _import_for(ctx, outer, qualified, resolved, paths or {})
                if got is None:
                    return None
                written = got[1]
                if imports.get(written, got) != got:
                    return None  # two different names wanted as one
                imports[written] = got
        pieces.append(found.text[last:start])
        pieces.append(written)
        last = end
    pieces.append(found.text[last:])
    return Written("".join(pieces), tuple(sorted(imports.values())))


def _is_type_variable(index: ProjectIndex, resolved: str) -> bool:
    from fastapi_fixer.analysis.facts import CONSTRUCTED

    binding = index.binding_of(resolved)
    if binding is None or binding.kind != "other":
        return False
    made_by = binding.target.removeprefix(CONSTRUCTED)
    return binding.target.startswith(CONSTRUCTED) and made_by in _TYPE_VARIABLES


def _import_for(
    ctx: FileContext, outer: Resolver, qualified: str, resolved: str, paths: dict[str, str]
) -> Import | None:
    index = ctx.index
    module, _, short = qualified.rpartition(".")
    if not module or not short.isidentifier() or not _free(ctx, outer, short):
        return None
    if hasattr(builtins, short):
        return None  # a new module-level name would shadow the builtin everywhere here
    if "*" in _first_bindings(ctx):
        return None  # `from x import *` may bind the name already
    defining = index.find_module(resolved.rpartition(".")[0])
    if defining is None:  # a library: import it as the dependency's module does
        if index.find_module(module) is not None:
            return None
        return module, short
    if defining == ctx.module:
        return None  # defined here, yet not bound at module level
    defined_here = index.modules[defining].bindings.get(resolved.rpartition(".")[2])
    if defined_here is None or defined_here.kind == "import":
        return None
    path = paths.get(defining)
    if path is None and index.find_module(module) == defining:
        path = module  # as the dependency's module imports it
    if path is None and _spelled_like_here(ctx, defining):
        path = defining
    if path is None or index.ask(imports_module, defining, ctx.module):
        return None
    return path, resolved.rpartition(".")[2]


def _spelled_like_here(ctx: FileContext, module: str) -> bool:
    """This module imports other modules of ``module``'s package by their index names."""
    package = module.split(".")[0] + "."
    return any(
        b.kind == "import"
        and b.target.startswith(package)
        and ctx.index.find_module(b.target.rpartition(".")[0]) == b.target.rpartition(".")[0]
        for b in ctx.scope.bindings.values()
    )


def _is_class(index: ProjectIndex, qualified: str) -> bool:
    resolved = index.resolve(qualified)
    module = index.find_module(resolved.rpartition(".")[0])
    if module is not None:
        binding = index.modules[module].bindings.get(resolved.rpartition(".")[2])
        return (
            binding is not None
            and binding.kind == "def"
            and binding.target == resolved
            and resolved not in index.functions
        )
    return resolved not in index.functions and resolved.rpartition(".")[2][:1].isupper()


def dependency_target(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "dependency":
            return keyword.value
    return None


def dependency_type(
    ctx: FileContext, outer: Resolver, target: ast.expr | None, before: int
) -> Written | None:
    """What `Depends(target)` injects, written for the current module at line ``before``
    (None: unknown)."""
    if target is None:
        return None
    qualified = outer.qualify(target)
    if qualified is None or qualified.startswith("builtins."):
        return None
    index = ctx.index
    if _is_class(index, qualified):
        return Written(ast.unparse(target))  # the class itself, named as `Depends` names it
    return returned_type(ctx, outer, qualified, before)


def annotated_unread(ctx: FileContext) -> str | None:
    """Why a fix may not write `Annotated[T, Depends(f)]` here: the project declares support
    for FastAPI before 0.95, which does not read `Annotated` markers (it would take the
    parameter for a query or body parameter). None when it may."""
    from fastapi_fixer.codemods.depends_default_not_annotated import (
        ANNOTATED_SINCE,
        declared_fastapi_minimum,
    )

    minimum = ctx.index.memo("FF303.fastapi_minimum", declared_fastapi_minimum)
    if minimum is not None and minimum < ANNOTATED_SINCE:
        version = ".".join(map(str, minimum))
        return f"the project supports FastAPI {version}, which does not read `Annotated`"
    return None


def annotated_name(ctx: FileContext, outer: Resolver) -> tuple[str, Import | None] | None:
    """How the module writes `Annotated`, and the import to add for it; None when the name is
    taken by something else."""
    written = _name_for(ctx.index, ctx.scope.bindings, set(_ANNOTATED))
    if written is not None:
        return (written, None) if _module_level(ctx, outer, written) else None
    if not _free(ctx, outer, "Annotated"):
        return None
    minimum = python_minimum(ctx)
    module = "typing_extensions" if minimum is not None and minimum < (3, 9) else "typing"
    return "Annotated", (module, "Annotated")


_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})


def without_none(found: TypeText) -> TypeText:
    """``found`` without its `None` alternative: `X | None`, `Optional[X]`, `Union[X, None]`
    give `X` (what a value is once a check rejected `None`); anything else stays."""
    expression = ast.parse(found.text, mode="eval").body
    refs = {(start, end): qualified for start, end, qualified in found.refs}

    def qualified(node: ast.expr) -> str:
        return refs.get((node.col_offset, node.end_col_offset or 0), "")

    parts: list[ast.expr] = []
    if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.BitOr):
        stack: list[ast.expr] = [expression]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.BinOp) and isinstance(current.op, ast.BitOr):
                stack.extend((current.right, current.left))
            else:
                parts.append(current)
    elif isinstance(expression, ast.Subscript) and qualified(expression.value) in _OPTIONAL:
        parts = [expression.slice, ast.Constant(None)]
    elif isinstance(expression, ast.Subscript) and qualified(expression.value) in _UNION:
        inner = expression.slice
        parts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    kept = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
    if len(kept) != 1 or len(parts) == 1:
        return found
    start, end = kept[0].col_offset, kept[0].end_col_offset or 0
    return TypeText(
        found.text[start:end],
        tuple((s - start, e - start, q) for s, e, q in found.refs if start <= s and e <= end),
        found.needs,
    )


def call_type(ctx: FileContext, outer: Resolver, call: ast.expr, before: int) -> Written | None:
    """What calling (and awaiting) a project function gives, once `None` is ruled out, written
    for the current module at line ``before`` (None: unknown)."""
    awaited = isinstance(call, ast.Await)
    if isinstance(call, ast.Await):
        call = call.value
    if not isinstance(call, ast.Call):
        return None
    qualified = outer.qualify(call.func)
    if qualified is None or ctx.index.resolve(qualified) not in ctx.index.functions:
        qualified = _method_of_instance(ctx, outer, call.func)
    if qualified is None or qualified.startswith("builtins."):
        return None
    function = ctx.index.functions.get(ctx.index.resolve(qualified))
    if function is None or (function.is_async and not awaited):
        return None
    return returned_type(ctx, outer, qualified, before, called=True)


def _method_of_instance(ctx: FileContext, outer: Resolver, func: ast.expr) -> str | None:
    """`Items.get_item` where `Items` is a module-level instance of a project class (bound
    here, or imported): that class's method."""
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    index = ctx.index
    binding = outer.scope.lookup(func.value.id)
    if binding is None:
        return None
    if binding.kind == "import":
        binding = index.binding_of(binding.target)
        if binding is None:
            return None
    from fastapi_fixer.analysis.facts import CONSTRUCTED

    if binding.kind == "instance" and binding.target:
        kind = binding.target
    elif binding.kind == "other" and binding.target.startswith(CONSTRUCTED):
        kind = binding.target.removeprefix(CONSTRUCTED)  # `Items = ItemTable()`
        if not _is_class(index, kind):
            return None
    else:
        return None
    return f"{index.resolve(kind)}.{func.attr}"


def _module_of(index: ProjectIndex, qualname: str) -> str | None:
    """The project module that defines ``qualname`` (a function, or a method of a class)."""
    parts = qualname.split(".")
    for end in range(len(parts) - 1, 0, -1):
        found = index.find_module(".".join(parts[:end]))
        if found is not None:
            return found
    return None


def returned_type(
    ctx: FileContext, outer: Resolver, qualified: str, before: int, called: bool = False
) -> Written | None:
    """The recorded return type of the function ``qualified`` names, written for the current
    module; ``called``: what a call gives, once `None` is ruled out (not a generator's items)."""
    index = ctx.index
    resolved = index.resolve(qualified)
    module = _module_of(index, resolved)
    if module is None:
        return None
    facts = index.modules[module].extra.get(KEY)
    if not isinstance(facts, ReturnTypes) or resolved not in facts.types:
        return None
    found = facts.types[resolved]
    if called:
        if found.yielded:
            return None
        found = without_none(found)
    paths = {}
    written_module = qualified.rpartition(".")[0]
    if index.find_module(written_module) == module:
        paths[module] = written_module
    return write_type(ctx, outer, found, module, before, paths)
