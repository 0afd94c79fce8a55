"""Issue #11 item 5: SQLite backup and restore that cannot go wrong (core.backup; the commands
``manage.py backup`` / ``restore``), and owner-only database and backup files."""

import os
import shutil
import sqlite3
import stat

import pytest

from zhiyuan.core.backup import BackupError, sqlite_backup, sqlite_restore
from zhiyuan.testing_sites import Site


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def live_database(path, rows: int) -> sqlite3.Connection:
    """A WAL database with ``rows`` consent rows, and a connection that keeps later changes in
    the -wal file (no checkpoint), as a running site does."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE consent (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO consent VALUES (?)", [(i,) for i in range(rows)])
    return conn


def count(path) -> int:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT count(*) FROM consent").fetchone()[0]


def test_a_stale_wal_file_is_not_replayed_over_a_restore(tmp_path):
    db, backup = tmp_path / "site.sqlite3", tmp_path / "backup.sqlite3"
    live = live_database(db, 207)
    sqlite_backup(database=db, target=backup)
    live.executemany("INSERT INTO consent VALUES (?)", [(i,) for i in range(207, 414)])  # only in -wal
    assert os.path.getsize(f"{db}-wal") > 0

    # What went wrong: copying the backup over the file while the -wal stays replays later changes.
    naive = tmp_path / "naive.sqlite3"
    shutil.copy(db, naive)
    shutil.copy(f"{db}-wal", f"{naive}-wal")
    shutil.copy(backup, naive)
    assert count(naive) != 207

    live.close()  # the servers are stopped (sqlite keeps the -wal of a closed connection only on a crash)
    shutil.copy(naive.with_name("naive.sqlite3-wal"), f"{db}-wal")  # ... or a crash left it
    sqlite_restore(backup=backup, database=db)
    assert count(db) == 207
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_is_owner_only_and_refuses_to_overwrite(tmp_path):
    db = tmp_path / "site.sqlite3"
    live_database(db, 3).close()
    backup = tmp_path / "b.sqlite3"
    os.umask(0o022)
    sqlite_backup(database=db, target=backup)
    assert mode(backup) == 0o600 and count(backup) == 3
    assert not os.path.exists(f"{backup}-wal")  # one self-contained file
    with pytest.raises(FileExistsError):
        sqlite_backup(database=db, target=backup)


def test_restore_refuses_a_file_that_is_not_a_good_backup(tmp_path):
    db = tmp_path / "site.sqlite3"
    live_database(db, 3).close()
    junk = tmp_path / "junk.sqlite3"
    sqlite3.connect(junk).execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError, match="not a Zhiyuan database"):
        sqlite_restore(backup=junk, database=db)
    with pytest.raises(BackupError, match="no such file"):
        sqlite_restore(backup=tmp_path / "missing", database=db)
    assert count(db) == 3


def test_manage_py_backup_and_restore_round_trip(tmp_path):
    site = Site("sqlite", tmp_path)
    site.manage("migrate", "--noinput", "-v", "0")
    assert mode(site.path) == 0o600  # created by the site: owner only
    sessions = "SELECT count(*) FROM django_session"
    with sqlite3.connect(site.path) as c:
        c.execute("INSERT INTO django_session VALUES ('a', 'x', '2099-01-01')")
    backup = tmp_path / "backup-1.sqlite3"
    assert "integrity ok" in site.manage("backup", str(backup)).stdout
    assert mode(backup) == 0o600
    with sqlite3.connect(site.path) as c:
        c.execute("INSERT INTO django_session VALUES ('b', 'y', '2099-01-01')")
    refused = site.manage("restore", str(backup), check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr and site.one(sessions) == (2,)
    site.manage("restore", str(backup), "--yes")
    assert site.one(sessions) == (1,)
    assert site.manage("audit_verify").returncode == 0
