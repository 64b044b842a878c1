"""Everything SIKESAL assumes about SP4N-LAPOR!'s API, in one place.

The official integration document is only given to registered developers; what is public is how an
existing integrator (the Vice-President's "Lapor Mas Wapres" desk) calls the API. Paths, field
names, status codes and template codes below follow that evidence; where nothing public exists
(the pull list, the disposition call, the status codes' numbers) they are our documented
assumptions (docs/lapor.md). A city adapting to the official document changes this module, the
settings (LAPOR_*), and the ids stored on institutions and services: never the sync engine.
"""

from django.conf import settings

from sikesal.complaints.states import Status

S = Status

# --- Transport ----------------------------------------------------------------------------------------

AUTH_HEADER = "Authorization"  # "Bearer <LAPOR_AUTH_SECRET>"
TOKEN_HEADER = "token"  # noqa: S105 - a header name; its value is LAPOR_TOKEN
IDEMPOTENCY_HEADER = "Idempotency-Key"  # honoured by the simulator; harmless if the real API ignores it

PATHS = {
    "institutions": "/masters/institutions/external",
    "categories": "/masters/categories",
    "templates": "/masters/templates",
    "upload": "/complaints/complaint/file",
    "create": "/complaints/complaint",
    "reject": "/complaints/process/{id}/reject",
    "disposition": "/complaints/process/{id}/disposition",  # assumption: not seen in public code
    "detail": "/complaints/{id}/complaint",
    "followups": "/complaints/{id}/followups",
    "followup_add": "/complaints/followup/add",
    "list": "/complaints",  # assumption: ?institution_id=&updated_since=&page=&page_size=
}


def page_size():
    """Items per page of the pull list (LAPOR_PAGE_SIZE)."""
    return settings.LAPOR_PAGE_SIZE


def city_institution_id():
    """The city's own id on SP4N-LAPOR! (Pemerintah Kota Jambi)."""
    return settings.LAPOR_CITY_INSTITUTION_ID


# --- Statuses -------------------------------------------------------------------------------------------

# LAPOR! status codes (numbers are an assumption; names are those of domain.md and real exports).
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
KNOWN_STATUSES = frozenset(
    {
        UNVERIFIED,
        PENDING,
        DISPOSITIONED,
        IN_PROCESS,
        DONE,
        CLOSED_REPORTER,
        CLOSED_ADMIN,
        CLOSED_SYSTEM,
        ARCHIVED_ADMIN,
        ARCHIVED_SYSTEM,
        ARCHIVED_REPORTER,
        NOT_AUTHORITY,
    }
)

# A remote status that the local report takes over (through the lifecycle's `lapor_mirror`).
INBOUND_STATUS = {
    CLOSED_REPORTER: S.CLOSED_REPORTER,
    CLOSED_ADMIN: S.CLOSED_ADMIN,
    CLOSED_SYSTEM: S.CLOSED_SYSTEM,
    ARCHIVED_ADMIN: S.ARCHIVED_ADMIN,
    ARCHIVED_SYSTEM: S.ARCHIVED_SYSTEM,
    ARCHIVED_REPORTER: S.ARCHIVED_REPORTER,
}

# For `reconcile`: the remote statuses that agree with a local state once every change is mirrored.
_ANY_FINAL = {CLOSED_REPORTER, CLOSED_ADMIN, CLOSED_SYSTEM, ARCHIVED_ADMIN, ARCHIVED_SYSTEM, ARCHIVED_REPORTER}
EXPECTED_REMOTE = {
    S.RECEIVED: {UNVERIFIED, DISPOSITIONED},
    S.PENDING_INFO: {UNVERIFIED, PENDING, DISPOSITIONED},
    S.DISPOSITIONED: {UNVERIFIED, DISPOSITIONED},
    S.RETURNED: {UNVERIFIED, DISPOSITIONED, IN_PROCESS},
    S.IN_PROGRESS: {UNVERIFIED, DISPOSITIONED, IN_PROCESS},
    S.FOLLOWED_UP: {DONE},
    S.CLOSED_REPORTER: {CLOSED_REPORTER, CLOSED_ADMIN},
    S.CLOSED_ADMIN: {CLOSED_ADMIN},
    S.CLOSED_SYSTEM: {CLOSED_SYSTEM, CLOSED_ADMIN},
    S.ARCHIVED_ADMIN: {ARCHIVED_ADMIN},
    S.ARCHIVED_SYSTEM: {ARCHIVED_SYSTEM, ARCHIVED_ADMIN},
    S.ARCHIVED_REPORTER: {ARCHIVED_REPORTER, ARCHIVED_ADMIN},
    # After "not our authority" the report lives on with the other institution.
    S.FORWARDED: {NOT_AUTHORITY, DISPOSITIONED, IN_PROCESS, DONE, *_ANY_FINAL},
    S.MERGED: {UNVERIFIED, DISPOSITIONED, IN_PROCESS, DONE, *_ANY_FINAL},
}

# Institutions whose disposition means the Ombudsman took the report over on SP4N-LAPOR! (then the
# citizen is not offered to escalate it again from SIKESAL).
OMBUDSMAN_INSTITUTION_IDS = frozenset({2, 21})

# --- Outbound: which local events go to LAPOR!, and how -----------------------------------------------

# Local action -> (template code, fixed text when the event carries no message). The template code
# moves the remote status (the simulator's templates do; see docs/lapor.md).
FOLLOWUP_EVENTS = {
    "request_info": ("permintaan_informasi", "Mohon lengkapi informasi laporan Anda."),
    "start": ("sedang_diproses", "Laporan sedang ditindaklanjuti oleh perangkat daerah terkait."),
    "add_followup": ("sedang_diproses", ""),
    "complete_followup": ("tindak_lanjut", ""),
    "dispute": ("sedang_diproses", "Pelapor menyatakan masalah belum selesai; laporan dibuka kembali."),
    "confirm": ("penutupan", "Pelapor menyatakan laporan telah selesai."),
    "close_admin": ("penutupan", "Laporan ditutup oleh admin karena telah selesai ditindaklanjuti."),
    "close_system": ("penutupan", "Laporan ditutup karena pelapor tidak menanggapi dalam 10 hari kerja."),
    "archive": ("arsip", ""),
    "archive_system": ("arsip", "Laporan diarsipkan karena kelengkapan informasi tidak diterima."),
    "withdraw": ("arsip", "Laporan dicabut oleh pelapor."),
}
REJECT_EVENTS = frozenset({"forward_external"})
ROUTE_EVENTS = frozenset({"verify", "redisposition"})

# Channels: local channel -> LAPOR! channel id (13 = "Integrasi API" in the simulator's master).
DEFAULT_CHANNEL_ID = 13
CHANNELS = {"web": 13, "android": 13, "api": 13, "open311": 13, "whatsapp": 13, "sms": 13}
CLASSIFICATIONS = {"pengaduan": 1, "aspirasi": 2, "informasi": 3}
CLASSIFICATION_TYPES = {v: k for k, v in CLASSIFICATIONS.items()}


def location_id(area_code):
    """A kelurahan's Kemendagri code "15.71.01.1001" becomes LAPOR!'s location id 1571011001."""
    return int(area_code.replace(".", "")) if area_code else None


def area_code(location_id):
    """The inverse of `location_id`, for kelurahan-level ids (10 digits); None otherwise."""
    text = str(location_id or "")
    if len(text) != 10 or not text.isdigit():
        return None
    return f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"


TAG_PREFIX = "sikesal:"  # tags_raw of a report SIKESAL created: lets the pull recognise its own


def tag_for(tracking_number):
    return f"{TAG_PREFIX}{tracking_number}"


def tracking_from_tags(tags):
    for part in str(tags or "").replace(";", ",").split(","):
        part = part.strip()
        if part.startswith(TAG_PREFIX):
            return part[len(TAG_PREFIX) :]
    return None
