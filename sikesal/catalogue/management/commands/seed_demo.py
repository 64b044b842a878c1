"""Load Kota Jambi's catalogue, demo users, a demo API key and a few demo reports. Idempotent."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from sikesal.accounts.models import ApiKey, User
from sikesal.accounts.roles import Role
from sikesal.catalogue.models import Area, AreaLevel, Institution, Service
from sikesal.catalogue.seed import load_catalogue
from sikesal.complaints import lifecycle, submission
from sikesal.complaints.actions import Action
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.env import env_str

# (username, first name, role, OPD short name)
DEMO_USERS = [
    ("admin", "Admin Koordinator Diskominfo", Role.ADMIN, None),
    ("loket", "Petugas Loket Pengaduan", Role.DESK_OFFICER, None),
    ("pupr", "Penghubung Dinas PUPR", Role.OPD_LIAISON, "Dinas PUPR"),
    ("pupr-petugas", "Petugas Dinas PUPR", Role.OPD_OFFICER, "Dinas PUPR"),
    ("pupr-kepala", "Kepala Dinas PUPR", Role.OPD_HEAD, "Dinas PUPR"),
    ("tirta", "Penghubung Perumda Tirta Mayang", Role.OPD_LIAISON, "Tirta Mayang"),
    ("sekda", "Sekretaris Daerah", Role.EXECUTIVE, None),
    ("ombudsman", "Pengamat Ombudsman RI Perwakilan Jambi", Role.OMBUDSMAN, None),
    ("dpo", "Pejabat Pelindungan Data Pribadi", Role.DPO, None),
]

# The sync's alarms and the deadline ladder mail the admin koordinator: without an address a demo alarms
# nobody. In development mail lands in the data directory's mail folder (EMAIL_BACKEND); .invalid can never
# be delivered by a real server.
DEMO_EMAILS = {"admin": "admin@demo.sikesal.invalid"}

# (key, service, kelurahan, title, body, anonim, rahasia, steps: actions, verify with the OPD it goes to)
V = Action.VERIFY
DEMO_REPORTS = [
    ("jalan-1", "jalan-rusak", "15.71.08.1004", "Jalan berlubang di Jl. Kapten Pattimura",
     "Jalan di depan ruko Jl. Kapten Pattimura berlubang besar, sudah dua minggu, motor sering jatuh waktu hujan.",
     False, False, [(V, "Dinas PUPR"), Action.START, Action.COMPLETE_FOLLOWUP]),
    ("lampu-1", "lampu-jalan", "15.71.01.1001", "Lampu jalan mati di Simpang IV Sipin",
     "Tiga lampu PJU di Jl. Sultan Agung mati sejak minggu lalu, jalan gelap gulita dan rawan jambret.",
     False, False, [(V, "Disperkim")]),
    ("air-1", "air-keruh", "15.71.02.1006", "Air PDAM keruh dan berbau di Pakuan Baru",
     "Sudah tiga hari air PDAM keruh kecoklatan dan berbau, tidak bisa dipakai masak. Mohon segera diperiksa.",
     True, False, [(V, "Tirta Mayang"), Action.START]),
    ("drainase-1", "drainase", "15.71.03.1004", "Parit tersumbat sampah di Budiman",
     "Parit di RT 05 tersumbat sampah, air meluap ke jalan setiap hujan deras, sudah dilaporkan ke RT tapi belum ada tindakan.",
     False, False, []),
    ("sampah-1", "sampah", "15.71.04.1003", "Sampah menumpuk di TPS Pasar Jambi",
     "Sampah di TPS dekat pasar tidak diangkut selama empat hari, baunya sampai ke rumah warga.",
     False, False, [Action.REQUEST_INFO]),
    ("bansos-1", "bansos", "15.71.05.1001", "Bantuan sosial tidak sampai",
     "Keluarga saya terdaftar di DTKS tetapi bantuan tidak pernah diterima sejak awal tahun, mohon dicek.",
     True, True, [(V, "Dinsos")]),
    ("banjir-1", "banjir", "15.71.07.1004", "Genangan setinggi lutut di Paal Lima",
     "Setiap hujan lebih dari satu jam jalan di Paal Lima tergenang setinggi lutut, kendaraan mogok.",
     False, False, [(V, "Dinas PUPR"), Action.COMPLETE_FOLLOWUP, Action.CONFIRM]),
]  # fmt: skip


class Command(BaseCommand):
    help = "Load the Kota Jambi demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-reports", action="store_true", help="Catalogue and users only.")

    def handle(self, *args, no_reports, **options):
        load_catalogue()
        self._users()
        self._api_key()
        if not no_reports:
            self._reports()
        self._routing()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {Institution.objects.count()} institutions, {Service.objects.count()} services, "
                f"{Area.objects.filter(level=AreaLevel.KECAMATAN).count()} kecamatan, "
                f"{Area.objects.filter(level=AreaLevel.KELURAHAN).count()} kelurahan, "
                f"{Complaint.objects.count()} reports."
            )
        )

    def _routing(self):
        """A first routing model and a suggestion for each demo report still waiting for one."""
        from sikesal.routing import service
        from sikesal.routing.models import ModelVersion

        if not ModelVersion.objects.filter(active=True).exists():
            service.train_and_activate()
        for complaint in Complaint.objects.filter(suggestion__isnull=True).select_related("service")[:500]:
            service.record(complaint)

    def _users(self):
        password = env_str("SIKESAL_DEMO_PASSWORD", "sikesal-demo")
        for username, name, role, opd in DEMO_USERS:
            institution = Institution.objects.get(short_name=opd) if opd else None
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": name, "role": role, "institution": institution},
            )
            if created:  # re-running keeps a password the operator changed
                user.set_password(password)
                user.save()
            if username in DEMO_EMAILS and not user.email:
                User.objects.filter(pk=user.pk).update(email=DEMO_EMAILS[username])

    def _api_key(self):
        value = settings.SIKESAL_DEMO_API_KEY
        key = ApiKey.lookup(value) or ApiKey(name="Aplikasi mitra demo")
        key.set_key(value)
        key.scopes = ["reports:file", "reports:read"]  # a kiosk: files and reads, acts on nothing
        key.save()

    @transaction.atomic
    def _reports(self):
        admin = Actor.for_user(User.objects.get(username="admin"))
        base = timezone.now() - dt.timedelta(days=6)
        for i, (key, service, area, title, body, anonim, rahasia, steps) in enumerate(DEMO_REPORTS):
            ikey = f"seed-demo-{key}"
            if Complaint.objects.filter(idempotency_key=ikey).exists():
                continue
            now = base + dt.timedelta(hours=5 * i)
            result = submission.submit(
                Actor.system("Data demo"),
                {
                    "service": service,
                    "area": area,
                    "title": title,
                    "body": body,
                    "is_anonymous": anonim,
                    "is_secret": rahasia,
                    "idempotency_key": ikey,
                    "reporter": {"name": "Warga Demo", "phone": "081234567890"},
                },
                now=now,
            )
            c = result.complaint
            for step in steps:
                now += dt.timedelta(hours=20)
                action, arg = step if isinstance(step, tuple) else (step, "")
                opd = (
                    Actor.for_user(User.objects.filter(institution=c.institution).first()) if c.institution_id else None
                )
                if action == Action.VERIFY:
                    lifecycle.transition(
                        c, Action.VERIFY, admin, now=now, institution=Institution.objects.get(short_name=arg).pk
                    )
                elif action == Action.REQUEST_INFO:
                    lifecycle.transition(c, Action.REQUEST_INFO, admin, now=now, message="Mohon kirim foto lokasi TPS.")
                elif action == Action.START:
                    lifecycle.transition(c, Action.START, opd, now=now)
                elif action == Action.COMPLETE_FOLLOWUP:
                    lifecycle.transition(
                        c, Action.COMPLETE_FOLLOWUP, opd, now=now, message="Sudah ditangani oleh tim lapangan."
                    )
                elif action == Action.CONFIRM:
                    lifecycle.transition(
                        c, Action.CONFIRM, Actor.reporter(c), now=now, rating=5, comment="Terima kasih."
                    )
