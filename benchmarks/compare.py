"""Side-by-side timing of fastapi-fix and its peers on real code bases, and issue 14's targets.

    python benchmarks/compare.py                 # the code bases of ../shared/corpus/fetch.sh
    python benchmarks/compare.py PATH [PATH...]  # any folders
    python benchmarks/compare.py --codebases chainlit,gradio   # by name, from the corpus
    python benchmarks/compare.py --rounds 5 --scaling
    python benchmarks/compare.py --targets-only --codebases fastapi --timeout 600 --json out.json
    python benchmarks/compare.py --checkout ../other-worktree ...   # measure another checkout

For each code base, in interleaved rounds (so machine noise hits every tool alike), it times:
`fastapi-fix check` cold (no cache; all rules, and only the rules that overlap ruff's FAST and
ASYNC groups) and warm (nothing changed), one changed file (a body edit and a new function),
`fastapi-fix --dry-run`, `ruff check --select FAST,ASYNC --no-cache` on the same files, and a
plain LibCST parse of every file; it reports medians, ratios to ruff, files,
lines, files/s and peak memory (max RSS of the process tree's largest process).

Then (`--targets-only`: only this) the costs issue 14 sets targets for, per command: wall time,
CPU time (user + system of the command and every process it waited for) and peak memory (max
RSS of the largest process), for `check` cold, `--dry-run`, `--dry-run --unsafe-fixes`,
`check --output-format json` and `fastapi-fix --unsafe-fixes` writing a fresh copy (empty
cache), with the CPU ratios to `check` cold and each target marked met or missed:
`--dry-run --unsafe-fixes` <= 2x check cold, json <= 1.5x, peak memory < 1 GiB, and on the
fastapi sdist `--unsafe-fixes` <= 30 s wall. A command running longer than `--timeout` is
killed and reported as "timeout" (a missed target). Numbers are for this machine; only the
targets are judged, and nothing exits non-zero for them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the rules that do what ruff's FAST and ASYNC groups do: blocking and sync-SDK calls in async
# code (ASYNC2xx), `Annotated` dependencies (FAST002), unused path parameters (FAST003)
OVERLAP = "FF101,FF102,FF303,FF408"
FETCH = HERE.parent.parent / "shared" / "corpus" / "fetch.sh"
DEFAULT_CORPUS = Path(
    os.environ.get("FASTAPI_FIX_CORPUS", Path.home() / ".cache/fastapi-fix-corpus")
)
PARSE_WITH_LIBCST = """
import sys, libcst
from pathlib import Path
try:
    from fastapi_fixer.engine.discovery import discover
except ImportError:  # an older checkout
    from fastapi_fixer.discovery import discover
files = discover([sys.argv[1]]).files
for path in files:
    try:
        libcst.parse_module(open(path, "rb").read())
    except Exception:
        pass
"""
# issue 14's targets
DRY_RUN_UNSAFE_MAX = 2.0  # x check cold, CPU
JSON_MAX = 1.5  # x check cold, CPU
PEAK_MAX_KB = 1024 * 1024  # 1 GiB
FIX_WALL_MAX = {"fastapi": 30.0}  # seconds, `--unsafe-fixes` writing, on 2 cores


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    peak_kb: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one command and its children."""
    measure = measured(command, env)
    if measure.exit_code not in (0, 1):
        raise SystemExit(f"command failed ({measure.exit_code}): {' '.join(command)}")
    return measure.wall, measure.peak_kb


@dataclass
class Measure:
    wall: float
    cpu: float  # user + system seconds of the command and the processes it waited for
    peak_kb: int  # max RSS of the largest of them
    exit_code: int | None  # None: killed at the timeout (then cpu is what it had used)

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


def measured(
    command: list[str],
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    cwd: Path | None = None,
) -> Measure:
    """Run one command; `os.wait4` gives its rusage, which on Linux includes every descendant
    it waited for (the worker processes). Past ``timeout`` its process group is killed."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,  # its own process group, so a timeout ends its workers too
    )
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        _kill_group(process.pid)

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if timer:
            timer.cancel()
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if killed.is_set():
        _kill_group(process.pid)  # workers left behind by the killed leader
    return Measure(
        wall=elapsed,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_kb=usage.ru_maxrss,
        exit_code=None if killed.is_set() else process.returncode,
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def count(folder: Path) -> tuple[int, int]:
    try:
        sys.path.insert(0, str(HERE.parent))
        from fastapi_fixer.engine.discovery import discover

        files = discover([str(folder)]).files
    except ImportError:
        files = [str(p) for p in folder.rglob("*.py")]
    lines = 0
    for path in files:
        with open(path, "rb") as handle:
            lines += handle.read().count(b"\n")
    return len(files), lines


def corpus() -> list[Path]:
    out = subprocess.run(["bash", str(FETCH)], capture_output=True, text=True, check=True)
    return [Path(line.split()[1]) for line in out.stdout.splitlines() if line.strip()]


def find_ruff() -> str | None:
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.is_file() else shutil.which("ruff")


def tool_env(checkout: Path | None, cache_dir: Path) -> dict[str, str]:
    env = {**os.environ, "FASTAPI_FIX_CACHE_DIR": str(cache_dir)}
    # an installed tool has its bytecode compiled (pip does it); without that, every run
    # would compile every module again and time Python's compiler, not the tool
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if checkout is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(checkout), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    return env


def bench(
    folder: Path, rounds: int, jobs: int | None, checkout: Path | None = None
) -> dict[str, Timing]:
    tool = [sys.executable, "-m", "fastapi_fixer"]
    jobs_args = ["--jobs", str(jobs)] if jobs else []
    ruff = find_ruff() or "ruff"
    timings: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / folder.name
        shutil.copytree(folder, work, symlinks=True)
        env = tool_env(checkout, Path(scratch) / "cache")
        target = _file_to_touch(work)
        original = target.read_text(encoding="utf-8", errors="surrogateescape")
        cases = {
            "ruff (FAST,ASYNC)": lambda: run(
                [ruff, "check", "--select", "FAST,ASYNC", "--no-cache", "-q", str(work)]
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


# ---------------------------------------------------------------------------------------------
# issue 14: CPU, memory and wall of check, the fix previews, json output and the fix itself

TARGET_CASES = (
    "check cold",
    "--dry-run",
    "--dry-run --unsafe-fixes",
    "check --output-format json",
    "--unsafe-fixes (writes)",
)


def targets(
    folder: Path,
    rounds: int,
    jobs: int | None,
    timeout: float | None,
    checkout: Path | None = None,
) -> dict[str, Measure]:
    """Per case, the round with the median CPU time (a timeout wins: it is what to report)."""
    tool = [sys.executable, "-m", "fastapi_fixer"]
    jobs_args = ["--jobs", str(jobs)] if jobs else []
    seen: dict[str, list[Measure]] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        work = scratch / "read" / folder.name
        shutil.copytree(folder, work, symlinks=True)
        env = tool_env(checkout, scratch / "cache")
        # with `-m`, the working folder comes first on sys.path: run from the checkout measured
        cwd = checkout
        reads = {
            "check cold": [*tool, "check", "--no-cache", *jobs_args, str(work)],
            "--dry-run": [*tool, "fix", "--dry-run", "--no-cache", *jobs_args, str(work)],
            "--dry-run --unsafe-fixes": [
                *tool,
                "fix",
                "--dry-run",
                "--unsafe-fixes",
                "--no-cache",
                *jobs_args,
                str(work),
            ],
            "check --output-format json": [
                *tool,
                "check",
                "--no-cache",
                "--output-format",
                "json",
                *jobs_args,
                str(work),
            ],
        }
        skip: set[str] = set()  # a case that timed out once is not run again
        for round_number in range(rounds):
            for name, command in reads.items():
                if name in skip:
                    continue
                measure = measured(command, env, timeout, cwd)
                seen.setdefault(name, []).append(measure)
                if measure.timed_out:
                    skip.add(name)
            name = "--unsafe-fixes (writes)"
            if name in skip:
                continue
            copy = scratch / f"write-{round_number}" / folder.name
            shutil.copytree(folder, copy, symlinks=True)
            fix_env = tool_env(checkout, scratch / f"cache-write-{round_number}")
            measure = measured(
                [*tool, "--unsafe-fixes", *jobs_args, str(copy)], fix_env, timeout, cwd
            )
            shutil.rmtree(copy.parent, ignore_errors=True)
            seen.setdefault(name, []).append(measure)
            if measure.timed_out:
                skip.add(name)
    out = {}
    for name, measures in seen.items():
        late = [m for m in measures if m.timed_out]
        out[name] = late[0] if late else sorted(measures, key=lambda m: m.cpu)[len(measures) // 2]
    return out


@dataclass
class Verdict:
    target: str
    value: str
    met: bool | None  # None: cannot tell (the reference timed out)


def judge(name: str, measures: dict[str, Measure], timeout: float | None) -> list[Verdict]:
    check = measures.get("check cold")
    verdicts = []

    def ratio_target(case: str, limit: float) -> None:
        measure = measures.get(case)
        label = f"{case} <= {limit:g}x check cold (CPU)"
        if measure is None:
            return
        if measure.timed_out:
            floor = (
                f", >= {measure.cpu / check.cpu:.0f}x"
                if check is not None and not check.timed_out and check.cpu > 0
                else ""
            )
            verdicts.append(Verdict(label, f"timeout (> {timeout:.0f} s wall{floor})", False))
        elif check is None or check.timed_out or check.cpu <= 0:
            verdicts.append(Verdict(label, "check cold timed out", None))
        else:
            ratio = measure.cpu / check.cpu
            verdicts.append(Verdict(label, f"{ratio:.1f}x", ratio <= limit))

    ratio_target("--dry-run --unsafe-fixes", DRY_RUN_UNSAFE_MAX)
    ratio_target("check --output-format json", JSON_MAX)
    finished = [m for m in measures.values() if not m.timed_out]
    if finished:
        peak = max(m.peak_kb for m in finished)
        verdicts.append(
            Verdict("peak memory < 1 GiB", f"{peak / 1024:.0f} MiB", peak < PEAK_MAX_KB)
        )
    if name in FIX_WALL_MAX and "--unsafe-fixes (writes)" in measures:
        limit = FIX_WALL_MAX[name]
        measure = measures["--unsafe-fixes (writes)"]
        label = f"--unsafe-fixes <= {limit:.0f} s wall ({os.cpu_count()} cores)"
        if measure.timed_out:
            verdicts.append(Verdict(label, f"timeout (> {timeout:.0f} s)", False))
        else:
            verdicts.append(Verdict(label, f"{measure.wall:.1f} s", measure.wall <= limit))
    return verdicts


def print_targets(name: str, measures: dict[str, Measure], verdicts: list[Verdict]) -> None:
    check = measures.get("check cold")
    print(f"  {'issue 14 case':<30}{'wall s':>9}{'CPU s':>9}{'x check':>9}{'peak MiB':>10}  exit")
    for case in TARGET_CASES:
        measure = measures.get(case)
        if measure is None:
            continue
        if measure.timed_out:
            # the CPU its main process had used when killed (its workers' is lost): a floor
            print(
                f"  {case:<30}{'timeout':>9}{'>=' + format(measure.cpu, '.0f'):>9}{'':>9}"
                f"{'':>10}  killed at {measure.wall:.0f} s wall"
            )
            continue
        ratio = (
            measure.cpu / check.cpu
            if check is not None and not check.timed_out and check.cpu > 0
            else math.nan
        )
        print(
            f"  {case:<30}{measure.wall:>9.2f}{measure.cpu:>9.2f}{ratio:>9.2f}"
            f"{measure.peak_kb / 1024:>10.0f}  {measure.exit_code}"
        )
    for verdict in verdicts:
        mark = {True: "met", False: "MISSED", None: "unknown"}[verdict.met]
        print(f"  target: {verdict.target}: {verdict.value} -> {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--codebases", help="comma-separated code base names from --corpus")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--checkout", type=Path, help="the fastapi-fix checkout to measure (default: this one)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--target-rounds", type=int, default=1, help="rounds of issue 14's cases (default 1)"
    )
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds per command of issue 14's cases"
    )
    parser.add_argument("--scaling", action="store_true", help="also time growing subsets")
    parser.add_argument(
        "--targets-only", action="store_true", help="only issue 14's cases and targets"
    )
    parser.add_argument("--json", type=Path, help="also write issue 14's measures here")
    args = parser.parse_args()
    checkout = (args.checkout or HERE.parent).resolve()
    if not (checkout / "fastapi_fixer").is_dir():
        parser.error(f"{checkout} has no fastapi_fixer package")
    if not args.targets_only and find_ruff() is None:
        raise SystemExit("ruff is not installed: pip install ruff")
    folders = [path.resolve() for path in args.paths]
    if args.codebases:
        for name in args.codebases.split(","):
            if not (args.corpus / name).is_dir():
                parser.error(f"no code base {name!r} in {args.corpus}")
            folders.append(args.corpus / name)
    folders = folders or corpus()
    os.chdir(checkout)  # `-m fastapi_fixer` imports from the working folder first
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        + ("" if args.targets_only else f"rounds {args.rounds}, ")
        + f"issue 14 rounds {args.target_rounds}, timeout {args.timeout:.0f} s, "
        f"checkout {checkout}"
    )
    report = []
    for folder in folders:
        files, lines = count(folder)
        print(f"\n{folder.name}: {files} files, {lines} lines")
        if not args.targets_only:
            timings = bench(folder, args.rounds, args.jobs, checkout)
            ruff = timings["ruff (FAST,ASYNC)"].median
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
        measures = targets(folder, args.target_rounds, args.jobs, args.timeout, checkout)
        verdicts = judge(folder.name, measures, args.timeout)
        print_targets(folder.name, measures, verdicts)
        report.append(
            {
                "codebase": folder.name,
                "files": files,
                "lines": lines,
                "measures": {name: asdict(m) for name, m in measures.items()},
                "targets": [asdict(v) for v in verdicts],
            }
        )
    if report:
        print("\nissue 14 targets:")
        for item in report:
            marks = ", ".join(
                f"{v['target'].split(' <=')[0].split(' <')[0]}: "
                f"{v['value']} {'met' if v['met'] else 'MISSED' if v['met'] is False else '?'}"
                for v in item["targets"]
            )
            print(f"  {item['codebase']:<16}{marks}")
    if args.json:
        args.json.write_text(
            json.dumps({"checkout": str(checkout), "codebases": report}, indent=2),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
