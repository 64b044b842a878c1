"""Taking a report to the Ombudsman: check eligibility, check the identity field by field, then record
the escalation, build its file and enqueue the delivery, all in one transaction."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.complaints import lifecycle
from sikesal.complaints.actions import Action
from sikesal.complaints.errors import InvalidInput, InvalidTransition
from sikesal.integrations.ombudsman import eligibility
from sikesal.integrations.ombudsman.delivery import deliver
from sikesal.integrations.ombudsman.escalation_file import build_json, build_pdf
from sikesal.integrations.ombudsman.models import Escalation, MaritalStatus

# What Pasal 24 UU 37/2008 requires of a report to the Ombudsman (NIK stays optional).
REQUIRED = ("full_name", "birth_place", "birth_date", "marital_status", "occupation", "address", "losses", "remedy")


def clean_identity(data):
    errors, cleaned = {}, {}
    for name in REQUIRED:
        value = " ".join(str(data.get(name) or "").split())
        if not value:
            errors[name] = [_("Required by law for a report to the Ombudsman.")]
        cleaned[name] = value[:300] if name not in ("losses", "remedy") else str(data.get(name) or "").strip()[:5000]
    if cleaned.get("birth_date"):
        try:
            born = dt.date.fromisoformat(cleaned["birth_date"])
            if not dt.date(1900, 1, 1) <= born <= timezone.localdate():
                raise ValueError
            cleaned["birth_date"] = born
        except ValueError:
            errors["birth_date"] = [_("Enter a real date (YYYY-MM-DD).")]
    if cleaned.get("marital_status") and cleaned["marital_status"] not in MaritalStatus.values:
        errors["marital_status"] = [_("Choose from the list.")]
    nik = str(data.get("nik") or "").strip()
    if nik and not re.fullmatch(r"[0-9]{16}", nik):
        errors["nik"] = [_("The NIK has 16 digits.")]
    cleaned["nik"] = nik
    cleaned["phone"] = re.sub(r"[\s\-().]", "", str(data.get("phone") or ""))[:20]
    cleaned["email"] = str(data.get("email") or "").strip()[:254]
    cleaned["confidential"] = str(data.get("confidential")) in ("1", "true", "on", "True")
    if str(data.get("consent")) not in ("1", "true", "on", "True"):
        errors["consent"] = [_("Give your consent to forward the report.")]
    cleaned["consent"] = True
    if errors:
        raise InvalidInput("invalid_identity", _("The escalation has errors; nothing was sent."), errors)
    return cleaned


def escalate(complaint, actor, data, now=None):
    now = now or timezone.now()
    result = eligibility.check(complaint, now)
    if not result.ok:
        raise InvalidTransition("not_eligible", " ".join(result.reasons))
    identity = clean_identity(data)
    with transaction.atomic():
        lifecycle.transition(complaint, Action.ESCALATE_OMBUDSMAN, actor, now=now, via_service=True)
        escalation = Escalation.objects.create(complaint=complaint, **identity)
        escalation.file_json = build_json(escalation)
        escalation.file_pdf = build_pdf(escalation.file_json)
        escalation.save(update_fields=["file_json", "file_pdf"])
        deliver.enqueue(escalation.pk)
    return escalation


def update_state(escalation, actor, state, message=""):
    """The Ombudsman's progress (sent, received, examining, closed): on the timeline and on the row."""
    with transaction.atomic():
        lifecycle.transition(
            escalation.complaint, Action.RECORD_OMBUDSMAN, actor, kind="state", state=state, message=message
        )
        escalation.state = state
        escalation.save(update_fields=["state"])
