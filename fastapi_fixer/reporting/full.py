"""`--output-format full`: each finding with a frame of its source lines, its call chain (FF101-
FF103, when it passes through another function: one `path:row:col  name` line per hop, from the
async entry point to the blocking call) and its fix as a diff."""

from __future__ import annotations

from fastapi_fixer.models import Diagnostic, FixSafety
from fastapi_fixer.reporting.console import chain_trace, shows_chain
from fastapi_fixer.reporting.fixes import FixPreview, split_lines

CONTEXT_LINES = 2
MAX_SPAN_LINES = 8


def _fixable_marker(diagnostic: Diagnostic, unsafe_fixes: bool) -> str:
    fix = diagnostic.fix
    if fix is None or fix.safety is FixSafety.NONE:
        return ""
    return "[*] " if fix.safety is FixSafety.SAFE or unsafe_fixes else "[-] "


def code_frame(text: str, diagnostic: Diagnostic) -> str:
    """The finding's lines with line numbers, two lines around, and a caret underline."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    span = diagnostic.span
    last = min(span.end_line, span.line + MAX_SPAN_LINES - 1)
    first_shown = max(1, span.line - CONTEXT_LINES)
    last_shown = min(len(lines), last + CONTEXT_LINES)
    width = len(str(last_shown))
    gutter = " " * width + " |"
    out = [gutter]
    for number in range(first_shown, last_shown + 1):
        line = lines[number - 1].expandtabs(1)
        out.append(f"{number:>{width}} | {line}".rstrip())
        if number == span.line:
            end = span.end_col if span.end_line == span.line else len(line)
            carets = "^" * max(1, end - span.col)
            out.append(f"{gutter} {' ' * span.col}{carets} {diagnostic.code}")
        elif span.line < number <= last:
            indent = len(line) - len(line.lstrip())
            end = span.end_col if number == span.end_line else len(line)
            if end > indent:
                out.append(f"{gutter} {' ' * indent}{'^' * (end - indent)}")
    if last < span.end_line:
        out.append(f"{gutter} ... ({span.end_line - last} more lines)")
    out.append(gutter)
    return "\n".join(out) + "\n"


def render(
    diagnostics: list[Diagnostic],
    texts: dict[str, str],
    preview: FixPreview | None,
    unsafe_fixes: bool,
) -> str:
    blocks = []
    for diagnostic in diagnostics:
        span = diagnostic.span
        block = [
            f"{diagnostic.path}:{span.line}:{span.col + 1}: {diagnostic.code} "
            f"{_fixable_marker(diagnostic, unsafe_fixes)}{diagnostic.message}\n"
        ]
        if diagnostic.path in texts:
            block.append(code_frame(texts[diagnostic.path], diagnostic))
        if shows_chain(diagnostic):
            block.append("  = note: call chain from the async entry point:\n")
            block.extend(line + "\n" for line in chain_trace(diagnostic.chain))
        if diagnostic.more_sinks:
            block.append("  = note: other blocking calls behind the same call:\n")
            block.extend(line + "\n" for line in chain_trace(diagnostic.more_sinks))
        fix = diagnostic.fix
        if fix is not None and fix.safety is not FixSafety.NONE:
            block.append(f"  = help: {fix.title}\n")
            diff = preview.diff(diagnostic, context=1) if preview is not None else None
            if diff:
                label = "Safe fix" if fix.safety is FixSafety.SAFE else "Unsafe fix"
                block.append(f"\n  {label}\n")
                block.extend(f"  {line}\n" for line in diff.splitlines())
        blocks.append("".join(block))
    return "\n".join(blocks)
