from fastapi import HTTPException


def find_user(name: str) -> dict:
    if not name.isalpha():
        raise HTTPException(status_code=400, detail="Invalid user name")
    return {"name": name}
