"""Another tutorial: it runs on its own, next to the first one."""

from fastapi import FastAPI, Header, HTTPException

secret_token = "coneofsilence"

app = FastAPI()


@app.get("/items")
def read_items(x_token: str = Header()) -> list[dict]:
    """Items, for a caller with the token."""
    if x_token != secret_token:
        raise HTTPException(status_code=400, detail="Invalid X-Token header")
    return [{"id": "foo"}]
