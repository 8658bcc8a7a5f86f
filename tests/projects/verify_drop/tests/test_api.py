import asyncio

from fastapi.testclient import TestClient

from api import items, reports
from api.main import app

client = TestClient(app)


def test_items_over_http():
    answer = client.get("/items", params={"limit": 3}, headers={"x-token": "secret"})
    assert answer.json() == {"limit": 3, "token": "secret"}


def test_every_endpoint_function_runs_without_http():
    # calls each endpoint function from the routers' route tables, positionally, as a smoke test
    arguments = {"/items": (5, "secret"), "/reports/daily": ()}
    called = []
    for route in [*items.router.routes, *reports.router.routes]:
        assert asyncio.run(route.endpoint(*arguments[route.path]))
        called.append(route.path)
    assert called == ["/items", "/reports/daily"]


def test_daily_report():
    assert client.get("/reports/daily").json() == {"report": "daily"}
