"""Catalogue concepts: catalogue phrases become shared features, so a report can be routed by a word that no
routed report has used yet, and the explanation names that word."""

from sikesal.routing.concepts import GROUP_PREFIX, SERVICE_PREFIX, build_lexicon, bundled_lexicon
from sikesal.routing.model import RoutingModel, train
from sikesal.routing.normalize import normalize

ENTRIES = [
    ("drainase", "infrastruktur", "Drainase / parit tersumbat", "drainase, parit, got, selokan, tersumbat, mampet"),
    ("lampu-jalan", "penerangan", "Lampu jalan mati", "lampu jalan, pju, gelap"),
    ("sampah", "lingkungan", "Sampah tidak diangkut", "sampah, tps, bau"),
]

# Labels are another city's OPDs, not our services: the concepts still link words to each other.
TRAINING = [
    ("PUPR", "selokan depan rumah tersumbat air meluap ke jalan"),
    ("PUPR", "parit di gang kami penuh lumpur sudah lama"),
    ("PUPR", "selokan di pinggir pasar penuh dan meluap"),
    ("PUPR", "tolong bersihkan parit yang penuh lumpur"),
    ("DLH", "sampah menumpuk di pinggir pasar sudah seminggu"),
    ("DLH", "tumpukan sampah bau sekali di belakang sekolah"),
    ("DLH", "sampah rumah tangga tidak diangkut petugas"),
    ("DLH", "bau sampah sampai ke rumah warga"),
]


def test_lexicon_normalises_phrases_and_leaves_out_neutral_words():
    lexicon = build_lexicon(ENTRIES)
    drain = (f"{GROUP_PREFIX}infrastruktur", f"{SERVICE_PREFIX}drainase")
    assert lexicon.phrases[("got",)] == drain
    assert lexicon.phrases[("parit", "tersumbat")] == drain  # "Drainase / parit tersumbat" split at the slash
    # "Sampah tidak diangkut" is the phrase "sampah diangkut": "tidak" says nothing about the service
    assert ("sampah", "diangkut") in lexicon.phrases and ("tidak",) not in lexicon.phrases
    tokens = normalize("Lampu jalan di gg mawar mati, got jg mampet").split()
    found = {(tokens[s], e - s): concepts for s, e, concepts in lexicon.matches(tokens)}
    assert found[("lampu", 2)] == (f"{GROUP_PREFIX}penerangan", f"{SERVICE_PREFIX}lampu-jalan")
    assert found[("got", 1)] == drain and found[("mampet", 1)] == drain


def test_a_catalogue_word_unseen_in_training_routes_the_report():
    texts, labels = [t for _, t in TRAINING], [lab for lab, _ in TRAINING]
    query = "got mampet"  # neither word occurs in any training text; both are drain keywords of the catalogue
    with_concepts = train(texts, labels, concepts=build_lexicon(ENTRIES))
    assert with_concepts.predict([query]) == ["PUPR"]
    assert set(with_concepts.explain(query, "PUPR")) == {"got", "mampet"}
    # the words alone give the model little to go on (a few shared letter n-grams at most)
    words_only = train(texts, labels)
    pupr = with_concepts.classes.index("PUPR")
    assert words_only.predict_proba([query])[0][pupr] < with_concepts.predict_proba([query])[0][pupr]


def test_the_lexicon_travels_with_the_model():
    model = train([t for _, t in TRAINING], [lab for lab, _ in TRAINING], concepts=build_lexicon(ENTRIES))
    restored = RoutingModel.loads(model.dumps())
    assert restored.concepts.phrases == model.concepts.phrases
    assert restored.predict(["got mampet"]) == ["PUPR"]


def test_the_shipped_catalogue_lexicon_covers_every_group():
    lexicon = bundled_lexicon()
    groups = {c for concepts in lexicon.phrases.values() for c in concepts if c.startswith(GROUP_PREFIX)}
    assert len(groups) == 12 and len(lexicon) > 300
    assert f"{SERVICE_PREFIX}drainase" in lexicon.phrases[("selokan",)]
