"""SMS delivery reports: the generic gateway's (/webhooks/sms/status/) and Twilio's StatusCallback
(/webhooks/sms/twilio/status/) posted as real form bodies, stored once, applied by the worker to the
notification the gateway was given as `reference`."""

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.notify.models import Notification
from tests.inbound.conftest import run_worker
from tests.notify.test_notify import Gateway

PHONE = "+6281234567890"  # the reporter's number of report_data (tests/conftest.py), as the gateway is given it
TOKEN = "twilio-token"


@pytest.fixture
def gateway(settings):
    g = Gateway()
    settings.SIKESAL_CHANNELS = {**settings.SIKESAL_CHANNELS, "sms": {"gateway_url": g.url, "token": "rahasia"}}
    settings.SIKESAL_SMS_TWILIO_AUTH_TOKEN = TOKEN
    yield g
    g.server.shutdown()


@pytest.fixture
def sent(gateway, submit):
    """A report filed with an e-mail address and a phone number, its receipt sent on both: (the SMS
    notification, the reference the gateway was given with it)."""
    submit()
    run_worker()
    sms = Notification.objects.get(channel="sms", state="sent")
    (_auth, body), *_ = gateway.received
    assert body["to"] == PHONE and body["reference"] == str(sms.pk)  # what the gateway names in its reports
    return sms, body["reference"]


def report(client, secret="sikesal-demo-sms", **form):
    return client.post("/webhooks/sms/status/", form, HTTP_AUTHORIZATION=f"Bearer {secret}")


def twilio_path(reference=None):
    return "/webhooks/sms/twilio/status/" + (f"?{urlencode({'reference': reference})}" if reference else "")


def twilio_signature(settings, path, form):
    """As Twilio documents it: base64 of HMAC-SHA1 under the auth token of the whole URL called (its query
    too) followed by every POST parameter's name and value, sorted by name."""
    data = settings.SITE_URL.rstrip("/") + path + "".join(f"{k}{form[k]}" for k in sorted(form))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_report(client, settings, form, reference=None, signature=None):
    """Twilio's StatusCallback, signed with the auth token."""
    path = twilio_path(reference)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature or twilio_signature(settings, path, form))


def twilio_form(sid, status, **more):
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, "AccountSid": "AC1"} | {
        "From": "+6281100001708",
        "To": PHONE,
        "ApiVersion": "2010-04-01",
        **more,
    }


def handled_reports():
    """Every delivery report stored: handled by the worker, and without an error."""
    rows = InboundMessage.objects.filter(channel="sms", kind=InboundMessage.Kind.STATUS)
    assert all(r.processed_at is not None and r.error == "" for r in rows), [(r.content, r.error) for r in rows]
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_notification_the_gateway_reports_undelivered_is_failed_with_the_gateways_error(client, sent):
    sms, reference = sent
    answer = report(client, id="gw-501", reference=reference, status="undelivered", error="Nomor tidak aktif", to=PHONE)
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert Notification.objects.get(pk=sms.pk).state == "sent"  # stored now, applied by the worker
    run_worker()
    # Among the failed notifications, with the gateway's reason; the e-mail of the same event is untouched.
    (failed,) = Notification.objects.filter(state="failed")
    assert failed.pk == sms.pk and failed.last_error == "sms: Nomor tidak aktif"
    assert Notification.objects.get(channel="email").state == "sent"
    (row,) = handled_reports()
    assert row.external_id == "gw-501:undelivered" and row.sender == PHONE
    assert row.content == {"id": "gw-501", "status": "failed", "error": "Nomor tidak aktif", "reference": reference}


@pytest.mark.django_db(transaction=True)
def test_twilio_delivered_after_a_retry_leaves_the_notification_sent_and_clears_the_old_error(
    client, settings, gateway, submit
):
    gateway.fail_next = 1  # the first try: the gateway answers 503
    submit()
    run_worker()
    DBTaskResult.objects.filter(task_path__endswith="send_notification").update(run_after=timezone.now())
    run_worker()
    sms = Notification.objects.get(channel="sms")
    assert sms.state == "sent" and "503" in sms.last_error
    for status in ("queued", "sent"):  # nothing to change: it is sent
        assert twilio_report(client, settings, twilio_form("SM0001", status), reference=sms.pk).status_code == 204
        run_worker()
        assert Notification.objects.get(pk=sms.pk).last_error == sms.last_error
    assert twilio_report(client, settings, twilio_form("SM0001", "delivered"), reference=sms.pk).status_code == 204
    run_worker()
    sms.refresh_from_db()
    assert sms.state == "sent" and sms.last_error == ""
    assert sorted(r.external_id for r in handled_reports()) == ["SM0001:delivered", "SM0001:queued", "SM0001:sent"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_twilio_undelivered_or_failed_fails_the_notification_with_twilios_error_code(client, settings, sent, status):
    sms, reference = sent
    form = twilio_form("SM0002", status, ErrorCode="30003")
    assert twilio_report(client, settings, form, reference=reference).status_code == 204
    run_worker()
    sms.refresh_from_db()
    assert sms.state == "failed" and sms.last_error == f"sms: {status} (Twilio error 30003)"
    (row,) = handled_reports()
    assert row.content["status"] == "failed" and row.raw["ErrorCode"] == "30003" and row.sender == PHONE


@pytest.mark.django_db(transaction=True)
def test_a_report_delivered_again_stores_nothing_and_another_status_of_the_message_is_news(client, settings, sent):
    sms, reference = sent
    for _ in range(2):
        assert report(client, id="gw-9", reference=reference, status="sent").status_code == 200
    run_worker()
    assert report(client, id="gw-9", reference=reference, status="sent").status_code == 200  # after it was handled
    assert InboundMessage.objects.count() == 1
    for _ in range(2):
        assert twilio_report(client, settings, twilio_form("SM0003", "sent"), reference=reference).status_code == 204
    assert report(client, id="gw-9", reference=reference, status="delivered").status_code == 200
    run_worker()
    assert sorted(r.external_id for r in handled_reports()) == ["SM0003:sent", "gw-9:delivered", "gw-9:sent"]
    assert Notification.objects.get(pk=sms.pk).state == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_wrong_or_missing_secret_or_signature_is_refused_and_nothing_is_stored(client, settings, sent):
    sms, reference = sent
    failed = {"id": "gw-1", "reference": reference, "status": "failed"}
    assert report(client, secret="tebakan", **failed).status_code == 403
    assert client.post("/webhooks/sms/status/", failed).status_code == 403  # no Authorization
    form = twilio_form("SM0004", "failed", ErrorCode="30008")
    forged = twilio_report(client, settings, form, reference=reference, signature="0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert forged.status_code == 403
    assert client.post(twilio_path(reference), form).status_code == 403  # unsigned
    # The reference is signed with the rest: the signature of one URL does not pass for another reference.
    signature = twilio_signature(settings, twilio_path(reference), form)
    other = twilio_path(int(reference) + 1)
    assert client.post(other, form, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    settings.SIKESAL_SMS_TWILIO_AUTH_TOKEN = ""  # unset: closed, whatever the signature
    assert twilio_report(client, settings, form, reference=reference).status_code == 403
    assert client.get("/webhooks/sms/status/").status_code == 405
    run_worker()
    assert InboundMessage.objects.count() == 0 and Notification.objects.get(pk=sms.pk).state == "sent"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {"reference": "7", "status": "failed"},  # no id
        {"id": "gw-2", "reference": "7"},  # no status
        {"id": "gw-2", "reference": "7; DROP", "status": "failed"},
        {"id": "gw-2", "reference": "9" * 40, "status": "failed"},
        {"id": "x" * 300, "status": "failed"},
    ],
)
def test_a_malformed_report_is_a_structured_400_and_nothing_is_stored(client, form):
    answer = report(client, **form)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "malformed"
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_malformed_twilio_report_is_a_structured_400_and_nothing_is_stored(client, settings):
    settings.SIKESAL_SMS_TWILIO_AUTH_TOKEN = TOKEN
    no_status = {"MessageSid": "SM0005", "AccountSid": "AC1", "To": PHONE}
    for form, reference in ((no_status, "7"), (twilio_form("SM0005", "failed"), "abc")):
        answer = twilio_report(client, settings, form, reference=reference)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "malformed"
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_report_of_a_message_no_notification_is_known_by_is_stored_handled_and_changes_nothing(
    client, settings, sent
):
    sms, _reference = sent
    email = Notification.objects.get(channel="email")
    assert report(client, id="gw-unknown", reference="999999", status="failed").status_code == 200
    assert report(client, id="gw-answer", status="undelivered", to=PHONE).status_code == 200  # an answer: no reference
    # a reference that names another channel's notification (a gateway's mistake) is not applied to it
    assert report(client, id="gw-mixed", reference=str(email.pk), status="failed").status_code == 200
    assert twilio_report(client, settings, twilio_form("SM0006", "undelivered", ErrorCode="30005")).status_code == 204
    run_worker()
    assert handled_reports().count() == 4
    assert list(Notification.objects.order_by("pk").values_list("state", "last_error")) == [("sent", "")] * 2
    assert sms.pk != email.pk
