"""What the sync is doing, for the back office's health page and `manage.py lapor status`."""

from django.conf import settings
from django.db.models import Count

from sikesal.integrations.lapor.client import is_enabled  # noqa: F401 - re-exported for the views
from sikesal.integrations.lapor.models import Link, Master, Outbox, Parked, SyncState


def health():
    states = {s.key: s for s in SyncState.objects.all()}
    outbox = dict(Outbox.objects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    oldest = Outbox.objects.filter(status="pending").order_by("created_at").values_list("created_at", flat=True).first()
    pull = states.get("pull")
    return {
        "enabled": is_enabled(),
        "base_url": settings.LAPOR_BASE_URL or "",
        "outbound_at": settings.LAPOR_OUTBOUND_AT,
        "city_institution_id": settings.LAPOR_CITY_INSTITUTION_ID,
        "pull": pull.value if pull else {},
        "masters": states["masters"].value if "masters" in states else {},
        "master_counts": dict(Master.objects.values("kind").annotate(n=Count("id")).values_list("kind", "n")),
        "outbox": {
            "pending": outbox.get("pending", 0),
            "done": outbox.get("done", 0),
            "parked": outbox.get("parked", 0),
        },
        "oldest_pending": oldest,
        "links": Link.objects.count(),
        "parked_open": Parked.objects.filter(resolved_at__isnull=True).count(),
        "parked_recovered": Parked.objects.filter(resolved_at__isnull=False).count(),
    }
