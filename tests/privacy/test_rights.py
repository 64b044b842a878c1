"""Each right of the data subject end to end, as the citizen and as the DPO (UU PDP; docs/privacy.md)."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.urls import reverse

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints.models import Complaint, Reporter
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify.models import Notification
from sikesal.privacy.models import DataRequest, Restriction
from tests.privacy.conftest import run_worker


def held(client):
    response = client.get(reverse("privacy:mine_json"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    return json.loads(response.content)


def ask(client, kind, report="", detail=""):
    return client.post(reverse("privacy:ask"), {"kind": kind, "report": report, "detail": detail})


def decide(dpo, data_request, outcome, reason):
    return dpo.post(reverse("privacy_office:request", args=[data_request.pk]), {"outcome": outcome, "reason": reason})


@pytest.mark.django_db(transaction=True)  # the worker sends the messages
def test_the_citizen_sees_and_downloads_everything_held_about_them(budi, office, users):
    first, second = budi["mine"]
    run_worker()  # the receipts go out
    office("admin").get(reverse("backoffice:report", args=[first.tracking_number]))  # the admin sees who Budi is
    InboundMessage.objects.create(
        channel="email", external_id="m-1", sender="budi@example.com", sent_at=first.submitted_at,
        content={"text": "Kapan lubangnya ditambal?"}, raw={},
    )  # fmt: skip

    data = held(budi["client"])
    numbers = [r["tracking_number"] for r in data["reports"]]
    assert sorted(numbers) == sorted([first.tracking_number, second.tracking_number])  # not Sari's
    assert data["reports"][0]["reporter"] == {
        "name": "Budi Santoso", "phone": "081234567890", "email": "budi@example.com", "nik": ""
    }  # fmt: skip
    assert {(m["report"], m["to"]) for m in data["messages_sent"]} >= {
        (first.tracking_number, "budi@example.com"), (second.tracking_number, "budi@example.com")
    }  # fmt: skip
    assert [m["text"] for m in data["messages_received"]] == ["Kapan lubangnya ditambal?"]
    (seen,) = data["identity_seen_by"]
    assert seen["report"] == first.tracking_number and seen["who"] == "admin"
    assert "Sari" not in json.dumps(data)

    page = budi["client"].get(reverse("privacy:mine")).content.decode()
    assert first.tracking_number in page and "Budi Santoso" in page and "Kapan lubangnya ditambal?" in page
    assert budi["theirs"].tracking_number not in page
    # each look at the copy is itself on the record the DPO reads
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.SUBJECT_ACCESS).count() == 2


def test_the_citizen_corrects_their_contacts_on_every_report(budi):
    client = budi["client"]
    bad = client.post(reverse("privacy:correct"), {"name": "Budi", "phone": "12", "email": "budi@example.com"})
    assert bad.status_code == 400
    assert set(Reporter.objects.filter(user__username="warga:budi@example.com").values_list("phone", flat=True)) == {
        "081234567890"
    }
    response = client.post(
        reverse("privacy:correct"), {"name": "Budi S.", "phone": "0813 1111 2222", "email": "budi@example.com"}
    )
    assert response.status_code == 302
    mine = Reporter.objects.filter(complaint__in=budi["mine"])
    assert {(r.name, r.phone) for r in mine} == {("Budi S.", "081311112222")}
    assert budi["theirs"].reporter.phone == "081298765432"  # Sari's untouched
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.SUBJECT_RECTIFY)
    assert entry.detail == {"fields": ["name", "phone"]} and "0813" not in json.dumps(entry.detail)


@pytest.mark.django_db(transaction=True)  # the worker sends the messages
def test_restriction_is_queued_with_its_clock_decided_audited_told_and_holds_updates(budi, office, clock, act):
    from tests.conftest import T0

    first = budi["mine"][0]
    assert ask(budi["client"], "restriction", first.tracking_number, "Jangan kirim kabar lagi.").status_code == 302
    data_request = DataRequest.objects.get()
    assert (data_request.received_at, data_request.due_at) == (T0, T0 + dt.timedelta(hours=72))

    dpo = office()
    queue = dpo.get(reverse("privacy_office:queue")).content.decode()
    assert f'class="" data-request="{data_request.pk}"' in queue  # in time: not red
    clock.shift(72 * 3600 + 1)
    dpo = office()  # a new session: the staff's ended meanwhile
    queue = dpo.get(reverse("privacy_office:queue")).content.decode()
    assert f'class="late" data-request="{data_request.pk}"' in queue  # past 3 x 24 hours: red

    assert decide(dpo, data_request, "done", "").status_code == 302  # no reason: nothing decided
    assert DataRequest.objects.get().status == DataRequest.Status.OPEN
    mail.outbox.clear()
    decide(dpo, data_request, "done", "Kabar selain jawaban akhir tidak dikirim lagi.")
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.DONE and data_request.told_at is not None
    assert Restriction.objects.filter(reporter=first.reporter).exists()
    assert not Restriction.objects.filter(reporter=budi["mine"][1].reporter).exists()  # only the one asked for
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.REQUEST_DONE)
    assert entry.complaint_id == first.pk and entry.user.username == "dpo"
    (told,) = mail.outbox
    assert told.to == ["budi@example.com"] and "Kabar selain jawaban akhir tidak dikirim lagi." in told.body

    # an update the procedure does not require is held; the final answer still goes
    act(first, "verify")
    act(first, "complete_followup")
    run_worker()
    states = dict(
        Notification.objects.filter(event__complaint=first, to="budi@example.com").values_list("event__action", "state")
    )
    assert states["verify"] == Notification.State.HELD
    assert states["complete_followup"] == Notification.State.SENT


def test_an_objection_refused_with_its_reason_is_audited_and_told(budi, office):
    ask(budi["client"], "objection", detail="Saya keberatan laporan saya diteruskan ke SP4N-LAPOR!.")
    data_request = DataRequest.objects.get()
    assert data_request.complaint is None  # all his reports
    mail.outbox.clear()
    decide(office(), data_request, "refused", "Penerusan ke SP4N-LAPOR! diwajibkan Perpres 76/2013.")
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.REFUSED
    assert AuditEntry.objects.get(kind=AuditEntry.Kind.REQUEST_REFUSED).reason.startswith("Penerusan")
    assert "Perpres 76/2013" in mail.outbox[-1].body
    page = budi["client"].get(reverse("privacy:mine")).content.decode()
    assert "Perpres 76/2013" in page  # the citizen reads the outcome on their page too
    # a decided request is not decided again
    decide(office(), data_request, "done", "x")
    assert DataRequest.objects.get().status == DataRequest.Status.REFUSED


def test_erasure_anonymises_the_reporter_and_keeps_the_public_record(budi, office, act):
    first, second = budi["mine"]
    act(first, "verify")
    ask(budi["client"], "erasure", first.tracking_number)
    mail.outbox.clear()
    decide(office(), DataRequest.objects.get(), "done", "Identitas Anda sudah dihapus dari laporan ini.")
    first.refresh_from_db()
    assert Complaint.objects.filter(pk=first.pk, status=first.status).exists()  # the report and its work stay
    reporter = Reporter.objects.get(complaint=first)
    assert (reporter.name, reporter.phone, reporter.email, reporter.user) == ("", "", "", None)
    assert Reporter.objects.get(complaint=second).name == "Budi Santoso"  # only the report asked for
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.ANONYMISE, user__username="dpo").exists()
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.REQUEST_DONE).exists()
    assert mail.outbox[-1].to == ["budi@example.com"]  # told, on the contact read before it was erased
    assert (
        first.tracking_number
        in budi["client"].get(reverse("portal:report_detail", args=[first.tracking_number])).content.decode()
    )


def test_a_request_names_only_the_citizens_own_report(budi):
    assert ask(budi["client"], "erasure", budi["theirs"].tracking_number).status_code == 302
    assert ask(budi["client"], "forget-me").status_code == 302
    assert not DataRequest.objects.exists()


def test_the_citizens_pages_are_the_citizens(budi, office, client):
    from django.test import Client

    assert Client().get(reverse("privacy:mine"))["Location"] == reverse("portal:login")
    assert Client().get(reverse("privacy:mine_json"))["Location"] == reverse("portal:login")
    assert office("admin").get(reverse("privacy:mine"))["Location"] == reverse("portal:login")
    assert Client().get(reverse("privacy:notice")).status_code == 200


@pytest.mark.parametrize("name", ["admin", "liaison", "officer", "head", "executive", "ombudsman", "desk", "citizen"])
def test_only_the_dpo_opens_the_privacy_office(office, users, name):
    from sikesal.privacy.models import Breach

    breach = Breach.objects.create(found_at="2026-11-02T02:00Z", what="x", affected=1, recorded_by=users["dpo"])
    request = DataRequest.objects.create(
        user=users["citizen"], kind="erasure", received_at="2026-11-02T02:00Z", due_at="2026-11-05T02:00Z"
    )
    pages = [
        reverse("privacy_office:queue"),
        reverse("privacy_office:request", args=[request.pk]),
        reverse("privacy_office:audit"),
        reverse("privacy_office:breaches"),
        reverse("privacy_office:breach_letters", args=[breach.pk]),
        reverse("privacy_office:records"),
    ]
    other = office(name)
    for page in pages:
        assert other.get(page).status_code == 403, (name, page)
    assert decide(other, request, "done", "x").status_code == 403
    assert DataRequest.objects.get().status == DataRequest.Status.OPEN
    dpo = office()
    for page in pages:
        assert dpo.get(page).status_code == 200, page


def test_a_citizen_cannot_flood_the_dpo_with_requests(budi):
    from sikesal.privacy.views_citizen import REQUESTS_PER_DAY

    for _ in range(REQUESTS_PER_DAY + 3):
        ask(budi["client"], "objection", detail="Keberatan.")
    assert DataRequest.objects.count() == REQUESTS_PER_DAY
