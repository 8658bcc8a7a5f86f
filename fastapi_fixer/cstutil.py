"""LibCST helpers shared by the fixers: find nodes by the spans `ast` reported, add imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from fastapi_fixer.models import Span

# (node, whether it is the object of an attribute, subscript or call) -> replacement
Replacer = Callable[[cst.CSTNode, bool], cst.CSTNode]


class _SpanRewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: dict[tuple[str, Span], Replacer]) -> None:
        super().__init__()
        self.targets = targets
        self.parents: list[cst.CSTNode] = []
        self.found: set[tuple[str, Span]] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.parents.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        self.parents.pop()
        updated = super().on_leave(original_node, updated_node)
        position = self.get_metadata(PositionProvider, original_node, None)
        if position is None or not isinstance(updated, cst.CSTNode):
            return updated
        span = Span(
            position.start.line, position.start.column, position.end.line, position.end.column
        )
        key = (type(original_node).__name__, span)
        replacer = self.targets.get(key)
        if replacer is None:
            key = (key[0], start_only(span))
            replacer = self.targets.get(key)
        if replacer is None:
            return updated
        self.found.add(key)
        parent = self.parents[-1] if self.parents else None
        return replacer(updated, _is_primary_object(original_node, parent))


def start_only(span: Span) -> Span:
    """A target span that matches on its start alone (for statements, whose ends differ
    between `ast` and LibCST around trailing comments)."""
    return Span(span.line, span.col, -1, -1)


class NodeNotFound(Exception):
    """A fix pointed at a node the file no longer has where the fix expected it."""


def rewrite_at(module: cst.Module, targets: dict[tuple[str, Span], Replacer]) -> cst.Module:
    """Replace the nodes of the given type found exactly at the given spans."""
    if not targets:
        return module
    rewriter = _SpanRewriter(targets)
    result = MetadataWrapper(module, unsafe_skip_copy=True).visit(rewriter)
    missing = set(targets) - rewriter.found
    if missing:
        raise NodeNotFound(f"no node at {sorted(missing)[0]}")
    return result


def add_imports(module: cst.Module, imports: Iterable[tuple[str, str | None]]) -> cst.Module:
    """`(module, None)` adds `import module`; `(module, name)` adds `from module import name`."""
    context = CodemodContext()
    wanted = list(imports)
    if not wanted:
        return module
    for source, name in wanted:
        if name is None:
            AddImportsVisitor.add_needed_import(context, source)
        else:
            AddImportsVisitor.add_needed_import(context, source, name)
    return AddImportsVisitor(context).transform_module(module)


def _is_primary_object(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """Whether ``node`` is the object of an attribute, subscript or call: an `await` put there
    needs parentheses, or `await x.y` would await `x.y` instead."""
    if isinstance(parent, cst.Attribute):
        return parent.value is node
    if isinstance(parent, cst.Subscript):
        return parent.value is node
    if isinstance(parent, cst.Call):
        return parent.func is node
    return False
