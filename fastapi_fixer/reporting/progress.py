"""A progress bar on stderr for long runs: shown only on a terminal, and only once a run has
taken more than about a second.

A run goes through phases, and the bar names the one it is in and counts its files, each once:
`analysing` (every Python file is parsed or compiled, or found in the cache), `checking` (the
files the selected rules check), `fixing` (the files a round of fixes rewrites; after a round
the rewritten files are analysed and checked again) and `previewing` (the fix previews of
`full` and JSON). A long fix phase then reads "fixing 12/40", not a full bar that looks stuck.
"""

from __future__ import annotations

import sys
import time
from typing import Any

_DELAY = 1.0


class ProgressBar:
    def __init__(self, enabled: bool | None = None, delay: float = _DELAY) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay = delay
        self.started_at = time.monotonic()
        # every phase of the run so far, as [name, files done, files to do]; the last is current
        self.phases: list[list[Any]] = []
        self._phase_started = self.started_at
        self._progress: Any = None
        self._task: Any = None

    @property
    def name(self) -> str:
        return self.phases[-1][0] if self.phases else ""

    @property
    def done(self) -> int:
        return self.phases[-1][1] if self.phases else 0

    @property
    def total(self) -> int:
        return self.phases[-1][2] if self.phases else 0

    def phase(self, name: str, total: int) -> None:
        """Start phase ``name`` with ``total`` files to go through."""
        self.phases.append([name, 0, total])
        self._phase_started = time.monotonic()
        self._draw()

    def advance(self, count: int) -> None:
        if count <= 0 or not self.phases:
            return
        current = self.phases[-1]
        current[1] += count
        # work found on the way (a module a call leads into, a file fixed twice) adds to it
        current[2] = max(current[2], current[1])
        self._draw()

    def _draw(self) -> None:
        if not self.enabled or not self.phases:
            return
        if self._progress is None:
            if time.monotonic() - self.started_at < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("fastapi-fix {task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} files/s"),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._progress.add_task(self.name, total=self.total, rate="-")
            self._progress.start()
        elapsed = max(time.monotonic() - self._phase_started, 1e-6)
        self._progress.update(
            self._task,
            description=self.name,
            completed=self.done,
            total=self.total,
            rate=f"{self.done / elapsed:.0f}",
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
