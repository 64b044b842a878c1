"""The per-sender `process_inbound(channel, sender)` tasks of the first version, gone (processing.py):

- one still waiting (a refused answer's retry after its backoff, or a message not yet handled) becomes a
  `retry_answers(answer_id)` task for the sender's first unsent answer, due when it was; without an
  unsent answer it is dropped (the waiting messages are the worker's queue now);
- one that ran is deleted: its row kept the citizen's number, which an erasure does not reach."""

from django.db import migrations

OLD = "sikesal.integrations.inbound.processing.process_inbound"
NEW = "sikesal.integrations.inbound.processing.retry_answers"
WAITING = ("READY", "RUNNING")


def forwards(apps, schema_editor):
    tasks = apps.get_model("django_tasks_database", "DBTaskResult")
    answers = apps.get_model("inbound", "OutboundMessage")
    for task in tasks.objects.filter(task_path=OLD, status__in=WAITING):
        args = (task.args_kwargs or {}).get("args") or []
        first = (
            answers.objects.filter(
                channel=args[0], to=args[1], external_id__isnull=True, state__in=["pending", "sending"]
            )
            .order_by("id")
            .first()
            if len(args) == 2
            else None
        )
        if first is None:
            task.delete()
            continue
        task.task_path, task.args_kwargs = NEW, {"args": [first.pk], "kwargs": {}}
        task.save(update_fields=["task_path", "args_kwargs"])
    tasks.objects.filter(task_path=OLD).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inbound", "0002_waiting_indexes"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
