"""Reporter notifications: channels, a real HTTP gateway with failures and retries, no duplicates."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sikesal.complaints.tasks import dispatch_event
from sikesal.integrations.notify.models import Notification


def run_worker():
    call_command("worker", batch=True, no_scheduler=True, interval=0)


class Gateway:
    """A real SMS gateway on loopback that can be told to fail the next N calls."""

    def __init__(self):
        self.received, self.fail_next = [], 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if gateway.fail_next:
                    gateway.fail_next -= 1
                    self.send_response(503)
                else:
                    gateway.received.append((self.headers.get("Authorization"), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway(settings):
    g = Gateway()
    settings.SIKESAL_SMS_GATEWAY_URL = g.url
    settings.SIKESAL_SMS_GATEWAY_TOKEN = "rahasia-gateway"
    yield g
    g.server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_email_and_sms_through_the_gateway(gateway, submit):
    c = submit()
    run_worker()
    assert [m.to for m in mail.outbox] == [["budi@example.com"]]
    auth, body = gateway.received[0]
    assert auth == "Bearer rahasia-gateway" and body["to"] == "081234567890" and c.tracking_number in body["message"]
    assert Notification.objects.filter(state="sent").count() == 2


@pytest.mark.django_db(transaction=True)
def test_gateway_failure_is_retried_with_backoff_then_delivered(gateway, submit):
    gateway.fail_next = 1
    submit()
    run_worker()
    sms = Notification.objects.get(channel="sms")
    assert sms.state == "pending" and sms.attempts == 1 and "503" in sms.last_error
    retry = DBTaskResult.objects.get(task_path__endswith="send_notification", status="READY")
    assert retry.run_after > timezone.now()  # waits out the backoff
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # time passes
    run_worker()
    sms.refresh_from_db()
    assert sms.state == "sent" and sms.attempts == 2 and len(gateway.received) == 1


@pytest.mark.django_db(transaction=True)
def test_dispatching_twice_sends_once(submit):
    c = submit()
    event = c.events.get()
    dispatch_event.enqueue(event.pk)  # a duplicate delivery of the same event
    run_worker()
    assert len(mail.outbox) == 1 and Notification.objects.filter(event=event).count() == 2


@pytest.mark.django_db(transaction=True)
def test_anonymous_reporter_is_still_told_and_staff_notes_are_not_sent(in_state, act, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = in_state("in_progress")
    c.is_anonymous = True
    c.save(update_fields=["is_anonymous"])
    run_worker()
    mail.outbox.clear()
    act(c, "add_followup", internal=True)
    act(c, "add_followup", message="Perbaikan dijadwalkan Kamis.")
    run_worker()
    assert len(mail.outbox) == 1 and "Perbaikan dijadwalkan Kamis." in mail.outbox[0].body
    lines = (tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()
    assert any(c.tracking_number in json.loads(line)["message"] for line in lines)
