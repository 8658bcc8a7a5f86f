from collections.abc import Iterator

OPENED: list[str] = []


def get_db() -> Iterator[str]:
    OPENED.append("app")
    yield "app-session"
