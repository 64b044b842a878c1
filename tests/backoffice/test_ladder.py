"""The escalation ladder reaches the right people, through the worker; the daily digest per OPD."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from sikesal.backoffice.ladder import send_daily_digests
from sikesal.complaints.sweep import sweep


@pytest.fixture
def mailboxes(users):
    for name, user in users.items():
        user.email = f"{name}@jambikota.go.id"
        user.save()
    return users


def sent_to(stage_word):
    return sorted(addr for m in mail.outbox if stage_word in m.subject for addr in m.to)


@pytest.mark.django_db(transaction=True)
def test_followup_ladder_mails_liaison_then_head_then_sekda(clock, mailboxes, in_state):
    c = in_state("dispositioned")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    mail.outbox.clear()
    due = c.followup_due_at
    sweep(now=due - dt.timedelta(hours=1))  # after the reminder point (end of the previous working day)
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    reminder = sorted(addr for m in mail.outbox if c.tracking_number in m.subject for addr in m.to)
    assert reminder == ["liaison@jambikota.go.id"]
    mail.outbox.clear()
    sweep(now=due + dt.timedelta(hours=1))
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    overdue = sorted({addr for m in mail.outbox if c.tracking_number in m.subject for addr in m.to})
    assert "liaison@jambikota.go.id" in overdue and "head@jambikota.go.id" in overdue
    assert "executive@jambikota.go.id" not in overdue and "other_liaison@jambikota.go.id" not in overdue
    mail.outbox.clear()
    sweep(now=due + dt.timedelta(days=10))
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    escalated = {addr for m in mail.outbox if c.tracking_number in m.subject for addr in m.to}
    assert {"executive@jambikota.go.id", "admin@jambikota.go.id", "head@jambikota.go.id"} <= escalated
    assert "officer@jambikota.go.id" not in escalated


@pytest.mark.django_db(transaction=True)
def test_verification_ladder_stays_with_the_admin(mailboxes, submit):
    c = submit()
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    mail.outbox.clear()
    sweep(now=c.verify_due_at + dt.timedelta(hours=1))
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    addresses = {addr for m in mail.outbox for addr in m.to if m.subject.endswith(c.tracking_number)}
    assert addresses == {"admin@jambikota.go.id"}


def test_daily_digest_per_opd(mailboxes, in_state, act, other_opd):
    in_state("dispositioned")
    theirs = in_state("received")
    act(theirs, "verify", institution=other_opd.pk)
    assert send_daily_digests(now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == 2
    pupr = next(m for m in mail.outbox if "Dinas PUPR" in m.subject)
    assert pupr.to == ["liaison@jambikota.go.id"]
    assert theirs.tracking_number not in pupr.body


@pytest.mark.django_db(transaction=True)
def test_ladder_mail_shows_the_deadline_in_wib(mailboxes, in_state):
    c = in_state("dispositioned")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    mail.outbox.clear()
    sweep(now=c.followup_due_at + dt.timedelta(hours=1))
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    body = next(m.body for m in mail.outbox if c.tracking_number in m.subject)
    assert "23.59 WIB" in body and "+00:00" not in body
