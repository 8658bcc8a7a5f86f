"""Module-level names bound once to the result of a call (`db = DatabasePool()`), and the
provider functions that hand such a name out (`def get_db(): return db`).

Whether a call builds a *resource* depends on settings (`resource-factories`) and on other
modules (`SessionLocal()` where `SessionLocal = sessionmaker()` lives elsewhere), so this only
records what was called; FF301 decides with the project index.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver, _target_names

KEY = "resources"


@dataclass(frozen=True)
class ConstructedGlobal:
    name: str
    callee: str | None  # qualified name of what was called (`app.db.SessionLocal` for locals)
    callee_text: str  # the callee as written when it is a dotted name, else ""
    annotation: str | None  # qualified name of `T` in `name: T = call()` when T is a dotted name
    annotation_text: str  # `T` as written, else ""
    line: int  # where the statement starts
    col: int


@dataclass(frozen=True)
class Provider:
    name: str  # the function's name
    line: int


@dataclass
class ModuleResources:
    constructed: dict[str, ConstructedGlobal] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)  # global name -> its provider
    # names read by a module with routes or `Depends`: the engine analyses their modules even
    # when the text prefilter skipped them, so resources defined there are known
    demands: tuple[str, ...] = ()


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _bound_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [n for t in node.targets for n in _target_names(t)]
    if isinstance(node, ast.AnnAssign):
        return list(_target_names(node.target)) if node.value is not None else []
    if isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
        return list(_target_names(node.target))
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [
            n
            for item in node.items
            if item.optional_vars is not None
            for n in _target_names(item.optional_vars)
        ]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Delete):
        return [n for t in node.targets for n in _target_names(t)]
    return []


def _provider_of(node: ast.stmt) -> str | None:
    """The global a `def f(): return <global>` hands out."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.decorator_list:
        return None
    args = node.args
    if any([args.posonlyargs, args.args, args.kwonlyargs, args.vararg, args.kwarg]):
        return None
    body = node.body
    if (
        len(body) == 2
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Name):
        return body[0].value.id
    return None


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> ModuleResources:
    counts = Counter(name for node in own(tree.body) for name in _bound_names(node))
    found = ModuleResources()
    for node in tree.body:
        provided = _provider_of(node)
        if provided is not None and provided not in found.providers:
            found.providers[provided] = Provider(node.name, node.lineno)  # type: ignore[attr-defined]
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, annotation = node.targets[0], None
        elif isinstance(node, ast.AnnAssign):
            target, annotation = node.target, node.annotation
        else:
            continue
        value = node.value
        if not (isinstance(target, ast.Name) and isinstance(value, ast.Call)):
            continue
        if counts[target.id] != 1:
            continue
        callee = resolver.qualify(value.func)
        func = value.func
        if callee is None and isinstance(func, ast.Name):
            binding = facts.bindings.get(func.id)
            if binding is not None and binding.kind in ("other", "instance"):
                callee = f"{facts.module}.{func.id}"
        annotation_text = _dotted(annotation) if annotation is not None else ""
        found.constructed[target.id] = ConstructedGlobal(
            name=target.id,
            callee=None if callee is None or callee.startswith("builtins.") else callee,
            callee_text=_dotted(func),
            annotation=resolver.qualify(annotation) if annotation_text else None,  # type: ignore[arg-type]
            annotation_text=annotation_text,
            line=node.lineno,
            col=node.col_offset,
        )
    if facts.depends_targets or any(f.routes for f in facts.functions.values()):
        found.demands = tuple(sorted(facts.references | facts.depends_targets))
    return found
