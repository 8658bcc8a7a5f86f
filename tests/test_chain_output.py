"""Call chains (`Diagnostic.chain`, FF101-FF103) in every output format, and through the caches
and worker processes.

The renderer tests build findings with a chain directly (plain data); the end-to-end tests run
the command on a small project whose FF101 findings are reached through two modules, and check
the chain's shape whenever the engine gives one."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from fastapi_fixer.engine import Engine, Mode, runcache
from fastapi_fixer.engine.cache import Cache, Checked
from fastapi_fixer.engine.source import file_digest
from fastapi_fixer.engine.workers import PARALLEL_THRESHOLD
from fastapi_fixer.models import Diagnostic, Fix, FixSafety, Hop, RunResult, Severity, Span
from fastapi_fixer.registry import all_rules
from fastapi_fixer.reporting import full, github, gitlab, json_format, sarif
from fastapi_fixer.reporting.console import chain_trace, concise_line
from fastapi_fixer.settings import Settings, load_settings

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
CHAIN = Path(__file__).parent / "fixtures" / "FF101" / "chain"

ROUTES = textwrap.dedent(
    """\
    from fastapi import APIRouter

    from app.services import audit

    router = APIRouter()


    @router.post("/orders")
    async def create_order():
        audit.log_event("order")
        return {"ok": True}
    """
)
AUDIT = textwrap.dedent(
    """\
    import subprocess


    def log_event(name: str) -> None:
        write_line(name)


    def write_line(name: str) -> None:
        subprocess.run(["logger", name], check=False)
    """
)
# the hops of the finding in ROUTES, as the Hop docstring places them (0-based columns)
HOPS = (
    Hop("app.routes.create_order", "app/routes.py", 9, 0),
    Hop("app.services.audit.log_event", "app/routes.py", 10, 4),
    Hop("app.services.audit.write_line", "app/services/audit.py", 5, 4),
    Hop("subprocess.run", "app/services/audit.py", 9, 4),
)
MESSAGE = "Blocking call `app.services.audit.log_event` in async route `create_order`"


def _with_chain(chain: tuple[Hop, ...] = HOPS) -> Diagnostic:
    return Diagnostic(
        "FF101",
        "blocking-call-in-async",
        Severity.ERROR,
        MESSAGE,
        "app/routes.py",
        Span(10, 4, 10, 28),
        Fix("Run it in the threadpool", FixSafety.SAFE, ()),
        chain,
    )


def _plain() -> Diagnostic:
    return Diagnostic(
        "FF204", "some-rule", Severity.WARNING, "Plain finding", "app/routes.py", Span(3, 0, 3, 4)
    )


TEXTS = {"app/routes.py": ROUTES, "app/services/audit.py": AUDIT}


# --- renderers ------------------------------------------------------------------------------


def test_json_chain_has_one_based_columns_and_is_always_present() -> None:
    items = json_format.as_json([_with_chain(), _plain()], TEXTS, None)
    assert items[0]["chain"] == [
        {"name": "app.routes.create_order", "path": "app/routes.py", "row": 9, "column": 1},
        {"name": "app.services.audit.log_event", "path": "app/routes.py", "row": 10, "column": 5},
        {
            "name": "app.services.audit.write_line",
            "path": "app/services/audit.py",
            "row": 5,
            "column": 5,
        },
        {"name": "subprocess.run", "path": "app/services/audit.py", "row": 9, "column": 5},
    ]
    # the finding's own location and its call hop agree (same column convention)
    assert items[0]["chain"][1]["column"] == items[0]["location"]["column"]
    assert items[1]["chain"] == []
    json.dumps(items)  # serialisable as is


def _validate(log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_sarif_code_flow_per_result_with_a_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    log = sarif.as_sarif([_with_chain(), _plain()], list(all_rules().values()))
    _validate(log)
    chained, plain = log["runs"][0]["results"]
    assert "codeFlows" not in plain
    (flow,) = chained["codeFlows"]
    (thread,) = flow["threadFlows"]
    places = [
        (
            step["location"]["message"]["text"],
            step["location"]["physicalLocation"]["artifactLocation"],
            step["location"]["physicalLocation"]["region"],
            step["nestingLevel"],
            step["kinds"],
        )
        for step in thread["locations"]
    ]
    routes = {"uri": "app/routes.py", "uriBaseId": "%SRCROOT%"}
    audit = {"uri": "app/services/audit.py", "uriBaseId": "%SRCROOT%"}
    assert places == [
        ("app.routes.create_order", routes, {"startLine": 9, "startColumn": 1}, 0, ["function"]),
        ("app.services.audit.log_event", routes, {"startLine": 10, "startColumn": 5}, 1, ["call"]),
        ("app.services.audit.write_line", audit, {"startLine": 5, "startColumn": 5}, 2, ["call"]),
        ("subprocess.run", audit, {"startLine": 9, "startColumn": 5}, 3, ["call"]),
    ]
    # the result's own location is written the same way as the hops'
    assert chained["locations"][0]["physicalLocation"]["artifactLocation"] == routes


def test_sarif_hop_outside_the_working_folder_is_a_file_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    elsewhere = str(tmp_path / "lib" / "helpers.py")
    chain = (*HOPS[:2], Hop("lib.helpers.call", elsewhere, 3, 0))
    log = sarif.as_sarif([_with_chain(chain)], list(all_rules().values()))
    _validate(log)
    steps = log["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    uri = steps[-1]["location"]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": Path(elsewhere).as_uri()}


def test_full_prints_an_aligned_trace_under_the_frame() -> None:
    out = full.render([_with_chain(), _plain()], TEXTS, None, unsafe_fixes=False)
    chained, plain = out.split("\n\n")
    lines = chained.splitlines()
    assert lines[0] == f"app/routes.py:10:5: FF101 [*] {MESSAGE}"
    note = lines.index("  = note: call chain from the async entry point:")
    # after the code frame (which ends with its gutter) and the severity, before the help line
    assert lines[note - 1] == "  = severity: error (blocking-call-in-async)"
    assert lines[note - 2].strip() == "|"
    assert lines[note + 1 : note + 5] == [
        "    app/routes.py:9:1          app.routes.create_order",
        "    app/routes.py:10:5         app.services.audit.log_event",
        "    app/services/audit.py:5:5  app.services.audit.write_line",
        "    app/services/audit.py:9:5  subprocess.run",
    ]
    assert lines[note + 5] == "  = help: Run it in the threadpool"
    assert "note:" not in plain


def test_direct_call_shows_no_trace_for_people_but_stays_in_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entry point and call only: the code frame already shows both; tools still get them."""
    direct = _with_chain((HOPS[0], Hop("time.sleep", "app/routes.py", 10, 4)))
    out = full.render([direct], TEXTS, None, unsafe_fixes=False)
    assert "note:" not in out and "app/routes.py:9:1" not in out
    assert github.line(direct).endswith(f"::{MESSAGE}")
    assert len(json_format.as_json([direct], TEXTS, None)[0]["chain"]) == 2
    monkeypatch.chdir(tmp_path)
    log = sarif.as_sarif([direct], list(all_rules().values()))
    _validate(log)
    steps = log["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [step["location"]["message"]["text"] for step in steps] == [
        "app.routes.create_order",
        "time.sleep",
    ]


def test_chain_trace_of_one_hop_and_of_none() -> None:
    assert chain_trace((Hop("f", "m.py", 1, 0),), "") == ["m.py:1:1  f"]
    assert chain_trace(()) == []


def test_github_annotation_carries_the_chain_below_the_message() -> None:
    line = github.line(_with_chain())
    assert "\n" not in line  # one workflow command
    body = line.split("::", 2)[2]
    assert body.split("%0A") == [
        MESSAGE,
        "Call chain:",
        "  app/routes.py:9:1          app.routes.create_order",
        "  app/routes.py:10:5         app.services.audit.log_event",
        "  app/services/audit.py:5:5  app.services.audit.write_line",
        "  app/services/audit.py:9:5  subprocess.run",
    ]
    assert github.line(_plain()).endswith("::Plain finding")


def test_concise_and_gitlab_stay_one_line() -> None:
    finding = _with_chain()
    assert concise_line(finding, False) == f"app/routes.py:10:5: FF101 [*] {MESSAGE}"
    (item,) = gitlab.as_gitlab([finding])
    assert item["description"] == f"FF101 {MESSAGE}"
    # a chain does not change what identifies the finding
    assert item["fingerprint"] == gitlab.as_gitlab([_with_chain(())])[0]["fingerprint"]


# --- through pickles: worker processes, the findings cache, the stored verdict ---------------


def test_chain_survives_pickling() -> None:
    finding = _with_chain()
    again = pickle.loads(pickle.dumps(finding, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == finding
    assert again.chain == HOPS


def test_findings_cache_keeps_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the findings' path, `app/routes.py`, is the file's spelling
    settings = Settings(select=("FF101",))
    cache = Cache.open(tmp_path / "cache", settings)
    path = "app/routes.py"
    cache.store_compiles(path, "digest", "app.routes")
    checked = Checked("project", (), "fingerprint", ())
    cache.store_diagnostics(path, "digest", checked, [_with_chain(), _plain()])
    cache.save()
    stored = Cache.open(tmp_path / "cache", settings).diagnostics(path, "digest")
    assert stored is not None
    assert [d.chain for d in stored[0]] == [HOPS, ()]


def test_stored_verdict_keeps_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "routes.py").write_text(ROUTES)
    settings = Settings(select=("FF101",))
    result = RunResult(files_seen=1, diagnostics=[_with_chain()])
    digests = {"app/routes.py": file_digest("app/routes.py") or ""}
    runcache.store(tmp_path / "cache", settings, ("app",), (), digests, (), result, time.time_ns())
    served = runcache.lookup(tmp_path / "cache", settings, ("app",))
    assert served is not None
    assert served.diagnostics[0].chain == HOPS


# --- end to end -------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "app" / "services").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "services" / "__init__.py").write_text("")
    (root / "app" / "routes.py").write_text(ROUTES)
    (root / "app" / "services" / "audit.py").write_text(AUDIT)
    (root / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF101"]\n')
    monkeypatch.chdir(root)
    monkeypatch.setenv("FASTAPI_FIX_CACHE_DIR", str(tmp_path / "cache"))
    return root


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.stdout


def _check_shape(chain: list[dict[str, Any]]) -> None:
    """What the Hop docstring promises, for the finding in ROUTES (when the engine fills one)."""
    if not chain:
        return
    assert chain[0]["name"].endswith("create_order")
    assert (chain[0]["path"], chain[0]["row"], chain[0]["column"]) == ("app/routes.py", 9, 1)
    assert (chain[1]["path"], chain[1]["row"], chain[1]["column"]) == ("app/routes.py", 10, 5)
    assert chain[-1]["name"] == "subprocess.run"
    assert (chain[-1]["path"], chain[-1]["row"]) == ("app/services/audit.py", 9)


def test_json_chain_is_the_same_cold_and_cached(project: Path) -> None:
    (cold,) = json.loads(run("app", "--output-format", "json"))
    assert "chain" in cold
    _check_shape(cold["chain"])
    (cached,) = json.loads(run("app", "--output-format", "json"))
    assert cached["chain"] == cold["chain"]
    assert cached == cold


def test_cached_chain_follows_a_change_in_the_other_module(project: Path) -> None:
    settings = load_settings(None, project)
    cache_dir = Path(os.environ["FASTAPI_FIX_CACHE_DIR"])

    def check() -> RunResult:
        return Engine(settings, Mode(jobs=1), Cache.open(cache_dir, settings)).run(["app"])

    before = check()
    audit = project / "app" / "services" / "audit.py"
    audit.write_text("# a comment moves every line down\n" + AUDIT)
    after = check()
    (finding,) = after.diagnostics
    fresh = Engine(settings, Mode(jobs=1), Cache.disabled()).run(["app"])
    assert finding.chain == fresh.diagnostics[0].chain
    if before.diagnostics[0].chain:
        assert finding.chain[-1].row == before.diagnostics[0].chain[-1].row + 1


def test_verdict_and_sarif_and_full_agree_with_json(project: Path) -> None:
    (item,) = json.loads(run("app", "--output-format", "json"))
    chain = item["chain"]
    # github: a cold run, then one served from the stored verdict
    first = run("app", "--output-format", "github")
    assert runcache.lookup(
        Path(os.environ["FASTAPI_FIX_CACHE_DIR"]), load_settings(None, project), ("app",)
    )
    assert run("app", "--output-format", "github") == first
    shown = len(chain) > 2  # through another function
    assert first.count("%0A  ") == (len(chain) if shown else 0)
    log = json.loads(run("app", "--output-format", "sarif"))
    _validate(log)
    (result,) = log["runs"][0]["results"]
    if chain:
        steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
        assert [s["location"]["message"]["text"] for s in steps] == [h["name"] for h in chain]
    else:
        assert "codeFlows" not in result
    out = run("app", "--output-format", "full")
    assert out.count("  = note: call chain") == (1 if shown else 0)
    for hop in chain if shown else ():
        assert f"    {hop['path']}:{hop['row']}:{hop['column']} " in out


def test_chains_from_worker_processes_match_one_process(tmp_path: Path) -> None:
    """Enough files that the check runs in worker processes, whose findings come back pickled."""
    root = tmp_path / "many"
    shutil.copytree(CHAIN, root)
    routes = (root / "app" / "routes.py").read_text()
    for number in range(PARALLEL_THRESHOLD + 4):
        (root / "app" / f"routes_{number:03}.py").write_text(routes)
    settings = Settings(select=("FF101",))

    def check(jobs: int) -> tuple[Engine, RunResult]:
        engine = Engine(settings, Mode(jobs=jobs), Cache.disabled())
        return engine, engine.run([str(root)])

    _, one = check(1)
    engine, two = check(2)
    assert engine.pool.count == 2 and engine.pool.method == "fork"  # processes, not this one
    assert len(one.diagnostics) == 3 * (PARALLEL_THRESHOLD + 5)
    assert [(d.path, d.span, d.chain) for d in two.diagnostics] == [
        (d.path, d.span, d.chain) for d in one.diagnostics
    ]


def test_interactive_review_shows_the_chain(project: Path) -> None:
    from fastapi_fixer.interactive import choose
    from fastapi_fixer.reporting.formats import preview_for

    settings = load_settings(None, project)
    engine = Engine(settings, Mode(jobs=1), Cache.disabled())
    result = engine.run(["app"])
    (found,) = result.diagnostics
    preview = preview_for(engine, result)
    for finding in (found, dataclasses.replace(found, chain=HOPS)):
        with CliRunner().isolation(input="n\n") as (out, _, _):
            assert choose([finding], preview, color=False, unsafe_fixes=False) == []
        shown = out.getvalue().decode()
        trace = chain_trace(finding.chain, "  ")
        expected = len(finding.chain) > 2
        assert ("Call chain:\n" + "\n".join(trace) + "\n" in shown) is expected, shown
        assert shown.count("Call chain:") == (1 if expected else 0)


def test_other_blocking_calls_behind_the_call_in_every_format(project: Path) -> None:
    """The chain follows the first blocking call behind `log_event`; the later ones are listed
    (message, JSON `more_sinks`, SARIF related locations, full's second trace), cold and
    cached alike."""
    audit = project / "app" / "services" / "audit.py"
    audit.write_text(AUDIT + "\n\ndef flush() -> None:\n    time.sleep(1)\n")
    text = audit.read_text().replace("write_line(name)\n", "write_line(name)\n    flush()\n", 1)
    audit.write_text("import time\n" + text)
    (cold,) = json.loads(run("app", "--output-format", "json"))
    assert cold["chain"][-1]["name"] == "subprocess.run"
    assert cold["more_sinks"] == [
        {"name": "time.sleep", "path": "app/services/audit.py", "row": 15, "column": 5}
    ]
    assert cold["message"].endswith(
        "; 1 more such call behind it: `time.sleep` (app/services/audit.py:15)"
    )
    (cached,) = json.loads(run("app", "--output-format", "json"))
    assert cached == cold
    log = json.loads(run("app", "--output-format", "sarif"))
    _validate(log)
    (result,) = log["runs"][0]["results"]
    (related,) = result["relatedLocations"]
    assert related["message"]["text"] == "also blocks: time.sleep"
    assert related["physicalLocation"]["region"] == {"startLine": 15, "startColumn": 5}
    out = run("app", "--output-format", "full")
    assert "  = note: other blocking calls behind the same call:\n" in out
    assert "    app/services/audit.py:15:5  time.sleep\n" in out
