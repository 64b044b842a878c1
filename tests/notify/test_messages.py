"""Issue 17, item 5: each message is written from its event, asks for the one action it needs, with its
deadline and the links to do it."""

import json

import pytest
from django.core import mail
from django.utils import formats, timezone, translation

from sikesal.complaints import actions
from sikesal.complaints.states import Status
from tests.notify.test_notify import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def day(value):
    with translation.override("id"):
        return formats.date_format(timezone.localtime(value), "j F Y")


def label(action):
    with translation.override("id"):
        return str(actions.spec(action).label)


def sms_texts(tmp_path):
    return [json.loads(line)["message"] for line in (tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()]


def test_request_info_gives_the_citizens_own_deadline_and_where_to_answer(in_state, act, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = in_state("received")
    run_worker()
    mail.outbox.clear()
    act(c, "request_info")
    run_worker()
    c.refresh_from_db()
    body = mail.outbox[0].body
    assert day(c.info_due_at) in body  # the citizen's own deadline (30 days)...
    assert c.target_due_at is None or day(c.target_due_at) not in body  # ...not the service target
    assert label("request_info") in body
    assert "Mohon lampirkan foto lokasi." in body
    assert f"{settings.SITE_URL}/masuk/" in body  # where the reporter can act: "my reports"
    assert f"{settings.SITE_URL}/lacak/{c.tracking_number}/" in body
    assert "/masuk/" in sms_texts(tmp_path)[-1]


def test_followup_asks_to_confirm_or_dispute_and_says_when_it_closes(in_state, act, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = in_state("dispositioned")
    run_worker()
    mail.outbox.clear()
    act(c, "complete_followup")
    run_worker()
    c.refresh_from_db()
    body = mail.outbox[0].body
    assert "Lubang sudah ditambal." in body
    assert day(c.reporter_due_at) in body  # closes after 10 working days of silence
    with translation.override("id"):
        assert str(actions.spec("complete_followup").asks_reporter).split("%")[0] in body


def test_each_message_tells_its_own_event_even_when_sent_later(in_state, act, settings, tmp_path):
    """The worker runs after two events happened: each message still says its own event and status."""
    settings.DATA_DIR = tmp_path
    c = in_state("received")  # the submission's messages wait in the queue...
    act(c, "verify")  # ...while the admin already verified it
    run_worker()
    assert len(mail.outbox) == 2
    first, second = sorted((m.body for m in mail.outbox), key=lambda b: label("verify") in b)
    with translation.override("id"):
        received, dispositioned = str(Status.RECEIVED.label), str(Status.DISPOSITIONED.label)
    assert received in first and dispositioned not in first and label("submit") in first
    assert dispositioned in second and label("verify") in second
    texts = sms_texts(tmp_path)
    assert len(texts) == 2 and texts[0] != texts[1]  # never two identical SMS
