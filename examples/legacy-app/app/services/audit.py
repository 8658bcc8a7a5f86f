"""Writes an audit trail to a local file (blocking I/O)."""

import os
import tempfile

AUDIT_LOG = os.environ.get("AUDIT_LOG", os.path.join(tempfile.gettempdir(), "legacy-audit.log"))


def record(event: str) -> None:
    append_line(event)


def append_line(line: str) -> None:
    with open(AUDIT_LOG, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
