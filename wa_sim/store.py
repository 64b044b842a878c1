"""SQLite storage: the messages both ways, their statuses, media, contacts and every delivery attempt.

One database file (`wa_sim.sqlite3` in the data directory, WAL mode) and one connection guarded by
a re-entrant lock, as in lapor_sim. Every message is also appended, as one readable line, to
`transcript.log` beside it, so a developer can `tail -f` a conversation.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime

DB_NAME = "wa_sim.sqlite3"
TRANSCRIPT_NAME = "transcript.log"
MEDIA_ID_FLOOR = 1_100_000_000_000_000  # media ids are long numbers, as the platform's are
STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    wamid TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    phone TEXT NOT NULL,
    name TEXT,
    type TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_phone ON messages (phone, seq);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    wamid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    at_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS statuses_wamid ON statuses (wamid);
CREATE TABLE IF NOT EXISTS contacts (
    phone TEXT PRIMARY KEY,
    name TEXT,
    last_in_us INTEGER
);
CREATE TABLE IF NOT EXISTS media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mime_type TEXT NOT NULL,
    filename TEXT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job INTEGER NOT NULL,
    kind TEXT NOT NULL,
    wamids TEXT NOT NULL,
    copy INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    http_status INTEGER,
    error TEXT,
    forged INTEGER NOT NULL,
    at_us INTEGER NOT NULL
);
"""


class Clock:
    """Wall time plus an offset that `/__sim/clock` moves, so tests can step past the 24-hour window."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def now_us(self) -> int:
        return int(self.now() * 1_000_000)


def iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    def __init__(self, data_dir: str, clock: Clock) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.clock = clock
        self.transcript_path = os.path.join(data_dir, TRANSCRIPT_NAME)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(os.path.join(data_dir, DB_NAME), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        if self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='media'").fetchone() is None:
            self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('media', ?)", (MEDIA_ID_FLOOR,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _q(self, sql: str, args=()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def reset(self) -> None:
        with self._lock:
            for table in ("messages", "statuses", "contacts", "media", "deliveries"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'media'", (MEDIA_ID_FLOOR,))

    # -- messages -------------------------------------------------------------------------------

    def next_serial(self) -> int:
        """A message counter that survives restarts and resets: a wamid is never handed out twice,
        so a receiver that remembers wamids never mistakes a new message for a re-delivery."""
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('serial', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1"
            )
            return self._db.execute("SELECT value FROM meta WHERE key = 'serial'").fetchone()[0]

    def add_message(self, wamid, direction, phone, name, kind, summary, payload) -> int:
        now = self.clock.now_us()
        with self._lock:
            self._db.execute(
                "INSERT INTO messages (wamid, direction, phone, name, type, summary, payload, created_us)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (wamid, direction, phone, name, kind, summary, json.dumps(payload, ensure_ascii=False), now),
            )
            if direction == "in":
                self._db.execute(
                    "INSERT INTO contacts (phone, name, last_in_us) VALUES (?, ?, ?) ON CONFLICT (phone)"
                    " DO UPDATE SET name = excluded.name, last_in_us = excluded.last_in_us",
                    (phone, name, now),
                )
        arrow = f"{phone} ({name}) -> SIKESAL" if direction == "in" else f"SIKESAL -> {phone}"
        self._append_transcript(f"{iso(now)}  {arrow}: {summary}  [{wamid}]")
        return now

    def message(self, wamid: str) -> sqlite3.Row | None:
        rows = self._q("SELECT * FROM messages WHERE wamid = ?", (wamid,))
        return rows[0] if rows else None

    def last_in_us(self, phone: str) -> int | None:
        rows = self._q("SELECT last_in_us FROM contacts WHERE phone = ?", (phone,))
        return rows[0]["last_in_us"] if rows else None

    def add_status(self, wamid: str, status: str, at_us: int, error_code: int | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO statuses (wamid, status, error_code, at_us) VALUES (?, ?, ?, ?)",
                (wamid, status, error_code, at_us),
            )
        suffix = f" (error {error_code})" if error_code else ""
        self._append_transcript(f"{iso(at_us)}  status of {wamid}: {status}{suffix}")

    def transcript(self, phone: str | None) -> list[dict]:
        """Both directions in the order they happened; SIKESAL's messages carry their latest status."""
        where, args = ("WHERE phone = ?", (phone,)) if phone else ("", ())
        rows = self._q(f"SELECT * FROM messages {where} ORDER BY seq", args)  # noqa: S608 - fixed clause
        statuses: dict[str, list] = {}
        for s in self._q("SELECT * FROM statuses ORDER BY at_us, id"):
            statuses.setdefault(s["wamid"], []).append(s)
        out = []
        for r in rows:
            item = {
                "at": iso(r["created_us"]),
                "direction": r["direction"],
                "phone": r["phone"],
                "name": r["name"],
                "wamid": r["wamid"],
                "type": r["type"],
                "text": r["summary"],
                "payload": json.loads(r["payload"]),
            }
            if r["direction"] == "out":
                seen = statuses.get(r["wamid"], [])
                latest = max(seen, key=lambda s: STATUS_RANK[s["status"]], default=None)
                item["status"] = latest["status"] if latest else "accepted"
                item["error_code"] = latest["error_code"] if latest else None
                item["statuses"] = [{"status": s["status"], "at": iso(s["at_us"])} for s in seen]
            out.append(item)
        return out

    def counts(self) -> dict:
        row = self._q(
            "SELECT (SELECT count(*) FROM messages WHERE direction = 'in') AS messages_in,"
            " (SELECT count(*) FROM messages WHERE direction = 'out') AS messages_out,"
            " (SELECT count(*) FROM media) AS media,"
            " (SELECT count(*) FROM deliveries) AS delivery_attempts,"
            " (SELECT count(*) FROM deliveries WHERE http_status BETWEEN 200 AND 299) AS delivered"
        )[0]
        return dict(row)

    def _append_transcript(self, line: str) -> None:
        with self._lock, open(self.transcript_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    # -- media ----------------------------------------------------------------------------------

    def add_media(self, data: bytes, mime_type: str, filename: str | None = None) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO media (mime_type, filename, sha256, size, data, created_us) VALUES (?, ?, ?, ?, ?, ?)",
                (mime_type, filename, digest, len(data), data, self.clock.now_us()),
            )
            media_id = cur.lastrowid
        return {"id": str(media_id), "mime_type": mime_type, "sha256": digest, "file_size": len(data)}

    def media(self, media_id: str) -> sqlite3.Row | None:
        if not media_id.isdigit():
            return None
        rows = self._q("SELECT * FROM media WHERE id = ?", (int(media_id),))
        return rows[0] if rows else None

    # -- deliveries -----------------------------------------------------------------------------

    def add_delivery(self, job, kind, wamids, copy, attempt, http_status, error, forged) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO deliveries (job, kind, wamids, copy, attempt, http_status, error, forged, at_us)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job, kind, json.dumps(wamids), copy, attempt, http_status, error, int(forged), self.clock.now_us()),
            )

    def deliveries(self, since: int = 0) -> list[dict]:
        rows = self._q("SELECT * FROM deliveries WHERE id > ? ORDER BY id", (since,))
        return [
            {**dict(r), "wamids": json.loads(r["wamids"]), "forged": bool(r["forged"]), "at": iso(r["at_us"])}
            for r in rows
        ]
