"""`manage.py routing_train`: train the routing model now (the worker also does it daily)."""

from django.core.management.base import BaseCommand

from sikesal.routing.service import train_and_activate


class Command(BaseCommand):
    help = "Train the routing model on the catalogue and the routed reports, and make it active."

    def handle(self, *args, **options):
        version = train_and_activate()
        self.stdout.write(
            f"model {version.pk} ({version.get_kind_display()}): {version.examples} reports, "
            f"{version.classes} classes, {version.train_seconds} s"
        )
