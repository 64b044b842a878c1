"""E-mail in (issue #27, section 3): mails posted raw (RFC 822) to the city's mailbox webhook, handled by the
worker on the same inbound core as WhatsApp and SMS, answered by mail in the citizen's thread."""

import io

import pytest
from django.core import mail as sent_mail
from PIL import Image

from sikesal.complaints.models import Complaint, Event
from sikesal.integrations.inbound.models import InboundMessage, OutboundMessage
from sikesal.integrations.mailbox.mail import without_quoted
from tests.inbound.conftest import mail, post_mail, run_worker

CITIZEN = "Rina Wulandari <rina@Warga.Example>"
TEXT = "Lampu jalan di depan SD 47 mati sejak seminggu, gelap sekali malam hari. Kelurahan Sungai Putri."


def send(client, settings, message):
    response = post_mail(client, settings, message)
    assert response.status_code == 200, response.content
    run_worker()
    return response


def to(address):
    return [m for m in sent_mail.outbox if m.to == [address]]


@pytest.mark.django_db(transaction=True)
def test_a_new_mail_with_a_jpeg_files_a_report_with_the_photo_without_exif(client, settings, catalogue, jpeg_with_exif):
    assert Image.open(io.BytesIO(jpeg_with_exif)).getexif()
    new = mail(CITIZEN, "Lampu jalan mati", TEXT, attachments=[("lampu.jpg", jpeg_with_exif, "image", "jpeg")])
    send(client, settings, new)
    c = Complaint.objects.get()
    assert (c.channel, c.title, c.area.name) == ("email", "Lampu jalan mati", "Sungai Putri")
    assert c.body == TEXT and c.reporter.email == "rina@warga.example" and c.reporter.name == "Rina Wulandari"
    (attachment,) = c.attachments.all()
    stored = Image.open(attachment.file.open("rb"))
    assert stored.size == (64, 48) and not stored.getexif()
    (receipt,) = to("rina@warga.example")  # the conversation's receipt only
    assert c.tracking_number in receipt.body and "/pelapor/" in receipt.body
    assert receipt.subject == f"Re: Lampu jalan mati [{c.tracking_number}]"
    assert receipt.extra_headers["In-Reply-To"] == new["Message-ID"]
    assert OutboundMessage.objects.get(external_id=receipt.extra_headers["Message-ID"]).complaint == c
    assert not any(p for p in InboundMessage.objects.get().content["media"] if _exists(p["path"]))


def _exists(path):
    from django.core.files.storage import default_storage

    return default_storage.exists(path)


@pytest.mark.django_db(transaction=True)
def test_the_same_message_id_twice_files_once(client, settings, catalogue):
    new = mail(CITIZEN, "Lampu jalan mati", TEXT, message_id="<sama@warga.example>")
    assert post_mail(client, settings, new).status_code == 200
    assert post_mail(client, settings, new).json()["taken"] is False
    run_worker()
    send(client, settings, new)
    assert Complaint.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert len(to("rina@warga.example")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_our_mail_is_the_reporters_comment_without_the_quoted_history(client, settings, catalogue, act):
    send(client, settings, mail(CITIZEN, "Lampu jalan mati", TEXT))
    c = Complaint.objects.get()
    act(c, "verify")
    run_worker()
    notification = to("rina@warga.example")[-1]  # the notification of the verification, through notify
    our_id = notification.extra_headers["Message-ID"]
    assert OutboundMessage.objects.get(external_id=our_id).complaint == c
    reply = "Lampunya sekarang mati total.\n\nPada Sen, 7 Des 2026 pukul 09.00 SIKESAL <sikesal@jambikota.go.id>\nmenulis:\n> Laporan diverifikasi\n> lama"
    send(client, settings, mail(CITIZEN, "Re: " + notification.subject, reply, reply_to=our_id))
    comment = Event.objects.get(complaint=c, action="comment")
    assert comment.message == "Lampunya sekarang mati total."
    assert Complaint.objects.count() == 1
    assert c.tracking_number in to("rina@warga.example")[-1].body


@pytest.mark.django_db(transaction=True)
def test_a_stranger_replying_about_someone_elses_report_is_refused(client, settings, catalogue):
    send(client, settings, mail(CITIZEN, "Lampu jalan mati", TEXT))
    c = Complaint.objects.get()
    receipt_id = to("rina@warga.example")[-1].extra_headers["Message-ID"]
    stranger = "Orang Lain <iseng@contoh.example>"
    send(client, settings, mail(stranger, "Re: Lampu jalan mati", "Ini bukan laporan saya.", reply_to=receipt_id))
    send(client, settings, mail(stranger, f"Tentang {c.tracking_number}", "Saya ikut membalas laporan ini."))
    assert not Event.objects.filter(complaint=c, action="comment").exists()
    refusals = to("iseng@contoh.example")
    assert len(refusals) == 2 and all("Hanya" in m.body for m in refusals)
    assert Complaint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_a_kelurahan_the_mail_is_answered_with_the_question_and_the_reply_files_it(client, settings, catalogue):
    first = mail(CITIZEN, "Got mampet", "Got mampet di depan sekolah, air meluap ke jalan setiap kali hujan deras.")
    send(client, settings, first)
    assert Complaint.objects.count() == 0
    question = to("rina@warga.example")[-1]
    assert "kelurahan" in question.body.lower()
    answer = mail(
        CITIZEN, question.subject, "Legok\n\n> Di kelurahan mana?", reply_to=question.extra_headers["Message-ID"]
    )
    send(client, settings, answer)
    c = Complaint.objects.get()
    assert c.area.name == "Legok" and c.title == "Got mampet"


@pytest.mark.django_db
def test_unauthenticated_malformed_and_automatic_mail_store_nothing(client, settings, catalogue):
    new = mail(CITIZEN, "Lampu jalan mati", TEXT)
    assert post_mail(client, settings, new, secret="tebakan").status_code == 403
    unsigned = client.post("/webhooks/email/", new.as_bytes(), content_type="message/rfc822")
    assert unsigned.status_code == 403
    garbage = client.post(
        "/webhooks/email/", b"bukan surat", content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer sikesal-demo-mail"
    )
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "malformed"
    auto = mail(CITIZEN, "Out of office", "Saya sedang cuti.", headers={"Auto-Submitted": "auto-replied"})
    assert post_mail(client, settings, auto).json()["taken"] is False
    assert InboundMessage.objects.count() == 0


def test_quoted_history_is_cut_in_both_languages():
    english = "Still broken.\n\nOn Mon, 7 Dec 2026 at 09:00, SIKESAL <s@x.id> wrote:\n> old"
    folded = "Masih rusak.\nPada Sen, 7 Des 2026 09.00, SIKESAL\n<s@x.id> menulis:\n> lama"
    inline = "Tambahan:\n> kutipan\nfoto menyusul"
    assert without_quoted(english) == "Still broken."
    assert without_quoted(folded) == "Masih rusak."
    assert without_quoted(inline) == "Tambahan:\nfoto menyusul"
