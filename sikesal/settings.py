"""SIKESAL settings, read from the environment.

Defaults run the embedded system (SQLite under ./var); DATABASE_URL switches to PostgreSQL.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sikesal.env import env_bool, env_float, env_int, env_json, env_json_object, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SIKESAL_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# The data dir holds identities, TOTP secrets, mail and logs: only this account may read it. Every process
# that loads the settings (web, worker, commands, and the children `up` starts) creates files 0600 and
# directories 0700; the data dir itself is closed even if an older version created it world-readable.
os.umask(0o077)
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if DATA_DIR.stat().st_uid == os.getuid():
    DATA_DIR.chmod(0o700)


def _secret_key():
    """The secret comes from the environment; a local demo gets one generated once and kept in the data dir.

    Private links are derived from it, so two nodes with generated keys disagree: a deployment must set it
    (sikesal.core.checks says so loudly at start and fails `check --deploy`).
    """
    key = env_str("SIKESAL_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SIKESAL_SECRET_KEY_GENERATED = not env_str("SIKESAL_SECRET_KEY")
DEBUG = env_bool("SIKESAL_DEBUG", False)
ALLOWED_HOSTS = env_list("SIKESAL_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("SIKESAL_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SIKESAL_SITE_URL", f"http://127.0.0.1:{env_int('SIKESAL_PORT', 8000)}")

INSTALLED_APPS = [
    "sikesal.backoffice.admin_site.SikesalAdminConfig",  # Django's admin, opened by role
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # so /api/v1/docs serves swagger-ui from our static files, not a CDN
    "sikesal.core",
    "sikesal.accounts",
    "sikesal.catalogue",
    "sikesal.complaints",
    "sikesal.routing",
    "sikesal.portal",
    "sikesal.backoffice",
    "sikesal.integrations.notify",
    "sikesal.integrations.ombudsman",
    "sikesal.integrations.lapor",
    "sikesal.integrations.webpush",
    "sikesal.integrations.inbound",
    "sikesal.integrations.whatsapp",
    "sikesal.integrations.sms",
    "sikesal.integrations.mailbox",
    "sikesal.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sikesal.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, precompressed; they return from here
    # Pages and API answers compressed for a phone on a slow link (the report form: 24 kB → about 6 kB).
    # Django pads each answer with random bytes ("Heal The Breach"), so compressing a page that holds a
    # CSRF token or a private link does not let its size betray them (BREACH).
    "sikesal.core.middleware.TextGZipMiddleware",
    "sikesal.core.middleware.PageSessionMiddleware",
    "sikesal.core.middleware.LanguageMiddleware",
    "sikesal.core.middleware.MethodNotAllowedPageMiddleware",
    "sikesal.core.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "sikesal.core.middleware.PageAuthenticationMiddleware",
    "sikesal.core.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sikesal.urls"
WSGI_APPLICATION = "sikesal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sikesal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sikesal.core.context_processors.may",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite in WAL mode with IMMEDIATE transactions: writers queue on the lock instead of failing
# half-way with "database is locked" when a read transaction tries to upgrade.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "sikesal.core.sqlite",  # Django's, with writers queued (core/sqlite/base.py)
            "NAME": env_str("SIKESAL_SQLITE_PATH", str(DATA_DIR / "sikesal.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;"
                    "PRAGMA wal_autocheckpoint=262144;"  # the worker checkpoints (core/sqlite/base.py)
                ),
            },
            # Reuse a connection across requests: opening one (with its PRAGMAs) cost a tenth of a page view.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # A file, not memory: tests with threads and subprocesses (worker) must share the database.
            # One per test process, so parallel runs never share (and corrupt) a file.
            "TEST": {"NAME": str(DATA_DIR / f"test-sikesal-{os.getpid()}.sqlite3")},
        }
    }
# A read replica (PostgreSQL streaming replica) for statistics and exports: heavy reads off the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
SIKESAL_STATS_DB = "replica" if DATABASE_REPLICA_URL else "default"
# Public statistics are recomputed at most this often (0 = on every request).
SIKESAL_STATS_CACHE_SECONDS = env_int("SIKESAL_STATS_CACHE_SECONDS", 300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Background work ----------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "integrations"]}}
# Periodic jobs run by `manage.py worker`; each slot is claimed once in the database, so several
# workers can run side by side without doubling a job.
SIKESAL_PERIODIC = env_json(
    "SIKESAL_PERIODIC",
    {
        "sweep_deadlines": {"task": "sikesal.complaints.tasks.sweep_deadlines", "every_seconds": 300},
        # one slot per UTC day: the first worker check after 07:00 WIB sends it
        "daily_digest": {"task": "sikesal.backoffice.tasks.daily_digest", "every_seconds": 86400},
        "retrain_routing": {"task": "sikesal.routing.tasks.retrain_routing", "every_seconds": 86400},
        # sooner than SIKESAL_STATS_CACHE_SECONDS (300), so the cached public statistics never run out
        "refresh_statistics": {"task": "sikesal.portal.tasks.refresh_statistics", "every_seconds": 240},
        # photos kept for a report form shown again (the duplicate hint) and never sent
        "purge_staged_uploads": {"task": "sikesal.portal.tasks.purge_staged_uploads", "every_seconds": 3600},
        # SP4N-LAPOR! has no webhooks: push what is waiting and poll for changes (no-ops when off)
        "lapor_sync": {"task": "sikesal.integrations.lapor.tasks.lapor_sync", "every_seconds": 60},
        "lapor_masters": {"task": "sikesal.integrations.lapor.tasks.lapor_sync_masters", "every_seconds": 86400},
        # conversations by WhatsApp (SMS, e-mail) left half-way end politely
        "expire_conversations": {
            "task": "sikesal.integrations.inbound.processing.expire_conversations",
            "every_seconds": 300,
        },
        # answers a worker took to send and died before writing sent (processing.SENDING_LEASE) go again
        "resend_abandoned_answers": {
            "task": "sikesal.integrations.inbound.processing.resend_abandoned",
            "every_seconds": 60,
        },
        # personal data past its period (SIKESAL_RETENTION) anonymised or deleted (privacy/retention.py)
        "apply_retention": {"task": "sikesal.privacy.retention.apply_retention", "every_seconds": 86400},
        # finished task rows (django-tasks-db) past their period: successful after 7 days, failed after 30
        "purge_task_results": {"task": "sikesal.core.tasks.purge_task_results", "every_seconds": 86400},
    },
)

for _job, _spec in SIKESAL_PERIODIC.items():
    if not isinstance(_spec, dict) or set(_spec) != {"task", "every_seconds"}:
        raise ImproperlyConfigured(
            f"SIKESAL_PERIODIC[{_job!r}] must be {{'task': ..., 'every_seconds': ...}}, got {_spec!r}"
        )

# Each worker writes a heartbeat this often; a task left RUNNING by a worker silent for the stale time (a
# SIGKILL, a lost machine) is put back in the queue. Event handlers are idempotent, so a rerun is safe.
SIKESAL_WORKER_HEARTBEAT_SECONDS = env_int("SIKESAL_WORKER_HEARTBEAT_SECONDS", 15)
SIKESAL_WORKER_STALE_SECONDS = env_int("SIKESAL_WORKER_STALE_SECONDS", 120)
# Threads of each worker posting answers to WhatsApp, SMS and e-mail while it handles the next messages
# (integrations/inbound/processing.Sending): the platform answers a send in a few hundred milliseconds, so
# 64 keep about 300 answers a second going; they hold no database connection.
SIKESAL_INBOUND_SENDING_THREADS = env_int("SIKESAL_INBOUND_SENDING_THREADS", 64)

# --- Domain rules (configurable, see docs/lifecycle.md) -----------------------------------------
SIKESAL_DEADLINES = env_json_object(
    "SIKESAL_DEADLINES",
    {
        "verify_working_days": 3,
        "first_followup_working_days": 5,
        "reporter_silence_working_days": 10,
        "pending_info_days": 30,
        "final_days": 60,
    },
)
# The escalation ladder around the verify, first follow-up and final deadlines (docs/lifecycle.md).
SIKESAL_ESCALATION = env_json_object(
    "SIKESAL_ESCALATION", {"reminder_working_days_before": 1, "escalate_after_working_days": 2}
)
# The deadline sweep takes its set-based path when more than this many reports are due at once (after a
# long holiday or an outage); fewer go one by one through the lifecycle's door (complaints/sweep.py).
SIKESAL_SWEEP_BULK_OVER = env_int("SIKESAL_SWEEP_BULK_OVER", 200)
SIKESAL_SWEEP_BULK_BATCH = env_int("SIKESAL_SWEEP_BULK_BATCH", 5000)
SIKESAL_TRACKING_PREFIX = env_str("SIKESAL_TRACKING_PREFIX", "JBI")
SIKESAL_TITLE_MAX = env_int("SIKESAL_TITLE_MAX", 150)
SIKESAL_BODY_MIN = env_int("SIKESAL_BODY_MIN", 20)
SIKESAL_BODY_MAX = env_int("SIKESAL_BODY_MAX", 5000)
# Kota Jambi's bounding box (WGS84) with a small margin; reports outside it are refused.
SIKESAL_CITY_BOUNDS = env_json_object(
    "SIKESAL_CITY_BOUNDS", {"south": -1.70, "north": -1.52, "west": 103.50, "east": 103.72}
)
SIKESAL_UPLOAD_MAX_FILES = env_int("SIKESAL_UPLOAD_MAX_FILES", 5)
SIKESAL_UPLOAD_MAX_BYTES = {
    "photo": env_int("SIKESAL_UPLOAD_MAX_PHOTO", 8 * 1024 * 1024),
    "pdf": env_int("SIKESAL_UPLOAD_MAX_PDF", 10 * 1024 * 1024),
    "video": env_int("SIKESAL_UPLOAD_MAX_VIDEO", 25 * 1024 * 1024),
}
# The most pixels an attachment is decoded at, read from the header before anything is decoded. 16 MP is
# more than a phone camera's usual 12 MP and a screenshot's 2-4 MP; cleaning a 16 MP RGBA PNG takes 0.3 s
# on the 2-core test machine, a 40 MP one 0.9 s. A JPEG with more (24-200 MP phone modes) is decoded at
# 1/2, 1/4 or 1/8 scale to come under it; a PNG or WebP with more is refused (complaints/attachments.py).
SIKESAL_UPLOAD_MAX_IMAGE_PIXELS = env_int("SIKESAL_UPLOAD_MAX_IMAGE_PIXELS", 16_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache (rate limits, one-time codes): shared by every process through the database ---------
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sikesal_cache"}}
# Public pages of one report kept rendered in each web process, keyed by the report's version (portal/page_cache.py).
SIKESAL_PAGE_CACHE = env_bool("SIKESAL_PAGE_CACHE", True)
SIKESAL_RATE_LIMITS = {
    # Per address a lot more than per person: behind a mobile carrier's NAT hundreds of citizens share one.
    "file_per_ip_per_hour": env_int("SIKESAL_RATE_FILE_PER_IP", 300),
    "file_per_person_per_hour": env_int("SIKESAL_RATE_FILE_PER_PERSON", 20),
    "file_per_contact_per_day": env_int("SIKESAL_RATE_FILE_PER_CONTACT", 10),
    "track_per_ip_per_minute": env_int("SIKESAL_RATE_TRACK_PER_IP", 60),
    # Per sender (a phone number, an e-mail address, canonical), on every channel (complaints/senders.py):
    # reports filed, and messages to a conversational channel (WhatsApp, SMS, e-mail).
    "file_per_sender_per_hour": env_int("SIKESAL_RATE_FILE_PER_SENDER", 5),
    "messages_per_sender_per_minute": env_int("SIKESAL_RATE_MESSAGES_PER_SENDER", 20),
}
if _off := sorted(name for name, limit in SIKESAL_RATE_LIMITS.items() if limit < 1):
    # 0 used to mean "no limit" (core/ratelimit.py): now it would refuse everyone, so it stops the start instead.
    raise ImproperlyConfigured(f"SIKESAL_RATE_LIMITS: {', '.join(_off)} must be 1 or more (there is no 'unlimited')")
# Pranks (complaints/senders.py): a sender whose reports the admin archived as "not a complaint / prank"
# this many times within the window is blocked for block_days, automatically and audited.
SIKESAL_ABUSE = env_json_object("SIKESAL_ABUSE", {"prank_block_after": 3, "prank_window_days": 30, "block_days": 30})
# How long each class of personal data is kept, in days (sikesal/privacy/classes.py says from when each is
# counted and what happens then; docs/privacy.md "Retention" gives the source of the defaults).
SIKESAL_RETENTION = env_json_object(
    "SIKESAL_RETENTION",
    {"identity": 730, "attachments": 730, "messages": 180, "notifications": 365, "access_logs": 90, "audit": 1825},
)
# How many reverse proxies stand in front of the app, each appending the address it saw to X-Forwarded-For.
# The client's address is the Nth from the right; everything left of it is whatever the client sent.
# 0 (the default) trusts no header: the socket's address. SIKESAL_TRUST_X_FORWARDED_FOR=1 still means one proxy.
SIKESAL_TRUSTED_PROXIES = env_int(
    "SIKESAL_TRUSTED_PROXIES", 1 if env_bool("SIKESAL_TRUST_X_FORWARDED_FOR", False) else 0
)
if SIKESAL_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("SIKESAL_TRUSTED_PROXIES must be 0 or more")
SIKESAL_MAP_TILES = env_str("SIKESAL_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
_tiles = urlsplit(SIKESAL_MAP_TILES)
_tiles_origin = f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}" if _tiles.netloc else ""
# Content-Security-Policy of every page (sikesal.core.middleware): this site only, plus the map tiles.
SIKESAL_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {_tiles_origin}".strip(),
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Paths served without the Content-Security-Policy (none: the API docs serve swagger-ui from static files).
SIKESAL_CSP_EXEMPT_PATHS = env_list("SIKESAL_CSP_EXEMPT_PATHS", [])

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/kantor/masuk/"
LOGIN_REDIRECT_URL = "/kantor/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SIKESAL_SESSION_HOURS", 8) * 3600  # a working day, then log in again
SIKESAL_LOGIN_MAX_FAILURES = env_int("SIKESAL_LOGIN_MAX_FAILURES", 5)
SIKESAL_LOGIN_LOCK_MINUTES = env_int("SIKESAL_LOGIN_LOCK_MINUTES", 15)
# Wrong passwords are counted per (user name, address) and per address, never against the account itself.
SIKESAL_LOGIN_MAX_FAILURES_PER_IP = env_int("SIKESAL_LOGIN_MAX_FAILURES_PER_IP", 50)
SESSION_COOKIE_SECURE = env_bool("SIKESAL_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Served over HTTPS (SIKESAL_SECURE_COOKIES=1): plain HTTP is redirected and browsers are told to remember.
SECURE_SSL_REDIRECT = env_bool("SIKESAL_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe may speak plain HTTP
SECURE_HSTS_SECONDS = env_int("SIKESAL_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
if SIKESAL_TRUSTED_PROXIES:
    # the proxy in front (docs/deploy.md) terminates TLS and says so; without this a redirect would loop
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "sikesal" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"  # shown in WIB; stored in UTC (USE_TZ)
USE_TZ = True

# --- Files --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "sikesal" / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"  # never served publicly: attachments go through views that check the policy
# Uploads are private (Django's default would chmod them 0644 whatever the umask); static files are public.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

# --- Mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("SIKESAL_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env_str("SIKESAL_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SIKESAL_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("SIKESAL_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("SIKESAL_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("SIKESAL_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("SIKESAL_FROM_EMAIL", "SIKESAL Kota Jambi <sikesal@jambikota.go.id>")

# --- Channels (sikesal/integrations/notify/channels): one entry per channel that needs settings -------
# SMS and WhatsApp go through an HTTP gateway (a JSON-lines file under DATA_DIR/outbox when unset).
SIKESAL_CHANNELS = {
    "sms": {
        "gateway_url": env_str("SIKESAL_SMS_GATEWAY_URL"),
        "token": env_str("SIKESAL_SMS_GATEWAY_TOKEN"),
    },
}
# Which channel a kind of contact goes to when several channels take it.
SIKESAL_CONTACT_CHANNELS = {"phone": env_str("SIKESAL_PHONE_CHANNEL", "sms")}  # or "whatsapp"

# --- WhatsApp Business Platform, Cloud API (docs/channels.md) -----------------------------------------
# The defaults are the local simulator's (wa_sim, started by `./dev run`); a deployment sets all five
# (`check --deploy` refuses the demo secrets). Production: https://graph.facebook.com/v21.0. Set the URL to ""
# to write WhatsApp messages to DATA_DIR/outbox/whatsapp.jsonl instead.
SIKESAL_WHATSAPP_API_URL = env_str("SIKESAL_WHATSAPP_API_URL", "http://127.0.0.1:8766")
SIKESAL_WHATSAPP_VERIFY_TOKEN = env_str("SIKESAL_WHATSAPP_VERIFY_TOKEN", "sikesal-demo-verify")
SIKESAL_WHATSAPP_APP_SECRET = env_str("SIKESAL_WHATSAPP_APP_SECRET", "sikesal-demo-secret")
SIKESAL_WHATSAPP_ACCESS_TOKEN = env_str("SIKESAL_WHATSAPP_ACCESS_TOKEN", "sikesal-demo-token")
SIKESAL_WHATSAPP_PHONE_NUMBER_ID = env_str("SIKESAL_WHATSAPP_PHONE_NUMBER_ID", "1000000001")
# A conversation on a messaging channel (integrations/inbound) left this long without an answer expires.
SIKESAL_INBOUND_IDLE_MINUTES = env_int("SIKESAL_INBOUND_IDLE_MINUTES", 60)

# --- SMS and e-mail in (docs/channels.md) ----------------------------------------------------------------
# The SMS gateway's inbound webhook (/webhooks/sms/) and the mail relay (/webhooks/email/) send
# `Authorization: Bearer <secret>`; the defaults are public demo values (`check --deploy` warns).
SIKESAL_SMS_INBOUND_SECRET = env_str("SIKESAL_SMS_INBOUND_SECRET", "sikesal-demo-sms")
SIKESAL_EMAIL_INBOUND_SECRET = env_str("SIKESAL_EMAIL_INBOUND_SECRET", "sikesal-demo-mail")
# Twilio's auth token: /webhooks/sms/twilio/ checks X-Twilio-Signature with it, and is closed while unset.
SIKESAL_SMS_TWILIO_AUTH_TOKEN = env_str("SIKESAL_SMS_TWILIO_AUTH_TOKEN")

# --- Web Push to citizens who follow a report (docs/pwa.md) -------------------------------------------
# VAPID keys: base64url, as `vapid --gen`/`vapid --applicationServerKey` print them. Unset: a key pair is
# generated once into the data dir (vapid_private.pem), fine for one machine; set them when several run.
SIKESAL_VAPID_PUBLIC_KEY = env_str("SIKESAL_VAPID_PUBLIC_KEY")
SIKESAL_VAPID_PRIVATE_KEY = env_str("SIKESAL_VAPID_PRIVATE_KEY")
SIKESAL_VAPID_SUBJECT = env_str("SIKESAL_VAPID_SUBJECT", "mailto:sikesal@jambikota.go.id")
# Push services a subscription may point at (HTTPS, the host or a subdomain of it): the worker POSTs to
# whatever endpoint a browser hands in, so nothing else (no internal address) is accepted.
SIKESAL_PUSH_SERVICE_HOSTS = env_list(
    "SIKESAL_PUSH_SERVICE_HOSTS",
    ["fcm.googleapis.com", "updates.push.services.mozilla.com", "push.apple.com", "notify.windows.com"],
)
SIKESAL_PUSH_PER_IP_PER_HOUR = env_int("SIKESAL_RATE_PUSH_PER_IP", 30)

# --- Ombudsman escalation (UU 37/2008) -------------------------------------------------------------
SIKESAL_OMBUDSMAN = env_json_object("SIKESAL_OMBUDSMAN", {"overdue_working_days": 5, "max_incident_age_days": 730})
SIKESAL_OMBUDSMAN_EMAIL = env_str("SIKESAL_OMBUDSMAN_EMAIL", "pengaduan.jambi@ombudsman.go.id")
SIKESAL_OMBUDSMAN_WEBHOOK_URL = env_str("SIKESAL_OMBUDSMAN_WEBHOOK_URL")  # set to deliver by HTTPS instead
SIKESAL_OMBUDSMAN_WEBHOOK_TOKEN = env_str("SIKESAL_OMBUDSMAN_WEBHOOK_TOKEN")

# --- Integrations -------------------------------------------------------------------------------
LAPOR_BASE_URL = env_str("LAPOR_BASE_URL")
# The secret is sent exactly as stored under LAPOR_AUTH_HEADER (include "Bearer " if the service wants it);
# the `token` header is sent only when LAPOR_TOKEN is set (docs/lapor.md).
LAPOR_AUTH_HEADER = env_str("LAPOR_AUTH_HEADER", "Authorization")
LAPOR_AUTH_SECRET = env_str("LAPOR_AUTH_SECRET")
LAPOR_TOKEN = env_str("LAPOR_TOKEN")
# The create call carries a partner-specific suffix on the real service (e.g. /complaints/complaint-jambi).
LAPOR_CREATE_PATH = env_str("LAPOR_CREATE_PATH", "/complaints/complaint")
# Calls with no public evidence; drop one from the list when the service lacks it (its absence is shown).
LAPOR_OPTIONAL_CALLS = env_list("LAPOR_OPTIONAL_CALLS", ["list", "disposition", "categories", "locations"])
LAPOR_USER_ID = env_str("LAPOR_USER_ID")  # the integration account's user id, sent as `user_id` when set
LAPOR_REPLY_TEMPLATE = env_str("LAPOR_REPLY_TEMPLATE", "reply_sikesal")  # when a status template is not listed
LAPOR_DEFAULT_LOCATION_ID = env_str("LAPOR_DEFAULT_LOCATION_ID")  # when no location master matches the area
# Routing suggestions learn from at most this many of the newest routed reports.
SIKESAL_ROUTING_MAX_EXAMPLES = env_int("SIKESAL_ROUTING_MAX_EXAMPLES", 100_000)
# Pemerintah Kota Jambi's institution id on SP4N-LAPOR! (the simulator's default; set the real one).
LAPOR_CITY_INSTITUTION_ID = env_int("LAPOR_CITY_INSTITUTION_ID", 1571)
# When a local report goes to SP4N-LAPOR!: at "submission" or once the admin has verified it ("verification").
LAPOR_OUTBOUND_AT = env_str("LAPOR_OUTBOUND_AT", "submission")
LAPOR_PAGE_SIZE = env_int("LAPOR_PAGE_SIZE", 100)  # items per page of the pull list
LAPOR_TIMEOUT_SECONDS = env_float("LAPOR_TIMEOUT_SECONDS", 15.0)
LAPOR_HTTP_ATTEMPTS = env_int("LAPOR_HTTP_ATTEMPTS", 3)  # quick retries inside one call
LAPOR_MAX_RETRY_WAIT = env_float("LAPOR_MAX_RETRY_WAIT", 5.0)  # cap on a Retry-After we honour in-call
LAPOR_RETRY_BASE_SECONDS = env_float("LAPOR_RETRY_BASE_SECONDS", 30.0)  # outbox backoff: base * 2^attempts
LAPOR_RETRY_MAX_SECONDS = env_float("LAPOR_RETRY_MAX_SECONDS", 1800.0)
# A write whose answer was lost may still be carried out on SP4N-LAPOR! (a slow request outlives our
# timeout): we look for it there only after this long, or a create would be sent twice.
LAPOR_UNSURE_SETTLE_SECONDS = env_float("LAPOR_UNSURE_SETTLE_SECONDS", 120.0)
LAPOR_SYNC_MAX_SECONDS = env_float("LAPOR_SYNC_MAX_SECONDS", 50.0)  # one sync run stops after this long
# Calls in flight at once while pushing the outbox (never two for one report: outbound.push).
LAPOR_PUSH_CONCURRENCY = env_int("LAPOR_PUSH_CONCURRENCY", 16)
# No call has reached SP4N-LAPOR! for this long: the sync page, /healthz and a mail to the admins say so.
LAPOR_OUTAGE_AFTER_SECONDS = env_int("LAPOR_OUTAGE_AFTER_SECONDS", 300)
LAPOR_PULL_EVERY_SECONDS = env_int("LAPOR_PULL_EVERY_SECONDS", 60)  # the health page calls a pull stale at 2x
# Now and then the pull reads this far back again (a list ordered by change time shifts under its reader).
LAPOR_PULL_RESWEEP_SECONDS = env_int("LAPOR_PULL_RESWEEP_SECONDS", 900)
LAPOR_PULL_OVERLAP_SECONDS = env_int("LAPOR_PULL_OVERLAP_SECONDS", 3600)
# Fidelity to the only public client (docs/lapor.md, "Fidelity"): its values are 6, true, true.
LAPOR_CLASSIFICATION_ID = env_str("LAPOR_CLASSIFICATION_ID")  # empty: 1/2/3 by the report's type
LAPOR_IS_INBOX = env_bool("LAPOR_IS_INBOX", False)
LAPOR_IS_DISPOSISI_SLIDER = env_bool("LAPOR_IS_DISPOSISI_SLIDER", False)
LAPOR_FOLLOWUP_USER_ID = env_str("LAPOR_FOLLOWUP_USER_ID")  # empty: LAPOR_USER_ID
# A copy on SP4N-LAPOR! with the title and text of one of our reports, filed this close to it, is that report twice.
LAPOR_DUPLICATE_WINDOW_SECONDS = env_int("LAPOR_DUPLICATE_WINDOW_SECONDS", 3600)
# anonim/rahasia cannot be changed on SP4N-LAPOR! once sent, and only the admin changes them here, at the
# latest when verifying: an unverified report's create waits this long for that check (docs/lapor.md).
LAPOR_FLAGS_HOLD_SECONDS = env_int("LAPOR_FLAGS_HOLD_SECONDS", 1800)
SIKESAL_DEMO_API_KEY = env_str("SIKESAL_DEMO_API_KEY", "demo")
# Open311 (docs/api.md): the jurisdiction_id it answers to, browser origins (CORS), the default page size.
SIKESAL_OPEN311_JURISDICTION = env_str("SIKESAL_OPEN311_JURISDICTION", "jambikota.go.id")
SIKESAL_OPEN311_CORS_ORIGINS = env_list("SIKESAL_OPEN311_CORS_ORIGINS", ["*"])
SIKESAL_OPEN311_CORS_POST_ORIGINS = env_list("SIKESAL_OPEN311_CORS_POST_ORIGINS", [])
SIKESAL_OPEN311_PAGE_SIZE = env_int("SIKESAL_OPEN311_PAGE_SIZE", 100)

# --- Logging ------------------------------------------------------------------------------------
(DATA_DIR / "logs").mkdir(exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_secrets": {"()": "sikesal.core.logsafe.MaskSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_secrets"]},
        "file": {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": DATA_DIR / "logs" / "sikesal.log",
            "formatter": "plain",
            "filters": ["mask_secrets"],
        },
    },
    "loggers": {
        "sikesal": {"handlers": ["console", "file"], "level": env_str("SIKESAL_LOG_LEVEL", "INFO")},
        "django_tasks_db": {"handlers": ["console", "file"], "level": "INFO"},
        # every unhandled error in a request, with its traceback (Django's default sends them nowhere unless DEBUG)
        "django.request": {"handlers": ["console", "file"], "level": "ERROR", "propagate": False},
    },
}
