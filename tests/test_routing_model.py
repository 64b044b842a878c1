"""Routing model: normalisation, cold start, explanations, persistence and the evaluation command."""

import csv
import random
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sikesal.routing.model import RoutingModel, catalogue_text, cold_start, train
from sikesal.routing.normalize import normalize, slang_map, strip_suffix

SUMMARY = re.compile(r"^accuracy=\d\.\d{3} macro_f1=\d\.\d{3} top3=\d\.\d{3} n=\d+ classes=\d+$")

CATALOGUE = [
    (
        "jalan-rusak",
        "Jalan rusak / berlubang",
        "Laporan tentang jalan rusak di Kota Jambi.",
        "jalan, lubang, aspal, rusak",
    ),
    (
        "lampu-jalan",
        "Lampu jalan (PJU) mati",
        "Laporan tentang lampu jalan mati.",
        "lampu jalan, pju, gelap, penerangan",
    ),
    ("sampah", "Sampah tidak diangkut", "Laporan tentang sampah tidak diangkut.", "sampah, tps, angkut, menumpuk, bau"),
    (
        "air-mati",
        "Air PDAM tidak mengalir",
        "Laporan tentang air PDAM tidak mengalir.",
        "air mati, tidak mengalir, pdam",
    ),
    ("pkl", "Pedagang kaki lima mengganggu", "Laporan tentang pedagang kaki lima.", "pkl, pedagang kaki lima, lapak"),
    ("banjir", "Banjir / genangan", "Laporan tentang banjir.", "banjir, genangan, tergenang, luapan"),
]


@pytest.fixture(scope="module")
def catalogue_model():
    return cold_start([(code, catalogue_text(name, desc, kw)) for code, name, desc, kw in CATALOGUE])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jln dpn sklh rusak, tlg dong", "jalan depan sekolah rusak tolong dong"),
        ("gak ada yg peduli, ngga ada, tdk ada, ga ada", "tidak ada yang peduli tidak ada tidak ada tidak ada"),
        ("sdh lapor kmrn blm ada krn sibuk", "sudah lapor kemarin belum ada karena sibuk"),
        ("rusak bangeeet, mohonnnn", "rusak banget mohon"),
        ("parah bgt, mhn segera dgn cepat", "parah banget mohon segera dengan cepat"),
        ("Lihat https://jambikota.go.id/lapor?id=3 atau www.contoh.com", "lihat _url_ atau _url_"),
        ("hubungi budi@example.com", "hubungi _email_"),
        ("Rp 150.000 sejak 2024", "rp _num_ _num_ sejak _num_"),
        ("hubungi [TELP] atau [EMAIL], NIK [NIK]", "hubungi _telp_ atau _email_ nik _nik_"),
        ("JALANNYA RUSAK, Lampunya mati", "jalan rusak lampu mati"),
        ("cepat2 diperbaiki", "cepat diperbaiki"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_suffix_stripping_is_conservative():
    assert strip_suffix("sekolahnya") == "sekolah"
    # Roots that merely end like a particle stay whole.
    for word in ("sekolah", "masalah", "langkah", "berlaku", "bertemu", "punya", "hanya"):
        assert strip_suffix(word) == word
    assert strip_suffix("tidaklah") == "tidak"
    assert strip_suffix("bisakah") == "bisa"


def test_slang_dictionary_loads():
    slang = slang_map()
    assert slang["yg"] == ("yang",)
    assert slang["tks"] == ("terima", "kasih")
    assert len(slang) > 200


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Jalan di depan rumah saya berlubang besar, aspalnya hancur", "jalan-rusak"),
        ("lampu pju di gang kami mati sudah seminggu, gelap sekali", "lampu-jalan"),
        ("sampah menumpuk di tps dan tidak diangkut, bau", "sampah"),
        ("air pdam tidak mengalir sejak kemarin", "air-mati"),
        ("pedagang kaki lima berjualan di trotoar", "pkl"),
        ("rumah kami tergenang banjir setiap hujan", "banjir"),
    ],
)
def test_cold_start_ranks_obvious_texts_first(catalogue_model, text, label):
    top = catalogue_model.predict_top(text, k=3)
    assert top[0][0] == label
    assert len(top) == 3
    assert all(0.0 <= conf <= 1.0 for _, conf in top)
    assert top[0][1] >= top[1][1] >= top[2][1]
    assert sum(conf for _, conf in catalogue_model.predict_top(text, k=len(CATALOGUE))) == pytest.approx(1.0)


def test_cold_start_with_a_single_example_per_class():
    model = cold_start([("a", "sampah menumpuk"), ("b", "jalan berlubang")])
    assert model.predict_top("banyak sampah", k=1)[0][0] == "a"
    assert model.predict_top("", k=2)  # an empty report still gets a ranking, not an error


def test_explain_returns_decisive_words(catalogue_model):
    text = "Tolong, sampah di TPS dekat pasar sudah menumpuk dan bau sekali"
    words = catalogue_model.explain(text, "sampah", n=3)
    assert 1 <= len(words) <= 3
    assert "sampah" in words
    assert {w.lower() for w in words} <= {"sampah", "tps", "menumpuk", "bau", "dan"} | set(text.lower().split())
    # Original spelling is kept, not our normalised token.
    assert "TPS" in catalogue_model.explain(text, "sampah", n=5)
    assert catalogue_model.explain(text, "no-such-label") == []


def test_explain_quotes_slang_as_written():
    model = train(
        ["jalan rusak parah", "jalan berlubang", "aspal jalan hancur", "sampah menumpuk", "sampah bau", "tps penuh"],
        ["jalan", "jalan", "jalan", "sampah", "sampah", "sampah"],
    )
    assert model.explain("jln rusak", "jalan", n=2)[0] in {"jln", "rusak"}
    assert "jln" in model.explain("jln rusak", "jalan", n=2)


def test_dumps_loads_round_trip(catalogue_model):
    restored = RoutingModel.loads(catalogue_model.dumps())
    texts = ["jalan berlubang", "air keruh tidak mengalir", "sampah", "lampu mati di gang", "xyz"]
    for text in texts:
        assert restored.predict_top(text, k=3) == catalogue_model.predict_top(text, k=3)
        label = catalogue_model.predict_top(text, k=1)[0][0]
        assert restored.explain(text, label) == catalogue_model.explain(text, label)


def test_loads_rejects_foreign_bytes():
    import io

    import joblib

    buf = io.BytesIO()
    joblib.dump({"format": -1}, buf)
    with pytest.raises(ValueError):
        RoutingModel.loads(buf.getvalue())


def test_train_accepts_numeric_labels_and_tiny_classes():
    model = train(["jalan rusak", "sampah bau", "lampu mati", "jalan berlubang"], [1, 2, 3, 1])
    assert model.classes == ["1", "2", "3"]
    assert model.predict_top("jalan", k=1)[0][0] == "1"


def _write_csv(path, rows, header=("judul", "isi", "kategori"), encoding="utf-8"):
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def synthetic_csv(tmp_path):
    rng = random.Random(0)
    vocab = {
        "jalan": ["jalan", "berlubang", "aspal", "rusak", "jln"],
        "sampah": ["sampah", "tps", "bau", "menumpuk", "diangkut"],
        "lampu": ["lampu", "pju", "gelap", "mati", "penerangan"],
    }
    filler = ["mohon", "segera", "di", "dekat", "rumah", "saya", "tolong", "pak"]
    rows = []
    for label, words in vocab.items():
        for _ in range(25):
            body = rng.sample(words, 3) + rng.sample(filler, 3)
            rng.shuffle(body)
            rows.append(("Laporan", " ".join(body), label))
    rows.append(("", " ", "jalan"))  # an empty text is skipped
    rows.append(("Laporan", "hanya sekali", "langka"))  # a class too small for 5 folds is dropped
    rows.append(rows[0])  # an exact duplicate is removed
    return _write_csv(tmp_path / "laporan.csv", rows)


def test_routing_evaluate_prints_summary_last(synthetic_csv, capsys):
    call_command(
        "routing_evaluate",
        "--csv",
        str(synthetic_csv),
        "--text-cols",
        "judul,isi",
        "--label-col",
        "kategori",
        "--folds",
        "3",
        "--repeats",
        "2",
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert lines[-1].endswith("classes=3")
    assert "n=75 " in lines[-1]
    assert float(lines[-1].split()[0].split("=")[1]) > 0.8
    assert any(line.startswith("fold 6/6") for line in lines)


def test_routing_evaluate_reads_latin1_and_semicolons(tmp_path, capsys):
    rows = [(f"jalan rusak café {i}", "1") for i in range(6)] + [(f"sampah bau {i}", "2") for i in range(6)]
    path = tmp_path / "latin.csv"
    with path.open("w", newline="", encoding="latin-1") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    call_command("routing_evaluate", "--csv", str(path), "--text-cols", "text", "--label-col", "label", "--folds", "3")
    assert SUMMARY.match(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-cols", "body", "--label-col", "kategori"], "unknown column 'body'"),
        (["--text-cols", "isi", "--label-col", "nope"], "unknown column 'nope'"),
    ],
)
def test_routing_evaluate_bad_column(synthetic_csv, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("routing_evaluate", "--csv", str(synthetic_csv), *args)


def test_routing_evaluate_bad_input(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("routing_evaluate", "--csv", str(tmp_path / "missing.csv"), "--text-cols", "a", "--label-col", "b")
    one_class = _write_csv(tmp_path / "one.csv", [("x", f"teks {i}", "a") for i in range(10)])
    with pytest.raises(CommandError, match="at least 2 classes"):
        call_command("routing_evaluate", "--csv", str(one_class), "--text-cols", "isi", "--label-col", "kategori")
    tiny = _write_csv(tmp_path / "tiny.csv", [("x", "teks", "a")])
    with pytest.raises(CommandError, match="too few rows"):
        call_command("routing_evaluate", "--csv", str(tiny), "--text-cols", "isi", "--label-col", "kategori")
