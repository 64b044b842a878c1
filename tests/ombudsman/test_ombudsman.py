"""Taking a report to the Ombudsman: eligibility, identity, the file, delivery, the observer's pages."""

import datetime as dt
import re
import zlib

import holidays
import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sikesal.catalogue import calendar
from sikesal.complaints.errors import InvalidInput, InvalidTransition
from sikesal.complaints.policy import Actor
from sikesal.integrations.ombudsman import eligibility, service
from sikesal.integrations.ombudsman.models import Escalation
from tests.notify.test_notify import Gateway

IDENTITY = {
    "full_name": "Siti Aminah binti Abdullah",
    "birth_place": "Jambi",
    "birth_date": "1985-04-12",
    "marital_status": "kawin",
    "occupation": "Pedagang",
    "address": "Jl. Sultan Agung No. 7, RT 05, Simpang IV Sipin, Telanaipura",
    "losses": "Dagangan rusak karena air keruh selama tiga minggu.",
    "remedy": "Air PDAM kembali jernih dan ganti rugi.",
    "consent": "1",
}


def pdf_text(data):
    """Text drawn in a PDF made by fpdf2 (deflated content streams, literal strings)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        out += [s.decode("latin-1") for s in re.findall(rb"\((.*?)\)\s*Tj", content)]
    return " ".join(out).replace("\\(", "(").replace("\\)", ")")


def oracle_working_days(start, end):
    first, last = start.astimezone(calendar.WIB).date(), end.astimezone(calendar.WIB).date()
    days = [first + dt.timedelta(days=i) for i in range(1, (last - first).days + 1)]
    return sum(1 for d in days if d.weekday() < 5 and d not in holidays.country_holidays("ID", years=[d.year]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    verified=st.datetimes(
        min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2026, 9, 1), timezones=st.just(dt.UTC)
    ),
    wait_hours=st.integers(min_value=0, max_value=24 * 40),
)
def test_eligibility_over_generated_timelines(submit, act, verified, wait_hours):
    c = submit(now=verified - dt.timedelta(hours=3))
    act(c, "verify", now=verified)
    now = verified + dt.timedelta(hours=wait_hours)
    check = eligibility.check(c, now)
    late = oracle_working_days(c.followup_due_at, now) if now > c.followup_due_at else 0
    final_passed = now > c.final_due_at
    assert check.ok == (late >= 5 or final_passed), (late, final_passed, check)
    if not check.ok:
        assert check.reasons  # always says why


def test_disputed_report_is_eligible_and_only_once(clock, in_state, act):
    c = in_state("followed_up")
    assert not eligibility.check(c).ok
    act(c, "dispute")
    assert eligibility.check(c).ok
    service.escalate(c, Actor.reporter(c), IDENTITY)
    with pytest.raises(InvalidTransition) as exc:
        service.escalate(c, Actor.reporter(c), IDENTITY)
    assert "sudah" in exc.value.message.lower() or "already" in exc.value.message.lower()
    assert Escalation.objects.count() == 1


def test_old_events_and_takeover_are_refused(in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    c.incident_date = timezone.localdate() - dt.timedelta(days=800)
    c.save(update_fields=["incident_date"])
    assert not eligibility.check(c).ok
    c.incident_date = None
    c.ombudsman_taken_over = True
    c.save(update_fields=["incident_date", "ombudsman_taken_over"])
    assert not eligibility.check(c).ok


def test_identity_is_checked_field_by_field(in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    bad = {**IDENTITY, "full_name": "", "birth_date": "31-02-1985", "nik": "123", "consent": ""}
    with pytest.raises(InvalidInput) as exc:
        service.escalate(c, Actor.reporter(c), bad)
    assert {"full_name", "birth_date", "nik", "consent"} <= set(exc.value.fields)
    c.refresh_from_db()
    assert c.ombudsman_escalated_at is None and not Escalation.objects.exists()


def test_the_file_carries_the_law_s_identity_chronology_and_missed_deadlines(submit, act):
    c = submit(now=dt.datetime(2026, 8, 3, 3, tzinfo=dt.UTC))
    act(c, "verify", now=dt.datetime(2026, 8, 4, 3, tzinfo=dt.UTC))
    from sikesal.complaints.sweep import sweep

    sweep(now=dt.datetime(2026, 9, 30, tzinfo=dt.UTC))
    escalation = service.escalate(c, Actor.reporter(c), IDENTITY, now=dt.datetime(2026, 10, 5, tzinfo=dt.UTC))
    text = pdf_text(bytes(escalation.file_pdf))
    for expected in (
        "Siti Aminah binti Abdullah",
        "Jambi, 1985-04-12",
        "Pedagang",
        "Dinas Pekerjaan Umum",
        c.tracking_number,
        "Kronologi",
        "followup_due_at",
        "Dagangan rusak",
    ):
        assert expected in text, expected
    data = escalation.file_json
    assert data["reporter"]["full_name"] == "Siti Aminah binti Abdullah"
    assert any(m["deadline"] == "followup_due_at" for m in data["missed_deadlines"])


def test_confidential_identity_is_not_printed(in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    escalation = service.escalate(c, Actor.reporter(c), {**IDENTITY, "confidential": "1"})
    text = pdf_text(bytes(escalation.file_pdf))
    assert "Dirahasiakan" in text and "Siti Aminah" not in text
    assert escalation.file_json["reporter"]["confidential"] is True


@pytest.mark.django_db(transaction=True)
def test_delivery_by_email_with_both_files(in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    service.escalate(c, Actor.reporter(c), IDENTITY)
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    sent = [m for m in mail.outbox if "Ombudsman" in m.subject]
    assert len(sent) == 1 and sent[0].to == ["pengaduan.jambi@ombudsman.go.id"]
    assert sorted(name for name, _content, _type in sent[0].attachments) == [
        f"{c.tracking_number}.json",
        f"{c.tracking_number}.pdf",
    ]
    assert Escalation.objects.get().state == "sent"
    assert c.events.filter(action="record_ombudsman", payload__ok=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_webhook_delivery_is_retried_and_every_attempt_is_on_the_timeline(in_state, act, settings):
    gateway = Gateway()
    gateway.fail_next = 1
    settings.SIKESAL_OMBUDSMAN_WEBHOOK_URL = gateway.url
    try:
        c = in_state("followed_up")
        act(c, "dispute")
        service.escalate(c, Actor.reporter(c), IDENTITY)
        call_command("worker", batch=True, no_scheduler=True, interval=0)
        escalation = Escalation.objects.get()
        assert escalation.state == "prepared" and escalation.attempts == 1 and "503" in escalation.last_error
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # the backoff passes
        call_command("worker", batch=True, no_scheduler=True, interval=0)
        escalation.refresh_from_db()
        assert escalation.state == "sent"
        attempts = list(c.events.filter(action="record_ombudsman").values_list("payload__ok", flat=True))
        assert attempts == [False, True]
        assert gateway.received[0][1]["file"]["tracking_number"] == c.tracking_number
    finally:
        gateway.server.shutdown()


def test_citizen_flow_on_the_private_page(client, catalogue, act):
    from tests.portal.test_pages import FORM, file

    file(client)
    confirmation = client.get(client.post(reverse("portal:file"), {**FORM, "idempotency_key": "k" * 20})["Location"])
    secret_url = re.search(r'id="private-link" href="([^"]+)"', confirmation.content.decode()).group(1)
    from sikesal.complaints.models import Complaint

    c = Complaint.objects.get()
    assert "ombudsman-offer" not in client.get(secret_url).content.decode()
    act(c, "verify")
    act(c, "complete_followup")
    client.post(
        secret_url + "aksi/",
        {"action": "dispute", "message": "Masih mati.", "version": Complaint.objects.get().version},
    )
    assert "ombudsman-offer" in client.get(secret_url).content.decode()
    incomplete = client.post(secret_url + "ombudsman/", {**IDENTITY, "occupation": ""})
    assert incomplete.status_code == 400
    done = client.post(secret_url + "ombudsman/", IDENTITY)
    assert done.status_code == 302
    assert "ombudsman-status" in client.get(secret_url).content.decode()


def test_identity_boundary_and_observer_pages(client, users, in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    escalation = service.escalate(c, Actor.reporter(c), IDENTITY)
    client.force_login(users["liaison"])
    assert client.get(reverse("ombudsman:file", args=[escalation.pk, "pdf"])).status_code == 403
    assert "Pedagang" not in client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode()
    client.force_login(users["admin"])
    assert client.get(reverse("ombudsman:file", args=[escalation.pk, "json"])).status_code == 403
    client.force_login(users["ombudsman"])
    assert c.tracking_number in client.get(reverse("ombudsman:escalations")).content.decode()
    response = client.get(reverse("ombudsman:file", args=[escalation.pk, "pdf"]))
    assert response.status_code == 200 and "Pedagang" in pdf_text(response.content)
    client.post(reverse("ombudsman:update_state", args=[escalation.pk]), {"state": "examining"})
    escalation.refresh_from_db()
    assert escalation.state == "examining"
    assert c.events.filter(action="record_ombudsman", payload__state="examining").exists()


def test_compliance_dashboard_matches_counts(clock, client, users, submit, act):
    on_time = submit()
    act(on_time, "verify")
    act(on_time, "complete_followup")
    act(on_time, "confirm", rating=4)
    reopened = submit()
    act(reopened, "verify")
    act(reopened, "complete_followup")
    act(reopened, "dispute")
    client.force_login(users["ombudsman"])
    html = client.get(reverse("ombudsman:compliance")).content.decode()
    row = re.search(r'<tr data-opd="Dinas PUPR">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">(?:<a [^>]*>)?([^<]*)', row)
    assert cells[0] == "2"  # received
    assert cells[3] == "1"  # resolved within 60 days
    assert cells[5] == "1"  # reopened
    assert cells[6] == "4,0"  # satisfaction, written the Indonesian way
    csv_body = client.get(reverse("ombudsman:compliance") + "?format=csv").content.decode()
    assert "Dinas PUPR,2," in csv_body
    client.force_login(users["liaison"])
    assert client.get(reverse("ombudsman:compliance")).status_code == 403


def test_state_through_the_api_and_dashboard_pdf(client, users, in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    service.escalate(c, Actor.reporter(c), IDENTITY)
    url = f"/api/v1/ombudsman/escalations/{c.tracking_number}/state"
    client.force_login(users["admin"])
    assert client.post(url, {"state": "received"}, content_type="application/json").status_code == 403
    client.force_login(users["ombudsman"])
    response = client.post(
        url, {"state": "received", "message": "Nomor registrasi 0123"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "received"
    assert client.post(url, {"state": "hilang"}, content_type="application/json").status_code == 400
    assert Escalation.objects.get().state == "received"
    pdf = client.get(reverse("ombudsman:compliance") + "?format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and "Dinas PUPR" in pdf_text(pdf.content)


# --- Issue 26: the observer's page asks the policy and saves through the REST call's path -----------------


def test_the_pages_draw_what_the_policy_allows(client, users, in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    escalation = service.escalate(c, Actor.reporter(c), IDENTITY)
    form = reverse("ombudsman:update_state", args=[escalation.pk])
    sync = reverse("backoffice:lapor_sync")
    client.force_login(users["ombudsman"])
    page = client.get(reverse("ombudsman:escalations")).content.decode()
    assert form in page and reverse("ombudsman:file", args=[escalation.pk, "pdf"]) in page and sync not in page
    client.force_login(users["admin"])  # looks at the list, acts on nothing, keeps the sync page
    page = client.get(reverse("ombudsman:escalations")).content.decode()
    assert c.tracking_number in page and form not in page and sync in page


def _recorded(complaint):
    event = complaint.events.filter(action="record_ombudsman").get()
    return {
        "actor": (event.actor_id, event.actor_role, event.actor_label),
        "visibility": event.visibility,
        "message": event.message,
        "payload": event.payload,
        "status": (event.from_status, event.to_status),
        "escalation": Escalation.objects.get(complaint=complaint).state,
    }


def test_the_observer_page_and_rest_record_the_same_outcome(client, users, in_state, act):
    by_page, by_rest = in_state("followed_up"), in_state("followed_up")
    for c in (by_page, by_rest):
        act(c, "dispute")
        service.escalate(c, Actor.reporter(c), IDENTITY)
    client.force_login(users["ombudsman"])
    escalation = Escalation.objects.get(complaint=by_page)
    page = client.post(
        reverse("ombudsman:update_state", args=[escalation.pk]), {"state": "examining", "message": "Diperiksa."}
    )
    assert page.status_code == 302
    rest = client.post(
        f"/api/v1/ombudsman/escalations/{by_rest.tracking_number}/state",
        {"state": "examining", "message": "Diperiksa."},
        content_type="application/json",
    )
    assert rest.status_code == 200, rest.content
    assert _recorded(by_page) == _recorded(by_rest)
    assert _recorded(by_page)["escalation"] == "examining"


def test_a_refused_state_changes_nothing_on_the_page(client, users, in_state, act):
    c = in_state("followed_up")
    act(c, "dispute")
    escalation = service.escalate(c, Actor.reporter(c), IDENTITY)
    client.force_login(users["ombudsman"])
    client.post(reverse("ombudsman:update_state", args=[escalation.pk]), {"state": "no-such-state"})
    escalation.refresh_from_db()
    assert escalation.state != "no-such-state" and not c.events.filter(action="record_ombudsman").exists()
