"""The project's own client: it calls the paths as they are."""

ITEMS = "/items"
ITEM = "/items/{item_id}"
USER = "/users/{name}"
