"""Apply the retention schedule now (the worker runs it daily): privacy/retention.py."""

from django.core.management.base import BaseCommand

from sikesal.privacy import retention


class Command(BaseCommand):
    help = "Anonymise or delete the personal data past its period in SIKESAL_RETENTION."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")

    def handle(self, *args, dry_run=False, **options):
        result = retention.apply(dry_run=dry_run)
        prefix = "would change" if dry_run else "changed"
        self.stdout.write(f"{prefix}: " + ", ".join(f"{name} {n}" for name, n in result.items()))
