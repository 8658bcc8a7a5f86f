#!/usr/bin/env python3
"""See what `fixing/format.tidy_format` does to a real file: make fix-like edits to a copy (a
long `Annotated[..., Depends(...)]` parameter added to some functions, some calls wrapped in
`await run_in_threadpool(...)`), tidy them, print the diff from the edited text to the tidied
one, what ruff was asked, and the CPU time next to a LibCST parse of the same text.

    python scripts/tidy_format_demo.py ~/.cache/fastapi-fix-corpus/gradio/gradio/blocks.py
    python scripts/tidy_format_demo.py PATH --edits 10 --seed 3

The file is never written: the copy sits in a temporary folder next to nothing, so its style
is read from the file's own project (`style_for(PATH)`) and passed along.
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi_fixer.fixing.format import FormatUnavailable, format_report
from fastapi_fixer.fixing.project_style import style_for

PARAMETER = "settings: Annotated[ApplicationSettings, Depends(get_application_settings)], "


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _edit(text: str, count: int, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    heads = [i for i, line in enumerate(lines) if re.match(r"\s*(async )?def \w+\(", line)]
    calls = [i for i, line in enumerate(lines) if re.match(r"\s+\w+ = \w+\(.*\)\s*$", line)]
    for i in rng.sample(heads, min(count - count // 2, len(heads))):
        lines[i] = re.sub(r"def (\w+)\(", rf"def \1({PARAMETER}", lines[i], count=1)
    for i in rng.sample(calls, min(count // 2, len(calls))):
        lines[i] = re.sub(r"= (\w+)\(", r"= await run_in_threadpool(\1, ", lines[i], count=1)
    return "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    before = Path(args.path).read_text(encoding="utf-8")
    after = _edit(before, args.edits, random.Random(args.seed))
    style = style_for(args.path)
    print(
        f"style: line length {style.line_length}, formatter {style.formatter}, "
        f"quotes {style.quote_style}, ruff config {style.ruff_config}"
    )
    start = _cpu()
    try:
        report = format_report(args.path, before, after, style)
    except FormatUnavailable as exc:
        print(f"not formatted: {exc.reason}")
        return 1
    took = _cpu() - start
    sys.stdout.writelines(
        difflib.unified_diff(
            after.splitlines(keepends=True),
            report.text.splitlines(keepends=True),
            "edited",
            "tidied",
            n=1,
        )
    )
    import libcst

    start = _cpu()
    libcst.parse_module(after)
    parse = _cpu() - start
    print(f"\noriginal formatter-clean: {report.clean}; ranges formatted: {list(report.ranges)}")
    for note in report.notes:
        print(f"note: {note}")
    print(
        f"tidy_format: {took * 1000:.0f} ms CPU (ruff included); "
        f"LibCST parse of the same text: {parse * 1000:.0f} ms CPU"
    )
    again = format_report(args.path, before, report.text, style)
    print(f"second run changes nothing: {again.text == report.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
