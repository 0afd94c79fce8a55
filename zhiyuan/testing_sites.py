"""A site of its own for tests that run real processes (``manage.py db_worker``, ``backup``):
a temporary directory, a database nobody else uses (a SQLite file, or a PostgreSQL database
beside the one ``DATABASE_URL`` names) and the environment the processes share. Not for
pytest-django's database: these tests use none."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


def databases():
    yield "sqlite"
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        yield "postgres"


class Site:
    """A database of its own and the environment the processes share."""

    def __init__(self, kind: str, tmp: Path, **env: str):
        self.kind = kind
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIYUAN_", "DJANGO_"))}
        self.env.update(
            ZHIYUAN_VAR_DIR=str(tmp),
            ZHIYUAN_PRIVATE_DIR=str(tmp / "private"),
            ZHIYUAN_KEY_FILE=str(tmp / "keys.json"),
            DJANGO_SETTINGS_MODULE="zhiyuan.settings",
            PYTHONPATH=str(ROOT),
            **env,
        )
        if kind == "sqlite":
            self.path = tmp / "site.sqlite3"
            self.env["DATABASE_URL"] = f"sqlite:///{self.path}"
        else:
            import psycopg

            parts = urlsplit(os.environ["DATABASE_URL"])
            self.name = parts.path.lstrip("/") + "_worker_crash"
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(self.admin_url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                c.execute(f'CREATE DATABASE "{self.name}"')
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.env["DATABASE_URL"] = self.url

    def manage(self, *args, check: bool = True):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=check, capture_output=True, text=True
        )

    def worker(self, log: Path) -> subprocess.Popen:
        args = ["manage.py", "db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"]
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, stdout=log.open("a"), stderr=subprocess.STDOUT)

    def one(self, sql: str):
        if self.kind == "sqlite":
            with sqlite3.connect(self.path, timeout=20) as c:
                return c.execute(sql).fetchone()
        import psycopg

        with psycopg.connect(self.url) as c:
            return c.execute(sql).fetchone()

    def drop(self):
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def wait_for(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")
