from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from svc.db import db
from svc.dependencies import pagination
from svc.schemas import User
from svc.services import audit
from svc.services.security import hash_password
from svc.services.storage import BUCKET, s3

router = APIRouter(prefix="/users", tags=["users"])


@router.post("")
async def create_user(user: User):
    audit.record(f"create_user {user.email}")
    hashed = hash_password(user.password)
    row = {
        "name": user.name,
        "email": user.email,
        "password": hashed,
        "created_at": datetime.now(timezone.utc),
    }
    stored = await db.insert("users", row)
    return User(**stored)


@router.get("")
async def list_users(
    response: Response,
    q: str = Query(""),
    page: dict = Depends(pagination),
):
    rows = [row for row in db.all("users") if q.lower() in row["name"].lower()]
    response.headers["X-Total-Count"] = str(len(rows))
    selected = rows[page["offset"] : page["offset"] + page["limit"]]
    return [{"id": row["id"], "name": row["name"]} for row in selected]


@router.get("/{user_id}", response_model=User)
async def get_user(user_id: int):
    row = await db.get("users", user_id)
    if row is None:
        raise HTTPException(status_code=404, detail="User not found")
    return User(**row)


@router.get("/{user_id}/avatar")
async def avatar_url(user_id: int):
    key = f"{user_id}.png"
    head = s3.head_object(Bucket=BUCKET, Key=key)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})
    return {"url": url, "size": head["ContentLength"]}


@router.delete("/{user_id}")
async def delete_user(user_id: int):
    if not await db.delete("users", user_id):
        raise HTTPException(status_code=404, detail="User not found")
    audit.record(f"delete_user {user_id}")
