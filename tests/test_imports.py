"""fixing/imports: where a fix's new import lands, what it reuses, what removal takes away.

Every case also runs ruff's isort check (`I001`, with the same options) on the input and the
output: a file that was sorted stays sorted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from fastapi_fixer.fixing.imports import ImportClash, add_imports, remove_unused_imports
from fastapi_fixer.fixing.project_style import ImportStyle, ProjectStyle


def _ruff() -> str:
    found = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(found).exists():  # pragma: no cover - ruff comes with the test extras
        pytest.fail("ruff is not installed (it is part of the test extras)")
    return found


def isort_clean(tmp_path: Path, code: str, *options: str) -> bool:
    folder = tmp_path / f"ruff{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "module.py").write_text(code)
    config = [part for option in options for part in ("--config", option)]
    result = subprocess.run(
        [_ruff(), "check", "--isolated", "--select", "I001", *config, "module.py"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    return result.returncode == 0


def added(source: str, imports, style: ProjectStyle | None = None, first_party=None) -> str:
    return add_imports(cst.parse_module(source), imports, style, first_party).code


def removed(source: str, candidates) -> str:
    return remove_unused_imports(cst.parse_module(source), candidates).code


def check(tmp_path: Path, before: str, after: str, expected: str, *ruff_options: str) -> None:
    assert after == expected
    assert isort_clean(tmp_path, before, *ruff_options), "the input must be isort-clean"
    assert isort_clean(tmp_path, after, *ruff_options), "the output is not isort-clean"


def style(line_length: int = 88, **options) -> ProjectStyle:
    return ProjectStyle(root="", line_length=line_length, imports=ImportStyle(**options))


# --- new statements: their section, their place ---------------------------------------------


def test_stdlib_import_opens_its_own_section_above_third_party(tmp_path: Path) -> None:
    before = "import fastapi\nfrom pydantic import BaseModel\n\n\ndef f():\n    pass\n"
    after = added(before, [("typing", "Any")])
    expected = (
        "from typing import Any\n\n"
        "import fastapi\nfrom pydantic import BaseModel\n\n\ndef f():\n    pass\n"
    )
    check(tmp_path, before, after, expected)


def test_third_party_import_goes_above_the_relative_ones(tmp_path: Path) -> None:
    before = (
        "import os\n\nfrom fastapi import APIRouter\n\nfrom .models import Item\n\n"
        "router = APIRouter()\n"
    )
    after = added(before, [("fastapi.concurrency", "run_in_threadpool")])
    expected = (
        "import os\n\nfrom fastapi import APIRouter\n"
        "from fastapi.concurrency import run_in_threadpool\n\n"
        "from .models import Item\n\nrouter = APIRouter()\n"
    )
    check(tmp_path, before, after, expected)


def test_new_section_between_stdlib_and_relative(tmp_path: Path) -> None:
    before = '"""Doc."""\n\nimport os\n\nfrom .models import Item\n\nx = 1\n'
    after = added(before, [("fastapi.concurrency", "run_in_threadpool")])
    expected = (
        '"""Doc."""\n\nimport os\n\nfrom fastapi.concurrency import run_in_threadpool\n\n'
        "from .models import Item\n\nx = 1\n"
    )
    check(tmp_path, before, after, expected)


def test_straight_imports_come_before_from_imports_in_a_section(tmp_path: Path) -> None:
    before = "import subprocess\nfrom pathlib import Path\n\nimport fastapi\n"
    after = added(before, [("asyncio", None), ("time", None), ("os.path", "join")])
    expected = (
        "import asyncio\nimport subprocess\nimport time\nfrom os.path import join\n"
        "from pathlib import Path\n\nimport fastapi\n"
    )
    check(tmp_path, before, after, expected)


def test_docstring_and_future_import_stay_on_top(tmp_path: Path) -> None:
    before = '#!/usr/bin/env python\n"""Doc."""\n\nfrom __future__ import annotations\n\nx = 1\n'
    after = added(before, [("typing", "Annotated"), ("fastapi", "Depends")])
    expected = (
        '#!/usr/bin/env python\n"""Doc."""\n\nfrom __future__ import annotations\n\n'
        "from typing import Annotated\n\nfrom fastapi import Depends\n\nx = 1\n"
    )
    check(tmp_path, before, after, expected)


def test_module_without_imports_gets_them_after_its_docstring(tmp_path: Path) -> None:
    before = '"""Doc."""\n\n\ndef f():\n    pass\n'
    after = added(before, [("typing", "Any")])
    expected = '"""Doc."""\n\nfrom typing import Any\n\n\ndef f():\n    pass\n'
    check(tmp_path, before, after, expected)
    before = "# a comment\nx = 1\n"
    check(tmp_path, before, added(before, [("os", None)]), "# a comment\nimport os\n\nx = 1\n")


def test_type_checking_and_try_imports_are_not_the_place(tmp_path: Path) -> None:
    before = (
        "from typing import TYPE_CHECKING\n\n"
        "try:\n    import ujson as json\nexcept ImportError:\n    import json\n\n"
        "if TYPE_CHECKING:\n    from fastapi import Depends\n\nx = 1\n"
    )
    after = added(before, [("fastapi", "Depends"), ("typing", "Any")])
    expected = (
        "from typing import TYPE_CHECKING, Any\n\nfrom fastapi import Depends\n\n"
        "try:\n    import ujson as json\nexcept ImportError:\n    import json\n\n"
        "if TYPE_CHECKING:\n    from fastapi import Depends\n\nx = 1\n"
    )
    check(tmp_path, before, after, expected)


# --- names joining an existing from-import --------------------------------------------------


def test_name_joins_from_import_at_its_sorted_place(tmp_path: Path) -> None:
    before = "from fastapi import APIRouter, Query, status\n"
    after = added(before, [("fastapi", "Depends"), ("fastapi", "HTTP_X")])
    # order by type: CONSTANTS, Classes, functions
    expected = "from fastapi import HTTP_X, APIRouter, Depends, Query, status\n"
    check(tmp_path, before, after, expected)


def test_parenthesised_from_import_stays_one_name_per_line(tmp_path: Path) -> None:
    before = "from fastapi import (\n    APIRouter,\n    Query,  # search\n)\n"
    after = added(before, [("fastapi", "Depends"), ("fastapi", "status")])
    expected = (
        "from fastapi import (\n    APIRouter,\n    Depends,\n    Query,  # search\n"
        "    status,\n)\n"
    )
    check(tmp_path, before, after, expected)


def test_from_import_grown_past_the_line_length_is_wrapped_like_ruff(tmp_path: Path) -> None:
    before = "from fastapi import APIRouter, Query, status\n"
    after = added(before, [("fastapi", "Depends")], style(line_length=50))
    expected = "from fastapi import (\n    APIRouter,\n    Depends,\n    Query,\n    status,\n)\n"
    check(tmp_path, before, after, expected, "line-length=50")


def test_wrapping_measures_without_the_comment_and_moves_it_after_the_parenthesis(
    tmp_path: Path,
) -> None:
    before = "from fastapi import APIRouter, Query  # noqa: F401 a long comment\n"
    after = added(before, [("fastapi", "Depends")], style(line_length=50))
    expected = "from fastapi import APIRouter, Depends, Query  # noqa: F401 a long comment\n"
    check(tmp_path, before, after, expected, "line-length=50")
    before = "from fastapi import APIRouter, Body, Query  # noqa: F401\n"
    after = added(before, [("fastapi", "Depends")], style(line_length=50))
    expected = (
        "from fastapi import (  # noqa: F401\n    APIRouter,\n    Body,\n    Depends,\n"
        "    Query,\n)\n"
    )
    check(tmp_path, before, after, expected, "line-length=50")


def test_aliased_from_import_is_left_alone_without_combine_as(tmp_path: Path) -> None:
    before = "from app.db import db as database\n"
    after = added(before, [("app.db", "get_db")])
    expected = "from app.db import db as database\nfrom app.db import get_db\n"
    check(tmp_path, before, after, expected)


def test_case_sensitive_order(tmp_path: Path) -> None:
    before = "from x import A, b\n"
    insensitive = added(before, [("x", "a_b")], style(order_by_type=False))
    check(
        tmp_path, before, insensitive, "from x import A, a_b, b\n", "lint.isort.order-by-type=false"
    )
    sensitive = added(before, [("x", "B")], style(order_by_type=False, case_sensitive=True))
    check(
        tmp_path,
        before,
        sensitive,
        "from x import A, B, b\n",
        "lint.isort.order-by-type=false",
        "lint.isort.case-sensitive=true",
    )


# --- the project's isort options ------------------------------------------------------------


def test_force_single_line(tmp_path: Path) -> None:
    before = "import os\n\nfrom fastapi import APIRouter\nfrom fastapi import Query\n"
    after = added(before, [("fastapi", "Depends")], style(force_single_line=True))
    expected = (
        "import os\n\nfrom fastapi import APIRouter\nfrom fastapi import Depends\n"
        "from fastapi import Query\n"
    )
    check(tmp_path, before, after, expected, "lint.isort.force-single-line=true")


def test_force_sort_within_sections(tmp_path: Path) -> None:
    before = "import asyncio\nfrom pathlib import Path\nimport time\n"
    after = added(before, [("os", None)], style(force_sort_within_sections=True))
    expected = "import asyncio\nimport os\nfrom pathlib import Path\nimport time\n"
    check(tmp_path, before, after, expected, "lint.isort.force-sort-within-sections=true")


def test_known_first_party(tmp_path: Path) -> None:
    before = "import os\n\nfrom fastapi import Depends\n"
    after = added(before, [("myapp.db", "get_db")], style(known_first_party=("myapp",)))
    expected = "import os\n\nfrom fastapi import Depends\n\nfrom myapp.db import get_db\n"
    check(tmp_path, before, after, expected, "lint.isort.known-first-party=['myapp']")


def test_first_party_from_the_project_and_from_the_module_layout(tmp_path: Path) -> None:
    before = "from fastapi import Depends\n"
    after = added(before, [("app.db", "get_db")], first_party=lambda top: top == "app")
    expected = "from fastapi import Depends\n\nfrom app.db import get_db\n"
    check(tmp_path, before, after, expected, "lint.isort.known-first-party=['app']")
    # a group after the third-party one is the project's own, even when nobody said so
    before = "from fastapi import Depends\n\nfrom app.db import get_db\n"
    after = added(before, [("app.schemas", "User"), ("pydantic", "BaseModel")])
    expected = (
        "from fastapi import Depends\nfrom pydantic import BaseModel\n\n"
        "from app.db import get_db\nfrom app.schemas import User\n"
    )
    check(tmp_path, before, after, expected, "lint.isort.known-first-party=['app']")


# --- reuse and shadowing --------------------------------------------------------------------


def test_existing_typing_extensions_annotated_is_reused(tmp_path: Path) -> None:
    before = "from fastapi import Depends\nfrom typing_extensions import Annotated\n"
    assert added(before, [("typing", "Annotated"), ("fastapi", "Depends")]) == before
    before = "from typing import Annotated\n"
    assert added(before, [("typing_extensions", "Annotated")]) == before


def test_a_module_import_does_not_bind_the_bare_name(tmp_path: Path) -> None:
    before = "import typing\n"
    after = added(before, [("typing", "Annotated")])
    check(tmp_path, before, after, "import typing\nfrom typing import Annotated\n")


def test_a_name_bound_to_something_else_is_never_shadowed() -> None:
    with pytest.raises(ImportClash, match="already defined"):
        added("from fastapi import APIRouter\n\nDepends = object()\n", [("fastapi", "Depends")])
    with pytest.raises(ImportClash, match=r"fastapi\.params"):
        added("from fastapi.params import Depends\n", [("fastapi", "Depends")])
    with pytest.raises(ImportClash):
        added("def status():\n    pass\n", [("fastapi", "status")])
    # the same object under a re-exporting module's name is reused, not a clash
    before = "from starlette.requests import Request\n"
    assert added(before, [("fastapi", "Request")]) == before


# --- removal ------------------------------------------------------------------------------------


def test_made_unused_import_goes_and_a_used_one_stays(tmp_path: Path) -> None:
    before = (
        "import os\nimport sys\n\nfrom fastapi import Depends, HTTPException\n"
        "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    pass\n"
    )
    after = removed(
        before,
        [("fastapi", "HTTPException", None), ("pydantic", "BaseModel", None), ("os", None, None)],
    )
    expected = (
        "import sys\n\nfrom fastapi import Depends\nfrom pydantic import BaseModel\n\n\n"
        "class Item(BaseModel):\n    pass\n"
    )
    check(tmp_path, before, after, expected)


def test_a_statement_left_empty_goes_with_its_section_gap(tmp_path: Path) -> None:
    before = (
        "import os\n\n# the web framework\nfrom fastapi import Depends\n\n"
        "from .models import Item\n\nx = os.sep, Item\n"
    )
    after = removed(before, [("fastapi", "Depends", None)])
    expected = "import os\n\n# the web framework\nfrom .models import Item\n\nx = os.sep, Item\n"
    check(tmp_path, before, after, expected)
    before = "import os\n\nfrom fastapi import Depends\n\nfrom .models import Item\n\nx = Item\n"
    after = removed(before, [("fastapi", "Depends", None), ("os", None, None)])
    check(tmp_path, before, after, "from .models import Item\n\nx = Item\n")


def test_names_in_strings_and_all_count_as_used() -> None:
    before = (
        "from fastapi import Depends, Request\nfrom app import models as m\n\n"
        '__all__ = ["Depends"]\n\n\ndef f(request: "Request", x: "m.Item"):\n'
        '    """Request docs mention Depends."""\n'
    )
    candidates = [
        ("fastapi", "Depends", None),
        ("fastapi", "Request", None),
        ("app", "models", "m"),
    ]
    assert removed(before, candidates) == before
    # a docstring that only mentions the name does not keep the import
    before = 'from fastapi import Request\n\n\ndef f():\n    """The Request object."""\n'
    assert removed(before, [("fastapi", "Request", None)]) == (
        'def f():\n    """The Request object."""\n'
    )


def test_multi_line_removal_keeps_the_layout(tmp_path: Path) -> None:
    before = (
        "from fastapi import (\n    APIRouter,\n    Depends,\n    HTTPException,\n)\n\n"
        "r = APIRouter(), Depends\n"
    )
    after = removed(before, [("fastapi", "HTTPException", None)])
    expected = (
        "from fastapi import (\n    APIRouter,\n    Depends,\n)\n\nr = APIRouter(), Depends\n"
    )
    check(tmp_path, before, after, expected)


def test_an_import_inside_a_function_goes_when_unused() -> None:
    before = (
        "import os\n\n\ndef test_a():\n    from fastapi.testclient import TestClient\n\n"
        "    return os.sep\n\n\ndef test_b():\n    import json\n\n\n"
        "class C:\n    from fastapi import Depends\n\n    x = Depends\n"
    )
    after = removed(
        before,
        [
            ("fastapi.testclient", "TestClient", None),
            ("json", None, None),
            ("fastapi", "Depends", None),
        ],
    )
    expected = (
        "import os\n\n\ndef test_a():\n    return os.sep\n\n\ndef test_b():\n    pass\n\n\n"
        "class C:\n    from fastapi import Depends\n\n    x = Depends\n"
    )
    assert after == expected


def test_first_party_in_a_project_index() -> None:
    from fastapi_fixer.analysis.index import ProjectIndex
    from fastapi_fixer.fixing.imports import first_party_in

    index = ProjectIndex(catalog=None)  # type: ignore[arg-type]
    for name in ("app.main", "app.db", "worker"):
        dict.__setitem__(index.modules, name, None)
    is_first_party = first_party_in(index, "tools.cli")
    assert [is_first_party(top) for top in ("app", "worker", "tools", "fastapi")] == [
        True,
        True,
        True,
        False,
    ]
    after = added("import os\n\nimport fastapi\n", [("app.db", "get_db")], None, is_first_party)
    assert after == "import os\n\nimport fastapi\n\nfrom app.db import get_db\n"


@pytest.mark.parametrize(
    ("code", "read"),
    [
        ("d = {'status': 1}\nx = d.get('status')\n", False),  # a key, not code
        ("def f(x: 'status.Code') -> None: ...\n", True),  # a forward reference
        ("def f() -> 'list[status]': ...\n", True),
        ("y: 'status' = 1\n", True),
        ("__all__ = ['status']\n", True),
        ("from typing import cast\nz = cast('status', 1)\n", True),
        ("def f(status):\n    return status\n", False),  # the parameter, not the import
        ("def f(status):\n    return 1\nstatus.x\n", True),
        ("@app.get('/', deps=[status])\n\nasync def f():\n    pass\n", True),  # a decorator
        ("class A(\n    status.Base,\n):\n    pass\n", True),
        ("import status\nx = 1\n", False),
    ],
)
def test_names_read_from_strings_only_where_they_are_code(code: str, read: bool) -> None:
    import ast

    from fastapi_fixer.fixing.imports import names_read_shadowed
    from fastapi_fixer.fixing.pipeline import _mentions

    tree = ast.parse(code)
    assert ("status" in names_read_shadowed(tree, {"status"})) is read
    # walking only the statements where the name occurs answers the same
    mentioned = _mentions(code, tree, {"status"})
    assert names_read_shadowed(tree, {"status", "os"}, mentioned) == names_read_shadowed(
        tree, {"status", "os"}
    )
