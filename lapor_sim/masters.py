"""Master data served by the simulator: institutions, categories, channels, templates, locations.

Every id here is the simulator's invention (the real ids come from LAPOR!'s own master calls); the
names are real Indonesian agencies so that demos read naturally. Kota Jambi's kecamatan and kelurahan
come from sikesal/catalogue/data/wilayah-kota-jambi.csv (Kepmendagri 300.2.2-2138/2025, compiled by
cahyadsn/wilayah, MIT licence). Like the real service (the public client sends `location_id` 34), a
location's id is a SMALL LAPOR! number, not the Kemendagri code: 1..N in the order of the sorted
Kemendagri codes (so stable across runs); the code itself is given in each item's `code`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import statuses as st


@dataclass(frozen=True)
class Institution:
    id: int
    name: str
    parent_id: int | None
    level: str  # pusat, lembaga, bumn, instansi_vertikal, pemprov, pemkab, pemkot, opd, bumd

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "level": self.level,
            "is_active": True,
        }


NATIONAL_ADMIN_ID = 1  # KemenPANRB runs SP4N-LAPOR!; admin log entries carry its id.
DEFAULT_CITY_ID = 1571

_INSTITUTIONS = [
    Institution(1, "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi", None, "pusat"),
    Institution(2, "Ombudsman Republik Indonesia", None, "lembaga"),
    Institution(21, "Ombudsman RI Perwakilan Provinsi Jambi", 2, "lembaga"),
    Institution(3, "Kementerian Pekerjaan Umum", None, "pusat"),
    Institution(31, "Balai Pelaksanaan Jalan Nasional (BPJN) Jambi", 3, "instansi_vertikal"),
    Institution(32, "Balai Wilayah Sungai Sumatera VI", 3, "instansi_vertikal"),
    Institution(4, "PT PLN (Persero)", None, "bumn"),
    Institution(41, "PT PLN (Persero) UID Sumatera Selatan, Jambi dan Bengkulu", 4, "bumn"),
    Institution(42, "PT PLN (Persero) UP3 Jambi", 41, "bumn"),
    Institution(5, "BPJS Kesehatan", None, "lembaga"),
    Institution(51, "BPJS Kesehatan Kantor Cabang Jambi", 5, "lembaga"),
    Institution(6, "BPJS Ketenagakerjaan", None, "lembaga"),
    Institution(61, "BPJS Ketenagakerjaan Kantor Cabang Jambi", 6, "lembaga"),
    Institution(7, "Kepolisian Negara Republik Indonesia", None, "pusat"),
    Institution(71, "Kepolisian Daerah Jambi", 7, "instansi_vertikal"),
    Institution(72, "Kepolisian Resor Kota Jambi", 71, "instansi_vertikal"),
    Institution(8, "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional", None, "pusat"),
    Institution(81, "Kantor Pertanahan Kota Jambi", 8, "instansi_vertikal"),
    Institution(9, "Kementerian Sosial", None, "pusat"),
    Institution(10, "Kementerian Perhubungan", None, "pusat"),
    Institution(11, "PT Telkom Indonesia (Persero) Tbk", None, "bumn"),
    Institution(12, "Kementerian Agama", None, "pusat"),
    Institution(121, "Kantor Kementerian Agama Kota Jambi", 12, "instansi_vertikal"),
    Institution(15, "Pemerintah Provinsi Jambi", None, "pemprov"),
    Institution(1501, "Dinas Pekerjaan Umum dan Perumahan Rakyat Provinsi Jambi", 15, "opd"),
    Institution(1502, "Dinas Perhubungan Provinsi Jambi", 15, "opd"),
    Institution(1503, "Badan Keuangan Daerah Provinsi Jambi (Samsat)", 15, "opd"),
    Institution(1504, "Dinas Pendidikan Provinsi Jambi", 15, "opd"),
    Institution(1505, "Pemerintah Kabupaten Muaro Jambi", None, "pemkab"),
    Institution(1571, "Pemerintah Kota Jambi", None, "pemkot"),
    Institution(1571001, "Dinas Komunikasi dan Informatika Kota Jambi", 1571, "opd"),
    Institution(1571002, "Dinas Pekerjaan Umum dan Penataan Ruang Kota Jambi", 1571, "opd"),
    Institution(1571003, "Dinas Perumahan dan Kawasan Permukiman Kota Jambi", 1571, "opd"),
    Institution(1571004, "Dinas Lingkungan Hidup Kota Jambi", 1571, "opd"),
    Institution(1571005, "Dinas Perhubungan Kota Jambi", 1571, "opd"),
    Institution(1571006, "Dinas Kesehatan Kota Jambi", 1571, "opd"),
    Institution(1571007, "Dinas Pendidikan Kota Jambi", 1571, "opd"),
    Institution(1571008, "Dinas Sosial Kota Jambi", 1571, "opd"),
    Institution(1571009, "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi", 1571, "opd"),
    Institution(1571010, "Satuan Polisi Pamong Praja Kota Jambi", 1571, "opd"),
    Institution(1571011, "Badan Penanggulangan Bencana Daerah Kota Jambi", 1571, "opd"),
    Institution(1571012, "Perumda Air Minum Tirta Mayang Kota Jambi", 1571, "bumd"),
    Institution(1571013, "Badan Pengelola Pajak dan Retribusi Daerah Kota Jambi", 1571, "opd"),
    Institution(
        1571014,
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Jambi",
        1571,
        "opd",
    ),
    Institution(1571015, "RSUD H. Abdul Manap Kota Jambi", 1571, "opd"),
    Institution(1571016, "Dinas Pemadam Kebakaran dan Penyelamatan Kota Jambi", 1571, "opd"),
    Institution(1571017, "Dinas Perindustrian dan Perdagangan Kota Jambi", 1571, "opd"),
    Institution(1571018, "Kecamatan Telanaipura", 1571, "opd"),
    Institution(1571019, "Kecamatan Kota Baru", 1571, "opd"),
    Institution(1571020, "Kecamatan Alam Barajo", 1571, "opd"),
]

INSTITUTIONS: dict[int, Institution] = {i.id: i for i in _INSTITUTIONS}


def institution_name(institution_id: int | None) -> str | None:
    if institution_id is None:
        return None
    inst = INSTITUTIONS.get(institution_id)
    return inst.name if inst else f"Instansi {institution_id}"


def lineage(institution_id: int) -> list[int]:
    """The institution and its ancestors, nearest first."""
    out = []
    current = INSTITUTIONS.get(institution_id)
    while current is not None and current.id not in out:
        out.append(current.id)
        current = INSTITUTIONS.get(current.parent_id) if current.parent_id else None
    return out or [institution_id]


def is_within(institution_id: int | None, root_id: int) -> bool:
    """True when the institution is `root_id` or one of its descendants (e.g. a city OPD)."""
    return institution_id is not None and root_id in lineage(institution_id)


# Classification ("jenis laporan").
CLASSIFICATIONS = [
    {"id": 1, "name": "Pengaduan"},
    {"id": 2, "name": "Aspirasi"},
    {"id": 3, "name": "Permintaan Informasi"},
    # The public client always sends classification_id 6; its official name is not public.
    {"id": 6, "name": "Laporan Integrasi"},
]
CLASSIFICATION_IDS = {c["id"] for c in CLASSIFICATIONS}

# Channels ("Sumber Laporan"), as seen in real exports.
CHANNELS = [
    {"id": 1, "name": "Website"},
    {"id": 2, "name": "Android"},
    {"id": 3, "name": "iOS"},
    {"id": 4, "name": "SMS 1708"},
    {"id": 5, "name": "Twitter"},
    {"id": 6, "name": "Whatsapp"},
    {"id": 13, "name": "Integrasi API"},
    {"id": 20, "name": "Website - jambikota"},
]
CHANNEL_NAMES = {c["id"]: c["name"] for c in CHANNELS}
API_CHANNEL_ID = 13

# Categories (a subset of LAPOR!'s topic list).
CATEGORIES = [
    {"id": 401, "name": "Pekerjaan Umum dan Penataan Ruang"},
    {"id": 402, "name": "Lingkungan Hidup dan Kehutanan"},
    {"id": 403, "name": "Energi dan Sumber Daya Alam"},
    {"id": 404, "name": "Perhubungan"},
    {"id": 405, "name": "Kesehatan"},
    {"id": 406, "name": "Sosial dan Kesejahteraan"},
    {"id": 407, "name": "Ketentraman, Ketertiban Umum, dan Perlindungan Masyarakat"},
    {"id": 408, "name": "Kependudukan"},
    {"id": 409, "name": "Pendidikan dan Kebudayaan"},
    {"id": 410, "name": "Penanggulangan Bencana"},
    {"id": 411, "name": "Perumahan"},
    {"id": 412, "name": "Pelayanan Publik"},
    {"id": 413, "name": "TNI/Polri"},
    {"id": 414, "name": "Pertanahan"},
    {"id": 415, "name": "Industri dan Perdagangan"},
    {"id": 436, "name": "Topik Lainnya"},
]
CATEGORY_NAMES = {c["id"]: c["name"] for c in CATEGORIES}


@dataclass(frozen=True)
class Template:
    id: int
    code: str
    name: str
    content: str
    status_code: int | None  # the status a follow-up with this template moves the complaint to

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "content": self.content,
            "status_code": self.status_code,
            "status_name": st.status_name(self.status_code),
        }


_TEMPLATES = [
    Template(
        1,
        "tindak_lanjut",
        "Tindak lanjut",
        "Terima kasih atas laporan Anda. Laporan telah kami tindak lanjuti sebagai berikut: ...",
        st.TERDISPOSISI_SELESAI,
    ),
    Template(
        2,
        "sedang_diproses",
        "Laporan sedang diproses",
        "Laporan Anda sedang kami proses dan koordinasikan dengan unit terkait.",
        st.TERDISPOSISI_SEDANG_DIPROSES,
    ),
    Template(
        3,
        "permintaan_informasi",
        "Permintaan kelengkapan informasi",
        "Mohon lengkapi informasi lokasi dan foto pendukung agar laporan dapat kami tindak lanjuti.",
        st.TERTUNDA,
    ),
    Template(
        4,
        "penutupan",
        "Penutupan laporan",
        "Laporan ini kami tutup karena telah selesai ditindaklanjuti.",
        st.DITUTUP_OLEH_ADMIN,
    ),
    Template(
        5,
        "arsip",
        "Pengarsipan laporan",
        "Laporan diarsipkan karena tidak memiliki bukti dukung / tidak jelas / tidak relevan.",
        st.DIARSIPKAN_OLEH_ADMIN,
    ),
    Template(6, "ucapan_terima_kasih", "Ucapan terima kasih", "Terima kasih.", None),
    # The public client replies with its own partner template (`reply_<partner>`); it does not move the status.
    Template(7, "reply_sikesal", "Balasan SIKESAL", "Balasan dari SIKESAL Kota Jambi.", None),
]
TEMPLATES: dict[str, Template] = {t.code: t for t in _TEMPLATES}

# Kota Jambi: (kecamatan code, kecamatan name, [(kelurahan code, kelurahan name)]).
WILAYAH: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "15.71.01",
        "Telanaipura",
        [
            ("1001", "Simpang IV Sipin"),
            ("1002", "Buluran Kenali"),
            ("1003", "Teluk Kenali"),
            ("1004", "Telanaipura"),
            ("1010", "Penyengat Rendah"),
            ("1011", "Pematang Sulur"),
            ("1012", "Aur Kenali"),
        ],
    ),
    (
        "15.71.02",
        "Jambi Selatan",
        [
            ("1002", "Pasir Putih"),
            ("1003", "Tambak Sari"),
            ("1004", "Thehok"),
            ("1005", "Wijaya Pura"),
            ("1006", "Pakuan Baru"),
        ],
    ),
    (
        "15.71.03",
        "Jambi Timur",
        [
            ("1001", "Sijenjang"),
            ("1002", "Kasang Jaya"),
            ("1003", "Talang Banjar"),
            ("1004", "Budiman"),
            ("1005", "Sulanjana"),
            ("1006", "Kasang"),
            ("1007", "Tanjung Sari"),
            ("1008", "Rajawali"),
            ("1010", "Tanjung Pinang"),
        ],
    ),
    (
        "15.71.04",
        "Pasar Jambi",
        [
            ("1001", "Beringin"),
            ("1002", "Orang Kayo Hitam"),
            ("1003", "Pasar Jambi"),
            ("1004", "Sungai Asam"),
        ],
    ),
    (
        "15.71.05",
        "Pelayangan",
        [
            ("1001", "Arab Melayu"),
            ("1002", "Mudung Laut"),
            ("1003", "Jelmu"),
            ("1004", "Tengah"),
            ("1005", "Tahtul Yaman"),
            ("1006", "Tanjung Johor"),
        ],
    ),
    (
        "15.71.06",
        "Danau Teluk",
        [
            ("1001", "Pasir Panjang"),
            ("1002", "Tanjung Raden"),
            ("1003", "Olak Kemang"),
            ("1004", "Tanjung Pasir"),
            ("1005", "Ulu Gedong"),
        ],
    ),
    (
        "15.71.07",
        "Kota Baru",
        [
            ("1001", "Suka Karya"),
            ("1002", "Simpang III Sipin"),
            ("1004", "Paal Lima"),
            ("1005", "Kenali Asam Bawah"),
            ("1006", "Kenali Asam Atas"),
            ("1011", "Talang Gulo"),
            ("1012", "Kenali Asam"),
        ],
    ),
    (
        "15.71.08",
        "Jelutung",
        [
            ("1001", "Talang Jauh"),
            ("1002", "Cempaka Putih"),
            ("1003", "Kebun Handil"),
            ("1004", "Lebak Bandung"),
            ("1005", "Payo Lebar"),
            ("1006", "Jelutung"),
            ("1007", "Handil Jaya"),
        ],
    ),
    (
        "15.71.09",
        "Alam Barajo",
        [
            ("1001", "Kenali Besar"),
            ("1002", "Rawa Sari"),
            ("1003", "Mayang Mangurai"),
            ("1004", "Bagan Pete"),
            ("1005", "Beliung"),
            ("1006", "Simpang Rimbo"),
            ("1007", "Pinang Merah"),
        ],
    ),
    (
        "15.71.10",
        "Danau Sipin",
        [
            ("1001", "Sungai Putri"),
            ("1002", "Murni"),
            ("1003", "Legok"),
            ("1004", "Selamat"),
            ("1005", "Solok Sipin"),
        ],
    ),
    (
        "15.71.11",
        "Paal Merah",
        [
            ("1001", "Talang Bakung"),
            ("1002", "Payo Selincah"),
            ("1003", "Eka Jaya"),
            ("1004", "Lingkar Selatan"),
            ("1005", "Paal Merah"),
            ("1006", "Bakung Jaya"),
        ],
    ),
]


def code_to_id(code: str) -> int:
    """The Kemendagri code without dots (the location id of simulator versions before 2)."""
    return int(code.replace(".", ""))


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


def _build_locations() -> list[dict]:
    raw = [("15", "Provinsi Jambi", "provinsi"), ("15.71", "Kota Jambi", "kota")]
    for kec_code, kec_name, kelurahan in WILAYAH:
        raw.append((kec_code, kec_name, "kecamatan"))
        raw.extend((f"{kec_code}.{kel_code}", kel_name, "kelurahan") for kel_code, kel_name in kelurahan)
    raw.sort(key=lambda r: _code_key(r[0]))
    ids = {code: index for index, (code, _name, _level) in enumerate(raw, start=1)}
    return [
        {
            "id": ids[code],
            "name": name,
            "parent_id": ids[code.rsplit(".", 1)[0]] if "." in code else None,
            "level": level,
            "code": code,
        }
        for code, name, level in raw
    ]


LOCATIONS = _build_locations()
LOCATION_BY_ID = {loc["id"]: loc for loc in LOCATIONS}
LOCATION_ID_BY_CODE = {loc["code"]: loc["id"] for loc in LOCATIONS}


def location_code(location_id: int | None) -> str | None:
    loc = LOCATION_BY_ID.get(location_id) if location_id is not None else None
    return loc["code"] if loc else None


def location_text(location_id: int | None) -> str | None:
    """A readable place name, e.g. "Kel. Thehok, Kec. Jambi Selatan, Kota Jambi"."""
    parts = []
    loc = LOCATION_BY_ID.get(location_id) if location_id is not None else None
    while loc is not None:
        prefix = {"kelurahan": "Kel. ", "kecamatan": "Kec. "}.get(loc["level"], "")
        parts.append(prefix + loc["name"])
        loc = LOCATION_BY_ID.get(loc["parent_id"]) if loc["parent_id"] else None
        if loc is not None and loc["level"] == "provinsi":
            break
    return ", ".join(parts) or None
