"""Fast traversals of `ast` trees for the analysis pass (`facts.py` and the collectors).

`ast.walk` and `ast.iter_child_nodes` go through two generators and look at every field of every
node, including the `ctx` and operator singletons no analysis asks about; over a project they
cost seconds. Here each node type's child fields are worked out once, `ctx`/operator fields and
plain-data fields (names, constants) left out, so every remaining field holds a node, None or a
list of nodes; nodes are gathered into lists.

Traversals return the same nodes in the same order as their `ast` counterparts, minus the
`expr_context` (`Load`, `Store`, `Del`) and operator (`Add`, `And`, `Eq`, ...) nodes.
"""

from __future__ import annotations

import ast

# fields that never hold nodes, or hold only `ctx`/operator singletons
_SKIPPED_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "asname", "module", "level", "is_async"}
    | {"kind", "type_comment", "conversion", "tag", "name", "rest", "kwd_attrs", "simple"}
    | {"lineno"}
)
_PLAIN_VALUE = (ast.Constant, ast.MatchSingleton)  # their `value` is data, not a node
_PLAIN_NAMES = (ast.Global, ast.Nonlocal)  # their `names` are strings


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    skipped = set(_SKIPPED_FIELDS)
    if issubclass(kind, _PLAIN_VALUE):
        skipped.add("value")
    if issubclass(kind, _PLAIN_NAMES):
        skipped.add("names")
    return tuple(name for name in kind._fields if name not in skipped)


def _node_types() -> list[type[ast.AST]]:
    found: list[type[ast.AST]] = []
    pending: list[type[ast.AST]] = [ast.AST]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {
    kind: _child_fields(kind) for kind in _node_types()
}
SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})


def _present(nodes: list[ast.AST | None]) -> list[ast.AST]:
    """The nodes of a list field (`Dict.keys` and `arguments.kw_defaults` may hold Nones)."""
    return nodes if None not in nodes else [node for node in nodes if node is not None]  # type: ignore[misc]


def children(node: ast.AST) -> list[ast.AST]:
    """The direct children of ``node``, in `ast.iter_child_nodes` order."""
    found: list[ast.AST] = []
    for name in CHILD_FIELDS[type(node)]:
        value = getattr(node, name, None)
        if type(value) is list:
            found.extend(_present(value))
        elif value is not None:
            found.append(value)
    return found


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and everything under it, breadth-first like `ast.walk`."""
    found: list[ast.AST] = [node]
    append, extend, fields = found.append, found.extend, CHILD_FIELDS
    for current in found:  # the list grows while it is read: a queue
        for name in fields[type(current)]:
            value = getattr(current, name, None)
            if type(value) is list:
                extend(_present(value))
            elif value is not None:
                append(value)
    return found


def own_nodes(body: list[ast.stmt] | list[ast.AST]) -> list[ast.AST]:
    """Every node of these statements that belongs to their scope, in source order (depth-first,
    pre-order): nested functions, lambdas and classes are included but not entered."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    pop, push, append, fields = stack.pop, stack.append, found.append, CHILD_FIELDS
    while stack:
        node = pop()
        append(node)
        kind = type(node)
        if kind in SCOPE_TYPES:
            continue
        names = fields[kind]
        if not names:
            continue
        start = len(stack)
        for name in names:
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(_present(value))
            elif value is not None:
                push(value)
        if len(stack) - start > 1:
            stack[start:] = stack[start:][::-1]
    return found


class OwnNodes:
    """`own_nodes` of each body, computed once per module: the analysis and every collector ask
    for the same scopes' nodes. The lists are shared: do not change them."""

    def __init__(self) -> None:
        # id(body) -> (body, its nodes); holding the body keeps its id from being reused
        self._found: dict[int, tuple[list[ast.stmt], list[ast.AST]]] = {}

    def __call__(self, body: list[ast.stmt]) -> list[ast.AST]:
        found = self._found.get(id(body))
        if found is None:
            found = self._found[id(body)] = (body, own_nodes(body))
        return found[1]
