"""`fastapi-fix --interactive`: review each pending fix, apply only the accepted ones.

For every finding with a fix this run may apply (safe ones; unsafe ones with `--unsafe-fixes`)
it shows the finding, the rule's one-line why and the fix as a diff (cut from one fix pass per
file with every finding's fix, made in the worker processes, as JSON's previews are), and asks
for one key (no Enter): `y` accept, `n` skip, `a` accept this one and every later fix of the
same rule, `f` accept this one and every later fix in the same file, `d` skip this one and every
later fix in the same file, `q` stop asking (the fixes accepted so far, and those accepted with
`a` or `f`, are still applied), `?` help. Ctrl-C aborts and writes nothing. When the diff is
taller than the terminal, the finding's header is printed again under it, next to the question.
Findings that share one fix are reviewed once. The answers come from the terminal: with stdin
not a terminal, `--interactive` is an error (FASTAPI_FIX_INTERACTIVE_STDIN=1 reads the keys
from stdin anyway, for scripts and tests). Accepted fixes are then applied file by file with their
rules' LibCST fixers (`engine.apply_rule_fix`), one rule at a time; the edits of a later rule
are moved past the lines an earlier one changed, and a fix whose lines an earlier accepted fix
rewrote, or whose output does not compile, is left out and reported. Files are written
atomically by `apply/writer.py`.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import click

from fastapi_fixer.engine import FixFailure, _edit_key, apply_rule_fix
from fastapi_fixer.models import Diagnostic, Edit, RunResult, Span
from fastapi_fixer.reporting.fixes import FixPreview, current_texts, split_lines
from fastapi_fixer.reporting.formats import preview_for
from fastapi_fixer.rule import FixContext

if TYPE_CHECKING:
    from fastapi_fixer.engine import Engine

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
CHOICES = ("y", "n", "a", "f", "d", "q")
MAX_ATTEMPTS = 10
STDIN_VARIABLE = "FASTAPI_FIX_INTERACTIVE_STDIN"
HELP = """\
y - apply this fix
n - skip this fix
a - apply this fix and every later fix of the same rule ({code})
f - apply this fix and every later fix in this file
d - skip this fix and every later fix in this file
q - stop asking; the fixes accepted so far are applied
? - print this help
(Ctrl-C aborts: nothing is written.)"""


class NoTerminal(Exception):
    """`--interactive` needs a terminal to ask on."""


def ensure_terminal() -> None:
    """Raise NoTerminal when the answers cannot come from a terminal (and no script is asked
    to give them)."""
    if os.environ.get(STDIN_VARIABLE):
        return
    if not sys.stdin.isatty():
        raise NoTerminal(
            "--interactive asks on a terminal, and stdin is not one; "
            "`--diff` shows every pending fix, `--select CODE` chooses the rules to fix"
        )


@dataclass
class Outcome:
    texts: dict[str, str]  # path -> new text (changed files only)
    applied: list[Diagnostic]
    left_out: list[tuple[Diagnostic, str]]  # accepted but not applied, with the reason


def _render_diff(text: str, color: bool) -> None:
    if color:
        from rich.syntax import Syntax

        from fastapi_fixer.reporting.console import styled_console

        styled_console().print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))
    else:
        click.echo(text, nl=False)


def _ask(diagnostic: Diagnostic) -> str:
    """One key; ``?`` prints the help and asks again, any other key says what is valid."""
    question = f"Apply this fix [{','.join(CHOICES)},?]? "
    click.echo(question, nl=False)
    while True:
        try:
            key = click.getchar()
        except EOFError:  # Ctrl-D
            key = ""
        if key in ("\r", "\n", " "):  # a line's end from a script, or a stray Enter
            continue
        click.echo(key)
        if not key:  # end of input
            return "q"
        key = key.lower()
        if key in CHOICES:
            return key
        if key == "?":
            click.echo(HELP.format(code=diagnostic.code))
        else:
            click.echo(f"Error: '{key}' is not one of {', '.join(CHOICES)}; ? for help")
        click.echo(question, nl=False)


def choose(
    pending: list[Diagnostic], preview: FixPreview, color: bool, unsafe_fixes: bool
) -> list[Diagnostic]:
    """Ask about each pending fix; returns the accepted ones."""
    from fastapi_fixer.registry import all_rules
    from fastapi_fixer.reporting.console import chain_trace, concise_line, shows_chain
    from fastapi_fixer.reporting.ruledocs import why

    accepted: list[Diagnostic] = []
    accept_all: set[str] = set()  # rules answered `a`
    accept_files: set[str] = set()  # files answered `f`
    skip_files: set[str] = set()  # files answered `d`

    def line(diagnostic: Diagnostic) -> str:
        return concise_line(diagnostic, unsafe_fixes, color)

    for number, diagnostic in enumerate(pending, 1):
        diff = preview.diff(diagnostic)
        if not diff:
            outcome = preview.apply(diagnostic)
            reason = outcome.reason if isinstance(outcome, FixFailure) else "it changes nothing"
            click.echo(f"Skipped {line(diagnostic)}: {reason}", color=color)
            continue
        if diagnostic.path in skip_files and diagnostic.code not in accept_all:
            click.echo(f"Skipped {line(diagnostic)}", color=color)
            continue
        if diagnostic.code in accept_all or diagnostic.path in accept_files:
            accepted.append(diagnostic)
            click.echo(f"Accepted {line(diagnostic)}", color=color)
            continue
        rule = all_rules()[diagnostic.code]
        header = f"[{number}/{len(pending)}] {line(diagnostic)}"
        click.echo(f"\n{header}", color=color)
        if shows_chain(diagnostic):
            click.echo("Call chain:")
            click.echo("\n".join(chain_trace(diagnostic.chain, "  ")))
        reason = why(rule)
        if reason:
            click.echo(f"Why: {reason}")
        assert diagnostic.fix is not None
        click.echo(f"Fix ({diagnostic.fix.safety.value}): {diagnostic.fix.title}")
        _render_diff(diff, color)
        if diff.count("\n") + 4 > shutil.get_terminal_size().lines:
            # the header scrolled away: say again what the question is about
            click.echo(header, color=color)
        answer = _ask(diagnostic)
        if answer == "q":
            # "all of this rule" and "all in this file" still hold for the fixes not shown yet
            accepted.extend(
                later
                for later in pending[number:]
                if (later.code in accept_all or later.path in accept_files) and preview.diff(later)
            )
            break
        if answer == "a":
            accept_all.add(diagnostic.code)
        elif answer == "f":
            accept_files.add(diagnostic.path)
        elif answer == "d":
            skip_files.add(diagnostic.path)
        if answer in ("y", "a", "f"):
            accepted.append(diagnostic)
    return accepted


def _line_map(before: str, after: str) -> dict[int, int]:
    """Line of ``before`` -> the same, unchanged line in ``after`` (1-based)."""
    matcher = difflib.SequenceMatcher(None, split_lines(before), split_lines(after), False)
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                mapping[i1 + offset + 1] = j1 + offset + 1
    return mapping


def _moved(edit: Edit, mapping: dict[int, int]) -> Edit | None:
    """The edit with its span on the new lines; None when its lines were rewritten."""
    span = edit.span
    if span is None:
        return edit
    lines = range(span.line, span.end_line + 1)
    if any(line not in mapping for line in lines):
        return None
    if any(mapping[line] - line != mapping[span.line] - span.line for line in lines):
        return None
    return replace(
        edit, span=Span(mapping[span.line], span.col, mapping[span.end_line], span.end_col)
    )


def apply_accepted(
    accepted: list[Diagnostic], preview: FixPreview, originals: dict[str, str]
) -> Outcome:
    """Apply the accepted fixes, rule by rule and file by file. A fix of a rule that fails on a
    file is left out with every other accepted fix of that rule touching the file (their edits
    cannot be told apart), and the rest is applied again from the original texts."""
    from fastapi_fixer.registry import all_rules

    left_out: dict[int, tuple[Diagnostic, str]] = {}
    texts: dict[str, str] = {}
    for _ in range(MAX_ATTEMPTS):
        chosen = [d for d in accepted if id(d) not in left_out]
        texts = dict(originals)
        failed: list[tuple[str, str, str]] = []
        by_rule: dict[str, dict[str, set[Edit]]] = defaultdict(lambda: defaultdict(set))
        for diagnostic in chosen:
            assert diagnostic.fix is not None
            for edit in diagnostic.fix.edits:
                by_rule[diagnostic.code][edit.path].add(edit)
        for code in sorted(by_rule):
            rule = all_rules()[code]
            for path, edits in sorted(by_rule[code].items()):
                if path not in texts:
                    failed.append((code, path, "fix targets a file that was not analysed"))
                    continue
                mapping = _line_map(originals[path], texts[path])
                moved = [_moved(edit, mapping) for edit in sorted(edits, key=_edit_key)]
                if any(edit is None for edit in moved):
                    failed.append((code, path, "an earlier accepted fix rewrote its lines"))
                    continue
                context = FixContext(path, preview._module(path), preview.index, preview.settings)
                new = apply_rule_fix(rule, texts[path], moved, context)  # type: ignore[arg-type]
                if isinstance(new, FixFailure):
                    failed.append((code, path, new.reason))
                elif new == texts[path]:
                    failed.append((code, path, "fix changed nothing"))
                else:
                    texts[path] = new
        if not failed:
            break
        for code, path, reason in failed:
            for diagnostic in chosen:
                assert diagnostic.fix is not None
                if diagnostic.code == code and path in diagnostic.fix.paths:
                    left_out[id(diagnostic)] = (diagnostic, reason)
    applied = [d for d in accepted if id(d) not in left_out]
    changed = {path: text for path, text in texts.items() if text != originals[path]}
    return Outcome(changed, applied, list(left_out.values()))


def review(engine: Engine, result: RunResult, color: bool) -> int:
    """The interactive session over a check run's results; returns the exit code."""
    from fastapi_fixer.apply.writer import write_fixes
    from fastapi_fixer.reporting.console import concise_line, print_errors

    unsafe = engine.settings.unsafe_fixes
    originals = current_texts(result)
    preview = preview_for(engine, result)  # cut from one fix pass per file
    # findings that share one fix (a function made plain `def`) are reviewed once
    pending: list[Diagnostic] = []
    seen: set[object] = set()
    for diagnostic in result.diagnostics:
        if engine.allowed(diagnostic.fix) and diagnostic.fix not in seen:
            seen.add(diagnostic.fix)
            pending.append(diagnostic)
    if not pending:
        click.echo("No fixes to review.")
    accepted = choose(pending, preview, color, unsafe) if pending else []
    outcome = apply_accepted(accepted, preview, originals)
    for diagnostic, reason in outcome.left_out:
        click.echo(f"Not applied: {concise_line(diagnostic, unsafe)}: {reason}")
    result.fixed = dict(outcome.texts)
    written = write_fixes(result)
    for path in written:
        click.echo(f"Fixed {path}")
    fixed = {d.fix for d in outcome.applied}
    left = sum(1 for d in result.diagnostics if d.fix not in fixed)
    fixes = "fix" if len(outcome.applied) == 1 else "fixes"
    click.echo(
        f"{len(outcome.applied)} {fixes} applied in {len(written)} "
        f"file{'' if len(written) == 1 else 's'}; {left} finding{'' if left == 1 else 's'} left."
    )
    print_errors(result)
    if result.errors or outcome.left_out:
        return EXIT_ERROR
    return EXIT_FINDINGS if left else EXIT_CLEAN
