"""Audit trail: a plain, blocking helper (imagine a synchronous log shipper)."""

from __future__ import annotations

import time

AUDIT_LOG: list[str] = []


def record(event: str) -> None:
    time.sleep(0)  # stands in for a blocking write
    AUDIT_LOG.append(event)
