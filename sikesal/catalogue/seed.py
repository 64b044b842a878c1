"""Loading the Kota Jambi catalogue (areas, institutions, services). Idempotent: re-running updates rows."""

import csv
from pathlib import Path

from django.db import transaction

from sikesal.catalogue.data import demo
from sikesal.catalogue.models import Area, AreaLevel, Institution, InstitutionKind, Service, ServiceGroup

DATA = Path(__file__).parent / "data"


def load_areas():
    with open(DATA / "wilayah-kota-jambi.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:  # parents come first in the file
        parent = Area.objects.filter(code=row["induk"]).first()
        Area.objects.update_or_create(
            code=row["kode"], defaults={"name": row["nama"], "level": AreaLevel(row["tingkat"]), "parent": parent}
        )
    return len(rows)


def load_institutions():
    # lapor_institution_id is left alone: the LAPOR! master sync (or an admin) sets it
    for short, name, kind in demo.OPDS:
        Institution.objects.update_or_create(short_name=short, defaults={"name": name, "kind": kind})
    for short, name in demo.EXTERNAL:
        Institution.objects.update_or_create(
            short_name=short, defaults={"name": name, "kind": InstitutionKind.EXTERNAL}
        )
    for area in Area.objects.filter(level=AreaLevel.KECAMATAN):
        Institution.objects.update_or_create(
            short_name=f"Kec. {area.name}",
            defaults={"name": f"Kecamatan {area.name} Kota Jambi", "kind": InstitutionKind.KECAMATAN, "area": area},
        )


def load_services():
    groups = {}
    for code, name, position in demo.GROUPS:
        groups[code], _ = ServiceGroup.objects.update_or_create(
            code=code, defaults={"name": name, "position": position}
        )
    institutions = {i.short_name: i for i in Institution.objects.all()}
    for code, name, group, opd, hours, tier, keywords in demo.SERVICES:
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "group": groups[group],
                "default_institution": institutions[opd],
                "target_hours": hours,
                "sla_tier": tier,
                "keywords": keywords,
                "description": f"Laporan tentang {name.lower()} di Kota Jambi.",
                "extra_questions": demo.EXTRA_QUESTIONS.get(code, []),
            },
        )


@transaction.atomic
def load_catalogue():
    load_areas()
    load_institutions()
    load_services()
