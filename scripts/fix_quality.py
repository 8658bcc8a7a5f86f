#!/usr/bin/env python3
"""Does fastapi-fix's output look like code a reviewer merges as is? Measured with ruff.

For every code base of the corpus (~/.cache/fastapi-fix-corpus/<name>; `--codebases a,b` to
choose), on a temporary copy (the corpus is never modified):

1. before: `ruff check --select I001,E501,F401,F811,F821,F841` per file, and which files
   `ruff format --check` finds clean, under the project's own ruff settings (its `ruff.toml`,
   `.ruff.toml` or `[tool.ruff]`, found the way ruff finds them); a project without one gets
   ruff's defaults (`--isolated`, so no other configuration leaks in) at the project's line length
   (`[tool.black] line-length`, else 88). The `--select` on the command line replaces the
   project's own `select`/`ignore` (a project that ignores E501 still gets new long lines
   counted), while its `per-file-ignores`, `exclude` and rule options apply;
2. per mode, on a fresh copy: `fastapi-fix fix .` with the checkout under test (`safe`: no unsafe
   fixes; `all`: `--unsafe-fixes`);
3. after: the same ruff runs. A finding is NEW when a file has more findings of that code than
   before (counted per (file, code), so lines moved by a fix do not count; the findings whose
   source line did not have one of that code before are listed for reading). An E501 on a copy
   of a line the file already had over the length (FF401's hidden alias repeats the route's
   decorator) is the project's own line, not the fix's: it is counted apart (`copied_long`), not
   as new. A changed file that was formatter-clean and is no longer is listed;
4. a second fix run must change nothing, and every changed file must still parse.

Prints a table per code base and totals (`--json`: one JSON document instead). Exit 1 when a
target is missed (a new finding, a formatter-clean file made unclean, a second run that changes
something, a changed file that no longer parses, a crash or timeout), else 0.

    python scripts/fix_quality.py --codebases chainlit,gradio
    python scripts/fix_quality.py --checkout /work/main --modes safe --json > quality.json
    python scripts/fix_quality.py --save run.json ...; python scripts/fix_quality.py --show run.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(
    os.environ.get("FASTAPI_FIX_CORPUS", Path.home() / ".cache/fastapi-fix-corpus")
)
CODES = ("I001", "E501", "F401", "F811", "F821", "F841")
MODES = {"safe": ["--no-unsafe-fixes"], "all": ["--unsafe-fixes"]}
DEFAULT_LINE_LENGTH = 88
_WOULD_REFORMAT = re.compile(r"^Would reformat: (?P<path>.+)$")
_FAILED_TO_PARSE = re.compile(r"^error: Failed to (?:parse|format) (?P<path>.+?):")


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# ruff, under the project's settings


def find_ruff() -> str:
    """The ruff next to this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("ruff")
    if found is None:
        raise SystemExit("ruff not found next to Python nor on PATH: pip install ruff")
    return found


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def project_ruff_config(root: Path) -> Path | None:
    """The ruff configuration file at the project's root, in ruff's own order of precedence."""
    for name in (".ruff.toml", "ruff.toml"):
        if (root / name).is_file():
            return root / name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and isinstance(_toml(pyproject).get("tool", {}).get("ruff"), dict):
        return pyproject
    return None


def project_line_length(root: Path) -> int:
    """Without a ruff configuration: `[tool.black] line-length`, else ruff's default 88."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        black = _toml(pyproject).get("tool", {}).get("black", {})
        if isinstance(black, dict) and isinstance(black.get("line-length"), int):
            return black["line-length"]
    return DEFAULT_LINE_LENGTH


@dataclass(frozen=True)
class RuffSetup:
    ruff: str
    settings_args: tuple[str, ...]  # () under the project's configuration, else --isolated ...
    described: str

    @classmethod
    def for_project(cls, root: Path, ruff: str) -> RuffSetup:
        config = project_ruff_config(root)
        if config is not None:
            # ruff finds it (and any nested configuration) by itself from the files' folders
            return cls(ruff, (), f"project's {config.name}")
        length = project_line_length(root)
        return cls(
            ruff, ("--isolated", "--line-length", str(length)), f"ruff defaults, line {length}"
        )


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    text: str  # the source line, stripped


def ruff_findings(root: Path, setup: RuffSetup) -> list[Finding]:
    command = [
        setup.ruff,
        "check",
        *setup.settings_args,
        "--select",
        ",".join(CODES),
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        ".",
    ]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ruff check failed ({done.returncode}): {done.stderr[-2000:]}")
    lines_of: dict[str, list[str]] = {}
    out = []
    for item in json.loads(done.stdout or "[]"):
        code = item.get("code")
        if code not in CODES:  # syntax errors have no code
            continue
        path = Path(item["filename"])
        relative = (path.relative_to(root) if path.is_absolute() else path).as_posix()
        row = item["location"]["row"]
        if relative not in lines_of:
            try:
                text = (root / relative).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            lines_of[relative] = text.splitlines()
        source = lines_of[relative]
        text = source[row - 1].strip() if 0 < row <= len(source) else ""
        out.append(Finding(relative, row, code, text))
    return out


def format_unclean(root: Path, setup: RuffSetup) -> set[str]:
    """Files `ruff format --check` would change or cannot format, relative to root."""
    command = [
        setup.ruff,
        "format",
        *setup.settings_args,
        "--check",
        "--no-cache",
        "--output-format",
        "json",
        ".",
    ]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    unclean = set()
    try:
        items = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:  # a ruff without `format --output-format`: its text lines
        items = []
        for line in (done.stdout + "\n" + done.stderr).splitlines():
            match = _WOULD_REFORMAT.match(line.strip()) or _FAILED_TO_PARSE.match(line.strip())
            if match:
                items.append({"filename": match["path"]})
    for item in items:  # "unformatted", or "invalid-syntax" (not clean either)
        path = Path(item["filename"])
        unclean.add((path.relative_to(root) if path.is_absolute() else path).as_posix())
    if done.returncode not in (0, 1, 2) or (done.returncode and not unclean):
        raise RuntimeError(f"ruff format failed ({done.returncode}): {done.stderr[-2000:]}")
    return unclean


@dataclass
class RuffState:
    findings: list[Finding]
    unclean: set[str]

    @classmethod
    def of(cls, root: Path, setup: RuffSetup) -> RuffState:
        return cls(ruff_findings(root, setup), format_unclean(root, setup))

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((f.path, f.code) for f in self.findings)


# ---------------------------------------------------------------------------------------------
# files, and the fix run


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for pattern in ("*.py", "*.pyi"):
        for path in root.rglob(pattern):
            if path.is_file() and not path.is_symlink():
                out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def parse_error(data: bytes, name: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})"
    except (ValueError, UnicodeDecodeError) as exc:
        return str(exc)
    return None


@dataclass
class FixRun:
    exit_code: int | None  # None: timed out
    seconds: float
    stderr_tail: str


def run_fix(
    copy: Path, checkout: Path, mode: str, timeout: float | None, cache_dir: Path
) -> FixRun:
    command = [sys.executable, "-m", "fastapi_fixer", "fix", ".", "--no-cache", *MODES[mode]]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(checkout), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "FASTAPI_FIX_CACHE_DIR": str(cache_dir),
    }
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=copy,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        tail = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        return FixRun(None, time.monotonic() - started, tail[-2000:])
    return FixRun(done.returncode, time.monotonic() - started, done.stderr[-2000:])


# ---------------------------------------------------------------------------------------------
# the comparison


@dataclass
class ModeReport:
    mode: str
    files_changed: int = 0
    files_created: int = 0
    new_by_code: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CODES, 0))
    new_findings: list[str] = field(default_factory=list)  # "path:line: CODE text", to read
    # E501 on copies of lines the file already had over the length: "path:line: text"
    copied_long: list[str] = field(default_factory=list)
    changed_clean_before: int = 0
    made_unclean: list[str] = field(default_factory=list)
    created_unclean: list[str] = field(default_factory=list)  # info: new files not clean
    unparseable: list[str] = field(default_factory=list)
    second_run_changed: list[str] = field(default_factory=list)
    fix_exit: int | None = 0
    second_exit: int | None = 0
    crashed: str = ""
    seconds: float = 0.0

    @property
    def new_total(self) -> int:
        return sum(self.new_by_code.values())

    @property
    def missed(self) -> list[str]:
        out = []
        if self.new_total:
            out.append(f"{self.new_total} new ruff findings")
        if self.made_unclean:
            out.append(f"{len(self.made_unclean)} formatter-clean files made unclean")
        if self.second_run_changed:
            out.append(f"second run changed {len(self.second_run_changed)} files")
        if self.unparseable:
            out.append(f"{len(self.unparseable)} changed files do not parse")
        if self.crashed:
            out.append(self.crashed)
        return out


@dataclass
class CodebaseReport:
    name: str
    files: int
    ruff_settings: str
    modes: list[ModeReport]


def compare(
    before_files: dict[str, bytes],
    after_files: dict[str, bytes],
    before: RuffState,
    after: RuffState,
    report: ModeReport,
) -> None:
    """Fill ``report`` with what the fix changed, from the two snapshots and ruff states."""
    changed = {p for p, data in after_files.items() if before_files.get(p) != data}
    report.files_created = sum(1 for p in changed if p not in before_files)
    report.files_changed = len(changed) - report.files_created
    was = before.counts()
    now = after.counts()
    seen_before: dict[tuple[str, str], Counter[str]] = {}
    for finding in before.findings:
        seen_before.setdefault((finding.path, finding.code), Counter())[finding.text] += 1
    for key in sorted(now):
        path, code = key
        grown = now[key] - was.get(key, 0)
        if grown <= 0:
            continue
        # list the findings on lines that had none of this code before (a line moved by the fix
        # keeps its text, so it is matched and left out)
        old = Counter(seen_before.get(key, Counter()))
        copies = 0
        for finding in sorted(after.findings, key=lambda f: f.line):
            if (finding.path, finding.code) != key:
                continue
            if old[finding.text] > 0:
                old[finding.text] -= 1
                continue
            if code == "E501" and finding.text in seen_before.get(key, Counter()):
                copies += 1
                report.copied_long.append(f"{path}:{finding.line}: {finding.text[:100]}")
                continue
            report.new_findings.append(f"{path}:{finding.line}: {code} {finding.text[:100]}")
        report.new_by_code[code] += max(grown - copies, 0)
    for path in sorted(changed):
        if path not in before_files:
            if path in after.unclean:
                report.created_unclean.append(path)
            continue
        if parse_error(before_files[path], path) is None:
            why = parse_error(after_files[path], path)
            if why is not None:
                report.unparseable.append(f"{path}: {why}")
        if path not in before.unclean:
            report.changed_clean_before += 1
            if path in after.unclean:
                report.made_unclean.append(path)


def measure_mode(
    source: Path,
    checkout: Path,
    mode: str,
    setup: RuffSetup,
    before_files: dict[str, bytes],
    before: RuffState,
    scratch: Path,
    timeout: float | None,
) -> ModeReport:
    report = ModeReport(mode)
    copy = scratch / mode / source.name
    shutil.copytree(source, copy, symlinks=True)
    cache = scratch / f"cache-{mode}"
    first = run_fix(copy, checkout, mode, timeout, cache)
    report.fix_exit, report.seconds = first.exit_code, first.seconds
    if first.exit_code is None:
        report.crashed = f"fix timed out after {timeout:.0f} s"
        return report
    if first.exit_code not in (0, 1, 2) or "Traceback" in first.stderr_tail:
        report.crashed = f"fix crashed (exit {first.exit_code}): {first.stderr_tail[-800:]}"
    after_files = snapshot(copy)
    compare(before_files, after_files, before, RuffState.of(copy, setup), report)
    second = run_fix(copy, checkout, mode, timeout, cache)
    report.second_exit = second.exit_code
    if second.exit_code is None:
        report.crashed = report.crashed or f"second fix run timed out after {timeout:.0f} s"
    again = snapshot(copy)
    report.second_run_changed = sorted(
        p for p in set(again) | set(after_files) if again.get(p) != after_files.get(p)
    )
    return report


def measure_codebase(
    source: Path,
    checkout: Path,
    modes: list[str],
    ruff: str | None = None,
    timeout: float | None = None,
) -> CodebaseReport:
    """The whole measure on one code base (copied; ``source`` is never written)."""
    ruff = ruff or find_ruff()
    with tempfile.TemporaryDirectory(prefix="fix-quality-") as scratch_name:
        scratch = Path(scratch_name)
        base = scratch / "before" / source.name
        shutil.copytree(source, base, symlinks=True)
        setup = RuffSetup.for_project(base, ruff)
        before_files = snapshot(base)
        before = RuffState.of(base, setup)
        reports = [
            measure_mode(source, checkout, mode, setup, before_files, before, scratch, timeout)
            for mode in modes
        ]
    return CodebaseReport(source.name, len(before_files), setup.described, reports)


# ---------------------------------------------------------------------------------------------
# output


def corpus_names(corpus: Path) -> list[str]:
    return sorted(
        p.name
        for p in corpus.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and not p.name.endswith(".part")
    )


def _row(name: str, mode: str, r: ModeReport | None, totals: dict[str, Any]) -> str:
    if r is None:
        return ""
    codes = "".join(f"{r.new_by_code[c]:>6}" for c in CODES)
    fmt = f"{len(r.made_unclean)}/{r.changed_clean_before}"
    idem = "yes" if not r.second_run_changed else f"NO ({len(r.second_run_changed)})"
    status = "ok" if not r.missed else "MISSED"
    for key, value in (
        ("changed", r.files_changed),
        ("new", r.new_total),
        ("unclean", len(r.made_unclean)),
        ("clean_before", r.changed_clean_before),
        ("not_idempotent", len(r.second_run_changed)),
        ("unparseable", len(r.unparseable)),
    ):
        totals[key] = totals.get(key, 0) + value
    for code in CODES:
        totals[code] = totals.get(code, 0) + r.new_by_code[code]
    return (
        f"{name:<20}{mode:<6}{r.files_changed:>8}{codes}{r.new_total:>6}{fmt:>10}"
        f"{idem:>9}{len(r.unparseable):>7}{r.seconds:>8.0f}  {status}"
    )


def print_table(reports: list[CodebaseReport], checkout: Path, details: bool) -> None:
    print(f"checkout: {checkout} ({_git_head(checkout)})")
    header = (
        f"{'code base':<20}{'mode':<6}{'changed':>8}"
        + "".join(f"{c:>6}" for c in CODES)
        + f"{'new':>6}{'fmt-broke':>10}{'2nd-ok':>9}{'parse':>7}{'fix s':>8}"
    )
    print(header)
    print("-" * len(header))
    totals: dict[str, dict[str, Any]] = {}
    for codebase in reports:
        for r in codebase.modes:
            print(_row(codebase.name, r.mode, r, totals.setdefault(r.mode, {})))
    print("-" * len(header))
    for mode, t in totals.items():
        codes = "".join(f"{t[c]:>6}" for c in CODES)
        print(
            f"{'TOTAL':<20}{mode:<6}{t['changed']:>8}{codes}{t['new']:>6}"
            f"{str(t['unclean']) + '/' + str(t['clean_before']):>10}"
            f"{'yes' if not t['not_idempotent'] else 'NO (' + str(t['not_idempotent']) + ')':>9}"
            f"{t['unparseable']:>7}"
        )
    print(
        "\ncolumns: files changed by the fix; NEW ruff findings per code (per file, count after "
        "minus before); fmt-broke = changed files formatter-clean before and unclean after / "
        "changed files clean before; 2nd-ok = a second fix run changes nothing; parse = changed "
        "files that no longer parse"
    )
    for codebase in reports:
        print(f"\n== {codebase.name}: {codebase.files} files, ruff: {codebase.ruff_settings}")
        for r in codebase.modes:
            print(f"  [{r.mode}] " + ("; ".join(r.missed) or "every target met"))
            if not details:
                continue
            for line in r.new_findings:
                print(f"    new: {line}")
            for path in r.made_unclean:
                print(f"    formatter-clean no more: {path}")
            for path in r.created_unclean:
                print(f"    (info) created, not formatter-clean: {path}")
            for line in r.unparseable:
                print(f"    does not parse: {line}")
            for path in r.second_run_changed[:20]:
                print(f"    second run changed: {path}")


def to_json(reports: list[CodebaseReport], checkout: Path) -> dict[str, Any]:
    out = []
    for codebase in reports:
        item = asdict(codebase)
        for mode_item, r in zip(item["modes"], codebase.modes, strict=True):
            mode_item["new_total"] = r.new_total
            mode_item["missed"] = r.missed
        out.append(item)
    return {
        "checkout": str(checkout),
        "commit": _git_head(checkout),
        "codes": list(CODES),
        "codebases": out,
        "ok": not any(r.missed for c in reports for r in c.modes),
    }


def from_json(saved: dict[str, Any]) -> list[CodebaseReport]:
    reports = []
    for item in saved["codebases"]:
        modes = []
        for mode in item["modes"]:
            fields = {k: v for k, v in mode.items() if k not in ("new_total", "missed")}
            modes.append(ModeReport(**fields))
        reports.append(CodebaseReport(item["name"], item["files"], item["ruff_settings"], modes))
    return reports


def _git_head(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()[:80] or "not a git checkout"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=REPO, help="fastapi-fix to measure")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--codebases", help="comma-separated names (default: every one)")
    parser.add_argument("--modes", default="safe,all", help="safe, all or both (default)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per fix run")
    parser.add_argument("--ruff", help="ruff binary (default: next to Python, else on PATH)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--brief", action="store_true", help="no per-finding details")
    parser.add_argument("--save", type=Path, help="write the JSON here after each code base")
    parser.add_argument("--show", type=Path, help="print the table of a saved JSON and exit")
    args = parser.parse_args(argv)
    if args.show:
        saved = json.loads(args.show.read_text(encoding="utf-8"))
        reports = from_json(saved)
        print_table(reports, Path(saved["checkout"]), details=not args.brief)
        return 1 if any(r.missed for c in reports for r in c.modes) else 0

    checkout = args.checkout.resolve()
    if not (checkout / "fastapi_fixer").is_dir():
        parser.error(f"{checkout} has no fastapi_fixer package")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - set(MODES):
        parser.error(f"--modes takes {', '.join(MODES)}")
    available = corpus_names(args.corpus) if args.corpus.is_dir() else []
    names = args.codebases.split(",") if args.codebases else available
    unknown = sorted(set(names) - set(available))
    if unknown:
        parser.error(f"unknown code bases: {', '.join(unknown)} (have: {', '.join(available)})")
    ruff = args.ruff or find_ruff()
    log(f"ruff: {ruff}; checkout: {checkout}")
    reports = []
    for name in names:
        started = time.monotonic()
        report = measure_codebase(args.corpus / name, checkout, modes, ruff, args.timeout)
        reports.append(report)
        summary = ", ".join(f"{r.mode}: {'; '.join(r.missed) or 'ok'}" for r in report.modes)
        log(f"{name}: {summary} ({time.monotonic() - started:.0f} s)")
        if args.save:  # after every code base, so a long run stopped early keeps what it has
            args.save.write_text(json.dumps(to_json(reports, checkout), indent=2) + "\n")
    if args.json:
        print(json.dumps(to_json(reports, checkout), indent=2))
    else:
        print_table(reports, checkout, details=not args.brief)
    return 1 if any(r.missed for c in reports for r in c.modes) else 0


if __name__ == "__main__":
    sys.exit(main())
