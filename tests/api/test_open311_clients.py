"""Issue 18: Open311 that outside clients and validators accept as it is. One test (or more) per finding,
then the outside checks: every endpoint in both formats through the validators of open311_check, and a
full session of the `georeport` client from PyPI over real HTTP.

Every Open311 response the test client receives here is also validated by tests/api/conftest.py.
"""

import datetime as dt
import io

import jsonschema
import pytest
import requests
from django.db import connection
from django.db.models import F
from django.utils import timezone
from georeport import GeoReport
from PIL import Image

from sikesal.accounts.models import ApiKey
from sikesal.api.open311.render import errors as render_errors
from sikesal.api.open311.render import respond
from sikesal.api.open311.views import page_size_default
from sikesal.catalogue.models import CatalogueVersion, Service, ServiceGroup
from sikesal.complaints.models import Attachment, Complaint
from sikesal.complaints.states import Status, Visibility
from tests.api import open311_check, seeclickfix_rules
from tests.api.open311_check import check, check_response, parse_xml

B = "/open311/v2"
FORM = {
    "service_code": "pipa-bocor",
    "lat": "-1.6101",
    "long": "103.6131",
    "description": "Pipa PDAM bocor di depan rumah nomor 12, air menyembur ke jalan sejak pagi.",
    "attribute[besar_bocor]": "menyembur",
    "first_name": "Rina",
    "phone": "081298765432",
    "email": "rina@example.com",
}
HIDDEN = ("description", "address", "address_id", "lat", "long", "media_url", "agency_responsible")


@pytest.fixture
def api_key(catalogue, opd):
    # a back-office system of Dinas PUPR: files, reads, and acts on Dinas PUPR's reports only
    key = ApiKey(
        name="Aplikasi warga",
        scopes=["reports:file", "reports:read", "reports:act"],
        institution=opd,
        rate_limit_per_minute=10000,
    )
    key.set_key("kunci-klien-open311")
    key.save()
    return "kunci-klien-open311"


def post(client, fmt="json", **data):
    return client.post(f"{B}/requests.{fmt}", data)


def one(client, number, fmt="json", **params):
    response = client.get(f"{B}/requests/{number}.{fmt}", params)
    assert response.status_code == 200, response.content
    return response.json()[0] if fmt == "json" else open311_check.xml_to_json(parse_xml(response.content))[0]


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


# --- 1. A new report can be followed ---------------------------------------------------------------------


def test_a_new_report_is_followable_at_once_with_a_minimal_record(client, api_key, act):
    number = post(client, api_key=api_key, **FORM).json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        row = one(client, number, fmt)
        assert row["service_request_id"] == number and row["status"] == "open"
        assert row["service_code"] == "pipa-bocor" and row["requested_datetime"] and row["expected_datetime"]
        assert "verifikasi" in row["status_notes"]
        assert all(not row.get(field) for field in HIDDEN), row
        assert "menyembur" not in str(row) and "Rina" not in str(row)
    listed = client.get(f"{B}/requests.json", {"service_request_id": number}).json()
    assert [r["service_request_id"] for r in listed] == [number] and listed[0]["description"] is None
    assert number in [r["service_request_id"] for r in client.get(f"{B}/requests.json").json()]
    act(Complaint.objects.get(tracking_number=number), "verify")
    full = one(client, number)
    assert full["description"].startswith("Pipa PDAM bocor") and full["lat"] == pytest.approx(-1.6101)
    assert full["agency_responsible"]


def test_a_rahasia_report_is_followable_only_by_its_id(client, submit, act):
    secret = submit(is_secret=True, body="Pungutan liar di loket kelurahan, saya takut dikenali petugas.")
    act(secret, "verify")
    row = one(client, secret.tracking_number)
    assert row["status"] == "open" and all(not row.get(f) for f in HIDDEN) and "Pungutan" not in str(row)
    by_id = client.get(f"{B}/requests.json", {"service_request_id": secret.tracking_number}).json()
    assert [r["description"] for r in by_id] == [None]
    for params in ({}, {"status": "open"}, {"service_code": "jalan-rusak"}, {"extensions": "true"}):
        ids = [r["service_request_id"] for r in client.get(f"{B}/requests.json", params).json()]
        assert secret.tracking_number not in ids
    ext = one(client, secret.tracking_number, extensions="true")
    assert ext["notes"] == [] and ext["extended_attributes"] == {}
    assert client.get(f"{B}/requests/JBI-0000-NOPE.json").status_code == 404


# --- 2. The XML writer cannot emit an invalid document ---------------------------------------------------


def test_control_characters_in_a_stored_report_never_break_the_xml(clock, client, submit, act):
    bad = "\x07\x0b\x1b" + ("\x00" if connection.vendor == "sqlite" else "")  # PostgreSQL refuses NUL itself
    c = submit(
        title=f"Lampu{bad} mati",
        body=f"Lampu jalan mati{bad} sejak tiga hari, gelap sekali di malam hari.",
        address=f"Jl. Sultan{bad} Agung",
    )
    act(c, "verify")
    act(c, "add_followup", message=f"Tim{bad} sudah meninjau.")
    for params in ({}, {"extensions": "true"}):
        response = client.get(f"{B}/requests.xml", params)
        document = parse_xml(response.content)  # lxml: the parser that failed with "invalid Char value 7"
        text = "".join(document.itertext())
        assert "Lampu jalan mati sejak" in text and not any(ch in text for ch in bad)
    row = client.get(f"{B}/requests.json").json()[0]
    assert row["description"].startswith("Lampu jalan mati sejak") and row["address"].split() == [
        "Jl.",
        "Sultan",
        "Agung",
    ]


def test_xml_writer_drops_every_character_xml_forbids():
    forbidden = "".join(chr(i) for i in range(32) if chr(i) not in "\t\n\r") + "\ufffe\uffff"
    response = respond("xml", "service_requests", "request", [{"service_request_id": "A", "status_notes": forbidden}])
    document = parse_xml(response.content)
    assert document.find("request/status_notes").text is None
    keep = respond("xml", "errors", "error", [{"code": 400, "description": "a\tb\nc <&> é"}])
    assert parse_xml(keep.content).find("error/description").text == "a\tb\nc <&> é"
    with pytest.raises(ValueError):
        respond("xml", "service_requests", "request", [{"bad name": "x"}])


# --- 3. CORS ----------------------------------------------------------------------------------------------


def test_cors_for_the_public_gets_and_their_preflight(client, catalogue):
    origin = {"HTTP_ORIGIN": "https://peta.example.org"}
    for path in ("discovery.json", "services.xml", "requests.json", "services/nope.json", "nothing.json"):
        response = client.get(f"{B}/{path}", **origin)
        assert response["Access-Control-Allow-Origin"] == "*", path
    preflight = client.options(
        f"{B}/requests.json",
        HTTP_ORIGIN="https://peta.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET"
    assert preflight["Access-Control-Allow-Headers"] == "accept"
    assert int(preflight["Access-Control-Max-Age"]) > 0


def test_cors_only_for_configured_origins(client, catalogue, settings):
    settings.SIKESAL_OPEN311_CORS_ORIGINS = ["https://peta.example.org"]
    ok = client.get(f"{B}/services.json", HTTP_ORIGIN="https://peta.example.org")
    assert ok["Access-Control-Allow-Origin"] == "https://peta.example.org" and "Origin" in ok["Vary"]
    assert not client.get(f"{B}/services.json", HTTP_ORIGIN="https://lain.example").has_header(
        "Access-Control-Allow-Origin"
    )


def test_cors_for_post_only_when_configured(client, api_key, settings):
    ask = {"HTTP_ORIGIN": "https://kios.example.org", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}
    refused = client.options(f"{B}/requests.json", **ask)
    assert refused.status_code == 204 and not refused.has_header("Access-Control-Allow-Origin")
    settings.SIKESAL_OPEN311_CORS_POST_ORIGINS = ["https://kios.example.org"]
    allowed = client.options(f"{B}/requests.json", **ask)
    assert allowed["Access-Control-Allow-Origin"] == "https://kios.example.org"
    assert allowed["Access-Control-Allow-Methods"] == "POST"
    created = client.post(f"{B}/requests.json", {**FORM, "api_key": api_key}, HTTP_ORIGIN="https://kios.example.org")
    assert created.status_code == 200 and created["Access-Control-Allow-Origin"] == "https://kios.example.org"


# --- 4. Discovery url, and never HTML ---------------------------------------------------------------------


def test_discovery_url_joins_with_a_slash_and_a_doubled_slash_still_works(client, catalogue):
    url = client.get(f"{B}/discovery.json").json()["endpoints"][0]["url"]
    assert url == "http://testserver/open311/v2"
    assert client.get(url.removeprefix("http://testserver") + "/services.xml").status_code == 200
    doubled = client.get(f"{B}//services.json")
    assert doubled.status_code == 200 and len(doubled.json()) == 70 + 1  # with "lainnya"
    assert client.get(f"{B}//services/pipa-bocor.xml").status_code == 200


@pytest.mark.parametrize(
    "method,path,fmt,status",
    [
        ("get", "nothing.xml", "xml", 404),
        ("get", "nothing.json", "json", 404),
        ("get", "", "json", 404),
        ("get", "requests/a/b.xml", "xml", 404),
        ("get", "requests.html", "json", 404),
        ("get", "services/.json", "json", 404),
        ("post", "services.json", "json", 405),  # no CSRF page either
        ("post", "discovery.xml", "xml", 405),
        ("delete", "requests.json", "json", 405),
        ("post", "nothing.xml", "xml", 404),
    ],
)
def test_unknown_paths_and_methods_answer_in_the_open311_error_format(client, catalogue, method, path, fmt, status):
    response = getattr(client, method)(f"{B}/{path}")
    assert response.status_code == status
    assert response["Content-Type"] == open311_check.CONTENT_TYPES[fmt]
    data = check(response.content, response["Content-Type"], "errors", fmt)
    assert b"<html" not in response.content.lower() and data[0]["code"] in (status, str(status))


# --- 5. changeset ---------------------------------------------------------------------------------------


def test_changeset_moves_when_the_catalogue_changes(client, catalogue):
    before = client.get(f"{B}/discovery.json").json()
    assert before["changeset"] == before["endpoints"][0]["changeset"]
    assert before["changeset"] == timezone.localtime(CatalogueVersion.current()).isoformat(timespec="microseconds")
    assert dt.datetime.fromisoformat(before["changeset"]) <= timezone.now()  # the validator: "in the past"
    service = Service.objects.get(code="pipa-bocor")
    service.extra_questions = [*service.extra_questions, {"code": "foto", "datatype": "text", "description": "x"}]
    service.save()
    after = client.get(f"{B}/discovery.xml")
    changeset = parse_xml(after.content).findtext("changeset")
    assert dt.datetime.fromisoformat(changeset) > dt.datetime.fromisoformat(before["changeset"])
    ServiceGroup.objects.filter(code=service.group.code).get().save()  # a group's name is in services too
    assert parse_xml(client.get(f"{B}/discovery.xml").content).findtext("changeset") > changeset
    changeset = parse_xml(client.get(f"{B}/discovery.xml").content).findtext("changeset")
    client.get(f"{B}/services.json")  # reading changes nothing
    assert parse_xml(client.get(f"{B}/discovery.xml").content).findtext("changeset") == changeset


# --- 6 and 7. Attribute codes with "-", datetime attributes --------------------------------------------


@pytest.fixture
def dashed(catalogue):
    service = Service.objects.get(code="pipa-bocor")
    service.extra_questions = [
        {"code": "jam-mulai", "datatype": "datetime", "required": True, "description": "Sejak kapan bocor?"},
        {"code": "nomor.meter", "datatype": "string", "required": False, "description": "Nomor meter"},
        {
            "code": "jenis-pipa",
            "datatype": "multivaluelist",
            "required": False,
            "description": "Jenis pipa",
            "values": [{"key": "pvc", "name": "PVC"}, {"key": "besi", "name": "Besi"}],
        },
    ]
    service.save()
    return service


def test_attribute_codes_with_a_dash_are_read(client, api_key, dashed):
    definition = client.get(f"{B}/services/pipa-bocor.json").json()
    assert [a["code"] for a in definition["attributes"]] == ["jam-mulai", "nomor.meter", "jenis-pipa"]
    data = {
        **{k: v for k, v in FORM.items() if not k.startswith("attribute")},
        "attribute[jam-mulai]": "2026-11-30T07:15:00+07:00",
        "attribute[nomor.meter]": "M-0042",
        "attribute[jenis-pipa][]": ["pvc", "besi"],
        "api_key": api_key,
    }
    response = post(client, **data)
    assert response.status_code == 200, response.content
    c = Complaint.objects.get(tracking_number=response.json()[0]["service_request_id"])
    assert c.answers == {
        "jam-mulai": "2026-11-30T07:15:00+07:00",
        "nomor.meter": "M-0042",
        "jenis-pipa": ["pvc", "besi"],
    }
    missing = post(client, **{k: v for k, v in data.items() if k != "attribute[jam-mulai]"})
    assert missing.status_code == 400 and "attribute[jam-mulai]" in missing.json()[0]["description"]


@pytest.mark.parametrize("value", ["kemarin sore", "2026-13-45T99:00", "30/11/2026 07:00", "2026-11-30", "12"])
def test_datetime_attributes_are_validated(client, api_key, dashed, value):
    data = {**FORM, "attribute[jam-mulai]": value, "api_key": api_key}
    response = post(client, **data)
    assert response.status_code == 400
    assert response.json()[0] == {"code": 400, "description": response.json()[0]["description"]}
    assert "attribute[jam-mulai]" in response.json()[0]["description"]
    assert Complaint.objects.count() == 0


def test_a_datetime_attribute_is_stored_as_a_w3c_datetime_with_offset(client, api_key, dashed):
    for given, stored in [
        ("2026-11-30T00:15:00Z", "2026-11-30T07:15:00+07:00"),
        ("2026-11-30T07:15", "2026-11-30T07:15:00+07:00"),  # no offset: WIB
    ]:
        response = post(client, **{**FORM, "attribute[jam-mulai]": given, "api_key": api_key})
        number = response.json()[0]["service_request_id"]
        assert Complaint.objects.get(tracking_number=number).answers["jam-mulai"] == stored


# --- 8. media_url ---------------------------------------------------------------------------------------


def test_media_url_is_the_first_public_photo_of_a_public_report(client, submit, act):
    c = submit(files=[("satu.jpg", jpeg()), ("dua.jpg", jpeg())])
    first, second = Attachment.objects.filter(complaint=c).order_by("pk")
    assert one(client, c.tracking_number)["media_url"] is None  # not before verification
    act(c, "verify")
    url = one(client, c.tracking_number)["media_url"]
    assert url == f"http://testserver/lampiran/{first.token}/"
    assert one(client, c.tracking_number, "xml")["media_url"] == url
    photo = client.get(url.removeprefix("http://testserver"))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    # A photo is withheld as `clean_attachments` does it: with a new version of its report, which the record
    # served from memory is kept by.
    Attachment.objects.filter(pk=first.pk).update(visibility=Visibility.STAFF)
    Complaint.objects.filter(pk=c.pk).update(version=F("version") + 1)
    assert one(client, c.tracking_number)["media_url"] == f"http://testserver/lampiran/{second.token}/"
    Attachment.objects.filter(pk=second.pk).update(visibility=Visibility.REPORTER)
    Complaint.objects.filter(pk=c.pk).update(version=F("version") + 1)
    assert one(client, c.tracking_number)["media_url"] is None


def test_a_posted_media_url_is_kept_as_a_link_and_nothing_is_fetched(client, api_key, act, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a media_url must not be fetched")

    monkeypatch.setattr("socket.create_connection", no_network)
    link = "https://foto.example.org/pipa-bocor-12.jpg"
    response = post(client, **{**FORM, "media_url": link, "api_key": api_key})
    assert response.status_code == 200
    c = Complaint.objects.get(tracking_number=response.json()[0]["service_request_id"])
    assert c.body.endswith(f"media_url: {link}") and not c.attachments.exists()
    for bad in ("javascript:alert(1)", "ftp://foto.example.org/a.jpg", "bukan tautan", "https://x.org/" + "a" * 500):
        refused = post(client, **{**FORM, "media_url": bad, "api_key": api_key})
        assert refused.status_code == 400 and "media_url" in refused.json()[0]["description"]


# --- 9. Codes, statuses, jurisdiction, UTF-8, updated_datetime ------------------------------------------


def test_errors_have_integer_codes_unknown_service_is_404_and_a_post_answers_200(client, api_key):
    unknown = post(client, **{**FORM, "service_code": "teleportasi", "api_key": api_key})
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
    xml = post(client, "xml", **{**FORM, "service_code": "teleportasi", "api_key": api_key})
    assert parse_xml(xml.content).findtext("error/code") == "404"
    several = post(client, **{**FORM, "lat": "", "long": "", "description": "x" * 4001, "api_key": api_key})
    assert several.status_code == 400 and [e["code"] for e in several.json()] == [400, 400]
    created = post(client, **{**FORM, "api_key": api_key})
    assert created.status_code == 200 and "token" not in created.json()[0]
    assert post(client, **FORM).json()[0]["code"] == 403


@pytest.fixture
def dispositioned(in_state):
    return in_state("dispositioned")


ENDPOINTS = [
    ("get", "discovery.{fmt}"),
    ("get", "services.{fmt}"),
    ("get", "services/pipa-bocor.{fmt}"),
    ("get", "requests.{fmt}"),
    ("get", "requests/{number}.{fmt}"),
    ("get", "tokens/{number}.{fmt}"),
    ("get", "servicerequestupdates.{fmt}"),
    ("post", "requests.{fmt}"),
    ("post", "servicerequestupdates.{fmt}"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_a_wrong_jurisdiction_id_is_404_on_every_endpoint(client, api_key, dispositioned, method, path, fmt):
    data = {
        **FORM,
        "api_key": api_key,
        "service_request_id": dispositioned.tracking_number,
        "status": "fixed",
        "jurisdiction_id": "kota-lain.go.id",
    }
    url = f"{B}/" + path.format(fmt=fmt, number=dispositioned.tracking_number)
    before = Complaint.objects.count()
    response = client.get(url, {"jurisdiction_id": "kota-lain.go.id"}) if method == "get" else client.post(url, data)
    assert response.status_code == 404
    right = {"jurisdiction_id": "jambikota.go.id"}
    if method == "get":
        assert client.get(url, right).status_code == 200
    dispositioned.refresh_from_db()
    assert dispositioned.status == Status.DISPOSITIONED and Complaint.objects.count() == before


def test_a_body_that_is_not_utf8_is_refused(client, api_key):
    form = "&".join(f"{k}={v}" for k, v in {**FORM, "api_key": api_key}.items() if k != "description")
    latin1 = (form + "&description=Pipa bocor di depan Caf%E9 Mawar, air menyembur ke jalan.").encode("ascii")
    response = client.post(f"{B}/requests.json", latin1, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "UTF-8" in response.json()[0]["description"]
    raw = (form + "&description=Pipa bocor di depan Caf").encode() + b"\xe9 Mawar, air menyembur ke jalan."
    assert client.post(f"{B}/requests.json", raw, content_type="application/x-www-form-urlencoded").status_code == 400
    declared = client.post(
        f"{B}/requests.json", form.encode(), content_type="application/x-www-form-urlencoded; charset=iso-8859-1"
    )
    assert declared.status_code == 400
    assert client.get(f"{B}/requests.json?service_code=caf%E9").status_code == 400
    assert Complaint.objects.count() == 0
    good = (form + "&description=Pipa bocor di depan Caf%C3%A9 Mawar, air menyembur ke jalan.").encode("ascii")
    ok = client.post(f"{B}/requests.json", good, content_type="application/x-www-form-urlencoded")
    assert ok.status_code == 200 and "Café Mawar" in Complaint.objects.get().body


def test_updated_datetime_moves_only_with_a_public_change(client, submit, act):
    c = submit()
    act(c, "verify", now=c.submitted_at + dt.timedelta(hours=1))
    before = one(client, c.tracking_number)["updated_datetime"]
    internal_at = c.submitted_at + dt.timedelta(days=400)
    act(c, "mark_overdue", now=internal_at)  # the overdue sweep: a staff-only event
    assert c.events.filter(action="mark_overdue", visibility=Visibility.STAFF).exists()
    assert one(client, c.tracking_number)["updated_datetime"] == before
    later = internal_at + dt.timedelta(days=1)
    act(c, "add_followup", now=later, message="Tim sudah meninjau lokasi.")
    assert one(client, c.tracking_number)["updated_datetime"] == timezone.localtime(later).isoformat(timespec="seconds")


# --- Every list in a constant number of queries; the default page size ---------------------------------


def _reports(submit, act, n, start=0):
    now = timezone.now()
    for i in range(start, start + n):
        c = submit(
            title=f"Laporan {i}", now=now - dt.timedelta(hours=i + 1), files=[("f.jpg", jpeg())] if i % 2 else ()
        )
        if i % 3:
            act(c, "verify", now=now - dt.timedelta(hours=i))


@pytest.mark.parametrize(
    "path,params",
    [
        ("requests.json", {}),
        ("requests.xml", {"extensions": "true"}),
        ("requests.json", {"status": "open", "service_code": "jalan-rusak"}),
        ("servicerequestupdates.json", {"start_date": "2020-01-01T00:00:00+07:00"}),
    ],
)
def test_every_list_costs_the_same_queries_at_any_size(
    client, submit, act, django_assert_max_num_queries, path, params
):
    _reports(submit, act, 3)
    with django_assert_max_num_queries(6) as few:
        small = client.get(f"{B}/{path}", params)
    _reports(submit, act, 27, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get(f"{B}/{path}", params)
    assert len(large.content) > len(small.content)


def test_ids_list_costs_the_same_queries_at_any_size(client, submit, act, django_assert_max_num_queries):
    _reports(submit, act, 30)
    ids = list(Complaint.objects.values_list("tracking_number", flat=True))
    with django_assert_max_num_queries(6) as few:
        client.get(f"{B}/requests.json", {"service_request_id": ",".join(ids[:2]), "extensions": "true"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = client.get(f"{B}/requests.json", {"service_request_id": ",".join(ids), "extensions": "true"}).json()
    assert len(rows) == 30


def test_default_page_size_is_configurable_and_page_size_is_capped(client, submit, act, settings):
    assert page_size_default() == 100  # documented in docs/api.md
    _reports(submit, act, 6)
    assert len(client.get(f"{B}/requests.json").json()) == 6
    settings.SIKESAL_OPEN311_PAGE_SIZE = 4
    assert len(client.get(f"{B}/requests.json").json()) == 4
    assert len(client.get(f"{B}/requests.json", {"page": 2}).json()) == 2
    assert len(client.get(f"{B}/requests.json", {"page_size": 5000}).json()) == 6
    assert client.get(f"{B}/requests.json", {"page_size": "banyak"}).status_code == 400


# --- Make it lasting: every endpoint, both formats, validated -------------------------------------------


def test_the_schema_checks_cover_every_endpoint_in_both_formats(client, api_key, submit, act, dispositioned):
    open311_check.checked.clear()
    verified = submit(files=[("f.jpg", jpeg())])
    act(verified, "verify")
    act(verified, "add_followup", message="Sudah ditinjau.")
    for fmt in ("json", "xml"):
        client.get(f"{B}/discovery.{fmt}")
        client.get(f"{B}/services.{fmt}")
        client.get(f"{B}/services/pipa-bocor.{fmt}")
        assert post(client, fmt, **{**FORM, "api_key": api_key}).status_code == 200
        client.get(f"{B}/requests.{fmt}", {"extensions": "true"})
        client.get(f"{B}/requests/{verified.tracking_number}.{fmt}", {"extensions": "true"})
        client.get(f"{B}/tokens/{verified.tracking_number}.{fmt}")
        client.post(
            f"{B}/servicerequestupdates.{fmt}",
            {
                "api_key": api_key,
                "service_request_id": dispositioned.tracking_number,
                "status": "in_progress" if fmt == "json" else "action_scheduled",
            },
        )
        client.get(f"{B}/servicerequestupdates.{fmt}", {"start_date": "2020-01-01T00:00:00+07:00"})
        client.get(f"{B}/services/nope.{fmt}")
    assert set(open311_check.checked) == {(kind, fmt) for kind in open311_check.KINDS for fmt in ("json", "xml")}


def test_the_validators_catch_what_issue_18_found():
    """The checks themselves: each fails on the kind of response the outside tools refused."""
    from lxml.etree import XMLSyntaxError

    with pytest.raises(XMLSyntaxError):
        parse_xml(
            b'<?xml version="1.0" encoding="utf-8"?><errors><error><code>400</code>'
            b"<description>\x07</description></error></errors>"
        )
    bad = render_errors("json", 400, "x")
    bad.content = b'[{"code": "400", "description": "x"}]'
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'integer'"):
        check_response("GET", "/open311/v2/requests.json", bad)
    leak = respond(
        "json",
        "service_requests",
        "request",
        [
            {
                "service_request_id": "A",
                "status": "open",
                "service_code": "x",
                "requested_datetime": "2026-11-30T08:00:00+07:00",
                "phone": "0812",
            }
        ],
    )
    with pytest.raises(jsonschema.ValidationError):
        check_response("GET", "/open311/v2/requests.json", leak)


# --- An independent client from PyPI over real HTTP -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_session_over_real_http(live_server, api_key, fmt):
    """discovery → services → definition → POST → token → get → filtered list, with `georeport` (PyPI) where
    it has a call, and `requests` for the calls it lacks (discovery, POST, token). Every response is
    validated as well."""
    seen = []

    def validate(response, *args, **kwargs):
        path = requests.utils.urlparse(response.url).path
        check_response(response.request.method, path, response)
        seen.append((response.request.method, path, response.status_code))

    session_hooks = {"response": [validate]}
    original = requests.Session.request

    def with_hooks(self, method, url, **kwargs):
        kwargs.setdefault("hooks", session_hooks)
        return original(self, method, url, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(requests.Session, "request", with_hooks)
        discovery = requests.get(f"{live_server.url}{B}/discovery.{fmt}", timeout=10)
        assert discovery.status_code == 200
        if fmt == "json":
            root = discovery.json()["endpoints"][0]["url"]
        else:
            root = parse_xml(discovery.content).findtext("endpoints/endpoint/url")
        assert root == f"{live_server.url}{B}"
        city = GeoReport(root, jurisdiction="jambikota.go.id", api_key=api_key, output_format=fmt)
        services = city.get_service_list()
        assert "pipa-bocor" in [s["service_code"] for s in services]
        definition = city.get_service_definition("pipa-bocor")
        attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert [a["code"] for a in attributes] == ["nomor_pelanggan", "besar_bocor"]
        created = requests.post(
            f"{root}/requests.{fmt}",
            data={**FORM, "api_key": api_key, "jurisdiction_id": "jambikota.go.id"},
            timeout=10,
        )
        assert created.status_code == 200
        number = (
            created.json()[0]["service_request_id"]
            if fmt == "json"
            else parse_xml(created.content).findtext("request/service_request_id")
        )
        token = requests.get(f"{root}/tokens/{number}.{fmt}", params={"jurisdiction_id": "jambikota.go.id"}, timeout=10)
        assert token.status_code == 200 and number.encode() in token.content
        row = city.get_service_request(number)  # raised HTTPError (404) before issue 18
        assert row["service_request_id"] == number and row["status"] == "open"
        assert not row.get("description")
        listed = city.get_service_requests(service_request_id=number)
        listed = [listed] if isinstance(listed, dict) else listed  # xmltodict: one element is not a list
        assert [r["service_request_id"] for r in listed] == [number]
        opened = city.get_service_requests(status="open", service_code="pipa-bocor")
        opened = [opened] if isinstance(opened, dict) else opened
        assert number in [r["service_request_id"] for r in opened]
    assert len(seen) == 8, seen


@pytest.mark.django_db(transaction=True)
def test_the_seeclickfix_validator_rules_pass_over_real_http(live_server, catalogue):
    """SeeClickFix's open311-validator rules (rewritten in seeclickfix_rules.py) against a live server."""
    results = seeclickfix_rules.validate(f"{live_server.url}{B}/discovery", "jambikota.go.id")
    assert [r for r in results if not r[2]] == [] and len(results) > 20
