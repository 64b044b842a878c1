"""Every action on a report, defined once: its label, who reads its event, which of its free-text fields
are internal, whether it may carry files and whether the reporter is told.

Who may perform an action is the access policy's decision (policy.ACTION_ROLES); which states it moves
between is the lifecycle's (lifecycle.TRANSITIONS). Every other table that used to repeat action names
(timeline labels, the reporter's notifications, the files rule) is derived from ACTIONS, and a test
checks that each action appears in all three places.
"""

import enum
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from sikesal.complaints.states import Visibility

PUBLIC, REPORTER, STAFF = Visibility.PUBLIC, Visibility.REPORTER, Visibility.STAFF


class Action(enum.StrEnum):
    SUBMIT = "submit"
    VERIFY = "verify"
    REQUEST_INFO = "request_info"
    SUPPLY_INFO = "supply_info"
    ARCHIVE = "archive"
    WITHDRAW = "withdraw"
    RETURN_NOT_AUTHORITY = "return_not_authority"
    REDISPOSITION = "redisposition"
    FORWARD_EXTERNAL = "forward_external"
    START = "start"
    ASSIGN = "assign"
    SET_FLAGS = "set_flags"
    ADD_FOLLOWUP = "add_followup"
    COMPLETE_FOLLOWUP = "complete_followup"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    RATE = "rate"
    COMMENT = "comment"
    CLOSE_ADMIN = "close_admin"
    CLOSE_SYSTEM = "close_system"
    ARCHIVE_SYSTEM = "archive_system"
    MERGE = "merge"
    ESCALATE_OMBUDSMAN = "escalate_ombudsman"
    MARK_OVERDUE = "mark_overdue"
    LAPOR_MIRROR = "lapor_mirror"
    RECORD_OMBUDSMAN = "record_ombudsman"


@dataclass(frozen=True)
class ActionSpec:
    label: str
    visibility: str  # who reads its event: public, the reporter (and staff), or staff only
    tells_reporter: bool = False  # an e-mail/SMS to the reporter (and to reporters merged into the report)
    internal_fields: frozenset = frozenset()  # free text for staff only, kept out of the public message
    files: bool = False  # may carry attachments
    # What its message asks the reporter to do next ("%(due)s" is the reporter's own deadline that the
    # action starts, from deadlines.DEADLINES; "%(target)s" comes from the event's payload).
    asks_reporter: str = ""


A = Action
ACTIONS = {
    A.SUBMIT: ActionSpec(
        _("Report received"),
        PUBLIC,
        tells_reporter=True,
        asks_reporter=_(
            "Keep your tracking number. To add information or answer the agency, open the private link shown "
            "when you sent the report, or log in at “My reports” with this contact."
        ),
    ),
    A.VERIFY: ActionSpec(
        _("Verified and dispositioned"), PUBLIC, tells_reporter=True, internal_fields=frozenset({"note"})
    ),
    A.REQUEST_INFO: ActionSpec(
        _("More information requested"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_(
            "Please send the requested information by %(due)s through your private link or “My reports”. "
            "Without it, the report is archived."
        ),
    ),
    A.SUPPLY_INFO: ActionSpec(_("Information supplied by the reporter"), REPORTER, files=True),
    A.ARCHIVE: ActionSpec(
        _("Archived"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_("If the problem remains, you may file a new report."),
    ),
    A.WITHDRAW: ActionSpec(_("Withdrawn by the reporter"), REPORTER),
    A.RETURN_NOT_AUTHORITY: ActionSpec(_("Returned: not the OPD's authority"), REPORTER, tells_reporter=True),
    A.REDISPOSITION: ActionSpec(
        _("Dispositioned to another OPD"), PUBLIC, tells_reporter=True, internal_fields=frozenset({"note"})
    ),
    A.FORWARD_EXTERNAL: ActionSpec(_("Forwarded to another institution"), PUBLIC, tells_reporter=True),
    A.START: ActionSpec(_("Being handled by the OPD"), PUBLIC),
    A.ASSIGN: ActionSpec(_("Assigned to an officer"), STAFF),
    A.SET_FLAGS: ActionSpec(_("Anonymity or confidentiality changed"), STAFF),
    A.ADD_FOLLOWUP: ActionSpec(_("Follow-up"), PUBLIC, tells_reporter=True, files=True),
    A.COMPLETE_FOLLOWUP: ActionSpec(
        _("Follow-up completed"),
        PUBLIC,
        tells_reporter=True,
        files=True,
        asks_reporter=_(
            "Is the problem resolved? Confirm it and rate the handling, or say what is still wrong, through your "
            "private link or “My reports”. Without an answer by %(due)s the report is closed."
        ),
    ),
    A.CONFIRM: ActionSpec(_("Confirmed as resolved by the reporter"), PUBLIC),
    A.DISPUTE: ActionSpec(_("Disputed by the reporter: reopened"), REPORTER, files=True),
    A.RATE: ActionSpec(_("Rated by the reporter"), REPORTER),
    A.COMMENT: ActionSpec(_("Reply from the reporter"), REPORTER, files=True),
    A.CLOSE_ADMIN: ActionSpec(_("Closed by the admin"), PUBLIC),
    A.CLOSE_SYSTEM: ActionSpec(_("Closed by the system: no answer from the reporter"), PUBLIC, tells_reporter=True),
    A.ARCHIVE_SYSTEM: ActionSpec(
        _("Archived by the system: information not supplied"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_("If the problem remains, you may file a new report."),
    ),
    A.MERGE: ActionSpec(
        _("Merged with another report"),
        PUBLIC,
        tells_reporter=True,
        asks_reporter=_("The same problem was already reported as %(target)s; you will receive its updates."),
    ),
    A.ESCALATE_OMBUDSMAN: ActionSpec(_("Escalated to the Ombudsman"), REPORTER),
    A.MARK_OVERDUE: ActionSpec(_("Deadline passed"), STAFF),
    A.LAPOR_MIRROR: ActionSpec(_("Update from SP4N-LAPOR!"), REPORTER),
    A.RECORD_OMBUDSMAN: ActionSpec(_("Ombudsman escalation update"), REPORTER),
}

# Derived views of the table, for the modules that need one property of every action.
LABELS = {action.value: spec.label for action, spec in ACTIONS.items()}
TELLS_REPORTER = frozenset(action.value for action, spec in ACTIONS.items() if spec.tells_reporter)
FILE_ACTIONS = frozenset(action.value for action, spec in ACTIONS.items() if spec.files)


def spec(action):
    return ACTIONS[Action(action)]
