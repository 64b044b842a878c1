from django_tasks import task

from sikesal.backoffice.ladder import send_daily_digests, send_rung_digests


@task()
def daily_digest():
    return {"sent": send_daily_digests()}


@task()
def rung_digests(at):
    """The escalation rungs of one set-based sweep run (complaints/sweep.py), one mail per OPD and reader."""
    return {"sent": send_rung_digests(at)}
