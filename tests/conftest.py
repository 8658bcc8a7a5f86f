from __future__ import annotations

import re
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent


class TextSnapshot(SingleFileSnapshotExtension):
    """One readable .txt file per snapshot, under snapshots/<test module>/."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(ROOT / "snapshots" / test_location.basename)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        name = super().get_snapshot_name(test_location=test_location, index=index)
        return re.sub(r"[^\w.\-\[\]]+", "_", name)


@pytest.fixture
def snapshot_text(snapshot):
    return snapshot.use_extension(TextSnapshot)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own cache folder, never the repository's."""
    monkeypatch.setenv("FASTAPI_FIX_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
