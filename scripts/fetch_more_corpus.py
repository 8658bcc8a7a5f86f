"""Download more real FastAPI services from PyPI, beside the code bases of the shared
`corpus/fetch.sh`: services with SQLAlchemy, Alembic, settings, auth and streaming, to measure
the rules on code nobody wrote for them.

Usage: python scripts/fetch_more_corpus.py [DEST]
DEST defaults to $FASTAPI_FIX_CORPUS or ~/.cache/fastapi-fix-corpus. Prints one line per code
base: name, folder, number of .py files. Safe to re-run: a code base already there is kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# name==version, each a wheel holding the service's source
PACKAGES = (
    "fief-server==0.27.0",  # auth server: SQLAlchemy, Alembic, settings, JWT
    "open-webui==0.12.4",  # SQLAlchemy, Alembic, auth, streaming responses
    "langflow-base==1.13.0",  # SQLModel, Alembic, auth, streaming
    "arize-phoenix==20.26.1",  # SQLAlchemy, Alembic, GraphQL beside REST routes
    "fastapi-amis-admin==0.7.3",  # SQLAlchemy admin site
    # judged after the rules were tuned, as code the rules had never seen
    "argilla-server==2.8.0",  # SQLAlchemy, Alembic, auth, search back ends
    "dstack==0.22.5",  # SQLAlchemy, Alembic, settings, auth, an RPC-style API
    "lnbits==1.6.2",  # wallet server: SQL, auth, settings, extensions, server-sent events
    "apache-airflow-core==3.3.2",  # the FastAPI API server of Airflow 3: SQLAlchemy, auth
    # judged 2026-12-06 as unseen code
    "zenml==0.98.0",  # zen_server: sync routes, SQLModel, Alembic, RBAC, settings, auth
    "prefect==3.9.1",  # prefect/server/api: async routes, SQLAlchemy, a router subclass
    # judged 2026-12-06 (second session) as unseen code
    "skyvern==1.0.56",  # forge/sdk: async routes, async SQLAlchemy, Alembic, API-key auth
    "litellm==1.110.2",  # litellm/proxy: an auth proxy, Prisma, key/team management routes
    # judged 2026-12-06 (third session) as unseen code
    "r2r==3.6.6",  # core/main/api: async class-based routers, asyncpg, JWT/API-key auth, streaming
    "khoj==1.42.10",  # khoj/routers: sync and async routes, Django ORM, OAuth/session auth, Stripe
    # judged 2026-12-06 (fourth session) as unseen code
    "letta==0.16.8",  # letta/server/rest_api: async routes, async SQLAlchemy, Alembic, streaming
    "aim==3.29.1",  # aim/web/api: sync and async routes, SQLAlchemy, Alembic, streamed run data
)


def fetch(spec: str, dest: Path) -> Path:
    name = spec.partition("==")[0]
    out = dest / name
    if out.is_dir():
        return out
    with tempfile.TemporaryDirectory(dir=dest) as download:
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
        subprocess.run(
            [*pip, "--only-binary", ":all:", "-d", download, spec],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (wheel,) = Path(download).glob("*.whl")
        partial = dest / f"{name}.part"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(partial)
        partial.rename(out)
    return out


def main() -> None:
    default = os.environ.get("FASTAPI_FIX_CORPUS", str(Path.home() / ".cache/fastapi-fix-corpus"))
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    dest.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        out = fetch(spec, dest)
        count = sum(1 for _ in out.rglob("*.py"))
        print(f"{spec.partition('==')[0]:<20} {out}  {count} .py files")


if __name__ == "__main__":
    main()
