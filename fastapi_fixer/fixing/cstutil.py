"""LibCST helpers shared by the fixers: find nodes by the spans `ast` reported, add imports."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from fastapi_fixer.fixing import positions, statements
from fastapi_fixer.models import Span, start_only

# (node, whether it is the object of an attribute, subscript or call) -> replacement
Replacer = Callable[[cst.CSTNode, bool], cst.CSTNode]


_WRAPPERS: list[tuple[cst.Module, MetadataWrapper]] = []


def metadata(module: cst.Module) -> MetadataWrapper:
    """A metadata wrapper of ``module`` itself (no copy), shared by every fixer that asks for
    the same module: the fix pass hands one parsed module to all the rules of a file, and the
    positions are worked out once for them all."""
    for known, wrapper in _WRAPPERS:
        if known is module:
            return wrapper
    wrapper = positions.wrapper(module)
    _WRAPPERS.insert(0, (module, wrapper))
    del _WRAPPERS[4:]
    return wrapper


class _SpanRewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: dict[tuple[str, Span], Replacer], offset: int = 0) -> None:
        super().__init__()
        self.targets = targets
        self.offset = offset  # lines before the module visited (one statement of a file)
        self.starts = sorted({(span.line, span.col) for _, span in targets})
        self.parents: list[cst.CSTNode] = []
        self.found: set[tuple[str, Span]] = set()

    def _span(self, node: cst.CSTNode) -> Span | None:
        position = self.get_metadata(PositionProvider, node, None)
        if position is None:
            return None
        return Span(
            position.start.line + self.offset,
            position.start.column,
            position.end.line + self.offset,
            position.end.column,
        )

    def _holds_a_target(self, node: cst.CSTNode) -> bool:
        span = self._span(node)
        if span is None:
            return True
        start = (span.line, span.col)
        end = (span.end_line, span.end_col)
        if isinstance(node, cst.IndentedBlock) and node.body:
            # a block's position starts where its first statement's does: after that
            # statement's decorators (`if flag:` above a decorated route)
            first_statement = node.body[0]
        else:
            first_statement = node
        decorators = getattr(first_statement, "decorators", ())
        if decorators:  # a def's or class's position starts after its decorators
            first = self._span(decorators[0])
            if first is None:
                return True
            start = min(start, (first.line, first.col))
        at = bisect.bisect_left(self.starts, start)
        return at < len(self.starts) and self.starts[at] <= end

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not self._holds_a_target(node):
            return False  # nothing to replace in there: its children are not visited
        self.parents.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        if self.parents and self.parents[-1] is original_node:
            self.parents.pop()
        else:
            return updated_node  # a node whose children were skipped holds no target
        updated = super().on_leave(original_node, updated_node)
        span = self._span(original_node)
        if span is None or not isinstance(updated, cst.CSTNode):
            return updated
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


class NodeNotFound(Exception):
    """A fix pointed at a node the file no longer has where the fix expected it."""


def rewrite_at(module: cst.Module, targets: dict[tuple[str, Span], Replacer]) -> cst.Module:
    """Replace the nodes of the given type found exactly at the given spans."""
    if not targets:
        return module
    result, found = visit_spans(module, targets)
    missing = set(targets) - found
    if missing:
        raise NodeNotFound(f"no node at {sorted(missing)[0]}")
    return result


def visit_spans(
    module: cst.Module, targets: dict[tuple[str, Span], Replacer]
) -> tuple[cst.Module, set[tuple[str, Span]]]:
    """``module`` with the targets that were found replaced, and the keys found. In a module the
    fix pass parsed, only the top-level statements that hold a target are visited
    (`fixing.statements`), else the whole module."""
    lines = statements.lines_of(module)
    found: set[tuple[str, Span]] = set()
    if lines is not None:
        module, targets, found = _replace_definitions(module, lines, targets)
        if not targets:
            return module, found

        def rewriter(offset: int) -> _SpanRewriter:
            visitor = _SpanRewriter(targets, offset)
            visitors.append(visitor)
            return visitor

        visitors: list[_SpanRewriter] = []
        starts = [span.line for _, span in targets]
        result = statements.visit_statements(module, lines, starts, rewriter)
        if result is not None:
            for visitor in visitors:
                found |= visitor.found
            return result, found
    rewriter_all = _SpanRewriter(targets)
    return metadata(module).visit(rewriter_all), found | rewriter_all.found


def _replace_definitions(
    module: cst.Module,
    lines: statements.StatementLines,
    targets: dict[tuple[str, Span], Replacer],
) -> tuple[cst.Module, dict[tuple[str, Span], Replacer], set[tuple[str, Span]]]:
    """Replace the `def` and `class` targets (matched on their start) that `statements.locate`
    finds without positions, when no other target lies in the same top-level statement; the
    targets left, and the keys replaced."""
    paths: dict[tuple[str, Span], list[int]] = {}
    for key in targets:
        kind, span = key
        if span.end_line == -1:
            path = statements.locate(module, lines, kind, span.line, span.col)
            if path is not None:
                paths[key] = path
    if not paths:
        return module, targets, set()
    held: dict[int, list[tuple[str, Span]]] = {}
    for key in targets:
        held.setdefault(lines.statement_at(key[1].line), []).append(key)
    found: set[tuple[str, Span]] = set()
    for keys in held.values():
        if not all(key in paths for key in keys):
            continue  # a target positions must find: the whole statement goes that way
        chosen = [paths[key] for key in keys]
        if any(a != b and b[: len(a)] == a for a in chosen for b in chosen):
            continue  # one target inside another: the visitor replaces inner ones first
        for key in keys:
            path = paths[key]
            new = targets[key](statements.node_at(module, path), False)
            if not isinstance(new, cst.BaseStatement):
                continue
            module = statements.replaced_at(module, path, new)
            found.add(key)
    left = {key: replacer for key, replacer in targets.items() if key not in found}
    return module, left, found


def add_imports(module: cst.Module, imports: Iterable[tuple[str, str | None]]) -> cst.Module:
    """`(module, None)` adds `import module`; `(module, name)` adds `from module import name`.
    In the fix pass the request is recorded and applied with every other rule's imports."""
    from fastapi_fixer.fixing import context
    from fastapi_fixer.fixing import imports as importing

    present = _top_level_imports(module)
    wanted = [item for item in imports if item not in present]
    if not wanted:
        return module
    requests = context.current_requests()
    if requests is not None:
        requests.adds.extend(wanted)
        return module
    return importing.add_imports(
        module, wanted, context.current_style(), context.current_first_party()
    )


def remove_unused_imports(
    module: cst.Module, candidates: Iterable[tuple[str, str | None, str | None]]
) -> cst.Module:
    """Remove each `(module, name, asname)` import when what it binds is no longer used. In the
    fix pass the request is recorded and applied once every rule's edits are in."""
    from fastapi_fixer.fixing import context
    from fastapi_fixer.fixing import imports as importing

    candidates = list(candidates)
    requests = context.current_requests()
    if requests is not None:
        requests.removals.extend(candidates)
        return module
    return importing.remove_unused_imports(module, candidates)


def _top_level_imports(module: cst.Module) -> set[tuple[str, str | None]]:
    """`(module, None)` for `import module`, `(module, name)` for `from module import name`,
    for the module's own top-level imports without aliases."""
    found: set[tuple[str, str | None]] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.asname is None:
                        found.add((_dotted_name(alias.name), None))
            elif (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and not isinstance(small.names, cst.ImportStar)
            ):
                source = _dotted_name(small.module)
                for alias in small.names:
                    if alias.asname is None and isinstance(alias.name, cst.Name):
                        found.add((source, alias.name.value))
    return found


def _dotted_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Attribute):
        return f"{_dotted_name(node.value)}.{node.attr.value}"
    return node.value if isinstance(node, cst.Name) else ""


def is_docstring(statement: cst.CSTNode) -> bool:
    """Whether the statement is a string on its own line (a module's, class's or function's
    docstring when it comes first)."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


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


# --- parameter lists (FF301, FF303) ---------------------------------------------------------

_ParamItem = tuple[str, cst.CSTNode]  # (section, Param/ParamSlash/ParamStar)


def _flatten_params(params: cst.Parameters) -> list[_ParamItem]:
    items: list[_ParamItem] = [("posonly", p) for p in params.posonly_params]
    if isinstance(params.posonly_ind, cst.ParamSlash):
        items.append(("slash", params.posonly_ind))
    items.extend(("params", p) for p in params.params)
    if isinstance(params.star_arg, (cst.Param, cst.ParamStar)):
        items.append(("star", params.star_arg))
    items.extend(("kwonly", p) for p in params.kwonly_params)
    if params.star_kwarg is not None:
        items.append(("kwargs", params.star_kwarg))
    return items


def _rebuild_params(params: cst.Parameters, items: list[_ParamItem]) -> cst.Parameters:
    sections: dict[str, list[cst.CSTNode]] = {}
    for section, node in items:
        sections.setdefault(section, []).append(node)
    return params.with_changes(
        posonly_params=sections.get("posonly", []),
        posonly_ind=sections["slash"][0] if "slash" in sections else cst.MaybeSentinel.DEFAULT,
        params=sections.get("params", []),
        star_arg=sections["star"][0] if "star" in sections else cst.MaybeSentinel.DEFAULT,
        kwonly_params=sections.get("kwonly", []),
        star_kwarg=sections["kwargs"][0] if "kwargs" in sections else None,
    )


def _separator(items: list[_ParamItem], near: int) -> cst.Comma:
    """A comma laid out like the list's own separators (one per line stays one per line),
    without their comments."""
    order = [near - 1, near, *range(len(items) - 1)]
    for position in order:
        if not 0 <= position < len(items) - 1:
            continue
        comma = getattr(items[position][1], "comma", None)
        if isinstance(comma, cst.Comma):
            after = comma.whitespace_after
            if isinstance(after, cst.ParenthesizedWhitespace):
                after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
            return comma.with_changes(whitespace_after=after)
    # no separator to copy (one parameter is left): a list laid out one per line stays so, the
    # parameters one indentation step (four spaces) deeper than the closing parenthesis
    comma = getattr(items[-1][1], "comma", None) if items else None
    if isinstance(comma, cst.Comma) and isinstance(
        comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        closing = comma.whitespace_after
        return cst.Comma(
            whitespace_after=closing.with_changes(
                first_line=cst.TrailingWhitespace(),
                empty_lines=[],
                last_line=cst.SimpleWhitespace(closing.last_line.value + "    "),
            )
        )
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _comment_kept(separator: cst.Comma, old: cst.Comma) -> tuple[cst.Comma, cst.Comma]:
    """When a parameter stops being the last one: its own comma keeps its comment (the line
    stays the same), and the new last parameter gets the old closing layout without it."""
    after = old.whitespace_after
    if not (
        isinstance(after, cst.ParenthesizedWhitespace)
        and after.first_line.comment is not None
        and isinstance(separator.whitespace_after, cst.ParenthesizedWhitespace)
    ):
        return separator, old
    kept = separator.with_changes(
        whitespace_after=separator.whitespace_after.with_changes(first_line=after.first_line)
    )
    closing = old.with_changes(
        whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace())
    )
    return kept, closing


def _insert_item(items: list[_ParamItem], at: int, item: _ParamItem) -> None:
    """Insert keeping every existing parameter's own comma (and comment); a new last parameter
    takes over the old last one's trailing comma."""
    section, node = item
    separator = _separator(items, at)
    if at == len(items) and items:
        last_section, last = items[-1]
        closing = last.comma  # type: ignore[attr-defined]
        changes = {}
        if isinstance(closing, cst.Comma):
            separator, closing = _comment_kept(separator, closing)
        elif isinstance(getattr(last, "whitespace_after_param", None), cst.ParenthesizedWhitespace):
            # `b  # note\n)` without a trailing comma: `b` keeps its line and comment, the
            # line break before `)` moves after the new parameter
            before_closing = last.whitespace_after_param  # type: ignore[attr-defined]
            node = node.with_changes(
                whitespace_after_param=before_closing.with_changes(
                    first_line=cst.TrailingWhitespace()
                )
            )
            changes["whitespace_after_param"] = cst.SimpleWhitespace("")
            after = separator.whitespace_after
            if isinstance(after, cst.ParenthesizedWhitespace):
                separator = cst.Comma(
                    whitespace_after=after.with_changes(first_line=before_closing.first_line)
                )
            elif len(items) == 1:  # the only parameter, on its own line: so is the new one
                indent = cst.SimpleWhitespace(before_closing.last_line.value + "    ")
                separator = cst.Comma(
                    whitespace_after=before_closing.with_changes(empty_lines=[], last_line=indent)
                )
            else:  # the parameters share one line: the new one joins it, before any comment
                node = node.with_changes(whitespace_after_param=before_closing)
        node = node.with_changes(comma=closing)
        items[-1] = (last_section, last.with_changes(comma=separator, **changes))
    elif items:
        node = node.with_changes(comma=separator)
    items.insert(at, (section, node))


def insert_parameter(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    """Add a parameter without a default after the existing ones: keyword-only when the function
    has `*`/`*args`, else before the first positional parameter with a default, else last of
    the positional ones (always before `**kwargs`)."""
    items = _flatten_params(params)
    if any(section == "star" for section, _ in items):
        section = "kwonly"
        at = max(i for i, (s, _) in enumerate(items) if s in ("star", "kwonly")) + 1
    else:
        section = "params"
        defaulted = [
            i
            for i, (s, node) in enumerate(items)
            if s in ("posonly", "params") and getattr(node, "default", None) is not None
        ]
        at = defaulted[0] if defaulted else len([s for s, _ in items if s != "kwargs"])
        if defaulted and items[at][0] == "posonly":
            raise ValueError("cannot add a parameter after a defaulted positional-only one")
    _insert_item(items, at, (section, param))
    return _rebuild_params(params, items)


def append_parameter(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    """Add a parameter without a default after every existing one (before `**kwargs` only):
    keyword-only (after a new bare `*` when needed) when a positional parameter has a default.
    FastAPI solves a route's parameters in this order, so a new dependency added last runs
    after the ones already there (authentication first)."""
    items = _flatten_params(params)
    at = next((i for i, (s, _) in enumerate(items) if s == "kwargs"), len(items))
    if any(section == "star" for section, _ in items):
        _insert_item(items, at, ("kwonly", param))
    elif any(
        s in ("posonly", "params") and getattr(node, "default", None) is not None
        for s, node in items
    ):
        # the parameter first: as the new last one it takes over the line break before `)`,
        # which a bare `*` cannot hold; then the `*` before it
        _insert_item(items, at, ("kwonly", param))
        _insert_item(items, at, ("star", cst.ParamStar()))
    else:
        _insert_item(items, at, ("params", param))
    return _rebuild_params(params, items)


def make_keyword_only_from(params: cst.Parameters, name: str) -> cst.Parameters:
    """Insert a bare `*` before the positional parameter ``name`` (which must not be
    positional-only, in a function without `*args`); an existing bare `*` goes away."""
    items = [item for item in _flatten_params(params) if not isinstance(item[1], cst.ParamStar)]
    star_at = next(
        i
        for i, (s, node) in enumerate(items)
        if s == "params" and node.name.value == name  # type: ignore[attr-defined]
    )
    items = [
        (section if section != "params" or i < star_at else "kwonly", node)
        for i, (section, node) in enumerate(items)
    ]
    _insert_item(items, star_at, ("star", cst.ParamStar()))
    return _rebuild_params(params, items)


class _StatementMover(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, moves: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        super().__init__()
        self.moves = dict(moves)  # statement start -> start of the statement to follow
        self.done: set[tuple[int, int]] = set()

    def _start(self, node: cst.CSTNode) -> tuple[int, int] | None:
        position = self.get_metadata(PositionProvider, node, None)
        return None if position is None else (position.start.line, position.start.column)

    def _reorder(self, original: list[cst.CSTNode], updated: list[cst.CSTNode]) -> list:
        starts = [self._start(node) for node in original]
        moving = {i for i, start in enumerate(starts) if start in self.moves}
        if not moving:
            return updated
        result = [node for i, node in enumerate(updated) if i not in moving]
        for i in sorted(moving):
            target = self.moves[starts[i]]  # type: ignore[index]
            if target not in starts:
                raise NodeNotFound(f"no statement at {target} in the same block")
            anchor = updated[starts.index(target)]
            result.insert(result.index(anchor) + 1, updated[i])
            self.done.add(starts[i])  # type: ignore[arg-type]
        return result

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(
            body=self._reorder(list(original_node.body), list(updated_node.body))
        )

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(
            body=self._reorder(list(original_node.body), list(updated_node.body))
        )


def move_statements_after(
    module: cst.Module, moves: list[tuple[Span, tuple[int, int]]]
) -> cst.Module:
    """Move each statement starting at a span's start to just after the statement of the same
    block that starts at the given (line, column); comments above a statement move with it."""
    mover = _StatementMover([((span.line, span.col), target) for span, target in moves])
    result = metadata(module).visit(mover)
    if len(mover.done) != len(mover.moves):
        raise NodeNotFound("a statement to move was not found")
    return result
