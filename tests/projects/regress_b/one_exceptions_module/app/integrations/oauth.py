from fastapi import HTTPException


def exchange_code(code: str) -> dict:
    if not code:
        raise HTTPException(status_code=400, detail="Missing code")
    return {"access_token": code[::-1]}
