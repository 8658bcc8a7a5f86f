"""Lay out the statements the fixes wrote the way the project's formatter would, moving no line
the fixes did not touch.

`tidy_format(path, before, after, style)` takes a file's text before and after all the rules'
edits (one text per file; `str`, line endings as in the file — BOM and encoding are the
caller's) and returns `after` with the changed statements formatted by `ruff format`:

- If `before` is clean under `ruff format --check` with the project's settings, the project
  keeps the file formatter-clean: every changed line range (a patience line diff of the two
  texts; for a deletion, the lines on either side) is formatted, so the file stays clean,
  blank lines around new code included.
- Otherwise only the changed statements with a line over the project's line length are
  formatted, with `quote-style = "preserve"` and the file's own indentation (2 spaces, tabs),
  so the project's quotes and the layout of everything else are kept. One line that replaced
  one line and is no wider (`async def` made a `def` on a line the project wrote at 110
  columns) does not count: the project wrote it that long. Lines of a change of several lines
  count (a parameter list rewritten: its long lines are re-laid, not left inside brackets the
  fix opened).

Ruff (`--range`) expands a range to the statements, or compound statement headers, it
overlaps. Every result is checked: the lines it changed must lie in those statements (or the
blank lines around them), and the block of statements around them must still parse; else the
range is left as the fixes wrote it, with a note. Where those statements are is found by
parsing only the block around a range (`_Layout`: a method, not its 3,000-line class), which
costs less than ruff. In a clean file, ruff formats the whole text once and the result is
taken when every line it changed passes the same checks (it then equals formatting range by
range); else range by range, bottom-up. `prefetch` makes those whole-text calls (and the
clean checks) of many files in one ruff process: starting ruff costs more than formatting.

Ruff runs with the project's own ruff configuration file (`--config <file>`: ruff then
discovers no other, so neither this repository's configuration, a parent folder's nor a
user-level one applies), or `--isolated` when the project has none; the line length, quote
style, magic trailing comma (from ruff's or black's settings, see `project_style`) and, when
isolated, the target version are passed explicitly. A configuration this ruff cannot read falls
back to `--isolated` with those values. The ruff binary is the `ruff` package's (a dependency),
else the first on PATH.

A statement whose lines carry `# noqa`, `# type: ignore` or `# pragma:` comments is left as
the fixes wrote it when formatting would change those lines: ruff puts the comment at the end
of the laid-out statement, where it no longer covers the line the tool reports.

Failure policy: the fix is never lost. `FormatUnavailable` is raised when ruff cannot be run
at all (not installed, or it rejects the original file or its configuration): the caller keeps
`after` and reports `reason`. A range ruff fails on, or whose result fails a check, is left as
written and noted: `format_report` returns the text with those notes, `tidy_format` the text.

`formatter_clean(paths, style)` answers "clean?" for many files on disk in one ruff call; the
caller may pass that answer as `clean=` (then `tidy_format` runs ruff once per file, or once
per range). `tidier(path, style, notes)` is the `tidy(before, after)` hook of
`fixing.pipeline.fix_file`: it never raises and collects the notes.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import functools
import io
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import tokenize
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi_fixer.fixing.project_style import ProjectStyle

RUFF_TIMEOUT = 30.0  # seconds per ruff call

Range = tuple[int, int]  # 1-based, inclusive line numbers of `after`
# (ruff, arguments, stdin) -> ruff's output, or None and why it failed (`_run`, or the answers
# `prefetch` got for many files in one ruff process)
Runner = Callable[[str, list[str], str], "tuple[str | None, str]"]


class FormatUnavailable(Exception):
    """Ruff could not format the file at all; keep the unformatted text and report `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FormatReport:
    text: str
    clean: bool | None  # `before` clean under ruff format (every changed range formatted)?
    ranges: tuple[Range, ...]  # line ranges of `after` laid out by ruff
    notes: tuple[str, ...] = ()  # ranges left as the fixes wrote them, and why


def tidy_format(
    path: str, before: str, after: str, style: ProjectStyle, *, clean: bool | None = None
) -> str:
    """`after` with the statements the fixes created or changed laid out by the project's
    formatter settings. Raises `FormatUnavailable` when ruff cannot run (keep `after`).
    ``clean``: whether `before` is formatter-clean, when the caller knows (`formatter_clean`
    answers for many files on disk in one ruff call); None: asked here."""
    return format_report(path, before, after, style, clean=clean).text


def tidier(
    path: str,
    style: ProjectStyle,
    notes: list[str] | None = None,
    clean: bool | None = None,
    run: Runner | None = None,
) -> Callable[[str, str], str]:
    """`tidy(before, after)` for the fix pipeline's hook (`fixing.pipeline.fix_file`'s
    `tidy`): `tidy_format` that keeps `after` when ruff cannot run; the reason, and each range
    left as written, go to ``notes``. ``clean``: as `tidy_format`'s (the fix pass always
    hands the tidy step the same `before`: the file's text when the pass began). ``run``:
    `format_report`'s."""

    def tidy(before: str, after: str) -> str:
        try:
            report = format_report(path, before, after, style, clean=clean, run=run)
        except FormatUnavailable as exc:
            if notes is not None:
                notes.append(f"{path}: not formatted: {exc.reason}")
            return after
        if notes is not None:
            notes.extend(report.notes)
        laid = split_long_strings(before, report.text, style.line_length)
        unwrapped = unwrap_joined_strings(before, laid)
        if unwrapped == laid:
            return laid
        # without its parentheses the literal is shorter: the brackets around it may now fit
        # on one line (`403: {"description": "..."}`), as the formatter would lay them
        try:
            again = format_report(path, before, unwrapped, style, clean=clean, run=run)
        except FormatUnavailable:
            return unwrapped
        return unwrap_joined_strings(
            before, split_long_strings(before, again.text, style.line_length)
        )

    return tidy


# `("one literal")` after a value position: what ruff leaves of a fix's implicit concatenation
# (`("a long " "description")`) once it joins the parts on one line
_WRAPPED_LITERAL = re.compile(
    r"""(?P<before>[:=,(\[{]\s*)\((?P<literal>[rRuU]?(?P<quote>["'])"""
    r"""(?:\\.|(?!(?P=quote))[^\\\n])*(?P=quote))\)"""
)


def unwrap_joined_strings(before: str, after: str) -> str:
    """`after` without the parentheses left around a single string literal on the lines the
    fixes wrote: a fix writes a long text as implicitly concatenated parts in parentheses
    (`{"description": ("Name must be in " "the format")}`), and when the parts fit on one line
    ruff joins them and keeps the parentheses, `("Name must be in the format")`. Lines already
    in `before` are never touched, and the result is kept only when it parses to the same
    syntax tree (the parentheses of a call or a tuple are never removed)."""
    if "(" not in after:
        return after
    old = set(before.splitlines())
    lines = after.splitlines(keepends=True)
    changed = False
    for at, line in enumerate(lines):
        if line.rstrip("\r\n") in old or _WRAPPED_LITERAL.search(line) is None:
            continue
        lines[at] = _WRAPPED_LITERAL.sub(r"\g<before>\g<literal>", line)
        changed = changed or lines[at] != line
    if not changed:
        return after
    return _same_tree_or(after, "".join(lines))


# a line holding one plain string literal (no f-string, no bytes, not triple-quoted) and at most
# the commas and closing brackets after it: a part of an implicit concatenation, or an argument
_STRING_LINE = re.compile(
    r"""^(?P<indent>[ \t]*)(?P<prefix>[rRuU]?)(?P<quote>["'])"""
    r"""(?P<body>(?:\\.|(?!(?P=quote))[^\\\n])*)(?P=quote)(?P<tail>[,)\]}]*)$"""
)

# a keyword argument whose value is one plain literal, alone on its line (a call laid out one
# argument per line), with at most its trailing comma
_KEYWORD_STRING_LINE = re.compile(
    r"""^(?P<indent>[ \t]*)(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<prefix>[rRuU]?)(?P<quote>["'])"""
    r"""(?P<body>(?:\\.|(?!(?P=quote))[^\\\n])*)(?P=quote)(?P<tail>,?)$"""
)


def split_long_strings(before: str, after: str, line_length: int) -> str:
    """`after` with each run of string literals the fixes made longer than ``line_length``
    flowed again at spaces (`"a b c"` -> `"a b "` / `"c"`): a fix that moves a parameter's
    `Query(description=(...))` into `Annotated[...]` indents its strings one level deeper, and no
    formatter splits a string. A run is consecutive lines that each hold one plain literal with
    the same indentation and quotes (an implicit concatenation), split again as a whole. Runs
    whose lines are all in `before` are never touched, and the result is kept only when it
    parses to the same syntax tree (implicitly concatenated literals are one constant): a
    literal that is a statement of its own is left as it is."""
    lines = after.splitlines(keepends=True)
    if max(map(len, lines), default=0) <= line_length or all(
        len(line.rstrip("\r\n")) <= line_length for line in lines
    ):
        return after  # the common case: nothing over the length, no literal to look at
    old = set(before.splitlines())
    if not any(  # a run to flow holds a line the fixes wrote: a literal, as a run's lines are
        text not in old and (_STRING_LINE.match(text) or _KEYWORD_STRING_LINE.match(text))
        for text in (line.rstrip("\r\n") for line in lines)
    ):
        return after
    out: list[str] = []
    changed = False
    at = 0
    while at < len(lines):
        run = _literal_run(lines, at)
        if not run:
            split = _keyword_literal_split(lines[at], old, line_length)
            out.extend(split or [lines[at]])
            changed = changed or split is not None
            at += 1
            continue
        texts = [line.rstrip("\r\n") for line in lines[at : at + len(run)]]
        ending = lines[at + len(run) - 1][len(texts[-1]) :]
        flowed = None
        if any(len(t) > line_length for t in texts) and not all(t in old for t in texts):
            flowed = _flow(run, line_length)
        if flowed is None or flowed == texts:
            out.extend(lines[at : at + len(run)])
        else:
            out.append((ending or "\n").join(flowed) + ending)
            changed = True
        at += len(run)
    if not changed:
        return after
    return _same_tree_or(after, "".join(out))


def _same_tree_or(after: str, new: str) -> str:
    """``new`` when it parses to the syntax tree ``after`` parses to (only its layout
    differs), else ``after``."""
    try:
        same = ast.dump(ast.parse(new)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError):
        return after
    return new if same else after


def _literal_run(lines: list[str], at: int) -> list[re.Match[str]]:
    """The lines from ``at`` that each hold one plain literal of the same indentation, prefix
    and quote, the last one alone followed by commas or closing brackets."""
    run: list[re.Match[str]] = []
    for line in lines[at:]:
        found = _STRING_LINE.match(line.rstrip("\r\n"))
        if found is None or "\\N{" in found["body"]:
            break
        if run and (
            found["indent"] != run[0]["indent"]
            or found["prefix"] != run[0]["prefix"]
            or found["quote"] != run[0]["quote"]
        ):
            break
        run.append(found)
        if found["tail"]:
            break
    return run


def _keyword_literal_split(line: str, old: set[str], line_length: int) -> list[str] | None:
    """A keyword argument the fixes wrote whose one plain literal runs past ``line_length``
    (`    description="a long text",`, what a fix copying a class lays out again), as the
    literal in parentheses one indentation deeper, split at spaces where it is still too long:
    `description=(` / `"a long "` / `"text"` / `),`. None when the line is not one, is the
    project's own, or this does not bring it within the length."""
    text = line.rstrip("\r\n")
    if len(text) <= line_length or text in old:
        return None
    found = _KEYWORD_STRING_LINE.match(text)
    if found is None or "\\N{" in found["body"]:
        return None
    indent = found["indent"]
    inner = indent + ("\t" if indent.startswith("\t") else "    ")
    pieces = _flow_text(inner, found["prefix"], found["quote"], found["body"], "", line_length)
    if pieces is None or (len(pieces) == 1 and len(pieces[0]) > line_length):
        return None  # (one piece that fits: the literal alone in parentheses, as ruff keeps it)
    ending = line[len(text) :] or "\n"
    return [
        f"{indent}{found['name']}=({ending}",
        *(piece + ending for piece in pieces),
        f"{indent}){found['tail']}{ending}",
    ]


def _flow(run: list[re.Match[str]], line_length: int) -> list[str] | None:
    """The run's text split again at spaces, each line within ``line_length`` where a space
    allows; None when a part would be empty."""
    first = run[0]
    body = "".join(found["body"] for found in run)
    return _flow_text(
        first["indent"], first["prefix"], first["quote"], body, run[-1]["tail"], line_length
    )


def _flow_text(
    indent: str, prefix: str, quote: str, rest: str, tail: str, line_length: int
) -> list[str] | None:
    """``rest`` (a literal's body) as literals at ``indent`` split at spaces, each line within
    ``line_length`` where a space allows, ``tail`` after the last; None when a part would be
    empty."""
    head = f"{indent}{prefix}{quote}"
    pieces: list[str] = []
    while len(head) + len(rest) + len(quote) + len(tail) > line_length:
        room = line_length - len(head) - len(quote)
        cut = rest.rfind(" ", 0, room)
        while cut > 0 and _escaped(rest, cut):
            cut = rest.rfind(" ", 0, cut)
        if cut <= 0:
            break  # no space to split at: the rest stays long
        pieces.append(f"{head}{rest[: cut + 1]}{quote}")
        rest = rest[cut + 1 :]
    if not rest:
        return None
    return [*pieces, f"{head}{rest}{quote}{tail}"]


def _escaped(text: str, at: int) -> bool:
    """The character at ``at`` follows an odd number of backslashes (part of an escape)."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def format_report(
    path: str,
    before: str,
    after: str,
    style: ProjectStyle,
    *,
    clean: bool | None = None,
    run: Runner | None = None,
) -> FormatReport:
    """`tidy_format` with what it did: the ranges formatted and the notes of skipped ones.
    ``run``: how ruff formats a text (`_run`; `prefetch`'s answers)."""
    run = run or _run
    changes, deletions, widths = _diff_widths(before, after)
    if not changes and not deletions:
        return FormatReport(after, clean=clean, ranges=())
    ruff = ruff_binary()
    filename = _ruff_filename(path)
    options = _options(style, style.quote_style)
    if clean is None:
        clean = _is_clean(ruff, filename, before, options)
        if clean is None:  # the project's configuration is not one this ruff reads
            options = _options(style, style.quote_style, isolated=True)
            clean = _is_clean(ruff, filename, before, options)
            if clean is None:
                raise FormatUnavailable(f"ruff format rejects {path} or its configuration")
    lines = _lines(after)
    whole: str | None = None  # the whole of `after` formatted, for a file that was clean
    arguments = _whole_arguments(options, lines, filename)
    if clean and isinstance(run, Answers) and run.knows(arguments, after):
        whole = run(ruff, arguments, after)[0]  # asked ahead (`prefetch`)
        changed = _merge(changes + deletions)
        if whole == after:  # the fixes wrote formatted code: no statement to find and lay out
            return FormatReport(after, clean=True, ranges=tuple(changed))
        if whole is not None and _within(lines, whole, changed):
            return FormatReport(whole, clean=True, ranges=tuple(changed))
    if clean:
        ranges = _merge([_widen_over_blank_lines(lines, r) for r in changes + deletions])
    else:
        # a line the fixes left no wider than the lines they replaced (`async def` made a
        # `def`) is as long as the project already wrote it: not a reason to re-lay it
        long = [
            n
            for start, end in changes
            for n in range(start, end + 1)
            if _too_long(lines, n, style) and _width(lines[n - 1]) > widths[n]
        ]
        ranges = long and [(n, n) for n in long]
        options = _options(style, "preserve", indent=_indent_unit(after))
    if not ranges:
        return FormatReport(after, clean=clean, ranges=())
    layout = _Layout(lines)
    if not clean:  # the statements (or compound statement headers) holding the long lines
        ranges = _merge([layout.statement(n) for n, _ in ranges])
    else:  # whole statements: two edits in one statement (a header) are one range
        ranges = _merge([layout.statements(r) for r in ranges])
    notes: list[str] = []
    floors = [1, *(end + 1 for _, end in ranges[:-1])]
    ceilings = [*(start - 1 for start, _ in ranges[1:]), len(lines)]
    places: list[tuple[Range, _Block, Range]] = []  # range, its block, the lines it may change
    for (start, end), floor, ceiling in zip(ranges, floors, ceilings, strict=True):
        block = layout.block((start, end))
        if block is None:
            notes.append(f"{path}:{start}-{end}: left as written: the fixed text does not parse")
        else:
            places.append(((start, end), block, block.zone(lines, (start, end), floor, ceiling)))
    if clean and places and not notes and _line_ending(lines) != "auto":
        # the file was clean, so formatting it whole changes only the lines around the fixes;
        # taken only if every change is where a range may change (and then it equals
        # formatting the ranges; `prefetch` asks for many files at once)
        if whole is None:
            whole = run(ruff, arguments, after)[0]
        whole = _format_whole(whole, lines, places) if whole is not None else None
        if whole is not None:
            return FormatReport(whole, clean=True, ranges=tuple(r for r, _, _ in places))
    text = after
    done: list[Range] = []
    for (start, end), block, zone in reversed(places):
        ending = _line_ending(lines[start - 1 : end])
        command = [
            *options,
            "--config",
            f"format.line-ending = '{ending}'",
            "--range",
            f"{start}:1-{end + 1}:1",
        ]
        output, error = run(ruff, [*command, "--stdin-filename", filename, "-"], text)
        if output is None:
            notes.append(f"{path}:{start}-{end}: left as written: ruff format failed: {error}")
            continue
        if output == text:
            done.append((start, end))
            continue
        first, last, replacement = _changed_region(text, output)
        if _moves_pragma(_lines(text)[first - 1 : last], replacement):
            notes.append(
                f"{path}:{start}-{end}: left as written: formatting would move a `# noqa` or "
                "`# type: ignore` comment off the line it covers"
            )
            continue
        if first < zone[0] or last > zone[1]:
            notes.append(
                f"{path}:{start}-{end}: left as written: formatting would move lines "
                "outside the changed statements"
            )
            continue
        if not block.parses_with(lines, first, last, replacement):  # never a broken file
            notes.append(f"{path}:{start}-{end}: left as written: ruff's output does not parse")
            continue
        text = output
        done.append((start, end))
    return FormatReport(text, clean=clean, ranges=tuple(reversed(done)), notes=tuple(notes))


def _within(lines: list[str], output: str, changed: list[Range]) -> bool:
    """Whether ruff's formatting of the whole text (its ``lines``), ``output``, changes only
    lines the fixes changed (``changed``, merged ranges of them) and moves no pragma comment:
    it then lays out the changed statements and nothing else (no need to find the statements
    and the zones around them, `_format_whole`). Asked only with `prefetch`'s answers, whose
    caller compiles the laid-out text (`engine.fix_files`: where it does not compile, the
    file's pass runs again without them), so the output is not parsed here."""
    starts = [start for start, _ in changed]
    for first, last, replacement in _replaced(lines, _lines(output)):
        at = bisect.bisect_right(starts, first) - 1
        if at < 0 or max(first, last) > changed[at][1] + (last < first):
            return False  # (an insertion may also follow the range's last line)
        if _moves_pragma(lines[first - 1 : last], replacement):
            return False
    return True


def _replaced(lines: list[str], new: list[str]) -> Iterator[tuple[int, int, str]]:
    """Each stretch of ``lines`` that ``new`` (the same text laid out again) replaces: lines
    ``first``..``last`` (``last == first - 1``: none, text inserted before ``first``) and
    what replaces them."""
    pairs: list[tuple[int, int]] = []
    _match(lines, new, 0, len(lines), 0, len(new), pairs)
    previous = (-1, -1)
    for i, j in [*pairs, (len(lines), len(new))]:
        if i > previous[0] + 1 or j > previous[1] + 1:
            yield previous[0] + 2, i, "".join(new[previous[1] + 1 : j])
        previous = (i, j)


def _format_whole(
    output: str, lines: list[str], places: list[tuple[Range, _Block, Range]]
) -> str | None:
    """``output``, ruff's formatting of the whole text (its ``lines``), if every line that
    changes lies in one range's zone and its block still parses; else None."""
    new = _lines(output)
    short = len(lines) <= _Layout.SMALL  # then the output is parsed once, whole
    for first, last, replacement in _replaced(lines, new):
        owner = next((b for _, b, z in places if z[0] <= first and last <= z[1]), None)
        if owner is None:
            return None
        if _moves_pragma(lines[first - 1 : last], replacement):
            return None  # range by range, which leaves that statement as written
        if not short and not owner.parses_with(lines, first, last, replacement):
            return None
    return output if not short or _parse_dedented(new, "") is not None else None


_PRAGMA = re.compile(r"#\s*(noqa\b|type:\s*ignore|pragma:)")


def _moves_pragma(old: list[str], replacement: str) -> bool:
    """A line of ``old`` carrying a `# noqa`, `# type: ignore` or `# pragma:` comment is not a
    line of ``replacement``: laid out again, the comment would sit at the end of the new
    statement (`)  # noqa: E712`), away from the line it covers, and stop covering it."""
    kept = {line.strip() for line in _lines(replacement)}
    return any(_PRAGMA.search(line) and line.strip() not in kept for line in old)


def _whole_arguments(options: list[str], lines: list[str], filename: str) -> list[str]:
    """Ruff's arguments to format a whole text given on stdin (`_format_whole`)."""
    ending = _line_ending(lines)
    return [
        *options,
        "--config",
        f"format.line-ending = '{ending}'",
        "--stdin-filename",
        filename,
        "-",
    ]


def _ruff_filename(path: str) -> str:
    filename = os.path.abspath(path)
    if not filename.endswith((".py", ".pyi")):  # ruff picks the language by the extension
        filename += ".py"
    return filename


@dataclass(frozen=True)
class LayoutRequest:
    """One file's layout step to come (`tidier`'s `before` and `after`): what `prefetch`
    asks ruff about ahead, for many files at once."""

    path: str
    before: str
    after: str
    style: ProjectStyle
    clean: bool | None  # whether `before` is formatter-clean, when known


def prefetch(requests: list[LayoutRequest]) -> tuple[dict[str, bool | None], Runner]:
    """The ruff calls the layout steps of many files would make, made in one ruff process per
    project style instead of one or two per file (starting ruff costs more than formatting a
    file): whether each `before` is formatter-clean, when the request does not know, and the
    whole formatted `after` of the clean ones, which `format_report` asks for.
    Returns each request's cleanliness (its own when known; None: unknown, `format_report`
    asks) and a `Runner` that answers the calls asked ahead and runs ruff for any other.

    Ruff formats copies of the texts in a temporary folder, with the arguments it gets on
    stdin, so its answers are those of `_run`. Nothing is asked ahead for a project whose ruff
    configuration sets settings by file path (`per-file-target-version`: the copies' paths
    are not the files'), and a group ruff fails on is left to the calls one by one."""
    cleans: dict[str, bool | None] = {r.path: r.clean for r in requests}
    answers: dict[tuple[tuple[str, ...], str], tuple[str | None, str]] = {}
    wanted = [r for r in requests if not _by_path(r.style)]
    if len(wanted) < 2:
        return cleans, _run
    try:
        ruff = ruff_binary()
    except FormatUnavailable:
        return cleans, _run
    # whether `before` is clean, for the requests that do not know (`_is_clean`)
    unknown: dict[tuple[str, ...], list[LayoutRequest]] = {}
    for request in wanted:
        if request.clean is None:
            options = _options(request.style, request.style.quote_style)
            command = (*options, "--config", "format.line-ending = 'auto'", "--check")
            unknown.setdefault(command, []).append(request)
    for command, group in unknown.items():
        found = _check_many(
            ruff, list(command), [(_ruff_filename(r.path), r.before) for r in group]
        )
        for request, clean in zip(group, found, strict=True):
            cleans[request.path] = clean
    # the whole formatted `after` of the clean ones (`_format_whole`)
    by_arguments: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for request in wanted:
        if not cleans[request.path]:
            continue
        lines = _lines(request.after)
        if _line_ending(lines) == "auto":
            continue
        filename = _ruff_filename(request.path)
        options = _options(request.style, request.style.quote_style)
        arguments = tuple(_whole_arguments(options, lines, filename)[:-3])
        by_arguments.setdefault(arguments, []).append((filename, request.after))
    for arguments, texts in by_arguments.items():
        outputs = _format_many(ruff, list(arguments), texts)
        if outputs is None:
            continue
        for (filename, text), output in zip(texts, outputs, strict=True):
            if output is not None:  # else asked alone, with the reason ruff gives
                answers[((*arguments, "--stdin-filename", filename, "-"), text)] = (output, "")

    return cleans, Answers(answers)


class Answers:
    """A `Runner` that answers the calls `prefetch` asked ahead and runs ruff for any other."""

    def __init__(self, answers: dict[tuple[tuple[str, ...], str], tuple[str | None, str]]):
        self.answers = answers

    def knows(self, args: list[str], text: str) -> bool:
        return (tuple(args), text) in self.answers

    def __call__(self, ruff: str, args: list[str], text: str) -> tuple[str | None, str]:
        found = self.answers.get((tuple(args), text))
        return found if found is not None else _run(ruff, args, text)


def _by_path(style: ProjectStyle) -> bool:
    """Whether the project's ruff configuration sets formatting by file path."""
    for source in style.sources:
        try:
            with open(source, encoding="utf-8", errors="replace") as handle:
                if "per-file-target-version" in handle.read():
                    return True
        except OSError:
            return True
    return False


def _copies(folder: str, texts: list[tuple[str, str]]) -> list[str]:
    """The texts written to files in ``folder``, each under its file's name (the extension
    tells ruff the language), one subfolder each."""
    paths = []
    for number, (filename, text) in enumerate(texts):
        os.mkdir(os.path.join(folder, str(number)))
        path = os.path.join(folder, str(number), os.path.basename(filename))
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        paths.append(path)
    return paths


def _check_many(ruff: str, command: list[str], texts: list[tuple[str, str]]) -> list[bool | None]:
    """`_is_clean` for many texts in one ruff call; None for a text ruff cannot read (or for
    all, when ruff fails otherwise): the caller asks ruff about it alone."""
    with tempfile.TemporaryDirectory(prefix="fastapi-fix-") as folder:
        try:
            paths = _copies(folder, texts)
            done = subprocess.run(
                [ruff, *command, "--output-format", "concise", *paths],
                capture_output=True,
                timeout=RUFF_TIMEOUT * 4,
                check=False,
                cwd=folder,
            )
        except (OSError, subprocess.SubprocessError, UnicodeError):
            return [None] * len(texts)
    output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    unclean: set[str] = set()
    failed: set[str] = set()
    for line in output.splitlines():
        match = re.match(r"(.+?):\d+:\d+: (unformatted|invalid-syntax)\b", line)
        if match:
            where = os.path.normpath(os.path.join(folder, match.group(1)))
            (unclean if match.group(2) == "unformatted" else failed).add(where)
    if done.returncode not in (0, 1) and not failed:
        return [None] * len(texts)
    if done.returncode == 0 and (unclean or failed):
        return [None] * len(texts)  # not an answer this code understands
    return [
        None if path in failed else path not in unclean for path in map(os.path.normpath, paths)
    ]


def _format_many(
    ruff: str, arguments: list[str], texts: list[tuple[str, str]]
) -> list[str | None] | None:
    """Each text formatted by ruff with ``arguments`` (`_run`'s, without stdin), in one ruff
    call; None for a text ruff cannot read (the caller asks ruff about it alone), or for all
    when ruff fails otherwise."""
    with tempfile.TemporaryDirectory(prefix="fastapi-fix-") as folder:
        try:
            paths = _copies(folder, texts)
            done = subprocess.run(
                [ruff, *arguments, *paths],
                capture_output=True,
                timeout=RUFF_TIMEOUT * 4,
                check=False,
                cwd=folder,
            )
            failed: set[str] = set()
            for line in done.stderr.decode("utf-8", "replace").splitlines():
                match = re.match(r"error: Failed to parse (.+?):\d+:\d+: ", line)
                if match:
                    failed.add(os.path.normpath(os.path.join(folder, match.group(1))))
                elif line.startswith("error"):
                    return None  # a failure this code cannot tie to one text: ask each alone
            if done.returncode != 0 and not failed:
                return None
            outputs: list[str | None] = []
            for path in paths:
                if os.path.normpath(path) in failed:
                    outputs.append(None)
                    continue
                with open(path, encoding="utf-8", newline="") as handle:
                    outputs.append(handle.read())
        except (OSError, subprocess.SubprocessError, UnicodeError):
            return None
    return outputs


# --- ruff ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def ruff_binary() -> str:
    """The ruff executable: the one installed with the `ruff` package (a dependency), else the
    first `ruff` on PATH."""
    try:
        from ruff import find_ruff_bin

        return find_ruff_bin()
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("ruff")
    if found is None:
        raise FormatUnavailable("ruff is not installed (pip install ruff)")
    return found


def _options(
    style: ProjectStyle, quote: str, *, isolated: bool = False, indent: str | None = None
) -> list[str]:
    args = ["format", "--no-cache"]
    if style.ruff_config and not isolated:
        args += ["--config", style.ruff_config]  # the project's file, and no discovery
    else:
        args.append("--isolated")
        if style.target_version:
            args += ["--target-version", style.target_version]
    args += ["--line-length", str(style.line_length)]
    args += ["--config", f"format.quote-style = '{quote}'"]
    skip = "false" if style.magic_trailing_comma else "true"
    args += ["--config", f"format.skip-magic-trailing-comma = {skip}"]
    if indent == "\t":
        args += ["--config", "format.indent-style = 'tab'"]
    elif indent:
        args += [
            "--config",
            "format.indent-style = 'space'",
            "--config",
            f"indent-width = {len(indent)}",
        ]
    return args


def formatter_clean(paths: list[str], style: ProjectStyle) -> dict[str, bool]:
    """For files on disk that share ``style``: whether each is clean under ruff format with
    the project's settings, in one ruff call (`--check`). A file ruff cannot parse is not
    clean. Raises `FormatUnavailable` when ruff cannot run."""
    if not paths:
        return {}
    ruff = ruff_binary()
    absolute = {os.path.abspath(p): p for p in paths}
    command = [
        ruff,
        *_options(style, style.quote_style),
        "--config",
        "format.line-ending = 'auto'",
        "--check",
        "--output-format",
        "concise",
        *absolute,
    ]
    cwd = os.path.commonpath([os.path.dirname(p) for p in absolute])
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=RUFF_TIMEOUT * 4, check=False, cwd=cwd
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise FormatUnavailable(f"ruff could not run: {exc}") from exc
    output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    if done.returncode not in (0, 1) and "invalid-syntax" not in output:
        raise FormatUnavailable(f"ruff format --check failed: {output.strip()[-300:]}")
    unclean: set[str] = set()
    for line in output.splitlines():
        match = re.match(r"(.+?):\d+:\d+: (?:unformatted|invalid-syntax)\b", line)
        if match:
            unclean.add(os.path.normpath(os.path.join(cwd, match.group(1))))
    return {original: full not in unclean for full, original in absolute.items()}


def _is_clean(ruff: str, filename: str, text: str, options: list[str]) -> bool | None:
    """Whether ruff format leaves ``text`` as it is; None when ruff fails on it."""
    command = [*options, "--config", "format.line-ending = 'auto'", "--check"]
    try:
        done = subprocess.run(
            [ruff, *command, "--stdin-filename", filename, "-"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=RUFF_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, UnicodeError) as exc:
        raise FormatUnavailable(f"ruff could not run: {exc}") from exc
    if done.returncode in (0, 1):
        return done.returncode == 0
    return None


def _run(ruff: str, args: list[str], text: str) -> tuple[str | None, str]:
    try:
        done = subprocess.run(
            [ruff, *args],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=RUFF_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, UnicodeError) as exc:
        return None, str(exc)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, message[-1] if message else f"exit code {done.returncode}"
    return done.stdout.decode("utf-8"), ""


# --- which lines changed -----------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Lines with their endings, split where Python and ruff split them (not at form feeds)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


def changed_ranges(before: str, after: str) -> list[Range]:
    """Line ranges of `after` that the fixes inserted or replaced."""
    return _diff(before, after)[0]


def _diff(before: str, after: str) -> tuple[list[Range], list[Range]]:
    """The inserted or replaced line ranges of `after`, and for each place where lines were
    only deleted, the lines of `after` on either side of it."""
    changes, deletions, _ = _diff_widths(before, after)
    return changes, deletions


def _diff_widths(before: str, after: str) -> tuple[list[Range], list[Range], dict[int, int]]:
    """`_diff`, and for each changed line of `after` the width of the line of `before` it
    replaced when the change is one line for one (`async def` made a `def`), else 0."""
    old, new = _lines(before), _lines(after)
    pairs: list[tuple[int, int]] = []
    _match(old, new, 0, len(old), 0, len(new), pairs)
    changes: list[Range] = []
    deletions: list[Range] = []
    widths: dict[int, int] = {}
    previous = (-1, -1)
    for i, j in [*pairs, (len(old), len(new))]:
        if j > previous[1] + 1:  # new lines previous[1]+1 .. j-1 match nothing
            changes.append((previous[1] + 2, j))
            replaced = [_width(line) for line in old[previous[0] + 1 : i]]
            one_for_one = len(replaced) == 1 and j - previous[1] - 1 == 1
            for number in range(previous[1] + 2, j + 1):
                widths[number] = replaced[0] if one_for_one else 0
        elif i > previous[0] + 1 and new:  # old lines deleted between two kept lines
            deletions.append((max(1, j), min(len(new), j + 1)))
        previous = (i, j)
    return changes, deletions, widths


def matched_hunks(before: list[str], after: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, lines): the runs of ``before``'s lines (0-based, end exclusive) that become
    other lines of ``after``, between the lines `_match` pairs: a layout step's changes, found
    without difflib over the long unchanged stretches between them."""
    pairs: list[tuple[int, int]] = []
    _match(before, after, 0, len(before), 0, len(after), pairs)
    found = []
    old, new = -1, -1
    for i, j in [*pairs, (len(before), len(after))]:
        if i > old + 1 or j > new + 1:
            found.append((old + 1, i, tuple(after[new + 1 : j])))
        old, new = i, j
    return found


def _match(
    old: list[str], new: list[str], o0: int, o1: int, n0: int, n1: int, out: list[tuple[int, int]]
) -> None:
    """Append to ``out`` the (old, new) index pairs of equal lines (patience diff: lines that
    occur once on each side anchor the match, which keeps a few edits in a long file cheap
    and aligned with the code's structure; difflib between anchors). Between anchors that
    share no line (a line a fix rewrote) nothing is matched, and nothing is asked."""
    while o0 < o1 and n0 < n1 and old[o0] == new[n0]:
        out.append((o0, n0))
        o0, n0 = o0 + 1, n0 + 1
    tail: list[tuple[int, int]] = []
    while o0 < o1 and n0 < n1 and old[o1 - 1] == new[n1 - 1]:
        o1, n1 = o1 - 1, n1 - 1
        tail.append((o1, n1))
    if o0 < o1 and n0 < n1 and not set(old[o0:o1]).isdisjoint(new[n0:n1]):
        anchors = _unique_anchors(old, new, o0, o1, n0, n1)
        if anchors:
            for i, j in anchors:
                if o0 < i and n0 < j:  # else nothing between the anchors can match
                    _match(old, new, o0, i, n0, j, out)
                out.append((i, j))
                o0, n0 = i + 1, j + 1
            _match(old, new, o0, o1, n0, n1, out)
        else:
            matcher = difflib.SequenceMatcher(None, old[o0:o1], new[n0:n1], autojunk=False)
            for a, b, size in matcher.get_matching_blocks():
                out.extend((o0 + a + k, n0 + b + k) for k in range(size))
    out.extend(reversed(tail))


def _unique_anchors(
    old: list[str], new: list[str], o0: int, o1: int, n0: int, n1: int
) -> list[tuple[int, int]]:
    """The longest run, in order on both sides, of lines that occur exactly once on each."""
    counts: dict[str, int] = {}
    for line in old[o0:o1]:
        counts[line] = counts.get(line, 0) + 1
    in_new: dict[str, int] = {}
    for j in range(n0, n1):
        line = new[j]
        if counts.get(line) == 1:
            in_new[line] = -1 if line in in_new else j
    pairs = [(i, in_new[old[i]]) for i in range(o0, o1) if in_new.get(old[i], -1) >= 0]
    pairs = [(i, j) for i, j in pairs if counts[old[i]] == 1]
    # longest increasing subsequence of the new-side indexes (patience sorting)
    tops: list[int] = []
    top_at: list[int] = []
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tops, j)
        if pos == len(tops):
            tops.append(j)
            top_at.append(k)
        else:
            tops[pos] = j
            top_at[pos] = k
        back.append(top_at[pos - 1] if pos else -1)
    chain: list[tuple[int, int]] = []
    k = top_at[-1] if top_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def _merge(ranges: list[Range]) -> list[Range]:
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _is_blank(line: str) -> bool:
    return not line.strip()


def _widen_over_blank_lines(lines: list[str], span: Range) -> Range:
    """Take in the blank lines just above new code, so ruff sets the blank lines between it
    and the statement before."""
    start, end = span
    while start > 1 and _is_blank(lines[start - 2]):
        start -= 1
    return start, end


def _width(line: str) -> int:
    """The line's width as ruff measures it for E501 (wide characters count two)."""
    text = line.rstrip("\r\n")
    if text.isascii():
        return len(text.expandtabs(4))
    return sum(
        4 if ch == "\t" else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text
    )


def _too_long(lines: list[str], number: int, style: ProjectStyle) -> bool:
    return _width(lines[number - 1]) > style.line_length


def _line_ending(lines: list[str]) -> str:
    if "\r" not in "".join(lines):  # the common case, without a loop over the lines
        # `_lines` splits at "\n" only then: every line but the last ends with one
        return "lf" if lines and (len(lines) > 1 or lines[0].endswith("\n")) else "auto"
    endings = {"cr-lf" if s.endswith("\r\n") else "lf" for s in lines if s.endswith("\n")}
    return endings.pop() if len(endings) == 1 else "auto"


def _indent_unit(text: str) -> str | None:
    """The file's first indentation step (`"\\t"`, `"  "`...), so that formatting a statement
    in a file indented otherwise than by four spaces does not re-indent its whole block."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.INDENT:
                unit = token.string
                if "\t" in unit:
                    return "\t"
                return unit if 1 <= len(unit) <= 16 else None
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


# --- what a range may change ---------------------------------------------------------------------


def _start(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _children(stmt: ast.stmt) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list):
            out.extend(s for s in value if isinstance(s, ast.stmt))
    for handler in getattr(stmt, "handlers", None) or []:
        out.extend(handler.body)
    for case in getattr(stmt, "cases", None) or []:
        out.extend(case.body)
    return sorted(out, key=_start)


def _innermost(body: list[ast.stmt], line: int) -> Range | None:
    """The lines of the innermost statement holding ``line`` — for a compound statement's
    header or clause line (`else:`, `except ...:`), those lines only."""
    for stmt in body:
        start, end = _start(stmt), stmt.end_lineno or stmt.lineno
        if not start <= line <= end:
            continue
        children = _children(stmt)
        if not children:
            return start, end
        inner = _innermost(children, line)
        if inner is not None:
            return inner
        lo = max(
            (c.end_lineno or c.lineno for c in children if (c.end_lineno or 0) < line), default=None
        )
        hi = min((_start(c) for c in children if _start(c) > line), default=end + 1)
        return (start if lo is None else lo + 1), hi - 1
    return None


# comments, one-line strings, and (group 1) triple-quoted strings
_STRINGS = re.compile(
    r"#[^\r\n]*"
    r"|(\"\"\"(?:[^\"\\]|\\[\s\S]|\"(?!\"\"))*\"\"\"|'''(?:[^'\\]|\\[\s\S]|'(?!''))*''')"
    r"|\"(?:[^\"\\\r\n]|\\.)*\"|'(?:[^'\\\r\n]|\\.)*'"
)
_OPERATORS = "+-*/%&|^<>=@~"
_DEFINITION = re.compile(r"(?:def|async|class)\b")
_STRING_START = re.compile(r"[rRbBuUfFtT]{0,2}['\"]")


def _code_end(line: str) -> str:
    """The last character of a line's code, a trailing comment left out (roughly: a `#` that
    follows a quote may be in a string; then the line is taken whole)."""
    body = line.rstrip()
    hash_at = body.rfind("#")
    if hash_at >= 0 and "'" not in body[:hash_at] and '"' not in body[:hash_at]:
        body = body[:hash_at].rstrip()
    return body[-1:]


_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _opens_statement(line: str) -> bool:
    """Whether ``line`` may begin a statement: not blank, a comment, a closing bracket or a
    clause of the compound statement above (`else:`, `except ...:`)."""
    body = line.lstrip(" \t")
    return bool(body.strip()) and body[0] not in "#)]}" and not _CLAUSE.match(body)


@dataclass(frozen=True)
class _Block:
    """Complete statements, lines ``lo``..``hi`` of the text, parsed with ``indent`` removed
    (line numbers in ``tree`` count from ``lo``)."""

    lo: int
    hi: int
    indent: str
    tree: ast.Module

    def statement(self, line: int) -> Range:
        found = _innermost(self.tree.body, line - self.lo + 1)
        return (found[0] + self.lo - 1, found[1] + self.lo - 1) if found else (line, line)

    def zone(self, lines: list[str], span: Range, floor: int, ceiling: int) -> Range:
        """The lines that formatting ``span`` may change: the statements (or headers) its
        first and last lines lie in, and the blank lines around them, within ``floor`` and
        ``ceiling``."""
        lo = min(self.statement(span[0])[0], span[0])
        hi = max(self.statement(span[1])[1], span[1])
        if hi < ceiling and lines[hi].strip() == "...":
            hi += 1  # a body of `...` alone: ruff puts it after the header's colon
        while lo > floor and _is_blank(lines[lo - 2]):
            lo -= 1
        while hi < ceiling and _is_blank(lines[hi]):
            hi += 1
        return max(lo, floor), min(hi, ceiling)

    def parses_with(self, lines: list[str], first: int, last: int, replacement: str) -> bool:
        """Whether the block still parses with lines ``first``..``last`` replaced."""
        lo, hi = min(self.lo, first), max(self.hi, last)
        text = "".join(lines[lo - 1 : first - 1]) + replacement + "".join(lines[last:hi])
        return _parse_dedented(_lines(text), self.indent) is not None


class _Layout:
    """Where the statements of a text are. Only the block of statements around the lines
    asked about is parsed (a method, not its 3,000-line class; the whole text when that
    fails): `ast.parse` of a long file costs more than ruff formatting it."""

    SMALL = 400  # lines: a text this short is parsed whole, once
    STARTS = 10
    ENDS = 4

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._whole: _Block | None = None
        self._whole_tried = False
        self._in_strings: set[int] | None = None
        self._blocks: dict[Range, _Block | None] = {}  # the answers of `block`, by span

    @property
    def in_strings(self) -> set[int]:
        """Numbers of the lines that continue a triple-quoted string (found by a pattern, so
        a rare miss only costs a parse of the whole text)."""
        if self._in_strings is None:
            text = "".join(self.lines)
            starts = list(itertools.accumulate((len(x) for x in self.lines), initial=0))
            found: set[int] = set()
            for match in _STRINGS.finditer(text):
                if match.group(1) is None:
                    continue
                first = bisect.bisect_right(starts, match.start())
                last = bisect.bisect_right(starts, match.end() - 1)
                found.update(range(first + 1, last + 1))
            self._in_strings = found
        return self._in_strings

    def _opens(self, n: int) -> bool:
        return _opens_statement(self.lines[n - 1]) and n not in self.in_strings

    def statement(self, line: int) -> Range:
        block = self.block((line, line))
        return block.statement(line) if block is not None else (line, line)

    def statements(self, span: Range) -> Range:
        """``span`` widened to the whole statements (or headers) its first and last lines
        lie in."""
        block = self.block(span)
        if block is None:
            return span
        return min(block.statement(span[0])[0], span[0]), max(block.statement(span[1])[1], span[1])

    def block(self, span: Range) -> _Block | None:
        lines = self.lines
        if len(lines) <= self.SMALL:  # one parse for every question
            return self.whole()
        if span not in self._blocks:  # a statement's span is asked again for its range
            self._blocks[span] = self._block(span)
        return self._blocks[span]

    def _block(self, span: Range) -> _Block | None:
        lines = self.lines
        code = [
            len(_indentation(x))
            for x in lines[span[0] - 1 : span[1]]
            if x.strip() and not x.lstrip(" \t").startswith("#")
        ]
        limit = min(code, default=None)
        k = next((n for n in range(span[0], span[1] + 1) if self._opens(n)), span[0])
        for _ in range(self.STARTS):
            k = self._opening_above(k, limit)
            if k is None:
                break
            indent = _indentation(lines[k - 1])
            k = self._decorated_from(k, indent)
            hi = max(span[1], k)
            for _ in range(self.ENDS):  # a string's lines may look like statements: go on
                hi = self._block_end(k, hi, indent)
                tree = _parse_dedented(lines[k - 1 : hi], indent)
                if tree is not None and self._bounded(k, hi):
                    return _Block(k, hi, indent, tree)
                if hi >= len(lines):
                    break
                hi += 1
            if k == 1 or not indent:
                break
            k, limit = k - 1, len(indent) - 1  # inside brackets or a string: the block around
        return self.whole()

    def whole(self) -> _Block | None:
        if not self._whole_tried:
            self._whole_tried = True
            tree = _parse_dedented(self.lines, "")
            self._whole = _Block(1, len(self.lines), "", tree) if tree is not None else None
        return self._whole

    def _decorated_from(self, k: int, indent: str) -> int:
        """The first line of the decorators above the `def` or `class` at line ``k``."""
        while self.lines[k - 1][len(indent) :].startswith("@") or _DEFINITION.match(
            self.lines[k - 1], len(indent)
        ):
            above = self._code_above(k)
            if above is None:
                break
            line = self.lines[above - 1]
            if line.startswith(indent + "@"):
                k = above
            elif line.startswith(indent) and line[len(indent) : len(indent) + 1] in ")]}":
                opening = next(
                    (
                        n
                        for n in range(above - 1, 0, -1)
                        if self.lines[n - 1].startswith(indent + "@")
                    ),
                    None,
                )  # the end of a decorator over several lines
                if opening is None:
                    break
                k = opening
            else:
                break
        return k

    def _code_above(self, k: int) -> int | None:
        return next((n for n in range(k - 1, 0, -1) if self._is_code(n)), None)

    def _bounded(self, k: int, hi: int) -> bool:
        """Whether lines ``k``..``hi`` are whole statements, not a part of one that parses
        by itself (an argument `"name",` is a tuple): the code before does not leave a bracket
        or an expression open, and the code after does not close or continue one."""
        before = self._code_above(k)
        if before is not None:
            end = _code_end(self.lines[before - 1])
            if end and (end in "([{,\\" or end in _OPERATORS):
                return False
            if end in "'\"" and _STRING_START.match(self.lines[k - 1].lstrip(" \t")):
                return False  # strings one after another: most likely concatenated in brackets
        after = next((n for n in range(hi + 1, len(self.lines) + 1) if self._is_code(n)), None)
        if after is not None:
            start = self.lines[after - 1].lstrip(" \t")[:1]
            if start in ")]}." or (start in _OPERATORS and start != "@"):  # "@": a decorator
                return False
        return True

    def _is_code(self, n: int) -> bool:
        line = self.lines[n - 1].lstrip(" \t")
        return bool(line.strip()) and not line.startswith("#") and n not in self.in_strings

    def _opening_above(self, k: int, limit: int | None) -> int | None:
        """The nearest line at or above ``k`` that may open a statement, indented at most
        ``limit``."""
        while k >= 1:
            line = self.lines[k - 1]
            if self._opens(k) and (limit is None or len(_indentation(line)) <= limit):
                return k
            k -= 1
        return None

    def _block_end(self, k: int, last: int, indent: str) -> int:
        """The last line, from ``last`` on, of the statements that begin at ``k`` at
        ``indent``: before the next line that opens a statement at that indentation (not the
        decorated `def` of decorators), or any code less indented."""
        lines = self.lines
        cut = len(indent)
        decorating = lines[k - 1][cut:].startswith("@") and not any(
            _DEFINITION.match(lines[n - 1], cut) and lines[n - 1].startswith(indent)
            for n in range(k, last + 1)
        )
        for n in range(last + 1, len(lines) + 1):
            line = lines[n - 1]
            if not line.strip() or line.lstrip(" \t").startswith("#") or n in self.in_strings:
                continue
            own = _indentation(line)
            if len(own) < len(indent) or (own == indent and _opens_statement(line)):
                if decorating and own == indent and line[cut:].startswith("@"):
                    continue
                if decorating and own == indent and _DEFINITION.match(line, cut):
                    decorating = False
                    continue
                return n - 1
        return len(lines)


def _parse_dedented(lines: list[str], indent: str) -> ast.Module | None:
    if indent:  # (a string's lines indented less lose what they have: it still parses)
        cut = len(indent)
        lines = [x[cut:] if x.startswith(indent) else x.lstrip(" \t") for x in lines]
    try:
        return ast.parse("".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _changed_region(before: str, after: str) -> tuple[int, int, str]:
    """The lines ``first``..``last`` of ``before`` (``last == first - 1``: nothing, text was
    inserted before line ``first``) that ``after`` replaces, and what replaces them."""
    p = _common_prefix(before, after)
    if 0 < p < len(before) and before[p - 1] == "\r" and before[p] == "\n":
        p -= 1  # not between the two characters of a CRLF
    s = _common_prefix(before[p:][::-1], after[p:][::-1])
    q = len(before) - s
    start = max(before.rfind("\n", 0, p), before.rfind("\r", 0, p)) + 1
    end = q if q == start or _line_start(before, q) else _next_line_start(before, q)
    replacement = after[start : len(after) - (len(before) - end)]
    last = _line_number(before, end) - 1
    if end == len(before) and not before.endswith(("\n", "\r")):
        last += 1  # the last line has no line break
    return _line_number(before, start), last, replacement


def _line_number(text: str, offset: int) -> int:
    """The 1-based number of the line at ``offset`` (a line start)."""
    return (
        text.count("\n", 0, offset)
        + text.count("\r", 0, offset)
        - text.count("\r\n", 0, offset)
        + 1
    )


def _line_start(text: str, offset: int) -> bool:
    if offset == 0 or offset >= len(text):
        return True
    before = text[offset - 1]
    return before == "\n" or (before == "\r" and text[offset] != "\n")


def _next_line_start(text: str, offset: int) -> int:
    match = re.compile(r"\r\n|\r|\n").search(text, offset)
    return match.end() if match else len(text)


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of the two strings."""
    n = min(len(a), len(b))
    step, k = 4096, 0
    while k + step <= n and a[k : k + step] == b[k : k + step]:
        k += step
    lo, hi = k, min(k + step, n)
    while lo < hi:  # a[:lo] == b[:lo]; find the largest such lo
        mid = (lo + hi + 1) // 2
        if a[k:mid] == b[k:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
