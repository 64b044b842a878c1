"""Migration 0003: the first version's per-sender tasks become retries by answer, or go (their rows kept
the citizen's number)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sikesal.integrations.inbound.models import OutboundMessage
from sikesal.integrations.inbound.processing import retry_answers

OLD = "sikesal.integrations.inbound.processing.process_inbound"
BEFORE, AFTER = [("inbound", "0002_waiting_indexes")], [("inbound", "0003_retry_tasks_by_answer")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _old_task(sender, status="READY"):
    task = DBTaskResult.objects.get(pk=retry_answers.enqueue(0).id)
    DBTaskResult.objects.filter(pk=task.pk).update(
        task_path=OLD, args_kwargs={"args": ["whatsapp", sender], "kwargs": {}}, status=status
    )
    return task.pk


@pytest.mark.django_db(transaction=True)
def test_the_old_per_sender_tasks_become_retries_by_answer_or_go():
    _migrate(BEFORE)
    try:
        failed = OutboundMessage.objects.create(channel="whatsapp", to="+6281234567890", body="Jawaban", attempts=1)
        OutboundMessage.objects.create(channel="whatsapp", to="+6281234567890", body="Sesudahnya")
        due = timezone.now() + timezone.timedelta(minutes=1)
        waiting = _old_task("+6281234567890")
        DBTaskResult.objects.filter(pk=waiting).update(run_after=due)
        nothing_to_send = _old_task("+6289999999999")
        ran = _old_task("+6281111111111", status="SUCCESSFUL")
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    retry = DBTaskResult.objects.get(pk=waiting)
    assert retry.task_path.endswith("retry_answers") and retry.args_kwargs["args"] == [failed.pk]
    assert retry.run_after == due and retry.status == "READY"
    assert not DBTaskResult.objects.filter(pk__in=[nothing_to_send, ran]).exists()
    assert not DBTaskResult.objects.filter(task_path=OLD).exists()
    assert not DBTaskResult.objects.filter(args_kwargs__icontains="628").exists()  # no number left in a task
