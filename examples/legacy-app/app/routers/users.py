from fastapi import APIRouter

from app.schemas import User
from app.services import audit
from app.services.security import hash_password

router = APIRouter()


@router.post("/users", response_model=User)
async def create_user(user: User):
    hashed = hash_password(user.password)
    audit.record(f"created user {user.email}")
    return User(id=1, email=user.email, password=hashed)
