"""A progress bar on stderr for long runs: shown only on a terminal, and only once a run has
taken more than about a second."""

from __future__ import annotations

import sys
import time
from typing import Any

_DELAY = 1.0


class ProgressBar:
    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.started_at = time.monotonic()
        self.total = 0
        self.done = 0
        self._progress: Any = None
        self._task: Any = None

    def start_total(self, files: int) -> None:
        # each file is counted when analysed and when checked
        self.total = files * 2

    def advance(self, count: int) -> None:
        if not self.enabled or count <= 0:
            return
        self.done += count
        if self._progress is None:
            if time.monotonic() - self.started_at < _DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("fastapi-fix"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} files/s"),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._progress.add_task("files", total=self.total, rate="-")
            self._progress.start()
        elapsed = max(time.monotonic() - self.started_at, 1e-6)
        self._progress.update(
            self._task,
            completed=min(self.done, self.total),
            rate=f"{self.done / 2 / elapsed:.0f}",
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
