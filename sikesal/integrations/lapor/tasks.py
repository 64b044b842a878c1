"""Worker tasks of the SP4N-LAPOR! sync (scheduled by settings.SIKESAL_PERIODIC).

The queue serves higher priorities first, so the sync never waits behind a burst of notifications:
the periodic sync (pull, then push, each bounded by LAPOR_SYNC_MAX_SECONDS so neither starves the other)
outranks the push started by a local change, which outranks ordinary side effects (priority 0). A push
is enqueued only when none is waiting already: a thousand local changes make one push, not a thousand
(outbound.lapor_push, next to the outbox it sends).
"""

import logging

from django_tasks import task

log = logging.getLogger("sikesal.lapor")

SYNC_PRIORITY = 20


@task(priority=SYNC_PRIORITY)
def lapor_sync():
    """Pull what changed on SP4N-LAPOR!, then push what waits in the outbox; alert on a change of state."""
    from sikesal.integrations.lapor import health, outbound, pull
    from sikesal.integrations.lapor.client import LaporError, is_enabled

    if not is_enabled():
        return {"enabled": False}
    result = {}
    for name, run in (("pull", pull.pull), ("push", outbound.push)):
        try:
            result[name] = run()
        except LaporError as exc:  # logged and shown on the sync health page; the next slot tries again
            log.warning("lapor %s: %s", name, exc)
            result[f"{name}_error"] = str(exc)
    result["red"] = health.alert_on_change()
    log.info("lapor sync: %s", result)
    return result


@task(priority=SYNC_PRIORITY)
def lapor_sync_masters():
    from sikesal.integrations.lapor.client import LaporError, is_enabled
    from sikesal.integrations.lapor.masters import sync_masters

    if not is_enabled():
        return {"enabled": False}
    try:
        return sync_masters()
    except LaporError as exc:
        log.warning("lapor masters: %s", exc)
        return {"error": str(exc)}


@task(priority=SYNC_PRIORITY)
def lapor_reconcile():
    """Compare both sides for the sync page (the admin's "compare now"): the counts are stored there."""
    from sikesal.integrations.lapor.client import LaporError, is_enabled
    from sikesal.integrations.lapor.reconcile import reconcile

    if not is_enabled():
        return {"enabled": False}
    try:
        return reconcile()
    except LaporError as exc:
        log.warning("lapor reconcile: %s", exc)
        return {"error": str(exc)}
