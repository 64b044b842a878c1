"""The deadlines of a complaint: the table of deadline rules (DEADLINES), what an action does to them, the
ones that bind a report in its current state, and the points of the escalation ladder. The lifecycle
recomputes them on every change (docs/lifecycle.md, "Deadlines").

A new deadline rule is one DeadlineSpec in DEADLINES (and its column on Complaint): the lifecycle starts
and stops it on the events it names, the sweep marks it overdue (and climbs its ladder, or takes its
automatic action), and the pages, messages, ladder mail, Ombudsman eligibility and statistics read it."""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from sikesal.catalogue import calendar
from sikesal.complaints.actions import Action
from sikesal.complaints.states import (
    OPEN_STATES,
    Status,
    Visibility,
)

S = Status

# Its clock: what the length in settings.SIKESAL_DEADLINES counts (calendar.py), or the service's hours.
WORKING_DAYS, CALENDAR_DAYS, SERVICE_HOURS = "working_days", "calendar_days", "service_hours"
# Whose deadline it is: who must act before it passes (the ladder's mail, the pages' wording).
OPD, ADMIN, REPORTER = "opd", "admin", "reporter"


@dataclass(frozen=True)
class DeadlineSpec:
    """One deadline rule. Events are action names, with two refinements (deadline_event): only a public
    add_followup counts (an internal one is a staff note), and a reopen mirrored from SP4N-LAPOR! is a
    dispute."""

    field: str  # the Complaint column it is stored in
    label: str  # what pages, the timeline and the ladder's mail call it
    owner: str  # OPD, ADMIN or REPORTER
    clock: str  # WORKING_DAYS, CALENDAR_DAYS or SERVICE_HOURS
    rule: str  # its length's name in settings.SIKESAL_DEADLINES ("" for SERVICE_HOURS)
    states: frozenset  # the states in which it binds
    started_by: frozenset  # events that (re)start it, from the event's instant
    stopped_by: frozenset = frozenset()  # events that clear it
    until_first_response: bool = False  # binds only until the first public follow-up
    ladder: bool = False  # climbs the escalation ladder (reminder before, escalated after)
    on_passing: str = ""  # the system action the sweep takes when it passes; "" marks it overdue
    sp4n: bool = False  # overdue by SIKESAL_OMBUDSMAN["overdue_working_days"] opens the way to the Ombudsman

    def due(self, c, now):
        """Its instant when started at `now` on `c` (None for a service target without a service)."""
        if self.clock == WORKING_DAYS:
            return calendar.add_working_days(now, calendar.deadline_rule(self.rule))
        if self.clock == CALENDAR_DAYS:
            return calendar.add_days(now, calendar.deadline_rule(self.rule))
        return now + dt.timedelta(hours=c.service.target_hours) if c.service is not None else None


class _Table(dict):
    """DEADLINES: a dict that rebuilds the indexes below whenever an entry is set or removed (a test
    adds a scratch rule with monkeypatch.setitem), so the hot paths read prepared tuples."""

    def __setitem__(self, key, spec):
        super().__setitem__(key, spec)
        _index()

    def __delitem__(self, key):
        super().__delitem__(key)
        _index()

    def _refused(self, *args, **kwargs):
        raise TypeError("DEADLINES changes one entry at a time")

    update = pop = popitem = clear = setdefault = _refused


_RECEIVED_OR_RETURNED = frozenset({S.RECEIVED, S.RETURNED})
_WITH_OPD = frozenset({S.DISPOSITIONED, S.IN_PROGRESS})

# In the order a report meets them: the order of active_deadlines, so of ladder rungs due at one instant.
DEADLINES = _Table()
for _spec in (
    DeadlineSpec(
        "verify_due_at",
        _("verification"),
        ADMIN,
        WORKING_DAYS,
        "verify_working_days",
        states=_RECEIVED_OR_RETURNED,
        started_by=frozenset({Action.SUBMIT, Action.SUPPLY_INFO, Action.RETURN_NOT_AUTHORITY}),
        stopped_by=frozenset({Action.VERIFY, Action.REDISPOSITION, Action.REQUEST_INFO}),
        ladder=True,
        sp4n=True,
    ),
    DeadlineSpec(
        "info_due_at",
        _("information from the reporter"),
        REPORTER,
        CALENDAR_DAYS,
        "pending_info_days",
        states=frozenset({S.PENDING_INFO}),
        started_by=frozenset({Action.REQUEST_INFO}),
        stopped_by=frozenset({Action.SUPPLY_INFO, Action.ARCHIVE_SYSTEM}),
        on_passing=Action.ARCHIVE_SYSTEM,
    ),
    DeadlineSpec(
        "followup_due_at",
        _("first follow-up"),
        OPD,
        WORKING_DAYS,
        "first_followup_working_days",
        states=_WITH_OPD,
        started_by=frozenset({Action.VERIFY, Action.REDISPOSITION, Action.DISPUTE}),
        stopped_by=frozenset({Action.ADD_FOLLOWUP, Action.COMPLETE_FOLLOWUP, Action.RETURN_NOT_AUTHORITY}),
        ladder=True,
        sp4n=True,
    ),
    DeadlineSpec(
        "reporter_due_at",
        _("reporter's answer"),
        REPORTER,
        WORKING_DAYS,
        "reporter_silence_working_days",
        states=frozenset({S.FOLLOWED_UP}),
        started_by=frozenset({Action.COMPLETE_FOLLOWUP}),
        stopped_by=frozenset({Action.CONFIRM, Action.DISPUTE, Action.CLOSE_ADMIN, Action.CLOSE_SYSTEM}),
        on_passing=Action.CLOSE_SYSTEM,
    ),
    DeadlineSpec(
        "final_due_at",
        _("final resolution"),
        OPD,
        CALENDAR_DAYS,
        "final_days",
        states=OPEN_STATES - {S.FOLLOWED_UP},
        started_by=frozenset({Action.SUBMIT}),
        ladder=True,
    ),
    DeadlineSpec(
        "target_due_at",
        _("service target"),
        OPD,
        SERVICE_HOURS,
        "",
        states=OPEN_STATES,
        started_by=frozenset({Action.SUBMIT}),
        until_first_response=True,
    ),
):
    dict.__setitem__(DEADLINES, _spec.field, _spec)


# Indexes of DEADLINES, rebuilt in place by _index (other modules hold these very objects).
LADDER_DEADLINES = set()  # fields that climb the escalation ladder (the others are only marked, or end the report)
ON_PASSING = {}  # field -> the system action its passing takes
_RUNNING = {}  # state -> the specs that bind in it, in table order
_STARTS, _STOPS = {}, {}  # event -> the specs it starts / stops
_VERSION = [0]


def _index():
    LADDER_DEADLINES.clear()
    LADDER_DEADLINES.update(spec.field for spec in DEADLINES.values() if spec.ladder)
    ON_PASSING.clear()
    ON_PASSING.update((spec.field, spec.on_passing) for spec in DEADLINES.values() if spec.on_passing)
    _RUNNING.clear()
    _RUNNING.update((state, tuple(s for s in DEADLINES.values() if state in s.states)) for state in S.values)
    for index, events in ((_STARTS, "started_by"), (_STOPS, "stopped_by")):
        index.clear()
        for spec in DEADLINES.values():
            for event in getattr(spec, events):
                index[event] = (*index.get(event, ()), spec)
    _VERSION[0] += 1
    _points.cache_clear()
    _rungs.cache_clear()


def table_version():
    """Bumped whenever DEADLINES changes: a key for what other modules derive from it (sweep's columns)."""
    return _VERSION[0]


def fields():
    """The columns of every deadline, in table order."""
    return tuple(DEADLINES)


def label(field):
    spec = DEADLINES.get(field)
    return spec.label if spec is not None else ""


def wd(name):
    return calendar.deadline_rule(name)


def deadline_event(action, change):
    """The event an applied action is for the deadlines (DeadlineSpec's refinements), or None."""
    if action == Action.ADD_FOLLOWUP and change.visibility == Visibility.STAFF:
        return None  # an internal follow-up is a staff note: no answer to anyone
    if action == Action.LAPOR_MIRROR:  # reopened on SP4N-LAPOR!, as a local dispute would be
        return Action.DISPUTE if change.target == S.IN_PROGRESS else None
    return action


def follow_event(c, event, now):
    """What `event` does to the deadlines of `c`: clears those it stops, then (re)starts those it starts."""
    for spec in _STOPS.get(event, ()):
        setattr(c, spec.field, None)
    for spec in _STARTS.get(event, ()):
        setattr(c, spec.field, spec.due(c, now))


def initial_deadlines(c, now):
    follow_event(c, Action.SUBMIT, now)


def ending(action):
    """The specs whose passing takes `action` (close_system, archive_system)."""
    return tuple(spec for spec in DEADLINES.values() if spec.on_passing == action)


def active_deadlines(c):
    """The deadlines that bind the complaint in its current state: {field name: instant}."""
    active = {}
    for spec in _RUNNING.get(c.status, ()):
        due = getattr(c, spec.field)
        if due is not None and not (spec.until_first_response and c.first_response_at is not None):
            active[spec.field] = due
    return active


class Shown(NamedTuple):
    spec: DeadlineSpec
    due: dt.datetime


def shown(c, reader=""):
    """The deadlines that bind `c` now, as a page or message shows them to `reader` (OPD, ADMIN, REPORTER,
    or "" for the public): the reader's own first, then the others, each group earliest first."""
    rows = (Shown(DEADLINES[field], due) for field, due in active_deadlines(c).items())
    return sorted(rows, key=lambda row: (row.spec.owner != reader, row.due))


def started(event, owner):
    """The deadlines of `owner` that `event` starts: an action's message asks the reporter to meet theirs."""
    return tuple(spec for spec in _STARTS.get(event, ()) if spec.owner == owner)


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


_index()
