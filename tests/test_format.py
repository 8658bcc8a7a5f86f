"""fixing/format: the statements a fix wrote are laid out within the project's line length by
ruff format (real ruff, no mocks), and no line the fix did not touch moves."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from fastapi_fixer.fixing import format as fmt
from fastapi_fixer.fixing import project_style
from fastapi_fixer.fixing.format import FormatUnavailable, format_report, tidy_format
from fastapi_fixer.fixing.project_style import style_for


def _project(tmp_path: Path, pyproject: str | None = None) -> Path:
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)  # the walk for configuration stops here
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    return root


def _tidy(path: Path, before: str, after: str) -> str:
    style = style_for(str(path))
    out = tidy_format(str(path), before, after, style)
    ast.parse(out)
    assert tidy_format(str(path), before, out, style) == out  # a second run changes nothing
    return out


def _ruff_clean(path: Path, text: str, *options: str) -> bool:
    done = subprocess.run(
        [fmt.ruff_binary(), "format", "--check", *options, "--stdin-filename", str(path), "-"],
        input=text.encode(),
        capture_output=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def _widths(text: str) -> list[int]:
    return [len(line) for line in text.splitlines()]


CLEAN_BEFORE = """\
from typing import Annotated

from fastapi import Depends, FastAPI

app = FastAPI()


def get_settings() -> dict[str, int]:
    return {"a": 1}


def untouched_helper(first_argument: int, second_argument: int) -> int:
    return first_argument + second_argument


@app.get("/items")
async def read_items(q: str | None = None):
    data = load(q)
    return data


def obsolete():
    pass


def also_untouched(
    value,
):
    return {"value": value}
"""

CLEAN_AFTER = """\
from typing import Annotated

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

app = FastAPI()


def get_settings() -> dict[str, int]:
    return {"a": 1}


def untouched_helper(first_argument: int, second_argument: int) -> int:
    return first_argument + second_argument


@app.get("/items")
async def read_items(settings: Annotated[dict[str, int], Depends(get_settings)], q: str | None = None):
    data = await run_in_threadpool(load_everything_from_the_database_with_a_long_name, settings, q)
    return data




def also_untouched(
    value,
):
    return {"value": value}
"""  # noqa: E501


def test_long_annotated_parameter_is_wrapped_to_the_line_length(tmp_path):
    root = _project(tmp_path)
    path = root / "app.py"
    out = _tidy(path, CLEAN_BEFORE, CLEAN_AFTER)
    assert max(_widths(out)) <= 88
    assert (
        "async def read_items(\n"
        "    settings: Annotated[dict[str, int], Depends(get_settings)], q: str | None = None\n"
        "):\n"
        "    data = await run_in_threadpool(\n"
        "        load_everything_from_the_database_with_a_long_name, settings, q\n"
        "    )\n"
    ) in out


def test_a_formatter_clean_file_stays_clean_and_untouched_lines_stay(tmp_path):
    root = _project(tmp_path, "[tool.ruff]\nline-length = 88\n")
    path = root / "app.py"
    assert _ruff_clean(path, CLEAN_BEFORE, "--isolated")
    out = _tidy(path, CLEAN_BEFORE, CLEAN_AFTER)
    assert _ruff_clean(path, out, "--isolated")
    # the blank lines a deleted function left behind are back to two; the statements the fix
    # did not touch are where they were, line for line
    untouched_top = CLEAN_AFTER.split("@app.get")[0]
    assert out.startswith(untouched_top)
    assert out.endswith(
        '    return data\n\n\ndef also_untouched(\n    value,\n):\n    return {"value": value}\n'
    )


def test_deleted_lines_in_a_clean_file_leave_it_clean(tmp_path):
    root = _project(tmp_path)
    path = root / "app.py"
    before = "import os\nimport sys\n\n\ndef f(a, b):\n    return a\n"
    after = "import os\n\n\ndef f(a, b):\n    return a\n"
    assert tidy_format(str(path), before, after, style_for(str(path))) == after


MESSY_BEFORE = """\
import os
x = {  'a':1 }

def handler(request):
    result = compute(request, 'first')
    return result

def other( a,b ):
    return call_something(a ,b)
"""

MESSY_AFTER = """\
import os
x = {  'a':1 }

async def handler(request, session: Annotated[AsyncSession, Depends(get_the_database_session)]):
    result = await run_in_threadpool(compute, request, 'first', 'a_much_longer_argument_value')
    y = [1,2]
    return result

def other( a,b ):
    return call_something(a ,b)
"""


def test_a_file_not_formatter_clean_gets_only_its_long_changed_statements_formatted(tmp_path):
    root = _project(tmp_path)
    path = root / "app.py"
    report = format_report(str(path), MESSY_BEFORE, MESSY_AFTER, style_for(str(path)))
    assert report.clean is False
    out = _tidy(path, MESSY_BEFORE, MESSY_AFTER)
    assert out == (
        "import os\n"
        "x = {  'a':1 }\n"
        "\n"
        "async def handler(\n"
        "    request, session: Annotated[AsyncSession, Depends(get_the_database_session)]\n"
        "):\n"
        "    result = await run_in_threadpool(\n"
        "        compute, request, 'first', 'a_much_longer_argument_value'\n"
        "    )\n"
        "    y = [1,2]\n"  # changed, but within the length: left as the fix wrote it
        "    return result\n"
        "\n"
        "def other( a,b ):\n"
        "    return call_something(a ,b)\n"
    )


def test_a_two_space_indented_file_keeps_its_indentation_and_other_lines(tmp_path):
    root = _project(tmp_path)
    path = root / "app.py"
    before = "async def f(x):\n  if x:\n    y = compute(x)\n    return y\n  return None\n"
    after = before.replace(
        "compute(x)",
        "await run_in_threadpool(compute_a_value_with_a_long_name, x, another_long_argument)",
    )
    assert len(after.splitlines()[2]) > 88
    out = _tidy(path, before, after)
    assert out == (
        "async def f(x):\n"
        "  if x:\n"
        "    y = await run_in_threadpool(\n"
        "      compute_a_value_with_a_long_name, x, another_long_argument\n"
        "    )\n"
        "    return y\n"
        "  return None\n"
    )


def test_line_length_from_tool_ruff(tmp_path):
    root = _project(tmp_path, "[tool.ruff]\nline-length = 100\n")
    path = root / "app.py"
    assert style_for(str(path)).line_length == 100
    before = "def f():\n    return 1\n"
    fits = "def f(first_parameter: Annotated[SomeTypeName, Depends(get_a_dependency)], query=1):\n"
    fits = fits.replace("SomeTypeName", "SomeLongerTypeName")
    assert 88 < len(fits) - 1 <= 100
    after = fits + "    return 1\n"
    assert _tidy(path, before, after) == after  # within 100: kept on one line
    longer = fits.replace("query=1", "query_parameter_name: int = 1")
    out = _tidy(path, before, longer + "    return 1\n")
    assert max(_widths(out)) <= 100 and out.count("\n") > 2


def test_line_length_from_tool_black(tmp_path):
    root = _project(tmp_path, "[tool.black]\nline-length = 70\n")
    path = root / "app.py"
    style = style_for(str(path))
    assert (style.line_length, style.formatter, style.ruff_config) == (70, "black", None)
    before = "def f():\n    return 1\n"
    after = (
        "def f(param: Annotated[SomeTypeName, Depends(get_a_dependency_value)]):\n    return 1\n"
    )
    assert 70 < len(after.splitlines()[0]) <= 88
    out = _tidy(path, before, after)
    assert out == (
        "def f(\n    param: Annotated[SomeTypeName, Depends(get_a_dependency_value)],\n):\n"
        "    return 1\n"
    )


def test_crlf_lines_stay_crlf(tmp_path):
    root = _project(tmp_path)
    path = root / "app.py"
    before = CLEAN_BEFORE.replace("\n", "\r\n")
    after = CLEAN_AFTER.replace("\n", "\r\n")
    out = _tidy(path, before, after)
    assert "\n" not in out.replace("\r\n", "")
    assert max(_widths(out)) <= 88
    assert out.replace("\r\n", "\n") == _tidy(path, CLEAN_BEFORE, CLEAN_AFTER)


def test_the_projects_ruff_config_applies_and_no_other(tmp_path):
    # a parent folder's configuration (as this repository's would be) does not apply: the
    # project's own `[tool.ruff]` decides, through its `extend` chain
    (tmp_path / "ruff.toml").write_text("line-length = 40\n")
    root = _project(tmp_path, '[tool.ruff]\nextend = "base.toml"\n')
    (root / "base.toml").write_text("line-length = 100\n[format]\nquote-style = 'single'\n")
    path = root / "app.py"
    style = style_for(str(path))
    assert (style.line_length, style.quote_style, style.formatter) == (100, "single", "ruff")
    before = "def f():\n    return {'a': 1}\n"
    after = "def f(first_parameter: Annotated[SomeTypeName, Depends(get_a_dependency)], q=1):\n"
    after += "    return {'a': 1, 'b': \"two\"}\n"
    assert _tidy(path, before, after) == after.replace('"two"', "'two'")


def test_style_prefers_dot_ruff_toml_and_reads_the_target_version(tmp_path):
    root = _project(tmp_path, '[project]\nrequires-python = ">=3.11"\n')
    (root / "ruff.toml").write_text("line-length = 120\n")
    (root / ".ruff.toml").write_text("line-length = 99\n")
    style = style_for(str(root / "pkg" / "app.py"))
    assert style.line_length == 99 and style.ruff_config == str(root / ".ruff.toml")
    assert style.target_version == "py311"


def test_without_ruff_the_fix_is_kept_and_the_reason_given(tmp_path, monkeypatch):
    import ruff

    def missing() -> str:
        raise FileNotFoundError("no ruff here")

    monkeypatch.setattr(ruff, "find_ruff_bin", missing)
    monkeypatch.setenv("PATH", str(tmp_path))
    fmt.ruff_binary.cache_clear()
    try:
        path = _project(tmp_path) / "app.py"
        with pytest.raises(FormatUnavailable, match="ruff is not installed"):
            tidy_format(str(path), CLEAN_BEFORE, CLEAN_AFTER, style_for(str(path)))
        notes: list[str] = []
        tidy = fmt.tidier(str(path), style_for(str(path)), notes)
        assert tidy(CLEAN_BEFORE, CLEAN_AFTER) == CLEAN_AFTER  # the pipeline's hook keeps it
        assert notes == [f"{path}: not formatted: ruff is not installed (pip install ruff)"]
    finally:
        fmt.ruff_binary.cache_clear()


def test_unchanged_text_runs_nothing(tmp_path):
    path = _project(tmp_path) / "app.py"
    report = format_report(str(path), CLEAN_BEFORE, CLEAN_BEFORE, style_for(str(path)))
    assert report.text == CLEAN_BEFORE and report.ranges == ()


def test_a_long_header_is_wrapped_without_touching_its_messy_body(tmp_path):
    path = _project(tmp_path) / "app.py"
    before = "def handler(request):\n    x = {  'a':1 }\n    return x\n"
    after = before.replace(
        "(request)", "(request, " + "a_long_parameter_name: int = 1, " * 3 + "q=2)"
    )
    out = _tidy(path, before, after)
    assert out.endswith("):\n    x = {  'a':1 }\n    return x\n")
    assert max(_widths(out)) <= 88


def test_mixed_line_endings_keep_each_lines_own(tmp_path):
    path = _project(tmp_path) / "app.py"
    before = "import os\n\n\ndef f(a):\r\n    return a\r\n"
    after = before.replace("def f(a)", f"def f(a, {'b' * 90}: int = 1)")
    out = _tidy(path, before, after)
    assert out.startswith("import os\n\n\ndef f(\r\n")
    assert out.count("\r\n") == out.count("\n") - 3


def test_formatter_clean_answers_for_many_files_in_one_call(tmp_path):
    root = _project(tmp_path, "[tool.ruff]\nline-length = 100\n")
    (root / "pkg").mkdir()
    files = {
        "clean.py": "x = {'a': 1}\n",  # no formatter declared: the quotes are the file's
        "pkg/long.py": f"value = call({'a' * 40}, {'b' * 40})\n",  # 95 wide: fits 100
        "messy.py": "x = {  'a':1 }\n",
        "broken.py": "x = (\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    style = style_for(str(root / "clean.py"))
    answer = fmt.formatter_clean([str(root / name) for name in files], style)
    assert answer == {
        str(root / "clean.py"): True,
        str(root / "pkg" / "long.py"): True,
        str(root / "messy.py"): False,
        str(root / "broken.py"): False,
    }
    # the caller's answer is used as given: a file said to be unclean gets only its long lines
    before = "def f():\n    return 1\n"
    after = "def f(a = 1):\n    return 1\n"
    path = root / "app.py"
    assert tidy_format(str(path), before, after, style, clean=False) == after
    assert tidy_format(str(path), before, after, style, clean=True) == after.replace(" = ", "=")


TRICKY = '''\
import click


@click.option(
    "--name",
    default=None,
)
@click.command()
def main(name):
    message = (
        "first part "
        f"second {name}"
    )
    template = """
def not_code():
    return 1
"""
    if name:
        print(message,
              template)
    else:
        total = (1 +
                 2)
    return {
        "a": [
            1,
            2,
        ],
    }


class Thing:
    @property
    def value(self):  # a comment (with a bracket
        return [x for x in range(3)]
'''


def test_the_statements_around_a_line_are_found_without_parsing_the_whole_file():
    lines = fmt._lines(TRICKY)
    tree = ast.parse(TRICKY)
    layout = fmt._Layout(lines)
    layout.SMALL = 0  # block by block, as in a long file
    for number, line in enumerate(lines, 1):
        if layout._is_code(number):
            want = fmt._innermost(tree.body, number) or (number, number)
            assert layout.statement(number) == want, (number, line)
    assert not layout._whole_tried  # every block was found on its own


def test_two_edits_in_one_header_are_formatted_as_one_statement(tmp_path):
    # FF303 on fief-server: two parameters of one signature rewritten, an untouched line
    # between them; formatting either alone changes the other's lines
    path = _project(tmp_path) / "app.py"
    before = (
        "async def get_list_context(\n"
        "    columns: list[DatatableColumn] = Depends(get_columns),\n"
        "    parameters: DatatableQueryParameters = Depends(\n"
        '        DatatableQueryParametersGetter(["name", "granted_by_default"])\n'
        "    ),\n"
        "    paginated_roles: PaginatedObjects[Role] = Depends(get_paginated_roles),\n"
        "):\n"
        "    return paginated_roles\n"
    )
    after = (
        "async def get_list_context(\n"
        "    columns: Annotated[list[DatatableColumn], Depends(get_columns)],\n"
        "    parameters: Annotated[DatatableQueryParameters, Depends(\n"
        '        DatatableQueryParametersGetter(["name", "granted_by_default"])\n'
        "    )],\n"
        "    paginated_roles: Annotated[PaginatedObjects[Role], Depends(get_paginated_roles)],\n"
        "):\n"
        "    return paginated_roles\n"
    )
    report = format_report(str(path), before, after, style_for(str(path)))
    assert report.notes == () and report.ranges == ((1, 7),)
    out = _tidy(path, before, after)
    assert _ruff_clean(path, out, "--isolated")
    assert out.endswith("):\n    return paginated_roles\n") and max(_widths(out)) <= 88


def test_a_long_stub_header_takes_its_ellipsis_body_along(tmp_path):
    # ruff (2025 style) writes `...` after the colon of a header it formats; in a file that
    # is not clean that is the one untouched line allowed to move
    path = _project(tmp_path) / "app.py"
    before = "class P(Protocol):\n    def __call__(self, a: int) -> None:\n        ...\n"
    before += "\nx = {  'a':1 }\n"
    after = before.replace("a: int", "a: int, " + "another_parameter: str, " * 3)
    out = _tidy(path, before, after)
    assert out.endswith("    ) -> None: ...\n\nx = {  'a':1 }\n")
    assert max(_widths(out)) <= 88


def test_the_formatter_is_read_from_pre_commit_at_the_repository_root(tmp_path):
    root = _project(tmp_path, "[tool.ruff]\nline-length = 120\n")
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/adamchainz/blacken-docs\n    hooks:\n"
        "      - id: blacken-docs\n"
    )
    nested = root / "backend" / "app"
    nested.mkdir(parents=True)
    (root / "backend" / "pyproject.toml").write_text("[project]\nname = 'backend'\n")
    style = style_for(str(nested / "main.py"))
    # ruff's configuration is the nearest with a [tool.ruff] table, above a pyproject without
    assert (style.line_length, style.ruff_config) == (120, str(root / "pyproject.toml"))
    assert style.formatter is None  # blacken-docs is not black
    (root / ".pre-commit-config.yaml").write_text("repos:\n  - hooks:\n      - id: ruff-format\n")
    project_style._style_for_directory.cache_clear()
    assert style_for(str(nested / "main.py")).formatter == "ruff"


def test_strings_a_fix_pushed_past_the_length_flow_again_and_nothing_else_moves():
    from fastapi_fixer.fixing.format import split_long_strings

    before = 'x = f(\n    "alpha beta gamma delta "\n    "epsilon zeta"\n)\n'
    after = 'x = g(\n    h(\n        "alpha beta gamma delta "\n        "epsilon zeta"\n    )\n)\n'
    flowed = split_long_strings(before, after, 30)
    assert flowed == (
        'x = g(\n    h(\n        "alpha beta gamma "\n        "delta epsilon zeta"\n    )\n)\n'
    )
    # a long literal the fix did not touch, a statement of its own, an f-string: left as they
    # are
    kept = '"alpha beta gamma delta epsilon"\nx = (\n    "alpha beta gamma delta epsilon"\n)\n'
    assert split_long_strings(kept, kept, 20) == kept
    docstring = 'def f():\n    "alpha beta gamma delta epsilon zeta"\n'
    assert split_long_strings("", docstring, 20) == docstring
    formatted = 'x = (\n    f"alpha beta {y} gamma delta epsilon"\n)\n'
    assert split_long_strings("", formatted, 20) == formatted


def test_a_long_keyword_literal_a_fix_wrote_goes_into_parentheses_split_at_spaces():
    """Found on real code (letta): FF204's copy of a model class is laid out at 88 columns,
    and `description="..."` lines of the project's (140-column) style stayed too long."""
    from fastapi_fixer.fixing.format import split_long_strings

    after = (
        "x = Field(\n"
        "    None,\n"
        '    description="alpha beta gamma delta epsilon zeta",\n'
        "    deprecated=True,\n"
        ")\n"
        "y = Field(\n"
        '    description="alpha beta gamma d"\n'
        ")\n"
    )
    assert split_long_strings("", after, 30) == (
        "x = Field(\n"
        "    None,\n"
        "    description=(\n"
        '        "alpha beta gamma "\n'
        '        "delta epsilon zeta"\n'
        "    ),\n"
        "    deprecated=True,\n"
        ")\n"
        "y = Field(\n"
        "    description=(\n"
        '        "alpha beta gamma d"\n'  # fits alone in parentheses, as ruff keeps it
        "    )\n"
        ")\n"
    )
    # the project's own line, a literal with no space to split at, an f-string: left as they are
    assert split_long_strings(after, after, 30) == after
    for kept in (
        'x = Field(\n    description="alphabetagammadeltaepsilonzeta",\n)\n',
        'x = Field(\n    description=f"alpha beta {gamma} delta epsilon",\n)\n',
    ):
        assert split_long_strings("", kept, 30) == kept
    crlf = after.replace("\n", "\r\n")
    assert split_long_strings("", crlf, 30) == split_long_strings("", after, 30).replace(
        "\n", "\r\n"
    )


def test_unwrap_joined_strings_drops_the_parentheses_ruff_leaves_around_one_literal():
    from fastapi_fixer.fixing.format import unwrap_joined_strings

    # FF407 writes a long description as parts in parentheses; ruff joined them on one line
    after = (
        '@api.patch(\n    "/user/name",\n    responses={\n'
        '        400: {"description": ("Name must be in the format: Firstname Lastname")}\n'
        "    },\n)\ndef f(): ...\n"
    )
    assert unwrap_joined_strings("", after) == after.replace('("Name', '"Name').replace(
        'Lastname")', 'Lastname"'
    )
    # calls, tuples, parts ruff kept apart, f-strings and the project's own lines: untouched
    for kept in (
        'x = print("a")\n',
        'x = ("a",)\n',
        'x = {"a": ("b " "c")}\n',
        'x = {"a": (f"b{c}")}\n',
    ):
        assert unwrap_joined_strings("", kept) == kept
    assert unwrap_joined_strings('x = {"a": ("b")}\n', 'x = {"a": ("b")}\n') == (
        'x = {"a": ("b")}\n'
    )


def test_brackets_around_an_unwrapped_literal_are_laid_out_again(tmp_path):
    """Found on real code (prefect): ruff expands `403: {...}` around the parenthesised
    literal, the tidy step drops the parentheses, and the entry then fits on one line: it is
    laid out again, so a formatter-clean file stays clean."""
    root = _project(tmp_path, "[tool.ruff]\nline-length = 88\n")
    path = root / "app.py"
    before = '@router.post("/", status_code=201)\ndef create(): ...\n'
    text = "Block type names beginning with 'Prefect' are reserved."
    after = (
        '@router.post(\n    "/",\n    status_code=201,\n    responses={\n'
        f'        403: {{"description": ("{text[:27]}" "{text[27:]}")}},\n'
        '        409: {"description": "Conflict"},\n    },\n)\ndef create(): ...\n'
    )
    tidy = fmt.tidier(str(path), style_for(str(path)), clean=True)
    out = tidy(before, after)
    assert f'        403: {{"description": "{text}"}},\n' in out
    assert _ruff_clean(path, out)
    assert tidy(before, out) == out


def test_prefetch_answers_many_files_in_one_ruff_call_as_ruff_answers_each(tmp_path, monkeypatch):
    root = _project(tmp_path, "[tool.ruff]\nline-length = 88\n")
    style = style_for(str(root / "a.py"))
    two_places = CLEAN_BEFORE.replace("def obsolete():\n    pass\n\n\n", "")
    cases = {  # path -> (before, after, clean as the caller knows it)
        "a.py": (CLEAN_BEFORE, CLEAN_AFTER, None),
        "b.py": (CLEAN_BEFORE, CLEAN_AFTER.replace("\n", "\r\n"), True),
        "c.py": (two_places, two_places.replace("q: str", "q: str  =  'x'"), None),
        # ruff's whole layout changes only the fixed line: taken from the answers as it is
        "d.py": (two_places, two_places.replace("load(q)", f"load(q, {'x' * 70!r})"), None),
        "messy.py": ("x = {  'a':1 }\n", "x = {  'a':1 }\ny = call(a  ,b)\n", None),
        "broken.py": ("x = (\n", "x = (\ny = 1\n", None),
    }
    requests = [
        fmt.LayoutRequest(str(root / name), before, after, style, clean)
        for name, (before, after, clean) in cases.items()
    ]

    def report(r: fmt.LayoutRequest, clean: bool | None, run=None) -> object:
        try:
            return format_report(r.path, r.before, r.after, style, clean=clean, run=run)
        except FormatUnavailable as exc:
            return exc.reason

    expected = {r.path: report(r, r.clean) for r in requests}
    calls: list[list[str]] = []
    real = subprocess.run

    def counted(command, *args, **kwargs):
        calls.append(command)
        return real(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    cleans, run = fmt.prefetch(requests)
    # one `--check` of the unknown ones, one format of the clean ones per line ending
    assert len(calls) == 3
    assert cleans == {
        str(root / "a.py"): True,
        str(root / "b.py"): True,
        str(root / "c.py"): True,
        str(root / "d.py"): True,
        str(root / "messy.py"): False,
        str(root / "broken.py"): None,  # ruff cannot read it: asked alone, as before
    }
    calls.clear()
    for r in requests:
        assert report(r, cleans[r.path], run) == expected[r.path]
    # every layout came from the answers, c.py's broken text left out of its group's (ruff
    # cannot read it: the others keep theirs); only broken.py, which ruff cannot read, is
    # asked alone
    asked = {c[c.index("--stdin-filename") + 1] for c in calls}
    assert asked == {str(root / "broken.py")}
    d = next(r for r in requests if r.path.endswith("d.py"))
    laid_out = report(d, True, run)
    assert laid_out.text != d.after and laid_out.text.count("\n") == d.after.count("\n") + 2


def test_a_changed_line_no_wider_than_the_one_it_replaced_is_not_re_laid(tmp_path):
    # found on aim: a project without formatter whose lines run to 120 columns; making a
    # route a plain `def` shortens its header, which must not come back wrapped at 88
    root = _project(tmp_path)
    path = root / "app.py"
    header = (
        "async def reports_post_api("
        "request_data: ReportCreateIn, session: Session = Depends(get_session)):\n"
    )
    before = "x = {  'a':1 }\n\n\n" + header + "    return request_data\n"
    after = before.replace("async def", "def")
    assert len(header) - 1 > 88
    assert _tidy(path, before, after) == after
    # a line the fixes made wider than what it replaced is still laid out
    wider = before.replace("session: Session", "session: Annotated[Session, Depends(get_session)]")
    wider = wider.replace(" = Depends(get_session)):", "):")
    assert _tidy(path, before, wider) != wider


def test_the_long_lines_of_a_rewritten_parameter_list_are_laid_out(tmp_path):
    # found on letta: FF303 rewrote a parameter list written at 120 columns; its long
    # `description=` lines are no longer than the ones they replaced, but left as they were
    # they sit inside brackets the fix opened (`Annotated[Optional[str], Query(`)
    root = _project(tmp_path)
    path = root / "app.py"
    text = "Tag cursor for pagination. Returns tags that come before this tag in sort order"
    before = (
        "x = {  'a':1 }\n\n\n"
        "async def list_tags(\n"
        f'    before: Optional[str] = Query(\n        None, description="{text}"\n    ),\n'
        "    server: Server = Depends(get_server),\n"
        "):\n    return []\n"
    )
    after = (
        "x = {  'a':1 }\n\n\n"
        "async def list_tags(\n"
        "    *,\n"
        "    before: Annotated[Optional[str], Query(\n"
        f'        description="{text}"\n    )] = None,\n'
        "    server: Annotated[Server, Depends(get_server)],\n"
        "):\n    return []\n"
    )
    out = _tidy(path, before, after)
    assert "    before: Annotated[\n        Optional[str],\n        Query(\n" in out
    assert "Query(\n" not in out.split("before: Annotated[", 1)[1].splitlines()[0]


def test_a_statement_with_a_noqa_comment_is_not_laid_out_away_from_it(tmp_path):
    # found on aim: FF302 moved `dashboard = session.query(...).first()` and its noqa comment
    # into a new dependency; laid out at 88 columns the comment ended on the closing `)`, where it
    # no longer covers the `== False` line ruff reports
    root = _project(tmp_path)
    path = root / "app.py"
    query = (
        "    dashboard = session.query(Dashboard).filter(Dashboard.uuid == dashboard_id, "
        "Dashboard.is_archived == False).first()  # "
        "noqa: E712\n"
    )
    valid = "dashboard: Annotated[Dashboard, Depends(valid_dashboard_id)]"
    before = (
        "x = {  'a':1 }\n\n\n"
        "@router.get('/{dashboard_id}/')\n"
        "def get(dashboard_id):\n" + query + "    return dashboard\n\n\n"
        "@router.delete('/{dashboard_id}/')\n"
        "def delete(dashboard_id):\n" + query + "    dashboard.delete()\n"
    )
    after = (
        "x = {  'a':1 }\n\n\n"
        "def valid_dashboard_id(dashboard_id: str, session: Session = Depends(get_session)) -> "
        "Dashboard:\n" + query + "    return dashboard\n\n\n"
        "@router.get('/{dashboard_id}/')\n"
        f"def get({valid}):\n"
        "    return dashboard\n\n\n"
        "@router.delete('/{dashboard_id}/')\n"
        f"def delete({valid}):\n"
        "    dashboard.delete()\n"
    )
    out = _tidy(path, before, after)
    assert query in out  # the statement and its comment stay on one line
