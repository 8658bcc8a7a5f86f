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


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(code.startswith(selector.strip().upper()) for selector in selectors if selector)


def select_rules(
    select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str] = ()
) -> list[type[Rule]]:
    """ruff's semantics: a rule runs when a selector (a code or a prefix) selects it and no
    ignore does. Rules off by default run only when selected by their full code."""
    select, ignore, extend_select = list(select), list(ignore), list(extend_select)
    chosen = []
    for code, rule in all_rules().items():
        explicit = code in {s.strip().upper() for s in [*select, *extend_select]}
        selected = _matches(code, [*select, *extend_select])
        if not selected or (_matches(code, ignore) and not explicit):
            continue
        if not rule.DEFAULT_ENABLED and not explicit:
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
