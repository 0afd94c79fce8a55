"""Benchmark databases: a SQLite file under var/bench/ or a PostgreSQL database ``zy_bench_<size>``
on the server the project uses (``postgres://postgres@127.0.0.1:5432`` unless
``ZHIYUAN_BENCH_PG`` says otherwise)."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = Path(os.environ.get("ZHIYUAN_VAR_DIR", ROOT / "var")) / "bench"
PG_SERVER = os.environ.get("ZHIYUAN_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def database_url(db: str, size_name: str) -> str:
    safe = "".join(c if c.isalnum() else "_" for c in size_name.lower())
    if db == "sqlite":
        BENCH_VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{BENCH_VAR / f'zy_bench_{safe}.sqlite3'}"
    if db in ("postgres", "postgresql"):
        return f"{PG_SERVER.rstrip('/')}/zy_bench_{safe}"
    raise ValueError(f"unknown database {db!r}: sqlite or postgres")


def vendor_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def recreate(url: str) -> None:
    """Start from an empty database (drop the old one)."""
    if vendor_of(url) == "sqlite":
        path = Path(urlsplit(url).path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing odd database name {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def exists(url: str) -> bool:
    if vendor_of(url) == "sqlite":
        return Path(urlsplit(url).path).exists()
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]).fetchone() is not None
