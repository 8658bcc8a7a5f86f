"""FF204 once removed the credential from routes that exist to issue it (the token endpoint,
API-key creation, a webhook's signing secret) and a pagination cursor (`next_token`). The
fields clients need from those routes stay; the user's password is the one field FF204 removes."""

from fastapi.testclient import TestClient

from app import app

client = TestClient(app)


def test_issuers_return_what_they_issue() -> None:
    assert client.post("/token").json()["access_token"]
    assert client.post("/api-keys").json()["api_key"]
    assert client.post("/webhooks?url=https://example.com/hook").json()["signing_secret"]


def test_cursor() -> None:
    assert client.get("/items").json() == {"items": ["a"], "next_token": "cursor-2"}


def test_user() -> None:
    user = client.get("/users/1").json()
    assert {k: v for k, v in user.items() if k != "password"} == {"id": 1, "name": "ada"}
