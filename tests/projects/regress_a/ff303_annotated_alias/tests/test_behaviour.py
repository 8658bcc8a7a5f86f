"""FF303 once rewrote `pet: Pet = Body()`, `Pet` an `Annotated` alias carrying a discriminator,
into `Annotated[Pet, Body()]`: the alias's metadata, which FastAPI ignores while the marker is
the default, started to apply (the request body's schema became a `oneOf` with a discriminator,
the 422 bodies changed; `PositiveInt` started rejecting `page=0`)."""

from fastapi.testclient import TestClient

from app import app

client = TestClient(app)


def test_body_schema_is_a_plain_union() -> None:
    body = app.openapi()["paths"]["/pets"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert "anyOf" in schema and "discriminator" not in schema


def test_pets() -> None:
    assert client.post("/pets", json={"pet_type": "cat", "meows": 3}).json()["meows"] == 3
    errors = client.post("/pets", json={"pet_type": "cow"}).json()["detail"]
    assert {tuple(e["loc"][:2]) for e in errors} == {("body", "Cat"), ("body", "Dog")}


def test_page_is_not_validated_by_the_alias() -> None:
    assert client.get("/pets?page=0").json() == {"page": 0, "kind": "cat"}
