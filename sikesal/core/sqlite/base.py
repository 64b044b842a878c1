"""Django's SQLite backend with writers queued on a lock file instead of SQLite's busy handler.

Every transaction here is BEGIN IMMEDIATE (settings.py): it takes SQLite's one write lock at once. A writer
that finds the lock taken is put to sleep by SQLite's busy handler for 1, 2, 5, 10, ... up to 100 ms at a
time, and does not see the lock come free meanwhile. Under steady load (hundreds of reports a second from
four web processes and the worker) the lock then stands idle between writers while they sleep, and the
unlucky ones wait ten times longer than the rest: that was most of intake's p99.

So a transaction first takes an exclusive flock on `<database>.writers` (one open file per connection, so
threads of one process queue too), then BEGIN IMMEDIATE, and gives the flock back after COMMIT or ROLLBACK.
A writer waiting for the flock retries every fraction of a millisecond, up to the connection's timeout, and
so takes the lock the moment it is free. Single statements outside a transaction (autocommit) still meet
SQLite's busy handler; there are few of them. The kernel drops the flock of a process that dies.

A commit that fills the WAL past `wal_autocheckpoint` pages also copies it into the database and syncs
it, 5 ms or more, and would do so while holding the writers' lock: under load, once the WAL had grown past
the threshold, every commit did it. The threshold is set far above what the worker lets the WAL reach
(settings.py): the worker checkpoints every CHECKPOINT_SECONDS on its own thread (`checkpoint`), beside
the writers, and restarts the WAL past RESTART_FRAMES; the threshold stays as a backstop for a system
running without its worker.
"""

import contextlib
import errno
import fcntl
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base, creation

# The waits between tries for the flock: short at first, then at most POLL_MAX seconds.
POLL_FIRST = 0.0002
POLL_MAX = 0.002


CHECKPOINT_SECONDS = 0.5
# The WAL starts over from its beginning only when a writer begins at an instant when every frame in it has
# been copied back. Under steady writes that instant may never come: at 500 reports a second the WAL grew
# by 80 MB/s, to 2.5 GB in 30 s, a file that stays on disk and that a restart after a crash reads whole
# (issue #19). Past RESTART_FRAMES (4 KB each) the checkpoint makes that instant itself (`checkpoint`).
RESTART_FRAMES = 65536
# How long the restart waits for reads still on the WAL (milliseconds; they take a few) before giving up
# until the next checkpoint: the writers wait meanwhile.
RESTART_WAIT_MS = 50


def checkpoint(connection):
    """Copy the WAL into the database without blocking writers or readers (PASSIVE); when the WAL has grown
    past RESTART_FRAMES, queue with the writers and restart it (RESTART: the frames written since the
    passive pass, then a wait of at most RESTART_WAIT_MS for reads still on it), so the next writer writes
    from its beginning. Returns the WAL's length in frames as the passive pass found it."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        _, frames, _ = cursor.fetchone()
    if frames < RESTART_FRAMES or connection.in_atomic_block:
        return frames
    connection._take_writers_lock()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            try:
                cursor.execute("PRAGMA wal_checkpoint(RESTART)")
            finally:
                cursor.execute(f"PRAGMA busy_timeout={int(connection.timeout_seconds() * 1000)}")
    finally:
        connection._give_writers_lock()
    return frames


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        """A test database's lock file goes with it."""
        super()._destroy_test_db(test_database_name, verbosity)
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_database_name}.writers")


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    _writers = None  # the open lock file while this connection holds it

    def timeout_seconds(self):
        """How long a writer waits for the others: the connection's `timeout` option (settings.py)."""
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def _lock_path(self):
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() else name + ".writers"

    def _start_transaction_under_autocommit(self):
        self._take_writers_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_writers_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._give_writers_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_writers_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._give_writers_lock()

    def _take_writers_lock(self):
        path = self._lock_path()
        if path is None or self._writers is not None:
            return
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout_seconds()
        pause = POLL_FIRST
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked (waited for the writers' queue)")
                time.sleep(pause)
                pause = min(POLL_MAX, pause * 2)
        except BaseException:
            os.close(handle)
            raise
        self._writers = handle

    def _give_writers_lock(self):
        handle, self._writers = self._writers, None
        if handle is not None:
            os.close(handle)  # closing the file releases its flock
