"""Every action on a report, defined once: its label, who reads its event, which of its free-text fields
are internal, whether it may carry files and whether the reporter is told.

Who may perform an action is the access policy's decision (policy.ACTION_ROLES); which states it moves
between is the lifecycle's (lifecycle.TRANSITIONS). Every other table that used to repeat action names
(timeline labels, the reporter's notifications, the files rule, the desks' forms with their titles, the
actions with response templates) is derived from ACTIONS. Code names an action by its Action member,
never by its string; tests check that each action appears in all three places and that no other module
spells an action's name.
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
    START = "start"
    ASSIGN = "assign"
    ADD_FOLLOWUP = "add_followup"
    COMPLETE_FOLLOWUP = "complete_followup"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    RATE = "rate"
    COMMENT = "comment"
    WITHDRAW = "withdraw"
    RETURN_NOT_AUTHORITY = "return_not_authority"
    REDISPOSITION = "redisposition"
    FORWARD_EXTERNAL = "forward_external"
    MERGE = "merge"
    ARCHIVE = "archive"
    CLOSE_ADMIN = "close_admin"
    SET_FLAGS = "set_flags"
    CLOSE_SYSTEM = "close_system"
    ARCHIVE_SYSTEM = "archive_system"
    ESCALATE_OMBUDSMAN = "escalate_ombudsman"
    MARK_OVERDUE = "mark_overdue"
    LAPOR_MIRROR = "lapor_mirror"
    RECORD_OMBUDSMAN = "record_ombudsman"


class Desk(enum.StrEnum):
    """The page that offers an action as a form; its value is the template folder of the forms
    (`<desk>/actions/<action>.html`)."""

    BACKOFFICE = "backoffice"  # the officers' report page
    PORTAL = "portal"  # the reporter's private page


@dataclass(frozen=True)
class ActionSpec:
    label: str
    visibility: str  # who reads its event: public, the reporter (and staff), or staff only
    tells_reporter: bool = False  # an e-mail/SMS to the reporter (and to reporters merged into the report)
    internal_fields: frozenset = frozenset()  # free text for staff only, kept out of the public message
    files: bool = False  # may carry attachments
    # What its message asks the reporter to do next ("%(due)s" is the reporter's own deadline that the
    # action starts, from deadlines.DEADLINES; "%(target)s" comes from the event's payload, "%(ombudsman)s"
    # is the Ombudsman's state it records).
    asks_reporter: str = ""
    # Where it is offered as a form (None: taken by the system, or from a page of its own), the form's
    # title, its button when that says something else, and whether admins keep ready answers for it.
    desk: Desk | None = None
    title: str = ""
    button: str = ""
    response_templates: bool = False


A = Action
BACKOFFICE, PORTAL = Desk.BACKOFFICE, Desk.PORTAL
# A desk shows its forms in the order of this table.
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
        _("Verified and dispositioned"),
        PUBLIC,
        tells_reporter=True,
        internal_fields=frozenset({"note"}),
        desk=BACKOFFICE,
        title=_("Verify and disposition"),
    ),
    A.REQUEST_INFO: ActionSpec(
        _("More information requested"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_(
            "Please send the requested information by %(due)s through your private link or “My reports”. "
            "Without it, the report is archived."
        ),
        desk=BACKOFFICE,
        title=_("Request information"),
        response_templates=True,
    ),
    A.SUPPLY_INFO: ActionSpec(
        _("Information supplied by the reporter"),
        REPORTER,
        files=True,
        desk=PORTAL,
        title=_("Supply the requested information"),
        button=_("Send information"),
    ),
    A.START: ActionSpec(_("Being handled by the OPD"), PUBLIC, desk=BACKOFFICE, title=_("Start handling")),
    A.ASSIGN: ActionSpec(_("Assigned to an officer"), STAFF, desk=BACKOFFICE, title=_("Assign to an officer")),
    A.ADD_FOLLOWUP: ActionSpec(
        _("Follow-up"),
        PUBLIC,
        tells_reporter=True,
        files=True,
        desk=BACKOFFICE,
        title=_("Post a follow-up"),
        response_templates=True,
    ),
    A.COMPLETE_FOLLOWUP: ActionSpec(
        _("Follow-up completed"),
        PUBLIC,
        tells_reporter=True,
        files=True,
        asks_reporter=_(
            "Is the problem resolved? Confirm it and rate the handling, or say what is still wrong, through your "
            "private link or “My reports”. Without an answer by %(due)s the report is closed."
        ),
        desk=BACKOFFICE,
        title=_("Declare the follow-up complete"),
        response_templates=True,
    ),
    A.CONFIRM: ActionSpec(
        _("Confirmed as resolved by the reporter"),
        PUBLIC,
        desk=PORTAL,
        title=_("Is the problem resolved?"),
        button=_("Yes, close my report"),
    ),
    A.DISPUTE: ActionSpec(
        _("Disputed by the reporter: reopened"),
        REPORTER,
        files=True,
        desk=PORTAL,
        title=_("Not resolved?"),
        button=_("Reopen my report"),
    ),
    A.RATE: ActionSpec(
        _("Rated by the reporter"), REPORTER, desk=PORTAL, title=_("Rate the handling"), button=_("Save rating")
    ),
    A.COMMENT: ActionSpec(
        _("Reply from the reporter"),
        REPORTER,
        files=True,
        desk=PORTAL,
        title=_("Reply to the agency"),
        button=_("Send reply"),
    ),
    # Only a button: withdrawing needs no words.
    A.WITHDRAW: ActionSpec(_("Withdrawn by the reporter"), REPORTER, desk=PORTAL, button=_("Withdraw my report")),
    A.RETURN_NOT_AUTHORITY: ActionSpec(
        _("Returned: not the OPD's authority"),
        REPORTER,
        tells_reporter=True,
        desk=BACKOFFICE,
        title=_("Return: not our authority"),
        response_templates=True,
    ),
    A.REDISPOSITION: ActionSpec(
        _("Dispositioned to another OPD"),
        PUBLIC,
        tells_reporter=True,
        internal_fields=frozenset({"note"}),
        desk=BACKOFFICE,
        title=_("Disposition to another OPD"),
    ),
    A.FORWARD_EXTERNAL: ActionSpec(
        _("Forwarded to another institution"),
        PUBLIC,
        tells_reporter=True,
        desk=BACKOFFICE,
        title=_("Forward to another institution (SP4N-LAPOR!)"),
        response_templates=True,
    ),
    A.MERGE: ActionSpec(
        _("Merged with another report"),
        PUBLIC,
        tells_reporter=True,
        asks_reporter=_("The same problem was already reported as %(target)s; you will receive its updates."),
        desk=BACKOFFICE,
        title=_("Merge as a duplicate"),
    ),
    A.ARCHIVE: ActionSpec(
        _("Archived"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_("If the problem remains, you may file a new report."),
        desk=BACKOFFICE,
        title=_("Archive"),
        response_templates=True,
    ),
    A.CLOSE_ADMIN: ActionSpec(_("Closed by the admin"), PUBLIC, desk=BACKOFFICE, title=_("Close")),
    A.SET_FLAGS: ActionSpec(
        _("Anonymity or confidentiality changed"), STAFF, desk=BACKOFFICE, title=_("Anonymity and confidentiality")
    ),
    A.CLOSE_SYSTEM: ActionSpec(_("Closed by the system: no answer from the reporter"), PUBLIC, tells_reporter=True),
    A.ARCHIVE_SYSTEM: ActionSpec(
        _("Archived by the system: information not supplied"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_("If the problem remains, you may file a new report."),
    ),
    A.ESCALATE_OMBUDSMAN: ActionSpec(
        _("Escalated to the Ombudsman"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_("Your report is being sent to the Ombudsman; you will be told of the Ombudsman's progress."),
    ),
    A.MARK_OVERDUE: ActionSpec(_("Deadline passed"), STAFF),
    A.LAPOR_MIRROR: ActionSpec(_("Update from SP4N-LAPOR!"), REPORTER),
    # The Ombudsman's progress reaches the reporter; a delivery attempt is the staff's (action_handlers.py).
    A.RECORD_OMBUDSMAN: ActionSpec(
        _("Ombudsman escalation update"),
        REPORTER,
        tells_reporter=True,
        asks_reporter=_("The Ombudsman's handling of your report: %(ombudsman)s."),
    ),
}

# Derived views of the table, for the modules that need one property of every action.
LABELS = {action.value: spec.label for action, spec in ACTIONS.items()}
TELLS_REPORTER = frozenset(action.value for action, spec in ACTIONS.items() if spec.tells_reporter)
FILE_ACTIONS = frozenset(action.value for action, spec in ACTIONS.items() if spec.files)
BACKOFFICE_ACTIONS = tuple(action for action, spec in ACTIONS.items() if spec.desk == Desk.BACKOFFICE)
PORTAL_ACTIONS = tuple(action for action, spec in ACTIONS.items() if spec.desk == Desk.PORTAL)
# The actions admins keep ready answers for, as model choices named like their forms.
RESPONSE_TEMPLATE_CHOICES = [(action.value, spec.title) for action, spec in ACTIONS.items() if spec.response_templates]


@dataclass(frozen=True)
class DeskForm:
    """One action's form on a desk: the page renders `template` (its fields) under `title`."""

    action: Action
    title: str
    button: str
    template: str


def desk_forms(desk, offered):
    """The forms a desk shows for the actions it offers on this report now, in the table's order."""
    return [
        DeskForm(
            action,
            ACTIONS[action].title,
            ACTIONS[action].button or ACTIONS[action].title,
            f"{desk}/actions/{action}.html",
        )
        for action in ACTIONS
        if action in offered and ACTIONS[action].desk == desk
    ]


def spec(action):
    return ACTIONS[Action(action)]
