from fastapi import HTTPException

USERS = {"ada": {"name": "ada"}}


def find_user(name: str) -> dict:
    if not name.isalpha():
        raise HTTPException(status_code=400, detail="Invalid user name")
    if name not in USERS:
        raise HTTPException(status_code=404, detail="User not found")
    return USERS[name]
