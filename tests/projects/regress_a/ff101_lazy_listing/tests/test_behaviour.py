"""FF101 once wrapped `DATA.glob(pattern)` in `await run_in_threadpool(...)`: `glob` returns a
lazy generator, so the directory was still read where the result is iterated, on the event
loop. This test records, per route, whether a directory scan ran on the event loop (written to
the file `$SCAN_REPORT` names): a route FF101 fixed must not scan there any more."""

import asyncio
import json
import os

import pytest
from fastapi.testclient import TestClient

from app import app

ON_LOOP: list[bool] = []
REPORT: dict[str, bool] = {}


@pytest.fixture(autouse=True)
def watch_scans(monkeypatch: pytest.MonkeyPatch):
    original = os.scandir

    def scandir(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            ON_LOOP.append(True)
        except RuntimeError:
            ON_LOOP.append(False)
        return original(*args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    yield
    if os.environ.get("SCAN_REPORT"):
        with open(os.environ["SCAN_REPORT"], "w", encoding="utf-8") as handle:
            json.dump(REPORT, handle)


def get(url: str):
    ON_LOOP.clear()
    response = TestClient(app).get(url)
    assert ON_LOOP, "the route read no directory"
    REPORT[url.split("?")[0]] = any(ON_LOOP)
    return response.json()


def test_listings() -> None:
    assert get("/scan") == ["a.txt", "b.txt"]
    assert get("/count?pattern=a*") == 1
