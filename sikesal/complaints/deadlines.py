"""The deadlines of a complaint in its current state, in working days (calendar.py), and the points of
the escalation ladder. The lifecycle recomputes them on every change (docs/lifecycle.md)."""

import datetime as dt
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from sikesal.catalogue import calendar
from sikesal.complaints.states import (
    OPEN_STATES,
    Status,
)

S = Status


def wd(name):
    return calendar.deadline_rule(name)


def active_deadlines(c):
    """The deadlines that bind the complaint in its current state: {field name: instant}."""
    s = c.status
    if s not in OPEN_STATES:
        return {}
    active = {}
    if s in (S.RECEIVED, S.RETURNED):
        active["verify_due_at"] = c.verify_due_at
    elif s == S.PENDING_INFO:
        active["info_due_at"] = c.info_due_at
    elif s in (S.DISPOSITIONED, S.IN_PROGRESS):
        active["followup_due_at"] = c.followup_due_at
    elif s == S.FOLLOWED_UP:
        active["reporter_due_at"] = c.reporter_due_at
    if s != S.FOLLOWED_UP:
        active["final_due_at"] = c.final_due_at
    if c.first_response_at is None:
        active["target_due_at"] = c.target_due_at
    return {name: due for name, due in active.items() if due is not None}


# Deadlines that climb the escalation ladder (the others are only marked overdue, or end the report).
LADDER_DEADLINES = frozenset({"verify_due_at", "followup_due_at", "final_due_at"})


_ESCALATION = []  # settings.SIKESAL_ESCALATION's two numbers, as last read


def _escalation():
    """(reminder_working_days_before, escalate_after_working_days), read from the settings once: a read
    of Django's lazy settings costs a microsecond, and the sweep needs them several times per report."""
    if not _ESCALATION:
        rules = settings.SIKESAL_ESCALATION
        _ESCALATION.append((rules["reminder_working_days_before"], rules["escalate_after_working_days"]))
    return _ESCALATION[0]


@receiver(setting_changed)
def _forget_escalation(setting, **kwargs):
    if setting == "SIKESAL_ESCALATION":  # override_settings in tests
        _ESCALATION.clear()


def ladder_points(c):
    """{(deadline, stage): instant} for every rung: reminder before, overdue at, escalated after."""
    return dict(_points(tuple(active_deadlines(c).items()), *_escalation(), calendar.extra()))


# The ladders memoised per process. A report's own reads come one after another (the sweep reads its
# ladder three times per step), so a thousand entries serve them: a bulk sweep of 20,000 due reports hit
# the memo as often with 1,024 as with 65,536. Every new report adds a ladder that is never read again,
# and at 65,536 entries (about ten objects each) they made each full garbage collection in a web process
# traverse 700,000 objects, 300 ms under load, every few seconds (issue #19).
LADDER_MEMO = 1024


@lru_cache(maxsize=LADDER_MEMO)
def _points(active, reminder_before, escalate_after, extra):
    # Memoised by the deadlines, the rules and the calendar's editable days (issue #19: the set-based
    # sweep reads the rungs of the same deadlines several times per report).
    points = {}
    for name, due in active:
        points[(name, "overdue")] = due
        if name in LADDER_DEADLINES:
            points[(name, "reminder")] = calendar.subtract_working_days(due, reminder_before)
            points[(name, "escalated")] = calendar.add_working_days(due, escalate_after)
    return tuple(points.items())


def mark_key(name, due, stage="overdue"):
    return f"{name}@{due.isoformat()}" + ("" if stage == "overdue" else f"#{stage}")


class Rung(NamedTuple):
    deadline: str
    stage: str
    at: dt.datetime  # when the rung is due
    key: str  # its mark in overdue_marks (mark_key)
    due: dt.datetime  # the deadline's instant


def rungs(c, active=None):
    """ladder_points as a ladder: every Rung of the active deadlines (`active`, if the caller has them),
    earliest first, rungs due at the same instant in ladder_points' order. Memoised with their mark keys:
    the sweep reads the same report's ladder three times per step (issue #19)."""
    active = tuple((active_deadlines(c) if active is None else active).items())
    return _rungs(active, *_escalation(), calendar.extra())


@lru_cache(maxsize=LADDER_MEMO)
def _rungs(active, reminder_before, escalate_after, extra):
    due = dict(active)
    ladder = (
        Rung(name, stage, at, mark_key(name, due[name], stage), due[name])
        for (name, stage), at in _points(active, reminder_before, escalate_after, extra)
    )
    return tuple(sorted(ladder, key=lambda rung: rung.at))  # stable: ties keep ladder_points' order


def refresh_deadlines(c):
    active = active_deadlines(c)
    c.due_at = min(active.values(), default=None)
    c.next_sweep_at = next_sweep_at(c, active)


def next_sweep_at(c, active=None):
    """The earliest rung of the ladder not yet marked (the ladder is in order): when the sweep next has
    something to do for `c`."""
    marks = c.overdue_marks
    return next((rung.at for rung in rungs(c, active or active_deadlines(c)) if rung.key not in marks), None)


def initial_deadlines(c, now):
    c.verify_due_at = calendar.add_working_days(now, wd("verify_working_days"))
    c.final_due_at = calendar.add_days(now, wd("final_days"))
    if c.service is not None:
        c.target_due_at = now + dt.timedelta(hours=c.service.target_hours)
