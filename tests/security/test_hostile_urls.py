"""Item 12 of issue 16: hostile query values and NUL bytes get an ordinary answer, never a 500; and
an unhandled error is logged with its traceback.

Run on both databases: PostgreSQL refuses NUL in text and overflows differently from SQLite.
"""

import logging
import re

import pytest
from django.urls import reverse

PUBLIC = [
    "/laporan/?bulan=99999-1",
    "/laporan/?bulan=0-13",
    "/statistik/?sampai=9999-12",
    "/statistik/?dari=0001-01",
    "/statistik.csv?sampai=9999-12",
    "/statistik.csv?dari=0001-01",
    "/laporan/%00/",
    "/laporan/?q=%00",
    "/lacak/%00/",
    "/laporan/?layanan=%00&kecamatan=%00",
]
STAFF = [
    "/kantor/?dari=0001-01-01",
    "/kantor/?sampai=9999-12-31",
    "/kantor/?opd=9999999999999999999999",
    "/kantor/?opd=-1",
    "/kantor/?q=%00",
    "/kantor/laporan-bulanan/?opd=-1",
    "/kantor/laporan-bulanan/?opd=-1&bulan=2026-11",
    "/kantor/laporan-bulanan/?opd=1&bulan=99999-1",
    "/kantor/laporan-bulanan/?opd=9999999999999999999999&bulan=2026-11",
    "/kantor/ekspor.csv?sampai=9999-12-31",
    "/kantor/ekspor.csv?dari=0001-01-01",
    "/kantor/ekspor.xlsx?sampai=9999-12-31",
    "/ombudsman/kepatuhan/?sampai=9999-12",
    "/ombudsman/kepatuhan/?dari=0001-01&format=csv",
]


def answer(client, url, **extra):
    client.raise_request_exception = False
    response = client.get(url, **extra)
    if response.streaming:
        b"".join(response.streaming_content)  # a stream that breaks part-way is a 500 too
    return response


@pytest.mark.parametrize("url", PUBLIC)
def test_public_urls(client, in_state, url):
    in_state("dispositioned")
    assert answer(client, url).status_code < 500


@pytest.mark.parametrize("role", ["admin", "liaison", "ombudsman"])
@pytest.mark.parametrize("url", STAFF)
def test_staff_urls(client, users, in_state, url, role):
    in_state("dispositioned")
    client.force_login(users[role])
    assert answer(client, url).status_code < 500


def test_period_out_of_range_is_ignored_not_applied(client, in_state):
    in_state("dispositioned")
    response = answer(client, "/statistik/?sampai=9999-12")
    assert response.status_code == 200


def test_nul_in_a_form_field_is_refused(client, catalogue):
    from tests.portal.test_pages import FORM

    client.raise_request_exception = False
    response = client.post(reverse("portal:file"), {**FORM, "title": "Jalan\x00rusak", "idempotency_key": "n" * 20})
    assert response.status_code == 400


def test_nul_in_the_login_user_name_is_refused(client, users):
    client.raise_request_exception = False
    response = client.post(reverse("backoffice:login"), {"username": "admin\x00", "password": "x"})
    assert response.status_code == 400
    response = client.post(reverse("portal:login"), {"contact": "budi\x00@example.com"})
    assert response.status_code == 400


def test_an_unhandled_error_is_logged_with_its_traceback(client, catalogue, monkeypatch, caplog):
    from sikesal.portal import views

    def broken(*args, **kwargs):
        raise RuntimeError("kerusakan-uji-12")

    monkeypatch.setattr(views, "render", broken)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get("/").status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.exc_info and "kerusakan-uji-12" in str(record.exc_info[1])
    # and the project's handlers (console and the log file) receive it, also when DEBUG is off
    handlers = logging.getLogger("django.request").handlers
    files = [h.baseFilename for h in handlers if hasattr(h, "baseFilename")]
    assert files and re.search(r"sikesal\.log$", files[0])
    with open(files[0], encoding="utf-8") as fh:
        text = fh.read()
    assert "kerusakan-uji-12" in text and "Traceback" in text
