"""Master lists from SP4N-LAPOR! (institutions, categories, reply templates), synced daily and on demand.

An OPD whose SP4N-LAPOR! id is empty, or not in the master, is matched by its exact name (case and
spacing ignored): the ids then come from LAPOR! itself instead of being typed by hand.
"""

from django.db import transaction
from django.utils import timezone

from sikesal.catalogue.models import Institution
from sikesal.integrations.lapor.client import LaporClient, is_enabled
from sikesal.integrations.lapor.models import Master, SyncState

KINDS = ("institutions", "categories", "templates")


def _norm(name):
    return " ".join(str(name or "").lower().split())


def sync_masters(client=None):
    """Fetch every master list and store it; returns counts per kind plus matched institutions."""
    if not is_enabled():
        return {}
    own = client is None
    client = client or LaporClient()
    counts = {}
    try:
        lists = {kind: client.master(kind) for kind in KINDS}  # fetch all before changing anything
    finally:
        if own:
            client.close()
    now = timezone.now()
    with transaction.atomic():
        for kind, items in lists.items():
            seen = []
            for item in items:
                if not isinstance(item, dict) or item.get("id") is None:
                    continue
                rid = str(item["id"])
                seen.append(rid)
                name = str(item.get("name") or item.get("code") or rid)[:300]
                Master.objects.update_or_create(
                    kind=kind, remote_id=rid, defaults={"name": name, "data": item, "synced_at": now}
                )
            Master.objects.filter(kind=kind).exclude(remote_id__in=seen).delete()
            counts[kind] = len(seen)
        counts["matched_institutions"] = _match_institutions()
        state, _ = SyncState.objects.get_or_create(key="masters")
        state.value = {"last_run": now.isoformat(), "counts": counts}
        state.save()
    return counts


def _match_institutions():
    by_name = {_norm(m.name): m.remote_id for m in Master.objects.filter(kind="institutions")}
    known = set(by_name.values())
    matched = 0
    for inst in Institution.objects.all():
        if inst.lapor_institution_id in known:
            continue
        rid = by_name.get(_norm(inst.name))
        if rid:
            Institution.objects.filter(pk=inst.pk).update(lapor_institution_id=rid)
            matched += 1
    return matched
