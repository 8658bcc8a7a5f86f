"""FF202 once gave this project, pinned to Pydantic v1, a base model with
`model_config = ConfigDict(...)`: on v1 that is a field, and every response carried a
`model_config` key."""

from shop.schemas import ItemOut, Page, UserOut


def test_responses_hold_only_their_fields() -> None:
    assert UserOut(id=1, name="ada").dict() == {"id": 1, "name": "ada"}
    assert ItemOut(id=2, title="lamp").dict() == {"id": 2, "title": "lamp"}
    assert Page(total=0, items=[]).dict() == {"total": 0, "items": []}
    assert set(UserOut.schema()["properties"]) == {"id", "name"}
