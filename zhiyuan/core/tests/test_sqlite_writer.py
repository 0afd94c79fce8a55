"""The SQLite backend that queues writers on a file lock (core/sqlite_writer): writers never meet
"database is locked", the lock excludes threads and processes, and it is given back at commit,
rollback, close and by the kernel when its holder dies."""

import fcntl
import os
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest
from django.db.utils import ConnectionHandler, OperationalError

CHILD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def _connection(path, *, timeout=20):
    """A connection of its own (per thread, as Django's) to the file ``path``."""
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "zhiyuan.core.sqlite_writer",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            }
        }
    )
    return handler["default"]


@contextmanager
def _transaction(conn):
    """What ``transaction.atomic`` does for its outermost block."""
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        yield conn.cursor()
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.set_autocommit(True)


def _free(path) -> bool:
    """Can somebody else take the lock now?"""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker):
    """These tests open their own database files, never the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "w.sqlite3"
    conn = _connection(path)
    with conn.cursor() as cur:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        cur.execute("INSERT INTO counter VALUES (1, 0)")
    conn.close()
    return path


def test_concurrent_writers_queue_instead_of_failing(db_file):
    # busy_timeout 0: without the file lock the second writer's BEGIN IMMEDIATE fails at once
    errors, per_thread = [], 150
    opened, one_at_a_time = threading.Barrier(3), threading.Lock()
    keeper = _connection(db_file)  # keeps the WAL open: no connection has to recover it
    keeper.ensure_connection()

    def writer():
        conn = _connection(db_file, timeout=0)
        with one_at_a_time:  # opening is not a write (outside the lock): not under test here
            conn.ensure_connection()
        opened.wait()
        try:
            for _ in range(per_thread):
                with _transaction(conn) as cur:
                    cur.execute("SELECT n FROM counter WHERE id = 1")
                    (n,) = cur.fetchone()
                    cur.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])  # read-modify-write
        except OperationalError as exc:  # "database is locked"
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keeper.close()
    assert errors == []
    conn = _connection(db_file)
    with conn.cursor() as cur:
        cur.execute("SELECT n FROM counter")
        assert cur.fetchone() == (3 * per_thread,)
    conn.close()


def test_lock_held_for_the_transaction_and_given_back(db_file):
    conn = _connection(db_file)
    lock = conn.writer_lock_path()
    assert lock == f"{db_file}-writer.lock"
    with _transaction(conn) as cur:
        cur.execute("UPDATE counter SET n = n + 1")
        assert not _free(lock)
    assert _free(lock)  # commit
    with pytest.raises(RuntimeError), _transaction(conn) as cur:
        cur.execute("UPDATE counter SET n = n + 1")
        raise RuntimeError
    assert _free(lock)  # rollback
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    assert not _free(lock)
    conn.close()
    assert _free(lock)  # close
    with conn.cursor() as cur:  # the rollback kept the count at one
        cur.execute("SELECT n FROM counter")
        assert cur.fetchone() == (1,)
    conn.close()


@pytest.mark.parametrize("end", ["release", "kill"])
def test_another_process_holding_the_lock_makes_the_writer_wait(db_file, end):
    conn = _connection(db_file)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, conn.writer_lock_path()], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "held"
        done = threading.Event()

        def write():
            other = _connection(db_file)
            with _transaction(other) as cur:
                cur.execute("UPDATE counter SET n = n + 1")
            other.close()
            done.set()

        thread = threading.Thread(target=write)
        thread.start()
        assert not done.wait(0.3)  # queued behind the other process
        if end == "kill":
            child.kill()  # SIGKILL: the kernel gives the lock back
        else:
            child.stdin.close()
        assert done.wait(10)
        thread.join()
    finally:
        child.kill()
        child.wait()
    conn.close()


def test_in_memory_database_has_no_lock():
    conn = _connection(":memory:")
    assert conn.writer_lock_path() is None
    with _transaction(conn) as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
    assert not conn.writer_lock_held
    conn.close()
