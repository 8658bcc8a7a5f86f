"""What each module-level function returns, as a type expression another module can rewrite.

Stored as ``facts.extra["return_types"]``: a `ReturnTypes` whose ``types`` maps a function's
qualified name (module-level functions, and methods of module-level classes as
``module.Class.method``) to a `TypeText`: its return annotation as one line of code, with
every name in it qualified as the module sees it, so that a fix writing
`Annotated[T, Depends(f)]` in another module can import or rename what T needs
(`fastapi_fixer.fixing.dependency_types`). What FastAPI injects is recorded, not the annotation
itself: a generator dependency `-> Iterator[Session]` (`Generator`, `AsyncIterator`,
`AsyncGenerator`, `Iterable`, `AsyncIterable`) records `Session`. String annotations are parsed;
an annotation holding a forward reference inside it, a name the module cannot qualify, or a
generator annotated otherwise records nothing.

``guarded`` are the module-level names imported only under `if TYPE_CHECKING:`: they do not
exist when the module runs.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, replace

from fastapi_fixer.analysis.astwalk import OwnNodes
from fastapi_fixer.analysis.facts import ModuleFacts, Resolver

KEY = "return_types"

_GENERATORS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions", "collections.abc")
    for name in ("Iterator", "Generator", "AsyncIterator", "AsyncGenerator", "Iterable",
                 "AsyncIterable")
)  # fmt: skip
_LITERALS = frozenset({"typing.Literal", "typing_extensions.Literal"})
_TYPE_CHECKING = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})
_BUILTIN_GENERICS = frozenset(
    f"builtins.{name}" for name in ("list", "dict", "set", "frozenset", "tuple", "type")
)


@dataclass(frozen=True)
class TypeText:
    text: str  # one line of code
    refs: tuple[tuple[int, int, str], ...]  # (start, end, qualified name) of each name in text
    # the Python version the expression needs at run time when its module only ever stored it
    # as a string (`from __future__ import annotations`): `X | None` 3.10, `list[X]` 3.9
    needs: tuple[int, ...] = ()
    yielded: bool = False  # a generator's item type, not what calling the function returns


@dataclass(frozen=True)
class ReturnTypes:
    types: dict[str, TypeText]
    guarded: tuple[str, ...] = ()


def collect(tree: ast.Module, facts: ModuleFacts, resolver: Resolver, own: OwnNodes) -> ReturnTypes:
    future = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    types: dict[str, TypeText] = {}
    for node in own(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found = _function_type(node, resolver, future)
            if found is not None:
                types[f"{facts.module}.{node.name}"] = found
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found = _function_type(item, resolver, future)
                    if found is not None:
                        types[f"{facts.module}.{node.name}.{item.name}"] = found
    return ReturnTypes(types, tuple(sorted(_guarded(tree, resolver))))


def _guarded(tree: ast.Module, resolver: Resolver) -> set[str]:
    guarded: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and resolver.qualify(node.test) in _TYPE_CHECKING:
            for child in node.body:
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for alias in child.names:
                        guarded.add(alias.asname or alias.name.split(".")[0])
    return guarded


def _function_type(
    node: ast.FunctionDef | ast.AsyncFunctionDef, resolver: Resolver, future: bool
) -> TypeText | None:
    if node.returns is None:
        return None
    annotation = _unquoted(node.returns)
    if annotation is None:
        return None
    if _is_generator(node):
        if not isinstance(annotation, ast.Subscript):
            return None
        if resolver.qualify(annotation.value) not in _GENERATORS:
            return None
        inner = annotation.slice
        annotation = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        annotation = _unquoted(annotation)
        if annotation is None:
            return None
        found = type_text(annotation, resolver, future)
        return None if found is None else replace(found, yielded=True)
    return type_text(annotation, resolver, future)


def _unquoted(annotation: ast.expr) -> ast.expr | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    return annotation


def _is_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(current))
    return False


def _chain(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def type_text(annotation: ast.expr, resolver: Resolver, future: bool = False) -> TypeText | None:
    """``annotation`` as one line with its names qualified; None when a name cannot be."""
    text = ast.unparse(annotation)
    try:
        expression = ast.parse(text, mode="eval").body
    except SyntaxError:  # pragma: no cover - unparse gives valid code
        return None
    refs: list[tuple[int, int, str]] = []
    needs: tuple[int, ...] = ()
    stack: list[ast.AST] = [expression]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Name, ast.Attribute)):
            if not _chain(current):  # `f().x`
                return None
            qualified = resolver.qualify(current)
            if qualified is None:
                return None
            if qualified.startswith("builtins.") and not hasattr(
                builtins, qualified.removeprefix("builtins.")
            ):
                return None  # not bound at module level: a class-level name, a typo
            refs.append((current.col_offset, current.end_col_offset or 0, qualified))  # type: ignore[arg-type]
            continue
        if isinstance(current, ast.Subscript):
            outer = resolver.qualify(current.value) if _chain(current.value) else None
            if outer in _LITERALS:
                stack.append(current.value)
                continue  # the literal's values are not names
            if outer in _BUILTIN_GENERICS and future:
                needs = max(needs, (3, 9))
        elif isinstance(current, ast.BinOp):
            if not isinstance(current.op, ast.BitOr):
                return None
            if future:
                needs = max(needs, (3, 10))
        elif isinstance(current, ast.Constant):
            if isinstance(current.value, (str, bytes)):
                return None  # a forward reference inside the annotation
            continue
        elif not isinstance(current, (ast.Tuple, ast.List, ast.expr_context, ast.operator)):
            return None
        stack.extend(ast.iter_child_nodes(current))
    return TypeText(text, tuple(sorted(refs)), needs)
