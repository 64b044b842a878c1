"""What the admin koordinator can do from the sync health page: sync now, settle a conflict, send a
held create again after checking SP4N-LAPOR! by hand."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.integrations.lapor.client import is_enabled
from sikesal.integrations.lapor.models import Conflict, Outbox, OutboxStatus


def act(post):
    """One POST of the health page. Returns (done, message for the admin)."""
    if not is_enabled():
        return False, _("The SP4N-LAPOR! integration is off.")
    what = post.get("do", "sync")
    if what == "resolve":
        settled = Conflict.objects.filter(pk=_pk(post.get("conflict")), resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        return bool(settled), _("The conflict is marked as settled.") if settled else _("Nothing to settle.")
    if what == "resend":
        # The admin looked on SP4N-LAPOR! and did not find the report: send it again, once.
        with transaction.atomic():
            row = Outbox.objects.select_for_update().filter(pk=_pk(post.get("row")), status=OutboxStatus.PARKED).first()
            if row is None:
                return False, _("Nothing to send again.")
            state = {k: v for k, v in row.state.items() if k not in ("held", "unsure")}
            Outbox.objects.filter(pk=row.pk).update(
                status=OutboxStatus.PENDING, state=state, next_attempt_at=timezone.now(), leased_until=None
            )
        from sikesal.integrations.lapor.outbound import enqueue_push

        transaction.on_commit(enqueue_push)
        return True, _("It will be sent again in a moment.")
    from sikesal.integrations.lapor.tasks import lapor_sync, lapor_sync_masters

    lapor_sync_masters.enqueue()
    lapor_sync.enqueue()
    return True, _("A sync with SP4N-LAPOR! was started; reload this page in a moment.")


def _pk(value):
    return int(value) if str(value or "").isdigit() else 0
