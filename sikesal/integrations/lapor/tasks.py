"""Worker tasks of the SP4N-LAPOR! sync (scheduled by settings.SIKESAL_PERIODIC)."""

import logging

from django_tasks import task

log = logging.getLogger("sikesal.lapor")


@task()
def lapor_sync():
    """Push what waits in the outbox, then pull what changed on SP4N-LAPOR!."""
    from sikesal.integrations.lapor import inbound, outbound
    from sikesal.integrations.lapor.client import LaporError, is_enabled

    if not is_enabled():
        return {"enabled": False}
    result = {}
    try:
        result["push"] = outbound.push()
        result["pull"] = inbound.pull()
    except LaporError as exc:  # logged and shown on the sync health page; the next slot tries again
        log.warning("lapor sync: %s", exc)
        result["error"] = str(exc)
    log.info("lapor sync: %s", result)
    return result


@task()
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


@task()
def lapor_push():
    """Send the outbox right away (enqueued when a local change queues something for SP4N-LAPOR!)."""
    from sikesal.integrations.lapor import outbound
    from sikesal.integrations.lapor.client import LaporError

    try:
        return outbound.push()
    except LaporError as exc:
        log.warning("lapor push: %s", exc)
        return {"error": str(exc)}
