"""Text edits at `ast` positions: what a fixer writes when it can say exactly what LibCST would
have written, without LibCST's parse, positions and code generation of the whole file.

A fixer with a `fix_source(text, edits, ctx)` method returns the fixed text, or None when a
spot is one it cannot be sure of (a parenthesized target, a comment where it would look for a
token, a line shared by two statements): the fix pass then parses the file with LibCST and runs
the rule's `fix` (`fixing.pipeline.fix_file`). The helpers here never guess: each answers None
where LibCST's layout could differ from the plain reading of the text.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi_fixer.fixing.pipeline import Hunk, hunks_between, line_starts, split_lines


class Unsure(Exception):
    """The text edit cannot be sure to write what LibCST would: use LibCST."""


@dataclass(frozen=True)
class TextEdit:
    """Replace ``start``..``end`` (offsets in the text) by ``text``; ``order`` sorts edits at the
    same offset (an insertion before a replacement starting there: lower; after one ending
    there: higher)."""

    start: int
    end: int
    text: str
    order: int = 1


_BLOCKS = ("body", "handlers", "orelse", "finalbody")


def _first_indented(body: list[ast.stmt], lines: list[str]) -> str | None:
    """The indentation of the first statement, in the order of the text, inside a block of
    ``body`` that starts its line (`if x: y` holds none); None: no such statement."""
    for statement in body:
        for block in _blocks_of(statement):
            for inner in block:
                line = lines[inner.lineno - 1]
                indent = line[: len(line) - len(line.lstrip(" "))]
                if indent and len(indent) == inner.col_offset:
                    return indent
                found = _first_indented([inner], lines)
                if found is not None:
                    return found
    return None


def _blocks_of(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement's blocks in the order of the text (an `except` clause's body among them);
    raises `Unsure` at a `match` (its `case` lines, indented themselves, have no position)."""
    if type(statement).__name__ == "Match":
        raise Unsure("a match statement: the tokens tell")
    for field in _BLOCKS:
        value = getattr(statement, field, None) or ()
        if field == "handlers":
            yield from (clause.body for clause in value)
        else:
            yield value


class Source:
    """A text with its lines, line offsets and `ast`, for edits at `ast`'s positions."""

    def __init__(self, text: str, tree: ast.Module | None = None) -> None:
        if "\r" in text or "\f" in text or "\t" in text:
            raise Unsure("line ends or indentation LibCST may write otherwise")
        self.text = text
        self.lines = split_lines(text)
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line)
        self.starts.append(offset)
        if tree is None:
            known = _GIVEN.get(id(text))
            tree = known[1] if known is not None and known[0] is text else ast.parse(text)
        self.tree = tree
        # the parents of calls, attributes and subscripts (filled by the caller's walk)
        self.parents: dict[int, ast.AST] = {}

    # --- positions ------------------------------------------------------------------------

    def char_col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode()[:byte_col].decode())

    def offset(self, line: int, char_col: int) -> int:
        return self.starts[line - 1] + char_col

    def start_of(self, node: ast.AST) -> int:
        return self.offset(node.lineno, self.char_col(node.lineno, node.col_offset))  # type: ignore[attr-defined]

    def end_of(self, node: ast.AST) -> int:
        line = node.end_lineno  # type: ignore[attr-defined]
        return self.offset(line, self.char_col(line, node.end_col_offset))  # type: ignore[attr-defined]

    def span_key(self, node: ast.AST) -> tuple[int, int, int, int]:
        """The node's `Span` (`FileContext.span`: columns in characters) as a tuple."""
        end = node.end_lineno or node.lineno  # type: ignore[attr-defined]
        return (
            node.lineno,  # type: ignore[attr-defined]
            self.char_col(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            end,
            self.char_col(end, node.end_col_offset or 0),  # type: ignore[attr-defined]
        )

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def line_end(self, line: int) -> int:
        """The offset after line ``line``'s line end."""
        return self.starts[line]

    def indentation(self, line: int) -> str:
        text = self.lines[line - 1]
        return text[: len(text) - len(text.lstrip(" "))]

    def newline(self) -> str:
        return "\n"

    def default_indent(self) -> str:
        """The module's indentation unit as LibCST detects it: the first INDENT token's, which
        is the indentation of the first statement (in the text's order) that starts a line
        inside a block (a text with no tab, form feed or carriage return: `Source`)."""
        try:
            found = _first_indented(self.tree.body, self.lines)
        except Unsure:
            found = None
        return found if found is not None else self._tokenized_indent()

    def _tokenized_indent(self) -> str:
        """`default_indent` read from the tokens (no statement starts a line in a block)."""
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if token.type == tokenize.INDENT:
                    return token.string
        except (tokenize.TokenError, SyntaxError) as exc:
            raise Unsure("cannot tokenize") from exc
        return "    "

    # --- what surrounds a node -------------------------------------------------------------

    def previous_token(self, offset: int) -> int | None:
        """The offset of the last character before ``offset`` that is not whitespace; None
        when a line crossed on the way holds a comment (that character may be in it)."""
        i = offset - 1
        text = self.text
        while i >= 0 and text[i] in " \n\\":
            if text[i] == "\n":
                line = text.rfind("\n", 0, i) + 1
                if "#" in text[line:i]:
                    return None
            i -= 1
        return i if i >= 0 else None

    def next_token(self, offset: int) -> int | None:
        """The offset of the first character at or after ``offset`` that is not whitespace
        on the same logical line (a backslash continuation allowed); None at a comment or the
        end of the text."""
        i = offset
        text = self.text
        while i < len(text) and text[i] in " \\\n":
            if text[i] == "\n" and (i == 0 or text[i - 1] != "\\"):
                return None
            i += 1
        if i >= len(text) or text[i] == "#":
            return None
        return i

    def parenthesized(self, node: ast.expr) -> bool:
        """Whether ``node`` has parentheses of its own around it (LibCST's node then spans
        them); raises `Unsure` where the text does not tell."""
        before = self.previous_token(self.start_of(node))
        if before is None:
            raise Unsure("a comment before the target")
        if self.text[before] != "(":
            return False
        # parentheses of its own close right after it: anything else there (`.`, an operator,
        # a comma), and this one opens an enclosing expression (`assert (`); inside it, line
        # ends between the two are only spaces
        after = self.end_of(node)
        while after < len(self.text) and self.text[after] in " \t\f\\\r\n":
            after += 1
        if after < len(self.text) and self.text[after] not in ")#":
            return False
        # the parenthesis may open the call whose first argument starts with ``node``:
        # `f(node)`, `f(node.attribute)`, `f(node[0], x)`
        start = self.start_of(node)
        first: ast.AST = node
        parent = self.parents.get(id(node))
        while parent is not None and not isinstance(parent, ast.Call):
            if self.start_of(parent) != start:
                raise Unsure("a parenthesis before the target")
            first, parent = parent, self.parents.get(id(parent))
        if (
            isinstance(parent, ast.Call)
            and parent.args
            and parent.args[0] is first
            and self.next_token(self.end_of(parent.func)) == before
        ):
            return False  # the call's own parenthesis
        raise Unsure("a parenthesis before the target")

    def statement_line(self, statement: ast.stmt) -> tuple[int, int]:
        """The offsets of the whole lines ``statement`` alone occupies (its indentation, a
        trailing comment and the line end included); raises `Unsure` if it shares a line."""
        start = self.start_of(statement)
        first = self.line_start(statement.lineno)
        if self.text[first:start].strip(" "):
            raise Unsure("the statement does not start its line")
        end = self.end_of(statement)
        last = statement.end_lineno or statement.lineno
        rest = self.text[end : self.line_end(last)].strip(" \n")
        if rest and not rest.startswith("#"):
            raise Unsure("the statement shares its last line")
        if not self.text[self.line_end(last) - 1 : self.line_end(last)] == "\n":
            raise Unsure("the statement ends the file without a line end")
        return first, self.line_end(last)

    def leading_lines(self, body: list[ast.stmt], index: int) -> tuple[int, list[str]]:
        """Where the blank and comment lines LibCST gives statement ``index`` of the module's
        ``body`` as its `leading_lines` start, and the comment lines among them; raises
        `Unsure` when an indented line follows a compound statement (its block may own it)
        or there is no statement before (the module's header owns them)."""
        if index == 0:
            raise Unsure("the first statement's lines belong to the module header")
        previous = body[index - 1]
        if self._shares_line(body, index - 1):
            raise Unsure("the statement before shares its line")
        compound = hasattr(previous, "body")  # its block owns the indented lines after it
        statement = body[index]
        decorators = getattr(statement, "decorator_list", ())
        first = min([statement.lineno, *(d.lineno for d in decorators)])
        begin = (previous.end_lineno or previous.lineno) + 1
        comments = []
        for number in range(begin, first):
            line = self.lines[number - 1]
            stripped = line.strip(" \n")
            if stripped.startswith("#"):
                comments.append(line)
            elif stripped:
                raise Unsure("a line before the statement that is neither blank nor a comment")
            if compound and line.startswith(" "):
                raise Unsure("an indented line after a block (the block may own it)")
        return self.line_start(begin), comments

    def _shares_line(self, body: list[ast.stmt], index: int) -> bool:
        statement = body[index]
        last = statement.end_lineno or statement.lineno
        return (index + 1 < len(body) and body[index + 1].lineno == last) or (
            index > 0 and (body[index - 1].end_lineno or 0) == statement.lineno
        )


# id(text) -> (text, its `ast`): the trees of the texts a fix pass runs on, when its caller has
# them (`given_trees`; a worker keeps each file's tree from the facts pass)
_GIVEN: dict[int, tuple[str, ast.Module]] = {}


@contextlib.contextmanager
def given_trees(pairs: Iterable[tuple[str, ast.Module | None]]) -> Iterator[None]:
    """While in the block, a `Source` of one of these very texts (the same object, not an
    equal one) takes its tree instead of parsing it again: a tree no one changes, parsed
    from that text."""
    added = []
    for text, tree in pairs:
        if tree is not None and id(text) not in _GIVEN:
            _GIVEN[id(text)] = (text, tree)
            added.append(id(text))
    try:
        yield
    finally:
        for key in added:
            _GIVEN.pop(key, None)


# while `recorded_fix` runs a rule's text fix: (text, output, edits) of each `splice`
_SPLICES: ContextVar[list[tuple[str, str, list[TextEdit]]] | None] = ContextVar(
    "fastapi_fixer_splices", default=None
)


def splice(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with the edits applied; raises `Unsure` when two of them overlap (other than
    insertions at a replacement's ends)."""
    ordered = sorted(edits, key=lambda e: (e.start, e.order, e.end))
    out: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position:
            raise Unsure("overlapping edits")
        out.append(text[position : edit.start])
        out.append(edit.text)
        position = edit.end
    out.append(text[position:])
    result = "".join(out)
    spliced = _SPLICES.get()
    if spliced is not None:
        spliced.append((text, result, ordered))
    return result


def recorded_fix(
    apply_text: Callable[[str, list], tuple[str, list, list]], text: str, edits: list
) -> str | None:
    """A rule's `fix_source`: ``apply_text``'s output (the text, the imports it asks for and
    the ones it would remove), with those import requests recorded for the fix pass's import
    step; None where ``apply_text`` is unsure it writes what the rule's LibCST `fix` writes,
    and outside a fix pass (where nothing records the requests)."""
    from fastapi_fixer.fixing import context

    requests = context.current_requests()
    if requests is None:
        return None
    spliced: list[tuple[str, str, list[TextEdit]]] = []
    token = _SPLICES.set(spliced)
    try:
        new_text, adds, removals = apply_text(text, edits)
    except (Unsure, SyntaxError, ValueError):
        return None
    finally:
        _SPLICES.reset(token)
    requests.adds.extend(adds)
    requests.removals.extend(removals)
    if len(spliced) == 1 and spliced[0][0] is text and spliced[0][1] is new_text:
        requests.edits = spliced[0][2]  # the whole change: the pass need not diff the file
    return new_text


def hunks_of_edits(lines: list[str], text: str, edits: list[TextEdit]) -> list[Hunk]:
    """The line hunks of ``text`` (whose lines are ``lines``) with ``edits`` spliced in: the
    lines each group of edits touches, with the edits applied, diffed alone (`hunks_between`
    of those lines only, not of the whole file)."""
    starts = line_starts(lines)
    groups: list[list[Any]] = []  # [first line, end line (exclusive), edits]
    for edit in edits:
        first = bisect.bisect_right(starts, edit.start) - 1
        if first >= len(lines):  # at the end: after the last line, or on it when it has no end
            first = len(lines) - (bool(lines) and not lines[-1].endswith(("\n", "\r")))
        last = bisect.bisect_right(starts, edit.end - 1) if edit.end > edit.start else first + 1
        end = min(max(last, first + 1), len(lines))
        if groups and first <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], end)
            groups[-1][2].append(edit)
        else:
            groups.append([first, end, [edit]])
    hunks: list[Hunk] = []
    for first, end, group in groups:
        base = starts[first]
        region = splice(
            text[base : starts[end]],
            [TextEdit(e.start - base, e.end - base, e.text, e.order) for e in group],
        )
        hunks.extend(
            Hunk(first + h.start, first + h.end, h.lines)
            for h in hunks_between(lines[first:end], split_lines(region))
        )
    return hunks


# what may follow a call's last argument before its `)`: spaces, a comma, then whole lines of
# spaces and comments, then the `)` line's indentation
_TAIL = re.compile(r"( *)(,?)((?: *(?:#[^\n]*)?\n)*)( *)")
# what may lie between the argument before the last one and the last: a comma, then spaces,
# comments and line ends
_BETWEEN = re.compile(r" *,((?: *(?:#[^\n]*)?\n)* *)")
_SPACES = re.compile(r"((?: *(?:#[^\n]*)?\n)* *)")


def keyword_edit(source: Source, call: ast.Call, keyword: str, value: str, block: str) -> TextEdit:
    """``keyword=value`` after the last argument of ``call``, as
    `missing_response_model.append_keyword` writes it with LibCST: on a line of its own with
    the last argument's indentation when that one has a line of its own (a trailing comma
    after it, if the call had one), else after `, `. ``block``: the indentation of the
    statement holding the call. Raises `Unsure` where the text between the arguments holds
    more than commas, spaces, comments and line ends (a parenthesized argument, a backslash),
    or the indentation is one LibCST could attribute otherwise."""
    text = source.text
    close = source.end_of(call) - 1
    if text[close] != ")":
        raise Unsure("the call does not end at its parenthesis")
    opening = source.next_token(source.end_of(call.func))
    if opening is None or text[opening] != "(":
        raise Unsure("no `(` after the callee")
    new = f"{keyword}={value}"
    arguments = sorted(
        [*call.args, *call.keywords], key=lambda node: (node.lineno, node.col_offset)
    )
    if not arguments:
        if text[opening + 1 : close].strip(" "):
            raise Unsure("something between the parentheses")
        return TextEdit(close, close, new)
    last = arguments[-1]
    last_start, last_end = source.start_of(last), source.end_of(last)
    if len(arguments) > 1:
        between = _BETWEEN.fullmatch(text, source.end_of(arguments[-2]), last_start)
    else:
        between = _SPACES.fullmatch(text, opening + 1, last_start)
    tail = _TAIL.fullmatch(text, last_end, close)
    if between is None or tail is None:
        raise Unsure("more than commas, spaces and comments around the last argument")
    before = between.group(1)
    wrapped = "\n" in before
    indent = before[before.rfind("\n") + 1 :]
    separator = "\n" + indent if wrapped else " "
    spaces, comma, lines, final = tail.groups()
    if not comma:
        return TextEdit(last_end, last_end, f",{separator}{new}")
    if lines and wrapped:
        # `a,  # note⏎)`: the new argument goes on a line of its own before the `)` line
        if not (indent.startswith(block) and final.startswith(block)):
            # LibCST counts the `)` line's indentation from the block's, and writes the
            # new line's after it: the same text only when both lines start with the block's
            raise Unsure("a line of the call indented less than its statement")
        return TextEdit(close - len(final), close - len(final), f"{indent}{new},\n")
    at = last_end + len(spaces) + 1
    return TextEdit(at, at, f"{separator}{new},")


def imports_to_ask(
    tree: ast.Module, imports: Iterable[tuple[str, str | None]]
) -> list[tuple[str, str | None]]:
    """``imports`` the module does not have at its top level yet, in the order a LibCST fix
    asks `cstutil.add_imports` for them (by module, then name)."""
    present = top_level_imports(tree)
    ordered = sorted(imports, key=lambda item: (item[0], item[1] or ""))
    return [item for item in ordered if item not in present]


def top_level_imports(tree: ast.Module) -> set[tuple[str, str | None]]:
    """`cstutil._top_level_imports` read from `ast`: the module's own top-level imports
    without aliases (what `cstutil.add_imports` does not ask for again)."""
    found: set[tuple[str, str | None]] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            found.update((alias.name, None) for alias in statement.names if alias.asname is None)
        elif isinstance(statement, ast.ImportFrom) and not statement.level and statement.module:
            found.update(
                (statement.module, alias.name)
                for alias in statement.names
                if alias.asname is None and alias.name != "*"
            )
    return found
