"""The data subject's rights as a workflow (UU PDP Pasal 5-11; docs/privacy.md, "Rights").

Access and rectification are served at once on the citizen's own page; erasure, restriction and objection
are requests the DPO decides within their clock; a restriction carried out is lifted by the DPO when the
citizen asks. Every step is written to the audit log, and the citizen is told each outcome on the contact
they logged in with.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import intake, policy
from sikesal.complaints.errors import InvalidInput
from sikesal.complaints.models import Reporter
from sikesal.integrations.notify.channels import Contact, InvalidAddress
from sikesal.integrations.notify.transports import send_to_contact
from sikesal.privacy.holdings import own_reports
from sikesal.privacy.models import THREE_DAYS, DataRequest, Restriction

log = logging.getLogger(__name__)

# What the law says of each request's time. Where it names none, SIKESAL holds itself to the same 3 x 24
# hours so that one clock runs over the whole queue; the page says which is which.
CLOCK = {
    DataRequest.Kind.ERASURE: ("UU PDP Pasal 8, 43", False),
    DataRequest.Kind.RESTRICTION: ("UU PDP Pasal 11, 41 ayat (1)", True),
    DataRequest.Kind.OBJECTION: ("UU PDP Pasal 10", False),
}


def legal_basis(kind):
    return CLOCK[kind][0]


def clock_is_statutory(kind):
    return CLOCK[kind][1]


def audit(kind, *, user=None, complaint=None, reason="", detail=None, ip=""):
    AuditEntry.objects.create(user=user, kind=kind, complaint=complaint, reason=reason, detail=detail or {}, ip=ip)


def file_request(user, kind, *, complaint=None, detail="", now=None):
    """A citizen's request, received now and due 3 x 24 hours later. `complaint` None: all their reports."""
    if kind not in DataRequest.Kind.values:
        raise InvalidInput("invalid_request", _("Choose what you ask for."), {"kind": [_("Choose what you ask for.")]})
    if complaint is not None and not own_reports(user).filter(pk=complaint.pk).exists():
        raise InvalidInput("invalid_request", _("That is not one of your reports."), {})
    now = now or timezone.now()
    request = DataRequest.objects.create(
        user=user,
        kind=kind,
        complaint=complaint,
        detail=" ".join(str(detail or "").split())[:2000],
        received_at=now,
        due_at=now + THREE_DAYS,
    )
    _tell_dpos(request)
    return request


def correct_contacts(user, values, *, ip=""):
    """Rectification (Pasal 6 and 30), at once: the name and contacts on every report of the account. The
    audit names the fields changed, not their values (the values are the personal data)."""
    cleaned = _clean_contacts(values)
    reporters = Reporter.objects.filter(user=user)
    changed = sorted(
        {field for r in reporters for field in ("name", "phone", "email") if getattr(r, field) != cleaned[field]}
    )
    if changed:
        with transaction.atomic():
            reporters.update(**{field: cleaned[field] for field in changed})
            audit(AuditEntry.Kind.SUBJECT_RECTIFY, user=user, detail={"fields": changed}, ip=ip)
    return changed


def _clean_contacts(values):
    errors = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    cleaned = intake._clean_reporter(values, fail)
    if errors:
        raise InvalidInput("invalid_contacts", _("The contacts have errors; nothing was saved."), errors)
    return cleaned


def decide(request, actor, *, done, reason, now=None):
    """The DPO's outcome: carry the request out (done) or refuse it, with the reason the citizen reads.
    Erasure anonymises the reporter through privacy/anonymise.py (the public record and the statistics
    stay true); restriction holds every message the procedure does not require (privacy/restriction.py);
    an objection's outcome is the DPO's reasoned answer."""
    if not policy.is_dpo(actor):
        raise PermissionError("only the DPO decides a data subject's request")
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput("invalid_decision", _("Give the reason the citizen will read."), {})
    now = now or timezone.now()
    contact = _contact_of(request.user)  # read first: erasure may blank the account's contacts too
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != DataRequest.Status.OPEN:
            raise InvalidInput("already_decided", _("This request was already decided."), {})
        reporters = Reporter.objects.filter(user_id=request.user_id)
        if request.complaint_id is not None:
            reporters = reporters.filter(complaint_id=request.complaint_id)
        reporter_ids = list(reporters.values_list("pk", flat=True))
        if done:
            _carry_out(request, reporter_ids, actor, reason, now)
        request.status = DataRequest.Status.DONE if done else DataRequest.Status.REFUSED
        request.decided_at, request.decided_by, request.reason = now, actor.user, reason
        request.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        audit(
            AuditEntry.Kind.REQUEST_DONE if done else AuditEntry.Kind.REQUEST_REFUSED,
            user=actor.user,
            complaint=request.complaint,
            reason=reason,
            detail={"request": request.pk, "kind": request.kind, "reporters": len(reporter_ids)},
        )
    tell_outcome(request, contact=contact)
    return request


def _carry_out(request, reporter_ids, actor, reason, now):
    if request.kind == DataRequest.Kind.ERASURE:
        from sikesal.privacy.anonymise import anonymise_reporters

        anonymise_reporters(reporter_ids, actor=actor, reason=reason)
    elif request.kind == DataRequest.Kind.RESTRICTION:
        Restriction.objects.bulk_create(
            [Restriction(reporter_id=pk, request=request, since=now) for pk in reporter_ids], ignore_conflicts=True
        )


def _contact_of(user):
    """The contact the citizen logged in with (kept on the account, whatever erasure did to the reports)."""
    if user.email:
        return Contact.EMAIL, user.email
    if user.phone:
        return Contact.PHONE, user.phone
    return None


def lift_restriction(request, actor, *, reason, ip="", now=None):
    """The DPO lifts a restriction they carried out, at the citizen's asking (docs/privacy.md): its rows go,
    so updates reach the reporter again from now on. What was held meanwhile stays held: those messages were
    about past events. The request keeps who lifted it, when and why; the audit log has it; the citizen is
    told. A second lift of the same request changes nothing."""
    if not policy.can_lift_restriction(actor):
        raise PermissionError("only the DPO lifts a restriction of processing")
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput("invalid_lift", _("Give the reason the citizen will read."), {})
    now = now or timezone.now()
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.lifted_at is not None:
            raise InvalidInput("already_lifted", _("This restriction was already lifted."), {})
        if not request.is_liftable():
            raise InvalidInput("not_restricted", _("This request restricts nothing."), {})
        lifted, _by_model = Restriction.objects.filter(request=request).delete()
        request.lifted_at, request.lifted_by, request.lift_reason = now, actor.user, reason
        request.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit(
            AuditEntry.Kind.LIFT_RESTRICTION,
            user=actor.user,
            complaint=request.complaint,
            reason=reason,
            detail={"request": request.pk, "reporters": lifted},
            ip=ip,
        )
    tell_lifted(request, contact=_contact_of(request.user))
    return request


def tell_outcome(request, *, contact):
    """Tell the citizen what was decided (Pasal 41 ayat (3) and 45 ask for it) and note when."""
    verdict = _("done") if request.status == DataRequest.Status.DONE else _("refused")
    message = _("SIKESAL: your request (%(kind)s) of %(date)s is %(verdict)s. %(reason)s") % {
        "kind": request.get_kind_display(),
        "date": timezone.localtime(request.received_at).strftime("%d-%m-%Y %H:%M"),
        "verdict": verdict,
        "reason": request.reason,
    }
    if _tell(request, contact, message):
        DataRequest.objects.filter(pk=request.pk).update(told_at=timezone.now())


def tell_lifted(request, *, contact):
    """Tell the citizen their restriction is lifted and from when; told_at stays the decision's."""
    message = _(
        "SIKESAL: the restriction of processing you asked for on %(date)s is lifted from %(since)s. Updates on "
        "your reports reach you again; those held meanwhile are not sent. %(reason)s"
    ) % {
        "date": timezone.localtime(request.received_at).strftime("%d-%m-%Y %H:%M"),
        "since": timezone.localtime(request.lifted_at).strftime("%d-%m-%Y %H:%M WIB"),
        "reason": request.lift_reason,
    }
    _tell(request, contact, message)


def _tell(request, contact, message):
    """One message to the citizen about their request, on the contact they logged in with; False when there
    is none or it takes no message."""
    if contact is None:
        return False
    try:
        send_to_contact(contact[0], contact[1], _("Your personal-data request"), message)
    except InvalidAddress:
        log.warning("data request %s: the citizen's contact takes no message", request.pk)
        return False
    return True


def _tell_dpos(request):
    """The DPOs hear of a new request at once: its clock is running."""
    addresses = [u.email for u in policy.dpos_to_alert() if u.email]
    if not addresses:
        return
    message = _("A new data subject's request (%(kind)s) is waiting; it is due %(due)s.") % {
        "kind": request.get_kind_display(),
        "due": timezone.localtime(request.due_at).strftime("%d-%m-%Y %H:%M WIB"),
    }
    send_to_contact(Contact.EMAIL, addresses, _("SIKESAL: a data subject's request"), message)
