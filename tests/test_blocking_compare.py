"""benchmarks/blocking_compare.py: the judged ground truth is well-formed, and the pure parts
(normalising each tool's output to its sink, matching, scoring) work on small inputs. No tool
runs here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location(
    "blocking_compare", ROOT / "benchmarks" / "blocking_compare.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bc = importlib.util.module_from_spec(_SPEC)
sys.modules["blocking_compare"] = bc  # dataclasses look their module up while the class is made
_SPEC.loader.exec_module(bc)

JUDGED_ROWS = [
    json.loads(line)
    for line in (ROOT / "benchmarks" / "judged" / "blocking.jsonl").read_text().splitlines()
    if line.strip()
]


def test_blocking_jsonl_is_well_formed() -> None:
    assert JUDGED_ROWS
    problems = [(row, bc.validate_judged_line(row)) for row in JUDGED_ROWS]
    assert [item for item in problems if item[1]] == []
    keys = [(row["codebase"], row["path"], row["line"]) for row in JUDGED_ROWS]
    assert keys == sorted(keys), "sorted by codebase, path, line"
    assert len(keys) == len(set(keys)), "one line per sink"


@pytest.mark.skipif(not bc.CORPUS.is_dir(), reason="corpus not downloaded")
def test_blocking_jsonl_text_is_the_source_line() -> None:
    wrong = [
        (row["codebase"], row["path"], row["line"])
        for row in JUDGED_ROWS
        if (bc.CORPUS / row["codebase"]).is_dir()
        and bc.source_line(bc.CORPUS, row["codebase"], row["path"], row["line"]) != row["text"]
    ]
    assert wrong == []


def test_validate_judged_line_reports_problems() -> None:
    good = {
        "codebase": "app",
        "path": "app/main.py",
        "line": 3,
        "api": "time.sleep",
        "verdict": "true",
        "why": "route sleeps",
        "text": "time.sleep(1)",
    }
    assert bc.validate_judged_line(good) == []
    assert bc.validate_judged_line({**good, "verdict": "debatable"})
    assert bc.validate_judged_line({**good, "path": "./app/main.py"})
    assert bc.validate_judged_line({**good, "extra": 1})
    assert bc.validate_judged_line({**good, "verdict": "false", "miss": "not in catalogue"})
    assert bc.validate_judged_line({key: v for key, v in good.items() if key != "why"})


def test_parse_ff_message_direct_and_chained() -> None:
    assert bc.parse_ff_message("Blocking call `time.sleep` in async route `f`") == (
        "time.sleep",
        ("time.sleep",),
    )
    message = (
        "CPU-bound call `a.auth` in async route `login` (a.auth → a.verify → bcrypt.checkpw); "
        "move heavy work to a process pool"
    )
    assert bc.parse_ff_message(message) == ("a.auth", ("a.auth", "a.verify", "bcrypt.checkpw"))
    assert bc.parse_ff_message("Blocking call `open` in async dependency `d`; use a plain def") == (
        "open",
        ("open",),
    )
    reached = (
        "Blocking call `m.save` in async helper `gen` (reached from route `r`) (m.save → os.fdopen)"
    )
    assert bc.parse_ff_message(reached) == ("m.save", ("m.save", "os.fdopen"))
    assert bc.parse_ff_message("Blocking call `m.f` in async helper `h` (reached from route `r`)")[
        1
    ] == ("m.f",)


def test_parse_concise() -> None:
    text = (
        "./app/main.py:12:5: FF101 [*] Blocking call `time.sleep` in async route `f`\n"
        "./app/main.py:14:5: FF101 Blocking call `builtins.open` in async route `f`; use ...\n"
        "Found 2 errors.\n"
    )
    items = bc.parse_concise(text)
    assert [(i["path"], i["location"]["row"], i["code"]) for i in items] == [
        ("./app/main.py", 12, "FF101"),
        ("./app/main.py", 14, "FF101"),
    ]


def test_fastapi_fix_sink_from_chain_key() -> None:
    item = {
        "code": "FF101",
        "path": "./app/routes.py",
        "location": {"row": 10, "column": 5},
        "message": "Blocking call `app.helpers.load` in async route `r` (app.helpers.load → open)",
        "chain": [
            {"name": "app.routes.r", "path": "app/routes.py", "row": 8, "column": 0},
            {"name": "app.helpers.load", "path": "./app/routes.py", "row": 10, "column": 4},
            {"name": "builtins.open", "path": "app/helpers.py", "row": 4, "column": 9},
        ],
    }
    [finding] = bc.normalise_fastapi_fix([item], "cb", None)
    assert (finding.path, finding.line, finding.api) == ("app/helpers.py", 4, "builtins.open")
    assert finding.entry == "app.routes.r"


def test_fastapi_fix_more_sinks_from_json_and_from_the_message() -> None:
    """The other blocking calls behind a finding's call are sinks of that finding too."""
    base = {"code": "FF101", "path": "app/routes.py", "location": {"row": 10, "column": 5}}
    hop = {"name": "time.sleep", "path": "app/helpers.py", "row": 9, "column": 5}
    message = (
        "Blocking call `app.helpers.load` in async route `r` (app.helpers.load → builtins.open); "
        "4 more such calls behind it: `time.sleep` (app/helpers.py:9), `requests.get` "
        "(app/net.py:3), `shutil.rmtree` (app/helpers.py:12) and 1 more"
    )
    chain = [
        {"name": "app.routes.r", "path": "app/routes.py", "row": 8, "column": 0},
        {"name": "builtins.open", "path": "app/helpers.py", "row": 4, "column": 9},
    ]
    from_json = bc.normalise_fastapi_fix(
        [{**base, "message": message, "chain": chain, "more_sinks": [hop]}], "cb", None
    )
    assert [(f.path, f.line, f.api) for f in from_json] == [
        ("app/helpers.py", 9, "time.sleep"),
        ("app/helpers.py", 4, "builtins.open"),
    ]
    from_text = bc.normalise_fastapi_fix([{**base, "message": message, "chain": chain}], "cb", None)
    assert [(f.path, f.line, f.api) for f in from_text] == [
        ("app/helpers.py", 9, "time.sleep"),
        ("app/net.py", 3, "requests.get"),
        ("app/helpers.py", 12, "shutil.rmtree"),
        ("app/helpers.py", 4, "builtins.open"),
    ]


def test_fastapi_fix_sink_from_message_finds_the_helpers_first_call(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "helpers.py").write_text(
        "from pathlib import Path\n"
        "\n"
        "class Store:\n"
        "    def load(self, p):\n"
        "        x = 1\n"
        "        text = (\n"
        "            Path(p)\n"
        "            .read_text()\n"
        "        )\n"
        "        return Path(p).read_text()\n"
    )
    items = [
        {
            "code": "FF101",
            "path": "./app/routes.py",
            "location": {"row": 7, "column": 5},
            "message": "Blocking call `app.helpers.Store.load` in async route `r` "
            "(app.helpers.Store.load → pathlib.Path.read_text)",
        },
        {
            "code": "FF101",
            "path": "./app/routes.py",
            "location": {"row": 9, "column": 5},
            "message": "Blocking call `time.sleep` in async route `r`",
        },
        {"code": "FF601", "path": "./x.py", "location": {"row": 1}, "message": "other rule"},
    ]
    chained, direct = bc.normalise_fastapi_fix(items, "cb", bc.SourceTree(tmp_path))
    # the line of the `.read_text` attribute of the first call, as the other tools place it
    assert (chained.path, chained.line, chained.api) == (
        "app/helpers.py",
        8,
        "pathlib.Path.read_text",
    )
    assert (direct.path, direct.line, direct.api) == ("app/routes.py", 9, "time.sleep")


def test_blockpath_and_hydroid_and_ruff_sinks() -> None:
    blockpath = {
        "findings": [
            {
                "callee": "requests.get",
                "witness": [
                    {"qualname": "app.r", "path": "app/routes.py", "line": 5},
                    {"qualname": "app.fetch", "path": "app/client.py", "line": 12},
                ],
            }
        ]
    }
    [b] = bc.normalise_blockpath(blockpath, "cb")
    assert (b.path, b.line, b.api, b.entry) == ("app/client.py", 12, "requests.get", "app.r")
    hydroid = {
        "diagnostics": [
            {
                "location": {"path": "app/routes.py", "line": 5},
                "function": "app.r",
                "chain": [
                    {"location": {"path": "app/routes.py", "line": 5}, "callee": "app.fetch"},
                    {"location": {"path": "app/client.py", "line": 13}, "callee": "requests.get"},
                ],
                "sink": {"qualname": "requests.get"},
            },
            {
                "location": {"path": "app/routes.py", "line": 9},
                "function": "app.r",
                "chain": [],
                "sink": {"qualname": "time.sleep"},
            },
        ]
    }
    indirect, direct = bc.normalise_hydroid(hydroid, "cb")
    assert (indirect.path, indirect.line, indirect.api) == ("app/client.py", 13, "requests.get")
    assert (direct.path, direct.line, direct.api) == ("app/routes.py", 9, "time.sleep")
    ruff = [
        {
            "code": "ASYNC251",
            "filename": "/corpus/cb/app/routes.py",
            "location": {"row": 9},
            "message": "Async functions should not call `time.sleep`",
        },
        {"code": "ASYNC109", "filename": "/corpus/cb/app/x.py", "location": {"row": 1}},
    ]
    [r] = bc.normalise_ruff(ruff, "cb", Path("/corpus/cb"))
    assert (r.path, r.line, r.api) == ("app/routes.py", 9, "time.sleep")


def _f(tool: str, line: int, api: str = "builtins.open", path: str = "a.py") -> object:
    return bc.Finding(tool, "cb", path, line, api)


def test_union_matches_exact_and_near_lines_across_tools_only() -> None:
    findings = [
        _f("fastapi-fix", 10),
        _f("hydroid", 10),  # same line: one sink
        _f("blockpath", 12),  # same API two lines off, another tool: the same sink
        _f("hydroid", 13),  # hydroid already has line 10: a sink of its own
        _f("hydroid", 11, api="time.sleep"),  # another API: a sink of its own
        _f("ruff", 10),  # an extra column finds the sink ...
        _f("ruff", 40),  # ... but adds none
    ]
    entries, outside = bc.build_union(findings)
    assert [(e.line, sorted(e.found)) for e in entries] == [
        (10, ["blockpath", "fastapi-fix", "hydroid", "ruff"]),
        (11, ["hydroid"]),
        (13, ["hydroid"]),
    ]
    assert [(f.tool, f.line) for f in outside] == [("ruff", 40)]


def test_union_keeps_judged_keys_and_scores() -> None:
    judged = {
        ("cb", "a.py", 10): {"api": "builtins.open", "verdict": "true"},
        ("cb", "a.py", 20): {"api": "time.sleep", "verdict": "true"},
        ("cb", "a.py", 30): {"api": "pathlib.Path.exists", "verdict": "false"},
    }
    findings = [
        _f("fastapi-fix", 11),  # one line off the judged sink, same API: matched to it
        _f("hydroid", 20, api="time.sleep"),
        _f("hydroid", 30, api="pathlib.Path.exists"),
        _f("hydroid", 50),  # not judged yet
    ]
    entries, _ = bc.build_union(findings, judged)
    assert [e.line for e in entries] == [10, 20, 30, 50]
    scores = bc.score(entries, judged, ["fastapi-fix", "hydroid"])
    assert (scores["fastapi-fix"].true, scores["fastapi-fix"].false) == (1, 0)
    assert scores["fastapi-fix"].recall == pytest.approx(1 / 2)
    assert scores["fastapi-fix"].precision == 1.0
    hydroid = scores["hydroid"]
    assert (hydroid.true, hydroid.false, hydroid.unjudged) == (1, 1, 1)
    assert hydroid.recall == pytest.approx(1 / 2)
    assert hydroid.precision == pytest.approx(1 / 2)
    report = bc.report(entries, [], judged, ["fastapi-fix", "hydroid"], Path("/nonexistent"))
    assert "unjudged union entries: 1" in report
    assert "true blocking-call sinks FF101-FF103 miss: 1" in report


def test_fastapi_fix_ff106_is_its_own_column() -> None:
    items = bc.parse_concise(
        "./app/main.py:5:8: FF106 [*] File-system metadata call `pathlib.Path.is_file` in async "
        "route `serve`\n"
        "./app/main.py:7:5: FF101 [*] Blocking call `time.sleep` in async route `serve`\n"
        "./app/main.py:9:5: FF104 other rule\n"
    )
    metadata, blocking = bc.normalise_fastapi_fix(items, "cb", None)
    assert (metadata.tool, metadata.line, metadata.api) == (
        bc.FF_METADATA,
        5,
        "pathlib.Path.is_file",
    )
    assert (blocking.tool, blocking.line, blocking.api) == (bc.FF_BLOCKING, 7, "time.sleep")
    assert bc.columns(["fastapi-fix", "hydroid"]) == [bc.FF_BLOCKING, bc.FF_METADATA, "hydroid"]
    assert bc.columns(["blockpath"]) == ["blockpath"]


def test_a_temporary_directory_ff101_reports_is_a_blocking_call_sink() -> None:
    """Creating one is FF106's metadata call; FF101 reports only the exit of its `with`."""
    patterns = ("tempfile.TemporaryDirectory", "os.path.exists")
    finding = bc.Finding(bc.FF_BLOCKING, "cb", "a.py", 3, "tempfile.TemporaryDirectory")
    reported = bc.Entry("cb", "a.py", 3, "tempfile.TemporaryDirectory", {bc.FF_BLOCKING: [finding]})
    created = bc.Entry("cb", "a.py", 3, "tempfile.TemporaryDirectory", {"hydroid": [finding]})
    assert bc.sink_kind(reported, patterns) == bc.BLOCKING
    assert bc.sink_kind(created, patterns) == bc.METADATA


def test_metadata_apis_come_from_the_checkouts_catalogue(tmp_path: Path) -> None:
    (tmp_path / "fastapi_fixer").mkdir()
    (tmp_path / "fastapi_fixer" / "blocking.py").write_text(
        "METADATA = 'metadata'\n"
        "DEFAULT_CALLS = {'blocking': ('time.sleep',), METADATA: ('os.path.exists', 'os.mkdir')}\n"
        "METHOD_CATEGORY = {('pathlib.Path', 'mkdir'): METADATA, ('x.Y', 'z'): 'blocking'}\n"
    )
    patterns, source = bc.load_metadata_apis(tmp_path)
    assert source == tmp_path / "fastapi_fixer" / "blocking.py"
    assert patterns == ("os.path.exists", "os.mkdir", "pathlib.Path.mkdir")
    # the other tools' names of the same APIs
    assert bc.is_metadata_api("genericpath.exists", patterns)
    assert bc.is_metadata_api("posixpath.exists", patterns)
    assert bc.is_metadata_api("pathlib.PosixPath.mkdir", patterns)
    assert not bc.is_metadata_api("time.sleep", patterns)
    assert not bc.is_metadata_api("pathlib.Path.read_text", patterns)
    assert not bc.is_metadata_api("x.Y.z", patterns)


def test_metadata_apis_of_this_checkout() -> None:
    patterns, source = bc.load_metadata_apis(ROOT)
    assert source == ROOT / "fastapi_fixer" / "analysis" / "blocking.py"
    for api in ("genericpath.isfile", "pathlib.Path.exists", "os.makedirs", "tempfile.mkstemp"):
        assert bc.is_metadata_api(api, patterns), api
    # a constructor as hydroid names it is the call of the class
    assert bc.is_metadata_api("tempfile.TemporaryDirectory.__init__", patterns)
    for api in ("builtins.open", "shutil._RmtreeType.__call__", "pathlib.Path.read_text"):
        assert not bc.is_metadata_api(api, patterns), api
    # no checkout there: this checkout's catalogue
    assert bc.load_metadata_apis(ROOT / "nonexistent") == (patterns, source)


def test_report_scores_blocking_and_metadata_sinks_apart() -> None:
    patterns = ("os.path.exists", "pathlib.Path.mkdir")
    judged = {
        ("cb", "a.py", 10): {"api": "builtins.open", "verdict": "true", "miss": "helper"},
        ("cb", "a.py", 20): {"api": "time.sleep", "verdict": "true"},
        ("cb", "a.py", 30): {"api": "genericpath.exists", "verdict": "false"},
        ("cb", "a.py", 40): {"api": "pathlib.Path.mkdir", "verdict": "true"},
    }
    findings = [
        _f(bc.FF_BLOCKING, 20, api="time.sleep"),
        _f(bc.FF_METADATA, 40, api="pathlib.Path.mkdir"),
        _f("hydroid", 10),
        _f("hydroid", 30, api="genericpath.exists"),
        _f("hydroid", 40, api="pathlib.Path.mkdir"),
    ]
    entries, _ = bc.build_union(findings, judged)
    kinds = {e.line: bc.sink_kind(e, patterns) for e in entries}
    assert kinds == {10: bc.BLOCKING, 20: bc.BLOCKING, 30: bc.METADATA, 40: bc.METADATA}
    tools = [bc.FF_BLOCKING, bc.FF_METADATA, "hydroid"]
    text = bc.report(entries, [], judged, tools, Path("/nonexistent"), patterns)
    blocking, metadata = text.split("metadata sinks (")
    # headline: 2 sinks, both true; hydroid finds 1 of them, FF101-FF103 the other
    assert "blocking-call sinks (headline" in blocking
    assert ": 2 sinks, 2 judged, 2 true" in blocking
    rows = {line.split("  ")[0].strip(): line.split() for line in blocking.splitlines()}
    assert rows["fastapi-fix FF101-FF103"][-6:] == ["1", "1", "0", "0", "50.0%", "100.0%"]
    assert rows["hydroid"][-6:] == ["1", "1", "0", "0", "50.0%", "100.0%"]
    assert "fastapi-fix FF106" not in blocking.split("per code base")[0]  # found nothing here
    # metadata: hydroid 1 true + 1 false, FF106 the true one
    rows = {line.split("  ")[0].strip(): line.split() for line in metadata.splitlines()}
    assert rows["fastapi-fix FF106"][-6:] == ["1", "1", "0", "0", "100.0%", "100.0%"]
    assert rows["hydroid"][-6:] == ["2", "1", "1", "0", "100.0%", "50.0%"]
    # the miss list has the blocking-call sink only, grouped by `miss`
    assert "true blocking-call sinks FF101-FF103 miss: 1" in text
    assert "[helper] (1)" in text
    assert "true metadata sinks FF106 misses: 0" in text


def test_source_tree_finds_a_package_named_from_a_namespace_folder(tmp_path: Path) -> None:
    # open_webui/routers has no __init__.py: fastapi-fix names routers/audio/__init__.py `audio`
    package = tmp_path / "app" / "routers" / "audio"
    package.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (package / "__init__.py").write_text(
        "import os\n\ndef needs(p):\n    return os.path.isfile(p)\n"
    )
    (tmp_path / "app" / "other.py").write_text("def needs(p):\n    return p\n")
    tree = bc.SourceTree(tmp_path)
    path, node = tree.function("audio.needs")
    assert path == package / "__init__.py"
    assert bc.first_call_named(node, "isfile") == 4
    assert tree.function("app.other.needs")[0] == tmp_path / "app" / "other.py"
    assert tree.function("nowhere.needs") is None
