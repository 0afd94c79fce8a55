"""SQLite backup and restore that cannot go wrong (issue #11 item 5).

Copying a backup file over a live database is unsafe: a ``-wal`` file left beside it is replayed
over the copy on the next open (later changes come back, half of them, and ``integrity_check``
still says "ok"). Both directions here go through SQLite's online backup API instead: a backup is
a consistent snapshot taken while the site runs; a restore writes the backup's pages *into* the
live database through SQLite itself, in one write transaction, so its WAL is part of the
database's state rather than a stale file, and every connection sees either the old or the
restored database. Files are created readable by the owner only (0600).
"""

import os
import sqlite3
from pathlib import Path

OWNER_ONLY = 0o600


class BackupError(Exception):
    pass


def owner_only(path: Path) -> None:
    """The database file and its ``-wal``/``-shm`` companions: owner read/write only."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if p.stat().st_mode & 0o777 != OWNER_ONLY:
                os.chmod(p, OWNER_ONLY)
        except FileNotFoundError:
            continue


def _connect(target, **kw) -> sqlite3.Connection:
    """With Django's SQL functions: check constraints (REGEXP …) use them, integrity_check too."""
    from django.db.backends.sqlite3._functions import register

    conn = sqlite3.connect(target, timeout=20, **kw)
    register(conn)
    return conn


def _check(conn: sqlite3.Connection, what: str) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what}: integrity_check says {result!r}")
    if conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'django_migrations'").fetchone()[0] != 1:
        raise BackupError(f"{what} is not a Zhiyuan database (no django_migrations table)")


def sqlite_backup(*, database: Path, target: Path) -> int:
    """Write a consistent copy of ``database`` (live; WAL included) to ``target``, a new file
    (0600). Returns its size in bytes. Refuses to overwrite."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    os.close(fd)
    try:
        src = _connect(database)
        dst = _connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _check(dst, "the backup")
        finally:
            dst.close()
            src.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    owner_only(target)
    return target.stat().st_size


def sqlite_restore(*, backup: Path, database: Path) -> None:
    """Replace the contents of ``database`` with ``backup``'s through the backup API (see the
    module docstring), after checking the backup; checkpoint and truncate the WAL afterwards.
    Stop the web server and the worker first: a request writing meanwhile would land in the
    old or the new database, depending on who gets the write lock first."""
    if not backup.is_file():
        raise BackupError(f"{backup}: no such file")
    src = _connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _check(src, str(backup))
        dst = _connect(database)
        try:
            src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _check(dst, "the restored database")
        finally:
            dst.close()
    finally:
        src.close()
    owner_only(Path(database))
