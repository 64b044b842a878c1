"""SQLite's WAL stays bounded while writes never pause (core/sqlite/base.py: the worker's checkpoint
restarts it once it has grown past RESTART_FRAMES)."""

import threading
import time

import pytest
from django.db import connection, transaction

from sikesal.core.sqlite import base

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the WAL is SQLite's"),
]


def test_the_wal_stays_bounded_while_writes_never_pause(monkeypatch):
    monkeypatch.setattr(base, "RESTART_FRAMES", 200)  # 800 KB here, instead of 256 MB
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE wal_probe (body BLOB)")
    stop, written, lengths = threading.Event(), [0], []

    def writer():  # a steady stream of small write transactions, as filed reports are
        try:
            while not stop.is_set():
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("INSERT INTO wal_probe VALUES (randomblob(6000))")
                written[0] += 1
        finally:
            connection.close()

    def checkpointer():  # what the worker's checkpoint thread does, more often
        try:
            while not stop.is_set():
                lengths.append(base.checkpoint(connection))
                time.sleep(0.02)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=writer), threading.Thread(target=checkpointer)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    try:
        # Two pages or more per write. On the machine this was written on, 50,000 writes in 3 s grew the WAL
        # to 197,000 frames without the restart, and to at most 1,806 with it.
        assert written[0] > 2000
        assert max(lengths) < 20_000, f"the WAL reached {max(lengths)} frames after {written[0]} writes"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE wal_probe")
