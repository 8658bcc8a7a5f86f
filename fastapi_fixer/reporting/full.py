"""`--output-format full`: each finding with a frame of its source lines, its call chain (FF101-
FF103, when it passes through another function: one `path:row:col  name` line per hop, from the
async entry point to the blocking call) and its fix as a diff."""

from __future__ import annotations

from fastapi_fixer.models import Diagnostic, FixSafety, Severity
from fastapi_fixer.reporting.console import (
    Style,
    chain_trace,
    concise_line,
    paint,
    shows_chain,
)
from fastapi_fixer.reporting.fixes import FixPreview, split_lines

CONTEXT_LINES = 2
MAX_SPAN_LINES = 8
# ruff's styles in `full` output: the gutter bold bright blue, carets bold bright red, `help`
# bold bright cyan, removed lines red and added lines green
GUTTER: Style = ("1", "94")
CARETS: Style = ("1", "91")
HELP: Style = ("1", "96")
REMOVED: Style = ("31",)
ADDED: Style = ("32",)
SEVERITY_STYLE: dict[Severity, Style] = {
    Severity.ERROR: CARETS,
    Severity.WARNING: ("1", "93"),
    Severity.INFO: HELP,
}


def code_frame(text: str, diagnostic: Diagnostic, color: bool = False) -> str:
    """The finding's lines with line numbers, two lines around, and a caret underline."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    span = diagnostic.span
    last = min(span.end_line, span.line + MAX_SPAN_LINES - 1)
    first_shown = max(1, span.line - CONTEXT_LINES)
    last_shown = min(len(lines), last + CONTEXT_LINES)
    width = len(str(last_shown))
    gutter = " " * width + " " + paint("|", GUTTER, color)
    out = [gutter]
    for number in range(first_shown, last_shown + 1):
        line = lines[number - 1].expandtabs(1)
        numbered = paint(f"{number:>{width}}", GUTTER, color)
        out.append(f"{numbered} {paint('|', GUTTER, color)} {line}".rstrip())
        if number == span.line:
            end = span.end_col if span.end_line == span.line else len(line)
            carets = paint("^" * max(1, end - span.col), CARETS, color)
            out.append(f"{gutter} {' ' * span.col}{carets} {diagnostic.code}")
        elif span.line < number <= last:
            indent = len(line) - len(line.lstrip())
            end = span.end_col if number == span.end_line else len(line)
            if end > indent:
                out.append(f"{gutter} {' ' * indent}{paint('^' * (end - indent), CARETS, color)}")
    if last < span.end_line:
        out.append(f"{gutter} ... ({span.end_line - last} more lines)")
    out.append(gutter)
    return "\n".join(out) + "\n"


def _diff_line(line: str, color: bool) -> str:
    if line.startswith("-") and not line.startswith("---"):
        return paint(line, REMOVED, color)
    if line.startswith("+") and not line.startswith("+++"):
        return paint(line, ADDED, color)
    return line


def render(
    diagnostics: list[Diagnostic],
    texts: dict[str, str],
    preview: FixPreview | None,
    unsafe_fixes: bool,
    color: bool = False,
) -> str:
    blocks = []
    for diagnostic in diagnostics:
        block = [concise_line(diagnostic, unsafe_fixes, color) + "\n"]
        if diagnostic.path in texts:
            block.append(code_frame(texts[diagnostic.path], diagnostic, color))
        severity = paint(diagnostic.severity.value, SEVERITY_STYLE[diagnostic.severity], color)
        block.append(f"  = severity: {severity} ({diagnostic.name})\n")
        if shows_chain(diagnostic):
            block.append("  = note: call chain from the async entry point:\n")
            block.extend(line + "\n" for line in chain_trace(diagnostic.chain))
        if diagnostic.more_sinks:
            block.append("  = note: other blocking calls behind the same call:\n")
            block.extend(line + "\n" for line in chain_trace(diagnostic.more_sinks))
        fix = diagnostic.fix
        if fix is not None and fix.safety is not FixSafety.NONE:
            block.append(f"  = {paint('help', HELP, color)}: {fix.title}\n")
            diff = preview.diff(diagnostic, context=1) if preview is not None else None
            if diff:
                label = "Safe fix" if fix.safety is FixSafety.SAFE else "Unsafe fix"
                block.append(f"\n  {label}\n")
                block.extend(f"  {_diff_line(line, color)}\n" for line in diff.splitlines())
        blocks.append("".join(block))
    return "\n".join(blocks)
