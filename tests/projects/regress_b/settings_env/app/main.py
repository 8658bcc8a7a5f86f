import hashlib
import hmac

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.config import settings

SIGNING_SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"

app = FastAPI(title=settings.app_name)
app.add_middleware(CORSMiddleware, allow_origins=["*"])


@app.get("/health")
def health() -> dict:
    """Liveness probe."""
    return {"status": "ok"}


@app.get("/signatures/{text}")
def sign(text: str) -> dict:
    """The text's signature."""
    digest = hmac.new(SIGNING_SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {"signature": digest}
