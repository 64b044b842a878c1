"""Restriction of processing (UU PDP Pasal 11 and 41): a restricted reporter's identity is used for nothing
new. Their report goes on being handled (its OPD work and deadlines are not personal data), but of the
messages to them only those the complaint procedure itself requires are still sent: the question they must
answer before their report is archived, the final answer, and the report's end (closed, archived, handed to
another body, merged). Every other update is recorded as held, with the reason, and not sent."""

from sikesal.complaints.actions import Action
from sikesal.privacy.models import Restriction

REQUIRED = frozenset(
    {
        Action.REQUEST_INFO,
        Action.COMPLETE_FOLLOWUP,
        Action.CLOSE_ADMIN,
        Action.CLOSE_SYSTEM,
        Action.ARCHIVE,
        Action.ARCHIVE_SYSTEM,
        Action.FORWARD_EXTERNAL,
        Action.MERGE,
    }
)

HELD_REASON = "restricted by the data subject (UU PDP Pasal 11): only required messages are sent"


def restricted_reporters(complaint_ids):
    """The ids of the restricted Reporter rows of these reports."""
    return set(
        Restriction.objects.filter(reporter__complaint_id__in=complaint_ids).values_list("reporter_id", flat=True)
    )


def may_message(action, reporter, restricted):
    """May an update about `action` go to `reporter`, given the restricted reporters' ids?"""
    return reporter is None or reporter.pk not in restricted or action in REQUIRED
