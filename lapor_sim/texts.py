"""Realistic Indonesian texts: citizens' reports about Kota Jambi and institutions' answers.

The topics follow SIKESAL's 2022 top ten (roads, street lights, drainage, leaking PDAM pipes, murky
water, floods, social aid, environment, public order, illegal parking) plus some reports that are
outside the city's authority (PLN, national roads, BPJS, police), which the city must forward.
Everything is drawn from a `random.Random` passed in, so a seed reproduces the same reports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .masters import LOCATION_ID_BY_CODE, WILAYAH


@dataclass(frozen=True)
class Topic:
    key: str
    category_id: int
    classification_id: int
    titles: tuple[str, ...]
    contents: tuple[str, ...]
    weight: int


STREETS = (
    "Jl. Sultan Thaha",
    "Jl. Gatot Subroto",
    "Jl. Hayam Wuruk",
    "Jl. Kapten Pattimura",
    "Jl. Jenderal Sudirman",
    "Jl. Prof. Dr. Sri Soedewi",
    "Jl. Kolonel Abunjani",
    "Jl. Slamet Riyadi",
    "Jl. M. Yamin",
    "Jl. Orang Kayo Hitam",
    "Jl. Raden Mattaher",
    "Jl. Adityawarman",
    "Jl. Jenderal A. Yani",
    "Jl. H.O.S. Cokroaminoto",
    "Jl. Sumantri Brojonegoro",
    "Jl. Kolonel Amir Hamzah",
    "Jl. Marsda Surya Darma",
    "Jl. Pangeran Hidayat",
    "Jl. Ir. H. Juanda",
    "Jl. Sersan Anwar Bay",
    "Jl. Lingkar Barat",
    "Jl. Lingkar Selatan",
    "Jl. Kapten A. Bakaruddin",
    "Jl. Syamsu Bahrun",
)
DURATIONS = (
    "sudah dua minggu",
    "sudah hampir sebulan",
    "sejak awal bulan",
    "sudah tiga hari",
    "sudah berbulan-bulan",
    "sejak musim hujan kemarin",
    "sudah seminggu lebih",
)

TOPICS: tuple[Topic, ...] = (
    Topic(
        "jalan_rusak",
        401,
        1,
        (
            "Jalan rusak dan berlubang di {jalan}",
            "Jalan berlubang membahayakan pengendara di {kelurahan}",
            "Mohon perbaikan jalan di {jalan}",
        ),
        (
            "Jalan di {jalan}, Kelurahan {kelurahan}, Kecamatan {kecamatan} rusak parah dan "
            "berlubang {lama}. Kalau hujan lubangnya tergenang air sehingga tidak kelihatan dan "
            "sudah ada pengendara motor yang jatuh. Mohon segera diperbaiki.",
            "Assalamualaikum, kami warga RT {rt} Kelurahan {kelurahan} mengeluhkan kondisi jalan "
            "di {jalan} yang aspalnya sudah mengelupas {lama}. Anak-anak sekolah setiap hari lewat "
            "sini. Mohon perhatian Dinas PUPR Kota Jambi.",
        ),
        18,
    ),
    Topic(
        "lampu_jalan",
        411,
        1,
        (
            "Lampu jalan mati di {jalan}",
            "PJU padam, jalan gelap di {kelurahan}",
        ),
        (
            "Lampu penerangan jalan umum di {jalan} dekat simpang Kelurahan {kelurahan} mati "
            "{lama}. Malam hari jalan sangat gelap dan rawan begal. Mohon segera diganti.",
            "Ada sekitar lima tiang lampu jalan yang tidak menyala di {jalan}, Kecamatan "
            "{kecamatan}. Sudah dilaporkan ke RT tapi belum ada perbaikan {lama}.",
        ),
        12,
    ),
    Topic(
        "drainase",
        401,
        1,
        (
            "Drainase tersumbat di {jalan}",
            "Parit tersumbat sampah, air meluap ke jalan",
        ),
        (
            "Saluran drainase di {jalan}, Kelurahan {kelurahan} tersumbat lumpur dan sampah "
            "{lama}. Setiap hujan air meluap ke jalan dan masuk ke rumah warga RT {rt}. Mohon "
            "dilakukan normalisasi parit.",
            "Gorong-gorong di depan pasar Kelurahan {kelurahan} ambruk sehingga air tidak "
            "mengalir. Bau tidak sedap dan banyak nyamuk. Mohon ditindaklanjuti.",
        ),
        8,
    ),
    Topic(
        "pipa_bocor",
        403,
        1,
        (
            "Pipa PDAM bocor di {jalan}",
            "Kebocoran pipa Tirta Mayang di {kelurahan}",
        ),
        (
            "Pipa air Perumda Tirta Mayang bocor di pinggir {jalan}, Kelurahan {kelurahan} "
            "{lama}. Air terbuang percuma dan jalan jadi becek. Mohon segera diperbaiki.",
            "Ada kebocoran pipa besar di dekat RT {rt} Kelurahan {kelurahan}, Kecamatan "
            "{kecamatan}. Air menyembur ke jalan dan tekanan air di rumah warga jadi kecil.",
        ),
        6,
    ),
    Topic(
        "air_keruh",
        403,
        1,
        (
            "Air PDAM keruh dan berbau",
            "Air Tirta Mayang tidak mengalir di {kelurahan}",
        ),
        (
            "Air PDAM di rumah kami di Kelurahan {kelurahan} keruh kecokelatan dan berbau "
            "{lama}. Tidak bisa dipakai untuk masak. Tagihan tetap jalan. Mohon penjelasan "
            "dari Perumda Tirta Mayang.",
            "Air tidak mengalir sama sekali di RT {rt} Kelurahan {kelurahan} {lama}, hanya "
            "keluar tengah malam. Warga terpaksa membeli air galon.",
        ),
        5,
    ),
    Topic(
        "banjir",
        410,
        1,
        ("Banjir setiap hujan di {kelurahan}",),
        (
            "Setiap hujan deras, kawasan RT {rt} Kelurahan {kelurahan} Kecamatan {kecamatan} "
            "tergenang banjir setinggi lutut. Kondisi ini terjadi {lama}. Mohon ada solusi "
            "dari Pemkot Jambi.",
        ),
        4,
    ),
    Topic(
        "sampah",
        402,
        1,
        (
            "Sampah menumpuk tidak diangkut di {jalan}",
            "TPS liar di {kelurahan}",
        ),
        (
            "Sampah di TPS {jalan} Kelurahan {kelurahan} tidak diangkut {lama}. Sampah "
            "berserakan sampai ke badan jalan dan sangat bau. Mohon DLH Kota Jambi segera "
            "mengangkut.",
            "Ada tumpukan sampah liar di lahan kosong dekat RT {rt} Kelurahan {kelurahan}. "
            "Banyak orang membuang sampah di sana pada malam hari.",
        ),
        6,
    ),
    Topic(
        "bansos",
        406,
        1,
        ("Bantuan sosial tidak tepat sasaran",),
        (
            "Kami keluarga kurang mampu di Kelurahan {kelurahan} sudah terdaftar di DTKS tetapi "
            "tidak pernah menerima bantuan {lama}, sementara tetangga yang mampu justru "
            "menerima. Mohon pendataan ulang.",
        ),
        3,
    ),
    Topic(
        "ketertiban",
        407,
        1,
        (
            "Pedagang kaki lima menutup trotoar di {jalan}",
            "Kebisingan tempat hiburan malam di {kelurahan}",
        ),
        (
            "Trotoar di {jalan} penuh pedagang kaki lima sehingga pejalan kaki terpaksa berjalan "
            "di badan jalan. Mohon penertiban oleh Satpol PP.",
            "Tempat hiburan di Kelurahan {kelurahan} memutar musik keras sampai jam tiga pagi "
            "{lama}. Warga RT {rt} tidak bisa beristirahat.",
        ),
        3,
    ),
    Topic(
        "parkir_liar",
        404,
        1,
        ("Parkir liar di {jalan}",),
        (
            "Banyak juru parkir liar di {jalan} yang memungut tarif di luar ketentuan dan "
            "kendaraan parkir sampai dua lapis sehingga macet. Mohon ditertibkan Dishub.",
        ),
        3,
    ),
    Topic(
        "adminduk",
        408,
        3,
        ("Pertanyaan pengurusan KTP elektronik",),
        (
            "Saya sudah merekam KTP elektronik di Disdukcapil Kota Jambi {lama} tetapi belum "
            "juga dicetak. Bagaimana prosedur dan berapa lama waktunya?",
        ),
        2,
    ),
    Topic(
        "taman_kota",
        402,
        2,
        ("Usulan penambahan taman bermain anak di {kecamatan}",),
        (
            "Kami mengusulkan agar lahan kosong di Kelurahan {kelurahan} dijadikan taman "
            "bermain anak dan ruang terbuka hijau, karena di Kecamatan {kecamatan} belum ada.",
        ),
        2,
    ),
    Topic(
        "listrik_pln",
        403,
        1,
        ("Listrik sering padam di {kelurahan}",),
        (
            "Listrik PLN di Kelurahan {kelurahan} padam hampir setiap malam {lama} tanpa "
            "pemberitahuan. Peralatan elektronik warga banyak yang rusak.",
        ),
        3,
    ),
    Topic(
        "jalan_nasional",
        401,
        1,
        ("Jalan lintas timur rusak parah",),
        (
            "Jalan nasional lintas timur Sumatera ruas Kota Jambi arah Muaro Jambi rusak berat "
            "dan berlubang {lama}, banyak truk terperosok dan macet panjang.",
        ),
        2,
    ),
    Topic(
        "bpjs",
        405,
        1,
        ("Pelayanan BPJS Kesehatan di puskesmas",),
        (
            "Kartu BPJS Kesehatan saya tiba-tiba nonaktif padahal iuran dibayar oleh pemberi "
            "kerja. Saat berobat di puskesmas Kelurahan {kelurahan} saya diminta bayar umum.",
        ),
        2,
    ),
    Topic(
        "pungli_polisi",
        413,
        1,
        ("Dugaan pungutan liar saat pengurusan SIM",),
        (
            "Saat mengurus perpanjangan SIM di Kota Jambi saya dimintai biaya tambahan di luar "
            "tarif resmi oleh oknum. Mohon ditindak.",
        ),
        1,
    ),
)

FIRST_NAMES = (
    "Ahmad",
    "Budi",
    "Siti",
    "Dewi",
    "Rahmat",
    "Nurhayati",
    "Hendra",
    "Yusuf",
    "Fitri",
    "Rizki",
    "Agus",
    "Sri",
    "Indah",
    "Fauzan",
    "Wahyuni",
    "Dedi",
    "Putri",
    "Irwan",
    "Lestari",
    "Zulkifli",
)
LAST_NAMES = (
    "Saputra",
    "Lubis",
    "Siregar",
    "Hasibuan",
    "Wijaya",
    "Pratama",
    "Harahap",
    "Nasution",
    "Kurniawan",
    "Rahmawati",
    "Syahputra",
    "Hidayat",
    "Marpaung",
    "Sembiring",
    "Effendi",
    "Ramadhan",
)

CITIZEN_CHANNELS = ((1, 35), (2, 40), (6, 15), (20, 10))  # (channel id, weight)
# Flag mix of a real LAPOR! export (240 reports): anonymous only, both, secret only, neither.
FLAG_MIX = (((True, False), 89), ((True, True), 63), ((False, True), 27), ((False, False), 61))

INSTITUTION_ANSWERS = (
    "Terima kasih atas laporan Anda. Laporan telah kami terima dan tim kami sudah melakukan "
    "pengecekan ke lokasi. Perbaikan dijadwalkan dalam waktu dekat.",
    "Terima kasih, laporan Anda telah ditindaklanjuti oleh petugas kami di lapangan. Silakan "
    "hubungi layanan pelanggan kami apabila masalah masih terjadi.",
    "Laporan telah kami verifikasi. Permasalahan sudah diselesaikan pada hari ini. Terima kasih atas partisipasi Anda.",
)
CITIZEN_THANKS = (
    "Terima kasih, masalahnya sudah selesai.",
    "Alhamdulillah sudah diperbaiki, terima kasih atas respons cepatnya.",
)
CITIZEN_DISPUTES = (
    "Mohon maaf, sampai hari ini belum ada petugas yang datang ke lokasi.",
    "Masalahnya belum selesai, kondisinya masih sama seperti sebelumnya.",
)
CITIZEN_COMPLETIONS = (
    "Berikut saya lengkapi lokasi persisnya dan foto kondisi terkini.",
    "Lokasinya di depan masjid, dekat simpang. Foto sudah saya lampirkan.",
)
ADMIN_ARCHIVE_REASONS = (
    "tidak memiliki bukti dukung",
    "tidak jelas",
    "tidak relevan",
)


def _weighted(rng: random.Random, pairs):
    values = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(values, weights=weights, k=1)[0]


def citizen_report(rng: random.Random, topic_key: str | None = None) -> dict:
    """Draw one citizen report addressed to Pemkot Jambi."""
    if topic_key is None:
        topic = _weighted(rng, [(t, t.weight) for t in TOPICS])
    else:
        topic = next((t for t in TOPICS if t.key == topic_key), None)
        if topic is None:
            raise ValueError(f"unknown topic {topic_key!r}")
    kec_code, kec_name, kelurahan = rng.choice(WILAYAH)
    kel_code, kel_name = rng.choice(kelurahan)
    words = {
        "jalan": rng.choice(STREETS),
        "kelurahan": kel_name,
        "kecamatan": kec_name,
        "lama": rng.choice(DURATIONS),
        "rt": f"{rng.randint(1, 40):02d}",
    }
    is_anonymous, is_secret = _weighted(rng, FLAG_MIX)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    phone = "08" + "".join(str(rng.randint(0, 9)) for _ in range(10))
    return {
        "topic": topic.key,
        "title": rng.choice(topic.titles).format(**words),
        "content": rng.choice(topic.contents).format(**words),
        "category_id": topic.category_id,
        "classification_id": topic.classification_id,
        "channel": _weighted(rng, CITIZEN_CHANNELS),
        "location_id": LOCATION_ID_BY_CODE[f"{kec_code}.{kel_code}"],
        "location": f"{words['jalan']}, Kel. {kel_name}, Kec. {kec_name}, Kota Jambi",
        "is_anonymous": is_anonymous,
        "is_secret": is_secret,
        "reporter_name": name,
        "reporter_phone": phone,
        "days_ago": rng.randint(0, 20),
    }
