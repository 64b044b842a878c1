"""SMS in (issue #27, section 3): whole exchanges through the real webhook views and the worker, answered
through the SMS channel (its outbox file), on the same inbound core as WhatsApp."""

import base64
import datetime as dt
import hashlib
import hmac
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from django.utils import timezone, translation

from sikesal.complaints import actions
from sikesal.complaints.models import Complaint, Event
from sikesal.integrations.inbound.models import Conversation, InboundMessage
from sikesal.integrations.inbound.processing import expire_conversations
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.channels.sms import is_gsm7
from sikesal.integrations.sms.views import twilio_signature
from tests.inbound.conftest import SmsGateway, run_worker

REPORT = "LAPOR Lampu jalan mati sejak seminggu di depan masjid, Kelurahan Sungai Putri"


def sms():
    return channels.get("sms")


@pytest.mark.django_db(transaction=True)
def test_lapor_files_one_report_by_sms_and_the_short_receipt_fits_one_sms(sms_phone):
    sms_phone.say(REPORT)
    c = Complaint.objects.get()
    assert c.channel == "sms" and c.area.name == "Sungai Putri" and c.reporter.phone == "+6281234567890"
    assert c.body == "Lampu jalan mati sejak seminggu di depan masjid, Kelurahan Sungai Putri"
    assert not c.is_anonymous and not c.is_secret
    (receipt,) = sms_phone.answers()  # the conversation's receipt only: no second one from the notifications
    assert c.tracking_number in receipt and "/pelapor/" in receipt
    assert sms().parts(receipt) == 1, receipt


@pytest.mark.django_db(transaction=True)
def test_the_same_message_id_delivered_twice_files_once(sms_phone):
    assert sms_phone.post(REPORT, message_id="gw-77").status_code == 200
    assert sms_phone.post(REPORT, message_id="gw-77").status_code == 200
    run_worker()
    assert sms_phone.post(REPORT, message_id="gw-77").status_code == 200
    run_worker()
    assert Complaint.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert len(sms_phone.answers()) == 1


@pytest.mark.django_db(transaction=True)
def test_without_a_kelurahan_it_is_asked_for_and_a_kecamatan_gives_its_numbered_list(sms_phone):
    sms_phone.say("lapor anonim Got mampet di depan sekolah, air meluap ke jalan tiap hujan")
    assert Complaint.objects.count() == 0
    assert "kelurahan" in sms_phone.answers()[-1].lower()
    sms_phone.say("Kecamatan Danau Sipin")
    listing = sms_phone.answers()[-1]
    assert "1. Legok" in listing and is_gsm7(listing)
    sms_phone.say("1")
    c = Complaint.objects.get()
    assert c.area.name == "Legok" and c.is_anonymous and c.channel == "sms"
    assert c.tracking_number in sms_phone.answers()[-1]


@pytest.mark.django_db(transaction=True)
def test_a_kelurahan_answered_by_name_or_skipped_files_the_report(sms_phone, client, settings):
    sms_phone.say("LAPOR Sampah menumpuk di pinggir jalan dekat pasar sudah tiga hari")
    sms_phone.say("kel. Tengah")  # a one-word name that is also a common word: fine as an answer
    assert Complaint.objects.get().area.name == "Tengah"
    other = SmsGateway(client, settings, sms_phone.outbox, "+6281299990000")
    other.say("Report There is a broken water pipe near the school, leaking for days")
    assert "kelurahan" in other.answers()[-1].lower() and "lewati" in other.answers()[-1]
    other.say("skip")
    c = Complaint.objects.get(reporter__phone="+6281299990000")
    assert c.area is None and c.reporter.language == "en"


@pytest.mark.django_db(transaction=True)
def test_a_message_without_a_keyword_gets_the_keywords_in_one_sms(sms_phone):
    sms_phone.say("halo pak")
    (help_text,) = sms_phone.answers()
    assert "LAPOR" in help_text and "CEK" in help_text and "BALAS" in help_text
    assert sms().parts(help_text) == 1 and Complaint.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_cek_answers_the_status_in_one_gsm7_sms(sms_phone):
    sms_phone.say(REPORT)
    number = Complaint.objects.get().tracking_number
    sms_phone.say(f"cek {number.lower()}")
    status = sms_phone.answers()[-1]
    assert number in status and "Diterima" in status
    assert len(status) <= 160 and sms().length(status) == len(status) and sms().parts(status) == 1


@pytest.mark.django_db(transaction=True)
def test_balas_from_the_reporters_number_is_a_comment_and_from_another_is_refused(sms_phone, client, settings):
    sms_phone.say(REPORT)
    c = Complaint.objects.get()
    stranger = SmsGateway(client, settings, sms_phone.outbox, "+6281377778888")
    stranger.say(f"BALAS {c.tracking_number} Ini bukan laporan saya")
    assert not Event.objects.filter(complaint=c, action="comment").exists()
    assert "Hanya" in stranger.answers()[-1]
    sms_phone.say(f"Balas {c.tracking_number} Lampunya sekarang berkedip-kedip")
    comment = Event.objects.get(complaint=c, action="comment")
    assert comment.message == "Lampunya sekarang berkedip-kedip" and comment.actor_role == "citizen"
    assert c.tracking_number in sms_phone.answers()[-1]


@pytest.mark.django_db
def test_unauthenticated_or_malformed_gateway_posts_are_refused_and_nothing_is_stored(sms_phone, client):
    assert sms_phone.post(REPORT, secret="tebakan").status_code == 403
    assert client.post("/webhooks/sms/", {"from": "+6281234567890", "id": "x", "text": REPORT}).status_code == 403
    bad = client.post(
        "/webhooks/sms/", {"from": "+6281234567890", "text": REPORT}, HTTP_AUTHORIZATION="Bearer sikesal-demo-sms"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed"
    assert InboundMessage.objects.count() == 0


def test_the_twilio_signature_is_the_documented_one():
    # The example of Twilio's documentation ("Validating requests"), as its libraries test it.
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234"}
    form = QueryDict(mutable=True)
    form.update({**params, "From": "+12349013030", "To": "+18005551212"})
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, form) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def twilio_post(client, settings, form, signature=None):
    url = settings.SITE_URL.rstrip("/") + "/webhooks/sms/twilio/"
    data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    good = base64.b64encode(hmac.new(b"twilio-token", data.encode(), hashlib.sha1).digest()).decode()
    return client.post("/webhooks/sms/twilio/", form, HTTP_X_TWILIO_SIGNATURE=signature or good)


@pytest.mark.django_db(transaction=True)
def test_twilio_posts_signed_with_the_auth_token_file_and_forged_ones_are_refused(client, settings, outbox, catalogue):
    settings.SIKESAL_SMS_TWILIO_AUTH_TOKEN = "twilio-token"
    form = {"MessageSid": "SM0001", "AccountSid": "AC1", "From": "+6281234567890", "To": "+6281100001708"}
    form["Body"] = REPORT
    forged = twilio_post(client, settings, form, signature="0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert forged.status_code == 403
    assert client.post("/webhooks/sms/twilio/", form).status_code == 403  # unsigned
    assert InboundMessage.objects.count() == 0
    ok = twilio_post(client, settings, form)
    assert ok.status_code == 200 and b"<Response>" in ok.content
    run_worker()
    c = Complaint.objects.get()
    assert c.channel == "sms" and c.reporter.phone == "+6281234567890"
    settings.SIKESAL_SMS_TWILIO_AUTH_TOKEN = ""  # unset: closed, whatever the signature
    assert twilio_post(client, settings, {**form, "MessageSid": "SM0002"}).status_code == 403


@pytest.mark.parametrize("site_url", ["http://127.0.0.1:8000", "https://pengaduan.jambikota.go.id"])
def test_every_reporter_notification_on_sms_takes_at_most_two_parts_and_the_receipt_is_short(site_url):
    complaint = SimpleNamespace(tracking_number="JBI-2611-AB2C")
    with translation.override("id"):
        for action, spec in actions.ACTIONS.items():
            if not spec.tells_reporter:
                continue
            ask = str(spec.asks_reporter) % {
                "due": "12 Desember 2026",
                "target": "JBI-2611-XY7Z",
                "ombudsman": "Sedang diperiksa",
            }
            context = {"complaint": complaint, "label": spec.label, "status": "Diterima", "ask": ask}
            context |= {"track_url": f"{site_url}/lacak/JBI-2611-AB2C/", "account_url": f"{site_url}/masuk/"}
            text = sms().render(context).body
            assert sms().parts(text) <= 2 and sms().length(text) == len(text), (action, text)
            assert "JBI-2611-AB2C" in text and text.endswith(f"{site_url}/masuk/")
            if action == "submit":  # was 351 characters in 6 UCS-2 parts
                assert len(text) <= 200 and "Simpan nomor pelacakan Anda." in text


def test_the_part_count_follows_gsm7_and_ucs2():
    assert [sms().parts(t) for t in ("a" * 160, "a" * 161, "a" * 306, "a" * 307)] == [1, 2, 2, 3]
    assert [sms().parts(t) for t in ("ä" * 160, "€" * 80, "é" * 70 + "😀")] == [1, 1, 2]


def test_deploy_checks_warn_while_the_sms_or_mail_secret_is_the_public_demo_value(settings):
    from sikesal.core.checks import inbound_secrets_set

    settings.DEBUG = False
    (warning,) = inbound_secrets_set()
    assert warning.id == "sikesal.W002" and "SIKESAL_SMS_INBOUND_SECRET" in warning.msg
    settings.SIKESAL_SMS_INBOUND_SECRET = "9c2f5e0a7b1d4c3e8f6a"
    assert "SIKESAL_EMAIL_INBOUND_SECRET" in inbound_secrets_set()[0].msg
    settings.SIKESAL_EMAIL_INBOUND_SECRET = "4e1b7a9c0d2f3e5a6b8c"
    assert inbound_secrets_set() == []


@pytest.mark.django_db(transaction=True)
def test_a_blocked_senders_sms_report_is_filed_held_for_the_admin_and_answered_as_any_other(sms_phone, users):
    from sikesal.complaints import senders

    entry = senders.add("phone", "081234567890", "Laporan iseng berulang", by=users["admin"])
    sms_phone.say(REPORT)
    c = Complaint.objects.get()
    assert c.held_by_id == entry.pk  # kept and marked, in the admin's "diblokir" queue
    assert c.tracking_number in sms_phone.answers()[-1]  # the same neutral receipt


@pytest.mark.django_db(transaction=True)
def test_a_flood_from_one_number_is_kept_and_marked_but_not_answered(sms_phone, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "messages_per_sender_per_minute": 2}
    for text in ("halo", "halo lagi", "halo terus"):
        sms_phone.say(text)
    assert InboundMessage.objects.count() == 3  # nothing lost
    limited = InboundMessage.objects.filter(error__startswith="limited")
    assert limited.count() == 1 and limited.get().content["text"] == "halo terus"
    assert len(sms_phone.answers()) == 2  # the third is not answered


@pytest.mark.django_db(transaction=True)
def test_a_report_still_waiting_for_its_kelurahan_is_filed_when_the_conversation_expires(clock, sms_phone):
    text = "Lampu jalan padam sepanjang gang depan musala sudah seminggu, gelap sekali"
    sms_phone.say(f"LAPOR anonim {text}")
    assert Complaint.objects.count() == 0  # waits for the kelurahan
    clock.shift(dt.timedelta(minutes=61))
    expire_conversations.call()
    c = Complaint.objects.get()
    assert c.body == text and c.area is None and c.is_anonymous and c.channel == "sms"
    note, receipt = sms_phone.answers()[-2:]
    assert "kelurahan" in note.lower() and c.tracking_number in receipt and "/pelapor/" in receipt
    assert not Conversation.objects.exists()
    expire_conversations.call()  # nothing left to expire: filed once
    assert Complaint.objects.count() == 1 and len(sms_phone.answers()) == 3


@pytest.mark.django_db(transaction=True)
def test_the_next_message_after_the_wait_files_the_waiting_report_first(clock, sms_phone):
    sms_phone.say("LAPOR Got mampet di depan sekolah, air meluap ke jalan tiap hujan turun")
    clock.shift(dt.timedelta(minutes=61))
    sms_phone.at = int(timezone.now().timestamp())  # the citizen writes again an hour later
    sms_phone.say("halo")
    c = Complaint.objects.get()
    assert c.area is None and c.body.startswith("Got mampet")
    note, receipt, help_text = sms_phone.answers()[-3:]
    assert "kelurahan" in note.lower() and c.tracking_number in receipt and "LAPOR" in help_text
