from pydantic import BaseModel


class UserIn(BaseModel):
    name: str


class UserOut(BaseModel):
    id: int
    name: str


class ItemIn(BaseModel):
    title: str


class ItemOut(BaseModel):
    id: int
    title: str


class Page(BaseModel):
    total: int
    items: list
