"""Side-by-side timing of fastapi-fix and its peers on real code bases.

    python benchmarks/compare.py                 # the code bases of ../shared/corpus/fetch.sh
    python benchmarks/compare.py PATH [PATH...]  # any folders
    python benchmarks/compare.py --rounds 5 --scaling

For each code base, in interleaved rounds (so machine noise hits every tool alike), it times:
`fastapi-fix check` cold (no cache; all rules, and only the rules that overlap ruff's FAST and
ASYNC groups) and warm (nothing changed), one changed file (a body edit and a new function),
`fastapi-fix --dry-run`, `ruff check --select FAST,ASYNC --no-cache` on the same files, and a
plain LibCST parse of every file; it reports medians, ratios to ruff, files,
lines, files/s and peak memory (max RSS of the process tree's largest process).
Numbers are for this machine; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the rules that do what ruff's FAST and ASYNC groups do: blocking and sync-SDK calls in async
# code (ASYNC2xx), `Annotated` dependencies (FAST002), unused path parameters (FAST003)
OVERLAP = "FF101,FF102,FF303,FF408"
FETCH = HERE.parent.parent / "shared" / "corpus" / "fetch.sh"
PARSE_WITH_LIBCST = """
import sys, libcst
from fastapi_fixer.engine.discovery import discover
for path in discover([sys.argv[1]]).files:
    try:
        libcst.parse_module(open(path, "rb").read())
    except Exception:
        pass
"""


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    peak_kb: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command and its children."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"command failed ({process.returncode}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def count(folder: Path) -> tuple[int, int]:
    sys.path.insert(0, str(HERE.parent))
    from fastapi_fixer.engine.discovery import discover

    files = discover([str(folder)]).files
    lines = 0
    for path in files:
        with open(path, "rb") as handle:
            lines += handle.read().count(b"\n")
    return len(files), lines


def corpus() -> list[Path]:
    out = subprocess.run(["bash", str(FETCH)], capture_output=True, text=True, check=True)
    return [Path(line.split()[1]) for line in out.stdout.splitlines() if line.strip()]


def bench(folder: Path, rounds: int, jobs: int | None) -> dict[str, Timing]:
    tool = [sys.executable, "-m", "fastapi_fixer"]
    jobs_args = ["--jobs", str(jobs)] if jobs else []
    timings: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / folder.name
        shutil.copytree(folder, work, symlinks=True)
        env = {**os.environ, "FASTAPI_FIX_CACHE_DIR": str(Path(scratch) / "cache")}
        # an installed tool has its bytecode compiled (pip does it); without that, every run
        # would compile every module again and time Python's compiler, not the tool
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        target = _file_to_touch(work)
        original = target.read_text(encoding="utf-8", errors="surrogateescape")
        cases = {
            "ruff (FAST,ASYNC)": lambda: run(
                ["ruff", "check", "--select", "FAST,ASYNC", "--no-cache", "-q", str(work)]
            ),
            "check cold": lambda: run([*tool, "check", "--no-cache", *jobs_args, str(work)], env),
            "check cold, overlap": lambda: run(
                [*tool, "check", "--no-cache", "--select", OVERLAP, *jobs_args, str(work)], env
            ),
            "check warm": lambda: _warm(run, [*tool, "check", *jobs_args, str(work)], env),
            "one file, body edit": lambda: _edit_then(
                target, original, "\n# edited\n", [*tool, "check", *jobs_args, str(work)], env
            ),
            "one file, new function": lambda: _edit_then(
                target,
                original,
                "\n\ndef _benchmark_added():\n    return 1\n",
                [*tool, "check", *jobs_args, str(work)],
                env,
            ),
            "--dry-run": lambda: run(
                [*tool, "--dry-run", "--no-cache", *jobs_args, str(work)], env
            ),
            "libcst parse": lambda: run([sys.executable, "-c", PARSE_WITH_LIBCST, str(work)], env),
        }
        run([*tool, "check", *jobs_args, str(work)], env)  # prime the cache
        for _ in range(rounds):
            for name, case in cases.items():
                seconds, peak = case()
                timing = timings.setdefault(name, Timing())
                timing.seconds.append(seconds)
                timing.peak_kb = max(timing.peak_kb, peak)
    return timings


def _warm(runner, command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Nothing changed since the last run: prime the cache first (the edit cases before may have
    left it holding another version of a file), then measure."""
    runner(command, env)
    return runner(command, env)


def _file_to_touch(folder: Path) -> Path:
    candidates = sorted(folder.rglob("*.py"), key=lambda p: (-p.stat().st_size, str(p)))
    for path in candidates:
        if "fastapi" in path.read_text(encoding="utf-8", errors="replace"):
            return path
    return candidates[0]


def _edit_then(
    path: Path, original: str, addition: str, command: list[str], env: dict[str, str]
) -> tuple[float, int]:
    run(command, env)  # the cache holds the original
    path.write_text(original + addition, encoding="utf-8", errors="surrogateescape")
    try:
        return run(command, env)
    finally:
        path.write_text(original, encoding="utf-8", errors="surrogateescape")


def scaling(folder: Path, jobs: int | None) -> list[tuple[int, int, float]]:
    """check cold on growing fractions of a code base: (files, lines, median seconds)."""
    files = sorted(p for p in folder.rglob("*.py"))
    out = []
    for fraction in (0.25, 0.5, 1.0):
        chosen = files[: max(1, int(len(files) * fraction))]
        with tempfile.TemporaryDirectory() as scratch:
            for path in chosen:
                target = Path(scratch) / path.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
            tool = [sys.executable, "-m", "fastapi_fixer", "check", "--no-cache"]
            if jobs:
                tool += ["--jobs", str(jobs)]
            runs = [run([*tool, scratch])[0] for _ in range(3)]
            lines = sum(p.read_bytes().count(b"\n") for p in chosen)
            out.append((len(chosen), lines, statistics.median(runs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--scaling", action="store_true", help="also time growing subsets")
    args = parser.parse_args()
    if shutil.which("ruff") is None:
        raise SystemExit("ruff is not installed: pip install ruff")
    folders = args.paths or corpus()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, rounds {args.rounds}")
    for folder in folders:
        files, lines = count(folder)
        timings = bench(folder, args.rounds, args.jobs)
        ruff = timings["ruff (FAST,ASYNC)"].median
        print(f"\n{folder.name}: {files} files, {lines} lines")
        print(f"  {'case':<26}{'median s':>10}{'x ruff':>9}{'files/s':>10}{'peak MiB':>10}")
        for name, timing in timings.items():
            ratio = timing.median / ruff if ruff else float("nan")
            rate = files / timing.median if timing.median else float("nan")
            print(
                f"  {name:<26}{timing.median:>10.3f}{ratio:>9.2f}{rate:>10.0f}"
                f"{timing.peak_kb / 1024:>10.0f}"
            )
        if args.scaling:
            for chosen, chosen_lines, seconds in scaling(folder, args.jobs):
                per = seconds / chosen_lines * 1e6 if chosen_lines else 0
                print(f"  scaling: {chosen} files, {chosen_lines} lines: {seconds:.3f} s")
                print(f"           ({per:.1f} µs/line)")


if __name__ == "__main__":
    main()
