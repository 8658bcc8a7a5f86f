"""Extra per-module facts for rules that need more than `facts.py` gathers.

Each module here defines ``KEY: str`` and ``collect(tree, facts, resolver, own) -> object``; its
result is stored as ``facts.extra[KEY]`` (plain, picklable data) and reaches every rule through
the project index (``index.modules[name].extra[KEY]``). ``own`` (an
`fastapi_fixer.analysis.astwalk.OwnNodes`) gives each body's own nodes as the analysis already
walked them: collectors use it rather than walking the same scopes again. Found once by
importing this package's modules, as rules are.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def all_collectors() -> tuple[tuple[str, Callable[..., Any]], ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append((module.KEY, module.collect))
    return tuple(sorted(found, key=lambda item: item[0]))
