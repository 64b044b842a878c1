"""What the sync is doing, for the back office's health page and `manage.py lapor status`: per call its
last success and last error, and the red states an operator must act on (e-mailed once per change)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.client import is_enabled
from sikesal.integrations.lapor.models import Conflict, Link, Master, Outbox, Parked, SyncState
from sikesal.integrations.notify.channels import Contact
from sikesal.integrations.notify.transports import send_to_contact

log = logging.getLogger("sikesal.lapor")

# The calls the health page lists, in the order an operator reads them, with what each one carries.
CALLS = {
    "auth": _("credentials (every call): when failing nothing goes out or comes in, nothing is lost"),
    "masters": _("institution, template, category and location lists: the ids SIKESAL may send"),
    "upload": _("photos and documents of a new report"),
    "create": _("new local reports sent to SP4N-LAPOR!"),
    "route": _("dispositions to an OPD and forwards to other institutions"),
    "followup": _("follow-ups, replies and status changes sent to SP4N-LAPOR!"),
    "read": _("reading one report and its follow-ups"),
    "pull": _("new reports and changes from SP4N-LAPOR! (the list)"),
}


def record_calls(calls):
    """Merge one run's call outcomes into the stored ones (the newest success and error of each), and
    keep the outage watch: since when no call has reached SP4N-LAPOR!."""
    if not calls:
        return
    with transaction.atomic():
        row, _ = SyncState.objects.select_for_update().get_or_create(key="calls")
        stored = dict(row.value)
        for name, entry in calls.items():
            merged = dict(stored.get(name) or {})
            for key in ("ok_at", "error_at"):
                if entry.get(key) and entry[key] > merged.get(key, ""):
                    merged[key] = entry[key]
                    if key == "error_at":
                        merged["error"] = entry.get("error", "")
            stored[name] = merged
        row.value = stored
        row.save(update_fields=["value", "updated_at"])
        _watch_outage(calls)


def _unreached(entry):
    """A call that did not reach SP4N-LAPOR!: no answer, a 5xx, a 429. A missing optional call (404),
    refused credentials (401/403, their own red state) and a refusal of our content ("422: ...") are
    answers."""
    error = entry.get("error", "")
    answered = "no such call" in error or "HTTP 401" in error or "HTTP 403" in error  # refusals: red `auth`
    return bool(entry.get("error_at")) and not answered and not error[:4].rstrip(":").isdigit()


def _watch_outage(calls):
    """One run's calls: any answer ends an outage (and makes the rows that backed off during it due at
    once, oldest first: outbound._claim); only failures start or continue one."""
    answered = any(entry.get("ok_at") for entry in calls.values())
    failed = [entry["error_at"] for entry in calls.values() if _unreached(entry)]
    if not answered and not failed:
        return
    row, _ = SyncState.objects.select_for_update().get_or_create(key="outage")
    since = row.value.get("since")
    if answered:
        if since is None:
            return
        row.value = {"since": None, "ended_at": timezone.now().isoformat(), "began_at": since}
        # Retried as soon as anything answers; a 429's Retry-After is still honoured.
        Outbox.objects.filter(status="pending", next_attempt_at__gt=timezone.now()).exclude(last_error="").exclude(
            last_error__contains="HTTP 429"
        ).update(next_attempt_at=timezone.now())
    elif since is None:
        row.value = {**row.value, "since": min(failed)}
    else:
        return
    row.save(update_fields=["value", "updated_at"])


def unreached_since():
    """Since when no call has reached SP4N-LAPOR! (None while it answers)."""
    since = (SyncState.objects.filter(key="outage").values_list("value", flat=True).first() or {}).get("since")
    return dt.datetime.fromisoformat(since) if since else None


def outage():
    """SP4N-LAPOR! has not been reached for LAPOR_OUTAGE_AFTER_SECONDS: since when and what waits, or None."""
    began = unreached_since() if is_enabled() else None
    if began is None or timezone.now() - began < dt.timedelta(seconds=settings.LAPOR_OUTAGE_AFTER_SECONDS):
        return None
    waiting = Outbox.objects.filter(status="pending")
    # Not all of it goes when SP4N-LAPOR! answers: a report's later changes wait behind its create held
    # for a person (outbound._claim), and the banner and mail must not promise otherwise.
    held = Outbox.objects.filter(status="parked", kind="create").values("complaint_id")
    return {"since": began, "waiting": waiting.count(), "held_behind": waiting.filter(complaint_id__in=held).count()}


def _failing(entry):
    return bool(entry.get("error_at")) and entry.get("error_at", "") > entry.get("ok_at", "")


def call_states():
    stored = SyncState.objects.filter(key="calls").values_list("value", flat=True).first() or {}
    missing = set(
        (SyncState.objects.filter(key="masters").values_list("value", flat=True).first() or {}).get("missing", [])
    )
    out = []
    for name, meaning in CALLS.items():
        entry = stored.get(name) or {}
        failing = _failing(entry)
        out.append(
            {
                "name": name,
                "meaning": meaning,
                "ok_at": entry.get("ok_at"),
                "error_at": entry.get("error_at"),
                "error": entry.get("error", ""),
                "failing": failing,
                "missing": failing and "no such call" in entry.get("error", ""),
            }
        )
    for name in mapping.OPTIONAL_CALLS:
        if not mapping.call_enabled(name):
            missing.add(name)
    pull_missing = (stored.get("pull") or {}).get("error", "")
    if _failing(stored.get("pull") or {}) and "no such call" in pull_missing:
        missing.add("list")
    return out, sorted(missing)


def list_answers():
    """True when the last call to the list succeeded (after its last failure)."""
    stored = SyncState.objects.filter(key="calls").values_list("value", flat=True).first() or {}
    entry = stored.get("pull") or {}
    return bool(entry.get("ok_at")) and not _failing(entry)


def red_states(h):
    """What an operator must act on; an empty list is a healthy sync."""
    if not h["enabled"]:
        return []
    red = []
    calls = {c["name"]: c for c in h["calls"]}
    if calls["auth"]["failing"]:
        red.append("auth")
    red += [f"missing:{name}" for name in h["missing_calls"]]
    last_pull = h["pull"].get("last_run")
    stale = dt.timedelta(seconds=2 * settings.LAPOR_PULL_EVERY_SECONDS)
    if not last_pull or timezone.now() - dt.datetime.fromisoformat(last_pull) > stale:
        red.append("pull_stale")
    if h["outbox"]["parked"] or h["parked_open"]:
        red.append("parked")
    if h["conflicts_open"]:
        red.append("conflicts")
    if h["unknown_status"]:
        red.append("unknown_status")
    if h["flag_mismatch"]:  # anonim/rahasia changed here, not there: a reporter's protection at stake
        red.append("flag_mismatch")
    return red


def health():
    states = {s.key: s for s in SyncState.objects.all()}
    outbox = dict(Outbox.objects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    oldest = Outbox.objects.filter(status="pending").order_by("created_at").values_list("created_at", flat=True).first()
    pull = states.get("pull")
    calls, missing = call_states()
    h = {
        "enabled": is_enabled(),
        "base_url": settings.LAPOR_BASE_URL or "",
        "outbound_at": settings.LAPOR_OUTBOUND_AT,
        "city_institution_id": settings.LAPOR_CITY_INSTITUTION_ID,
        "pull": pull.value if pull else {},
        "masters": states["masters"].value if "masters" in states else {},
        "master_counts": dict(Master.objects.values("kind").annotate(n=Count("id")).values_list("kind", "n")),
        "calls": calls,
        "missing_calls": missing,
        "outbox": {
            "pending": outbox.get("pending", 0),
            "done": outbox.get("done", 0),
            "parked": outbox.get("parked", 0),
            "superseded": outbox.get("superseded", 0),
        },
        "oldest_pending": oldest,
        "links": Link.objects.count(),
        "parked_open": Parked.objects.filter(resolved_at__isnull=True).count(),
        "parked_recovered": Parked.objects.filter(resolved_at__isnull=False).count(),
        "conflicts_open": Conflict.objects.filter(resolved_at__isnull=True).count(),
        "conflicts_settled": Conflict.objects.filter(resolved_at__isnull=False).count(),
        # from the last comparison of both sides (reconcile.py): SP4N-LAPOR! has no call to change them
        "flag_mismatch": len((states["reconcile"].value or {}).get("flag_mismatch", []))
        if "reconcile" in states
        else 0,
        "unknown_status": Link.objects.exclude(remote_status__isnull=True)
        .exclude(remote_status__in=mapping.KNOWN_STATUSES)
        .count(),
    }
    h["red"] = red_states(h)
    h["outage"] = outage()  # apart from `red`: it has its own mail (alert_on_change) and its own banner
    return h


def alert_on_change():
    """E-mail the admin koordinators once each time the set of red states changes (and once when it is
    green again), never on every run; an outage has its own pair of mails, one when it begins and one
    when it ends (a pull gone stale because SP4N-LAPOR! is not reached is part of it, not an alarm of its
    own: the outage mail follows within LAPOR_OUTAGE_AFTER_SECONDS)."""
    h = health()
    red = sorted(set(h["red"]) - ({"pull_stale"} if unreached_since() else set()))
    _alert_outage(h)
    with transaction.atomic():
        row, _ = SyncState.objects.select_for_update().get_or_create(key="alerts")
        if row.value.get("red", []) == red:
            return red
        row.value = {"red": red, "changed_at": timezone.now().isoformat()}
        row.save(update_fields=["value", "updated_at"])
    subject = f"SP4N-LAPOR!: {', '.join(red)}" if red else "SP4N-LAPOR!: sinkronisasi kembali normal"
    lines = [f"Keadaan sinkronisasi SP4N-LAPOR! berubah: {', '.join(red) or 'normal'}.", ""]
    for call in h["calls"]:
        if call["failing"]:
            lines.append(f"- {call['name']}: {call['error']} ({call['error_at']})")
    _mail_admins(subject, lines)
    return red


def _alert_outage(h):
    with transaction.atomic():
        row, _ = SyncState.objects.select_for_update().get_or_create(key="outage_alert")
        mailed = row.value.get("since")
        if bool(h["outage"]) == bool(mailed):
            return
        row.value = {"since": h["outage"]["since"].isoformat() if h["outage"] else None}
        row.save(update_fields=["value", "updated_at"])
    if h["outage"]:
        since = timezone.localtime(h["outage"]["since"]).strftime("%d-%m-%Y %H:%M")
        subject = "SP4N-LAPOR! tidak dapat dihubungi"
        lines = [
            f"Sejak {since} WIB tidak ada panggilan ke SP4N-LAPOR! yang berhasil.",
            f"{h['outage']['waiting']} perubahan menunggu dikirim; tidak ada yang hilang, semuanya dikirim "
            "berurutan begitu SP4N-LAPOR! menjawab lagi. Laporan dan tindak lanjut dari SP4N-LAPOR! belum masuk.",
        ]
        if h["outage"]["held_behind"]:
            lines.append(
                f"{h['outage']['held_behind']} di antaranya menunggu di belakang laporan yang ditahan untuk "
                "keputusan admin (tautkan atau kirim ulang di halaman sinkronisasi)."
            )
    else:
        since = timezone.localtime(dt.datetime.fromisoformat(mailed)).strftime("%d-%m-%Y %H:%M")
        subject = "SP4N-LAPOR! dapat dihubungi lagi"
        lines = [
            f"SP4N-LAPOR! menjawab lagi (tidak dapat dihubungi sejak {since} WIB).",
            f"{h['outbox']['pending']} perubahan masih menunggu dan dikirim sekarang, yang terlama lebih dulu.",
        ]
    _mail_admins(subject, lines)


def _mail_admins(subject, lines):
    from sikesal.complaints import policy

    to = list(policy.admins_to_alert().exclude(email="").values_list("email", flat=True))
    if not to:
        return
    try:
        send_to_contact(Contact.EMAIL, to, subject, "\n".join([*lines, "", "Rincian: /kantor/sinkronisasi-lapor/"]))
    except Exception:  # a mail outage must not stop the sync; the page still shows the state
        log.exception("lapor alert mail failed")
