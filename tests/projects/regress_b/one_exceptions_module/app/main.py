from fastapi import FastAPI

from app.integrations.oauth import exchange_code
from app.services.users import find_user

app = FastAPI()


@app.get("/health")
def health() -> dict:
    """Liveness probe."""
    return {"status": "ok"}


@app.get("/users/{name}")
def read_user(name: str) -> dict:
    """One user."""
    return find_user(name)


@app.get("/oauth/callback")
def callback(code: str = "") -> dict:
    """The OAuth redirect target."""
    return exchange_code(code)
