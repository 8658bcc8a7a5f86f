#!/usr/bin/env python3
"""Run fastapi-fix on real code bases nobody wrote for it, with every fix (unsafe ones too).

Calls ../shared/corpus/fetch.sh (it downloads into ~/.cache/fastapi-fix-corpus by default) and,
on a copy of each code base:

- `fastapi-fix --unsafe-fixes --select <every rule>` must not crash: exit 0 or 1, or 2 only when
  every error is a file Python itself cannot parse (those are listed with their reasons);
- every file it wrote must compile;
- a second run must change nothing.

Prints per code base: files, findings per code, fixes per code, errors, time. Exit 1 on any
failure, 3 when the corpus could not be fetched.

    python scripts/check_corpus.py                    # every code base
    python scripts/check_corpus.py fastapi gradio     # some of them
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
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FETCH = REPO.parent / "shared" / "corpus" / "fetch.sh"
DEFAULT_CORPUS = Path(
    os.environ.get("FASTAPI_FIX_CORPUS", Path.home() / ".cache/fastapi-fix-corpus")
)
_CONCISE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) ")
_FIXED = re.compile(r"^Fixed (?P<path>.+?) \((?P<codes>[^)]*)\)$")
_ERROR = re.compile(r"^error: (?P<path>.+?): (?P<reason>.*)$")


def log(message: str = "") -> None:
    print(message, flush=True)


@dataclass
class Report:
    name: str
    files: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)
    unparseable: list[tuple[str, str]] = field(default_factory=list)  # genuinely bad input
    failures: list[str] = field(default_factory=list)  # bugs of fastapi-fix
    seconds: float = 0.0


def fetch(corpus: Path) -> dict[str, Path] | str:
    """Code base name -> folder, from fetch.sh's output lines `name folder N .py files`."""
    try:
        done = subprocess.run(
            ["bash", str(FETCH), str(corpus)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"fetch.sh failed: {exc}"
    if done.returncode != 0:
        return f"fetch.sh exited {done.returncode}: {done.stderr.strip()[-500:]}"
    bases = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and Path(parts[1]).is_dir():
            bases[parts[0]] = Path(parts[1])
    return bases


def fastapi_fix(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "fastapi_fixer.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def python_cannot_parse(path: Path) -> str | None:
    """Why CPython itself refuses the file (so fastapi-fix may too), or None."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read: {exc}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})"
    except (ValueError, UnicodeDecodeError) as exc:
        return str(exc)
    return None


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if p.is_file() and not p.is_symlink()
    }


def check_base(name: str, source: Path, codes: str, workdir: Path) -> Report:
    report = Report(name)
    copy = workdir / name
    shutil.copytree(source, copy, symlinks=True)
    base = ["--select", codes, "--unsafe-fixes", "--no-cache", "--jobs", "2"]
    before = snapshot(copy)
    report.files = len(before)
    started = time.monotonic()

    checked = fastapi_fix("check", ".", *base, "--output-format", "concise", cwd=copy)
    for line in checked.stdout.splitlines():
        match = _CONCISE.match(line)
        if match:
            report.findings[match["code"]] += 1
    if checked.returncode not in (0, 1, 2) or "Traceback" in checked.stderr:
        report.failures.append(f"check crashed (exit {checked.returncode}):\n{checked.stderr}")

    fixed = fastapi_fix(".", *base, cwd=copy)
    report.seconds = time.monotonic() - started
    for line in fixed.stdout.splitlines():
        match = _FIXED.match(line)
        if match:
            for piece in match["codes"].split(","):
                if ":" in piece:
                    code, count = piece.split(":")
                    report.fixes[code.strip()] += int(count)
    if fixed.returncode not in (0, 1, 2) or "Traceback" in fixed.stderr:
        report.failures.append(f"fix crashed (exit {fixed.returncode}):\n{fixed.stderr[-3000:]}")
    for line in fixed.stderr.splitlines():
        match = _ERROR.match(line)
        if not match:
            continue
        path, reason = match["path"], match["reason"]
        why = python_cannot_parse(copy / path)
        if why is not None and "fix dropped" not in reason:
            report.unparseable.append((path, reason))
        else:
            report.failures.append(f"{path}: {reason}")
    if fixed.returncode == 2 and not report.unparseable and not report.failures:
        report.failures.append(f"exit 2 without a listed error:\n{fixed.stderr[-2000:]}")

    after = snapshot(copy)
    for relative, data in after.items():
        if data == before.get(relative):
            continue
        why = python_cannot_parse(copy / relative)
        if why is not None:
            report.failures.append(f"{relative}: fixed output does not compile: {why}")

    again = fastapi_fix(".", *base, cwd=copy)
    if snapshot(copy) != after:
        changed = [p for p, d in snapshot(copy).items() if after.get(p) != d]
        report.failures.append(
            f"a second run changed {len(changed)} file(s): {', '.join(changed[:10])}\n"
            + "\n".join(again.stdout.splitlines()[:20])
        )
    return report


def all_codes() -> str:
    from fastapi_fixer.registry import all_rules

    return ",".join(all_rules())


def _per_code(counts: Counter[str]) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(counts.items())) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="code bases to run (default: all)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true", help="keep the fixed copies")
    parser.add_argument("--json", type=Path, help="also write the reports here")
    args = parser.parse_args(argv)

    bases = fetch(args.corpus)
    if isinstance(bases, str):
        log(f"cannot fetch the corpus: {bases}")
        return 3
    if args.names:
        unknown = sorted(set(args.names) - set(bases))
        if unknown:
            log(f"unknown code bases: {', '.join(unknown)} (have: {', '.join(bases)})")
            return 2
        bases = {n: p for n, p in bases.items() if n in args.names}
    codes = all_codes()
    log(f"rules: {codes} (unsafe fixes on)")
    workdir = Path(tempfile.mkdtemp(prefix="fastapi-fix-corpus-"))
    reports = []
    try:
        for name, folder in bases.items():
            report = check_base(name, folder, codes, workdir)
            reports.append(report)
            status = "FAIL" if report.failures else "ok"
            log(f"\n== {name} [{status}] {report.files} files, {report.seconds:.1f}s")
            log(f"   findings: {_per_code(report.findings)}")
            log(f"   fixes:    {_per_code(report.fixes)}")
            log(f"   errors:   {len(report.unparseable) + len(report.failures)}")
            log(f"   unparseable input ({len(report.unparseable)}):")
            for path, reason in report.unparseable:
                log(f"     {path}: {reason}")
            for failure in report.failures:
                log(f"   FAILURE: {failure}")
    finally:
        if args.keep:
            log(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(
            json.dumps([r.__dict__ for r in reports], indent=2, default=list), encoding="utf-8"
        )
    failed = [r.name for r in reports if r.failures]
    total_files = sum(r.files for r in reports)
    total_fixes = sum(sum(r.fixes.values()) for r in reports)
    total_time = sum(r.seconds for r in reports)
    log(
        f"\n{len(reports)} code bases, {total_files} files, {total_fixes} fixes, "
        f"{total_time:.0f}s; " + (f"FAILED: {', '.join(failed)}" if failed else "no failure")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
