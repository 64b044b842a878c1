"""Anonymisation removes the reporter from every table and file, keeps the public record and the statistics,
and does it once."""

import os

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import lifecycle, submission
from sikesal.complaints.models import Attachment, Complaint, Reporter
from sikesal.complaints.policy import Actor
from sikesal.integrations.inbound.models import InboundMessage, OutboundMessage
from sikesal.integrations.notify.models import Notification
from sikesal.portal.statistics import compute as statistics
from sikesal.privacy.anonymise import anonymise_reporters, anonymise_reports, mask, name_pattern
from tests.complaints.test_intake import jpeg_with_gps
from tests.conftest import report_data

NAME, PHONE, EMAIL = "Budi Santoso", "081234567890", "budi@example.com"
NEEDLES = (NAME.lower(), "santoso", PHONE, "+6281234567890", "6281234567890", EMAIL, "3571012345678901")


def run_worker():
    call_command("worker", batch=True, no_scheduler=True, interval=0)


def leftovers(*needles):
    """Every (table, column value) in the database that still holds one of `needles`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own tables
            for row in cursor.fetchall():
                for value in row:
                    text = bytes(value).decode("latin-1") if isinstance(value, (bytes, memoryview)) else str(value)
                    found += [(table, text[:80]) for n in needles if n in text.lower()]
    return found


@pytest.fixture
def closed_report(catalogue, actors, opd):
    """A report naming its reporter in its text, with a photo, notifications sent, a WhatsApp answer and an
    OPD's photo of the work, closed by the reporter."""
    data = report_data(
        body=f"Saya {NAME} (NIK 3571012345678901), hubungi {PHONE} atau {EMAIL}. Lubang besar di depan rumah.",
        reporter={"name": NAME, "phone": PHONE, "email": EMAIL},
    )
    c = submission.submit(Actor.system("test"), data, [("saya.jpg", jpeg_with_gps())]).complaint
    now = timezone.now()
    lifecycle.transition(c, "verify", actors["admin"], now=now, institution=opd.pk)
    lifecycle.transition(
        c, "complete_followup", actors["liaison"], now=now, message=f"Pak {NAME} sudah kami hubungi.",
        files=[("hasil.jpg", jpeg_with_gps())],
    )  # fmt: skip
    lifecycle.transition(c, "confirm", Actor.reporter(c), now=now, rating=5)
    inbound = InboundMessage.objects.create(
        channel="whatsapp", external_id="wamid.1", sender="6281234567890", sent_at=now,
        content={"text": f"cek {c.tracking_number}"}, raw={"from": "6281234567890", "profile": {"name": NAME}},
    )  # fmt: skip
    OutboundMessage.objects.create(
        channel="whatsapp", to="6281234567890", body=f"Halo {NAME}", complaint=c, reply_to=inbound
    )
    run_worker()
    # A bounce names the address it could not reach, as mail servers write it; the platform's refusal too.
    Notification.objects.filter(event__complaint=c, to=EMAIL).update(
        state="failed", last_error=f"email: 550 5.1.1 <{EMAIL}>: mailbox unavailable"
    )
    OutboundMessage.objects.filter(complaint=c).update(error=f"131026: {PHONE} cannot receive messages")
    c.refresh_from_db()
    return c


@pytest.mark.django_db(transaction=True)
def test_anonymisation_removes_the_reporter_from_every_table_and_keeps_the_public_record(closed_report, client):
    c = closed_report
    assert leftovers(*NEEDLES), "the fixture should hold the reporter's data everywhere"
    assert Notification.objects.filter(event__complaint=c, to=EMAIL).exists()
    opd_file = Attachment.objects.get(complaint=c, event__action="complete_followup").file.name
    own_file = Attachment.objects.filter(complaint=c).exclude(file=opd_file).get().file
    own_path = own_file.path
    figures = {k: v for k, v in statistics().items() if k != "computed_at"}
    page = client.get(f"/laporan/{c.tracking_number}/")
    assert page.status_code == 200

    counts = anonymise_reports([c.pk], reason="retention test")

    assert leftovers(*NEEDLES) == []
    assert counts.reports == 1 and counts.attachments == 1
    assert not Attachment.objects.filter(file=own_file.name).exists()
    assert not os.path.exists(own_path)  # the reporter's photo is gone from the disk
    assert Attachment.objects.filter(file=opd_file).exists()  # the OPD's work stays
    c.refresh_from_db()
    assert c.anonymised_at and c.status == "closed_reporter" and c.institution_id and c.rating == 5
    assert "[nama]" in c.body and "[telepon]" in c.body and "[email]" in c.body and "[nomor]" in c.body
    assert "Lubang besar di depan rumah" in c.body
    assert {k: v for k, v in statistics().items() if k != "computed_at"} == figures
    after = client.get(f"/laporan/{c.tracking_number}/")
    assert after.status_code == 200 and c.tracking_number in after.content.decode()
    assert "Lubang besar" in after.content.decode()
    assert AuditEntry.objects.filter(kind="anonymise", complaint=c).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_run_changes_nothing(closed_report):
    first = anonymise_reports(Complaint.objects.filter(pk=closed_report.pk), reason="first")
    body = Complaint.objects.get(pk=closed_report.pk).body
    second = anonymise_reports(Complaint.objects.filter(pk=closed_report.pk), reason="second")
    assert (first.reports, second.reports) == (1, 0)
    assert Complaint.objects.get(pk=closed_report.pk).body == body


@pytest.mark.django_db(transaction=True)
def test_erasure_of_a_reporter_also_forgets_their_messages_and_account(closed_report, users):
    from sikesal.accounts.models import User, citizen_username

    account = User.objects.create(username=citizen_username(PHONE), phone=PHONE, email=EMAIL, first_name="Budi")
    Reporter.objects.filter(complaint=closed_report).update(user=account)
    InboundMessage.objects.create(
        channel="sms", external_id="sms-9", sender="+6281234567890", sent_at=timezone.now(),
        content={"text": "halo"}, raw={"from": "+6281234567890"},
    )  # fmt: skip
    counts = anonymise_reporters(
        Reporter.objects.filter(complaint=closed_report).values_list("pk", flat=True),
        actor=users["admin"],
        reason="Permintaan penghapusan",
    )
    assert leftovers(*NEEDLES) == []
    assert counts.accounts == 1 and not User.objects.get(pk=account.pk).is_active
    assert not InboundMessage.objects.filter(sender__contains="81234567890").exists()
    entry = AuditEntry.objects.get(kind="anonymise")
    assert entry.user == users["admin"] and entry.detail["reporters"] == 1


def test_the_mask_keeps_the_complaint_and_removes_the_person():
    names = name_pattern("Siti Aminah")
    text = "Ibu siti aminah (0812-3456-7890, siti@mail.id, NIK 1571020304050001) melapor: got RT 05 tersumbat."
    assert mask(text, names) == "Ibu [nama] ([telepon], [email], NIK [nomor]) melapor: got RT 05 tersumbat."
    assert mask("Aminah dan Aminahwati", names) == "[nama] dan Aminahwati"  # whole words only
    assert mask("Lampu mati sejak 12-05-2024 pukul 19.00", None) == "Lampu mati sejak 12-05-2024 pukul 19.00"
    assert name_pattern("Al", "") is None  # too short to look for
