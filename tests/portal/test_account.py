"""Reporter accounts by one-time code: login, wrong/expired codes, linking earlier reports, isolation."""

import json
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from sikesal.accounts.models import User
from sikesal.complaints.states import Status


def code_from_mail():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def start(client, contact):
    return client.post(reverse("portal:login"), {"contact": contact})


def test_login_by_email_code_links_earlier_reports(client, submit, act):
    mine = submit(reporter={"name": "Budi", "email": "Budi@Example.com"})
    other = submit(reporter={"name": "Sari", "email": "sari@example.com"})
    assert start(client, "budi@example.com")["Location"] == reverse("portal:login_code")
    response = client.post(reverse("portal:login_code"), {"code": code_from_mail()})
    assert response["Location"] == reverse("portal:my_reports")
    html = client.get(reverse("portal:my_reports")).content.decode()
    assert mine.tracking_number in html and other.tracking_number not in html
    mine.refresh_from_db()
    assert mine.reporter.user.username == "warga:budi@example.com"
    # the account acts on its own report, and cannot open someone else's
    act(mine, "verify")
    act(mine, "complete_followup")
    page = client.get(reverse("portal:account_report", args=[mine.tracking_number]))
    assert page.status_code == 200 and "Lubang sudah ditambal." in page.content.decode()
    client.post(reverse("portal:account_action", args=[mine.tracking_number]), {"action": "confirm", "rating": "4"})
    mine.refresh_from_db()
    assert mine.status == Status.CLOSED_REPORTER and mine.rating == 4
    assert client.get(reverse("portal:account_report", args=[other.tracking_number])).status_code == 404


def test_login_by_phone_goes_to_the_sms_outbox(client, catalogue, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    start(client, "0812-3456-7890")
    line = json.loads((tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()[-1])
    assert line["to"] == "+6281234567890"  # the one canonical form the SMS channel sends to
    code = re.search(r"\b(\d{6})\b", line["message"]).group(1)
    assert client.post(reverse("portal:login_code"), {"code": code}).status_code == 302


def test_wrong_code_too_many_tries_and_expiry(client, catalogue):
    start(client, "budi@example.com")
    good = code_from_mail()
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        assert client.post(reverse("portal:login_code"), {"code": wrong}).status_code == 400
    assert client.post(reverse("portal:login_code"), {"code": good}).status_code == 400  # burnt after 5 tries
    start(client, "budi@example.com")
    cache.clear()  # ten minutes pass
    assert client.post(reverse("portal:login_code"), {"code": code_from_mail()}).status_code == 400


def test_unknown_or_invalid_contact(client, catalogue):
    assert start(client, "bukan kontak").status_code == 400
    response = start(client, "tidak.terdaftar@example.com")  # same answer as for a known contact
    assert response.status_code == 302


def test_a_staff_address_never_logs_into_the_staff_account(client, users):
    users["admin"].email = "admin@jambikota.go.id"
    users["admin"].save()
    start(client, "admin@jambikota.go.id")
    client.post(reverse("portal:login_code"), {"code": code_from_mail()})
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.role == "citizen" and user.pk != users["admin"].pk
    assert client.get(reverse("backoffice:inbox")).status_code == 403


@pytest.mark.parametrize("method", ["get"])
def test_logout_needs_post(client, catalogue, method):
    assert getattr(client, method)(reverse("portal:logout")).status_code == 405
