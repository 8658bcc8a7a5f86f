"""FF101-FF103 and FF106 write their fixes as text edits too (`offload.apply_offload_text`), so
the fix pass parses no module with LibCST for them: the text must be exactly what the LibCST fix
(`offload.apply_offload_edits`) writes, with the same import requests, on every fixture and on
layouts chosen to trip it; where it cannot be sure (a parenthesized call, a comment after a
wrapped call's `(`) it declines and the LibCST fix runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fastapi_fixer.fixing import offload
from fastapi_fixer.models import Edit
from tests.harness import FIXTURES, run
from tests.test_textedit import compare_fixes, fix_edits

CODES = ("FF101", "FF102", "FF103", "FF106")

HEAD = (
    "import time\n"
    "from time import sleep as nap\n"
    "\n"
    "import requests\n"
    "from fastapi import FastAPI\n"
    "\n"
    "app = FastAPI()\n"
    "\n"
    "\n"
    "async def other():\n"
    "    return 1\n"
    "\n"
    "\n"
)

CASES = {
    # wrapped calls laid out every way: arguments on their own lines, a blank line after the
    # `(`, keywords or stars first, the object of an attribute or a subscript, a space before `(`
    "wraps": HEAD
    + '@app.get("/wraps")\n'
    + "async def wraps(url: str, args: list, kw: dict):\n"
    + "    await other()\n"
    + "    # a comment above\n"
    + "    requests.get(url)\n"
    + "    r = requests.post(url, json={})\n"
    + "    requests.get(\n"
    + "        url,\n"
    + "        timeout=1,\n"
    + "    )\n"
    + "    requests.get(\n"
    + "\n"
    + "        url, timeout=2)\n"
    + '    requests.get(url="x")\n'
    + "    requests.get(*args)\n"
    + "    requests.get(**kw)\n"
    + "    data = requests.get(url).json()\n"
    + '    item = requests.get(url)["x"]\n'
    + "    requests.get (url)\n"
    + "    return r, data, item\n",
    # `time.sleep` under a comment line, inside a list, imported under another name
    "sleeps": HEAD
    + '@app.get("/sleeps")\n'
    + "async def sleeps():\n"
    + "    await other()\n"
    + "    # before\n"
    + "    time.sleep(1)\n"
    + "    x = [time.sleep(2)]\n"
    + "    nap(3)\n"
    + "    return x\n",
    # a route that no longer awaits anything becomes a plain `def`
    "plain": HEAD
    + '@app.get("/plain")\n'
    + "async def plain(url: str):\n"
    + "    return requests.get(url).json()\n",
    # a comment after the `(` of a call to wrap: declined
    "declined": HEAD
    + '@app.get("/declined")\n'
    + "async def declined(url: str):\n"
    + "    await other()\n"
    + "    requests.get(  # a comment\n"
    + "        url\n"
    + "    )\n"
    + "    return None\n",
    # a call in an f-string (whose `ast` positions Python 3.11 may get wrong): declined
    "fstring": HEAD
    + '@app.get("/f")\n'
    + "async def f(url: str):\n"
    + "    await other()\n"
    + '    return f"{requests.get(url).text}"\n',
    # a parenthesized call: declined
    "paren": HEAD
    + '@app.get("/p")\n'
    + "async def p(url: str):\n"
    + "    await other()\n"
    + "    y = (requests.get(url))\n"
    + "    return y\n",
}


def _compare(path: str, edits: list[Edit]) -> str:
    return compare_fixes(path, edits, offload.apply_offload_edits, offload.apply_offload_text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_fix_is_the_libcst_fix(tmp_path: Path, name: str) -> None:
    (tmp_path / "main.py").write_text(CASES[name], encoding="utf-8")
    edits = fix_edits(tmp_path, "FF101")
    assert edits, "the case has a fix"
    outcomes = {_compare(path, found) for path, found in edits.items()}
    assert outcomes == ({"declined"} if name in ("declined", "fstring", "paren") else {"same"})


@pytest.mark.parametrize("code", CODES)
def test_text_fix_on_the_fixtures(tmp_path: Path, code: str) -> None:
    root = tmp_path / code
    shutil.copytree(FIXTURES / code, root, ignore=shutil.ignore_patterns("__pycache__"))
    outcomes = [_compare(path, found) for path, found in sorted(fix_edits(root, code).items())]
    assert outcomes and "same" in outcomes


def test_declined_text_fix_still_fixes(tmp_path: Path) -> None:
    """The pipeline runs the LibCST fix when the text fix declines."""
    (tmp_path / "main.py").write_text(CASES["paren"], encoding="utf-8")
    result = run(tmp_path, ["FF101"], fix=True)
    assert not result.dropped
    fixed = next(iter(result.fixed.values()))
    assert "    y = (await run_in_threadpool(requests.get, url))\n" in fixed
