"""The judged findings (`benchmarks/judged/<CODE>.jsonl`) are well-formed, and the pure parts of
`scripts/score_judged.py` (parse, validate, match, precision) work. No corpus needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "benchmarks" / "judged"


def _load_scorer():
    spec = importlib.util.spec_from_file_location("score_judged", ROOT / "scripts/score_judged.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["score_judged"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


sj = _load_scorer()


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "codebase": "open-webui",
        "path": "open_webui/utils/auth.py",
        "line": 567,
        "code": "FF104",
        "verdict": "true",
        "why": "role check on a Pydantic model",
        "text": "def get_verified_user(user=Depends(get_current_user)):",
    }
    entry.update(changes)
    return entry


def _write(folder: Path, code: str, entries: list[dict[str, object]]) -> Path:
    path = folder / f"{code}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the data in the repo


def test_there_are_judged_files():
    assert sj.judged_files(JUDGED), "benchmarks/judged holds no <CODE>.jsonl"


@pytest.mark.parametrize("path", sj.judged_files(JUDGED), ids=lambda p: p.name)
def test_judged_file_is_well_formed(path: Path):
    entries, problems = sj.load_judged_file(path)
    assert problems == []
    assert entries, f"{path.name} is empty"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(entries) == len(lines)
    assert {e.verdict for e in entries} <= {"true", "false"}


# ------------------------------------------------------------------ validation


def test_a_good_line_is_accepted():
    entry, problems = sj.validate_line(json.dumps(_entry()), "FF104")
    assert problems == [] and entry is not None and entry.key[2] == 567


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"verdict": "debatable"}, "verdict"),
        ({"why": "  "}, "why is empty"),
        ({"code": "FF105"}, "in the file of FF104"),
        ({"path": "./open_webui/utils/auth.py"}, "no leading ./"),
        ({"line": "567"}, "line is not a positive integer"),
        ({"line": 0}, "line is not a positive integer"),
        ({"line": True}, "line is not a positive integer"),
        ({"text": " def f(): "}, "not stripped"),
        ({"extra": 1}, "unexpected ['extra']"),
    ],
)
def test_a_bad_line_is_refused(changes: dict[str, object], problem: str):
    entry, problems = sj.validate_line(json.dumps(_entry(**changes)), "FF104")
    assert entry is None
    assert any(problem in p for p in problems), problems


def test_missing_key_and_bad_json():
    obj = _entry()
    del obj["why"]
    assert "missing ['why']" in sj.validate_line(json.dumps(obj), "FF104")[1][0]
    assert sj.validate_line("{not json", "FF104")[1][0].startswith("not JSON")


def test_file_order_duplicates_and_name(tmp_path: Path):
    a = _entry(line=10)
    b = _entry(line=5)
    path = _write(tmp_path, "FF104", [a, b, a])
    entries, problems = sj.load_judged_file(path)
    assert len(entries) == 2
    assert any("not sorted" in p for p in problems)
    assert any("duplicate" in p for p in problems)
    bad = tmp_path / "notes.jsonl"
    bad.write_text(json.dumps(_entry()) + "\n", encoding="utf-8")
    assert "not a rule code" in sj.load_judged_file(bad)[1][0]


def test_blocking_jsonl_is_skipped(tmp_path: Path):
    _write(tmp_path, "FF104", [_entry()])
    (tmp_path / "blocking.jsonl").write_text('{"other": "format"}\n', encoding="utf-8")
    entries, problems = sj.load_judged(tmp_path)
    assert problems == [] and len(entries) == 1


def test_drift_compares_the_stripped_line(tmp_path: Path):
    source = tmp_path / "open-webui" / "open_webui" / "utils" / "auth.py"
    source.parent.mkdir(parents=True)
    source.write_text("x = 1\n    def f():\n", encoding="utf-8")
    same = sj.Judged(**_entry(line=2, text="def f():"))
    moved = sj.Judged(**_entry(line=1, text="def f():"))
    past_end = sj.Judged(**_entry(line=9, text="def f():"))
    gone = sj.Judged(**_entry(path="missing.py", text="def f():"))
    found = dict(
        (e.key, message) for e, message in sj.drift([same, moved, past_end, gone], tmp_path)
    )
    assert same.key not in found
    assert "the line is now 'x = 1'" in found[moved.key]
    assert "only 2 lines" in found[past_end.key]
    assert "not found" in found[gone.key]


# ------------------------------------------------------------------ parsing and scoring


def test_parse_concise():
    output = "\n".join(
        [
            "./open_webui/utils/auth.py:567:1: FF104 [*] Plain `def` dependency `x` does no I/O",
            "app/tests/test_a.py:5:10: FF801 [-] Synchronous `TestClient` in tests",
            "app/main.py:3:1: FF105 57 sync routes share the default threadpool",
            "error: app/broken.py: invalid syntax",
            "Found 3 errors.",
            "[*] 1 fixable with `fastapi-fix`.",
        ]
    )
    found = sj.parse_concise(output)
    assert [(f.path, f.line, f.code) for f in found] == [
        ("open_webui/utils/auth.py", 567, "FF104"),
        ("app/tests/test_a.py", 5, "FF801"),
        ("app/main.py", 3, "FF105"),
    ]
    assert found[0].message == "Plain `def` dependency `x` does no I/O"
    assert found[2].message.startswith("57 sync routes")
    assert sj.tool_errors(output) == ["error: app/broken.py: invalid syntax"]


def test_selection_runs_every_rule_for_unused_noqa():
    assert sj.selection(["FF802", "FF104", "FF104"]) == "FF104,FF802"
    assert sj.selection(["FF000", "FF104"]) == "FF,FF000,FF104"


def _judged(line: int, verdict: str, code: str = "FF104", codebase: str = "cb") -> object:
    return sj.Judged(codebase, "a.py", line, code, verdict, "why", "text")


def test_score_counts_true_false_fixed_lost_unjudged():
    entries = [
        _judged(1, "true"),  # still reported
        _judged(2, "true"),  # lost
        _judged(3, "false"),  # still reported
        _judged(4, "false"),  # fixed
        _judged(5, "true", code="FF105"),
    ]
    reported = {
        "cb": [
            sj.Finding("a.py", 1, "FF104", "m"),
            sj.Finding("a.py", 3, "FF104", "m"),
            sj.Finding("a.py", 9, "FF104", "m"),  # unjudged
            sj.Finding("a.py", 5, "FF105", "m"),
            sj.Finding("a.py", 5, "FF999", "m"),  # a rule nobody judged: not counted
        ],
        "other": [sj.Finding("a.py", 1, "FF104", "m")],  # same place, another code base
    }
    scores = sj.score(entries, reported)
    ff104 = scores["FF104"]
    assert (ff104.judged, ff104.true, ff104.false, ff104.fixed, ff104.lost) == (4, 1, 1, 1, 1)
    assert ff104.unjudged == 2
    assert ff104.precision == 0.5
    assert [e.line for e in ff104.lost_entries] == [2]
    assert scores["FF105"].precision == 1.0
    assert sj.totals(scores).true == 2
    listed = sj.unjudged_findings("FF104", entries, reported)
    assert [(cb, f.line) for cb, f in listed] == [("cb", 9), ("other", 1)]


def test_the_bar_needs_five_reported():
    four_true_one_false = [_judged(n, "true") for n in range(1, 5)] + [_judged(5, "false")]
    reported = {"cb": [sj.Finding("a.py", n, "FF104", "m") for n in range(1, 6)]}
    rule = sj.score(four_true_one_false, reported)["FF104"]
    assert rule.precision == 0.8 and rule.under_bar
    few = sj.score(four_true_one_false[3:], reported)["FF104"]
    assert few.precision == 0.5 and not few.under_bar  # 2 reported: too few to judge
    nineteen = [_judged(n, "true") for n in range(1, 20)] + [_judged(20, "false")]
    many = {"cb": [sj.Finding("a.py", n, "FF104", "m") for n in range(1, 21)]}
    assert not sj.score(nineteen, many)["FF104"].under_bar  # exactly 95%
    nothing = sj.score([_judged(1, "false")], {"cb": []})["FF104"]
    assert nothing.precision is None and nothing.fixed == 1


def test_missing_corpus_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    judged = tmp_path / "judged"
    judged.mkdir()
    _write(judged, "FF104", [_entry()])
    code = sj.main(["--judged", str(judged), "--corpus", str(tmp_path / "corpus")])
    out = capsys.readouterr().out
    assert code == 2
    assert "open-webui" in out and "fetch.sh" in out and "fetch_more_corpus.py" in out
    assert len(out.strip().splitlines()) == 1


def test_corpus_folders_leave_scratch_out(tmp_path: Path):
    for name in ("fastapi", "open-webui", "_dl", ".hidden", "mlflow.part"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    assert [p.name for p in sj.corpus_folders(tmp_path)] == ["fastapi", "open-webui"]
    assert sj.corpus_folders(tmp_path / "absent") == []
