"""FF303 once moved `Query(default=... if STRICT else None)` into `Annotated[str, Query()] =
... if STRICT else None`: `...` as a parameter default is not "required" for FastAPI, and a
request without `q` failed with a 500 instead of a 422."""

from fastapi.testclient import TestClient

from app import app

client = TestClient(app, raise_server_exceptions=False)


def test_search() -> None:
    assert client.get("/search?q=lamp&page=2").json() == {"q": "lamp", "page": 2}


def test_missing_required_query_is_a_422() -> None:
    response = client.get("/search")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_openapi() -> None:
    parameters = app.openapi()["paths"]["/search"]["get"]["parameters"]
    assert [(p["name"], p["required"]) for p in parameters] == [("q", True), ("page", False)]
