"""An in-memory stand-in for a database pool, shared as a module-level global."""

import asyncio


class MemoryPool:
    def __init__(self) -> None:
        self.rows: dict[int, dict] = {}
        self.connected = False
        self.next_id = 1

    async def connect(self) -> None:
        await asyncio.sleep(0)
        self.connected = True

    def close(self) -> None:
        self.connected = False

    async def fetch_all(self) -> list[dict]:
        return list(self.rows.values())

    async def fetch_one(self, row_id: int) -> dict | None:
        return self.rows.get(row_id)

    async def insert(self, row: dict) -> dict:
        row = {**row, "id": self.next_id}
        self.rows[self.next_id] = row
        self.next_id += 1
        return row

    async def delete(self, row_id: int) -> None:
        self.rows.pop(row_id, None)


db = MemoryPool()
