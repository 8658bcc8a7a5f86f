from pydantic import BaseModel


class Item(BaseModel):
    id: int | None = None
    name: str
    price: float


class User(BaseModel):
    id: int | None = None
    email: str
    password: str
