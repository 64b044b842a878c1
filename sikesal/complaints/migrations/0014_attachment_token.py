"""Attachment.token: each attachment's unguessable address. Added nullable, filled one row at a time (a
callable default in AddField would give every existing row the same value), then made unique."""

import secrets

from django.db import migrations, models

import sikesal.complaints.models


def fill_tokens(apps, schema_editor):
    Attachment = apps.get_model("complaints", "Attachment")
    for att in Attachment.objects.filter(token__isnull=True).only("pk").iterator():
        Attachment.objects.filter(pk=att.pk).update(token=secrets.token_urlsafe(16))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0013_blocked_senders")]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="token",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attachment",
            name="token",
            field=models.CharField(
                default=sikesal.complaints.models.new_attachment_token, editable=False, max_length=32, unique=True
            ),
        ),
    ]
