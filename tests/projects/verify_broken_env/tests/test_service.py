from fastapi.testclient import TestClient

from service import app


def test_ping():
    assert TestClient(app).get("/ping").json() == {"ping": "pong"}
