"""`--output-format github`: GitHub Actions workflow commands, shown as annotations on the diff.

`::error file=app/main.py,line=9,col=5,endLine=9,endColumn=18,title=FF101
(blocking-call-in-async)::Blocking call ...` — warning and notice for the lower severities. A
finding whose call chain (FF101-FF103) passes through another function has it in the message,
below the first line: one `path:row:col  name` line per hop, from the async entry point to the
blocking call.
"""

from __future__ import annotations

import dataclasses

from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.reporting.console import chain_trace, shows_chain
from fastapi_fixer.reporting.sarif import relative_path

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def line(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    properties = {
        "file": relative_path(diagnostic.path) or diagnostic.path,
        "line": str(span.line),
        "col": str(span.col + 1),
        "endLine": str(span.end_line),
        "endColumn": str(span.end_col + 1),
        "title": f"{diagnostic.code} ({diagnostic.name})",
    }
    joined = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{COMMANDS[diagnostic.severity]} {joined}::{_escape_data(message(diagnostic))}"


def message(diagnostic: Diagnostic) -> str:
    """The annotation's text: the finding's message, then its call chain if it has one."""
    if not shows_chain(diagnostic):
        return diagnostic.message
    hops = tuple(
        dataclasses.replace(hop, path=relative_path(hop.path) or hop.path)
        for hop in diagnostic.chain
    )
    return "\n".join([diagnostic.message, "Call chain:", *chain_trace(hops, "  ")])


def render(diagnostics: list[Diagnostic]) -> str:
    return "".join(line(diagnostic) + "\n" for diagnostic in diagnostics)
