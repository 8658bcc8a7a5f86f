"""Adding and removing imports in a LibCST module by editing its import statements directly.

A new import goes where ruff's isort (`I001`, default settings plus the project's
`[tool.ruff.lint.isort]` / `[tool.isort]` options) would put it: into its section (future,
standard library, third party, first party, local) of the module's first import block, at its
sorted position; a name asked from a module the block already imports from joins that
statement at its sorted position, keeping its layout. What the module already binds is reused;
a name bound to something else is never shadowed (`ImportClash`). Only `module.body`'s top
statements are touched, so an edit costs a small fraction of a parse.

Removal decides "unused" from the names the module reads (one plain walk of the tree's fields,
or the names the caller already has), never from LibCST's scope analysis.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import libcst as cst

from fastapi_fixer.fixing.cstutil import is_docstring
from fastapi_fixer.fixing.project_style import ImportStyle, ProjectStyle
from fastapi_fixer.fixing.statements import _first_line

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)

# typing names that typing_extensions re-exports as the same object on every Python version
# the fixes target: asked from one module, an import from the other one serves.
_TYPING_TWINS = frozenset(
    {"Annotated", "Any", "Callable", "Dict", "List", "Literal", "Optional", "Tuple", "Union"}
)
# re-exports: the same object under another module's name
_SAME_OBJECT = {
    ("fastapi", "Request"): ("starlette.requests", "Request"),
    ("fastapi.requests", "Request"): ("starlette.requests", "Request"),
    ("fastapi", "Response"): ("starlette.responses", "Response"),
    ("fastapi.responses", "Response"): ("starlette.responses", "Response"),
    ("fastapi.responses", "JSONResponse"): ("starlette.responses", "JSONResponse"),
    ("fastapi.responses", "StreamingResponse"): ("starlette.responses", "StreamingResponse"),
    ("fastapi.responses", "RedirectResponse"): ("starlette.responses", "RedirectResponse"),
    ("fastapi.responses", "PlainTextResponse"): ("starlette.responses", "PlainTextResponse"),
    ("fastapi.responses", "HTMLResponse"): ("starlette.responses", "HTMLResponse"),
    ("fastapi.responses", "FileResponse"): ("starlette.responses", "FileResponse"),
    ("fastapi", "WebSocket"): ("starlette.websockets", "WebSocket"),
    ("fastapi.websockets", "WebSocket"): ("starlette.websockets", "WebSocket"),
    ("fastapi", "WebSocketDisconnect"): ("starlette.websockets", "WebSocketDisconnect"),
    ("fastapi", "status"): ("starlette", "status"),
    ("fastapi.concurrency", "run_in_threadpool"): ("starlette.concurrency", "run_in_threadpool"),
    ("fastapi.middleware.cors", "CORSMiddleware"): ("starlette.middleware.cors", "CORSMiddleware"),
}


class ImportClash(Exception):
    """The name an import would bind is already bound at module level to something else: the
    fix that asked for it would shadow it (or be shadowed), so it must be dropped."""


def _canonical(source: str, name: str) -> tuple[str, str]:
    if source == "typing_extensions" and name in _TYPING_TWINS:
        return ("typing", name)
    return _SAME_OBJECT.get((source, name), (source, name))


def _same_object(a: tuple[str, str], b: tuple[str, str]) -> bool:
    if a == b or _canonical(*a) == _canonical(*b):
        return True
    # typing_extensions re-exports all of typing: asked `typing.X`, `typing_extensions.X` serves
    return a[1] == b[1] and {a[0], b[0]} == {"typing", "typing_extensions"} and (a[0] == "typing")


# --- names and sort keys (ruff's isort: sorting.rs) ------------------------------------------

_CHUNKS = re.compile(r"\d+|\D")


@functools.lru_cache(maxsize=4096)  # the same module and member names, import after import
def _natural(text: str) -> tuple[tuple[int, int], ...]:
    """natord's order: a run of digits compares as a number, anything else char by char."""
    return tuple(
        (ord("0"), int(chunk)) if chunk.isdigit() else (ord(chunk), 0)
        for chunk in _CHUNKS.findall(text)
    )


def _option(value: Any) -> tuple:
    return (0,) if value is None else (1, value)


def _member_type(name: str) -> int:
    if len(name) > 1 and name.upper() == name and name.lower() != name:
        return 0  # CONSTANT
    if name[:1].isupper():
        return 1  # Class
    return 2  # variable


def _member_key(name: str, asname: str | None, style: ImportStyle) -> tuple:
    return (
        name != "*",
        _member_type(name) if style.order_by_type else 0,
        () if style.case_sensitive else _natural(name.lower()),
        _natural(name),
        _option(None if asname is None else _natural(asname)),
    )


def _module_key(
    name: str | None,
    asname: str | None,
    level: int,
    first_alias: tuple[str, str | None] | None,
    style: ImportStyle,
) -> tuple:
    return (
        (0, -level) if level else (1,),
        _option(None if name is None or style.case_sensitive else _natural(name.lower())),
        _option(None if name is None else _natural(name)),
        _option(None if first_alias is None else _member_key(*first_alias, style)),
        _option(None if asname is None else _natural(asname)),
    )


def _matches(module: str, known: Sequence[str]) -> bool:
    return any(module == k or module.startswith(k + ".") for k in known)


def section_of(
    module: str | None,
    level: int,
    style: ImportStyle,
    first_party: Callable[[str], bool] | None = None,
) -> int:
    """The isort section ruff gives an import of ``module`` (``level`` dots before it)."""
    if level == 0 and module == "__future__":
        return FUTURE
    if level or not module:
        return LOCAL
    if _matches(module, style.known_local_folder):
        return LOCAL
    if _matches(module, style.known_first_party):
        return FIRST_PARTY
    if _matches(module, style.known_third_party):
        return THIRD_PARTY
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return STDLIB
    if first_party is not None and first_party(top):
        return FIRST_PARTY
    return THIRD_PARTY


def first_party_in(index: Any, module: str) -> Callable[[str], bool]:
    """First party as ruff sees it for a file of the project ``index`` describes whose module
    name is ``module``: the file's own top package, and every top-level package or module of
    the project."""
    own = module.split(".")[0] if module else ""
    tops = index.memo("imports.top_packages", _top_packages) if index is not None else ()

    def is_first_party(top: str) -> bool:
        return top == own or top in tops

    return is_first_party


def first_party_as_ruff(root: str, module: str) -> Callable[[str], bool]:
    """First party as ruff decides it by default, so `ruff check --select I001` agrees with where
    a new import goes: the file's own top-level package (ruff's `detect-same-package`), and a
    top-level package or module found in ruff's default `src` folders, the project's root
    (``root``, the folder of its configuration) and its `src/`."""
    own = module.split(".")[0] if module else ""
    folders = [root, os.path.join(root, "src")] if root else []
    known: dict[str, bool] = {}

    def is_first_party(top: str) -> bool:
        if top == own:
            return True
        if top not in known:
            known[top] = any(
                os.path.isdir(os.path.join(folder, top))
                or os.path.isfile(os.path.join(folder, top + ".py"))
                for folder in folders
            )
        return known[top]

    return is_first_party


def _top_packages(index: Any) -> frozenset[str]:
    return frozenset(name.split(".")[0] for name in dict.keys(index.modules) if name)


# --- reading the module's top --------------------------------------------------------------


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    raise ValueError(f"not a dotted name: {type(node).__name__}")


def _alias_name(alias: cst.ImportAlias) -> str:
    return _dotted(alias.name)


def _alias_as(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None:
        return None
    target = alias.asname.name
    return target.value if isinstance(target, cst.Name) else None


def _from_module(node: cst.ImportFrom) -> str | None:
    return None if node.module is None else _dotted(node.module)


def _level(node: cst.ImportFrom) -> int:
    return len(node.relative)


def _is_import_line(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and bool(statement.body)
        and all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body)
    )


def _is_type_checking(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Name) and test.value == "TYPE_CHECKING") or (
        isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING"
    )


@dataclass(frozen=True)
class _Binding:
    kind: str  # "import", "from" or "other"
    source: str = ""  # the module (import: the dotted name imported)
    name: str = ""  # from-import: the imported name
    runtime: bool = True  # False: only under `if TYPE_CHECKING:`


def _bindings(body: Sequence[cst.CSTNode], runtime: bool = True) -> dict[str, list[_Binding]]:
    """What the module binds at its top level (also inside top-level if/try/with/for blocks)."""
    found: dict[str, list[_Binding]] = {}

    def add(name: str, binding: _Binding) -> None:
        found.setdefault(name, []).append(binding)

    def targets(node: cst.CSTNode, kind_runtime: bool) -> None:
        if isinstance(node, cst.Name):
            add(node.value, _Binding("other", runtime=kind_runtime))
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                targets(element.value, kind_runtime)
        elif isinstance(node, cst.StarredElement):
            targets(node.value, kind_runtime)

    def walk(statements: Sequence[cst.CSTNode], live: bool) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Import):
                        for alias in small.names:
                            dotted = _alias_name(alias)
                            bound = _alias_as(alias) or dotted.split(".")[0]
                            add(bound, _Binding("import", dotted, runtime=live))
                    elif isinstance(small, cst.ImportFrom):
                        if isinstance(small.names, cst.ImportStar):
                            continue
                        source = "." * _level(small) + (_from_module(small) or "")
                        for alias in small.names:
                            name = _alias_name(alias)
                            add(_alias_as(alias) or name, _Binding("from", source, name, live))
                    elif isinstance(small, cst.Assign):
                        for target in small.targets:
                            targets(target.target, live)
                    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                        targets(small.target, live)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                add(statement.name.value, _Binding("other", runtime=live))
            elif isinstance(statement, cst.If):
                inner = live and not _is_type_checking(statement.test)
                walk(statement.body.body, inner)
                orelse = statement.orelse
                while orelse is not None:
                    walk(orelse.body.body, live)
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None
            elif isinstance(statement, (cst.Try, cst.TryStar)):
                walk(statement.body.body, live)
                for handler in statement.handlers:
                    walk(handler.body.body, live)
                if statement.orelse is not None:
                    walk(statement.orelse.body.body, live)
                if statement.finalbody is not None:
                    walk(statement.finalbody.body.body, live)
            elif isinstance(statement, (cst.With, cst.For, cst.While)):
                if isinstance(statement, cst.For):
                    targets(statement.target, live)
                walk(statement.body.body, live)

    walk(body, runtime)
    return found


def _import_blocks(body: Sequence[cst.CSTNode]) -> list[tuple[int, int]]:
    """Runs `[start, end)` of consecutive import lines before the first def or class."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for i, statement in enumerate(body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            break
        if _is_import_line(statement):
            if start is None:
                start = i
        elif start is not None:
            blocks.append((start, i))
            start = None
    else:
        if start is not None:
            blocks.append((start, len(body)))
        return blocks
    if start is not None:
        blocks.append((start, i))
    return blocks


def _check_indentation(module: cst.Module) -> None:
    """LibCST writes every block of a module whose indentation holds a form feed (or anything
    but spaces and tabs) with that character: such a module cannot be rewritten faithfully."""
    if module.default_indent.strip(" \t"):
        raise ValueError(f"cannot rewrite a module indented with {module.default_indent!r}")


# --- adding --------------------------------------------------------------------------------


def _with_layout(
    body: Sequence[cst.CSTNode],
    style: ImportStyle,
    first_party: Callable[[str], bool] | None,
) -> Callable[[str], bool] | None:
    """`layout_first_party` of the module's import blocks."""
    blocks = [
        [(_has_blank(body[i].leading_lines), _imported(body[i])) for i in range(start, end)]  # type: ignore[attr-defined]
        for start, end in _import_blocks(body)
    ]
    return layout_first_party(blocks, style, first_party)


def _imported(statement: cst.SimpleStatementLine) -> list[tuple[str | None, int]]:
    """The (module, level) of each import on an import line."""
    modules: list[tuple[str | None, int]] = []
    for small in statement.body:
        if isinstance(small, cst.Import):
            modules.extend((_alias_name(a), 0) for a in small.names)
        else:
            modules.append((_from_module(small), _level(small)))  # type: ignore[arg-type]
    return modules


def layout_first_party(
    blocks: Iterable[Sequence[tuple[bool, Sequence[tuple[str | None, int]]]]],
    style: ImportStyle,
    first_party: Callable[[str], bool] | None,
) -> Callable[[str], bool] | None:
    """``first_party`` plus what the module's own import layout shows: a group (imports between
    blank lines) of packages not known to be standard library or first party that comes after
    such a group, or that holds a known first-party import, is the project's own. ``blocks``:
    each import block's statements, as (a blank line above it, the (module, level) of each
    import it makes)."""
    inferred: set[str] = set()
    for block in blocks:
        seen_third_party = False
        group: list[tuple[str, int]] = []
        for at in range(len(block) + 1):
            entry = block[at] if at < len(block) else None
            if entry is None or (group and entry[0]):
                sections = {section for _, section in group}
                tops = {top for top, section in group if section == THIRD_PARTY}
                if tops and (
                    FIRST_PARTY in sections or (seen_third_party and sections == {THIRD_PARTY})
                ):
                    inferred |= tops
                seen_third_party = seen_third_party or THIRD_PARTY in sections
                group = []
            if entry is None:
                break
            for name, level in entry[1]:
                if name and not level:
                    group.append((name.split(".")[0], section_of(name, 0, style, first_party)))
    if not inferred:
        return first_party

    def is_first_party(top: str) -> bool:
        return top in inferred or (first_party is not None and first_party(top))

    return is_first_party


def _has_blank(lines: Sequence[cst.EmptyLine]) -> bool:
    return any(line.comment is None for line in lines)


@dataclass
class _Placer:
    style: ImportStyle
    first_party: Callable[[str], bool] | None
    # (kind, id of an import) -> (the import, its section or key): each new import is placed
    # among the same statements (nodes never change, so an id held with its node is that node)
    _known: dict[tuple[str, int], tuple[cst.CSTNode, Any]] = field(default_factory=dict)

    def _remembered(self, kind: str, statement: cst.SimpleStatementLine, compute: Callable) -> Any:
        small = statement.body[0]
        found = self._known.get((kind, id(small)))
        if found is None or found[0] is not small:
            found = self._known[(kind, id(small))] = (small, compute(statement))
        return found[1]

    def section(self, statement: cst.SimpleStatementLine) -> int:
        return self._remembered("section", statement, self._section)

    def key(self, statement: cst.SimpleStatementLine) -> tuple:
        return self._remembered("key", statement, self._key)

    def _section(self, statement: cst.SimpleStatementLine) -> int:
        small = statement.body[0]
        if isinstance(small, cst.Import):
            return section_of(_alias_name(small.names[0]), 0, self.style, self.first_party)
        assert isinstance(small, cst.ImportFrom)
        return section_of(_from_module(small), _level(small), self.style, self.first_party)

    def _key(self, statement: cst.SimpleStatementLine) -> tuple:
        small = statement.body[0]
        if isinstance(small, cst.Import):
            alias = small.names[0]
            key = _module_key(_alias_name(alias), _alias_as(alias), 0, None, self.style)
            kind = 0
        else:
            assert isinstance(small, cst.ImportFrom)
            first: tuple[str, str | None] | None = None
            if isinstance(small.names, cst.ImportStar):
                first = ("*", None)
            else:
                members = [(_alias_name(a), _alias_as(a)) for a in small.names]
                first = min(members, key=lambda m: _member_key(*m, self.style))
            key = _module_key(_from_module(small), None, _level(small), first, self.style)
            kind = 1
        if self.style.force_sort_within_sections:
            return key
        return (kind, key)


def _blank() -> cst.EmptyLine:
    return cst.EmptyLine()


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


def _split_leading(lines: Sequence[cst.EmptyLine]) -> tuple[list, list]:
    """The lines up to the last blank one (they stay in place) and the comments attached to
    the statement (they move with it)."""
    last_blank = max((i for i, line in enumerate(lines) if line.comment is None), default=-1)
    return list(lines[: last_blank + 1]), list(lines[last_blank + 1 :])


def _new_statement(source: str, name: str | None) -> cst.SimpleStatementLine:
    if name is None:
        return cst.SimpleStatementLine(
            [cst.Import(names=[cst.ImportAlias(name=cst.parse_expression(source))])]  # type: ignore[arg-type]
        )
    level = len(source) - len(source.lstrip("."))
    dotted = source[level:]
    module = cst.parse_expression(dotted) if dotted else None
    return cst.SimpleStatementLine(
        [
            cst.ImportFrom(
                module=module,  # type: ignore[arg-type]
                names=[cst.ImportAlias(name=cst.Name(name))],
                relative=[cst.Dot()] * level,
            )
        ]
    )


def _line_width(module: cst.Module, statement: cst.SimpleStatementLine) -> int:
    """The statement's width without its trailing comment (ruff's isort measures it so)."""
    bare = statement.with_changes(leading_lines=(), trailing_whitespace=cst.TrailingWhitespace())
    code = module.code_for_node(bare)
    return max((len(line) for line in code.splitlines()), default=0)


def _add_member(
    module: cst.Module,
    statement: cst.SimpleStatementLine,
    name: str,
    style: ProjectStyle,
) -> cst.SimpleStatementLine:
    node = statement.body[0]
    assert isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    new_key = _member_key(name, None, style.imports)
    at = next(
        (
            i
            for i, alias in enumerate(names)
            if _member_key(_alias_name(alias), _alias_as(alias), style.imports) > new_key
        ),
        len(names),
    )
    alias = cst.ImportAlias(name=cst.Name(name))
    multiline = node.lpar is not None and isinstance(
        node.lpar.whitespace_after, cst.ParenthesizedWhitespace
    )
    if multiline:
        between = next(
            (
                a.comma
                for a in names[:-1]
                if isinstance(a.comma, cst.Comma)
                and isinstance(a.comma.whitespace_after, cst.ParenthesizedWhitespace)
            ),
            None,
        )
        if between is None:
            indent = node.lpar.whitespace_after.last_line  # type: ignore[union-attr]
            between = cst.Comma(
                whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(), last_line=indent
                )
            )
        else:
            after = between.whitespace_after
            assert isinstance(after, cst.ParenthesizedWhitespace)
            between = between.with_changes(
                whitespace_after=after.with_changes(
                    first_line=cst.TrailingWhitespace(), empty_lines=[]
                )
            )
    else:
        between = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if at == len(names):
        last = names[-1]
        closing = last.comma
        if isinstance(closing, cst.Comma) and isinstance(
            closing.whitespace_after, cst.ParenthesizedWhitespace
        ):
            # the last name's own comment stays on its line
            comment_line = closing.whitespace_after.first_line
            closing = closing.with_changes(
                whitespace_after=closing.whitespace_after.with_changes(
                    first_line=cst.TrailingWhitespace()
                )
            )
            if isinstance(between.whitespace_after, cst.ParenthesizedWhitespace):
                between = between.with_changes(
                    whitespace_after=between.whitespace_after.with_changes(first_line=comment_line)
                )
        alias = alias.with_changes(comma=closing)
        names[-1] = last.with_changes(comma=between)
    else:
        alias = alias.with_changes(comma=between)
    names.insert(at, alias)
    updated = statement.with_changes(body=[node.with_changes(names=names), *statement.body[1:]])
    if multiline or len(statement.body) > 1:
        return updated
    if _line_width(module, updated) <= style.line_length:
        return updated
    return _explode(updated)


def _explode(statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    """`from x import (` one name per line with a trailing comma `)`, as ruff wraps it."""
    node = statement.body[0]
    assert isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
    indent = cst.SimpleWhitespace("    ")

    def newline(last: cst.SimpleWhitespace) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), last_line=last)

    names = list(node.names)
    laid = [
        alias.with_changes(
            comma=cst.Comma(
                whitespace_after=newline(indent if i < len(names) - 1 else cst.SimpleWhitespace(""))
            )
        )
        for i, alias in enumerate(names)
    ]
    opening = newline(indent)
    trailing = statement.trailing_whitespace
    if trailing.comment is not None:  # ruff moves it after the opening parenthesis
        opening = opening.with_changes(
            first_line=cst.TrailingWhitespace(
                whitespace=cst.SimpleWhitespace("  "), comment=trailing.comment
            )
        )
        trailing = cst.TrailingWhitespace()
    return statement.with_changes(
        body=[
            node.with_changes(
                names=laid, lpar=cst.LeftParen(whitespace_after=opening), rpar=cst.RightParen()
            )
        ],
        trailing_whitespace=trailing,
    )


def _existing(
    bindings: dict[str, list[_Binding]], source: str, name: str | None
) -> tuple[bool, str | None]:
    """(already available, the clashing binding's description or None)."""
    if name is None:
        top = source.split(".")[0]
        found = [b for b in bindings.get(top, ()) if b.runtime]
        clash = next(
            (
                b
                for b in bindings.get(top, ())
                if b.kind != "import" or b.source.split(".")[0] != top
            ),
            None,
        )
        if clash is not None:
            return False, _describe(top, clash)
        available = any(
            b.source == source or (b.source.startswith(source + ".") and top == source)
            for b in found
        )
        return available, None
    same = [
        b
        for b in bindings.get(name, ())
        if b.kind == "from" and _same_object((source, name), (b.source, b.name))
    ]
    clash = next((b for b in bindings.get(name, ()) if b not in same), None)
    if clash is not None:
        return False, _describe(name, clash)
    return any(b.runtime for b in same), None


def _describe(name: str, binding: _Binding) -> str:
    if binding.kind == "from":
        return f"`{name}` is already bound by `from {binding.source} import {binding.name}`"
    if binding.kind == "import":
        return f"`{name}` is already bound by `import {binding.source}`"
    return f"`{name}` is already defined in the module"


def add_imports(
    module: cst.Module,
    imports: Iterable[tuple[str, str | None]],
    style: ProjectStyle | None = None,
    first_party: Callable[[str], bool] | None = None,
) -> cst.Module:
    """`(module, None)` adds `import module`; `(module, name)` adds `from module import name`
    (a leading dot: relative). What the module already imports is reused; a name the module
    binds to something else raises `ImportClash`. ``first_party(top)`` says whether a top-level
    package belongs to the project (its section: first party)."""
    style = style or ProjectStyle(root="")
    _check_indentation(module)
    wanted = list(dict.fromkeys(imports))
    if not wanted:
        return module
    body = list(module.body)
    bindings = _bindings(body)
    todo: list[tuple[str, str | None]] = []
    for source, name in wanted:
        available, clash = _existing(bindings, source, name)
        if clash is not None:
            raise ImportClash(f"cannot import `{name or source}` from `{source}`: {clash}")
        if not available:
            todo.append((source, name))
            bound = name or source.split(".")[0]
            kind = "import" if name is None else "from"
            bindings.setdefault(bound, []).append(_Binding(kind, source, name or ""))
    if not todo:
        return module
    placer = _Placer(style.imports, _with_layout(body, style.imports, first_party))
    for source, name in todo:
        body = _add_one(module, body, source, name, style, placer)
    return module.with_changes(body=body)


def _add_one(
    module: cst.Module,
    body: list[cst.CSTNode],
    source: str,
    name: str | None,
    style: ProjectStyle,
    placer: _Placer,
) -> list[cst.CSTNode]:
    blocks = _import_blocks(body)
    options = style.imports
    level = len(source) - len(source.lstrip("."))
    if name is not None and not options.force_single_line:
        for start, end in blocks:
            for i in range(start, end):
                statement = body[i]
                node = statement.body[0]  # type: ignore[attr-defined]
                if (
                    len(statement.body) == 1  # type: ignore[attr-defined]
                    and isinstance(node, cst.ImportFrom)
                    and not isinstance(node.names, cst.ImportStar)
                    and _level(node) == level
                    and _from_module(node) == (source[level:] or None)
                    and (options.combine_as_imports or all(a.asname is None for a in node.names))
                ):
                    body[i] = _add_member(module, statement, name, style)  # type: ignore[arg-type]
                    return body
    new = _new_statement(source, name)
    section = placer.section(new)
    key = placer.key(new)
    if not blocks:
        return _new_block(body, new)
    start, end = next(
        (
            (s, e)
            for s, e in blocks
            if any(placer.section(body[i]) == section for i in range(s, e))  # type: ignore[arg-type]
        ),
        blocks[0],
    )
    placed = [(placer.section(body[i]), placer.key(body[i])) for i in range(start, end)]  # type: ignore[arg-type]
    same = [i for i, (s, _) in enumerate(placed) if s == section]
    if same:
        after = next((i for i in same if placed[i][1] > key), None)
        if after is None:
            at = start + same[-1] + 1
            body.insert(at, new)
            return body
        at = start + after
        following = body[at]
        stay, attached = _split_leading(following.leading_lines)  # type: ignore[attr-defined]
        body[at] = following.with_changes(leading_lines=attached)
        body.insert(at, new.with_changes(leading_lines=stay))
        return body
    later = next((i for i, (s, _) in enumerate(placed) if s > section), None)
    if later is None:
        body.insert(start + len(placed), new.with_changes(leading_lines=[_blank()]))
        return body
    at = start + later
    following = body[at]
    stay, attached = _split_leading(following.leading_lines)  # type: ignore[attr-defined]
    body[at] = following.with_changes(leading_lines=[_blank(), *attached])
    body.insert(at, new.with_changes(leading_lines=stay))
    return body


def _new_block(body: list[cst.CSTNode], new: cst.SimpleStatementLine) -> list[cst.CSTNode]:
    """The module's first import: after its docstring, one blank line around it (two before a
    def or class, as ruff's isort wants)."""
    at = 1 if body and is_docstring(body[0]) else 0
    if at:
        new = new.with_changes(leading_lines=[_blank()])
    if at < len(body):
        following = body[at]
        leading = list(following.leading_lines)  # type: ignore[attr-defined]
        if at == 0:
            stay, leading = _split_leading(leading)
            new = new.with_changes(leading_lines=stay)
        wants = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
        leading = [_blank()] * wants + leading[_blank_prefix(leading) :]
        body[at] = following.with_changes(leading_lines=leading)
    body.insert(at, new)
    return body


# --- removing ------------------------------------------------------------------------------


def names_read(tree: ast.AST, wanted: Collection[str] = ()) -> set[str]:
    """The names the code reads: every `Name`, and the names in strings that are expressions
    (string annotations, `__all__` entries) when they mention one of ``wanted``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and len(node.value) < 500
            and any(name in node.value for name in wanted)
        ):
            try:
                inner = ast.parse(node.value.strip(), mode="eval")
            except (SyntaxError, ValueError):
                continue
            found.update(n.id for n in ast.walk(inner) if isinstance(n, ast.Name))
            found.update(
                n.value
                for n in ast.walk(inner)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
    return found


def names_read_shadowed(
    tree: ast.Module, wanted: Collection[str], lines: Collection[int] | None = None
) -> set[str]:
    """`_names_read_cst`'s answer read from `ast` (several times cheaper than walking LibCST's
    tree), for the ``wanted`` names: those the module reads outside its import statements,
    strings that are expressions included; inside a function with a parameter of a ``wanted``
    name, that name is the parameter and is not counted there. Names a statement binds (`def`,
    `class`, `except ... as`, `global`, lambda parameters) count as read, as LibCST's `Name`
    nodes do. ``lines``: where the wanted names occur in the text (`pipeline._mentions`); only
    the top-level statements holding one are walked, as no other can read them. The walk
    stops once every wanted name is found read.

    A string reads names only where Python or a library evaluates it as code: in an annotation
    (a forward reference), in `__all__`, or as an argument of `cast`, `TypeVar`, `ForwardRef`
    and `NewType`; a dict key `'status'` does not read `status`."""
    code_strings: set[int] | None = None  # `_code_strings`, once a string holds a wanted name
    found: set[str] = set()
    roots: list[ast.AST] = [tree]
    if lines is not None:
        roots = [
            s
            for s in tree.body
            if any(_first_line(s) <= n <= (s.end_lineno or s.lineno) for n in lines)
        ]
    stack: list[tuple[ast.AST, frozenset[str]]] = [(root, frozenset()) for root in roots]
    wanted = set(wanted)
    while stack and not wanted <= found:
        node, hidden = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            if node.id not in hidden:  # type: ignore[attr-defined]
                found.add(node.id)  # type: ignore[attr-defined]
            continue
        if kind is ast.Import or kind is ast.ImportFrom:
            continue
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, str) and len(value) < 500 and any(n in value for n in wanted):
                if code_strings is None:
                    code_strings = _code_strings(tree)
                if id(node) not in code_strings:
                    continue
                with contextlib.suppress(SyntaxError, ValueError):
                    found |= names_read(ast.parse(value.strip(), mode="eval")) - hidden
            continue
        if (
            kind is ast.FunctionDef
            or kind is ast.AsyncFunctionDef
            or kind is ast.ClassDef
            or (kind is ast.ExceptHandler and node.name)
        ):
            found.add(node.name)  # type: ignore[attr-defined]
        elif kind is ast.Global or kind is ast.Nonlocal:
            found.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.Lambda:
            found.update(a.arg for a in _arguments(node.args))  # type: ignore[attr-defined]
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            arguments = _arguments(node.args)  # type: ignore[attr-defined]
            shadowed = frozenset(a.arg for a in arguments if a.arg in wanted)
            if shadowed:
                outside: list[ast.AST] = [*node.decorator_list]  # type: ignore[attr-defined]
                outside += [a.annotation for a in arguments if a.annotation is not None]
                outside += [d for d in node.args.defaults if d is not None]  # type: ignore[attr-defined]
                outside += [d for d in node.args.kw_defaults if d is not None]  # type: ignore[attr-defined]
                if node.returns is not None:  # type: ignore[attr-defined]
                    outside.append(node.returns)  # type: ignore[attr-defined]
                stack.extend((n, hidden) for n in outside)
                inner = hidden | shadowed
                stack.extend((statement, inner) for statement in node.body)  # type: ignore[attr-defined]
                continue
        stack.extend((child, hidden) for child in ast.iter_child_nodes(node))
    return found & wanted


_EVALUATING_CALLS = frozenset({"cast", "TypeVar", "ForwardRef", "NewType"})


def _code_strings(tree: ast.Module) -> set[int]:
    """The ids of the string constants that are evaluated as code: everything inside an
    annotation, the entries of `__all__`, the arguments of `cast`/`TypeVar`/`ForwardRef`/
    `NewType`."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            roots += [a.annotation for a in _arguments(node.args) if a.annotation is not None]
            if node.returns is not None:
                roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                roots.append(node.value)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _EVALUATING_CALLS:
                roots += [*node.args, *(k.value for k in node.keywords)]
    return {
        id(inner)
        for root in roots
        for inner in ast.walk(root)
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str)
    }


def _arguments(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found += [extra for extra in (args.vararg, args.kwarg) if extra is not None]
    return found


_SKIPPED_FIELDS = frozenset(
    {
        "attr",  # `x.Depends` does not read `Depends`
        "comma",
        "header",
        "footer",
        "keyword",  # `f(Depends=1)` neither
        "leading_lines",
        "lines_after_decorators",
        "lpar",
        "newline",
        "rpar",
        "semicolon",
        "trailing_whitespace",
        "whitespace_after",
        "whitespace_after_at",
        "whitespace_after_colon",
        "whitespace_before",
        "whitespace_before_colon",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(f.name for f in fields(kind) if f.name not in _SKIPPED_FIELDS)
        _FIELDS[kind] = names
    return names


def _names_read_cst(module: cst.Module, wanted: Collection[str]) -> set[str]:
    """`names_read` on the LibCST tree: one plain walk of its fields (no visitor, no code
    generation), import statements left out. Inside a function with a parameter of a wanted
    name, that name is the parameter (a fix that turned a global into a parameter leaves the
    global's import unused), so it is not counted there."""
    found: set[str] = set()
    stack: list[tuple[Any, frozenset[str]]] = [(module, frozenset())]
    while stack:
        node, hidden = stack.pop()
        kind = type(node)
        if kind is cst.Name:
            if node.value not in hidden:
                found.add(node.value)
            continue
        if kind is cst.SimpleString:
            text = node.evaluated_value
            if isinstance(text, str) and len(text) < 500 and any(n in text for n in wanted):
                with contextlib.suppress(SyntaxError, ValueError):
                    found |= names_read(ast.parse(text.strip(), mode="eval")) - hidden
            continue
        if kind is cst.Import or kind is cst.ImportFrom:
            continue
        if kind is cst.FunctionDef:
            params = _parameters(node.params)
            shadowed = frozenset(p.name.value for p in params if p.name.value in wanted)
            if shadowed:
                inner = hidden | shadowed
                stack.extend((d, hidden) for d in node.decorators)
                for param in params:  # annotations and defaults are read outside the body
                    if param.annotation is not None:
                        stack.append((param.annotation, hidden))
                    if param.default is not None:
                        stack.append((param.default, hidden))
                if node.returns is not None:
                    stack.append((node.returns, hidden))
                stack.append((node.body, inner))
                continue
        for name in _fields(kind):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                stack.append((value, hidden))
            elif isinstance(value, (list, tuple)):
                stack.extend((item, hidden) for item in value)
    return found


def _parameters(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            found.append(extra)
    return found


def _bound_by(alias: cst.ImportAlias, from_import: bool) -> str:
    asname = _alias_as(alias)
    if asname:
        return asname
    name = _alias_name(alias)
    return name if from_import else name.split(".")[0]


def remove_unused_imports(
    module: cst.Module,
    candidates: Iterable[tuple[str, str | None, str | None]],
    used: Collection[str] | None = None,
) -> cst.Module:
    """Remove each `(module, name, asname)` import (`name` None: `import module`), at the top
    or inside a function, class or block, when what it binds is not read anywhere in the
    module (code, string annotations, `__all__`); a statement left empty goes, comments on
    other lines stay. ``used``: the names the module reads, when the caller has them (else one
    `ast` walk of the module's code)."""
    wanted = set(candidates)
    if not wanted:
        return module
    _check_indentation(module)
    hits: list[tuple[int, int, int, str, bool]] = []  # (id(statement), small, alias, name, top)
    for statement, top in _statements(module.body, True):
        if not _is_import_line(statement):
            continue
        for j, small in enumerate(statement.body):  # type: ignore[attr-defined]
            if isinstance(small, cst.ImportFrom):
                if isinstance(small.names, cst.ImportStar):
                    continue
                source = "." * _level(small) + (_from_module(small) or "")
                for k, alias in enumerate(small.names):
                    if (source, _alias_name(alias), _alias_as(alias)) in wanted:
                        hits.append((id(statement), j, k, _bound_by(alias, True), top))
            else:
                assert isinstance(small, cst.Import)
                for k, alias in enumerate(small.names):
                    if (_alias_name(alias), None, _alias_as(alias)) in wanted:
                        hits.append((id(statement), j, k, _bound_by(alias, False), top))
    if not hits:
        return module
    if used is None:
        used = _names_read_cst(module, {hit[3] for hit in hits})
    bound = _bindings(module.body)
    doomed: dict[int, dict[int, set[int]]] = {}
    for statement_id, j, k, name, top in hits:
        if name in used or (top and len(bound.get(name, ())) > 1):
            continue  # read, or bound again (which binding is read is not ours to decide)
        doomed.setdefault(statement_id, {}).setdefault(j, set()).add(k)
    if not doomed:
        return module
    body, carried = _prune(module.body, doomed)
    footer = list(module.footer)
    if carried:
        footer = [line for line in carried if line.comment is not None] + footer
    return module.with_changes(body=body, footer=footer)


_SUITES = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(statements: Sequence[cst.CSTNode], top: bool) -> Iterable[tuple[cst.CSTNode, bool]]:
    """Every statement, at the top (True) or nested in compound statements (False)."""
    for statement in statements:
        yield statement, top
        if not isinstance(statement, cst.SimpleStatementLine):
            for inner in _inner_blocks(statement):
                yield from _statements(inner.body, False)


def _inner_blocks(node: cst.CSTNode) -> Iterable[cst.IndentedBlock]:
    for attribute in _SUITES:
        value = getattr(node, attribute, None)
        parts = value if isinstance(value, (list, tuple)) else [value]
        for part in parts:
            if isinstance(part, cst.IndentedBlock):
                yield part
            elif isinstance(part, cst.CSTNode) and not isinstance(part, cst.BaseSuite):
                yield from _inner_blocks(part)  # else/finally/except/elif/case


def _prune(
    statements: Sequence[cst.CSTNode], doomed: dict[int, dict[int, set[int]]]
) -> tuple[list[cst.CSTNode], list[cst.EmptyLine] | None]:
    """The statements without the doomed import names, and the lines of removed statements
    left over at the end of the list (for the module's footer or the block's own)."""
    result: list[cst.CSTNode] = []
    carried: list[cst.EmptyLine] | None = None
    for statement in statements:
        if id(statement) in doomed:
            kept = _without(statement, doomed[id(statement)])  # type: ignore[arg-type]
            if kept is None:
                lines = list(statement.leading_lines)  # type: ignore[attr-defined]
                carried = lines if carried is None else _merge_leading(carried, lines)
                continue
            statement = kept
        elif not isinstance(statement, cst.SimpleStatementLine):
            statement = _prune_inside(statement, doomed)
        if carried is not None:
            lines = _merge_leading(carried, list(statement.leading_lines))  # type: ignore[attr-defined]
            if not result:  # the first statement of its block now: no gap above it
                lines = lines[_blank_prefix(lines) :]
            statement = statement.with_changes(leading_lines=lines)
            carried = None
        result.append(statement)
    return result, carried


def _prune_inside(node: cst.CSTNode, doomed: dict[int, dict[int, set[int]]]) -> cst.CSTNode:
    changes: dict[str, Any] = {}
    for attribute in _SUITES:
        value = getattr(node, attribute, None)
        if isinstance(value, cst.IndentedBlock):
            body, _ = _prune(value.body, doomed)
            if len(body) != len(value.body) or any(
                new is not old for new, old in zip(body, value.body, strict=True)
            ):
                if not body:  # a block cannot be empty
                    body = [cst.SimpleStatementLine([cst.Pass()])]
                changes[attribute] = value.with_changes(body=body)
        elif isinstance(value, (list, tuple)):
            parts = [_prune_inside(part, doomed) for part in value]
            if any(new is not old for new, old in zip(parts, value, strict=True)):
                changes[attribute] = parts
        elif isinstance(value, cst.CSTNode) and not isinstance(value, cst.BaseSuite):
            part = _prune_inside(value, doomed)
            if part is not value:
                changes[attribute] = part
    return node.with_changes(**changes) if changes else node


def _merge_leading(removed: list[cst.EmptyLine], following: list[cst.EmptyLine]) -> list:
    """The lines above a removed statement and above the one after it: as many blank lines
    as the larger gap of the two, then the removed statement's comments, attached (as ruff
    attaches comments) to the statement that now follows them."""
    gap = max(_blank_prefix(removed), _blank_prefix(following))
    comments = removed[_blank_prefix(removed) :]
    if comments:
        return [_blank()] * gap + comments + following[_blank_prefix(following) :]
    return [_blank()] * (gap - _blank_prefix(following)) + following


def _without(
    statement: cst.SimpleStatementLine, doomed: dict[int, set[int]]
) -> cst.SimpleStatementLine | None:
    smalls: list[cst.BaseSmallStatement] = []
    for j, small in enumerate(statement.body):
        if j not in doomed:
            smalls.append(small)
            continue
        assert isinstance(small, (cst.Import, cst.ImportFrom))
        names = list(small.names)  # type: ignore[arg-type]
        kept = [alias for k, alias in enumerate(names) if k not in doomed[j]]
        if not kept:
            continue
        if len(kept) < len(names) and names[-1] is not kept[-1]:
            kept[-1] = kept[-1].with_changes(comma=names[-1].comma)
        smalls.append(small.with_changes(names=kept))
    if not smalls:
        return None
    if smalls[-1] is not statement.body[-1]:
        smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=smalls)
