import secrets
from typing import Optional

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class ApiKeyCreated(BaseModel):
    id: int
    api_key: str


class Webhook(BaseModel):
    id: int
    url: str
    signing_secret: str


class Page(BaseModel):
    items: list[str]
    next_token: Optional[str] = None


class User(BaseModel):
    id: int
    name: str
    password: str


@app.post("/token", response_model=Token)
def login():
    return Token(access_token=secrets.token_urlsafe(8))


@app.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_api_key():
    return ApiKeyCreated(id=1, api_key=secrets.token_urlsafe(8))


@app.post("/webhooks", response_model=Webhook, status_code=201)
def create_webhook(url: str):
    return Webhook(id=1, url=url, signing_secret=secrets.token_hex(16))


@app.get("/items", response_model=Page)
def list_items():
    return Page(items=["a"], next_token="cursor-2")


@app.get("/users/{user_id}", response_model=User)
def get_user(user_id: int):
    return User(id=user_id, name="ada", password="hunter2")
