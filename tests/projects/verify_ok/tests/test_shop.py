from fastapi.testclient import TestClient

from shop.main import app

client = TestClient(app)


def test_list_items_pages():
    assert client.get("/items", params={"limit": 1}).json() == [{"id": 1, "name": "apple"}]
    assert client.get("/items", params={"skip": 1}).json() == [{"id": 2, "name": "pear"}]


def test_limit_is_bounded():
    assert client.get("/items", params={"limit": 1000}).status_code == 422


def test_read_item():
    assert client.get("/items/2").json() == {"id": 2, "name": "pear"}
    assert client.get("/items/9").json() == {"detail": "Item not found"}
