from fastapi import Depends, FastAPI

from app.db import get_db

app = FastAPI()


@app.get("/items")
def list_items(db: str = Depends(get_db)) -> list[dict]:
    """Every item."""
    return [{"id": 1, "session": db}]
