"""The import step written as text (`fixing.head_imports`) against LibCST's
(`pipeline._imports_on`): on every head the text step answers, the same output; on the heads of
the shapes fixes meet most (a test module's imports, FF801's requests), an answer at all.

Generated heads mix plain and wrapped imports, comments (a header, between statements, after
an import), blank lines, a docstring, assignments that bind the names asked for, and the isort
options that decide placement; `HYPOTHESIS_MAX_EXAMPLES=N` runs more of them.
"""

from __future__ import annotations

import ast
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_fixer.fixing import pipeline
from fastapi_fixer.fixing.context import ImportRequests
from fastapi_fixer.fixing.head_imports import head_with_imports
from fastapi_fixer.fixing.imports import ImportClash
from fastapi_fixer.fixing.project_style import ImportStyle, ProjectStyle

_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 300))
PROPERTY = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

_IMPORTS = [
    "import os",
    "import sys",
    "import os.path",
    "import pytest",
    "import httpx",
    "import numpy as np",
    "import app.models",
    "from __future__ import annotations",
    "from typing import Annotated",
    "from typing import Any, Optional",
    "from typing_extensions import Annotated",
    "from fastapi import Depends, FastAPI",
    "from fastapi import FastAPI, status",
    "from fastapi.testclient import TestClient",
    "from starlette.testclient import TestClient",
    "from fastapi.testclient import TestClient as Client",
    "from httpx import AsyncClient",
    "from httpx import ASGITransport as Transport",
    "from contextlib import asynccontextmanager",
    "from app.main import app",
    "from app import models",
    "from . import utils",
    "from .utils import needs_py310",
    "from ..conftest import client",
    "from inline_snapshot import snapshot",
    "from dirty_equals import IsDict, IsStr",
    "from pydantic import BaseModel, Field as F",
    "from pydantic import (\n    BaseModel,\n    ConfigDict,\n)",
    "from fastapi.responses import JSONResponse  # noqa: F401",
    "from os import *",
]
_OTHERS = [
    "client = TestClient(app)",
    "app = FastAPI()",
    "AsyncClient = None",
    "pytest, status = 1, 2",
    "np: int = 1",
    "TIMEOUT = 30  # seconds",
    "DATA = {\n    'a': 1,  # one\n}",
    "pytestmark = pytest.mark.anyio",
    "x += 1",
    "if TYPE_CHECKING:\n    from app import thing",
    "print('#; \\\\')",
    "'''a\u2028b\x0bc\x1cd'''",  # `str.splitlines` splits there, `ast` does not
]
_GAPS = ["", "\n", "\n\n", "# a comment\n", "\n# a comment\n", "\n# one\n\n# two\n", "  \n"]
_ADDS = [
    ("httpx", "ASGITransport"),
    ("httpx", "AsyncClient"),
    ("pytest", None),
    ("os", None),
    ("os.path", None),
    ("typing", "Annotated"),
    ("typing", "Any"),
    ("fastapi", "status"),
    ("fastapi", "Depends"),
    ("fastapi.concurrency", "run_in_threadpool"),
    ("contextlib", "asynccontextmanager"),
    ("app.main", "app"),
    ("app", "models"),
    ("app.deps", "get_db"),
    (".utils", "needs_py310"),
    (".", "utils"),
    ("starlette.testclient", "TestClient"),
    ("pydantic", "Field"),
    ("dirty_equals", "IsList"),
    ("__future__", "annotations"),
    ("numpy", None),
    ("a_very_long_module_name.with_parts", "SomeRatherLongName"),
]
_REMOVALS = [
    ("fastapi.testclient", "TestClient", None),
    ("starlette.testclient", "TestClient", None),
    ("fastapi.testclient", "TestClient", "Client"),
    ("httpx", "AsyncClient", None),
    ("os", None, None),
    ("os.path", None, None),
    ("numpy", None, "np"),
    ("typing", "Any", None),
    ("pydantic", "BaseModel", None),
    (".utils", "needs_py310", None),
    ("fastapi", "status", None),
]


@st.composite
def heads(draw) -> str:
    text = draw(st.sampled_from(["", "# header\n", "#!/usr/bin/env python\n\n", "\n"]))
    if draw(st.booleans()):
        text += '"""Tests."""\n' + draw(st.sampled_from(_GAPS))
    count = draw(st.integers(1, 9))
    for number in range(count):
        pool = _IMPORTS if draw(st.integers(0, 4)) else _OTHERS
        text += draw(st.sampled_from(pool)) + "\n"
        if number < count - 1:
            text += draw(st.sampled_from(["", "", "", *_GAPS]))
    return text


@st.composite
def styles(draw) -> ProjectStyle:
    imports = ImportStyle(
        known_first_party=draw(st.sampled_from([(), ("app",), ("httpx",)])),
        force_single_line=draw(st.booleans()),
        combine_as_imports=draw(st.booleans()),
        case_sensitive=draw(st.booleans()),
        force_sort_within_sections=draw(st.booleans()),
        order_by_type=draw(st.booleans()),
    )
    return ProjectStyle(root="", line_length=draw(st.sampled_from([88, 40, 30])), imports=imports)


def _libcst(text, requests, style, first_party, used):
    try:
        return pipeline._imports_on(text, ast.parse(text), requests, style, first_party, None, used)
    except (ImportClash, ValueError) as exc:
        return exc


@PROPERTY
@given(
    head=heads(),
    adds=st.lists(st.sampled_from(_ADDS), max_size=4),
    removals=st.lists(st.sampled_from(_REMOVALS), max_size=3, unique=True),
    read=st.sets(st.sampled_from(["TestClient", "Client", "np", "os", "Any", "status"])),
    style=st.one_of(st.none(), styles()),
    first_party=st.sampled_from([None, frozenset(), frozenset({"dirty_equals"})]),
)
def test_the_text_step_writes_what_libcst_writes(head, adds, removals, read, style, first_party):
    try:
        tree = ast.parse(head)
    except SyntaxError:
        return
    used = set(read) if removals else None
    is_first_party = None if first_party is None else first_party.__contains__
    requests = ImportRequests(adds=list(adds), removals=list(removals))
    mine = head_with_imports(head, tree, adds, removals, style, is_first_party, used)
    if mine is not None:
        assert mine == _libcst(head, requests, style, is_first_party, used)


_TEST_HEAD = (
    "# Copyright\n\n"
    "import pytest\n"
    "from fastapi.testclient import TestClient\n"
    "from inline_snapshot import snapshot\n"
    "from pydantic import (\n    BaseModel,\n    ConfigDict,\n)\n"
    "\n"
    "from ...utils import needs_py310  # noqa\n"
    "\n"
    "# the app under test\n"
    "client = TestClient(app)\n"
)
_FF801 = [("pytest", None), ("httpx", "ASGITransport"), ("httpx", "AsyncClient")]


def test_a_test_module_head_is_answered_as_text_and_as_libcst_answers():
    tree = ast.parse(_TEST_HEAD)
    removals = [("fastapi.testclient", "TestClient", None)]
    for used in (set(), {"TestClient"}):
        requests = ImportRequests(adds=list(_FF801), removals=list(removals))
        mine = head_with_imports(_TEST_HEAD, tree, _FF801, removals, None, None, used)
        assert mine is not None
        assert mine == _libcst(_TEST_HEAD, requests, None, None, used)
    unused = head_with_imports(_TEST_HEAD, tree, _FF801, removals, None, None, set())
    assert "import pytest\nfrom httpx import ASGITransport, AsyncClient\n" in unused
    assert "TestClient\n" not in unused.split("# the app")[0]


def test_a_member_joins_a_plain_from_import_and_a_removed_statement_leaves_its_comments():
    head = (
        "import os\n"
        "\n"
        "# the client\n"
        "from fastapi.testclient import TestClient\n"
        "from httpx import AsyncClient\n"
    )
    tree = ast.parse(head)
    adds = [("httpx", "ASGITransport")]
    removals = [("fastapi.testclient", "TestClient", None)]
    requests = ImportRequests(adds=list(adds), removals=list(removals))
    mine = head_with_imports(head, tree, adds, removals, None, None, set())
    assert mine == "import os\n\n# the client\nfrom httpx import ASGITransport, AsyncClient\n"
    assert mine == _libcst(head, requests, None, None, set())


def test_steps_the_text_step_does_not_write_are_left_to_libcst():
    # an edit of a wrapped import, a long import LibCST wraps, a clash, a compound statement
    wrapped = "from pydantic import (\n    BaseModel,\n    ConfigDict,\n)\n"
    assert (
        head_with_imports(
            wrapped, ast.parse(wrapped), [("pydantic", "Field")], [], None, None, None
        )
        is None
    )
    long = "from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response\n"
    assert (
        head_with_imports(long, ast.parse(long), [("fastapi", "status")], [], None, None, None)
        is None
    )
    clash = "import os\nstatus = 1\n"
    assert (
        head_with_imports(clash, ast.parse(clash), [("fastapi", "status")], [], None, None, None)
        is None
    )
    compound = "import os\nif os.name:\n    import sys\n"
    assert (
        head_with_imports(compound, ast.parse(compound), [("json", None)], [], None, None, None)
        is None
    )
