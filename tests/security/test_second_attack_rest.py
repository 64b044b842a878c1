"""The rest of what the second outside attack found (issue #28 items 5 and 6): each finding as the attacker
saw it, on SQLite and PostgreSQL."""

import datetime as dt
import importlib
import io
import json
import re
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from sikesal.accounts.models import User
from sikesal.accounts.roles import Role
from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import intake, submission
from sikesal.complaints.models import Complaint, Reporter
from sikesal.complaints.policy import Actor
from sikesal.core.logsafe import mask
from sikesal.core.ratelimit import client_key
from sikesal.integrations.webpush.models import PushSubscription
from tests.conftest import T0, report_data
from tests.portal.test_push import Browser
from tests.security.test_image_bombs import decodes, file_with, png  # noqa: F401 (decodes is a fixture)

# --- a. Filling the Web Push list does not lock the reporter out -------------------------------------


@pytest.fixture
def push_open(settings):
    settings.SIKESAL_PUSH_SERVICE_HOSTS = ["push.example"]
    settings.SIKESAL_PUSH_PER_IP_PER_HOUR = 10_000
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "track_per_ip_per_minute": 10_000}


def follow(client, complaint, endpoint, address):
    body = {"tracking": complaint.tracking_number, "endpoint": f"https://push.example/{endpoint}", "keys": KEYS}
    return client.post("/push/ikuti/", json.dumps(body), content_type="application/json", REMOTE_ADDR=address)


KEYS = Browser().keys()  # one key pair is enough: the list is what is attacked, not the encryption
ATTACKERS = ["203.0.113.7", "2001:db8:bad:1::1", "2001:db8:bad:1::2", "198.18.0.1"]


def test_filling_the_push_list_does_not_lock_the_reporter_out(client, submit, push_open):
    complaint = submit()
    for n in range(50):
        assert follow(client, complaint, f"fake-{n}", ATTACKERS[n % len(ATTACKERS)]).status_code == 201
    assert follow(client, complaint, "reporter", "192.0.2.44").status_code == 201
    for n in range(50, 150):  # and adding more from the same networks only replaces their own
        assert follow(client, complaint, f"fake-{n}", ATTACKERS[n % len(ATTACKERS)]).status_code == 201
    followers = PushSubscription.objects.filter(complaint=complaint)
    assert followers.filter(endpoint="https://push.example/reporter").exists()
    assert followers.count() == 50


def test_the_push_list_keeps_no_address(client, submit, push_open):
    complaint = submit()
    follow(client, complaint, "a", "192.0.2.44")
    follow(client, complaint, "b", "2001:db8:1:2::99")
    follow(client, complaint, "c", "2001:db8:1:2::100")  # the same /64 as b
    networks = list(PushSubscription.objects.order_by("endpoint").values_list("network", flat=True))
    assert networks[1] == networks[2] != networks[0]
    assert not any("192.0.2" in n or "2001" in n for n in networks)


# --- b. An IPv6 /64 is one address for every limit ---------------------------------------------------


def ip_of(address):
    return client_key(RequestFactory().get("/", REMOTE_ADDR=address))


def test_limits_count_an_ipv6_slash_64_as_one_address():
    assert ip_of("2001:db8:1:2::1") == ip_of("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert ip_of("2001:db8:1:3::1") != ip_of("2001:db8:1:2::1")
    assert ip_of("::ffff:203.0.113.5") == ip_of("203.0.113.5") == "203.0.113.5"
    assert ip_of("203.0.113.5") != ip_of("203.0.113.6")


def test_rotating_addresses_in_one_slash_64_gets_no_fresh_lookups(client, catalogue, settings, clock):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "track_per_ip_per_minute": 3}
    url = reverse("portal:track_detail", args=["JBI-0000-000000"])
    codes = [client.get(url, REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 7)]
    assert codes == [404, 404, 404, 429, 429, 429]
    assert client.get(url, REMOTE_ADDR="2001:db8:1:3::1").status_code == 404  # another subscriber


def test_rotating_addresses_in_one_slash_64_gets_no_fresh_password_guesses(client, users, settings):
    settings.SIKESAL_LOGIN_MAX_FAILURES = 5
    login = reverse("backoffice:login")
    for n in range(1, 6):
        client.post(login, {"username": "pupr-officer", "password": "salah"}, REMOTE_ADDR=f"2001:db8:1:2::{n}")
    right = client.post(login, {"username": "pupr-officer", "password": "x-test-pass"}, REMOTE_ADDR="2001:db8:1:2::9")
    assert right.status_code == 400 and "Akun dikunci sementara" in right.content.decode()
    # the audit log keeps the full address the guess came from
    assert AuditEntry.objects.filter(kind="login_failed", ip="2001:db8:1:2::3").exists()


def test_no_limit_is_keyed_on_the_full_client_address():
    root = Path(__file__).resolve().parents[2] / "sikesal"
    keyed = re.compile(r"\b(?:allow|strike|strikes|forgive)\([^)]*client_ip\(")
    offenders = [str(p) for p in root.rglob("*.py") if keyed.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# --- c. Images: decoded at most at the pixel limit ---------------------------------------------------


def test_a_40_megapixel_png_of_155_kb_is_refused_before_decoding(client, catalogue, decodes):  # noqa: F811
    bomb = png(8000, 5000, "RGBA")
    assert len(bomb.getvalue()) < 200_000
    response = file_with(client, bomb)
    assert response.status_code == 400
    assert "megapiksel" in response.content.decode()
    assert decodes == [] and not Complaint.objects.exists()


def jpeg(width, height):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 80, 40)).save(out, "JPEG", quality=85)
    out.seek(0)
    out.name = "foto.jpg"
    return out


def test_a_jpeg_over_the_limit_is_kept_decoded_at_a_smaller_scale(client, catalogue, settings, decodes):  # noqa: F811
    settings.SIKESAL_UPLOAD_MAX_IMAGE_PIXELS = 10_000  # as a 16 MP limit is to a 50-1000 MP phone photo
    assert file_with(client, jpeg(600, 600)).status_code == 302  # 36 times the limit: decoded at 1/8
    assert set(decodes) == {(75, 75)}  # never at its full size
    stored = Complaint.objects.get().attachments.get()
    with Image.open(stored.file.path) as kept:
        assert kept.size == (75, 75)


def test_a_jpeg_no_decoder_scale_brings_under_the_limit_is_refused(client, catalogue, settings, decodes):  # noqa: F811
    settings.SIKESAL_UPLOAD_MAX_IMAGE_PIXELS = 10_000
    response = file_with(client, jpeg(1000, 1000))  # 100 times: even 1/8 leaves 15,625 pixels
    assert response.status_code == 400 and "megapiksel" in response.content.decode()
    assert decodes == []


# --- d. The public track page of a rahasia report names neither the OPD nor the SP4N-LAPOR! number ---


@pytest.mark.parametrize("rahasia", [False, True])
def test_the_track_page_of_a_rahasia_report_names_no_opd_and_no_lapor_number(client, catalogue, act, rahasia):
    result = submission.submit(Actor.system("test"), report_data(is_secret=rahasia), [], now=T0)
    complaint = act(result.complaint, "verify").complaint
    Complaint.objects.filter(pk=complaint.pk).update(lapor_tracking_id="LAPOR-7788", version=complaint.version + 1)
    institution = complaint.institution.name
    public = client.get(reverse("portal:track_detail", args=[complaint.tracking_number])).content.decode()
    assert complaint.tracking_number in public
    assert (institution in public) is not rahasia
    assert ("LAPOR-7788" in public) is not rahasia
    private = client.get(reverse("portal:private", args=[result.secret])).content.decode()
    assert institution in private and "LAPOR-7788" in private  # its reporter still sees both


# --- e. Secrets are masked in the log however the URL spells them -----------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "GET /%70elapor/Zq8rahasia-123/ HTTP/1.1",
        "GET /%70%65%6C%61%70%6F%72/Zq8rahasia-123/aksi/ HTTP/1.1",
        "GET /pelapor%2FZq8rahasia-123/ HTTP/1.1",
        "GET /PELAPOR/Zq8rahasia-123/ HTTP/1.1",
        "GET /api/v1/reports?api%5Fkey=Zq8rahasia-123 HTTP/1.1",
        "GET /api/v1/reports?x=1&API%5fKEY=Zq8rahasia-123 HTTP/1.1",
        "GET /lampiran/3/?%6B=Zq8rahasia-123 HTTP/1.1",
    ],
)
def test_percent_encoded_secrets_are_masked_in_the_access_log(line):
    masked = mask(line)
    assert "Zq8rahasia-123" not in masked and "***" in masked and masked.startswith("GET /")


def test_masking_leaves_other_lines_as_they_are():
    for line in ["GET /laporan/?page=2&kk=1&park=3 HTTP/1.1", "Mozilla/5.0 (X11)", "/lacak/JBI-2026-ABCD/"]:
        assert mask(line) == line


def test_the_gunicorn_access_log_masks_an_encoded_private_link(tmp_path):
    from gunicorn.config import Config

    from sikesal.core.gunicorn_logger import Logger
    from tests.security.test_private_files import _Response

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/%70elapor/Zq8rahasia-123/?api%5Fkey=Kunci-456",
        "PATH_INFO": "/pelapor/Zq8rahasia-123/",
        "QUERY_STRING": "api%5Fkey=Kunci-456",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    Logger(cfg).access(_Response(), [], environ, dt.timedelta(seconds=0.01))
    text = (tmp_path / "access.log").read_text()
    assert "Zq8rahasia-123" not in text and "Kunci-456" not in text and "GET" in text


# --- f. One phone number, one account ----------------------------------------------------------------


def test_every_spelling_of_a_number_is_one_canonical_form():
    forms = {
        intake.canonical_phone(p) for p in ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 34567890"]
    }
    assert forms == {"+6281234567890"}
    assert intake.canonical_phone("+44 7911 123456") == "+447911123456"
    for wrong in ["0741-123456", "0812345", "+628123456", "+1 555", "nomor saya"]:  # a landline, too short, …
        with pytest.raises(ValueError):
            intake.canonical_phone(wrong)


def login_by_phone(client, contact, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client.post(reverse("portal:login"), {"contact": contact})
    line = json.loads((tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()[-1])
    code = re.search(r"\b(\d{6})\b", line["message"]).group(1)
    assert client.post(reverse("portal:login_code"), {"code": code}).status_code == 302


def test_filing_as_plus_62_and_logging_in_as_08_is_one_account_with_the_reports(client, submit, settings, tmp_path):
    filed = submit(reporter={"name": "Budi", "phone": "+6281234567890"})
    login_by_phone(client, "0812 3456 7890", settings, tmp_path)
    page = client.get(reverse("portal:my_reports")).content.decode()
    assert filed.tracking_number in page
    client.logout()
    login_by_phone(client, "+62 812-3456-7890", settings, tmp_path)
    assert list(User.objects.filter(role=Role.CITIZEN).values_list("username", flat=True)) == ["warga:+6281234567890"]
    assert filed.tracking_number in client.get(reverse("portal:my_reports")).content.decode()


def test_an_account_made_with_one_spelling_confirms_every_spelling(client, catalogue, settings, tmp_path):
    from sikesal.integrations.notify.handlers import _confirmed

    assert not _confirmed("+6281234567890")
    login_by_phone(client, "0812 3456 7890", settings, tmp_path)
    assert all(_confirmed(n) for n in ("+6281234567890", "6281234567890", "081234567890"))
    assert not _confirmed("+6281298765432")
    # an account named by another spelling (made before migration 0007) confirms the number as well
    User.objects.create(username="warga:6281298765432", role=Role.CITIZEN)
    assert _confirmed("+6281298765432")
    User.objects.create(username="warga:0741123456", role=Role.CITIZEN)  # a landline: compared as written
    assert _confirmed("0741123456")


MIGRATION = importlib.import_module("sikesal.accounts.migrations.0007_merge_duplicate_citizens")


def citizen(username, when, **fields):
    user = User.objects.create(username=username, role=Role.CITIZEN, **fields)
    User.objects.filter(pk=user.pk).update(date_joined=when)
    return user


def test_the_data_migration_merges_the_accounts_of_one_number_into_the_oldest(submit):
    oldest = citizen("warga:081234567890", T0, phone="081234567890")
    newer = citizen("warga:+6281234567890", T0 + dt.timedelta(days=3), email="budi@example.id")
    other = citizen("warga:081298765432", T0, phone="081298765432")
    by_mail = citizen("warga:budi@example.id", T0)
    first, second, unlinked, others = (submit(title=f"Jalan rusak ke-{n} di Telanaipura") for n in range(4))
    Reporter.objects.filter(complaint=first).update(user=oldest)
    Reporter.objects.filter(complaint=second).update(user=newer)
    Reporter.objects.filter(complaint=unlinked).update(user=None, phone="6281234567890")
    Reporter.objects.filter(complaint=others).update(user=other)
    AuditEntry.objects.create(user=newer, kind="login", detail={})

    MIGRATION.merge_duplicate_citizens(django_apps, None)

    kept = User.objects.get(pk=oldest.pk)
    assert not User.objects.filter(pk=newer.pk).exists()
    assert (kept.username, kept.phone, kept.email) == ("warga:+6281234567890", "+6281234567890", "budi@example.id")
    assert set(Reporter.objects.filter(user=kept).values_list("complaint", flat=True)) == {
        first.pk,
        second.pk,
        unlinked.pk,
    }
    assert AuditEntry.objects.filter(kind="login", user=kept).exists()
    merge = AuditEntry.objects.get(kind="merge_accounts")
    assert merge.user == kept and merge.detail["merged_accounts"] == [newer.pk]
    assert merge.detail["unlinked_reports_linked"] == 1
    # one account per number: the other number is only renamed, the e-mail account is left alone
    assert User.objects.get(pk=other.pk).username == "warga:+6281298765432"
    assert User.objects.get(pk=by_mail.pk).username == "warga:budi@example.id"
    assert Reporter.objects.get(complaint=others).user_id == other.pk

    MIGRATION.merge_duplicate_citizens(django_apps, None)  # run again: nothing more to do
    assert AuditEntry.objects.filter(kind="merge_accounts").count() == 1
