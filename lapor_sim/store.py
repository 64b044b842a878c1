"""SQLite storage and the complaint lifecycle's primitive steps.

One database file (`lapor_sim.sqlite3` in the data directory, WAL mode) and one connection guarded
by a re-entrant lock: every read and write is serialised, which keeps the simulator simple and is
plenty fast for tests and benchmarks. `transaction()` nests, so an API call, its idempotency record
and its side effects commit or roll back together.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from . import masters
from . import statuses as st
from .errors import ApiError
from .timeutil import Clock, iso, lapor_datetime

DB_NAME = "lapor_sim.sqlite3"
SCHEMA_VERSION = "2"  # 2: location ids are the small LAPOR! ids of masters.LOCATIONS
# Ids start in distinct, realistic-looking ranges so that a connector mixing them up is caught.
ID_FLOORS = {"complaints": 4_000_000, "followups": 8_000_000, "docs": 6_000_000, "logs": 2_000_000}
TRACKING_SPAN = 9_000_000_000  # tracking ids have 10 digits
TRACKING_MULTIPLIER = 2_654_435_761  # coprime with TRACKING_SPAN: id -> tracking id is one-to-one

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tracking_id INTEGER NOT NULL UNIQUE,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    classification_id INTEGER,
    category_id INTEGER,
    channel INTEGER,
    disposition_id INTEGER,
    target_institution_id INTEGER,
    forward_target_id INTEGER,
    created_by_institution_id INTEGER,
    source TEXT NOT NULL,
    location_id INTEGER,
    location TEXT,
    date_of_incident TEXT,
    is_anonymous INTEGER NOT NULL DEFAULT 0,
    is_secret INTEGER NOT NULL DEFAULT 0,
    is_priority INTEGER NOT NULL DEFAULT 0,
    tags_raw TEXT,
    attachments TEXT NOT NULL DEFAULT '[]',
    reporter_name TEXT,
    reporter_phone TEXT,
    status_code INTEGER NOT NULL,
    followup_count INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    verified_us INTEGER
);
CREATE INDEX IF NOT EXISTS complaints_updated ON complaints (updated_us, id);
CREATE TABLE IF NOT EXISTS complaint_institutions (
    institution_id INTEGER NOT NULL,
    complaint_id INTEGER NOT NULL,
    PRIMARY KEY (institution_id, complaint_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS complaint_institutions_c ON complaint_institutions (complaint_id);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL,
    actor TEXT NOT NULL,
    status_old INTEGER,
    status_new INTEGER,
    institution_from_id INTEGER,
    institution_to_id INTEGER,
    content TEXT,
    created_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_complaint ON logs (complaint_id, id);
CREATE TABLE IF NOT EXISTS followups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL,
    actor TEXT NOT NULL,
    institution_from_id INTEGER,
    institution_to_id INTEGER,
    content TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    is_secret INTEGER NOT NULL DEFAULT 0,
    rating INTEGER,
    template_code TEXT,
    created_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS followups_complaint ON followups (complaint_id, id);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS scheduled (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    due_us INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS scheduled_due ON scheduled (due_us, id);
"""

ACTOR_NAMES = {"reporter": "Pelapor", "system": "Sistem"}
KEEP = object()
CREATED_NOTE = "Laporan dibuat."  # the first log entry's internal note


def log_template(row: sqlite3.Row) -> str:
    """A log entry's text the way LAPOR! writes it: a template whose placeholders
    ({{institution_from}}, {{institution_to}}, {{institution_from_link}}, {{institution_to_link}},
    {{status_old}}, {{status_new}}) the reader fills from the names beside it and from `data`."""
    old, new, to_id = row["status_old"], row["status_new"], row["institution_to_id"]
    if old is None:
        text = "Laporan dibuat oleh {{institution_from}} dengan status {{status_new}}"
    elif new == st.BUKAN_WEWENANG and to_id is not None:
        text = (
            "Laporan diteruskan dari {{institution_from_link}} ke {{institution_to_link}} karena bukan wewenang."
            " Status berubah dari {{status_old}} menjadi {{status_new}}"
        )
    elif to_id is not None and old != new:
        text = (
            "Laporan didisposisikan dari {{institution_from}} ke {{institution_to}}."
            " Status berubah dari {{status_old}} menjadi {{status_new}}"
        )
    elif to_id is not None:
        text = "Laporan didisposisikan dari {{institution_from}} ke {{institution_to}}"
    elif old != new:
        text = "Status berubah dari {{status_old}} menjadi {{status_new}}"
    else:
        text = "Laporan diperbarui oleh {{institution_from}}"
    note = row["content"]
    if note and note != CREATED_NOTE:
        text += f". Catatan: {note}"
    return text


class Store:
    def __init__(self, data_dir: str, seed: int, city_id: int) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, DB_NAME)
        self.seed = seed
        self.city_id = city_id
        self._lock = threading.RLock()
        self._depth = 0
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self._init_sequences()
            self.db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,),
            )
            self._migrate()
        floor = self.db.execute(
            "SELECT MAX(m) FROM (SELECT MAX(updated_us) AS m FROM complaints"
            " UNION ALL SELECT MAX(created_us) FROM followups"
            " UNION ALL SELECT MAX(created_us) FROM logs)"
        ).fetchone()[0]
        self.clock = Clock(floor or 0)

    def _migrate(self) -> None:
        version = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        if version == "1":
            # Version 1 used the Kemendagri code without dots as location id; one statement, so an
            # old id that equals a new small id is never mapped twice.
            pairs = [(masters.code_to_id(loc["code"]), loc["id"]) for loc in masters.LOCATIONS]
            cases = " ".join("WHEN ? THEN ?" for _ in pairs)
            marks = ", ".join("?" for _ in pairs)
            self.db.execute(
                f"UPDATE complaints SET location_id = CASE location_id {cases} END"  # noqa: S608 - placeholders only
                f" WHERE location_id IN ({marks})",
                (*[v for pair in pairs for v in pair], *[old for old, _new in pairs]),
            )
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
            except BaseException:
                self._depth = 0
                self.db.execute("ROLLBACK")
                raise
            self._depth = 0
            self.db.execute("COMMIT")

    def read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    def read_one(self, sql: str, params: tuple = ()) -> sqlite3.Row | None:
        with self._lock:
            return self.db.execute(sql, params).fetchone()

    def close(self) -> None:
        with self._lock:
            try:
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self.db.close()

    def _init_sequences(self) -> None:
        for table, floor in ID_FLOORS.items():
            self.db.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                (table, floor, table),
            )

    def reset(self) -> None:
        with self.transaction():
            for table in (
                "complaints",
                "complaint_institutions",
                "logs",
                "followups",
                "docs",
                "idempotency",
                "scheduled",
            ):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self.db.execute("DELETE FROM sqlite_sequence")
            self.db.execute("DELETE FROM meta WHERE key <> 'schema_version'")
            self._init_sequences()

    # -- documents ------------------------------------------------------------------------------

    def save_doc(self, name: str, mime_type: str, data: bytes) -> dict:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO docs (name, mime_type, size, sha256, data, created_us) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    name,
                    mime_type,
                    len(data),
                    hashlib.sha256(data).hexdigest(),
                    data,
                    self.clock.now_us(),
                ),
            )
            return self.doc_json(self.get_doc(cur.lastrowid))

    def get_doc(self, doc_id: int) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM docs WHERE id = ?", (doc_id,))

    @staticmethod
    def doc_json(row: sqlite3.Row) -> dict:
        return {
            "id": row["id"],
            "name": row["name"],
            "mime_type": row["mime_type"],
            "size": row["size"],
            "sha256": row["sha256"],
            "url": f"/complaints/complaint/file/{row['id']}",
        }

    def docs_for(self, doc_ids: list[int], field: str) -> list[dict]:
        """Metadata of uploaded documents, in the order given; 422 for an unknown id."""
        out = []
        for index, doc_id in enumerate(doc_ids):
            row = self.read_one("SELECT id, name, mime_type, size, sha256 FROM docs WHERE id = ?", (doc_id,))
            if row is None:
                raise ApiError(
                    422,
                    "The given data was invalid.",
                    {f"{field}.{index}": [f"Dokumen {doc_id} tidak ditemukan."]},
                )
            out.append(self.doc_json(row))
        return out

    # -- complaints -----------------------------------------------------------------------------

    def tracking_id_for(self, complaint_id: int) -> int:
        offset = (self.seed * 1_000_003) % TRACKING_SPAN
        return 1_000_000_000 + (complaint_id * TRACKING_MULTIPLIER + offset) % TRACKING_SPAN

    def get(self, complaint_id: int) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM complaints WHERE id = ?", (complaint_id,))

    def require(self, complaint_id: int) -> sqlite3.Row:
        row = self.get(complaint_id)
        if row is None:
            raise ApiError(404, f"Laporan {complaint_id} tidak ditemukan.")
        return row

    def is_involved(self, complaint_id: int, institution_id: int) -> bool:
        return (
            self.read_one(
                "SELECT 1 FROM complaint_institutions WHERE institution_id = ? AND complaint_id = ?",
                (institution_id, complaint_id),
            )
            is not None
        )

    def create_complaint(
        self,
        *,
        title: str,
        content: str,
        source: str,
        status_code: int,
        classification_id: int | None = None,
        category_id: int | None = None,
        channel: int | None = None,
        target_institution_id: int | None = None,
        created_by_institution_id: int | None = None,
        location_id: int | None = None,
        location: str | None = None,
        date_of_incident: str | None = None,
        is_anonymous: bool = False,
        is_secret: bool = False,
        is_priority: bool = False,
        tags_raw: str | None = None,
        attachments: list[dict] | None = None,
        reporter_name: str | None = None,
        reporter_phone: str | None = None,
        created_us: int | None = None,
    ) -> int:
        """Insert a new complaint in `status_code` (Belum Terverifikasi for everything that the
        national admin still has to verify) and write its first log entry."""
        with self.transaction():
            now = self.clock.now_us()
            next_id = self.db.execute("SELECT seq + 1 FROM sqlite_sequence WHERE name = 'complaints'").fetchone()[0]
            cur = self.db.execute(
                "INSERT INTO complaints (id, tracking_id, title, content, classification_id,"
                " category_id, channel, target_institution_id, created_by_institution_id, source,"
                " location_id, location, date_of_incident, is_anonymous, is_secret, is_priority,"
                " tags_raw, attachments, reporter_name, reporter_phone, status_code, created_us,"
                " updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " ?, ?, ?)",
                (
                    next_id,
                    self.tracking_id_for(next_id),
                    title,
                    content,
                    classification_id,
                    category_id,
                    channel,
                    target_institution_id,
                    created_by_institution_id,
                    source,
                    location_id,
                    location,
                    date_of_incident,
                    int(is_anonymous),
                    int(is_secret),
                    int(is_priority),
                    tags_raw,
                    json.dumps(attachments or []),
                    reporter_name,
                    reporter_phone,
                    status_code,
                    created_us or now,
                    now,
                ),
            )
            complaint_id = cur.lastrowid
            actor = "institution" if created_by_institution_id else "reporter"
            self._log(
                complaint_id,
                actor,
                None,
                status_code,
                created_by_institution_id,
                target_institution_id,
                CREATED_NOTE,
                now,
            )
            if created_by_institution_id:
                self.involve(complaint_id, created_by_institution_id)
            return complaint_id

    def involve(self, complaint_id: int, institution_id: int) -> None:
        """Make a complaint visible to an institution and to its parents (a city sees what its
        OPDs handle)."""
        with self.transaction():
            for inst in masters.lineage(institution_id):
                self.db.execute(
                    "INSERT OR IGNORE INTO complaint_institutions (institution_id, complaint_id) VALUES (?, ?)",
                    (inst, complaint_id),
                )

    def _log(
        self,
        complaint_id: int,
        actor: str,
        status_old: int | None,
        status_new: int | None,
        from_id: int | None,
        to_id: int | None,
        content: str | None,
        now: int,
    ) -> None:
        self.db.execute(
            "INSERT INTO logs (complaint_id, actor, status_old, status_new, institution_from_id,"
            " institution_to_id, content, created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (complaint_id, actor, status_old, status_new, from_id, to_id, content, now),
        )

    def change(
        self,
        complaint_id: int,
        *,
        actor: str,
        status_code: int | None = None,
        from_id: int | None = None,
        to_id: int | None = None,
        content: str | None = None,
        disposition_id: object = KEEP,
        forward_target_id: object = KEEP,
        verified: bool = False,
    ) -> int:
        """Change a complaint's status and/or disposition, log it and bump `updated_at`.
        Returns the new `updated_us`."""
        with self.transaction():
            row = self.require(complaint_id)
            now = self.clock.now_us()
            new_status = row["status_code"] if status_code is None else status_code
            sets = ["status_code = ?", "updated_us = ?"]
            params: list = [new_status, now]
            if disposition_id is not KEEP:
                sets.append("disposition_id = ?")
                params.append(disposition_id)
                if disposition_id is not None:
                    self.involve(complaint_id, disposition_id)
            if forward_target_id is not KEEP:
                sets.append("forward_target_id = ?")
                params.append(forward_target_id)
            if verified:
                sets.append("verified_us = ?")
                params.append(now)
            self.db.execute(
                f"UPDATE complaints SET {', '.join(sets)} WHERE id = ?",  # noqa: S608
                (*params, complaint_id),
            )
            self._log(complaint_id, actor, row["status_code"], new_status, from_id, to_id, content, now)
            return now

    def add_followup(
        self,
        complaint_id: int,
        *,
        actor: str,
        content: str,
        from_id: int | None = None,
        to_id: int | None = None,
        is_secret: bool = False,
        rating: int | None = None,
        template_code: str | None = None,
        attachments: list[dict] | None = None,
    ) -> dict:
        """Append a follow-up (tindak lanjut); bumps the complaint's `updated_at`. Returns the internal
        view (`followup_json`); `public_followup` turns it into what the API shows."""
        with self.transaction():
            now = self.clock.now_us()
            cur = self.db.execute(
                "INSERT INTO followups (complaint_id, actor, institution_from_id,"
                " institution_to_id, content, attachments, is_secret, rating, template_code,"
                " created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    complaint_id,
                    actor,
                    from_id,
                    to_id,
                    content,
                    json.dumps(attachments or []),
                    int(is_secret),
                    rating,
                    template_code,
                    now,
                ),
            )
            self.db.execute(
                "UPDATE complaints SET followup_count = followup_count + 1, updated_us = ? WHERE id = ?",
                (now, complaint_id),
            )
            row = self.read_one("SELECT * FROM followups WHERE id = ?", (cur.lastrowid,))
            return self.followup_json(row)

    # -- scheduled actions of the simulated world -----------------------------------------------

    def schedule(self, complaint_id: int, action: str, delay_s: float, payload: dict | None = None) -> None:
        with self.transaction():
            due = self.clock.now_us() + int(delay_s * 1_000_000)
            self.db.execute(
                "INSERT INTO scheduled (complaint_id, action, due_us, payload) VALUES (?, ?, ?, ?)",
                (complaint_id, action, due, json.dumps(payload or {})),
            )

    def due_actions(self, now_us: int | None, limit: int) -> list[sqlite3.Row]:
        """Scheduled actions due at `now_us` (all of them when None), oldest first."""
        if now_us is None:
            return self.read("SELECT * FROM scheduled ORDER BY due_us, id LIMIT ?", (limit,))
        return self.read(
            "SELECT * FROM scheduled WHERE due_us <= ? ORDER BY due_us, id LIMIT ?",
            (now_us, limit),
        )

    def take_action(self, action_id: int) -> bool:
        """Remove a scheduled action; False when another thread already took it."""
        cur = self.db.execute("DELETE FROM scheduled WHERE id = ?", (action_id,))
        return cur.rowcount == 1

    # -- idempotency ----------------------------------------------------------------------------

    def idempotent_result(self, key: str) -> sqlite3.Row | None:
        return self.read_one("SELECT * FROM idempotency WHERE key = ?", (key,))

    def remember_result(self, key: str, method: str, path: str, status: int, body: dict) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO idempotency (key, method, path, status, body, created_us)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, method, path, status, json.dumps(body), self.clock.now_us()),
            )

    # -- JSON views -----------------------------------------------------------------------------

    def complaint_json(self, row: sqlite3.Row, public: bool = True) -> dict:
        """A complaint as the API shows it (`public`: dates `d-m-Y H:i:s` WIB, second precision) or,
        for `/__sim/state`, with ISO 8601 dates to the microsecond."""
        anonymous = bool(row["is_anonymous"])
        when = lapor_datetime if public else iso
        return {
            "id": row["id"],
            "tracking_id": row["tracking_id"],
            "title": row["title"],
            "content": row["content"],
            "status_code": row["status_code"],
            "status_name": st.status_name(row["status_code"]),
            "disposition_id": row["disposition_id"],
            "disposition_name": masters.institution_name(row["disposition_id"]),
            "classification_id": row["classification_id"],
            "category_id": row["category_id"],
            "category_name": masters.CATEGORY_NAMES.get(row["category_id"]),
            "channel": row["channel"],
            "channel_name": masters.CHANNEL_NAMES.get(row["channel"]),
            "location_id": row["location_id"],
            "location": row["location"],
            "date_of_incident": row["date_of_incident"],
            "is_anonymous": anonymous,
            "is_secret": bool(row["is_secret"]),
            "is_priority": bool(row["is_priority"]),
            "tags_raw": row["tags_raw"],
            "attachments": json.loads(row["attachments"]),
            "reporter": {
                "name": None if anonymous else row["reporter_name"],
                "phone": None if anonymous else row["reporter_phone"],
            },
            "followup_count": row["followup_count"],
            "created_at": when(row["created_us"]),
            "updated_at": when(row["updated_us"]),
        }

    @staticmethod
    def _party_name(actor: str, institution_id: int | None) -> str | None:
        if institution_id is None:
            return ACTOR_NAMES.get(actor, "Pelapor")
        return masters.institution_name(institution_id)

    def logs_json(self, complaint_id: int) -> list[dict]:
        out = []
        for row in self.read("SELECT * FROM logs WHERE complaint_id = ? ORDER BY id", (complaint_id,)):
            status_old = st.status_ref(row["status_old"])
            status_new = st.status_ref(row["status_new"])
            from_name = self._party_name(row["actor"], row["institution_from_id"])
            to_name = (
                masters.institution_name(row["institution_to_id"]) if row["institution_to_id"] is not None else None
            )
            out.append(
                {
                    "id": row["id"],
                    "complaint_id": row["complaint_id"],
                    "status_old": status_old,
                    "status_new": status_new,
                    "institution_from_id": row["institution_from_id"],
                    "institution_from_name": from_name,
                    "institution_to_id": row["institution_to_id"],
                    "institution_to_name": to_name,
                    "content": row["content"],
                    "date": lapor_datetime(row["created_us"]),
                    # Some integrators read the statuses from a JSON string in `data`.
                    "data": json.dumps({"status_old": status_old, "status_new": status_new}, ensure_ascii=False),
                }
            )
        return out

    def logs_public_json(self, complaint_id: int) -> list[dict]:
        """`data_logs[]` as the public client sees them: no id, the text a template with placeholders,
        the names beside it and the statuses only inside the JSON string `data`."""
        out = []
        for row in self.read("SELECT * FROM logs WHERE complaint_id = ? ORDER BY id", (complaint_id,)):
            status_old = st.status_ref(row["status_old"])
            status_new = st.status_ref(row["status_new"])
            out.append(
                {
                    "complaint_id": row["complaint_id"],
                    "institution_from_id": row["institution_from_id"],
                    "institution_from_name": self._party_name(row["actor"], row["institution_from_id"]),
                    "institution_to_id": row["institution_to_id"],
                    "institution_to_name": masters.institution_name(row["institution_to_id"]),
                    "content": log_template(row),
                    "data": json.dumps({"status_old": status_old, "status_new": status_new}, ensure_ascii=False),
                    "date": lapor_datetime(row["created_us"]),
                }
            )
        return out

    @staticmethod
    def public_followup(internal: dict) -> dict:
        """A follow-up as the public client sees it (from `followup_json`'s view): no id;
        `institution_from_id` an object `{id, name}` when an institution wrote it, null when the
        reporter did; `created_at` `d-m-Y H:i:s` WIB."""
        item = {k: v for k, v in internal.items() if k not in ("id", "complaint_id")}
        from_id = internal["institution_from_id"]
        item["institution_from_id"] = (
            None if from_id is None else {"id": from_id, "name": masters.institution_name(from_id)}
        )
        return item

    def followup_json(self, row: sqlite3.Row) -> dict:
        """The internal view (`/__sim/state`): with the follow-up's id and a plain institution id."""
        actor = row["actor"]
        return {
            "id": row["id"],
            "complaint_id": row["complaint_id"],
            "content": row["content"],
            "attachments": json.loads(row["attachments"]),
            "created_at": lapor_datetime(row["created_us"]),
            "institution_from_id": row["institution_from_id"],
            "institution_from_name": self._party_name(actor, row["institution_from_id"]),
            "institution_to_id": row["institution_to_id"],
            "institution_to_name": (
                masters.institution_name(row["institution_to_id"])
                if row["institution_to_id"] is not None
                else "Pelapor"
            ),
            "user_type": {"reporter": "pelapor", "admin": "admin"}.get(actor, "instansi"),
            "is_secret": bool(row["is_secret"]),
            "rating": row["rating"],
            "template_code": row["template_code"],
        }

    def followups_page(self, complaint_id: int, limit: int, offset: int) -> tuple[list, int]:
        rows = self.read(
            "SELECT * FROM followups WHERE complaint_id = ? ORDER BY id LIMIT ? OFFSET ?",
            (complaint_id, limit, offset),
        )
        total = self.read_one("SELECT COUNT(*) FROM followups WHERE complaint_id = ?", (complaint_id,))[0]
        return [self.public_followup(self.followup_json(r)) for r in rows], total

    # -- the pull list --------------------------------------------------------------------------

    _LIST_WHERE = (
        " FROM complaints c WHERE c.updated_us >= ? AND EXISTS (SELECT 1 FROM"
        " complaint_institutions ci WHERE ci.institution_id = ? AND ci.complaint_id = c.id)"
    )

    def list_for_institution(
        self, institution_id: int, since_us: int, limit: int, offset: int
    ) -> tuple[list[sqlite3.Row], int]:
        with self._lock:
            rows = self.read(
                "SELECT c.*" + self._LIST_WHERE + " ORDER BY c.updated_us, c.id LIMIT ? OFFSET ?",
                (since_us, institution_id, limit, offset),
            )
            total = self.read_one("SELECT COUNT(*)" + self._LIST_WHERE, (since_us, institution_id))[0]
            return rows, total

    # -- inspection -----------------------------------------------------------------------------

    def counts(self) -> dict:
        with self._lock:
            by_status = {
                st.status_name(r[0]): r[1]
                for r in self.read("SELECT status_code, COUNT(*) FROM complaints GROUP BY status_code")
            }
            by_source = {r[0]: r[1] for r in self.read("SELECT source, COUNT(*) FROM complaints GROUP BY source")}
            scheduled = {r[0]: r[1] for r in self.read("SELECT action, COUNT(*) FROM scheduled GROUP BY action")}

            def count(table: str) -> int:
                return self.read_one(f"SELECT COUNT(*) FROM {table}")[0]  # noqa: S608

            return {
                "complaints": count("complaints"),
                "complaints_by_status": by_status,
                "complaints_by_source": by_source,
                "followups": count("followups"),
                "logs": count("logs"),
                "docs": count("docs"),
                "idempotency_keys": count("idempotency"),
                "scheduled_actions": scheduled,
            }

    def dump(self, with_followups: bool, with_logs: bool, complaint_id: int | None = None) -> list[dict]:
        """The internal view for `/__sim/state` (all complaints, or only `complaint_id`)."""
        where, params = ("WHERE complaint_id = ?", (complaint_id,)) if complaint_id is not None else ("", ())
        with self._lock:
            followups: dict[int, list] = {}
            if with_followups:
                for row in self.read(f"SELECT * FROM followups {where} ORDER BY id", params):  # noqa: S608
                    followups.setdefault(row["complaint_id"], []).append(self.followup_json(row))
            out = []
            where = where.replace("complaint_id", "id")
            for row in self.read(f"SELECT * FROM complaints {where} ORDER BY id", params):  # noqa: S608
                item = self.complaint_json(row, public=False)
                item.update(
                    location_code=masters.location_code(row["location_id"]),
                    source=row["source"],
                    created_by_institution_id=row["created_by_institution_id"],
                    target_institution_id=row["target_institution_id"],
                    forward_target_id=row["forward_target_id"],
                    reporter={"name": row["reporter_name"], "phone": row["reporter_phone"]},
                    verified_at=iso(row["verified_us"]),
                )
                if with_followups:
                    item["followups"] = followups.get(row["id"], [])
                if with_logs:
                    item["logs"] = self.logs_json(row["id"])
                out.append(item)
            return out
