from django_tasks import task

from sikesal.backoffice.ladder import send_daily_digests


@task()
def daily_digest():
    return {"sent": send_daily_digests()}
