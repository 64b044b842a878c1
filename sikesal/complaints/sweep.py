"""The deadline sweep: applies automatic closes/archives and records overdue deadlines.

It reads only complaints whose `next_sweep_at` has passed (an index range, not a scan of open
reports) and changes each one through the lifecycle's door in its own transaction. Running it twice,
or on several workers at once, changes nothing more: every step re-checks the locked row.
"""

import logging
from dataclasses import dataclass

from django.utils import timezone

from sikesal.complaints import lifecycle
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status

log = logging.getLogger("sikesal.sweep")

# Deadlines whose passing ends the report instead of merely being recorded as overdue.
AUTOMATIC = {
    ("reporter_due_at", Status.FOLLOWED_UP): "close_system",
    ("info_due_at", Status.PENDING_INFO): "archive_system",
}


@dataclass
class SweepResult:
    examined: int = 0
    closed: int = 0
    archived: int = 0
    overdue_marked: int = 0


def sweep(now=None, batch_size=500):
    now = now or timezone.now()
    actor = Actor.system("Penjadwal tenggat")
    result = SweepResult()
    last_id = 0
    while True:
        ids = list(
            Complaint.objects.filter(next_sweep_at__lte=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return result
        last_id = ids[-1]
        for pk in ids:
            result.examined += 1
            _sweep_one(pk, now, actor, result)


def _sweep_one(pk, now, actor, result):
    complaint = Complaint.objects.filter(pk=pk).first()
    if complaint is None:
        return
    active = lifecycle.active_deadlines(complaint)
    for (name, stage), point in sorted(lifecycle.ladder_points(complaint).items(), key=lambda item: item[1]):
        if point > now:
            continue
        action = AUTOMATIC.get((name, complaint.status)) if stage == "overdue" else None
        try:
            if action:
                lifecycle.transition(complaint, action, actor, now=now)
                if action == "close_system":
                    result.closed += 1
                else:
                    result.archived += 1
                return
            if lifecycle.mark_key(name, active[name], stage) not in complaint.overdue_marks:
                lifecycle.transition(complaint, "mark_overdue", actor, now=now, deadline=name, stage=stage)
                result.overdue_marked += 1
        except LifecycleError as exc:
            # Another worker got there first, or the report moved on: nothing left to do for it.
            log.debug("sweep skipped %s %s/%s: %s", complaint.tracking_number, name, stage, exc.code)
            complaint.refresh_from_db()
            active = lifecycle.active_deadlines(complaint)
