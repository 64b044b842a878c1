"""Routing suggestions in the product: train (cold start, then from the admins' dispositions), keep
versions, suggest OPDs and services with confidence and the words that weighed most.

Labels are "<institution id>|<service code>" pairs: the admin's decision is the OPD (disposition),
the citizen's choice or the catalogue gives the service. One model then serves both lists: an OPD's
confidence is the sum over its pairs, a service's likewise.
"""

import logging
import re
import threading
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from sikesal.catalogue.models import Institution, InstitutionKind, Service
from sikesal.complaints import effect_queue
from sikesal.complaints.actions import Action
from sikesal.complaints.states import Status
from sikesal.routing import model as router
from sikesal.routing.concepts import build_lexicon
from sikesal.routing.models import ModelVersion, Suggestion

log = logging.getLogger("sikesal.routing")
FRAGMENTS = re.compile(r"[,;.\n/|]+")
# States in which the report's OPD is the admins' decision (not returned, forwarded, merged or archived).
ROUTED = (Status.DISPOSITIONED, Status.IN_PROGRESS, Status.FOLLOWED_UP, Status.CLOSED_REPORTER,
          Status.CLOSED_ADMIN, Status.CLOSED_SYSTEM)  # fmt: skip
CHOSEN_SERVICE_WEIGHT = 2.0  # the service the citizen picked counts double (a hint, not a verdict)


def label(institution_id, service_code):
    return f"{institution_id}|{service_code or ''}"


def catalogue_examples():
    """(label, text) for every active service with an OPD, split into fragments as pseudo-reports."""
    out = []
    for s in Service.objects.filter(active=True, default_institution__isnull=False).select_related("group"):
        text = router.catalogue_text(s.name, s.description, s.keywords)
        lab = label(s.default_institution_id, s.code)
        out.append((lab, f"{s.group.name}. {text}"))
        out.extend((lab, f.strip()) for f in FRAGMENTS.split(text) if f.strip())
    return out


def catalogue_lexicon():
    """Concept lexicon of the live catalogue: every active service's name and keywords."""
    return build_lexicon(Service.objects.filter(active=True).values_list("code", "group__code", "name", "keywords"))


def learned_examples(limit=None):
    """(label, text) of reports the admins routed, newest first (LAPOR! ones included)."""
    from sikesal.complaints.models import Complaint

    rows = (
        Complaint.objects.filter(status__in=ROUTED, institution__isnull=False)
        .exclude(institution__kind=InstitutionKind.EXTERNAL)
        .order_by("-submitted_at")
        .values_list("institution_id", "service__code", "title", "body")
    )
    if limit:
        rows = rows[:limit]
    return [(label(i, s), f"{t}. {b}") for i, s, t, b in rows.iterator(chunk_size=5000)]


def train_and_activate(max_examples=None):
    """Train on the catalogue plus every routed report, store the version and make it active."""
    started = time.perf_counter()
    learned = learned_examples(max_examples or settings.SIKESAL_ROUTING_MAX_EXAMPLES)
    examples = catalogue_examples() + learned
    m = router.train([t for _, t in examples], [lab for lab, _ in examples], concepts=catalogue_lexicon())
    seconds = time.perf_counter() - started
    with transaction.atomic():
        ModelVersion.objects.filter(active=True).update(active=False)
        version = ModelVersion.objects.create(
            kind=ModelVersion.Kind.LEARNED if learned else ModelVersion.Kind.COLD_START,
            examples=len(learned),
            classes=len(m.classes),
            train_seconds=round(seconds, 2),
            blob=m.dumps(),
            active=True,
        )
    _cache.update(version=version.pk, model=m)
    log.info("routing model %s trained on %s reports in %.1f s", version.pk, len(learned), seconds)
    return version


_cache = {"version": None, "model": None}
_lock = threading.Lock()


def active_model():
    """(version id, model): loaded once per process, again when another version becomes active; trained
    from the catalogue when there is none yet."""
    with _lock:
        row = ModelVersion.objects.filter(active=True).order_by("-id").values_list("id", flat=True).first()
        if row is None:
            version = train_and_activate()
            return version.pk, _cache["model"]
        if row != _cache["version"]:
            blob = ModelVersion.objects.values_list("blob", flat=True).get(pk=row)
            try:
                model = router.RoutingModel.loads(bytes(blob))
            except ValueError:
                # Stored by an older release (another model format or normaliser): retrain rather than
                # leave every new report without a suggestion until the daily job runs.
                log.warning("routing model %s is of an older format; retraining", row)
                version = train_and_activate()
                return version.pk, _cache["model"]
            _cache.update(version=row, model=model)
        return _cache["version"], _cache["model"]


def suggest(title, body, service_code=None, k=3):
    """Top-k OPDs and services for a text, with confidences and the words that weighed most."""
    return suggest_many([(title, body, service_code)], k=k)[0]


def suggest_many(items, k=3):
    """`suggest` for many (title, body, service_code) at once: one matrix product for all the texts."""
    version, m = active_model()
    texts = [f"{title}. {body}" for title, body, _ in items]
    rows = m.predict_proba(texts) if texts else []
    ranked = []
    for (_, _, service_code), row in zip(items, rows, strict=True):
        proba = dict(zip(m.classes, row, strict=True))
        if service_code:
            proba = {
                lab: p * (CHOSEN_SERVICE_WEIGHT if lab.endswith(f"|{service_code}") else 1) for lab, p in proba.items()
            }
            total = sum(proba.values()) or 1
            proba = {lab: p / total for lab, p in proba.items()}
        by_opd, by_service = defaultdict(float), defaultdict(float)
        for lab, p in proba.items():
            inst, _, svc = lab.partition("|")
            by_opd[int(inst)] += p
            if svc:
                by_service[svc] += p
        opds = sorted(by_opd.items(), key=lambda x: -x[1])[:k]
        services = sorted(by_service.items(), key=lambda x: -x[1])[:k]
        ranked.append((opds, services, max(proba, key=proba.get)))
    names = dict(
        Institution.objects.filter(pk__in={i for opds, _, _ in ranked for i, _ in opds}).values_list("pk", "short_name")
    )
    snames = dict(
        Service.objects.filter(code__in={s for _, services, _ in ranked for s, _ in services}).values_list(
            "code", "name"
        )
    )
    return [
        {
            "model": version,
            "opds": [{"id": i, "name": names.get(i, str(i)), "confidence": round(p, 3)} for i, p in opds],
            "services": [{"code": s, "name": snames.get(s, s), "confidence": round(p, 3)} for s, p in services],
            "words": m.explain(text, best, n=5),
        }
        for text, (opds, services, best) in zip(texts, ranked, strict=True)
    ]


def record(complaint):
    """Store the suggestion for a new report (idempotent: the event handler may run twice)."""
    record_many([complaint])


def record_many(complaints):
    """Suggestions for new reports in one pass: those that have one already are left as they are."""
    have = set(Suggestion.objects.filter(complaint__in=complaints).values_list("complaint_id", flat=True))
    todo = list({c.pk: c for c in complaints if c.pk not in have}.values())
    if not todo:
        return
    found = suggest_many([(c.title, c.body, c.service.code if c.service_id else None) for c in todo])
    effect_queue.bulk_create(
        Suggestion,
        [
            Suggestion(
                complaint=c,
                model_id=data["model"],
                top_institution_id=data["opds"][0]["id"] if data["opds"] else None,
                data=data,
            )
            for c, data in zip(todo, found, strict=True)
        ],
        ignore_conflicts=True,  # another worker's run got there first: the first suggestion stays
    )


def on_event(event):
    """Timeline side effect: a suggestion for each new report, ready before an admin opens it."""
    if event.action == Action.SUBMIT:
        record(event.complaint)


def on_events(events):
    """on_event for a batch of events: one fit of the model's suggestions for all new reports."""
    record_many([e.complaint for e in events if e.action == Action.SUBMIT])


def live_accuracy(last=200):
    """Share of the last N routed reports whose suggested first OPD is the OPD the admins chose."""
    rows = list(
        Suggestion.objects.filter(complaint__status__in=ROUTED, complaint__institution__isnull=False)
        .order_by("-complaint__verified_at")
        .values_list("top_institution_id", "complaint__institution_id")[:last]
    )
    if not rows:
        return None
    hits = sum(1 for suggested, chosen in rows if suggested == chosen)
    return {"n": len(rows), "accuracy": round(hits / len(rows), 3)}
