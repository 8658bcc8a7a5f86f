from collections.abc import Iterator


def get_session() -> Iterator[str]:
    raise RuntimeError("the admin database is not reachable from the public app")
    yield "admin-session"
