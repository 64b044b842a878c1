"""Shared fixtures: the real Kota Jambi catalogue, users in every role, and reports in any state."""

import datetime as dt
import time
import zoneinfo

import pytest
from django.utils import timezone

from sikesal.accounts.models import User
from sikesal.accounts.roles import Role
from sikesal.catalogue.models import Institution, Service
from sikesal.catalogue.seed import load_catalogue
from sikesal.complaints import lifecycle, submission
from sikesal.complaints.policy import Actor

pytest_plugins = ["tests.browser_fixtures"]  # Playwright on Debian's chromium


@pytest.fixture(autouse=True)
def _fresh_statistics(settings):
    settings.SIKESAL_STATS_CACHE_SECONDS = 0  # tests read their own changes; the cache has its own test


@pytest.fixture(autouse=True)
def _no_pages_from_another_test():
    from sikesal.accounts.models import forget_api_keys
    from sikesal.api.open311.views import forget_answers
    from sikesal.catalogue import snapshot
    from sikesal.core import ratelimit
    from sikesal.portal import page_cache

    page_cache.clear()  # a rolled-back test's report can come back with the same id and version
    forget_answers()  # the same for Open311's kept answers
    snapshot.clear()  # nor its catalogue
    ratelimit.forget_local()  # nor the hits this process held back for its rolled-back counters
    forget_api_keys()  # nor the API keys it read


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Real hashing costs a quarter second per user; the tests are not about password strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_catalogue()


@pytest.fixture
def catalogue(db):
    # Loaded once per session; a transactional test empties the tables, so reload after one.
    if not Service.objects.exists():
        load_catalogue()


@pytest.fixture
def opd(catalogue):
    return Institution.objects.get(short_name="Dinas PUPR")


@pytest.fixture
def other_opd(catalogue):
    return Institution.objects.get(short_name="Disperkim")


@pytest.fixture
def external(catalogue):
    return Institution.objects.get(short_name="PLN UP3 Jambi")


def make_user(username, role, institution=None):
    return User.objects.create_user(username=username, password="x-test-pass", role=role, institution=institution)


@pytest.fixture
def users(opd, other_opd):
    return {
        "admin": make_user("admin", Role.ADMIN),
        "liaison": make_user("pupr", Role.OPD_LIAISON, opd),
        "officer": make_user("pupr-officer", Role.OPD_OFFICER, opd),
        "head": make_user("pupr-head", Role.OPD_HEAD, opd),
        "other_liaison": make_user("perkim", Role.OPD_LIAISON, other_opd),
        "executive": make_user("sekda", Role.EXECUTIVE),
        "ombudsman": make_user("ombudsman", Role.OMBUDSMAN),
        "citizen": make_user("warga", Role.CITIZEN),
        "desk": make_user("loket-uji", Role.DESK_OFFICER),
        "dpo": make_user("dpo", Role.DPO),
    }


@pytest.fixture
def actors(users):
    return {name: Actor.for_user(user) for name, user in users.items()}


T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


def wib(*args):
    """An instant given in Jambi's local time: wib(2026, 11, 2, 6, 59, 59) is 23:59:59 UTC the day before."""
    return dt.datetime(*args, tzinfo=WIB)


@pytest.fixture
def clock(time_machine):
    """This process's clock (time.time, datetime.now, timezone.now) standing still at T0, Monday 09:00 WIB.

    `clock.move_to(wib(...), tick=False)` travels elsewhere, `clock.shift(seconds)` moves it on; tick=True
    lets it run from there. time.monotonic is not moved, nor is the clock of another process (the LAPOR!
    simulator, a worker): there, wait for what should happen with `wait_until`.
    """
    time_machine.move_to(T0, tick=False)
    return time_machine


def wait_until(predicate, timeout=10.0, every=0.05):
    """Poll `predicate` until it returns something true (and return that); fail after `timeout` seconds.

    Measured on time.monotonic, which a pinned clock does not stop.
    """
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {getattr(predicate, '__name__', predicate)}")
        time.sleep(every)
    return value


def report_data(**overrides):
    data = {
        "service": "jalan-rusak",
        "area": "15.71.08.1004",
        "title": "Jalan berlubang di Jl. Kapten Pattimura",
        "body": "Lubang besar di tengah jalan, sudah dua minggu, motor sering jatuh kalau hujan.",
        "latitude": "-1.6101",
        "longitude": "103.6131",
        "reporter": {"name": "Budi Santoso", "phone": "081234567890", "email": "budi@example.com"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def submit(catalogue):
    def _submit(now=T0, files=(), **overrides):
        return submission.submit(Actor.system("test"), report_data(**overrides), files, now=now).complaint

    return _submit


# Paths that bring a fresh report into each state, all through the lifecycle's door.
STATE_PATHS = {
    "received": [],
    "pending_info": ["request_info"],
    "dispositioned": ["verify"],
    "in_progress": ["verify", "start"],
    "followed_up": ["verify", "complete_followup"],
    "closed_reporter": ["verify", "complete_followup", "confirm"],
    "closed_admin": ["verify", "complete_followup", "close_admin"],
    "closed_system": ["verify", "complete_followup", "close_system"],
    "archived_admin": ["archive"],
    "archived_system": ["request_info", "archive_system"],
    "archived_reporter": ["withdraw"],
    "returned": ["verify", "return_not_authority"],
    "forwarded": ["forward_external"],
    "merged": ["merge"],
}

LATE = dt.timedelta(days=400)  # far past every deadline, for the system's automatic actions


@pytest.fixture
def act(actors, opd, other_opd, external, submit):
    """act(complaint, action, now=None) performs `action` as a suitable actor with valid data."""

    def _act(complaint, action, now=None, **extra):
        spec = lifecycle.TRANSITIONS[action]
        if Role.ADMIN in spec.roles:
            actor = actors["admin"]
        elif Role.OPD_LIAISON in spec.roles:
            actor = actors["liaison"]
        elif Role.SYSTEM in spec.roles and Role.CITIZEN not in spec.roles:
            actor = Actor.system()
        else:
            actor = Actor.reporter(complaint)
        data = {
            "verify": {"institution": opd.pk},
            "redisposition": {"institution": other_opd.pk},
            "forward_external": {"institution": external.pk, "message": "Wewenang PLN."},
            "request_info": {"message": "Mohon lampirkan foto lokasi."},
            "supply_info": {"message": "Foto sudah saya kirim."},
            "archive": {"reason": "unclear", "message": "Laporan tidak jelas."},
            "return_not_authority": {"message": "Jalan nasional, bukan wewenang kami."},
            "add_followup": {"message": "Tim sudah meninjau lokasi."},
            "complete_followup": {"message": "Lubang sudah ditambal."},
            "confirm": {"rating": 5},
            "dispute": {"message": "Masih berlubang."},
            "comment": {"message": "Terima kasih, saya tunggu."},
            "assign": {"officer": actors["officer"].user.pk},
            "set_flags": {"is_secret": True},
            "rate": {"rating": 4},
            "escalate_ombudsman": {"via_service": True},  # as the escalation service calls it
            "lapor_mirror": {"kind": "followup", "message": "Tanggapan PLN dari SP4N-LAPOR!", "source": "PLN"},
        }.get(action, {})
        if action == "record_ombudsman":
            # setup only: a report the Ombudsman examines (escalating is its own action, tested elsewhere)
            complaint.__class__.objects.filter(pk=complaint.pk).update(ombudsman_escalated_at=timezone.now())
            data = {"kind": "state", "state": "received"}
            actor = Actor.system()
        if action == "merge":
            data = {"target": submit(title="Laporan asli jalan berlubang")}
        if action == "mark_overdue":
            active = lifecycle.active_deadlines(complaint)
            data = {"deadline": min(active, key=active.get) if active else "verify_due_at"}
        if action in {"close_system", "archive_system", "mark_overdue"}:
            now = now or complaint.submitted_at + LATE
        data.update(extra)
        return lifecycle.transition(complaint, action, actor, now=now or timezone.now(), **data)

    return _act


@pytest.fixture
def in_state(submit, act):
    def _in_state(state):
        complaint = submit()
        for action in STATE_PATHS[state]:
            act(complaint, action)
        assert complaint.status == state
        return complaint

    return _in_state
