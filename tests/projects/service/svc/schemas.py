from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class User(BaseModel):
    id: int | None = None
    name: str
    email: str
    password: str
    created_at: datetime | None = None


class Item(BaseModel):
    id: int | None = None
    title: str
    owner_id: int
