"""Property tests on generated programs.

1. hypothesmith's syntactically valid modules: every registered rule, check and fix mode (unsafe
   fixes too) — no exception, no crashed fixer, the output compiles.
2. FastAPI-shaped modules of our own (imports of time/requests/subprocess/asyncio, an app and a
   router, routes with random decorators, paths, sync/async bodies mixing blocking calls, awaits,
   nested functions, lambdas, with-statements, comprehensions, noqa comments): the output
   compiles, a second run changes nothing, and a safe fix never changes the routes — their
   paths, methods, endpoints and parameters (an `ast` route table), nor the OpenAPI document
   FastAPI builds from the module.

CI runs a few dozen examples per property; `HYPOTHESIS_PROFILE=thorough` runs thousands
(`HYPOTHESIS_MAX_EXAMPLES=N` sets the number).
"""

from __future__ import annotations

import ast
import os
import tempfile
import types
import warnings
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.models import RunResult
from fastapi_fixer.registry import all_rules
from fastapi_fixer.settings import Settings

_THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 2000 if _THOROUGH else 30))
PROPERTY = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
ALL_CODES = tuple(all_rules())


def run_engine(files: dict[str, str], fix: bool, unsafe: bool) -> tuple[RunResult, Path]:
    """Run on a private copy of ``files``; returns the result and the folder it ran in."""
    with tempfile.TemporaryDirectory(prefix="ff-prop-") as name:
        folder = Path(name)
        for relative, text in files.items():
            (folder / relative).write_text(text, encoding="utf-8")
        engine = Engine(Settings(select=ALL_CODES, unsafe_fixes=unsafe), Mode(fix=fix, jobs=1))
        return engine.run([str(folder)]), folder


def fixed_texts(files: dict[str, str], result: RunResult, folder: Path) -> dict[str, str]:
    out = dict(files)
    for path, text in result.fixed.items():
        out[Path(path).relative_to(folder).as_posix()] = text
    return out


def assert_no_crash(result: RunResult) -> None:
    """Errors are allowed only for input the engine cannot analyse (nesting too deep); a rule's
    fixer that raised, or produced code that does not compile, is a bug."""
    for error in result.errors:
        assert "nested too deeply" in error.reason or "recursion" in error.reason.lower(), error
    for dropped in result.dropped:
        assert dropped.reason.startswith("fix changed nothing"), dropped


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<generated>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# --- 1. hypothesmith -------------------------------------------------------------------------


@PROPERTY
@given(source=hypothesmith.from_grammar())
def test_any_valid_module_is_handled(source: str) -> None:
    assume(compiles(source))
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        assume(False)
    files = {"generated.py": source}
    for fix, unsafe in ((False, False), (True, False), (True, True)):
        result, _ = run_engine(files, fix, unsafe)
        assert_no_crash(result)
        for text in result.fixed.values():
            assert compiles(text), text


@PROPERTY
@given(source=hypothesmith.from_grammar(), picks=st.lists(st.integers(0, 10**6), max_size=3))
def test_names_read_where_they_occur_are_the_names_read(source: str, picks: list[int]) -> None:
    # the import step walks only the statements where a name to remove occurs
    # (`pipeline._mentions`): the same answer as a walk of the whole module
    from fastapi_fixer.fixing.imports import names_read_shadowed
    from fastapi_fixer.fixing.pipeline import _mentions

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        assume(False)
    named = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    wanted = {named[pick % len(named)] for pick in picks} if named else set()
    wanted.add("never_named_here")
    mentioned = _mentions(source, tree, wanted)
    assert names_read_shadowed(tree, wanted, mentioned) == names_read_shadowed(tree, wanted)


@PROPERTY
@given(source=hypothesmith.from_grammar())
def test_the_indentation_unit_read_from_the_tree_is_the_first_indent_token(source: str) -> None:
    from fastapi_fixer.fixing.textedit import Source, Unsure

    try:
        text = Source(source)
        tokens = text._tokenized_indent()
    except (Unsure, SyntaxError, ValueError):
        assume(False)
    assert text.default_indent() == tokens


# --- 2. FastAPI-shaped modules ---------------------------------------------------------------

BLOCKING = [
    "time.sleep(0)",
    "sleep(0)",
    'requests.get("http://localhost")',
    'subprocess.run(["true"], check=False)',
    'open("/dev/null").read()',
    "httpx.get('http://localhost')",
]
NOQA = ["", "", "", "  # noqa", "  # noqa: FF101", "  # noqa: FF303"]
IMPORTS = [
    "import asyncio",
    "import subprocess",
    "import time",
    "from time import sleep",
    "import httpx",
    "import requests",
]
IDENT = st.sampled_from(["item", "user", "order", "a", "b", "x", "name", "q"])


@st.composite
def statement(draw, is_async: bool, depth: int = 0) -> list[str]:
    """Lines (relative indentation) of one statement of a function body."""
    kinds = ["blocking", "assign", "lambda", "with", "comprehension", "if"]
    if is_async:
        kinds += ["await", "await"]
    if depth == 0:
        kinds += ["nested"]
    kind = draw(st.sampled_from(kinds))
    call = draw(st.sampled_from(BLOCKING))
    noqa = draw(st.sampled_from(NOQA))
    name = draw(IDENT)
    if kind == "blocking":
        return [f"{call}{noqa}"]
    if kind == "assign":
        value = draw(st.sampled_from([call, "1", '{"k": 1}', f"len([{call}])"]))
        return [f"{name}_v = {value}{noqa}"]
    if kind == "await":
        return [draw(st.sampled_from(["await asyncio.sleep(0)", "await asyncio.sleep(0.01)"]))]
    if kind == "lambda":
        return [f"{name}_f = lambda: {call}{noqa}"]
    if kind == "with":
        inner = draw(statement(is_async, depth + 1))
        header = draw(
            st.sampled_from(['with open("/dev/null") as fh:', "with contextlib.nullcontext():"])
        )
        return [header, *("    " + line for line in inner)]
    if kind == "comprehension":
        shape = draw(st.sampled_from(["[{c} for _ in range(2)]", "{{{c} for _ in range(2)}}"]))
        return [f"{name}_c = {shape.format(c=call)}{noqa}"]
    if kind == "if":
        inner = draw(statement(is_async, depth + 1))
        return ["if True:", *("    " + line for line in inner)]
    # a nested function: its calls run wherever it is called, not in this route
    nested_async = draw(st.booleans()) and is_async
    inner = draw(st.lists(statement(nested_async, depth + 1), min_size=1, max_size=3))
    head = "async def" if nested_async else "def"
    lines = [f"{head} helper_{name}():"]
    for block in inner:
        lines += ["    " + line for line in block]
    call_it = draw(st.booleans())
    if call_it:
        lines.append(f"await helper_{name}()" if nested_async else f"helper_{name}()")
    return lines


PATH = st.sampled_from(["/", "/items", "/items/{item_id}", "/users/{user_id}/orders", "/health"])
METHOD = st.sampled_from(["get", "post", "put", "delete", "patch"])


@st.composite
def route(draw, number: int) -> list[str]:
    owner = draw(st.sampled_from(["app", "router"]))
    is_async = draw(st.booleans())
    path = draw(PATH)
    decorators = [f'@{owner}.{draw(METHOD)}("{path}"{draw(EXTRA_ARGS)})']
    if draw(st.integers(0, 4)) == 0:  # the same function on a second route
        decorators.append(f'@{owner}.{draw(METHOD)}("{path}/alt")')
    params = [p.split(":")[0] for p in [*[seg[1:-1] for seg in path.split("/") if "{" in seg]]]
    signature = [f"{p}: int" for p in params]
    signature += draw(
        st.lists(
            st.sampled_from(
                [
                    "q: str | None = None",
                    "limit: int = 10",
                    "db=Depends(get_db)",
                    "token: str = Depends(get_token)",
                    "settings: dict = Depends(get_settings)",
                ]
            ),
            max_size=3,
            unique=True,
        )
    )
    signature.sort(key=lambda p: "=" in p)  # parameters without defaults first
    head = "async def" if is_async else "def"
    body = draw(st.lists(statement(is_async), min_size=1, max_size=5))
    lines = [*decorators, f"{head} endpoint_{number}({', '.join(signature)}):"]
    for block in body:
        lines += ["    " + line for line in block]
    lines.append(f'    return {{"route": {number}}}')
    return lines


EXTRA_ARGS = st.sampled_from(["", "", ", status_code=201", ", response_model=dict", ", tags=['t']"])


@st.composite
def fastapi_module(draw) -> str:
    imports = draw(st.lists(st.sampled_from(IMPORTS), unique=True))
    needed = ["import asyncio", "import contextlib", "import subprocess", "import time"]
    needed += ["from time import sleep", "import httpx", "import requests"]
    lines = sorted(set(imports) | set(needed), key=needed.index)
    lines += ["", "from fastapi import APIRouter, Depends, FastAPI", ""]
    lines += ["app = FastAPI()", 'router = APIRouter(prefix="/api")', ""]
    for dependency in ("get_db", "get_token", "get_settings"):
        is_async = draw(st.booleans())
        body = draw(st.lists(statement(is_async, depth=1), max_size=2))
        lines += [f"{'async def' if is_async else 'def'} {dependency}():"]
        for block in body:
            lines += ["    " + line for line in block]
        lines += ["    return {}", ""]
    count = draw(st.integers(1, 5))
    for number in range(count):
        lines += ["", *draw(route(number)), ""]
    if draw(st.booleans()):
        lines += ["", '@app.on_event("startup")', "async def startup():", "    time.sleep(0)"]
    lines += ["", "app.include_router(router)", ""]
    return "\n".join(lines)


def route_table(text: str) -> list[tuple]:
    """(owner, method, path, function, parameter names in order) per route decorator.

    Parameter kinds are left out on purpose: FF303's documented safe fix may make parameters
    keyword-only (`*`), which FastAPI's calls by keyword do not notice; the OpenAPI comparison
    checks what clients see."""
    table = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        params = tuple(
            a.arg
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            if a is not None
        )
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and isinstance(decorator.func.value, ast.Name)
                and decorator.func.attr in ("get", "post", "put", "delete", "patch")
            ):
                path = ast.unparse(decorator.args[0]) if decorator.args else ""
                owner = decorator.func.value.id
                table.append((owner, decorator.func.attr, path, node.name, params))
    return sorted(table)


def openapi_of(text: str) -> dict:
    """The OpenAPI document FastAPI builds from the module (top-level code only runs)."""
    module = types.ModuleType("generated_app")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(text, "generated_app.py", "exec"), module.__dict__)
    return module.app.openapi()


@PROPERTY
@given(source=fastapi_module())
def test_fastapi_shaped_modules(source: str) -> None:
    assert compiles(source), source
    files = {"main.py": source}
    result, folder = run_engine(files, fix=True, unsafe=False)
    assert_no_crash(result)
    fixed = fixed_texts(files, result, folder)["main.py"]
    assert compiles(fixed), fixed
    assert route_table(fixed) == route_table(source)
    assert openapi_of(fixed) == openapi_of(source)

    again, _ = run_engine({"main.py": fixed}, fix=True, unsafe=False)
    assert_no_crash(again)
    assert not again.changed_paths, "a second safe run changed the output"

    unsafe, folder = run_engine(files, fix=True, unsafe=True)
    assert_no_crash(unsafe)
    unsafe_fixed = fixed_texts(files, unsafe, folder)["main.py"]
    assert compiles(unsafe_fixed), unsafe_fixed
    unsafe_again, _ = run_engine({"main.py": unsafe_fixed}, fix=True, unsafe=True)
    assert_no_crash(unsafe_again)
    assert not unsafe_again.changed_paths, "a second unsafe run changed the output"


@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n"]), max_size=10),
    st.lists(st.sampled_from(["a\n", "b\n", "d\n", "e\n", "\n"]), max_size=10),
)
def test_hunks_between_are_difflib_opcodes(before: list[str], after: list[str]) -> None:
    # lines that share nothing are one hunk without asking difflib: the hunk difflib gives
    import difflib

    from fastapi_fixer.fixing.pipeline import Hunk, hunks_between

    head = next(
        (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
        min(len(before), len(after)),
    )
    tail = 0
    limit = min(len(before), len(after))
    while tail < limit - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    a, b = before[head : len(before) - tail], after[head : len(after) - tail]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    expected = [
        Hunk(head + i1, head + i2, tuple(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    assert hunks_between(before, after) == expected


@given(st.text(alphabet="ab\n", max_size=12), st.text(alphabet="ab\n", max_size=12))
def test_common_ends_are_the_longest_shared_head_and_tail(old: str, new: str) -> None:
    from fastapi_fixer.fixing.pipeline import common_ends

    head, tail = common_ends(old, new)
    limit = min(len(old), len(new))
    assert head + tail <= limit
    assert old[:head] == new[:head] and (head == limit or old[head] != new[head])
    assert old[len(old) - tail :] == new[len(new) - tail :]
    assert tail == limit - head or old[len(old) - 1 - tail] != new[len(new) - 1 - tail]


def _apply_unified(old: list[str], diff: str) -> list[str]:
    """``old`` with a unified diff applied (its hunks in order, context checked)."""
    import re

    out: list[str] = []
    at = 0
    lines = diff.splitlines(keepends=True)[2:]
    for line in lines:
        header = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", line)
        if header:
            start = int(header.group(1)) - (header.group(2) != "0")
            out.extend(old[at:start])
            at = start
        elif line[0] in " -":
            assert old[at] == line[1:], (old[at], line)
            at += 1
            if line[0] == " ":
                out.append(line[1:])
        else:
            out.append(line[1:])
    return out + old[at:]


@given(
    st.lists(st.sampled_from(["a\n", "b\n", "\n", "c\n"]), max_size=14),
    st.lists(
        st.tuples(
            st.integers(0, 14),
            st.integers(0, 3),
            st.lists(st.sampled_from(["a\n", "x\n", "\n"]), max_size=3),
        ),
        max_size=4,
    ),
)
def test_a_diff_of_the_pass_hunks_rebuilds_the_new_text(old: list[str], changes) -> None:
    """`console.unified_diff` of a text and the text a pass's hunks make of it (any hunks,
    adjacent ones too): applied to the old text, it gives the new one."""
    from fastapi_fixer.fixing.pipeline import Hunk, Provenance
    from fastapi_fixer.reporting.console import unified_diff

    hunks, new, at = [], [], 0
    for start, size, lines in sorted(changes):
        start = min(max(start, at), len(old))
        end = min(start + size, len(old))
        if not lines and end == start:
            continue
        new.extend(old[at:start])
        new.extend(lines)
        hunks.append(Hunk(start, end, tuple(lines)))
        at = end
    new.extend(old[at:])
    provenance = Provenance.original(len(old)).after([(h, frozenset({"FF1"})) for h in hunks])
    assert provenance.original_hunks(old, new) is not None
    diff = unified_diff("m.py", "".join(old), "".join(new), provenance)
    assert _apply_unified(old, diff) == new
    assert bool(diff) == (old != new)


@given(
    st.sampled_from(["ab", "a", "_b", "é"]),
    st.lists(
        st.sampled_from(["a", "b", "_", "é", "1", " ", ".", "(", "\n", "ab"]), max_size=30
    ).map("".join),
)
def test_word_starts_are_where_the_name_matches_as_a_word(name: str, text: str) -> None:
    """`pipeline.word_starts` finds what `\\bname\\b` finds, without the slow pattern."""
    import re

    from fastapi_fixer.fixing.pipeline import word_starts

    wanted = [match.start() for match in re.finditer(rf"\b{re.escape(name)}\b", text)]
    assert word_starts(name, text) == wanted


@given(
    st.lists(
        st.sampled_from(
            ["limit", "er", "Rate", "_", "throttl", "thread", "capacity", ".", "\u0131", "x"]
        ),
        max_size=6,
    ).map("".join)
)
def test_the_limiter_test_skips_its_regexes_only_when_they_cannot_match(name: str) -> None:
    """FF605's `_is_limiter` answers as its two regexes do (it reads every name of a project,
    once per index)."""
    from fastapi_fixer.codemods import no_rate_limit as ff605

    wanted = not ff605._NOT_A_RATE_LIMITER.search(name) and (
        name.split(".")[0] in ff605.LIMITER_PACKAGES or bool(ff605._LIMITER.search(name))
    )
    assert ff605._is_limiter(name) == wanted


@given(
    st.lists(st.sampled_from(["a\n", "b\n", "\n", "c\n", ")\n"]), max_size=30),
    st.lists(st.sampled_from(["a\n", "b\n", "\n", "x\n", ")\n"]), max_size=30),
)
def test_matched_hunks_rebuild_the_new_lines(old: list[str], new: list[str]) -> None:
    """`format.matched_hunks` (the layout step's hunks, `pipeline._retouched`): in order, apart,
    each a real change, and applied to the old lines they give the new ones."""
    from fastapi_fixer.fixing.format import matched_hunks

    hunks = matched_hunks(old, new)
    rebuilt, at = [], 0
    for number, (start, end, lines) in enumerate(hunks):
        assert (at < start if number else at <= start) and start <= end <= len(old)
        assert list(lines) != old[start:end]
        rebuilt.extend(old[at:start])
        rebuilt.extend(lines)
        at = end
    rebuilt.extend(old[at:])
    assert rebuilt == new
    assert bool(hunks) == (old != new)


@given(
    st.lists(
        st.sampled_from(
            [
                *"secrtpawokyndialBSg =:'\"_\nxf",
                *"\u017f\u212a\u0131\u0130\u1e9e\ufb05",  # what case folding maps
                "TOKEN",
                "Key",
            ]
        ),
        max_size=40,
    ).map("".join)
)
@example("class Settings(BaseSettings):\n    pass\n")
@example("DB_PASSWORD = 'x'\n")
@example('aws_credential: str = "x"\n')
@example("\u017fecret = 'x'\n")  # the long s folds to `s`: not ASCII, the regex decides
@example("monkey = 1\ntokens = []\n")
def test_ff601_file_filter_is_its_regex(text: str) -> None:
    # a lower-case substring test runs first on ASCII texts: it never turns a file away that
    # the regex (case-insensitive, which folds the long s and the Kelvin sign too) would take
    from fastapi_fixer.codemods.hardcoded_secret import _WANTS, HardcodedSecret

    assert HardcodedSecret.wants(text) == (_WANTS.search(text) is not None)
