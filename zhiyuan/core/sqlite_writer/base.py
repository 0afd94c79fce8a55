"""SQLite with one writer at a time, handed over without sleeping (docs/benchmarks.md §15).

SQLite lets one connection write at a time. With the project's ``BEGIN IMMEDIATE`` transactions
a second writer waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … ms
between tries: under steady concurrent writes (two gunicorn workers signing people up) the lock
stays idle for most of those sleeps. This backend takes an exclusive ``flock`` on a file beside
the database before ``BEGIN IMMEDIATE`` and gives it back at ``COMMIT`` / ``ROLLBACK``: writers
queue in the kernel, and the next one wakes the moment the last one commits.

* Every connection opens the lock file itself, so the lock excludes threads of one process
  (gunicorn ``gthread`` workers) as well as other processes (the second worker, the task worker).
* The kernel drops the lock of a process that dies, even by SIGKILL: no stale lock.
* Only transactions begun by ``transaction.atomic`` take it. A write in autocommit mode, or a
  program that does not use this backend (the ``sqlite3`` shell), meets SQLite's own lock and
  ``busy_timeout`` as before, which stays the fallback.
* A waiter waits as long as the holder's transaction runs, with no time-out of its own (the
  holder's own ``BEGIN IMMEDIATE`` is still bounded by ``busy_timeout``). Before, a writer gave up
  with "database is locked" after ``busy_timeout`` (20 s); now it waits. Requests write in short
  transactions; a job that holds one long transaction (a volunteer import in its all-or-nothing
  mode) makes web writers wait for its end where they used to fail after 20 s — on SQLite, the
  single-machine database, either way they cannot write meanwhile.
* In-memory databases (the tests' default) have no file and no second process: no lock.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writer_fd = None
        self._writer_pid = None
        self.writer_lock_held = False

    def writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writer.lock"

    def _writer_lock_acquire(self) -> None:
        path = self.writer_lock_path()
        if path is None or self.writer_lock_held:
            return
        if self._writer_fd is None or self._writer_pid != os.getpid():
            # a descriptor inherited through fork shares its lock with the parent: open our own
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._writer_pid = os.getpid()
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)  # blocks in the kernel; the GIL is released
        self.writer_lock_held = True

    def _writer_lock_release(self) -> None:
        if self.writer_lock_held:
            self.writer_lock_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._writer_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._writer_lock_release()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            if self.connection is None or self.connection.in_transaction is False:
                self._writer_lock_release()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._writer_lock_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._writer_lock_release()
            if self._writer_fd is not None and self._writer_pid == os.getpid():
                os.close(self._writer_fd)
            self._writer_fd = None
