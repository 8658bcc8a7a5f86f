"""Output for people: findings one per line (ruff's concise shape), diffs, summaries, rule docs."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from fastapi_fixer.fixing.pipeline import split_lines
from fastapi_fixer.models import Diagnostic, FixSafety, Hop, RunResult

if TYPE_CHECKING:
    from fastapi_fixer.rule import Rule


def unified_diff(path: str, before: str, after: str, provenance: Any = None) -> str:
    """A unified diff; with the fix pass's ``provenance`` (`fixing.pipeline.Provenance` of
    ``after``), each hunk header names the rules that made the hunk, where git puts a hunk's
    section heading (`@@ -3,7 +3,8 @@ FF101, FF303`): patch tools ignore it. The diff is the
    pass's own hunks where the provenance has them (`diff_groups`)."""
    old, new = split_lines(before), split_lines(after)
    out = []
    for group in diff_groups(old, new, provenance):
        if not out:
            out.append(f"--- a/{path.lstrip('/')}\n")
            out.append(f"+++ b/{path.lstrip('/')}\n")
        first, last = group[0], group[-1]
        header = f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@"
        codes = None
        if provenance is not None:  # the new side's lines (the line before, when it has none)
            count = last[4] - first[3]
            start = first[3] if count else first[3] - 1
            codes = provenance.codes_in(start + (count == 0), start + count)
        out.append(f"{header} {', '.join(sorted(codes))}\n" if codes else header + "\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in old[i1:i2])
                continue
            out.extend("-" + line for line in old[i1:i2])
            out.extend("+" + line for line in new[j1:j2])
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


Opcode = tuple[str, int, int, int, int]


def diff_groups(
    old: list[str], new: list[str], provenance: Any = None, context: int = 3
) -> list[list[Opcode]]:
    """The opcodes of a unified diff of ``old`` and ``new`` in `difflib`'s groups (``context``
    lines around each change): from the fix pass's own hunks when ``provenance``
    (`fixing.pipeline.Provenance` of ``new``) has them (`Provenance.original_hunks`; no diff
    of the whole file), else from `difflib.SequenceMatcher`."""
    hunks = provenance.original_hunks(old, new) if provenance is not None else None
    if hunks is None:
        return list(difflib.SequenceMatcher(None, old, new).get_grouped_opcodes(context))
    matcher = difflib.SequenceMatcher(None, (), ())
    matcher.opcodes = _opcodes(len(old), hunks)
    return list(matcher.get_grouped_opcodes(context))


def _opcodes(count: int, hunks: list[Any]) -> list[Opcode]:
    """`SequenceMatcher.get_opcodes` of a text of ``count`` lines and the text its
    (non-overlapping, ordered) line ``hunks`` make of it: adjacent hunks are one change, as
    no equal line parts them."""
    codes: list[Opcode] = []
    i = j = 0
    for hunk in hunks:
        size = len(hunk.lines)
        if hunk.end == hunk.start and not size:
            continue  # changes nothing
        if hunk.start > i:
            codes.append(("equal", i, hunk.start, j, j + hunk.start - i))
            j += hunk.start - i
        elif codes and codes[-1][0] != "equal":  # right after the last change: one change
            _, i1, _, j1, _ = codes.pop()
            codes.append(("", i1, hunk.end, j1, j + size))
            i, j = hunk.end, j + size
            continue
        codes.append(("", hunk.start, hunk.end, j, j + size))
        i, j = hunk.end, j + size
    if i < count:
        codes.append(("equal", i, count, j, j + count - i))
    tags = {(True, True): "replace", (True, False): "delete", (False, True): "insert"}
    return [(tag or tags[(i2 > i1, j2 > j1)], i1, i2, j1, j2) for tag, i1, i2, j1, j2 in codes]


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as `difflib.unified_diff` writes it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


# ANSI styles as ruff 0.17 writes them (`ruff check --color always`), each a tuple of SGR
# parameters written as one escape sequence each: a path bold, the separators and fix markers
# cyan, a code bold red, "All checks passed!" and "Fixed N errors:" bold green ("1;32", one
# sequence, as ruff writes those), a code in --show-fixes "1;31"
Style = tuple[str, ...]
BOLD: Style = ("1",)
CYAN: Style = ("36",)
CODE: Style = ("1", "31")
GOOD: Style = ("1;32",)
FIXED_CODE: Style = ("1;31",)
TIMES = "\N{MULTIPLICATION SIGN}"  # ruff's `2 x F401` in --show-fixes, with the sign


def paint(text: str, style: Style, color: bool) -> str:
    if not color or not text:
        return text
    return "".join(f"\x1b[{code}m" for code in style) + f"{text}\x1b[0m"


def marker(text: str, color: bool) -> str:
    """A fix marker, `[*] ` or `[-] `, with its symbol cyan."""
    if not color or not text:
        return text
    return f"[{paint(text[1], CYAN, True)}]{text[3:]}"


def fixable_marker(diagnostic: Diagnostic, unsafe_fixes: bool, color: bool = False) -> str:
    fix = diagnostic.fix
    if fix is None or fix.safety is FixSafety.NONE:
        return ""
    if fix.safety is FixSafety.SAFE or unsafe_fixes:
        return marker("[*] ", color)
    return marker("[-] ", color)


def styled_console() -> Any:
    """A rich console for output the caller decided to colour (`--color always` through a
    pipe, FORCE_COLOR): rich must not decide again from the stream or NO_COLOR."""
    from rich.console import Console

    return Console(highlight=False, force_terminal=True, no_color=False)


def location(path: str, line: int, column: int, color: bool = False) -> str:
    """``path:line:column`` (1-based column), the path bold and the colons cyan."""
    colon = paint(":", CYAN, color)
    return f"{paint(path, BOLD, color)}{colon}{line}{colon}{column}{colon}"


def concise_line(diagnostic: Diagnostic, unsafe_fixes: bool, color: bool = False) -> str:
    span = diagnostic.span
    return (
        f"{location(diagnostic.path, span.line, span.col + 1, color)} "
        f"{paint(diagnostic.code, CODE, color)} "
        f"{fixable_marker(diagnostic, unsafe_fixes, color)}{diagnostic.message}"
    )


def shows_chain(diagnostic: Diagnostic) -> bool:
    """Whether output for people prints the finding's call chain: when it passes through
    another function. A direct call (the entry point and the call, both in the code the finding
    points at) would only repeat the finding's own line."""
    return len(diagnostic.chain) > 2


def chain_trace(chain: tuple[Hop, ...], indent: str = "    ") -> list[str]:
    """One line per hop, ``path:row:col  name`` (1-based column) with the names aligned."""
    places = [f"{hop.path}:{hop.row}:{hop.column + 1}" for hop in chain]
    width = max(map(len, places), default=0)
    return [
        f"{indent}{place:<{width}}  {hop.name}" for place, hop in zip(places, chain, strict=True)
    ]


def print_errors(result: RunResult) -> None:
    for error in result.errors:
        click.echo(f"error: {error.path}: {error.reason}", err=True)
    for dropped in result.dropped:
        click.echo(
            f"error: {dropped.path}: {dropped.code} fix dropped, file left as it was: "
            f"{dropped.reason}",
            err=True,
        )


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}{'es' if word.endswith(('x', 's')) else 's'}"


def fixability_summary(
    diagnostics: list[Diagnostic], unsafe_fixes: bool, color: bool = False
) -> list[str]:
    safe = sum(1 for d in diagnostics if d.fix and d.fix.safety is FixSafety.SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.safety is FixSafety.UNSAFE)
    lines = []
    applicable = safe + (unsafe if unsafe_fixes else 0)
    if applicable:
        flag = " --unsafe-fixes" if unsafe_fixes and unsafe else ""
        lines.append(f"{marker('[*] ', color)}{applicable} fixable with `fastapi-fix{flag}`.")
    if unsafe and not unsafe_fixes:
        lines.append(
            f"{marker('[-] ', color)}{_plural(unsafe, 'hidden fix')} can be enabled with the "
            "`--unsafe-fixes` option."
        )
    return lines


def passed_line(files: int, color: bool = False) -> str:
    return f"{paint('All checks passed!', GOOD, color)} ({_plural(files, 'file')} checked)"


def print_check(result: RunResult, unsafe_fixes: bool, color: bool = False) -> None:
    """Findings one per line and a summary; with ``color``, styled as ruff styles them (click
    keeps the codes only when told to: ``color=`` of `click.echo`)."""
    if result.diagnostics:  # one write: thousands of echo calls cost more than the check
        lines = (concise_line(d, unsafe_fixes, color) for d in result.diagnostics)
        click.echo("\n".join(lines), color=color)
    count = len(result.diagnostics)
    if count:
        click.echo(f"Found {_plural(count, 'error')}.")
        for line in fixability_summary(result.diagnostics, unsafe_fixes, color):
            click.echo(line, color=color)
    elif not result.errors:  # nothing reassuring when a path or file failed
        click.echo(passed_line(result.files_seen, color), color=color)
    else:
        click.echo(f"No findings in the {_plural(result.files_seen, 'file')} checked.")


def _per_code(counts: dict[str, int]) -> str:
    return ", ".join(f"{code}: {count}" for code, count in sorted(counts.items()))


def fixed_codes(result: RunResult, path: str) -> str:
    """What fixed ``path``: the rules with the findings they fixed in it, then the rules whose
    fixes of findings elsewhere wrote to it (a module a fix created, an app that gets a
    handler), named without a count."""
    counts = result.applied_by_file.get(path, {})
    provenance = result.provenance.get(path)
    written: frozenset[str] = frozenset()
    if provenance is not None:
        written = provenance.codes_in(0, len(provenance.lines))
    pieces = [f"{code}: {count}" for code, count in sorted(counts.items())]
    pieces += sorted(written - set(counts))
    return ", ".join(pieces)


def fix_enumeration(result: RunResult, color: bool = False, would: bool = False) -> list[str]:
    """`--show-fixes`, as ruff prints it: the findings fixed in each file, by rule (most first),
    after a blank line; nothing when nothing was fixed."""
    from fastapi_fixer.registry import all_rules

    total = sum(result.applied.values())
    if not total:
        return []
    rules = all_rules()
    head = f"{'Would fix' if would else 'Fixed'} {_plural(total, 'error')}:"
    lines = ["", paint(head, GOOD, color)]
    for path in sorted(result.applied_by_file):
        counts = result.applied_by_file[path]
        if not any(counts.values()):
            continue
        dash, colon = paint("-", CYAN, color), paint(":", CYAN, color)
        lines.append(f"{dash} {paint(path, BOLD, color)}{colon}")
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            name = rules[code].NAME if code in rules else ""
            lines.append(f"    {count} {TIMES} {paint(code, FIXED_CODE, color)} ({name})")
    return [*lines, ""]


def print_fix_summary(
    result: RunResult,
    written: list[str],
    unsafe_fixes: bool,
    color: bool = False,
    show_fixes: bool = False,
) -> None:
    for path in written:
        click.echo(f"Fixed {paint(path, BOLD, color)} ({fixed_codes(result, path)})", color=color)
    for diagnostic in result.diagnostics:
        click.echo(concise_line(diagnostic, unsafe_fixes, color), color=color)
    if show_fixes:
        for line in fix_enumeration(result, color):
            click.echo(line, color=color)
    total = sum(result.applied.values())
    left = len(result.diagnostics)
    pieces = [
        f"{_plural(len(written), 'file')} changed",
        f"{_plural(total, 'fix')} applied" + (f" ({_per_code(result.applied)})" if total else ""),
        f"{_plural(left, 'finding')} left without a fix",
    ]
    click.echo("; ".join(pieces) + ".")
    for line in fixability_summary(result.diagnostics, unsafe_fixes, color):
        if line.startswith(marker("[-] ", color)):
            click.echo(line, color=color)


def print_diffs(result: RunResult, color: bool) -> None:
    render: Callable[[str], None]
    if color:
        from rich.syntax import Syntax

        console = styled_console()

        def render(text: str) -> None:
            console.print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))

    else:

        def render(text: str) -> None:
            click.echo(text, nl=False)

    for path in result.changed_paths:
        before, after = result.sources[path].text, result.fixed[path]
        render(unified_diff(path, before, after, result.provenance.get(path)))


def print_dry_run_summary(result: RunResult, unsafe_fixes: bool, show_fixes: bool = False) -> None:
    if show_fixes:
        for line in fix_enumeration(result, would=True):
            click.echo(line, err=True)
    total = sum(result.applied.values())
    changed = len(result.changed_paths)
    click.echo(
        f"Would fix {_plural(total, 'finding')} in {_plural(changed, 'file')}"
        + (f" ({_per_code(result.applied)})" if total else "")
        + f"; {_plural(len(result.diagnostics), 'finding')} left without a fix.",
        err=True,
    )


def print_rule_docs(rule: type[Rule], color: bool) -> None:
    header = (
        f"# {rule.NAME} ({rule.CODE})\n\n"
        f"Severity: {rule.SEVERITY.value}. Fix: {rule.FIX_SAFETY.value}"
        + (f" — {rule.FIX_TITLE}" if rule.FIX_TITLE else "")
        + ".\n\n"
    )
    text = header + rule.docs() + "\n"
    if color:
        from rich.markdown import Markdown

        styled_console().print(Markdown(text))
    else:
        click.echo(text, nl=False)


def print_rules_table(rules: list[type[Rule]], color: bool) -> None:
    if color:
        from rich.table import Table

        table = Table("code", "name", "severity", "fix")
        for rule in rules:
            table.add_row(rule.CODE, rule.NAME, rule.SEVERITY.value, rule.FIX_SAFETY.value)
        styled_console().print(table)
        return
    for rule in rules:
        click.echo(f"{rule.CODE}\t{rule.NAME}\t{rule.SEVERITY.value}\t{rule.FIX_SAFETY.value}")
