"""Parking: a LAPOR! payload SIKESAL cannot use is kept whole with a readable reason (the health page lists
it) instead of stopping the run; the pull reads the report again on its own later (pull.recover)."""

import logging

from sikesal.complaints.errors import LifecycleError
from sikesal.integrations.lapor.models import Parked

log = logging.getLogger("sikesal.lapor")


def park(item, reason):
    reason = _reason(reason) if isinstance(reason, Exception) else reason
    remote_id = str(item.get("id") or "")[:32] if isinstance(item, dict) else ""
    reason = str(reason)[:2000]
    same = Parked.objects.filter(remote_id=remote_id, reason=reason, resolved_at__isnull=True).first()
    if remote_id and same is not None:  # read again by a later pull: one entry for the person, not one a run
        return same
    log.warning("lapor item %s parked: %s", remote_id or "?", reason)
    return Parked.objects.create(remote_id=remote_id, reason=reason, payload=_jsonable(item))


def _reason(exc):
    if isinstance(exc, LifecycleError) and exc.fields:
        details = "; ".join(f"{name}: {', '.join(str(m) for m in msgs)}" for name, msgs in exc.fields.items())
        return f"{exc.message} ({details})"
    return str(exc)


def _jsonable(item):
    return item if isinstance(item, (dict, list, str, int, float, bool)) or item is None else repr(item)
