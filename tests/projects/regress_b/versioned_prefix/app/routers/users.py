from fastapi import APIRouter

router = APIRouter()


@router.get("/{name}")
def read_user(name: str) -> dict:
    """One user."""
    return {"name": name}
