"""What kind of file a path is, by name alone (shared by the rules that skip tests)."""

from __future__ import annotations

import re

_TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")


def is_test_path(path: str) -> bool:
    """A test module: under a `tests/`, `test/` or `testing/` folder, or named `test_*.py`,
    `*_test.py` or `conftest.py`."""
    return bool(_TEST_FILE.search(path.replace("\\", "/")))


_EXAMPLE_DIR = re.compile(r"(^|/)(docs_src|docs|examples?|tutorials?)/")


def is_example_path(path: str) -> bool:
    """Documentation or example code (under `docs_src/`, `docs/`, `examples/`, `tutorials/`):
    apps there illustrate a feature, nobody deploys them."""
    return bool(_EXAMPLE_DIR.search(path.replace("\\", "/")))
