"""What the admin koordinator can do from the sync health page: sync now, compare both sides, settle a
conflict, and settle a create whose outcome is unknown, either by linking it to the SP4N-LAPOR! report it
became (checked against that copy's content when it can be read) or by sending it again after a confirm
step that names the risk of a second copy. Both are audited."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.complaints import policy
from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.client import LaporClient, Rejected, Unavailable, is_enabled
from sikesal.integrations.lapor.models import Conflict, Link, Outbox, OutboxKind, OutboxStatus
from sikesal.integrations.lapor.twins import link


def act(post, actor, audit):
    """One POST of the health page. `audit(kind, complaint, detail)` records what the admin did.
    Returns (done, message for the admin)."""
    if not is_enabled():
        return False, _("The SP4N-LAPOR! integration is off.")
    what = post.get("do", "sync")
    if what == "resolve":
        settled = Conflict.objects.filter(pk=_pk(post.get("conflict")), resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        return bool(settled), _("The conflict is marked as settled.") if settled else _("Nothing to settle.")
    if what in ("link", "resend"):
        if not policy.can_settle_lapor_create(actor):
            return False, _("You may not settle a report held for SP4N-LAPOR!.")
        row = Outbox.objects.filter(pk=_pk(post.get("row")), kind=OutboxKind.CREATE).select_related("complaint").first()
        if row is None or row.status == OutboxStatus.DONE:
            return False, _("Nothing to settle: this report is already on SP4N-LAPOR!.")
        if what == "link":
            return link_to(row, str(post.get("remote_id") or "").strip(), audit)
        return resend(row, post.get("confirm") == "yes", audit)
    from sikesal.integrations.lapor.tasks import lapor_reconcile, lapor_sync, lapor_sync_masters

    if what == "reconcile":
        lapor_reconcile.enqueue()
        return True, _("Both sides are being compared; reload this page in a moment.")
    lapor_sync_masters.enqueue()
    lapor_sync.enqueue()
    return True, _("A sync with SP4N-LAPOR! was started; reload this page in a moment.")


def link_to(row, remote_id, audit, client=None):
    """Link the held create of `row` to the SP4N-LAPOR! report `remote_id`. Refused when that number is
    another report's twin, or when its copy can be read and is not this report."""
    c = row.complaint
    if not remote_id.isdigit():
        return False, _("Enter the SP4N-LAPOR! report number (digits only).")
    other = Link.objects.filter(remote_id=remote_id).exclude(complaint=c).select_related("complaint").first()
    if other is not None:
        return False, _("SP4N-LAPOR! report %(remote)s is already linked to %(other)s: not linked.") % {
            "remote": remote_id,
            "other": other.complaint.tracking_number,
        }
    own = client is None
    client = client or LaporClient()
    try:
        data = client.detail(remote_id).get("data")
    except Rejected as exc:
        return False, _("SP4N-LAPOR! has no report %(remote)s that the city may read (%(error)s): not linked.") % {
            "remote": remote_id,
            "error": exc.status,
        }
    except Unavailable:
        data = None  # cannot be read now: linked on the admin's word, and the audit says so
    finally:
        if own:
            client.close()
    checked = data is not None
    if checked:
        mismatch = _mismatch(c, data)
        if mismatch:
            return False, mismatch
    tracking = mapping.ref_id(data.get("tracking_id")) if isinstance(data, dict) else None
    with transaction.atomic():
        link(c, remote_id, tracking or "", Link.Origin.LOCAL, found_by="operator")
        audit("lapor_link", c, {"remote_id": remote_id, "content_checked": checked, "row": row.pk})
    from sikesal.integrations.lapor.outbound import enqueue_push

    transaction.on_commit(enqueue_push)  # what waited behind the create goes now, not at the next sync
    if not checked:
        return True, _(
            "%(number)s is linked to SP4N-LAPOR! report %(remote)s. Its copy could not be read now, so the "
            "content was not compared: check it on SP4N-LAPOR!."
        ) % {"number": c.tracking_number, "remote": remote_id}
    return True, _("%(number)s is linked to SP4N-LAPOR! report %(remote)s; what waited for it goes now.") % {
        "number": c.tracking_number,
        "remote": remote_id,
    }


def _mismatch(c, data):
    """Why the copy `data` is not report `c`, or "" when it is (its ticket line, tag, or title and text)."""
    if not isinstance(data, dict):
        return _("The SP4N-LAPOR! answer could not be read: not linked.")
    tracking = mapping.tracking_of(data)
    if tracking and tracking != c.tracking_number:
        return _("That SP4N-LAPOR! report is %(other)s, not %(number)s: not linked.") % {
            "other": tracking,
            "number": c.tracking_number,
        }
    if tracking == c.tracking_number:
        return ""
    if mapping.content_key(data.get("title"), data.get("content")) != mapping.content_key(c.title, c.body):
        return _(
            "The title and text of that SP4N-LAPOR! report differ from %(number)s: not linked. Check the number."
        ) % {"number": c.tracking_number}
    return ""


def resend(row, confirmed, audit):
    """Send a held create again, only after the admin confirms the risk of a second copy."""
    c = row.complaint
    if not confirmed:
        return False, _(
            "Sending %(number)s again makes a second copy on SP4N-LAPOR! if the first one arrived. Check "
            "SP4N-LAPOR! first; if you find it there, link it instead. To send it anyway, tick the "
            "confirmation and press again."
        ) % {"number": c.tracking_number}
    with transaction.atomic():
        row = Outbox.objects.select_for_update().filter(pk=row.pk, status=OutboxStatus.PARKED).first()
        if row is None:
            return False, _("Nothing to send again.")
        state = {k: v for k, v in row.state.items() if k not in ("held", "unsure")}
        Outbox.objects.filter(pk=row.pk).update(
            status=OutboxStatus.PENDING, state=state, next_attempt_at=timezone.now(), leased_until=None
        )
        audit("lapor_resend", c, {"row": row.pk, "last_error": row.last_error[:300]})
    from sikesal.integrations.lapor.outbound import enqueue_push

    transaction.on_commit(enqueue_push)
    return True, _("It will be sent again in a moment.")


def _pk(value):
    return int(value) if str(value or "").isdigit() else 0
