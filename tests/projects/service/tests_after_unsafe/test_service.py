"""`tests/test_service.py` after `fastapi-fix --unsafe-fixes`: the same checks, adjusted only
where an unsafe fix changes what clients see on purpose. Each adjustment names the rule behind it
and applies when that rule's fix was applied (`FASTAPI_FIX_APPLIED`, set by the proof test from
the run's summary), so the file stays right while rules are being added."""

from __future__ import annotations

import os

import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from svc.db import db
from svc.main import app
from svc.services.audit import AUDIT_LOG
from svc.services.security import hash_password
from svc.services.storage import s3

APPLIED = set(filter(None, os.environ.get("FASTAPI_FIX_APPLIED", "").split(",")))
# FF404: a POST that creates answers 201 Created, a DELETE that returns nothing 204 No Content
CREATED = 201 if "FF404" in APPLIED else 200
DELETED = 204 if "FF404" in APPLIED else 200
# FF203 (User split into UserCreate/UserResponse) and FF204 (UserResponse without secrets):
# responses no longer carry the password hash
PASSWORD_IN_RESPONSES = not APPLIED & {"FF203", "FF204"}
# FF402: the routers are included under a versioned prefix
API = "/api/v1" if "FF402" in APPLIED else ""

HEAD_AVATAR = {"Bucket": "svc-avatars", "Key": "7.png"}
NEW_USER = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "s3cret"}


@pytest.fixture
def client():
    db.reset()
    AUDIT_LOG.clear()
    with TestClient(app) as client:  # a context manager: startup and shutdown run
        yield client


def test_startup_connects_and_shutdown_disconnects():
    with TestClient(app) as client:
        assert db.connected
        assert client.get("/health").json() == {"status": "ok", "db": True}
    assert not db.connected


def test_create_user(client):
    response = client.post(f"{API}/users", json=NEW_USER)
    assert response.status_code == CREATED  # adjusted: FF404
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.com"
    if PASSWORD_IN_RESPONSES:  # adjusted: FF203/FF204
        assert body["password"] == hash_password("s3cret")
    else:
        assert "password" not in body
    assert body["created_at"]
    assert AUDIT_LOG == ["create_user ada@example.com"]


def test_create_user_validates_the_body(client):
    response = client.post(f"{API}/users", json={"name": "No Email"})
    assert response.status_code == 422


def test_get_user(client):
    created = client.post(f"{API}/users", json=NEW_USER).json()
    response = client.get(f"{API}/users/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "ada@example.com"
    if PASSWORD_IN_RESPONSES:  # adjusted: FF203/FF204
        assert body["password"] == hash_password("s3cret")
    else:
        assert "password" not in body
    assert client.get(f"{API}/users/999").status_code == 404
    assert client.get(f"{API}/users/999").json() == {"detail": "User not found"}


def test_list_users_with_query_and_pagination(client):
    for name in ("Ada", "Alan", "Grace"):
        client.post(f"{API}/users", json={**NEW_USER, "name": name})
    response = client.get(f"{API}/users", params={"q": "a", "limit": 2})
    assert response.status_code == 200
    assert response.headers["x-total-count"] == "3"
    assert [user["name"] for user in response.json()] == ["Ada", "Alan"]
    response = client.get(f"{API}/users", params={"q": "gr"})
    assert response.headers["x-total-count"] == "1"
    assert response.json() == [{"id": 3, "name": "Grace"}]
    assert client.get(f"{API}/users", params={"offset": 2}).json() == [{"id": 3, "name": "Grace"}]


def test_avatar_url(client):
    with Stubber(s3) as stub:  # no network: the S3 client answers from the stub
        stub.add_response("head_object", {"ContentLength": 512}, HEAD_AVATAR)
        response = client.get(f"{API}/users/7/avatar")
        stub.assert_no_pending_responses()
    assert response.status_code == 200
    assert response.json()["size"] == 512
    assert response.json()["url"].startswith("https://svc-avatars.s3.amazonaws.com/7.png?")


def test_delete_user(client):
    created = client.post(f"{API}/users", json=NEW_USER).json()
    response = client.delete(f"{API}/users/{created['id']}")
    assert response.status_code == DELETED  # adjusted: FF404
    assert response.content == (b"" if DELETED == 204 else b"null")
    assert client.get(f"{API}/users/{created['id']}").status_code == 404
    assert client.delete(f"{API}/users/{created['id']}").status_code == 404
    assert AUDIT_LOG[-1] == f"delete_user {created['id']}"


def test_items(client):
    response = client.post(f"{API}/items", json={"title": "Lamp", "owner_id": 1})
    assert response.status_code == CREATED  # adjusted: FF404
    item = response.json()
    assert item == {"id": 1, "title": "Lamp", "owner_id": 1}
    client.post(f"{API}/items", json={"title": "Desk", "owner_id": 2})
    assert client.get(f"{API}/items/{item['id']}").json() == item
    assert client.get(f"{API}/items/99").status_code == 404
    assert [i["title"] for i in client.get(f"{API}/items").json()] == ["Lamp", "Desk"]
    assert [i["title"] for i in client.get(f"{API}/items", params={"owner_id": 2}).json()] == ["Desk"]
    assert AUDIT_LOG.count("list_items") == 2
    response = client.delete(f"{API}/items/{item['id']}")
    assert response.status_code == DELETED  # adjusted: FF404
    assert response.content == (b"" if DELETED == 204 else b"null")
    assert client.get(f"{API}/items/{item['id']}").status_code == 404


def test_openapi_lists_every_route(client):
    paths = app.openapi()["paths"]  # adjusted: FF603 serves it only where docs are shown
    assert set(paths) == {
        f"{API}/users",  # adjusted: FF402
        f"{API}/users/{{user_id}}",
        f"{API}/users/{{user_id}}/avatar",
        f"{API}/items",
        f"{API}/items/{{item_id}}",
        "/health",
    }


@pytest.mark.skipif("FF403" not in APPLIED, reason="FF403's fix was not applied")
def test_openapi_documents_the_response_models(client):  # added: FF403
    paths = app.openapi()["paths"]  # adjusted: FF603 serves it only where docs are shown
    for path, method in (("/items", "post"), ("/items/{item_id}", "get"), ("/users", "post")):
        responses = paths[API + path][method]["responses"]
        success = responses[str(CREATED if method == "post" else 200)]
        assert "$ref" in str(success["content"]["application/json"]["schema"])
