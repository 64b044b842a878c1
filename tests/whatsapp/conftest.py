"""A WhatsApp Cloud API on loopback (the endpoints SIKESAL calls, recording what it sends) and a citizen's
phone that posts correctly signed webhook deliveries in Meta's documented shape."""

import hashlib
import hmac
import io
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

PHONE_ID = "1000000001"


class CloudApi:
    """POST /{phone-number-id}/messages, GET /{media-id} and GET /files/{media-id}, each checking the token."""

    def __init__(self, token):
        self.sent, self.media, self.token = [], {}, token
        self.fail_next = 0  # answer the next N sends with a 503
        self.latency = 0.0  # seconds before a send is answered (the platform over the internet)
        ids = itertools.count(1)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _authorised(self):
                if self.headers.get("Authorization") == f"Bearer {api.token}":
                    return True
                self._json(401, {"error": {"message": "Invalid OAuth access token"}})
                return False

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self._authorised():
                    return
                if self.path != f"/{PHONE_ID}/messages":
                    return self._json(404, {"error": {"message": "unknown path"}})
                if api.fail_next:
                    api.fail_next -= 1
                    return self._json(503, {"error": {"message": "Service temporarily unavailable"}})
                wamid = f"wamid.OUT{next(ids)}"
                api.sent.append({**body, "wamid": wamid})
                time.sleep(api.latency)
                self._json(200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]})

            def do_GET(self):
                if not self._authorised():
                    return
                media_id = self.path.rsplit("/", 1)[-1]
                if media_id not in api.media:
                    return self._json(404, {"error": {"message": "unknown media"}})
                if self.path.startswith("/files/"):
                    data = api.media[media_id]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self._json(200, {"url": f"{api.url}/files/{media_id}", "mime_type": "image/jpeg", "id": media_id})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts_to(self, phone):
        """The text bodies sent to `phone` (digits as WhatsApp writes them), in order."""
        return [m["text"]["body"] for m in self.sent if m["to"] == phone and m["type"] == "text"]


@pytest.fixture
def cloud_api(settings):
    api = CloudApi(settings.SIKESAL_WHATSAPP_ACCESS_TOKEN)
    settings.SIKESAL_WHATSAPP_API_URL = api.url
    yield api
    api.server.shutdown()


def sign(body, secret):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(messages=(), statuses=(), names=None):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100001708", "phone_number_id": PHONE_ID},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": (names or {}).get(m["from"], "Warga Jambi")}, "wa_id": m["from"]} for m in messages
        ]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}],
    }


class Phone:
    """A citizen's WhatsApp: each message is its own signed delivery, one second after the previous."""

    _ids = itertools.count(1)

    def __init__(self, client, settings, number):
        self.client, self.settings, self.number = client, settings, number
        self.at = int(timezone.now().timestamp())

    def message(self, kind, body, context=None, at=None):
        if at is None:  # a second after the previous message, or now when the clock has moved on
            self.at = max(self.at + 1, int(timezone.now().timestamp()))
            at = self.at
        m = {"from": self.number, "id": f"wamid.IN{next(self._ids)}", "timestamp": str(at), "type": kind, kind: body}
        if context:
            m["context"] = {"from": "6281100001708", "id": context}
        return m

    def text(self, body, **kw):
        return self.message("text", {"body": body}, **kw)

    def post(self, payload, signature=None):
        body = json.dumps(payload).encode()
        return self.client.post(
            "/webhooks/whatsapp/",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature or sign(body, self.settings.SIKESAL_WHATSAPP_APP_SECRET),
        )

    def send(self, *messages):
        response = self.post(delivery(messages))
        assert response.status_code == 200, response.content
        return messages

    def say(self, *texts):
        """Send each text and let the worker answer it."""
        for text in texts:
            self.send(self.text(text))
            run_worker()


def run_worker():
    """The worker's rounds until nothing is due. One round can end just before a delivery report from the
    simulator is stored (its webhook comes on the simulator's own thread); a running worker takes it on its
    next look, here another round does."""
    from django_tasks_db.models import DBTaskResult

    from sikesal.integrations.inbound.models import InboundMessage

    for _ in range(50):
        call_command("worker", batch=True, no_scheduler=True, interval=0)
        if not DBTaskResult.objects.ready().exists() and not InboundMessage.objects.filter(processed_at=None).exists():
            return
        time.sleep(0.05)


@pytest.fixture
def phone(client, settings, cloud_api, catalogue):
    return Phone(client, settings, "6281234567890")


@pytest.fixture
def jpeg_with_exif():
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "KameraBocor"  # Make
    exif[0x8825] = {1: "S", 2: (1.0, 36.0, 36.0), 3: "E", 4: (103.0, 36.0, 47.0)}  # GPS: where the citizen stood
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()
