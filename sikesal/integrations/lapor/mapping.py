"""Everything SIKESAL assumes about SP4N-LAPOR!'s API, in one place: tolerant in what it reads, exact in
what it sends.

The official integration document is only given to registered developers; what is public is how an
existing integrator (the Vice-President's "Lapor Mas Wapres" desk) calls the API (docs/lapor.md,
"Evidence"). Paths, field names and shapes below follow that client; where nothing public exists (the
pull list, the disposition call, the categories and locations masters, the status codes' numbers)
they are documented assumptions, and the calls are optional (LAPOR_OPTIONAL_CALLS). A city adapting
to the official document changes this module, the settings (LAPOR_*) and the masters: never the sync
engine (outbound.py; pull.py, twins.py, mirror.py).

The functions here are pure: `to_remote_*` build what goes out, `from_remote_*` read what comes in and
raise `BadPayload` with a readable (Indonesian) reason when an item cannot be used.
"""

import datetime as dt
import hashlib
import json
import re
import zoneinfo

from django.conf import settings

from sikesal.complaints.actions import Action
from sikesal.complaints.states import CLOSED_STATES, Status

S = Status
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


class BadPayload(ValueError):
    pass


# --- Transport ----------------------------------------------------------------------------------------

TOKEN_HEADER = "token"  # noqa: S105 - a header name; its value is LAPOR_TOKEN

PATHS = {
    "institutions": "/masters/institutions/external",
    "categories": "/masters/categories",  # optional: no public evidence
    "locations": "/masters/locations",  # optional: no public evidence
    "templates": "/masters/templates",
    "upload": "/complaints/complaint/file",
    "reject": "/complaints/process/{id}/reject",
    "disposition": "/complaints/process/{id}/disposition",  # optional: no public evidence
    "detail": "/complaints/{id}/complaint",
    "followups": "/complaints/{id}/followups",
    "followup_add": "/complaints/followup/add",
    "list": "/complaints",  # optional, no public evidence: ?institution_id=&updated_since=&page=&page_size=
}
OPTIONAL_CALLS = ("list", "disposition", "categories", "locations")


def path(name):
    return settings.LAPOR_CREATE_PATH if name == "create" else PATHS[name]


def call_enabled(name):
    """Whether an optional call is configured (LAPOR_OPTIONAL_CALLS); the others always are."""
    return name not in OPTIONAL_CALLS or name in settings.LAPOR_OPTIONAL_CALLS


def auth_headers(secret=None, token=None):
    """The secret exactly as stored under the configured header; the token only when there is one."""
    secret = settings.LAPOR_AUTH_SECRET if secret is None else secret
    token = settings.LAPOR_TOKEN if token is None else token
    headers = {settings.LAPOR_AUTH_HEADER: secret}
    if token:
        headers[TOKEN_HEADER] = token
    return headers


def page_size():
    """Items per page of the pull list (LAPOR_PAGE_SIZE)."""
    return settings.LAPOR_PAGE_SIZE


def city_institution_id():
    """The city's own id on SP4N-LAPOR! (Pemerintah Kota Jambi)."""
    return settings.LAPOR_CITY_INSTITUTION_ID


# --- Reading values: numbers, ids, times --------------------------------------------------------------


def ref_id(value):
    """An id given as a number, a digit string or an object {"id": ...}; None when there is none."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


LAPOR_TIME_FORMATS = ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M:%S")


def parse_time(value):
    """A LAPOR! time: ISO 8601 with an offset, or `d-m-Y H:i:s` in WIB (the public client's format)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for fmt in LAPOR_TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=WIB)
        except ValueError:
            pass
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)


def format_since(moment):
    """The pull list's `updated_since`: ISO 8601 with the WIB offset (the simulator reads both forms)."""
    return moment.astimezone(WIB).isoformat(timespec="seconds")


def _int(d, name, required=True):
    value = d.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or value is None:
        raise BadPayload(f"`{name}` hilang atau bukan angka")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise BadPayload(f"`{name}` bukan angka: {value!r}"[:200])


def _bool(d, name):
    value = d.get(name, False)
    if value in (True, False, 0, 1, "0", "1", None):
        return value in (True, 1, "1")
    raise BadPayload(f"`{name}` bukan nilai ya/tidak: {value!r}"[:200])


def _optional_int(value):
    """A number given as a number, a digit string or an object {"id": ...}; None when absent or not one."""
    found = ref_id(value)
    return int(found) if found else None


def _text(d, name, required=True):
    value = d.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadPayload(f"`{name}` hilang atau bukan teks")
    return value


# --- Statuses -------------------------------------------------------------------------------------------

# LAPOR! status codes (numbers are an assumption; names are those of real exports, docs/lapor.md).
UNVERIFIED = 10
PENDING = 11
DISPOSITIONED = 20
IN_PROCESS = 21
DONE = 22
CLOSED_REPORTER = 30
CLOSED_ADMIN = 31
CLOSED_SYSTEM = 32
ARCHIVED_ADMIN = 40
ARCHIVED_SYSTEM = 41
ARCHIVED_REPORTER = 42
NOT_AUTHORITY = 50
FINAL = frozenset({CLOSED_REPORTER, CLOSED_ADMIN, CLOSED_SYSTEM, ARCHIVED_ADMIN, ARCHIVED_SYSTEM, ARCHIVED_REPORTER})
OPEN = frozenset({UNVERIFIED, PENDING, DISPOSITIONED, IN_PROCESS})
KNOWN_STATUSES = OPEN | FINAL | {DONE, NOT_AUTHORITY}

# A final remote status that the local report takes over (through the lifecycle's `lapor_mirror`).
INBOUND_STATUS = {
    CLOSED_REPORTER: S.CLOSED_REPORTER,
    CLOSED_ADMIN: S.CLOSED_ADMIN,
    CLOSED_SYSTEM: S.CLOSED_SYSTEM,
    ARCHIVED_ADMIN: S.ARCHIVED_ADMIN,
    ARCHIVED_SYSTEM: S.ARCHIVED_SYSTEM,
    ARCHIVED_REPORTER: S.ARCHIVED_REPORTER,
}

# The remote statuses that agree with a local state once every change is mirrored. Both sides "open"
# agree whatever each calls its step (LAPOR! may hold a report as in process while the city has not yet
# verified it); both sides final agree whoever closed first (the later close is refused, docs/lapor.md).
_LOCAL_OPEN = {S.RECEIVED, S.PENDING_INFO, S.DISPOSITIONED, S.RETURNED, S.IN_PROGRESS}
_LOCAL_FINAL = CLOSED_STATES - {S.FORWARDED, S.MERGED}
EXPECTED_REMOTE = {
    **dict.fromkeys(_LOCAL_OPEN, OPEN),
    S.FOLLOWED_UP: frozenset({DONE}),
    **dict.fromkeys(_LOCAL_FINAL, FINAL),
    # After "not our authority" the report lives on with the other institution.
    S.FORWARDED: frozenset({NOT_AUTHORITY, DISPOSITIONED, IN_PROCESS, DONE, *FINAL}),
    S.MERGED: KNOWN_STATUSES,
}


def remote_agrees(local_status, remote_code):
    return remote_code in EXPECTED_REMOTE.get(local_status, ())


def mirror_target(local_status, old_code, new_code, reporter_spoke):
    """The local state a remote move asks for, or None when the local state stays.

    - a final remote status (the reporter or the national admin closed it) is taken over by an open
      local report: SP4N-LAPOR! is where the reporter decided (docs/lapor.md, "Conflicts");
    - back to "in process" after "done" is the reporter disputing the answer: the report reopens.
    """
    if new_code in FINAL and local_status not in CLOSED_STATES:
        return INBOUND_STATUS[new_code]
    if (
        new_code == IN_PROCESS
        and (old_code == DONE or old_code in FINAL or reporter_spoke)
        and local_status in (S.FOLLOWED_UP, S.CLOSED_SYSTEM)
    ):
        return S.IN_PROGRESS
    return None


# Institutions whose disposition means the Ombudsman took the report over on SP4N-LAPOR! (then the
# citizen is not offered to escalate it again from SIKESAL).
OMBUDSMAN_INSTITUTION_IDS = frozenset({2, 21})

# --- Outbound: which local events go to LAPOR!, and how -----------------------------------------------

# Local action -> (template code, fixed text when the event carries no message). The template code
# moves the remote status (the simulator's templates do; an assumption, docs/lapor.md); a code the
# templates master does not list is replaced by LAPOR_REPLY_TEMPLATE.
FOLLOWUP_EVENTS = {
    Action.REQUEST_INFO: ("permintaan_informasi", "Mohon lengkapi informasi laporan Anda."),
    Action.START: ("sedang_diproses", "Laporan sedang ditindaklanjuti oleh perangkat daerah terkait."),
    Action.ADD_FOLLOWUP: ("sedang_diproses", ""),
    Action.COMPLETE_FOLLOWUP: ("tindak_lanjut", ""),
    Action.DISPUTE: ("sedang_diproses", "Pelapor menyatakan masalah belum selesai; laporan dibuka kembali."),
    Action.CONFIRM: ("penutupan", "Pelapor menyatakan laporan telah selesai."),
    Action.CLOSE_ADMIN: ("penutupan", "Laporan ditutup oleh admin karena telah selesai ditindaklanjuti."),
    Action.CLOSE_SYSTEM: ("penutupan", "Laporan ditutup karena pelapor tidak menanggapi dalam 10 hari kerja."),
    Action.ARCHIVE: ("arsip", ""),
    Action.ARCHIVE_SYSTEM: ("arsip", "Laporan diarsipkan karena kelengkapan informasi tidak diterima."),
    Action.WITHDRAW: ("arsip", "Laporan dicabut oleh pelapor."),
}
REJECT_EVENTS = frozenset({Action.FORWARD_EXTERNAL})
ROUTE_EVENTS = frozenset({Action.VERIFY, Action.REDISPOSITION})
# Actions SIKESAL keeps to itself, each for a reason; every other action must be in one of the tables
# above (tests/lapor/test_sync.py checks that each action is placed), so a new action is never left out
# of SP4N-LAPOR! by forgetting it.
NOT_SENT = frozenset(
    {
        Action.SUBMIT,  # the create call, queued by the outbox itself (outbound.on_event)
        Action.LAPOR_MIRROR,  # came from SP4N-LAPOR!
        Action.SUPPLY_INFO,  # the reporter's own words, staff-side until the OPD answers them
        Action.COMMENT,
        Action.RATE,
        Action.ASSIGN,  # inside the OPD
        Action.SET_FLAGS,  # anonim/rahasia were sent with the create; LAPOR! has no call to change them
        Action.RETURN_NOT_AUTHORITY,  # back with the admin, who redispositions (a ROUTE) or forwards (a REJECT)
        Action.MERGE,  # the duplicate's own LAPOR! copy is closed by the admin there
        Action.ESCALATE_OMBUDSMAN,  # goes to the Ombudsman directly (integrations/ombudsman)
        Action.RECORD_OMBUDSMAN,
        Action.MARK_OVERDUE,  # staff-only bookkeeping
    }
)

# Channels: local channel -> LAPOR! channel id (13 = "Integrasi API", as the public client sends).
DEFAULT_CHANNEL_ID = 13
CHANNELS = {"web": 13, "android": 13, "api": 13, "open311": 13, "whatsapp": 13, "sms": 13}
# Classification: the public client sends 6 for every report; the simulator's master lists 1-3.
CLASSIFICATIONS = {"pengaduan": 1, "aspirasi": 2, "informasi": 3}
CLASSIFICATION_TYPES = {v: k for k, v in CLASSIFICATIONS.items()}

# --- Our own reports: the ticket line and the tag ------------------------------------------------------

TICKET_LABEL = "Nomor Tiket SIKESAL"
TICKET_RE = re.compile(r"\[\s*Nomor Tiket SIKESAL\s*:\s*([A-Za-z0-9-]+)\s*\]")
TAG_PREFIX = "sikesal:"  # tags_raw of a report SIKESAL created


def tag_for(tracking_number):
    return f"{TAG_PREFIX}{tracking_number}"


def ticket_line(tracking_number):
    """Written at the start of the content, as the public client does: the one marker that survives a
    service that keeps no tags, so a create whose answer was lost can be found and never sent twice."""
    return f"[{TICKET_LABEL}: {tracking_number}]"


def content_key(title, content):
    """Title and text with our ticket line and every difference of spacing and case taken out: two copies
    of one report compare equal even when a side rewrapped the text or dropped the ticket line."""
    text = TICKET_RE.sub(" ", str(content or ""))
    return " ".join(f"{title or ''} {text}".lower().split())


def tracking_from_tags(tags):
    for part in str(tags or "").replace(";", ",").replace(" ", ",").split(","):
        part = part.strip().lstrip("#")
        if part.startswith(TAG_PREFIX):
            return part[len(TAG_PREFIX) :]
    return None


def tracking_of(item):
    """Our tracking number in a remote report (tag or ticket line), or None when it is not ours."""
    if not isinstance(item, dict):
        return None
    found = tracking_from_tags(item.get("tags_raw"))
    if found:
        return found
    match = TICKET_RE.search(str(item.get("content") or "")[:300])
    return match.group(1) if match else None


def to_remote_create(c, *, docs, disposition_id, location_id, category_id):
    """The create body, field by field as the public client sends it (docs/lapor.md, "Evidence")."""
    return {
        "title": c.title,
        # Only the report's own words: never the reporter's NIK, phone or address (docs/lapor.md).
        "content": f"{ticket_line(c.tracking_number)}\n{c.body}",
        "channel": CHANNELS.get(c.channel, DEFAULT_CHANNEL_ID),
        "user_id": settings.LAPOR_USER_ID or None,
        "classification_id": classification_id(c.type),
        "category_id": category_id,
        "disposition_id": disposition_id,
        "location_id": location_id,
        "date_of_incident": c.incident_date.isoformat() if c.incident_date else None,
        "is_anonymous": int(c.is_anonymous),
        "is_secret": int(c.is_secret),
        "is_priority": 0,
        "tags_raw": tag_for(c.tracking_number),
        # a string holding a JSON array of upload ids, or false when none (as the public client sends)
        "attachments": json.dumps([int(d) if str(d).isdigit() else d for d in docs]) if docs else False,
        "is_new_user_slider": False,
        "is_inbox": settings.LAPOR_IS_INBOX,
        "is_disposisi_slider": settings.LAPOR_IS_DISPOSISI_SLIDER,
        "is_approval": False,
        "priority_program_id": None,
        "community_id": None,
        "copy_externals": None,
        "info_disposition": None,
        "info_attachments": None,
    }


def classification_id(report_type):
    """LAPOR_CLASSIFICATION_ID when set (the public client sends 6 for every report), else by type."""
    if settings.LAPOR_CLASSIFICATION_ID:
        return int(settings.LAPOR_CLASSIFICATION_ID)
    return CLASSIFICATIONS.get(report_type, 1)


def to_remote_followup(*, remote_id, from_id, to_id, content, is_secret, template_code, rating=0):
    return {
        # a follow-up may be posted under another account than the create (LAPOR_FOLLOWUP_USER_ID)
        "user_id": settings.LAPOR_FOLLOWUP_USER_ID or settings.LAPOR_USER_ID or None,
        "complaint_id": remote_id,
        "institution_from_id": from_id,
        "institution_to_id": to_id,
        "info_disposition": None,
        "template_code": template_code,
        "rating": rating or 0,
        "is_secret": int(is_secret),
        "content": content or "-",
    }


def upload_ids(results):
    """Upload answers list photos under `images` and other files under `docs`: both are ours."""
    ids = []
    for key in ("images", "docs"):
        for item in results.get(key) or []:
            rid = ref_id(item) if isinstance(item, dict) else ref_id(item)
            if rid:
                ids.append(rid)
    return ids


def created_id(body):
    """The id of a created report: `complaint_id` at the top level (the public client's first reading),
    then every place the public client falls back to (`data.complaint_id`, the older
    `data.results.complaint.id`) and the `results` wrappers a service may use (`results.complaint_id`,
    `results.complaint.id`, `results.data.id`)."""
    if not isinstance(body, dict):
        return None
    paths = (
        ("complaint_id",),
        ("data", "complaint_id"),
        ("data", "results", "complaint", "id"),
        ("results", "complaint_id"),
        ("results", "complaint", "id"),
        ("results", "data", "id"),
    )
    for keys in paths:
        value = body
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if ref_id(value):
            return ref_id(value)
    return None


# --- Inbound: reading a report and its follow-ups -------------------------------------------------------

HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def from_remote_report(item):
    """A cleaned dict of the fields the sync uses; BadPayload with a readable reason otherwise.
    An unknown status code is kept (and shown), never a reason to drop the report."""
    if not isinstance(item, dict):
        raise BadPayload("item bukan objek JSON")
    # `updated_at`, `title`, `content`, `followup_count` and a numeric `disposition_id` may be absent
    # from a copy (the public client relies on none of them): read as unknown, never a reason to park.
    updated = parse_time(item.get("updated_at"))
    if updated is None and item.get("updated_at") not in (None, ""):
        raise BadPayload(f"`updated_at` bukan waktu: {item.get('updated_at')!r}"[:200])
    out = {
        "id": str(_int(item, "id")),
        "tracking_id": str(_int(item, "tracking_id", required=False) or ""),
        "status_code": _int(item, "status_code"),
        "updated_at": updated,
        "created_at": parse_time(item.get("created_at")),
        "title": _text(item, "title", required=False),
        "content": _text(item, "content", required=False),
        "is_anonymous": _bool(item, "is_anonymous"),
        "is_secret": _bool(item, "is_secret"),
        "followup_count": _int(item, "followup_count", required=False),
        "disposition_id": _optional_int(item.get("disposition_id")),
        "classification_id": _int(item, "classification_id", required=False),
        "location_id": ref_id(item.get("location_id")),
        "date_of_incident": item.get("date_of_incident") if isinstance(item.get("date_of_incident"), str) else None,
        "tags_raw": item.get("tags_raw") if isinstance(item.get("tags_raw"), str) else "",
        "status_name": str(item.get("status_name") or ""),
    }
    out["known_status"] = out["status_code"] in KNOWN_STATUSES
    out["tracking"] = tracking_of(item)
    reporter = item.get("reporter") or {}
    if not isinstance(reporter, dict):
        raise BadPayload("`reporter` bukan objek")
    out["reporter"] = {k: v for k, v in reporter.items() if isinstance(v, str)}
    for name in ("title", "content"):
        if HTML_RE.search(out[name]):
            raise BadPayload(f"`{name}` berisi HTML")
    return out


def from_remote_followup(f, complaint_id=""):
    """One follow-up: its key (the id, or a fingerprint of time, author and text when the service gives
    no id), author and text. BadPayload when it has no text and no time to know it by."""
    if not isinstance(f, dict):
        raise BadPayload("tindak lanjut bukan objek JSON")
    content = f.get("content")
    created = f.get("created_at")
    if not isinstance(content, str) or not isinstance(created, str):
        raise BadPayload("tindak lanjut tanpa isi atau waktu")
    from_id = ref_id(f.get("institution_from_id"))
    raw_from = f.get("institution_from_id")
    from_name = f.get("institution_from_name") or (raw_from.get("name") if isinstance(raw_from, dict) else None)
    is_reporter = f.get("user_type") == "pelapor" or from_id is None
    rid = ref_id(f.get("id"))
    if rid is None:
        text = f"{complaint_id}\x1f{created}\x1f{from_id or 'pelapor'}\x1f{content}"
        digest = hashlib.sha256(text.encode()).hexdigest()[:20]
        rid = f"fp:{digest}"
    return {
        "key": rid,
        "content": content,
        "created_at": parse_time(created),
        "from_id": from_id,
        "from_name": str(from_name or ""),
        "is_reporter": is_reporter,
    }


def followup_keys(items):
    """Keys for a list of follow-ups, numbering repeats (the same reply twice in one second stays two)."""
    seen = {}
    out = []
    for f in items:
        key = f["key"]
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append((f"{key}#{n}" if n and key.startswith("fp:") else key, f))
    return out
