"""The personal data SIKESAL holds, as code: one entry per data class, with where it lives, who may see it,
how long it is kept (settings.SIKESAL_RETENTION, in days) and what happens when that time is up.

The records-of-processing page and docs/privacy.md ("Data classes") are generated from / checked against
this tuple, and the retention job (privacy/retention.py) applies it: a class added here without a key in
SIKESAL_RETENTION fails `retention_days` at once.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Expiry(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymised: the record stays, the person is removed from it")
    DELETE = "delete", _("Deleted")
    KEEP = "keep", _("Kept")


@dataclass(frozen=True)
class DataClass:
    key: str  # its key in settings.SIKESAL_RETENTION
    label: str
    lives_in: tuple  # "app.Model: field, field" or a path under the data directory
    who_may_see: str
    clock: str  # from when its period is counted
    at_expiry: Expiry
    basis: str  # the legal basis or source of the processing

    @property
    def retention_days(self):
        return settings.SIKESAL_RETENTION[self.key]


# The archive rules for complaint records give the periods' defaults (docs/privacy.md, "Retention": a
# proposal for the city's archivist to confirm against the Pemkot's own Jadwal Retensi Arsip).
BASIS_PUBLIC_SERVICE = _(
    "Carrying out a public-service task: complaint handling under UU 25/2009 and Perpres 76/2013 (SP4N), "
    "UU 27/2022 Pasal 20(2)(e)."
)

DATA_CLASSES = (
    DataClass(
        key="identity",
        label=_("Identity and contacts"),
        lives_in=(
            "complaints.Reporter: name, phone, email, nik, language, user",
            "accounts.User (citizen accounts, warga:…): username, email, phone, first_name, last_name",
            "complaints.DeskIntake: post_url",
            "complaints.BlockedSender: address",
            "ombudsman.Escalation: full_name, birth_place, birth_date, occupation, address, nik, phone, email, "
            "losses, remedy, file_json, file_pdf",
            "complaints.Complaint: title, body, answers, rating_comment (names, phone numbers, e-mail "
            "addresses and NIK-like numbers in them are masked)",
            "complaints.Event: message (the same masking)",
            "routing.Suggestion: data.words",
        ),
        who_may_see=_(
            "The admin koordinator and the handling OPD, unless the report is anonymous; each look is "
            "audited. The Ombudsman file only goes to the Ombudsman. The reporter sees their own."
        ),
        clock=_("the report was closed (a block list entry: lifted or expired; an account: last log-in)"),
        at_expiry=Expiry.ANONYMISE,
        basis=BASIS_PUBLIC_SERVICE,
    ),
    DataClass(
        key="attachments",
        label=_("Attachments"),
        lives_in=(
            "complaints.Attachment with its file under media/attachments/ (photos, PDFs, videos the reporter "
            "sent, and the desk's scanned letters)",
            "media/staged/: files a citizen chose on a form that came back (the duplicate hint, a refused field), "
            "cleaned like any upload, for that browser only; removed by the hourly purge once an hour old if never "
            "sent (portal/staged_uploads.py)",
        ),
        who_may_see=_(
            "Public attachments: everyone, once the report is verified; the others: the staff who may "
            "read the report. Files the OPD attached as its work are kept with the report."
        ),
        clock=_("the report was closed"),
        at_expiry=Expiry.DELETE,
        basis=BASIS_PUBLIC_SERVICE,
    ),
    DataClass(
        key="messages",
        label=_("Messages on messaging channels"),
        lives_in=(
            "inbound.InboundMessage: sender, content, raw (WhatsApp, SMS, e-mail as received)",
            "inbound.Conversation: sender, draft",
            "inbound.OutboundMessage: to, body (answers and notifications sent on those channels)",
            "lapor.Parked: payload (SP4N-LAPOR! items that could not be read)",
        ),
        who_may_see=_("The admin koordinator, through the Django admin, to find out why a message was not handled."),
        clock=_("the message was received or sent"),
        at_expiry=Expiry.DELETE,
        basis=BASIS_PUBLIC_SERVICE,
    ),
    DataClass(
        key="notifications",
        label=_("Notifications sent"),
        lives_in=(
            "notify.Notification: to, last_error (a bounce's reason can name the address; which channel, "
            "when and whether it arrived stay)",
            "webpush.PushSubscription: endpoint, p256dh, auth",
        ),
        who_may_see=_(
            "Staff who may read the report see whether each message arrived (the report page); the reason one "
            "failed, only who may read the reporter's identity."
        ),
        clock=_("the report was closed"),
        at_expiry=Expiry.ANONYMISE,
        basis=BASIS_PUBLIC_SERVICE,
    ),
    DataClass(
        key="access_logs",
        label=_("Access logs"),
        lives_in=(
            "logs/access.log (gunicorn: address, time, path; private-link secrets masked)",
            "logs/sikesal.log (the application's log, same masking)",
        ),
        who_may_see=_("The server's operators, to find faults and attacks."),
        clock=_("the log file was rotated (the host's logrotate, daily)"),
        at_expiry=Expiry.DELETE,
        basis=_("Security of the processing, UU 27/2022 Pasal 35 and 39."),
    ),
    DataClass(
        key="audit",
        label=_("Audit log"),
        lives_in=("backoffice.AuditEntry: user, ip, reason, detail (who saw identities, exported, logged in)",),
        who_may_see=_("The admin koordinator and the data-protection officer."),
        clock=_("the entry was written"),
        at_expiry=Expiry.DELETE,
        basis=_("Accountability of the controller, UU 27/2022 Pasal 47."),
    ),
)

BY_KEY = {c.key: c for c in DATA_CLASSES}
