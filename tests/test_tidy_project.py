"""The fix pipeline's tidy step end to end (issue 14): `tests/projects/tidy`, a small project
(line length 79, `requires-python >= 3.10`) whose files each trigger real rules' fixes that
exercise one case of the import placement or the layout. One engine run fixes the whole
project; each changed file's `--diff` (with the rules named in every hunk header) is a snapshot
in `snapshots/test_tidy_project/`, and every case also asserts the line that shows it.

1. a new isort section: `new_section.py` (the first `typing` import above third party and
   first party), `new_section_middle.py` (the first third-party import between the standard
   library and first party);
2. a name joins an existing from-import at its sorted place: `joins_import.py`,
   `joins_parenthesised.py` (one name per line, magic trailing comma kept),
   `joins_and_wraps.py` (the grown line passes 79: wrapped one name per line, as isort does);
3. reuse: `reuses_import.py` (`from typing_extensions import Annotated` and
   `from starlette.concurrency import run_in_threadpool` serve, as does `import asyncio`,
   which FF101 asks for every time; nothing is imported twice, and `time` goes);
4. removal of what the fix made unused: `removes_unused.py` (`import time`),
   `removes_unused_name.py` (one name of a from-import; the provider goes into `base.py`),
   `removes_unused_module.py` (`import app.base as search`, read as `search.client`),
   `removes_unused_relative.py` (`client` leaves `from .base import client, page_size`, which
   the provider's import joins),
   `keeps_used.py` (`time` is still read: it stays);
5. shadowing avoided: `shadow.py` (`lifespan` is a module global: FF706 names its lifespan
   `app_lifespan`);
6. the line-length wrap: `wrap_clean.py` (formatter-clean: the signature is laid out as
   `ruff format` does), `wrap_unclean.py` (not clean: only the changed statement moves, its
   quotes kept, the rest of the file untouched), `wrap_keyword.py` (a `description="..."`
   pushed past 79 goes into parentheses one level deeper);
7. three rules in one pass: `three_rules.py` (FF101, FF301, FF303 sharing the import block;
   `Annotated`, asked by two rules, is imported once). `tests/test_fix_pipeline.py`'s
   `test_three_rules_fix_one_file_in_one_round` snapshots another trio (FF101, FF303, FF706).

For the whole run: one round, the fixed project is clean on a second run, every fixed file
parses, and `ruff check --select I001,E501,F401,F811,F821,F841` and `ruff format --check`
(the project's own settings, `scripts/fix_quality.py`'s measure) find nothing new.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastapi_fixer.apply.writer import write_fixes
from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.models import RunResult
from fastapi_fixer.reporting.console import unified_diff
from fastapi_fixer.settings import Settings
from tests.test_fix_quality import RUFF, fq

pytestmark = pytest.mark.skipif(RUFF is None, reason="ruff is not installed")

PROJECT = Path(__file__).resolve().parent / "projects" / "tidy"
SELECT = ("FF101", "FF301", "FF303", "FF706")

# changed file -> (the rules named in its diff, lines of the fixed text that show the case)
CASES: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "app/new_section.py": ({"FF303"}, ("from typing import Annotated\n\nfrom fastapi import",)),
    "app/new_section_middle.py": (
        {"FF101"},
        (
            "from pathlib import Path\n\nfrom fastapi.concurrency import run_in_threadpool\n\n"
            "from app.base import audit, router\n",
        ),
    ),
    "app/joins_import.py": (
        {"FF301"},
        ("\nfrom fastapi import APIRouter, Depends, Query\n",),
    ),
    "app/joins_parenthesised.py": (
        {"FF301"},
        (
            "from fastapi import (\n"
            "    APIRouter,\n    Depends,\n    HTTPException,\n    Query,\n)\n",
        ),
    ),
    "app/joins_and_wraps.py": (
        {"FF301"},
        (
            "from fastapi import (\n    APIRouter,\n    BackgroundTasks,\n    Depends,\n"
            "    HTTPException,\n    Query,\n    status,\n)\n",
        ),
    ),
    "app/reuses_import.py": (
        {"FF101", "FF303"},
        (
            "import asyncio\nfrom pathlib import Path\n\n"
            "from fastapi import APIRouter, Header\n"
            "from starlette.concurrency import run_in_threadpool\n"
            "from typing_extensions import Annotated\n\nfrom app.base import audit\n\n",
            '"text": await run_in_threadpool(Path("motd.txt").read_text),',
        ),
    ),
    "app/removes_unused.py": ({"FF101"}, ("import asyncio\n\nfrom fastapi import APIRouter\n",)),
    "app/removes_unused_name.py": (
        {"FF301"},
        ("\nfrom app.base import get_client, page_size\n",),
    ),
    "app/removes_unused_module.py": (
        {"FF301"},
        (
            "from httpx import AsyncClient\n\nfrom app.base import get_client\n\n"
            "router = APIRouter()\n",
        ),
    ),
    "app/removes_unused_relative.py": (
        {"FF301"},
        ("from httpx import AsyncClient\n\nfrom .base import get_client, page_size\n\n",),
    ),
    "app/base.py": ({"FF301"}, ("\n\n\nasync def get_client() -> httpx.AsyncClient:\n",)),
    "app/keeps_used.py": ({"FF101"}, ("import asyncio\nimport time\n\nfrom fastapi",)),
    "app/shadow.py": (
        {"FF706"},
        (
            "lifespan = timedelta(hours=8)  # how long a session lives\n",
            "async def app_lifespan(app: FastAPI):\n",
            "app = FastAPI(lifespan=app_lifespan)\n",
        ),
    ),
    "app/wrap_clean.py": (
        {"FF303"},
        (
            # 80 characters on one line: over the project's 79, under ruff's default 88
            "async def list_orders_by_status(\n"
            '    order_status: Annotated[str, Query()] = "open",\n'
            "):\n",
        ),
    ),
    "app/wrap_keyword.py": (
        {"FF303"},
        (
            # `description="..."` fit at 79 where the project wrote it; one level deeper in
            # `Annotated` it does not: the literal goes into parentheses, as ruff keeps it
            "            description=(\n"
            '                "Only the orders in this state; the open ones come first."\n'
            "            ),\n",
        ),
    ),
    "app/wrap_strings.py": (
        {"FF303"},
        (
            # the description's literals, one level deeper in `Annotated`, flowed again within
            # the project's 79 (no formatter splits a string)
            '                "Words to look for in the notes of an order. Each of the "\n'
            '                "words must be non-empty. When combined with `status`, both "\n'
            '                "must match."\n',
        ),
    ),
    "app/wrap_unclean.py": (
        {"FF303"},
        (
            "@router.get('/invoices')\nasync def list_invoices_by_status(\n"
            "    order_status: Annotated[str, Query()] = 'open',\n"
            "):\n",
            "\n\nPAGES = {'first':1, 'last':-1}\n",
        ),
    ),
    "app/three_rules.py": (
        {"FF101", "FF301", "FF303"},
        (
            "from pathlib import Path\nfrom typing import Annotated\n\nimport httpx\n"
            "from fastapi import APIRouter, Depends, Query\n"
            "from fastapi.concurrency import run_in_threadpool\n\n",
        ),
    ),
}


@dataclass
class Run:
    before: Path  # the project as it is
    after: Path  # a copy, fixed and written
    result: RunResult
    again: RunResult  # a second run over the fixed copy
    quality: fq.ModeReport  # what ruff finds new in the fixed copy


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    scratch = tmp_path_factory.mktemp("tidy")
    before, after = scratch / "before" / "tidy", scratch / "after" / "tidy"
    for target in (before, after):
        shutil.copytree(PROJECT, target, ignore=shutil.ignore_patterns("__pycache__"))
    settings = Settings(select=SELECT)
    result = Engine(settings, Mode(fix=True, jobs=1)).run([str(after)])
    assert not result.errors and not result.dropped, (result.errors, result.dropped)
    write_fixes(result)
    again = Engine(settings, Mode(fix=True, jobs=1)).run([str(after)])
    setup = fq.RuffSetup.for_project(before, RUFF)
    assert setup.described == "project's pyproject.toml"
    quality = fq.ModeReport("safe")
    fq.compare(
        fq.snapshot(before),
        fq.snapshot(after),
        fq.RuffState.of(before, setup),
        fq.RuffState.of(after, setup),
        quality,
    )
    return Run(before, after, result, again, quality)


def test_every_case_is_fixed_in_one_round_and_a_second_run_changes_nothing(run: Run) -> None:
    changed = sorted(Path(p).relative_to(run.after).as_posix() for p in run.result.fixed)
    assert changed == sorted(CASES)
    assert run.result.stats["fix_rounds"] == 1
    assert not run.again.fixed and not run.again.applied
    assert not [d for d in run.again.diagnostics if d.fix is not None]


def test_ruff_finds_nothing_new_and_clean_files_stay_clean(run: Run) -> None:
    quality = run.quality
    assert quality.files_changed == len(CASES) and quality.files_created == 0
    assert quality.new_findings == [] and quality.new_total == 0
    assert quality.unparseable == []
    assert quality.made_unclean == []
    # every changed file but wrap_unclean.py was formatter-clean, and still is
    assert quality.changed_clean_before == len(CASES) - 1


@pytest.mark.parametrize("name", sorted(CASES), ids=lambda name: Path(name).stem)
def test_tidy_case(run: Run, name: str, snapshot_text) -> None:
    codes, shown = CASES[name]
    old = (run.before / name).read_text(encoding="utf-8")
    new = (run.after / name).read_text(encoding="utf-8")
    compile(new, name, "exec", dont_inherit=True)
    for fragment in shown:
        assert fragment in new, f"{name} lacks {fragment!r}:\n{new}"
    diff = unified_diff(name, old, new, run.result.provenance[str(run.after / name)])
    headers = [line.split("@@")[-1] for line in diff.splitlines() if line.startswith("@@")]
    assert {code for header in headers for code in header.replace(",", " ").split()} == codes
    assert diff == snapshot_text
