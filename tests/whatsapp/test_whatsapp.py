"""WhatsApp, two-way: whole conversations driven by signed Cloud API webhook deliveries through Django, the
worker answering through a real Cloud API on loopback (conftest.py)."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from PIL import Image

from sikesal.catalogue.models import Area, AreaLevel
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.states import Status
from sikesal.core.workers import requeue_orphans
from sikesal.integrations.inbound import lookups
from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage
from sikesal.integrations.inbound.processing import (
    SENDING_LEASE,
    Sending,
    _send,
    drain,
    expire_conversations,
    handle_pending,
    send_answers,
)
from sikesal.integrations.notify.models import Notification
from tests.whatsapp.conftest import Phone, delivery, run_worker, sign

NUMBER = "6281234567890"  # as WhatsApp writes the citizen's number
DESCRIPTION = "Jalan berlubang besar di depan Pasar Angso Duo, sudah dua minggu, motor sering jatuh."
KELURAHAN = "15.71.08.1004"


def numbered(area, level, parent=None):
    """The number a citizen replies with to choose `area` in our list."""
    options = Area.objects.filter(level=level, **({"parent_id": parent} if parent else {})).order_by("name")
    return str([a.code for a in options].index(area) + 1)


def file_by_list(phone, privacy="1"):
    kelurahan = Area.objects.get(pk=KELURAHAN)
    phone.say(
        "Halo",
        DESCRIPTION,
        numbered(kelurahan.parent_id, AreaLevel.KECAMATAN),
        numbered(KELURAHAN, AreaLevel.KELURAHAN, kelurahan.parent_id),
        "lewati",
        privacy,
        "ya",
    )
    return Complaint.objects.get()


# --- The webhook's door --------------------------------------------------------------------------------


def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(client, settings):
    ok = client.get(
        "/webhooks/whatsapp/",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": settings.SIKESAL_WHATSAPP_VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.content == b"1158201444" and ok["Content-Type"].startswith("text/plain")
    bad = client.get(
        "/webhooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "tebakan", "hub.challenge": "1158201444"}
    )
    assert bad.status_code == 403 and b"1158201444" not in bad.content


@pytest.mark.django_db
def test_forged_or_unsigned_deliveries_are_refused_and_nothing_is_stored(client, settings, catalogue):
    phone = Phone(client, settings, NUMBER)
    payload = delivery([phone.text(DESCRIPTION)])
    body = json.dumps(payload).encode()
    assert phone.post(payload, signature=sign(body, "bukan-rahasia-kami")).status_code == 403
    assert client.post("/webhooks/whatsapp/", body, content_type="application/json").status_code == 403
    tampered = json.dumps(delivery([phone.text("Laporan palsu atas nama orang lain, dua puluh huruf.")])).encode()
    signature = sign(body, settings.SIKESAL_WHATSAPP_APP_SECRET)
    response = client.post(
        "/webhooks/whatsapp/", tampered, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_signed_delivery_that_is_not_json_gets_a_structured_400(client, settings):
    body = b"{not json"
    response = client.post(
        "/webhooks/whatsapp/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(body, settings.SIKESAL_WHATSAPP_APP_SECRET),
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed"
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_control_characters_are_dropped_before_anything_is_stored(client, settings, catalogue):
    phone = Phone(client, settings, NUMBER)
    (message,) = phone.send(phone.text("Jalan\u0000 rusak\u0007 parah di depan pasar sejak lama."))
    stored = InboundMessage.objects.get(external_id=message["id"])
    assert stored.content["text"] == "Jalan rusak parah di depan pasar sejak lama."
    assert "\u0000" not in json.dumps(stored.raw) and stored.sender == "+6281234567890"


# --- Filing ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_citizen_files_by_numbered_lists_and_gets_the_number_and_private_link(phone, cloud_api):
    c = file_by_list(phone, privacy="2")
    assert c.channel == "whatsapp" and c.area_id == KELURAHAN and c.body == DESCRIPTION
    assert c.is_anonymous and not c.is_secret
    assert c.reporter.phone == "+6281234567890" and c.reporter.name == "Warga Jambi" and c.reporter.language == "id"
    texts = cloud_api.texts_to(NUMBER)
    assert "Ceritakan" in texts[0]  # the welcome, in Indonesian
    assert "1. " in texts[1] and Area.objects.get(pk=KELURAHAN).parent.name in texts[1]  # the kecamatan list
    assert Area.objects.get(pk=KELURAHAN).name in texts[2]  # the kelurahan list
    assert "anonim" in texts[4].lower() and "rahasia" in texts[4].lower()  # the privacy choice, explained
    assert DESCRIPTION in texts[5] and "ya" in texts[5]  # the summary to confirm
    receipt = texts[6]
    assert c.tracking_number in receipt and "/pelapor/" in receipt
    assert len(texts) == 7  # the conversation's receipt only: no second receipt from the notifications
    assert Conversation.objects.count() == 0
    # The receipt is recorded with its wamid, about the report: a reply to it finds the report.
    assert OutboundMessage.objects.get(body=receipt).complaint == c


@pytest.mark.django_db(transaction=True)
def test_a_citizen_files_by_shared_location_with_a_photo_whose_exif_is_stripped(phone, cloud_api, jpeg_with_exif):
    assert Image.open(io.BytesIO(jpeg_with_exif)).getexif()  # the photo as the phone took it
    cloud_api.media["media-jpeg"] = jpeg_with_exif
    cloud_api.media["media-txt"] = b"this is not a photo at all"
    phone.say(DESCRIPTION)
    location = {"latitude": -1.6101, "longitude": 103.6131, "name": "Pasar Angso Duo", "address": "Jl. Sultan Agung"}
    phone.send(phone.message("location", location))
    run_worker()
    phone.send(phone.message("document", {"id": "media-txt", "mime_type": "text/plain", "filename": "catatan.txt"}))
    run_worker()
    image = {"id": "media-jpeg", "mime_type": "image/jpeg", "sha256": "x", "caption": "lubangnya"}
    phone.send(phone.message("image", image))
    run_worker()
    phone.say("lanjut", "3", "ya")
    c = Complaint.objects.get()
    assert (c.latitude, c.longitude) == (-1.6101, 103.6131) and c.is_secret and not c.is_anonymous
    assert "Pasar Angso Duo" in c.address
    texts = cloud_api.texts_to(NUMBER)
    assert any("catatan.txt" in t for t in texts)  # the refused file is named, and the conversation went on
    (attachment,) = c.attachments.all()
    stored = Image.open(attachment.file.open("rb"))
    assert stored.size == (64, 48) and not stored.getexif()  # no camera, no GPS position


@pytest.mark.django_db(transaction=True)
def test_an_english_conversation_is_answered_in_english_and_so_are_the_reports_messages(phone, cloud_api, act):
    phone.say("Hello, I want to report a problem")
    phone.say("There is a broken street light on Jalan Sultan Agung, dark for a week now.")
    location = {"latitude": -1.6101, "longitude": 103.6131}
    phone.send(phone.message("location", location))
    run_worker()
    phone.say("skip", "1", "yes")
    c = Complaint.objects.get()
    assert c.reporter.language == "en"
    texts = cloud_api.texts_to(NUMBER)
    assert texts[0].startswith("Hello!") and "Thank you" in texts[-1] and c.tracking_number in texts[-1]
    act(c, "verify")
    run_worker()
    with translation.override("en"):
        label = str(Status.DISPOSITIONED.label)
    assert label in cloud_api.texts_to(NUMBER)[-1]  # inside the 24-hour window: text, in English
    assert Notification.objects.get(event__action="verify", channel="whatsapp").language == "en"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_outside_the_24_hour_window_a_notification_goes_as_the_template_and_status_callbacks_land(
    clock, phone, cloud_api, act
):
    c = file_by_list(phone)
    clock.shift(dt.timedelta(hours=25))
    act(c, "verify")
    run_worker()
    sent = cloud_api.sent[-1]
    assert sent["type"] == "template" and sent["template"]["name"] == "sikesal_status_update"
    assert sent["template"]["language"] == {"code": "id"}
    parameters = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    assert parameters[0] == c.tracking_number and parameters[2].endswith(f"/lacak/{c.tracking_number}/")
    notification = Notification.objects.get(event__action="verify", channel="whatsapp")
    assert notification.state == "sent"
    at = str(int(timezone.now().timestamp()))
    failed = {"id": sent["wamid"], "status": "failed", "timestamp": at, "recipient_id": NUMBER}
    failed["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    delivered = {"id": sent["wamid"], "status": "delivered", "timestamp": at, "recipient_id": NUMBER}
    assert phone.post(delivery(statuses=[delivered])).status_code == 200
    run_worker()
    assert OutboundMessage.objects.get(external_id=sent["wamid"]).state == "delivered"
    assert phone.post(delivery(statuses=[failed])).status_code == 200
    run_worker()
    notification.refresh_from_db()
    assert notification.state == "failed" and "Message undeliverable" in notification.last_error


# --- Exactly once, in order ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_message_files_once_and_is_answered_once(phone, cloud_api):
    kelurahan = Area.objects.get(pk=KELURAHAN)
    phone.say(
        DESCRIPTION,
        numbered(kelurahan.parent_id, AreaLevel.KECAMATAN),
        numbered(KELURAHAN, AreaLevel.KELURAHAN, kelurahan.parent_id),
        "lewati",
        "1",
    )
    yes = phone.text("ya")
    phone.send(yes)
    phone.send(yes)  # Meta re-delivers before the worker ran
    run_worker()
    phone.send(yes)  # and again after
    run_worker()
    assert Complaint.objects.count() == 1
    assert InboundMessage.objects.filter(external_id=yes["id"]).count() == 1
    receipts = [t for t in cloud_api.texts_to(NUMBER) if Complaint.objects.get().tracking_number in t]
    assert len(receipts) == 1


@pytest.mark.django_db(transaction=True)
def test_messages_delivered_out_of_order_are_handled_in_the_order_they_were_sent(phone, cloud_api):
    first = phone.text(DESCRIPTION)
    second = phone.message("location", {"latitude": -1.6101, "longitude": 103.6131})
    phone.send(second)  # the location arrives first
    phone.send(first)
    run_worker()
    conv = Conversation.objects.get()
    assert conv.draft["body"] == DESCRIPTION and conv.draft["latitude"] == -1.6101 and conv.step == "photos"
    where, photos = cloud_api.texts_to(NUMBER)
    assert "kecamatan" in where and "foto" in photos.lower()


@pytest.mark.django_db(transaction=True)
def test_a_conversation_sent_while_the_worker_is_busy_waits_and_is_answered_once_each_in_order(phone, cloud_api):
    kelurahan = Area.objects.get(pk=KELURAHAN)
    said = [
        "Halo",
        DESCRIPTION,
        numbered(kelurahan.parent_id, AreaLevel.KECAMATAN),
        numbered(KELURAHAN, AreaLevel.KELURAHAN, kelurahan.parent_id),
        "lewati",
        "1",
        "ya",
    ]
    for text in said:
        phone.send(phone.text(text))  # seven webhooks before the worker gets to this citizen
    # Stored, and waiting for the worker to look: the webhook queues no task of its own.
    assert InboundMessage.objects.filter(processed_at=None).count() == len(said)
    assert not DBTaskResult.objects.exists()
    run_worker()
    c = Complaint.objects.get()
    texts = cloud_api.texts_to(NUMBER)
    assert len(texts) == len(said) and len(set(texts)) == len(said)
    assert "kecamatan" in texts[1] and "kelurahan" in texts[2] and c.tracking_number in texts[-1]
    assert OutboundMessage.objects.filter(state="sent").count() == len(said)
    phone.send(phone.text(f"cek {c.tracking_number}"))
    run_worker()
    assert len(cloud_api.texts_to(NUMBER)) == len(said) + 1 and c.tracking_number in cloud_api.texts_to(NUMBER)[-1]
    assert not InboundMessage.objects.filter(processed_at=None).exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_dies_after_handling_a_message_and_before_sending_its_answer_loses_nothing(
    phone, cloud_api, settings
):
    phone.send(phone.text(DESCRIPTION))
    # The dead worker's share: it handled the message and claimed its answer, then died before sending.
    handle_pending("whatsapp", "+" + NUMBER)
    assert OutboundMessage.objects.get().state == "sending" and cloud_api.texts_to(NUMBER) == []
    run_worker()  # a worker cannot tell a dead one's claim from a live one's still sending
    assert cloud_api.texts_to(NUMBER) == []
    lease = SENDING_LEASE + dt.timedelta(seconds=1)
    OutboundMessage.objects.update(claimed_at=timezone.now() - lease)  # time passes
    # The periodic job, as the scheduler of a worker runs it (the other jobs left out of this test)
    settings.SIKESAL_PERIODIC = {"resend_abandoned_answers": settings.SIKESAL_PERIODIC["resend_abandoned_answers"]}
    call_command("worker", batch=True, interval=0)
    (where,) = cloud_api.texts_to(NUMBER)
    assert "kecamatan" in where and OutboundMessage.objects.get().state == "sent"
    assert InboundMessage.objects.get().processed_at is not None and Conversation.objects.get().step == "where"


@pytest.mark.django_db(transaction=True)
def test_a_retry_whose_worker_died_sends_what_it_had_claimed_at_once(phone, cloud_api, settings):
    cloud_api.fail_next = 1
    phone.say(DESCRIPTION)  # refused: a retry is queued for after the backoff
    retry = DBTaskResult.objects.get(task_path__endswith="retry_answers", status="READY")
    # The retry's worker claimed the task and the answer, then died before sending.
    started = timezone.now() - dt.timedelta(seconds=settings.SIKESAL_WORKER_STALE_SECONDS + 1)
    DBTaskResult.objects.filter(pk=retry.pk).update(status="RUNNING", started_at=started, worker_ids=["dead"])
    OutboundMessage.objects.update(state="sending", claimed_at=timezone.now())
    assert requeue_orphans() == [str(retry.pk)]
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # and its backoff is over
    run_worker()  # its second attempt: the claim is the dead worker's, sent now rather than after the lease
    (where,) = cloud_api.texts_to(NUMBER)
    assert "kecamatan" in where and OutboundMessage.objects.get().state == "sent"


@pytest.mark.django_db(transaction=True)
def test_with_two_workers_a_later_answer_waits_for_the_one_another_worker_is_sending(phone, cloud_api):
    phone.send(phone.text(DESCRIPTION))
    claimed = handle_pending("whatsapp", "+" + NUMBER)  # worker A handled it and is about to send its answer
    assert [a.state for a in claimed] == ["sending"]
    later = OutboundMessage.objects.create(channel="whatsapp", to="+" + NUMBER, body="Jawaban kedua")
    send_answers("whatsapp", "+" + NUMBER)  # worker B, with a later answer to the same citizen
    assert cloud_api.texts_to(NUMBER) == [] and OutboundMessage.objects.get(pk=later.pk).state == "pending"
    # A goes on as process does: its own answer, then what waits, in their order
    assert _send("whatsapp", "+" + NUMBER, claimed)
    send_answers("whatsapp", "+" + NUMBER)
    where, second = cloud_api.texts_to(NUMBER)
    assert "kecamatan" in where and second == "Jawaban kedua"
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_an_answer_the_cloud_api_refuses_is_sent_again_after_a_backoff(phone, cloud_api):
    cloud_api.fail_next = 1
    phone.say(DESCRIPTION)  # answered with the kecamatan list: refused by the platform
    assert cloud_api.texts_to(NUMBER) == []
    answer = OutboundMessage.objects.get()
    assert answer.state == "pending" and answer.attempts == 1 and "503" in answer.error
    retry = DBTaskResult.objects.get(task_path__endswith="retry_answers", status="READY")
    assert retry.run_after > timezone.now()  # waits out the backoff
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # time passes
    run_worker()
    (where,) = cloud_api.texts_to(NUMBER)
    assert "kecamatan" in where and OutboundMessage.objects.get().state == "sent"


# --- Commands --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cek_answers_the_status_and_balas_is_the_reporters_reply_only_from_the_reporters_number(
    phone, cloud_api, client, settings
):
    c = file_by_list(phone)
    phone.say(f"cek {c.tracking_number.lower()}")
    with translation.override("id"):
        label = str(Status.RECEIVED.label)
    assert c.tracking_number in cloud_api.texts_to(NUMBER)[-1] and label in cloud_api.texts_to(NUMBER)[-1]

    stranger = Phone(client, settings, "6289876543210")
    stranger.say(f"balas {c.tracking_number} Ini bukan laporan saya tapi saya ikut balas.")
    assert "Hanya" in cloud_api.texts_to("6289876543210")[-1]
    assert not Event.objects.filter(complaint=c, action="comment").exists()

    phone.say(f"balas {c.tracking_number} Lubangnya makin besar setelah hujan semalam.")
    receipt = OutboundMessage.objects.get(complaint=c, body__contains="/pelapor/")
    phone.send(phone.text("Sekarang sudah ada yang jatuh di sana.", context=receipt.external_id))
    run_worker()
    stranger.send(stranger.text("Saya juga mau menambahkan sesuatu.", context=receipt.external_id))
    run_worker()
    replies = list(Event.objects.filter(complaint=c, action="comment").order_by("id").values_list("message", flat=True))
    assert replies == ["Lubangnya makin besar setelah hujan semalam.", "Sekarang sudah ada yang jatuh di sana."]


@pytest.mark.django_db(transaction=True)
def test_batal_stops_the_conversation_and_nothing_is_filed(phone, cloud_api):
    phone.say(DESCRIPTION, "batal")
    assert Conversation.objects.count() == 0 and Complaint.objects.count() == 0
    assert "Dibatalkan" in cloud_api.texts_to(NUMBER)[-1]


@pytest.mark.django_db(transaction=True)
def test_an_idle_conversation_expires_politely_on_the_next_message_or_by_the_periodic_job(
    clock, phone, cloud_api, client, settings
):
    phone.say(DESCRIPTION)
    clock.shift(dt.timedelta(minutes=61))
    phone.say("1")  # would have chosen a kecamatan an hour ago
    expired, welcome = cloud_api.texts_to(NUMBER)[-2:]
    assert "60 menit" in expired and "Ceritakan" in welcome
    assert Conversation.objects.get().step == "describe"

    other = Phone(client, settings, "6281311112222")
    other.say(DESCRIPTION)
    clock.shift(dt.timedelta(minutes=61))
    expire_conversations.call()
    assert "60 menit" in cloud_api.texts_to("6281311112222")[-1]
    assert not Conversation.objects.filter(sender="+6281311112222").exists()
    assert Complaint.objects.count() == 0


def test_deploy_checks_warn_while_the_public_demo_secrets_are_in_use(settings):
    from sikesal.core.checks import whatsapp_secrets_set

    settings.DEBUG = False
    (warning,) = whatsapp_secrets_set()
    assert warning.id == "sikesal.W001" and "SIKESAL_WHATSAPP_APP_SECRET" in warning.msg
    settings.SIKESAL_WHATSAPP_VERIFY_TOKEN = "token-dari-meta-app"
    settings.SIKESAL_WHATSAPP_APP_SECRET = "a3f9c1d2e4b5a6978812"
    settings.SIKESAL_WHATSAPP_ACCESS_TOKEN = "EAAG-system-user-token"
    assert whatsapp_secrets_set() == []


@pytest.mark.django_db
def test_one_sender_with_hundreds_waiting_takes_one_place_in_the_workers_look():
    now = timezone.now()
    rows = [
        InboundMessage(channel="whatsapp", external_id=f"wamid.flood{i}", sender="+6281111111111", sent_at=now, raw={})
        for i in range(250)
    ]
    InboundMessage.objects.bulk_create(rows)
    InboundMessage.objects.create(
        channel="whatsapp", external_id="wamid.other", sender="+" + NUMBER, sent_at=now, raw={}
    )
    # the other citizen is in the worker's next look, not behind 250 of the flood's messages
    assert lookups.senders_waiting(200) == [("whatsapp", "+6281111111111"), ("whatsapp", "+" + NUMBER)]


@pytest.mark.django_db(transaction=True)
def test_citizens_writing_at_once_are_handled_a_few_in_one_transaction_and_a_switched_off_channel_waits(
    client, settings, cloud_api, catalogue
):
    phones = [Phone(client, settings, f"62813000000{i:02d}") for i in range(12)]  # more than one group (8)
    for p in phones:
        p.send(p.text(DESCRIPTION), p.text("batal"))
    # A message of a channel whose app was switched off meanwhile: it waits, untouched, for the channel
    InboundMessage.objects.create(
        channel="fax", external_id="fax-1", sender="+6281300000099", sent_at=timezone.now(), raw={}
    )
    assert ("fax", "+6281300000099") not in lookups.senders_waiting(200)  # not taken at every look
    drain()
    for p in phones:  # each answered once, in order: the place asked for, then the cancellation
        where, cancelled = cloud_api.texts_to(p.number)
        assert "kecamatan" in where and "Dibatalkan" in cancelled
    assert InboundMessage.objects.filter(processed_at=None).get().channel == "fax"
    assert not Conversation.objects.exists() and not Complaint.objects.exists()


# --- The worker's sending threads ------------------------------------------------------------------------


def _until_all_sent(sending):
    for _ in range(100):
        drain(sending=sending)
        if not sending.in_flight and not InboundMessage.objects.filter(processed_at=None).exists():
            return
        sending.record(wait=0.1)
    raise AssertionError("answers still on their way")


@pytest.mark.django_db(transaction=True)
def test_a_citizen_who_writes_again_before_the_first_answer_is_back_gets_the_answers_in_order(phone, cloud_api):
    cloud_api.latency = 1.0  # the platform takes its time to answer each send
    sending = Sending(4)
    try:
        phone.send(phone.text("Halo"))
        drain(sending=sending)  # handled, and its answer on its way
        phone.send(phone.text(DESCRIPTION))
        drain(sending=sending)  # handled while the first answer is not back: its answer waits behind it
        assert list(OutboundMessage.objects.order_by("id").values_list("state", flat=True)) == ["sending", "pending"]
        _until_all_sent(sending)
    finally:
        sending.finish(timeout=10)
    greeting, where = cloud_api.texts_to(NUMBER)
    assert "Halo" in greeting and "kecamatan" in where
    answers = OutboundMessage.objects.order_by("id")
    assert [a.state for a in answers] == ["sent", "sent"] and all(a.external_id for a in answers)


@pytest.mark.django_db(transaction=True)
def test_an_answer_refused_on_the_sending_threads_is_tried_again_after_a_backoff(phone, cloud_api):
    cloud_api.fail_next = 1
    sending = Sending(2)
    try:
        phone.send(phone.text(DESCRIPTION))
        _until_all_sent(sending)
    finally:
        sending.finish(timeout=10)
    assert cloud_api.texts_to(NUMBER) == []
    answer = OutboundMessage.objects.get()
    assert answer.state == "pending" and answer.attempts == 1 and "503" in answer.error
    retry = DBTaskResult.objects.get(task_path__endswith="retry_answers", status="READY")
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # time passes
    run_worker()
    (where,) = cloud_api.texts_to(NUMBER)
    assert "kecamatan" in where and OutboundMessage.objects.get().state == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopping_cleanly_writes_sent_the_answers_on_their_way(phone, cloud_api):
    cloud_api.latency = 0.3
    sending = Sending(2)
    phone.send(phone.text(DESCRIPTION))
    drain(sending=sending)
    assert OutboundMessage.objects.get().state == "sending"
    sending.finish(timeout=10)  # as the worker does on SIGTERM
    answer = OutboundMessage.objects.get()
    assert answer.state == "sent" and answer.external_id == cloud_api.sent[0]["wamid"]
