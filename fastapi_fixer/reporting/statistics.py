"""`--statistics`: how many findings per code, and whether they can be fixed (ruff's shape)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from fastapi_fixer.models import Diagnostic, Fix


@dataclass(frozen=True)
class Statistic:
    code: str
    name: str
    count: int
    fixable: int  # how many of them have a fix this run would apply


def statistics(
    diagnostics: list[Diagnostic], applicable: Callable[[Fix | None], bool]
) -> list[Statistic]:
    found: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        found.setdefault(diagnostic.code, []).append(diagnostic)
    rows = [
        Statistic(code, group[0].name, len(group), sum(1 for d in group if applicable(d.fix)))
        for code, group in found.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.code))


def render_text(rows: list[Statistic]) -> str:
    if not rows:
        return ""
    count_width = max(len(str(row.count)) for row in rows)
    code_width = max(len(row.code) for row in rows)
    return "".join(
        f"{row.count:>{count_width}}\t{row.code:<{code_width}}\t"
        f"{'[*]' if row.fixable else '[ ]'} {row.name}\n"
        for row in rows
    )


def render_json(rows: list[Statistic]) -> str:
    items = [
        {
            "code": row.code,
            "name": row.name,
            "count": row.count,
            "fixable": row.fixable > 0,
            "fixable_count": row.fixable,
        }
        for row in rows
    ]
    return json.dumps(items, indent=2) + "\n"
