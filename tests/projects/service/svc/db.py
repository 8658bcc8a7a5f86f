"""An in-memory stand-in for a database connection pool."""

from __future__ import annotations

from typing import Any


class MemoryPool:
    """Stores rows per table in dicts; async methods like a real driver, plus one sync one."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, dict[str, Any]]] = {}
        self.connected = False
        self._last_id = 0

    async def connect(self) -> None:
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False

    async def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self._require_connection()
        self._last_id += 1
        stored = {**row, "id": self._last_id}
        self.tables.setdefault(table, {})[self._last_id] = stored
        return dict(stored)

    async def get(self, table: str, key: int) -> dict[str, Any] | None:
        self._require_connection()
        row = self.tables.get(table, {}).get(key)
        return dict(row) if row is not None else None

    async def delete(self, table: str, key: int) -> bool:
        self._require_connection()
        return self.tables.get(table, {}).pop(key, None) is not None

    def all(self, table: str) -> list[dict[str, Any]]:
        self._require_connection()
        return [dict(row) for row in self.tables.get(table, {}).values()]

    def reset(self) -> None:
        self.tables.clear()
        self._last_id = 0

    def _require_connection(self) -> None:
        if not self.connected:
            raise RuntimeError("the pool is not connected: did the app start?")


db = MemoryPool()
