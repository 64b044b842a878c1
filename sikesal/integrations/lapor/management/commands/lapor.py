"""`manage.py lapor {status,sync-masters,pull,push,reconcile}`: run the SP4N-LAPOR! sync by hand."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from sikesal.integrations.lapor import masters, outbound, pull
from sikesal.integrations.lapor.client import LaporError, is_enabled
from sikesal.integrations.lapor.health import health
from sikesal.integrations.lapor.reconcile import reconcile


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal, so logs stay clean)."""

    def __init__(self, label, stream=sys.stderr):
        self.label = label
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, done, total=None):
        if not self.live:
            return
        if isinstance(done, dict):
            done = sum(v for k, v in done.items() if isinstance(v, int) and k not in ("pages", "parked", "recovered"))
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        else:
            self.stream.write(f"\r{self.label} {done}")
        self.stream.flush()

    def end(self):
        if self.live:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "SP4N-LAPOR! sync: status, sync-masters, pull, push, reconcile."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("status", help="What the sync is doing (as on the sync health page).")
        sub.add_parser("sync-masters", help="Fetch institutions, categories and reply templates.")
        p = sub.add_parser("pull", help="Read reports changed on SP4N-LAPOR! since the last pull.")
        p.add_argument("--full", action="store_true", help="From the beginning, not from the cursor.")
        p.add_argument("--max-seconds", type=float, default=3600.0)
        p = sub.add_parser("push", help="Send what waits in the outbox.")
        p.add_argument("--max-seconds", type=float, default=3600.0)
        p = sub.add_parser("reconcile", help="Compare both sides; --repair fixes what differs.")
        p.add_argument("--json", action="store_true", help="Print the counts as JSON.")
        p.add_argument("--repair", action="store_true")

    def handle(self, *args, what, **options):
        if what == "status":
            self.stdout.write(json.dumps(health(), indent=2, default=str))
            return
        if not is_enabled():
            raise CommandError("LAPOR_BASE_URL is not set: the SP4N-LAPOR! integration is off.")
        try:
            if what == "sync-masters":
                self.stdout.write(json.dumps(masters.sync_masters()))
            elif what == "pull":
                bar = Progress("pull")
                counts = pull.pull(max_seconds=options["max_seconds"], progress=bar, full=options["full"])
                bar.end()
                self.stdout.write(json.dumps(counts))
            elif what == "push":
                bar = Progress("push")
                counts = outbound.push(max_seconds=options["max_seconds"], progress=bar)
                bar.end()
                self.stdout.write(json.dumps(counts))
            else:
                bar = Progress("reconcile: reading SP4N-LAPOR!")
                report = reconcile(repair=options["repair"], progress=bar)
                bar.end()
                if options["json"]:
                    self.stdout.write(json.dumps(report))
                else:
                    for key, value in report.items():
                        self.stdout.write(f"{key}: {value}")
        except LaporError as exc:
            raise CommandError(f"SP4N-LAPOR! is not reachable or refused: {exc}") from exc
