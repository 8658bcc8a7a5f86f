from fastapi import FastAPI

from app.services.items import get_item

app: FastAPI = FastAPI()


@app.get("/health")
def health() -> dict:
    """Liveness probe."""
    return {"status": "ok"}


@app.get("/items/{item_id}")
def read_item(item_id: int) -> dict:
    """One item."""
    return get_item(item_id)
