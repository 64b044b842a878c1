"""Web Push per report (issue #20): the subscription endpoint and the sending side, against a real local HTTP
push endpoint that captures what pywebpush POSTs (no mock of our code or of pywebpush)."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from sikesal.integrations.webpush import handlers, vapid
from sikesal.integrations.webpush.models import PushSubscription

URL = "/push/ikuti/"


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """What a browser's PushManager holds: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64(point)

    def keys(self):
        return {"p256dh": self.p256dh, "auth": b64(self.auth)}

    def decrypt(self, body):
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


class PushService:
    """A tiny push service on 127.0.0.1: records every POST, answers with `status`."""

    def __init__(self):
        self.received, self.status = [], 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service.received.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings):
    service = PushService()
    settings.SIKESAL_PUSH_SERVICE_HOSTS = [*settings.SIKESAL_PUSH_SERVICE_HOSTS, service.origin]
    key = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    settings.SIKESAL_VAPID_PRIVATE_KEY = b64(key)
    vapid.private_key.cache_clear()
    vapid.public_key.cache_clear()
    yield service
    service.close()
    vapid.private_key.cache_clear()
    vapid.public_key.cache_clear()


def subscribe(client, tracking, endpoint, keys, url=URL):
    body = {"tracking": tracking, "endpoint": endpoint, "keys": keys}
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_browser_follows_a_report_and_gets_an_encrypted_push_of_its_public_status(client, submit, act, push_service):
    complaint = submit(title="Jalan berlubang depan SD 47 yang rahasia", is_secret=True)
    browser = Browser()
    response = subscribe(client, complaint.tracking_number.lower(), f"{push_service.origin}/kirim/abc", browser.keys())
    assert response.status_code == 201, response.content
    sub = PushSubscription.objects.get()
    assert sub.complaint == complaint and sub.p256dh == browser.p256dh

    event = act(complaint, "verify").event
    handlers.push_status(event)

    assert len(push_service.received) == 1
    sent = push_service.received[0]
    assert sent["path"] == "/kirim/abc"
    assert sent["headers"]["content-encoding"] == "aes128gcm"
    assert sent["headers"]["authorization"].startswith("vapid t=")
    assert f"k={vapid.public_key()}" in sent["headers"]["authorization"]
    assert int(sent["headers"]["ttl"]) > 0
    assert b"SD 47" not in sent["body"]  # encrypted on the wire
    message = browser.decrypt(sent["body"])
    assert message["body"] == f"{complaint.tracking_number}: Diverifikasi dan didisposisikan"
    assert message["url"] == f"/lacak/{complaint.tracking_number}/"
    text = json.dumps(message)
    assert "SD 47" not in text and "Siti" not in text and "rahasia" not in text  # no content, no identity

    handlers.push_status(event)  # a retried handler does not push the same event twice
    assert len(push_service.received) == 1


def test_only_events_that_tell_the_reporter_are_pushed(client, submit, act, push_service):
    complaint = submit()
    subscribe(client, complaint.tracking_number, f"{push_service.origin}/x", Browser().keys())
    act(complaint, "verify")
    handlers.push_status(act(complaint, "start").event)  # "being handled" is not told to the reporter
    assert push_service.received == []
    handlers.push_status(act(complaint, "add_followup", message="Tim sudah turun ke lokasi.").event)
    assert len(push_service.received) == 1


def test_a_subscription_the_push_service_calls_gone_is_deleted(client, submit, act, push_service):
    complaint = submit()
    subscribe(client, complaint.tracking_number, f"{push_service.origin}/gone", Browser().keys())
    push_service.status = 410
    handlers.push_status(act(complaint, "verify").event)
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()


def test_a_failing_push_service_makes_the_handler_fail_for_a_retry(client, submit, act, push_service):
    complaint = submit()
    subscribe(client, complaint.tracking_number, f"{push_service.origin}/busy", Browser().keys())
    push_service.status = 503
    with pytest.raises(RuntimeError):
        handlers.push_status(act(complaint, "verify").event)
    assert PushSubscription.objects.get().last_event_id == 0  # kept, and sent again on the retry


def test_unsubscribe_forgets_the_browser(client, submit, push_service):
    complaint = submit()
    endpoint = f"{push_service.origin}/x"
    subscribe(client, complaint.tracking_number, endpoint, Browser().keys())
    response = subscribe(client, complaint.tracking_number, endpoint, {}, url="/push/berhenti/")
    assert response.status_code == 200 and response.json() == {
        "following": False,
        "tracking": complaint.tracking_number,
    }
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("tracking", "endpoint", "keys", "status", "detail"),
    [
        ("JBI-0000-XXXX", "{origin}/x", None, 404, "Tidak ada laporan terbuka dengan nomor pelacakan ini"),
        ("", "{origin}/x", None, 400, "Nomor pelacakan belum diisi."),
        ("{tracking}", "http://10.0.0.1/internal", None, 400, "Layanan notifikasi peramban ini tidak didukung."),
        ("{tracking}", "https://evil.example/push", None, 400, "Layanan notifikasi peramban ini tidak didukung."),
        ("{tracking}", "{origin}/x", {"p256dh": "AAAA", "auth": "x\x00"}, 400, "Kunci notifikasi"),
    ],
)
def test_bad_subscriptions_get_a_clear_indonesian_answer(
    client, submit, push_service, tracking, endpoint, keys, status, detail
):
    complaint = submit()
    tracking = tracking.format(tracking=complaint.tracking_number)
    endpoint = endpoint.format(origin=push_service.origin)
    response = subscribe(client, tracking, endpoint, keys or Browser().keys())
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert not PushSubscription.objects.exists()


def test_unreadable_bodies_and_closed_reports_are_refused_without_a_500(client, in_state, push_service):
    for body in (b"not json", b"[1, 2]", b'{"keys": 5}', b"\xff\xfe"):
        response = client.post(URL, body, content_type="application/json")
        assert response.status_code == 400 and response.json()["detail"]
    closed = in_state("closed_reporter")
    response = subscribe(client, closed.tracking_number, f"{push_service.origin}/x", Browser().keys())
    assert response.status_code == 404


def test_subscribing_needs_the_csrf_token_and_is_rate_limited(db, submit, push_service, settings, clock):
    complaint = submit()
    strict = Client(enforce_csrf_checks=True)
    assert subscribe(strict, complaint.tracking_number, f"{push_service.origin}/x", Browser().keys()).status_code == 403
    settings.SIKESAL_PUSH_PER_IP_PER_HOUR = 2
    lax = Client()
    codes = [
        subscribe(lax, "JBI-0000-XXXX", f"{push_service.origin}/x", Browser().keys()).status_code for _ in range(3)
    ]
    assert codes == [404, 404, 429]
    assert "Terlalu banyak" in subscribe(lax, "X", "y", {}).json()["detail"]


def test_the_policy_decides_who_may_follow(submit, in_state):
    from sikesal.complaints import policy

    assert policy.can_follow_by_push(submit())
    assert not policy.can_follow_by_push(None)
    assert not policy.can_follow_by_push(in_state("closed_reporter"))


def test_without_keys_in_the_environment_a_pair_is_made_once_in_the_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SIKESAL_VAPID_PRIVATE_KEY = ""
    settings.SIKESAL_VAPID_PUBLIC_KEY = ""
    vapid.private_key.cache_clear()
    vapid.public_key.cache_clear()
    try:
        first = vapid.public_key()
        assert (tmp_path / "vapid_private.pem").stat().st_mode & 0o077 == 0
        vapid.private_key.cache_clear()
        vapid.public_key.cache_clear()
        assert vapid.public_key() == first and len(base64.urlsafe_b64decode(first + "=")) == 65
    finally:
        vapid.private_key.cache_clear()
        vapid.public_key.cache_clear()
