"""Return annotations of module-level functions that name one type or a list of one type.

Stored as ``facts.extra["return_annotations"]``: a `ReturnAnnotations` whose ``returns`` is
``dict[function qualname, (shape, type)]``; ``shape`` is ``"one"`` for ``-> T`` and ``"list"``
for ``-> list[T]`` / ``-> List[T]``; ``type`` is T's qualified name as the module sees it
(resolve it with ``index.resolve``).
``Annotated[T, ...]`` is unwrapped and string annotations are parsed. Anything else (unions,
``Optional``, other containers) is not recorded. Lets a rule know what a call into another
module returns without reading that module (`fastapi_fixer.analysis.pydantic_index.returned_by`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "return_annotations"

_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_LISTS = frozenset({"builtins.list", "typing.List"})


@dataclass(frozen=True)
class ReturnAnnotations:
    returns: dict[str, tuple[str, str]]
    named: tuple[str, ...]

    @property
    def demands(self) -> tuple[str, ...]:
        return self.named


def collect(
    tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes
) -> ReturnAnnotations:
    returns: dict[str, tuple[str, str]] = {}
    named: set[str] = set()
    for node in own(tree.body):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if node.returns is not None:
            shape = annotation_shape(node.returns, resolver)
            if shape is not None:
                returns[f"{facts.module}.{node.name}"] = shape
                named.add(shape[1])
        args = node.args
        annotations = [
            a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.annotation
        ]
        annotations.extend(n.annotation for n in own(node.body) if isinstance(n, ast.AnnAssign))
        for annotation in annotations:
            shape = annotation_shape(annotation, resolver)
            if shape is not None:
                named.add(shape[1])
    return ReturnAnnotations(returns, tuple(sorted(named)))


def annotation_shape(annotation: ast.expr, resolver: Resolver) -> tuple[str, str] | None:
    """``("one", T)`` or ``("list", T)`` for an annotation naming T or a list of T."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Subscript):
        outer = resolver.qualify(annotation.value)
        inner = annotation.slice
        if outer in _ANNOTATED:
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return annotation_shape(first, resolver)
        if outer in _LISTS and not isinstance(inner, ast.Tuple):
            element = annotation_shape(inner, resolver)
            if element is not None and element[0] == "one":
                return ("list", element[1])
        return None
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        qualified = resolver.qualify(annotation)
        if qualified is not None and not qualified.startswith("builtins."):
            return ("one", qualified)
    return None
