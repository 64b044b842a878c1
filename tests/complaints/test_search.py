from sikesal.complaints.models import Complaint
from sikesal.complaints.search import search


def test_full_text_search_finds_words_in_title_and_body(submit):
    pipe = submit(
        title="Pipa bocor di Jl. Gatot Subroto", body="Air PDAM menyembur dari pipa sejak pagi, jalan tergenang."
    )
    lamp = submit(title="Lampu jalan mati", body="Tiga lampu PJU mati di depan masjid, gelap sekali malam hari.")
    everything = Complaint.objects.all()
    assert list(search(everything, "pipa")) == [pipe]
    assert list(search(everything, "masjid gelap")) == [lamp]
    assert list(search(everything, "masjid pipa")) == []
    assert set(search(everything, "")) == {pipe, lamp}
    # operators and quotes typed by a user are only words, never an error
    assert list(search(everything, 'lampu" OR "pipa* NEAR(')) == []


def test_index_follows_edits(submit):
    c = submit(title="Sampah menumpuk", body="Sampah tidak diangkut empat hari di TPS pasar.")
    Complaint.objects.filter(pk=c.pk).update(title="Drainase tersumbat")
    assert list(search(Complaint.objects.all(), "drainase")) == [c]


def test_index_survives_a_table_rebuild(submit, django_db_blocker):
    """SQLite migrations rebuild the table and drop its triggers; post_migrate puts them back."""
    from django.db import connection

    from sikesal.complaints.search import ensure_sqlite_index

    c = submit(title="Banjir di Paal Lima", body="Genangan setinggi lutut setiap hujan deras di jalan utama.")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER complaint_fts_ai")
        ensure_sqlite_index()
    later = submit(title="Banjir lagi", body="Genangan kembali muncul di depan sekolah setelah hujan.")
    assert set(search(Complaint.objects.all(), "banjir")) == {c, later}
