"""FF302 once put the extracted `valid_post_id` dependency before the route's authentication
dependency: the lookup and its 404 ran first, so an unauthenticated client could tell which ids
exist. Whatever the id, an unauthenticated request gets the 401."""

import pytest
from fastapi.testclient import TestClient

from app import app

client = TestClient(app)
AUTH = {"authorization": "Bearer ada"}
CALLS = [("GET", "/posts/{}"), ("PUT", "/posts/{}?title=x"), ("DELETE", "/posts/{}")]


@pytest.mark.parametrize(("method", "url"), CALLS)
def test_unauthenticated_is_401_for_any_id(method: str, url: str) -> None:
    assert client.request(method, url.format(1)).status_code == 401
    assert client.request(method, url.format(999)).status_code == 401


@pytest.mark.parametrize(("method", "url"), CALLS)
def test_authenticated(method: str, url: str) -> None:
    assert client.request(method, url.format(1), headers=AUTH).status_code == 200
    assert client.request(method, url.format(999), headers=AUTH).status_code == 404


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_permission_check_in_the_body_still_comes_first(method: str) -> None:
    """The body's 403 came before the lookup: a user who is no editor gets it for any id."""
    assert client.request(method, "/drafts/1", headers=AUTH).status_code == 403
    assert client.request(method, "/drafts/999", headers=AUTH).status_code == 403
