"""Generate many realistic reports fast, for benchmarks only (never for a real database).

Rows are written with bulk_create, not through the lifecycle: the point is volume. Texts come from the
catalogue (service names and keywords), areas are Kota Jambi's real kelurahan, timelines are plausible
(received → verified → follow-up → closed), and a share of reports are anonim and/or rahasia.

    .venv/bin/python -m bench.seed --reports 100000
"""

import argparse
import datetime as dt
import hashlib
import random
import sys
import time


def generate(n, seed=0, batch=5000, progress=True):
    from django.utils import timezone

    from sikesal.catalogue.models import Area, Institution, Service
    from sikesal.complaints.models import Complaint, Event
    from sikesal.complaints.states import Status
    from sikesal.complaints.submission import TRACKING_ALPHABET

    rng = random.Random(seed)
    services = list(Service.objects.select_related("default_institution"))
    areas = list(Area.objects.filter(level="kelurahan"))
    opds = {i.pk: i for i in Institution.objects.all()}
    now = timezone.now()
    places = ["depan masjid", "dekat pasar", "simpang empat", "gang sebelah sekolah", "RT 05", "depan kantor lurah"]
    feelings = ["sudah seminggu", "sejak kemarin", "sudah berbulan-bulan", "setiap hujan", "tiap malam"]
    start = time.perf_counter()
    made = 0
    while made < n:
        size = min(batch, n - made)
        rows, events = [], []
        for i in range(size):
            k = made + i
            s = rng.choice(services)
            area = rng.choice(areas)
            words = s.keyword_list() or [s.name]
            submitted = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 720))
            fate = rng.random()
            status = (
                Status.RECEIVED if fate < 0.08 else Status.DISPOSITIONED if fate < 0.2 else Status.IN_PROGRESS
                if fate < 0.3 else Status.FOLLOWED_UP if fate < 0.38 else Status.CLOSED_REPORTER if fate < 0.8
                else Status.CLOSED_SYSTEM if fate < 0.95 else Status.ARCHIVED_ADMIN
            )  # fmt: skip
            verified = None if status == Status.RECEIVED else submitted + dt.timedelta(hours=rng.randint(1, 96))
            closed = status in (Status.CLOSED_REPORTER, Status.CLOSED_SYSTEM, Status.ARCHIVED_ADMIN)
            suffix = "".join(rng.choice(TRACKING_ALPHABET) for _ in range(7))
            rows.append(
                Complaint(
                    tracking_number=f"BEN-{submitted:%y%m}-{suffix}",
                    secret_hash=hashlib.sha256(f"bench-{seed}-{k}".encode()).hexdigest(),
                    title=f"{s.name} {rng.choice(places)}"[:150],
                    body=f"{rng.choice(words).capitalize()} di {area.name} {rng.choice(places)}, {rng.choice(feelings)}. "
                    f"Mohon {s.default_institution.short_name} segera menindaklanjuti {rng.choice(words)}.",
                    service=s,
                    area=area,
                    institution=None if status == Status.RECEIVED else opds[s.default_institution_id],
                    channel=rng.choice(["web", "web", "android", "lapor", "whatsapp", "open311"]),
                    is_anonymous=rng.random() < 0.3,
                    is_secret=rng.random() < 0.1,
                    status=status,
                    submitted_at=submitted,
                    status_changed_at=verified or submitted,
                    verified_at=verified,
                    first_response_at=verified + dt.timedelta(hours=rng.randint(2, 200))
                    if verified and fate >= 0.2
                    else None,
                    closed_at=submitted + dt.timedelta(days=rng.randint(3, 50)) if closed else None,
                    rating=rng.randint(1, 5) if status == Status.CLOSED_REPORTER and rng.random() < 0.6 else None,
                    final_due_at=submitted + dt.timedelta(days=60),
                    due_at=None if closed else submitted + dt.timedelta(days=rng.randint(1, 60)),
                    latitude=-1.61 + rng.uniform(-0.05, 0.05),
                    longitude=103.61 + rng.uniform(-0.06, 0.06),
                )
            )
        Complaint.objects.bulk_create(rows, batch_size=1000)
        for c in rows:
            events.append(
                Event(
                    complaint=c,
                    created_at=c.submitted_at,
                    action="submit",
                    actor_role="system",
                    visibility="public",
                    to_status="received",
                )
            )
            if c.verified_at:
                events.append(
                    Event(
                        complaint=c,
                        created_at=c.verified_at,
                        action="verify",
                        actor_role="admin",
                        visibility="public",
                        from_status="received",
                        to_status="dispositioned",
                    )
                )
        Event.objects.bulk_create(events, batch_size=2000)
        made += size
        if progress:
            rate = made / (time.perf_counter() - start)
            print(f"\r{made:>9,}/{n:,} reports  {rate:,.0f}/s", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from bench.core import setup_django

    setup_django(throwaway=False)  # the server's own database: DATABASE_URL, else SIKESAL_DATA_DIR (./var)
    from django.db import connection

    seconds = generate(args.reports, args.seed)
    where = connection.settings_dict["NAME"]
    print(f"seeded {args.reports} reports in {seconds:.1f} s into {connection.vendor} database {where}")


if __name__ == "__main__":
    main()
