"""The LAPOR! status table: every status code and name lives here and nowhere else.

No official list of LAPOR! status codes is public (docs/lapor.md, "Statuses and conflicts"); the names below are the
ones seen in LAPOR! exports and admin dashboards, the numeric codes are the simulator's own choice.
A connector must map them through configuration, never hard-code them.
"""

from __future__ import annotations

BELUM_TERVERIFIKASI = 10
TERTUNDA = 11
TERDISPOSISI_BELUM_DITINDAKLANJUTI = 20
TERDISPOSISI_SEDANG_DIPROSES = 21
TERDISPOSISI_SELESAI = 22
DITUTUP_OLEH_PELAPOR = 30
DITUTUP_OLEH_ADMIN = 31
DITUTUP_OLEH_SISTEM = 32
DIARSIPKAN_OLEH_ADMIN = 40
DIARSIPKAN_OLEH_SISTEM = 41
DIARSIPKAN_OLEH_PELAPOR = 42
BUKAN_WEWENANG = 50

STATUS_NAMES: dict[int, str] = {
    BELUM_TERVERIFIKASI: "Belum Terverifikasi",
    TERTUNDA: "Tertunda - Menunggu Kelengkapan Informasi",
    TERDISPOSISI_BELUM_DITINDAKLANJUTI: "Terdisposisi Belum Ditindaklanjuti",
    TERDISPOSISI_SEDANG_DIPROSES: "Terdisposisi Sedang Diproses",
    TERDISPOSISI_SELESAI: "Terdisposisi Selesai",
    DITUTUP_OLEH_PELAPOR: "Ditutup oleh Pelapor",
    DITUTUP_OLEH_ADMIN: "Ditutup oleh Admin",
    DITUTUP_OLEH_SISTEM: "Ditutup oleh Sistem",
    DIARSIPKAN_OLEH_ADMIN: "Diarsipkan oleh Admin",
    DIARSIPKAN_OLEH_SISTEM: "Diarsipkan oleh Sistem",
    DIARSIPKAN_OLEH_PELAPOR: "Diarsipkan oleh Pelapor",
    BUKAN_WEWENANG: "Bukan Wewenang",
}

# Statuses in which a complaint sits with the institution it is dispositioned to.
DISPOSITIONED = frozenset({TERDISPOSISI_BELUM_DITINDAKLANJUTI, TERDISPOSISI_SEDANG_DIPROSES, TERDISPOSISI_SELESAI})
# Final statuses: no follow-up, forward or status change is accepted any more.
FINAL = frozenset(
    {
        DITUTUP_OLEH_PELAPOR,
        DITUTUP_OLEH_ADMIN,
        DITUTUP_OLEH_SISTEM,
        DIARSIPKAN_OLEH_ADMIN,
        DIARSIPKAN_OLEH_SISTEM,
        DIARSIPKAN_OLEH_PELAPOR,
    }
)


def status_name(code: int | None) -> str | None:
    if code is None:
        return None
    return STATUS_NAMES.get(code, f"Status {code}")


def status_ref(code: int | None) -> dict | None:
    """The `{code, name}` object used in `data_logs[].status_old/status_new`."""
    if code is None:
        return None
    return {"code": code, "name": status_name(code)}


def as_table() -> list[dict]:
    return [{"code": code, "name": name} for code, name in STATUS_NAMES.items()]
