from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    id: int
    name: str


def label(obj: object) -> str:
    if isinstance(obj, Item):
        return f"item {obj.name}"
    return "unknown"


@app.post("/items", response_model=Item, status_code=201)
def create_item(item: Item):
    return Item(id=7, name=label(item))
