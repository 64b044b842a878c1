"""Items 4 and 16 (codes) of issue 16: second-factor and one-time-code guesses are limited for real.

A correct password must not reset the count of wrong TOTP codes; a wrong one-time code must not extend the
code's life; parallel guesses (simulated by requests that all read the same state before any writes) must
not get more tries than the limit.
"""

import copy
import datetime as dt
import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from sikesal.accounts import totp
from sikesal.accounts.models import User

PASSWORD = "kata-sandi-kuat-1"


@pytest.fixture
def admin_with_totp(users):
    admin = users["admin"]
    admin.set_password(PASSWORD)
    admin.totp_secret = totp.new_secret()
    admin.totp_confirmed = True
    admin.save()
    return admin


def current_code(user):
    return totp.code_at(user.totp_secret, int(time.time() // totp.STEP))


def wrong_code(user):
    good = current_code(user)
    return next(
        c for c in ("000000", "111111", "222222") if c != good and totp.matching_counter(user.totp_secret, c) is None
    )


def password_step(client):
    response = client.post(reverse("backoffice:login"), {"username": "admin", "password": PASSWORD})
    return response


def assert_right_code_refused(client, admin):
    """Locked: the password step refuses, and the right code (if the form is reached at all) logs no one in."""
    assert password_step(client).status_code == 400
    response = client.post(reverse("backoffice:login_code"), {"code": current_code(admin)})
    assert response.get("Location") != reverse("backoffice:inbox")
    assert client.get(reverse("backoffice:inbox")).status_code == 302  # still not logged in


def test_a_correct_password_does_not_reset_the_count_of_wrong_codes(client, admin_with_totp):
    # The attack from the report: {correct password; 4 wrong codes} in a loop, 20 codes in all.
    bad = wrong_code(admin_with_totp)
    for _ in range(5):
        password_step(client)
        for _ in range(4):
            client.post(reverse("backoffice:login_code"), {"code": bad})
    assert_right_code_refused(client, admin_with_totp)


def test_five_wrong_codes_lock_the_account(client, admin_with_totp):
    bad = wrong_code(admin_with_totp)
    password_step(client)
    for _ in range(5):
        assert client.post(reverse("backoffice:login_code"), {"code": bad}).status_code == 400
    assert User.objects.get(pk=admin_with_totp.pk).locked_until is not None
    password = password_step(client)
    assert password.status_code == 400 and "kunci" in password.content.decode().lower()


def test_parallel_code_guesses_do_not_pass_the_limit(client, admin_with_totp, monkeypatch):
    # 40 requests that all loaded the user before any of them wrote its failure back.
    from sikesal.backoffice import auth

    stale = User.objects.get(pk=admin_with_totp.pk)
    real_get = auth.User.objects.get

    def get(**kw):
        return copy.deepcopy(stale) if kw.get("pk") == stale.pk else real_get(**kw)

    monkeypatch.setattr(auth.User.objects, "get", get)
    bad = wrong_code(admin_with_totp)
    password_step(client)
    for _ in range(40):
        client.post(reverse("backoffice:login_code"), {"code": bad})
    monkeypatch.undo()
    assert_right_code_refused(client, admin_with_totp)


def code_from_mail():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_a_wrong_one_time_code_does_not_extend_its_life(client, catalogue, monkeypatch):
    from django.core.cache.backends import db as db_cache

    # the cache computes expiries from time.time() and compares them with timezone.now(): move both
    real_now, real_time = db_cache.tz_now, time.time
    shift = {"minutes": 0}
    monkeypatch.setattr(db_cache, "tz_now", lambda: real_now() + dt.timedelta(minutes=shift["minutes"]))
    monkeypatch.setattr(time, "time", lambda: real_time() + 60 * shift["minutes"])
    client.post(reverse("portal:login"), {"contact": "budi@example.com"})
    good = code_from_mail()
    shift["minutes"] = 9
    assert client.post(reverse("portal:login_code"), {"code": "000000" if good != "000000" else "1"}).status_code == 400
    shift["minutes"] = 11  # ten minutes after the code was sent
    assert client.post(reverse("portal:login_code"), {"code": good}).status_code == 400
    assert "_auth_user_id" not in client.session


def test_parallel_one_time_code_guesses_get_five_tries(client, catalogue, monkeypatch):
    # Every request read the stored code before any of them counted its try.
    from sikesal.portal import views_account

    client.post(reverse("portal:login"), {"contact": "budi@example.com"})
    good = code_from_mail()
    snapshot = views_account.cache.get(views_account._key("budi@example.com"))
    real_get = views_account.cache.get
    monkeypatch.setattr(
        views_account.cache, "get", lambda key, *a: dict(snapshot) if key.startswith("otp:") else real_get(key, *a)
    )
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        client.post(reverse("portal:login_code"), {"code": wrong})
    assert client.post(reverse("portal:login_code"), {"code": good}).status_code == 400
    assert "_auth_user_id" not in client.session
