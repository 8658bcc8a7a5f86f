"""Score the rules against the judged findings kept in `benchmarks/judged/<CODE>.jsonl`.

A judged finding is one JSON line: {"codebase", "path", "line", "code", "verdict", "why", "text"}
(`verdict` "true" or "false"; `text` the stripped source line; sorted by codebase, path, line).
The script checks every entry's `text` against the corpus file (drift), runs
`python -m fastapi_fixer check --no-cache --select <judged codes> --output-format concise .` once
per code base that appears in the judged files (cwd = that code base, the checkout under test on
PYTHONPATH), matches findings by (codebase, path, line, code) and prints per rule:

  true / false   judged findings still reported, by verdict
  precision      true / (true + false), over the judged findings still reported
  fixed          judged false, no longer reported
  lost           judged true, no longer reported (a regression to look at)
  unjudged       findings reported on those code bases that nobody judged yet

Exit 0 when every rule with >= 5 judged findings still reported has precision >= 95% and the
data is sound; 1 when a rule is under the bar, an entry drifted or a judged file is malformed;
2 when a code base of the corpus is missing or the tool failed.

  python scripts/score_judged.py                       # this checkout, every judged file
  python scripts/score_judged.py --checkout /work/main # another checkout of fastapi-fix
  python scripts/score_judged.py --codes FF104,FF802   # only these rules
  python scripts/score_judged.py --unjudged FF104      # list FF104's findings nobody judged yet
  python scripts/score_judged.py --json                # machine output
  python scripts/score_judged.py --unjudged FF000 --codebase open-webui  # a rule not judged yet

Standard library only. `FF000` (unused noqa) depends on which rules run, so a code base whose
judged codes include it is checked with every rule (`--select FF,FF000`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEYS = ("codebase", "path", "line", "code", "verdict", "why", "text")
VERDICTS = ("true", "false")
BAR = 0.95  # precision every rule must reach ...
MIN_REPORTED = 5  # ... once this many of its judged findings are still reported
SKIP_FILES = {"blocking.jsonl"}  # another format: the ground truth of benchmarks/compare's runs
FETCH_HINT = "bash ../shared/corpus/fetch.sh && python scripts/fetch_more_corpus.py"
_CODE = re.compile(r"FF\d{3}")
_CONCISE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>FF\d{3}) (?:\[[*-]\] )?(?P<message>.*)$"
)

Key = tuple[str, str, int, str]  # codebase, path, line, code


@dataclass(frozen=True)
class Judged:
    codebase: str
    path: str
    line: int
    code: str
    verdict: str
    why: str
    text: str

    @property
    def key(self) -> Key:
        return (self.codebase, self.path, self.line, self.code)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    message: str


@dataclass
class RuleScore:
    code: str
    judged: int = 0
    true: int = 0  # judged true, still reported
    false: int = 0  # judged false, still reported
    fixed: int = 0  # judged false, no longer reported
    lost: int = 0  # judged true, no longer reported
    unjudged: int = 0  # reported, not judged
    lost_entries: list[Judged] = field(default_factory=list)
    false_entries: list[Judged] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        reported = self.true + self.false
        return self.true / reported if reported else None

    @property
    def under_bar(self) -> bool:
        precision = self.precision
        return self.true + self.false >= MIN_REPORTED and precision is not None and precision < BAR


# ---------------------------------------------------------------- judged files


def validate_line(raw: str, code: str) -> tuple[Judged | None, list[str]]:
    """One line of `<code>.jsonl` as a Judged entry, or None and what is wrong with it."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [f"not JSON ({exc.msg})"]
    if not isinstance(obj, dict):
        return None, ["not a JSON object"]
    problems = []
    if set(obj) != set(KEYS):
        missing, extra = sorted(set(KEYS) - set(obj)), sorted(set(obj) - set(KEYS))
        problems.append(f"keys: missing {missing}, unexpected {extra}")
        return None, problems
    for name in ("codebase", "path", "code", "verdict", "why", "text"):
        if not isinstance(obj[name], str):
            problems.append(f"{name} is not a string")
    if not isinstance(obj["line"], int) or isinstance(obj["line"], bool) or obj["line"] < 1:
        problems.append("line is not a positive integer")
    if problems:
        return None, problems
    if obj["code"] != code:
        problems.append(f"code {obj['code']!r} in the file of {code}")
    if obj["verdict"] not in VERDICTS:
        problems.append(f"verdict {obj['verdict']!r} is not 'true' or 'false'")
    if not obj["why"].strip():
        problems.append("why is empty")
    if not obj["codebase"] or "/" in obj["codebase"]:
        problems.append(f"codebase {obj['codebase']!r} is not a folder name")
    path = obj["path"]
    if not path or path.startswith(("./", "/")) or "\\" in path or ".." in path.split("/"):
        problems.append(f"path {path!r} is not relative to the code base (no leading ./)")
    if obj["text"] != obj["text"].strip():
        problems.append("text is not stripped")
    return (None if problems else Judged(**obj)), problems


def load_judged_file(path: Path) -> tuple[list[Judged], list[str]]:
    """The entries of one judged file and the problems found in it (`file:line: problem`)."""
    code = path.stem
    problems: list[str] = []
    if not _CODE.fullmatch(code):
        return [], [f"{path.name}: file name is not a rule code (FF123.jsonl)"]
    entries: list[Judged] = []
    seen: set[Key] = set()
    previous: tuple[str, str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{number}"
        if not raw.strip():
            problems.append(f"{where}: empty line")
            continue
        entry, wrong = validate_line(raw, code)
        problems.extend(f"{where}: {p}" for p in wrong)
        if entry is None:
            continue
        order = (entry.codebase, entry.path, entry.line)
        if previous is not None and order < previous:
            problems.append(f"{where}: not sorted by codebase, path, line (after {previous})")
        previous = order
        if entry.key in seen:
            problems.append(f"{where}: duplicate of an earlier entry {entry.key}")
            continue
        seen.add(entry.key)
        entries.append(entry)
    return entries, problems


def judged_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.jsonl") if p.name not in SKIP_FILES)


def load_judged(folder: Path) -> tuple[list[Judged], list[str]]:
    entries: list[Judged] = []
    problems: list[str] = []
    for path in judged_files(folder):
        got, wrong = load_judged_file(path)
        entries.extend(got)
        problems.extend(wrong)
    return entries, problems


def corpus_folders(corpus: Path) -> list[Path]:
    """The code bases of the corpus (its folders, download scratch like `_dl` left out)."""
    if not corpus.is_dir():
        return []
    return sorted(
        p
        for p in corpus.iterdir()
        if p.is_dir() and not p.name.startswith((".", "_")) and not p.name.endswith(".part")
    )


def drift(entries: Iterable[Judged], corpus: Path) -> list[tuple[Judged, str]]:
    """Entries whose `text` is no longer that line of the corpus file, each with what changed."""
    problems: list[tuple[Judged, str]] = []
    lines: dict[tuple[str, str], list[str] | None] = {}
    for entry in entries:
        where = (entry.codebase, entry.path)
        if where not in lines:
            file = corpus / entry.codebase / entry.path
            try:
                lines[where] = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines[where] = None
        text = lines[where]
        label = f"{entry.code} {entry.codebase}/{entry.path}:{entry.line}"
        if text is None:
            problems.append((entry, f"{label}: file not found in the corpus"))
        elif entry.line > len(text):
            problems.append((entry, f"{label}: the file has only {len(text)} lines"))
        elif text[entry.line - 1].strip() != entry.text:
            now = text[entry.line - 1].strip()
            problems.append((entry, f"{label}: judged {entry.text!r}, the line is now {now!r}"))
    return problems


# ---------------------------------------------------------------- the tool's output


def parse_concise(output: str) -> list[Finding]:
    """Findings of `check --output-format concise` (summary and error lines are skipped)."""
    found = []
    for raw in output.splitlines():
        match = _CONCISE.match(raw.rstrip("\r"))
        if match is None:
            continue
        path = match["path"]
        while path.startswith("./"):
            path = path[2:]
        found.append(Finding(path, int(match["line"]), match["code"], match["message"]))
    return found


def tool_errors(output: str) -> list[str]:
    return [raw for raw in output.splitlines() if raw.startswith("error:")]


def selection(codes: Iterable[str]) -> str:
    chosen = sorted(set(codes))
    if "FF000" in chosen:  # judges the noqa comments of the rules that run: run them all
        chosen = ["FF", *chosen]
    return ",".join(chosen)


def run_tool(
    codebase_dir: Path, codes: Iterable[str], checkout: Path, python: str
) -> tuple[list[Finding], list[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(checkout.resolve()), *filter(None, [env.get("PYTHONPATH", "")])]
    )
    command = [python, "-m", "fastapi_fixer", "check", "--no-cache", "--select"]
    command += [selection(codes), "--output-format", "concise", "."]
    done = subprocess.run(
        command, cwd=codebase_dir, env=env, capture_output=True, text=True, check=False
    )
    errors = tool_errors(done.stdout) + tool_errors(done.stderr)
    if done.returncode not in (0, 1, 2) or (done.returncode == 2 and not errors):
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        errors.append(f"fastapi_fixer exited {done.returncode}: " + " | ".join(tail))
    return parse_concise(done.stdout), errors


# ---------------------------------------------------------------- scoring


def score(
    entries: Sequence[Judged], reported: Mapping[str, Iterable[Finding]]
) -> dict[str, RuleScore]:
    """Per rule code: judged entries matched against the findings reported on each code base
    (``reported`` by code base name; only those code bases count)."""
    current: set[Key] = {
        (codebase, f.path, f.line, f.code) for codebase, found in reported.items() for f in found
    }
    judged_keys = {entry.key for entry in entries}
    scores: dict[str, RuleScore] = {}
    for entry in entries:
        rule = scores.setdefault(entry.code, RuleScore(entry.code))
        rule.judged += 1
        still = entry.key in current
        if entry.verdict == "true":
            if still:
                rule.true += 1
            else:
                rule.lost += 1
                rule.lost_entries.append(entry)
        elif still:
            rule.false += 1
            rule.false_entries.append(entry)
        else:
            rule.fixed += 1
    for key in current - judged_keys:
        if key[3] in scores:
            scores[key[3]].unjudged += 1
    return dict(sorted(scores.items()))


def totals(scores: Mapping[str, RuleScore]) -> RuleScore:
    total = RuleScore("total")
    for rule in scores.values():
        for name in ("judged", "true", "false", "fixed", "lost", "unjudged"):
            setattr(total, name, getattr(total, name) + getattr(rule, name))
    return total


def unjudged_findings(
    code: str, entries: Iterable[Judged], reported: Mapping[str, Iterable[Finding]]
) -> list[tuple[str, Finding]]:
    judged_keys = {entry.key for entry in entries}
    return sorted(
        (
            (codebase, f)
            for codebase, found in reported.items()
            for f in found
            if f.code == code and (codebase, f.path, f.line, f.code) not in judged_keys
        ),
        key=lambda item: (item[0], item[1].path, item[1].line),
    )


# ---------------------------------------------------------------- output


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render(scores: Mapping[str, RuleScore], verbose: bool) -> list[str]:
    head = f"{'rule':<7}{'judged':>7}{'true':>6}{'false':>6}{'precision':>11}"
    head += f"{'fixed':>7}{'lost':>6}{'unjudged':>10}"
    out = [head]
    for rule in [*scores.values(), totals(scores)]:
        flag = "  < 95%" if rule.under_bar and rule.code in scores else ""
        out.append(
            f"{rule.code:<7}{rule.judged:>7}{rule.true:>6}{rule.false:>6}"
            f"{_percent(rule.precision):>11}{rule.fixed:>7}{rule.lost:>6}{rule.unjudged:>10}{flag}"
        )
    for rule in scores.values():
        for entry in rule.lost_entries:
            out.append(
                f"lost  {entry.code} {entry.codebase}/{entry.path}:{entry.line}  {entry.why}"
            )
        if verbose:
            for entry in rule.false_entries:
                out.append(
                    f"false {entry.code} {entry.codebase}/{entry.path}:{entry.line}  {entry.why}"
                )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=REPO, help="fastapi-fix checkout to run")
    parser.add_argument(
        "--judged", type=Path, default=REPO / "benchmarks" / "judged", help="judged files folder"
    )
    default_corpus = os.environ.get(
        "FASTAPI_FIX_CORPUS", str(Path.home() / ".cache" / "fastapi-fix-corpus")
    )
    parser.add_argument("--corpus", type=Path, default=Path(default_corpus))
    parser.add_argument("--codes", default="", help="only these rule codes (comma-separated)")
    parser.add_argument("--unjudged", metavar="CODE", help="list CODE's findings nobody judged")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list the false still reported"
    )
    parser.add_argument(
        "--codebase",
        action="append",
        default=[],
        help="run on this code base too (repeatable); with --unjudged of a rule nobody judged "
        "yet, the default is every code base of the corpus",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs the tool")
    args = parser.parse_args(argv)

    entries, problems = load_judged(args.judged)
    wanted = {c.strip().upper() for c in args.codes.split(",") if c.strip()}
    if args.unjudged:
        wanted = {args.unjudged.upper()}
    if wanted:
        entries = [e for e in entries if e.code in wanted]
    extra = set(args.codebase)
    if args.unjudged and not entries and not extra:
        extra = {p.name for p in corpus_folders(args.corpus)}
        if not extra:
            print(f"corpus folder missing: {args.corpus}; fetch it with: {FETCH_HINT}")
            return 2
    if not entries and not args.unjudged:
        print(f"no judged findings in {args.judged}" + (f" for {sorted(wanted)}" if wanted else ""))
        return 1 if problems else 0
    codebases = sorted({e.codebase for e in entries} | extra)
    missing = [name for name in codebases if not (args.corpus / name).is_dir()]
    if missing:
        print(
            f"corpus folder missing: {', '.join(str(args.corpus / m) for m in missing)}; "
            f"fetch it with: {FETCH_HINT}"
        )
        return 2
    drifted = drift(entries, args.corpus)
    drifted_keys = {entry.key for entry, _ in drifted}
    sound = [e for e in entries if e.key not in drifted_keys]
    codes = sorted({e.code for e in entries} | wanted)
    reported: dict[str, list[Finding]] = {}
    failures: list[str] = []
    for name in codebases:
        found, errors = run_tool(args.corpus / name, codes, args.checkout, args.python)
        reported[name] = found
        failures.extend(f"{name}: {error}" for error in errors)

    if args.unjudged:
        listed = unjudged_findings(args.unjudged.upper(), sound, reported)
        if args.json:
            print(json.dumps([{"codebase": c, **asdict(f)} for c, f in listed], indent=1))
        else:
            for codebase, f in listed:
                print(f"{codebase}/{f.path}:{f.line}: {f.code} {f.message}")
            print(f"{len(listed)} unjudged {args.unjudged.upper()} findings")
        return 0

    scores = score(sound, reported)
    under = [rule.code for rule in scores.values() if rule.under_bar]
    if args.json:
        doc = {
            "checkout": str(args.checkout),
            "codebases": codebases,
            "rules": {
                code: {
                    **{k: getattr(rule, k) for k in ("judged", "true", "false", "fixed", "lost")},
                    "unjudged": rule.unjudged,
                    "precision": rule.precision,
                    "under_bar": rule.under_bar,
                    "lost_entries": [asdict(e) for e in rule.lost_entries],
                    "false_entries": [asdict(e) for e in rule.false_entries],
                }
                for code, rule in scores.items()
            },
            "under_bar": under,
            "format_problems": problems,
            "drift": [message for _, message in drifted],
            "tool_errors": failures,
        }
        print(json.dumps(doc, indent=1))
    else:
        print(f"checkout {args.checkout}; code bases: {', '.join(codebases)}")
        print("\n".join(render(scores, args.verbose)))
        for problem in problems:
            print(f"format: {problem}")
        for _, problem in drifted:
            print(f"drift (not scored): {problem}")
        for failure in failures:
            print(f"tool: {failure}")
        bar = f"precision < {BAR:.0%} with >= {MIN_REPORTED} judged findings still reported"
        print(f"{bar}: {', '.join(under) if under else 'none'}")
    if any("exited" in f for f in failures):
        return 2
    return 1 if under or problems or drifted else 0


if __name__ == "__main__":
    sys.exit(main())
