"""An SMS gateway and a mail relay posting to SIKESAL's webhooks as the documented shapes say, and the
worker answering through the SMS channel (the outbox file: no gateway URL) and the mail backend."""

import itertools
import json
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.whatsapp.conftest import jpeg_with_exif  # noqa: F401 (a fixture: a photo with camera and GPS data)


def run_worker():
    call_command("worker", batch=True, no_scheduler=True, interval=0)


class SmsGateway:
    """A citizen's phone behind the generic gateway: each SMS a second after the previous."""

    _ids = itertools.count(1)

    def __init__(self, client, settings, outbox, number):
        self.client, self.settings, self.outbox, self.number = client, settings, outbox, number
        self.at = int(timezone.now().timestamp())

    def post(self, text, message_id=None, secret=None):
        self.at += 1
        form = {"from": self.number, "to": "1708", "text": text, "timestamp": str(self.at)}
        form["id"] = message_id or f"sms-{next(self._ids)}"
        secret = self.settings.SIKESAL_SMS_INBOUND_SECRET if secret is None else secret
        return self.client.post("/webhooks/sms/", form, HTTP_AUTHORIZATION=f"Bearer {secret}")

    def say(self, text, message_id=None):
        response = self.post(text, message_id)
        assert response.status_code == 200, response.content
        run_worker()

    def answers(self):
        """The SMS sent to this phone, in order (the outbox file of the SMS channel)."""
        path = self.outbox / "sms.jsonl"
        lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [line["message"] for line in lines if line["to"] == self.number]


@pytest.fixture
def outbox(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "outbox"


@pytest.fixture
def sms_phone(client, settings, outbox, catalogue):
    return SmsGateway(client, settings, outbox, "+6281234567890")


def mail(sender, subject, text, *, reply_to=None, attachments=(), message_id=None, headers=None):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, "pengaduan@jambikota.go.id", subject
    m["Date"] = format_datetime(timezone.now())
    m["Message-ID"] = message_id or make_msgid(domain="warga.example")
    if reply_to:
        m["In-Reply-To"], m["References"] = reply_to, reply_to
    for key, value in (headers or {}).items():
        m[key] = value
    m.set_content(text)
    for name, data, maintype, subtype in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def post_mail(client, settings, message, secret=None):
    secret = settings.SIKESAL_EMAIL_INBOUND_SECRET if secret is None else secret
    return client.post(
        "/webhooks/email/", message.as_bytes(), content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
