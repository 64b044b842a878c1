"""Master lists from SP4N-LAPOR! (institutions, reply templates; categories and locations where the
service has them), synced daily and on demand, and the lookups that turn local rows into LAPOR! ids.

Every id SIKESAL sends comes from these lists: an OPD whose SP4N-LAPOR! id is empty, or not in the
master, is matched by its exact name (case and spacing ignored); an id the master does not list is
never sent (docs/lapor.md).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sikesal.catalogue.models import Institution, InstitutionKind
from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.client import LaporClient, Missing, is_enabled
from sikesal.integrations.lapor.models import Master, SyncState

KINDS = ("institutions", "templates", "categories", "locations")


def _norm(name):
    return " ".join(str(name or "").lower().split())


def sync_masters(client=None):
    """Fetch every master list and store it; returns counts per kind plus matched institutions.
    A list the service lacks (an optional call answering 404) is recorded as missing, not an error."""
    if not is_enabled():
        return {}
    own = client is None
    client = client or LaporClient()
    lists, missing = {}, []
    try:
        for kind in KINDS:  # fetch all before changing anything
            if not mapping.call_enabled(kind):
                continue
            try:
                lists[kind] = client.master(kind)
            except Missing:
                missing.append(kind)
    finally:
        if own:
            client.close()
        from sikesal.integrations.lapor.health import record_calls

        record_calls(client.calls)
    now = timezone.now()
    counts = {}
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
        state.value = {"last_run": now.isoformat(), "counts": counts, "missing": missing}
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


# --- Lookups --------------------------------------------------------------------------------------------


def known_institution(remote_id):
    return bool(remote_id) and Master.objects.filter(kind="institutions", remote_id=str(remote_id)).exists()


def institution_id(institution, *, fallback_to_city=True):
    """The institution's id on SP4N-LAPOR! when the synced master confirms it. For a city OPD the city's
    own id stands in (the report then waits with the city); for an outside institution there is none."""
    if institution is not None and known_institution(institution.lapor_institution_id):
        return int(institution.lapor_institution_id)
    return mapping.city_institution_id() if fallback_to_city else None


def location_id(area_code):
    """The LAPOR! location id of a kelurahan (or its kecamatan, or the city) from the locations master;
    LAPOR_DEFAULT_LOCATION_ID when the service has no such master."""
    codes = []
    code = area_code or ""
    while code:
        codes.append(code)
        code = code.rpartition(".")[0]
    by_code = {
        str((m.data or {}).get("code")): m.remote_id
        for m in Master.objects.filter(kind="locations", data__code__in=codes or ["-"])
    }
    for code in codes:
        if code in by_code:
            return int(by_code[code])
    default = settings.LAPOR_DEFAULT_LOCATION_ID
    return int(default) if default.isdigit() else None


def area_code(remote_location_id):
    """The Kemendagri code of a LAPOR! location id, from the locations master; None when unknown."""
    if not remote_location_id:
        return None
    row = Master.objects.filter(kind="locations", remote_id=str(remote_location_id)).first()
    code = str((row.data or {}).get("code") or "") if row else ""
    return code or None


def category_id(service):
    """The service's LAPOR! category, when the categories master lists it (or the service has no such
    master, where the id typed by the admin is trusted)."""
    raw = service.lapor_category_id if service else ""
    if not raw or not raw.isdigit():
        return None
    if (
        Master.objects.filter(kind="categories").exists()
        and not Master.objects.filter(kind="categories", remote_id=raw).exists()
    ):
        return None
    return int(raw)


def template_code(code):
    """A template code the templates master lists; otherwise the configured reply template."""
    if code and (
        not Master.objects.filter(kind="templates").exists()
        or Master.objects.filter(kind="templates", remote_id=code).exists()
        or Master.objects.filter(kind="templates", data__code=code).exists()
    ):
        return code
    return settings.LAPOR_REPLY_TEMPLATE


def city_remote_ids():
    """SP4N-LAPOR! ids that belong to the city (its own and its units'): their follow-ups are ours."""
    ids = {str(mapping.city_institution_id())}
    ids.update(
        Institution.objects.exclude(lapor_institution_id="")
        .exclude(kind=InstitutionKind.EXTERNAL)
        .values_list("lapor_institution_id", flat=True)
    )
    parents = {
        m.remote_id: str((m.data or {}).get("parent_id") or "") for m in Master.objects.filter(kind="institutions")
    }
    for rid in parents:
        seen, current = set(), rid
        while current and current not in seen:
            if current == str(mapping.city_institution_id()):
                ids.add(rid)
                break
            seen.add(current)
            current = parents.get(current)
    return ids
