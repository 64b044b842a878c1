"""May this report be taken to the Ombudsman now? One function, reasons in plain Indonesian.

UU 37/2008 Pasal 24 and the SP4N rules: the city received the report; and either the final deadline
(60 days) passed unresolved, or a deadline is overdue by a configurable number of working days, or the
reporter disputed the OPD's follow-up; the incident is at most two years old; and the report was
neither escalated already nor taken over by the Ombudsman through SP4N-LAPOR!.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.catalogue import calendar
from sikesal.complaints.deadlines import DEADLINES, active_deadlines
from sikesal.complaints.states import Status

RESOLVED = {Status.CLOSED_REPORTER, Status.CLOSED_ADMIN}
NOT_RECEIVED = {Status.ARCHIVED_REPORTER, Status.MERGED}


@dataclass
class Eligibility:
    ok: bool
    grounds: list = field(default_factory=list)  # why it may go (shown to the citizen)
    reasons: list = field(default_factory=list)  # why it may not (shown to the citizen)


def check(complaint, now=None):
    now = now or timezone.now()
    rules = settings.SIKESAL_OMBUDSMAN
    grounds, reasons = [], []
    if complaint.ombudsman_escalated_at:
        reasons.append(_("This report has already been taken to the Ombudsman."))
    if complaint.ombudsman_taken_over:
        reasons.append(_("The Ombudsman has already taken this report over through SP4N-LAPOR!."))
    if complaint.status in NOT_RECEIVED:
        reasons.append(_("This report was withdrawn or merged into another report."))
    incident = complaint.incident_date or timezone.localtime(complaint.submitted_at).date()
    if (timezone.localdate(now) - incident).days > rules["max_incident_age_days"]:
        reasons.append(_("The events are more than two years old; the Ombudsman can no longer examine them."))

    if complaint.final_due_at and now > complaint.final_due_at and complaint.status not in RESOLVED:
        grounds.append(
            _("The report was not resolved within the final deadline of %(n)d days.")
            % {"n": settings.SIKESAL_DEADLINES["final_days"]}
        )
    # The SP4N working-day deadlines (DeadlineSpec.sp4n: verification, first follow-up); the city's own
    # hour targets and the reporter's deadlines do not open the way to the Ombudsman.
    late = [
        (name, calendar.working_days_between(due, now))
        for name, due in active_deadlines(complaint).items()
        if due < now and DEADLINES[name].sp4n
    ]
    worst = max((days for _name, days in late), default=0)
    if worst >= rules["overdue_working_days"]:
        grounds.append(_("A deadline has been overdue for %(n)d working days.") % {"n": worst})
    if complaint.reopen_count > 0:
        grounds.append(_("You disputed the agency's follow-up."))
    if not grounds:
        reasons.append(
            _(
                "The agency still has time: a report may go to the Ombudsman when it is not resolved after %(final)d days, when a deadline is %(n)d working days overdue, or after you dispute the follow-up."
            )
            % {"final": settings.SIKESAL_DEADLINES["final_days"], "n": rules["overdue_working_days"]}
        )
    return Eligibility(ok=not reasons, grounds=grounds, reasons=reasons)
