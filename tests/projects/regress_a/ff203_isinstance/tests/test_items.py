"""FF203 once split `Item` into sibling `ItemCreate`/`ItemResponse` classes although `label`
tests `isinstance(obj, Item)`: the request body stopped being an `Item` and every item was
labelled "unknown"."""

from fastapi.testclient import TestClient

from app import app


def test_create_labels_the_item() -> None:
    response = TestClient(app).post("/items", json={"id": 1, "name": "lamp"})
    assert response.status_code == 201
    assert response.json() == {"id": 7, "name": "item lamp"}
