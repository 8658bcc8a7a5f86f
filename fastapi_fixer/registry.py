"""Every rule, found once by importing each module of `fastapi_fixer.codemods`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from fastapi_fixer import codemods
from fastapi_fixer.rule import Rule


@cache
def all_rules() -> dict[str, type[Rule]]:
    """Rule classes by code, in code order. A code registered twice is a programming error."""
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(codemods.__path__):
        module = importlib.import_module(f"{codemods.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                if value.CODE in found:
                    raise RuntimeError(f"rule code {value.CODE} is registered twice")
                found[value.CODE] = value
    return dict(sorted(found.items()))


def _specificity(code: str, selectors: Iterable[str]) -> int:
    """The length of the longest selector that selects ``code`` (0: none does)."""
    return max(
        (len(s) for s in (x.strip().upper() for x in selectors) if s and code.startswith(s)),
        default=0,
    )


def select_rules(
    select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str] = ()
) -> list[type[Rule]]:
    """ruff's semantics: a rule runs when a selector (a code or a prefix) selects it and no
    ignore at least as specific does (`--select FF101 --ignore FF1` runs FF101; `--select FF1
    --ignore FF101` does not). Rules off by default run only when selected by their full code."""
    chosen_selectors = [*select, *extend_select]
    chosen_selectors = ["FF" if s.strip().upper() == "ALL" else s for s in chosen_selectors]
    ignore = list(ignore)
    chosen = []
    for code, rule in all_rules().items():
        selected = _specificity(code, chosen_selectors)
        if not selected or _specificity(code, ignore) >= selected:
            continue
        if not rule.DEFAULT_ENABLED and selected < len(code):
            continue
        chosen.append(rule)
    return chosen


def unknown_selectors(selectors: Iterable[str]) -> list[str]:
    codes = list(all_rules())
    return [
        s
        for s in selectors
        if s and not any(code.startswith(s.strip().upper()) for code in codes) and s != "ALL"
    ]
