from fastapi import Depends, FastAPI

from admin.db import get_session

admin = FastAPI()


@admin.get("/health")
def health() -> dict:
    """Liveness probe."""
    return {"status": "ok"}


@admin.get("/audit")
def audit(session: str = Depends(get_session)) -> list[dict]:
    """The audit log."""
    return [{"session": session}]
