"""Where a parsed module's top-level statements are in its text, so that a fix touching a few
statements of a long file costs those statements, not the file.

LibCST's positions are worked out by generating the code of the whole module, and a module's
`.code` generates all of it again: on a 3,000-line file a fix of one route paid both for every
rule. `StatementLines` reads the line where each top-level statement starts from the standard
library's `ast` (a fraction of the cost) and lets

- `visit_statements` run a span rewriter over only the statements that hold a target, each
  wrapped in a module of its own (positions are then those of that statement alone, moved by
  its first line), and
- `changed_hunks` turn a rewritten module into line hunks by generating the code of only the
  statements that are not the original ones (LibCST keeps a node it did not change).

Both check themselves against what they assume (the statement's first token is where `ast`
says; the original statements' code has the lines the map gives them) and answer None when a
check fails, so the caller falls back to the whole module.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.fixing.pipeline import Hunk


class StatementLines:
    """The first line (1-based) of each top-level statement of ``module``, leading comments and
    blank lines included, and of the ``ast`` token that starts it."""

    def __init__(
        self,
        module: cst.Module,
        firsts: list[int],
        tokens: list[int],
        total: int,
        tree: ast.Module | None = None,
    ):
        self.module = module
        self.tree = tree  # the text's ast, whose statements pair with the module's
        self.firsts = firsts  # the statement's first line, its leading lines included
        self.tokens = tokens  # the line of its first token (its first decorator, or keyword)
        self.total = total  # lines in the text
        self._wrappers: dict[int, tuple[cst.Module, object]] = {}

    @classmethod
    def of(
        cls, module: cst.Module, text: str, tree: ast.Module | None = None
    ) -> StatementLines | None:
        """The map of ``module`` parsed from ``text`` (``tree``: the text's `ast`, when the
        caller has it); None when `ast` cannot read the text or its statements do not pair
        with LibCST's."""
        if text.count("\r") != text.count("\r\n"):
            return None  # old-Mac line ends: LibCST's last line end is not the file's
        if tree is None:
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError):
                return None
        paired = _paired(tree.body, len(module.body))
        if paired is None:
            return None
        firsts = [
            _first_line(statement) - len(getattr(node, "leading_lines", ()))
            for statement, node in zip(paired, module.body, strict=True)
        ]
        if any(b <= a for a, b in itertools.pairwise(firsts)):
            return None
        lines = text.count("\n")
        if text and not text.endswith(("\n", "\r")):
            lines += 1
        return cls(module, firsts, [statement.lineno for statement in paired], lines, tree)

    def statement_at(self, line: int) -> int:
        """The index of the statement whose lines hold ``line`` (-1 before the first)."""
        import bisect

        return bisect.bisect_right(self.firsts, line) - 1

    def end(self, index: int) -> int:
        """The line after statement ``index``'s last (1-based, exclusive)."""
        if index + 1 < len(self.firsts):
            return self.firsts[index + 1]
        return self.total + 1 - len(self.module.footer)

    def wrapped(self, index: int) -> tuple[cst.Module, object]:
        """Statement ``index`` as a module of its own and that module's metadata wrapper."""
        found = self._wrappers.get(index)
        if found is None:
            from fastapi_fixer.fixing import positions

            alone = self.module.with_changes(header=(), body=(self.module.body[index],), footer=())
            found = (alone, positions.wrapper(alone))
            self._wrappers[index] = found
        return found


# the last modules the fix pass parsed (LibCST modules never change), newest first
_KNOWN: list[tuple[cst.Module, _Lazy]] = []


def remember(module: cst.Module, text: str) -> None:
    """Say that ``module`` was parsed from ``text`` (the fix pass does, for its rules)."""
    _KNOWN.insert(0, (module, _Lazy(module, text)))
    del _KNOWN[4:]


def parsed_from(text: str) -> cst.Module | None:
    """A module remembered as parsed from ``text`` (first again, with what was worked out of
    it), else None: a preview's pass of one rule (`reporting.fixes`) parses the text the pass
    of every rule parsed just before."""
    for at, (module, lazy) in enumerate(_KNOWN):
        if lazy.text is text or lazy.text == text:
            _KNOWN.insert(0, _KNOWN.pop(at))
            return module
    return None


class _Lazy:
    def __init__(self, module: cst.Module, text: str) -> None:
        self.module, self.text = module, text
        self.value: StatementLines | bool | None = False

    def get(self) -> StatementLines | None:
        if self.value is False:
            self.value = StatementLines.of(self.module, self.text)
        return self.value  # type: ignore[return-value]


def lines_of(module: cst.Module) -> StatementLines | None:
    """The statement map of a module the fix pass parsed, else None."""
    for known, lazy in _KNOWN:
        if known is module:
            return lazy.get()
    return None


_DEFINITIONS = {"FunctionDef": (ast.FunctionDef, ast.AsyncFunctionDef), "ClassDef": (ast.ClassDef,)}


def _first_line(statement: ast.stmt) -> int:
    """The line of a statement's first token: its first decorator's, or its own."""
    decorators = getattr(statement, "decorator_list", ())
    return min([statement.lineno, *(d.lineno for d in decorators)])


def _paired(body: Sequence[ast.stmt], count: int) -> list[ast.stmt] | None:
    """The first `ast` statement of each LibCST statement of a body of ``count`` (statements
    joined by `;` are one LibCST line); None when they do not pair."""
    firsts: list[ast.stmt] = []
    previous_end = -1
    for statement in body:
        if statement.lineno != previous_end:
            firsts.append(statement)
        previous_end = statement.end_lineno or statement.lineno
    return firsts if len(firsts) == count else None


def locate(
    module: cst.Module, lines: StatementLines, kind: str, line: int, column: int
) -> list[int] | None:
    """The path (statement indexes through the bodies of defs and classes) of the `def` or
    `class` whose keyword `ast` puts at ``line``:``column``, found without positions; None
    when it is not one LibCST and `ast` agree on along such a path (the caller then uses
    positions)."""
    import libcst as cst

    wanted = _DEFINITIONS.get(kind)
    if wanted is None or lines.tree is None:
        return None
    cst_body: Sequence[cst.CSTNode] = module.body
    ast_body: Sequence[ast.stmt] = lines.tree.body
    path: list[int] = []
    while True:
        paired = _paired(ast_body, len(cst_body))
        if paired is None:
            return None
        index = -1
        for i, statement in enumerate(paired):
            if _first_line(statement) > line:
                break
            index = i
        if index < 0:
            return None
        path.append(index)
        statement, node = paired[index], cst_body[index]
        if statement.lineno == line and statement.col_offset == column:
            return path if isinstance(statement, wanted) and type(node).__name__ == kind else None
        if not isinstance(statement, (*_DEFINITIONS["FunctionDef"], ast.ClassDef)):
            return None
        body = getattr(node, "body", None)
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef)) or not isinstance(
            body, cst.IndentedBlock
        ):
            return None
        if (statement.end_lineno or statement.lineno) < line:
            return None
        cst_body, ast_body = body.body, statement.body


def node_at(module: cst.Module, path: Sequence[int]) -> cst.CSTNode:
    node: cst.CSTNode = module.body[path[0]]
    for index in path[1:]:
        node = node.body.body[index]  # type: ignore[attr-defined]
    return node


def replaced_at(module: cst.Module, path: Sequence[int], new: cst.CSTNode) -> cst.Module:
    """``module`` with the statement at ``path`` (see `locate`) replaced by ``new``."""
    if len(path) == 1:
        body = list(module.body)
        body[path[0]] = new  # type: ignore[assignment]
        return module.with_changes(body=body)
    parents = [module.body[path[0]]]
    for index in path[1:-1]:
        parents.append(parents[-1].body.body[index])  # type: ignore[attr-defined]
    for parent, index in zip(reversed(parents), reversed(path[1:]), strict=True):
        block = parent.body  # type: ignore[attr-defined]
        children = list(block.body)
        children[index] = new
        new = parent.with_changes(body=block.with_changes(body=children))
    body = list(module.body)
    body[path[0]] = new  # type: ignore[assignment]
    return module.with_changes(body=body)


def visit_statements(
    module: cst.Module,
    lines: StatementLines,
    starts: Sequence[int],
    make_visitor: Callable[[int], cst.CSTTransformer],
) -> cst.Module | None:
    """``module`` with each top-level statement that holds one of the ``starts`` lines visited
    alone by ``make_visitor(line offset)`` (positions it reads are the statement's own, plus that
    offset). None when a statement's first token is not where `ast` put it."""
    from libcst.metadata import PositionProvider

    chosen = sorted({lines.statement_at(line) for line in starts})
    if not chosen or chosen[0] < 0:
        return None
    body = list(module.body)
    for index in reversed(chosen):
        _, wrapper = lines.wrapped(index)
        offset = lines.firsts[index] - 1
        position = wrapper.resolve(PositionProvider).get(module.body[index])  # type: ignore[attr-defined]
        if position is None or position.start.line + offset != lines.tokens[index]:
            return None
        result = wrapper.visit(make_visitor(offset))  # type: ignore[attr-defined]
        body[index : index + 1] = list(result.body)
    return module.with_changes(body=body)


def changed_hunks(
    before: cst.Module,
    lines: StatementLines,
    after: cst.Module,
    text_lines: Sequence[str] | None = None,
) -> list[Hunk] | None:
    """The line hunks that turn ``before`` (mapped by ``lines``) into ``after``, generating the
    code of the changed statements only. ``text_lines``: the lines of the text ``before`` was
    parsed from, which are the original statements' code (`tests/test_statements.py`). None
    when only the whole module's code can tell: its header, footer or settings changed, or the
    last statement of a file without a final line end changed."""
    from fastapi_fixer.fixing.pipeline import hunks_between, split_lines

    if (  # (header and footer compared as tuples: a rewrite may hand back a list of the same)
        tuple(after.header) != tuple(before.header)
        or tuple(after.footer) != tuple(before.footer)
        or after.encoding != before.encoding
        or after.default_indent != before.default_indent
        or after.default_newline != before.default_newline
        or after.has_trailing_newline != before.has_trailing_newline
    ):
        return None
    old, new = before.body, after.body
    if not old:
        return None
    if len(old) == len(new):
        regions = []
        for index, (was, now) in enumerate(zip(old, new, strict=True)):
            if was is not now:
                if regions and regions[-1][1] == index:
                    regions[-1] = (regions[-1][0], index + 1, regions[-1][2], index + 1)
                else:
                    regions.append((index, index + 1, index, index + 1))
    else:
        import difflib

        matcher = difflib.SequenceMatcher(None, [id(n) for n in old], [id(n) for n in new], False)
        regions = [op[1:] for op in matcher.get_opcodes() if op[0] != "equal"]
    hunks: list[Hunk] = []
    for i1, i2, j1, j2 in regions:
        if i2 == len(old) and not before.has_trailing_newline:
            return None  # the last statement's line end is the module's to give or not
        start = lines.firsts[i1] if i1 < len(old) else lines.end(len(old) - 1)
        stop = lines.end(i2 - 1) if i2 > i1 else start
        if text_lines is not None:  # the statements' code is their lines of the text
            was = list(text_lines[start - 1 : stop - 1])
        else:
            was = [line for s in old[i1:i2] for line in split_lines(before.code_for_node(s))]
            if len(was) != stop - start:
                return None  # the map is not what the code says: let the whole module tell
        now = [line for s in new[j1:j2] for line in split_lines(after.code_for_node(s))]
        hunks.extend(
            type(hunk)(hunk.start + start - 1, hunk.end + start - 1, hunk.lines)
            for hunk in hunks_between(was, now)
        )
    return hunks
