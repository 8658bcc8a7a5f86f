from __future__ import annotations


def pagination(limit: int = 10, offset: int = 0) -> dict[str, int]:
    return {"limit": min(limit, 100), "offset": max(offset, 0)}
