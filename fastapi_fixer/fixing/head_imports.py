"""The import step on a plain module head, written as text: what `imports.add_imports` and
`imports.remove_unused_imports` make of it, without parsing the head with LibCST.

A plain head (`plain_head`) is made of simple statements (no `if`, `try`, `with`...), each on
lines of its own, with blank lines and comment lines between them. LibCST's statements are then
those lines, their leading lines the lines above them (above the first one: the module's
header, which never moves), so the same steps (`imports._add_one`, `imports._prune`) can run
on a list of lines. An import the step edits must be written as ruff writes a short one
(`from x import a, b as c`, on one line, nothing after it). Anything else, and any step those
functions would take that this module does not write (a new import block, a long import
wrapped, an import that clashes), is left to LibCST: the answer is None.
`tests/test_head_imports.py` holds both to the same output.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from fastapi_fixer.fixing.imports import (
    _Binding,
    _existing,
    _member_key,
    _module_key,
    layout_first_party,
    section_of,
)
from fastapi_fixer.fixing.project_style import ImportStyle, ProjectStyle

Alias = tuple[str, str | None]  # (name, asname)


@dataclass(frozen=True)
class _Line:
    """A statement of the head: the blank and comment lines above it (`leading`, as written)
    and its own lines; an import's parts when it is one (`module` None for `import ...`)."""

    leading: tuple[str, ...]
    code: tuple[str, ...]
    kind: str = "other"  # "import", "from" or "other"
    module: str | None = None
    level: int = 0
    names: tuple[Alias, ...] = ()
    binds: tuple[str, ...] = ()  # the names an assignment binds
    plain: bool = False  # an import written as `_written` writes it: the step may edit it

    @property
    def source(self) -> str:
        return "." * self.level + (self.module or "")


def _written(kind: str, module: str | None, level: int, names: Sequence[Alias]) -> str:
    """An import statement as ruff writes one that fits on a line."""
    listed = ", ".join(name if asname is None else f"{name} as {asname}" for name, asname in names)
    if kind == "import":
        return f"import {listed}\n"
    return f"from {'.' * level}{module or ''} import {listed}\n"


def _assigned(target: ast.expr) -> list[str]:
    """The names an assignment target binds, as `imports._bindings` counts them."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _assigned(element)]
    if isinstance(target, ast.Starred):
        return _assigned(target.value)
    return []


def plain_head(text: str, head: ast.Module) -> tuple[tuple[str, ...], list[_Line]] | None:
    """The head's blank lines above its first statement (LibCST's module header) and its
    statements, or None when it is not plain (see the module's docstring)."""
    if "\\\n" in text or "\r" in text or not text.endswith("\n"):
        return None
    lines = [line + "\n" for line in text.split("\n")[:-1]]  # where `ast` counts lines
    statements: list[_Line] = []
    header: tuple[str, ...] = ()
    done = 0  # lines taken so far
    for node in head.body:
        start, end = node.lineno, node.end_lineno or node.lineno
        if start <= done or node.col_offset:
            return None  # two statements on a line
        gap = tuple(lines[done : start - 1])
        code = tuple(lines[start - 1 : end])
        if not statements:  # the module's header: its comments stay where they are
            header, gap = gap, ()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = tuple((alias.name, alias.asname) for alias in node.names)
            if isinstance(node, ast.Import):
                line = _Line(gap, code, "import", None, 0, names)
            else:
                line = _Line(gap, code, "from", node.module, node.level, names)
            plain = code == (_written(line.kind, line.module, line.level, names),)
            line = replace(line, plain=plain)
        elif isinstance(node, ast.Assign):
            binds = [name for target in node.targets for name in _assigned(target)]
            line = _Line(gap, code, binds=tuple(binds))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            line = _Line(gap, code, binds=tuple(_assigned(node.target)))
        elif isinstance(node, (ast.Expr, ast.Pass, ast.Assert, ast.Delete, ast.Global)):
            line = _Line(gap, code)
        else:
            return None  # compound statements, and what `_bindings` reads otherwise
        statements.append(line)
        done = end
    if not statements or done != len(lines):
        return None
    return header, statements


def _bindings(body: Sequence[_Line]) -> dict[str, list[_Binding]]:
    """`imports._bindings` of the statements."""
    found: dict[str, list[_Binding]] = {}
    for line in body:
        if line.kind == "import":
            for name, asname in line.names:
                found.setdefault(asname or name.split(".")[0], []).append(_Binding("import", name))
        elif line.kind == "from":
            for name, asname in line.names:
                if name != "*":
                    found.setdefault(asname or name, []).append(_Binding("from", line.source, name))
        else:
            for name in line.binds:
                found.setdefault(name, []).append(_Binding("other"))
    return found


def _blocks(body: Sequence[_Line]) -> list[tuple[int, int]]:
    """`imports._import_blocks`: runs `[start, end)` of consecutive imports."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(body):
        if line.kind != "other":
            if start is None:
                start = i
        elif start is not None:
            blocks.append((start, i))
            start = None
    if start is not None:
        blocks.append((start, len(body)))
    return blocks


def _with_layout(
    body: Sequence[_Line], style: ImportStyle, first_party: Callable[[str], bool] | None
) -> Callable[[str], bool] | None:
    """`imports.layout_first_party` of the head's import blocks."""
    blocks = [
        [
            (
                any(not _comment(text) for text in body[i].leading),
                [(name, 0) for name, _ in body[i].names]
                if body[i].kind == "import"
                else [(body[i].module, body[i].level)],
            )
            for i in range(start, end)
        ]
        for start, end in _blocks(body)
    ]
    return layout_first_party(blocks, style, first_party)


class _Declined(Exception):
    """A step this module does not write: LibCST takes the head."""


def _section(line: _Line, style: ImportStyle, first_party: Callable[[str], bool] | None) -> int:
    if line.kind == "import":
        return section_of(line.names[0][0], 0, style, first_party)
    return section_of(line.module, line.level, style, first_party)


def _key(line: _Line, style: ImportStyle) -> tuple:
    """`imports._Placer._key`."""
    if line.kind == "import":
        name, asname = line.names[0]
        key = _module_key(name, asname, 0, None, style)
        kind = 0
    else:
        first = min(line.names, key=lambda m: _member_key(*m, style))
        key = _module_key(line.module, None, line.level, first, style)
        kind = 1
    return key if style.force_sort_within_sections else (kind, key)


def _new(source: str, name: str | None) -> _Line:
    if name is None:
        return _Line((), (f"import {source}\n",), "import", None, 0, ((source, None),), (), True)
    level = len(source) - len(source.lstrip("."))
    module = source[level:] or None
    code = _written("from", module, level, [(name, None)])
    return _Line((), (code,), "from", module, level, ((name, None),), (), True)


def _add_one(
    body: list[_Line],
    source: str,
    name: str | None,
    style: ProjectStyle,
    first_party: Callable[[str], bool] | None,
) -> None:
    """`imports._add_one` on the statements, in place."""
    options = style.imports
    blocks = _blocks(body)
    level = len(source) - len(source.lstrip("."))
    if name is not None and not options.force_single_line:
        for start, end in blocks:
            for i in range(start, end):
                line = body[i]
                if (
                    line.kind == "from"
                    and line.names[0][0] != "*"
                    and line.level == level
                    and line.module == (source[level:] or None)
                    and (options.combine_as_imports or all(a is None for _, a in line.names))
                ):
                    if not line.plain:
                        raise _Declined  # its layout is LibCST's to keep
                    new_key = _member_key(name, None, options)
                    names = list(line.names)
                    at = next(
                        (
                            k
                            for k, alias in enumerate(names)
                            if _member_key(*alias, options) > new_key
                        ),
                        len(names),
                    )
                    names.insert(at, (name, None))
                    code = _written("from", line.module, level, names)
                    if len(code) - 1 > style.line_length:
                        raise _Declined  # LibCST wraps it
                    body[i] = replace(line, code=(code,), names=tuple(names))
                    return
    if not blocks:
        raise _Declined  # a new block: after a docstring, blank lines around it
    new = _new(source, name)
    section = _section(new, options, first_party)
    key = _key(new, options)
    start, end = next(
        (
            (s, e)
            for s, e in blocks
            if any(_section(body[i], options, first_party) == section for i in range(s, e))
        ),
        blocks[0],
    )
    placed = [
        (_section(body[i], options, first_party), _key(body[i], options)) for i in range(start, end)
    ]
    same = [i for i, (s, _) in enumerate(placed) if s == section]
    if same:
        after = next((i for i in same if placed[i][1] > key), None)
        if after is None:
            body.insert(start + same[-1] + 1, new)
            return
        at = start + after
        stay, attached = _split_leading(body[at].leading)
        body[at] = replace(body[at], leading=attached)
        body.insert(at, replace(new, leading=stay))
        return
    later = next((i for i, (s, _) in enumerate(placed) if s > section), None)
    if later is None:
        body.insert(start + len(placed), replace(new, leading=("\n",)))
        return
    at = start + later
    stay, attached = _split_leading(body[at].leading)
    body[at] = replace(body[at], leading=("\n", *attached))
    body.insert(at, replace(new, leading=stay))


def _comment(line: str) -> bool:
    """Whether a line between statements holds a comment (else it is blank)."""
    return bool(line.strip())


def _blank_prefix(lines: Sequence[str]) -> int:
    """`imports._blank_prefix`."""
    return next((i for i, line in enumerate(lines) if _comment(line)), len(lines))


def _split_leading(lines: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`imports._split_leading`: the lines up to the last blank one, and the comments after."""
    last = max((i for i, line in enumerate(lines) if not _comment(line)), default=-1)
    return lines[: last + 1], lines[last + 1 :]


def _merge_leading(removed: tuple[str, ...], following: tuple[str, ...]) -> tuple[str, ...]:
    """`imports._merge_leading`."""
    gap = max(_blank_prefix(removed), _blank_prefix(following))
    comments = removed[_blank_prefix(removed) :]
    if comments:
        return ("\n",) * gap + comments + following[_blank_prefix(following) :]
    return ("\n",) * (gap - _blank_prefix(following)) + following


def _remove(
    body: list[_Line],
    removals: Collection[tuple[str, str | None, str | None]],
    used: Collection[str],
) -> list[_Line] | None:
    """`imports.remove_unused_imports` on the statements; None: it edits an import that is not
    plain."""
    wanted = set(removals)
    doomed: dict[int, set[int]] = {}  # statement -> its names to remove
    bound = _bindings(body)
    for i, line in enumerate(body):
        if line.kind == "other":
            continue
        for k, (name, asname) in enumerate(line.names):
            if line.kind == "from":
                hit = name != "*" and (line.source, name, asname) in wanted
                binds = asname or name
            else:
                hit = (name, None, asname) in wanted
                binds = asname or name.split(".")[0]
            if hit and binds not in used and len(bound.get(binds, ())) <= 1:
                doomed.setdefault(i, set()).add(k)
    if not doomed:
        return body
    result: list[_Line] = []
    carried: tuple[str, ...] | None = None
    for i, line in enumerate(body):
        if i in doomed:
            if not line.plain:
                return None
            kept = [alias for k, alias in enumerate(line.names) if k not in doomed[i]]
            if not kept:
                carried = line.leading if carried is None else _merge_leading(carried, line.leading)
                continue
            code = _written(line.kind, line.module, line.level, kept)
            line = replace(line, code=(code,), names=tuple(kept))
        if carried is not None:
            leading = _merge_leading(carried, line.leading)
            line = replace(line, leading=leading if result else leading[_blank_prefix(leading) :])
            carried = None
        result.append(line)
    if carried:  # past the last statement: its comments go to the module's footer
        footer = tuple(line for line in carried if _comment(line))
        if footer:
            result.append(_Line(footer, ()))
    return result


def head_with_imports(
    text: str,
    head: ast.Module,
    adds: Sequence[tuple[str, str | None]],
    removals: Sequence[tuple[str, str | None, str | None]],
    style: ProjectStyle | None,
    first_party: Callable[[str], bool] | None,
    used: Collection[str] | None,
) -> str | None:
    """``text``, a module head that ``head`` parses, with the imports added and the unused
    ones removed as `pipeline._imports_on` would make them; None: not a head this module
    writes (see the module's docstring)."""
    if removals and used is None:
        return None  # the names read come from LibCST's tree
    plain = plain_head(text, head)
    if plain is None:
        return None
    header, body = plain
    style = style or ProjectStyle(root="")
    if adds:
        bindings = _bindings(body)
        todo: list[tuple[str, str | None]] = []
        for source, name in dict.fromkeys(adds):
            available, clash = _existing(bindings, source, name)
            if clash is not None:
                return None  # LibCST's step raises the clash
            if not available:
                todo.append((source, name))
                bound = name or source.split(".")[0]
                kind = "import" if name is None else "from"
                bindings.setdefault(bound, []).append(_Binding(kind, source, name or ""))
        if todo:
            laid = _with_layout(body, style.imports, first_party)
            try:
                for source, name in todo:
                    _add_one(body, source, name, style, laid)
            except _Declined:
                return None
    if removals:
        pruned = _remove(body, removals, used or ())
        if pruned is None:
            return None
        body = pruned
    return "".join(header) + "".join("".join(line.leading) + "".join(line.code) for line in body)
