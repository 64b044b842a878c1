"""Worker tasks of routing: retraining (periodic and on demand)."""

from django_tasks import task


@task()
def retrain_routing():
    from sikesal.routing.service import train_and_activate

    version = train_and_activate()
    return {"version": version.pk, "examples": version.examples, "seconds": version.train_seconds}
