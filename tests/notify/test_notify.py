"""Reporter notifications: channels, a real HTTP gateway with failures and retries, no duplicates."""

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sikesal.complaints import effect_queue
from sikesal.complaints.models import Complaint
from sikesal.complaints.tasks import dispatch_event
from sikesal.integrations.notify.models import Notification


def run_worker():
    call_command("worker", batch=True, no_scheduler=True, interval=0)


class Gateway:
    """A real SMS gateway on loopback that can be told to fail the next N calls."""

    def __init__(self):
        self.received, self.fail_next = [], 0
        self.arrived, self.release = threading.Event(), None  # set `release` to hold every answer until it is set
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.arrived.set()
                if gateway.release is not None:
                    gateway.release.wait(60)
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
def confirmed(db):
    """Budi, the reporter of every report here, logged in once by one-time code to each contact: confirmed
    contacts hear about every report (an unconfirmed one about one a day, tests/security/test_second_attack.py)."""
    from sikesal.accounts.models import User
    from sikesal.accounts.roles import Role

    for contact, fields in (
        ("budi@example.com", {"email": "budi@example.com"}),
        ("081234567890", {"phone": "081234567890"}),
    ):
        User.objects.create(username=f"warga:{contact}", role=Role.CITIZEN, **fields)


@pytest.fixture
def gateway(settings):
    g = Gateway()
    settings.SIKESAL_CHANNELS = {**settings.SIKESAL_CHANNELS, "sms": {"gateway_url": g.url, "token": "rahasia-gateway"}}
    yield g
    g.server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_email_and_sms_through_the_gateway(gateway, submit):
    c = submit()
    run_worker()
    assert [m.to for m in mail.outbox] == [["budi@example.com"]]
    auth, body = gateway.received[0]
    assert auth == "Bearer rahasia-gateway" and body["to"] == "+6281234567890" and c.tracking_number in body["message"]
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


@pytest.mark.django_db(transaction=True)
def test_a_gateway_that_answers_slowly_does_not_hold_up_citizens_filing_reports(gateway, submit):
    first = submit()
    gateway.release = threading.Event()

    def worker():
        try:
            effect_queue.drain()
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert gateway.arrived.wait(30)
        # The worker is waiting for the gateway's answer. A citizen files a report meanwhile. On SQLite, a
        # worker that sent inside its transaction would hold the one write lock until the gateway answered
        # or its HTTP client gave up (10 s): the filing would wait that long and the SMS would fail.
        second = submit(title="Sampah menumpuk di pasar")
    finally:
        gateway.release.set()
        thread.join(60)
    assert Complaint.objects.filter(pk=second.pk).exists()
    assert Notification.objects.filter(event__complaint=first, state="sent").count() == 2  # its e-mail and SMS


@pytest.mark.django_db(transaction=True)
def test_one_refused_message_of_a_batch_is_retried_alone_and_the_rest_go_out(gateway, submit, confirmed):
    gateway.fail_next = 1
    reports = [submit(title=f"Lampu jalan mati nomor {i}") for i in range(3)]
    run_worker()
    sms = Notification.objects.filter(channel="sms").order_by("pk")
    assert [n.state for n in sms] == ["pending", "sent", "sent"] and [n.attempts for n in sms] == [1, 1, 1]
    assert [m.to for m in mail.outbox] == [["budi@example.com"]] * 3
    texts = [body["message"] for _, body in gateway.received]
    assert len(texts) == 2 and all(any(r.tracking_number in t for t in texts) for r in reports[1:])
    assert DBTaskResult.objects.filter(task_path__endswith="send_notification", status="READY").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_receipts_goes_through_one_mail_connection(submit, settings, tmp_path, confirmed):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    numbers = [submit(title=f"Jalan berlubang nomor {i}").tracking_number for i in range(3)]
    run_worker()
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1  # one session with the mail server, not one per message
    text = files[0].read_text()
    assert all(number in text for number in numbers)


class CappedMailServer:
    """A real SMTP server on loopback that ends every session after `cap` messages, as many mail servers
    do; it keeps what it accepted and counts the sessions."""

    def __init__(self, cap):
        self.messages, self.sessions = [], 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                server.sessions += 1
                accepted = 0
                self.wfile.write(b"220 localhost ESMTP\r\n")
                while accepted < cap and (line := self.rfile.readline()):
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        self.wfile.write(b"354 go on\r\n")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data)
                        server.messages.append(b"".join(lines).decode())
                        accepted += 1
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # EHLO, MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")
                # The cap reached: the session ends without a word, as a server that drops it does.

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.django_db(transaction=True)
def test_receipts_go_through_a_mail_server_that_ends_sessions_after_two_messages(submit, settings, confirmed):
    mail_server = CappedMailServer(cap=2)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", mail_server.port, False
    numbers = [submit(title=f"Drainase tersumbat nomor {i}").tracking_number for i in range(5)]
    try:
        run_worker()
    finally:
        mail_server.server.shutdown()
    assert Notification.objects.filter(channel="email", state="sent").count() == 5
    assert all(any(n in m for m in mail_server.messages) for n in numbers)
    assert mail_server.sessions == 3  # two messages a session, not one session per message
