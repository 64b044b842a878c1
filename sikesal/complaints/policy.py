"""Who may see and do what. Every view, API handler and task asks here; nothing decides on its own.

The rules, in words:
- The admin koordinator, executives (Sekda) and the Ombudsman observer read every report.
- An OPD's liaison, officers and head read only the reports currently dispositioned to their OPD,
  or on which their OPD was named as a co-OPD (which may also add follow-ups, nothing else).
- A reporter reads their own report (through the private link or their account).
- The public reads the public part of a report that is verified and not rahasia.
- Reporter identity: the reporter; the admin koordinator (for an anonim report only after an
  audited "reveal"); the assigned OPD when the report is not anonim; the Ombudsman observer only
  on a report escalated to the Ombudsman; the system (to send updates). Nobody else, ever.
- Lifecycle actions: ACTION_ROLES below lists who may take each action; OPD roles act only on their
  own OPD's reports and reporters only on their own reports.
- Partner applications (API keys) act as PARTNER, bound to their key's scopes: `reports:file` files
  reports, `reports:read` reads what the public may read, `reports:act` acts like its one institution's
  OPD liaison on that institution's reports (start, follow up, return), never on any other. A partner
  never reads an identity.
- The complaint desk: the admin koordinator and desk officers record reports brought in person, by
  phone, letter, e-mail or social media, for the citizen (never linked to the officer's account). A desk
  officer reads nothing else: no report page, no inbox, no identity; only the receipts of the reports
  they recorded themselves (the admin, every desk report's). Before filing, the desk names likely
  duplicates: to a desk officer only public reports and their own recordings, and "the same reporter"
  only to the admin.
- Back-office pages: staff only; the sync health page, the audit log and the identity columns of an
  export are the admin koordinator's; an OPD sees its own monthly report; the Ombudsman pages are the
  observer's (the admin may look at the list). Templates read these through `PageDecisions` (`may.…`).
- Personal data (UU PDP, docs/privacy.md): the data-protection officer (DPO) reads no report and no
  identity on a report page; they read the audit of every reveal and export, decide the data subjects'
  requests and keep the breach register. A citizen logged in to their account sees everything held about
  them, corrects their contacts and asks for erasure, restriction or objection.
- Log-in: staff log in to the back office; staff who set up a second factor always give a code, the
  admin koordinator and the DPO must. Django's admin is the admin koordinator's, by role alone (is_staff and
  is_superuser mean nothing here).
- Who is told: the sync alarm and the deadline ladder go to the people in the roles below
  (admins_to_alert and friends); a report is assigned only to an active officer of its own OPD.
"""

import enum
import functools
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from sikesal.accounts.roles import OPD_ROLES, STAFF_ROLES, Role
from sikesal.complaints.actions import Action

READ_ALL_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.OMBUDSMAN, Role.SYSTEM})
PARTNER = "partner"  # an API key acting for a partner application (not a person's role)

ADMIN = frozenset({Role.ADMIN})
OPD = OPD_ROLES
REPORTER = frozenset({Role.CITIZEN})
DESK = frozenset({Role.DESK_OFFICER})
SYSTEM = frozenset({Role.SYSTEM})

# Who may take each action (the lifecycle checks it through `may`; actions.ACTIONS has the rest).
ACTION_ROLES = {
    Action.SUBMIT: REPORTER | ADMIN | DESK | SYSTEM | {PARTNER},
    Action.VERIFY: ADMIN,
    Action.REQUEST_INFO: ADMIN,
    Action.SUPPLY_INFO: REPORTER,
    Action.ARCHIVE: ADMIN,
    Action.WITHDRAW: REPORTER,
    Action.RETURN_NOT_AUTHORITY: OPD | {PARTNER},
    Action.REDISPOSITION: ADMIN,
    Action.FORWARD_EXTERNAL: ADMIN,
    Action.START: OPD | {PARTNER},
    Action.ASSIGN: OPD,
    Action.SET_FLAGS: ADMIN,
    Action.ADD_FOLLOWUP: OPD | ADMIN | {PARTNER},
    Action.COMPLETE_FOLLOWUP: OPD | {PARTNER},
    Action.CONFIRM: REPORTER,
    Action.DISPUTE: REPORTER,
    Action.RATE: REPORTER,
    Action.COMMENT: REPORTER,
    Action.CLOSE_ADMIN: ADMIN,
    Action.CLOSE_SYSTEM: SYSTEM,
    Action.ARCHIVE_SYSTEM: SYSTEM,
    Action.MERGE: ADMIN,
    # The citizen's choice, and only through the escalation service (eligibility, identity, file).
    Action.ESCALATE_OMBUDSMAN: REPORTER,
    Action.MARK_OVERDUE: SYSTEM,
    Action.LAPOR_MIRROR: SYSTEM,
    Action.RECORD_OMBUDSMAN: SYSTEM | {Role.OMBUDSMAN},
}

# Partner scopes; "reports:write" is the former single scope, read as filing only.
SCOPE_FILE, SCOPE_READ, SCOPE_ACT = "reports:file", "reports:read", "reports:act"
PARTNER_SCOPES = (SCOPE_FILE, SCOPE_READ, SCOPE_ACT)
LEGACY_SCOPES = {"reports:write": SCOPE_FILE}


@dataclass(frozen=True)
class Actor:
    """Someone acting on a complaint: a logged-in user, a reporter with a private link, or the system."""

    role: str
    user: object = None
    institution_id: int | None = None
    reporter_of: int | None = None  # complaint id a reporter proved ownership of
    label: str = ""
    scopes: frozenset = frozenset()  # a partner key's scopes
    key_id: int | None = None  # a partner key's id (idempotency keys and audit are namespaced by it)

    @classmethod
    def for_user(cls, user):
        if user is None or not user.is_authenticated:
            return cls(role="public", label=str(_("Public")))
        return cls(
            role=user.role,
            user=user,
            institution_id=user.institution_id if user.role in OPD_ROLES else None,
            label=user.get_full_name() or user.get_username(),
        )

    @classmethod
    def partner(cls, key):
        """A partner application's API key: its scopes and, for an acting key, its one institution."""
        scopes = frozenset(LEGACY_SCOPES.get(s, s) for s in (key.scopes or ()))
        return cls(
            role=PARTNER,
            institution_id=getattr(key, "institution_id", None),
            label=f"API {key.name}"[:150],
            scopes=scopes,
            key_id=key.pk,
        )

    @property
    def principal(self):
        """Who this is, for namespacing what it creates (idempotency keys): kind and id, never mixed."""
        if self.role == PARTNER:
            return f"key:{self.key_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"{self.role}:{self.reporter_of or '-'}"

    @classmethod
    def filing_citizen(cls, user):
        """Who files on the public form: the citizen's account when logged in as one, else the public
        as a reporter (a staff member filing there files as a citizen, not in their office)."""
        if user is not None and user.is_authenticated and user.role == Role.CITIZEN:
            return cls.for_user(user)
        return cls(role=Role.CITIZEN, label="Pelapor")

    @classmethod
    def system(cls, label="SIKESAL"):
        return cls(role=Role.SYSTEM, label=label)

    @classmethod
    def reporter(cls, complaint, user=None):
        """The reporter of `complaint`, proven by the private link or by being its account owner."""
        return cls(role=Role.CITIZEN, user=user, reporter_of=complaint.pk, label=str(_("Reporter")))

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


def is_reporter(actor, complaint):
    if actor.role != Role.CITIZEN:
        return False
    if actor.reporter_of is not None and actor.reporter_of == complaint.pk:
        return True
    if actor.user_id is not None:
        reporter = getattr(complaint, "reporter", None)
        return reporter is not None and reporter.user_id == actor.user_id
    return False


def sender_owns_report(complaint, kind, address, normalise):
    """May a message from `address` (a messaging channel's sender, in that channel's canonical form of a
    Contact `kind`: a WhatsApp or SMS number, an e-mail address) act as `complaint`'s reporter? Only when
    the report was filed with that very contact: the number (or address) is the proof, as the private link
    is on the web. `normalise` is the channel's: the contact as written at filing, in the same form."""
    written = getattr(getattr(complaint, "reporter", None), kind, "") or ""
    if not written or not address:
        return False
    try:
        return normalise(written) == address
    except ValueError:  # a contact the channel refuses (InvalidAddress) is no one's proof
        return False


def is_own_opd(actor, complaint):
    return (
        actor.role in OPD_ROLES
        and actor.institution_id is not None
        and actor.institution_id == complaint.institution_id
    )


def is_co_opd(actor, complaint):
    """A helping OPD named at disposition: it reads the report and adds follow-ups, nothing more."""
    return (
        actor.role in OPD_ROLES
        and actor.institution_id is not None
        and complaint.pk is not None
        and complaint.co_institutions.filter(pk=actor.institution_id).exists()
    )


CO_OPD_ACTIONS = frozenset({Action.ADD_FOLLOWUP})


def is_partner_for(actor, complaint):
    """An acting partner key on a report of its own institution."""
    return (
        actor.role == PARTNER
        and SCOPE_ACT in actor.scopes
        and actor.institution_id is not None
        and complaint is not None
        and actor.institution_id == complaint.institution_id
    )


def can_view(actor, complaint):
    """May `actor` open the staff/reporter view of `complaint` (everything but identity)?"""
    if actor.role in READ_ALL_ROLES:
        return True
    if actor.role in OPD_ROLES:
        return is_own_opd(actor, complaint) or is_co_opd(actor, complaint)
    if actor.role == PARTNER:
        return is_partner_for(actor, complaint)
    return is_reporter(actor, complaint)


def can_read_internal(actor, complaint):
    """Staff-only events and notes (internal follow-ups, the note for the OPD)."""
    return actor.role in STAFF_ROLES | SYSTEM and can_view(actor, complaint)


def can_see_deliveries(actor, complaint):
    """The report page's "Messages to the reporter": which updates reached the reporter, on which channel,
    so that an officer learns a request for information never arrived. Staff who may view the report: its
    OPD (and a co-OPD), the admin koordinator, the executive, and the Ombudsman observer, who reads every
    report with its internal timeline already (can_read_internal) and for whom whether the reporter was told
    is part of how the report was handled. A channel and a state name nobody; the failure reason may (an
    e-mail bounce names the address), so the page shows it only where identity_access lets the identity be
    read. Not the DPO: they read no report. Not the reporter (what was sent to them is on their "Data saya",
    privacy/holdings.py), a partner key or the public."""
    return actor.role in STAFF_ROLES and can_view(actor, complaint)


def timeline_audience(actor, complaint):
    """Which part of the timeline `actor` reads: "staff", "reporter" or "public"."""
    if can_read_internal(actor, complaint):
        return "staff"
    if can_view(actor, complaint):
        return "reporter" if actor.role != PARTNER else "public"
    return "public"


# --- Beyond one report: pages, exports, keys ---------------------------------------------------------


def can_use_backoffice(actor):
    return actor.role in STAFF_ROLES


def may_log_in_to_backoffice(user):
    """The back office's log-in gate: a staff account (a citizen's password opens nothing there)."""
    return user is not None and user.is_authenticated and can_use_backoffice(Actor.for_user(user))


def needs_second_factor(user):
    """Staff with TOTP set up always give a code; the admin koordinator must set it up."""
    return user.role in STAFF_ROLES and (user.totp_confirmed or user.role in (Role.ADMIN, Role.DPO))


def can_use_django_admin(actor):
    """Django's admin (users, API keys, catalogue): the admin koordinator's, whatever is_staff says."""
    return actor.role == Role.ADMIN and actor.user is not None and actor.user.is_active


def can_record_desk_report(actor):
    """The complaint desk's "record a report" (walk-in, phone, letter, e-mail, social media)."""
    return actor.role in ADMIN | DESK


def lands_at_the_desk(actor):
    """A desk officer's back office is the desk: the inbox holds nothing they may read."""
    return actor.role in DESK


def desk_receipts(actor, queryset):
    """The desk-recorded reports whose receipt `actor` may print again: a desk officer's own recordings,
    every one for the admin koordinator, none for anyone else."""
    if actor.role in ADMIN:
        return queryset.filter(desk_intake__isnull=False)
    if actor.role in DESK and actor.user_id is not None:
        return queryset.filter(desk_intake__recorded_by_id=actor.user_id)
    return queryset.none()


def can_reprint_receipt(actor, complaint):
    return desk_receipts(actor, type(complaint).objects.filter(pk=complaint.pk)).exists()


def desk_duplicate_candidates(actor, queryset):
    """The earlier reports the desk's duplicate check may name to `actor` (number, title, status): those they
    may view, those the public reads anyway, and those whose receipt they may print again. A desk officer is
    never shown an unverified or rahasia report that someone else filed."""
    if not can_record_desk_report(actor):
        return queryset.none()
    return visible_complaints(actor, queryset) | public_complaints(queryset) | desk_receipts(actor, queryset)


def desk_matches_by_contact(actor):
    """May the desk's duplicate check tell `actor` that an earlier report came from the phone or e-mail just
    typed in? That names the earlier report's reporter, so only for someone who reads the identity of every
    report that is not anonim: the admin koordinator (an anonim report is never matched by its contact,
    routing/duplicates.py). A desk officer reads no identity."""
    return actor.role in ADMIN


def works_in_an_opd(actor):
    """An OPD's staff work in their OPD's queues, with no OPD filter or column (the policy already
    narrowed what they see); everyone else works in the admin koordinator's queues."""
    return actor.role in OPD_ROLES


def can_use_citizen_account(actor):
    """The "my reports" pages: a citizen logged in to their own account."""
    return actor.role == Role.CITIZEN and actor.user_id is not None


def can_manage_sync(actor):
    """The SP4N-LAPOR! health page and its buttons."""
    return actor.role == Role.ADMIN


def can_settle_lapor_create(actor):
    """Link a create held as an unknown outcome to its SP4N-LAPOR! report, or send it again (audited)."""
    return actor.role == Role.ADMIN


def can_read_audit(actor):
    """The audit log (every view and reveal of an identity, every export, log-ins)."""
    return actor.role in (Role.ADMIN, Role.DPO)


def is_dpo(actor):
    """The DPO's pages: the data subjects' request queue, the breach register, the records of processing."""
    return actor.role == Role.DPO


def can_lift_restriction(actor):
    """Lift a restriction of processing (UU PDP Pasal 11, 41) at the citizen's asking: the DPO, who carried it
    out. The admin koordinator handles the report, not its reporter's rights."""
    return actor.role == Role.DPO


def lands_at_privacy(actor):
    """A DPO's back office is the privacy office: the inbox holds nothing they may read."""
    return actor.role == Role.DPO


def dpos_to_alert():
    """Who hears of a new data subject's request (its clock is 3x24 hours)."""
    return _active_in(Role.DPO)


def can_manage_blocklist(actor):
    """The block list ("Daftar blokir"): who sees it, adds to it and lifts a block (complaints/senders.py)."""
    return actor.role == Role.ADMIN


def can_read_sender_messages(actor, filed_anonymously):
    """What a blocked or flooding sender sent on a messaging channel (the block list page). The admin
    koordinator reads it, except a sender who filed an anonim report from that address: its texts would tie
    the address to that report, so only their times and marks are shown (the report's page reveals its
    reporter, with a reason that is audited)."""
    return actor.role == Role.ADMIN and not filed_anonymously


def sees_held_reports(actor):
    """The queue of reports held because their sender is blocked."""
    return actor.role == Role.ADMIN


def export_with_identity_columns(actor):
    """Identity columns exist in an export for roles that may ever see a reporter (admin, OPD staff);
    each row still asks identity_access."""
    return actor.role == Role.ADMIN or actor.role in OPD_ROLES


def can_read_monthly_report(actor, institution_id):
    if actor.role in OPD_ROLES:
        return actor.institution_id == institution_id
    return actor.role in READ_ALL_ROLES


def monthly_report_institution(actor, requested):
    """The OPD whose monthly report `actor` asks for: an OPD's own, whatever it requested."""
    return actor.institution_id if actor.role in OPD_ROLES else requested


def can_observe_ombudsman(actor):
    """The list of escalations to the Ombudsman."""
    return actor.role in (Role.OMBUDSMAN, Role.ADMIN)


def can_act_as_ombudsman(actor):
    """The escalation file (with the identity UU 37/2008 requires) and the Ombudsman's own progress."""
    return actor.role == Role.OMBUDSMAN


class PageDecisions:
    """The page decisions a template may read, as `may.manage_sync` and so on (the context processor
    sikesal.core.context_processors.may hands one to every template). The actor is built on first use,
    so a page that asks nothing loads no user."""

    def __init__(self, user):
        self._user = user

    @functools.cached_property
    def _actor(self):
        return Actor.for_user(self._user)

    @property
    def use_backoffice(self):
        return can_use_backoffice(self._actor)

    @property
    def record_desk_report(self):
        return can_record_desk_report(self._actor)

    @property
    def manage_sync(self):
        return can_manage_sync(self._actor)

    @property
    def read_audit(self):
        return can_read_audit(self._actor)

    @property
    def privacy_office(self):
        return is_dpo(self._actor)

    @property
    def manage_blocklist(self):
        return can_manage_blocklist(self._actor)

    @property
    def observe_ombudsman(self):
        return can_observe_ombudsman(self._actor)

    @property
    def act_as_ombudsman(self):
        return can_act_as_ombudsman(self._actor)


def partner_may(actor, scope):
    """May this API caller use a call that needs `scope`? People logged in are decided per report."""
    return actor.role != PARTNER or scope in actor.scopes


def is_public(complaint):
    """May anyone read the public part (title, body, public timeline) of `complaint`?"""
    from sikesal.complaints.states import Status

    return (
        not complaint.is_secret
        and complaint.verified_at is not None
        and complaint.status not in {Status.ARCHIVED_ADMIN, Status.MERGED}
    )


def named_merge_target(complaint, public=False):
    """The report `complaint` was merged into, when its pages may name it: the reporter's own pages (and,
    with `public`, the track page anyone with the number reads). Never a rahasia original: its number is for
    its own reporter only (docs/security.md); and on the track page never for a rahasia duplicate, whose
    subject is not to be tied to another report. None otherwise (the page says "merged" without a number)."""
    target = complaint.merged_into if complaint.merged_into_id else None
    if target is None or target.is_secret or (public and complaint.is_secret):
        return None
    return target


def shows_handling(complaint, to_reporter):
    """May a page show who handles `complaint` (its OPD) and its SP4N-LAPOR! number? To its reporter (the
    private page), always; to anyone who types its tracking number, not for a rahasia report: the OPD says
    what the report is about and the national number opens its copy there, and rahasia promises neither
    (docs/security.md)."""
    return to_reporter or not complaint.is_secret


def can_follow_by_push(complaint):
    """May a browser that knows `complaint`'s tracking number follow it by Web Push? Anyone may, as anyone
    with the number reads its status on the track page: a push says no more (the number and the public
    label of what happened, never its content or its reporter). A report that does not exist or is closed
    has nothing to follow."""
    from sikesal.complaints.states import CLOSED_STATES

    return complaint is not None and complaint.status not in CLOSED_STATES


class IdentityAccess(enum.Enum):
    DENIED = "denied"
    ON_REVEAL = "on_reveal"  # allowed after stating a reason, which is audited
    ALLOWED = "allowed"


def identity_access(actor, complaint):
    if actor.role == PARTNER:
        return IdentityAccess.DENIED
    if actor.role == Role.SYSTEM or is_reporter(actor, complaint):
        return IdentityAccess.ALLOWED
    if actor.role == Role.ADMIN:
        return IdentityAccess.ON_REVEAL if complaint.is_anonymous else IdentityAccess.ALLOWED
    if actor.role in OPD_ROLES:
        return (
            IdentityAccess.ALLOWED
            if is_own_opd(actor, complaint) and not complaint.is_anonymous
            else IdentityAccess.DENIED
        )
    if actor.role == Role.OMBUDSMAN:
        return IdentityAccess.ALLOWED if complaint.ombudsman_escalated_at else IdentityAccess.DENIED
    return IdentityAccess.DENIED


def reporter_account(actor):
    """The account a report `actor` files is linked to: a citizen's own; staff filing for someone at a
    desk link nobody's (the report's reporter row holds who it is)."""
    return actor.user if actor.role == Role.CITIZEN else None


def hides_author(actor):
    """Does an event by `actor` hide who acted (account and name) on the timeline? A reporter's does: the
    Reporter row, behind this policy, is the only link between a person and their report."""
    return actor.role == Role.CITIZEN


def assignable_officers(complaint):
    """Who a report may be assigned to: the active staff of its own OPD (none before it has one)."""
    if complaint.institution_id is None:
        return _users().objects.none()
    return _users().objects.filter(institution_id=complaint.institution_id, role__in=OPD_ROLES, is_active=True)


# --- Who is told (alarms and the deadline ladder) ---------------------------------------------------------


def _users():
    # The user model through Django's registry: accounts.models asks this module whether a user may use
    # the Django admin, so importing it here would close an import circle.
    from django.contrib.auth import get_user_model

    return get_user_model()


def _active_in(*roles, institution=None):
    people = _users().objects.filter(role__in=roles, is_active=True)
    return people if institution is None else people.filter(institution=institution)


def admins_to_alert():
    """The admin koordinators: the sync alarm, their own verification deadline, the ladder's top rung."""
    return _active_in(Role.ADMIN)


def executives_to_alert():
    return _active_in(Role.EXECUTIVE)


def liaisons_to_alert(institution):
    return _active_in(Role.OPD_LIAISON, institution=institution)


def heads_to_alert(institution):
    return _active_in(Role.OPD_HEAD, institution=institution)


def may(actor, action, complaint):
    """May `actor` perform lifecycle `action` on `complaint` (ignoring its state)?"""
    roles = ACTION_ROLES.get(str(action))
    if roles is None or actor.role not in roles:
        return False
    if actor.role == PARTNER:
        if action == Action.SUBMIT:
            return SCOPE_FILE in actor.scopes
        return is_partner_for(actor, complaint)
    if actor.role in OPD_ROLES:
        if complaint is None:
            return False
        return is_own_opd(actor, complaint) or (action in CO_OPD_ACTIONS and is_co_opd(actor, complaint))
    if actor.role == Role.CITIZEN:
        # Submitting creates the report; every other citizen action needs proof of ownership.
        return action == Action.SUBMIT or (complaint is not None and is_reporter(actor, complaint))
    return True


def visible_complaints(actor, queryset):
    """Restrict a queryset of complaints to what `actor` may view (lists, exports, search)."""
    if actor.role in READ_ALL_ROLES:
        return queryset
    if actor.role in OPD_ROLES:
        from django.db.models import Q

        own = Q(institution_id=actor.institution_id)
        helping = queryset.model.co_institutions.through.objects.filter(institution_id=actor.institution_id)
        # The OR with the co-OPD list defeats the institution index (170 ms against 35 ms for an inbox
        # at 100,000 reports), so it is added only for an OPD that is helping on some report.
        if not helping.exists():
            return queryset.filter(own)
        return queryset.filter(own | Q(pk__in=helping.values("complaint_id")))
    if actor.role == Role.CITIZEN and actor.user_id is not None:
        return queryset.filter(reporter__user_id=actor.user_id)
    if actor.role == PARTNER and SCOPE_ACT in actor.scopes and actor.institution_id is not None:
        return queryset.filter(institution_id=actor.institution_id)
    return queryset.none()


def followable_complaints(queryset):
    """Reports whose existence and status anyone may learn from a list (Open311 follows a report from
    the moment it is filed): every one but rahasia ones, whose status only a caller with the id reads."""
    return queryset.filter(is_secret=False)


def public_complaints(queryset):
    """The queryset form of is_public, for public lists and maps."""
    from sikesal.complaints.states import Status

    return queryset.filter(is_secret=False, verified_at__isnull=False).exclude(
        status__in=[Status.ARCHIVED_ADMIN, Status.MERGED]
    )


def can_read_attachment(actor, attachment, reporter_grant=False, revealed=False):
    """`reporter_grant`: the request carries the grant the reporter's private page signed for this file
    (portal/attachment_links.py), which stands for the private-link secret without repeating it.
    `revealed`: it carries the grant signed for this actor when they revealed the anonim reporter."""
    from sikesal.complaints.states import Visibility

    complaint = attachment.complaint
    if attachment.visibility == Visibility.STAFF and is_desk_letter(attachment):
        # A scanned letter names its writer: it is part of the identity, read only where the identity is
        # (for an anonim report: after an audited reveal).
        access = identity_access(actor, complaint)
        return access is IdentityAccess.ALLOWED or (access is IdentityAccess.ON_REVEAL and revealed)
    if reporter_grant:
        return attachment.visibility != Visibility.STAFF
    if actor.role != "public" and can_view(actor, complaint):
        return attachment.visibility != Visibility.STAFF or actor.role not in {Role.CITIZEN}
    return attachment.visibility == Visibility.PUBLIC and is_public(complaint)


def is_desk_letter(attachment):
    """Is this attachment the scan of a citizen's letter recorded at the desk?"""
    from sikesal.complaints.models import DeskIntake

    return DeskIntake.objects.filter(letter_id=attachment.pk).exists()
