from django.db import models


class PeriodicRun(models.Model):
    """One claimed slot of a periodic job: the unique pair keeps several workers from doubling it."""

    name = models.CharField(max_length=80)
    slot = models.BigIntegerField()
    claimed_at = models.DateTimeField(auto_now_add=True)
    worker = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once")]


class RateCounter(models.Model):
    """Hits in one fixed window of one rate limit; shared by every process and node through the database."""

    key = models.CharField(primary_key=True, max_length=80)
    hits = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True, help_text="Unix time after which the row can go")


class WorkerHeartbeat(models.Model):
    """The last sign of life of one worker process, so that the tasks of a killed worker can be run again."""

    worker_id = models.CharField(primary_key=True, max_length=64)
    seen_at = models.DateTimeField(db_index=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
